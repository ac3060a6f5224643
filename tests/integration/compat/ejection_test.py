#!/usr/bin/python3
"""twemproxy's ejection, reproduced: when nutcracker ejects a dead server (auto_eject_hosts), it
rebuilds the distribution over the live servers. `ringleader locate --eject SERVER` (ringleader::Placement
with that server down, `ejection: rebuild`) must put every key where nutcracker then puts it.

Usage: ejection_test.py RINGLEADER_BINARY     (exit status 0: agreement before and after ejection)

Starts 4 memcached on free loopback ports and nutcracker in front of them (pools: ketama, modula,
ketama with hash tags and murmur), stores keys through nutcracker and asks each backend which keys it
holds; kills one backend, sends requests until nutcracker has ejected it, and observes again. Every
process started is killed on exit; every wait is bounded.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "operations"))
from processes import MEMCACHED, NUTCRACKER, Client, free_port, wait_port  # noqa: E402

DEADLINE_SECONDS = 20


def store_all(port, keys):
    conn = Client(port)
    for start in range(0, len(keys), 200):
        batch = keys[start:start + 200]
        conn.send(b"".join(b"set " + k + b" 0 0 1\r\nv\r\n" for k in batch))
        for k in batch:
            reply = conn.line()
            if reply != b"STORED":
                raise RuntimeError(f"set {k!r}: {reply!r}")
    conn.close()


def held_keys(conn, keys):
    held = set()
    for start in range(0, len(keys), 20):
        conn.send(b"get " + b" ".join(keys[start:start + 20]) + b"\r\n")
        while (line := conn.line()) != b"END":
            parts = line.split(b" ")
            held.add(parts[1])
            conn.exact(int(parts[3]) + 2)
    return held


def flush(conn):
    conn.send(b"flush_all\r\n")
    if conn.line() != b"OK":
        raise RuntimeError("flush_all failed")


def observe(pool_port, entries, backends, keys):
    """Server entry (as written) holding each key after storing all keys through the pool."""
    for conn in backends.values():
        flush(conn)
    store_all(pool_port, keys)
    owner = {}
    for entry in entries:
        port = int(entry.split(" ")[0].split(":")[1])
        if port not in backends:
            continue
        for k in held_keys(backends[port], keys):
            owner[k] = entry
    missing = [k for k in keys if k not in owner]
    if missing:
        raise RuntimeError(f"{len(missing)} keys on no server")
    return owner


def locate(binary, config, pool, keys, ejected=None):
    args = [binary, "locate", "-c", config, "--pool", pool] + (["--eject", ejected] if ejected else [])
    run = subprocess.run(args, input=b"".join(k + b"\n" for k in keys), capture_output=True, timeout=60, check=True)
    out = {}
    for line in run.stdout.split(b"\n")[:-1]:
        key, server = line.split(b"\t", 1)
        out[key] = server.decode()
    return out


def wait_until_ejected(pool_port, probe_keys):
    """Requests keys that lived on the dead server until nutcracker answers them from a live one."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        try:
            conn = Client(pool_port)
            for k in probe_keys:
                conn.send(b"get " + k + b"\r\n")
                if conn.line() == b"END":
                    conn.close()
                    return
            conn.close()
        except (ConnectionError, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"nutcracker did not eject the dead server within {DEADLINE_SECONDS}s")


def compare(what, observed, predicted):
    wrong = [k for k in observed if observed[k] != predicted.get(k)]
    for k in wrong[:3]:
        print(f"{what}: key {k!r}: nutcracker {observed[k]}, ringleader {predicted.get(k)}")
    print(f"{what}: {len(observed) - len(wrong)} of {len(observed)} keys agree")
    return not wrong


def main():
    binary = sys.argv[1]
    rng = random.Random(5)
    keys = [b"user:%d" % i for i in range(1500)]
    keys += [bytes(rng.choice(range(0x21, 0x7F)) for _ in range(rng.randint(1, 30))) for _ in range(1500)]
    keys += [b"{tag%d}:%d" % (i % 50, i) for i in range(500)]
    keys = list(dict.fromkeys(keys))

    workdir = tempfile.mkdtemp(prefix="ringleader-ejection-")
    procs = []
    user = ["-u", "root"] if os.geteuid() == 0 else []
    ok = True
    try:
        ports = [free_port() for _ in range(4)]
        memcached = {p: subprocess.Popen([MEMCACHED, "-l", "127.0.0.1", "-p", str(p), "-U", "0", "-m", "32", "-t", "1"] + user)
                     for p in ports}
        procs += memcached.values()
        entries = [f"127.0.0.1:{ports[0]}:1", f"127.0.0.1:{ports[1]}:2 b", f"127.0.0.1:{ports[2]}:1",
                   f"127.0.0.1:{ports[3]}:1 d"]
        pools = {"ketama": 'distribution: ketama', "modula": 'distribution: modula',
                 "tagged": 'distribution: ketama\n  hash: murmur\n  hash_tag: "{}"'}
        listen = {name: free_port() for name in pools}
        text = ""
        for name, settings in pools.items():
            text += (f"{name}:\n  listen: 127.0.0.1:{listen[name]}\n  {settings}\n  auto_eject_hosts: true\n"
                     f"  server_failure_limit: 1\n  server_retry_timeout: 600000\n  timeout: 2000\n  servers:\n")
            text += "".join(f"   - {e}\n" for e in entries)
        config = os.path.join(workdir, "nutcracker.yml")
        with open(config, "w") as f:
            f.write(text)
        procs.append(subprocess.Popen([NUTCRACKER, "-c", config, "-o", os.path.join(workdir, "nutcracker.log"),
                                       "-s", str(free_port()), "-a", "127.0.0.1"]))
        for port in ports + list(listen.values()):
            wait_port(port)
        backends = {p: Client(p) for p in ports}

        before = {}
        for name in pools:
            before[name] = observe(listen[name], entries, backends, keys)
            ok &= compare(f"{name}, all live", before[name], locate(binary, config, name, keys))

        dead = entries[2]
        dead_port = ports[2]
        backends.pop(dead_port).close()
        memcached[dead_port].kill()
        memcached[dead_port].wait(timeout=10)

        for name in pools:
            wait_until_ejected(listen[name], [k for k in keys if before[name][k] == dead][:50])
            after = observe(listen[name], entries, backends, keys)
            if any(server == dead for server in after.values()):
                print(f"{name}: keys still on the dead server")
                ok = False
            ok &= compare(f"{name}, {dead} ejected", after, locate(binary, config, name, keys, ejected=dead))
            healthy = [k for k in keys if before[name][k] != dead]
            moved = sum(1 for k in healthy if after[k] != before[name][k])
            print(f"{name}: rebuild moved {moved} of {len(healthy)} keys of healthy servers")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
