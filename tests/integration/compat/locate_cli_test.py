#!/usr/bin/python3
"""`ringleader locate` as a command: keys from arguments or stdin (CRLF tolerated, last line without a
newline), output format, --pool rules, --eject, and its error messages and exit codes.

Usage: locate_cli_test.py RINGLEADER_BINARY     (exit status 0: every check passed)
"""

import os
import subprocess
import sys
import tempfile

TWO_POOLS = """\
alpha:
  listen: 127.0.0.1:22121
  hash_tag: "{}"
  servers:
   - 10.0.0.1:11211:1 cache-a
   - 10.0.0.2:11211:1
   - 10.0.0.3:11212:2 cache-c
beta:
  listen: 127.0.0.1:22122
  distribution: maglev
  servers:
   - 10.0.1.1:11211:1
   - 10.0.1.2:11211:1
"""

HTTP_POOLS = """\
by_uri:
  listen: 127.0.0.1:8080
  protocol: http
  hash: md5
  servers:
   - 10.0.2.1:80:1
   - 10.0.2.2:80:1
   - 10.0.2.3:80:1
by_path:
  listen: 127.0.0.1:8081
  protocol: http
  hash: md5
  http_key: path
  servers:
   - 10.0.2.1:80:1
   - 10.0.2.2:80:1
   - 10.0.2.3:80:1
by_id:
  listen: 127.0.0.1:8082
  protocol: http
  http_key: query:id
  http_key_missing: reject
  servers:
   - 10.0.2.1:80:1
   - 10.0.2.2:80:1
   - 10.0.2.3:80:1
"""

failures = []


def check(what, condition, detail=""):
    if not condition:
        failures.append(what)
        print(f"FAIL {what} {detail}")


