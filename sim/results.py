"""Run outputs: tidy tables, a JSON summary and the equity figure, written atomically.

A finished run directory holds::

    timeseries.parquet   one row per year: county metrics (see sim.record.record_year)
    schools.parquet      one row per school, level section and year: the official indicators
    summary.json         model version, seed, configuration, first and last year's key
                         metrics, verdicts
    equity.png           equity and quality trajectories (drawn by sim.run_figure)
    COMPLETE             written last: the run finished and every file above is whole

Every file is written to a temporary name in the same directory and renamed into place,
so an interrupted run never leaves a truncated file under a final name.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.behaviour import BEHAVIOUR, stamp

if TYPE_CHECKING:
    from sim.model import EducationModel

__all__ = ["BASELINE_FILE", "EQUITY_MEASURES", "KEY_METRICS", "atomic_write",
           "baseline_fingerprint", "compare_to_baseline", "comparison_table", "county_spending",
           "file_fingerprint",
           "json_safe", "model_fingerprint", "run_fingerprint", "summarise", "summary_table",
           "write_outputs", "write_parquet"]

#: measures compared with a same-seed baseline: column, label; lower is more equal
EQUITY_MEASURES: list[tuple[str, str]] = [
    ("urban_rural_gap", "urban-rural achievement gap (year-0 SD)"),
    ("ses_gap", "SES top-bottom quartile gap (year-0 SD)"),
    ("between_school_share", "between-school share of achievement variance"),
    ("ses_dissimilarity", "SES segregation (dissimilarity index)"),
    ("cv_primary_backbone_teachers_per_100", "backbone-teacher CV, primary"),
    ("cv_junior_backbone_teachers_per_100", "backbone-teacher CV, junior"),
    ("cv_primary_equipment_value_yuan_per_student", "equipment CV, primary"),
    ("cv_primary_multimedia_rooms_per_100", "multimedia-room CV, primary"),
    ("gini_qualified_teachers", "Gini of qualified teachers per pupil"),
    ("gini_equipment", "Gini of equipment per pupil"),
    ("pupils_in_noncomplying_schools", "pupils in schools below the 2017 standard (share)"),
]

#: headline metrics of the printed summary: column, label, unit
KEY_METRICS: list[tuple[str, str, str]] = [
    ("students", "pupils", "count"),
    ("teachers", "teachers", "count"),
    ("mean_achievement", "mean achievement (quality)", "year-0 SD"),
    ("urban_rural_gap", "urban-rural achievement gap", "year-0 SD"),
    ("ses_gap", "SES top-bottom quartile gap", "year-0 SD"),
    ("between_school_share", "between-school share of variance", "share"),
    ("ses_dissimilarity", "SES segregation (dissimilarity, bottom quartile)", "index"),
    ("teacher_effectiveness_urban", "teacher effectiveness, urban", "student SD/yr"),
    ("teacher_effectiveness_rural", "teacher effectiveness, rural", "student SD/yr"),
    ("backbone_per_100_urban", "backbone teachers per 100 pupils, urban", "per 100"),
    ("backbone_per_100_rural", "backbone teachers per 100 pupils, rural", "per 100"),
    ("attrition_rate_rural", "rural teacher attrition", "share/yr"),
    ("gini_equipment", "Gini of equipment value per pupil", "index"),
    ("theil_funds_between_tier_share", "between-tier share of Theil, funds per pupil", "share"),
    ("mcloone_funds", "McLoone index of funds per pupil", "index"),
    ("pupils_in_noncomplying_schools", "pupils in schools below the 2017 standard", "share"),
    ("spending_yuan", "county spending", "yuan/yr"),
]


def _tmp_path(path: Path) -> Path:
    """Where :func:`atomic_write` writes ``path`` before renaming it (beside it, hidden)."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def atomic_write(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)`` and rename the result to ``path``."""
    path = Path(path)
    tmp = _tmp_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars made Python numbers and non-finite floats None (what
    summary.json holds), dict keys made strings, tuples made lists."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


