#!/usr/bin/python3
"""Stats and metrics of `ringleader serve`, checked against the real nutcracker.

Usage: stats_test.py RINGLEADER_BINARY     (exit status 0: every check passed)

1. The JSON on the stats port (-s) has every key nutcracker's has, at every level (top, pool,
   server), and its request counters move with the traffic sent.
2. GET /metrics on the admin port (--admin) is valid Prometheus text: HELP and TYPE before each
   family's samples, well-formed sample lines, cumulative histogram buckets ending in +Inf = _count.
3. client_connections: a pool with a limit of 2 serves 2 clients and closes the third.
4. Logs: a failed server is one warn line (logfmt, level=warn), and -q still shows it; its
   ejection shows in server_ejects, server_ejected_at, server_err and forward_error.
"""

import json
import re
import socket
import sys
import time

from processes import Client, Processes, free_port, read_all, wait_port


def keys_of(document, pools, servers):
    """(top keys, pool keys, server keys) with pool and server names taken out."""
    top = {k for k in document if k not in pools}
    pool = {k for p in pools for k in document[p] if k not in servers}
    server = {k for p in pools for s in servers if s in document[p] for k in document[p][s]}
    return top, pool, server


def check_stats(binary):
    with Processes() as procs:
        backends = [procs.memcached(), procs.memcached()]
        nc_port, nc_stats, rl_port, rl_stats, rl_admin = (free_port() for _ in range(5))
        servers = f"""  servers:
   - 127.0.0.1:{backends[0]}:1 cache1
   - 127.0.0.1:{backends[1]}:1
"""
        procs.nutcracker(procs.config(f"alpha:\n  listen: 127.0.0.1:{nc_port}\n" + servers), nc_port, nc_stats)
        procs.ringleader(binary, procs.config(f"alpha:\n  listen: 127.0.0.1:{rl_port}\n" + servers), rl_port,
                         ["-t", "2", "-s", str(rl_stats), "--admin", f"127.0.0.1:{rl_admin}"])
        for port in (nc_port, rl_port):
            c = Client(port)
            for i in range(50):
                c.set_get(b"key-%d" % i)
            c.close()
        wait_port(nc_stats)
        time.sleep(0.3)  # nutcracker aggregates every -i (100 ms)
        theirs = json.loads(read_all(nc_stats))
        ours = json.loads(read_all(rl_stats))
        names = ({"alpha"}, {"cache1", f"127.0.0.1:{backends[1]}"})
        for level, t, o in zip(("top", "pool", "server"), keys_of(theirs, *names), keys_of(ours, *names)):
            missing = t - o
            assert not missing, f"{level}-level keys nutcracker has and ringleader lacks: {sorted(missing)}"
        assert set(ours["alpha"]) >= names[1], f"server keys: {sorted(ours['alpha'])}"
        requests = sum(ours["alpha"][s]["requests"] for s in names[1])
        responses = sum(ours["alpha"][s]["responses"] for s in names[1])
        assert requests == 100 and responses == 100, f"requests {requests}, responses {responses} (sent 100)"
        assert ours["alpha"]["client_eof"] >= 1, ours["alpha"]
        print(f"stats: every nutcracker key present; requests={requests} responses={responses}")

        metrics = read_all(rl_admin, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        head, body = metrics.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200"), head
        assert b"text/plain; version=0.0.4" in head, head
        check_exposition(body.decode())
        assert re.search(r'^ringleader_server_requests_total\{pool="alpha",server="cache1"\} \d+$',
                         body.decode(), re.M), "no per-server request counter"
        count = re.search(r'^ringleader_pool_latency_seconds_count\{pool="alpha"\} (\d+)$', body.decode(), re.M)
        assert count and int(count.group(1)) == 100, f"pool latency count: {count and count.group(1)}"
        assert read_all(rl_admin, b"GET /nothing HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 404")
        print(f"metrics: valid exposition, {len(body.splitlines())} lines")


def check_exposition(text):
    declared, typed = set(), {}
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? '
                        r'(-?[0-9.e+]+|\+Inf|NaN)$')
    buckets = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            declared.add(line.split(" ")[2])
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert name in declared, f"TYPE before HELP: {name}"
            typed[name] = kind
            continue
        m = sample.match(line)
        assert m, f"bad sample line: {line!r}"
        name = m.group(1)
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in typed else name
        assert family in typed, f"sample before its TYPE: {line!r}"
        if name.endswith("_bucket"):
            labels = re.sub(r',?le="[^"]*"', "", m.group(2))
            buckets.setdefault((family, labels), []).append((re.search(r'le="([^"]*)"', line).group(1),
                                                             float(m.group(5))))
        if name.endswith("_count") and typed[family] == "histogram":
            series = buckets[(family, m.group(2))]
            values = [v for _, v in series]
            assert values == sorted(values), f"buckets not cumulative: {series}"
            assert series[-1][0] == "+Inf" and series[-1][1] == float(m.group(5)), f"+Inf != _count: {series}"
    assert any(k == "histogram" for k in typed.values()), "no histogram"


