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

    print(f"{'all checks passed' if not failures else f'{len(failures)} checks failed'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
