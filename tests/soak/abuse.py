"""The soak's abusive clients (issue 21), one thread each, beside the well-behaved load (load.py):

- slow-reader: a 4 KiB receive buffer; pipelines gets of 1 MiB values (more than the pool's soft
  output limit, or more than its hard limit, in turn) and reads 16 bytes every half second for 3 to
  6 s; then it reads what is there (up to 8 MiB, for 0.5 s) to see whether the proxy closed it
  (past its output limit), and leaves. An HTTP slow reader asks for two bodies of that size.
- leaves-mid-reply: pipelines gets of 1 MiB values, reads part of the replies, leaves.
- half-sent: sends part of a request carrying a 1 MiB value (memcached set, Redis SET, HTTP PUT),
  waits, leaves.
- reset: pipelines gets of 1 MiB values and at once closes with an RST (SO_LINGER 0).
Each leaves with a FIN or an RST, at random. An HTTP abuser asks for upstream.py's /bytes/N bodies.

Nothing they get is checked: what they must not do is delay the well-behaved clients (the soak's
hang check), hold the proxy's memory or descriptors after they left (its baseline checks), or crash
it. Counted per client: rounds, and how each round ended (closed by the proxy, left with a FIN,
left with an RST, could not connect).
"""

import random
import socket
import threading
import time

import wire

BIG = wire.LARGE_MAX  # 1 MiB: over the size above which the proxy streamed a value before issue 21
BIG_KEYS = 8  # per abuser, spread over the pool's servers

# (kind, pool): the abusers the soak runs. Three slow readers on the memcache pool and two on the
# others, so that each of the proxy's two worker threads has one most of the time.
ABUSERS = (
    ("slow-reader", "memcache"), ("slow-reader", "memcache"), ("slow-reader", "memcache"),
    ("leaves-mid-reply", "memcache"), ("half-sent", "memcache"), ("reset", "memcache"),
    ("slow-reader", "redis"), ("slow-reader", "redis"),
    ("leaves-mid-reply", "redis"), ("half-sent", "redis"), ("reset", "redis"),
    ("slow-reader", "http"), ("slow-reader", "http"),
    ("leaves-mid-reply", "http"), ("half-sent", "http"), ("reset", "http"),
    ("slow-reader", "replicas"),
)
ENDINGS = ("closed_by_proxy", "fin", "rst", "connect_failed")


