"""The search of ``edusim-design``: an Optuna study over the question's levers.

    edusim-design +target=default_county                           # a new folder, 1 worker
    edusim-design +target=default_county design.n_trials=120 \\
        hydra.sweep.dir=multirun/design/plan                        # more trials; resumes
    edusim-design +target=default_county design.objective=pareto    # cost against equity
    optuna-dashboard sqlite:///multirun/design/plan/study.db        # watch it in a browser

The Hydra app (configs/optimise.yaml, single-run mode) composes the question; before the first
trial and before anything is written, :class:`experiments.design_checks.ValidateDesign`
checks it. Then :func:`main` creates, or loads, the Optuna study in ``design.storage``
(default: ``sqlite:///SWEEP_DIR/study.db``; the study's name is ``design.study_name``,
default the target's name) and ``design.n_jobs`` local worker processes each ask the study for
a trial, evaluate it (:func:`experiments.design.evaluate`, into the folder ``SWEEP_DIR/N``
named by the trial's number) and tell the study the result, until ``design.n_trials`` trials
have finished. The report (:mod:`experiments.design_report`) follows.

**The search space** is ``design.space``: one entry per searched setting, keyed by its
dotted name (``design.levers.NAME.FIELD`` or any model setting), with Hydra's sweep syntax
read as Optuna distributions: ``choice(a, b, ...)`` (categorical), ``interval(lo, hi)``
(uniform; ``tag(log, interval(lo, hi))`` log-uniform) and ``range(start, stop[, step])``
(integers or a stepped float; ``stop`` included when a whole number of steps reaches it); any
other value is fixed for every trial. The same syntax on the
command line (``design.levers.teacher_rotation.rate='interval(0.05, 0.2)'``) adds or replaces
an entry (:func:`split_argv`).

**Objectives.** ``min_cost`` and ``max_equity_gain`` are single-objective (minimised: the
cost, or minus the equity gain, of a feasible mix; a penalty above any feasible value,
growing with the shortfall, for an infeasible one). ``pareto`` has two objectives, the cost
(minimised) and the equity gain (maximised), with feasibility as Optuna constraints: the
shortfalls of pass share, quality and, if given, budget, each ≤ 0 when met (the trial's
constraints ``pass_share``, ``quality`` and ``budget``, and its user attribute
``constraint``); the sampler then prefers feasible trials and the report shows the Pareto
front of the feasible mixes. Each finished trial also keeps its whole result (``result``)
and configuration (``config``) as user attributes, so the report can be made from the study
alone, on any machine.

**Reproducible.** The sampler (``design.sampler``: ``tpe``, default, ``nsga2`` or
``random``) is seeded per trial from ``design.sampler_seed`` and the number of trials before
it that did not fail (:class:`TrialSeededSampler`): a serial search (``design.n_jobs=1``)
suggests the same mixes in the same order every time, and resuming an interrupted serial
search gives the mixes of an uninterrupted one. With several workers the order depends on
which finishes first.

**Resume and sharing.** Running the same command into the same folder loads the study:
finished trials count towards ``design.n_trials`` and are not run again; a trial left
running by a process of this machine that no longer exists (Ctrl+C, a killed process) is
marked failed, and its mix is suggested again. Any number of processes or machines can work on
one study by giving the same ``design.storage`` and ``design.study_name`` (e.g. a PostgreSQL
URL, or an SQLite file on a shared disk that supports file locks); each keeps its trials'
folders in its own ``hydra.sweep.dir``, stops once ``n_trials`` trials are finished or under
way, and reports the finished ones (``edusim-design-report`` again when the others finish).
A trial left running by a machine that died counts as under way until it is marked failed
(Optuna: ``study.tell(number, state=TrialState.FAIL)``). A study refuses a question other than
the one it was made for, and a version of the model other than the one that made it (another
behaviour fingerprint, :mod:`sim.behaviour`) (exit 2). Watch a search with ``optuna-dashboard STORAGE`` (the
command prints it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import sys
import time
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from experiments.design import DesignConfig, atomic_json, evaluate, one_line, resolve_region_paths
from experiments.design_space import (
    CLI_SPACE,
    SEARCH_FIELDS,
    space_entries,
    split_space,
    trial_config,
)
from sim.behaviour import BEHAVIOUR, another_model

__all__ = ["SAMPLERS", "STUDY_DB", "STUDY_INFO", "TrialSeededSampler", "fail_interrupted",
           "main", "open_study", "question_key", "run_search", "split_argv", "storage_url",
           "work"]

SAMPLERS = ("tpe", "nsga2", "random")
#: the study's SQLite file in the output folder (when ``design.storage`` is not given)
STUDY_DB = "study.db"
#: where the output folder records its study (storage and name), for the report
STUDY_INFO = "study.json"

#: the feasibility constraints of the ``pareto`` objective (shortfalls, ≤ 0 when met)
CONSTRAINTS = ("pass_share", "quality", "budget")

_HOST = socket.gethostname()


# ------------------------------------------------------------------------------------------
# the sampler and the study
# ------------------------------------------------------------------------------------------
def _named_constraints() -> bool:
    """Whether this Optuna sets named constraints on a trial (``Trial.set_constraint``,
    Optuna 5; before, the sampler's ``constraints_func``)."""
    import optuna

    return hasattr(optuna.trial.Trial, "set_constraint")


def _sampler(kind: str, seed: int, startup: int, pareto: bool) -> Any:
    import optuna

    constraints = _constraints if pareto and not _named_constraints() else None
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if kind == "nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed, constraints_func=constraints)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup,
                                      constraints_func=constraints)


