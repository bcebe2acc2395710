"""What :mod:`experiments.aggregate` produces: the :class:`AggregateResult` with its tables,
the files it writes to ``OUT/aggregate/`` (each atomically, the manifest last), reading them
back, and the plain-text report the command prints.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.aggregate_runs import BASELINE, MANIFEST, AggregateError

__all__ = ["AGGREGATE_DIRNAME", "AggregateResult", "report", "write_result"]

#: the folder the tables are written to, under OUT (default: the sweep directory)
AGGREGATE_DIRNAME = "aggregate"


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
            reference_arm=m.get("reference_arm"), model=m.get("model"),
            differences=pd.read_csv(diff) if "differences.csv" in m["files"] else None)


def write_result(result: AggregateResult) -> None:
    """Write the tables of ``result`` to ``result.out_dir`` (see :mod:`experiments.aggregate`),
    the manifest last, and set ``result.files``."""
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
    """A short plain-text report of an aggregation."""
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