class Abuser(threading.Thread):
    def __init__(self, kind, pool, port, protocol, stop, soft_limit, hard_limit, seed):
        super().__init__(name=f"{kind}-{pool}-{seed}", daemon=True)
        self.kind, self.pool, self.port, self.protocol = kind, pool, port, protocol
        self.stop = stop
        # A slow reader's pipeline: over the soft limit (closed after its seconds) or over the hard one
        # (closed at once), in turn; without limits in the config (a build from before issue 21),
        # the sizes the soak would give them.
        self.pipelines = [soft_limit + 4 * BIG, hard_limit + 4 * BIG]
        self.rng = random.Random(seed)
        self.keys = [b"abuse:%d:%d" % (seed, i) for i in range(BIG_KEYS)]
        self.stored_at = None
        self.rounds = 0
        self.endings = dict.fromkeys(ENDINGS, 0)
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                self.rounds += 1
                getattr(self, self.kind.replace("-", "_"))()
                self.stop.wait(0.1)
        except Exception as e:  # reported by the soak, not lost in a thread
            self.error = e

    # --- the kinds ----------------------------------------------------------------------------
    def slow_reader(self):
        self.store_big_values()
        sock = self.connect(small_receive_buffer=True)
        if sock is None:
            return
        pipeline = self.pipelines[self.rounds % 2]
        if self.protocol == "http":
            request = wire.http_get(b"/bytes/%d" % (pipeline // 2)) * 2
        else:
            request = self.gets(pipeline // BIG)
        self.send_some(sock, request, 2.0)
        hold = time.monotonic() + self.rng.uniform(3.0, 6.0)
        while time.monotonic() < hold and not self.stop.is_set():
            if self.read(sock, 16) is None:
                return self.ended(sock, "closed_by_proxy")
            self.stop.wait(0.5)
        # Past its limit, the proxy dropped what it held for us and closed: what is left to read is
        # what the kernels buffer, then the end. Still served, there is far more than 8 MiB to come.
        drained, deadline = 0, time.monotonic() + 0.5
        while drained < 8 * BIG and time.monotonic() < deadline:
            got = self.read(sock, 1 << 20)
            if got is None:
                return self.ended(sock, "closed_by_proxy")
            drained += got
            if not got:
                self.stop.wait(0.01)
        self.leave(sock)

    def leaves_mid_reply(self):
        self.store_big_values()
        sock = self.connect()
        if sock is None:
            return
        self.send_some(sock, self.gets(4), 2.0)
        want, got = self.rng.randrange(1, 3 * BIG), 0
        deadline = time.monotonic() + 5.0
        while got < want and time.monotonic() < deadline and not self.stop.is_set():
            try:
                chunk = sock.recv(min(1 << 16, want - got))
            except BlockingIOError:
                self.stop.wait(0.01)
                continue
            except OSError:
                return self.ended(sock, "closed_by_proxy")
            if not chunk:
                return self.ended(sock, "closed_by_proxy")
            got += len(chunk)
        self.leave(sock)

    def half_sent(self):
        sock = self.connect()
        if sock is None:
            return
        key = self.keys[0] + b":half"
        if self.protocol == "memcache":
            head = b"set %s 0 0 %d\r\n" % (key, BIG)
        elif self.protocol == "redis":
            head = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n" % (len(key), key, BIG)
        else:
            head = b"PUT /up/%s HTTP/1.1\r\nHost: soak\r\nContent-Length: %d\r\n\r\n" % (key, BIG)
        self.send_some(sock, head + b"h" * self.rng.randrange(1, BIG), 2.0)
        self.stop.wait(self.rng.uniform(0.5, 2.0))
        self.leave(sock)

    def reset(self):
        self.store_big_values()
        sock = self.connect()
        if sock is None:
            return
        self.send_some(sock, self.gets(4), 1.0)
        self.stop.wait(self.rng.uniform(0.0, 0.2))
        wire.reset(sock)
        self.endings["rst"] += 1
        self.stop.wait(0.2)

    # --- helpers --------------------------------------------------------------------------------
    def connect(self, small_receive_buffer=False):
        sock = socket.socket()
        if small_receive_buffer:  # before connect(), so that the window is small from the start
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        try:
            sock.settimeout(5.0)
            sock.connect(("127.0.0.1", self.port))
        except OSError:
            sock.close()
            self.endings["connect_failed"] += 1
            self.stop.wait(0.5)
            return None
        sock.setblocking(False)
        return sock

    def gets(self, count):
        """`count` pipelined reads of this abuser's 1 MiB values."""
        out = []
        for i in range(count):
            key = self.keys[i % len(self.keys)]
            if self.protocol == "memcache":
                out.append(b"get %s\r\n" % key)
            elif self.protocol == "redis":
                out.append(wire.redis_command(b"GET", key))
            else:
                out.append(wire.http_get(b"/bytes/%d" % BIG))
        return b"".join(out)

    def store_big_values(self):
        """Writes this abuser's 1 MiB values (again every few seconds: a restarted server lost them)."""
        if self.protocol == "http" or (self.stored_at and time.monotonic() - self.stored_at < 5.0):
            return
        self.stored_at = time.monotonic()
        try:
            conn = wire.Connection(self.port, 10.0)
        except OSError:
            return
        try:
            if self.protocol == "memcache":
                request = b"".join(wire.mc_set(k, b"b" * BIG) for k in self.keys)
                conn.exchange(request, [wire.mc_line] * len(self.keys))
            else:
                request = b"".join(wire.redis_command(b"SET", k, b"b" * BIG) for k in self.keys)
                conn.exchange(request, [wire.resp] * len(self.keys))
        except (TimeoutError, ConnectionError, wire.ReplyError):
            pass  # a server down: the next round writes them again
        finally:
            conn.close()

    def send_some(self, sock, data, seconds):
        """Writes what the proxy takes of `data` within `seconds`."""
        view = memoryview(data)
        deadline = time.monotonic() + seconds
        while view and time.monotonic() < deadline and not self.stop.is_set():
            try:
                view = view[sock.send(view[:1 << 20]):]
            except BlockingIOError:
                self.stop.wait(0.01)
            except OSError:
                return

    @staticmethod
    def read(sock, size):
        """Bytes read now (0 if none are there), or None once the proxy closed the connection."""
        try:
            return len(sock.recv(size)) or None
        except BlockingIOError:
            return 0
        except OSError:  # reset by the proxy
            return None

    def leave(self, sock):
        if self.rng.random() < 0.5:
            wire.reset(sock)
            self.endings["rst"] += 1
        else:
            sock.close()
            self.endings["fin"] += 1

    def ended(self, sock, how):
        sock.close()
        self.endings[how] += 1
