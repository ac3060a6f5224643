#!/usr/bin/python3
"""ringleader as a drop-in `nutcracker` binary: a `nutcracker` symlink to it, started exactly as
Debian's nutcracker package starts nutcracker, next to the real /usr/sbin/nutcracker 0.5.0.

Usage: nutcracker_cli_test.py RINGLEADER_BINARY     (exit status 0: every check passed)

1. -V, -h, -D, -t (a good and a bad config, and -t with -d as the init script runs it), bad
   options: the same exit status and the same first line on stderr as the real nutcracker.
   `ringleader --version` and `ringleader serve --version` print the version.
2. The systemd unit's command line (ExecStart of /lib/systemd/system/nutcracker.service, with
   DAEMON_OPTS from the issue: -c -o -v 6 -s -a -m -i): it serves; a logrotate rule (rename the
   log, SIGHUP) gets a new log file; SIGTERM exits 0.
3. The init script itself (/etc/init.d/nutcracker, its paths moved into a temporary directory):
   start (-t, then start-stop-daemon --chuid nutcracker ... -d -p), status, reload, a logrotate
   rotation, stop; the pid file holds the daemon's pid and is gone after stop.
4. `ringleader serve -d -p`: returns once the daemon listens, the pid file holds the daemon's pid,
   its working directory is /, a relative config is still reloaded, SIGTERM removes the pid file;
   a daemon that cannot listen makes `serve -d` exit 1 with the reason.
"""

import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

from processes import Client, Processes, free_port, wait_for, wait_port

NUTCRACKER = "/usr/sbin/nutcracker"
UNIT = "/lib/systemd/system/nutcracker.service"
INIT_SCRIPT = "/etc/init.d/nutcracker"


def run(argv, **kw):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30, **kw)
    return p.returncode, p.stdout, p.stderr


def first_line(text):
    return text.strip().splitlines()[0] if text.strip() else ""


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


class Daemons:
    """Processes that are not our children (daemons): killed at the end by the pids recorded."""

    def __init__(self):
        self.pids = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for pid in self.pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def pool(port, backend):
    return f"alpha:\n  listen: 127.0.0.1:{port}\n  servers:\n   - 127.0.0.1:{backend}:1\n"


def check_options(nutcracker, ringleader, procs):
    good = procs.config(pool(free_port(), 11211))
    bad = procs.config("alpha:\n  listen: 127.0.0.1:1\n  hash: nope\n  servers:\n   - 127.0.0.1:11211:1\n")
    cases = [["-V"], ["--version"], ["-h"], ["-D"], ["-t", "-c", good], ["--test-conf", "--conf-file=" + good],
             ["-t", "-c", bad], ["-t", "-c", os.path.join(procs.dir, "missing.yml")], ["-t", "-d", "-c", good],
             ["-v", "x"], ["-s", "0"], ["-m", "1"], ["-Z"], ["-c"]]
    for args in cases:
        theirs = run([NUTCRACKER, *args])
        ours = run([nutcracker, *args])
        assert ours[0] == theirs[0], f"nutcracker {args}: exit status {ours[0]}, the real one's {theirs[0]}\n{ours[2]}"
        want = first_line(theirs[2]).replace(NUTCRACKER, nutcracker)
        got = first_line(ours[2])
        if args[0] == "-t" or args[0] == "--test-conf":  # ours says why first; the verdict is the last line
            got = ours[2].strip().splitlines()[-1]
            want = theirs[2].strip().splitlines()[-1]
        assert got == want, f"nutcracker {args}: {got!r}, the real one says {want!r}"
        print(f"nutcracker {' '.join(args)}: exit {ours[0]}, {got!r}")
    assert "ringleader" in run([nutcracker, "-V"])[2]
    assert "requests" in run([nutcracker, "-D"])[2] and "in_queue" in run([nutcracker, "-D"])[2]
    status, out, _ = run([ringleader, "--version"])
    assert status == 0 and re.fullmatch(r"ringleader \d+\.\d+\.\d+\n", out), (status, out)
    status, out2, _ = run([ringleader, "serve", "--version"])
    assert status == 0 and out2 == out, (status, out2)
    print("ringleader --version:", out.strip())


