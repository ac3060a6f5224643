#!/usr/bin/python3
"""`distribution: nginx` against the real nginx, live: Debian's nginx balances requests over backends
on free loopback ports with `hash $request_uri consistent`, and `ringleader locate` must name the
backend nginx sent each URI to. Also with a server marked `down` in nginx (nginx walks on to the next
point) against `locate --eject` of that server. tests/data/nginx/ pins fixed server lists; this test
checks that the agreement holds for whatever ports the machine gives.

Usage: nginx_live_test.py RINGLEADER_BINARY     (exit status 0: every URI agrees)

Every process started is stopped on exit; every wait is bounded.
"""

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "operations"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import Processes, free_port  # noqa: E402
from nginx_balancer import Balancer, Pool, ringleader_line, uris  # noqa: E402

WEIGHTS = [1, 2, 1, 3, 1]


def locate(binary, config, pool, targets, eject=()):
    argv = [binary, "locate", "-c", config, "--pool", pool]
    for server in eject:
        argv += ["--eject", server]
    run = subprocess.run(argv, input="".join(t + "\n" for t in targets).encode(), capture_output=True, timeout=60)
    if run.returncode != 0:
        raise RuntimeError(f"locate: {run.stderr.decode(errors='replace')}")
    return [line.split(b"\t", 1)[1].decode() for line in run.stdout.splitlines()]


def main():
    binary = sys.argv[1]
    texts = [f"127.0.0.1:{free_port()}" for _ in WEIGHTS]
    listen = {t: t for t in texts}
    all_up = Pool("all_up", [(t, w, False) for t, w in zip(texts, WEIGHTS)], listen)
    one_down = Pool("one_down", [(t, w, i == 1) for i, (t, w) in enumerate(zip(texts, WEIGHTS))], listen)
    targets = uris(seed=7, count=2000)
    failures = 0
    with Processes() as processes:
        balancer = Balancer(processes, [all_up, one_down])
        config = processes.config("".join(
            f"{name}:\n  listen: 127.0.0.1:{free_port()}\n  distribution: nginx\n  servers:\n" +
            "".join(f"   - {ringleader_line(t, w)}\n" for t, w in zip(texts, WEIGHTS))
            for name in ("all_up", "one_down")))
        lines = [ringleader_line(t, w) for t, w in zip(texts, WEIGHTS)]
        for pool, eject in ((all_up, ()), (one_down, (texts[1],))):
            nginx = balancer.route(pool, targets)
            ours = locate(binary, config, pool.name, targets, eject)
            wrong = [(t, lines[n], o) for t, n, o in zip(targets, nginx, ours) if lines[n] != o]
            for t, n, o in wrong[:3]:
                print(f"{pool.name}: {t}: nginx sent it to {n}, locate says {o}")
            shares = " ".join(f"{nginx.count(i) / len(nginx):.3f}" for i in range(len(texts)))
            print(f"{pool.name}: {len(targets) - len(wrong)} of {len(targets)} URIs agree (nginx's shares: {shares})")
            failures += bool(wrong)
            if pool is one_down and nginx.count(1) != 0:
                print("one_down: nginx sent requests to the server marked down")
                failures += 1
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
