"""``edusim-aggregate``: collect the runs of a sweep into tidy tables with intervals across seeds.

    edusim-aggregate multirun/2026-11-23/10-44-30            # writes .../aggregate/
    edusim-aggregate SWEEP_DIR --out results/rotation         # writes results/rotation/aggregate/

Every directory under SWEEP_DIR (searched recursively) that holds a ``COMPLETE`` marker is one
run (see :mod:`sim.results`). Directories that look like runs (``.hydra/``, ``summary.json``,
``timeseries.parquet`` …) but have no marker were interrupted: they are left out, counted and
listed. A run's *arm* is what distinguishes it from the other runs apart from its seed: its
Hydra overrides (``.hydra/overrides.yaml``) without ``seed``, the run options (``figures``,
``progress``, ``compare_baseline``), ``hydra…`` settings and the ``sweep`` config group;
``region`` and ``years`` count only when they differ between runs. A run with nothing left and
no policy is in the arm ``baseline`` (so is ``experiment=baseline``).

Files written to ``OUT/aggregate/`` (every file atomically: temp file + rename; the manifest
last):

``runs.parquet``
    One row per run and year: ``run_id`` (the run directory relative to SWEEP_DIR), ``arm``,
    ``seed``, one column per override key (``policies.teacher_rotation.rate`` …, parsed to
    number or bool where possible; missing where a run does not set it), ``region``,
    ``years``, then every column of the run's ``timeseries.parquet`` (``year`` first). A
    parameter whose name clashes with one of those columns is called ``param.<key>``.
``per_run.parquet`` / ``per_run.csv``
    One row per run: identity and parameters, ``last_year``, the first year each official
    standard is met (``first_pass_quality``, ``first_pass_basic`` and per level; missing =
    never within the run), ``total_policy_cost_yuan`` (sum of the policies' costs),
    the ``reference`` the run is compared with, and at the last year ``change_<measure>``
    (run − reference; for equity measures negative = more equal) and
    ``gain_per_million_yuan_<measure>`` ((reference − run) / policy cost in million yuan, only
    where the cost is > 0), plus ``change_total_spending_yuan`` (all county spending summed
    over the years, run − reference).
``summary.parquet`` / ``summary.csv``
    Long format, one row per arm, year and key metric (:func:`key_metrics`): ``arm``, the
    parameter columns, ``year``, ``metric``, ``n`` (seeds with a value), ``mean``, ``sd``
    (across seeds, ddof=1), ``ci_low``, ``ci_high``. Verdict columns (``quality_passed`` …)
    are averaged as 0/1, i.e. the share of seeds that pass in that year.
``last_year.csv``
    The rows of ``summary`` at each arm's last year.
``arms.parquet`` / ``arms.csv``
    One row per arm (baseline first, then by parameter values): parameters, ``n_runs``,
    ``seeds``, ``reference``, ``last_year``; per standard (``quality``, ``basic`` and per level)
    ``first_pass_<standard>_median`` (median over seeds, a never-passing seed counting as
    later than any year; missing when the median seed never passes) and
    ``first_pass_<standard>_share`` (share of seeds that ever pass);
    ``total_policy_cost_yuan_mean`` with its interval; and for the headline measures the
    mean, ``ci_low``, ``ci_high`` of ``change_<m>`` and ``gain_per_million_yuan_<m>``.
``effects.parquet`` / ``effects.csv``
    Long format, one row per arm, kind (``change``, ``gain_per_million_yuan``,
    ``total_policy_cost_yuan``) and measure: ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high``.
``manifest.json``
    The sweep directory, run ids, incomplete and unreadable runs, arms, parameters, warnings
    and the files above; written last.

**Intervals.** 95% t-interval of the mean across seeds: mean ± t(0.975, n−1)·sd/√n. With a
single seed (n = 1) the interval is undefined and written as missing (NaN). The interval
covers the randomness of the simulation only (the seeds), not parameter uncertainty.

**Reference for changes.** If the sweep has an arm ``baseline`` (no policy), each run is
compared with the baseline run of the same seed (common random numbers; same region and
years). A run without such a partner is compared with its own same-seed baseline written by
``edusim`` when policies are on (``baseline_timeseries.parquet``, or ``vs_baseline`` in
``summary.json``). Otherwise it has no reference and its changes are missing. The
``reference`` column says which was used (``self`` for the baseline arm itself).

**A named reference arm** (``--reference ARM``, e.g. ``--reference
"teachers.rural_allowance=0.1"`` in a sweep of an ordinary parameter): each run is compared with
the run of that arm with the same seed (same region and years) instead; a run without one has
no reference (``none``). ``reference`` then names the arm (``self`` in the reference arm), the
effects table gains a ``reference`` column, and the cost behind ``gain_per_million_yuan_<m>`` is
the extra county spending over the years compared with the reference run
(``change_total_spending_yuan``, which includes the policies' own cost and allowances), not the
policy cost, so that a sweep of a parameter that costs money (an allowance) gets
cost-effectiveness figures. ``manifest.json`` records ``reference_arm``.

**Difference between two arms** (``--compare A B``, repeatable): per seed that both arms have
(and with the same last year), A's run − B's run at the last year for every measure of the
effects table, plus the policy cost and county spending summed over the years; mean and 95%
t-interval across those seeds, written to ``differences.csv`` (``arm_a``, ``arm_b``,
``measure``, ``label``, ``n``, ``mean``, ``sd``, ``ci_low``, ``ci_high``) and printed.

An arm is named by its label as in ``arms.csv`` (``key=value, key=value``; numbers may be
written in any form, ``0.10`` = ``0.1``); an unknown name is an error that lists the arms.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.record import first_year_met
from sim.results import BASELINE_FILE, baseline_fingerprint, file_fingerprint
from sim.terminal import command, output_dir_problem

__all__ = ["AggregateError", "AggregateResult", "aggregate", "arm_difference", "find_runs",
           "key_metrics", "main", "mean_ci", "parse_override", "resolve_arm", "t_quantile_975"]

AGGREGATE_DIRNAME = "aggregate"
MANIFEST = "manifest.json"
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

#: standards whose first year of passing is reported: name -> timeseries verdict column
STANDARDS: dict[str, str] = {
    "quality": "quality_passed",
    "basic": "basic_passed",
    "quality_primary": "quality_passed_primary",
    "quality_junior": "quality_passed_junior",
    "basic_primary": "basic_passed_primary",
    "basic_junior": "basic_passed_junior",
}

#: measures reported in the wide arms table (the rest are in effects)
HEADLINE_MEASURES = ("mean_achievement", "urban_rural_gap", "between_school_share", "ses_gap")

#: metrics summarised per arm and year (columns that exist in the runs)
_KEY_NAMES = (
    "students", "teachers", "mean_achievement", "sd_achievement", "urban_rural_gap", "ses_gap",
    "between_school_share", "ses_dissimilarity", "achievement_urban", "achievement_town",
    "achievement_rural", "teacher_effectiveness_urban", "teacher_effectiveness_town",
    "teacher_effectiveness_rural", "backbone_per_100_urban", "backbone_per_100_town",
    "backbone_per_100_rural", "attrition_rate_rural", "vacancies", "mean_class_size",
    "pupils_in_noncomplying_schools", "quality_passed", "basic_passed", "gini_funds",
    "gini_equipment", "gini_qualified_teachers", "mcloone_funds",
    "theil_funds_between_tier_share", "spending_yuan",
)
_KEY_PATTERNS = (r"^cv_", r"^quality_(cv_)?passed_", r"^basic_passed_", r"^basic_mean_cv_",
                 r"^quality_schools_complying_", r"^cost_")

# two-sided 95% t quantiles t(0.975, df) for df = 1..30 (scipy.stats.t.ppf, 6 decimals)
_T975 = (12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
         2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
         2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
         2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272)
_Z975 = 1.959963984540054


class AggregateError(Exception):
    """A sweep directory that cannot be aggregated (missing, or no complete run)."""


def t_quantile_975(df: float) -> float:
    """t(0.975, df): the table above for df ≤ 30, the Cornish–Fisher expansion beyond
    (error < 1e-7); NaN for df < 1."""
    if not df >= 1 or not math.isfinite(df):
        return math.nan
    d = int(df)
    if d <= 30:
        return _T975[d - 1]
    z = _Z975
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / d + g2 / d**2 + g3 / d**3 + g4 / d**4


def mean_ci(values: Any) -> dict[str, float]:
    """n, mean, sd (ddof=1) and the 95% t-interval of the mean of ``values`` (NaNs dropped).
    For n = 1 the sd and interval are NaN; for n = 0 everything but n is NaN."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    sd = float(x.std(ddof=1)) if n > 1 else math.nan
    half = t_quantile_975(n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
    return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half}


