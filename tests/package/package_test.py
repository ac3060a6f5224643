"""The Debian package (`make package`, cmake/Packaging.cmake) end to end.

Builds the .deb from this build tree with cpack, checks what is in it, then, as root, installs it on
this machine with dpkg, starts the installed unit's ExecStart line as the unit's user (there is no
systemd here) with the default config moved to free ports, talks memcached to it through a real
memcached, sends it the logrotate rule's SIGHUP, and removes and purges the package, checking that
nothing is left but the system user (kept on purge, as Debian's guidance says). Not root: the
package is unpacked with dpkg-deb -x instead and its binary, config and Python module are run from there.

    package_test.py CPACK BUILD_DIR [--unpack-only] [--without-python]
"""
import configparser
import hashlib
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "operations"))
from processes import free_port, wait_port  # noqa: E402

CPACK, BUILD = sys.argv[1], sys.argv[2]
ROOT = os.geteuid() == 0
INSTALL = ROOT and "--unpack-only" not in sys.argv[3:]  # --unpack-only: the path taken without root
PYTHON = "--without-python" not in sys.argv[3:]  # a build without the Python module (the asan preset)
UNIT = "lib/systemd/system/ringleader.service"
CONFIG = "etc/ringleader/ringleader.yml"
LOGROTATE = "etc/logrotate.d/ringleader"
DEBIAN_NUTCRACKER = Path("/usr/sbin/nutcracker")
RUN_DIR = Path("/run/ringleader")


def run(*argv, check=True, **kwargs):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=180, **kwargs)
    if check and r.returncode != 0:
        raise AssertionError(f"{shlex.join(argv)} exited {r.returncode}:\n{r.stdout}{r.stderr}")
    return r


def ask(port, request):
    """Sends one memcached request and returns the reply up to its last line."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request.encode())
        reply = b""
        while not re.search(rb"(VERSION [^\r]*|STORED|END|ERROR[^\r]*)\r\n$", reply):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        return reply.decode()


def build_package(out):
    run(CPACK, "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", str(out))
    debs = list(Path(out).glob("ringleader_*.deb"))
    assert len(debs) == 1, list(Path(out).iterdir())
    return debs[0]


def check_contents(deb):
    """The files and control data the package must carry; returns the paths it installs."""
    listing = run("dpkg-deb", "--contents", str(deb)).stdout
    paths = [line.split()[5].lstrip(".") for line in listing.splitlines()]
    files = [p for p in paths if not p.endswith("/")]
    wanted = ["/usr/bin/ringleader", "/" + CONFIG, "/" + LOGROTATE, "/" + UNIT, "/usr/include/ringleader/membership.hpp"]
    patterns = [r"^/usr/lib/.*cmake/ringleader/ringleaderConfig\.cmake$", r"^/usr/lib/.*pkgconfig/ringleader\.pc$"]
    if PYTHON:
        wanted.append("/usr/lib/python3/dist-packages/ringleader/__init__.py")
        patterns.append(r"^/usr/lib/python3/dist-packages/ringleader/_native\..*\.so$")
    for path in wanted:
        assert path in files, f"{path} is not in the package:\n{listing}"
    for pattern in patterns:
        assert any(re.match(pattern, f) for f in files), f"nothing matches {pattern}:\n{listing}"
    assert not any(f.startswith("/usr/local") for f in files), listing
    control = run("dpkg-deb", "--field", str(deb)).stdout
    assert re.search(r"^Depends:.*\badduser\b", control, re.M), control
    assert re.search(r"^Depends:.*\blibyaml-cpp", control, re.M), control  # dpkg-shlibdeps ran
    conffiles = run("dpkg-deb", "--info", str(deb), "conffiles").stdout.split()
    assert sorted(conffiles) == ["/" + LOGROTATE, "/" + CONFIG], conffiles
    return files


def unit_service(unit_text):
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.read_string(unit_text)
    return unit["Service"]


def test_config(root, workdir):
    """The package's default config, moved to a free listen port and a memcached started here."""
    memcached_port, proxy_port = free_port(), free_port()
    text = (Path(root) / CONFIG).read_text()
    assert "127.0.0.1:22121" in text and "127.0.0.1:11211:1" in text, text
    config = Path(workdir) / "ringleader.yml"
    config.write_text(text.replace("127.0.0.1:22121", f"127.0.0.1:{proxy_port}")
                      .replace("127.0.0.1:11211:1", f"127.0.0.1:{memcached_port}:1"))
    config.chmod(0o644)
    return config, memcached_port, proxy_port


