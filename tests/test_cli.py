"""The `edusim` entry point: outputs of a run, and clean failure on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_edusim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "experiments.run", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_run_writes_tables_summary_and_figure(tmp_path):
    out = tmp_path / "run"
    proc = run_edusim("region=tiny", "years=3", "seed=5", f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    assert "mean achievement (quality)" in proc.stdout
    assert str(out) in proc.stdout
    for name in ("timeseries.parquet", "schools.parquet", "summary.json", "equity.png",
                 "COMPLETE"):
        assert (out / name).is_file(), name
    assert not list(out.glob(".*.tmp-*"))
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts["year"]) == [0, 1, 2, 3]
    schools = pd.read_parquet(out / "schools.parquet")
    assert set(schools["year"]) == {0, 1, 2, 3}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 5 and summary["years"] == 3 and summary["region"] == "tiny"
    assert summary["config"]["region"]["preset"] == "tiny"
    assert "first_year_standard_met" in summary
    assert (out / "equity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the run is reproducible from its summary: same seed and config, same numbers
    from sim import EducationModel, SimConfig

    cfg = SimConfig.from_dict(summary["config"])
    again = EducationModel(cfg, rng=summary["seed"]).run(3).timeseries()
    pd.testing.assert_series_equal(again["mean_achievement"], ts["mean_achievement"])


def test_parameter_override_reaches_the_model(tmp_path):
    out = tmp_path / "run"
    proc = run_edusim("region=tiny", "years=1", "teachers.rural_allowance=0.4",
                      "region.n_students=2000", f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["teachers"]["rural_allowance"] == 0.4
    assert abs(summary["first_year"]["students"] - 2000) < 200


@pytest.mark.parametrize("override,message", [
    ("learning.persistence=1.5", "learning.persistence: 1.5 is outside the allowed range [0.0, 0.99]"),
    ("teachers.attrition.rural=-0.1", "teachers.attrition.rural: -0.1 is outside the allowed range"),
    ("years=-2", "years: -2 is outside the allowed range [0, 500]"),
    ("region.preset=huge", "region.preset: 'huge' is not allowed; expected one of tiny, default, county_l"),
])
def test_out_of_range_values_fail_cleanly(tmp_path, override, message):
    out = tmp_path / "run"
    proc = run_edusim("region=tiny", "years=1", override, f"hydra.run.dir={out}")
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()  # nothing half-written


@pytest.mark.parametrize("override,message", [
    ("years=abc", "edusim: years: 'abc' is not an integer; allowed: an integer in [0, 500]"),
    ("teachers.nonsense=1", "edusim: teachers.nonsense: there is no such setting (settings "
                            "of teachers: "),
])
def test_wrong_types_and_names_fail_at_composition(tmp_path, override, message):
    out = tmp_path / "run"
    proc = run_edusim("region=tiny", override, f"hydra.run.dir={out}")
    assert proc.returncode == 2
    assert message in proc.stderr
    assert not out.exists()


def test_policy_run_is_compared_with_the_same_seed_baseline(tmp_path):
    out = tmp_path / "run"
    proc = run_edusim("region=tiny", "years=4", "seed=2", "+policies.teacher_rotation.rate=0.2",
                      f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    assert "Against the same-seed baseline" in proc.stdout
    summary = json.loads((out / "summary.json").read_text())
    vs = summary["vs_baseline"]
    from sim import EducationModel

    base = EducationModel(region="tiny", rng=2).run(4).timeseries().iloc[-1]
    pol = pd.read_parquet(out / "timeseries.parquet").iloc[-1]
    gap = vs["equity"]["urban_rural_gap"]
    assert gap["baseline"] == pytest.approx(base["urban_rural_gap"])
    assert gap["policy"] == pytest.approx(pol["urban_rural_gap"])
    cost = vs["total_policy_cost_yuan"]
    yearly = pd.read_parquet(out / "timeseries.parquet")["cost_policy_teacher_rotation"]
    assert cost == pytest.approx(yearly.sum()) and cost > 0
    assert summary["policies"]["teacher_rotation"]["total_cost_yuan"] == pytest.approx(cost)
    assert gap["gain_per_million_yuan"] == pytest.approx(
        (gap["baseline"] - gap["policy"]) / (cost / 1e6))
    assert vs["mean_achievement"]["change"] == pytest.approx(
        pol["mean_achievement"] - base["mean_achievement"])
    assert (out / "baseline_timeseries.parquet").is_file()


def test_unknown_policy_fails_cleanly(tmp_path):
    out = tmp_path / "run"
    proc = run_edusim("region=tiny", "years=1", "+policies.teleportation.rate=1",
                      f"hydra.run.dir={out}")
    assert proc.returncode == 2
    assert "policies.teleportation: unknown policy; registered:" in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("args, field", [
    (("region=file",), "region.path: required with region=file"),
    (("+policies.teacher_rotation=5",), "policies.teacher_rotation: expected a mapping"),
])
def test_a_missing_table_or_a_scalar_policy_stops_a_run_cleanly(tmp_path, args, field):
    out = tmp_path / "run"
    proc = run_edusim(*args, "years=1", f"hydra.run.dir={out}")
    assert proc.returncode == 2, proc.stderr
    assert field in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


@pytest.mark.parametrize("bad, field", [
    ("+policies.teacher_rotation=5", "policies.teacher_rotation: expected a mapping"),
    ("+foo=1", "unknown config field 'foo'"),
])
def test_the_sweep_check_stops_a_scalar_policy_and_an_unknown_key(tmp_path, bad, field):
    """Single-line errors reach the sweep's up-front check (they were dropped)."""
    sweep = tmp_path / "sweep"
    proc = run_edusim("--multirun", bad, "region=tiny", "years=1", "seed=0,1",
                      f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 2, proc.stderr
    assert "no run was started" in proc.stderr and field in proc.stderr
    assert not sweep.exists()


def test_config_error_messages_with_and_without_heading():
    from sim.schema import ConfigError

    assert ConfigError.from_problems(["a: 1", "b: 2"]).messages() == ["a: 1", "b: 2"]
    assert ConfigError("policies.x: expected a mapping").messages() == [
        "policies.x: expected a mapping"]


def test_the_comparison_gives_the_extra_county_spending(tmp_path):
    # every county cost line against the same-seed baseline, years 1..N: with PE/arts posts
    # recruited beyond the quota the county pays salaries no policy books
    from sim import EducationModel
    from sim.results import compare_to_baseline, comparison_table

    settings = {"teachers.specialist_extra_posts": 1.0}
    pol = EducationModel(region="tiny", rng=3, policies={"teacher_rotation": {}},
                         **settings).run(4)
    base = EducationModel(region="tiny", rng=3, **settings).run(4)
    vs = compare_to_baseline(pol, base)
    spend = [m.timeseries().set_index("year")["spending_yuan"].loc[1:].sum()
             for m in (pol, base)]
    assert vs["extra_county_spending_yuan"] == pytest.approx(spend[0] - spend[1])
    assert vs["extra_county_spending_yuan"] != pytest.approx(vs["total_policy_cost_yuan"])
    assert "extra county spending over 4 years" in comparison_table(vs)
