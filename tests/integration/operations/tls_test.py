#!/usr/bin/python3
"""TLS to clients and to servers, through one running proxy, with real parts only: a TLS-only
redis-server (--port 0 --tls-port), memcached -Z, an nginx `ssl` upstream; clients redis-cli --tls,
Python's ssl module and curl --cacert. The certificates are made here with openssl.

Usage: tls_test.py RINGLEADER_BINARY     (exit status 0: every check passed)

1. Good paths: redis-cli --tls writes and reads through a TLS pool in front of the TLS-only
   redis-server; a plain memcached client writes and reads through a pool in front of memcached -Z,
   and a TLS one through a TLS pool in front of it; curl --cacert fetches through an HTTPS pool
   (ALPN http/1.1) in front of an nginx ssl upstream; mTLS with a client certificate.
2. Bad cases, each with a clear error and no other client disturbed (a TLS client's connection is
   open through all of them and still answers after): plaintext to a TLS port; TLS to a plaintext
   port (a client's, and the proxy's to a plaintext server); a server certificate of another CA, expired, or of another name (each pool's requests get
   an error naming it); a handshake that never finishes (closed at tls_handshake_timeout); a client
   without a certificate when mTLS is on.
3. 1,000 failed handshakes: the proxy's fds come back to their baseline, its RSS stays near it.
4. Certificates read again on SIGHUP: a renewed one serves the next handshake, an open connection
   stays; a broken one is refused in the log and the renewed one stays in use.
5. Config errors name file, line and key: tls_cert without tls_key; a missing certificate file, a
   missing etcd_ca file (--check).
6. etcd over TLS: a pool takes its servers from an etcd that serves https only and requires client
   certificates (etcd_ca, etcd_cert, etcd_key), and `ringleader register` writes to it; with a CA
   that did not sign etcd's certificate, the proxy refuses to start and says why.
"""

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

from certificates import Certificates
from etcd import Etcd
from processes import (MEMCACHED, REDIS_SERVER, Processes, free_port, nginx_preamble, open_fds, redis_command,
                       vm_rss_kib, wait_for, wait_port)

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


def tls_client(port, ca, cert=None, timeout=10, alpn=None):
    context = ssl.create_default_context(cafile=ca)
    if cert:
        context.load_cert_chain(cert, cert[:-len(".pem")] + ".key")
    if alpn:
        context.set_alpn_protocols(alpn)
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return context.wrap_socket(raw, server_hostname="localhost")


def exchange(sock, request, until):
    """Sends `request` and reads until the reply ends with `until` (or the peer closes)."""
    sock.sendall(request)
    reply = b""
    while not reply.endswith(until):
        chunk = sock.recv(65536)
        if not chunk:
            break
        reply += chunk
    return reply


def memcache_roundtrip(sock, key, value):
    stored = exchange(sock, b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value), b"\r\n")
    got = exchange(sock, b"get %s\r\n" % key, b"END\r\n")
    return stored, got


def redis_cli(port, ca, *args):
    out = subprocess.run([REDIS_CLI, "--tls", "--cacert", ca, "--sni", "localhost", "-h", "127.0.0.1", "-p",
                          str(port), *args], capture_output=True, timeout=20)
    return out.stdout.decode().strip()


