"""The naive per-agent reference model (``benchmarks/naive.py``) as an independent check of
the main model's core rules, and a smoke test of ``python -m benchmarks.run --quick``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim import EducationModel

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # benchmarks/ is not an installed package

from benchmarks.naive import NaiveModel  # noqa: E402

SEEDS = range(30)
YEARS = 5
METRICS = ("mean_achievement", "urban_rural_gap", "teachers", "attrition_rate_rural")


def _outcomes(ts) -> list[float]:
    """County means after YEARS years; rural attrition is the mean of the yearly rates of
    years 1..YEARS (one year of the tiny county has only ~60 rural teachers)."""
    last = ts.iloc[-1]
    return [float(last["mean_achievement"]), float(last["urban_rural_gap"]),
            float(last["teachers"]), float(ts["attrition_rate_rural"].iloc[1:].mean())]


@pytest.mark.slow
@pytest.mark.parametrize("policies", [{}, {"teacher_rotation": {}}],
                         ids=["no_policies", "rotation"])
def test_naive_reference_agrees_with_main_model(policies):
    """Main and naive model, 30 seeds each, same seed = same year-0 county, tiny county,
    5 years: the two 30-seed means of each county metric differ by at most 3 standard
    errors of the difference, SE = sqrt(var_main / 30 + var_naive / 30).

    The independent-samples SE is used because the naive model draws its own random
    numbers (only the start is shared); it is larger than the paired SE, so the test is
    not stricter than the evidence allows. No absolute slack is added: the naive model's
    simplifications (no school choice or capacity limits, the school-section mean of the
    core teachers instead of class assignment, no qualification/title changes, rotation
    destinations in school order) shifted none of these means by a measurable amount
    (measured differences were 0.1-1.5 SE; with 150 seeds the pupil count differed by
    -7 ± 5 of ~3,750). Seed-to-seed SDs in the main model: mean achievement ~0.03 SD,
    urban-rural gap ~0.08 SD, teachers ~4, rural attrition ~0.02, so 3 SE is about
    ±0.02, ±0.06, ±3 teachers and ±0.015.
    """
    main, naive = [], []
    for seed in SEEDS:
        main.append(_outcomes(EducationModel(region="tiny", rng=seed, policies=policies)
                              .run(YEARS).timeseries()))
        naive.append(_outcomes(NaiveModel(region="tiny", rng=seed, policies=policies)
                               .run(YEARS).timeseries()))
    main, naive = np.array(main), np.array(naive)
    n = len(SEEDS)
    problems = []
    for k, name in enumerate(METRICS):
        diff = naive[:, k].mean() - main[:, k].mean()
        se = np.sqrt(main[:, k].var(ddof=1) / n + naive[:, k].var(ddof=1) / n)
        if not abs(diff) <= 3 * se:
            problems.append(f"{name}: naive {naive[:, k].mean():.4f} vs main "
                            f"{main[:, k].mean():.4f} (diff {diff:.4f}, 3 SE = {3 * se:.4f})")
    assert not problems, "\n".join(problems)


def test_naive_starts_from_the_main_models_state():
    main = EducationModel(region="tiny", rng=3)
    naive = NaiveModel(region="tiny", rng=3)
    ts = naive.timeseries().iloc[0]
    rec = main.timeseries().iloc[0]
    assert ts["students"] == rec["students"]
    assert ts["teachers"] == rec["teachers"]
    assert ts["mean_achievement"] == pytest.approx(rec["mean_achievement"], abs=1e-9)
    assert ts["urban_rural_gap"] == pytest.approx(rec["urban_rural_gap"], abs=1e-9)


def test_benchmark_quick_runs_and_prints_the_table(tmp_path):
    """~40 s (two rounds of fresh processes), so not marked slow. ``--json`` writes the
    figures it printed."""
    import json

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    report_path = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.run", "--quick", "--repeat", "2",
                           "--json", str(report_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    report = json.loads(report_path.read_text())
    _check_json_report(report, out)
    assert "the fastest of 2 runs of each, in 2 rounds" in out.splitlines()[0]
    assert "(round 1 of 2: main tiny 10y, all policies)" in proc.stderr
    assert "ns/stud-yr" in out and "peak MiB" in out
    for name in ("main tiny 10y, all policies", "main tiny 10y, rotation",
                 "naive tiny 10y, rotation", "floor tiny 10y, rotation"):
        line = next(line for line in out.splitlines() if line.startswith(name))
        assert "ERROR" not in line
    assert "naive/main tiny (rotation vs naive rotation)" in out and "main/floor" in out
    assert "agent views made by the run: 0" in out
    parts = next(line for line in out.splitlines() if line.startswith("a default year by part"))
    for part in ("core enrolment", "learning", "careers", "finance", "record", "policies",
                 "teacher_rotation", "school_groups"):
        assert part in parts, part
    views = next(line for line in out.splitlines() if line.startswith("agent views on demand"))
    assert "ERROR" not in views and "(same results: True)" in views


def _check_json_report(report: dict, out: str) -> None:
    """The --json report holds the figures the printed output shows, as printed."""
    from benchmarks.run import JSON_KEYS

    assert set(report) == set(JSON_KEYS)
    assert report["benchmark"]["mode"] == "quick" and report["benchmark"]["repeat"] == 2
    lines = out.splitlines()
    for name, w in report["workloads"].items():  # every printed row, with its figures
        line = next(line for line in lines if line.startswith(name))
        cells = line[42:].split()
        assert cells[0] == f"{w['pupils0']:,d}"
        assert cells[3] == f"{w['total_s']:.2f}"
        assert cells[5] == f"{w['ns_per_student_year']:,.0f}"
        assert cells[6] == f"{w['peak_mib']:.0f}"
    assert len(report["workloads"]) == 9
    ratio = report["ratios"]["naive_over_main"][0]
    assert f"naive/main tiny (rotation vs naive rotation): {ratio['ratio']:.1f}x" in out
    floor = report["ratios"]["main_over_floor"][0]
    assert f"total {floor['total']:.1f}x, steps only {floor['steps_only']:.1f}x" in out
    assert f"median {report['step']['median_ms']:.0f} ms" in out
    assert report["record"]["views_made"] == 0
    parts = report["year_by_part"]
    assert parts["region"] == "default" and "teacher_rotation" in parts["policies_ms"]
    assert f"core enrolment {parts['core_ms']['enrolment']:.1f}" in out
    view = report["browser_view"]
    assert view["total_ms"] > 0 and view["specs_kib"] > 0
    assert (f"median {view['total_ms']:.0f} ms (step {view['step_ms']:.0f} ms, page data "
            f"{view['page_data_ms']:.0f} ms, the six Vega-Lite specs {view['specs_ms']:.0f} ms, "
            f"{view['specs_kib']:.0f} KiB of JSON") in out
    assert report["agent_views"]["same_results"] is True
    startup = report["startup"]  # quick: each command once
    assert startup["repetitions"] == 1 and startup["figures_written"] == ["equity.png"]
    assert f"`edusim --help` {startup['help_s']:.2f} s;" in out
    assert all(startup[k] > 0 for k in ("help_s", "tiny_run_s", "evaluate_s"))
    assert report["sweep"] is None and report["targets"] is None  # no --sweep; quick


def test_benchmark_json_path_is_checked_before_anything_runs(tmp_path):
    for path, words in ((tmp_path / "missing" / "b.json", "does not exist"),
                        (tmp_path, "is a directory"),
                        # writable by the permission bits (root), yet nothing can be made
                        # there: this failed with a traceback after the whole benchmark
                        (Path("/proc/b.json"), "/proc does not allow it")):
        proc = subprocess.run([sys.executable, "-m", "benchmarks.run", "--quick", "--json",
                               str(path)], cwd=ROOT, capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 2
        assert f"--json {path}: " in proc.stderr and words in proc.stderr
        assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_benchmark_rejects_a_repeat_below_one():
    proc = subprocess.run([sys.executable, "-m", "benchmarks.run", "--repeat", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--repeat must be an integer >= 1, got 0" in proc.stderr
    assert proc.stdout == ""


@pytest.mark.slow
def test_benchmark_sweep_runs_the_real_sweep_and_cleans_up():
    """The benchmark's sweep row is a real ``edusim --multirun`` (quick: 4 tiny runs)."""
    import tempfile

    from benchmarks.sweep import sweep_row

    pattern = "edusim-benchmark-sweep-*"
    before = set(Path(tempfile.gettempdir()).glob(pattern))
    r = sweep_row(quick=True)
    assert "error" not in r, r
    assert r["runs"] == 4 and r["completed"] == 4
    assert r["seconds"] > 0 and "4 tiny runs (2 rotation rates x 2 seeds, 3 years)" in r["label"]
    assert 0 < r["first_run_s"] < r["seconds"]  # the sweep's first line, after its checks
    assert set(Path(tempfile.gettempdir()).glob(pattern)) == before  # the sweep dir is gone


