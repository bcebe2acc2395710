"""Shared fixtures: small models built once per test session where tests only read them."""

from __future__ import annotations

from tests import reference_cpu

reference_cpu.use()  # before numpy is imported: the baselines' CPU code paths, on every machine

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from sim import EducationModel, SimConfig
from sim.scenarios import identical_schools_config


@pytest.fixture(scope="session")
def tiny_run() -> EducationModel:
    """A tiny county run for 10 years (read-only for tests)."""
    return EducationModel(region="tiny", rng=11).run(10)


@pytest.fixture(scope="session")
def default_model() -> EducationModel:
    """The default county in year 0 (read-only for tests)."""
    return EducationModel(rng=5)


def equalised_config(preset: str = "tiny") -> SimConfig:
    """A county whose three tiers are identical in every parameter
    (:func:`sim.scenarios.identical_schools_config`)."""
    return identical_schools_config(preset)


def free_ports(n: int = 1) -> list[int]:
    """``n`` distinct TCP ports that are free on 127.0.0.1 now: bound together to port 0, so
    the kernel picks them and they differ, then released for a server to bind. Another
    process can still take one in between: a server that fails to bind must be restarted
    on fresh ports (as :func:`ray_head` does)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _stop_process_group(proc: subprocess.Popen) -> None:
    """Kill ``proc`` (started with ``start_new_session=True``) and every process it started:
    its descendants by their process ids, then its process group (whose id is its own)."""
    import psutil

    try:
        procs = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        procs = []
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    psutil.wait_procs(procs, timeout=10)


def _start_ray_head(env: dict[str, str], temp_dir: str) -> tuple[subprocess.Popen, str, str]:
    """Start ``ray start --head --block`` on fresh free loopback ports: (process, address,
    log); the process has exited (and the log says why) if the head did not start."""
    ray = Path(sys.executable).with_name("ray")
    # every port Ray would otherwise take at a fixed default (6379, 10001, 52365, 44217,
    # 44227) is chosen free, so heads of parallel test sessions do not collide
    gcs, client, agent, autoscaler_metrics, dashboard_metrics = free_ports(5)
    env = {**env, "AUTOSCALER_METRIC_PORT": str(autoscaler_metrics),
           "DASHBOARD_METRIC_PORT": str(dashboard_metrics)}
    head = subprocess.Popen(
        [str(ray), "start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={gcs}",
         f"--ray-client-server-port={client}", f"--dashboard-agent-listen-port={agent}",
         "--include-dashboard=false", "--num-cpus=2", f"--temp-dir={temp_dir}"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    deadline = time.time() + 120
    log = ""
    while time.time() < deadline and "Ray runtime started" not in log:
        line = head.stdout.readline()
        if not line and head.poll() is not None:
            break
        log += line
    if "Ray runtime started" not in log:
        _stop_process_group(head)
    return head, f"127.0.0.1:{gcs}", log


@pytest.fixture(scope="session")
def ray_head():
    """A Ray head on 127.0.0.1 for the launcher tests, on free ports and in its own temp dir
    (so parallel test workers or sessions can each have one): yields (address, env);
    stopped, with every process it started, by their own process ids."""
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    # Ray's unix sockets need a short path: not pytest's long tmp_path
    ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    started = False
    try:
        for _ in range(3):  # a port taken by another process between choice and use: retry
            head, address, log = _start_ray_head(env, ray_tmp)
            started = head.returncode is None  # a head that did not start is stopped already
            if started:
                break
        assert started, log[-2000:]
        yield address, env
    finally:
        if started:
            _stop_process_group(head)
        shutil.rmtree(ray_tmp, ignore_errors=True)


def run_in_process(main, prog: str, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of the console script ``PROG ARGS`` whose entry point is
    ``main``, run in this process (Hydra included): ~10x faster than a subprocess per case."""
    import contextlib
    import io
    import sys

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = [prog, *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
                code = 0
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 1
    finally:
        sys.argv = argv
    return code, out.getvalue(), err.getvalue()