def mean_halfwidth(values: Any) -> dict[str, float]:
    """``{"mean", "ci95"}``: the mean of ``values`` (None and NaN dropped) and the half-width
    of its 95% t-interval (:func:`mean_ci`); NaN where undefined."""
    x = [math.nan if v is None else v for v in np.ravel(np.asarray(values, dtype=object))]
    ci = mean_ci(np.asarray(x, dtype=float))
    return {"mean": ci["mean"], "ci95": ci["ci_high"] - ci["mean"]}


def _add_ci(stats: pd.DataFrame) -> pd.DataFrame:
    """Given columns n, mean, sd: add ci_low / ci_high (NaN where n < 2)."""
    t = stats["n"].map(lambda n: t_quantile_975(n - 1)).astype(float)
    half = t * stats["sd"] / np.sqrt(stats["n"].where(stats["n"] > 0))
    half = half.where(stats["n"] > 1)
    stats["sd"] = stats["sd"].where(stats["n"] > 1)
    stats["ci_low"] = stats["mean"] - half
    stats["ci_high"] = stats["mean"] + half
    return stats


def key_metrics(columns: Any) -> list[str]:
    """The timeseries columns summarised per arm and year, in a stable order."""
    cols = list(columns)
    out = [c for c in _KEY_NAMES if c in cols]
    out += [c for c in cols if c not in out and any(re.match(p, c) for p in _KEY_PATTERNS)]
    return out


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


