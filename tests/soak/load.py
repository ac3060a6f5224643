"""The soak's mixed client load: threads that pipeline requests through the proxy and check every reply.
These are the well-behaved clients: they read every reply as fast as they can.

Each client owns its keys ("NAME:N") and remembers the highest version it has written of each, so a
value read is right only if it is exactly a value written for that key (wire.written_version).
An HTTP client's GET /k/KEY must be answered with that path, its GET /bytes/N with N bytes of
upstream.py's pattern.
Outcomes are counted per request (per key of a multi-key get): ok, miss, error_reply (SERVER_ERROR,
-ERR, an HTTP 5xx: the proxy or a server said it failed), timeout (no reply within the client's
timeout), closed (the proxy closed or refused the connection), wrong_value (a value that is not one
written for the key asked, or a reply for another key: the one outcome that must never happen) and
bad_reply (bytes that are not the protocol).

Each reply's wait is timed (wire.Connection): a request whose reply, or the protocol's timeout error,
comes later than the hang bound (the pool's timeout + 1 s) is counted in `hangs`, and so is each
request left without a reply when the client's own timeout gave up on the connection (issue 21: a
slow reader froze every request to its server, and nothing counted it).
"""

import random
import threading
import time

import wire

OUTCOMES = ("ok", "miss", "error_reply", "timeout", "closed", "wrong_value", "bad_reply")

# (name, pool, style, pipeline depth, keys): the kinds of clients the soak runs, one thread each.
# A depth of 1 is a client with one request at a time, the one a heavy pipeliner must not starve.
CLIENTS = (
    ("mc-pipeline-1", "memcache", "single", 32, 1000),
    ("mc-pipeline-2", "memcache", "single", 64, 1000),
    ("mc-multiget", "memcache", "multi", 8, 400),
    ("mc-large", "memcache", "large", 24, 48),
    ("mc-one", "memcache", "single", 1, 100),
    ("redis-pipeline-1", "redis", "single", 32, 1000),
    ("redis-pipeline-2", "redis", "single", 64, 1000),
    ("redis-mget", "redis", "multi", 8, 400),
    ("redis-large", "redis", "large", 24, 48),
    ("redis-one", "redis", "single", 1, 100),
    ("http-get", "http", "single", 8, 1000),
    ("http-large", "http", "large", 4, 0),
    ("http-one", "http", "single", 1, 100),
    ("replicas-pipeline", "replicas", "single", 32, 1000),
    ("replicas-multiget", "replicas", "multi", 8, 400),
    ("warmup-pipeline", "warmup", "single", 32, 1000),
    ("etcd-pipeline", "etcd", "single", 32, 1000),
)
KEYS_PER_MULTI = 8


