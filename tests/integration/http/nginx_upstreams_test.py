#!/usr/bin/python3
"""An http pool in front of the real nginx as its upstreams, which close kept-alive connections
themselves: each closes a connection after its 100th request (`keepalive_requests 100`), as many
deployments set. Through `serve --threads 2`, 16 clients of kept-alive GETs must each get 200 from
their key's server: no 502, no request sent to another server, no ejection although one failure
would eject a server (server_failure_limit 1). Before connections were one request each (issue 23),
258,429 of 408,129 such requests failed with `-t 2`.

Usage: nginx_upstreams_test.py RINGLEADER_BINARY     (exit status 0: every request answered right)

Every process started is stopped on exit; every wait is bounded.
"""

import http.client
import json
import shutil
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "operations"))
from processes import Processes, free_port, nginx_preamble, read_all  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CLIENTS = 16
REQUESTS = 400  # per client


def upstreams_config(directory, ports):
    servers = "".join(f"  server {{ listen 127.0.0.1:{port}; keepalive_requests 100; "
                      f"location / {{ return 200 \"{label}\"; }} }}\n" for label, port in ports.items())
    return nginx_preamble(directory) + servers + "}\n"


def main():
    binary = sys.argv[1]
    with Processes() as procs:
        ports = {label: free_port() for label in ("a", "b")}
        nginx_conf = Path(procs.dir, "upstreams.conf")
        nginx_conf.write_text(upstreams_config(procs.dir, ports))
        procs.start([NGINX, "-c", str(nginx_conf), "-p", procs.dir], ports["b"], "nginx")
        port, stats_port = free_port(), free_port()
        config = procs.config(
            f"web:\n  listen: 127.0.0.1:{port}\n  protocol: http\n  distribution: ketama\n  timeout: 10000\n"
            "  auto_eject_hosts: true\n  server_failure_limit: 1\n  server_retry_timeout: 60000\n  servers:\n" +
            "".join(f"   - 127.0.0.1:{p}:1 {label}\n" for label, p in ports.items()))
        procs.ringleader(binary, config, port, ["--threads", "2", "-s", str(stats_port)])

        answers = {}  # URI -> the labels that answered it
        failures = []
        lock = threading.Lock()

        def client(n):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                for i in range(REQUESTS):
                    uri = f"/item/{(n * 7919 + i) % 500}"
                    connection.request("GET", uri)
                    response = connection.getresponse()
                    body = response.read().decode(errors="replace")
                    with lock:
                        if response.status != 200:
                            failures.append((uri, response.status, body[:80]))
                        answers.setdefault(uri, set()).add(body)
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    failures.append(("client", n, repr(e)))
            finally:
                connection.close()

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        stats = json.loads(read_all(stats_port))["web"]
        counters = {name: stats[name] for name in ("forward_error", "replica_failovers", "server_ejects")}
        moved = {uri: labels for uri, labels in answers.items() if len(labels) != 1}
        print(f"{CLIENTS} clients x {REQUESTS} GETs through serve --threads 2, upstreams with keepalive_requests 100: "
              f"{CLIENTS * REQUESTS - len(failures)} answered 200, {len(failures)} failed; {len(moved)} URIs answered "
              f"by two servers; {counters}")
        for failure in failures[:5]:
            print("failed:", failure)
        # The upstreams do close: the 100th response on a connection says so, and the connection ends.
        direct = http.client.HTTPConnection("127.0.0.1", ports["a"], timeout=10)
        for _ in range(100):
            direct.request("GET", "/direct")
            response = direct.getresponse()
            response.read()
        closes = response.getheader("Connection") == "close"
        direct.close()
        print(f"an upstream's 100th response on one connection says Connection: close: {closes}")
        ok = not failures and not moved and not any(counters.values()) and not any(t.is_alive() for t in threads)
        return 0 if ok and closes else 1


if __name__ == "__main__":
    sys.exit(main())
