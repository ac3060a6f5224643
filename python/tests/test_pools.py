"""twemproxy pools: load_pools/parse_pools place keys where a real nutcracker sends them."""

import contextlib
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

import ringleader

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "integration" / "operations"))
from processes import free_port  # noqa: E402

NUTCRACKER = "/usr/sbin/nutcracker"
MEMCACHED = "/usr/bin/memcached"


def connect(path):
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(5)
    sock.connect(str(path))
    return sock


def listening(process, path, deadline_s=10.0):
    """Waits (bounded) until process accepts connections on the unix socket; False if it exited."""
    deadline = time.monotonic() + deadline_s
    while process.poll() is None:
        try:
            connect(path).close()
            return True
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{process.args[0]} does not listen on {path} after {deadline_s} s")
            time.sleep(0.05)
    return False


def command(sock, text):
    """Sends one memcached text command and returns the reply up to its terminator."""
    sock.sendall(text.encode())
    reply = b""
    while not reply.endswith((b"STORED\r\n", b"END\r\n", b"ERROR\r\n")):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed after {reply!r}")
        reply += chunk
    return reply


def stop(processes):
    for process in processes:
        process.kill()
        process.wait(timeout=10)
    processes.clear()


@contextlib.contextmanager
def nutcracker_cluster(config_text):
    """Three memcached servers and a nutcracker in front of them, all on unix sockets in a fresh
    directory (no port can be taken by someone else; only nutcracker's stats port is TCP, and if that
    one is taken nutcracker exits and starts again on another). config_text(listen, servers) gives
    nutcracker.yml. Yields (config path, nutcracker socket, memcached sockets); kills what it started."""
    as_root = ["-u", "root"] if os.geteuid() == 0 else []  # memcached refuses root unless told
    started = []
    with tempfile.TemporaryDirectory(prefix="rl-py-") as directory:  # short: unix paths have 108 bytes
        work = pathlib.Path(directory)
        servers = [work / f"memcached-{i}.sock" for i in range(3)]
        listen, config = work / "nutcracker.sock", work / "nutcracker.yml"
        config.write_text(config_text(listen, servers))
        try:
            for path in servers:
                started.append(subprocess.Popen([MEMCACHED, "-s", str(path), *as_root],
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            # nutcracker connects to a server on the first request for it: all must listen by then.
            if not all(listening(process, path) for process, path in zip(started, servers)):
                raise RuntimeError("memcached exited at start")
            for _ in range(3):
                nutcracker = subprocess.Popen([NUTCRACKER, "-c", str(config), "-s", str(free_port()), "-a", "127.0.0.1",
                                               "-o", str(work / "nutcracker.log")],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                started.append(nutcracker)
                if listening(nutcracker, listen):
                    break
                listen.unlink(missing_ok=True)
            else:
                raise RuntimeError("nutcracker exited at start three times: " + (work / "nutcracker.log").read_text())
            yield config, listen, servers
        finally:
            stop(started)


def test_parse_pools_reads_servers_and_options():
    pools = ringleader.parse_pools(
        "alpha:\n"
        "  listen: 127.0.0.1:22121\n"
        "  hash: fnv1a_64\n"
        "  distribution: ketama\n"
        "  servers:\n"
        "   - 127.0.0.1:11211:1 cache-a\n"
        "   - 127.0.0.1:11212:2\n")
    alpha = pools["alpha"]
    assert [s["name"] for s in alpha.servers] == ["cache-a", "127.0.0.1:11212"]
    assert alpha.servers[1]["weight"] == 2
    assert alpha.options["distribution"] == "ketama" and alpha.options["hash"] == "fnv1a_64"
    keys = [f"user:{i}" for i in range(1000)]
    names = alpha.lookup_many(keys)
    assert set(names) == {"cache-a", "127.0.0.1:11212"}
    assert names == [alpha.get_node(k) for k in keys]
    assert alpha.get(keys[0])["name"] == names[0]
    with pytest.raises(ValueError, match="takes keys, not 64-bit hashes"):
        alpha.lookup_many(np.zeros(2, dtype=np.uint64))


# A pool's range(key, n) is where `replicas: n` keeps the key: its server first, then distinct others.
def test_pool_range_gives_the_replicas():
    pools = ringleader.parse_pools(
        "alpha:\n  listen: 127.0.0.1:22121\n  replicas: 2\n  servers:\n"
        "   - 127.0.0.1:11211:1 a\n   - 127.0.0.1:11212:1 b\n   - 127.0.0.1:11213:1 c\n")
    alpha = pools["alpha"]
    for key in (f"user:{i}" for i in range(200)):
        copies = alpha.range(key, 2)
        assert copies[0] == alpha.get_node(key) and copies[1] != copies[0]
    assert sorted(alpha.range("user:1", 3)) == ["a", "b", "c"]
    with pytest.raises(ValueError):
        alpha.range("user:1", 4)


def test_config_errors_name_the_line():
    with pytest.raises(ringleader.ConfigError, match=r"<string>:3:.*alpha.*hash") as error:
        ringleader.parse_pools("alpha:\n  listen: 127.0.0.1:22121\n  hash: nope\n  servers:\n   - 127.0.0.1:1:1\n")
    assert isinstance(error.value, ValueError)
    with pytest.raises(ringleader.ConfigError, match="missing.yml"):
        ringleader.load_pools("/nonexistent/missing.yml")


@pytest.mark.skipif(not (os.access(NUTCRACKER, os.X_OK) and os.access(MEMCACHED, os.X_OK)),
                    reason="needs nutcracker and memcached (scripts/install-deps)")
@pytest.mark.parametrize(("hash_name", "distribution", "hash_tag"),
                         [("fnv1a_64", "ketama", ""), ("md5", "ketama", "{}"), ("murmur", "modula", "")])
def test_keys_land_where_real_nutcracker_puts_them(hash_name, distribution, hash_tag):
    # Store keys through a real nutcracker, then ask each memcached directly which keys it holds.
    tag = f"  hash_tag: \"{hash_tag}\"\n" if hash_tag else ""

    def config_text(listen, servers):
        return ("alpha:\n"
                f"  listen: {listen}\n"
                f"  hash: {hash_name}\n"
                f"  distribution: {distribution}\n"
                f"{tag}"
                "  servers:\n"
                f"   - {servers[0]}:1 cache-a\n"
                f"   - {servers[1]}:2 cache-b\n"
                f"   - {servers[2]}:1 cache-c\n")

    keys = [f"user:{{{i % 17}}}:{i}" for i in range(300)]
    holder = {}
    with nutcracker_cluster(config_text) as (config, listen, servers):
        pool = ringleader.load_pools(config)["alpha"]
        with contextlib.closing(connect(listen)) as proxy:
            for key in keys:
                assert command(proxy, f"set {key} 0 0 1\r\nx\r\n") == b"STORED\r\n"
        for name, path in zip(["cache-a", "cache-b", "cache-c"], servers):
            with contextlib.closing(connect(path)) as server:
                for key in keys:
                    if command(server, f"get {key}\r\n") != b"END\r\n":
                        holder[key] = name
    assert len(set(holder.values())) > 1
    assert [pool.get_node(key) for key in keys] == [holder.get(key) for key in keys]
