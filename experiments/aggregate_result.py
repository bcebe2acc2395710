"""What :mod:`experiments.aggregate` produces: the :class:`AggregateResult` with its tables,
the files it writes to ``OUT/aggregate/`` (each atomically, the manifest last), reading them
back, the check of an output directory made before any work (:func:`output_problem`, shared
with :mod:`experiments.figures`), and what the command prints: the plain-text report on
standard output and the warnings (:func:`warning_lines`) on standard error.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.aggregate_runs import BASELINE, MANIFEST, AggregateError

__all__ = ["AGGREGATE_DIRNAME", "AGGREGATE_FILES", "TABLE_FILES", "AggregateResult",
           "output_problem", "report", "warning_lines", "write_result"]

#: the folder the tables are written to, under OUT (default: the sweep directory)
AGGREGATE_DIRNAME = "aggregate"
#: the tables :func:`write_result` writes, in order: (attribute of :class:`AggregateResult`,
#: file name; the suffix says the format; a table that is None is left out)
TABLE_FILES = (("runs", "runs.parquet"), ("per_run", "per_run.parquet"),
               ("per_run", "per_run.csv"), ("summary", "summary.parquet"),
               ("summary", "summary.csv"), ("last_year", "last_year.csv"),
               ("arms", "arms.parquet"), ("arms", "arms.csv"), ("effects", "effects.parquet"),
               ("effects", "effects.csv"), ("differences", "differences.csv"))
#: the files :func:`write_result` may write into that folder
AGGREGATE_FILES = tuple(name for _, name in TABLE_FILES) + (MANIFEST,)


@dataclass
class AggregateResult:
    """Everything :func:`experiments.aggregate.aggregate` computed (the tables are the files'
    contents)."""

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
    #: the complete runs left out, by run id: why, in plain words (a file that cannot be read,
    #: or a ``timeseries.parquet`` that belongs to another run; see
    #: :class:`experiments.aggregate_runs.RunFileError`)
    unreadable: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    #: the arm named as reference (``--reference``); None = the baseline / same-seed baselines
    reference_arm: str | None = None
    #: A − B for the arm pairs asked for (``--compare``); None when none was asked for
    differences: pd.DataFrame | None = None
    #: the model that made every run (``summary.json``'s ``edusim``: version and behaviour
    #: fingerprint, :mod:`sim.behaviour`); None for runs written before runs recorded it
    model: dict[str, Any] | None = None

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
        try:
            m = json.loads((p / MANIFEST).read_text(encoding="utf-8"))
            summary = pd.read_parquet(p / "summary.parquet")
            diff = p / "differences.csv"
            last = summary.merge(
                summary.groupby("arm", sort=False)["year"].max().reset_index(),
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
                reference_arm=m.get("reference_arm"), model=m.get("model"),
                differences=pd.read_csv(diff) if "differences.csv" in m["files"] else None)
        except Exception:  # a damaged or foreign folder: missing keys, cut-off files ...
            raise AggregateError(f"the aggregate results in {p} cannot be read (a file is "
                                 "missing, cut off or damaged); run edusim-aggregate again"
                                 ) from None


def write_result(result: AggregateResult) -> None:
    """Write the tables of ``result`` to ``result.out_dir`` (see :mod:`experiments.aggregate`),
    the manifest last, and set ``result.files``."""
    from sim.results import atomic_write

    out = result.out_dir
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []

    for attr, name in TABLE_FILES:
        df = getattr(result, attr)
        if df is None:
            continue
        if name.endswith(".parquet"):
            atomic_write(out / name, lambda p, df=df: df.to_parquet(p, index=False))
        else:
            atomic_write(out / name, lambda p, df=df: df.to_csv(p, index=False))
        files.append(out / name)
    manifest = {
        "sweep_dir": str(result.sweep_dir),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": result.model,
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


def report(result: AggregateResult) -> str:
    """A short plain-text report of an aggregation (standard output; its warnings are
    :func:`warning_lines`, for standard error)."""
    arms = result.arms
    lines = [f"aggregated {result.n_runs} complete run(s) in {len(arms)} arm(s) from "
             f"{result.sweep_dir}"]
    if result.model is not None:
        lines.append(f"made by edusim {result.model.get('version', '?')}, model behaviour "
                     f"{result.model.get('behaviour', '?')}")
    if result.swept_params:
        lines.append("swept: " + ", ".join(result.swept_params))
    if result.incomplete:
        lines.append(f"ignored {len(result.incomplete)} incomplete run(s) (no COMPLETE marker): "
                     + ", ".join(result.incomplete))
    if result.unreadable:
        lines.append(f"left out {len(result.unreadable)} run(s) whose files cannot be used "
                     "(see the warnings): " + ", ".join(result.unreadable))
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


def warning_lines(result: AggregateResult) -> list[str]:
    """The warnings of an aggregation, one line each, without the command's prefix: first
    each run left out (its directory, the file and why), then :attr:`AggregateResult.warnings`.
    The commands print them on standard error as ``COMMAND: warning: ...``."""
    lines = []
    for rid, why in result.unreadable.items():
        where = result.sweep_dir if rid == "." else result.sweep_dir / rid
        lines.append(f"left out the run in {where}: {why}")
    return lines + list(result.warnings)


def output_problem(directory: str | os.PathLike, what: str,
                   names: Iterable[str] = ()) -> str | None:
    """Why a command cannot write the directory ``directory`` and the files ``names`` in it
    (one line beginning with ``what``, the option or argument that chose it), or None if it
    can. Made before any work, so that nothing is half-written:
    :func:`sim.terminal.output_dir_problem` (a file in the path, no permission, a place where
    no directory can be made such as ``/proc``), and none of ``names`` may be a directory
    there already (the file could not replace it)."""
    from sim.terminal import output_dir_problem

    problem = output_dir_problem(directory, what)
    if problem:
        return problem
    target = Path(directory).expanduser()
    for name in names:
        if (target / name).is_dir() and not (target / name).is_symlink():
            return (f"{what}: cannot write {target / name}: it is a directory (the command "
                    "writes a file of that name there)")
    return None


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
