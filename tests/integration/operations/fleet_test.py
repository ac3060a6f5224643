#!/usr/bin/python3
"""A fleet of proxies, one membership: three `ringleader serve` instances take one pool's servers
from one etcd, and must route every key alike after every change.

Usage: fleet_test.py RINGLEADER_BINARY     (exit status 0: every check passed)

etcd, four memcached listed under a prefix, three proxies (default etcd_settle_ms, 100). A fifth
memcached joins through `ringleader register`. Then 100 membership changes (a server deleted, then
put back, in turn): for each, the time from the etcd write until all three instances serve that
revision (their stats' membership_revision), and 10,000 keys written through one instance (values
tagged with the change's number) read back through each of the other two with multi-key gets:
every key found, with this change's value. Prints convergence p50/p99/max; asserts none (a change
not applied within 10 s fails as not applied at all).
"""

import json
import signal
import socket
import statistics
import subprocess
import sys
import time

from etcd import Etcd
from processes import Processes, free_port, read_all, wait_for, wait_port

PREFIX = "/ringleader/fleet/"
KEYS = 10_000
PER_GET = 100  # keys per multi-key get


def revision_of(stats_port):
    return json.loads(read_all(stats_port))["cache"]["membership_revision"]


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def receive_until(sock, ends, count):
    """Reads until `ends` has come `count` times; returns everything read."""
    data = bytearray()
    while data.count(ends) < count:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("proxy closed the connection")
        data += chunk
    return bytes(data)


def write_keys(sock, tag):
    # noreply sets, then one get whose END says every set before it was handled.
    sock.sendall(b"".join(b"set fleet:%d 0 0 %d noreply\r\n%s\r\n" % (i, len(tag), tag) for i in range(KEYS)))
    sock.sendall(b"get fleet:0\r\n")
    receive_until(sock, b"END\r\n", 1)


def found_keys(sock, tag):
    """How many of the keys read back through this proxy carry `tag`."""
    gets = [b"get " + b" ".join(b"fleet:%d" % i for i in range(start, min(start + PER_GET, KEYS))) + b"\r\n"
            for start in range(0, KEYS, PER_GET)]
    sock.sendall(b"".join(gets))
    reply = receive_until(sock, b"END\r\n", len(gets))
    return reply.count(b"\r\n" + tag + b"\r\n")


def main():
    binary = sys.argv[1]
    started = time.monotonic()
    with Processes() as procs, Etcd() as etcd:
        servers = [procs.memcached(args=("-m", "64")) for _ in range(5)]
        for i, port in enumerate(servers[:4]):
            etcd.put(PREFIX + f"m{i}", f"127.0.0.1:{port}:1 m{i}")
        proxies = []
        for i in range(3):
            port, stats_port = free_port(), free_port()
            config = procs.config(f"""cache:
  listen: 127.0.0.1:{port}
  etcd: {etcd.endpoint}
  etcd_prefix: {PREFIX}
""")
            procs.ringleader(binary, config, port, ["-s", str(stats_port), "-t", "1"], name=f"serve-{i}")
            wait_port(stats_port)  # it opens just after the pool's port
            proxies.append((port, stats_port))

        def converged(revision):
            return all(revision_of(stats) >= revision for _, stats in proxies)

        # The fifth server joins the way a cache host would.
        register = subprocess.Popen([binary, "register", "--etcd", etcd.endpoint, "--prefix", PREFIX,
                                     f"127.0.0.1:{servers[4]}:1 m4"], stderr=subprocess.DEVNULL)
        procs.procs.append(register)
        line = f"127.0.0.1:{servers[4]}:1 m4"
        wait_for(lambda: line in etcd.keys(PREFIX).values(), "register to put its server (in a slot, K/live)")
        wait_for(lambda: converged(int(etcd.call("/v3/kv/range", {"key": "AA=="})["header"]["revision"])),
                 "every proxy to list the registered server")
        for _, stats in proxies:
            assert "m4" in json.loads(read_all(stats))["cache"], "the registered server is not in a proxy's stats"

        writer = connect(proxies[0][0])
        readers = [connect(port) for port, _ in proxies[1:]]
        times = []
        for change in range(100):
            k = (change // 2) % 4  # delete m_k, then put it back
            begin = time.monotonic()
            if change % 2 == 0:
                revision = etcd.delete(PREFIX + f"m{k}")
            else:
                revision = etcd.put(PREFIX + f"m{k}", f"127.0.0.1:{servers[k]}:1 m{k}")
            deadline = begin + 10
            while not converged(revision):
                assert time.monotonic() < deadline, f"change {change} (revision {revision}) not applied everywhere in 10 s"
                time.sleep(0.002)
            times.append(time.monotonic() - begin)
            tag = b"c%03d" % change
            write_keys(writer, tag)
            for reader in readers:
                found = found_keys(reader, tag)
                assert found == KEYS, f"change {change}: {found} of {KEYS} keys found through another proxy"
        register.send_signal(signal.SIGTERM)
        assert register.wait(timeout=10) == 0
        times.sort()
        p50 = statistics.median(times) * 1000
        p99 = times[98] * 1000
        print(f"fleet: 3 proxies, 100 changes: convergence p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
              f"max {times[-1] * 1000:.0f} ms (etcd_settle_ms 100); {KEYS} keys found through each other proxy "
              f"after every change; {time.monotonic() - started:.1f} s in all")
    print("fleet_test: ok")


if __name__ == "__main__":
    main()