def _format_value(value: Any) -> str:
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
    return sorted(complete, key=_natural), sorted(incomplete, key=_natural)


def _natural(path: Path) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", str(path))]


def _rel(path: Path, root: Path) -> str:
    rel = path.relative_to(root).as_posix()
    return rel or "."


@dataclass
class _Run:
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


def _load_run(path: Path, root: Path) -> _Run:
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
    return _Run(run_id=_rel(path, root), path=path, seed=int(seed), region=summary.get("region"),
                years=int(years), overrides=overrides, summary=summary, ts=ts, base_ts=base_ts,
                has_policies=bool(policies), stale_baseline=stale)


def _verified_baseline(path: Path, summary: dict[str, Any]) -> tuple[pd.DataFrame | None, bool]:
    """The run's same-seed baseline file, if it belongs to this run: its fingerprint must be
    that of the run's own seed, years and configuration without policies. Returns (the
    baseline or None, whether a file was there and refused)."""
    base = path / BASELINE_FILE
    if not base.is_file():
        return None, False
    config = summary.get("config")
    try:
        expected = baseline_fingerprint(summary["seed"], summary["years"], config) \
            if isinstance(config, dict) else None
    except (KeyError, TypeError, ValueError):
        expected = None
    if expected is None or file_fingerprint(base) != expected:
        return None, True
    return pd.read_parquet(base).sort_values("year", ignore_index=True), False


# ---------------------------------------------------------------------------------------------
# result


@dataclass
class AggregateResult:
    """Everything :func:`aggregate` computed (the tables are the files' contents)."""

    sweep_dir: Path
    out_dir: Path
    runs: pd.DataFrame
    per_run: pd.DataFrame
    summary: pd.DataFrame
    last_year: pd.DataFrame
    arms: pd.DataFrame
    effects: pd.DataFrame
    param_columns: list[str]
    swept_params: list[str]
    incomplete: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    #: the arm named as reference (``--reference``); None = the baseline / same-seed baselines
    reference_arm: str | None = None
    #: A − B for the arm pairs asked for (``--compare``); None when none was asked for
    differences: pd.DataFrame | None = None

    @property
    def arm_order(self) -> list[str]:
        return list(self.arms["arm"])

    @property
    def has_baseline_arm(self) -> bool:
        return BASELINE in set(self.arms["arm"])

    @property
    def n_runs(self) -> int:
        return len(self.per_run)

    @classmethod
    def load(cls, path: str | os.PathLike) -> AggregateResult:
        """Read an aggregate directory (or a sweep directory holding ``aggregate/``)."""
        p = Path(path)
        if not (p / MANIFEST).is_file() and (p / AGGREGATE_DIRNAME / MANIFEST).is_file():
            p = p / AGGREGATE_DIRNAME
        if not (p / MANIFEST).is_file():
            raise AggregateError(f"no aggregate results in {path} (run edusim-aggregate first)")
        m = json.loads((p / MANIFEST).read_text())
        summary = pd.read_parquet(p / "summary.parquet")
        diff = p / "differences.csv"
        last = summary.merge(summary.groupby("arm", sort=False)["year"].max().reset_index(),
                             on=["arm", "year"])
        return cls(
            sweep_dir=Path(m["sweep_dir"]), out_dir=p,
            runs=pd.read_parquet(p / "runs.parquet"),
            per_run=pd.read_parquet(p / "per_run.parquet"),
            summary=summary, last_year=last,
            arms=pd.read_parquet(p / "arms.parquet"),
            effects=pd.read_parquet(p / "effects.parquet"),
            param_columns=list(m["param_columns"]), swept_params=list(m["swept_params"]),
            incomplete=list(m["incomplete"]), unreadable=dict(m["unreadable"]),
            warnings=list(m["warnings"]), files=[p / f for f in m["files"]],
            reference_arm=m.get("reference_arm"),
            differences=pd.read_csv(diff) if "differences.csv" in m["files"] else None)


# ---------------------------------------------------------------------------------------------
# aggregation