def test_year_by_part_adds_up_and_restores_the_processes():
    from benchmarks.probes import phases_worker
    from sim.processes import enrolment, learning

    steps = (enrolment.step, learning.step)
    r = phases_worker({"region": "tiny", "years": 3, "seed": 1})
    assert (enrolment.step, learning.step) == steps
    parts = r["ms"]
    assert {"enrolment", "learning", "careers", "finance", "record"} <= set(parts)
    assert {"policy:teacher_rotation", "policy:school_groups"} <= set(parts)
    assert all(v >= 0 for v in parts.values())
    assert 0.7 * r["total_ms"] <= sum(parts.values()) <= r["total_ms"]


def test_targets_as_filed_stay_the_verdict_and_restated_ones_show_beside(capsys):
    """A value between a filed target and its restated one is MISS as filed and PASS as
    restated; a target without a restated one has none; an unmeasured value is MISS for both."""
    from benchmarks.targets import RESTATED_TARGETS, TARGETS, print_targets

    filed, restated = TARGETS["county_l_s"], RESTATED_TARGETS["county_l_s"]
    between = (filed + restated) / 2
    fast = TARGETS["vs_naive"] + 1.0
    report: dict = {}
    print_targets([("county_l_s", "county_l", between, "<=", filed),
                   ("vs_naive", "naive/main", fast, ">=", TARGETS["vs_naive"]),
                   ("million_s", "1 M", None, "<=", TARGETS["million_s"]),
                   ("step_ms", "step", 10.0, "<=", TARGETS["step_ms"])], report)
    by_key = {t["key"]: t for t in report["targets"]}
    assert (by_key["county_l_s"]["status"], by_key["county_l_s"]["restated_status"]) \
        == ("MISS", "PASS")
    assert by_key["county_l_s"]["restated"] == restated
    assert (by_key["vs_naive"]["status"], by_key["vs_naive"]["restated_status"]) \
        == ("PASS", "PASS")
    assert (by_key["million_s"]["status"], by_key["million_s"]["restated_status"]) \
        == ("MISS", "MISS")
    assert by_key["step_ms"]["restated"] is None and by_key["step_ms"]["restated_status"] is None
    lines = capsys.readouterr().out.splitlines()
    county = next(line for line in lines if line.strip().startswith("county_l"))
    assert f"target <= {filed:g}  MISS   restated <= {restated:g}  PASS" in county
    step = next(line for line in lines if line.strip().startswith("step"))
    assert step.rstrip().endswith("PASS") and "restated" not in step
    # every restated target is looser than the filed one of the same key, never tighter
    for key, value in RESTATED_TARGETS.items():
        assert (value > TARGETS[key]) if key != "vs_naive" else (value < TARGETS[key])
