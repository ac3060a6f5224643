#!/usr/bin/python3
"""A pool's members from a real etcd (src/proxy/membership/etcd_source.hpp), and what happens when
etcd fails.

Usage: etcd_test.py RINGLEADER_BINARY     (exit status 0: every check passed)

One etcd, three memcached, one `ringleader serve` whose pool has `etcd:` and no `servers:`:
1. The proxy starts with the servers etcd lists; a put, a delete, a value that is no server line
   (logged with its key, skipped) and a membership below etcd_min_servers (logged, refused, the old
   one kept) reach it as they should; keys land on a server added by a put where `ringleader locate`
   says; a SIGHUP reload keeps etcd's servers (and says a changed etcd setting needs a restart);
   stats and /metrics show the revision applied.
2. `ringleader register` keeps a server listed; SIGKILLed, the server drops out when its lease
   expires; SIGTERMed, at once (revoked). `ringleader locate --etcd` sees etcd's servers.
3. etcd killed: the proxy keeps serving and says etcd is down; etcd restarted and written to before
   the proxy is back: the proxy catches up (its watch resumes from the last revision it saw).
4. etcd killed, then restarted, written to and compacted before the proxy is back: the proxy reads
   the prefix again and catches up.
5. etcd SIGSTOPped for longer than every timeout: the proxy keeps serving, notices, and catches up
   after SIGCONT; SIGTERM ends the proxy promptly while etcd is still stopped.
6. etcd with authentication: etcd_user/etcd_password reach it; a wrong password is refused at start
   with etcd's reason.
7. Stable slots (a jump pool): four servers registered; a middle one's register SIGKILLed, its lease
   expires and only its keys move; a fifth server registered takes its free slot and only keys onto
   it move; a proxy started after all that places every key as the first one does.
Timings are printed, never asserted; waits are liveness bounds (10 s).
"""

import json
import signal
import subprocess
import sys
import time
import urllib.request

from etcd import Etcd
from processes import Client, Processes, free_port, read_all, wait_for, wait_port

PREFIX = "/ringleader/test/"


def pool_stats(stats_port):
    return json.loads(read_all(stats_port))["cache"]


def servers_of(stats_port):
    """The pool's servers as the stats list them (their labels: the name, else host:port)."""
    return {k for k, v in pool_stats(stats_port).items() if isinstance(v, dict)}


def wait_servers(stats_port, expected, what):
    start = time.monotonic()
    wait_for(lambda: servers_of(stats_port) == expected, what)
    return time.monotonic() - start


def stored_on(port, keys):
    """How many of `keys` the memcached on `port` holds."""
    c = Client(port)
    found = 0
    for key in keys:
        if c.call(b"get " + key + b"\r\n").startswith(b"VALUE"):
            c.line()
            c.line()
            found += 1
    c.close()
    return found


def found_through(port, keys):
    """The keys a get through the proxy (or a memcached) on `port` finds."""
    c = Client(port)
    found = set()
    for key in keys:
        if c.call(b"get " + key + b"\r\n").startswith(b"VALUE"):
            c.line()
            c.line()
            found.add(key)
    c.close()
    return found


