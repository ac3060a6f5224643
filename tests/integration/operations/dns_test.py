#!/usr/bin/python3
"""A pool's members from DNS (src/proxy/membership/dns_source.hpp) in front of a real dnsmasq, and
what happens when DNS fails.

Usage: dns_test.py RINGLEADER_BINARY     (exit status 0: every check passed)

dnsmasq publishes _memcache._tcp.cache.test (SRV, targets mN.cache.test, TTL 1 s) over memcached
servers on loopback. Two proxies take the pool from it, with no `servers:`: `fast` asks every
300 ms (dns_refresh_ms), `ttl` when the TTL runs out; both have dns_min_servers 2 and place keys
on a ring (by server name: a server that leaves takes only its own keys with it). After every
change both must list the same servers and place every key alike (keys written through one are
all found through the other).
1. A third server added: both follow; of the keys written before, those `ringleader locate` puts
   on the new server are missing and every other one is found (about 2/3); `simulate -c` reads
   the pool from DNS too.
   A SIGHUP reload keeps DNS's servers, and says a changed DNS setting needs a restart.
2. A weight changed: both apply it (one change each); the records reordered: neither changes.
3. A server removed: only its keys are missing.
4. NXDOMAIN, and an answer below dns_min_servers: refused, the members kept, keys still served.
5. dnsmasq killed, then SERVFAIL in its place: failures counted, members kept, keys still served,
   `locate` fails saying why; dnsmasq back with a new server: both follow.
6. The TTL honoured: with a 3 s TTL, the `ttl` proxy asks again after 3 s, `fast` after 300 ms;
   /metrics shows the DNS source's families (and not etcd's).
   With warmup_ms, a third proxy finds every key written before the join (the moved ones read
   from their previous owner).
7. `dns_a`: one server per address (memcached on 127.0.0.2 and 127.0.0.3) in place of the seed
   `servers:`, an address added.
8. A proxy stops promptly while dnsmasq answers nothing.
Convergence (a record change to every proxy routing by it) is printed, never asserted; waits are
liveness bounds (10 s).
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import time

from dns import Dnsmasq, ServFail
from processes import MEMCACHED, Client, Processes, free_port, read_all, wait_for, wait_port

SRV = "_memcache._tcp.cache.test"
KEYS = 3000
W = {"m2": 30}  # the weights from the reweighting on


def pool_stats(stats_port):
    return json.loads(read_all(stats_port))["cache"]


def servers_of(stats_port):
    return {k for k, v in pool_stats(stats_port).items() if isinstance(v, dict)}


def set_keys(port, keys, tag):
    c = Client(port)
    c.send(b"".join(b"set %s 0 0 %d noreply\r\n%s\r\n" % (k, len(tag), tag) for k in keys) + b"get x\r\n")
    assert c.line() == b"END"
    c.close()


def found(port, keys, tag):
    """The keys a get through `port` finds with value `tag`."""
    c = Client(port)
    c.send(b"".join(b"get %s\r\n" % k for k in keys))
    out = set()
    for k in keys:
        line = c.line()
        if line.startswith(b"VALUE"):
            if c.line() == tag:
                out.add(k)
            assert c.line() == b"END"
    c.close()
    return out


class Fleet:
    def __init__(self, procs, binary, dns_port, servers):
        self.binary = binary
        self.servers = servers  # name -> memcached port
        self.proxies = {}
        self.admin = {}  # name -> its --admin port
        self.process = {}
        for name, refresh in (("fast", "  dns_refresh_ms: 300\n"), ("ttl", "")):
            port, stats_port = free_port(), free_port()
            config = procs.config(f"""cache:
  listen: 127.0.0.1:{port}
  dns_srv: {SRV}
  dns_resolver: 127.0.0.1:{dns_port}
  dns_min_servers: 2
  distribution: ring
{refresh}""")
            self.admin[name] = free_port()
            self.process[name] = procs.ringleader(binary, config, port, ["-s", str(stats_port), "-t", "1", "--admin",
                                                                         f"127.0.0.1:{self.admin[name]}"], name=f"serve-{name}")
            self.proxies[name] = (port, stats_port, config)
        self.times = {"fast": [], "ttl": []}

    def stat(self, name, field):
        return pool_stats(self.proxies[name][1])[field]

    def stats(self, field):
        return {name: self.stat(name, field) for name in self.proxies}

    def converge(self, dns, records, expected, what, changes=None):
        """Publishes `records`; waits until every proxy lists `expected` (and, if given, has applied
        `changes[proxy]` memberships in all); records how long each took."""
        begin = time.monotonic()
        dns.set({SRV: records}, [(t, "127.0.0.1") for t, _, _ in records] + self.hosts_extra)
        pending = set(self.proxies)
        deadline = begin + 10
        while pending:
            for name in list(pending):
                _, stats_port, _ = self.proxies[name]
                if servers_of(stats_port) == expected and (changes is None or self.stat(name, "membership_changes") >= changes[name]):
                    self.times[name].append(time.monotonic() - begin)
                    pending.discard(name)
            assert time.monotonic() < deadline, f"{what}: {sorted(pending)} did not follow in 10 s"
            time.sleep(0.01)

    hosts_extra = []

    def agree(self, tag):
        """Keys written through each proxy are all found through the other."""
        keys = [b"agree:%s:%d" % (tag, i) for i in range(KEYS)]
        (a, _, _), (b, _, _) = self.proxies.values()
        set_keys(a, keys, tag)
        assert found(b, keys, tag) == set(keys), f"{tag}: keys written through one proxy missing through the other"
        set_keys(b, keys, tag + b"b")
        assert found(a, keys, tag + b"b") == set(keys), f"{tag}: keys written through one proxy missing through the other"

    def located(self, keys):
        """Key -> the server name `ringleader locate` gives (it asks DNS once)."""
        out = subprocess.run([self.binary, "locate", "-c", self.proxies["fast"][2], *[k.decode() for k in keys]],
                             capture_output=True, text=True, timeout=30, check=True).stdout
        return {line.split("\t")[0].encode(): line.split()[-1] for line in out.splitlines()}


def records(servers, names, weights=None):
    return [(f"{n}.cache.test", servers[n], (weights or {}).get(n, 10)) for n in names]


def names(*ns):
    return {f"{n}.cache.test" for n in ns}


def main():
    binary = sys.argv[1]
    started = time.monotonic()
    with Processes() as procs:
        servers = {f"m{i}": procs.memcached() for i in range(4)}
        dns_port = free_port()
        with Dnsmasq(dns_port, {SRV: records(servers, ["m0", "m1"])},
                     [(f"{n}.cache.test", "127.0.0.1") for n in ("m0", "m1")]) as dns:
            fleet = Fleet(procs, binary, dns_port, servers)
            for _, stats_port, _ in fleet.proxies.values():
                assert servers_of(stats_port) == names("m0", "m1")
            fleet.agree(b"start")
            # A third proxy warms up after a change (warmup_ms): a key that moved is read from its
            # previous owner, so none is missing through it.
            warm_port, warm_stats = free_port(), free_port()
            warm_config = procs.config(f"""cache:
  listen: 127.0.0.1:{warm_port}
  dns_srv: {SRV}
  dns_resolver: 127.0.0.1:{dns_port}
  dns_refresh_ms: 300
  distribution: ring
  warmup_ms: 600000
