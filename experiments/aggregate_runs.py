"""The runs of a sweep for :mod:`experiments.aggregate`: finding the complete (and interrupted)
run directories, loading each run, reading its Hydra overrides, and naming the arms (what
distinguishes a run from the others apart from its seed; the rules are in the documentation of
:mod:`experiments.aggregate`).

Every file of a run that the aggregate reads is checked against the run's ``summary.json``:
``timeseries.parquet`` must carry the fingerprint summary.json names (``fingerprint``,
:func:`sim.results.file_fingerprint`), the baseline file that of the run's own same-seed
baseline. A run whose files cannot be read, or whose ``timeseries.parquet`` belongs to
another run, raises :class:`RunFileError`, which says in plain words which file and why.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.behaviour import recorded_behaviour
from sim.results import BASELINE_FILE, baseline_fingerprint, file_fingerprint

__all__ = ["BASELINE", "CONTEXT_KEYS", "MANIFEST", "NEUTRAL_GROUPS", "RUN_FILES", "RUN_OPTIONS",
           "AggregateError", "Run", "RunFileError", "arm_order", "find_runs", "format_value",
           "label_arms", "load_run", "natural_key", "parse_override", "parse_value",
           "relative_id", "resolve_arm"]

#: the file that marks a directory as an aggregate output (written last)
MANIFEST = "manifest.json"
#: the arm of the runs with no parameter and no policy
BASELINE = "baseline"

#: overrides that never define an arm (and are not parameter columns)
RUN_OPTIONS = frozenset({"seed", "figures", "progress", "compare_baseline"})
#: config groups that describe how a sweep is run, not what is simulated
NEUTRAL_GROUPS = frozenset({"sweep"})
#: taken from summary.json; part of the arm label only when they differ between runs
CONTEXT_KEYS = ("region", "years")
#: files whose presence marks a directory as a (possibly interrupted) run
RUN_FILES = ("summary.json", "timeseries.parquet", "schools.parquet",
             "baseline_timeseries.parquet", "equity.png")


class AggregateError(Exception):
    """A sweep directory that cannot be aggregated (missing, or no complete run)."""


class RunFileError(Exception):
    """A file of a complete run that cannot be used: missing, empty, damaged, not of the
    expected form, or written by another run. The message begins with the file's name (relative
    to the run directory) and says why in plain words; the run is left out of the aggregate."""


# ---------------------------------------------------------------------------------------------
# overrides


def parse_value(text: str) -> Any:
    """A Hydra override value as int, float, bool or None where it reads as one, else the
    string (outer quotes removed)."""
    s = text.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1]
    low = s.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    if low == "null":
        return None
    try:
        return int(s)
    except ValueError:
        pass
    try:
        value = float(s)
    except ValueError:
        return s
    return value if math.isfinite(value) else s


def parse_override(override: str) -> tuple[str, Any] | None:
    """``'+policies.x.rate=0.2'`` → ``('policies.x.rate', 0.2)``; deletions (``~key``) and
    malformed entries give None."""
    s = str(override).strip()
    if s.startswith("~") or "=" not in s:
        return None
    key, value = s.split("=", 1)
    key = key.lstrip("+").strip()
    if not key:
        return None
    key = key.split("@", 1)[0]  # group@package=option
    return key, parse_value(value)


def format_value(value: Any) -> str:
    """An override value written back as in an arm label (``true``, ``null``, ``0.1`` …)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _is_arm_key(key: str, value: Any) -> bool:
    if key in RUN_OPTIONS or key.startswith("hydra.") or key.startswith("hydra/") \
            or key == "hydra" or key in NEUTRAL_GROUPS:
        return False
    return not (key == "experiment" and value == BASELINE)


# ---------------------------------------------------------------------------------------------
# discovery