def check_stable_slots(binary):
    prefix = "/ringleader/slots/"
    with Processes() as procs, Etcd() as etcd:
        ports = [procs.memcached() for _ in range(5)]
        addr = [f"127.0.0.1:{p}" for p in ports]
        registers = {}

        def register(i):
            r = subprocess.Popen([binary, "register", "--etcd", etcd.endpoint, "--prefix", prefix, "--ttl", "2",
                                  f"{addr[i]}:1 s{i}"], stderr=subprocess.DEVNULL)
            procs.procs.append(r)
            registers[i] = r

        for i in range(4):
            register(i)
        wait_for(lambda: sum(k.endswith("/live") for k in etcd.keys(prefix)) == 4, "four registrations")
        slots = {v: k for k, v in etcd.keys(prefix).items() if not k.endswith("/live")}
        assert sorted(slots.values()) == [prefix + "%08d" % n for n in range(1, 5)], slots

        def proxy(name):
            port, stats_port = free_port(), free_port()
            config = procs.config(f"""cache:
  listen: 127.0.0.1:{port}
  etcd: {etcd.endpoint}
  etcd_prefix: {prefix}
  etcd_settle_ms: 50
  hash: fnv1a_64
  distribution: jump
""")
            procs.ringleader(binary, config, port, ["-s", str(stats_port)], name=name)
            return port, stats_port

        port, stats_port = proxy("slots-first")
        wait_servers(stats_port, {"s0", "s1", "s2", "s3"}, "the four registered servers")
        keys = [b"slot:%d" % i for i in range(2000)]
        client = Client(port)
        for key in keys:
            client.set_get(key)
        client.close()
        owner = {key: i for i in range(4) for key in found_through(ports[i], keys)}
        assert len(owner) == len(keys), "a key set through the proxy is on no server"

        # s1's register dies: its lease expires, and its slot stays, marked removed.
        registers[1].kill()
        registers[1].wait()
        wait_servers(stats_port, {"s0", "s2", "s3"}, "s1's lease to expire")
        found = found_through(port, keys)
        moved = [k for k in keys if owner[k] != 1 and k not in found]
        assert not moved, f"{len(moved)} keys of the servers that stayed moved, e.g. {moved[:3]}"
        assert not any(owner[k] == 1 for k in found), "a key of the removed server was found"
        print(f"s1's lease expired: its {sum(owner[k] == 1 for k in keys)} keys moved, no other key")

        # s4 registers: it takes s1's free slot (same weight), and only keys onto it move.
        register(4)
        wait_servers(stats_port, {"s0", "s2", "s3", "s4"}, "s4 to take the free slot")
        assert etcd.keys(prefix)[slots[f"{addr[1]}:1 s1 removed"]] == f"{addr[4]}:1 s4 removed", etcd.keys(prefix)
        found = found_through(port, keys)
        assert found == {k for k in keys if owner[k] != 1}, "keys of the servers that stayed moved when s4 joined"

        # A proxy started now places every key as the one that lived through the changes.
        second, second_stats = proxy("slots-second")
        wait_servers(second_stats, {"s0", "s2", "s3", "s4"}, "the second proxy's servers")
        assert found_through(second, keys) == found, "two proxies of one etcd place keys differently"


def serves(port):
    c = Client(port, timeout=5)
    try:
        for i in range(20):
            c.set_get(b"probe:%d" % i)
    finally:
        c.close()


def check_auth(binary):
    with Processes() as procs, Etcd() as etcd:
        a = procs.memcached()
        etcd.enable_auth("root", "s3cret")
        etcd.put(PREFIX + "a", f"127.0.0.1:{a}:1")
        port, stats_port = free_port(), free_port()

        def config(password):
            return procs.config(f"""cache:
  listen: 127.0.0.1:{port}
  etcd: {etcd.endpoint}
  etcd_prefix: {PREFIX}
  etcd_user: root
  etcd_password: {password}
""")
        refused = subprocess.run([binary, "serve", "-c", config("wrong")], capture_output=True, text=True, timeout=30)
        assert refused.returncode == 1 and "authentication failed" in refused.stderr, refused.stderr
        procs.ringleader(binary, config("s3cret"), port, ["-s", str(stats_port)], name="serve")
        wait_port(stats_port)  # it opens just after the pool's port
        assert servers_of(stats_port) == {f"127.0.0.1:{a}"}
        b = procs.memcached()
        etcd.put(PREFIX + "b", f"127.0.0.1:{b}:1")
        wait_servers(stats_port, {f"127.0.0.1:{a}", f"127.0.0.1:{b}"}, "a put to reach a proxy that authenticates")
        serves(port)