def _constraints(trial: Any) -> list[float]:
    """The feasibility constraints of a finished trial (each ≤ 0 when met)."""
    return list(trial.user_attrs.get("constraint", [1.0]))


def _live_states() -> tuple[Any, ...]:
    from optuna.trial import TrialState

    return (TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING)


try:
    from optuna.samplers import BaseSampler as _BaseSampler
except ImportError:  # pragma: no cover - optuna is a dependency
    _BaseSampler = object  # type: ignore[assignment,misc]


class TrialSeededSampler(_BaseSampler):
    """A sampler (``design.sampler``) seeded afresh for every trial from ``seed`` and the
    number of trials before it that have not failed: the same history gives the same
    suggestion, so a serial search repeats itself, and the trial after an interrupted one
    suggests the interrupted mix again."""

    def __init__(self, kind: str, seed: int, n_startup_trials: int, pareto: bool) -> None:
        self.kind, self.seed, self.startup, self.pareto = kind, seed, n_startup_trials, pareto
        self._inner = _sampler(kind, seed, n_startup_trials, pareto)

    def before_trial(self, study: Any, trial: Any) -> None:
        import numpy as np

        k = sum(1 for t in study.get_trials(deepcopy=False, states=_live_states())
                if t.number != trial.number)
        seed = int(np.random.SeedSequence([self.seed, k]).generate_state(1)[0])
        self._inner = _sampler(self.kind, seed, self.startup, self.pareto)
        self._inner.before_trial(study, trial)

    def infer_relative_search_space(self, study: Any, trial: Any) -> dict[str, Any]:
        return self._inner.infer_relative_search_space(study, trial)

    def sample_relative(self, study: Any, trial: Any, search_space: Any) -> dict[str, Any]:
        return self._inner.sample_relative(study, trial, search_space)

    def sample_independent(self, study: Any, trial: Any, name: str, dist: Any) -> Any:
        return self._inner.sample_independent(study, trial, name, dist)

    def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
        self._inner.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._inner.reseed_rng()


def storage_url(design: Mapping[str, Any], outdir: Path) -> str:
    """``design.storage``, or the SQLite file ``study.db`` of the output folder."""
    return design.get("storage") or f"sqlite:///{Path(outdir).absolute() / STUDY_DB}"


def _storage(url: str) -> Any:
    import optuna

    kwargs = {"connect_args": {"timeout": 120}} if url.startswith("sqlite") else {}
    return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)