#: the same-seed baseline's yearly metrics, beside a run with policies
BASELINE_FILE = "baseline_timeseries.parquet"
#: key of a results file's fingerprint in its parquet metadata
FINGERPRINT_KEY = b"edusim_fingerprint"


def run_fingerprint(seed: int, years: int, config: dict[str, Any],
                    behaviour: str | None = BEHAVIOUR) -> str:
    """The identity of a run's results: SHA-256 (first 16 hex digits) of the seed, the
    number of years, the whole configuration and the behaviour fingerprint of the model
    that made them (:mod:`sim.behaviour`; by default this version's), as canonical JSON.
    Two runs with the same fingerprint have the same inputs and model; files carrying
    different fingerprints never belong to the same comparison. ``behaviour=None``: the
    fingerprint of a run written before runs recorded their model (without it)."""
    ident = {"seed": int(seed), "years": int(years), "config": json_safe(config)}
    if behaviour is not None:
        ident["behaviour"] = behaviour
    blob = json.dumps(ident, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def baseline_fingerprint(seed: int, years: int, config: dict[str, Any],
                         behaviour: str | None = BEHAVIOUR) -> str:
    """The fingerprint of the same-seed baseline of a run: the same seed, years, model and
    configuration with no policy."""
    return run_fingerprint(seed, years, {**config, "policies": {}}, behaviour)


def model_fingerprint(model: EducationModel) -> str:
    """The fingerprint of a model's run so far (:func:`run_fingerprint`)."""
    return run_fingerprint(model.seed, model.year, model.cfg.to_dict())


def file_fingerprint(path: str | os.PathLike) -> str | None:
    """The fingerprint stored in a parquet file's metadata (None if it has none)."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    value = meta.get(FINGERPRINT_KEY)
    return value.decode() if value is not None else None


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike, fingerprint: str) -> None:
    """Write ``frame`` as parquet with ``fingerprint`` in the file's metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[FINGERPRINT_KEY] = fingerprint.encode()
    pq.write_table(table.replace_schema_metadata(meta), path)


def summarise(model: EducationModel) -> dict[str, Any]:
    """The run's summary: the model that made it (``edusim``: version and behaviour
    fingerprint, :mod:`sim.behaviour`), identity, configuration, and first / last year's key
    metrics."""
    ts = model.timeseries()
    first, last = ts.iloc[0], ts.iloc[-1]
    out: dict[str, Any] = {
        "edusim": stamp(),  # the model that made the run (sim.behaviour)
        "seed": model.seed,
        "years": int(last["year"]),
        "region": model.cfg.region.preset,
        "first_year": {k: first.get(k) for k, _, _ in KEY_METRICS},
        "last_year": {k: last.get(k) for k, _, _ in KEY_METRICS},
        "config": model.cfg.to_dict(),
    }
    extra = getattr(model, "summary_extras", None)
    if callable(extra):
        out.update(extra())
    return json_safe(out)


def summary_table(model: EducationModel) -> str:
    """A short plain-text table: each headline metric in year 0 and the last year."""
    ts = model.timeseries()
    first, last = ts.iloc[0], ts.iloc[-1]
    year = int(last["year"])
    rows = [("metric", "unit", "year 0", f"year {year}")]
    for key, label, unit in KEY_METRICS:
        if key not in ts:
            continue
        a, b = first.get(key), last.get(key)
        rows.append((label, unit, _fmt(a, unit == "count"), _fmt(b, unit == "count")))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for i, r in enumerate(rows):
        lines.append(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  "
                     f"{r[3]:>{widths[3]}}")
        if i == 0:
            lines.append("-" * len(lines[0]))
    if "quality_passed" in ts:
        lines += ["", f"Official county tests in year {year}:"] + _verdict_lines(ts)
    return "\n".join(lines)


def _verdict_lines(ts: pd.DataFrame) -> list[str]:
    """One line per standard: verdict per level, failing indicators, first year met."""
    from sim.record import level_verdict

    last = ts.iloc[-1]
    out = []
    for standard, title in (("quality", "2017 high-quality balance (优质均衡)"),
                            ("basic", "2012 basic balance (基本均衡)")):
        parts = [level_verdict(last, standard, level) for level in ("primary", "junior")]
        met = ts.loc[ts[f"{standard}_passed"].astype(bool), "year"]
        first = f"first met in year {int(met.iloc[0])}" if len(met) else "never met in this run"
        out.append(f"  {title}: {first}")
        out += [f"    {p}" for p in parts]
    return out


def compare_to_baseline(model: EducationModel, baseline: EducationModel) -> dict[str, Any]:
    """Policy run vs the same-seed baseline, at the last year.

    For each equity measure: both values, the change (policy − baseline; negative = more
    equal) and the equity gained per million yuan of policy cost (baseline − policy, per
    million yuan; positive = more equal per money spent). Also the change in mean
    achievement (quality: a gain must not come from levelling down), each policy's total cost,
    the extra county spending over years 1..N (``extra_county_spending_yuan``: every cost line
    of the county, the policies' own money included, so also salaries and allowances that
    move with a policy, capital and conversions) and the first year each official standard
    is met in both runs.
    """
    if model.seed != baseline.seed:
        raise ValueError(f"baseline seed {baseline.seed} differs from the run's {model.seed}")
    a, b = model.timeseries().iloc[-1], baseline.timeseries().iloc[-1]
    if a["year"] != b["year"]:
        raise ValueError("the baseline ran for a different number of years")
    cost = float(sum(p.total_cost for p in model.policies))
    per_million = cost / 1e6
    measures = {}
    for key, label in EQUITY_MEASURES:
        if key not in a or key not in b:
            continue
        pol, base = float(a[key]), float(b[key])
        measures[key] = {
            "label": label, "policy": pol, "baseline": base, "change": pol - base,
            "gain_per_million_yuan": (base - pol) / per_million if per_million > 0 else None,
        }
    first = {"policy": model.summary_extras()["first_year_standard_met"],
             "baseline": baseline.summary_extras()["first_year_standard_met"]}
    extra = county_spending(model.timeseries()) - county_spending(baseline.timeseries())
    return json_safe({
        "years": int(a["year"]),
        "total_policy_cost_yuan": cost,
        "extra_county_spending_yuan": extra,
        "policy_cost_yuan": {p.name: p.total_cost for p in model.policies},
        "mean_achievement": {"policy": float(a["mean_achievement"]),
                             "baseline": float(b["mean_achievement"]),
                             "change": float(a["mean_achievement"] - b["mean_achievement"])},
        "equity": measures,
        "first_year_standard_met": first,
    })


def county_spending(ts: pd.DataFrame, years: int | None = None) -> float:
    """All county spending (yuan, every cost line, the policies' own money included) of
    years 1..``years`` of a run's timeseries (default: every year; year 0 has none)."""
    last = ts["year"].max() if years is None else years
    return float(ts.loc[ts["year"].between(1, last), "spending_yuan"].sum())


def comparison_table(comparison: dict[str, Any]) -> str:
    """Plain-text table of :func:`compare_to_baseline`."""
    rows = [("measure (last year)", "baseline", "policy", "change", "gain per m yuan")]
    q = comparison["mean_achievement"]
    rows.append(("mean achievement (quality, year-0 SD)", _fmt(q["baseline"]), _fmt(q["policy"]),
                 _signed(q["change"]), ""))
    for m in comparison["equity"].values():
        gain = m["gain_per_million_yuan"]
        rows.append((m["label"], _fmt(m["baseline"]), _fmt(m["policy"]), _signed(m["change"]),
                     _signed(gain, 5)))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for i, r in enumerate(rows):
        lines.append(f"{r[0]:<{widths[0]}}  " + "  ".join(
            f"{r[k]:>{widths[k]}}" for k in range(1, 5)))
        if i == 0:
            lines.append("-" * len(lines[0]))
    cost = comparison["total_policy_cost_yuan"]
    lines.append(f"total policy cost over {comparison['years']} years: {cost / 1e6:,.1f} million yuan "
                 + "(" + ", ".join(f"{k} {v / 1e6:,.1f} m" for k, v in
                                   comparison["policy_cost_yuan"].items()) + ")")
    extra = comparison.get("extra_county_spending_yuan")
    if extra is not None:
        lines.append(f"extra county spending over {comparison['years']} years: "
                     f"{extra / 1e6:,.1f} million yuan (all county cost lines against the "
                     "baseline, the policies' own money included)")
    if any(r[k] == "–" for r in rows[1:] for k in (1, 2, 3)):
        lines.append("–: not defined in that year (e.g. a gap between tiers when one of them "
                     "has no pupils left)")
    return "\n".join(lines)


def _signed(x: Any, digits: int = 3) -> str:
    """A change with its sign, or '–' when it is not defined (None or not finite)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{float(x):+.{digits}f}"


def _fmt(x: Any, count: bool = False) -> str:
    """A table value: '–' when undefined, millions as 'm', whole numbers of 10 or more (or
    any ``count``) without decimals, others with three."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    x = float(x)
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.1f} m"
    if float(x).is_integer() and (abs(x) >= 10 or count):
        return f"{int(x):,}"
    return f"{x:.3f}"


