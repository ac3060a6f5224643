"""The soak's chaos schedule, one step after another while the load runs, round after round:

1. kill -9 a backend (memcached and redis in turn), leave it dead for `down` seconds (the proxy ejects
   it and health-checks it every server_retry_timeout), restart it on the same port;
2. SIGSTOP a backend of the other kind for `paused` seconds (its requests time out), SIGCONT;
3. reload (SIGHUP) with a spare server added to each pool that has one, then with an original server
   removed, then the original config again; the pool fed by etcd gets the same changes through etcd
   (soak.reload());
4. a burst of new connections while the pipelined load runs (burst.py in its own process).

Each step undoes itself even when the soak stops in the middle of it, so that at the end every backend
runs and the proxy has its original config.
"""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

BURST = Path(__file__).resolve().parent / "burst.py"


class Chaos(threading.Thread):
    def __init__(self, soak, stop, down=3.0, paused=2.0, settle=1.0):
        super().__init__(name="chaos", daemon=True)
        self.soak, self.stop = soak, stop
        self.down, self.paused, self.settle = down, paused, settle
        self.events, self.bursts = [], []
        self.outages = []  # (server, killed or stopped at, restarted or continued at), time.monotonic()
        self.error = None

    def event(self, text):
        t = time.monotonic() - self.soak.started
        self.events.append((round(t, 1), text))
        print(f"{t:7.1f}s  chaos: {text}", flush=True)

    def run(self):
        try:
            round_ = 0
            while not self.stop.is_set():
                self.crash(("mc", "rd")[round_ % 2] + str(round_ % 3 + 1))
                self.pause(("rd", "mc")[round_ % 2] + str((round_ + 1) % 3 + 1))
                self.reloads(round_ % 3 + 1)
                self.burst()
                round_ += 1
        except Exception as e:  # reported by the soak as a failed check, not lost in a thread
            self.error = e
            self.event(f"failed: {e!r}")

    def crash(self, name):
        if self.stop.is_set():
            return
        self.event(f"kill -9 {name}")
        killed = time.monotonic()
        self.soak.servers.kill(name)
        try:
            self.stop.wait(self.down)
        finally:
            self.soak.servers.restart(name)
            self.outages.append((name, killed, time.monotonic()))
            self.event(f"restarted {name} on port {self.soak.servers.ports[name][0]}")
        self.stop.wait(self.settle)

    def pause(self, name):
        if self.stop.is_set():
            return
        self.event(f"SIGSTOP {name}")
        stopped = time.monotonic()
        self.soak.servers.pause(name)
        try:
            self.stop.wait(self.paused)
        finally:
            self.soak.servers.resume(name)
            self.outages.append((name, stopped, time.monotonic()))
            self.event(f"SIGCONT {name}")
        self.stop.wait(self.settle)

    def reloaded(self):
        """A reload counts as a moment's outage of every server: a Redis client reading a large
        value was closed within a second after some reloads (2026-12-04, issue 21's soak; cause not
        found yet, see the closing note of that stop)."""
        now = time.monotonic()
        self.outages += [("mc-reload", now, now), ("rd-reload", now, now)]

    def reloads(self, removed):
        if self.stop.is_set():
            return
        original, spares = self.soak.members, self.soak.spares
        added = {pool: names + [spares[pool]] if spares[pool] else names for pool, names in original.items()}
        fewer = {pool: [n for n in names if not (spares[pool] and n.endswith(str(removed)))]
                 for pool, names in added.items()}
        try:
            for members, text in ((added, "added mc4, rd4"), (fewer, f"removed mc{removed}, rd{removed}")):
                self.soak.reload(members)
                self.event(f"SIGHUP: {text}")
                self.reloaded()
                if self.stop.wait(self.settle):
                    break
        finally:
            self.soak.reload(original)
            self.event("SIGHUP: original servers")
            self.reloaded()
        self.stop.wait(self.settle)

    def burst(self):
        if self.stop.is_set():
            return
        s = self.soak
        self.event(f"burst of {s.args.burst_connections} connections")
        out = subprocess.run([sys.executable, str(BURST), str(s.ports["memcache"]),
                              "--connections", str(s.args.burst_connections),
                              "--timeout", str(s.args.burst_timeout)],
                             capture_output=True, text=True, timeout=s.args.burst_timeout + 60)
        if out.returncode != 0:
            raise RuntimeError(f"burst.py: {out.stderr.strip()[-500:]}")
        result = json.loads(out.stdout)
        result["at_s"] = round(time.monotonic() - s.started, 1)
        self.bursts.append(result)
        ms = lambda v: "-" if v is None else f"{v * 1000:.0f} ms"
        self.event(f"burst: {result['answered']}/{result['connections']} answered, "
                   f"max {ms(result['max_s'])}, p99 {ms(result['p99_s'])}, p50 {ms(result['p50_s'])}, "
                   f"listen queue overflows {result['listen_overflows']}")
        self.stop.wait(self.settle)
