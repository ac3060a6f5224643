#!/usr/bin/python3
"""A pool's redis_auth refused by the server: clients get the server's own replies, as through
nutcracker, and the refusal is no server failure (a healthy server is not ejected for a config
mistake). Real redis-server processes, ringleader and nutcracker side by side with the same config.

Usage: redis_auth_test.py RINGLEADER_BINARY     (exit status 0: every check passed)

1. Server with --requirepass, pool redis_auth wrong (server_failure_limit: 1, so one counted
   failure would eject it): after AUTH to the proxy, GET/SET/PING get exactly nutcracker's replies
   (the server's `-NOAUTH Authentication required.`), every time; ringleader's stats show no
   ejection and no server error; one warn line names the server and its reply.
2. Server without a password, pool redis_auth set: the server refuses AUTH and then serves; both
   proxies answer the same.
3. Pool without redis_auth, server with a password: the server's -NOAUTH passes through both.
4. A redis_db the server refuses (SELECT 99 of 16): requests get an error naming it, not database
   0's data (nutcracker logs a warning and serves database 0: a deliberate difference), and the
   server is not ejected for it.
5. ACL users: a server whose only user is `app` (the default user off): a pool with
   redis_auth_user: app reaches it; clients AUTH (and HELLO ... AUTH) as the pool's redis_users,
   a password written out or as its SHA-256; a wrong one gets -WRONGPASS.
"""

import hashlib
import json
import socket
import sys

from processes import Processes, free_port, read_all, wait_port
from processes import redis_command as command


def redis_server(procs, password=None):
    return procs.redis(["--requirepass", password] if password else [])


class Redis:
    """Just enough RESP for one-line replies and bulk strings."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed by the peer")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def call(self, *args):
        self.sock.sendall(command(*args))
        reply = self.line()
        if reply.startswith(b"$") and reply != b"$-1":
            reply += b" " + self.line()
        return reply

    def close(self):
        self.sock.close()


def session(port, auth, commands):
    client = Redis(port)
    replies = [client.call("AUTH", auth)] if auth else []
    replies += [client.call(*c) for c in commands]
    client.close()
    return replies


def pool(name, port, server, auth):
    return (f"{name}:\n  listen: 127.0.0.1:{port}\n  redis: true\n" + (f"  redis_auth: {auth}\n" if auth else "") +
            "  auto_eject_hosts: true\n  server_failure_limit: 1\n  server_retry_timeout: 60000\n  timeout: 2000\n"
            f"  servers:\n   - 127.0.0.1:{server}:1\n")


def main():
    binary = sys.argv[1]
    commands = [("GET", "k"), ("SET", "k", "v"), ("GET", "k"), ("DEL", "k"), ("PING",)]  # leaves no k behind
    with Processes() as procs:
        locked, open_server = redis_server(procs, password="right"), redis_server(procs)
        cases = [  # name, server, the pool's redis_auth
            ("wrong_auth", locked, "wrong"),
            ("auth_but_no_password", open_server, "secret"),
            ("no_auth_but_password", locked, None),
        ]
        ports = {name: (free_port(), free_port()) for name, _, _ in cases}
        bad_db = free_port()
        ours = "".join(pool(name, ports[name][0], server, auth) for name, server, auth in cases)
        ours += pool("bad_db", bad_db, open_server, None) + "  redis_db: 99\n"
        acl_server, acl = redis_server(procs, password="right"), free_port()
        admin = Redis(acl_server)
        assert admin.call("AUTH", "right") == b"+OK"
        assert admin.call("ACL", "SETUSER", "app", "on", ">app-pw", "~*", "&*", "+@all") == b"+OK"
        assert admin.call("ACL", "SETUSER", "default", "off") == b"+OK"
        admin.close()
        bob_hash = hashlib.sha256(b"bob-pw").hexdigest()
        ours += (pool("acl", acl, acl_server, "app-pw") +
                 f"  redis_auth_user: app\n  redis_users:\n    alice: alice-pw\n    bob: sha256:{bob_hash}\n")
        theirs = "".join(pool(name, ports[name][1], server, auth) for name, server, auth in cases)
        stats, nc_stats = free_port(), free_port()
        procs.ringleader(binary, procs.config(ours), ports["wrong_auth"][0], ["-t", "2", "-s", str(stats)])
        procs.nutcracker(procs.config(theirs), ports["wrong_auth"][1], nc_stats)
        for name, _, _ in cases:
            wait_port(ports[name][0])
            wait_port(ports[name][1])

        for name, server, auth in cases:
            for attempt in range(3):  # the same each time: nothing ejected, nothing reconnected differently
                got = session(ports[name][0], auth, commands)
                want = session(ports[name][1], auth, commands)
                assert got == want, f"{name}, attempt {attempt}: ringleader {got} != nutcracker {want}"
            print(f"{name}: replies as nutcracker's: {got}")
        wrong = session(ports["wrong_auth"][0], "wrong", [("GET", "k")])
        assert wrong == [b"+OK", b"-NOAUTH Authentication required."], wrong

        document = json.loads(read_all(stats))["wrong_auth"]
        server = document[f"127.0.0.1:{locked}"]
        assert document["server_ejects"] == 0 and server["server_ejected_at"] == 0, document
        assert server["server_err"] == 0 and document["forward_error"] == 0, document
        print("wrong_auth: no ejection, no server error, no forward error:",
              {k: server[k] for k in ("server_err", "requests", "responses")})

        for attempt in range(3):
            replies = session(bad_db, None, [("GET", "k")])
            assert replies[0].startswith(b"-ERR SELECT 99 refused by 127.0.0.1:%d: ERR DB index is out of range" % open_server), replies
        document = json.loads(read_all(stats))["bad_db"]
        assert document["server_ejects"] == 0, document
        print("bad_db: ", replies[0].decode(), "; not ejected")

        alice = Redis(acl)
        assert alice.call("GET", "k") == b"-NOAUTH Authentication required."
        assert alice.call("AUTH", "alice", "wrong") == b"-WRONGPASS invalid username-password pair or user is disabled."
        assert alice.call("AUTH", "alice", "alice-pw") == b"+OK"
        assert alice.call("SET", "acl:k", "v") == b"+OK" and alice.call("GET", "acl:k") == b"$1 v"
        alice.close()
        bob = Redis(acl)
        bob.sock.sendall(command("HELLO", "2", "AUTH", "bob", "bob-pw"))
        assert bob.line() == b"*16", "HELLO 2 AUTH bob: not the HELLO reply"
        bob.close()
        assert session(acl, "app-pw", [("GET", "acl:k")]) == [b"+OK", b"$1 v"]  # the default user: redis_auth
        assert session(acl, None, [("AUTH", "bob", "alice-pw")]) == [b"-WRONGPASS invalid username-password pair or user is disabled."]
        print("acl: the proxy AUTHs to the server as `app`; clients as alice (written out) and bob (SHA-256)")

        log = procs.log("ringleader")
        refused = [l for l in log.splitlines() if "server refused AUTH" in l]
        assert refused and f"server=127.0.0.1:{locked}" in refused[0] and "WRONGPASS" in refused[0], log
        assert "server ejected" not in log, log
        assert not any("server failed" in l and f"127.0.0.1:{locked}" in l for l in log.splitlines()), log
        print("log:", refused[0])
    print("ok")


if __name__ == "__main__":
    main()