def aggregate(sweep_dir: str | os.PathLike, out: str | os.PathLike | None = None,
              write: bool = True, reference: str | None = None,
              compare: Any = ()) -> AggregateResult:
    """Aggregate the complete runs under ``sweep_dir``; write the tables to
    ``out/aggregate/`` (default ``sweep_dir/aggregate/``) unless ``write`` is False.
    ``reference`` names the arm every run is compared with (same seed); ``compare`` is a
    sequence of (A, B) arm pairs whose difference A − B is reported (see the module doc).
    Raises :class:`AggregateError` for a missing directory, one with no complete run, or an
    unknown arm name (before anything is written)."""
    root = Path(sweep_dir)
    if not root.is_dir():
        raise AggregateError(f"no such directory: {sweep_dir}")
    root = root.resolve()
    complete, incomplete = find_runs(root)
    runs: list[_Run] = []
    unreadable: dict[str, str] = {}
    for path in complete:
        try:
            runs.append(_load_run(path, root))
        except Exception as err:  # a damaged run is reported, not fatal
            unreadable[_rel(path, root)] = f"{type(err).__name__}: {err}".splitlines()[0]
    incomplete_ids = [_rel(p, root) for p in incomplete]
    if not runs:
        detail = []
        if incomplete_ids:
            detail.append(f"{len(incomplete_ids)} incomplete")
        if unreadable:
            detail.append(f"{len(unreadable)} unreadable")
        raise AggregateError(f"no complete run under {sweep_dir}"
                             + (f" ({', '.join(detail)})" if detail else ""))
    warnings: list[str] = []

    keys, swept = _label_arms(runs)
    ts_columns = set().union(*(r.ts.columns for r in runs))
    names = {k: _param_name(k, ts_columns) for k in keys}
    order = _arm_order(runs, keys)
    runs.sort(key=lambda r: (order[r.arm], r.seed, _natural(Path(r.run_id))))
    dup = pd.Series([(r.arm, r.seed) for r in runs]).duplicated()
    if dup.any():
        pairs = sorted({f"{r.arm} seed {r.seed}" for r, d in zip(runs, dup, strict=True) if d})
        warnings.append("several runs share an arm and a seed (identical runs narrow the "
                        "intervals falsely): " + "; ".join(pairs))

    stale = [r.run_id for r in runs if r.stale_baseline]
    if stale:
        warnings.append(f"{BASELINE_FILE} not used in {len(stale)} run(s): it does not belong "
                        "to the run's own seed, years and configuration (left by another run, "
                        "or written before edusim stored fingerprints; run again to compare): "
                        + ", ".join(stale[:5]) + (" ..." if len(stale) > 5 else ""))

    runs_df = _runs_table(runs, names)
    param_columns = list(names.values())
    swept = [names[k] for k in swept]
    params_of_arm = runs_df.drop_duplicates("arm").set_index("arm")[param_columns]
    arm_names = list(dict.fromkeys(r.arm for r in runs))
    ref_arm = None if reference is None else resolve_arm(reference, arm_names, "--reference")
    pairs = [(resolve_arm(a, arm_names, "--compare"), resolve_arm(b, arm_names, "--compare"))
             for a, b in compare]
    per_run = _per_run_table(runs, names, ref_arm)
    summary = _summary_table(runs_df, params_of_arm, [r.arm for r in runs])
    last = summary.merge(summary.groupby("arm", sort=False)["year"].max().reset_index(),
                         on=["arm", "year"])
    effects = _effects_table(per_run, with_reference=ref_arm is not None)
    arms = _arms_table(per_run, effects, params_of_arm, param_columns)
    differences = None
    if pairs:
        differences = pd.concat([arm_difference(runs_df, per_run, a, b) for a, b in pairs],
                                ignore_index=True)
        empty = sorted({f"{a} − {b}" for a, b, n in zip(
            differences["arm_a"], differences["arm_b"], differences["n"], strict=True)
            if n == 0})
        if empty:
            raise AggregateError("--compare: no seed with the same last year in both arms of "
                                 + "; ".join(empty))
    if ref_arm is not None:
        lone = per_run.loc[per_run["reference"] == "none", "run_id"].tolist()
        if lone:
            warnings.append(f"{len(lone)} run(s) have no run of the reference arm with the same "
                            "seed, region and years (changes missing): "
                            + ", ".join(lone[:5]) + (" ..." if len(lone) > 5 else ""))
    if not (per_run["reference"] != "none").any():
        warnings.append("no reference for changes: no baseline arm and no run with its own "
                        "same-seed baseline")

    out_dir = Path(out if out is not None else root) / AGGREGATE_DIRNAME
    result = AggregateResult(
        sweep_dir=root, out_dir=out_dir, runs=runs_df, per_run=per_run, summary=summary,
        last_year=last, arms=arms, effects=effects, param_columns=param_columns,
        swept_params=swept, incomplete=incomplete_ids, unreadable=unreadable,
        warnings=warnings, reference_arm=ref_arm, differences=differences)
    if write:
        _write(result)
    return result


def _label_arms(runs: list[_Run]) -> tuple[list[str], list[str]]:
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
        label = ", ".join(f"{k}={_format_value(v)}" for k, v in parts.items())
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


def _arm_order(runs: list[_Run], keys: list[str]) -> dict[str, int]:
    firsts: dict[str, _Run] = {}
    for r in runs:
        firsts.setdefault(r.arm, r)

    def key(arm: str) -> tuple:
        r = firsts[arm]
        vals = tuple(_sort_key(getattr(r, k) if k in CONTEXT_KEYS else r.overrides.get(k))
                     for k in keys)
        return (arm != BASELINE, vals, arm)

    return {arm: i for i, arm in enumerate(sorted(firsts, key=key))}


