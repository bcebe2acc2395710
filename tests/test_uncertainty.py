"""``edusim-uncertainty`` (experiments/uncertainty/): effects over the priors, the seed-only
comparison as its collapsed limit, wider priors giving wider intervals, resume, and bad
input stopped before anything is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.uncertainty.analysis import effects, effects_table
from experiments.uncertainty.app import analyse, check
from experiments.uncertainty.design import draw_points, uncertain_parameters
from sim import EducationModel
from sim.behaviour import BEHAVIOUR

ROTATION = {"teacher_rotation": {"rate": 0.3}}


def _cfg(**u) -> dict:
    return {"seed": 0, "years": 3, "figures": False, "progress": False,
            "compare_baseline": False, "region": {"preset": "tiny"},
            "policies": {k: dict(v) for k, v in ROTATION.items()},
            "uncertainty": {"draws": 2, "seeds": 2, "workers": 1, **u}}


def test_collapsed_priors_give_exactly_the_seed_only_comparison(tmp_path):
    analyse(_cfg(widen=0.0), tmp_path, progress=False)
    runs = pd.concat(pd.read_csv(f) for f in sorted((tmp_path / "uncertainty/runs").glob("*")))
    eff = effects(runs)
    for seed in (0, 1):
        pol = EducationModel(region="tiny", rng=seed, policies=ROTATION).run(3)
        base = EducationModel(region="tiny", rng=seed).run(3)
        a, b = pol.timeseries().iloc[-1], base.timeseries().iloc[-1]
        for key in ("mean_achievement", "urban_rural_gap", "between_school_share"):
            got = eff.loc[eff["seed"] == seed, key].to_numpy()
            assert np.array_equal(got, np.full(2, a[key] - b[key])), key  # every draw alike


def test_widening_one_prior_widens_the_effect_it_drives(tmp_path):
    spread = {}
    for widen in (1.0, 3.0):
        out = tmp_path / f"w{widen}"
        res = analyse(_cfg(draws=12, seeds=1, widen=widen,
                           vary=["policies.teacher_rotation.continuity_cost"]), out,
                      progress=False)
        t = res["effects"].set_index("measure").loc["mean_achievement"]
        spread[widen] = t["p95"] - t["p05"]
    assert spread[3.0] > 1.5 * spread[1.0]


def test_priors_vary_around_the_value_in_force():
    cfg = _cfg()["policies"] | {}
    params = uncertain_parameters({"policies": cfg, "teachers": {"attrition": {"rural": 0.1}}})
    by = {p.path: p for p in params}
    assert "policies.teacher_rotation.continuity_cost" in by
    assert "policies.teacher_rotation.rate" not in by  # the lever's intensity: the user's
    rural = by["teachers.attrition.rural"]
    assert rural.in_force == 0.1
    # a relative prior multiplies the experiment's value, not the declared default
    rel = next(p for p in params if p.declared.prior.relative and not isinstance(
        p.in_force, (int, float)))
    assert rel.overrides(0.5)  # tiers moved together
    pts = draw_points(8, len(params), 3)
    assert np.array_equal(pts, draw_points(8, len(params), 3))
    assert pts.shape == (8, len(params)) and 0 < pts.min() and pts.max() < 1


def test_check_names_each_bad_field(tmp_path):
    msgs = check(_cfg(draws=0, fix=["nonsense"]), tmp_path)
    assert any(m.startswith("uncertainty.draws: 0 is outside") for m in msgs)
    no_policy = _cfg()
    no_policy["policies"] = {}
    assert any(m.startswith("policies:") for m in check(no_policy, tmp_path))
    assert any("uncertainty.fix: 'nonsense'" in m for m in check(_cfg(fix=["nonsense"]),
                                                                   tmp_path))
    late = _cfg(target_year=9)
    assert any(m.startswith("uncertainty.target_year: 9") for m in check(late, tmp_path))


def test_effects_table_probabilities():
    runs = pd.DataFrame({
        "draw": [0, 0, 1, 1], "seed": [0, 0, 0, 0], "arm": ["policy", "baseline"] * 2,
        "mean_achievement": [0.2, 0.1, 0.0, 0.1], "urban_rural_gap": [0.3, 0.4, 0.5, 0.4],
        "first_quality_passed": [5, np.nan, np.nan, np.nan],
        "first_basic_passed": [1, 1, 1, 2], "policy_cost_yuan": [10.0, 0.0, 10.0, 0.0]})
    t = effects_table(effects(runs), target_year=6).set_index("measure")
    assert t.loc["mean_achievement", "prob_improves"] == 0.5
    assert t.loc["urban_rural_gap", "prob_improves"] == 0.5  # lower is better
    assert t.loc["quality_passed", "prob_pass_policy"] == 0.5
    assert t.loc["quality_passed", "prob_pass_baseline"] == 0.0
    assert t.loc["basic_passed", "prob_pass_baseline"] == 1.0


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "edusim-uncertainty"
    env = {**os.environ, "HYDRA_FULL_ERROR": "1"}
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=600)


BASE_ARGS = ("+experiment=teacher_rotation", "region=tiny", "years=2", "uncertainty.draws=3",
             "uncertainty.seeds=1", "uncertainty.workers=1", "progress=false")


def test_cli_writes_the_analysis_and_resumes(tmp_path):
    out = tmp_path / "u"
    r = _cli(*BASE_ARGS, f"hydra.run.dir={out}", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    folder = out / "uncertainty"
    for name in ("effects.csv", "variance.csv", "pass_by_year.csv", "values.csv",
                 "analysis.json", "effects.png", "importance.png", "pass_probability.png"):
        assert (folder / name).exists(), name
    assert "improves in" in r.stdout
    first = (folder / "effects.csv").read_text()
    kept = folder / "runs" / "draw_00000.csv"
    stamp = kept.stat().st_mtime_ns
    (folder / "runs" / "draw_00002.csv").unlink()
    r = _cli(*BASE_ARGS, f"hydra.run.dir={out}", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert kept.stat().st_mtime_ns == stamp  # read back, not run again
    assert (folder / "runs" / "draw_00002.csv").exists()
    assert (folder / "effects.csv").read_text() == first
    # another configuration into the same folder is refused, nothing changed
    r = _cli(*BASE_ARGS, "uncertainty.seeds=2", f"hydra.run.dir={out}", cwd=tmp_path)
    assert r.returncode == 2
    assert "holds an uncertainty analysis of another configuration" in r.stderr
    assert (folder / "effects.csv").read_text() == first
    # the same settings, but the finished draws made by another version of the model
    meta = json.loads((folder / "analysis.json").read_text())
    assert meta["edusim"]["behaviour"] == BEHAVIOUR
    meta["edusim"]["behaviour"] = "0123456789abcdef"
    (folder / "analysis.json").write_text(json.dumps(meta))
    r = _cli(*BASE_ARGS, f"hydra.run.dir={out}", cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert ("made by another version of the model (behaviour 0123456789abcdef, now "
            f"{BEHAVIOUR})") in r.stderr
    assert kept.stat().st_mtime_ns == stamp and (folder / "effects.csv").read_text() == first


@pytest.mark.parametrize("arg,field", [("uncertainty.draws=0", "uncertainty.draws"),
                                       ("uncertainty.widen=-1", "uncertainty.widen"),
                                       ("uncertainty.fix=[nope]", "uncertainty.fix")])
def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, arg, field):
    out = tmp_path / "bad"
    r = _cli(*BASE_ARGS, arg, f"hydra.run.dir={out}", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert field in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


def test_rank_indices_find_the_parameter_that_acts_and_not_the_others():
    from experiments.uncertainty.analysis import rank_indices

    rng = np.random.default_rng(5)
    x = rng.random((128, 60))
    y = 2.0 * x[:, 7] + 0.3 * rng.standard_normal(128)
    index, ci95, floor = rank_indices(x, y, seed=1)
    assert index[7] > 0.6 and index[7] - ci95[7] > floor
    others = np.delete(index, 7)
    assert others.max() < floor < 0.2  # chance alone stays under the floor here
    # with nothing acting, nothing clears the floor (the floor is a family-wise 95% level)
    index0, _, floor0 = rank_indices(x, rng.standard_normal(128), seed=1)
    assert index0.max() < floor0 * 1.5


def test_parts_of_a_multirun_give_the_single_process_result(tmp_path):
    one = tmp_path / "one"
    r = _cli(*BASE_ARGS, "uncertainty.draws=4", f"hydra.run.dir={one}", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    parts = tmp_path / "parts"
    r = _cli("--multirun", *BASE_ARGS, "uncertainty.draws=4", "uncertainty.parts=2",
             "uncertainty.part=0,1", f"hydra.sweep.dir={parts}", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "part 0 of 2 done" in r.stdout  # the first part leaves the tables to the second
    for name in ("effects.csv", "variance.csv", "pass_by_year.csv", "values.csv"):
        a = (one / "uncertainty" / name).read_text()
        b = (parts / "uncertainty" / name).read_text()
        assert a == b, name
    # a part out of range is refused before anything runs
    r = _cli(*BASE_ARGS, "uncertainty.parts=2", "uncertainty.part=2",
             f"hydra.run.dir={tmp_path / 'bad'}", cwd=tmp_path)
    assert r.returncode == 2 and "uncertainty.part: 2 is outside" in r.stderr


@pytest.mark.slow
def test_parts_run_on_a_ray_cluster(tmp_path, ray_head):
    address, env = ray_head
    out = tmp_path / "ray"
    exe = Path(sys.executable).parent / "edusim-uncertainty"
    r = subprocess.run([str(exe), "--multirun", *BASE_ARGS, "uncertainty.draws=4",
                        "uncertainty.parts=2", "uncertainty.part=0,1",
                        "hydra/launcher=ray_cluster",
                        f"hydra.launcher.ray.init.address={address}",
                        f"hydra.sweep.dir={out}"], cwd=tmp_path, capture_output=True,
                       text=True, env={**env, "HYDRA_FULL_ERROR": "1"}, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Ray Launcher is launching 2 jobs" in r.stdout + r.stderr
    t = pd.read_csv(out / "uncertainty" / "effects.csv")
    assert len(t) and t["runs"].iloc[0] == 4  # 4 draws x 1 seed
