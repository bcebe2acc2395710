"""The checks ``edusim-design`` makes before the first trial, with nothing written yet
(:class:`ValidateDesign`, the callback of configs/optimise.yaml; :func:`design_problems`):
the design block with its search settings; the model's settings (SimConfig's own checks);
the search space (``design.space`` and the command line's search entries, each converted to
its Optuna distribution) and every setting it can suggest — each end of every interval and
range (Optuna's ranges include their stop) and every choice, with the levers through the
policies' own checks; the county, built as the trials build it and simulated for one year
with every lever the search can switch on, so a missing or unreadable table and a condition
or equity measure without a suitable column of the yearly record are found; and the output
folder (:func:`sim.terminal.output_dir_problem`). Any problem stops the command with one
message naming each field (exit 2). A relative ``region.path`` (and the other
:data:`experiments.design.REGION_PATHS`) is read from the folder the command was run from,
as ``edusim`` reads it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from experiments.design import (
    REGION_PATHS,
    check_design,
    design_defaults,
    lever_column,
    one_line,
    parse_condition,
    resolve_region_paths,
)
from experiments.design_space import CLI_SPACE, SEARCH_FIELDS, distribution, space_entries
from sim.config import ConfigError, SimConfig
from sim.terminal import output_dir_problem

__all__ = ["ValidateDesign", "county_problems", "design_problems", "search_space_problems",
           "search_values"]


def _plain(config: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(design block, model settings) of a composed config, as plain dicts (the model
    settings without the run keys, which a trial replaces by design.seeds and
    design.target_year; an integer typed for a true/false setting as typed, so that the
    checks refuse it, :func:`experiments.hydra_errors.as_typed`)."""
    from omegaconf import OmegaConf

    from experiments.hydra_errors import as_typed
    from experiments.run import RUN_KEYS, RunConfig

    keys = [k for k in config if k != "hydra"]
    cfg = OmegaConf.to_container(OmegaConf.masked_copy(config, keys), resolve=True)
    task = OmegaConf.select(config, "hydra.overrides.task", default=None) or []
    cfg = as_typed(cfg, task, RunConfig)  # enrolment.expand_capacity=1 as typed, refused
    design = {**design_defaults(), **(cfg.pop("design", None) or {})}
    sim = {k: v for k, v in cfg.items() if k not in RUN_KEYS}
    return design, sim


def _search_entries(config: Any) -> tuple[list[tuple[str, str, Any]], list[str]]:
    """(key, text, parsed override) of each entry of the search: ``design.space``, then the
    command line's search entries (:data:`experiments.design_space.CLI_SPACE`; a later
    entry for a key replaces an earlier one), and the problems of entries that do not parse
    or that name a search setting."""
    from omegaconf import OmegaConf

    space = OmegaConf.select(config, "design.space")
    space = OmegaConf.to_container(space, resolve=True) if space is not None else {}
    entries, problems = space_entries(space, CLI_SPACE)
    kept = []
    for key, text, override in entries:
        parts = key.split(".")
        if parts[0] == "hydra" or (parts[0] == "design" and len(parts) > 1
                                   and parts[1] in (*SEARCH_FIELDS, "objective")):
            problems.append(f"design.space: {key}: {text}: only design.levers.NAME.FIELD, the "
                            "rest of the question and model settings can be searched")
            continue
        kept.append((key, text, override))
    return kept, problems


def search_values(override: Any) -> list[Any]:
    """The values of a search entry a check needs, as the Optuna study suggests them: both
    ends of its distribution (:func:`experiments.design_space.distribution`: a range's stop
    when a whole number of steps reaches it), every choice, or a fixed entry's one value.
    ValueError for a search Optuna refuses."""
    from optuna.distributions import CategoricalDistribution

    dist = distribution(override)
    if dist is None:
        return [override.value()]
    if isinstance(dist, CategoricalDistribution):
        return list(dist.choices)
    return [dist.low, dist.high]