def _param_series(values: list[Any]) -> pd.Series:
    """One parameter column: numbers → float/int, bools → bool, anything else → str."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.Series(values, dtype="boolean")
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        if all(isinstance(v, int) for v in present) and len(present) == len(values):
            return pd.Series(values, dtype="int64")
        return pd.Series([math.nan if v is None else float(v) for v in values], dtype=float)
    # text: let pandas choose its string dtype (the one a parquet round trip gives back)
    return pd.Series([None if v is None else _format_value(v) if not isinstance(v, str) else v
                      for v in values])


def _run_params(r: _Run, keys: list[str]) -> dict[str, Any]:
    return {k: (getattr(r, k) if k in CONTEXT_KEYS else r.overrides.get(k)) for k in keys}


def _runs_table(runs: list[_Run], names: dict[str, str]) -> pd.DataFrame:
    frames = []
    for r in runs:
        ts = r.ts.copy()
        for c in ts.columns:
            if ts[c].dtype == bool:
                ts[c] = ts[c].astype("boolean")
        frames.append(ts)
    ts_all = pd.concat(frames, ignore_index=True)
    lengths = [len(r.ts) for r in runs]
    ident = {"run_id": np.repeat([r.run_id for r in runs], lengths),
             "arm": np.repeat([r.arm for r in runs], lengths),
             "seed": np.repeat([r.seed for r in runs], lengths).astype("int64")}
    head = pd.DataFrame(ident)
    for k, name in names.items():
        col = _param_series([_run_params(r, [k])[k] for r in runs])
        head[name] = pd.Series(np.repeat(col.to_numpy(), lengths)).astype(col.dtype)
    cols = ["year"] + [c for c in ts_all.columns if c != "year"]
    return pd.concat([head, ts_all[cols]], axis=1)


def _param_name(key: str, ts_columns: Any) -> str:
    """The column of a parameter: its key, or ``param.<key>`` where that would collide with a
    timeseries or identity column."""
    taken = set(ts_columns) | {"run_id", "arm", "seed", "last_year", "reference"}
    return f"param.{key}" if key in taken else key


def _first_pass(ts: pd.DataFrame, column: str) -> float:
    year = first_year_met(ts, column)
    return math.nan if year is None else float(year)


def _policy_cost(summary: dict[str, Any]) -> float:
    vs = summary.get("vs_baseline") or {}
    if vs.get("total_policy_cost_yuan") is not None:
        return float(vs["total_policy_cost_yuan"])
    pols = summary.get("policies") or {}
    return float(sum(float(p.get("total_cost_yuan") or 0.0) for p in pols.values()))


def _effect_measures() -> list[tuple[str, str, bool]]:
    """(column, label, is an equity measure where lower = more equal)."""
    from sim.results import EQUITY_MEASURES

    return ([("mean_achievement", "mean achievement (quality, year-0 SD)", False)]
            + [(k, label, True) for k, label in EQUITY_MEASURES])


def _per_run_table(runs: list[_Run], names: dict[str, str],
                   ref_arm: str | None = None) -> pd.DataFrame:
    """One row per run (see the module doc). With ``ref_arm`` every run is compared with the
    same-seed run of that arm, and gains are per million yuan of extra county spending."""
    measures = _effect_measures()
    base_runs: dict[int, _Run] = {}
    for r in runs:
        if (r.arm == ref_arm) if ref_arm is not None else (r.arm == BASELINE
                                                           and not r.has_policies):
            base_runs.setdefault(r.seed, r)
    rows = []
    for r in runs:
        row: dict[str, Any] = {"run_id": r.run_id, "arm": r.arm, "seed": r.seed}
        row.update({names[k]: v for k, v in _run_params(r, list(names)).items()})
        row["last_year"] = int(r.ts["year"].iloc[-1])
        for std, col in STANDARDS.items():
            row[f"first_pass_{std}"] = _first_pass(r.ts, col)
        cost = _policy_cost(r.summary)
        row["total_policy_cost_yuan"] = cost
        last = r.ts.iloc[-1]
        ref_row: pd.Series | None = None
        ref_ts: pd.DataFrame | None = None
        ref_values: dict[str, float] = {}
        partner = base_runs.get(r.seed)
        if ref_arm is not None:
            same = partner is not None and partner.years == r.years \
                and partner.region == r.region
            reference = "self" if r.arm == ref_arm else ref_arm if same else "none"
            ref_ts = partner.ts if same and partner is not None else None
        elif r.arm == BASELINE and not r.has_policies:
            reference, ref_ts = "self", r.ts
        elif partner is not None and partner.years == r.years and partner.region == r.region:
            reference, ref_ts = "baseline arm", partner.ts
        elif r.base_ts is not None and int(r.base_ts["year"].iloc[-1]) == row["last_year"]:
            reference, ref_ts = "same-seed baseline", r.base_ts
        elif r.summary.get("vs_baseline"):
            reference = "same-seed baseline"
            vs = r.summary["vs_baseline"]
            ref_values["mean_achievement"] = vs["mean_achievement"]["baseline"]
            for k, m in (vs.get("equity") or {}).items():
                ref_values[k] = m["baseline"]
        else:
            reference = "none"
        if ref_ts is not None:
            ref_row = ref_ts.iloc[-1]
            ref_values = {k: ref_row.get(k) for k, _, _ in measures}
        row["reference"] = reference
        if ref_ts is not None and "spending_yuan" in r.ts and "spending_yuan" in ref_ts:
            spend = float(r.ts["spending_yuan"].sum() - ref_ts["spending_yuan"].sum())
        else:
            spend = math.nan
        # the cost behind the gains: the policies' own cost, or (named reference arm) the
        # extra county spending compared with the reference run
        basis = cost if ref_arm is None else spend
        for k, _, equity in measures:
            a, b = last.get(k), ref_values.get(k)
            change = float(a) - float(b) if a is not None and b is not None else math.nan
            row[f"change_{k}"] = change
            if equity:
                row[f"gain_per_million_yuan_{k}"] = (-change / (basis / 1e6) if basis > 0
                                                     else math.nan)
        row["change_total_spending_yuan"] = spend
        rows.append(row)
    df = pd.DataFrame(rows)
    for k, name in names.items():
        col = _param_series([_run_params(r, [k])[k] for r in runs])
        df[name] = pd.Series(col.to_numpy()).astype(col.dtype)
    return df


def _summary_table(runs_df: pd.DataFrame, params_of_arm: pd.DataFrame,
                   arm_sequence: list[str]) -> pd.DataFrame:
    metrics = key_metrics(runs_df.columns)
    data = runs_df[["arm", "year"] + metrics].copy()
    for c in metrics:
        data[c] = pd.to_numeric(data[c].astype("Float64"), errors="coerce").astype(float)
    long = data.melt(id_vars=["arm", "year"], var_name="metric", value_name="value")
    g = long.groupby(["arm", "year", "metric"], sort=False)["value"]
    stats = g.agg(n="count", mean="mean", sd="std").reset_index()
    stats = stats[stats["n"] > 0]
    stats = _add_ci(stats)
    arm_rank = {a: i for i, a in enumerate(dict.fromkeys(arm_sequence))}
    metric_rank = {m: i for i, m in enumerate(metrics)}
    stats = stats.assign(_a=stats["arm"].map(arm_rank), _m=stats["metric"].map(metric_rank))
    stats = stats.sort_values(["_a", "_m", "year"]).drop(columns=["_a", "_m"])
    stats = stats.merge(params_of_arm.reset_index(), on="arm", how="left")
    cols = ["arm", *params_of_arm.columns, "year", "metric", "n", "mean", "sd", "ci_low",
            "ci_high"]
    stats["n"] = stats["n"].astype("int64")
    stats["year"] = stats["year"].astype("int64")
    return stats[cols].reset_index(drop=True)


def _effects_table(per_run: pd.DataFrame, with_reference: bool = False) -> pd.DataFrame:
    measures = _effect_measures()
    labels = {k: label for k, label, _ in measures}
    labels["total_spending_yuan"] = "county spending summed over the years (yuan)"
    items: list[tuple[str, str, str]] = []  # kind, measure, per_run column
    items.append(("total_policy_cost_yuan", "total_policy_cost_yuan", "total_policy_cost_yuan"))
    for k, _, _ in measures:
        items.append(("change", k, f"change_{k}"))
    items.append(("change", "total_spending_yuan", "change_total_spending_yuan"))
    for k, _, equity in measures:
        if equity:
            items.append(("gain_per_million_yuan", k, f"gain_per_million_yuan_{k}"))
    rows = []
    for arm, grp in per_run.groupby("arm", sort=False):
        refs = sorted(set(grp["reference"]))
        ref = {"reference": refs[0] if len(refs) == 1 else "mixed: " + ", ".join(refs)} \
            if with_reference else {}
        for kind, measure, col in items:
            if col not in grp:
                continue
            stats = mean_ci(grp[col])
            rows.append({"arm": arm, **ref, "kind": kind, "measure": measure,
                         "label": labels.get(measure, "total policy cost (yuan)"), **stats})
    df = pd.DataFrame(rows)
    df["n"] = df["n"].astype("int64")
    return df


def _arms_table(per_run: pd.DataFrame, effects: pd.DataFrame, params_of_arm: pd.DataFrame,
                keys: list[str]) -> pd.DataFrame:
    rows = []
    for arm, grp in per_run.groupby("arm", sort=False):
        row: dict[str, Any] = {"arm": arm}
        row.update(params_of_arm.loc[arm].to_dict())
        row["n_runs"] = len(grp)
        row["seeds"] = ",".join(str(s) for s in sorted(grp["seed"]))
        refs = sorted(set(grp["reference"]))
        row["reference"] = refs[0] if len(refs) == 1 else "mixed: " + ", ".join(refs)
        row["last_year"] = int(grp["last_year"].max())
        for std in STANDARDS:
            years = grp[f"first_pass_{std}"].to_numpy(dtype=float)
            med = float(np.median(np.where(np.isnan(years), np.inf, years)))
            row[f"first_pass_{std}_median"] = med if math.isfinite(med) else math.nan
            row[f"first_pass_{std}_share"] = float(np.mean(~np.isnan(years)))
        eff = effects[effects["arm"] == arm].set_index(["kind", "measure"])
        c = eff.loc[("total_policy_cost_yuan", "total_policy_cost_yuan")]
        row.update({"total_policy_cost_yuan_mean": c["mean"],
                    "total_policy_cost_yuan_ci_low": c["ci_low"],
                    "total_policy_cost_yuan_ci_high": c["ci_high"]})
        for kind in ("change", "gain_per_million_yuan"):
            for m in HEADLINE_MEASURES:
                if (kind, m) not in eff.index:
                    continue
                e = eff.loc[(kind, m)]
                row[f"{kind}_{m}_mean"] = e["mean"]
                row[f"{kind}_{m}_ci_low"] = e["ci_low"]
                row[f"{kind}_{m}_ci_high"] = e["ci_high"]
        rows.append(row)
    df = pd.DataFrame(rows)
    for k in params_of_arm.columns:
        df[k] = df[k].astype(params_of_arm[k].dtype)
    return df


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


def arm_difference(runs: pd.DataFrame, per_run: pd.DataFrame, arm_a: str,
                   arm_b: str) -> pd.DataFrame:
    """A − B per seed that both arms have with the same last year (the first run of each arm
    and seed), for the last-year measures of the effects table, the policy cost and the
    county spending summed over the years: one row per measure with ``n`` (pairs), ``mean``,
    ``sd`` and the 95% t-interval (:func:`mean_ci`)."""
    measures = [(k, label) for k, label, _ in _effect_measures()]
    pr = per_run.drop_duplicates(["arm", "seed"]).set_index(["arm", "seed"])
    last = runs.sort_values("year").groupby("run_id", sort=False).tail(1).set_index("run_id")
    spend = (runs.groupby("run_id")["spending_yuan"].sum() if "spending_yuan" in runs
             else pd.Series(dtype=float))

    def values(arm: str, seed: int) -> dict[str, float]:
        rid = pr.loc[(arm, seed), "run_id"]
        out = {k: float(last.loc[rid, k]) if k in last and pd.notna(last.loc[rid, k])
               else math.nan for k, _ in measures}
        out["total_policy_cost_yuan"] = float(pr.loc[(arm, seed), "total_policy_cost_yuan"])
        out["total_spending_yuan"] = float(spend.get(rid, math.nan))
        out["_year"] = float(pr.loc[(arm, seed), "last_year"])
        return out

    seeds_a = set(pr.loc[arm_a].index) if arm_a in pr.index.get_level_values(0) else set()
    seeds_b = set(pr.loc[arm_b].index) if arm_b in pr.index.get_level_values(0) else set()
    diffs: list[dict[str, float]] = []
    for seed in sorted(seeds_a & seeds_b):
        va, vb = values(arm_a, seed), values(arm_b, seed)
        if va["_year"] == vb["_year"]:
            diffs.append({k: va[k] - vb[k] for k in va if k != "_year"})
    labels = dict(measures)
    labels["total_policy_cost_yuan"] = "total policy cost (yuan)"
    labels["total_spending_yuan"] = "county spending summed over the years (yuan)"
    rows = []
    for k, label in labels.items():
        stats = mean_ci([d[k] for d in diffs]) if diffs else mean_ci([])
        rows.append({"arm_a": arm_a, "arm_b": arm_b, "measure": k, "label": label, **stats})
    df = pd.DataFrame(rows)
    df["n"] = df["n"].astype("int64")
    return df


def _write(result: AggregateResult) -> None:
    from sim.results import atomic_write

    out = result.out_dir
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []

    def parquet(df: pd.DataFrame, name: str) -> None:
        atomic_write(out / name, lambda p: df.to_parquet(p, index=False))
        files.append(out / name)

    def csv(df: pd.DataFrame, name: str) -> None:
        atomic_write(out / name, lambda p: df.to_csv(p, index=False))
        files.append(out / name)

    parquet(result.runs, "runs.parquet")
    parquet(result.per_run, "per_run.parquet")
    csv(result.per_run, "per_run.csv")
    parquet(result.summary, "summary.parquet")
    csv(result.summary, "summary.csv")
    csv(result.last_year, "last_year.csv")
    parquet(result.arms, "arms.parquet")
    csv(result.arms, "arms.csv")
    parquet(result.effects, "effects.parquet")
    csv(result.effects, "effects.csv")
    if result.differences is not None:
        csv(result.differences, "differences.csv")
    manifest = {
        "sweep_dir": str(result.sweep_dir),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_runs": result.n_runs,
        "run_ids": list(result.per_run["run_id"]),
        "incomplete": result.incomplete,
        "unreadable": result.unreadable,
        "arms": result.arm_order,
        "baseline_arm": result.has_baseline_arm,
        "param_columns": result.param_columns,
        "swept_params": result.swept_params,
        "warnings": result.warnings,
        "interval": "95% t-interval of the mean across seeds: mean ± t(0.975, n-1)·sd/√n; "
                    "missing for n = 1",
        "files": [f.name for f in files] + [MANIFEST],
    }
    if result.reference_arm is not None:
        manifest["reference_arm"] = result.reference_arm
    atomic_write(out / MANIFEST,
                 lambda p: p.write_text(json.dumps(manifest, indent=1, ensure_ascii=False)))
    files.append(out / MANIFEST)
    result.files = files


# ---------------------------------------------------------------------------------------------
# CLI


def report(result: AggregateResult) -> str:
    """A short plain-text report of an aggregation."""
    arms = result.arms
    lines = [f"aggregated {result.n_runs} complete run(s) in {len(arms)} arm(s) from "
             f"{result.sweep_dir}"]
    if result.swept_params:
        lines.append("swept: " + ", ".join(result.swept_params))
    if result.incomplete:
        lines.append(f"ignored {len(result.incomplete)} incomplete run(s) (no COMPLETE marker): "
                     + ", ".join(result.incomplete))
    for rid, why in result.unreadable.items():
        lines.append(f"ignored unreadable run {rid}: {why}")
    for w in result.warnings:
        lines.append(f"warning: {w}")
    lines.append("")
    named = result.reference_arm is not None
    header = ("arm", "seeds", "Δ spending (m yuan)" if named else "cost (m yuan)",
              "Δ urban-rural gap", "Δ mean achievement", "2017 pass: median yr (share)")
    table = [header]
    eff = result.effects.set_index(["arm", "kind", "measure"])["mean"]
    for _, a in arms.iterrows():
        med, share = a["first_pass_quality_median"], a["first_pass_quality_share"]
        cost = eff.get((a["arm"], "change", "total_spending_yuan"), math.nan) if named \
            else a["total_policy_cost_yuan_mean"]
        table.append((
            a["arm"], str(a["n_runs"]), f"{cost / 1e6:,.2f}",
            _ci_text(a, "change_urban_rural_gap"), _ci_text(a, "change_mean_achievement"),
            ("never" if not math.isfinite(med) else f"{med:g}") + f" ({share:.0%})"))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for i, r in enumerate(table):
        lines.append("  ".join(f"{v:<{widths[j]}}" if j == 0 else f"{v:>{widths[j]}}"
                               for j, v in enumerate(r)))
        if i == 0:
            lines.append("-" * len(lines[-1]))
    lines.append("")
    lines.append("Δ = last year, arm − reference (mean [95% interval] across seeds); "
                 "reference: " + ", ".join(sorted(set(arms["reference"]))))
    if result.reference_arm is not None:
        lines.append(f"reference arm: {result.reference_arm} (each run against its run with the "
                     "same seed); Δ spending = county spending summed over the years, arm − "
                     "reference; gains are per million yuan of it")
    if result.differences is not None:
        for (a, b), grp in result.differences.groupby(["arm_a", "arm_b"], sort=False):
            lines.append("")
            n = int(grp["n"].max())
            lines.append(f"difference A − B, last year, paired by seed ({n} seed(s)):")
            lines.append(f"  A = {a}")
            lines.append(f"  B = {b}")
            for _, d in grp.iterrows():
                lines.append(f"  {d['label']:<50} {_interval_text(d)}")
    lines.append(f"written: {result.out_dir}/ (" + ", ".join(f.name for f in result.files) + ")")
    return "\n".join(lines)


def _interval_text(d: pd.Series) -> str:
    m, lo, hi = d["mean"], d["ci_low"], d["ci_high"]
    if not math.isfinite(m):
        return "–"
    big = abs(m) >= 1000
    fmt = (lambda v: f"{v:+,.0f}") if big else (lambda v: f"{v:+.4f}")
    return fmt(m) + (f" [{fmt(lo)}, {fmt(hi)}]" if math.isfinite(lo) else "")


def _ci_text(row: pd.Series, name: str) -> str:
    m = row.get(f"{name}_mean", math.nan)
    if m is None or not math.isfinite(m):
        return "–"
    lo, hi = row.get(f"{name}_ci_low"), row.get(f"{name}_ci_high")
    if lo is None or not math.isfinite(lo):
        return f"{m:+.3f}"
    return f"{m:+.3f} [{lo:+.3f}, {hi:+.3f}]"


@command("edusim-aggregate")
def main(argv: list[str] | None = None) -> int:
    """Console entry point (``edusim-aggregate``)."""
    parser = argparse.ArgumentParser(
        prog="edusim-aggregate",
        description="Aggregate the complete runs of an edusim sweep into tidy tables "
                    "(OUT/aggregate/: runs, per_run, summary, last_year, arms, effects).")
    parser.add_argument("sweep_dir", help="sweep (or any) directory holding run directories")
    parser.add_argument("--out", default=None,
                        help="write OUT/aggregate/ instead of SWEEP_DIR/aggregate/")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    parser.add_argument("--reference", default=None, metavar="ARM",
                        help="compare every run with the same-seed run of this arm (its label "
                             "as in arms.csv, e.g. 'teachers.rural_allowance=0.1') instead of "
                             "the baseline")
    parser.add_argument("--compare", nargs=2, action="append", default=[], metavar=("A", "B"),
                        help="report A − B (last year, paired by seed, 95%% interval) for two "
                             "arms; repeatable; written to differences.csv")
    args = parser.parse_args(argv)
    problem = args.out and output_dir_problem(args.out, "--out")
    if problem:
        print(f"edusim-aggregate: {problem}", file=sys.stderr)
        sys.exit(2)
    try:
        result = aggregate(args.sweep_dir, out=args.out, reference=args.reference,
                           compare=[tuple(c) for c in args.compare])
    except AggregateError as err:
        print(f"edusim-aggregate: {err}", file=sys.stderr)
        sys.exit(2)
    if not args.quiet:
        print(report(result))
    return 0


if __name__ == "__main__":
    main()
