"""Run outputs: tidy tables, a JSON summary and the equity figure, written atomically.

A finished run directory holds::

    timeseries.parquet   one row per year: county metrics (see sim.record.record_year)
    schools.parquet      one row per school, level section and year: the official indicators
    summary.json         seed, configuration, first and last year's key metrics, verdicts
    equity.png           equity and quality trajectories
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

if TYPE_CHECKING:
    from sim.model import EducationModel

__all__ = ["BASELINE_FILE", "EQUITY_MEASURES", "KEY_METRICS", "atomic_write", "baseline_fingerprint",
           "compare_to_baseline", "file_fingerprint", "json_safe", "model_fingerprint",
           "run_fingerprint", "write_parquet",
           "comparison_table", "draw_equity_figure", "equity_figure", "parameter_unit", "policy_name",
           "policy_summary", "setting_label", "summarise", "summary_table", "write_outputs"]

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


def atomic_write(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)`` and rename the result to ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
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


def run_fingerprint(seed: int, years: int, config: dict[str, Any]) -> str:
    """The identity of a run's results: SHA-256 (first 16 hex digits) of the seed, the
    number of years and the whole configuration, as canonical JSON. Two runs with the same
    fingerprint have the same inputs; files carrying different fingerprints never belong
    to the same comparison."""
    blob = json.dumps({"seed": int(seed), "years": int(years), "config": json_safe(config)},
                      sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def baseline_fingerprint(seed: int, years: int, config: dict[str, Any]) -> str:
    """The fingerprint of the same-seed baseline of a run: the same seed, years and
    configuration with no policy."""
    return run_fingerprint(seed, years, {**config, "policies": {}})


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
    """The run's summary: identity, configuration, and first / last year's key metrics."""
    ts = model.timeseries()
    first, last = ts.iloc[0], ts.iloc[-1]
    out: dict[str, Any] = {
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
        rows.append((label, unit, _fmt(a), _fmt(b)))
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
    achievement (quality: a gain must not come from levelling down), each policy's total cost
    and the first year each official standard is met in both runs.
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
    return json_safe({
        "years": int(a["year"]),
        "total_policy_cost_yuan": cost,
        "policy_cost_yuan": {p.name: p.total_cost for p in model.policies},
        "mean_achievement": {"policy": float(a["mean_achievement"]),
                             "baseline": float(b["mean_achievement"]),
                             "change": float(a["mean_achievement"] - b["mean_achievement"])},
        "equity": measures,
        "first_year_standard_met": first,
    })


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
    if any(r[k] == "–" for r in rows[1:] for k in (1, 2, 3)):
        lines.append("–: not defined in that year (e.g. a gap between tiers when one of them "
                     "has no pupils left)")
    return "\n".join(lines)


def _signed(x: Any, digits: int = 3) -> str:
    """A change with its sign, or '–' when it is not defined (None or not finite)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{float(x):+.{digits}f}"


def _fmt(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    x = float(x)
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.1f} m"
    if float(x).is_integer() and abs(x) >= 10:
        return f"{int(x):,}"
    return f"{x:.3f}"


def policy_name(name: str) -> str:
    """The English name of a registered policy, from the first line of its module's docstring
    ("Teacher rotation (教师交流轮岗 / 支教): ..." gives "teacher rotation"); the registry name
    with spaces when there is none. Figures use the English name only: a Chinese name would
    need a CJK font, which a plain matplotlib installation does not have."""
    import sys

    from sim.policies import POLICIES

    cls = POLICIES.get(name)
    doc = (sys.modules[cls.__module__].__doc__ or "") if cls is not None else ""
    head = doc.strip().split("\n", 1)[0]
    english = head.split(" (", 1)[0].split(":", 1)[0].strip()
    if not english or len(english) > 40:
        english = name.replace("_", " ")
    return english[0].lower() + english[1:]


def parameter_unit(key: str) -> str:
    """The unit of a model (``teachers.rural_allowance``) or policy
    (``policies.teacher_rotation.rate``) parameter from its schema; '' when unknown."""
    import dataclasses

    parts = key.split(".")
    try:
        if parts[0] == "policies" and len(parts) >= 3:
            from sim.policies import POLICIES

            cls = POLICIES.get(parts[1])
            fields = {f.name: f for f in dataclasses.fields(cls.Config)} if cls else {}
            return str(fields[parts[2]].metadata.get("unit", "")) if parts[2] in fields else ""
        from sim.config import parameter_table

        table = parameter_table().set_index("parameter")["unit"]
        while parts and ".".join(parts) not in table.index:
            parts = parts[:-1]  # a tier of a tiered value: teachers.attrition.rural
        return str(table[".".join(parts)]) if parts else ""
    except Exception:  # a label must never stop a figure
        return ""