def _set(design: dict[str, Any], sim: dict[str, Any], key: str, value: Any) -> None:
    """Put ``value`` at the dotted ``key`` (``design.…`` in the design block, any other in
    the model settings), as the trial's override will."""
    parts = key.split(".")
    node, rest = (design, parts[1:]) if parts[0] == "design" else (sim, parts)
    if not rest:
        return
    for p in rest[:-1]:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    node[rest[-1]] = value


def _setting_problems(design: dict[str, Any], sim: dict[str, Any]) -> list[str]:
    """Problems of one setting of the search: the design block (the levers through the
    policies' own checks) and the model's settings (SimConfig's own checks)."""
    problems = check_design(design)
    try:
        model = SimConfig.from_dict({**sim, "policies": {}}, validate=False)
    except ConfigError as err:  # an unknown field, a value where a mapping belongs
        return problems + err.messages()
    return problems + model.problems()


def search_space_problems(config: Any) -> list[str]:
    """Problems of the design block, the model's settings and every setting the search can
    suggest, each named once: every end of each interval or range and every choice is tried
    (with the other settings as configured; a lever parameter with its lever on), through
    the same checks as a trial, so a value the model would refuse is reported before any
    trial runs, not once per trial."""
    from experiments.run import RUN_KEYS

    design, sim = _plain(config)
    entries, problems = _search_entries(config)
    searched = [(k, t, o) for k, t, o in entries
                if o.is_sweep_override() and k.split(".")[0] not in RUN_KEYS]
    for key, _, override in entries:  # fixed entries of the space: every trial's
        if not override.is_sweep_override() and key.split(".")[0] not in RUN_KEYS:
            _set(design, sim, key, override.value())
    base = _setting_problems(design, sim)
    problems += base
    if not searched and not problems:
        problems.append("design.space: nothing to search (no choice(...), interval(...) or "
                        "range(...) entry), so every trial would be the same run; pick a "
                        "target (edusim-design +target=default_county) or give the settings "
                        "to search (design.levers.teacher_rotation.rate='interval(0.02,0.3)')")
    if sim.get("policies"):
        problems.append(f"policies: edusim-design switches policies on and off through "
                        f"design.levers.NAME (enabled and parameters); move "
                        f"{', '.join(sorted(sim['policies']))} there")
    for key, text, override in searched:
        try:
            candidates = search_values(override)
        except ValueError as err:
            problems.append(f"{key}: {text}: {err}")
            continue
        parts = key.split(".")
        for v in candidates:
            d, s = json.loads(json.dumps(design)), json.loads(json.dumps(sim))
            _set(d, s, key, v)
            if parts[:2] == ["design", "levers"] and len(parts) == 4 and parts[3] != "enabled":
                d["levers"][parts[2]]["enabled"] = True
            for problem in _setting_problems(d, s):
                line = f"{problem} (search range of {key}: {text})"
                if problem not in base and line not in problems:
                    problems.append(line)
    return problems


def _allowed(name: str, columns: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, columns, n=3, cutoff=0.6)
    return ((f"did you mean {' or '.join(map(repr, close))}? " if close else "")
            + f"allowed: {', '.join(sorted(columns))}")