def check_client_limit_and_logs(binary):
    with Processes() as procs:
        backend = procs.memcached()
        port, dead, stats_port = free_port(), free_port(), free_port()
        config = procs.config(f"""limited:
  listen: 127.0.0.1:{port}
  client_connections: 2
  timeout: 1000
  hash: murmur
  auto_eject_hosts: true
  server_failure_limit: 1
  server_retry_timeout: 60000
  servers:
   - 127.0.0.1:{backend}:1
   - 127.0.0.1:{dead}:1
""")
        procs.ringleader(binary, config, port, ["-t", "2", "-q", "-s", str(stats_port)])
        time.sleep(0.2)  # the readiness probe's connection is gone
        first, second = Client(port), Client(port)
        assert first.call(b"version\r\n").startswith(b"VERSION")
        assert second.call(b"version\r\n").startswith(b"VERSION")
        third = socket.create_connection(("127.0.0.1", port), timeout=5)
        third.sendall(b"version\r\n")
        try:
            closed = third.recv(100) == b""
        except ConnectionResetError:
            closed = True
        assert closed, "a third client was served beyond client_connections: 2"
        assert first.call(b"version\r\n").startswith(b"VERSION")  # the two within the limit keep working
        print("client_connections: 2 served, third closed")
        # A key on the dead server: an error reply, and one warn line for the outage.
        errors = 0
        for i in range(40):
            first.sock.sendall(b"get k%d\r\n" % i)
            reply = first.line()
            if reply.startswith(b"SERVER_ERROR"):
                errors += 1
            while reply.startswith(b"VALUE"):  # not stored, so END at once; values only if present
                reply = first.line()
        assert errors >= 1, "no key went to the dead server"
        stats = json.loads(read_all(stats_port))["limited"]
        dead_server = stats[f"127.0.0.1:{dead}"]
        assert stats["server_ejects"] >= 1 and dead_server["server_ejected_at"] > 0, stats
        assert dead_server["server_err"] >= 1 and stats["forward_error"] == errors, stats
        first.close()
        second.close()
        time.sleep(0.2)
        log = procs.log("ringleader")
        warns = [l for l in log.splitlines() if "level=warn" in l and 'msg="server failed"' in l]
        assert 1 <= len(warns) <= 2, f"warn lines for one outage: {warns}"
        assert all(re.match(r"^ts=\S+ level=\w+ msg=", l) for l in log.splitlines() if l), log
        assert "level=info" not in log and "level=debug" not in log, f"-q let info/debug through:\n{log}"
        print(f"logs: {errors} failed requests, {len(warns)} warn line(s) (one per worker thread at most)")


def main():
    binary = sys.argv[1]
    check_stats(binary)
    check_client_limit_and_logs(binary)
    print("ok")


if __name__ == "__main__":
    main()