class Client(threading.Thread):
    def __init__(self, spec, port, protocol, stop, timeout, hang_bound, seed):
        name, _, style, depth, keys = spec  # the soak gives the pool's port and protocol
        super().__init__(name=name, daemon=True)
        self.protocol, self.style, self.depth = protocol, style, depth
        self.port = port
        self.keys = [b"%s:%d" % (name.encode(), i) for i in range(keys)]
        self.stop, self.timeout, self.hang_bound = stop, timeout, hang_bound
        self.rng = random.Random(seed)
        self.issued = {}  # key -> highest version sent in a set
        self.counts = dict.fromkeys(OUTCOMES, 0)
        self.wrong = []  # the first few wrong values, for the report
        self.garbled = []  # the first few garbled replies (what the parser said), for the report
        self.max_wait = 0.0  # the longest wait of a request for its reply (wire.Connection)
        self.hangs = 0  # requests that waited longer than hang_bound, or for ever
        self.hung = []  # the first few of them: (time.monotonic(), seconds, how it ended)
        self.error = None  # what ended the thread early
        self.closes = []  # (time.monotonic(), requests lost) of each connection the proxy closed
        self.conn = None

    def run(self):
        try:
            self._run()
        except Exception as e:  # reported by the soak, not lost in a thread
            self.error = e

    def _run(self):
        while not self.stop.is_set():
            try:
                if self.conn is None:
                    self.conn = wire.Connection(self.port, self.timeout)
            except OSError:
                self.counts["closed"] += 1
                time.sleep(0.1)
                continue
            request, ends, parsers, checks = self.batch()
            try:
                replies = self.conn.exchange(request, parsers, ends)
                failure = None
            except (TimeoutError, ConnectionError, wire.ReplyError) as e:
                replies, failure = getattr(e, "replies", []), e
            for check, reply in zip(checks, replies):
                check(reply)
            self._timed(self.conn.waits, checks, "answered")
            if failure is not None:
                kind = ("timeout" if isinstance(failure, TimeoutError)
                        else "closed" if isinstance(failure, ConnectionError) else "bad_reply")
                unanswered = checks[len(replies):]
                self.counts[kind] += sum(c.weight for c in unanswered)
                if kind == "timeout":  # gave up with no byte for `timeout` seconds: every one hung
                    self._hung(failure.head_wait, sum(c.weight for c in unanswered), "no reply (client timeout)")
                elif failure.head_wait is not None:
                    self._timed([failure.head_wait], unanswered[:1], kind)
                if kind == "closed":
                    self.closes.append((time.monotonic(), sum(c.weight for c in unanswered)))
                if kind == "bad_reply" and len(self.garbled) < 3:
                    self.garbled.append(str(failure)[:120])
                self.conn.close()
                self.conn = None
        if self.conn is not None:
            self.conn.close()

    def _timed(self, waits, checks, ending):
        for wait, check in zip(waits, checks):
            self.max_wait = max(self.max_wait, wait)
            if wait > self.hang_bound:
                self._hung(wait, check.weight, ending)

    def _hung(self, wait, requests, ending):
        self.hangs += requests
        self.max_wait = max(self.max_wait, wait)
        if len(self.hung) < 5:
            self.hung.append((time.monotonic(), round(wait, 3), ending))

    # One pipeline: the request bytes, where each request ends in them, a parser per reply, and a
    # check per reply (with .weight = the number of requests it counts).
    def batch(self):
        request, parsers, checks = [], [], []
        ends = []
        large = self.style == "large"
        for _ in range(self.depth):
            if self.protocol == "http":
                self._http_get(large, request, parsers, checks)
            elif self.style == "multi":
                keys = self.rng.sample(self.keys, KEYS_PER_MULTI)
                for key in keys:
                    self._set(key, False, request, parsers, checks)
                self._multi_get(self.rng.sample(self.keys, KEYS_PER_MULTI), request, parsers, checks)
            elif self.rng.random() < 0.5:
                self._set(self.rng.choice(self.keys), large, request, parsers, checks)
            else:
                self._get(self.rng.choice(self.keys), request, parsers, checks)
        for part in request:
            ends.append((ends[-1] if ends else 0) + len(part))
        return b"".join(request), ends, parsers, checks

    def _count(self, outcome, n=1):
        self.counts[outcome] += n

    def _value(self, key, data):
        """Counts one value read for `key`."""
        if wire.written_version(key, data, self.issued) is not None:
            self._count("ok")
        else:
            self._count("wrong_value")
            if len(self.wrong) < 5:
                self.wrong.append((key, (len(data), data[:60])))

    def _set(self, key, large, request, parsers, checks):
        version = self.issued.get(key, 0) + 1
        self.issued[key] = version
        data = wire.make_value(key, version, large)
        if self.protocol == "memcache":
            request.append(wire.mc_set(key, data))
            parsers.append(wire.mc_line)
            ok = lambda reply: reply == b"STORED"
        else:
            request.append(wire.redis_command(b"SET", key, data))
            parsers.append(wire.resp)
            ok = lambda reply: reply == "OK"
        checks.append(self._check(lambda reply: self._count("ok" if ok(reply) else "error_reply")))

    def _get(self, key, request, parsers, checks):
        if self.protocol == "memcache":
            request.append(b"get %s\r\n" % key)
            parsers.append(wire.mc_values)
            checks.append(self._check(lambda reply: self._mc_values([key], reply)))
        else:
            request.append(wire.redis_command(b"GET", key))
            parsers.append(wire.resp)
            checks.append(self._check(lambda reply: self._redis_values([key], [reply])))

    def _multi_get(self, keys, request, parsers, checks):
        if self.protocol == "memcache":
            request.append(b"get %s\r\n" % b" ".join(keys))
            parsers.append(wire.mc_values)
            checks.append(self._check(lambda reply: self._mc_values(keys, reply), len(keys)))
        else:
            request.append(wire.redis_command(b"MGET", *keys))
            parsers.append(wire.resp)
            checks.append(self._check(lambda reply: self._redis_values(keys, reply), len(keys)))

    def _http_get(self, large, request, parsers, checks):
        if large:
            size = wire.LARGE_MIN + self.rng.randrange(wire.LARGE_MAX - wire.LARGE_MIN + 1)
            path = b"/bytes/%d" % size
            right = lambda fields, body: body == wire.PATTERN[:size]
        else:
            path = b"/k/" + self.rng.choice(self.keys)
            right = lambda fields, body: body == b"%s GET %s\n" % (fields.get(b"x-upstream", b"?"), path)
        request.append(wire.http_get(path))
        parsers.append(wire.http_response)

        def check(reply):
            status, fields, body = reply
            if status >= 500:
                self._count("error_reply")
            elif status != 200:
                self._count("bad_reply")
            elif right(fields, body):
                self._count("ok")
            else:
                self._count("wrong_value")
                if len(self.wrong) < 5:
                    self.wrong.append((path, (len(body), body[:60])))
        checks.append(self._check(check))

    def _mc_values(self, keys, reply):
        kind, body = reply
        if kind == "error":
            return self._count("error_reply", len(keys))
        wanted = set(keys)
        for key, data in body:
            if key in wanted:
                wanted.discard(key)
                self._value(key, data)
            else:  # another key's reply, or a key twice
                self._count("wrong_value")
                if len(self.wrong) < 5:
                    self.wrong.append((key, (len(data), data[:60])))
        self._count("miss", len(wanted))

    def _redis_values(self, keys, replies):
        if isinstance(replies, wire.RedisError):
            return self._count("error_reply", len(keys))
        if not isinstance(replies, list) or len(replies) != len(keys):
            return self._count("bad_reply", len(keys))
        for key, reply in zip(keys, replies):
            if reply is None:
                self._count("miss")
            elif isinstance(reply, wire.RedisError):
                self._count("error_reply")
            elif isinstance(reply, bytes):
                self._value(key, reply)
            else:
                self._count("bad_reply")

    @staticmethod
    def _check(function, weight=1):
        function.weight = weight
        return function


def totals(clients):
    out = dict.fromkeys(OUTCOMES, 0)
    for c in clients:
        for k, v in list(c.counts.items()):
            out[k] += v
    out["requests"] = sum(out[k] for k in OUTCOMES)
    return out
