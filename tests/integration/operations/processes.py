"""Real processes for the Python tests: memcached, nutcracker and `ringleader serve` on free
loopback ports, each killed when the test ends (Processes is a context manager), every wait bounded.

The one copy of these helpers: the operations tests import it from their folder; the others (the
compat and package tests, the soak, python/tests, tests/data/twemproxy/generate) put this folder on
sys.path first."""

import fcntl
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time

MEMCACHED = shutil.which("memcached") or "/usr/bin/memcached"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
NUTCRACKER = "/usr/sbin/nutcracker"


_reserved = []  # the lock files holding this process's ports (see free_port), open until it exits
PORT_LOCKS = "/tmp/ringleader-test-ports"


def _port_candidates():
    """Random ports outside the kernel's ephemeral range, so that no outgoing connection's local
    port (which the kernel takes from that range) is ever a port a test server is about to bind."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low, high = (int(x) for x in f.read().split())
    first, last = (10000, low - 1) if low > 12000 else (high + 1, 65535)
    while True:
        yield random.randint(first, last)


def free_port():
    """A port nothing listens on, reserved against every other test process of this machine: ctest
    runs tests side by side, and a port one test found free could be taken by another before its
    server binds it (a proxy then fails with "address in use" while the test talks to the other
    test's server). The reservation is a lock on a file in /tmp, held until this process exits, so
    this process is not given the same port twice either (two servers of one test on one port would
    route to each other: nginx takes both as virtual hosts of one listener). C++ tests take the same
    locks (tests/integration/harness/servers.cpp); the benchmarks in bench/proxy use this one."""
    os.makedirs(PORT_LOCKS, mode=0o777, exist_ok=True)
    for port in _port_candidates():
        lock = open(os.path.join(PORT_LOCKS, str(port)), "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with socket.socket() as s:
                s.bind(("127.0.0.1", port))
        except OSError:
            lock.close()
            continue
        _reserved.append(lock)
        return port


def nginx_preamble(directory, name="nginx", workers=1, connections=1024, master=False):
    """The start of an nginx config for a test or a benchmark, up to an open `http {` block for the
    caller's servers (the caller closes it): in the foreground, its pid, error log and temp files
    under `directory`, no access log. Without `master` one process serves (tests); with it,
    `workers` worker processes, which under root run as root, as nginx would otherwise switch them
    to nobody, who cannot write under `directory`."""
    process = (("user root;\n" if os.geteuid() == 0 else "") if master else "master_process off;\n")
    temp = "".join(f"  {kind}_temp_path {directory}/{name}-{kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"daemon off;\n{process}worker_processes {workers};\npid {directory}/{name}.pid;\n"
            f"error_log {directory}/{name}.error.log;\nevents {{ worker_connections {connections}; }}\n"
            f"http {{\n  access_log off;\n{temp}")


def tcp_connections(pid, ports, remote=True):
    """How many of process `pid`'s descriptors are TCP connections whose remote port (connections it
    made) or, with remote=False, whose local port (connections it accepted; listeners aside) is one
    of `ports` (from /proc/PID/fd and /proc/PID/net/tcp and tcp6)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    count = 0
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as f:
            next(f)
            for line in f:
                fields = line.split()
                port = int(fields[2 if remote else 1].split(":")[1], 16)
                if fields[9] in inodes and port in ports and fields[3] != "0A":  # 0A: LISTEN
                    count += 1
    return count


def wait_port(port, timeout=10.0, process=None, address="127.0.0.1"):
    """Waits until something accepts on address:port; fails at once if `process` (the one that
    should listen there) has exited."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args} exited {process.returncode} before listening on port {port}")
        try:
            socket.create_connection((address, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on {address}:{port}")
            time.sleep(0.05)


def wait_for(predicate, what, timeout=10.0):
    """Polls `predicate` until it holds; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def read_all(port, request=b"", timeout=5.0):
    """Connects, sends `request`, returns everything until the peer closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(1 << 16):
            data += chunk
        return data


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def status_kib(pid, field):
    """A size from /proc/PID/status, e.g. VmRSS (resident now) or VmHWM (its peak), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field}")


def vm_rss_kib(pid):
    return status_kib(pid, "VmRSS")


def redis_command(*args):
    """A Redis command as RESP (an array of bulk strings); arguments are bytes or str."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Processes:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ringleader-ops-")
        self.procs = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, argv, port, name, env=None):
        log = open(os.path.join(self.dir, name + ".log"), "wb")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
        self.procs.append(p)
        wait_port(port)
        return p

    def log(self, name):
        with open(os.path.join(self.dir, name + ".log"), "rb") as f:
            return f.read().decode(errors="replace")

    def memcached(self, port=None, args=("-m", "64")):
        """Starts a memcached (on `port`, to restart one that was killed) and returns its port."""
        port = port or free_port()
        self.start([MEMCACHED, "-l", "127.0.0.1", "-p", str(port), "-U", "0", *args, *(["-u", "root"] if os.geteuid() == 0 else [])],
                   port, f"memcached-{port}")
        return port

    def redis(self, args=()):
        """Starts a redis-server (no persistence) and returns its port."""
        port = free_port()
        self.start([REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", *args],
                   port, f"redis-{port}")
        return port

    def config(self, text):
        path = os.path.join(self.dir, f"config-{len(os.listdir(self.dir))}.yml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def ringleader(self, binary, config, port, extra=(), name="ringleader", env=None):
        p = self.start([binary, "serve", "-c", config, *extra], port, name, env)
        # The stats (-s) and admin (--admin) ports open just after the pools' ports: wait for them too.
        for flag, value in zip(extra, list(extra)[1:]):
            if flag in ("-s", "--stats-port"):
                wait_port(int(value), process=p)
            elif flag == "--admin":
                wait_port(int(value.rsplit(":", 1)[1]), process=p)
        return p

    def nutcracker(self, config, port, stats_port):
        return self.start([NUTCRACKER, "-c", config, "-s", str(stats_port), "-a", "127.0.0.1", "-i", "100",
                           "-o", os.path.join(self.dir, "nutcracker.out")], port, "nutcracker")


class Client:
    """A memcached text-protocol client (of the proxy, or of a memcached server)."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def _receive(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("closed by the peer")
        self.buf += chunk

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        """The next line, without its CRLF."""
        while b"\r\n" not in self.buf:
            self._receive()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        """The next `n` bytes (a value and its CRLF)."""
        while len(self.buf) < n:
            self._receive()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def call(self, request):
        self.sock.sendall(request)
        return self.line()

    def set_get(self, key, value=b"v"):
        """Stores and reads back one key; raises unless both work."""
        reply = self.call(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value))
        if reply != b"STORED":
            raise RuntimeError(f"set {key!r}: {reply!r}")
        self.sock.sendall(b"get " + key + b"\r\n")
        header = self.line()
        data = self.line()
        end = self.line()
        if header != b"VALUE %s 0 %d" % (key, len(value)) or data != value or end != b"END":
            raise RuntimeError(f"get {key!r}: {header!r} {data!r} {end!r}")

    def close(self):
        self.sock.close()
