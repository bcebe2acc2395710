"""Sensitivity analysis (experiments/calibration): the parameter ranges are valid, a design
row really reaches the model through a Hydra multirun, bad rows fail clearly, and the index
wrappers rank known functions correctly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.calibration import sensitivity as sa
from experiments.calibration.ranges import RANGES, parameter_info, problem, ranges_table
from sim.config import ConfigError, SimConfig

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------------------------
# ranges


@pytest.mark.parametrize("r", RANGES, ids=lambda r: r.name)
def test_range_inside_allowed_range_and_contains_default(r):
    info = parameter_info(r.name)
    assert r.low < r.high
    if info["lo"] is not None:
        assert r.low >= info["lo"], f"{r.name}: {r.low} below the allowed {info['lo']}"
    if info["hi"] is not None:
        assert r.high <= info["hi"], f"{r.name}: {r.high} above the allowed {info['hi']}"
    assert r.low <= info["default"] <= r.high, f"{r.name}: default {info['default']} outside"
    assert r.reason and r.label


@pytest.mark.parametrize("r", RANGES, ids=lambda r: r.name)
def test_range_ends_are_accepted_by_the_model_config(r):
    for value in (r.low, r.high):
        if r.name.startswith("policies."):
            _, policy, key = r.name.split(".")
            cfg = SimConfig.from_overrides({f"policies.{policy}.{key}": value})
            assert cfg.policies[policy][key] == value
        else:
            SimConfig.from_overrides({r.name: value})  # raises if unknown or out of range


def test_ranges_table_and_problem():
    table = ranges_table()
    assert list(table["parameter"]) == [r.name for r in RANGES]
    assert len(set(table["parameter"])) == len(table) >= 10
    assert table["source of default"].str.len().min() > 0
    p = problem(["learning.persistence", "teachers.attrition.rural"])
    assert p == {"num_vars": 2, "names": ["learning.persistence", "teachers.attrition.rural"],
                 "bounds": [[0.60, 0.85], [0.04, 0.12]]}


@pytest.mark.parametrize("name", ["learning.nope", "teachers.attrition", "teachers.attrition.x",
                                  "learning", "policies.nope.rate", "policies.teacher_rotation"])
def test_parameter_info_rejects_what_is_not_one_parameter(name):
    with pytest.raises(KeyError):
        parameter_info(name)


# ---------------------------------------------------------------------------------------------
# design rows


def _design(tmp_path: Path, names: list[str], X) -> Path:
    return sa.write_design(tmp_path, np.asarray(X, dtype=float), names, {"method": "test"})


def test_design_roundtrip_and_row_applied_as_overrides(tmp_path):
    names = ["learning.persistence", "teachers.attrition.rural",
             "policies.teacher_rotation.refusal_base"]
    X = [[0.61, 0.05, 0.01], [0.7 + 1e-13, 0.1 / 3, 0.149]]
    path = _design(tmp_path, names, X)
    meta = json.loads((tmp_path / "problem.json").read_text())
    assert meta["names"] == names and meta["rows"] == 2
    assert sa.design_row(path, 1) == dict(zip(names, X[1], strict=True))  # exact floats
    cfg = {"seed": 0, "learning": {"noise_sd": 0.5}, "policies": {"teacher_rotation": {}},
           "sensitivity": {"design": str(path), "row": 1}}
    out = sa.apply_design_row(cfg)
    assert "sensitivity" not in out and "sensitivity" in cfg  # a copy
    assert out["learning"] == {"noise_sd": 0.5, "persistence": X[1][0]}
    assert cfg["learning"] == {"noise_sd": 0.5}
    assert out["teachers"]["attrition"]["rural"] == X[1][1]
    assert out["policies"]["teacher_rotation"]["refusal_base"] == X[1][2]
    sim = SimConfig.from_dict({k: v for k, v in out.items() if k != "seed"})
    assert sim.teachers.attrition.rural == X[1][1] and sim.teachers.attrition.urban == 0.03
    # no design: nothing applied, the key dropped
    assert sa.apply_design_row({"seed": 1, "sensitivity": {"design": None, "row": None}}) == \
        {"seed": 1}


@pytest.mark.parametrize("row", [2, -1, 1.5, "1", True])
def test_bad_row_names_the_field_and_the_allowed_range(tmp_path, row):
    path = _design(tmp_path, ["learning.persistence"], [[0.7], [0.8]])
    with pytest.raises(ConfigError) as err:
        sa.apply_design_row({"sensitivity": {"design": str(path), "row": row}})
    msg = str(err.value)
    assert msg.startswith("sensitivity.row:") and "[0, 1]" in msg and "\n" not in msg


def test_missing_or_malformed_design_names_the_field(tmp_path):
    with pytest.raises(ConfigError, match=r"^sensitivity\.design: .*nope\.csv.* is not a file"):
        sa.apply_design_row({"sensitivity": {"design": str(tmp_path / "nope.csv"), "row": 0}})
    bad = tmp_path / "bad.csv"
    bad.write_text("row,learning.persistence\n0,abc\n")
    with pytest.raises(ConfigError, match=r"^sensitivity\.design: non-numeric"):
        sa.design_row(bad, 0)
    with pytest.raises(ConfigError, match=r"^sensitivity\.design: a design CSV is required"):
        sa.apply_design_row({"sensitivity": {"design": None, "row": 0}})
    path = _design(tmp_path, ["policies.teacher_rotation.rate"], [[0.2]])
    with pytest.raises(ConfigError, match=r"teacher_rotation, which this run does not switch on"):
        sa.apply_design_row({"policies": {}, "sensitivity": {"design": str(path), "row": 0}})


def test_check_config_reports_a_bad_row_as_one_problem(tmp_path):
    from experiments.run import check_config

    path = _design(tmp_path, ["learning.persistence"], [[0.7], [0.8], [0.9]])
    ok = check_config({"seed": 0, "years": 1, "sensitivity": {"design": str(path), "row": 2}})
    assert ok == []
    problems = check_config({"seed": 0, "years": 1,
                             "sensitivity": {"design": str(path), "row": 3}})
    assert len(problems) == 1 and problems[0].startswith("sensitivity.row: 3 is outside the "
                                                         "allowed range [0, 2]")
    # a row whose value the model refuses is reported by the model's validation
    path = _design(tmp_path, ["learning.persistence"], [[1.5]])
    problems = check_config({"seed": 0, "years": 1, "sensitivity": {"design": str(path), "row": 0}})
    assert problems == ["learning.persistence: 1.5 is outside the allowed range [0.0, 0.99] "
                        "coefficient"]


@pytest.mark.slow
def test_design_rows_reach_each_job_of_a_hydra_multirun(tmp_path):
    names = ["learning.persistence", "learning.ses_effect", "teachers.attrition.rural",
             "policies.teacher_rotation.refusal_base"]
    X = sa.morris_design(problem(names), 1, seed=3)  # 5 rows
    design = sa.write_design(tmp_path / "d", X, names, {"method": "morris"})
    scenario = sa.Scenario(region="tiny", years=1, seed=4)
    sa.run_sweep(design, tmp_path / "runs", scenario, n_jobs=2, quiet=True)
    runs = sa.collect(tmp_path / "runs", design)
    assert list(runs["row"]) == list(range(len(X))) and set(runs["seed"]) == {4}
    for _, run in runs.iterrows():
        summary = json.loads((Path(run["run_dir"]) / "summary.json").read_text())
        c = summary["config"]
        got = [c["learning"]["persistence"], c["learning"]["ses_effect"],
               c["teachers"]["attrition"]["rural"],
               c["policies"]["teacher_rotation"]["refusal_base"]]
        assert got == list(X[run["row"]])  # the very floats of the design row
        assert c["teachers"]["attrition"]["urban"] == 0.03  # the other tiers untouched
        assert summary["years"] == 1 and summary["region"] == "tiny"
        assert summary["config"]["policies"]["teacher_rotation"]["rate"] == 0.1
        assert not (Path(run["run_dir"]) / "baseline_timeseries.parquet").exists()
    assert runs["first_pass_cv_primary"].isin([0.0, 1.0, 2.0]).all()  # 2 = never (years + 1)
    assert runs["ses_gap"].nunique() > 1  # the rows really change the model
    # a run whose configuration does not hold its row is caught
    victim = Path(runs["run_dir"].iloc[1]) / "summary.json"
    s = json.loads(victim.read_text())
    s["config"]["learning"]["ses_effect"] += 0.01
    victim.write_text(json.dumps(s))
    with pytest.raises(sa.SensitivityError, match="learning.ses_effect"):
        sa.collect(tmp_path / "runs", design)
    # and a row without its run
    victim.parent.joinpath("COMPLETE").unlink()
    with pytest.raises(sa.SensitivityError, match="row 1: runs for seeds"):
        sa.collect(tmp_path / "runs", design)


@pytest.mark.slow
def test_multirun_with_a_bad_row_fails_before_any_run(tmp_path):
    design = sa.write_design(tmp_path, np.array([[0.7], [0.8]]), ["learning.persistence"],
                             {"method": "test"})
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.run", "--multirun", "+sensitivity=rotation",
         f"sensitivity.design='{design}'", "sensitivity.row=range(0,3)", "region=tiny",
         "years=1", f"hydra.sweep.dir='{tmp_path / 'runs'}'"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert proc.returncode == 2
    assert "sensitivity.row: 2 is outside the allowed range [0, 1]" in proc.stderr
    assert not list((tmp_path / "runs").glob("*/summary.json"))


# ---------------------------------------------------------------------------------------------
# indices on known functions (through this module's wrappers)


def test_morris_wrapper_on_a_linear_function_with_a_dead_parameter():
    p = {"num_vars": 3, "names": ["a", "dead", "b"], "bounds": [[0, 2], [5, 9], [-1, 1]]}
    X = sa.morris_design(p, 12, seed=1)
    y = 3.0 * X[:, 0] - 0.5 * X[:, 2]
    idx = sa.morris_indices(p, X, y).set_index("parameter")
    # elementary effects in outcome units per whole range: 3 × 2 and 0.5 × 2
    assert idx.at["a", "mu_star"] == pytest.approx(6.0)
    assert idx.at["b", "mu_star"] == pytest.approx(1.0)
    assert idx.at["b", "mu"] == pytest.approx(-1.0)
    assert idx.at["dead", "mu_star"] == 0.0
    assert idx["sigma"].max() == pytest.approx(0.0, abs=1e-9)
    assert idx.at["a", "mu_star_rel"] == 1.0
    assert sa.select_top(idx.reset_index(), 2) == ["a", "b"]


def test_morris_wrapper_on_several_outcomes_and_top_selection():
    p = {"num_vars": 3, "names": ["x", "y", "z"], "bounds": [[0, 1]] * 3}
    X = sa.morris_design(p, 10, seed=2)
    Y = pd.DataFrame({"first": 10 * X[:, 0] + X[:, 1], "second": 0.01 * X[:, 2]})
    idx = sa.morris_indices(p, X, Y)
    assert set(idx["outcome"]) == {"first", "second"}
    # z matters only for the small-scale outcome, but most there: relative μ* picks it
    assert sa.select_top(idx, 2) == ["x", "z"]
    with pytest.raises(ValueError):
        sa.morris_indices(p, X, Y.iloc[:-1])


def test_top_selection_net_of_seed_noise():
    idx = pd.DataFrame({
        "outcome": ["gap"] * 3 + ["pass"] * 3,
        "parameter": ["a", "b", "c"] * 2,
        "mu_star": [1.0, 0.55, 0.5, 0.1, 0.2, 3.0]})
    noise = pd.DataFrame({"outcome": ["gap", "pass"], "reseed_mu_star": [0.4, 5.0]})
    # without noise c wins through "pass"; with it "pass" is noise only and b edges out c
    assert sa.select_top(idx, 2) == ["a", "c"]  # both 1.0 somewhere: by name
    assert sa.select_top(idx, 2, noise) == ["a", "b"]
    assert sa.noise_dominated(idx, noise) == ["pass"]


def test_sobol_wrapper_on_ishigami():
    from SALib.test_functions import Ishigami

    p = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    X = sa.sobol_design(p, 1024, seed=7)
    assert len(X) == 1024 * 5
    idx = sa.sobol_indices(p, {"ishigami": Ishigami.evaluate(X), "flat": np.ones(len(X))})
    ish = idx[idx["outcome"] == "ishigami"].set_index("parameter")
    # analytic values (a = 7, b = 0.1): S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244
    assert ish["S1"].to_numpy() == pytest.approx([0.314, 0.442, 0.0], abs=0.06)
    assert ish["ST"].to_numpy() == pytest.approx([0.558, 0.442, 0.244], abs=0.06)
    assert ish["S1"].idxmax() == "x2" and ish["ST"].idxmax() == "x1"
    assert (ish["S1_conf"] > 0).all() and (ish["S1_conf"] < 0.2).all()
    flat = idx[idx["outcome"] == "flat"]
    assert flat["constant"].all() and flat["S1"].isna().all()
    with pytest.raises(ValueError, match="seed"):
        sa.sobol_indices(p, Ishigami.evaluate(X), seed=0)


def test_noise_reference():
    noise = pd.DataFrame({o.key: [1.0, 2.0, 4.0] for o in sa.OUTCOMES})
    ref = sa.noise_reference(noise).set_index("outcome")
    # mean |difference| over pairs = (1 + 3 + 2) / 3 = 2, divided by the Morris step 2/3
    assert ref["reseed_mu_star"].to_numpy() == pytest.approx(3.0)
    assert ref["sd"].to_numpy() == pytest.approx(np.std([1, 2, 4], ddof=1))


def test_run_outcomes_counts_never_as_one_year_after_the_end(tmp_path):
    ts = pd.DataFrame({"year": [0, 1, 2], **{o.key: [9.0, 9.0, 0.5] for o in sa.OUTCOMES
                                             if o.key != sa.FIRST_PASS}})
    ts.to_parquet(tmp_path / "timeseries.parquet")
    for first, want in ((None, 3.0), (1, 1.0), (0, 0.0)):
        (tmp_path / "summary.json").write_text(json.dumps(
            {"years": 2, "first_year_standard_met": {"quality_cv_primary": first}}))
        out = sa.run_outcomes(tmp_path)
        assert out[sa.FIRST_PASS] == want and out["ses_gap"] == 0.5


def test_figures_are_written(tmp_path):
    names = [r.name for r in RANGES[:5]]
    rng = np.random.default_rng(0)
    morris = pd.concat([pd.DataFrame({"outcome": o.key, "parameter": names,
                                      "mu_star": rng.random(5), "sigma": rng.random(5)})
                        for o in sa.OUTCOMES])
    sobol = pd.concat([pd.DataFrame({"outcome": o.key, "parameter": names[:3],
                                     "S1": [0.5, 0.2, 0.0], "S1_conf": 0.05, "ST": [0.6, 0.3, 0.1],
                                     "ST_conf": 0.05, "constant": o.key == sa.FIRST_PASS})
                       for o in sa.OUTCOMES])
    noise = pd.DataFrame({"outcome": [o.key for o in sa.OUTCOMES], "reseed_mu_star": 0.1})
    for path in (sa.morris_figure(morris, tmp_path / "m.png", noise, note="test"),
                 sa.sobol_figure(sobol, tmp_path / "s.png", note="test")):
        assert path.stat().st_size > 10_000
