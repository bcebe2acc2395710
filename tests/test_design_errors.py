"""edusim-design on bad input: every mistake is found before the first trial and before
anything is written (exit 2, one message naming the field and what is allowed); the former
Hydra sweeper's settings are named with what replaced them; a study refuses another question;
a trial that still fails ends with its own one-line message, never a worker-pool traceback;
and edusim-design-report on a folder without a finished design search exits 2 with a
message.

Most cases run ``experiments.design.main`` in this process (as the console script does,
Hydra included): they stop in the check before the first trial. The cases that start
trials run the console script's code in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from experiments import design, design_checks, design_report
from tests.conftest import free_ports, run_in_process

ROOT = Path(__file__).resolve().parent.parent
DESIGN = [sys.executable, "-c", "from experiments.design import main; main()"]


def run_design(*args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``edusim-design ARGS`` run in this process."""
    return run_in_process(design.main, "edusim-design", *args)


def run_script(args: list[str], cwd: Path, env: dict | None = None
               ) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env or {}), "HYDRA_FULL_ERROR": "0"}
    return subprocess.run(DESIGN + args, cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env, stdin=subprocess.DEVNULL)


def stopped(code: int, out: str, err: str, sweep: Path) -> str:
    """The check's message, after asserting the promise: exit 2, no traceback, nothing
    written."""
    assert code == 2, err[-2000:]
    assert "Traceback" not in out + err
    assert "invalid design (no trial was started, nothing was written)" in err
    assert not sweep.exists()
    return err


# ---- 1. conditions that name no suitable column --------------------------------------------
@pytest.mark.parametrize("conditions,expected", [
    ("['urban_rural_gap <= 0.59','foo <= 1']",
     ["design.conditions[1]: 'foo' is not a numeric column of the yearly record; allowed: ",
      "urban_rural_gap"]),
    ("['quality_cv_pased']",
     ["design.conditions[0]: 'quality_cv_pased' is not a true/false column",
      "did you mean 'quality_cv_passed'", "allowed: basic_passed, "]),
    ("['urban_rural_gap']",
     ["design.conditions[0]: 'urban_rural_gap' is a number, not a true/false column: "
      "compare it, e.g. 'urban_rural_gap <= 0.5'"]),
])
def test_condition_without_its_column_stops_before_any_trial(tmp_path, conditions, expected):
    sweep = tmp_path / "sweep"
    err = stopped(*run_design("+target=smoke", f"hydra.sweep.dir={sweep}",
                              f"design.conditions={conditions}"), sweep)
    for text in expected:
        assert text in err


def test_equity_measure_must_be_a_numeric_column(tmp_path):
    sweep = tmp_path / "sweep"
    err = stopped(*run_design("+target=smoke", f"hydra.sweep.dir={sweep}",
                              "design.equity_measure=quality_cv_passed"), sweep)
    assert "design.equity_measure: 'quality_cv_passed' is not a numeric column" in err
    assert "urban_rural_gap" in err


# ---- 2. a value of the design space the model refuses: once, before any trial -------------
@pytest.mark.parametrize("override,expected", [
    # a fixed model setting (SimConfig's own check)
    ("teachers.rural_allowance=5.0",
     "teachers.rural_allowance: 5.0 is outside the allowed range [0.0, 2.0]"),
    # a searched model setting: its upper end
    ("teachers.rural_allowance=interval(0.0, 50.0)",
     "teachers.rural_allowance: 50.0 is outside the allowed range [0.0, 2.0] share of base "
     "salary (search range of teachers.rural_allowance: interval(0.0, 50.0))"),
    # a choice of a lever parameter (the policy's own check)
    ("design.levers.school_groups.coverage=choice(0.5, 2.0)",
     "design.levers.school_groups.coverage: 2.0 is outside the allowed range"),
    # an added key, with Optuna's range semantics: the stop is suggested too
    ("+design.levers.teacher_rotation.start_year=range(1, 501)",
     "design.levers.teacher_rotation.start_year: 501 is outside the allowed range [1, 500]"),
    ("+design.levers.teacher_rotation.start_year=range(0, 3)",
     "design.levers.teacher_rotation.start_year: 0 is outside the allowed range [1, 500]"),
    # a search Optuna itself would refuse
    ("design.levers.teacher_rotation.rate=interval(0.3, 0.1)",
     "design.levers.teacher_rotation.rate: interval(0.3, 0.1): the lower end 0.3 is above "
     "the upper end 0.1"),
    ("design.levers.school_groups.coverage=choice(0.5, 0.5)",
     "design.levers.school_groups.coverage: choice(0.5, 0.5): repeated choices [0.5, 0.5]"),
    # the search settings are not searched
    ("design.n_trials=choice(3, 4)",
     "design.space: design.n_trials: choice(3, 4): only design.levers.NAME.FIELD"),
    ("design.n_jobs=0", "design.n_jobs: 0 is outside the allowed range [1, 256]"),
    ("design.sampler=cmaes", "design.sampler: 'cmaes' is not one of tpe, nsga2, random"),
    # policies outside design.levers would be ignored by every trial
    ("+policies.teacher_rotation.rate=0.1",
     "policies: edusim-design switches policies on and off through design.levers.NAME"),
])
def test_bad_design_value_is_reported_once_before_any_trial(tmp_path, override, expected):
    sweep = tmp_path / "sweep"
    err = stopped(*run_design("+target=smoke", f"hydra.sweep.dir={sweep}", override), sweep)
    assert err.count(expected) == 1, err


