#!/usr/bin/python3
"""`protocol: http` pools against real upstreams and real clients.

Usage: http_pool_test.py RINGLEADER_BINARY [BODY_MIB]    (exit status 0: every check passed)

Upstreams are upstream.py processes that answer with their own name; clients are raw sockets
(http_client.py), Python's http.client, and curl. Checked, each against what the proxy must do:
1. placement: every URI reaches the server `ringleader locate` names, always the same one;
   http_key: header:X-User places by that header, and a request without it gets 400 (reject).
2. pipelining and keep-alive: 40 requests written at once come back in order on one connection;
   a client's Connection: close closes it after the response.
3. forwarding: hop-by-hop fields removed (Connection and what it names, Keep-Alive, TE, Upgrade,
   Proxy-*), X-Forwarded-For and Via added; HEAD; PUT and POST bodies with Content-Length.
4. smuggling shapes: 400 and the connection closed, the upstream never asked; a head over
   max_line_bytes: 431.
5. large bodies, Content-Length and chunked, both ways (BODY_MIB MiB, 64 by default), byte-exact,
   with curl's Expect: 100-continue; the proxy's peak RSS grows by less than GROWTH_LIMIT_MIB.
6. failures: unreachable upstream 502, slow upstream 504, no live server 503; a GET on a refusing
   server is retried on the key's next server, a POST is not.
7. ejection and return: a killed upstream is ejected (its keys go elsewhere), and taken back by the
   health check (GET /health) once it answers again.
8. 32 concurrent keep-alive clients, 40 requests each, every answer from the right server; the
   stats port counts the responses, and the retries (replica_failovers).
9. hot reload adding a fourth server: about a quarter of the keys move, all to the new server.
10. request rules (RFC 9112, as nginx): HTTP/1.1 without Host and two Host fields get 400 and the
   connection closes; an HTTP/1.0 request without Host reaches its server with one; an HTTP/1.0
   client that asks for keep-alive is told so and kept (`ab -k`: every request answered); fields
   whose names hold '_' are dropped, unless the pool's http_underscores_in_headers keeps them.
11. upstreams that close: a response with Connection: close ends its connection, so the next
   request opens a new one (the proxy never sends into a connection being closed, so it never sees
   its end: server_eof stays); a kept-alive connection closed before replying gets an idempotent
   request sent again to the same server on a new connection (RFC 9112 §9.3.1), not counted as a
   failure nor retried elsewhere; a POST there gets 502, as nginx does. A response without a
   length (it ends at the server's close) is passed on byte-exact: re-framed in chunks to an
   HTTP/1.1 client, whose connection stays for its next request; as it came to an HTTP/1.0 one,
   whose connection closes after it (said: Connection: close); not a server failure. An
   HTTP/1.0 client never gets a chunked body: its request goes on as HTTP/1.0 (as nginx's does).
12. client timeouts (client_header_timeout 1 s, client_idle_timeout 1.5 s here): 50 slowloris
   connections (a byte every 0.3 s) are closed, while a normal client is served; an idle
   connection is closed, not before its time; a client waiting 5 s for a slow server is not; no
   fd of the pool's clients stays open in the proxy.
13. WebSocket (python3-websockets as client and server): the handshake reaches the key's server, a
   101 makes the connection a tunnel (text and binary messages of up to 1 MiB echoed, both ways at
   once), the server closing it closes the client's, and a client leaving (no close frame) closes
   the server's: no fd of a tunnel stays open in the proxy;
   a tunnel idle past the pool's timeout is closed, not counted against its server; a handshake a
   server refuses gets its response and the connection closes after it.
14. http_max_connections 1: requests pipelined on one client connection (so one worker) wait for
   the one connection to their server, in order, and are answered by it; one still waiting after
   the pool's timeout gets 503; the worker never has more than one connection to that server.
15. no request waits behind another's: a small GET to a server that is sending a 256 MiB body to a
   slow reader, or that takes 3 s over another request, is answered while that one is still under
   way (each request has a connection of its own).
"""

import asyncio
import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "operations"))
from processes import (Processes, free_port, read_all, status_kib, tcp_connections, vm_rss_kib,  # noqa: E402
                       wait_for, wait_port)
from http_client import Connection, get  # noqa: E402

# Under ASan freed blocks wait in its quarantine, so RSS says little: there only gross growth fails.
GROWTH_LIMIT_MIB = 400 if os.environ.get("RINGLEADER_UNDER_ASAN") else 16
PATTERN = bytes(range(256)) * 4096  # what upstream.py sends: 1 MiB