def find_runs(sweep_dir: str | os.PathLike) -> tuple[list[Path], list[Path]]:
    """(complete, incomplete) run directories under ``sweep_dir``, sorted. A directory with a
    COMPLETE marker is a run (not searched further); one with ``.hydra/`` or a run's files but
    no marker is an incomplete run. Hidden directories and earlier aggregate outputs are
    skipped."""
    root = Path(sweep_dir)
    complete: list[Path] = []
    incomplete: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        names = set(filenames)
        if "COMPLETE" in names:
            complete.append(here)
            dirnames[:] = []
            continue
        if (here / ".hydra").is_dir() or names & set(RUN_FILES) or \
                any(n.startswith(".") and ".tmp-" in n for n in names):
            incomplete.append(here)
            dirnames[:] = []
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and not (here / d / MANIFEST).is_file())
    return sorted(complete, key=natural_key), sorted(incomplete, key=natural_key)


def natural_key(path: Path) -> list[Any]:
    """Sort key of a path with its digit runs compared as numbers (``run2`` before ``run10``)."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(path))]


def relative_id(path: Path, root: Path) -> str:
    """The run id of ``path``: its POSIX path relative to ``root`` (``.`` for the root)."""
    rel = path.relative_to(root).as_posix()
    return rel or "."


@dataclass
class Run:
    """One complete run as loaded by :func:`load_run`; ``arm`` is set by :func:`label_arms`."""

    run_id: str
    path: Path
    seed: int
    region: str | None
    years: int
    overrides: dict[str, Any]
    summary: dict[str, Any]
    ts: pd.DataFrame
    base_ts: pd.DataFrame | None
    has_policies: bool
    #: a baseline file was in the run directory but belongs to another run (refused)
    stale_baseline: bool = False
    #: neither summary.json nor timeseries.parquet carries a fingerprint (written before
    #: edusim stored them), so that they could not be checked against each other
    unchecked: bool = False
    arm: str = ""


def load_run(path: Path, root: Path) -> Run:
    """Read the run in ``path`` (summary, timeseries, overrides, and its own same-seed baseline
    where that belongs to it). Raises :class:`RunFileError` for a damaged run and for one whose
    ``timeseries.parquet`` carries another fingerprint than its ``summary.json`` (a file left
    by another run or configuration)."""
    summary = _read_json(path / "summary.json")
    if not isinstance(summary, dict):
        raise RunFileError(f"summary.json holds {_json_kind(summary)}, not a run's summary "
                           "(a JSON object)")
    for key in ("config", "policies", "vs_baseline"):
        if summary.get(key) is not None and not isinstance(summary[key], dict):
            raise RunFileError(f"summary.json: {key} holds {_json_kind(summary[key])}, not a "
                               "mapping")
    ts, fingerprint = _read_parquet(path / "timeseries.parquet")
    checked = _check_fingerprint("timeseries.parquet", fingerprint, summary.get("fingerprint"))
    if "year" not in ts or ts.empty:
        raise RunFileError("timeseries.parquet has no rows or no year column")
    ts = ts.sort_values("year", ignore_index=True)
    base_ts, stale = _verified_baseline(path, summary)
    overrides: dict[str, Any] = {}
    ofile = path / ".hydra" / "overrides.yaml"
    if ofile.is_file():
        for item in _read_overrides(ofile):
            parsed = parse_override(item)
            if parsed is not None:
                overrides[parsed[0]] = parsed[1]
    config = summary.get("config") or {}
    policies = config.get("policies") or summary.get("policies") or {}
    if not isinstance(policies, dict):
        raise RunFileError(f"summary.json: config.policies holds {_json_kind(policies)}, not a "
                           "mapping")
    seed = _whole_number(summary.get("seed", overrides.get("seed")), "seed")
    years = _whole_number(summary.get("years", ts["year"].iloc[-1]), "years")
    return Run(run_id=relative_id(path, root), path=path, seed=seed,
               region=summary.get("region"), years=years, overrides=overrides,
               summary=summary, ts=ts, base_ts=base_ts, has_policies=bool(policies),
               stale_baseline=stale, unchecked=not checked)


def _json_kind(value: Any) -> str:
    """What a JSON value is, in words (``a JSON list``, ``null`` ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list):
        return "a JSON list"
    return "a JSON object"