def closed_by_peer(sock):
    """True once the peer closes the connection (reads b"" or a reset), within the socket's timeout."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print("ok:", what)


def main():
    binary = sys.argv[1]
    with Processes() as procs:
        pki = Certificates(procs.dir)
        ca = pki.path("ca.pem")
        server = pki.issue("server")
        client = pki.issue("client", cn="client", sans="DNS:client")
        stranger = pki.issue("stranger", ca="other-ca")
        expired = pki.issue("expired", expired=True)
        misnamed = pki.issue("misnamed", cn="elsewhere", sans="DNS:elsewhere.example")
        proxy_cert = pki.issue("proxy")  # the proxy's own, renewed in part 4
        key = server[:-4] + ".key"

        # Servers: TLS-only redis, memcached -Z (each with the good certificate, or a bad one).
        def tls_redis(cert):
            port = free_port()
            procs.start([REDIS_SERVER, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1", "--save", "",
                         "--appendonly", "no", "--tls-cert-file", cert, "--tls-key-file", cert[:-4] + ".key",
                         "--tls-ca-cert-file", ca, "--tls-auth-clients", "no"], port, f"redis-tls-{port}")
            return port

        def tls_memcached(cert, port=None):
            port = port or free_port()
            return port, procs.start([MEMCACHED, "-Z", "-o", f"ssl_chain_cert={cert},ssl_key={cert[:-4]}.key", "-l", "127.0.0.1",
                         "-p", str(port), "-U", "0", *(["-u", "root"] if os.geteuid() == 0 else [])],
                        port, f"memcached-tls-{port}")

        redis_port = tls_redis(server)
        mc_port = tls_memcached(server)[0]
        ejected_port, ejected = tls_memcached(server)
        bad_ports = {"stranger": tls_memcached(stranger)[0], "expired": tls_memcached(expired)[0],
                     "misnamed": tls_memcached(misnamed)[0]}
        nginx_port = free_port()
        nginx_conf = Path(procs.dir, "nginx.conf")
        nginx_conf.write_text(nginx_preamble(procs.dir) +
                              f"  server {{ listen 127.0.0.1:{nginx_port} ssl; ssl_certificate {server}; "
                              f"ssl_certificate_key {key}; location / {{ return 200 \"upstream $uri\\n\"; }} }}\n}}\n")
        procs.start([NGINX, "-c", str(nginx_conf), "-p", procs.dir], nginx_port, "nginx")

        ports = {name: free_port() for name in ("redis", "mc_plain", "mc_tls", "web", "mtls", "stranger", "expired",
                                                "misnamed", "slow", "ejecting", "to_plain")}
        client_tls = (f"  tls_cert: {proxy_cert}\n  tls_key: {proxy_cert[:-4]}.key\n")
        server_tls = f"  server_tls: true\n  server_tls_ca: {ca}\n"
        common = "  timeout: 3000\n  auto_eject_hosts: false\n"
        text = (f"redis_tls:\n  listen: 127.0.0.1:{ports['redis']}\n  redis: true\n{common}{client_tls}{server_tls}"
                f"  servers:\n   - 127.0.0.1:{redis_port}:1\n"
                f"mc_plain:\n  listen: 127.0.0.1:{ports['mc_plain']}\n{common}{server_tls}"
                f"  servers:\n   - 127.0.0.1:{mc_port}:1\n"
                f"mc_tls:\n  listen: 127.0.0.1:{ports['mc_tls']}\n{common}{client_tls}{server_tls}"
                f"  servers:\n   - 127.0.0.1:{mc_port}:1\n"
                f"web:\n  listen: 127.0.0.1:{ports['web']}\n  protocol: http\n{common}{client_tls}{server_tls}"
                f"  servers:\n   - 127.0.0.1:{nginx_port}:1\n"
                f"mtls:\n  listen: 127.0.0.1:{ports['mtls']}\n{common}{client_tls}  tls_ca: {ca}\n{server_tls}"
                f"  servers:\n   - 127.0.0.1:{mc_port}:1\n"
                f"slow:\n  listen: 127.0.0.1:{ports['slow']}\n{common}{client_tls}  tls_handshake_timeout: 500\n"
                f"  servers:\n   - 127.0.0.1:{mc_port}:1\n")
        text += (f"ejecting:\n  listen: 127.0.0.1:{ports['ejecting']}\n  timeout: 3000\n  auto_eject_hosts: true\n"
                 f"  server_failure_limit: 1\n  server_retry_timeout: 100\n{server_tls}"
                 f"  servers:\n   - 127.0.0.1:{ejected_port}:1\n")
        plain_port = procs.memcached()
        text += (f"to_plain:\n  listen: 127.0.0.1:{ports['to_plain']}\n{common}{server_tls}"
                 f"  servers:\n   - 127.0.0.1:{plain_port}:1\n")
        for name, port in bad_ports.items():
            text += (f"{name}:\n  listen: 127.0.0.1:{ports[name]}\n{common}{server_tls}"
                     f"  servers:\n   - 127.0.0.1:{port}:1\n")
        config = procs.config(text)
        try:
            # Under ASan, freed blocks wait in its quarantine: cut to 8 MiB, as leaks_test does, so RSS means something.
            asan = os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=8:allocator_release_to_os_interval_ms=100"
            proxy = procs.ringleader(binary, config, ports["slow"], extra=["-v"], env=dict(os.environ, ASAN_OPTIONS=asan))
        except RuntimeError:
            print(procs.log("ringleader"))
            raise
        for port in ports.values():
            wait_port(port, process=proxy)

        # 1. Good paths.
        check(redis_cli(ports["redis"], ca, "SET", "tls-key", "tls-value") == "OK" and
              redis_cli(ports["redis"], ca, "GET", "tls-key") == "tls-value",
              "redis-cli --tls writes and reads through a TLS pool in front of a TLS-only redis-server")
        with socket.create_connection(("127.0.0.1", ports["mc_plain"]), timeout=10) as plain:
            stored, got = memcache_roundtrip(plain, b"plain-key", b"plain-value")
        check(stored == b"STORED\r\n" and got == b"VALUE plain-key 0 11\r\nplain-value\r\nEND\r\n",
              "a plaintext memcached client writes and reads through a pool in front of memcached -Z")
        keeper = tls_client(ports["mc_tls"], ca)  # open through every bad case below
        value = os.urandom(300_000).hex().encode()  # larger than a TLS record, both ways
        stored, got = memcache_roundtrip(keeper, b"big", value)
        check(stored == b"STORED\r\n" and got == b"VALUE big 0 %d\r\n%s\r\nEND\r\n" % (len(value), value),
              "a TLS client writes and reads a 600 KB value through TLS on both sides")
        out = subprocess.run(["curl", "-sS", "--cacert", ca, "-w", " %{http_version}",
                              f"https://localhost:{ports['web']}/some/path"], capture_output=True, timeout=20)
        check(out.stdout == b"upstream /some/path\n 1.1",
              f"curl --cacert fetches through an HTTPS pool in front of an nginx ssl upstream ({out.stdout!r} {out.stderr!r})")
        chosen = {}
        for pool in ("web", "mc_tls"):
            with tls_client(ports[pool], ca, alpn=["h2", "http/1.1"]) as offering:
                chosen[pool] = offering.selected_alpn_protocol()
        check(chosen == {"web": "http/1.1", "mc_tls": None},
              f"ALPN: offered h2 and http/1.1, an HTTPS pool picks http/1.1, a memcache pool none ({chosen})")
        import pymemcache.client.base
        import redis
        r = redis.Redis(host="127.0.0.1", port=ports["redis"], ssl=True, ssl_ca_certs=ca, socket_timeout=10)
        check(r.set("py", "redis-py") and r.get("py") == b"redis-py", "redis-py with ssl=True writes and reads")
        m = pymemcache.client.base.Client(("localhost", ports["mc_tls"]), timeout=10,
                                          tls_context=ssl.create_default_context(cafile=ca))
        m.set("py", b"pymemcache")
        check(m.get("py") == b"pymemcache", "pymemcache with a tls_context writes and reads")
        m.close()
        with tls_client(ports["mtls"], ca, cert=client) as mutual:
            stored, got = memcache_roundtrip(mutual, b"mtls-key", b"v")
        check(got == b"VALUE mtls-key 0 1\r\nv\r\nEND\r\n", "a client with a certificate the tls_ca signed is served (mTLS)")

        # 2. Bad cases.
        with socket.create_connection(("127.0.0.1", ports["mc_tls"]), timeout=10) as plain:
            plain.sendall(b"get plain-key\r\n")
            check(closed_by_peer(plain), "plaintext to a TLS port: closed at the handshake")
        check("TLS handshake failed" in procs.log("ringleader"), "... and the proxy logs why")
        try:
            tls_client(ports["mc_plain"], ca, timeout=5).close()
            refused = False
        except (ssl.SSLError, ConnectionError, socket.timeout):
            refused = True
        check(refused, "TLS to a plaintext port: the client's handshake fails")
        reasons = {"stranger": "unable to get local issuer certificate", "expired": "certificate has expired",
                   "misnamed": "ip address mismatch"}
        for name, reason in reasons.items():
            with socket.create_connection(("127.0.0.1", ports[name]), timeout=10) as c:
                reply = exchange(c, b"get k\r\n", b"\r\n")
            check(reply.startswith(b"SERVER_ERROR") and reason.encode() in reply.lower(),
                  f"a server certificate {name}: requests get {reply.strip()!r}")
        with socket.create_connection(("127.0.0.1", ports["to_plain"]), timeout=10) as c:
            reply = exchange(c, b"get k\r\n", b"\r\n")
        check(reply.startswith(b"SERVER_ERROR TLS handshake with"), f"TLS to a plaintext server: requests get {reply.strip()!r}")
        slow = socket.create_connection(("127.0.0.1", ports["slow"]), timeout=10)
        started = time.monotonic()
        check(closed_by_peer(slow), f"a handshake that never finishes is closed (after {time.monotonic() - started:.2f} s,"
                                    " tls_handshake_timeout 500 ms)")
        slow.close()
        try:
            with tls_client(ports["mtls"], ca) as anonymous:
                # TLS 1.3: the server's refusal arrives after the client's handshake is done.
                anonymous.sendall(b"get mtls-key\r\n")
                denied = closed_by_peer(anonymous)
        except (ssl.SSLError, ConnectionError):
            denied = True
        check(denied, "a client without a certificate when mTLS is on is refused")
        stored, got = memcache_roundtrip(keeper, b"after", b"bad cases")
        check(got == b"VALUE after 0 9\r\nbad cases\r\nEND\r\n", "the TLS client open through the bad cases is still served")

        # A server's connection lost: the next one resumes its TLS session. So does every connection
        # after the first, on either worker thread: one full handshake with redis-server in all.
        def sessions(kind):
            return sum(f"TLS session {kind}" in line and f":{redis_port}" in line
                       for line in procs.log("ringleader").splitlines())
        for _ in range(8):  # new clients, landing on both worker threads: each thread's first connection resumes
            redis_cli(ports["redis"], ca, "GET", "tls-key")
        resumed = sessions("resumed")
        subprocess.run([REDIS_CLI, "--tls", "--cacert", ca, "-h", "127.0.0.1", "-p", str(redis_port), "CLIENT", "KILL",
                        "TYPE", "normal"], capture_output=True, timeout=20, check=True)
        wait_for(lambda: redis_cli(ports["redis"], ca, "GET", "tls-key") == "tls-value", "a read after the kill")
        check(sessions("resumed") > resumed, "the proxy's reconnection to redis-server resumed its TLS session")
        check(sessions("started") == 1, f"one full TLS handshake with redis-server, {sessions('resumed')} resumed")
        # An ejected TLS server is probed over TLS: restarted, it takes traffic again.
        def ejecting(request, until):
            with socket.create_connection(("127.0.0.1", ports["ejecting"]), timeout=10) as c:
                return exchange(c, request, until)
        check(ejecting(b"set e 0 0 1\r\n1\r\n", b"\r\n") == b"STORED\r\n", "a pool whose server will be ejected serves")
        ejected.kill()
        ejected.wait()
        wait_for(lambda: ejecting(b"get e\r\n", b"\r\n").startswith(b"SERVER_ERROR"), "the server's ejection")
        wait_for(lambda: "server ejected" in procs.log("ringleader"), "the ejection in the log")
        tls_memcached(server, ejected_port)
        wait_for(lambda: ejecting(b"set e 0 0 1\r\n2\r\n", b"\r\n") == b"STORED\r\n", "the server back", timeout=20)
        check("server returned" in procs.log("ringleader"), "an ejected TLS server is back once a probe over TLS passes")

        # 3. 1,000 failed handshakes: fds back to their baseline, RSS near it.
        def settled_fds():
            return open_fds(proxy.pid)
        baseline_fds, baseline_rss = settled_fds(), vm_rss_kib(proxy.pid)
        for i in range(1000):
            with socket.create_connection(("127.0.0.1", ports["mc_tls"]), timeout=10) as c:
                c.sendall(b"\x16\x03\x01\x00\x05hello" if i % 2 else b"get x\r\n")  # a broken record; plaintext
                closed_by_peer(c)
        wait_for(lambda: settled_fds() <= baseline_fds, f"the proxy's fds back to {baseline_fds}")
        rss = vm_rss_kib(proxy.pid)
        check(rss < baseline_rss + 16 * 1024, f"after 1,000 failed handshakes: fds {settled_fds()} (baseline "
                                              f"{baseline_fds}), RSS {rss} KiB (baseline {baseline_rss} KiB)")

        # 4. Certificates read again on SIGHUP.
        def served_serial():
            with tls_client(ports["mc_tls"], ca) as c:
                return c.getpeercert()["serialNumber"]
        before = served_serial()
        shutil.copy(pki.issue("renewed"), proxy_cert)
        shutil.copy(pki.path("renewed.key"), proxy_cert[:-4] + ".key")
        reloads = procs.log("ringleader").count("config reloaded")
        proxy.send_signal(signal.SIGHUP)
        wait_for(lambda: procs.log("ringleader").count("config reloaded") > reloads, "the reload")
        renewed = served_serial()
        check(renewed != before, f"SIGHUP: a renewed certificate serves the next handshake (serial {before} -> {renewed})")
        stored, got = memcache_roundtrip(keeper, b"after-reload", b"x")
        check(got == b"VALUE after-reload 0 1\r\nx\r\nEND\r\n", "... and the connection open before it stays")
        Path(proxy_cert).write_text("not a certificate\n")
        reloads = procs.log("ringleader").count("config reloaded")
        proxy.send_signal(signal.SIGHUP)
        wait_for(lambda: procs.log("ringleader").count("config reloaded") > reloads, "the second reload")
        check("TLS certificates not reloaded" in procs.log("ringleader") and served_serial() == renewed,
              "a certificate that fails to load is logged, and the one before stays in use")

        # 5. Config errors name file, line and key.
        def config_error(pool_text):
            path = procs.config("bad:\n  listen: 127.0.0.1:1\n  servers:\n   - 127.0.0.1:2:1\n" + pool_text)
            out = subprocess.run([binary, "serve", "--check", "-c", path], capture_output=True, timeout=20)
            return path, out.returncode, (out.stdout + out.stderr).decode()
        path, status, said = config_error(f"  tls_cert: {server}\n")
        check(status != 0 and re.search(re.escape(path) + r":5\b.*tls_cert.*tls_key", said) is not None,
              f"tls_cert without tls_key: {said.strip()}")
        path, status, said = config_error(f"  tls_cert: {procs.dir}/missing.pem\n  tls_key: {key}\n")
        check(status != 0 and re.search(re.escape(path) + r":5\b.*tls_cert.*missing.pem: No such file", said) is not None,
              f"a missing certificate file, with --check: {said.strip()}")
        path = procs.config("from_etcd:\n  listen: 127.0.0.1:1\n  etcd: https://127.0.0.1:2\n  etcd_prefix: /tls/\n"
                            f"  etcd_ca: {procs.dir}/missing-ca.pem\n")
        out = subprocess.run([binary, "serve", "--check", "-c", path], capture_output=True, timeout=20)
        said = (out.stdout + out.stderr).decode()
        check(out.returncode != 0 and re.search(re.escape(path) + r":5\b.*etcd_ca.*missing-ca.pem: No such file", said),
              f"a missing etcd_ca file, with --check: {said.strip()}")
        # 6. etcd over TLS, with client certificates.
        with Etcd(tls={"cert": server, "key": key, "ca": ca}) as etcd:
            member = procs.memcached()
            etcd.put("/tls/a", f"127.0.0.1:{member}:1")
            etcd_port = free_port()
            etcd_pool = (f"from_etcd:\n  listen: 127.0.0.1:{etcd_port}\n  etcd: {etcd.endpoint}\n  etcd_prefix: /tls/\n"
                         f"  etcd_cert: {client}\n  etcd_key: {client[:-4]}.key\n")
            procs.ringleader(binary, procs.config(etcd_pool + f"  etcd_ca: {ca}\n"), etcd_port, name="ringleader-etcd")
            with socket.create_connection(("127.0.0.1", etcd_port), timeout=10) as c:
                stored, got = memcache_roundtrip(c, b"etcd-key", b"via etcd")
            check(got == b"VALUE etcd-key 0 8\r\nvia etcd\r\nEND\r\n",
                  "a pool takes its servers from an https-only etcd that requires client certificates")
            registrar = subprocess.Popen([binary, "register", "--etcd", etcd.endpoint, "--etcd-ca", ca, "--etcd-cert", client,
                                          "--etcd-key", client[:-4] + ".key", "--prefix", "/tls/", "127.0.0.1:1:1 second"],
                                         stderr=subprocess.DEVNULL)
            procs.procs.append(registrar)
            wait_for(lambda: "127.0.0.1:1:1 second" in "".join(etcd.keys("/tls/").values()),
                     "ringleader register --etcd https://... to write its line")
            registrar.terminate()
            check(registrar.wait(timeout=20) == 0, "ringleader register keeps a line in an https etcd, with a client certificate")
            out = subprocess.run([binary, "serve", "-c", procs.config(etcd_pool + f"  etcd_ca: {pki.path('other-ca.pem')}\n")],
                                 capture_output=True, timeout=30)
            said = out.stderr.decode()
            check(out.returncode != 0 and "certificate verify failed" in said,
                  f"etcd's certificate signed by another CA: the proxy does not start ({said.strip().splitlines()[-1][:240]})")
    print("all TLS checks passed")


if __name__ == "__main__":
    main()