def config(pools):
    out = []
    for name, settings in pools.items():
        out.append(f"{name}:")
        for key, value in settings.items():
            if key == "servers":
                out.append("  servers:")
                out += [f"    - {s}" for s in value]
            else:
                out.append(f"  {key}: {value}")
    return "\n".join(out) + "\n"


class Test:
    def __init__(self, binary, procs, body_mib):
        self.binary, self.procs, self.body_mib = binary, procs, body_mib
        self.upstreams = {}  # name -> (port, process)
        for name in ("a", "b", "c", "d", "e"):
            self.upstream(name)
        self.dead = free_port()  # nothing listens there
        self.ws_servers = [free_port(), free_port()]  # the WebSocket echo servers (step 13) listen there
        self.ports = {p: free_port() for p in ("web", "users", "dead", "slow", "eject", "retry", "underscores",
                                               "closes", "timeouts", "ws", "ws_idle", "capped")}
        self.pools = {
            "web": {"listen": f"127.0.0.1:{self.ports['web']}", "protocol": "http", "distribution": "ketama",
                    "timeout": 5000, "max_line_bytes": 8192, "servers": [self.line("a"), self.line("b"), self.line("c")]},
            "users": {"listen": f"127.0.0.1:{self.ports['users']}", "protocol": "http", "distribution": "ring",
                      "http_key": "header:X-User", "http_key_missing": "reject",
                      "servers": [self.line("a"), self.line("b"), self.line("c")]},
            "dead": {"listen": f"127.0.0.1:{self.ports['dead']}", "protocol": "http", "http_retries": 0,
                     "auto_eject_hosts": "true", "server_failure_limit": 1, "server_retry_timeout": 60000,
                     "servers": [f"127.0.0.1:{self.dead}:1 nobody"]},
            "slow": {"listen": f"127.0.0.1:{self.ports['slow']}", "protocol": "http", "timeout": 300,
                     "servers": [self.line("a")]},
            "eject": {"listen": f"127.0.0.1:{self.ports['eject']}", "protocol": "http", "distribution": "ketama",
                      "auto_eject_hosts": "true", "server_failure_limit": 1, "server_retry_timeout": 200,
                      "health_check_path": "/health", "http_retries": 0,
                      "servers": [self.line("c"), self.line("d")]},
            "retry": {"listen": f"127.0.0.1:{self.ports['retry']}", "protocol": "http", "distribution": "ketama",
                      "http_retries": 1, "servers": [self.line("b"), f"127.0.0.1:{self.dead}:1 nobody"]},
            "underscores": {"listen": f"127.0.0.1:{self.ports['underscores']}", "protocol": "http",
                            "http_underscores_in_headers": "true", "servers": [self.line("a")]},
            "closes": {"listen": f"127.0.0.1:{self.ports['closes']}", "protocol": "http", "distribution": "ketama",
                       "http_retries": 1, "timeout": 5000, "auto_eject_hosts": "true", "server_failure_limit": 1,
                       "server_retry_timeout": 60000, "servers": [self.line("a"), self.line("b")]},
            "timeouts": {"listen": f"127.0.0.1:{self.ports['timeouts']}", "protocol": "http", "timeout": 10000,
                         "client_header_timeout": 1000, "client_idle_timeout": 1500, "servers": [self.line("a")]},
            "ws": {"listen": f"127.0.0.1:{self.ports['ws']}", "protocol": "http", "distribution": "ketama", "timeout": 5000,
                   "servers": [f"127.0.0.1:{self.ws_servers[0]}:1 ws0", f"127.0.0.1:{self.ws_servers[1]}:1 ws1"]},
            "capped": {"listen": f"127.0.0.1:{self.ports['capped']}", "protocol": "http", "timeout": 1500,
                       "http_max_connections": 1, "server_connections": 1, "servers": [self.line("e")]},
            "ws_idle": {"listen": f"127.0.0.1:{self.ports['ws_idle']}", "protocol": "http", "timeout": 1000,
                        "auto_eject_hosts": "true", "server_failure_limit": 1,
                        "servers": [f"127.0.0.1:{self.ws_servers[0]}:1 ws0"]},
        }
        self.config_path = procs.config(config(self.pools))
        self.stats_port = free_port()
        self.proxy = procs.ringleader(binary, self.config_path, self.ports["web"], ["-s", str(self.stats_port)])
        for port in self.ports.values():
            wait_port(port, process=self.proxy)
        self.web = self.ports["web"]

    def upstream(self, name, port=None):
        """Starts upstream NAME (on `port`, to restart one that was killed). A free port can be taken
        by another process before the upstream binds it: then it exits, and another port is tried."""
        for attempt in range(3):
            chosen = port or free_port()
            path = os.path.join(self.procs.dir, f"upstream-{name}-{chosen}-{attempt}.log")
            with open(path, "wb") as log:
                p = subprocess.Popen([sys.executable, os.path.join(HERE, "upstream.py"), str(chosen), name],
                                     stdout=log, stderr=subprocess.STDOUT, cwd=self.procs.dir)
            self.procs.procs.append(p)
            try:
                wait_port(chosen, timeout=30, process=p)
            except RuntimeError:
                if p.poll() is None:
                    p.kill()
                p.wait(timeout=10)
                with open(path, errors="replace") as f:
                    print(f"upstream {name} did not listen on {chosen}: {f.read()[-500:]}")
                if attempt == 2:
                    raise
                time.sleep(0.5)
                continue
            self.upstreams[name] = (chosen, p)
            return chosen

    def line(self, name):
        return f"127.0.0.1:{self.upstreams[name][0]}:1 {name}"

    def locate(self, pool, keys):
        out = subprocess.run([self.binary, "locate", "-c", self.config_path, "--pool", pool, *keys],
                             check=True, capture_output=True, text=True, timeout=30).stdout
        return {line.split("\t")[0]: line.split()[-1] for line in out.splitlines()}

    # 1
    def placement(self):
        keys = [f"/obj/{i}?v={i % 7}" for i in range(200)]
        where = self.locate("web", keys)
        with Connection(self.web) as c:
            for key in keys:
                c.send(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % key.encode())
                status, headers, body = c.response()
                assert status == 200 and headers["x-upstream"] == where[key], (key, status, headers, where[key])
        assert len(set(where.values())) == 3, where
        users = self.locate("users", ["alice", "bob", "carol", "dave"])
        for user, server in users.items():
            status, headers, _ = get(self.ports["users"], b"/same/path", b"X-User: %s\r\n" % user.encode())
            assert status == 200 and headers["x-upstream"] == server, (user, status, headers)
        status, _, body = get(self.ports["users"], b"/same/path")
        assert status == 400 and b"no key" in body, (status, body)
        print("placement: 200 URIs and 4 X-User keys on the server `locate` names; no key: 400")

    # 2
    def pipelining(self):
        keys = [f"/pipe/{i}" for i in range(40)]
        where = self.locate("web", keys)
        with Connection(self.web) as c:
            c.send(b"".join(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % k.encode() for k in keys))
            for key in keys:
                status, headers, body = c.response()
                assert (status, body) == (200, f"{where[key]} GET {key}\n".encode()), (key, status, body)
                assert "connection" not in headers, headers  # the server's connection is not the client's
            c.send(b"GET /last HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            status, headers, _ = c.response()
            assert status == 200 and headers.get("connection") == "close", headers  # RFC 9112 §9.6
            assert c.closed(), "Connection: close must close the connection after the response"
        print("pipelining: 40 requests in one write answered in order; Connection: close honoured and said")

    # 3
    def forwarding(self):
        status, headers, _ = get(self.web, b"/fields", b"Connection: keep-alive, X-Secret\r\nX-Secret: 1\r\n"
                                 b"Keep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: x\r\n"
                                 b"Upgrade: h2c\r\nX-Forwarded-For: 10.0.0.1\r\nVia: 1.0 edge\r\nX-Kept: yes\r\n")
        seen = {name.lower(): value for name, value in json.loads(headers["x-seen-headers"])}
        for gone in ("connection", "x-secret", "keep-alive", "te", "proxy-authorization", "upgrade"):
            assert gone not in seen, (gone, seen)
        assert seen["x-kept"] == "yes" and seen["x-forwarded-for"] == "10.0.0.1, 127.0.0.1", seen
        assert "1.1 ringleader" in seen["via"], seen
        with Connection(self.web) as c:
            c.send(b"HEAD /h HTTP/1.1\r\nHost: t\r\n\r\nGET /after-head HTTP/1.1\r\nHost: t\r\n\r\n")
            status, headers, body = c.response(head=True)
            assert status == 200 and body == b"" and int(headers["content-length"]) > 0, (status, headers)
            assert c.response()[2].endswith(b"GET /after-head\n")
            for method in (b"PUT", b"POST"):
                data = os.urandom(100_000)
                c.send(b"%s /body HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s" % (method, len(data), data))
                status, _, body = c.response()
                assert status == 200 and body.split()[1:] == [b"100000", hashlib.sha256(data).hexdigest().encode()], body
        print("forwarding: hop-by-hop fields dropped, X-Forwarded-For and Via added, HEAD, PUT and POST bodies")

    # 4
    def smuggling(self):
        shapes = [
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd",
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4x\r\n\r\nabcd",
            b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked, x\r\n\r\n0\r\n\r\n",
            b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nZ\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n folded: 2\r\n\r\n",
            b"GET / HTTP/1.1\nHost: t\n\n",
            b"GET / HTTP/1.1\r\nHost: t\nX-A: 1\r\n\r\n",
        ]
        for shape in shapes:
            with Connection(self.web) as c:
                c.send(shape + b"GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n")
                status, headers, body = c.response()
                assert status == 400 and headers.get("connection") == "close" and body.strip(), (shape, status, body)
                assert c.closed(), f"the connection must close after 400: {shape!r}"
        with Connection(self.web) as c:
            c.send(b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"x" * 9000 + b"\r\n\r\n")
            status, _, body = c.response()
            assert status == 431 and b"8192" in body and c.closed(), (status, body)
        print(f"smuggling: {len(shapes)} shapes refused with 400 and the connection closed; 9000-byte field: 431")

    # 5
    def large_bodies(self):
        size = self.body_mib << 20
        pid = self.proxy.pid
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")  # VmHWM := VmRSS
        before = vm_rss_kib(pid)
        path = os.path.join(self.procs.dir, "body")
        with open(path, "wb") as f:
            for i in range(self.body_mib):
                f.write(PATTERN[i % 256:] + PATTERN[:i % 256])
        expected = hashlib.sha256()
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                expected.update(block)
        for chunked in (False, True):
            # curl sends Expect: 100-continue before a body this large; the proxy answers 100 itself.
            extra = ["-H", "Transfer-Encoding: chunked"] if chunked else []
            out = subprocess.run(["curl", "-sS", "-m", "120", "-T", path, *extra, f"http://127.0.0.1:{self.web}/upload"],
                                 check=True, capture_output=True, timeout=150).stdout.split()
            assert out[1:] == [str(size).encode(), expected.hexdigest().encode()], (chunked, out)
        for kind in ("bytes", "chunked"):
            digest, got = hashlib.sha256(), [0]

            def sink(piece):
                digest.update(piece)
                got[0] += len(piece)

            with Connection(self.web, timeout=120) as c:
                c.send(b"GET /%s/%d HTTP/1.1\r\nHost: t\r\n\r\n" % (kind.encode(), size))
                status, headers, _ = c.response(sink=sink)
            want = hashlib.sha256()
            n = size
            while n:
                want.update(PATTERN[:min(n, 65536 if kind == "chunked" else len(PATTERN))])
                n -= min(n, 65536 if kind == "chunked" else len(PATTERN))
            assert status == 200 and got[0] == size and digest.hexdigest() == want.hexdigest(), (kind, status, got)
        growth = (status_kib(pid, "VmHWM") - before) / 1024
        assert growth < GROWTH_LIMIT_MIB, f"the proxy's peak RSS grew by {growth:.1f} MiB moving {self.body_mib} MiB bodies"
        print(f"large bodies: {self.body_mib} MiB up (Content-Length, chunked, Expect: 100-continue) and down "
              f"(Content-Length, chunked), byte-exact; peak RSS growth {growth:.1f} MiB")

    # 6
    def failures(self):
        status, _, body = get(self.ports["dead"], b"/x")
        assert status == 502 and b"cannot connect" in body and b"127.0.0.1" not in body, (status, body)
        wait_for(lambda: get(self.ports["dead"], b"/x")[0] == 503, "the dead server's ejection (503)")
        status, _, body = get(self.ports["dead"], b"/x")
        assert b"no live server" in body, body
        status, _, body = get(self.ports["slow"], b"/slow")
        assert status == 504 and b"timeout" in body, (status, body)
        keys = [f"/r/{i}" for i in range(40)]
        on_dead = [k for k, s in self.locate("retry", keys).items() if s == "nobody"]
        assert on_dead, "some keys must be placed on the dead server"
        for key in on_dead:
            status, headers, _ = get(self.ports["retry"], key.encode())
            assert status == 200 and headers["x-upstream"] == "b", (key, status)
            with Connection(self.ports["retry"]) as c:
                c.send(b"POST %s HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi" % key.encode())
                status, _, body = c.response()
                assert status == 502, (key, status, body)
        print(f"failures: 502 unreachable, 503 no live server, 504 timeout; {len(on_dead)} GETs retried on the "
              "next server, their POSTs not")

    # 7
    def ejection(self):
        keys = [f"/e/{i}" for i in range(60)]
        where = self.locate("eject", keys)
        on_d = [k for k in keys if where[k] == "d"]
        port, process = self.upstreams["d"]
        process.kill()
        process.wait(timeout=10)
        for key in on_d[:2]:  # the first failure ejects it (server_failure_limit: 1)
            get(self.ports["eject"], key.encode())
        for key in on_d:
            status, headers, _ = get(self.ports["eject"], key.encode())
            assert status == 200 and headers["x-upstream"] == "c", (key, status)
        self.upstream("d", port)
        wait_for(lambda: get(self.ports["eject"], on_d[0].encode())[1].get("x-upstream") == "d",
                 "the health check taking d back", timeout=20)
        for key in on_d:
            assert get(self.ports["eject"], key.encode())[1]["x-upstream"] == "d", key
        print(f"ejection: {len(on_d)} keys of a killed upstream served by the other, and back once GET /health passed")

    # 8
    def concurrency(self):
        keys = [f"/many/{i}" for i in range(40)]
        where = self.locate("web", keys)
        errors = []

        def client():
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.web, timeout=20)
                for key in keys:
                    conn.request("GET", key)
                    response = conn.getresponse()
                    body = response.read()
                    if response.status != 200 or response.getheader("X-Upstream") != where[key]:
                        errors.append((key, response.status, body))
                conn.close()
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append(repr(e))

        threads = [threading.Thread(target=client) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors and not any(t.is_alive() for t in threads), errors[:5]
        stats = json.loads(read_all(self.stats_port))
        responses = sum(stats["web"][name]["responses"] for name in ("a", "b", "c"))
        assert responses >= 32 * 40 and stats["retry"]["replica_failovers"] >= 1, (responses, stats["retry"])
        print(f"concurrency: 32 keep-alive clients x 40 requests, each answered by its key's server; "
              f"stats: {responses} responses from the web pool's servers")

    # 9
    def reload(self):
        keys = [f"/reload/{i}" for i in range(2000)]
        before = self.locate("web", keys)
        self.pools["web"]["servers"].append(self.line("d"))
        with open(self.config_path, "w") as f:
            f.write(config(self.pools))
        after = self.locate("web", keys)
        self.proxy.send_signal(signal.SIGHUP)
        sample = [k for k in keys if before[k] != after[k]][:20] + [k for k in keys if before[k] == after[k]][:20]
        wait_for(lambda: get(self.web, sample[0].encode())[1].get("x-upstream") == after[sample[0]], "the reload")
        for key in sample:
            assert get(self.web, key.encode())[1]["x-upstream"] == after[key], key
        moved = [k for k in keys if before[k] != after[k]]
        assert all(after[k] == "d" for k in moved), "keys may move only to the new server"
        share = len(moved) / len(keys)
        assert 0.15 < share < 0.35, f"{share:.0%} of the keys moved; about 1/4 should"
        print(f"reload: a fourth server added; {share:.1%} of 2000 keys moved, all to it; 40 checked live")


    # 10
    def request_rules(self):
        for request, why in ((b"GET /r HTTP/1.1\r\n\r\n", b"without Host"),
                             (b"GET /r HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", b"more than one Host")):
            with Connection(self.web) as c:
                c.send(request + b"GET /after HTTP/1.1\r\nHost: t\r\n\r\n")
                status, headers, body = c.response()
                assert status == 400 and why in body and headers.get("connection") == "close", (request, status, body)
                assert c.closed(), request
        with Connection(self.web) as c:  # HTTP/1.0 without Host: one is added; no keep-alive asked: closed
            c.send(b"GET /old HTTP/1.0\r\n\r\n")
            status, headers, _ = c.response()
            seen = {name.lower(): value for name, value in json.loads(headers["x-seen-headers"])}
            server = headers["x-upstream"]
            assert status == 200 and seen.get("host") == f"127.0.0.1:{self.upstreams[server][0]}", (status, seen)
            assert c.closed()
        with Connection(self.web) as c:  # HTTP/1.0 keep-alive: said, and kept
            for i in range(3):
                c.send(b"GET /ka%d HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n" % i)
                status, headers, body = c.response()
                assert status == 200 and headers.get("connection") == "keep-alive", (i, status, headers)
        ab = subprocess.run(["ab", "-k", "-n", "200", "-c", "4", "-s", "20", f"http://127.0.0.1:{self.web}/ab"],
                            capture_output=True, text=True, timeout=120)
        out = ab.stdout
        assert ab.returncode == 0 and "Complete requests:      200" in out and "Failed requests:        0" in out \
            and "Keep-Alive requests:    200" in out, out + ab.stderr
        fields = b"X_Custom: 1\r\nTransfer_Encoding: chunked\r\nX-Plain: 2\r\n"
        _, headers, _ = get(self.web, b"/u", fields)
        seen = {name.lower() for name, _ in json.loads(headers["x-seen-headers"])}
        assert "x-plain" in seen and "x_custom" not in seen and "transfer_encoding" not in seen, seen
        _, headers, _ = get(self.ports["underscores"], b"/u", fields)
        seen = {name.lower() for name, _ in json.loads(headers["x-seen-headers"])}
        assert {"x-plain", "x_custom", "transfer_encoding"} <= seen, seen
        print("request rules: no Host and two Hosts 400; HTTP/1.0 gets Host added; HTTP/1.0 keep-alive said "
              "(ab -k: 200 of 200 kept alive); '_' fields dropped unless http_underscores_in_headers")

    # 11
    def upstream_closes(self):
        port = self.ports["closes"]

        def counters():
            stats = json.loads(read_all(self.stats_port))["closes"]
            eof = sum(stats[name]["server_eof"] for name in ("a", "b"))
            return stats["forward_error"], stats["replica_failovers"], stats["server_ejects"], eof

        keys = [f"/close/{i}" for i in range(40)]
        where = self.locate("closes", keys)
        with Connection(port) as c:
            for key in keys:
                c.send(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % key.encode())
                status, headers, _ = c.response()
                assert status == 200 and headers["x-upstream"] == where[key], (key, status, headers)
                assert "connection" not in headers, headers  # the server's closing is not the client's
        assert counters() == (0, 0, 0, 0), counters()

        keys = [f"/vanish/{i}" for i in range(20)]
        where = self.locate("closes", keys)
        with Connection(port) as c:
            for key in keys * 2:  # the second time each goes on a connection kept from the first
                c.send(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % key.encode())
                status, headers, body = c.response()
                assert status == 200 and headers["x-upstream"] == where[key], (key, status, headers, body)
        forward_error, failovers, ejects, _ = counters()
        assert (forward_error, failovers, ejects) == (0, 0, 0), counters()

        before = counters()
        with Connection(port) as c:  # a POST is not sent twice: 502 (after a GET, on the same worker's connection)
            c.send(b"GET /vanish/0 HTTP/1.1\r\nHost: t\r\n\r\n")
            assert c.response()[0] == 200
            c.send(b"POST /vanish/0 HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi")
            status, _, body = c.response()
            assert status == 502, (status, body)
        # ...and the server's closing is no failure of it: not ejected (server_failure_limit: 1)
        assert counters()[1:3] == before[1:3], (before, counters())
        sizes = [0, 1000, 300_000, 5_000_000]
        before = counters()
        for size in sizes:  # HTTP/1.1: in chunks, and the connection stays for the next request
            with Connection(port) as c:
                for _ in range(2):
                    c.send(b"GET /until-close/%d HTTP/1.1\r\nHost: t\r\n\r\n" % size)
                    status, headers, body = c.response()
                    assert status == 200 and headers.get("transfer-encoding") == "chunked", (size, status, headers)
                    assert "connection" not in headers and "content-length" not in headers, (size, headers)
                    assert body == (PATTERN * 5)[:size], (size, len(body))
        for size in sizes:  # HTTP/1.0: as it came, and the connection closes after it
            with Connection(port) as c:
                c.send(b"GET /until-close/%d HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n" % size)
                status, headers, body = c.response()
                assert status == 200 and headers.get("connection") == "close", (size, status, headers)
                assert "transfer-encoding" not in headers and body == (PATTERN * 5)[:size], (size, headers, len(body))
                assert c.closed()
        assert counters()[:3] == before[:3], (before, counters())  # no error, retry or ejection
        with Connection(port) as c:
            c.send(b"GET /chunked/300000 HTTP/1.0\r\nHost: t\r\n\r\n")
            status, headers, body = c.response()
            assert status == 200 and "transfer-encoding" not in headers and body == PATTERN[:300_000], (status, headers)
            assert c.closed()
        print("upstreams that close: 40 Connection: close responses, none sent into a closing connection; "
              "40 GETs on connections the server closed unanswered sent again to the same server, no failure; "
              f"a POST there: 502, and no ejection; responses that end at the close ({', '.join(map(str, sizes))} bytes) "
              "byte-exact: in chunks to HTTP/1.1 clients, whose connection stays, as they came to HTTP/1.0 ones, "
              "whose connection closes after; no chunks to HTTP/1.0")

    # 12
    def client_timeouts(self):
        port = self.ports["timeouts"]
        started = time.monotonic()
        loris = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(50)]
        request = b"GET /loris HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"x" * 200
        open_ones = set(range(len(loris)))
        sent = 0
        while open_ones and time.monotonic() - started < 60:
            for i in list(open_ones):
                try:
                    loris[i].send(request[sent:sent + 1])
                except OSError:
                    open_ones.discard(i)
            sent = min(sent + 1, len(request) - 1)
            status, _, _ = get(port, b"/normal")  # a normal client is served meanwhile
            assert status == 200, status
            time.sleep(0.3)
        for s in loris:
            s.close()
        assert not open_ones, f"{len(open_ones)} slowloris connections still open after 60 s"
        loris_s = time.monotonic() - started

        with Connection(port) as c:
            opened = time.monotonic()
            c.send(b"GET /first HTTP/1.1\r\nHost: t\r\n\r\n")
            assert c.response()[0] == 200
            c.sock.settimeout(30)
            assert c.closed(), "an idle client must be closed"
            idle_s = time.monotonic() - opened
            assert idle_s >= 1.5, idle_s
        with Connection(port) as c:
            c.sock.settimeout(30)
            c.send(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")  # answered after 5 s, past the idle timeout
            assert c.response()[0] == 200
        wait_for(lambda: tcp_connections(self.proxy.pid, {port}, remote=False) == 0,
                 "the proxy's fds of the pool's clients closed", timeout=30)
        print(f"client timeouts: 50 slowloris connections closed in {loris_s:.1f} s while a client was served; "
              f"an idle one closed after {idle_s:.1f} s; a 5 s wait for a server kept")

    # 13
    def websocket(self):
        import websockets  # python3-websockets (scripts/install-deps)

        keys = [f"/chat/{i}" for i in range(8)]
        where = self.locate("ws", keys)
        proxy = self.ports["ws"]

        async def run():
            seen = []  # (server, path) of each handshake
            cut = []  # paths of the tunnels whose server side was closed without a close frame

            def echo(name):
                async def handler(ws, path):
                    seen.append((name, path))
                    if path == "/chat/bye":
                        await ws.close()
                        return
                    try:
                        async for message in ws:
                            await ws.send(message)
                    except websockets.ConnectionClosedError:
                        cut.append(path)  # closed without a close frame: the tunnel's client left
                return handler

            servers = [await websockets.serve(echo(f"ws{i}"), "127.0.0.1", port, max_size=None)
                       for i, port in enumerate(self.ws_servers)]
            try:
                for key in keys:
                    async with websockets.connect(f"ws://127.0.0.1:{proxy}{key}", max_size=None) as ws:
                        messages = ["hello " + key, os.urandom(1 << 20), "x" * 70_000, b""]
                        for m in messages:  # all sent before any is read: both ways at once
                            await ws.send(m)
                        for m in messages:
                            assert await asyncio.wait_for(ws.recv(), 20) == m, key
                assert seen == [(where[k], k) for k in keys], (seen, where)
                bye = [k for k, server in self.locate("ws", ["/chat/bye"]).items()][0]
                async with websockets.connect(f"ws://127.0.0.1:{proxy}{bye}") as ws:
                    await asyncio.wait_for(ws.wait_closed(), 20)  # the server's close reaches the client
                # A client that leaves without a close frame: the proxy closes the server's side too.
                reader, writer = await asyncio.open_connection("127.0.0.1", proxy)
                writer.write(b"GET /chat/0 HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                             b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
                assert head.startswith(b"HTTP/1.1 101 ") and b"upgrade: websocket" in head.lower(), head
                writer.close()
                left = 0
                for _ in range(200):
                    left = (tcp_connections(self.proxy.pid, {proxy}, remote=False) +
                            tcp_connections(self.proxy.pid, set(self.ws_servers)))
                    if not left:
                        break
                    await asyncio.sleep(0.1)
                assert not left, f"the proxy keeps {left} fds of tunnels that ended"
                for _ in range(200):
                    if cut:
                        break
                    await asyncio.sleep(0.1)
                assert cut == ["/chat/0"], cut
                # A tunnel idle past the pool's timeout is closed, and that is no failure of its server.
                async with websockets.connect(f"ws://127.0.0.1:{self.ports['ws_idle']}/idle", ping_interval=None) as ws:
                    opened = time.monotonic()
                    await ws.send("one")
                    assert await asyncio.wait_for(ws.recv(), 20) == "one"
                    await asyncio.wait_for(ws.wait_closed(), 20)
                    idle_s = time.monotonic() - opened
                    assert idle_s >= 1.0, idle_s
                assert json.loads(read_all(self.stats_port))["ws_idle"]["server_ejects"] == 0
            finally:
                for server in servers:
                    server.close()
                    await server.wait_closed()

        asyncio.run(run())
        with Connection(self.web) as c:  # a server that does not switch: its response, then the close
            c.send(b"GET /nows HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                   b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
            status, headers, _ = c.response()
            seen = {name.lower(): value for name, value in json.loads(headers["x-seen-headers"])}
            assert status == 200 and headers.get("connection") == "close" and seen.get("upgrade") == "websocket", headers
            assert c.closed()
        print(f"websocket: {len(keys)} tunnels to the key's server, messages of up to 1 MiB echoed both ways; "
              "the server's close reaches the client; a refused handshake answered and closed")

    # 14
    def connection_cap(self):
        port, server = self.ports["capped"], self.upstreams["e"][0]
        peak = [0]
        stop = threading.Event()

        def watch():  # the proxy's connections to the server, sampled while the requests run
            while not stop.is_set():
                peak[0] = max(peak[0], tcp_connections(self.proxy.pid, {server}))
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            with Connection(port) as c:
                started = time.monotonic()
                c.send(b"GET /sleep/800 HTTP/1.1\r\nHost: t\r\n\r\nGET /after HTTP/1.1\r\nHost: t\r\n\r\n")
                assert c.response()[0] == 200
                status, _, body = c.response()
                assert status == 200 and body.endswith(b"GET /after\n") and time.monotonic() - started >= 0.8, (status, body)
                c.send(b"GET /sleep/1200 HTTP/1.1\r\nHost: t\r\n\r\nGET /sleep/1200 HTTP/1.1\r\nHost: t\r\n\r\n"
                       b"GET /late HTTP/1.1\r\nHost: t\r\n\r\n")
                statuses = [c.response()[:3:2] for _ in range(3)]
                assert [s for s, _ in statuses] == [200, 200, 503], statuses
                assert b"no free connection" in statuses[2][1], statuses
        finally:
            stop.set()
            watcher.join()
        # One client connection is served by one worker: one connection to the server at most.
        assert peak[0] == 1, f"{peak[0]} connections at once to a server capped at 1 per worker"
        print(f"connection cap: requests waited for the one connection and went on it in order; one past "
              f"the timeout got 503; at most {peak[0]} connection(s) to the server at once")

    # 15
    def no_waiting_behind(self):
        big_key = f"/bytes/{256 << 20}"
        server = self.locate("web", [big_key])[big_key]
        # Keys on the same server (similar keys clump under this pool's fnv1a_64 ketama: try many).
        same = [k for k, s in self.locate("web", [f"/beside/{i * 7919}" for i in range(500)]).items() if s == server][0]
        with Connection(self.web) as big:
            big.send(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % big_key.encode())
            big.sock.recv(4096)  # the download has begun; the client reads no more for now
            with Connection(self.web) as small:
                small.send(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % same.encode())
                status, headers, _ = small.response()
                assert status == 200 and headers["x-upstream"] == server, (status, headers)
        slow_key = [k for k, s in self.locate("web", [f"/sleep/3000?{i * 7919}" for i in range(500)]).items()
                    if s == server][0]
        done = threading.Event()

        def slow():
            get(self.web, slow_key.encode())
            done.set()

        waiter = threading.Thread(target=slow)
        waiter.start()
        time.sleep(0.3)  # the slow request is sent first (had it not, the check below still holds)
        status, headers, _ = get(self.web, same.encode())
        assert status == 200 and headers["x-upstream"] == server and not done.is_set(), (status, done.is_set())
        waiter.join(timeout=30)
        print("no waiting behind: a small GET answered while its server sent a 256 MiB body to a stalled "
              "reader, and while it took 3 s over another request")


def main():
    binary = sys.argv[1]
    body_mib = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    with Processes() as procs:
        t = Test(binary, procs, body_mib)
        for step in (t.placement, t.pipelining, t.forwarding, t.smuggling, t.large_bodies, t.failures,
                     t.ejection, t.concurrency, t.reload, t.request_rules, t.upstream_closes, t.client_timeouts,
                     t.websocket, t.connection_cap, t.no_waiting_behind):
            started = time.monotonic()
            step()
            print(f"  ({time.monotonic() - started:.1f} s)")
        assert t.proxy.poll() is None, "the proxy must still run"
    print("ok")


if __name__ == "__main__":
    main()
