"""Re-running a sweep into a directory that already holds runs: identical jobs resume (their
finished runs are kept and skipped), a job that would overwrite a finished run of another
configuration stops the sweep before anything runs (exit 2, naming the differing keys)
unless hydra.sweeper.overwrite=true, the progress line counts only this sweep's jobs, and an
unwritable sweep directory stops the sweep with the path named and nothing written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent
BASE = ["--multirun", "region=tiny", "years=2", "seed=0,1", "hydra/launcher=serial"]


def edusim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "experiments.run", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def stamps(sweep: Path) -> dict[str, int]:
    """Modification time of every file under ``sweep`` (a changed one shows)."""
    return {str(p.relative_to(sweep)): p.stat().st_mtime_ns
            for p in sorted(sweep.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """A finished two-run sweep (region=tiny, years=2, seeds 0 and 1), made once."""
    out = tmp_path_factory.mktemp("finished") / "sweep"
    proc = edusim(*BASE, f"hydra.sweep.dir={out}")
    assert proc.returncode == 0, proc.stderr
    assert "[edusim] sweep of 2 runs into" in proc.stderr and "already" not in proc.stderr
    return out


@pytest.fixture
def sweep(finished, tmp_path) -> Path:
    """A copy of the finished sweep for one test to change."""
    out = tmp_path / "sweep"
    shutil.copytree(finished, out)
    return out


def test_identical_rerun_keeps_and_skips_the_finished_runs(sweep):
    before = stamps(sweep / "0") | stamps(sweep / "1")
    proc = edusim(*BASE, f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stderr
    assert f"sweep of 2 runs into {sweep} (2 already finished, skipped)" in proc.stderr
    assert proc.stderr.count("already holds this finished run; skipped") == 2
    assert "[edusim] sweep 2/2 runs done" in proc.stderr
    after = stamps(sweep / "0") | stamps(sweep / "1")
    for name in ("timeseries.parquet", "summary.json", "COMPLETE"):
        assert after[name] == before[name]


@pytest.mark.parametrize("change, words", [
    (["years=1"], ["years: 2 in the finished runs, 1 now"]),
    (["teachers.rural_allowance=0.3", "+policies.teacher_rotation.rate=0.2"],
     ["teachers.rural_allowance: 0.1 in the finished runs, 0.3 now",
      'policies.teacher_rotation: absent in the finished runs, {"rate": 0.2} now']),
    # job 1 would run seed 5 where seed 1 finished; job 0 is the same run
    (["seed=0,5"], ["seed: 1 in the finished runs, 5 now",
                    "1 of this sweep's 2 runs would overwrite one of them (run directories 1)"]),
])
def test_changed_rerun_is_refused_naming_the_differing_keys(sweep, change, words):
    before = stamps(sweep)
    args = [a for a in BASE if not (a.startswith("seed=") and any(
        c.startswith("seed=") for c in change))]
    proc = edusim(*args, *change, f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 2, proc.stderr
    assert f"hydra.sweep.dir {sweep} holds finished runs of another configuration" in (
        proc.stderr)
    for w in words:
        assert w in proc.stderr
    assert "choose another hydra.sweep.dir" in proc.stderr
    assert "hydra.sweeper.overwrite=true" in proc.stderr
    assert "Traceback" not in proc.stderr and "no run was started" in proc.stderr
    assert stamps(sweep) == before  # nothing written, not even sweep.json


def test_overwrite_replaces_the_changed_runs_and_then_resumes(sweep):
    kept = (sweep / "0" / "timeseries.parquet").stat().st_mtime_ns
    proc = edusim(*BASE[:-2], "seed=0,5", "hydra/launcher=serial", f"hydra.sweep.dir={sweep}",
                  "hydra.sweeper.overwrite=true")
    assert proc.returncode == 0, proc.stderr
    assert ("(1 already finished, skipped; 1 finished with another configuration, to be "
            "replaced)") in proc.stderr
    assert "[edusim] sweep 1/2 runs done (job 0 done" in proc.stderr  # the replaced one not
    assert json.loads((sweep / "1" / "summary.json").read_text())["seed"] == 5
    assert (sweep / "0" / "timeseries.parquet").stat().st_mtime_ns == kept  # not redone
    again = edusim(*BASE[:-2], "seed=0,5", "hydra/launcher=serial", f"hydra.sweep.dir={sweep}")
    assert again.returncode == 0, again.stderr
    assert "(2 already finished, skipped)" in again.stderr


def test_runs_of_another_model_are_refused_then_replaced_on_request(sweep):
    # as if the sweep had been made before a change of the model's behaviour
    from sim.behaviour import BEHAVIOUR

    for run in ("0", "1"):
        path = sweep / run / "summary.json"
        done = json.loads(path.read_text())
        done["edusim"]["behaviour"] = "0123456789abcdef"
        path.write_text(json.dumps(done))
    before = stamps(sweep)
    proc = edusim(*BASE, f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 2, proc.stderr
    assert (f"edusim.behaviour (the model's version): 0123456789abcdef in the finished runs, "
            f"{BEHAVIOUR} now") in proc.stderr
    assert "Traceback" not in proc.stderr and stamps(sweep) == before
    proc = edusim(*BASE, "hydra/launcher=serial", f"hydra.sweep.dir={sweep}",
                  "hydra.sweeper.overwrite=true")
    assert proc.returncode == 0, proc.stderr
    assert "2 finished with another configuration, to be replaced" in proc.stderr
    for run in ("0", "1"):
        assert json.loads((sweep / run / "summary.json").read_text())["edusim"] == {
            "version": sim.__version__, "behaviour": BEHAVIOUR}


def test_changed_group_choice_is_compared_as_hydra_composes_it(tmp_path):
    # a swept config-group choice: each job's configuration is Hydra's composition
    out = tmp_path / "sweep"
    args = ["--multirun", "+experiment=baseline,teacher_rotation", "region=tiny", "years=0",
            "hydra/launcher=serial", f"hydra.sweep.dir={out}"]
    assert edusim(*args).returncode == 0
    same = edusim(*args)
    assert same.returncode == 0, same.stderr
    assert "(2 already finished, skipped)" in same.stderr
    swapped = edusim(args[0], "+experiment=teacher_rotation,baseline", *args[2:])
    assert swapped.returncode == 2, swapped.stderr
    assert ("policies.teacher_rotation: differs in 2 runs, e.g. absent in the finished run 0, "
            '{"start_year": 1,') in swapped.stderr


def test_progress_counts_only_this_sweeps_jobs(sweep):
    # a smaller sweep into the same directory, in directories of its own: the two finished
    # runs already there are not this sweep's
    proc = edusim("--multirun", "region=tiny", "years=1", "seed=3", "hydra/launcher=serial",
                  f"hydra.sweep.dir={sweep}", "hydra.sweep.subdir=other_${hydra.job.num}")
    assert proc.returncode == 0, proc.stderr
    assert f"[edusim] sweep of 1 runs into {sweep}\n" in proc.stderr
    assert "[edusim] sweep 1/1 runs done (job 0 done" in proc.stderr
    assert (sweep / "other_0" / "COMPLETE").is_file()
    plan = json.loads((sweep / "sweep.json").read_text())
    assert plan == {"jobs": [["region=tiny", "years=1", "seed=3"]], "subdirs": ["other_0"]}


def test_job_directories_named_by_their_overrides_resume(tmp_path):
    out = tmp_path / "sweep"
    args = ["--multirun", "region=tiny", "years=0", "seed=0,1", "hydra/launcher=serial",
            f"hydra.sweep.dir={out}", "hydra.sweep.subdir=${hydra.job.override_dirname}"]
    assert edusim(*args).returncode == 0
    assert sorted(p.parent.name for p in out.glob("*/COMPLETE")) == [
        "region=tiny,seed=0,years=0", "region=tiny,seed=1,years=0"]
    again = edusim(*args)
    assert "(2 already finished, skipped)" in again.stderr
    assert "[edusim] sweep 2/2 runs done" in again.stderr


@pytest.mark.parametrize("where", ["afile/sub", "afile", "dir/1"])
def test_unwritable_sweep_dir_stops_with_the_path_named(tmp_path, where):
    (tmp_path / "afile").write_text("not a directory\n")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "1").write_text("where job 1's directory belongs\n")
    target = tmp_path / where.split("/")[0] if where == "dir/1" else tmp_path / where
    before = sorted(p.name for p in tmp_path.rglob("*"))
    proc = edusim(*BASE, f"hydra.sweep.dir={target}")
    assert proc.returncode == 2, proc.stderr
    blocker = tmp_path / ("afile" if "afile" in where else "dir/1")
    assert (f"hydra.sweep.dir: cannot make the directory {tmp_path / where}: {blocker} is a "
            "file") in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_refusal_message_lists_a_few_keys_and_counts_the_rest():
    from experiments.rerun_check import ABSENT, MAX_KEYS_SHOWN, changed_rerun_message

    diffs = [(f"teachers.k{i}", i, i + 1) for i in range(MAX_KEYS_SHOWN + 2)]
    changed = [(str(n), diffs + [("seed", n, n + 10)]) for n in range(7)]
    changed[3][1].append(("policies.x.rate", ABSENT, 0.5))
    lines = changed_rerun_message(Path("/s"), changed, 9, switch=True)
    assert lines[1] == "teachers.k0: 0 in the finished runs, 1 now"
    assert len([ln for ln in lines if ln.startswith("teachers.")]) == MAX_KEYS_SHOWN
    assert f"... and {2 + 1 + 1} more keys" in lines  # 2 teachers keys, seed, policies
    assert ("7 of this sweep's 9 runs would overwrite one of them "
            "(run directories 0, 1, 2, 3, 4, ...)") in lines
    no_switch = changed_rerun_message(Path("/s"), changed[:1], 1, switch=False)
    assert "this sweeper has no overwrite setting" in no_switch[-1]


def test_changed_keys_name_a_mapping_found_on_one_side_once(tmp_path):
    from experiments.rerun_check import ABSENT, changed_keys
    from experiments.run import run_identity
    from sim.behaviour import stamp
    from sim.results import json_safe

    run = tmp_path / "run"
    run.mkdir()
    (run / "COMPLETE").write_text("ok\n")
    base = {"seed": 0, "years": 2, "region": {"preset": "tiny"}, "policies": {}}
    seed, years, sim_cfg = run_identity(base)
    done = {"edusim": stamp(), "seed": seed, "years": years,
            "config": json_safe(sim_cfg.to_dict())}
    (run / "summary.json").write_text(json.dumps(done))
    assert changed_keys(run, base) == []
    now = {**base, "policies": {"teacher_rotation": {"rate": 0.2}}}
    assert changed_keys(run, now) == [("policies.teacher_rotation", ABSENT,
                                       {"rate": 0.2})]
    (run / "summary.json").write_text("{not json")
    assert [k for k, _, _ in changed_keys(run, base)] == ["summary.json"]


@pytest.mark.parametrize("made_by", [{"version": "0.0.9", "behaviour": "0123456789abcdef"},
                                     None])
def test_a_run_of_another_model_is_not_finished_for_this_one(tmp_path, made_by):
    # the same configuration, made by a model that behaves otherwise (or by a version that
    # did not record its model): a resumed sweep neither skips it nor overwrites it unasked
    from experiments.rerun_check import ABSENT, MODEL_KEY, changed_keys, changed_rerun_message
    from experiments.run import already_complete, run_identity
    from sim.behaviour import BEHAVIOUR
    from sim.results import json_safe

    run = tmp_path / "run"
    run.mkdir()
    (run / "COMPLETE").write_text("ok\n")
    base = {"seed": 0, "years": 2, "region": {"preset": "tiny"}, "policies": {}}
    seed, years, sim_cfg = run_identity(base)
    done = {"seed": seed, "years": years, "config": json_safe(sim_cfg.to_dict())}
    if made_by is not None:
        done["edusim"] = made_by
    (run / "summary.json").write_text(json.dumps(done))
    assert not already_complete(run, seed, years, sim_cfg)
    was = made_by["behaviour"] if made_by else ABSENT
    assert changed_keys(run, base) == [(MODEL_KEY, was, BEHAVIOUR)]
    lines = changed_rerun_message(Path("/s"), [("0", changed_keys(run, base))], 1, True)
    assert any(line.startswith(MODEL_KEY) and BEHAVIOUR in line for line in lines)


def test_sweeper_takes_the_overwrite_setting():
    from hydra_plugins.edusim_sweeper.edusim_sweeper import EdusimSweeper, EdusimSweeperConf

    assert EdusimSweeperConf().overwrite is False
    assert EdusimSweeper(overwrite=True).overwrite is True