def serve_memcached_through(argv, user, memcached_port, proxy_port, workdir):
    """Starts argv (the unit's ExecStart) as user in front of a real memcached; checks version/set/get."""
    memcached = subprocess.Popen(["memcached", "-l", "127.0.0.1", "-p", str(memcached_port), "-U", "0"] +
                                 (["-u", "root"] if ROOT else []))  # memcached refuses root without -u
    log = open(Path(workdir) / "serve.log", "w+")
    proxy = None
    try:
        wait_port(memcached_port, process=memcached)
        proxy = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, user=user, group=user if ROOT else None,
                                 cwd="/")
        wait_port(proxy_port, process=proxy)
        uid = int(re.search(r"^Uid:\s+(\d+)", Path(f"/proc/{proxy.pid}/status").read_text(), re.M).group(1))
        assert pwd.getpwuid(uid).pw_name == user, f"the proxy runs as uid {uid}, not {user}"
        assert ask(proxy_port, "version\r\n").startswith("VERSION "), "no VERSION reply"
        assert ask(proxy_port, "set pkg:1 0 0 5\r\nhello\r\n") == "STORED\r\n"
        assert ask(proxy_port, "get pkg:1\r\n") == "VALUE pkg:1 0 5\r\nhello\r\nEND\r\n"
        assert ask(memcached_port, "get pkg:1\r\n") == "VALUE pkg:1 0 5\r\nhello\r\nEND\r\n", "not in memcached"
        return proxy, log, memcached
    except BaseException:
        for p in (proxy, memcached):
            if p is not None:
                p.kill()
                p.wait()
        log.seek(0)
        print(log.read(), file=sys.stderr)
        raise


def stop(*processes):
    for p in processes:
        p.send_signal(signal.SIGTERM)
    for p in processes:
        p.wait(timeout=20)


def logrotate_sends_sighup(service, proxy, log):
    """The unit's ExecStartPost records the pid; the logrotate rule's postrotate sends it SIGHUP,
    on which the proxy reloads (and reopens its log file)."""
    run_dir = RUN_DIR
    post = shlex.split(service["ExecStartPost"])
    run(*post, env={"MAINPID": str(proxy.pid), "PATH": "/usr/bin:/bin"}, user="ringleader")
    assert (run_dir / "ringleader.pid").read_text().strip() == str(proxy.pid)
    logs = Path("/var/log/ringleader")
    (logs / "ringleader.log").write_text("a line to rotate\n")
    with tempfile.TemporaryDirectory() as state:
        run("logrotate", "--force", "--state", os.path.join(state, "status"), "/" + LOGROTATE)
    assert (logs / "ringleader.log.1").exists(), list(logs.iterdir())
    deadline = time.monotonic() + 10
    while 'msg="config reloaded"' not in Path(log.name).read_text():
        assert time.monotonic() < deadline, "no SIGHUP reached the proxy:\n" + Path(log.name).read_text()
        time.sleep(0.05)


def installed():
    return run("dpkg-query", "-W", "-f=${Status}", "ringleader", check=False).stdout


def alternative():
    return run("update-alternatives", "--query", "nutcracker", check=False)