def _whole_number(value: Any, key: str) -> int:
    """``value`` (summary.json's ``seed`` or ``years``) as an int; :class:`RunFileError` if it
    is missing or not a whole number."""
    if value is None:
        raise RunFileError(f"summary.json names no {key}")
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (float, np.floating)) and math.isfinite(value) \
            and float(value).is_integer():
        return int(value)
    raise RunFileError(f"summary.json: {key} {value!r} is not a whole number")


def _unreadable(name: str, err: OSError) -> RunFileError:
    if isinstance(err, FileNotFoundError):
        return RunFileError(f"{name} is missing")
    return RunFileError(f"{name} cannot be read ({err.strerror or err})")


def _read_json(path: Path) -> Any:
    """The JSON value in ``path``; :class:`RunFileError` saying why it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RunFileError(f"{path.name} is not text (damaged)") from None
    except OSError as err:
        raise _unreadable(path.name, err) from None
    if not text.strip():
        raise RunFileError(f"{path.name} is empty")
    try:
        return json.loads(text)
    except ValueError as err:
        where = (f": {err.msg} at line {err.lineno}, column {err.colno}"
                 if isinstance(err, json.JSONDecodeError) else "")
        raise RunFileError(f"{path.name} is not valid JSON (cut off or damaged{where})") \
            from None


def _read_parquet(path: Path) -> tuple[pd.DataFrame, str | None]:
    """The table in ``path`` and the fingerprint it carries; :class:`RunFileError` saying why
    it cannot be read."""
    try:
        if path.stat().st_size == 0:
            raise RunFileError(f"{path.name} is empty")
        return pd.read_parquet(path), file_fingerprint(path)
    except RunFileError:
        raise
    except (FileNotFoundError, PermissionError) as err:
        raise _unreadable(path.name, err) from None
    except Exception:  # pyarrow's errors for a cut-off or foreign file
        raise RunFileError(f"{path.name} is not a readable parquet file (cut off or "
                           "damaged)") from None


def _read_overrides(path: Path) -> list[Any]:
    """The list of overrides in a run's ``.hydra/overrides.yaml``."""
    import yaml

    name = ".hydra/overrides.yaml"
    try:
        items = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise RunFileError(f"{name} is not text (damaged)") from None
    except OSError as err:
        raise _unreadable(name, err) from None
    except yaml.YAMLError:
        raise RunFileError(f"{name} is not valid YAML (cut off or damaged)") from None
    if items is None:
        return []
    if not isinstance(items, list):
        raise RunFileError(f"{name} does not hold a list of overrides")
    return items


def _check_fingerprint(name: str, found: str | None, expected: Any) -> bool:
    """Whether the file ``name`` of a run, carrying the fingerprint ``found``, could be checked
    against summary.json's ``expected`` (False: neither has one, as in runs written before
    edusim stored fingerprints). Raises :class:`RunFileError` when they differ: the file was
    written by another run or configuration."""
    if found is None and expected is None:
        return False
    if found == expected:
        return True
    if expected is None:
        why = f"it carries fingerprint {found}, summary.json names none"
    elif found is None:
        why = f"it carries no fingerprint, summary.json names {expected}"
    else:
        why = f"its fingerprint is {found}, summary.json's is {expected}"
    raise RunFileError(f"{name} belongs to another run or configuration ({why}); run it again")