def question_key(cfg: dict[str, Any], dists: Mapping[str, Any]) -> str:
    """What a study is for: the question (model settings and design block without the
    search settings other than the space) and the search space's distributions."""
    from optuna.distributions import distribution_to_json

    q = json.loads(json.dumps(cfg))
    design = q.get("design") or {}
    for name in SEARCH_FIELDS:
        design.pop(name, None)
    for key in ("seed", "years", "figures", "progress", "compare_baseline"):
        q.pop(key, None)
    text = json.dumps({"question": q, "space": {k: distribution_to_json(d)
                                                for k, d in sorted(dists.items())}},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _shown(url: str) -> str:
    """The storage URL as printed: without its password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def _quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


#: the objectives' names (the single objectives include the penalty of infeasible mixes)
_METRICS = {"min_cost": ["cost in million yuan (or penalty)"],
            "max_equity_gain": ["minus the equity gain (or penalty)"],
            "pareto": ["cost in million yuan", "equity gain"]}


def open_study(spec: Mapping[str, Any], create: bool = False) -> Any:
    """The study of ``spec`` (made when ``create``, or loaded), with its seeded sampler.
    A study made for another question, or by another version of the model (its user
    attribute ``model``: the behaviour fingerprint, :mod:`sim.behaviour`), raises
    ValueError."""
    import optuna

    _quiet_optuna()
    design = spec["config"]["design"]
    sampler = TrialSeededSampler(design["sampler"], int(design["sampler_seed"]),
                                 int(design["n_startup_trials"]), spec["pareto"])
    storage = _storage(spec["storage"])
    if not create:
        return optuna.load_study(study_name=spec["study_name"], storage=storage,
                                 sampler=sampler)
    directions = ["minimize", "maximize"] if spec["pareto"] else ["minimize"]
    study = optuna.create_study(storage=storage, study_name=spec["study_name"],
                                sampler=sampler, directions=directions, load_if_exists=True)
    made_for = study.user_attrs.get("question")
    made_by = study.user_attrs.get("model")
    if made_for is None and not study.trials:
        study.set_user_attr("question", spec["question"])
        study.set_user_attr("objective", design["objective"])
        study.set_user_attr("model", BEHAVIOUR)
        study.set_metric_names(_METRICS[design["objective"]])  # as optuna-dashboard shows them
    elif another_model(made_by):
        raise ValueError(
            f"design.study_name: the study {spec['study_name']!r} in {_shown(spec['storage'])} "
            f"was made by {another_model(made_by)}, so its trials' results do not hold for "
            "this one: give a new hydra.sweep.dir, design.study_name or design.storage")
    elif made_for != spec["question"]:
        raise ValueError(
            f"design.study_name: the study {spec['study_name']!r} in {_shown(spec['storage'])} was "
            f"made for another question (objective "
            f"{study.user_attrs.get('objective', '?')}; the target, the model's settings or "
            "the search space differ): give a new hydra.sweep.dir, design.study_name or "
            "design.storage")
    return study


def fail_interrupted(study: Any) -> list[int]:
    """Mark failed each trial left running by a process of this machine that no longer
    exists (an interrupted search); return their numbers."""
    from optuna.trial import TrialState

    gone = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        host, pid = t.user_attrs.get("host"), t.user_attrs.get("pid")
        if host != _HOST or not isinstance(pid, int):
            continue
        try:
            os.kill(pid, 0)
            continue
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        study.tell(t.number, state=TrialState.FAIL)
        gone.append(t.number)
    return gone


# ------------------------------------------------------------------------------------------
# the worker
# ------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _lock(spec: Mapping[str, Any]) -> Iterator[None]:
    """The lock on asking the study for a trial (the count and the ask are one step, so that
    the workers sharing it never start more than ``n_trials``): beside an SQLite study's
    file, else in the output folder (this machine's workers)."""
    import fcntl

    url = str(spec["storage"])
    path = (Path(url.removeprefix("sqlite:///") + ".lock") if url.startswith("sqlite:///")
            else Path(spec["outdir"]) / ".study.lock")
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _say(line: str) -> None:
    print(f"[edusim-design] {line}", file=sys.stderr, flush=True)


def _ask(study: Any, spec: Mapping[str, Any], dists: Mapping[str, Any]) -> Any:
    """The next trial, or None once ``n_trials`` trials have finished or are under way."""
    from optuna.trial import TrialState

    n = int(spec["n_trials"])
    with _lock(spec):
        if len(study.get_trials(deepcopy=False, states=_live_states())) >= n:
            return None
        trial = study.ask(dict(dists))
        trial.set_user_attr("host", _HOST)
        trial.set_user_attr("pid", os.getpid())
    ahead = [t for t in study.get_trials(deepcopy=False, states=_live_states())
             if t.number < trial.number]
    if len(ahead) >= n:  # another machine asked at the same moment
        trial.set_user_attr("error", "not needed: the other trials reached n_trials")
        study.tell(trial, state=TrialState.FAIL)
        return None
    return trial


def work(spec: Mapping[str, Any], stop: Any = None) -> str | None:
    """One worker: ask for trials and evaluate them until ``n_trials`` trials have finished
    or are under way (or ``stop`` is set); the one-line message of a failed trial, else
    None."""
    from optuna.trial import TrialState

    study = open_study(spec)
    outdir = Path(spec["outdir"])
    entries, _ = space_entries(spec["config"]["design"].get("space"))
    dists, fixed = split_space(entries)
    base = trial_config(spec["config"], fixed)
    while stop is None or not stop.is_set():
        trial = _ask(study, spec, dists)
        if trial is None:
            return None
        folder = outdir / str(trial.number)
        label = f"trial {trial.number}"
        cfg = trial_config(base, trial.params)
        try:
            (folder / "FAILED").unlink(missing_ok=True)
            atomic_json(folder / "config.json", cfg)
            result = evaluate(cfg, folder, outdir / "baselines")
        except BaseException as err:  # one readable line for the user, whatever the worker
            message = f"edusim-design: {label} failed: {one_line(err)}"
            with contextlib.suppress(OSError):
                import traceback

                (folder / "FAILED").write_text(message + "\n\n" + traceback.format_exc(),
                                               encoding="utf-8")
                message += f" (details in {folder / 'FAILED'})"
            with contextlib.suppress(Exception):
                trial.set_user_attr("error", message)
                study.tell(trial, state=TrialState.FAIL)
            if not isinstance(err, Exception):
                raise
            return message
        shortfall = result["shortfall"]
        trial.set_user_attr("constraint", [shortfall[k] for k in CONSTRAINTS])
        if spec["pareto"] and _named_constraints():
            for k in CONSTRAINTS:
                trial.set_constraint(k, shortfall[k])
        for name in ("feasible", "pass_share"):
            trial.set_user_attr(name, result[name])
        for name in ("cost_million_yuan", "equity_gain", "quality_change"):
            trial.set_user_attr(name, result[name]["mean"])
        trial.set_user_attr("result", result)
        trial.set_user_attr("config", cfg)
        values = ([result["cost_million_yuan"]["mean"], result["equity_gain"]["mean"]]
                  if spec["pareto"] else result["value"])
        study.tell(trial, values)
        state = "feasible" if result["feasible"] else "infeasible"
        _say(f"{label}: {state}, {result['pass_share']:.0%} of seeds meet the target, cost "
             f"{result['cost_million_yuan']['mean']:.1f} million yuan, "
             f"{result['equity_measure']} gain {result['equity_gain']['mean']:+.3f}"
             f"{' (read back)' if result['cached'] else ''}")
    return None


def _worker(spec: dict[str, Any], stop: Any, queue: Any, index: int) -> None:
    """A worker process: :func:`work`, its outcome put on ``queue``."""
    try:
        message = work(spec, stop)
    except BaseException as err:
        message = f"edusim-design: a worker failed: {one_line(err)}"
    queue.put((index, message))


def run_search(spec: dict[str, Any]) -> str | None:
    """``n_jobs`` workers on the study (in this process when there is one); the first
    failure's message stops the others after their current trial. The worker processes
    ignore Ctrl+C: this process ends them and their trials are marked failed
    (:func:`fail_interrupted`)."""
    n_jobs = int(spec["config"]["design"]["n_jobs"])
    if n_jobs == 1:
        return work(spec)
    import multiprocessing as mp
    import queue as queues
    import signal

    ctx = mp.get_context("spawn")
    stop, queue = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(spec, stop, queue, i), daemon=False)
             for i in range(n_jobs)]
    failure = None
    pending = set(range(n_jobs))
    try:
        handler = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the workers
        try:
            for i, p in enumerate(procs):
                p.start()
                if i == 0:
                    time.sleep(0.2)  # the first one opens the study file
        finally:
            signal.signal(signal.SIGINT, handler)
        while pending:
            try:
                index, message = queue.get(timeout=1.0)
            except queues.Empty:
                gone = [i for i in pending if procs[i].exitcode is not None]
                if not gone:
                    continue
                time.sleep(0.5)  # its message may still be on its way
                if not queue.empty():
                    continue
                index = gone[0]
                message = (f"edusim-design: worker process {index + 1} ended unexpectedly "
                           f"(exit code {procs[index].exitcode})")
            pending.discard(index)
            if message and failure is None:
                failure = message
                stop.set()
    except KeyboardInterrupt:
        for p in procs:
            if p.is_alive():
                p.terminate()
        raise
    finally:
        for p in procs:
            p.join()
    return failure