def test_install_run_remove(deb, files):
    if installed():
        run("dpkg", "--purge", "ringleader")  # left over by an earlier, interrupted run
    shutil.rmtree(RUN_DIR, ignore_errors=True)
    nutcracker_before = hashlib.sha256(DEBIAN_NUTCRACKER.read_bytes()).hexdigest() if DEBIAN_NUTCRACKER.exists() else None
    run("dpkg", "-i", str(deb))
    try:
        assert installed() == "install ok installed"
        # The `nutcracker` alternative, beside Debian's nutcracker and not over it.
        assert re.search(r"^Value: /usr/bin/ringleader$", alternative().stdout, re.M), alternative().stdout
        assert os.path.realpath("/usr/bin/nutcracker") == "/usr/bin/ringleader"
        if nutcracker_before:
            assert hashlib.sha256(DEBIAN_NUTCRACKER.read_bytes()).hexdigest() == nutcracker_before
        user = pwd.getpwnam("ringleader")
        assert user.pw_shell in ("/usr/sbin/nologin", "/bin/false") and not Path(user.pw_dir).exists(), user
        assert Path("/var/log/ringleader").stat().st_uid == user.pw_uid
        run("/usr/bin/ringleader", "serve", "--check", "-c", "/" + CONFIG)  # the default config as shipped
        # The Python module from Debian's dist-packages, with nothing else on the path.
        probe = ("import ringleader; assert ringleader.__file__.startswith('/usr/lib/python3/dist-packages/'), "
                 "ringleader.__file__; print(ringleader.HashRing(['a', 'b'], hash_fn='ketama').get_node('user:1'))")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        if PYTHON:
            assert run("/usr/bin/python3", "-c", probe, cwd="/", env=env).stdout.strip() in ("a", "b")
        prefix = run("pkg-config", "--variable=prefix", "ringleader").stdout.strip()
        assert os.path.realpath(prefix) == "/usr", prefix

        service = unit_service(Path("/" + UNIT).read_text())
        with tempfile.TemporaryDirectory() as workdir:
            os.chmod(workdir, 0o755)
            config, memcached_port, proxy_port = test_config("/", workdir)
            argv = [str(config) if a == "/" + CONFIG else a for a in shlex.split(service["ExecStart"])]
            assert argv[0] == "/usr/bin/ringleader" and str(config) in argv, service["ExecStart"]
            # The unit's RuntimeDirectory=, made and removed here as systemd would.
            RUN_DIR.mkdir()
            os.chown(RUN_DIR, pwd.getpwnam("ringleader").pw_uid, pwd.getpwnam("ringleader").pw_gid)
            try:
                proxy, log, memcached = serve_memcached_through(argv, service["User"], memcached_port, proxy_port,
                                                                workdir)
                try:
                    logrotate_sends_sighup(service, proxy, log)
                    assert ask(proxy_port, "get pkg:1\r\n").startswith("VALUE pkg:1"), "the proxy stopped serving"
                finally:
                    stop(proxy, memcached)
            finally:
                shutil.rmtree(RUN_DIR)

        run("dpkg", "-r", "ringleader")
        assert installed() == "deinstall ok config-files"
        assert not Path("/usr/bin/ringleader").exists() and not os.path.lexists("/usr/bin/nutcracker")
        assert alternative().returncode != 0, alternative().stdout
        assert Path("/" + CONFIG).exists(), "dpkg -r keeps conffiles until purge"
    finally:
        if installed():
            run("dpkg", "--purge", "ringleader")
    assert installed() in ("", "unknown ok not-installed"), installed()
    left = [f for f in files if os.path.lexists(f)]
    assert not left, f"left after purge: {left}"
    for gone in ("/etc/ringleader", "/var/log/ringleader", str(RUN_DIR), "/etc/alternatives/nutcracker", "/usr/bin/nutcracker",
                 "/usr/include/ringleader", "/usr/lib/python3/dist-packages/ringleader"):
        assert not os.path.lexists(gone), f"{gone} is left after purge"
    assert pwd.getpwnam("ringleader").pw_shell in ("/usr/sbin/nologin", "/bin/false")  # kept, cannot log in
    if nutcracker_before:
        assert hashlib.sha256(DEBIAN_NUTCRACKER.read_bytes()).hexdigest() == nutcracker_before


def test_unpacked(deb):
    """Without root: the package's own files, run from where dpkg-deb unpacks them."""
    with tempfile.TemporaryDirectory() as root:
        run("dpkg-deb", "-x", str(deb), root)
        service = unit_service((Path(root) / UNIT).read_text())
        argv = [root + a if a.startswith("/usr/") else a for a in shlex.split(service["ExecStart"])]
        run(argv[0], "serve", "--check", "-c", os.path.join(root, CONFIG))
        config, memcached_port, proxy_port = test_config(root, root)
        argv = [str(config) if a == "/" + CONFIG else a for a in argv]
        user = pwd.getpwuid(os.getuid()).pw_name
        proxy, _, memcached = serve_memcached_through(argv, user, memcached_port, proxy_port, root)
        stop(proxy, memcached)
        if not PYTHON:
            return
        site = os.path.join(root, "usr/lib/python3/dist-packages")
        probe = "import ringleader; print(ringleader.HashRing(['a', 'b'], hash_fn='ketama').get_node('user:1'))"
        assert run("/usr/bin/python3", "-c", probe, env={"PYTHONPATH": site}, cwd="/").stdout.strip() in ("a", "b")


def main():
    with tempfile.TemporaryDirectory() as out:
        deb = build_package(out)
        files = check_contents(deb)
        print("ok contents of", deb.name)
        if INSTALL:
            test_install_run_remove(deb, files)
            print("ok installed with dpkg -i, served memcached as the unit's user, removed and purged")
        else:
            test_unpacked(deb)
            print("ok without dpkg -i: unpacked with dpkg-deb -x, served memcached from there")


if __name__ == "__main__":
    main()
