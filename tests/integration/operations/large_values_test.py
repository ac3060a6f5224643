#!/usr/bin/python3
"""Large memcached and Redis values stream through the proxy: its memory does not grow with the value.

Usage: large_values_test.py RINGLEADER_BINARY     (exit status 0: every check passed)

A memcached started with -I 128m (items up to 128 MiB) and -m 512, and a redis-server, each behind a
pool of the proxy that allows values as large (max_value_bytes: 128 MiB; the default is 16 MiB).
For each:
1. One 64 MiB value, set then got back byte-identical through the proxy.
2. Four 16 MiB values, the sets pipelined in one write, then the gets pipelined.
3. A streamed set between a small set and a get of the same key keeps its place in that order
   (Redis: with an argument after the value, EX, which still applies).
4. Streamed values one after another, from one client and the next, share one server connection.
5. Clients that leave halfway through a value they send or get: the proxy serves the next ones.
6. Redis: a streamed SET whose value does not end in CRLF gets Redis's protocol error, and only
   that client is closed.
Each time the proxy's peak RSS (VmHWM) while the values are set stays within GROWTH_LIMIT_MIB of its
RSS before: a value sent goes through in pieces of a buffer's size (before 2026-11 the proxy held it
whole, twice or more). While they are got, it stays within the values' size + GROWTH_LIMIT_MIB: a
server connection other clients share never waits for one client (issue 21), so a client that reads
slower than memcached sends holds, at most, what it has not read; never a second copy.
"""

import os
import socket
import sys

from processes import Client, Processes, free_port, open_fds, redis_command, status_kib, vm_rss_kib, wait_for

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


class Memcache:
    """How a set and a get look in memcached's text protocol; `after`, an expiry in seconds."""

    @staticmethod
    def set_head(key, size, after=b""):
        return b"set %s 0 %s %d\r\n" % (key, after or b"0", size)

    @staticmethod
    def set_tail(after=b""):
        return b"\r\n"

    stored = b"STORED"

    @staticmethod
    def get(key):
        return b"get %s\r\n" % key

    @staticmethod
    def read(reader, key, value):
        header = reader.line()
        assert header == b"VALUE %s 0 %d" % (key, len(value)), f"get {key!r}: {header[:80]!r}"
        assert reader.block(len(value)) == value, f"get {key!r}: the value came back changed"
        end = reader.line()
        assert end == b"END", f"get {key!r}: {end[:80]!r} instead of END"


class Redis:
    """The same in RESP; `after`, an expiry in seconds, is sent as EX after the value."""

    @staticmethod
    def set_head(key, size, after=b""):
        return b"*%d\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n" % (5 if after else 3, len(key), key, size)

    @staticmethod
    def set_tail(after=b""):
        return b"\r\n" + (b"$2\r\nEX\r\n$%d\r\n%s\r\n" % (len(after), after) if after else b"")

    stored = b"+OK"

    @staticmethod
    def get(key):
        return redis_command("GET", key)

    @staticmethod
    def read(reader, key, value):
        header = reader.line()
        assert header == b"$%d" % len(value), f"GET {key!r}: {header[:80]!r}"
        assert reader.block(len(value)) == value, f"GET {key!r}: the value came back changed"


def set_request(protocol, key, value, after=b""):
    return protocol.set_head(key, len(value), after) + value + protocol.set_tail(after)


def set_and_get(protocol, port, sizes, proxy_pid, what):
    values = {b"large-%d-%d" % (len(sizes), i): value_of(b"%d" % i, size) for i, size in enumerate(sizes)}
    before = reset_peak(proxy_pid)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        reader = Reader(s)
        for key, value in values.items():  # pipelined: every set written before any reply is read
            s.sendall(protocol.set_head(key, len(value)))
            s.sendall(value)
            s.sendall(protocol.set_tail())
        for key in values:
            reply = reader.line()
            assert reply == protocol.stored, f"set {key!r}: {reply!r}"
        set_growth_mib = (status_kib(proxy_pid, "VmHWM") - before) / 1024
        before = reset_peak(proxy_pid)
        s.sendall(b"".join(protocol.get(key) for key in values))
        for key, value in values.items():
            protocol.read(reader, key, value)
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


def order_kept(protocol, port, proxy_pid):
    """A streamed value goes on a connection of its own, yet takes its place in the client's order:
    after the small set before it, before the get after it. That connection is the one earlier
    streams used, so the proxy holds no descriptor more than the client's. An expiry sent after a
    Redis value still applies to it."""
    value = value_of(b"order", 1 << 20)
    fds = open_fds(proxy_pid)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        reader = Reader(s)
        s.sendall(set_request(protocol, b"order", b"small") + set_request(protocol, b"order", value, b"100") +
                  protocol.get(b"order"))
        assert reader.line() == protocol.stored and reader.line() == protocol.stored
        protocol.read(reader, b"order", value)
        if protocol is Redis:
            s.sendall(redis_command("TTL", "order"))
            ttl = int(reader.line()[1:])
            assert 0 < ttl <= 100, f"the EX after the streamed value was lost: TTL {ttl}"
        wait_for(lambda: open_fds(proxy_pid) <= fds + 1, "no descriptor but the client's more", 10)
    print(f"{protocol.__name__}, order: a streamed set stays between the requests around it, on a connection kept")