def main():
    binary = sys.argv[1]
    with Processes() as procs, Etcd() as etcd:
        a, b, c = (procs.memcached() for _ in range(3))
        addr = {p: f"127.0.0.1:{p}" for p in (a, b, c)}
        etcd.put(PREFIX + "a", f"127.0.0.1:{a}:1")
        etcd.put(PREFIX + "b", f"127.0.0.1:{b}:1")
        port, stats_port = free_port(), free_port()
        config = procs.config(f"""cache:
  listen: 127.0.0.1:{port}
  etcd: 127.0.0.1:1,{etcd.endpoint}
  etcd_prefix: {PREFIX}
  etcd_settle_ms: 50
  etcd_min_servers: 2
  distribution: maglev
""")
        # The first endpoint refuses: the source moves on to the next one.
        admin_port = free_port()
        proxy = procs.ringleader(binary, config, port, ["-s", str(stats_port), "-t", "2", "--admin", f"127.0.0.1:{admin_port}"],
                                 name="serve")
        wait_port(stats_port)  # they open just after the pool's port
        wait_port(admin_port)
        wait_for(lambda: servers_of(stats_port) == {addr[a], addr[b]}, "the servers etcd lists at start")
        serves(port)

        # 1. put, bad value, delete, min-servers guard.
        revision = etcd.put(PREFIX + "c", f"127.0.0.1:{c}:1")
        took = wait_servers(stats_port, {addr[a], addr[b], addr[c]}, "a put to reach the proxy")
        wait_for(lambda: pool_stats(stats_port)["membership_revision"] >= revision, "the revision in the stats")
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=5).read().decode()
        for line in (f'ringleader_membership_revision{{pool="cache"}} {revision}', 'ringleader_etcd_connected{pool="cache"} 1',
                     'ringleader_etcd_errors_total{pool="cache"} ', 'ringleader_membership_applied_timestamp_seconds{pool="cache"} '):
            assert line in metrics, f"/metrics lacks {line!r}"

        print(f"put reached the proxy in {took * 1000:.0f} ms")
        client = Client(port)
        for i in range(300):
            client.set_get(b"spread:%d" % i)
        located = subprocess.run([binary, "locate", "-c", config, *[f"spread:{i}" for i in range(300)]],
                                 capture_output=True, text=True, check=True).stdout
        expected = located.count(f"127.0.0.1:{c}:1")
        on_c = stored_on(c, [b"spread:%d" % i for i in range(300)])
        assert on_c == expected > 0, f"{on_c} keys on the added server, locate says {expected}"
        print(f"{on_c} of 300 keys on the added server, as `ringleader locate` (over etcd) says")

        # SIGHUP re-reads the file (no `servers:`): the pool keeps etcd's servers.
        proxy.send_signal(signal.SIGHUP)
        wait_for(lambda: "config reloaded" in procs.log("serve"), "the reload")
        assert servers_of(stats_port) == {addr[a], addr[b], addr[c]}, "a reload replaced etcd's servers"
        assert "config reload failed" not in procs.log("serve"), procs.log("serve")
        with open(config) as f:
            text = f.read()
        with open(config, "w") as f:
            f.write(text.replace("etcd_settle_ms: 50", "etcd_settle_ms: 60"))
        proxy.send_signal(signal.SIGHUP)
        wait_for(lambda: "its etcd settings changed" in procs.log("serve"), "a changed etcd setting to be logged")
        with open(config, "w") as f:
            f.write(text)

        etcd.put(PREFIX + "bad", "not a server line")
        etcd.put(PREFIX + "d", f"127.0.0.1:{c}:1")  # the same server under a second key
        wait_for(lambda: "etcd value skipped" in procs.log("serve") and PREFIX + "bad" in procs.log("serve"),
                 "the bad value to be logged with its key")
        wait_for(lambda: PREFIX + "d" in procs.log("serve"), "the repeated server to be logged")
        assert servers_of(stats_port) == {addr[a], addr[b], addr[c]}
        etcd.delete(PREFIX + "bad")
        etcd.delete(PREFIX + "d")

        etcd.delete(PREFIX + "c")
        wait_servers(stats_port, {addr[a], addr[b]}, "a delete to reach the proxy")
        refused = pool_stats(stats_port)["membership_refused"]
        etcd.delete(PREFIX + "b")  # one server left: below etcd_min_servers (2)
        wait_for(lambda: pool_stats(stats_port)["membership_refused"] > refused, "the small membership to be refused")
        assert "below etcd_min_servers" in procs.log("serve")
        assert servers_of(stats_port) == {addr[a], addr[b]}, "a membership below etcd_min_servers was applied"
        serves(port)
        etcd.put(PREFIX + "b", f"127.0.0.1:{b}:1")

        # 2. register: kill -9 -> lease expiry; SIGTERM -> revoke. locate sees etcd's servers.
        reg = subprocess.Popen([binary, "register", "--etcd", etcd.endpoint, "--prefix", PREFIX, "--ttl", "2",
                                f"127.0.0.1:{c}:1"], stderr=subprocess.PIPE)
        procs.procs.append(reg)
        wait_servers(stats_port, {addr[a], addr[b], addr[c]}, "a registered server to reach the proxy")
        killed = time.monotonic()
        reg.kill()
        reg.wait()
        wait_servers(stats_port, {addr[a], addr[b]}, "the server of a killed register to expire")
        print(f"lease expiry (ttl 2 s) dropped the server {time.monotonic() - killed:.1f} s after register was killed")
        reg = subprocess.Popen([binary, "register", "--etcd", etcd.endpoint, "--prefix", PREFIX, "--ttl", "2",
                                f"127.0.0.1:{c}:1"], stderr=subprocess.PIPE)
        procs.procs.append(reg)
        wait_servers(stats_port, {addr[a], addr[b], addr[c]}, "a registered server to reach the proxy")
        located = subprocess.run([binary, "locate", "-c", config, "--etcd", etcd.endpoint, *[f"k{i}" for i in range(100)]],
                                 capture_output=True, text=True, check=True).stdout
        assert f"127.0.0.1:{c}:1" in located, located
        stopped = time.monotonic()
        reg.send_signal(signal.SIGTERM)
        assert reg.wait(timeout=10) == 0, reg.stderr.read()
        took = wait_servers(stats_port, {addr[a], addr[b]}, "the server of a stopped register to go")
        print(f"SIGTERM to register removed the server in {(time.monotonic() - stopped) * 1000:.0f} ms")

        # 3. etcd killed: serve on; restarted and written to: catch up from the last revision.
        etcd.kill()
        wait_for(lambda: pool_stats(stats_port)["etcd_connected"] == 0, "the proxy to notice etcd is down")
        serves(port)
        etcd.start()
        etcd.put(PREFIX + "c", f"127.0.0.1:{c}:1")
        took = wait_servers(stats_port, {addr[a], addr[b], addr[c]}, "the proxy to catch up after etcd restarted")
        wait_for(lambda: pool_stats(stats_port)["etcd_connected"] == 1, "the proxy to reconnect")
        print(f"etcd killed and restarted: caught up {took:.1f} s after the write")

        # 4. The same, with the revisions the proxy missed compacted away.
        etcd.kill()
        errors = pool_stats(stats_port)["etcd_errors"]
        # After 7 more failures the next retry is 5 s away (the longest back-off): time to restart,
        # write and compact first, also on a loaded machine (3.2 s, after 6, was once too short).
        wait_for(lambda: pool_stats(stats_port)["etcd_errors"] >= errors + 7, "the proxy to back off", timeout=20)
        etcd.start()
        etcd.delete(PREFIX + "c")
        etcd.put(PREFIX + "x", "junk")
        revision = etcd.delete(PREFIX + "x")
        etcd.compact(revision)
        wait_servers(stats_port, {addr[a], addr[b]}, "the proxy to catch up after a compaction")
        wait_for(lambda: "etcd compacted" in procs.log("serve"), "the compaction to be logged")
        wait_for(lambda: pool_stats(stats_port)["membership_revision"] >= revision, "the revision after re-reading")

        # 5. etcd stopped longer than the timeouts (probe 2 s + request 2 s).
        etcd.stop()
        stopped = time.monotonic()
        serves(port)
        wait_for(lambda: pool_stats(stats_port)["etcd_connected"] == 0, "the proxy to notice etcd is stopped")
        print(f"etcd SIGSTOPped: noticed after {time.monotonic() - stopped:.1f} s")
        serves(port)
        time.sleep(1)
        etcd.resume()
        etcd.put(PREFIX + "c", f"127.0.0.1:{c}:1")
        took = wait_servers(stats_port, {addr[a], addr[b], addr[c]}, "the proxy to catch up after SIGCONT")
        print(f"etcd SIGCONTed: caught up {took:.1f} s after the write")
        serves(port)

        etcd.stop()
        time.sleep(0.5)
        start = time.monotonic()
        proxy.send_signal(signal.SIGTERM)
        status = proxy.wait(timeout=10)
        print(f"SIGTERM with etcd stopped: the proxy exited ({status}) in {(time.monotonic() - start) * 1000:.0f} ms")
        assert status == 0, procs.log("serve")
        etcd.resume()
    check_auth(binary)
    check_stable_slots(binary)
    print("etcd_test: ok")


if __name__ == "__main__":
    main()