def test_search_ranges_are_checked_at_optunas_values():
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from optuna.distributions import FloatDistribution, IntDistribution

    from experiments.design_space import distribution

    parse = OverridesParser.create().parse_override
    assert design_checks.search_values(parse("a=range(1, 5)")) == [1, 5]  # Optuna includes the stop
    assert design_checks.search_values(parse("a=range(1, 6, 2)")) == [1, 5]
    assert design_checks.search_values(parse("a=interval(0.02, 0.3)")) == [0.02, 0.3]
    assert design_checks.search_values(parse("a=choice(true, false)")) == [True, False]
    assert design_checks.search_values(parse("a=0.5")) == [0.5]
    with pytest.raises(ValueError, match="the stop 1 is below the start 5"):
        design_checks.search_values(parse("a=range(5, 1)"))
    with pytest.raises(ValueError, match="a log interval needs a lower end above 0"):
        design_checks.search_values(parse("a=tag(log, interval(0.0, 1.0))"))
    # and the study's distributions reach the same values
    assert distribution(parse("a=range(1, 6, 2)")) == IntDistribution(1, 5, step=2)
    assert distribution(parse("a=range(0.1, 0.5, 0.2)")) == FloatDistribution(0.1, 0.5, step=0.2)
    assert distribution(parse("a=0.5")) is None


