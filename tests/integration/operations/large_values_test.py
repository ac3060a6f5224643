#!/usr/bin/python3
"""Large memcached values stream through the proxy: its memory does not grow with the value.

Usage: large_values_test.py RINGLEADER_BINARY     (exit status 0: every check passed)

A memcached started with -I 128m (items up to 128 MiB) and -m 512 behind the proxy, whose pool
allows values as large (max_value_bytes: 128 MiB; the default is 16 MiB).
1. One 64 MiB value, set then got back byte-identical through the proxy.
2. Four 16 MiB values, the sets pipelined in one write, then the gets pipelined.
3. A streamed set between a small set and a get of the same key keeps its place in that order.
4. Clients that leave halfway through a value they send or get: the proxy serves the next ones.
Each time the proxy's peak RSS (VmHWM) while the values are set stays within GROWTH_LIMIT_MIB of its
RSS before: a value sent goes through in pieces of a buffer's size (before 2026-11 the proxy held it
whole, twice or more). While they are got, it stays within the values' size + GROWTH_LIMIT_MIB: a
server connection other clients share never waits for one client (issue 21), so a client that reads
slower than memcached sends holds, at most, what it has not read; never a second copy.
"""

import os
import socket
import sys

from processes import Client, Processes, free_port, open_fds, status_kib, vm_rss_kib, wait_for

# Under ASan freed blocks wait in its quarantine, so RSS says little: there only gross growth fails.
GROWTH_LIMIT_MIB = 400 if os.environ.get("RINGLEADER_UNDER_ASAN") else 8


class Reader:
    """Reads lines and fixed-size blocks off a socket into one growing buffer (no quadratic copies)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed by the proxy")
        self.buf += chunk

    def line(self):
        while (end := self.buf.find(b"\r\n")) < 0:
            self.fill()
        line = bytes(self.buf[:end])
        del self.buf[:end + 2]
        return line

    def block(self, size):
        while len(self.buf) < size + 2:
            self.fill()
        data = bytes(self.buf[:size])
        assert self.buf[size:size + 2] == b"\r\n", "a value's data must end in \\r\\n"
        del self.buf[:size + 2]
        return data


def value_of(key, size):
    pattern = bytes(range(256)) + key  # every byte value, and different for each key
    return (pattern * (size // len(pattern) + 1))[:size]


def set_and_get(port, sizes, proxy_pid, what):
    values = {b"large-%d-%d" % (len(sizes), i): value_of(b"%d" % i, size) for i, size in enumerate(sizes)}
    before = reset_peak(proxy_pid)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        reader = Reader(s)
        for key, value in values.items():  # pipelined: every set written before any reply is read
            s.sendall(b"set %s 0 0 %d\r\n" % (key, len(value)))
            s.sendall(value)
            s.sendall(b"\r\n")
        for key in values:
            reply = reader.line()
            assert reply == b"STORED", f"set {key!r}: {reply!r}"
        set_growth_mib = (status_kib(proxy_pid, "VmHWM") - before) / 1024
        before = reset_peak(proxy_pid)
        s.sendall(b"".join(b"get %s\r\n" % key for key in values))
        for key, value in values.items():
            header = reader.line()
            assert header == b"VALUE %s 0 %d" % (key, len(value)), f"get {key!r}: {header[:80]!r}"
            assert reader.block(len(value)) == value, f"get {key!r}: the value came back changed"
            end = reader.line()
            assert end == b"END", f"get {key!r}: {end[:80]!r} instead of END"
    get_growth_mib = (status_kib(proxy_pid, "VmHWM") - before) / 1024
    total_mib = sum(sizes) / (1 << 20)
    print(f"{what}: {total_mib:.0f} MiB set and got back; proxy peak RSS above its RSS before: "
          f"{set_growth_mib:.1f} MiB while set, {get_growth_mib:.1f} MiB while got")
    assert set_growth_mib < GROWTH_LIMIT_MIB, f"{what}: the proxy's RSS grew by {set_growth_mib:.1f} MiB while set"
    assert get_growth_mib < total_mib + GROWTH_LIMIT_MIB, \
        f"{what}: the proxy's RSS grew by {get_growth_mib:.1f} MiB while got"


def reset_peak(proxy_pid):
    """Sets VmHWM to VmRSS, so the next peak measured is the next step's; returns VmRSS."""
    with open(f"/proc/{proxy_pid}/clear_refs", "w") as f:
        f.write("5")
    return vm_rss_kib(proxy_pid)


def order_kept(port, proxy_pid):
    """A streamed value goes on a connection of its own, yet takes its place in the client's order:
    after the small set before it, before the get after it. That connection closes once answered,
    though the client stays."""
    value = value_of(b"order", 1 << 20)
    fds = open_fds(proxy_pid)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        reader = Reader(s)
        s.sendall(b"set order 0 0 5\r\nsmall\r\n" + b"set order 0 0 %d\r\n%s\r\n" % (len(value), value) +
                  b"get order\r\n")
        assert reader.line() == b"STORED" and reader.line() == b"STORED"
        assert reader.line() == b"VALUE order 0 %d" % len(value), "the large set overtook the small one before it"
        assert reader.block(len(value)) == value and reader.line() == b"END"
        wait_for(lambda: open_fds(proxy_pid) <= fds + 1, "the stream's own connection closed", 10)
    print("order: a streamed set stays between the requests around it; its connection is closed")


def clients_leaving_mid_value(port, proxy_pid):
    """A client that leaves halfway through a value it sends, or one it gets, harms nobody, and the
    connection opened for the value it sent is closed."""
    fds = open_fds(proxy_pid)
    value = value_of(b"left", 32 << 20)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(b"set left-set 0 0 %d\r\n" % len(value))
        s.sendall(value[:len(value) // 2])
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(b"set left-get 0 0 %d\r\n%s\r\n" % (len(value), value))
        assert Reader(s).line() == b"STORED"
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(b"get left-get\r\n")
        s.recv(1 << 20)  # the start of the value, then gone
    client = Client(port)
    for i in range(20):  # the server connections the leavers used still serve everyone else
        client.set_get(b"after-leavers-%d" % i)
    client.close()
    wait_for(lambda: open_fds(proxy_pid) <= fds, f"the proxy's descriptors back to {fds}", 10)
    print("clients leaving mid-value: the proxy serves the next ones, and holds no more descriptors")


def main():
    binary = sys.argv[1]
    with Processes() as procs:
        server = procs.memcached(args=["-I", "128m", "-m", "512"])
        port = free_port()
        config = procs.config(f"pool:\n  listen: 127.0.0.1:{port}\n  max_value_bytes: {128 << 20}\n"
                              f"  servers:\n   - 127.0.0.1:{server}:1\n")
        proxy = procs.ringleader(binary, config, port, ["-t", "1"])
        set_and_get(port, [64 << 20], proxy.pid, "one 64 MiB value")
        set_and_get(port, [16 << 20] * 4, proxy.pid, "four 16 MiB values, pipelined")
        order_kept(port, proxy.pid)
        clients_leaving_mid_value(port, proxy.pid)
        assert proxy.poll() is None, "the proxy exited"
    print("large values: every check passed")


if __name__ == "__main__":
    main()
