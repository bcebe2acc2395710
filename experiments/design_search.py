"""The search of ``edusim-design``: an Optuna study over the question's levers.

The command (:mod:`experiments.design_command`) composes and checks the question; then it
creates, or loads, the Optuna study in ``design.storage``
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
an entry (:func:`experiments.design_command.split_argv`).

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

from experiments.design import atomic_json, evaluate, one_line
from experiments.design_space import (
    SEARCH_FIELDS,
    space_entries,
    split_space,
    trial_config,
)
from sim.behaviour import BEHAVIOUR, another_model

__all__ = ["SAMPLERS", "STUDY_DB", "STUDY_INFO", "TrialSeededSampler", "fail_interrupted",
           "live_states", "open_study", "question_key", "run_search", "say", "shown_storage",
           "storage_url", "work"]

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


def live_states() -> tuple[Any, ...]:
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

        k = sum(1 for t in study.get_trials(deepcopy=False, states=live_states())
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


def shown_storage(url: str) -> str:
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
            f"design.study_name: the study {spec['study_name']!r} in {shown_storage(spec['storage'])} "
            f"was made by {another_model(made_by)}, so its trials' results do not hold for "
            "this one: give a new hydra.sweep.dir, design.study_name or design.storage")
    elif made_for != spec["question"]:
        raise ValueError(
            f"design.study_name: the study {spec['study_name']!r} in {shown_storage(spec['storage'])} was "
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


def say(line: str) -> None:
    print(f"[edusim-design] {line}", file=sys.stderr, flush=True)


def _ask(study: Any, spec: Mapping[str, Any], dists: Mapping[str, Any]) -> Any:
    """The next trial, or None once ``n_trials`` trials have finished or are under way."""
    from optuna.trial import TrialState

    n = int(spec["n_trials"])
    with _lock(spec):
        if len(study.get_trials(deepcopy=False, states=live_states())) >= n:
            return None
        trial = study.ask(dict(dists))
        trial.set_user_attr("host", _HOST)
        trial.set_user_attr("pid", os.getpid())
    ahead = [t for t in study.get_trials(deepcopy=False, states=live_states())
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
        say(f"{label}: {state}, {result['pass_share']:.0%} of seeds meet the target, cost "
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
