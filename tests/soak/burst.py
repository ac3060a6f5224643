#!/usr/bin/python3
"""A burst of new connections: COUNT connections opened at once, each sends one request; for each, the
time from its connect() to the first byte of its reply. Used by the soak and by bench/proxy/burst.

  burst.py PORT [--connections 1000] [--protocol memcache|redis] [--timeout 10]
  -> one JSON line: {"connections", "answered", "failed", "max_s", "p99_s", "p50_s", "listen_overflows"}

Run it as its own process (soak.py and bench/proxy/burst do): in the process that runs the load, the
load's threads would hold the GIL and add their own delay to every measured time.
"""

import argparse
import errno
import json
import resource
import selectors
import socket
import time


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def listen_overflows():
    """The kernel's count of connections dropped because a listen queue was full (this network
    namespace): a dropped SYN is sent again after 1 s, so a burst that overflows shows waits of 1 s,
    3 s, ... that are the accept queue's, not the time the proxy took once it accepted."""
    with open("/proc/net/netstat") as f:
        lines = [line.split() for line in f if line.startswith("TcpExt:")]
    return int(dict(zip(lines[0], lines[1])).get("ListenOverflows", 0))


def burst(port, connections, protocol="memcache", timeout=10.0):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < connections + 64:
        raise RuntimeError(f"hard fd limit {hard} is below {connections + 64}")
    selector = selectors.DefaultSelector()
    times, failed = [], 0
    overflows = listen_overflows()

    def serve_events(timeout):
        nonlocal failed
        for key, events in selector.select(timeout=timeout):
            s, (started, request) = key.fileobj, key.data
            try:
                if events & selectors.EVENT_WRITE:
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                        raise ConnectionError("connect failed")
                    s.send(request)  # a few bytes: they fit in an empty socket buffer
                    selector.modify(s, selectors.EVENT_READ, key.data)
                    continue
                if not s.recv(4096):
                    raise ConnectionError("closed before a reply")
                times.append(time.monotonic() - started)
            except OSError:
                failed += 1
            selector.unregister(s)
            s.close()

    for i in range(connections):
        if i % 16 == 0:  # replies to the first connections are seen while the last ones open
            serve_events(0)
        key = b"burst:%d" % i
        request = (b"get %s\r\n" % key if protocol == "memcache"
                   else b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key))
        s = socket.socket()
        s.setblocking(False)
        started = time.monotonic()
        if s.connect_ex(("127.0.0.1", port)) not in (0, errno.EINPROGRESS):
            failed += 1
            s.close()
            continue
        selector.register(s, selectors.EVENT_WRITE, [started, request])
    deadline = time.monotonic() + timeout
    while selector.get_map() and time.monotonic() < deadline:
        serve_events(0.1)
    failed += len(selector.get_map())  # not answered within the timeout
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    return {"connections": connections, "answered": len(times), "failed": failed,
            "max_s": max(times, default=None), "p99_s": percentile(times, 0.99), "p50_s": percentile(times, 0.5),
            "listen_overflows": listen_overflows() - overflows}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("port", type=int)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--protocol", choices=("memcache", "redis"), default="memcache")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds a connection may wait for its reply")
    args = parser.parse_args()
    print(json.dumps(burst(args.port, args.connections, args.protocol, args.timeout)))


if __name__ == "__main__":
    main()
