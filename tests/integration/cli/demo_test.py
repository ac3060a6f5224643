"""`ringleader demo` end to end on real memcached servers: the textbook numbers, measured; the
pictures; the fifth server added by hot reload; and every process it started is gone afterwards."""
import functools
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from pictures import assert_renders

RINGLEADER = sys.argv[1]


def memcached_ports():
    """The ports of the memcached servers running now (other tests may run theirs meanwhile)."""
    ports = set()
    for pid in subprocess.run(["pgrep", "-x", "memcached"], capture_output=True, text=True).stdout.split():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile
        ports.update(int(argv[i + 1]) for i, arg in enumerate(argv[:-1]) if arg == b"-p")
    return ports


@functools.cache
def demo_run():
    """One demo run shared by the tests below: its output and the proxy's log."""
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([RINGLEADER, "demo", "--keys", "20000", "--out", tmp], capture_output=True,
                           text=True, timeout=240)
        assert r.returncode == 0, r.stdout + r.stderr
        assert_renders(Path(tmp) / "consistent-hashing.svg")
        proxy_log = (Path(tmp) / "proxy.log").read_text()
        svg = (Path(tmp) / "consistent-hashing.svg").read_text()
    started = {int(p) for p in re.search(r"ports ([\d ]+);", r.stdout).group(1).split()}
    started |= {int(p) for p in re.findall(r"Starting server\d+ \(port (\d+)\)", r.stdout)}
    assert len(started) == 5, r.stdout
    assert not started & memcached_ports(), "the demo left memcached servers running"
    return r.stdout, proxy_log, svg


# The textbook numbers, measured through the proxy on real servers.
def test_demo_numbers():
    out, _, _ = demo_run()
    total = re.search(r"^total\s+(\d+) / (\d+)\s+([\d.]+)%\s+(\d+) / (\d+)\s+([\d.]+)%", out, re.M)
    assert total, out
    consistent, modulo = float(total.group(3)), float(total.group(6))
    assert 68 < consistent < 82, out  # 3 of 4 servers left: ~75% of the keys still found
    assert 15 < modulo < 35, out      # modulo reshuffles: ~25% found
    replicated = re.search(r"^total(?:\s+\d+ / \d+\s+[\d.]+%){2}\s+(\d+) / (\d+)\s+([\d.]+)%", out, re.M)
    assert replicated and replicated.group(1) == replicated.group(2), out  # two copies: every key found
    moved = re.search(r"keys moved: consistent ([\d.]+)%, modulo ([\d.]+)%", out)
    assert moved, out
    assert 14 < float(moved.group(1)) < 26, out  # one server joins 4: ~1/5 move
    assert 70 < float(moved.group(2)) < 90, out  # modulo: ~4/5 move
    # The same join as reads: warm-up serves the moved keys from their previous owner.
    missed = re.search(r"missed after the join: modulo ([\d.]+)%, consistent ([\d.]+)%, consistent \+ warm-up ([\d.]+)%", out)
    assert missed, out
    assert 70 < float(missed.group(1)) < 90 and 14 < float(missed.group(2)) < 26, out
    assert float(missed.group(3)) < 1, out
    later = re.search(r"a moment later, misses written back: modulo ([\d.]+)%, consistent ([\d.]+)%, consistent \+ warm-up ([\d.]+)%", out)
    assert later and all(float(x) == 0 for x in later.groups()), out


# The fifth server joins by hot reload: one proxy process from start to end (one pid; it shut down
# once, at the end), one reload that changed every pool, each gaining one server.
def test_fifth_server_joins_by_hot_reload():
    out, log, _ = demo_run()
    started = re.search(r"ringleader \(pid (\d+)\) in front", out)
    reloaded = re.search(r"by hot reload \(SIGHUP to pid (\d+), no restart\)", out)
    assert started and reloaded and started.group(1) == reloaded.group(1), out
    assert log.count('msg="shutting down"') == 1, log
    assert log.count('msg="config reloaded"') == 1, log
    assert "needs a restart" not in log, log
    pools = re.findall(r'msg="pool reloaded" pool=(\w+) servers=(\d+) added=(\d+) removed=(\d+)', log)
    assert sorted(pools) == [("consistent", "5", "1", "0"), ("modulo", "5", "1", "0"), ("replicated", "5", "1", "0"), ("warmup", "5", "1", "0")], log


# The picture shows this run beside the simulated panels: keys per server held and found after the
# stop (d), before and after the join (e), and the shares found and moved (f), as the demo printed them.
def test_picture_shows_this_run():
    out, _, svg = demo_run()
    for title in ("(a)", "(b)", "(c)", "(d) this run: server4 stopped", "(e) this run: server5 joined", "(f) this run",
                  "(g) this run: reads that missed"):
        assert title in svg, title
    assert "memcached server" in svg and ">keys<" in svg, "the axes of the live pictures are not labelled"
    held = [int(h) for h in re.findall(r"^server\d+\s+\d+ / (\d+)", out, re.M)]
    assert len(held) == 4 and sum(held) == 20000, out
    bars = {int(float(h)) for h in re.findall(r"height='([\d.]+)' fill='#a0bcd8'", svg)}
    assert len(bars) >= 3, "no bars for the consistent pool's keys per server"
    total = re.search(r"^total\s+\d+ / \d+\s+([\d.]+)%\s+\d+ / \d+\s+([\d.]+)%", out, re.M)
    moved = re.search(r"keys moved: consistent ([\d.]+)%, modulo ([\d.]+)%", out)
    shares = [float(x) for x in re.findall(r"class='label'>([\d.]+)%</text>", svg)]
    printed = [float(total.group(1)), float(total.group(2)), float(moved.group(1)), float(moved.group(2))]
    assert len(shares) == 4 and all(abs(a - b) < 0.11 for a, b in zip(shares, printed)), (shares, printed)


# Another algorithm behind the consistent pool: the same promise (it once put every key on one
# server, when the demo gave maglev twemproxy's 32-bit hash).
def test_maglev_keeps_the_promise():
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([RINGLEADER, "demo", "--algorithm", "maglev", "--keys", "5000", "--out", tmp],
                           capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    total = re.search(r"^total\s+\d+ / \d+\s+([\d.]+)%", r.stdout, re.M)
    moved = re.search(r"keys moved: consistent ([\d.]+)%", r.stdout)
    assert total and moved, r.stdout
    assert 65 < float(total.group(1)) < 85, r.stdout
    assert 12 < float(moved.group(1)) < 28, r.stdout


def test_missing_memcached_is_a_clear_error():
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run([RINGLEADER, "demo", "--keys", "100", "--out", tmp], capture_output=True, text=True,
                           timeout=60, env={"PATH": "/nonexistent"})
    assert r.returncode != 0 and "memcached is not installed" in r.stderr, r.stderr


def test_busy_port_is_a_clear_error():
    import socket
    with socket.socket() as s, tempfile.TemporaryDirectory() as tmp:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run([RINGLEADER, "demo", "--keys", "100", "--port", str(port), "--out", tmp],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode != 0 and f"port {port}" in r.stderr and "busy" in r.stderr, r.stderr


if __name__ == "__main__":
    for name, test in list(globals().items()):
        if name.startswith("test_"):
            test()
            print("ok", name)
