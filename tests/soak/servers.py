"""The soak's servers: memcached, redis-server and HTTP upstream backends that can be killed, stopped
and restarted on the same port, an etcd, and the proxy under test. Every process started here is
killed by close() (a stopped one is continued first, so that it can die), and every wait is bounded.

The small helpers (free ports, waiting on a port, the stats port's JSON, VmRSS) and the etcd are the
operations tests' (tests/integration/operations/processes.py and etcd.py), the HTTP upstream the http
pool test's (tests/integration/http/upstream.py), used rather than copied.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "operations"))
from etcd import Etcd  # noqa: E402
from processes import (MEMCACHED, NUTCRACKER, free_port, open_fds, read_all, tcp_connections, vm_rss_kib,  # noqa: E402
                       wait_port)

REDIS_SERVER = "/usr/bin/redis-server"
HTTP_UPSTREAM = Path(__file__).resolve().parents[1] / "integration" / "http" / "upstream.py"


class Servers:
    def __init__(self, directory):
        self.dir = Path(directory)
        self.argv, self.ports, self.procs = {}, {}, {}
        self.stopped = set()
        self.etcd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self, name, argv, ports):
        self.argv[name], self.ports[name] = argv, ports
        log = open(self.dir / f"{name}.log", "ab")  # appended: a restarted server keeps its history
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        for port in ports:
            wait_port(port, timeout=30)  # ASan start-up on a busy machine is slow
        return self.procs[name]

    def memcached(self, name, port=None):
        port = port or free_port()
        root = ["-u", "root"] if os.geteuid() == 0 else []
        # -I 2m: values up to 1 MiB fit (the default item limit is 1 MiB including overhead).
        self.start(name, [MEMCACHED, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-t", "1", "-m", "128",
                          "-I", "2m", *root], [port])
        return port

    def redis(self, name, port=None):
        port = port or free_port()
        self.start(name, [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", str(self.dir)], [port])
        return port

    def http_upstream(self, name, port=None):
        """tests/integration/http/upstream.py: answers GET /PATH with its name and the path. With a
        listen backlog of 1024, not socketserver's 5: the proxy opens a connection per request in
        flight, and a full accept queue drops SYNs (sent again after 1 s), a limit of this test
        server and not what the soak tests (nginx listens with a backlog of 511)."""
        port = port or free_port()
        run = ("import runpy, socketserver, sys; socketserver.TCPServer.request_queue_size = 1024; "
               "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')")
        self.start(name, [sys.executable, "-c", run, str(HTTP_UPSTREAM), str(port), name], [port])
        return port

    def start_etcd(self):
        self.etcd = Etcd()
        return self.etcd

    def kill(self, name):
        """kill -9, as a crash would."""
        self.procs[name].kill()
        self.procs[name].wait(timeout=10)

    def restart(self, name):
        self.start(name, self.argv[name], self.ports[name])

    def pause(self, name):
        self.procs[name].send_signal(signal.SIGSTOP)
        self.stopped.add(name)

    def resume(self, name):
        self.procs[name].send_signal(signal.SIGCONT)
        self.stopped.discard(name)

    def running(self, name):
        return self.procs[name].poll() is None

    def close(self):
        for name, proc in self.procs.items():
            if proc.poll() is None:
                if name in self.stopped:
                    proc.send_signal(signal.SIGCONT)
                proc.kill()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                print(f"pid {proc.pid} did not exit after SIGKILL", file=sys.stderr)
        if self.etcd is not None:
            self.etcd.__exit__(None, None, None)

    def log(self, name):
        return (self.dir / f"{name}.log").read_text(errors="replace")


__all__ = ["NUTCRACKER", "Servers", "free_port", "open_fds", "tcp_connections", "read_all", "vm_rss_kib",
           "wait_port"]
