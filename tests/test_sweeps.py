"""Experiments layer: every config composes and runs; sweeps on the joblib, basic and Ray
launchers agree; a killed sweep resumes without losing finished runs; bad sweeps fail
before anything runs."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from experiments.run import CONFIG_DIR, check_config, register_schema, run_from_config

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = Path(CONFIG_DIR)
EXPERIMENTS = sorted(p.stem for p in (CONFIGS / "experiment").glob("*.yaml"))
SWEEPS = sorted(p.stem for p in (CONFIGS / "sweep").glob("*.yaml"))
POLICY_FILES = sorted(p.stem for p in (CONFIGS / "policy").glob("*.yaml"))


def composed(*overrides: str, hydra_cfg: bool = False):
    register_schema()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("config", overrides=list(overrides), return_hydra_config=hydra_cfg)


def container(cfg) -> dict:
    c = OmegaConf.to_container(cfg, resolve=False)
    c.pop("hydra", None)
    return c


def edusim(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "experiments.run", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})}, **kw)


def test_canonical_experiments_exist():
    from sim.policies import POLICIES

    assert {"baseline", "county_plan", "all_levers"} <= set(EXPERIMENTS)
    assert set(POLICIES) <= set(EXPERIMENTS), "one experiment per policy"
    assert set(POLICIES) == set(POLICY_FILES), "one policy config per registered policy"


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_experiment_composes_validates_and_runs_two_years(name, tmp_path):
    cfg = composed(f"+experiment={name}", "region=tiny", "years=2")
    c = container(cfg)
    assert check_config(c) == []
    if name != "baseline":
        assert c["policies"], f"experiment {name} switches no policy on"
    model = run_from_config(c, tmp_path / name)
    assert model.year == 2
    assert (tmp_path / name / "COMPLETE").is_file()


@pytest.mark.parametrize("region", ["tiny", "default", "county_l"])
def test_region_configs_compose(region):
    assert check_config(container(composed(f"region={region}"))) == []


@pytest.mark.parametrize("name", SWEEPS)
def test_every_sweep_composes_and_all_its_jobs_validate(name):
    from experiments.callbacks import sweep_jobs, validate_job

    cfg = composed(f"+sweep={name}", hydra_cfg=True)
    assert cfg.hydra.mode.name == "MULTIRUN"
    jobs, pending = sweep_jobs(cfg)
    assert len(jobs) >= 2
    for overrides in jobs:
        assert validate_job(cfg, overrides, pending) == [], overrides


def test_sweeper_composes_one_job_per_shape_before_launching():
    """The app's sweeper (hydra_plugins/edusim_sweeper) checks one job per shape: the value
    of a plain override of an existing leaf is left out of the shape, everything that can
    change which keys exist (groups, +key, unknown keys) is kept."""
    from hydra_plugins.edusim_sweeper.edusim_sweeper import job_shape, representatives

    cfg = composed("region=tiny", "+policy=teacher_rotation", hydra_cfg=True)
    assert cfg.hydra.sweeper._target_.endswith("edusim_sweeper.EdusimSweeper")
    assert job_shape(cfg, ["seed=3", "policies.teacher_rotation.rate=0.1", "region=default",
                           "+teachers.foo=1", "teachers.atrition.rural=0.1"]) == (
        "seed=*", "policies.teacher_rotation.rate=*", "region=default", "+teachers.foo=1",
        "teachers.atrition.rural=0.1")
    grid = [[f"policies.teacher_rotation.rate={r / 100}", f"seed={k}"]
            for r in range(20) for k in range(10)]
    assert representatives(cfg, grid) == [grid[0]]
    two = [[f"region={region}", f"seed={k}"] for region in ("tiny", "default") for k in range(3)]
    assert representatives(cfg, two) == [two[0], two[3]]
    # a job that is not a representative composes as its representative does
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        last = compose("config", overrides=["region=tiny", "+policy=teacher_rotation",
                                            *grid[-1]])
    assert last.policies.teacher_rotation.rate == 0.19 and last.seed == 9


@pytest.mark.parametrize("bad, words", [
    ("teachers.atrition.rural=0.1,0.2", "teachers.atrition: there is no such setting "
                                        "(settings of teachers: "),
    ("region=tiny,nowhere", "region: there is no option 'nowhere'; the options are county_l, "
                            "default, file, tiny"),
])
def test_sweep_with_a_bad_key_or_group_option_fails_before_any_run(tmp_path, bad, words):
    out = tmp_path / "sweep"
    proc = edusim("--multirun", "region=tiny", "years=1", "seed=0,1", bad,
                  f"hydra.sweep.dir={out}")
    assert proc.returncode == 2, proc.stderr
    assert "no run was started" in proc.stderr and words in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def _tables(sweep_dir: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for run in sorted(sweep_dir.glob("*/COMPLETE")):
        overrides = (run.parent / ".hydra" / "overrides.yaml").read_text()
        out[overrides] = pd.read_parquet(run.parent / "timeseries.parquet")
    return out


def test_joblib_and_basic_launchers_give_the_same_numbers(tmp_path):
    args = ["--multirun", "region=tiny", "years=3", "seed=0,1",
            "+policies.teacher_rotation.rate=0.0,0.3", "+policies.rural_incentives={}",
            "compare_baseline=false"]
    a = edusim(*args, "hydra/launcher=workstation", f"hydra.sweep.dir={tmp_path / 'joblib'}")
    b = edusim(*args, "hydra/launcher=serial", f"hydra.sweep.dir={tmp_path / 'basic'}")
    assert a.returncode == 0, a.stderr
    assert b.returncode == 0, b.stderr
    assert "Joblib" in a.stdout + a.stderr
    ta, tb = _tables(tmp_path / "joblib"), _tables(tmp_path / "basic")
    assert len(ta) == len(tb) == 4
    for key in ta:
        pd.testing.assert_frame_equal(ta[key], tb[key])
    assert "[edusim] sweep 4/4 runs done" in a.stderr


@pytest.mark.parametrize("bad, words", [
    ("teachers.attrition.rural=0.1,0.9",
     "teachers.attrition.rural: 0.9 is outside the allowed range [0.0, 0.5]"),
    # the first job of the shape composes; the second's value is not a bool: caught up
    # front, not by a failing job in a worker
    ("compare_baseline=true,maybe", "compare_baseline: 'maybe' must be true or false"),
    # a continuous range (for edusim-design) crashed the sweeper with a traceback
    ("learning.persistence=interval(0,1)",
     "learning.persistence: interval(0,1) is a continuous range, which a sweep cannot list"),
    # no run at all: was a sweep of 0 runs with exit 0 and an empty sweep folder
    ("years=range(1,1)", "years: range(1,1) lists no value"),
    # one folder for two jobs lost a run; a folder outside the sweep wrote elsewhere
    ("hydra.sweep.subdir=same", "hydra.sweep.subdir: jobs 0 and 1 get the same directory "
                                "'same', so one run would replace the other"),
    ("hydra.sweep.subdir=../escape", "hydra.sweep.subdir: job 0's directory '../escape' is "
                                     "not inside hydra.sweep.dir"),
])
def test_invalid_sweep_fails_before_any_run(tmp_path, bad, words):
    out = tmp_path / "sweep"
    proc = edusim("--multirun", "region=tiny", "years=1", "seed=0,1", bad,
                  f"hydra.sweep.dir={out}")
    assert proc.returncode == 2, proc.stderr
    assert words in proc.stderr
    assert "no run was started" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists() and not any(tmp_path.iterdir())


def test_killed_sweep_resumes_without_losing_finished_runs(tmp_path):
    out = tmp_path / "sweep"
    args = ["--multirun", "region=default", "years=12", "seed=0,1,2,3", "hydra/launcher=serial",
            f"hydra.sweep.dir={out}"]
    proc = subprocess.Popen([sys.executable, "-m", "experiments.run", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 300
        while time.time() < deadline and len(list(out.glob("*/COMPLETE"))) < 1:
            time.sleep(0.05)
        # let the next run start, then kill the sweep mid-run
        while time.time() < deadline and not (out / str(len(list(out.glob("*/COMPLETE"))))).exists():
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finished = sorted(p.parent.name for p in out.glob("*/COMPLETE"))
    assert 1 <= len(finished) < 4, finished
    for name in finished:  # finished runs are whole
        pd.read_parquet(out / name / "timeseries.parquet")
    stamps = {n: (out / n / "timeseries.parquet").stat().st_mtime_ns for n in finished}

    again = edusim(*args)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("already holds this finished run; skipped") == len(finished)
    assert sorted(p.parent.name for p in out.glob("*/COMPLETE")) == ["0", "1", "2", "3"]
    for name, stamp in stamps.items():  # not redone
        assert (out / name / "timeseries.parquet").stat().st_mtime_ns == stamp
    assert not list(out.glob("*/.*.tmp-*"))


def _descendants(pid: int) -> list[int]:
    """Process ids of every descendant of ``pid`` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out += kids
        todo += kids
    return out


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not exited (a zombie has)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="reads processes from /proc")
def test_killed_sweep_leaves_no_worker_running(tmp_path):
    # SIGKILL cannot be passed on to the joblib workers: they notice their launcher is gone
    # (hydra_plugins/edusim_sweeper/_worker.watch_launcher), stop their jobs and exit
    out = tmp_path / "sweep"
    args = ["--multirun", "region=default", "years=200", "seed=0,1", "hydra.launcher.n_jobs=2",
            f"hydra.sweep.dir={out}"]
    proc = subprocess.Popen([sys.executable, "-m", "experiments.run", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 120
        workers: list[int] = []
        while time.time() < deadline:
            workers = [p for p in _descendants(proc.pid)
                       if b"loky" in Path(f"/proc/{p}/cmdline").read_bytes()]
            if len(workers) >= 2 and (out / "0").is_dir() and (out / "1").is_dir():
                break
            time.sleep(0.1)
        time.sleep(1.0)  # both jobs are running (200 years take far longer)
        processes = _descendants(proc.pid)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert len(workers) >= 2 and set(workers) <= set(processes)
    killed_at = time.time()
    while time.time() < killed_at + 10 and any(_running(p) for p in processes):
        time.sleep(0.1)
    left = [p for p in processes if _running(p)]
    for p in left:  # tidy up after a failure
        os.kill(p, signal.SIGKILL)
    assert not left, f"still running 10 s after the sweep was killed: {left}"
    assert not list(out.glob("*/COMPLETE"))  # stopped mid-run, not run to the end
    assert not list(out.glob("*/.*.tmp-*"))  # no half-written file left behind


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                    reason="Ray comes with the cluster extra (installed by the test extra)")
def test_ray_launcher_against_a_local_head(tmp_path, ray_head):
    """A tiny sweep on a Ray head on 127.0.0.1 (conftest.ray_head) with edusim's Ray
    launcher (hydra/launcher=ray_cluster) equals the serial one."""
    address, env = ray_head
    out = tmp_path / "sweep"
    proc = edusim("--multirun", "region=tiny", "years=2", "seed=0,1",
                  "hydra/launcher=ray_cluster", f"hydra.launcher.ray.init.address={address}",
                  f"hydra.sweep.dir={out}", env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Ray Launcher is launching 2 jobs" in proc.stdout + proc.stderr
    ray_tables = _tables(out)
    basic = edusim("--multirun", "region=tiny", "years=2", "seed=0,1",
                   "hydra/launcher=serial", f"hydra.sweep.dir={tmp_path / 'basic'}")
    assert basic.returncode == 0
    basic_tables = _tables(tmp_path / "basic")
    assert len(ray_tables) == 2
    for key in ray_tables:
        pd.testing.assert_frame_equal(ray_tables[key], basic_tables[key])


def _loader_and_master(*sweep_args: str):
    """Hydra's config loader for the edusim configs and the master config of a multirun
    with ``sweep_args`` (as ``edusim --multirun`` composes it)."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra._internal.utils import create_config_search_path
    from hydra.core.plugins import Plugins
    from hydra.types import RunMode

    register_schema()
    Plugins.instance()  # registers the plugins' configs (launchers, sweepers)
    loader = ConfigLoaderImpl(config_search_path=create_config_search_path(CONFIG_DIR))
    master = loader.load_configuration("config", overrides=list(sweep_args),
                                       run_mode=RunMode.MULTIRUN)
    return loader, master


def test_workstation_launcher_gives_every_job_the_config_hydra_composes():
    # a worker composes the first job of each shape with Hydra and the others from a copy
    # of it: every job's whole config (Hydra's part too) must equal Hydra's own composition
    from hydra.types import HydraContext

    from hydra_plugins.edusim_sweeper import _worker as launcher

    loader, master = _loader_and_master("+policy=teacher_rotation")  # as in the sweep's command
    ctx = HydraContext(config_loader=loader, callbacks=None)
    jobs = [[f"region={r}", "years=0", f"seed={s}", "+policy=teacher_rotation",
             f"policies.teacher_rotation.rate={rate}", "+policies.rural_incentives={}",
             "teachers.rural_allowance=0.25", "compare_baseline=false"]
            for r in ("tiny", "default") for rate in (0.0, 0.3) for s in (0, 1)]
    jobs.append(["region=tiny", "seed=3", "years=2"])
    token = "test-" + os.urandom(4).hex()
    before = len(launcher._COMPOSED)
    for overrides in jobs:
        got = launcher.compose_job(ctx, master, overrides, token)
        want = loader.load_sweep_config(master, list(overrides))
        assert OmegaConf.to_container(got, resolve=False) == OmegaConf.to_container(
            want, resolve=False), overrides
        assert OmegaConf.is_struct(got) and not OmegaConf.is_readonly(got.hydra)
        assert got.hydra.job.override_dirname == want.hydra.job.override_dirname
    mine = [k for k in launcher._COMPOSED if k[0] == token]
    assert len(launcher._COMPOSED) - before == len(mine) == 3  # 3 shapes for 9 jobs


def test_workstation_launcher_composes_in_full_where_overrides_could_interact():
    from hydra_plugins.edusim_sweeper._worker import _plain_positions

    _, master = _loader_and_master()
    shape, _, plain = _plain_positions(master, ["seed=1", "teachers.rural_allowance=0.2"])
    assert shape == ("seed=*", "teachers.rural_allowance=*") and plain == [0, 1]
    # a mapping override of the key's parent, the same key twice, Hydra's own settings
    for overrides in (["teachers.rural_allowance=0.2", "+teachers={rural_allowance: 0.3}"],
                      ["seed=1", "seed=2"],
                      ["hydra.verbose=true", "seed=1"]):
        assert _plain_positions(master, overrides)[2] is None, overrides


def test_workstation_launcher_workers_keep_their_compositions_and_state_across_jobs(
        tmp_path, monkeypatch):
    # in a worker, installing Hydra's state rescans the plugins, executing every plugin
    # module again: the compositions must survive that, the job function must reach the
    # workers by reference (with the module's globals, not a fresh copy per job), and what
    # the jobs of a launch share is unpickled, and the state installed, by a worker's
    # first job of each launch only
    import cloudpickle
    from hydra._internal.callbacks import Callbacks
    from hydra.core.singleton import Singleton
    from hydra.types import HydraContext

    from hydra_plugins.edusim_sweeper import _worker, edusim_launcher

    assert edusim_launcher.execute_job is _worker.execute_job  # what the launcher sends
    assert cloudpickle.loads(cloudpickle.dumps(_worker.execute_job)) is _worker.execute_job
    cache = _worker._COMPOSED
    Singleton.set_state(Singleton.get_state())  # the plugin scan a worker's job runs
    assert _worker._COMPOSED is cache

    loader, master = _loader_and_master(f"hydra.sweep.dir={tmp_path}")
    record = tmp_path / "seen.txt"

    def task(cfg):  # runs in the copy the worker unpickles: it leaves a trace in a file
        with record.open("a") as f:
            f.write(f"{cfg.seed},{cfg.years}\n")

    ctx = HydraContext(config_loader=loader, callbacks=Callbacks())
    shared = cloudpickle.dumps((ctx, master, task, Singleton.get_state()))
    installs = []
    real_set_state = Singleton.set_state
    monkeypatch.setattr(Singleton, "set_state",
                        staticmethod(lambda s: (installs.append(1), real_set_state(s))))
    token = "test-" + os.urandom(4).hex()
    held = []
    for job, launch in enumerate(("launch-a", "launch-a", "launch-a", "launch-b")):
        ret = _worker.execute_job(job, [f"seed={job}", "years=0"], shared, token, launch)
        assert ret.status.name == "COMPLETED" and ret.overrides == [f"seed={job}", "years=0"]
        assert Path(ret.hydra_cfg.hydra.runtime.output_dir) == tmp_path / str(job)
        held.append(_worker._SHARED[launch][0])
    assert record.read_text().split() == ["0,0", "1,0", "2,0", "3,0"]
    assert len(installs) == 2  # once per launch
    assert held[0] is held[1] is held[2] and held[3] is not held[0]  # unpickled per launch
    assert list(_worker._SHARED) == ["launch-b"]  # an earlier launch's objects are dropped
    assert len([k for k in _worker._COMPOSED if k[0] == token]) == 1  # one shape


def test_sweep_validator_finds_what_validating_each_job_in_full_finds():
    # the per-(key, value) shortcut of ValidateSweep gives every job the problems (or none)
    # that building its configuration in full gives
    from experiments.callbacks import JobValidator, sweep_jobs, validate_job

    _, cfg = _loader_and_master("+policy=teacher_rotation", "region=tiny",
                                "policies.teacher_rotation.rate=0.1,0.2", "seed=0,1")
    _, pending = sweep_jobs(cfg)
    pending |= {"years", "teachers.attrition.rural", "compare_baseline", "progress",
                "teachers.rural_allowance", "learning.noise_sd", "figures"}
    validator = JobValidator(cfg, pending)
    jobs = [["policies.teacher_rotation.rate=0.1", "seed=0"],
            ["policies.teacher_rotation.rate=0.1", "seed=1"],  # a known pair again
            ["policies.teacher_rotation.rate=1.5", "seed=0"],  # out of range
            ["policies.teacher_rotation.rate=abc", "seed=0"],  # not a number
            ["policies.teacher_rotation.rate=1", "seed=-3"],  # int for a float; bad seed
            ["policies.teacher_rotation.rate=0.1", "seed=0", "years=9999"],
            ["seed=0", "teachers.attrition.rural=0.9"],
            ["seed=0", "teachers.attrition.rural=0.2", "teachers.rural_allowance=0.3"],
            ["seed=0", "compare_baseline=maybe"],  # not a bool
            ["seed=0", "progress=false", "figures=null"],
            ["seed=0", "figures=1"],  # not a bool
            ["seed=0", "learning.noise_sd=${learning.persistence}"],  # resolves: valid
            ["seed=0", "learning.noise_sd=${years}", "years=30"],  # resolves to 30: too big
            ["seed=0", "+teachers.extra=1"],  # not plain: validated in full
            ["seed=0", "teachers.attrition={rural: 0.9}"]]  # a mapping: in full
    pending.add("teachers.attrition")
    found = 0
    for overrides in jobs:
        want = validate_job(cfg, overrides, pending)
        assert validator.validate(overrides) == want, overrides
        found += bool(want)
    assert found == 9  # the bad jobs above are caught
    # the run resolves interpolations, and so does the check (a valid one passed in error)
    assert validator.validate(["seed=0", "learning.noise_sd=${learning.persistence}"]) == []
    assert validator.validate(["seed=0", "learning.noise_sd=${years}", "years=30"]) == [
        "learning.noise_sd: 30 is outside the allowed range [0.0, 3.0] student SD"]
    assert len(validator._values) < sum(len(j) for j in jobs)  # pairs are reused