def bad_end_of_a_streamed_value(port, proxy_pid):
    """A Redis value that does not end in CRLF: Redis's protocol error, then that client is closed,
    and so is the connection its value went on."""
    fds = open_fds(proxy_pid)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(Redis.set_head(b"bad-end", 1 << 20) + b"x" * (1 << 20) + b"XX")
        reader = Reader(s)
        assert reader.line() == b"-ERR Protocol error: bulk string not terminated by CRLF"
        assert s.recv(100) == b"", "the client's connection stays open after a protocol error"
    client = Client(port)
    client.send(redis_command("SET", "after-bad-end", "v") + redis_command("GET", "after-bad-end"))
    assert client.line() == b"+OK" and client.line() == b"$1" and client.line() == b"v"
    client.close()
    wait_for(lambda: open_fds(proxy_pid) <= fds, f"the proxy's descriptors back to {fds}", 10)
    print("Redis, bad end of a streamed value: the protocol error, then only that client closed")


def connections_accepted(protocol, server_port):
    """How many connections the server accepted since it started, this one (the question) included."""
    client = Client(server_port)
    if protocol is Memcache:
        client.send(b"stats\r\n")
        stats = dict(line.split(b" ")[1:3] for line in iter(client.line, b"END"))
        count = int(stats[b"total_connections"])
    else:
        client.send(redis_command("INFO", "stats"))
        info = client.exact(int(client.line()[1:]) + 2).decode()
        count = int(info.split("total_connections_received:")[1].split()[0])
    client.close()
    return count


def streams_share_a_connection(protocol, port, server_port):
    """Streamed values one after another, from one client or from the next, go on the connection the
    first one opened: not a connection to the server per value (each a connect, and a socket left in
    TIME_WAIT, which at hundreds of values a second runs out of local ports)."""
    value = value_of(b"shared", 300 << 10)  # over the 256 KiB above which a value streams
    before = connections_accepted(protocol, server_port)
    for c in range(3):
        with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
            reader = Reader(s)
            for i in range(5):
                key = b"shared-%d-%d" % (c, i)
                s.sendall(set_request(protocol, key, value) + protocol.get(key))
                assert reader.line() == protocol.stored, f"set {key!r}"
                protocol.read(reader, key, value)
    opened = connections_accepted(protocol, server_port) - before - 1  # the question's own aside
    assert opened <= 1, f"15 streamed values opened {opened} connections to the server"
    print(f"{protocol.__name__}, 15 streamed values from 3 clients: {opened} server connection(s) opened")


def clients_leaving_mid_value(protocol, port, proxy_pid):
    """A client that leaves halfway through a value it sends, or one it gets, harms nobody, and the
    connection its value went on is closed (its server waits for the rest of the value)."""
    fds = open_fds(proxy_pid)
    value = value_of(b"left", 32 << 20)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(protocol.set_head(b"left-set", len(value)))
        s.sendall(value[:len(value) // 2])
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(set_request(protocol, b"left-get", value))
        assert Reader(s).line() == protocol.stored
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(protocol.get(b"left-get"))
        s.recv(1 << 20)  # the start of the value, then gone
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        reader = Reader(s)
        for i in range(20):  # the server connections the leavers used still serve everyone else
            key = b"after-leavers-%d" % i
            s.sendall(set_request(protocol, key, key) + protocol.get(key))
            assert reader.line() == protocol.stored
            protocol.read(reader, key, key)
    wait_for(lambda: open_fds(proxy_pid) <= fds, f"the proxy's descriptors back to {fds}", 10)
    print(f"{protocol.__name__}, clients leaving mid-value: the proxy serves the next ones, and holds no more descriptors")


def main():
    binary = sys.argv[1]
    with Processes() as procs:
        memcached = procs.memcached(args=["-I", "128m", "-m", "512"])
        redis = procs.redis()
        ports = {Memcache: free_port(), Redis: free_port()}
        config = procs.config(
            f"memcache:\n  listen: 127.0.0.1:{ports[Memcache]}\n  max_value_bytes: {128 << 20}\n"
            f"  servers:\n   - 127.0.0.1:{memcached}:1\n"
            f"redis:\n  listen: 127.0.0.1:{ports[Redis]}\n  redis: true\n  max_value_bytes: {128 << 20}\n"
            f"  servers:\n   - 127.0.0.1:{redis}:1\n")
        proxy = procs.ringleader(binary, config, ports[Memcache], ["-t", "1"])
        for protocol, port in ports.items():
            name = protocol.__name__
            set_and_get(protocol, port, [64 << 20], proxy.pid, f"{name}, one 64 MiB value")
            set_and_get(protocol, port, [16 << 20] * 4, proxy.pid, f"{name}, four 16 MiB values, pipelined")
            order_kept(protocol, port, proxy.pid)
            streams_share_a_connection(protocol, port, memcached if protocol is Memcache else redis)
            clients_leaving_mid_value(protocol, port, proxy.pid)
        bad_end_of_a_streamed_value(ports[Redis], proxy.pid)
        assert proxy.poll() is None, "the proxy exited"
    print("large values: every check passed")


if __name__ == "__main__":
    main()
