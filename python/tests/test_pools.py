"""twemproxy pools: load_pools/parse_pools place keys where a real nutcracker sends them."""

import contextlib
import os
import socket
import subprocess
import time

import numpy as np
import pytest

import ringleader

NUTCRACKER = "/usr/sbin/nutcracker"
MEMCACHED = "/usr/bin/memcached"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(port, deadline_s=10.0):
    """A connection to 127.0.0.1:port, retried until the server listens (bounded)."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


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


@contextlib.contextmanager
def processes():
    started = []
    try:
        yield started
    finally:
        for process in started:
            process.kill()
            process.wait(timeout=10)


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
def test_keys_land_where_real_nutcracker_puts_them(tmp_path, hash_name, distribution, hash_tag):
    # Store keys through a real nutcracker, then ask each memcached directly which keys it holds.
    ports = [free_port() for _ in range(3)]
    listen, stats = free_port(), free_port()
    config = tmp_path / "nutcracker.yml"
    tag = f"  hash_tag: \"{hash_tag}\"\n" if hash_tag else ""
    config.write_text(
        "alpha:\n"
        f"  listen: 127.0.0.1:{listen}\n"
        f"  hash: {hash_name}\n"
        f"  distribution: {distribution}\n"
        f"{tag}"
        "  servers:\n"
        f"   - 127.0.0.1:{ports[0]}:1 cache-a\n"
        f"   - 127.0.0.1:{ports[1]}:2 cache-b\n"
        f"   - 127.0.0.1:{ports[2]}:1 cache-c\n")
    pool = ringleader.load_pools(config)["alpha"]
    keys = [f"user:{{{i % 17}}}:{i}" for i in range(300)]
    with processes() as started:
        as_root = ["-u", "root"] if os.geteuid() == 0 else []  # memcached refuses root unless told
        for port in ports:
            started.append(subprocess.Popen([MEMCACHED, "-l", "127.0.0.1", "-p", str(port), "-U", "0", *as_root],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        started.append(subprocess.Popen([NUTCRACKER, "-c", str(config), "-s", str(stats), "-a", "127.0.0.1",
                                         "-o", str(tmp_path / "nutcracker.log")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with contextlib.closing(connect(listen)) as proxy:
            for key in keys:
                assert command(proxy, f"set {key} 0 0 1\r\nx\r\n") == b"STORED\r\n"
        holder = {}
        for name, port in zip(["cache-a", "cache-b", "cache-c"], ports):
            with contextlib.closing(connect(port)) as server:
                for key in keys:
                    if command(server, f"get {key}\r\n") != b"END\r\n":
                        holder[key] = name
    assert len(set(holder.values())) > 1
    assert [pool.get_node(key) for key in keys] == [holder.get(key) for key in keys]
