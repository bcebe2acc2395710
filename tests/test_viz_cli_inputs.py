"""``edusim-viz`` with a --host or --port the server cannot listen on (docs/errors.md): exit
code 2 and one line naming the option, before the server starts; never uvicorn's own log
line and exit code 3. Every command here runs in its own process group and is killed by
that group's id if it is still running at its time limit (no server is left behind)."""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sim.viz import cli

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    """``args`` run with this interpreter from the repository root, in a new session; if it
    has not ended within ``timeout`` seconds (a server started after all), its process
    group is killed and the test fails."""
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the group whose id is the process's own
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        pytest.fail(f"edusim-viz {args[2:]} still ran after {timeout} s (a server started):"
                    f"\n{err}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _viz(*argv: str) -> subprocess.CompletedProcess:
    return _run(["-m", "sim.viz.cli", *argv])


@pytest.fixture
def busy_port():
    """A port on 127.0.0.1 that a listening socket of this test holds."""
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]
    finally:
        sock.close()


def _one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr  # no warning, no "browser view on", no traceback
    assert "Traceback" not in proc.stderr and "ERROR:" not in proc.stderr
    assert lines[0].startswith("edusim-viz: ")
    return lines[0]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_port_in_use_is_named(busy_port, host):
    line = _one_error_line(_viz("--host", host, "--port", str(busy_port)))
    assert line.startswith(f"edusim-viz: --port {busy_port}: the port is in use on 127.0.0.1 ")
    # the words the browser tests and the docs job restart on (another process took the port)
    assert "(address already in use)" in line
    assert line.endswith("choose another (--port, 1024-65535)")


@pytest.mark.parametrize("host, words", [
    ("999.1.1.1", "not a host name or address that resolves here"),  # not resolvable
    ("192.0.2.1", "not an address of this machine"),  # TEST-NET-1: never local
])
def test_a_host_the_server_cannot_listen_on_is_named(host, words):
    line = _one_error_line(_viz("--host", host, "--port", "18771"))
    assert line.startswith(f"edusim-viz: --host {host}: {words} (")
    assert line.endswith("use an address of this machine, e.g. 127.0.0.1 (the default)") \
        or line.endswith("use one of its addresses, e.g. 127.0.0.1 (the default)")


def test_the_syntax_checks_still_come_first(busy_port):
    # a malformed option is refused by argparse before anything is resolved or bound
    proc = _viz("--host", "192.0.2.1", "--port", "0")
    assert proc.returncode == 2
    assert "--port: 0 is outside the allowed range [1, 65535]" in proc.stderr
    assert "192.0.2.1" not in proc.stderr


def test_a_port_taken_after_the_check_is_named_too(busy_port):
    # the port taken between the check and the server's start: uvicorn fails to bind, and
    # the command says so in its own words (uvicorn's log line held back), with exit code 2
    code = ("import sys\n"
            "from sim.viz import cli\n"
            "cli.listen_problem = lambda host, port: None  # the check found the port free\n"
            "sys.exit(cli.main(['--port', sys.argv[1]]))\n")
    proc = _run(["-c", code, str(busy_port)], timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "ERROR:" not in proc.stderr
    assert proc.stderr.splitlines()[-1] == (
        f"edusim-viz: --port {busy_port}: the port is in use on 127.0.0.1 (address already "
        "in use); choose another (--port, 1024-65535)")


def test_the_check_leaves_nothing_bound():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    assert cli.listen_problem("127.0.0.1", port) is None
    assert cli.listen_problem("localhost", port) is None
    again = socket.socket()  # without SO_REUSEADDR: fails if the check left a socket behind
    try:
        again.bind(("127.0.0.1", port))
    finally:
        again.close()


def test_a_listenable_host_still_warns_and_starts(monkeypatch, capsys):
    # 0.0.0.0 on a free port passes the check: the warning for a host reachable from the
    # network is still printed, and Solara is started with the options given
    import solara.__main__ as solara_main

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    started = []
    monkeypatch.setenv("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    monkeypatch.setattr(cli, "prepare_server", lambda: 0)  # no gc.freeze in the test process
    monkeypatch.setattr(solara_main.cli, "main", lambda args, prog_name: started.append(args))
    assert cli.main(["--host", "0.0.0.0", "--port", str(port)]) == 0
    err = capsys.readouterr().err
    assert "edusim-viz: warning: --host 0.0.0.0 makes the browser view reachable" in err
    assert started == [cli.solara_arguments("0.0.0.0", port)]


def test_a_bind_failure_logged_by_uvicorn_becomes_one_line(monkeypatch, capsys, busy_port):
    # what uvicorn does when it cannot bind: log the exception itself, then exit with code 3
    import solara.__main__ as solara_main

    def failing_server(args, prog_name):
        logging.getLogger("uvicorn.error").error(OSError(
            errno.EADDRINUSE, "error while attempting to bind on address ('127.0.0.1', 1): address "
                "already in use"))
        raise SystemExit(3)

    monkeypatch.setenv("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    monkeypatch.setattr(cli, "listen_problem", lambda host, port: None)
    monkeypatch.setattr(cli, "prepare_server", lambda: 0)
    monkeypatch.setattr(solara_main.cli, "main", failing_server)
    assert cli.main(["--port", str(busy_port)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        f"edusim-viz: --port {busy_port}: the port is in use on 127.0.0.1 (address already "
        "in use); choose another (--port, 1024-65535)")
    assert "error while attempting" not in err
    assert not [f for f in logging.getLogger("uvicorn.error").filters
                if type(f).__module__ == cli.__name__]  # the hold is removed again
