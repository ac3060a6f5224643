"""What redis-py sees through `ringleader serve` when the server behind its subscriber and its
blocked client dies.

Usage: redis_failures.py PROXY_PORT SERVER_PORT; the pool's one server listens on SERVER_PORT and is
shut down here. Prints "ok", or exits non-zero with the assertion.
"""
import sys
import threading
import time

import redis

proxy_port, server_port = int(sys.argv[1]), int(sys.argv[2])
server = f"127.0.0.1:{server_port}"

subscriber = redis.Redis(host="127.0.0.1", port=proxy_port, socket_timeout=10).pubsub()
subscriber.subscribe("news")
assert subscriber.get_message(timeout=5)["type"] == "subscribe"

popped = []
blocked = redis.Redis(host="127.0.0.1", port=proxy_port, socket_timeout=30)


def pop():
    try:
        popped.append(blocked.blpop(["jobs"], timeout=0))
    except redis.ResponseError as e:
        popped.append(e)


waiter = threading.Thread(target=pop)
waiter.start()
direct = redis.Redis(host="127.0.0.1", port=server_port, socket_timeout=10)
for _ in range(2000):  # the pop reaches the server before it goes
    if direct.info("clients")["blocked_clients"] == 1:
        break
    time.sleep(0.01)
else:
    raise AssertionError("BLPOP never reached the server")
try:
    direct.shutdown(nosave=True)
except redis.ConnectionError:
    pass  # the server closes the connection instead of answering

# The blocked client gets an error that names the server, on a connection that stays usable.
waiter.join(timeout=30)
assert len(popped) == 1 and isinstance(popped[0], redis.ResponseError) and server in str(popped[0]), popped
# The subscriber is disconnected, so that a library that reconnects subscribes again.
try:
    message = subscriber.get_message(timeout=10)
    raise AssertionError(f"the subscriber is still connected: {message}")
except redis.ConnectionError:
    pass
print("ok")
