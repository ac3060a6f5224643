#!/usr/bin/python3
"""`ringleader locate` prints, for every golden key of every pool, the server the real nutcracker put
it on (tests/data/twemproxy/), written exactly as in the config.

Usage: locate_golden_test.py RINGLEADER_BINARY     (exit status 0: every key agrees)
"""

import os
import subprocess
import sys

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data", "twemproxy")


def servers_by_pool(path):
    """The `servers:` entries of each pool of the generated nutcracker.yml (its layout is fixed by
    tests/data/twemproxy/generate: a pool name at column 0, entries as '   - ENTRY')."""
    pools, current = {}, None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith((" ", "#")):
                current = line.rstrip(":")
                pools[current] = []
            elif line.startswith("   - "):
                pools[current].append(line[len("   - "):].encode())
    return pools


def main():
    binary = sys.argv[1]
    config = os.path.join(DATA, "nutcracker.yml")
    servers = servers_by_pool(config)
    with open(os.path.join(DATA, "golden.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [line.rstrip("\n").split("\t") for line in f]
    keys = [bytes.fromhex(r[0]) for r in rows]
    stdin = b"".join(k + b"\n" for k in keys)
    failures = 0
    for column, pool in enumerate(header[1:], start=1):
        run = subprocess.run([binary, "locate", "-c", config, "--pool", pool], input=stdin,
                             capture_output=True, timeout=60)
        if run.returncode != 0:
            print(f"pool {pool}: exit status {run.returncode}: {run.stderr.decode(errors='replace')}")
            failures += 1
            continue
        lines = run.stdout.split(b"\n")
        if lines[-1] != b"" or len(lines) - 1 != len(keys):
            print(f"pool {pool}: {len(lines) - 1} output lines for {len(keys)} keys")
            failures += 1
            continue
        wrong = 0
        for key, row, line in zip(keys, rows, lines):
            expected = key + b"\t" + servers[pool][int(row[column])]
            if line != expected:
                wrong += 1
                if wrong <= 3:
                    print(f"pool {pool}: got {line!r}, nutcracker: {expected!r}")
        if wrong:
            print(f"pool {pool}: {wrong} of {len(keys)} keys differ")
            failures += 1
    print(f"{len(header) - 1} pools x {len(keys)} keys: {'all agree' if not failures else f'{failures} pools differ'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
