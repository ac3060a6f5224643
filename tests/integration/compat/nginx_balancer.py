"""The real nginx as a consistent-hash load balancer, to learn where it sends each request.

One nginx process serves both sides: per pool, a balancer `upstream { hash $request_uri consistent;
server ...; }` on a free port, and every backend of the pools as a server block that answers any
request with its own label. Which label comes back for a URI is where nginx placed it.

Used by tests/integration/compat/nginx_live_test.py (free ports, in `make test`) and by
tests/data/nginx/generate (fixed addresses, to write the golden data)."""

import http.client
import os
import random
import shutil
import subprocess

from processes import free_port, nginx_preamble, wait_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def ringleader_line(text, weight):
    """The `servers:` entry of ringleader's `distribution: nginx` that nginx's `server TEXT
    weight=W` is: the member's name is nginx's server text (what its points hash), the address is
    where to connect (nginx's default port is 80)."""
    if text.startswith("unix:"):
        return f"{text[5:]}:{weight} {text}"
    host, _, port = text.rpartition(":")
    if port.isdigit() and host:
        return f"{text}:{weight}"
    return f"{text}:80:{weight} {text}"


def uris(seed, count):
    """Request targets of the shapes caches see: paths, queries, percent-encoding, long ones."""
    rng = random.Random(seed)
    words = ["img", "video", "user", "api", "v1", "static", "a", "objects", "thumbs", "x-y_z.~"]
    out = ["/", "/index.html", "/?", "/a?b=c&d=e"]
    while len(out) < count:
        path = "/" + "/".join(rng.choice(words) + str(rng.randrange(10 ** rng.randrange(1, 7)))
                              for _ in range(rng.randrange(1, 5)))
        shape = rng.randrange(5)
        if shape == 1:
            path += f"?id={rng.randrange(1 << 32)}&size={rng.choice(['s', 'm', 'l'])}"
        elif shape == 2:
            path += "/%E2%82%AC%20" + "".join(rng.choice("0123456789abcdef") for _ in range(rng.randrange(1, 40)))
        elif shape == 3:
            path += "/" + "z" * rng.randrange(100, 400)
        out.append(path)
    return out


class Pool:
    """servers: [(nginx `server` text, weight, down)]; listen: the address each backend listens on
    (`listen` directive text: "127.0.0.2:8081", "unix:/path"), by server text."""

    def __init__(self, name, servers, listen):
        self.name, self.servers, self.listen = name, servers, listen
        self.port = free_port()


def config_text(pools, prefix):
    backends = {}
    for pool in pools:
        for text, _, _ in pool.servers:
            backends.setdefault(pool.listen[text], f"b{len(backends)}")
    lines = [nginx_preamble(prefix, connections=256).rstrip("\n")]
    for pool in pools:
        lines.append(f"  upstream {pool.name} {{")
        lines.append("    hash $request_uri consistent;")
        for text, weight, down in pool.servers:
            lines.append(f"    server {text} weight={weight}{' down' if down else ''} max_fails=0;")
        lines.append("  }")
        lines.append(f"  server {{ listen 127.0.0.1:{pool.port}; location / {{ proxy_pass http://{pool.name}; }} }}")
    for listen, label in backends.items():
        lines.append(f"  server {{ listen {listen}; location / {{ return 200 \"{label}\"; }} }}")
    lines.append("}")
    return "\n".join(lines) + "\n", backends


class Balancer:
    """Starts nginx for `pools` under `processes` (tests/integration/operations/processes.py), which
    stops it."""

    def __init__(self, processes, pools):
        self.pools = pools
        prefix = os.path.join(processes.dir, "nginx")
        os.makedirs(prefix, exist_ok=True)
        text, self.labels = config_text(pools, prefix)
        path = os.path.join(prefix, "nginx.conf")
        with open(path, "w") as f:
            f.write(text)
        check = subprocess.run([NGINX, "-t", "-q", "-p", prefix, "-c", path], capture_output=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t: {check.stderr.decode(errors='replace')}")
        # Every balancer port must answer, so wait for the last one after the first.
        processes.start([NGINX, "-p", prefix, "-c", path], pools[0].port, "nginx")
        for pool in pools[1:]:
            wait_port(pool.port)

    def route(self, pool, uris):
        """For each URI, the index in pool.servers of the server nginx sent it to."""
        index = {self.labels[pool.listen[text]]: i for i, (text, _, _) in enumerate(pool.servers)}
        out = []
        connection = http.client.HTTPConnection("127.0.0.1", pool.port, timeout=10)
        try:
            for uri in uris:
                connection.request("GET", uri)
                response = connection.getresponse()
                body = response.read().decode()
                if response.status != 200 or body not in index:
                    raise RuntimeError(f"{pool.name} {uri}: {response.status} {body!r}")
                out.append(index[body])
        finally:
            connection.close()
        return out
