"""edusim-aggregate: tidy tables of a real (small) Hydra sweep, checked against the run files.

The sweeps are real multiruns of the ``edusim`` app (tiny county, 3 years), built once per
session in pytest's base temp directory and shared with tests/test_figures.py through
:func:`real_sweep`. Tests that change a sweep work on a copy.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from experiments.aggregate import (
    AggregateError,
    AggregateResult,
    aggregate,
    mean_ci,
    parse_override,
    t_quantile_975,
)

ROOT = Path(__file__).resolve().parent.parent
RATE = "policies.teacher_rotation.rate"

#: the sweep of the brief: 2 seeds x 2 rotation rates (figures off to save time)
MAIN_SWEEP = ("region=tiny", "years=3", "seed=0,1", "+policies.teacher_rotation.rate=0.0,0.3",
              "figures=false")
#: the same seeds without any policy: the baseline arm
BASELINE_SWEEP = ("region=tiny", "years=3", "seed=0,1", "figures=false")


def real_sweep(tmp_path_factory: pytest.TempPathFactory, name: str,
               overrides: tuple[str, ...]) -> Path:
    """A Hydra multirun of ``edusim`` with ``overrides`` in the session's base temp dir,
    run once per session and name (later calls reuse it)."""
    sweep = tmp_path_factory.getbasetemp() / f"sweep-{name}"
    done = sweep / ".built"
    if not done.exists():
        if sweep.exists():
            shutil.rmtree(sweep)
        proc = subprocess.run(
            [sys.executable, "-m", "experiments.run", "--multirun", *overrides,
             f"hydra.sweep.dir={sweep}"],
            cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        done.write_text("ok\n")
    return sweep


def copy_sweep(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("aggregate", "figures", ".built"))
    return dst


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "experiments.aggregate", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="session")
def sweep_dir(tmp_path_factory) -> Path:
    return real_sweep(tmp_path_factory, "main", MAIN_SWEEP)


@pytest.fixture(scope="session")
def result(sweep_dir, tmp_path_factory) -> AggregateResult:
    out = tmp_path_factory.mktemp("agg-main")
    return aggregate(sweep_dir, out=out)


@pytest.fixture(scope="session")
def with_baseline(sweep_dir, tmp_path_factory) -> Path:
    """The main sweep plus a baseline arm (same seeds, no policy) in one directory."""
    base = real_sweep(tmp_path_factory, "baseline", BASELINE_SWEEP)
    combined = tmp_path_factory.mktemp("combined")
    copy_sweep(sweep_dir, combined / "policy")
    copy_sweep(base, combined / "baseline")
    return combined


def run_dirs(sweep: Path) -> list[Path]:
    return sorted(p.parent for p in sweep.rglob("COMPLETE"))


def rate_of(run: Path) -> float | None:
    """The rotation rate a run really used, read from its own summary.json."""
    summary = json.loads((run / "summary.json").read_text())
    pol = summary["config"]["policies"].get("teacher_rotation")
    return None if pol is None else float(pol["rate"])


# ---------------------------------------------------------------------------------------------
# discovery, arms, layout


def test_finds_the_four_runs_with_their_arms_and_seeds(sweep_dir, result):
    assert result.n_runs == 4
    assert result.incomplete == [] and result.unreadable == {}
    assert result.arm_order == [f"{RATE}=0.0", f"{RATE}=0.3"]
    assert result.swept_params == [RATE]
    per_run = result.per_run.set_index("run_id")
    assert set(per_run.index) == {"0", "1", "2", "3"}
    for run in run_dirs(sweep_dir):
        row = per_run.loc[run.name]
        summary = json.loads((run / "summary.json").read_text())
        assert row["seed"] == summary["seed"]
        assert row[RATE] == pytest.approx(rate_of(run))
        assert row["arm"] == f"{RATE}={rate_of(run)!r}"
    for arm in result.arm_order:
        assert sorted(per_run.loc[per_run["arm"] == arm, "seed"]) == [0, 1]


def test_runs_table_is_one_row_per_run_and_year_with_every_timeseries_column(sweep_dir, result):
    runs = pd.read_parquet(result.out_dir / "runs.parquet")
    assert len(runs) == 4 * 4  # 4 runs x years 0..3
    assert list(runs.columns[:3]) == ["run_id", "arm", "seed"]
    ts = pd.read_parquet(sweep_dir / "0" / "timeseries.parquet")
    assert set(ts.columns) <= set(runs.columns)
    assert runs[RATE].dtype == float and set(runs[RATE]) == {0.0, 0.3}
    assert set(runs["years"]) == {3} and set(runs["region"]) == {"tiny"}
    assert "figures" not in runs.columns  # a run option, not a parameter
    for (_run_id, _year), n in runs.groupby(["run_id", "year"]).size().items():
        assert n == 1
    one = runs[runs["run_id"] == "2"].sort_values("year").reset_index(drop=True)
    own = pd.read_parquet(sweep_dir / "2" / "timeseries.parquet")
    np.testing.assert_allclose(one["mean_achievement"], own["mean_achievement"])
    assert list(one["quality_passed"]) == list(own["quality_passed"])


def test_every_output_file_is_written_whole(result):
    names = {p.name for p in result.out_dir.iterdir()}
    assert {"runs.parquet", "per_run.parquet", "per_run.csv", "summary.parquet", "summary.csv",
            "last_year.csv", "arms.parquet", "arms.csv", "effects.parquet", "effects.csv",
            "manifest.json"} <= names
    assert not [n for n in names if ".tmp-" in n]
    manifest = json.loads((result.out_dir / "manifest.json").read_text())
    assert manifest["n_runs"] == 4 and manifest["incomplete"] == []
    again = AggregateResult.load(result.out_dir)
    pd.testing.assert_frame_equal(again.summary, result.summary)
    pd.testing.assert_frame_equal(again.arms, result.arms)


# ---------------------------------------------------------------------------------------------
# statistics


@pytest.mark.parametrize("metric", ["mean_achievement", "urban_rural_gap", "ses_gap",
                                    "between_school_share", "cv_junior_backbone_teachers_per_100",
                                    "quality_cv_passed_junior", "cost_policy_teacher_rotation"])
def test_arm_means_equal_the_mean_of_the_runs_own_values(sweep_dir, result, metric):
    by_rate: dict[float, list[pd.DataFrame]] = {}
    for run in run_dirs(sweep_dir):
        by_rate.setdefault(rate_of(run), []).append(
            pd.read_parquet(run / "timeseries.parquet").set_index("year"))
    summary = pd.read_csv(result.out_dir / "summary.csv")
    for rate, frames in by_rate.items():
        assert len(frames) == 2
        rows = summary[(summary["arm"] == f"{RATE}={rate!r}") & (summary["metric"] == metric)]
        assert list(rows["year"]) == [0, 1, 2, 3]
        for _, row in rows.iterrows():
            values = [float(f.loc[row["year"], metric]) for f in frames]
            assert row["n"] == 2
            assert row["mean"] == pytest.approx(np.mean(values), abs=1e-12)
            half = 12.706205 * np.std(values, ddof=1) / math.sqrt(2)
            assert row["ci_low"] == pytest.approx(np.mean(values) - half, abs=1e-9)
            assert row["ci_high"] == pytest.approx(np.mean(values) + half, abs=1e-9)


def test_last_year_table_holds_only_the_last_year(result):
    last = pd.read_csv(result.out_dir / "last_year.csv")
    assert set(last["year"]) == {3}
    assert set(last["arm"]) == set(result.arm_order)
    assert "urban_rural_gap" in set(last["metric"])


def test_interval_on_a_hand_computed_case():
    # x = 1, 2, 3, 4: mean 2.5, sd = sqrt(5/3) = 1.2909944, t(0.975, 3) = 3.182446
    # half-width = 3.182446 * 1.2909944 / 2 = 2.0542603
    stats = mean_ci([1, 2, 3, 4, float("nan")])
    assert stats["n"] == 4
    assert stats["mean"] == 2.5
    assert stats["sd"] == pytest.approx(1.2909944, abs=1e-7)
    assert stats["ci_low"] == pytest.approx(0.4457397, abs=1e-6)
    assert stats["ci_high"] == pytest.approx(4.5542603, abs=1e-6)
    single = mean_ci([0.7])
    assert single["n"] == 1 and single["mean"] == 0.7
    assert math.isnan(single["ci_low"]) and math.isnan(single["ci_high"])
    assert mean_ci([])["n"] == 0


def test_t_quantiles_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    for df in [1, 2, 5, 29, 30, 31, 45, 120, 1000]:
        assert t_quantile_975(df) == pytest.approx(stats.t.ppf(0.975, df), abs=2e-6)
    assert math.isnan(t_quantile_975(0))


def test_first_pass_years_match_each_runs_summary(sweep_dir, result):
    per_run = result.per_run.set_index("run_id")
    for run in run_dirs(sweep_dir):
        first = json.loads((run / "summary.json").read_text())["first_year_standard_met"]
        for std in ("quality", "basic", "quality_junior", "basic_primary"):
            got = per_run.loc[run.name, f"first_pass_{std}"]
            assert (math.isnan(got) and first[std] is None) or got == first[std]
    arms = result.arms.set_index("arm")
    for arm, grp in result.per_run.groupby("arm"):
        years = grp["first_pass_basic"]
        assert arms.loc[arm, "first_pass_basic_share"] == pytest.approx(years.notna().mean())


# ---------------------------------------------------------------------------------------------
# changes against a reference


def test_changes_come_from_each_runs_same_seed_baseline(sweep_dir, result):
    per_run = result.per_run.set_index("run_id")
    assert set(per_run["reference"]) == {"same-seed baseline"}
    for run in run_dirs(sweep_dir):
        vs = json.loads((run / "summary.json").read_text())["vs_baseline"]
        row = per_run.loc[run.name]
        assert row["total_policy_cost_yuan"] == pytest.approx(vs["total_policy_cost_yuan"])
        assert row["change_mean_achievement"] == pytest.approx(vs["mean_achievement"]["change"])
        for key, m in vs["equity"].items():
            assert row[f"change_{key}"] == pytest.approx(m["change"], abs=1e-12)
            gain = row[f"gain_per_million_yuan_{key}"]
            if m["gain_per_million_yuan"] is None:
                assert math.isnan(gain)
            else:
                assert gain == pytest.approx(m["gain_per_million_yuan"])
    # a rotation rate of 0 reproduces the baseline exactly and costs nothing
    zero = result.arms.set_index("arm").loc[f"{RATE}=0.0"]
    assert zero["change_urban_rural_gap_mean"] == 0.0
    assert zero["total_policy_cost_yuan_mean"] == 0.0
    assert math.isnan(zero["gain_per_million_yuan_urban_rural_gap_mean"])
    rot = result.arms.set_index("arm").loc[f"{RATE}=0.3"]
    costs = [json.loads((r / "summary.json").read_text())["policies"]["teacher_rotation"]
             ["total_cost_yuan"] for r in run_dirs(sweep_dir) if rate_of(r) == 0.3]
    assert rot["total_policy_cost_yuan_mean"] == pytest.approx(np.mean(costs))
    assert rot["total_policy_cost_yuan_mean"] > 0


def test_a_baseline_arm_is_the_reference(with_baseline, tmp_path):
    res = aggregate(with_baseline, out=tmp_path)
    assert res.arm_order[0] == "baseline"
    assert res.has_baseline_arm
    per_run = res.per_run.set_index("run_id")
    assert set(per_run.loc[per_run["arm"] == "baseline", "reference"]) == {"self"}
    policy = per_run[per_run["arm"] != "baseline"]
    assert set(policy["reference"]) == {"baseline arm"}
    base_ts = {json.loads((r / "summary.json").read_text())["seed"]:
               pd.read_parquet(r / "timeseries.parquet")
               for r in run_dirs(with_baseline / "baseline")}
    for run_id, row in policy.iterrows():
        own = pd.read_parquet(with_baseline / run_id / "timeseries.parquet")
        expected = own["urban_rural_gap"].iloc[-1] - base_ts[row["seed"]]["urban_rural_gap"].iloc[-1]
        assert row["change_urban_rural_gap"] == pytest.approx(expected, abs=1e-12)
        # same seed, same configuration without policies: the run's own baseline agrees
        vs = json.loads((with_baseline / run_id / "summary.json").read_text())["vs_baseline"]
        assert row["change_urban_rural_gap"] == pytest.approx(
            vs["equity"]["urban_rural_gap"]["change"], abs=1e-12)


# ---------------------------------------------------------------------------------------------
# incomplete runs and the command line


def test_incomplete_run_is_ignored_and_reported(sweep_dir, tmp_path):
    sweep = copy_sweep(sweep_dir, tmp_path / "sweep")
    (sweep / "3" / "COMPLETE").unlink()
    res = aggregate(sweep)
    assert res.n_runs == 3
    assert res.incomplete == ["3"]
    assert "3" not in set(res.runs["run_id"])
    manifest = json.loads((sweep / "aggregate" / "manifest.json").read_text())
    assert manifest["incomplete"] == ["3"]
    assert "3" not in manifest["run_ids"]
    proc = run_cli(str(sweep))
    assert proc.returncode == 0, proc.stderr
    assert "ignored 1 incomplete run(s)" in proc.stdout and ": 3" in proc.stdout


def test_cli_writes_to_out_and_prints_the_arms(sweep_dir, tmp_path):
    sweep = copy_sweep(sweep_dir, tmp_path / "sweep")
    proc = run_cli(str(sweep), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "aggregate" / "runs.parquet").is_file()
    assert not (sweep / "aggregate").exists()
    assert f"{RATE}=0.3" in proc.stdout and "aggregated 4 complete run(s)" in proc.stdout


def test_cli_errors_are_one_line_with_exit_code_2(sweep_dir, tmp_path):
    proc = run_cli(str(tmp_path / "nowhere"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "no such directory" in proc.stderr and "Traceback" not in proc.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_cli(str(empty))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"edusim-aggregate: no complete run under {empty}"

    sweep = copy_sweep(sweep_dir, tmp_path / "sweep")
    for marker in sweep.rglob("COMPLETE"):
        marker.unlink()
    proc = run_cli(str(sweep))
    assert proc.returncode == 2
    assert "no complete run" in proc.stderr and "(4 incomplete)" in proc.stderr
    with pytest.raises(AggregateError):
        aggregate(sweep)


@pytest.mark.parametrize("text,expected", [
    ("+policies.teacher_rotation.rate=0.2", ("policies.teacher_rotation.rate", 0.2)),
    ("++teachers.rural_allowance=0.35", ("teachers.rural_allowance", 0.35)),
    ("seed=3", ("seed", 3)),
    ("compare_baseline=False", ("compare_baseline", False)),
    ("region=tiny", ("region", "tiny")),
    ("enrolment.mode='strict'", ("enrolment.mode", "strict")),
    ("evaluation.quality_threshold=null", ("evaluation.quality_threshold", None)),
    ("+policies.teacher_rotation={}", ("policies.teacher_rotation", "{}")),
    ("~policies.teacher_rotation", None),
])
def test_override_parsing(text, expected):
    assert parse_override(text) == expected


def test_arm_label_ignores_run_options_and_the_sweep_group(tmp_path, sweep_dir):
    """Extra overrides that do not change what is simulated (run options, the ``sweep``
    config group) neither split an arm nor become parameter columns."""
    sweep = copy_sweep(sweep_dir, tmp_path / "sweep")
    runs = run_dirs(sweep)
    for run, extra in zip(runs, (["progress=false"], ["+sweep=demo"], [], []), strict=True):
        items = yaml.safe_load((run / ".hydra" / "overrides.yaml").read_text()) + extra
        (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(items))
    res = aggregate(sweep, write=False)
    assert set(res.arms["arm"]) == {f"{RATE}=0.0", f"{RATE}=0.3"}
    assert "progress" not in res.runs.columns and "sweep" not in res.runs.columns
