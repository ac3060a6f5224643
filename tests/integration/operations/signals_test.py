#!/usr/bin/python3
"""Signals of `ringleader serve`, as nutcracker's: sent to a real process serving real memcached.

Usage: signals_test.py RINGLEADER_BINARY     (exit status 0: every check passed)

1. SIGTTIN / SIGTTOU raise and lower the log level (the process is not suspended: /proc/PID/stat
   state is never 'T'); the change is visible: a debug line appears only after SIGTTIN, an info line
   ("config reloaded" after SIGHUP) disappears after two SIGTTOU and comes back after a SIGTTIN.
2. SIGUSR1 / SIGUSR2 are logged and ignored: the process still serves.
3. Every signal received is logged by name; SIGTERM ends the process with status 0.
4. SIGSEGV / SIGABRT: a log line naming the signal and a stack trace, then the process dies by that
   signal (no core file: RLIMIT_CORE is 0 for it).
"""

import os
import resource
import signal
import socket
import subprocess
import sys
import time

from processes import Client, Processes, free_port, wait_for, wait_port


def state(pid):
    """The process state letter of /proc/PID/stat (R, S, T, Z...)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def lines_after(path, start):
    return read(path)[start:]


def two_clients_served(port):
    """Whether two clients at once both get an answer (client_connections allows them)."""
    clients = []
    try:
        for _ in range(2):
            clients.append(Client(port, timeout=2))
            if not clients[-1].call(b"version\r\n").startswith(b"VERSION"):
                return False
        return True
    except (ConnectionError, OSError):
        return False
    finally:
        for c in clients:
            c.close()


def no_core():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def check_level_and_ignored_signals(binary):
    with Processes() as procs:
        backend = procs.memcached()
        port = free_port()
        config = procs.config(f"""limited:
  listen: 127.0.0.1:{port}
  client_connections: 1
  servers:
   - 127.0.0.1:{backend}:1
""")
        log = os.path.join(procs.dir, "serve.log")
        proxy = subprocess.Popen([binary, "serve", "-c", config, "-t", "2", "-o", log], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        procs.procs.append(proxy)
        wait_port(port)
        pid = proxy.pid

        def signal_and_wait(signo, expect):
            start = len(read(log))
            os.kill(pid, signo)
            wait_for(lambda: expect in lines_after(log, start), f"{expect!r} in the log after {signal.Signals(signo).name}")
            assert proxy.poll() is None, f"{signal.Signals(signo).name} ended the process"
            assert state(pid) != "T", f"{signal.Signals(signo).name} stopped the process (state T)"
            return start

        def refused_client_logged(expected):
            """Opens a second client over client_connections: 1; whether the debug line shows
            (waited for when `expected`, else given half a second)."""
            start = len(read(log))
            first = Client(port)
            assert first.call(b"version\r\n").startswith(b"VERSION")
            extra = socket.create_connection(("127.0.0.1", port), timeout=5)
            try:
                extra.recv(10)  # closed by the proxy
            except ConnectionResetError:
                pass
            extra.close()
            first.close()
            if expected:
                wait_for(lambda: "client refused" in lines_after(log, start), "the debug line")
            else:
                time.sleep(0.5)
            return "client refused" in lines_after(log, start)

        time.sleep(0.2)  # wait_port's probe connection has left
        assert not refused_client_logged(False), "a debug line at the default level (info)"
        signal_and_wait(signal.SIGTTIN, "signal=SIGTTIN action=\"log level up\" level=debug")
        assert refused_client_logged(True), "no debug line after SIGTTIN raised the level to debug"
        print("SIGTTIN: level debug, debug lines shown, process state", state(pid))

        signal_and_wait(signal.SIGTTOU, "signal=SIGTTOU action=\"log level down\" level=info")
        signal_and_wait(signal.SIGTTOU, "signal=SIGTTOU action=\"log level down\" level=warn")
        # A reload is applied after its signal is handled, so it must be seen done before SIGTTIN
        # raises the level again: this one lets a second client in, which is what is waited for.
        with open(config) as f:
            text = f.read()
        with open(config, "w") as f:
            f.write(text.replace("client_connections: 1", "client_connections: 2"))
        start = signal_and_wait(signal.SIGHUP, "signal=SIGHUP")
        wait_for(lambda: two_clients_served(port), "the reload that allows two clients")
        signal_and_wait(signal.SIGTTIN, "level=info")
        signal_and_wait(signal.SIGHUP, "msg=\"config reloaded\"")
        # Two reloads, one line: the first reload's info line was dropped at level warn.
        assert lines_after(log, start).count("config reloaded") == 1, lines_after(log, start)
        print("SIGTTOU x2: level warn, info lines hidden; SIGTTIN: info again; process state", state(pid))

        for signo in (signal.SIGUSR1, signal.SIGUSR2):
            signal_and_wait(signo, f"signal={signo.name} action=ignored")
            time.sleep(0.2)
            assert proxy.poll() is None, f"{signo.name} killed the process"
            client = Client(port)
            client.set_get(b"after-" + signo.name.encode())
            client.close()
            time.sleep(0.2)
        print("SIGUSR1, SIGUSR2: logged, ignored, still serving")

        os.kill(pid, signal.SIGTERM)
        assert proxy.wait(timeout=15) == 0, f"exit status after SIGTERM: {proxy.returncode}"
        assert "signal=SIGTERM action=\"shut down\"" in read(log), read(log)
        print("SIGTERM: logged, exit status 0")


def check_fatal_signal(binary, signo):
    with Processes() as procs:
        backend = procs.memcached()
        port = free_port()
        config = procs.config(f"pool:\n  listen: 127.0.0.1:{port}\n  servers:\n   - 127.0.0.1:{backend}:1\n")
        log = os.path.join(procs.dir, "serve.log")
        proxy = subprocess.Popen([binary, "serve", "-c", config, "-t", "2", "-o", log], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, preexec_fn=no_core)
        procs.procs.append(proxy)
        wait_port(port)
        os.kill(proxy.pid, signo)
        status = proxy.wait(timeout=15)
        text = read(log)
        assert status == -signo, f"{signo.name}: exit status {status}, not killed by the signal\n{text}"
        assert f'msg="fatal signal, stack trace follows" signal={signo.name}' in text, text
        frames = [l for l in text.splitlines() if "[0x" in l]
        assert len(frames) >= 3, f"{signo.name}: no stack trace in the log:\n{text}"
        print(f"{signo.name}: logged with a stack trace of {len(frames)} frames, then died by it")


def main():
    binary = sys.argv[1]
    check_level_and_ignored_signals(binary)
    check_fatal_signal(binary, signal.SIGSEGV)
    check_fatal_signal(binary, signal.SIGABRT)
    print("ok")


if __name__ == "__main__":
    main()
