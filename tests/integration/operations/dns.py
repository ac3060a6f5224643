"""A real DNS server for the tests: dnsmasq (Debian's dnsmasq-base) on a free loopback port, serving
only the records it is given (--local=/test/: names under .test it does not know are NXDOMAIN, and
nothing is forwarded), always killed when the test ends (by its own PID).

dnsmasq reads --srv-host and --host-record only when it starts (SIGHUP rereads host files, not
them), so a change of records is a restart on the same port: set() does that and returns once the
new process answers. ServFail answers every query on a port with SERVFAIL, in place of dnsmasq."""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

DNSMASQ = "/usr/sbin/dnsmasq"


def query(port, name, qtype, timeout=1.0):
    """Asks 127.0.0.1:port for `name` (qtype 1: A, 33: SRV); returns (rcode, answer count)."""
    message = struct.pack(">HHHHHH", 0x2A2A, 0x0100, 1, 0, 0, 0)
    message += b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    message += struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(message, ("127.0.0.1", port))
        reply = s.recv(4096)
    return reply[3] & 0x0F, struct.unpack(">H", reply[6:8])[0]


class Dnsmasq:
    """`srv`: {name: [(target, port, weight), ...]} in the order dnsmasq lists them; `hosts`:
    [(name, address), ...]; `ttl`: the TTL of every record."""

    def __init__(self, port, srv, hosts, ttl=1):
        self.dir = tempfile.mkdtemp(prefix="ringleader-dns-")
        self.port = port
        self.proc = None
        self.set(srv, hosts, ttl)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def set(self, srv, hosts, ttl=None):
        """Serves these records from now on (a restart on the same port)."""
        self.kill()
        self.ttl = ttl if ttl is not None else self.ttl
        args = [DNSMASQ, "-k", "--no-resolv", "--no-hosts", "--conf-file=/dev/null", f"--port={self.port}",
                "--listen-address=127.0.0.1", "--bind-interfaces", "--local=/test/", f"--local-ttl={self.ttl}",
                f"--pid-file={os.path.join(self.dir, 'pid')}",
                "--log-queries", f"--log-facility={os.path.join(self.dir, 'queries.log')}"]
        if os.geteuid() == 0:
            args += ["--user=root", "--group=root"]  # else it becomes `nobody`, who cannot write its log here
        for name, records in srv.items():
            args += [f"--srv-host={name},{target},{port},0,{weight}" for target, port, weight in records]
        args += [f"--host-record={name},{address}" for name, address in hosts]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dnsmasq exited {self.proc.returncode}: {self.proc.stderr.read().decode()}")
            try:
                query(self.port, "ready.test", 1, timeout=0.2)
                return
            except OSError:
                assert time.monotonic() < deadline, "dnsmasq does not answer"
                time.sleep(0.02)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a stopped process dies only once it runs
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc is not None:
            self.proc.stderr.close()
        self.proc = None

    def stop(self):
        """SIGSTOP: dnsmasq keeps its socket but answers nothing (every query times out)."""
        self.proc.send_signal(signal.SIGSTOP)


class ServFail:
    """Answers every query on 127.0.0.1:port with SERVFAIL until closed (a context manager)."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.05)
        self.running = True
        self.answered = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                message, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            flags = 0x8000 | (message[2] & 0x79) << 8 | 0x80 | 0x02  # QR, opcode and RD echoed, RA, SERVFAIL
            self.sock.sendto(message[:2] + struct.pack(">H", flags) + message[4:6] + b"\0" * 6 + message[12:], peer)
            self.answered += 1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()
