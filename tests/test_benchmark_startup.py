"""The benchmark's command start-up part (``benchmarks/startup.py``): real processes of the
installed console scripts, timed in a temporary folder that is removed afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # benchmarks/ is not an installed package

from benchmarks import startup  # noqa: E402


def test_only_startup_quick_times_the_three_commands(tmp_path):
    """``--only startup --quick``: each command once (~6 s), its figures in the report."""
    tmp = tmp_path / "tmp"  # the part's temporary folder goes here
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp))
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    report_path = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.run", "--only", "startup",
                           "--quick", "--json", str(report_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(report_path.read_text())["startup"]
    assert "error" not in r, r
    assert r["repetitions"] == 1 and r["figures_written"] == ["equity.png"]
    for key in ("help_s", "tiny_run_s", "evaluate_s"):
        assert 0 < r[key] < 60, key
    assert r["tiny_run"]["command"] == "edusim region=tiny years=1 hydra.run.dir=RUN"
    assert r["tiny_run_no_figures"]["median_s"] > 0
    # an untimed warm-up round comes first: its times are kept apart from the timed ones
    assert all(0 < r[key]["first_s"] < 60 and len(r[key]["runs_s"]) == 1
               for key in startup.COMMANDS)
    assert (f"after an untimed warm-up round, whose tiny run took "
            f"{r['tiny_run']['first_s']:.2f} s)") in proc.stdout
    assert r["table"] == {"rows": 120, "schools": 60, "pupils": 50_000}
    assert (f"`edusim --help` {r['help_s']:.2f} s; `edusim region=tiny years=1` "
            f"{r['tiny_run_s']:.2f} s with its figure (equity.png)") in proc.stdout
    assert "quick mode: the targets are checked in the full-size run only" in proc.stdout
    parts = r["parts"]  # the tiny run's parts, one after the other in a fresh process
    assert all(0 < parts[k] < 60 for k in startup.PARTS), parts
    assert parts["serial_path_s"] == pytest.approx(
        parts["imports_s"] + parts["compositions_s"] + parts["model_and_outputs_s"]
        + parts["figure_s"])
    assert f"a serial path of {parts['serial_path_s']:.2f} s against the 1.5 s target" in (
        proc.stdout)
    assert list(tmp.iterdir()) == []  # the working folders (the parts' one too) are gone


def test_a_failing_command_is_reported_as_the_parts_error(monkeypatch, tmp_path):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(startup, "COMMANDS", {"tiny_run": ("edusim", ["years=-1"])})
    r = startup.measure(repetitions=1)
    assert r["error"].startswith("`edusim years=-1` exited with 2: ")
    assert "outside the allowed range" in r["error"]
    assert list(tmp_path.iterdir()) == []


def test_a_missing_console_script_is_reported(monkeypatch):
    monkeypatch.setattr(startup, "script", lambda name: Path("/nonexistent") / name)
    r = startup.measure(repetitions=1)
    assert r["error"].startswith("no console script edusim, edusim-evaluate beside ")


def test_target_rows_compare_the_medians():
    rows = startup.target_rows({"help_s": 0.1, "tiny_run_s": 2.0, "evaluate_s": 0.5})
    assert [(k, v, op, t) for k, _, v, op, t in rows] == [
        ("help_s", 0.1, "<=", 1.0), ("tiny_run_s", 2.0, "<=", 1.5),
        ("evaluate_s", 0.5, "<=", 1.0)]
    assert startup.target_rows({"error": "x"})[0][2] is None