""")
            procs.ringleader(binary, warm_config, warm_port, ["-s", str(warm_stats), "-t", "1"], name="serve-warm")

            # 1. A third server joins: only the keys placed on it are missing.
            before = [b"before:%d" % i for i in range(KEYS)]
            set_keys(fleet.proxies["fast"][0], before, b"old")
            fleet.converge(dns, records(servers, ["m0", "m1", "m2"]), names("m0", "m1", "m2"), "m2 added")
            on_new = {k for k, server in fleet.located(before).items() if server == "m2.cache.test"}
            for name, (port, _, _) in fleet.proxies.items():
                kept = found(port, before, b"old")
                assert kept == set(before) - on_new, f"{name}: {len(kept)} of {KEYS} found, {KEYS - len(on_new)} expected"
            share = 1 - len(on_new) / KEYS
            assert 0.5 < share < 0.85, f"{share:.2f} of the keys kept when a third server joined"
            print(f"dns: a third server joined: {share:.3f} of the keys written before found through both proxies")
            wait_for(lambda: servers_of(warm_stats) == names("m0", "m1", "m2"), "the warm-up proxy to follow m2's join")
            assert found(warm_port, before, b"old") == set(before), "with warmup_ms, keys written before the join missing"
            assert pool_stats(warm_stats)["warmup_hits"] == len(on_new), pool_stats(warm_stats)
            print(f"dns: with warmup_ms, every key written before the join found ({len(on_new)} from the previous owner)")
            fleet.agree(b"added")
            simulated = subprocess.run([binary, "simulate", "-c", fleet.proxies["ttl"][2]], input="a\nb\nc\n",
                                       capture_output=True, text=True, timeout=30)
            assert simulated.returncode == 0 and "m2.cache.test" in simulated.stdout, simulated.stdout + simulated.stderr

            # SIGHUP re-reads the file (no `servers:`): the pools keep DNS's servers; a changed DNS
            # setting is said to need a restart.
            config = fleet.proxies["fast"][2]
            with open(config) as f:
                text = f.read()
            with open(config, "w") as f:
                f.write(text.replace("dns_refresh_ms: 300", "dns_refresh_ms: 200"))
            fleet.process["fast"].send_signal(signal.SIGHUP)
            wait_for(lambda: "its DNS settings changed" in procs.log("serve-fast"), "a changed DNS setting to be logged")
            wait_for(lambda: "config reloaded" in procs.log("serve-fast"), "the reload")
            assert servers_of(fleet.proxies["fast"][1]) == names("m0", "m1", "m2"), "a reload replaced DNS's servers"
            assert "config reload failed" not in procs.log("serve-fast"), procs.log("serve-fast")
            with open(config, "w") as f:
                f.write(text)

            # 2. A weight changed: one change on each; the same records reordered: none.
            changes = fleet.stats("membership_changes")
            heavier = records(servers, ["m0", "m1", "m2"], W)
            fleet.converge(dns, heavier, names("m0", "m1", "m2"), "m2 reweighted", changes={n: c + 1 for n, c in changes.items()})
            assert fleet.stats("membership_changes") == {n: c + 1 for n, c in changes.items()}
            fleet.agree(b"reweighted")
            answers = fleet.stats("dns_answers")
            dns.set({SRV: list(reversed(heavier))}, [(t, "127.0.0.1") for t, _, _ in reversed(heavier)])
            wait_for(lambda: all(fleet.stat(n, "dns_answers") >= answers[n] + 2 for n in fleet.proxies),
                     "two answers to each proxy after the records were reordered")
            assert fleet.stats("membership_changes") == {n: c + 1 for n, c in changes.items()}, "a reorder changed something"

            # 3. A server leaves: only its keys are missing.
            before = [b"leave:%d" % i for i in range(KEYS)]
            set_keys(fleet.proxies["fast"][0], before, b"old")
            on_m1 = {k for k, server in fleet.located(before).items() if server == "m1.cache.test"}
            fleet.converge(dns, records(servers, ["m0", "m2"], W), names("m0", "m2"), "m1 removed")
            for name, (port, _, _) in fleet.proxies.items():
                assert found(port, before, b"old") == set(before) - on_m1, f"{name}: keys of servers that stayed missing"
            fleet.agree(b"removed")

            # 4. NXDOMAIN, then one server (below dns_min_servers): refused, members kept.
            for what, published in (("NXDOMAIN", {}), ("below dns_min_servers", {SRV: records(servers, ["m0"], W)})):
                refused = fleet.stats("membership_refused")
                dns.set(published, [("m0.cache.test", "127.0.0.1")])
                wait_for(lambda: all(fleet.stat(n, "membership_refused") > refused[n] for n in fleet.proxies),
                         f"both proxies to refuse {what}")
                for _, (port, stats_port, _) in fleet.proxies.items():
                    assert servers_of(stats_port) == names("m0", "m2"), what
                fleet.agree(what.split()[0].encode())

            # 5. The resolver killed, then failing with SERVFAIL: members kept, failures counted.
            dns.set({SRV: records(servers, ["m0", "m2"], W)}, [(f"m{i}.cache.test", "127.0.0.1") for i in (0, 2)])
            failures = fleet.stats("dns_failures")
            dns.kill()
            wait_for(lambda: all(fleet.stat(n, "dns_failures") > failures[n] for n in fleet.proxies),
                     "both proxies to count a failure with dnsmasq killed")
            fleet.agree(b"killed")
            located = subprocess.run([binary, "locate", "-c", fleet.proxies["fast"][2], "k"], capture_output=True, text=True, timeout=30)
            assert located.returncode == 1 and "DNS did not answer" in located.stderr, located.stderr
            failures = fleet.stats("dns_failures")
            with ServFail(dns_port) as servfail:
                wait_for(lambda: servfail.answered > 0, "a query to the SERVFAIL server")
                failures = fleet.stats("dns_failures")  # from now on, every answer is a SERVFAIL
                wait_for(lambda: all(fleet.stat(n, "dns_failures") > failures[n] for n in fleet.proxies),
                         "both proxies to count a SERVFAIL")
                fleet.agree(b"servfail")
            fleet.converge(dns, records(servers, ["m0", "m2", "m3"], W), names("m0", "m2", "m3"), "dnsmasq back, m3 added")
            fleet.agree(b"back")

            # 6. The TTL honoured: with a 3 s TTL, `ttl` asks once per TTL, `fast` every 300 ms.
            final = records(servers, ["m0", "m2", "m3"], W)
            dns.set({SRV: final}, [(t, "127.0.0.1") for t, _, _ in final], ttl=3)
            interval = {}
            for name in fleet.proxies:
                answers = fleet.stat(name, "dns_answers")
                wait_for(lambda: fleet.stat(name, "dns_answers") >= answers + 2, f"two answers to `{name}` with the 3 s TTL")
                answers, at = fleet.stat(name, "dns_answers"), fleet.stat(name, "dns_answered_at_ms")
                wait_for(lambda: fleet.stat(name, "dns_answers") > answers, f"the next answer to `{name}`")
                interval[name] = fleet.stat(name, "dns_answered_at_ms") - at
            assert interval["ttl"] >= 2900, f"`ttl` asked again after {interval['ttl']} ms with a 3 s TTL"
            assert interval["fast"] < 2000, f"`fast` asked again after {interval['fast']} ms with dns_refresh_ms 300"
            print(f"dns: TTL 3 s: `ttl` asked again after {interval['ttl']} ms, `fast` (300 ms) after {interval['fast']} ms")
            dns.set({SRV: final}, [(t, "127.0.0.1") for t, _, _ in final], ttl=1)
            metrics = read_all(fleet.admin["ttl"], b"GET /metrics HTTP/1.0\r\n\r\n").decode()
            for line in ('ringleader_dns_servers{pool="cache"} 3', 'ringleader_dns_failures_total{pool="cache"} ',
                         'ringleader_dns_answered_timestamp_seconds{pool="cache"} ',
                         'ringleader_membership_refused_total{pool="cache"} '):
                assert line in metrics, f"/metrics lacks {line!r}"
            assert "ringleader_etcd_connected" not in metrics and "ringleader_membership_revision" not in metrics

            # 7. dns_a: one server per address.
            port = free_port()
            addresses = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
            for address in addresses:
                root = ["-u", "root"] if os.geteuid() == 0 else []  # memcached refuses to run as root without it
                procs.procs.append(subprocess.Popen([MEMCACHED, "-l", address, "-p", str(port), "-U", "0", "-m", "16", *root],
                                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            # Listening before the proxy learns of them, so that keys not served below are the
            # proxy's fault and not a memcached still starting on a loaded machine.
            for address, memcached in zip(addresses, procs.procs[-len(addresses):]):
                wait_port(port, process=memcached, address=address)
            hosts = [(t, "127.0.0.1") for t, _, _ in final]
            dns.set({SRV: final}, hosts + [("pods.cache.test", "127.0.0.2"), ("pods.cache.test", "127.0.0.3")])
            a_port, a_stats = free_port(), free_port()
            config = procs.config(f"""cache:
  listen: 127.0.0.1:{a_port}
  dns_a: pods.cache.test:{port}
  dns_resolver: 127.0.0.1:{dns_port}
  dns_refresh_ms: 300
  distribution: maglev
  servers:
   - 127.0.0.1:{servers["m0"]}:1 seed
