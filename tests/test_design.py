"""The policy-design optimiser (edusim-design): the question's validation, one trial's
evaluation, the search space as Optuna distributions, and short searches on the tiny county
with an Optuna study: reproducible with a fixed sampler seed, resumed without running finished
trials again, shared by several processes, and the Pareto front of the two-objective
search."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import design, design_report, design_space
from sim import EducationModel
from sim.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
DESIGN = [sys.executable, "-c", "from experiments.design import main; main()"]


def _run(args: list[str], tmp: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**(env or os.environ), "HYDRA_FULL_ERROR": "0"}
    return subprocess.run(DESIGN + args, cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env=env, stdin=subprocess.DEVNULL)


# ---- the question -------------------------------------------------------------------------
def test_conditions_parse_and_hold():
    assert design.parse_condition("quality_cv_passed") == ("quality_cv_passed", None, None)
    assert design.parse_condition(" urban_rural_gap <= 0.45 ") == ("urban_rural_gap", "<=", 0.45)
    row = pd.Series({"urban_rural_gap": 0.45, "quality_cv_passed": False})
    assert design._holds(row, ("urban_rural_gap", "<=", 0.45))
    assert not design._holds(row, ("urban_rural_gap", "<", 0.45))
    assert not design._holds(row, ("quality_cv_passed", None, None))
    with pytest.raises(ConfigError, match="design.conditions"):
        design.parse_condition("gap < < 1")


def test_bad_design_names_each_field_and_range():
    problems = design.check_design({
        "target_year": 0, "min_pass_share": 1.5, "conditions": ["ok", "a <> 3"],
        "seeds": [1, 1], "objective": "cheapest",
        "levers": {"teacher_rotation": {"enabled": True, "rate": 2.0},
                   "school_groups": {"enabled": "yes"}}})
    text = "\n".join(problems)
    assert "design.target_year: 0 is outside the allowed range [1, 100]" in text
    assert "design.min_pass_share: 1.5 is outside the allowed range [0.0, 1.0]" in text
    assert "design.conditions[1]" in text
    assert "design.seeds: [1, 1] has repeated seeds" in text
    assert ("design.objective: 'cheapest' is not one of min_cost, max_equity_gain, pareto"
            in text)
    assert "design.levers.school_groups.enabled: expected true or false" in text
    assert design.check_design({"objective": "max_equity_gain"}) == [
        "design.budget_million_yuan: required for objective max_equity_gain (a number ≥ 0, "
        "million yuan)"]
    with pytest.raises(ConfigError, match=r"design.levers.teacher_rotation.rate: 2.0 .*\[0.0, 1.0\]"):
        design.levers_to_policies({"teacher_rotation": {"rate": 2.0}})


@pytest.mark.parametrize("budget", [float("nan"), float("inf"), -5.0, True, "10"])
def test_a_budget_that_is_not_a_finite_amount_is_refused(budget):
    """NaN passed ``budget < 0`` and ran a search against no budget at all."""
    assert design.check_design({"objective": "max_equity_gain",
                                "budget_million_yuan": budget}) == [
        f"design.budget_million_yuan: {budget!r} must be a finite number ≥ 0 (million yuan)"]
    assert design.check_design({"objective": "max_equity_gain",
                                "budget_million_yuan": 0}) == []


def test_levers_to_policies_keeps_enabled_levers_only():
    got = design.levers_to_policies({
        "teacher_rotation": {"enabled": True, "rate": 0.2, "start_year": 2.0},
        "school_groups": {"enabled": False, "coverage": 0.5}})
    assert got == {"teacher_rotation": {"rate": 0.2, "start_year": 2}}


def test_one_trial_against_its_baseline(tmp_path):
    cfg = {"region": {"preset": "tiny"}, "seed": 0, "years": 3, "design": {
        "target_year": 3, "conditions": ["urban_rural_gap <= 0.59"], "min_pass_share": 1.0,
        "quality_floor": -0.05, "seeds": [0, 1],
        "levers": {"teacher_rotation": {"enabled": True, "rate": 0.15}}}}
    result = design.evaluate(cfg, tmp_path, tmp_path / "baselines")
    # the same numbers computed here, directly from the model
    for seed_result in result["per_seed"]:
        seed = seed_result["seed"]
        run = EducationModel(rng=seed, region="tiny",
                             policies={"teacher_rotation": {"rate": 0.15}}).run(3).timeseries()
        base = EducationModel(rng=seed, region="tiny").run(3).timeseries()
        assert seed_result["cost_million_yuan"] == pytest.approx(
            run["cost_policy_teacher_rotation"].sum() / 1e6)
        # every county cost line against the baseline, the policy's own money included
        assert seed_result["county_spending_million_yuan"] == pytest.approx(
            (run["spending_yuan"].iloc[1:].sum() - base["spending_yuan"].iloc[1:].sum()) / 1e6)
        assert seed_result["met"] == bool(run["urban_rural_gap"].iloc[3] <= 0.59)
        assert seed_result["equity_gain"] == pytest.approx(
            base["urban_rural_gap"].iloc[3] - run["urban_rural_gap"].iloc[3])
        assert seed_result["quality_change"] == pytest.approx(
            run["mean_achievement"].iloc[3] - base["mean_achievement"].iloc[3])
    assert result["pass_share"] == np.mean([r["met"] for r in result["per_seed"]])
    assert result["county_spending_million_yuan"]["mean"] == pytest.approx(
        np.mean([r["county_spending_million_yuan"] for r in result["per_seed"]]))
    assert result["feasible"] == (result["pass_share"] >= 1.0
                                  and result["quality_change"]["mean"] >= -0.05)
    assert (tmp_path / "COMPLETE").exists() and len(list((tmp_path / "baselines").iterdir())) == 2
    # a finished trial is read back, not run again
    again = design.evaluate(cfg, tmp_path, tmp_path / "baselines")
    assert again["cached"] and again["value"] == result["value"]


def test_infeasible_trial_gets_a_penalty_above_any_cost(tmp_path):
    cfg = {"region": {"preset": "tiny"}, "design": {
        "target_year": 2, "conditions": ["urban_rural_gap <= 0.01"], "seeds": [0],
        "levers": {"teacher_rotation": {"enabled": True, "rate": 0.3}}}}
    result = design.evaluate(cfg)
    assert not result["feasible"] and result["value"] >= design.PENALTY


def test_pareto_front_keeps_non_dominated_mixes():
    df = pd.DataFrame({"feasible": [True, True, True, False],
                       "cost": [1.0, 2.0, 3.0, 0.5], "equity_gain": [0.1, 0.2, 0.15, 0.9],
                       "quality_change": [0.0, 0.0, 0.0, 0.0]})
    front = design_report.pareto(df)
    assert list(front["cost"]) == [1.0, 2.0]  # 3.0 is dominated by 2.0; 0.5 is infeasible


def test_pareto_front_of_two_objectives():
    df = pd.DataFrame({"feasible": [True, True, True], "cost": [1.0, 2.0, 3.0],
                       "equity_gain": [0.1, 0.2, 0.15], "quality_change": [0.0, 0.0, 0.3]})
    front = design_report.pareto(df, design_report.FRONT_2)
    assert list(front["cost"]) == [1.0, 2.0]  # the quality change is not an objective here


def test_search_space_becomes_optuna_distributions():
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    entries, problems = design_space.space_entries(
        {"design.levers.a.enabled": "choice(true, false)", "design.levers.a.rate":
         "interval(0.02, 0.3)", "design.levers.a.start_year": "range(1, 5)",
         "design.levers.a.n": "interval(1, 4)",
         "design.levers.a.x": "tag(log, interval(0.1, 1.0))",
         "design.levers.a.fixed": 0.5},
        {"design.levers.a.rate": "interval(0.05, 0.2)"})  # the command line's entry wins
    assert not problems
    dists, fixed = design_space.split_space(entries)
    assert dists["design.levers.a.enabled"] == CategoricalDistribution([True, False])
    assert dists["design.levers.a.rate"] == FloatDistribution(0.05, 0.2)
    assert dists["design.levers.a.start_year"] == IntDistribution(1, 5)  # the stop included
    assert dists["design.levers.a.n"] == FloatDistribution(1.0, 4.0)  # Hydra: float ends
    assert dists["design.levers.a.x"] == FloatDistribution(0.1, 1.0, log=True)
    assert fixed == {"design.levers.a.fixed": 0.5}
    cfg = design_space.trial_config({"design": {"levers": {"a": {"rate": 0.1}}, "n_trials": 3},
                                     "region": {"preset": "tiny"}},
                                    {"design.levers.a.rate": 0.2, "teachers.x": 1})
    assert cfg == {"design": {"levers": {"a": {"rate": 0.2}}}, "region": {"preset": "tiny"},
                   "teachers": {"x": 1}}


# ---- short searches: an Optuna study in the output folder ---------------------------------
def _study(folder: Path, name: str = "smoke"):
    import optuna

    return optuna.load_study(study_name=name, storage=f"sqlite:///{folder / 'study.db'}")


def _params(study, state="COMPLETE") -> list[dict]:
    return [t.params for t in study.trials if t.state.name == state]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


SERIAL = ["+target=smoke", "design.n_jobs=1", "design.n_startup_trials=2"]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("design") / "sweep"
    proc = _run([*SERIAL, "design.n_trials=4", f"hydra.sweep.dir={out}"], out.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


@pytest.mark.slow
def test_short_optimisation_finds_a_mix_and_it_reproduces(smoke):
    out, proc = smoke
    summary = json.loads((out / "design" / "summary.json").read_text())
    assert summary["feasible"] and summary["trials"] == 4
    best = summary["best"]
    assert best["policies"], "the loose target needs some lever"
    assert best["pass_share"] >= 1.0
    assert (out / "design" / "front.png").stat().st_size > 10_000
    assert "Policy design: min cost" in (out / "design" / "brief.md").read_text()
    # the model that ran the trials, in the summary and the brief
    from sim.behaviour import stamp

    assert summary["model"] == stamp()
    assert (f"Made by edusim {stamp()['version']} (model behaviour {stamp()['behaviour']})."
            in (out / "design" / "brief.md").read_text())
    # the study: four finished trials, each with its folder and its result
    study = _study(out)
    assert [t.state.name for t in study.trials] == ["COMPLETE"] * 4
    for t in study.trials:
        assert (out / str(t.number) / "COMPLETE").exists()
        assert t.user_attrs["result"]["value"] == t.value
    assert f"optuna-dashboard sqlite:///{out / 'study.db'}" in proc.stderr
    # re-run the reported best mix independently: same cost and verdicts
    costs, met = [], []
    for seed in best["seeds"]:
        ts = EducationModel(rng=seed, region="tiny", policies=best["policies"]).run(
            best["target_year"]).timeseries()
        cols = [c for c in ts.columns if c.startswith("cost_policy_")]
        costs.append(ts[cols].fillna(0).to_numpy().sum() / 1e6)
        met.append(bool(ts["urban_rural_gap"].iloc[best["target_year"]] <= 0.40))
    assert np.mean(costs) == pytest.approx(best["cost_million_yuan"]["mean"])
    assert np.mean(met) == best["pass_share"]
    # it is the cheapest feasible trial
    trials = pd.read_csv(out / "design" / "trials.csv")
    assert best["cost_million_yuan"]["mean"] == pytest.approx(
        trials.loc[trials["feasible"], "cost"].min())


@pytest.mark.slow
def test_fixed_seed_repeats_and_resume_runs_no_finished_trial_again(smoke, tmp_path):
    out = tmp_path / "sweep"
    first = _run([*SERIAL, "design.n_trials=2", f"hydra.sweep.dir={out}"], tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    done = {n: (out / str(n) / design.RESULT).stat().st_mtime_ns for n in (0, 1)}
    # a trial left running by a process that is gone (an interrupted search)
    study = _study(out)
    ghost = study.ask(study.trials[0].distributions)
    ghost.set_user_attr("host", socket.gethostname())
    ghost.set_user_attr("pid", _dead_pid())
    proc = _run([*SERIAL, "design.n_trials=4", f"hydra.sweep.dir={out}"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "trial 2 was interrupted (its process has gone): marked failed" in proc.stderr
    trial_lines = [ln for ln in proc.stderr.splitlines() if ": feasible," in ln
                   or ": infeasible," in ln]
    assert [ln.split(":")[0] for ln in trial_lines] == ["[edusim-design] trial 3",
                                                        "[edusim-design] trial 4"]
    assert {n: (out / str(n) / design.RESULT).stat().st_mtime_ns for n in (0, 1)} == done
    study = _study(out)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE", "FAIL",
                                                   "COMPLETE", "COMPLETE"]
    # the same seed suggests the same mixes as the uninterrupted search of the fixture
    assert _params(study) == _params(_study(smoke[0]))
    summary = json.loads((out / "design" / "summary.json").read_text())
    assert summary["trials"] == 4


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_storage(request, tmp_path):
    """The storage two searches share: an SQLite file, or a PostgreSQL server of the test's
    own on 127.0.0.1 (tests/postgres_server.py; ``make test`` installs PostgreSQL, so in CI
    it always runs)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    from tests.postgres_server import bin_dir, postgres_server

    if bin_dir() is None and not os.environ.get("CI"):
        pytest.skip("no PostgreSQL server here (make test installs it)")
    with postgres_server() as url:
        yield url


