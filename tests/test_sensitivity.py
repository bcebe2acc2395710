"""Sensitivity analysis of policy effects (experiments/calibration): the ranges are the
priors and valid, a design point's effect is the policy run minus its same-seed baseline,
seed noise is measured beside every index, bad input fails clearly, an analysis resumes and
refuses another scenario's folder, and the index wrappers rank known functions correctly."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.calibration import sensitivity as sa
from experiments.calibration import sensitivity_figures as figs
from experiments.calibration.ranges import RANGES, declared_prior, parameter_info, ranges_table
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


def test_ranges_table_and_ranges_are_the_priors():
    table = ranges_table()
    assert list(table["parameter"]) == [r.name for r in RANGES]
    assert len(set(table["parameter"])) == len(table) >= 10
    assert table["source of default"].str.len().min() > 0
    # one fact in one place: a range is its declared prior's support
    r = {x.name: x for x in RANGES}
    assert (r["learning.persistence"].low, r["learning.persistence"].high) == (0.60, 0.85)
    d = declared_prior("policies.teacher_rotation.continuity_cost")
    assert d.prior.relative  # a factor 0.5-2 of the default
    assert r[d.path].low == pytest.approx(0.5 * d.default)
    assert r[d.path].high == pytest.approx(2.0 * d.default)
    assert r[d.path].reason == d.prior.reason
    with pytest.raises(KeyError):
        declared_prior("learning.no_such_parameter")


@pytest.mark.parametrize("name", ["learning", "learning.nope", "teachers.attrition",
                                  "policies.nope.rate", "policies.teacher_rotation"])
def test_parameter_info_rejects_what_is_not_one_parameter(name):
    with pytest.raises(KeyError):
        parameter_info(name)


# ---------------------------------------------------------------------------------------------
# the scenario, its parameters and the effects


@pytest.fixture(scope="module")
def tiny_cfg():
    return sa.base_config(sa.QUICK)


def test_screen_varies_the_behavioural_and_the_policy_parameters(tiny_cfg):
    params = sa.screened(tiny_cfg)
    names = [p.path for p in params]
    assert names[: len(RANGES) - 7] == [r.name for r in RANGES[: len(RANGES) - 7]]
    assert "policies.teacher_rotation.continuity_cost" in names  # an effect-size parameter
    assert len(names) == len(set(names))
    u = np.linspace(0, 1, len(params))
    over = sa.point_overrides(params, u)
    by = {p.path: p for p in params}
    assert over["learning.persistence"] == pytest.approx(0.60)  # quantile 0 of 0.6-0.85
    last = params[-1]
    assert over[last.path] == pytest.approx(
        list(last.overrides(1.0).values())[0])  # quantile 1: the prior's top
    assert by["learning.persistence"].overrides(0.5) == {"learning.persistence": 0.725}


def test_a_normal_prior_is_screened_over_its_middle_90_percent():
    from sim.priors import normal
    from sim.schema import DeclaredPrior

    class P:
        declared = DeclaredPrior("x", normal(0.0, 1.0, "test"), 0.0, None, None, "")

    assert sa.quantile(P(), 0.0) == pytest.approx(0.05)
    assert sa.quantile(P(), 1.0) == pytest.approx(0.95)


def test_bad_scenarios_name_the_field():
    with pytest.raises(ConfigError, match=r"^experiment: 'nope' is not one of .*teacher_rotation"):
        sa.base_config(dataclasses.replace(sa.QUICK, experiment="nope"))
    with pytest.raises(ConfigError, match=r"^region: 'atlantis' is not one of .*tiny"):
        sa.base_config(dataclasses.replace(sa.QUICK, region="atlantis"))
    with pytest.raises(ConfigError, match=r"^seeds: 1 is outside the allowed range"):
        sa.base_config(dataclasses.replace(sa.QUICK, seeds=1))
    with pytest.raises(ConfigError, match=r"^experiment: 'baseline' switches on no policy"):
        sa.base_config(dataclasses.replace(sa.QUICK, experiment="baseline"))


def test_effects_are_policy_minus_same_seed_baseline_with_never_as_years_plus_one():
    keys = [o.key for o in sa.OUTCOMES if o.key != sa.FIRST_PASS]
    first = f"first_{sa.FIRST_PASS_COLUMN}"
    rows = []
    for draw in (0, 1):
        for seed in (5, 6):
            for arm, shift, fp in (("policy", 1.0, 2.0), ("baseline", 0.0, np.nan)):
                rows.append({"draw": draw, "seed": seed, "arm": arm, first: fp,
                             **{k: 10 * draw + seed + shift for k in keys}})
    eff = sa.effects(pd.DataFrame(rows[::-1]), years=4)  # order of the rows does not matter
    assert list(eff["row"]) == [0, 0, 1, 1] and list(eff["seed"]) == [5, 6, 5, 6]
    for k in keys:
        assert (eff[k] == 1.0).all()
    assert (eff[sa.FIRST_PASS] == 2.0 - 5.0).all()  # never = years + 1 = 5
    assert eff["never_baseline"].all() and not eff["never_policy"].any()
    mean, se = sa.point_means(eff)
    assert (mean[keys[0]] == 1.0).all() and (se[keys[0]] == 0.0).all()


def test_noise_floor_from_the_seeds_of_each_point():
    keys = [o.key for o in sa.OUTCOMES]
    eff = pd.DataFrame([{"row": r, "seed": s, **{k: v for k in keys}}
                        for r in range(3) for s, v in enumerate([1.0, 2.0, 4.0])])
    floor = sa.noise_floor(eff).set_index("outcome")
    sd = np.std([1, 2, 4], ddof=1)
    assert floor["seed_sd"].to_numpy() == pytest.approx(sd)
    assert floor["se_of_mean"].to_numpy() == pytest.approx(sd / np.sqrt(3))
    # E|a - b| of two independent means = 2 se / sqrt(pi), over the Morris step 2/3
    assert floor["noise_mu_star"].to_numpy() == pytest.approx(
        2 / np.sqrt(np.pi) * sd / np.sqrt(3) / (2 / 3))


def test_seed_noise_of_an_index_is_zero_when_every_seed_agrees_and_not_otherwise():
    p = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1]] * 2}
    X = sa.morris_design(p, 6, seed=3)
    keys = [o.key for o in sa.OUTCOMES]

    def eff(noise):
        rng = np.random.default_rng(0)
        return pd.DataFrame([{"row": i, "seed": s,
                              **{k: 2 * x[0] + noise * rng.normal() for k in keys}}
                             for i, x in enumerate(X) for s in range(3)])

    def fn(**kw):
        return sa.morris_indices(p, X, **kw)

    same = sa.seed_se(fn, eff(0.0), ["mu_star"])
    assert (same["mu_star_seed_se"] == 0.0).all()
    noisy = sa.seed_se(fn, eff(0.5), ["mu_star"])
    assert (noisy["mu_star_seed_se"] > 0.0).all()


def test_a_point_is_the_policy_run_minus_the_same_seed_baseline(tmp_path, tiny_cfg):
    """The analysis's numbers are those of plain model runs with the point's parameters."""
    from experiments.uncertainty.design import apply_overrides
    from sim import EducationModel
    from sim.config import SimConfig

    s = dataclasses.replace(sa.QUICK, seeds=2)
    params = sa.screened(tiny_cfg)
    problem = {"num_vars": len(params), "names": [p.path for p in params],
               "bounds": [[0.0, 1.0]] * len(params)}
    U = np.full((1, len(params)), 0.9)
    eff, _ = sa.run_stage(tmp_path, "one", U, problem, params, tiny_cfg, s, {}, 1, False)
    cfg = apply_overrides(tiny_cfg, sa.point_overrides(params, U[0]))
    seed = 1
    pol = EducationModel(SimConfig.from_dict(cfg), rng=seed).run(s.years).timeseries()
    base = EducationModel(SimConfig.from_dict({**cfg, "policies": {}}), rng=seed
                          ).run(s.years).timeseries()
    got = eff[eff["seed"] == seed].iloc[0]
    want = pol.iloc[-1]["urban_rural_gap"] - base.iloc[-1]["urban_rural_gap"]
    assert got["urban_rural_gap"] == pytest.approx(want, abs=1e-12)
    values = pd.read_csv(tmp_path / "one" / "values.csv")
    assert values.at[0, "learning.persistence"] == pytest.approx(0.6 + 0.9 * 0.25)


def test_the_quick_analysis_end_to_end_resumes_and_refuses_another_scenario(tmp_path):
    out = tmp_path / "sa"
    cmd = [sys.executable, "-m", "experiments.calibration.sensitivity", "--quick", "--quiet",
           "--out", str(out), "--jobs", "2"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    k = len(summary["parameters"])
    assert summary["points"] == {"morris": 2 * (k + 1), "sobol": 4 * (2 + 2)}
    assert summary["runs"]["morris"] == summary["points"]["morris"] * 2 * 2  # seeds × arms
    morris = pd.read_csv(out / "morris" / "indices.csv")
    sobol = pd.read_csv(out / "sobol" / "indices.csv")
    assert {"mu_star", "mu_star_seed_se", "noise_mu_star"} <= set(morris.columns)
    assert {"S1_seed_se", "ST_seed_se", "noise_share"} <= set(sobol.columns)
    assert len(morris) == k * len(sa.OUTCOMES)
    for name in ("sensitivity_morris.png", "sensitivity_sobol.png"):
        assert (out / "figures" / name).stat().st_size > 10_000
    # a re-run reads every point back
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0
    assert json.loads((out / "summary.json").read_text())["wall_seconds"]["morris"] < 1.0
    assert pd.read_csv(out / "morris" / "indices.csv").equals(morris)
    # another scenario into the same folder: refused before anything runs
    (out / "analysis.json").write_text(json.dumps({"identity": "another"}))
    before = sorted(p.name for p in (out / "morris" / "runs").iterdir())
    bad = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0 and "--out:" in bad.stderr
    assert sorted(p.name for p in (out / "morris" / "runs").iterdir()) == before


@pytest.mark.parametrize("made_by", [{"version": "0.0.9", "behaviour": "0123456789abcdef"},
                                     None])
def test_a_folder_of_the_same_analysis_by_another_model_is_refused(tmp_path, made_by):
    from sim.behaviour import BEHAVIOUR, stamp

    sa.claim(tmp_path, "same")
    stored = json.loads((tmp_path / "analysis.json").read_text())
    assert stored == {"identity": "same", "edusim": stamp()}
    sa.claim(tmp_path, "same")  # the same analysis by the same model resumes
    if made_by is None:
        del stored["edusim"]
    else:
        stored["edusim"] = made_by
    (tmp_path / "analysis.json").write_text(json.dumps(stored))
    with pytest.raises(sa.SensitivityError) as err:
        sa.claim(tmp_path, "same")
    recorded = made_by["behaviour"] if made_by else "not recorded"
    assert (f"made by another version of the model (behaviour {recorded}, now {BEHAVIOUR})"
            in str(err.value))


def test_report_of_a_folder_without_an_analysis_exits_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "experiments.calibration.sensitivity",
                           "--report", "--out", str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 2 and "--out:" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "experiments.calibration.sensitivity",
                           "--jobs", "0"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "--jobs: 0 is outside the allowed range" in proc.stderr


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
    noise = pd.DataFrame({"outcome": ["gap", "pass"], "noise_mu_star": [0.4, 5.0]})
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
    noise = pd.DataFrame({"outcome": [o.key for o in sa.OUTCOMES], "noise_mu_star": 0.1})
    morris["mu_star_seed_se"] = 0.05
    sobol["S1_seed_se"] = sobol["ST_seed_se"] = 0.02
    sobol["noise_share"] = 0.3
    for path in (figs.morris_figure(morris, tmp_path / "m.png", noise, note="test"),
                 figs.sobol_figure(sobol, tmp_path / "s.png", note="test")):
        assert path.stat().st_size > 10_000