def setting_label(key: str, value: Any = None, unit: bool = True) -> str:
    """A parameter setting in words: ``policies.teacher_rotation.rate=0.05`` gives
    "teacher rotation rate 0.05 (share of eligible teachers per year)",
    ``teachers.rural_allowance=0.3`` gives "rural allowance 0.3 (share of base salary)"."""
    parts = key.split(".")
    if parts[0] == "policies" and len(parts) >= 3:
        words = f"{policy_name(parts[1])} {' '.join(parts[2:]).replace('_', ' ')}"
    elif parts[0] == "policies" and len(parts) == 2:
        words = policy_name(parts[1])
    else:
        tail = parts[-1] if len(parts) == 1 or parts[-1] not in ("urban", "town", "rural") \
            else f"{parts[-2]}, {parts[-1]}"
        words = tail.replace("_", " ")
    text = words if value is None or value == "" else f"{words} {value}"
    u = parameter_unit(key) if unit else ""
    return f"{text} ({u})" if u else text


def _main_settings(name: str, params: dict[str, Any]) -> list[tuple[str, Any]]:
    """A policy's settings worth naming: those that differ from the defaults; if none, its
    first numeric intensity (the first number after start_year, end_year and fidelity)."""
    import dataclasses

    from sim.policies import POLICIES

    cls = POLICIES.get(name)
    if cls is None:
        return []
    fields = dataclasses.fields(cls.Config)
    defaults = {f.name: f.default for f in fields if f.default is not dataclasses.MISSING}
    timing = ("start_year", "end_year", "fidelity")
    changed = [(k, v) for k, v in params.items()
               if k in defaults and v != defaults[k] and k not in timing]
    if changed:
        return changed
    for f in fields:
        if f.name not in timing and isinstance(defaults.get(f.name), (int, float)) \
                and not isinstance(defaults.get(f.name), bool):
            return [(f.name, params.get(f.name, defaults[f.name]))]
    return []


def policy_summary(policies: dict[str, Any]) -> str:
    """The policies of a configuration and their main settings, in words: "teacher rotation:
    rate 0.05 (share of eligible teachers per year); targeted funding: ..."; units left out
    beyond three policies (the title would not fit the figure)."""
    parts = []
    units = len(policies or {}) <= 3
    for name, params in (policies or {}).items():
        settings = _main_settings(name, dict(params or {}))
        text = "; ".join(setting_label(f"policies.{name}.{k}", _short_value(v),
                                       unit=units).removeprefix(
            policy_name(name) + " ") for k, v in settings)
        parts.append(f"{policy_name(name)}: {text}" if text else policy_name(name))
    return " | ".join(parts)


def _short_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


#: tier colours of the equity figure
TIER_COLOURS = {"urban": "#1f77b4", "town": "#ff7f0e", "rural": "#2ca02c"}


def equity_figure(ts: pd.DataFrame, path: Path, title: str = "",
                  baseline: pd.DataFrame | None = None, subtitle: str = "") -> None:
    """Write :func:`draw_equity_figure` as a PNG at ``path`` (200 dpi)."""
    import matplotlib.pyplot as plt

    fig = draw_equity_figure(ts, title, baseline, subtitle)
    try:
        fig.savefig(path, dpi=200, format="png")
    finally:
        plt.close(fig)


