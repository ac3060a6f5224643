#!/usr/bin/python3
"""One client never stalls another: a client that does not read its large replies (issue 21).

Usage: slow_reader_test.py RINGLEADER_BINARY     (exit status 0: every check passed)

A memcached (-I 4m) and a redis-server behind the proxy (one worker thread, so every client shares
one connection to each server), pools with `timeout: 5000` (the load of a busy test machine must not
time the 40 MiB of the slow reader's replies out). For each protocol:
1. A client stores a 2 MiB value `big` and a small one; a slow reader (a 4 KiB receive buffer)
   sends `get big` 20 times in one write and reads nothing. Another client's 20 reads of the small
   value are each answered with the value, while the slow reader holds its connection (before the
   fix, the shared server connection waited for the slow reader: no reply at all for 10 s).
2. The slow reader is past the pool's soft output limit (4 MiB for 1 s): it is closed, and
   client_output_limit_closed counts it. A second pool with a hard limit (8 MiB) closes such a reader
   at once.
3. The proxy's descriptors come back to their count before (or fewer).
4. A server that trickles a large value (1 KB every 50 ms) to a pool with `timeout: 400`: the
   request queued behind that value on the same connection gets the timeout error in time, although
   the value keeps moving (before, each piece put the deadline off, and it waited for ever).
"""

import json
import socket
import sys
import threading
import time

from processes import Client, Processes, free_port, open_fds, read_all, redis_command, wait_for, wait_port

BIG = 2 * 1024 * 1024


def slow_reader(port, request, copies=20):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(request * copies)
    return s


def closed_by_proxy(sock):
    """True once the proxy has closed `sock` (the bytes it had sent drain first)."""
    sock.setblocking(False)
    try:
        while chunk := sock.recv(1 << 20):
            del chunk
        return True  # EOF
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


def limit_closed(stats_port, pool):
    return json.loads(read_all(stats_port))[pool]["client_output_limit_closed"]


class RedisClient:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.buf = b""

    def call(self, *args):
        self.sock.sendall(redis_command(*args))
        while True:
            if self.buf.startswith(b"$"):
                head, _, rest = self.buf.partition(b"\r\n")
                if _ and (n := int(head[1:])) >= 0 and len(rest) >= n + 2:
                    self.buf = rest[n + 2:]
                    return rest[:n]
            elif b"\r\n" in self.buf:
                line, self.buf = self.buf.split(b"\r\n", 1)
                return line
            chunk = self.sock.recv(1 << 20)
            assert chunk, "closed by the proxy"
            self.buf += chunk


def memcache_case(port, stats_port, pool, hard):
    writer = Client(port, timeout=20)
    assert writer.call(b"set big 0 0 %d\r\n%s\r\n" % (BIG, b"b" * BIG)) == b"STORED"
    assert writer.call(b"set small 0 0 1\r\nx\r\n") == b"STORED"
    reader = slow_reader(port, b"get big\r\n")
    other = Client(port, timeout=15)  # before the fix: no reply until the slow reader left
    if not hard:
        for i in range(20):
            other.send(b"get small\r\n")
            lines = (other.line(), other.line(), other.line())
            assert lines == (b"VALUE small 0 1", b"x", b"END"), f"get small #{i}: {lines!r}"
        print(f"memcache pool {pool}: 20 reads of another client answered while the slow reader waits")
    wait_for(lambda: limit_closed(stats_port, pool) == 1, f"the slow reader of pool {pool} closed")
    wait_for(lambda: closed_by_proxy(reader), "the slow reader's connection closed", timeout=20)
    other.set_get(b"after")  # the shared server connection is as good as before
    for c in (reader, other, writer):
        c.close()