def _verified_baseline(path: Path, summary: dict[str, Any]) -> tuple[pd.DataFrame | None, bool]:
    """The run's same-seed baseline file, if it belongs to this run: its fingerprint must be
    that of the run's own seed, years, model and configuration without policies. Returns (the
    baseline or None, whether a file was there and refused)."""
    base = path / BASELINE_FILE
    if not base.is_file():
        return None, False
    config = summary.get("config")
    try:
        expected = baseline_fingerprint(summary["seed"], summary["years"], config,
                                        recorded_behaviour(summary)) \
            if isinstance(config, dict) else None
    except (KeyError, TypeError, ValueError):
        expected = None
    table, found = _read_parquet(base)
    if expected is None or found != expected:
        return None, True
    if "year" not in table or table.empty:
        raise RunFileError(f"{BASELINE_FILE} has no rows or no year column")
    return table.sort_values("year", ignore_index=True), False


# ---------------------------------------------------------------------------------------------
# arms


def label_arms(runs: list[Run]) -> tuple[list[str], list[str]]:
    """Set each run's arm; return (parameter columns, swept parameters)."""
    keys: list[str] = []  # sorted below
    for r in runs:
        for k, v in r.overrides.items():
            if _is_arm_key(k, v) and k not in CONTEXT_KEYS and k not in keys:
                keys.append(k)
    keys.sort()
    varying_context = [k for k in CONTEXT_KEYS
                       if len({getattr(r, k) for r in runs}) > 1]
    for r in runs:
        parts = {k: r.overrides[k] for k in sorted(keys)
                 if k in r.overrides and _is_arm_key(k, r.overrides[k])}
        for k in varying_context:
            parts[k] = getattr(r, k)
        label = ", ".join(f"{k}={format_value(v)}" for k, v in parts.items())
        if not label:
            label = BASELINE if not r.has_policies else "config policies: " + ", ".join(
                sorted((r.summary.get("config") or {}).get("policies")
                        or r.summary.get("policies") or {}))
        r.arm = label
    param_columns = keys + list(CONTEXT_KEYS)
    swept = []
    for k in keys + varying_context:
        values = {_hashable(getattr(r, k) if k in CONTEXT_KEYS else r.overrides.get(k))
                  for r in runs}
        values.discard(None)
        if len(values) > 1:
            swept.append(k)
    return param_columns, swept


def _hashable(v: Any) -> Any:
    return json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v


def _sort_key(v: Any) -> tuple:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return (2, 0)
    if isinstance(v, (bool, np.bool_)):
        return (0, float(v))
    if isinstance(v, (int, float, np.integer, np.floating)):
        return (0, float(v))
    return (1, str(v))


def arm_order(runs: list[Run], keys: list[str]) -> dict[str, int]:
    """Rank of each arm: the baseline first, then by the values of the parameters ``keys``
    (numbers before text before missing), then by label."""
    firsts: dict[str, Run] = {}
    for r in runs:
        firsts.setdefault(r.arm, r)

    def key(arm: str) -> tuple:
        r = firsts[arm]
        vals = tuple(_sort_key(getattr(r, k) if k in CONTEXT_KEYS else r.overrides.get(k))
                     for k in keys)
        return (arm != BASELINE, vals, arm)

    return {arm: i for i, arm in enumerate(sorted(firsts, key=key))}


def _arm_parts(label: str) -> dict[str, Any] | None:
    """``'a=0.10, b=x'`` → ``{'a': 0.1, 'b': 'x'}``; None when it is not of that form."""
    parts: dict[str, Any] = {}
    for item in label.split(","):
        parsed = parse_override(item)
        if parsed is None:
            return None
        parts[parsed[0]] = parsed[1]
    return parts


def resolve_arm(name: str, arms: list[str], option: str = "arm") -> str:
    """The arm among ``arms`` that ``name`` names: its exact label, or the same ``key=value``
    pairs in any order and number format. Raises :class:`AggregateError` listing the arms."""
    if name in arms:
        return name
    want = _arm_parts(name)
    if want is not None:
        hits = [a for a in arms if _arm_parts(a) == want]
        if len(hits) == 1:
            return hits[0]
    raise AggregateError(f"{option}: unknown arm {name!r}; the arms are: "
                         + "; ".join(repr(a) for a in arms))
