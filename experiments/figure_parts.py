"""The parts the figures of :mod:`experiments.figures` share: the page (``WIDTH_IN``, ``DPI``,
the matplotlib settings ``RC``), metric and arm labels, arm colours, and the canvas, titles,
notes and legends every figure is drawn with.

matplotlib is imported inside the functions that draw, not when this module is imported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from experiments.aggregate import BASELINE, AggregateResult

__all__ = ["DPI", "METRICS", "RC", "WIDTH_IN", "ArmLabels", "arm_colours", "arm_series",
           "band_text", "canvas", "display_labels", "footer_text", "legend_below",
           "legend_rows", "metric_in", "metric_label", "n_seeds_text", "split_arm", "suptitle",
           "wrap_label"]

WIDTH_IN = 17 / 2.54  # A4 text width
DPI = 200
RC = {
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.labelsize": 8.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "figure.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "savefig.dpi": DPI,
}

#: label and unit of the metrics the figures use (others fall back to their column name)
METRICS: dict[str, tuple[str, str]] = {
    "mean_achievement": ("mean achievement", "year-0 SD"),
    "urban_rural_gap": ("urban–rural achievement gap", "year-0 SD"),
    "ses_gap": ("SES top–bottom quartile gap", "year-0 SD"),
    "between_school_share": ("between-school share of achievement variance", "share"),
    "ses_dissimilarity": ("SES segregation (dissimilarity index)", "index 0–1"),
    "pupils_in_noncomplying_schools": ("pupils in schools below the 2017 standard", "share"),
    "gini_equipment": ("Gini of equipment value per pupil", "index 0–1"),
    "gini_qualified_teachers": ("Gini of qualified teachers per pupil", "index 0–1"),
    "gini_funds": ("Gini of funds per pupil", "index 0–1"),
    "spending_yuan": ("county spending", "yuan per year"),
    "quality_passed": ("share of seeds meeting the 2017 standard", "share"),
    "basic_passed": ("share of seeds meeting the 2012 standard", "share"),
    "students": ("pupils", "count"),
    "teachers": ("teachers", "count"),
}


def metric_label(metric: str, with_unit: bool = True) -> str:
    """Readable label of a timeseries column, with its unit in brackets."""
    if metric in METRICS:
        label, unit = METRICS[metric]
    elif metric.startswith("cv_"):
        from sim.evaluation import INDICATORS

        level, _, name = metric.removeprefix("cv_").partition("_")
        ind = INDICATORS.get(name)
        label = f"{ind.label if ind else name} CV, {level}"
        unit = "difference coefficient"
    elif metric.startswith("cost_"):
        label, unit = metric.removeprefix("cost_").replace("_", " ") + " cost", "yuan per year"
    else:
        label, unit = metric.replace("_", " "), ""
    return f"{label} ({unit})" if with_unit and unit else label


# ---------------------------------------------------------------------------------------------
# arm labels and colours


def split_arm(arm: str) -> list[tuple[str, str]]:
    """The (key, value) settings of an arm label ``key=value, key=value``; a part without
    ``=`` gives (part, '')."""
    parts = []
    for p in arm.split(", "):
        k, sep, v = p.partition("=")
        parts.append((k, v) if sep else (p, ""))
    return parts


@dataclass
class ArmLabels:
    """How arms are named in the figures, in words (``policies.teacher_rotation.rate=0.05``
    becomes "teacher rotation rate 0.05").

    ``full``: the settings of each arm, with the settings every policy arm shares left out
    (they are in ``note``); ``short``: the same, or only the value when the arms differ in
    one parameter, which is then ``title`` with its unit (for a legend title or an axis
    label); ``units``: the unit of each parameter named in the labels, for a note.
    """

    full: dict[str, str]
    short: dict[str, str]
    title: str
    note: str
    units: str = ""


def display_labels(arms: list[str]) -> ArmLabels:
    """Readable names of ``arms`` (see :class:`ArmLabels`)."""
    from sim.labels import parameter_unit, setting_label

    others = [a for a in arms if a != BASELINE]
    split = {a: split_arm(a) for a in others}
    common: list[tuple[str, str]] = []
    if len(others) > 1:
        first = split[others[0]]
        common = [p for p in first if all(p in split[a] for a in others[1:])]
    full = {BASELINE: "baseline (no policy)"} if BASELINE in arms else {}
    rest = {a: [p for p in split[a] if p not in common] or split[a] for a in others}
    for a in others:
        full[a] = ", ".join(setting_label(k, v, unit=False) if v else k for k, v in rest[a])
    varying = {k for parts in rest.values() for k, _ in parts}
    short, title = dict(full), ""
    if len(others) > 1 and len(varying) == 1 and all(len(p) == 1 and p[0][1]
                                                        for p in rest.values()):
        key = next(iter(varying))
        title = setting_label(key)
        short.update({a: rest[a][0][1] for a in others})
    note = ", ".join(setting_label(k, v) for k, v in common)
    units = "; ".join(f"{setting_label(k, unit=False)}: {parameter_unit(k)}"
                      for k in sorted(varying) if parameter_unit(k))
    if title:
        units = ""  # the title carries the unit
    return ArmLabels(full=full, short=short, title=title, note=note, units=units)


def arm_colours(res: AggregateResult) -> dict[str, Any]:
    """Baseline black; a sequential palette along a 1-D sweep of five or more arms (the arms
    are ordered by the parameter), else distinct colours (sequential beyond nine arms)."""
    import matplotlib

    arms = res.arm_order
    others = [a for a in arms if a != BASELINE]
    if len(others) > 9 or (len(res.swept_params) == 1 and len(others) >= 5):
        cmap = matplotlib.colormaps["viridis"]  # up to 0.82: the yellow end is unreadable on white
        cols = {a: cmap(0.82 * i / max(1, len(others) - 1)) for i, a in enumerate(others)}
    else:
        cmap = matplotlib.colormaps["tab10"]
        palette = [cmap(i) for i in (0, 1, 2, 3, 4, 6, 8, 9, 5)]  # no grey: baseline is dark
        cols = {a: palette[i] for i, a in enumerate(others)}
    cols[BASELINE] = (0.1, 0.1, 0.1, 1.0)
    return cols


# ---------------------------------------------------------------------------------------------
# canvas, text and legends


def arm_series(res: AggregateResult, metric: str, arm: str) -> pd.DataFrame:
    """The summary rows of ``metric`` for ``arm``, by year."""
    s = res.summary
    return s[(s["arm"] == arm) & (s["metric"] == metric)].sort_values("year")


def metric_in(res: AggregateResult, metric: str) -> bool:
    """Whether the summary has ``metric`` for any arm."""
    return bool((res.summary["metric"] == metric).any())


def band_text(res: AggregateResult, bands: bool, otherwise: str) -> str:
    """What the shaded bands show (``otherwise`` when there are none), for a title."""
    if not bands:
        return otherwise
    if (res.arms["n_runs"] < 2).all():
        return "one seed: no interval"
    return "shaded: 95% interval across seeds"


def n_seeds_text(res: AggregateResult) -> str:
    """The number of seeds per arm in words ("2 seeds", "1–3 seeds")."""
    n = sorted(set(res.arms["n_runs"]))
    return f"{n[0]} seed{'s' if n[0] != 1 else ''}" if len(n) == 1 else \
        f"{n[0]}–{n[-1]} seeds"


def wrap_label(label: str, width: int = 26) -> str:
    """Break an arm label at ', ' so that no line is much longer than ``width``."""
    lines: list[str] = []
    for part in label.split(", "):
        if lines and len(lines[-1]) + 2 + len(part) <= width:
            lines[-1] += ", " + part
        else:
            lines.append(part)
    return "\n".join(lines)


def suptitle(fig: Any, text: str, **kw: Any) -> None:
    """A figure title whose lines fit the A4 text width."""
    import textwrap

    lines = [w for line in text.split("\n") for w in textwrap.wrap(line, 80)]
    fig.suptitle("\n".join(lines), **kw)


def footer_text(res: AggregateResult, note: str, extra: str = "") -> str:
    """The notes under a figure: the settings all policy arms share (``note``), units,
    county preset, ``extra``, and a warning about single-seed arms."""
    parts = []
    if note:
        parts.append(f"All policy arms: {note}.")
    units = display_labels(res.arm_order).units
    if units:
        parts.append(f"Units: {units}.")
    region = res.arms["region"].dropna().unique() if "region" in res.arms else []
    if len(region) == 1:
        parts.append(f"County preset: {region[0]}.")
    if extra:
        parts.append(extra)
    if (res.arms["n_runs"] < 2).any():
        parts.append("Arms with a single seed have no interval.")
    return " ".join(parts)


def canvas(height: float, foot: str = "") -> tuple[Any, Any]:
    """A full-width figure of ``height`` inches plus a strip of small grey notes under it:
    (figure, the subfigure to draw in)."""
    import textwrap

    import matplotlib.pyplot as plt

    lines = textwrap.wrap(foot, 118) if foot else []
    foot_h = 0.1 + 0.13 * len(lines) if lines else 0.0
    fig = plt.figure(figsize=(WIDTH_IN, height + foot_h), layout="constrained")
    if not lines:
        return fig, fig
    main, strip = fig.subfigures(2, 1, height_ratios=[height, foot_h])
    strip.text(0.01, 0.5, "\n".join(lines), fontsize=8, ha="left", va="center", color="0.3")
    return fig, main


def legend_rows(labels: list[str]) -> tuple[int, int]:
    """(columns, rows) of a legend below a full-width figure."""
    longest = max((len(label) for label in labels), default=10)
    ncol = max(1, min(len(labels), int(110 // (longest + 6))))
    return ncol, math.ceil(len(labels) / ncol)


def legend_below(fig: Any, handles: list, labels: list[str], title: str = "") -> None:
    """A legend under the axes of ``fig``, in as many columns as fit the width."""
    ncol, _ = legend_rows(labels)
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, frameon=False,
               title=title or None, title_fontsize=8.5)