def draw_equity_figure(ts: pd.DataFrame, title: str = "",
                       baseline: pd.DataFrame | None = None, subtitle: str = "") -> Any:
    """Equity and quality over the years: achievement by tier, gaps, teachers by tier and the
    official difference coefficients (primary and junior, against their 2017 limits).

    With a ``baseline`` (the same-seed run without policies) every series is drawn twice:
    the policy run as a solid line, the baseline as a thinner dashed line of the same colour.
    ``subtitle`` (e.g. the policies and their intensities) goes under the title. Legends sit
    below their panels, never over data or limit lines. Sized for the A4 text width
    (17 cm; saved at 200 dpi by :func:`equity_figure`; fonts of 8 pt and more). The caller
    closes the figure."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    width = 17 / 2.54  # A4 text width
    rc = {"font.size": 8, "axes.titlesize": 8.5, "axes.labelsize": 8, "xtick.labelsize": 8,
          "ytick.labelsize": 8, "legend.fontsize": 8, "figure.titlesize": 9.5}
    with plt.rc_context(rc):
        fig, axes = plt.subplots(3, 2, figsize=(width, 10.2), layout="constrained")
        base = baseline if baseline is not None and len(baseline) else None

        def line(ax: Any, col: str, label: str | None = None, **kw: Any) -> None:
            """The run's series (solid) and, with a baseline, the baseline's (dashed)."""
            if col not in ts:
                return
            ax.plot(ts["year"], ts[col], label=label, lw=kw.pop("lw", 1.5), **kw)
            if base is not None and col in base:
                kw.pop("ls", None)
                ax.plot(base["year"], base[col], ls=(0, (4, 2)), lw=1.0, alpha=0.75, **kw)

        def legend_below(ax: Any, ncol: int = 2) -> None:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=ncol,
                      frameon=False, handlelength=1.8, columnspacing=1.0)

        ax = axes[0, 0]
        line(ax, "mean_achievement", "county mean", color="black", lw=2)
        for tier, c in TIER_COLOURS.items():
            line(ax, f"achievement_{tier}", f"{tier} schools", color=c)
        ax.set_title("Quality: mean achievement")
        ax.set_ylabel("achievement (year-0 SD)")
        legend_below(ax)

        ax = axes[0, 1]
        for col, label, c in (("ses_gap", "SES gap (top − bottom quartile)", "#9467bd"),
                              ("urban_rural_gap", "urban − rural gap", "#8c564b"),
                              ("between_school_share", "between-school share of variance",
                               "#17becf")):
            line(ax, col, label, color=c)
        ax.set_title("Equity: achievement gaps")
        ax.set_ylabel("gap (year-0 SD) or share (0–1)")
        ax.set_ylim(bottom=0)
        legend_below(ax, 1)

        for ax, prefix, name, unit in (
                (axes[1, 0], "teacher_effectiveness_", "Teacher effectiveness by tier",
                 "student SD per year"),
                (axes[1, 1], "backbone_per_100_", "Backbone teachers by tier",
                 "backbone teachers per 100 pupils")):
            for tier, c in TIER_COLOURS.items():
                line(ax, f"{prefix}{tier}", f"{tier} schools", color=c)
            ax.set_title(name)
            ax.set_ylabel(unit)
            legend_below(ax, 2)

        from sim.evaluation import CV_LIMITS, INDICATORS

        cmap = matplotlib.colormaps["tab10"]
        drawn_cv = False
        for ax, level in ((axes[2, 0], "primary"), (axes[2, 1], "junior")):
            cols = [c for c in ts.columns if c.startswith(f"cv_{level}_")]
            if not cols:
                ax.set_visible(False)
                continue
            drawn_cv = True
            for i, c in enumerate(cols):
                name = c.removeprefix(f"cv_{level}_")
                label = INDICATORS[name].label if name in INDICATORS else name
                line(ax, c, label, color=cmap(i % 10), lw=1.3)
            limit = CV_LIMITS["quality"][level]
            ax.axhline(limit, color="red", ls=":", lw=1.3, label=f"2017 limit ({limit:.2f})")
            ax.set_title(f"Official difference coefficients, {level}")
            ax.set_ylabel("difference coefficient (CV)")
            ax.set_ylim(bottom=0)
            legend_below(ax, 1)
        if not drawn_cv:
            ax = axes[2, 0]
            ax.set_visible(True)
            line(ax, "students", "pupils", color="black")
            ax.set_title("Enrolment")
            ax.set_ylabel("pupils")
        for a in axes.flat:
            a.set_xlabel("simulated year")
            a.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole years on the axis
            a.grid(alpha=0.3)
        head = []
        if title:
            head.append(title)
        if subtitle:
            head += textwrap.wrap(subtitle, 95)
        if base is not None:
            head.append("solid: with the policies; dashed, same colour: same-seed baseline "
                        "(no policy)")
            key = [Line2D([], [], color="0.2", lw=1.5),
                   Line2D([], [], color="0.2", lw=1.0, ls=(0, (4, 2)), alpha=0.75)]
            fig.legend(key, ["with the policies", "same-seed baseline (no policy)"],
                       loc="outside lower center", ncol=2, frameon=False)
        if head:
            fig.suptitle("\n".join(head))
        fig.canvas.draw()  # the layout, while the sizes above apply
    return fig


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
    atomic_write(out / "timeseries.parquet", lambda p: write_parquet(ts, p, fingerprint))
    atomic_write(out / "schools.parquet", lambda p: write_parquet(schools, p, fingerprint))
    summary = summarise(model)
    summary["fingerprint"] = fingerprint
    if baseline is not None:
        summary["vs_baseline"] = compare_to_baseline(model, baseline)
        summary["baseline_fingerprint"] = base_fp
        base_ts = baseline.timeseries()
        atomic_write(out / BASELINE_FILE, lambda p: write_parquet(base_ts, p, base_fp))
    atomic_write(out / "summary.json",
                 lambda p: p.write_text(json.dumps(summary, indent=2, ensure_ascii=False)))
    if figures:
        county = (f"county from {os.path.basename(model.cfg.region.path)}"
                  if model.cfg.region.path else f"{model.cfg.region.preset} county")
        title = f"{county}, seed {model.seed}"
        subtitle = policy_summary(model.cfg.to_dict().get("policies") or {})
        base_ts = baseline.timeseries() if baseline is not None else None
        atomic_write(out / "equity.png", lambda p: equity_figure(
            ts, p, title, baseline=base_ts, subtitle=subtitle))
    atomic_write(marker, lambda p: p.write_text("ok\n"))
    return out
