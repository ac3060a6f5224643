#!/usr/bin/python3
"""Abuse of `ringleader serve` by its clients, with a real memcached behind it.

Usage: abuse_test.py RINGLEADER_BINARY     (exit status 0: every check passed)

1. 10,000 idle clients at once (the test raises its own RLIMIT_NOFILE; serve raises its own): the
   proxy still serves another client, and the RSS per idle connection is printed.
2. A client sending garbage, one sending half a request then disconnecting, and one sending a
   100 MiB line: each gets its own error or disconnect, another client is served all along, and the
   proxy's RSS grows by less than RSS_BOUND_MIB (the line limit is 64 KiB: memcache::Limits).
"""

import json
import resource
import socket
import sys
import time

from processes import Client, Processes, free_port, read_all, vm_rss_kib

IDLE_CLIENTS = 10_000
RSS_BOUND_MIB = 32


def clients_now(stats_port):
    return json.loads(read_all(stats_port))["pool"]["client_connections"]


def wait_clients(stats_port, count, timeout=15.0):
    deadline = time.monotonic() + timeout
    while (now := clients_now(stats_port)) != count:
        assert time.monotonic() < deadline, f"{now} clients connected, waited for {count}"
        time.sleep(0.05)


def idle_flood(proxy, port, stats_port, other):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert hard >= IDLE_CLIENTS + 100, f"hard fd limit {hard} is below {IDLE_CLIENTS + 100}"
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    wait_clients(stats_port, 1)  # `other`
    before = vm_rss_kib(proxy.pid)
    idle = []
    for _ in range(IDLE_CLIENTS):
        s = socket.socket()
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        idle.append(s)
    wait_clients(stats_port, IDLE_CLIENTS + 1)
    after = vm_rss_kib(proxy.pid)
    other.set_get(b"during-flood")
    fresh = Client(port)
    fresh.set_get(b"fresh-during-flood")
    fresh.close()
    per_connection = (after - before) * 1024 / IDLE_CLIENTS
    print(f"idle flood: {IDLE_CLIENTS} idle clients, VmRSS {before} KiB -> {after} KiB, "
          f"{per_connection:.0f} bytes per idle connection; other clients served")
    for s in idle:
        s.close()
    wait_clients(stats_port, 1)


def garbage(port, other):
    c = Client(port)
    c.sock.sendall(b"\x00\xff\xfe garbage \x01\x02\r\n")
    reply = c.line()
    assert reply.startswith(b"ERROR") or reply.startswith(b"CLIENT_ERROR"), reply
    other.set_get(b"after-garbage")
    c.set_get(b"same-client-after-garbage")  # an unknown command leaves the connection usable
    c.close()
    print(f"garbage: {reply.decode(errors='replace')!r}, connection still usable")


def half_request(port, stats_port, other):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"set half 0 0 100\r\nonly part of the value")
    s.close()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"get half-line-with")
    s.close()
    wait_clients(stats_port, 1)
    other.set_get(b"after-half")
    c = Client(port)
    assert c.call(b"get half\r\n") == b"END", "half a set was stored"
    c.close()
    print("half requests: dropped with their clients, nothing stored")


def long_line(proxy, port, other):
    before = vm_rss_kib(proxy.pid)
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    chunk = b"g" * (1 << 20)
    sent = 0
    closed = False
    peak = before
    try:
        for _ in range(100):
            s.sendall(chunk)
            sent += len(chunk)
            peak = max(peak, vm_rss_kib(proxy.pid))
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    reply = b""
    if not closed:
        try:
            while chunk := s.recv(1 << 16):
                reply += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    s.close()
    peak = max(peak, vm_rss_kib(proxy.pid))
    other.set_get(b"after-long-line")
    growth_mib = (peak - before) / 1024
    assert growth_mib < RSS_BOUND_MIB, f"RSS grew {growth_mib:.1f} MiB on a long line"
    print(f"100 MiB line: proxy closed the client after {sent >> 20} MiB sent, reply {reply[:60]!r}; "
          f"RSS growth {growth_mib:.1f} MiB (bound {RSS_BOUND_MIB} MiB)")


def main():
    binary = sys.argv[1]
    with Processes() as procs:
        backend = procs.memcached()
        port, stats_port = free_port(), free_port()
        config = procs.config(f"pool:\n  listen: 127.0.0.1:{port}\n  backlog: 4096\n  hash: murmur\n"
                              f"  servers:\n   - 127.0.0.1:{backend}:1\n")
        proxy = procs.ringleader(binary, config, port, ["-t", "2", "-s", str(stats_port)])
        time.sleep(0.2)
        other = Client(port)
        other.set_get(b"before")
        idle_flood(proxy, port, stats_port, other)
        garbage(port, other)
        half_request(port, stats_port, other)
        long_line(proxy, port, other)
        other.close()
        assert proxy.poll() is None, "the proxy exited"
    print("ok")


if __name__ == "__main__":
    main()