def check_systemd_unit(nutcracker, procs):
    unit = read(UNIT)
    exec_start = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1)
    assert "$DAEMON_OPTS" in exec_start, exec_start
    backend = procs.memcached()
    port, stats = free_port(), free_port()
    config = procs.config(pool(port, backend))
    log = os.path.join(procs.dir, "unit.log")
    daemon_opts = f"-c {config} -o {log} -v 6 -s {stats} -a 127.0.0.1 -m 16384 -i 30000"
    # systemd splits an unquoted $VAR on whitespace.
    argv = [w for word in shlex.split(exec_start) for w in (daemon_opts.split() if word == "$DAEMON_OPTS" else [word])]
    argv = [nutcracker if w == NUTCRACKER else w for w in argv]
    proxy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.procs.append(proxy)
    wait_port(port)
    wait_port(stats)
    client = Client(port)
    client.set_get(b"unit")
    text = read(log)
    for expected in ("ringleader started", "option has no effect\" option=\"-m 16384", "option=\"-i 30000"):
        assert expected in text, f"{expected!r} not in the log:\n{text}"
    # logrotate: the rule renames the file, then its postrotate sends SIGHUP (invoke-rc.d ... reload).
    os.rename(log, log + ".1")
    proxy.send_signal(signal.SIGHUP)
    wait_for(lambda: os.path.exists(log) and "config reloaded" in read(log), "a new log file after SIGHUP")
    client.set_get(b"after-rotation")
    client.close()
    assert "signal=SIGHUP" in read(log + ".1"), "the SIGHUP line goes to the file being rotated"
    proxy.send_signal(signal.SIGTERM)
    assert proxy.wait(timeout=15) == 0, proxy.returncode
    assert "signal=SIGTERM" in read(log) and "config reloaded" not in read(log + ".1")
    print(f"systemd unit: {' '.join(argv[:1])} $DAEMON_OPTS served; logrotate got a new file; SIGTERM: exit 0")


def check_init_script(ringleader_link, procs, daemons):
    """Runs Debian's init script with its paths moved into a temporary directory."""
    root = os.path.join(procs.dir, "init")
    os.makedirs(os.path.join(root, "log"))
    os.chmod(procs.dir, 0o755)
    os.chmod(root, 0o755)
    backend = procs.memcached()
    port = free_port()
    config = os.path.join(root, "nutcracker.yml")
    with open(config, "w") as f:
        f.write(pool(port, backend))
    pidfile = os.path.join(root, "run", "nutcracker.pid")
    log = os.path.join(root, "log", "nutcracker.log")
    with open(os.path.join(root, "default"), "w") as f:
        f.write(f'DAEMON_OPTS="-c {config} -o {log} -p {pidfile} -s {free_port()} -a 127.0.0.1 -v 6"\n')
    script = read(INIT_SCRIPT)
    replacements = {"DAEMON=/usr/sbin/nutcracker": f"DAEMON={ringleader_link}",
                    "PIDFILE=/run/nutcracker/nutcracker.pid": f"PIDFILE={pidfile}",
                    "CONFFILE=/etc/nutcracker/nutcracker.yml": f"CONFFILE={config}",
                    "/etc/default/$NAME": os.path.join(root, "default"),
                    "/run/nutcracker": os.path.join(root, "run")}
    for old in replacements:
        assert old in script, f"{INIT_SCRIPT} no longer has {old!r}"
    # One pass, longest first: a replaced path must not be replaced again.
    pattern = "|".join(re.escape(old) for old in sorted(replacements, key=len, reverse=True))
    script = re.sub(pattern, lambda m: replacements[m.group(0)], script)
    if os.geteuid() == 0:
        shutil.chown(os.path.join(root, "log"), "nutcracker")
    else:  # only root can start it as another user
        script = script.replace("--chuid nutcracker", "").replace("chown nutcracker:nutcracker", "true")
    path = os.path.join(root, "ringleader-init")  # not named nutcracker: lsb's systemd hook would redirect it
    with open(path, "w") as f:
        f.write(script)

    status, out, err = run(["sh", path, "start"])
    assert status == 0, f"init start: {status}\n{out}{err}\n{read(log) if os.path.exists(log) else ''}"
    wait_for(lambda: os.path.exists(pidfile), "the pid file")
    pid = int(read(pidfile))
    daemons.pids.append(pid)
    assert os.path.realpath(f"/proc/{pid}/exe") == os.path.realpath(ringleader_link)
    if os.geteuid() == 0:
        assert os.stat(f"/proc/{pid}").st_uid == pwd.getpwnam("nutcracker").pw_uid, "--chuid nutcracker not honoured"
    wait_port(port)
    client = Client(port)
    client.set_get(b"init")
    status, out, err = run(["sh", path, "status"])
    assert status == 0, f"init status: {status}\n{out}{err}"
    os.rename(log, log + ".1")  # logrotate, then its postrotate: invoke-rc.d nutcracker reload
    status, out, err = run(["sh", path, "reload"])
    assert status == 0, f"init reload: {status}\n{out}{err}"
    wait_for(lambda: os.path.exists(log) and "config reloaded" in read(log), "a new log file after reload")
    client.set_get(b"init-after-rotation")
    client.close()
    status, out, err = run(["sh", path, "stop"])
    assert status == 0, f"init stop: {status}\n{out}{err}"
    wait_for(lambda: not alive(pid), "the daemon to exit")
    assert not os.path.exists(pidfile), "pid file left after stop"
    assert "signal=SIGTERM" in read(log), read(log)
    print(f"init script: start (daemon pid {pid}, user nutcracker), status, reload + logrotate (new log file), stop")