def county_problems(config: Any) -> list[str]:
    """Problems found by building the county as the trials will and simulating one year
    with every lever the search can switch on: a county table that is missing or unreadable
    (a relative path is read from the directory the command was run from), and conditions
    or an equity measure that name no suitable column of the yearly record. Call it on a
    configuration :func:`search_space_problems` found valid."""
    from omegaconf import OmegaConf

    from sim.county_table import CountyTableError
    from sim.model import EducationModel
    from sim.policies import POLICIES

    design, sim = _plain(config)
    cwd = OmegaConf.select(config, "hydra.runtime.cwd") or os.getcwd()
    region = sim.get("region") or {}
    choice = OmegaConf.select(config, "hydra.runtime.choices.region")
    if choice == "file" and not region.get("path"):
        return ["region.path: required with region=file: the county's school table (CSV or "
                "XLSX), e.g. region.path=examples/county_schools.csv"]
    problems = []
    for name in REGION_PATHS:
        value = region.get(name)
        if not value:
            continue
        path = Path(value) if Path(value).is_absolute() else Path(cwd) / value
        if not path.is_file():
            what = "is a directory" if path.is_dir() else "does not exist"
            where = ("" if Path(value).is_absolute() else
                     f" (a relative path is read from the folder edusim-design was run from, "
                     f"{cwd}; the built-in targets' examples/ tables need the repository "
                     f"root; or give an absolute path)")
            problems.append(f"region.{name}: {value!r} {what}{where}")
    if problems:
        return problems
    entries, _ = _search_entries(config)
    levers = set(design.get("levers") or {}) | {
        k.split(".")[2] for k, _, _ in entries if k.startswith("design.levers.")
        and len(k.split(".")) >= 3}
    # every lever the search may switch on, from year 1, so that all its columns appear
    probe = {name: {"start_year": 1} for name in sorted(levers) if name in POLICIES}
    try:
        cfg = SimConfig.from_dict({**resolve_region_paths(sim, cwd), "policies": probe})
        ts = EducationModel(cfg, rng=int(design["seeds"][0])).run(1).timeseries()
    except CountyTableError as err:
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
        return [f"region.path: {lines[0]}"] + [f"  {ln}" for ln in lines[1:]]
    except ConfigError as err:
        return err.messages()
    except OSError as err:
        return [f"region: {err}"]
    flags = [c for c in ts.columns if ts[c].dtype.kind == "b"
             or (ts[c].dtype == object and ts[c].dropna().map(type).eq(bool).all())]
    numbers = [c for c in ts.columns if ts[c].dtype.kind in "fiu"] + flags
    for i, text in enumerate(design["conditions"]):
        col, op, _ = parse_condition(text)
        if op is None and col not in flags:
            if col in numbers:
                problems.append(f"design.conditions[{i}]: {col!r} is a number, not a true/false "
                                f"column: compare it, e.g. '{col} <= 0.5' (<=, >=, <, >, ==)")
            else:
                problems.append(f"design.conditions[{i}]: {col!r} is not a true/false column "
                                f"of the yearly record; {_allowed(col, flags)}")
        elif op is not None and col not in numbers:
            problems.append(f"design.conditions[{i}]: {col!r} is not a numeric column of the "
                            f"yearly record; {_allowed(col, numbers)}")
    equity = design["equity_measure"]
    measures = [c for c in numbers if c not in flags and not lever_column(c, levers)]
    if equity not in measures:
        problems.append(f"design.equity_measure: {equity!r} is not a numeric column of the "
                        f"yearly record without policies; {_allowed(str(equity), measures)}")
    return problems


def storage_problem(url: Any) -> str | None:
    """Why the study storage ``design.storage`` cannot be used, or None: a URL SQLAlchemy
    cannot read, a database driver that is not installed, or a server that does not answer
    (a connection is opened and closed; nothing is written). An SQLite file is not opened
    (that would make it): its folder must exist."""
    if url is None:
        return None
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

    shown = str(url)
    try:
        parsed = make_url(str(url))
        shown = parsed.render_as_string(hide_password=True)
        if parsed.get_backend_name() == "sqlite":
            folder = Path(parsed.database or ".").absolute().parent
            return None if folder.is_dir() else (
                f"design.storage: {shown}: the folder {folder} of the SQLite file does not exist")
        # a server that drops the packets answers nothing: give up after 15 s (assumption)
        connect = ({"connect_timeout": 15} if parsed.get_backend_name() in
                   ("postgresql", "mysql") else {})
        engine = create_engine(parsed, connect_args=connect)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as err:
        return (f"design.storage: {shown} cannot be used: {_first_line(err)} (an SQLAlchemy "
                "URL with its driver installed, e.g. postgresql+psycopg://user@host/db)")
    try:
        with engine.connect():
            pass
    except (SQLAlchemyError, ImportError) as err:
        cause = getattr(err, "orig", None) or err
        return f"design.storage: cannot open {shown}: {_first_line(cause)}"
    finally:
        engine.dispose()
    return None