# ---- 3. the county table: relative paths, unreadable tables, a failing worker -------------
def test_relative_table_path_outside_the_repository_is_named_with_the_folder(
        tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sweep = tmp_path / "sweep"
    err = stopped(*run_design("+target=published_county", f"hydra.sweep.dir={sweep}"), sweep)
    assert ("region.path: 'examples/published_county/schools.csv' does not exist (a relative "
            f"path is read from the folder edusim-design was run from, {tmp_path};") in err


def test_unreadable_county_table_stops_before_any_trial(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "county.csv").write_text("this is not,a school table\n1,2\n", encoding="utf-8")
    sweep = tmp_path / "sweep"
    err = stopped(*run_design("+target=smoke", "region=file", "region.path=county.csv",
                              f"hydra.sweep.dir={sweep}"), sweep)
    assert "region.path: 1 problem in the county table" in err
    assert str(tmp_path / "county.csv") in err
    code, _, err = run_design("+target=smoke", "region=file", f"hydra.sweep.dir={sweep}")
    assert stopped(code, "", err, sweep) and "region.path: required with region=file" in err


def test_relative_table_path_runs_from_the_users_folder(tmp_path, monkeypatch):
    shutil.copy(ROOT / "examples" / "county_schools.csv", tmp_path / "county.csv")
    monkeypatch.chdir(tmp_path)
    sweep = tmp_path / "sweep"
    code, _, err = run_design("+target=smoke", "region=file", "region.path=county.csv",
                              f"hydra.sweep.dir={sweep}", "design.n_jobs=1",
                              "design.n_trials=1", "design.seeds=[0]",
                              "design.target_year=1", "design.conditions=['urban_rural_gap <= 5']")
    assert code == 0, err[-3000:]
    result = json.loads((sweep / "0" / design.RESULT).read_text())
    # the trial read the user's table by its absolute path (as a worker in another folder or
    # on another machine will), and the brief's command to reproduce the best mix names it
    assert result["region"]["path"] == str(tmp_path / "county.csv")
    brief = (sweep / "design" / "brief.md").read_text()
    assert f"region=file region.path={tmp_path / 'county.csv'}" in brief


FAILING_TRIALS = '''
import os
if os.environ.get("EDUSIM_TEST_TRIAL_FAILURE"):
    from sim.model import EducationModel

    class Unpicklable(Exception):  # like an exception whose __init__ takes two arguments
        def __init__(self, a, b):
            super().__init__(f"{a}: {b}")

    _run = EducationModel.run

    def run(self, years, *args, **kwargs):
        if years > 1:  # the trials fail (the check before them simulates one year)
            raise Unpicklable("the county broke", "in year 2")
        return _run(self, years, *args, **kwargs)

    EducationModel.run = run
'''


@pytest.mark.slow
def test_a_failing_trial_reports_its_own_error_not_the_worker_pool(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(FAILING_TRIALS, encoding="utf-8")
    sweep = tmp_path / "sweep"
    proc = run_script(["+target=smoke", f"hydra.sweep.dir={sweep}", "design.n_trials=1",
                       "design.n_jobs=1"],
                      cwd=ROOT, env={"PYTHONPATH": str(site),
                                     "EDUSIM_TEST_TRIAL_FAILURE": "1"})
    assert proc.returncode == 1
    assert "BrokenProcessPool" not in proc.stderr and "Traceback" not in proc.stderr
    last = [line for line in proc.stderr.splitlines() if line.startswith("edusim-design:")]
    assert last[-1] == ("edusim-design: trial 0 failed: Unpicklable: the county broke: in "
                        f"year 2 (details in {sweep / '0' / 'FAILED'})")
    # the failed trial is marked, with the traceback for whoever debugs it
    assert "Traceback" in (sweep / "0" / "FAILED").read_text()
    assert not (sweep / "0" / "COMPLETE").exists()
    # and the study marks it failed: a new run suggests its mix again
    import optuna

    study = optuna.load_study(study_name="smoke", storage=f"sqlite:///{sweep / 'study.db'}")
    assert [t.state.name for t in study.trials] == ["FAIL"]
    assert study.trials[0].user_attrs["error"].startswith("edusim-design: trial 0 failed")


# ---- 4. an output folder that cannot be written ------------------------------------------
def test_unwritable_sweep_folder_is_named(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    sweep = tmp_path / "file.txt" / "sub"
    err = stopped(*run_design("+target=smoke", f"hydra.sweep.dir={sweep}"), sweep)
    assert (f"hydra.sweep.dir: cannot make the directory {sweep}: {tmp_path / 'file.txt'} "
            "is a file") in err


@pytest.mark.parametrize("url,expected", [
    ("postgresql+psycopg://u:secret@127.0.0.1:{port}/x",
     "design.storage: cannot open postgresql+psycopg://u:***@127.0.0.1:{port}/x: "
     "connection failed"),
    ("postgresql+nosuchdriver://u@h/x", "design.storage: postgresql+nosuchdriver://u@h/x "
                                        "cannot be used: Can't load plugin"),
    ("notaurl", "design.storage: notaurl cannot be used: Could not parse"),
    ("sqlite:////nonexistent-edusim/dir/s.db", "design.storage: sqlite:////nonexistent-edusim/"
                                               "dir/s.db: the folder /nonexistent-edusim/dir "
                                               "of the SQLite file does not exist"),
])
def test_a_study_storage_that_cannot_be_used_is_named(tmp_path, url, expected):
    """A storage URL that cannot be read, a driver that is not installed, a server that does
    not answer: exit 2 before anything is written, the password hidden."""
    port = free_ports()[0]  # nothing listens there
    sweep = tmp_path / "sweep"
    err = stopped(*run_design("+target=smoke", f"design.storage={url.format(port=port)}",
                              f"hydra.sweep.dir={sweep}"), sweep)
    assert expected.format(port=port) in err
    assert "secret" not in err


def test_a_reachable_or_new_storage_passes_the_check(tmp_path):
    assert design_checks.storage_problem(None) is None
    assert design_checks.storage_problem(f"sqlite:///{tmp_path / 'new.db'}") is None
    assert not (tmp_path / "new.db").exists()  # the check opens no SQLite file


def test_unwritable_run_folder_is_named(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    run_dir = tmp_path / "file.txt" / "run"
    err = stopped(*run_design("+target=smoke", f"hydra.run.dir={run_dir}"), run_dir)
    assert (f"hydra.run.dir: cannot make the directory {run_dir}: {tmp_path / 'file.txt'} "
            "is a file") in err


def test_output_folder_without_write_permission(tmp_path, monkeypatch):
    # root may write anywhere, so the permission is taken from os.access: everything under
    # tmp_path reads as unwritable, the rest (the repository, Hydra's files) as it is
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: (
        not Path(path).absolute().is_relative_to(tmp_path) and access(path, mode, **kw)))
    sweep = tmp_path / "a" / "b"
    err = stopped(*run_design("+target=smoke", f"hydra.sweep.dir={sweep}"), sweep)
    assert (f"hydra.sweep.dir: cannot write the directory {sweep}: {tmp_path} is not "
            "writable") in err
    err = stopped(*run_design("+target=smoke", f"hydra.sweep.dir={tmp_path}"), tmp_path / "0")
    assert (f"hydra.sweep.dir: cannot write the directory {tmp_path}: {tmp_path} is not "
            "writable") in err


@pytest.mark.parametrize("args,expected", [
    (["hydra.sweeper.n_trials=3"],
     "hydra.sweeper.n_trials: the search is set in the design block now (design.n_trials)"),
    (["hydra/launcher=ray_cluster"],
     "hydra/launcher: edusim-design runs design.n_jobs worker processes; on more machines, "
     "start it on each with the same design.storage"),
    (["--multirun"], "--multirun: edusim-design runs its trials itself"),
])
def test_settings_of_the_former_sweeper_are_named(tmp_path, args, expected):
    sweep = tmp_path / "sweep"
    err = stopped(*run_design("+target=smoke", f"hydra.sweep.dir={sweep}", *args), sweep)
    assert expected in err


def one_trial(sweep: Path) -> tuple[str, ...]:
    """The arguments of a one-trial study of the smoke target into ``sweep``, run once; the
    last three arguments are the question's (the fourth from the end: the number of trials)."""
    quick = ("+target=smoke", f"hydra.sweep.dir={sweep}", "design.n_jobs=1",
             "design.n_trials=1", "design.seeds=[0]", "design.target_year=1",
             "design.conditions=['urban_rural_gap <= 5']")
    code, _, err = run_design(*quick)
    assert code == 0, err[-3000:]
    return quick


def test_a_study_refuses_another_question(tmp_path):
    sweep = tmp_path / "sweep"
    quick = one_trial(sweep)
    code, _, err = run_design(*quick, "design.quality_floor=-0.5")
    assert code == 2 and "Traceback" not in err
    assert ("design.study_name: the study 'smoke' in sqlite:///" in err
            and "was made for another question" in err)
    # more trials of the same question are welcome
    code, _, err = run_design(*quick[:-4], "design.n_trials=2", *quick[-3:])
    assert code == 0, err[-3000:]
    assert len(list(sweep.glob(f"*/{design.RESULT}"))) == 2


def test_a_study_refuses_another_version_of_the_model(tmp_path):
    # a study whose trials another version of the model ran (as if made before a change of
    # the model's behaviour): its results do not hold for this one
    import optuna

    from sim.behaviour import BEHAVIOUR

    sweep = tmp_path / "sweep"
    quick = one_trial(sweep)
    storage = f"sqlite:///{sweep / 'study.db'}"
    study = optuna.load_study(study_name="smoke", storage=storage)
    assert study.user_attrs["model"] == BEHAVIOUR
    study.set_user_attr("model", "0123456789abcdef")
    code, _, err = run_design(*quick[:-4], "design.n_trials=2", *quick[-3:])
    assert code == 2 and "Traceback" not in err
    assert ("was made by another version of the model (behaviour 0123456789abcdef, now "
            f"{BEHAVIOUR})") in err
    assert len(list(sweep.glob(f"*/{design.RESULT}"))) == 1  # no trial was started


def test_a_trial_result_of_another_model_is_not_reused(tmp_path, monkeypatch):
    from sim.behaviour import stamp

    cfg = {"region": {"preset": "tiny"}, "design": {
        "levers": {"teacher_rotation": {"enabled": True, "rate": 0.1}}, "seeds": [0],
        "target_year": 1,
        "conditions": ["urban_rural_gap <= 5"]}}
    first = design.evaluate(cfg, out_dir=tmp_path / "trial")
    assert first["edusim"] == stamp() and not first["cached"]
    assert design.evaluate(cfg, out_dir=tmp_path / "trial")["cached"]
    monkeypatch.setattr(design, "BEHAVIOUR", "0123456789abcdef")
    assert not design.evaluate(cfg, out_dir=tmp_path / "trial")["cached"]


# ---- 5. edusim-design-report on a folder without a finished design sweep -----------------
def _folder(tmp_path: Path, kind: str) -> tuple[Path, str]:
    if kind == "missing":
        return tmp_path / "nope", "nope: no such folder"
    if kind == "file":
        (tmp_path / "f.txt").write_text("x")
        return tmp_path / "f.txt", "f.txt: not a folder"
    if kind == "foreign":
        (tmp_path / "x").mkdir()
        (tmp_path / "x" / design.RESULT).write_text('{"a": 1}')
        return tmp_path, "not an edusim-design sweep folder"
    (tmp_path / "0").mkdir(parents=True)
    (tmp_path / "0" / "config.json").write_text("{}")
    if kind == "failed":
        (tmp_path / "0" / "FAILED").write_text("edusim-design: trial 0 failed: ...")
        return tmp_path, "none of its 1 trial folders has finished (design_result.json); " \
                         "1 failed (the reason is in"
    return tmp_path, "none of its 1 trial folders has finished (design_result.json); run " \
                     "edusim-design into it again to resume"


@pytest.mark.parametrize("kind", ["missing", "file", "foreign", "unfinished", "failed"])
def test_report_on_a_folder_without_a_finished_sweep(tmp_path, capsys, kind):
    folder, expected = _folder(tmp_path, kind)
    assert design_report.report_main([str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("edusim-design-report: ") and expected in err
    assert len(err.strip().splitlines()) == 1
    assert not (folder / "design").exists()


def test_report_of_a_one_seed_sweep(tmp_path, capsys):
    # one seed: no 95% interval; the brief gives the value alone (it crashed on None)
    cfg = {"region": {"preset": "tiny"}, "design": {
        "target_year": 1, "conditions": ["urban_rural_gap <= 5"], "min_pass_share": 1.0,
        "quality_floor": -1.0, "seeds": [0],
        "levers": {"teacher_rotation": {"enabled": True, "rate": 0.1}}}}
    design.evaluate(cfg, tmp_path / "0", tmp_path / "baselines")
    assert design_report.report_main([str(tmp_path)]) == 0
    brief = (tmp_path / "design" / "brief.md").read_text()
    row = next(line for line in brief.splitlines() if line.startswith("| 1 |"))
    assert "±" not in row and "nan" not in row.lower()


def test_report_into_a_path_blocked_by_a_file(tmp_path, capsys):
    cfg = {"region": {"preset": "tiny"}, "design": {
        "target_year": 1, "conditions": ["urban_rural_gap <= 5"], "seeds": [0, 1],
        "quality_floor": -1.0, "levers": {}}}
    design.evaluate(cfg, tmp_path / "0")
    (tmp_path / "design").write_text("in the way")
    assert design_report.report_main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write the report to {tmp_path / 'design'}" in err
    assert "is a file, not a folder" in err and "Traceback" not in err


def test_a_design_with_nothing_to_search_is_refused(tmp_path):
    """``edusim-design`` without a target ran its 40 trials of one and the same run."""
    out = tmp_path / "design"
    code, _, err = run_design("region=tiny", f"hydra.sweep.dir={out}")
    assert code == 2, err
    assert "design.space: nothing to search (no choice(...), interval(...) or range(...) " \
           "entry), so every trial would be the same run" in err
    assert not out.exists()
    code, _, err = run_design("region=tiny", f"hydra.sweep.dir={out}", "design.n_trials=1",
                              "design.target_year=1",
                              "design.levers.teacher_rotation.rate=interval(0.05,0.1)",
                              "+design.levers.teacher_rotation.enabled=true")
    assert code == 0 and "nothing to search" not in err  # one searched lever is enough


def test_an_integer_for_a_true_or_false_model_setting_is_refused(tmp_path):
    """OmegaConf took ``enrolment.expand_capacity=1`` as true and the search ran with it."""
    out = tmp_path / "design"
    code, _, err = run_design("+target=smoke", "enrolment.expand_capacity=1",
                              f"hydra.sweep.dir={out}")
    assert code == 2 and "enrolment.expand_capacity: expected true or false, got 1" in err
    assert not out.exists()


def test_run_keys_a_trial_sets_itself_are_named_in_a_warning(tmp_path):
    """``edusim-design years=20 progress=2`` ran without a word: a trial runs to
    design.target_year with design.seeds, and draws no figure."""
    out = tmp_path / "design"
    code, _, err = run_design("+target=smoke", "years=20", "progress=2", "seed=3",
                              "design.n_trials=1", f"hydra.sweep.dir={out}")
    assert code == 0, err[-2000:]
    assert "edusim-design: warning: years=20 has no effect in edusim-design: a trial runs " \
           "to design.target_year" in err
    assert "warning: progress=2 has no effect" in err
    assert "warning: seed=3 has no effect in edusim-design: a trial runs every seed in " \
           "design.seeds" in err
    code, _, err = run_design("+target=smoke", "design.n_trials=1",
                              f"hydra.sweep.dir={tmp_path / 'plain'}")
    assert code == 0 and "warning" not in err