""")
            serve_a = procs.ringleader(binary, config, a_port, ["-s", str(a_stats), "-t", "1"], name="serve-a")
            wait_for(lambda: servers_of(a_stats) == {f"127.0.0.2:{port}", f"127.0.0.3:{port}"}, "DNS's answer in place of the seed")
            dns.set({SRV: final}, hosts + [("pods.cache.test", a) for a in ("127.0.0.4", "127.0.0.3", "127.0.0.2")])
            wait_for(lambda: servers_of(a_stats) == {f"127.0.0.{i}:{port}" for i in (2, 3, 4)}, "the address added")
            wait_for(lambda: all(found_one(a_port, i) for i in range(50)), "keys served by the dns_a pool")

            # 8. Stopping while DNS answers nothing is prompt (the resolver is cancelled).
            dns.stop()
            begin = time.monotonic()
            serve_a.send_signal(signal.SIGTERM)
            assert serve_a.wait(timeout=10) == 0
            stop_time = time.monotonic() - begin

        for name, times in fleet.times.items():
            print(f"dns: proxy `{name}` convergence over {len(times)} changes: p50 {statistics.median(times) * 1000:.0f} ms, "
                  f"max {max(times) * 1000:.0f} ms")
        print(f"dns: SIGTERM with DNS silent: stopped in {stop_time * 1000:.0f} ms; {time.monotonic() - started:.1f} s in all")
    print("dns_test: ok")


def found_one(port, i):
    """Whether a set and get of one key through the proxy on `port` work."""
    try:
        c = Client(port)
        c.set_get(b"a:%d" % i)
        c.close()
        return True
    except (OSError, RuntimeError):
        return False


if __name__ == "__main__":
    main()
