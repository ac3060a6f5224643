"""A real etcd for the tests: one member on free loopback ports, data in a temporary directory,
always killed when the test ends (by its own PID), restartable on the same ports and data.
Reads and writes through etcd's JSON gateway (urllib), so a write's revision is known exactly.
With `tls` (cert, key, ca), its clients speak https and must show a certificate the ca signed."""

import base64
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import urllib.request

from processes import free_port, wait_for, wait_port

ETCD = shutil.which("etcd") or "/usr/bin/etcd"


def b64(text):
    return base64.b64encode(text.encode()).decode()


def prefix_end(prefix):
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class Etcd:
    def __init__(self, tls=None):
        self.tls = tls
        self.dir = tempfile.mkdtemp(prefix="ringleader-etcd-")
        self.port = free_port()
        self.peer_port = free_port()
        self.proc = None
        self.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def endpoint(self):
        return f"{'https://' if self.tls else ''}127.0.0.1:{self.port}"

    def start(self):
        client = f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"
        peer = f"http://127.0.0.1:{self.peer_port}"
        log = open(os.path.join(self.dir, "etcd.log"), "ab")
        self.proc = subprocess.Popen(
            [ETCD, "--name", "default", "--data-dir", os.path.join(self.dir, "data"),
             "--listen-client-urls", client, "--advertise-client-urls", client,
             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
             "--initial-cluster", f"default={peer}",
             *(["--cert-file", self.tls["cert"], "--key-file", self.tls["key"], "--client-cert-auth",
                "--trusted-ca-file", self.tls["ca"]] if self.tls else [])],
            stdout=log, stderr=subprocess.STDOUT)
        wait_port(self.port, process=self.proc)
        wait_for(self.answers, "etcd to answer")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a stopped process dies only once it runs
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self):
        """SIGSTOP: etcd keeps its sockets but answers nothing."""
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def enable_auth(self, user, password):
        """Turns on etcd's authentication with `user` as root; later calls authenticate as them."""
        self.call("/v3/auth/role/add", {"name": "root"})
        self.call("/v3/auth/user/add", {"name": user, "password": password})
        self.call("/v3/auth/user/grant", {"user": user, "role": "root"})
        self.call("/v3/auth/enable", {})
        self.token = self.call("/v3/auth/authenticate", {"name": user, "password": password})["token"]

    token = None

    def call(self, path, body, timeout=5.0):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = self.token
        url = f"{self.endpoint if self.tls else 'http://' + self.endpoint}{path}"
        request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
        context = None
        if self.tls:
            context = ssl.create_default_context(cafile=self.tls["ca"])
            context.load_cert_chain(self.tls["cert"], self.tls["key"])  # etcd's own: signed by the ca too
        with urllib.request.urlopen(request, timeout=timeout, context=context) as reply:
            return json.loads(reply.read())

    def answers(self):
        try:
            self.call("/v3/maintenance/status", {}, timeout=1.0)
            return True
        except OSError:
            return False

    def put(self, key, value):
        """Returns the revision of the write."""
        return int(self.call("/v3/kv/put", {"key": b64(key), "value": b64(value)})["header"]["revision"])

    def delete(self, key):
        return int(self.call("/v3/kv/deleterange", {"key": b64(key)})["header"]["revision"])

    def compact(self, revision):
        self.call("/v3/kv/compaction", {"revision": str(revision), "physical": True})

    def keys(self, prefix):
        reply = self.call("/v3/kv/range", {"key": b64(prefix), "range_end": b64(prefix_end(prefix))})
        return {base64.b64decode(kv["key"]).decode(): base64.b64decode(kv.get("value", "")).decode()
                for kv in reply.get("kvs", [])}
