"""The uncertainty analysis's cost (``python -m benchmarks.run --uncertainty``): 200 parameter
sets × 5 seeds × (policy, baseline) = 2,000 runs of the default county for 20 years, run as a
user runs it (``edusim-uncertainty``, a fresh process, one worker per core), and beside it a
plain sweep (``edusim --multirun``, the workstation launcher) of runs of the same county,
years and lever, whose wall time per run gives what the same 2,000 runs would cost as a
sweep. Both write into temporary folders that are removed afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["uncertainty_row"]


def _timed(cmd: list[str], timeout: float) -> tuple[float, int, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    seconds = time.perf_counter() - t0
    tail = (proc.stderr or proc.stdout).strip().splitlines()
    return seconds, proc.returncode, tail[-1] if tail else ""


def uncertainty_row(quick: bool) -> dict:
    """Wall time of the analysis and of the plain sweep (see the module docstring)."""
    draws, seeds, region, years, plain_seeds = ((4, 2, "tiny", 3, 2) if quick
                                                else (200, 5, "default", 20, 50))
    runs = draws * seeds * 2
    label = (f"{draws} parameter sets × {seeds} seeds × (rotation, baseline) = {runs} {region} "
             f"runs of {years} years on {os.cpu_count()} cores")
    out = Path(tempfile.mkdtemp(prefix="edusim-benchmark-uncertainty-"))
    try:
        seconds, code, tail = _timed(
            [sys.executable, "-m", "experiments.uncertainty.app", "+experiment=teacher_rotation",
             f"region={region}", f"years={years}", f"uncertainty.draws={draws}",
             f"uncertainty.seeds={seeds}", "progress=false", f"hydra.run.dir={out / 'a'}"],
            timeout=3600)
        if code != 0:
            return {"error": tail or f"exit {code}"}
        complete = (out / "a" / "uncertainty" / "effects.csv").exists()
        plain_runs = plain_seeds * 2
        plain_s, code, tail = _timed(
            [sys.executable, "-m", "experiments.run", "--multirun",
             "+experiment=baseline,teacher_rotation", f"seed=range({plain_seeds})",
             f"region={region}", f"years={years}", "compare_baseline=false",
             f"hydra.sweep.dir={out / 'p'}"], timeout=3600)
        if code != 0:
            return {"error": f"plain sweep: {tail or f'exit {code}'}"}
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"label": label, "seconds": seconds, "runs": runs, "complete": complete,
            "s_per_run": seconds / runs, "plain_seconds": plain_s, "plain_runs": plain_runs,
            "plain_s_per_run": plain_s / plain_runs,
            "plain_estimate_s": plain_s / plain_runs * runs,
            "speedup": (plain_s / plain_runs) / (seconds / runs)}