def _first_line(err: BaseException) -> str:
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    return lines[0] if lines else type(err).__name__


def design_problems(config: Any, dir_key: str) -> list[str]:
    """Everything checked before the first trial and before anything is written: the
    question, the model's settings, the search space, the county and the condition columns,
    the study storage, and the output folder (``hydra.run.dir``, named ``dir_key`` in the
    message)."""
    from omegaconf import OmegaConf

    problems = search_space_problems(config)
    if not problems:
        problems = county_problems(config)
    storage = storage_problem(OmegaConf.select(config, "design.storage", default=None))
    folder = output_dir_problem(str(OmegaConf.select(config, "hydra.run.dir")), dir_key)
    return problems + [p for p in (storage, folder) if p]


# ------------------------------------------------------------------------------------------
# the Hydra callback
# ------------------------------------------------------------------------------------------
try:
    from hydra.experimental.callback import Callback as _Callback
except ImportError:  # pragma: no cover - Hydra is a dependency
    _Callback = object  # type: ignore[assignment,misc]


def _checked(config: Any, dir_key: str) -> list[str]:
    """:func:`design_problems`; a failure of the check itself stops the command too (exit 1):
    Hydra would turn an exception in a callback into a warning and start the trials."""
    try:
        return design_problems(config, dir_key)
    except Exception as err:
        print(f"edusim-design: the check before the first trial failed (no trial was "
              f"started): {one_line(err)}", file=sys.stderr)
        sys.exit(1)


def _stop(problems: list[str]) -> None:
    """Exit 2 with every problem, when there is any."""
    if problems:
        print("edusim-design: invalid design (no trial was started, nothing was written):\n  "
              + "\n  ".join(problems), file=sys.stderr)
        sys.exit(2)


def _dir_key(config: Any) -> str:
    """The output folder's option as the user gave it: ``hydra.run.dir`` when the command
    line sets it, else ``hydra.sweep.dir`` (which ``hydra.run.dir`` follows)."""
    from omegaconf import OmegaConf

    given = OmegaConf.select(config, "hydra.overrides.hydra") or []
    return ("hydra.run.dir" if any(str(o).startswith("hydra.run.dir=") for o in given)
            else "hydra.sweep.dir")


#: the run keys of ``edusim`` that a trial sets itself, and what it does instead
TRIAL_SETS = {
    "seed": "a trial runs every seed in design.seeds",
    "years": "a trial runs to design.target_year",
    "figures": "a trial draws no figure (the report draws the search's)",
    "progress": "the search prints one line per trial",
    "compare_baseline": "a trial is always compared with its same-seed baseline",
}


def ignored_overrides(config: Any) -> list[str]:
    """A warning for each command-line override of a key a trial sets itself
    (:data:`TRIAL_SETS`): it would otherwise be dropped without a word."""
    from omegaconf import OmegaConf

    out = []
    for override in OmegaConf.select(config, "hydra.overrides.task") or []:
        key = str(override).partition("=")[0].lstrip("+~")
        if key in TRIAL_SETS:
            out.append(f"{override} has no effect in edusim-design: {TRIAL_SETS[key]}")
    return out


class ValidateDesign(_Callback):
    """Before the first trial: the design block, the model's settings, the whole search
    space, the county and the output folder are valid (:func:`design_problems`); a run key
    that a trial sets itself, given on the command line, is named in a warning
    (:func:`ignored_overrides`)."""

    def on_run_start(self, config: Any, **kwargs: Any) -> None:
        _stop(_checked(config, _dir_key(config)))
        for line in ignored_overrides(config):
            print(f"edusim-design: warning: {line}", file=sys.stderr)