def check_serve_daemon(ringleader, procs, daemons):
    backend = procs.memcached()
    port = free_port()
    config = procs.config(pool(port, backend))
    pidfile = os.path.join(procs.dir, "serve.pid")
    log = os.path.join(procs.dir, "serve.log")
    relative = os.path.basename(config)
    started = time.monotonic()
    status, out, err = run([ringleader, "serve", "-d", "-p", "serve.pid", "-o", "serve.log", "-c", relative, "-t", "2"],
                           cwd=procs.dir)
    assert status == 0, f"serve -d: {status}\n{out}{err}"
    pid = int(read(pidfile))
    daemons.pids.append(pid)
    client = Client(port)  # listening already when serve -d returned: no wait
    client.set_get(b"daemon")
    client.close()
    assert os.readlink(f"/proc/{pid}/cwd") == "/", os.readlink(f"/proc/{pid}/cwd")
    assert os.getsid(pid) != os.getsid(0) and os.getsid(pid) != pid, "not in its own session, or a session leader"
    with open(f"/proc/{pid}/stat") as f:
        assert f.read().rsplit(")", 1)[1].split()[1] != str(os.getpid()), "the daemon is still our child"
    assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null"
    os.kill(pid, signal.SIGHUP)
    wait_for(lambda: f"msg=\"config reloaded\" file={config}" in read(log), "the relative config reloaded from /")
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not alive(pid), "the daemon to exit after SIGTERM")
    assert not os.path.exists(pidfile), "pid file left after SIGTERM"
    print(f"serve -d: returned in {time.monotonic() - started:.2f} s, serving; daemon pid {pid} in the pid file, "
          "cwd /, reload of a relative config; SIGTERM removed the pid file")

    # Its port is taken: the daemon cannot listen, and serve -d says so.
    taken = procs.config(pool(backend, backend))  # memcached listens on that port
    status, out, err = run([ringleader, "serve", "-d", "-p", pidfile, "-c", taken])
    assert status == 1 and "address in use" in err, f"serve -d on a taken port: {status}\n{err}"
    assert not os.path.exists(pidfile), "pid file left by a daemon that failed"
    print("serve -d on a taken port: exit 1,", err.strip())


def main():
    ringleader = os.path.abspath(sys.argv[1])
    with Processes() as procs, Daemons() as daemons:
        link = os.path.join(procs.dir, "bin", "nutcracker")
        os.makedirs(os.path.dirname(link))
        os.symlink(ringleader, link)
        check_options(link, ringleader, procs)
        check_systemd_unit(link, procs)
        check_init_script(link, procs, daemons)
        check_serve_daemon(ringleader, procs, daemons)
    print("ok")


if __name__ == "__main__":
    main()