def run(binary, *args, stdin=b""):
    return subprocess.run([binary, "locate", *args], input=stdin, capture_output=True, timeout=30)


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "two.yml")
        with open(config, "w") as f:
            f.write(TWO_POOLS)
        alpha_servers = {"10.0.0.1:11211:1 cache-a", "10.0.0.2:11211:1", "10.0.0.3:11212:2 cache-c"}

        args = run(binary, "-c", config, "--pool", "alpha", "user:1", "user:{7}:a", "user:{7}:b")
        lines = args.stdout.decode().splitlines()
        check("arguments: exit 0", args.returncode == 0, args.stderr)
        check("arguments: one line per key", len(lines) == 3, lines)
        check("arguments: KEY<TAB>SERVER as written", all(l.split("\t")[1] in alpha_servers for l in lines), lines)
        check("arguments: hash tag groups keys", lines[1].split("\t")[1] == lines[2].split("\t")[1], lines)

        stdin = run(binary, "-c", config, "--pool", "alpha", stdin=b"user:1\r\nuser:{7}:a\nuser:{7}:b")
        check("stdin: same answers as arguments, CRLF and a last line without newline", stdin.stdout == args.stdout,
              stdin.stdout)

        many = b"".join(b"key:%d\n" % i for i in range(200000))
        big = run(binary, "-c", config, "--pool", "beta", stdin=many)
        out = big.stdout.split(b"\n")
        check("stdin: 200000 keys in order", len(out) == 200001 and out[199999].startswith(b"key:199999\t"), len(out))

        ejected = run(binary, "-c", config, "--pool", "alpha", "--eject", "cache-a", stdin=many)
        check("--eject by name: nothing on the ejected server",
              ejected.returncode == 0 and b"cache-a" not in ejected.stdout, ejected.stderr)
        by_address = run(binary, "-c", config, "--pool", "alpha", "--eject", "10.0.0.1:11211", stdin=many)
        check("--eject by address equals by name", by_address.stdout == ejected.stdout)

        no_pool = run(binary, "-c", config, "k")
        check("two pools without --pool: exit 2", no_pool.returncode == 2, no_pool.returncode)
        check("two pools without --pool: names the pools", b"alpha, beta" in no_pool.stderr, no_pool.stderr)
        unknown = run(binary, "-c", config, "--pool", "gamma", "k")
        check("unknown pool: exit 2", unknown.returncode == 2, unknown.returncode)
        bad_eject = run(binary, "-c", config, "--pool", "alpha", "--eject", "10.9.9.9:1", "k")
        check("unknown --eject: exit 2", bad_eject.returncode == 2, bad_eject.returncode)

        bad = os.path.join(tmp, "bad.yml")
        with open(bad, "w") as f:
            f.write("alpha:\n  listen: 127.0.0.1:22121\n  hash: sha1\n  servers:\n   - 10.0.0.1:11211:1\n")
        broken = run(binary, "-c", bad, "k")
        check("bad config: exit 1", broken.returncode == 1, broken.returncode)
        check("bad config: file, line, pool and key", f"{bad}:3: pool 'alpha': key 'hash':".encode() in broken.stderr,
              broken.stderr)

        quirk = os.path.join(tmp, "quirk.yml")
        with open(quirk, "w") as f:
            f.write("alpha:\n  listen: 127.0.0.1:22121\n  hash: crc32\n  servers:\n   - 10.0.0.1:11211:1\n   - 10.0.0.2:11211:1\n")
        warned = run(binary, "-c", quirk, "k")
        check("harmful quirk: still locates", warned.returncode == 0 and warned.stdout.startswith(b"k\t"))
        check("harmful quirk: warns on stderr", b"warning" in warned.stderr and b"crc32" in warned.stderr, warned.stderr)

        http = os.path.join(tmp, "http.yml")
        with open(http, "w") as f:
            f.write(HTTP_POOLS)
        targets = b"/img/a.png?w=1\n/img/a.png?w=2\n/img/b.png?id=7\n/img/c.png?id=7&w=1\n"
        uri = run(binary, "-c", http, "--pool", "by_uri", stdin=targets).stdout.decode().splitlines()
        same_as_keys = run(binary, "-c", http, "--pool", "by_uri", "/img/a.png?w=1", "/img/a.png?w=2",
                           "/img/b.png?id=7", "/img/c.png?id=7&w=1").stdout.decode().splitlines()
        check("http uri: the request target is the key", uri == same_as_keys and len(uri) == 4, uri)
        pairs = b"".join(b"/p%d?v=1\n/p%d?v=2\n" % (i, i) for i in range(60))
        def servers(pool):
            return [l.split("\t")[1] for l in run(binary, "-c", http, "--pool", pool, stdin=pairs).stdout.decode().splitlines()]
        by_path, by_uri = servers("by_path"), servers("by_uri")
        check("http path: the query does not count", all(by_path[i] == by_path[i + 1] for i in range(0, 120, 2)))
        check("http uri: the query counts", any(by_uri[i] != by_uri[i + 1] for i in range(0, 120, 2)))
        path = [l.split("\t") for l in run(binary, "-c", http, "--pool", "by_path", stdin=targets).stdout.decode().splitlines()]
        check("http path: output keeps the line as given", path[0][0] == "/img/a.png?w=1", path)
        path_keys = run(binary, "-c", http, "--pool", "by_path", "/img/a.png").stdout.decode().split("\t")[1]
        check("http path: same server as the path alone", path_keys.strip() == path[0][1], (path_keys, path))
        query = [l.split("\t") for l in run(binary, "-c", http, "--pool", "by_id", stdin=targets).stdout.decode().splitlines()]
        check("http query:id: a target without it has no key, refused with 400",
              query[0][1] == "(no key: 400 Bad Request)" and query[1][1] == query[0][1], query)
        check("http query:id: same id, same server", query[2][1] == query[3][1] and query[2][1].startswith("10.0.2."), query)

    print(f"{'all checks passed' if not failures else f'{len(failures)} checks failed'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
