"""A named reference arm and the difference between two arms (``edusim-aggregate --reference``
/ ``--compare``, ``edusim-figures --reference``), on a real sweep of an ordinary parameter.

The sweep (tiny county, 2 years, 3 seeds, ``teachers.rural_allowance=0.1,0.3``, no policy) is
built once per session by :func:`tests.test_aggregate.real_sweep`; every expected number is
recomputed here from the runs' own ``timeseries.parquet``.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.aggregate import AggregateError, AggregateResult, aggregate, mean_ci
from tests.test_aggregate import ROOT, copy_sweep, real_sweep

KEY = "teachers.rural_allowance"
LOW, HIGH = f"{KEY}=0.1", f"{KEY}=0.3"
ALLOWANCE_SWEEP = ("region=tiny", "years=2", "seed=0,1,2", f"{KEY}=0.1,0.3", "figures=false")


@pytest.fixture(scope="session")
def sweep(tmp_path_factory) -> Path:
    return real_sweep(tmp_path_factory, "allowance", ALLOWANCE_SWEEP)


@pytest.fixture(scope="session")
def ts_by_arm_seed(sweep) -> dict[tuple[float, int], pd.DataFrame]:
    """Each run's timeseries by (the allowance it really used, seed), from its summary.json."""
    out = {}
    for done in sweep.rglob("COMPLETE"):
        s = json.loads((done.parent / "summary.json").read_text())
        allowance = float(s["config"]["teachers"]["rural_allowance"])
        out[(allowance, int(s["seed"]))] = pd.read_parquet(
            done.parent / "timeseries.parquet").sort_values("year")
    assert len(out) == 6
    return out


@pytest.fixture(scope="session")
def result(sweep, tmp_path_factory) -> AggregateResult:
    return aggregate(sweep, out=tmp_path_factory.mktemp("agg-ref"), reference=LOW,
                     compare=[(HIGH, LOW)])


