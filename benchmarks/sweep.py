"""The benchmark's 200-run sweep, end to end (``python -m benchmarks.run --sweep``):
:func:`sweep_row`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["sweep_row"]


def sweep_row(quick: bool) -> dict:
    """The benchmark's 200-run sweep, run as a user runs it: ``edusim --multirun`` in a
    fresh process (the default workstation launcher: joblib, one worker per core), into a
    temporary sweep directory that is removed afterwards. Returns its wall time, how many
    runs wrote their ``COMPLETE`` marker, and when the first run started (``first_run_s``:
    the sweep's ``[edusim] sweep of N runs`` line, printed once every job has been checked
    and just before the launcher starts them)."""
    import shutil
    import tempfile

    rates = [0.0, 0.1] if quick else [round(0.01 * i, 2) for i in range(20)]
    seeds, region, years = (2, "tiny", 3) if quick else (10, "county_l", 30)
    label = (f"{len(rates) * seeds} {region} runs ({len(rates)} rotation rates x {seeds} seeds, "
             f"{years} years), workstation launcher on {os.cpu_count()} cores")
    out = Path(tempfile.mkdtemp(prefix="edusim-benchmark-sweep-"))
    cmd = [sys.executable, "-m", "experiments.run", "--multirun", "+policy=teacher_rotation",
           f"region={region}", f"years={years}", "compare_baseline=false",
           "policies.teacher_rotation.rate=" + ",".join(str(r) for r in rates),
           f"seed=range({seeds})", f"hydra.sweep.dir={out}"]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    first_run_s = None
    tail: deque[str] = deque(maxlen=5)
    try:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        timer = threading.Timer(3600, proc.kill)  # assumption: 30 times the 2-minute target
        timer.start()
        try:
            for line in proc.stderr:
                if first_run_s is None and line.startswith("[edusim] sweep of "):
                    first_run_s = time.perf_counter() - t0
                if line.strip():
                    tail.append(line.strip())
            returncode = proc.wait()
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
        completed = len(list(out.glob("*/COMPLETE")))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if returncode != 0:
        return {"error": tail[-1] if tail else f"exit {returncode}"}
    return {"seconds": seconds, "runs": len(rates) * seeds, "completed": completed,
            "label": label, "first_run_s": first_run_s}
