"""Real client libraries against `ringleader serve`: pymemcache and redis-py (Debian's python3 packages).

Usage: clients.py MEMCACHE_PORT REDIS_PORT. Exits non-zero (with the assertion) on any mismatch.
"""
import sys

import redis
from pymemcache.client.base import Client

memcache_port, redis_port = int(sys.argv[1]), int(sys.argv[2])

mc = Client(("127.0.0.1", memcache_port), timeout=10)
values = {f"py:{i}": f"value-{i}".encode() for i in range(50)}
assert mc.set_many(values, noreply=False) == []
assert mc.get_many(list(values) + ["py:missing"]) == values
assert mc.add("py:0", b"x", noreply=False) is False
assert mc.incr("py:counter", 1) is None
mc.set("py:counter", b"41", noreply=False)
assert mc.incr("py:counter", 1) == 42
value, cas = mc.gets("py:1")
assert value == b"value-1"
assert mc.cas("py:1", b"new", cas, noreply=False) is True
assert mc.delete_many(list(values), noreply=False)
assert mc.get("py:1") is None
assert mc.version().startswith(b"ringleader")

r = redis.Redis(host="127.0.0.1", port=redis_port, socket_timeout=10)
assert r.ping()
r.mset({f"py:{i}": i for i in range(50)})
assert r.mget([f"py:{i}" for i in range(50)]) == [str(i).encode() for i in range(50)]
pipe = r.pipeline(transaction=False)
for i in range(100):
    pipe.incr("py:pipelined")
assert pipe.execute()[-1] == 100
assert r.delete(*[f"py:{i}" for i in range(50)]) == 50
# A transaction on hash-tagged keys (MULTI ... EXEC), with WATCH; a blocking pop with its timeout.
with r.pipeline(transaction=True) as tx:
    tx.watch("{py}a")
    tx.multi()
    tx.set("{py}a", 1).incr("{py}b")
    assert tx.execute() == [True, 1]
# One over keys of several servers is refused whole: EXECABORT, and no key written.
spread = [f"py:tx:{i}" for i in range(20)]
try:
    with r.pipeline(transaction=True) as tx:
        for key in spread:
            tx.set(key, 1)
        tx.execute()
    raise AssertionError("a transaction over several servers should abort")
except redis.ResponseError as e:
    assert "EXECABORT" in str(e) or "another server" in str(e), e
assert r.exists(*spread) == 0
r.rpush("{py}list", "x")
assert r.blpop(["{py}list"], timeout=1) == (b"{py}list", b"x")
assert r.blpop(["{py}list"], timeout=0.05) is None
assert r.delete("{py}a", "{py}b") == 2
# Pub/sub: a channel and a pattern, each message once.
p = r.pubsub()
p.subscribe("py:news")
p.psubscribe("py:n*")
assert [p.get_message(timeout=5)["type"] for _ in range(2)] == ["subscribe", "psubscribe"]
assert r.publish("py:news", "hi") == 2
got = [p.get_message(timeout=5) for _ in range(2)]
assert [(m["type"], m["data"]) for m in got] == [("message", b"hi"), ("pmessage", b"hi")]
p.close()
# What the library asks of the connection itself, answered by the proxy.
assert r.client_setname("py-client") and r.client_getname() == "py-client"
assert isinstance(r.client_id(), int)
assert r.info()["redis_version"] == "7.0.0" and r.info("server")["proxy"] == "ringleader"
named = redis.Redis(host="127.0.0.1", port=redis_port, client_name="named", socket_timeout=10)
assert named.client_getname() == "named"  # sent CLIENT SETNAME when it connected
try:
    redis.Redis(host="127.0.0.1", port=redis_port, db=1, socket_timeout=10).get("py:0")  # SELECT 1 on connect
    raise AssertionError("SELECT 1 should be refused")
except redis.ResponseError as e:
    assert "servers use db 0" in str(e)
# KEYS, SCAN and DBSIZE over every server.
scan_keys = {f"py:scan:{i}".encode() for i in range(20)}
r.mset({k: 1 for k in scan_keys})
assert set(r.keys("py:scan:*")) == scan_keys
assert set(r.scan_iter(match="py:scan:*", count=3)) == scan_keys
assert r.dbsize() >= len(scan_keys)
assert r.delete(*scan_keys) == len(scan_keys)
try:
    r.randomkey()
    raise AssertionError("RANDOMKEY should be refused")
except redis.ResponseError as e:
    assert "not supported by proxy" in str(e)
print("ok")