def run_cli(module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_without_a_reference_an_allowance_sweep_has_nothing_to_compare_with(sweep, tmp_path):
    res = aggregate(sweep, out=tmp_path)
    assert set(res.per_run["reference"]) == {"none"}
    assert res.reference_arm is None
    assert "reference" not in res.effects.columns
    assert not (tmp_path / "aggregate" / "differences.csv").exists()
    assert "reference_arm" not in json.loads((tmp_path / "aggregate" / "manifest.json")
                                             .read_text())


def test_changes_are_paired_by_seed_against_the_reference_arm(result, ts_by_arm_seed):
    per_run = result.per_run
    assert result.reference_arm == LOW
    assert set(per_run.loc[per_run["arm"] == LOW, "reference"]) == {"self"}
    high = per_run[per_run["arm"] == HIGH].set_index("seed")
    assert set(high["reference"]) == {LOW}
    gaps, spend, gains = [], [], []
    for seed in (0, 1, 2):
        hi, lo = ts_by_arm_seed[(0.3, seed)], ts_by_arm_seed[(0.1, seed)]
        gap = hi["urban_rural_gap"].iloc[-1] - lo["urban_rural_gap"].iloc[-1]
        extra = hi["spending_yuan"].sum() - lo["spending_yuan"].sum()
        assert high.loc[seed, "change_urban_rural_gap"] == pytest.approx(gap, abs=1e-12)
        assert high.loc[seed, "change_total_spending_yuan"] == pytest.approx(extra)
        # a higher allowance is paid to rural teachers: the county spends more
        assert extra > 0
        assert high.loc[seed, "gain_per_million_yuan_urban_rural_gap"] == pytest.approx(
            -gap / (extra / 1e6))
        gaps.append(gap)
        spend.append(extra)
        gains.append(-gap / (extra / 1e6))
    # mean and 95% t-interval across the 3 seeds, by hand: t(0.975, 2) = 4.302653
    eff = result.effects.set_index(["arm", "kind", "measure"])
    row = eff.loc[(HIGH, "change", "urban_rural_gap")]
    half = 4.302653 * np.std(gaps, ddof=1) / math.sqrt(3)
    assert row["n"] == 3
    assert row["mean"] == pytest.approx(np.mean(gaps), abs=1e-12)
    assert row["ci_low"] == pytest.approx(np.mean(gaps) - half, abs=1e-9)
    assert row["ci_high"] == pytest.approx(np.mean(gaps) + half, abs=1e-9)
    assert row["reference"] == LOW
    assert eff.loc[(LOW, "change", "urban_rural_gap"), "reference"] == "self"
    g = eff.loc[(HIGH, "gain_per_million_yuan", "urban_rural_gap")]
    assert g["mean"] == pytest.approx(np.mean(gains))
    assert eff.loc[(HIGH, "change", "total_spending_yuan"), "mean"] == pytest.approx(
        np.mean(spend))
    arms = result.arms.set_index("arm")
    assert arms.loc[HIGH, "reference"] == LOW
    assert arms.loc[HIGH, "change_urban_rural_gap_mean"] == pytest.approx(np.mean(gaps))


def test_difference_of_two_arms_is_paired_by_seed(result, ts_by_arm_seed):
    d = result.differences.set_index("measure")
    assert set(result.differences["arm_a"]) == {HIGH}
    assert set(result.differences["arm_b"]) == {LOW}
    diffs = [ts_by_arm_seed[(0.3, s)]["mean_achievement"].iloc[-1]
             - ts_by_arm_seed[(0.1, s)]["mean_achievement"].iloc[-1] for s in (0, 1, 2)]
    expected = mean_ci(diffs)
    row = d.loc["mean_achievement"]
    assert row["n"] == 3
    for k in ("mean", "ci_low", "ci_high"):
        assert row[k] == pytest.approx(expected[k], abs=1e-12)
    assert d.loc["total_spending_yuan", "mean"] > 0
    assert d.loc["total_policy_cost_yuan", "mean"] == 0.0
    # the same figures as the effects against the reference arm
    eff = result.effects.set_index(["arm", "kind", "measure"])
    assert row["mean"] == pytest.approx(eff.loc[(HIGH, "change", "mean_achievement"), "mean"])
    on_disk = AggregateResult.load(result.out_dir)
    assert on_disk.reference_arm == LOW
    assert on_disk.differences is not None
    assert on_disk.differences.set_index("measure").loc["mean_achievement", "mean"] == \
        pytest.approx(row["mean"])


def test_arm_names_match_in_any_number_format_and_unknown_ones_are_refused(sweep, tmp_path):
    res = aggregate(sweep, out=tmp_path, write=False, reference=f"{KEY}=0.10")
    assert res.reference_arm == LOW
    with pytest.raises(AggregateError, match=r"--reference: unknown arm .*0\.1.*0\.3"):
        aggregate(sweep, out=tmp_path, reference=f"{KEY}=0.2")
    assert not (tmp_path / "aggregate").exists()


def test_cli_reference_and_compare(sweep, tmp_path):
    out = tmp_path / "out"
    proc = run_cli("experiments.aggregate", str(sweep), "--out", str(out),
                   "--reference", LOW, "--compare", HIGH, LOW)
    assert proc.returncode == 0, proc.stderr
    assert f"reference arm: {LOW}" in proc.stdout
    assert f"A = {HIGH}" in proc.stdout and f"B = {LOW}" in proc.stdout
    assert (out / "aggregate" / "differences.csv").is_file()
    bad = run_cli("experiments.aggregate", str(sweep), "--out", str(tmp_path / "bad"),
                  "--compare", HIGH, "nope")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0
    assert "--compare: unknown arm 'nope'" in bad.stderr and LOW in bad.stderr
    assert not (tmp_path / "bad").exists()


def test_figures_compare_with_the_reference_arm(sweep, tmp_path):
    copy = copy_sweep(sweep, tmp_path / "sweep")
    proc = run_cli("experiments.figures", str(copy), "--reference", LOW)
    assert proc.returncode == 0, proc.stderr
    figs = copy / "figures"
    # without a reference neither figure can be drawn for this sweep (no policy, no baseline)
    assert (figs / "policy_comparison.png").is_file()
    assert (figs / "cost_effectiveness.png").is_file()
    assert json.loads((copy / "aggregate" / "manifest.json").read_text())["reference_arm"] == LOW
    plain = run_cli("experiments.figures", str(copy))
    assert plain.returncode == 0, plain.stderr
    assert "skipped policy_comparison.png" in plain.stdout
    assert "skipped cost_effectiveness.png" in plain.stdout
    assert "reference_arm" not in json.loads((copy / "aggregate" / "manifest.json").read_text())
    bad = run_cli("experiments.figures", str(copy), "--reference", "nope")
    assert bad.returncode == 2 and "unknown arm 'nope'" in bad.stderr
