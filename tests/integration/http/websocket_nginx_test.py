#!/usr/bin/python3
"""WebSocket through ringleader and through nginx, side by side, with real parts only: two
python3-websockets echo servers, each behind its own nginx `server` (as apps are deployed), and
in front of those two an http pool (distribution: nginx) and nginx itself as the balancer
(`hash $request_uri consistent`). For every key, a websockets client opens a tunnel through each
balancer: both must reach the same app (ringleader's placement is nginx's), echo messages of up to
1 MiB both ways, and pass the app's own close to the client. Once every tunnel is closed, the
proxy holds no connection to the upstreams and no client connection.

Usage: websocket_nginx_test.py RINGLEADER_BINARY     (exit status 0: every check passed)

Every process started is stopped on exit; every wait is bounded.
"""

import asyncio
import os
import shutil
import sys
from pathlib import Path

import websockets  # python3-websockets (scripts/install-deps)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "operations"))
from processes import Processes, free_port, nginx_preamble, tcp_connections  # noqa: E402

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
KEYS = [f"/room/{i}" for i in range(12)]
TUNNEL_HEADERS = ('proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; '
                  'proxy_set_header Connection "upgrade"; proxy_read_timeout 60s;')


def nginx_config(directory, apps, fronts, balancer):
    """One nginx: a `server` in front of each app (fronts[i] -> apps[i]), and the balancer over the fronts."""
    servers = "".join(f"  server {{ listen 127.0.0.1:{front}; location / {{ proxy_pass http://127.0.0.1:{app}; "
                      f"{TUNNEL_HEADERS} }} }}\n" for app, front in zip(apps, fronts))
    members = "".join(f"    server 127.0.0.1:{front};\n" for front in fronts)
    return (nginx_preamble(directory) + servers +
            f"  upstream fronts {{\n    hash $request_uri consistent;\n{members}  }}\n"
            f"  server {{ listen 127.0.0.1:{balancer}; location / {{ proxy_pass http://fronts; {TUNNEL_HEADERS} }} }}\n"
            "}\n")


async def run(procs, binary):
    apps = [free_port() for _ in range(2)]
    fronts = [free_port() for _ in range(2)]
    balancer, proxy_port = free_port(), free_port()
    seen = []  # (app, path) of each handshake an app took

    def echo(name):
        async def handler(ws, path):
            seen.append((name, path))
            if path.endswith("/bye"):
                await ws.close()
                return
            async for message in ws:
                await ws.send(message)
        return handler

    servers = [await websockets.serve(echo(f"app{i}"), "127.0.0.1", port, max_size=None) for i, port in enumerate(apps)]
    try:
        conf = Path(procs.dir, "nginx.conf")
        conf.write_text(nginx_config(procs.dir, apps, fronts, balancer))
        procs.start([NGINX, "-c", str(conf), "-p", procs.dir], balancer, "nginx")
        config = procs.config(
            f"web:\n  listen: 127.0.0.1:{proxy_port}\n  protocol: http\n  distribution: nginx\n  timeout: 10000\n"
            "  servers:\n" + "".join(f"   - 127.0.0.1:{front}:1\n" for front in fronts))
        proxy = procs.ringleader(binary, config, proxy_port, ["--threads", "2"])

        async def tunnel(port, key):
            """The app that took the tunnel's handshake; asserts every message came back whole."""
            async with websockets.connect(f"ws://127.0.0.1:{port}{key}", max_size=None) as ws:
                messages = ["hello " + key, os.urandom(1 << 20), "x" * 70_000, b""]
                for m in messages:  # all sent before any is read: both ways at once
                    await ws.send(m)
                for m in messages:
                    got = await asyncio.wait_for(ws.recv(), 30)
                    assert got == m, (port, key, len(got), len(m))
            return seen[-1]

        for key in KEYS:
            through_ringleader = await tunnel(proxy_port, key)
            through_nginx = await tunnel(balancer, key)
            assert through_ringleader == through_nginx, (key, through_ringleader, through_nginx)
        apps_used = {app for app, _ in seen}
        assert apps_used == {"app0", "app1"}, apps_used  # the keys spread: both apps were reached

        for port in (proxy_port, balancer):  # the app's close reaches the client through either
            async with websockets.connect(f"ws://127.0.0.1:{port}/room/bye") as ws:
                await asyncio.wait_for(ws.wait_closed(), 20)
                assert ws.close_code == 1000, ws.close_code

        left = None
        for _ in range(200):  # the proxy lets go of every tunnel's two connections
            left = tcp_connections(proxy.pid, set(fronts)) + tcp_connections(proxy.pid, {proxy_port}, remote=False)
            if left == 0:
                break
            await asyncio.sleep(0.1)
        assert left == 0, f"the proxy keeps {left} connections of tunnels that ended"
        print(f"ok: {len(KEYS)} keys, each tunnelled through ringleader and through nginx to the same app "
              f"({len(seen)} handshakes), messages of up to 1 MiB echoed both ways; the app's close reaches the "
              "client through both; no connection left in the proxy")
    finally:
        for server in servers:
            server.close()
            await server.wait_closed()


def main():
    with Processes() as procs:
        asyncio.run(run(procs, sys.argv[1]))


if __name__ == "__main__":
    main()
