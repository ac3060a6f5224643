"""The soak's servers: memcached and redis-server backends that can be killed, stopped and restarted
on the same port, and the proxy under test. Every process started here is killed by close() (a
stopped one is continued first, so that it can die), and every wait is bounded.

The small helpers (free ports, waiting on a port, the stats port's JSON, VmRSS) are the operations
tests' (tests/integration/operations/processes.py), imported rather than copied.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "operations"))
from processes import MEMCACHED, NUTCRACKER, free_port, open_fds, read_all, vm_rss_kib, wait_port  # noqa: E402

REDIS_SERVER = "/usr/bin/redis-server"


class Servers:
    def __init__(self, directory):
        self.dir = Path(directory)
        self.argv, self.ports, self.procs = {}, {}, {}
        self.stopped = set()

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

    def log(self, name):
        return (self.dir / f"{name}.log").read_text(errors="replace")


__all__ = ["NUTCRACKER", "Servers", "free_port", "open_fds", "read_all", "vm_rss_kib", "wait_port"]