@pytest.mark.slow
def test_two_processes_share_one_study_without_duplicates(tmp_path, shared_storage):
    storage = shared_storage
    args = ["+target=smoke", "design.n_trials=5", f"design.storage={storage}",
            "design.study_name=shared", "design.n_startup_trials=2"]
    env = {**os.environ, "HYDRA_FULL_ERROR": "0"}
    procs = []
    for name, jobs in (("a", 2), ("b", 1)):
        procs.append(subprocess.Popen(
            DESIGN + [*args, f"design.n_jobs={jobs}", f"hydra.sweep.dir={tmp_path / name}"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            stdin=subprocess.DEVNULL))
        time.sleep(3)  # the first one makes the study
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
    import optuna

    study = optuna.load_study(study_name="shared", storage=storage)
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert len(complete) == 5, [(t.number, t.state.name, t.user_attrs) for t in study.trials]
    # SQLite: the processes share the lock beside the study file, so none asks for a trial
    # too many. A server's processes lock only their own folder (as on two machines): one
    # that asked at the same moment as another marks its surplus trial failed, unrun
    surplus = [t for t in study.trials if t.state.name != "COMPLETE"]
    allowed = [] if storage.startswith("sqlite") else [
        t for t in surplus if t.state.name == "FAIL"
        and t.user_attrs.get("error") == "not needed: the other trials reached n_trials"]
    assert surplus == allowed, [(t.number, t.state.name, t.user_attrs.get("error"))
                                for t in study.trials]
    folders = sorted(int(p.parent.name) for name in "ab"
                     for p in (tmp_path / name).glob(f"*/{design.RESULT}"))
    assert folders == [t.number for t in complete]  # each trial ran once, in one folder
    # the report reads every trial from the study (the process that finished first reported
    # the trials finished by then)
    assert max(json.loads((tmp_path / name / "design" / "summary.json").read_text())["trials"]
               for name in "ab") == 5
    assert design_report.report_main([str(tmp_path / "a")]) == 0
    assert json.loads((tmp_path / "a" / "design" / "summary.json").read_text())["trials"] == 5


@pytest.mark.slow
def test_pareto_search_reports_the_feasible_non_dominated_mixes(tmp_path):
    out = tmp_path / "sweep"
    proc = _run([*SERIAL, "design.objective=pareto", "design.n_trials=6",
                 "design.quality_floor=0.0", f"hydra.sweep.dir={out}"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    study = _study(out)
    assert len(study.directions) == 2
    summary = json.loads((out / "design" / "summary.json").read_text())
    trials = pd.read_csv(out / "design" / "trials.csv").set_index("trial")
    front = summary["front"]
    assert front and all(trials.loc[n, "feasible"] for n in front)
    feasible = trials[trials["feasible"]]
    for n in front:  # no feasible trial is at least as good on both and better on one
        c, g = trials.loc[n, "cost"], trials.loc[n, "equity_gain"]
        assert not ((feasible["cost"] <= c) & (feasible["equity_gain"] >= g)
                    & ((feasible["cost"] < c) | (feasible["equity_gain"] > g))).any()
    for n in set(feasible.index) - set(front):  # every other feasible one is dominated
        c, g = trials.loc[n, "cost"], trials.loc[n, "equity_gain"]
        assert ((feasible["cost"] <= c) & (feasible["equity_gain"] >= g)).sum() > 1
    # Optuna's own front of the feasible trials is the same
    assert sorted(front) == sorted(t.number for t in study.best_trials)
    infeasible = [t for t in study.trials if not t.user_attrs["feasible"]]
    assert all(max(t.user_attrs["constraint"]) > 0 for t in infeasible)
    assert "Pareto front" in (out / "design" / "brief.md").read_text()


@pytest.mark.slow
def test_infeasible_target_is_reported_as_infeasible(tmp_path):
    out = tmp_path / "sweep"
    proc = _run(["+target=smoke", f"hydra.sweep.dir={out}", "design.n_trials=3",
                 "design.conditions=['urban_rural_gap <= 0.05']"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((out / "design" / "summary.json").read_text())
    assert summary["feasible"] is False and "best" not in summary
    assert "INFEASIBLE" in (out / "design" / "brief.md").read_text()
    assert "INFEASIBLE target" in proc.stderr
    rep = subprocess.run([sys.executable, "-c",
                          "import sys; from experiments.design_report import report_main; "
                          f"sys.exit(report_main([{str(out)!r}]))"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert rep.returncode == 1 and "INFEASIBLE" in rep.stdout


def test_bad_search_range_stops_before_any_trial(tmp_path):
    out = tmp_path / "sweep"
    proc = _run(["+target=smoke", f"hydra.sweep.dir={out}",
                 "design.levers.teacher_rotation.rate=interval(0.0, 1.5)"],
                tmp_path)
    assert proc.returncode == 2
    assert "design.levers.teacher_rotation.rate: 1.5 is outside the allowed range" in proc.stderr
    assert not out.exists()


def test_the_brief_names_the_model_that_ran_the_trials():
    from experiments.design_report import made_by_line

    a = {"version": "0.1.0", "behaviour": "0123456789abcdef"}
    b = {"version": "0.1.0", "behaviour": "fedcba9876543210"}
    assert made_by_line(a) == "Made by edusim 0.1.0 (model behaviour 0123456789abcdef)."
    assert made_by_line(None) == "Made by a version of edusim that did not record its model."
    assert made_by_line([a, b]).startswith("Made by 2 versions of the model: edusim 0.1.0 (model "
                                       "behaviour 0123456789abcdef); edusim 0.1.0")