def redis_case(port, stats_port, pool):
    writer = RedisClient(port)
    assert writer.call(b"SET", b"big", b"b" * BIG) == b"+OK"
    assert writer.call(b"SET", b"small", b"x") == b"+OK"
    reader = slow_reader(port, redis_command(b"GET", b"big"))
    other = RedisClient(port)
    for i in range(20):
        assert (got := other.call(b"GET", b"small")) == b"x", f"GET small #{i}: {got[:200]!r}"
    print(f"redis pool {pool}: 20 reads of another client answered while the slow reader waits")
    wait_for(lambda: limit_closed(stats_port, pool) == 1, f"the slow reader of pool {pool} closed")
    wait_for(lambda: closed_by_proxy(reader), "the slow reader's connection closed", timeout=20)
    for c in (reader, other.sock, writer.sock):
        c.close()


def trickling_server(listener, stop):
    """Answers the first get with a 1 MB value sent 1 KB at a time, and nothing else."""
    conn, _ = listener.accept()
    with conn:
        conn.recv(4096)
        conn.sendall(b"VALUE big 0 1000000\r\n")
        while not stop.is_set():
            try:
                conn.sendall(b"t" * 1000)
            except OSError:
                return  # the proxy gave up on the connection
            time.sleep(0.05)


def trickle_case(binary, procs):
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    server = threading.Thread(target=trickling_server, args=(listener, stop), daemon=True)
    server.start()
    port = free_port()
    config = procs.config(f"trickle:\n  listen: 127.0.0.1:{port}\n  timeout: 400\n"
                          f"  servers:\n    - 127.0.0.1:{listener.getsockname()[1]}:1\n")
    procs.ringleader(binary, config, port, ["-t", "1"], name="trickle")
    big = Client(port, timeout=30)
    big.send(b"get big\r\n")
    assert big.line() == b"VALUE big 0 1000000", "the value starts"
    other = Client(port, timeout=10)
    started = time.monotonic()
    reply = other.call(b"get small\r\n")
    waited = time.monotonic() - started
    stop.set()
    assert reply.startswith(b"SERVER_ERROR") and b"timeout" in reply, reply
    print(f"trickling server: the request behind its value timed out after {waited:.2f} s (timeout 400 ms)")
    big.close()
    other.close()
    listener.close()


def main(binary):
    with Processes() as procs:
        mc = procs.memcached(args=("-m", "128", "-I", "4m"))
        rd = procs.redis()
        ports = {name: free_port() for name in ("soft", "hard", "redis")}
        stats_port = free_port()
        common = "  timeout: 5000\n  client_output_soft_limit: 4194304\n  client_output_soft_seconds: 1\n"
        config = procs.config(
            f"soft:\n  listen: 127.0.0.1:{ports['soft']}\n  max_value_bytes: 4194304\n{common}"
            f"  servers:\n    - 127.0.0.1:{mc}:1\n"
            f"hard:\n  listen: 127.0.0.1:{ports['hard']}\n  max_value_bytes: 4194304\n{common}"
            f"  client_output_limit: 8388608\n  servers:\n    - 127.0.0.1:{mc}:1\n"
            f"redis:\n  listen: 127.0.0.1:{ports['redis']}\n  redis: true\n{common}"
            f"  servers:\n    - 127.0.0.1:{rd}:1\n")
        proxy = procs.ringleader(binary, config, ports["soft"], ["-t", "1", "-s", str(stats_port)])
        for port in ports.values():
            wait_port(port)
        Client(ports["soft"]).set_get(b"warm")  # the server connection is open before fds are counted
        RedisClient(ports["redis"]).call(b"SET", b"warm", b"v")
        Client(ports["hard"]).set_get(b"warm")
        fds = open_fds(proxy.pid)
        memcache_case(ports["soft"], stats_port, "soft", hard=False)
        memcache_case(ports["hard"], stats_port, "hard", hard=True)
        redis_case(ports["redis"], stats_port, "redis")
        # At most: a server connection may have closed since (the next request opens it again).
        wait_for(lambda: open_fds(proxy.pid) <= fds, f"the proxy's descriptors back to {fds}")
        log = procs.log("ringleader")
        assert "past its output limit" in log, "the closing is logged"
        trickle_case(binary, procs)
    print("slow readers: every other client served; slow readers closed at their limit; fds back")


if __name__ == "__main__":
    main(sys.argv[1])