def write_outputs(model: EducationModel, out_dir: str | os.PathLike, figures: bool = True,
                  baseline: EducationModel | None = None) -> Path:
    """Write the run's files into ``out_dir`` (created if needed); returns the directory.
    With a same-seed ``baseline`` run, summary.json gains a ``vs_baseline`` comparison and
    ``baseline_timeseries.parquet`` is written too; without one, a baseline file left in
    the directory by an earlier run is removed.

    Every results file carries the fingerprint of the run it belongs to
    (:func:`run_fingerprint`: in summary.json as ``fingerprint`` and
    ``baseline_fingerprint``, in the parquet files' metadata), so that a reader can refuse
    files of another configuration or seed. A ``baseline`` that is not this run's same-seed
    baseline (other seed, years or configuration) raises ValueError before anything is
    written."""
    fingerprint = model_fingerprint(model)
    base_fp = None
    if baseline is not None:
        base_fp = model_fingerprint(baseline)
        if base_fp != baseline_fingerprint(model.seed, model.year, model.cfg.to_dict()):
            raise ValueError("the baseline is not this run's same-seed baseline (its seed, "
                             "years or configuration other than the policies differ)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    marker = out / "COMPLETE"
    if marker.exists():
        marker.unlink()
    stale = out / BASELINE_FILE
    if baseline is None and stale.exists():
        stale.unlink()  # an earlier run's baseline is not this run's
    ts = model.timeseries()
    schools = model.school_history()
    base_ts = baseline.timeseries() if baseline is not None else None
    figure, figure_tmp = None, _tmp_path(out / "equity.png")
    if figures:  # handed to the figure process first: it draws while the files are written
        from sim.labels import policy_summary
        from sim.run_figure import start_equity_figure

        county = (f"county from {os.path.basename(model.cfg.region.path)}"
                  if model.cfg.region.path else f"{model.cfg.region.preset} county")
        title = f"{county}, seed {model.seed}"
        subtitle = policy_summary(model.cfg.to_dict().get("policies") or {})
        figure = start_equity_figure(ts, figure_tmp, title, baseline=base_ts,
                                     subtitle=subtitle)
    try:
        atomic_write(out / "timeseries.parquet", lambda p: write_parquet(ts, p, fingerprint))
        atomic_write(out / "schools.parquet",
                     lambda p: write_parquet(schools, p, fingerprint))
        summary = summarise(model)
        summary["fingerprint"] = fingerprint
        if baseline is not None:
            summary["vs_baseline"] = compare_to_baseline(model, baseline)
            summary["baseline_fingerprint"] = base_fp
            atomic_write(out / BASELINE_FILE, lambda p: write_parquet(base_ts, p, base_fp))
        atomic_write(out / "summary.json",
                     lambda p: p.write_text(json.dumps(summary, indent=2, ensure_ascii=False)))
        if figure is not None:
            figure.wait()
            os.replace(figure_tmp, out / "equity.png")
            figure = None
    finally:
        if figure is not None:  # an error on the way: no figure, no half-written file
            figure.abandon()
        if figure_tmp.exists():
            figure_tmp.unlink()
    atomic_write(marker, lambda p: p.write_text("ok\n"))
    return out
