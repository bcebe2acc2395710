"""Robust design (``design.prior_draws``): every trial runs its mix in parameter sets drawn
from the priors, the same sets in every trial, and the report shows how the best mix fares
when the priors widen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from experiments import design
from experiments.uncertainty.design import apply_overrides
from sim import EducationModel
from sim.config import SimConfig

ROOT = Path(__file__).resolve().parent.parent
LEVERS = {"teacher_rotation": {"enabled": True, "rate": 0.2},
          "school_groups": {"enabled": False, "coverage": 0.5}}


def _cfg(**d) -> dict:
    return {"region": {"preset": "tiny"}, "seed": 0, "years": 2, "design": {
        "target_year": 2, "conditions": ["urban_rural_gap <= 0.5"], "min_pass_share": 0.5,
        "quality_floor": -0.5, "seeds": [0, 1], "prior_draws": 2,
        "levers": LEVERS, **d}}


def test_each_seed_runs_in_every_drawn_parameter_set(tmp_path):
    res = design.evaluate(_cfg(), tmp_path, tmp_path / "baselines")
    runs = res["per_seed"]
    assert sorted((r["draw"], r["seed"]) for r in runs) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert res["pass_share"] == np.mean([r["met"] for r in runs])
    assert len(list((tmp_path / "baselines").iterdir())) == 4  # a baseline per set and seed
    # the first run is the model run directly with the drawn parameters
    d = {**design.design_defaults(), **_cfg()["design"]}
    sim = {"region": {"preset": "tiny"}}
    draw, sim_w, pol_over = design.prior_worlds(sim, d)[0]
    policies = apply_overrides({"policies": {"teacher_rotation": {"rate": 0.2}}},
                               {k: v for k, v in pol_over.items()
                                if k.startswith("policies.teacher_rotation.")})["policies"]
    run = EducationModel(SimConfig.from_dict({**sim_w, "policies": policies}), rng=0).run(2)
    base = EducationModel(SimConfig.from_dict(sim_w), rng=0).run(2)
    first = next(r for r in runs if r["draw"] == 0 and r["seed"] == 0)
    ts, tb = run.timeseries(), base.timeseries()
    assert first["equity_gain"] == pytest.approx(
        tb["urban_rural_gap"].iloc[2] - ts["urban_rural_gap"].iloc[2])
    # the drawn values differ from the defaults (the priors are used)
    assert sim_w != sim


def test_every_trial_runs_the_same_draws():
    a = {**design.design_defaults(), **_cfg()["design"]}
    off = {name: {**spec, "enabled": False} for name, spec in LEVERS.items()}
    b = {**a, "levers": off}
    wa = design.prior_worlds({"region": {"preset": "tiny"}}, a)
    wb = design.prior_worlds({"region": {"preset": "tiny"}}, b)
    assert [w[1] for w in wa] == [w[1] for w in wb]
    assert [w[2] for w in wa] == [w[2] for w in wb]
    # a lever left off gets none of its drawn parameters (it stays off)
    assert design._with_policy_overrides({}, wa[0][2]) == {}


def test_without_prior_draws_nothing_changes(tmp_path):
    plain = design.evaluate(_cfg(prior_draws=0))
    assert [r["draw"] for r in plain["per_seed"]] == [None, None]
    assert [r["seed"] for r in plain["per_seed"]] == [0, 1]


@pytest.mark.parametrize("key,value", [("prior_draws", -1), ("prior_widen", 0.0),
                                       ("prior_seed", "x")])
def test_bad_prior_settings_name_the_field(key, value):
    problems = design.check_design({**_cfg()["design"], key: value})
    assert any(p.startswith(f"design.{key}:") for p in problems), problems


@pytest.mark.slow
def test_the_report_shows_the_best_mix_under_wider_priors(tmp_path):
    out = tmp_path / "sweep"
    proc = subprocess.run(
        [sys.executable, "-c", "from experiments.design import main; main()",
         "+target=smoke", "design.prior_draws=2", "design.min_pass_share=0.0",
         "design.n_trials=3", "design.n_startup_trials=3",
         f"hydra.sweep.dir={out}"], cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "HYDRA_FULL_ERROR": "0"}, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((out / "design" / "summary.json").read_text())
    if not summary["feasible"]:
        pytest.fail("with min_pass_share 0 every mix is feasible")
    widen = summary["widening"]
    assert [w["widen"] for w in widen] == [1.0, 1.5, 2.0]
    assert all(0.0 <= w["pass_share"] <= 1.0 for w in widen)
    brief = (out / "design" / "brief.md").read_text()
    assert "parameter sets drawn from the priors" in brief
    assert "When the priors are wider than declared" in brief
    assert (out / "design" / "widen_2.json").exists()
