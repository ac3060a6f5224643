#!/usr/bin/python3
"""The proxy's descriptors and memory come back to their baseline after a fault or a peak.

Usage: leaks_test.py RINGLEADER_BINARY     (exit status 0: every check passed)

1. A dead server, probed by the health check every 50 ms: the proxy's fd count stays flat over
   many failed probes (each probe that could not connect used to lose its socket), and the server
   is taken back when it returns.
2. A burst of large values (8 clients, 16-deep pipelines of 128-256 KiB values, set then get) that
   piles up in the proxy while the server is stopped: once the clients have gone, the proxy's RSS
   comes back near its baseline (backend buffers used to keep their peak capacity, and glibc kept
   the freed pages).
"""

import os
import signal
import socket
import sys
import threading
import time

from processes import Client, Processes, free_port, open_fds, vm_rss_kib, wait_for

PROBES = 60              # failed health checks to watch
FD_TOLERANCE = 2         # a backend reconnecting at that instant may hold one more socket
RSS_TOLERANCE_MIB = 16   # what glibc (or ASan, with its quarantine cut to 8 MiB below) may keep
PILE_UP_MIB = 20         # requests held by the proxy while the server is stopped (~24 MiB sent)
BURST_CLIENTS, DEPTH, CYCLES = 8, 16, 3


def dead_server_probes(binary):
    with Processes() as procs:
        live, dead = procs.memcached(), procs.memcached()
        victim = procs.procs[-1]
        port = free_port()
        config = procs.config(
            f"pool:\n  listen: 127.0.0.1:{port}\n  hash: fnv1a_64\n  timeout: 500\n"
            f"  auto_eject_hosts: true\n  server_failure_limit: 1\n  server_retry_timeout: 50\n"
            f"  servers:\n   - 127.0.0.1:{live}:1 live\n   - 127.0.0.1:{dead}:1 dead\n")
        proxy = procs.ringleader(binary, config, port, ["-t", "2"])
        client = Client(port)
        for i in range(50):  # both servers connected on both workers
            client.set_get(b"warm-%d" % i)
        victim.kill()
        victim.wait(timeout=10)
        # Requests to the dead server fail until it is ejected; then every key goes to `live`.
        keys = iter(range(1 << 30))
        wait_for(lambda: client.call(b"get probe-%d\r\n" % next(keys)) and
                 "server ejected" in procs.log("ringleader"), "the ejection", 10)
        probes = lambda: procs.log("ringleader").count("health check failed")
        wait_for(lambda: probes() >= 1, "a first failed probe", 10)
        before = open_fds(proxy.pid)
        first = probes()
        wait_for(lambda: probes() >= first + PROBES, f"{PROBES} failed probes", 60)
        after = open_fds(proxy.pid)
        print(f"dead server: {probes() - first} failed probes, proxy fds {before} -> {after}")
        assert after <= before + FD_TOLERANCE, f"fds grew from {before} to {after} over {PROBES} probes"
        client.set_get(b"while-dead")

        procs.memcached(dead)  # back on its port: the next probe passes
        wait_for(lambda: "server returned" in procs.log("ringleader"), "the server's return", 10)
        for i in range(50):
            client.set_get(b"after-%d" % i)
        client.close()
        assert proxy.poll() is None, "the proxy exited"


def pipeline_large_values(port, client_id, errors):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        reader = s.makefile("rb")
        for cycle in range(CYCLES):
            values = {}
            for i in range(DEPTH):
                size = (128 << 10) + ((client_id * 7919 + i * 104729 + cycle) % (128 << 10))
                key = b"big-%d-%d" % (client_id, i)
                values[key] = (b"%s:%d:" % (key, cycle)).ljust(size, b"v")
            s.sendall(b"".join(b"set %s 0 0 %d\r\n%s\r\n" % (k, len(v), v) for k, v in values.items()))
            for _ in values:
                line = reader.readline()
                assert line == b"STORED\r\n", line
            s.sendall(b"".join(b"get %s\r\n" % k for k in values))
            for key, value in values.items():
                header = reader.readline()
                assert header == b"VALUE %s 0 %d\r\n" % (key, len(value)), header[:80]
                assert reader.read(len(value) + 2) == value + b"\r\n", f"wrong value for {key!r}"
                assert reader.readline() == b"END\r\n"
        s.close()
    except Exception as e:  # reported by the main thread
        errors.append(f"client {client_id}: {e!r}")


def idle_memory_after_large_values(binary):
    with Processes() as procs:
        backend = procs.memcached()
        port = free_port()
        config = procs.config(f"pool:\n  listen: 127.0.0.1:{port}\n  hash: fnv1a_64\n"
                              f"  servers:\n   - 127.0.0.1:{backend}:1\n")
        env = dict(os.environ, ASAN_OPTIONS="quarantine_size_mb=8:allocator_release_to_os_interval_ms=100")
        proxy = procs.ringleader(binary, config, port, ["-t", "2"], env=env)
        client = Client(port)
        client.set_get(b"warm")
        client.close()
        time.sleep(0.5)
        baseline = vm_rss_kib(proxy.pid)
        peak = baseline
        memcached = procs.procs[0]
        for _ in range(2):
            # The server stops reading for a moment, so the requests pile up in the proxy's buffers
            # (as behind a slow or busy server): the peak this test must see given back.
            memcached.send_signal(signal.SIGSTOP)
            errors = []
            threads = [threading.Thread(target=pipeline_large_values, args=(port, c, errors))
                       for c in range(BURST_CLIENTS)]
            for t in threads:
                t.start()
            deadline = time.monotonic() + 3
            while vm_rss_kib(proxy.pid) < baseline + PILE_UP_MIB * 1024 and time.monotonic() < deadline:
                time.sleep(0.05)
            peak = max(peak, vm_rss_kib(proxy.pid))
            memcached.send_signal(signal.SIGCONT)
            while any(t.is_alive() for t in threads):
                peak = max(peak, vm_rss_kib(proxy.pid))
                time.sleep(0.05)
            assert not errors, errors
        bound = baseline + RSS_TOLERANCE_MIB * 1024
        deadline = time.monotonic() + 10
        while (idle := vm_rss_kib(proxy.pid)) > bound and time.monotonic() < deadline:
            time.sleep(0.1)
        print(f"large values: RSS baseline {baseline >> 10} MiB, peak {peak >> 10} MiB, "
              f"idle after {idle >> 10} MiB (bound {bound >> 10} MiB)")
        assert idle <= bound, f"idle RSS {idle >> 10} MiB stayed above {bound >> 10} MiB"
        client = Client(port)
        client.set_get(b"after-burst")
        client.close()


def main():
    binary = sys.argv[1]
    dead_server_probes(binary)
    idle_memory_after_large_values(binary)
    print("ok")


if __name__ == "__main__":
    main()