# ------------------------------------------------------------------------------------------
# the command
# ------------------------------------------------------------------------------------------
_MOVED = {
    "hydra.sweeper.n_trials": "design.n_trials", "hydra.sweeper.n_jobs": "design.n_jobs",
    "hydra.sweeper.sampler.seed": "design.sampler_seed",
    "hydra.sweeper.sampler.n_startup_trials": "design.n_startup_trials",
    "hydra.sweeper.params": "design.space",
}


def split_argv(argv: list[str], groups: set[str]) -> tuple[list[str], dict[str, str],
                                                            list[str]]:
    """(the arguments for Hydra, the search entries of the command line, problems): an
    argument ``KEY=choice(...)``, ``KEY=interval(...)``, ``KEY=range(...)`` or ``KEY=a,b``
    for a setting (not a config group or a ``hydra.`` key) is a search entry; the settings
    of the former Hydra sweeper and a launcher are named with what replaced them."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    keep, cli, problems = [], {}, []
    for arg in argv:
        if arg in ("-m", "--multirun"):
            problems.append(f"{arg}: edusim-design runs its trials itself (design.n_trials, "
                            "design.n_jobs); leave it out")
            continue
        if arg.startswith("-") or "=" not in arg:
            keep.append(arg)
            continue
        key = arg.partition("=")[0].lstrip("+~")
        moved = next((new for old, new in _MOVED.items()
                      if key == old or key.startswith(old + ".")), None)
        if moved or key.startswith("hydra.sweeper") or key == "hydra/sweeper":
            problems.append(f"{key}: the search is set in the design block now ("
                            f"{moved or 'design.n_trials, design.n_jobs, design.space, ...'})")
            continue
        if key in ("hydra/launcher", "hydra.launcher") or key.startswith("hydra.launcher."):
            problems.append(f"{key}: edusim-design runs design.n_jobs worker processes; on "
                            "more machines, start it on each with the same design.storage")
            continue
        try:
            override = parser.parse_override(arg)
        except Exception:
            keep.append(arg)  # Hydra says what is wrong with it
            continue
        if (override.is_sweep_override() and key.split(".")[0] != "hydra"
                and key not in groups and override.package is None):
            cli[key] = arg.partition("=")[2].strip()
            continue
        keep.append(arg)
    return keep, cli, problems


def main() -> None:
    """Console entry point (``edusim-design``): the Hydra app that composes the question
    (configs/optimise.yaml; :class:`~experiments.design_checks.ValidateDesign` checks it
    first), then the study's search and the report."""
    from dataclasses import dataclass, field

    import hydra
    from hydra.core.config_store import ConfigStore
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import DictConfig, OmegaConf
    from optuna.trial import TrialState

    from experiments.hydra_errors import run_app
    from experiments.run import CONFIG_DIR, RunConfig

    @dataclass
    class DesignRunConfig(RunConfig):
        design: DesignConfig = field(default_factory=DesignConfig)

    ConfigStore.instance().store(name="edusim_design_schema", node=DesignRunConfig)
    groups = {p.name for p in Path(CONFIG_DIR).iterdir() if p.is_dir()}
    argv, cli, problems = split_argv(sys.argv[1:], groups)
    if problems:
        print("edusim-design: invalid design (no trial was started, nothing was written):\n  "
              + "\n  ".join(problems), file=sys.stderr)
        sys.exit(2)
    CLI_SPACE.clear()
    CLI_SPACE.update(cli)
    sys.argv = sys.argv[:1] + argv

    @hydra.main(config_path=CONFIG_DIR, config_name="optimise", version_base="1.3")
    def _search(cfg: DictConfig) -> None:
        hc = HydraConfig.get()
        outdir = Path(hc.runtime.output_dir)
        container = resolve_region_paths(OmegaConf.to_container(cfg, resolve=True),
                                         hc.runtime.cwd)
        design = container["design"]
        design["space"] = {**(design.get("space") or {}), **CLI_SPACE}
        dists, _ = split_space(space_entries(design["space"])[0])
        spec = {
            "config": container, "outdir": str(outdir),
            "storage": storage_url(design, outdir),
            "study_name": design.get("study_name") or hc.runtime.choices.get("target")
            or "design",
            "n_trials": int(design["n_trials"]), "pareto": design["objective"] == "pareto",
            "question": question_key(container, dists),
        }
        try:
            study = open_study(spec, create=True)
        except ValueError as err:
            print(f"edusim-design: invalid design (no trial was started):\n  {err}",
                  file=sys.stderr)
            sys.exit(2)
        atomic_json(outdir / STUDY_INFO, {"storage": spec["storage"],
                                          "study_name": spec["study_name"]})
        for number in fail_interrupted(study):
            _say(f"trial {number} was interrupted (its process has gone): marked failed; "
                 "its mix is suggested again")
        done = sum(1 for t in study.get_trials(deepcopy=False, states=_live_states()))
        shown = _shown(spec["storage"])
        _say(f"{spec['n_trials']} trials ({done} finished or under way) into {outdir}; study "
             f"{spec['study_name']!r} in {shown} (watch it: optuna-dashboard {shown})")
        try:
            failure = run_search(spec)
        except KeyboardInterrupt:
            with contextlib.suppress(Exception):
                fail_interrupted(study)
            print(f"\nedusim-design: interrupted; the same command resumes the study in "
                  f"{outdir}", file=sys.stderr)
            sys.exit(130)
        if failure:
            print(failure, file=sys.stderr)
            sys.exit(1)
        running = len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))
        if running:
            _say(f"{running} trials are still under way in other processes: the report has "
                 f"the finished ones (edusim-design-report {outdir} again when they finish)")
        _report(outdir)

    run_app("edusim-design", _search, DesignRunConfig)


def _report(outdir: Path) -> None:
    """The report at the end of the search (exit 1 when it cannot be made)."""
    from experiments.design_report import os_reason, report

    try:
        summary = report(outdir, quiet=False)
    except FileNotFoundError as err:
        print(f"edusim-design: {err}", file=sys.stderr)
        sys.exit(1)
    except OSError as err:
        print(f"edusim-design: cannot write the report to {outdir / 'design'}: "
              f"{os_reason(err)}", file=sys.stderr)
        sys.exit(1)
    except Exception as err:
        print(f"edusim-design: the report failed ({one_line(err)}); the trials are kept in "
              f"{outdir}", file=sys.stderr)
        sys.exit(1)
    verdict = "a feasible mix was found" if summary["feasible"] else "INFEASIBLE target"
    _say(f"{verdict}; report in {outdir / 'design'}")


if __name__ == "__main__":
    main()
