"""The runs of a sweep for :mod:`experiments.aggregate`: finding the complete (and interrupted)
run directories, loading each run, reading its Hydra overrides, and naming the arms (what
distinguishes a run from the others apart from its seed; the rules are in the documentation of
:mod:`experiments.aggregate`).
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
           "AggregateError", "Run", "arm_order", "find_runs", "format_value", "label_arms",
           "load_run", "natural_key", "parse_override", "parse_value", "relative_id",
           "resolve_arm"]

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
    arm: str = ""


def load_run(path: Path, root: Path) -> Run:
    """Read the run in ``path`` (summary, timeseries, overrides, and its own same-seed baseline
    where that belongs to it); raises on a damaged run."""
    summary = json.loads((path / "summary.json").read_text())
    ts = pd.read_parquet(path / "timeseries.parquet")
    if "year" not in ts or ts.empty:
        raise ValueError("timeseries.parquet has no rows or no year column")
    ts = ts.sort_values("year", ignore_index=True)
    base_ts, stale = _verified_baseline(path, summary)
    overrides: dict[str, Any] = {}
    ofile = path / ".hydra" / "overrides.yaml"
    if ofile.is_file():
        import yaml

        for item in yaml.safe_load(ofile.read_text()) or []:
            parsed = parse_override(item)
            if parsed is not None:
                overrides[parsed[0]] = parsed[1]
    policies = (summary.get("config") or {}).get("policies") or summary.get("policies") or {}
    seed = summary.get("seed", overrides.get("seed"))
    years = summary.get("years", int(ts["year"].iloc[-1]))
    return Run(run_id=relative_id(path, root), path=path, seed=int(seed),
               region=summary.get("region"), years=int(years), overrides=overrides,
               summary=summary, ts=ts, base_ts=base_ts, has_policies=bool(policies),
               stale_baseline=stale)


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
    if expected is None or file_fingerprint(base) != expected:
        return None, True
    return pd.read_parquet(base).sort_values("year", ignore_index=True), False


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
