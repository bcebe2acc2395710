"""``edusim-figures``: the figures of a policy brief from an aggregated sweep.

    edusim-figures SWEEP_DIR                         # aggregates first if needed
    edusim-figures SWEEP_DIR --out brief/ --metric between_school_share

Each figure is a PNG sized for the text width of an A4 page (17 cm; fonts ≥ 8 pt there):

``trajectories.png``
    Mean achievement, urban–rural gap and between-school share over the years: per arm the
    mean across seeds with its 95% interval shaded.
``official_cvs.png``
    The 7 difference coefficients of the 2017 standard, primary and junior, over the years,
    against their limits (0.50 / 0.45); intervals shaded for up to 4 arms, means only beyond.
``policy_comparison.png``
    Per arm, the reduction of the urban–rural gap against the change in mean achievement at
    the last year, both relative to the reference (the baseline arm, or each run's same-seed
    baseline), with 95% intervals across seeds; colour = total policy cost.
``heatmap.png``
    For a 2-D sweep (two swept parameters besides the seed): the last-year mean of one metric
    (default ``urban_rural_gap``; ``--metric``) over the grid. Skipped for other sweeps.
``first_pass.png``
    The first year each official standard (2017 high-quality, 2012 basic balance) is met, per
    arm: one dot per seed, the median, and seeds that never pass in a separate 'never' column.
``cost_effectiveness.png``
    Equity gained per million yuan of policy cost (urban–rural gap, between-school share, SES
    gap) with 95% intervals, for arms whose policy cost is above zero.

With a named reference arm (``--reference ARM``, see :mod:`experiments.aggregate`; e.g. a sweep
of ``teachers.rural_allowance``) the comparison and cost-effectiveness figures show every other
arm against the same-seed run of that arm, and cost = the extra county spending over the years
compared with it.

A figure that cannot be drawn for the sweep is skipped with a note (and an older file of that
name in the output directory is removed so that it cannot be mistaken for a current one).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.aggregate import (
    AGGREGATE_DIRNAME,
    BASELINE,
    MANIFEST,
    AggregateError,
    AggregateResult,
    aggregate,
    find_runs,
    mean_ci,
)
from sim.terminal import command, output_dir_problem

__all__ = ["FIGURES", "FigureError", "FigureList", "display_labels", "draw_figures",
           "make_figures", "main", "metric_label"]

FIGURES = ("trajectories.png", "official_cvs.png", "policy_comparison.png", "heatmap.png",
           "first_pass.png", "cost_effectiveness.png")

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


class FigureError(Exception):
    """A request the figures cannot satisfy (e.g. an unknown heatmap metric)."""


class FigureList(list):
    """The paths written (a list), with ``skipped``: figure name → reason."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.skipped: dict[str, str] = {}


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


def _short_keys(keys: list[str]) -> dict[str, str]:
    """Shortest readable name of each parameter key: ``policies.`` dropped; otherwise the last
    component where that is unique."""
    out = {}
    for k in keys:
        if k.startswith("policies."):
            out[k] = k.removeprefix("policies.")
            continue
        last = k.rsplit(".", 1)[-1]
        clash = [o for o in keys if o != k and o.rsplit(".", 1)[-1] == last]
        out[k] = k if clash else last
    return out


def _split_arm(arm: str) -> list[tuple[str, str]]:
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
    split = {a: _split_arm(a) for a in others}
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


def _colours(res: AggregateResult) -> dict[str, Any]:
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
# entry


def _load(source: AggregateResult | str | os.PathLike,
          reference: str | None = None) -> AggregateResult:
    if isinstance(source, AggregateResult):
        res = source
    else:
        p = Path(source)
        if (p / MANIFEST).is_file() or (p / AGGREGATE_DIRNAME / MANIFEST).is_file():
            res = AggregateResult.load(p)
            if reference is not None and res.reference_arm != _resolve(res, reference) \
                    and not (p / MANIFEST).is_file():
                return aggregate(p, reference=reference)
        else:
            return aggregate(p, reference=reference)
    if reference is not None and res.reference_arm != _resolve(res, reference):
        raise FigureError(f"--reference: these aggregate results compare with "
                          f"{res.reference_arm or 'the baseline'!r}, not {reference!r}; run "
                          f"edusim-aggregate SWEEP_DIR --reference {reference!r} first")
    return res


def _resolve(res: AggregateResult, reference: str) -> str:
    from experiments.aggregate import resolve_arm

    return resolve_arm(reference, res.arm_order, "--reference")


def draw_figures(res: AggregateResult, heatmap_metric: str = "urban_rural_gap",
                 ) -> dict[str, Any]:
    """Every figure as an open matplotlib Figure, or the reason it is skipped (a str), by
    file name. The caller closes the figures (:func:`make_figures` saves and closes them)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if heatmap_metric not in res.runs.columns:
        import difflib

        near = difflib.get_close_matches(heatmap_metric, list(res.runs.columns), n=3)
        raise FigureError(f"unknown metric {heatmap_metric!r} for the heatmap"
                          + (f" (did you mean {', '.join(near)}?)" if near else ""))
    makers: list[tuple[str, Callable[..., Any]]] = [
        ("trajectories.png", _trajectories),
        ("official_cvs.png", _official_cvs),
        ("policy_comparison.png", _policy_comparison),
        ("heatmap.png", lambda r: _heatmap(r, heatmap_metric)),
        ("first_pass.png", _first_pass),
        ("cost_effectiveness.png", _cost_effectiveness),
    ]
    out: dict[str, Any] = {}
    with plt.rc_context(RC):
        for name, maker in makers:
            out[name] = maker(res)
    return out


def make_figures(source: AggregateResult | str | os.PathLike, out_dir: str | os.PathLike,
                 heatmap_metric: str = "urban_rural_gap",
                 reference: str | None = None) -> FigureList:
    """Draw the brief's figures from an :class:`AggregateResult` or an aggregate directory
    (a sweep directory without one is aggregated first) into ``out_dir``; returns the paths
    written, with the skipped figures and why in ``.skipped``. A skipped figure's older file
    in ``out_dir`` is removed. ``reference`` names the reference arm (a sweep directory is
    aggregated again when its aggregate used another one)."""
    import matplotlib.pyplot as plt

    from sim.results import atomic_write

    res = _load(source, reference)
    figures = draw_figures(res, heatmap_metric)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = FigureList()
    for name, fig in figures.items():
        path = out / name
        if isinstance(fig, str):
            written.skipped[name] = fig
            if path.exists():
                path.unlink()
            continue
        with plt.rc_context(RC):
            atomic_write(path, lambda p, f=fig: f.savefig(p, format="png", dpi=DPI))
        plt.close(fig)
        written.append(path)
    return written


# ---------------------------------------------------------------------------------------------
# helpers


def _series(res: AggregateResult, metric: str, arm: str) -> pd.DataFrame:
    s = res.summary
    return s[(s["arm"] == arm) & (s["metric"] == metric)].sort_values("year")


def metric_in(res: AggregateResult, metric: str) -> bool:
    return bool((res.summary["metric"] == metric).any())


def _band_text(res: AggregateResult, bands: bool, otherwise: str) -> str:
    if not bands:
        return otherwise
    if (res.arms["n_runs"] < 2).all():
        return "one seed: no interval"
    return "shaded: 95% interval across seeds"


def _n_seeds_text(res: AggregateResult) -> str:
    n = sorted(set(res.arms["n_runs"]))
    return f"{n[0]} seed{'s' if n[0] != 1 else ''}" if len(n) == 1 else \
        f"{n[0]}–{n[-1]} seeds"


def _wrap(label: str, width: int = 26) -> str:
    """Break an arm label at ', ' so that no line is much longer than ``width``."""
    lines: list[str] = []
    for part in label.split(", "):
        if lines and len(lines[-1]) + 2 + len(part) <= width:
            lines[-1] += ", " + part
        else:
            lines.append(part)
    return "\n".join(lines)


def _suptitle(fig: Any, text: str, **kw: Any) -> None:
    """A figure title whose lines fit the A4 text width."""
    import textwrap

    lines = [w for line in text.split("\n") for w in textwrap.wrap(line, 80)]
    fig.suptitle("\n".join(lines), **kw)


def _footer_text(res: AggregateResult, note: str, extra: str = "") -> str:
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


def _canvas(height: float, foot: str = "") -> tuple[Any, Any]:
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


def _legend_rows(labels: list[str]) -> tuple[int, int]:
    """(columns, rows) of a legend below a full-width figure."""
    longest = max((len(label) for label in labels), default=10)
    ncol = max(1, min(len(labels), int(110 // (longest + 6))))
    return ncol, math.ceil(len(labels) / ncol)


def _legend_below(fig: Any, handles: list, labels: list[str], title: str = "") -> None:
    ncol, _ = _legend_rows(labels)
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, frameon=False,
               title=title or None, title_fontsize=8.5)


def _ref_arm(res: AggregateResult) -> str:
    """The arm the others are compared with: the named reference arm, else the baseline."""
    return res.reference_arm or BASELINE


def _cost(res: AggregateResult) -> pd.DataFrame:
    """Per arm the cost behind the gains: the policies' own cost, or (named reference arm) the
    extra county spending compared with the reference run."""
    if res.reference_arm is not None:
        return _effect(res, "change", "total_spending_yuan")
    return _effect(res, "total_policy_cost_yuan", "total_policy_cost_yuan")


def _cost_name(res: AggregateResult, article: bool = False) -> str:
    if res.reference_arm is not None:
        return ("an " if article else "") + "extra county spending vs the reference arm"
    return ("a " if article else "") + "total policy cost"


def _reference_text(res: AggregateResult) -> str:
    if res.reference_arm is not None:
        label = display_labels(res.arm_order).full.get(res.reference_arm, res.reference_arm)
        return f"same-seed run of the reference arm ({label})"
    if res.has_baseline_arm:
        return "same-seed run of the baseline arm"
    return "same-seed run without policies"


def _effect(res: AggregateResult, kind: str, measure: str) -> pd.DataFrame:
    e = res.effects
    d = e[(e["kind"] == kind) & (e["measure"] == measure)].set_index("arm")
    return d.reindex([a for a in res.arm_order if a in d.index])


def _cost_note(res: AggregateResult) -> str:
    """A warning when arms differ from their reference in model parameters (not policies),
    whose cost shows in county spending rather than in the policy cost."""
    def relevant(k: str) -> bool:
        return not k.startswith(("policies.", "evaluation.")) and k not in ("region", "years")

    if res.reference_arm is not None:
        return ("Cost = extra county spending summed over the years compared with the "
                "same-seed run of the reference arm (includes the policies' own cost and "
                "allowances).")
    if not res.has_baseline_arm:
        return ""  # each run is compared with itself without policies: only policies differ
    keys = {k for a in res.arm_order if a != BASELINE for k, _ in _split_arm(a) if relevant(k)}
    if not keys:
        return ""
    from sim.labels import setting_label

    return ("Cost = the policies' own cost; changing " + ", ".join(
        setting_label(k, unit=False) for k in sorted(keys)) + " changes county spending instead "
        "(effects.csv: change_total_spending_yuan).")


# ---------------------------------------------------------------------------------------------
# the figures

_TRAJ_PANELS = [
    ("mean_achievement", "Quality:\nmean achievement", "year-0 SD"),
    ("urban_rural_gap", "Equity:\nurban–rural gap", "year-0 SD"),
    ("between_school_share", "Equity: between-school\nshare of variance", "share (0–1)"),
]


def _trajectories(res: AggregateResult) -> Any:
    arms = res.arm_order
    others = [a for a in arms if a != BASELINE]
    if 3 <= len(others) <= 6:
        return _trajectories_grid(res)
    return _trajectories_overlay(res, bands=len(arms) <= 3)


def _trajectories_overlay(res: AggregateResult, bands: bool) -> Any:

    arms = res.arm_order
    names = display_labels(arms)
    labels = names.short
    colours = _colours(res)
    _, rows = _legend_rows([labels[a] for a in arms])
    fig, sub = _canvas(3.1 + 0.2 * rows + (0.2 if names.title else 0),
                       _footer_text(res, names.note))
    axes = sub.subplots(1, 3)
    handles = []
    for ax, (metric, title, unit) in zip(axes, _TRAJ_PANELS, strict=True):
        for arm in arms:
            d = _series(res, metric, arm)
            if d.empty:
                continue
            c = colours[arm]
            (line,) = ax.plot(d["year"], d["mean"], color=c, lw=1.6,
                              ls="--" if arm == BASELINE else "-")
            if bands and d["ci_low"].notna().any():
                ax.fill_between(d["year"], d["ci_low"], d["ci_high"], color=c, alpha=0.18, lw=0)
            if ax is axes[0]:
                handles.append((line, labels[arm]))
        ax.set_title(title)
        ax.set_xlabel("simulated year")
        ax.set_ylabel(unit)
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[2].set_ylim(bottom=0)
    _legend_below(sub, [h for h, _ in handles], [lab for _, lab in handles], names.title)
    band = _band_text(res, bands, "means only; intervals in summary.csv")
    _suptitle(sub, f"Quality and equity over time\nmean of {_n_seeds_text(res)} per arm; {band}")
    return fig


def _text_colour(colour) -> tuple:
    """An arm's colour darkened until text in it reads on white (relative luminance ≤ 0.35)."""
    r, g, b = colour[:3]
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    k = min(1.0, 0.35 / lum) if lum > 0 else 1.0
    return (r * k, g * k, b * k, 1.0)


def _trajectories_grid(res: AggregateResult) -> Any:
    """Small multiples: one row per policy arm, with the baseline (if any) in every panel."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    arms = res.arm_order
    others = [a for a in arms if a != BASELINE]
    names = display_labels(arms)
    labels, note = names.full, names.note
    colours = _colours(res)
    base = BASELINE if BASELINE in arms else None
    # one y range per column, so that rows can be compared
    limits = {}
    for metric, _, _ in _TRAJ_PANELS:
        d = res.summary[res.summary["metric"] == metric]
        lo = np.nanmin(d[["mean", "ci_low"]].to_numpy(dtype=float))
        hi = np.nanmax(d[["mean", "ci_high"]].to_numpy(dtype=float))
        pad = 0.05 * (hi - lo or 1.0)
        limits[metric] = (0.0 if metric == "between_school_share" else lo - pad, hi + pad)
    foot = _footer_text(res, note, "Black dashed line and grey band: baseline arm (no policy)."
                        if base else "Thin grey lines: the other arms' means.")
    import textwrap

    foot_lines = textwrap.wrap(foot, 118)
    row_h, head_h, foot_h = 1.45, 0.5, 0.1 + 0.13 * len(foot_lines)
    fig = plt.figure(figsize=(WIDTH_IN, head_h + row_h * len(others) + foot_h),
                     layout="constrained")
    subfigs = fig.subfigures(len(others) + 2, 1, height_ratios=[head_h]
                             + [row_h] * len(others) + [foot_h])
    head, foot_fig = subfigs[0], subfigs[-1]
    _suptitle(head, f"Quality and equity over time, one row per arm\nmean of "
                  f"{_n_seeds_text(res)} per arm; {_band_text(res, True, '')}",
                  y=0.95, va="top")
    for i, (arm, sub) in enumerate(zip(others, subfigs[1:-1], strict=True)):
        axes = sub.subplots(1, 3)
        sub.suptitle(labels[arm], x=0.01, ha="left", fontsize=8.5, fontweight="bold",
                     color=_text_colour(colours[arm]))
        for j, (metric, title, unit) in enumerate(_TRAJ_PANELS):
            ax = axes[j]
            if base is not None:
                b = _series(res, metric, base)
                ax.plot(b["year"], b["mean"], color="black", lw=1.2, ls="--")
                if b["ci_low"].notna().any():
                    ax.fill_between(b["year"], b["ci_low"], b["ci_high"], color="0.6",
                                    alpha=0.25, lw=0)
            else:
                for other in others:
                    if other != arm:
                        o = _series(res, metric, other)
                        ax.plot(o["year"], o["mean"], color="0.75", lw=0.8)
            d = _series(res, metric, arm)
            c = colours[arm]
            ax.plot(d["year"], d["mean"], color=c, lw=1.6)
            if d["ci_low"].notna().any():
                ax.fill_between(d["year"], d["ci_low"], d["ci_high"], color=c, alpha=0.25, lw=0)
            ax.set_ylim(*limits[metric])
            ax.set_ylabel(unit)
            if i == 0:
                ax.set_title(title)
            if i == len(others) - 1:
                ax.set_xlabel("simulated year")
            else:
                ax.tick_params(labelbottom=False)
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4))  # the same ticks in every row
    foot_fig.text(0.01, 0.5, "\n".join(foot_lines), fontsize=8, ha="left", va="center",
                  color="0.3")
    return fig


def _official_cvs(res: AggregateResult) -> Any:

    from sim.evaluation import CV_LIMITS, INDICATORS, QUALITY_INDICATORS

    levels = [lv for lv in ("primary", "junior")
              if any(metric_in(res, f"cv_{lv}_{i}") for i in QUALITY_INDICATORS)]
    if not levels:
        return "the runs have no official CV columns"
    arms = res.arm_order
    names = display_labels(arms)
    labels, note = names.short, names.note
    colours = _colours(res)
    bands = len(arms) <= 3
    _, rows = _legend_rows([labels[a] for a in arms])
    fig, sub = _canvas(8.6 + 0.18 * rows, _footer_text(res, note))
    axes = sub.subplots(len(QUALITY_INDICATORS), len(levels), sharex=True, squeeze=False)
    handles: dict[str, Any] = {}
    for j, level in enumerate(levels):
        limit = CV_LIMITS["quality"][level]
        for i, ind in enumerate(QUALITY_INDICATORS):
            ax = axes[i, j]
            metric = f"cv_{level}_{ind}"
            top = limit
            for arm in arms:
                d = _series(res, metric, arm)
                if d.empty:
                    continue
                c = colours[arm]
                (line,) = ax.plot(d["year"], d["mean"], color=c, lw=1.3,
                                  ls="--" if arm == BASELINE else "-")
                handles.setdefault(arm, line)
                if bands and d["ci_low"].notna().any():
                    ax.fill_between(d["year"], d["ci_low"], d["ci_high"], color=c, alpha=0.18,
                                    lw=0)
                    top = max(top, float(np.nanmax(d["ci_high"])))
                top = max(top, float(np.nanmax(d["mean"])))
            ax.axhline(limit, color="#d62728", lw=1.2, ls=":")
            ax.set_ylim(0, top * 1.12)
            ax.set_title(f"{INDICATORS[ind].label}, {level}", loc="left", fontsize=8.5, pad=2)
            ax.set_ylabel("CV")
            if i == len(QUALITY_INDICATORS) - 1:
                ax.set_xlabel("simulated year")
            ax.xaxis.get_major_locator().set_params(integer=True)
    hl = [(handles[a], labels[a]) for a in arms if a in handles]
    _legend_below(sub, [h for h, _ in hl], [lab for _, lab in hl], names.title)
    band = _band_text(res, bands, "means only (intervals in summary.csv)")
    _suptitle(sub, "The 7 official difference coefficients (CV) of the 2017 standard\n"
                 f"red dotted: official limit (primary {CV_LIMITS['quality']['primary']:.2f}, "
                 f"junior {CV_LIMITS['quality']['junior']:.2f}); at or below passes\n"
                 f"mean of {_n_seeds_text(res)} per arm; {band}")
    return fig


def _place_labels(ax: Any, xs: np.ndarray, ys: np.ndarray, texts: list[str],
                  fontsize: float) -> None:
    """Label points without overlapping each other or the markers (greedy placement)."""
    fig = ax.get_figure(root=True)
    renderer = fig.canvas.get_renderer()
    points = ax.transData.transform(np.column_stack([xs, ys]))
    taken = [(px - 6, py - 6, px + 6, py + 6) for px, py in points]
    offsets = [(7, 5, "left", "bottom"), (7, -5, "left", "top"), (-7, 5, "right", "bottom"),
               (-7, -5, "right", "top"), (7, 14, "left", "bottom"), (7, -14, "left", "top"),
               (-7, 14, "right", "bottom"), (-7, -14, "right", "top"), (7, 24, "left", "bottom"),
               (7, -24, "left", "top")]
    scale = fig.dpi / 72
    box_kw = {"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8}
    for text, x, y in zip(texts, xs, ys, strict=True):
        best = None
        for dx, dy, ha, va in offsets:
            t = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                            ha=ha, va=va, fontsize=fontsize, color="0.15", zorder=4, bbox=box_kw)
            bb = t.get_window_extent(renderer)
            box = (bb.x0, bb.y0, bb.x1, bb.y1)
            axbox = ax.get_window_extent(renderer)
            inside = axbox.x0 <= bb.x0 and bb.x1 <= axbox.x1 and axbox.y0 <= bb.y0 \
                and bb.y1 <= axbox.y1
            clash = any(not (box[2] < o[0] or box[0] > o[2] or box[3] < o[1] or box[1] > o[3])
                        for o in taken)
            if not clash and inside:
                best = t
                taken.append(box)
                break
            t.remove()
        if best is None:  # no free place: the first choice, with a leader line
            t = ax.annotate(text, (x, y), xytext=(7 * scale, 5 * scale),
                            textcoords="offset pixels", fontsize=fontsize, color="0.15",
                            zorder=4, bbox=box_kw,
                            arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.6})
            bb = t.get_window_extent(renderer)
            taken.append((bb.x0, bb.y0, bb.x1, bb.y1))


def _policy_comparison(res: AggregateResult) -> Any:
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap, Normalize

    gap = _effect(res, "change", "urban_rural_gap")
    qual = _effect(res, "change", "mean_achievement")
    cost = _cost(res).reindex(gap.index)
    ref = _ref_arm(res)
    arms = [a for a in gap.index if a != ref and math.isfinite(gap.loc[a, "mean"])
            and math.isfinite(qual.loc[a, "mean"])]
    if not [a for a in gap.index if a != ref]:
        return f"the sweep has no arm besides the {'reference arm' if ref != BASELINE else ref}"
    if not arms:
        return "no arm has a reference to compare with (no baseline arm, no same-seed baselines)"
    names = display_labels(res.arm_order)
    labels, note = names.short, names.note
    x = -gap.loc[arms, "mean"].to_numpy(dtype=float)
    xlo = -gap.loc[arms, "ci_high"].to_numpy(dtype=float)
    xhi = -gap.loc[arms, "ci_low"].to_numpy(dtype=float)
    y = qual.loc[arms, "mean"].to_numpy(dtype=float)
    ylo = qual.loc[arms, "ci_low"].to_numpy(dtype=float)
    yhi = qual.loc[arms, "ci_high"].to_numpy(dtype=float)
    c = cost.loc[arms, "mean"].to_numpy(dtype=float) / 1e6
    limits, clipped = [], False
    for pts, lo_, hi_, right in ((x, xlo, xhi, 0.30), (y, ylo, yhi, 0.12)):
        p = np.append(pts[np.isfinite(pts)], 0.0)
        full = np.concatenate([p, lo_[np.isfinite(lo_)], hi_[np.isfinite(hi_)]])
        span_p, span_f = p.max() - p.min(), full.max() - full.min()
        if span_p > 0 and span_f > 4 * span_p:
            # intervals so wide (few seeds) that the points would crowd together: keep the
            # points readable and let the bars run off the axes (said below the figure)
            clipped = True
            limits.append((p.min() - 0.6 * span_p, p.max() + (0.6 + right) * span_p))
        else:
            span = span_f or 0.01
            limits.append((full.min() - 0.08 * span, full.max() + right * span))
    skipped = [a for a in gap.index if a != ref and a not in arms]
    # points are labelled by their value along a 1-D sweep, else by a number keyed below
    numbered = not names.title or len(arms) > 15
    texts = [str(i + 1) for i in range(len(arms))] if numbered else [labels[a] for a in arms]
    key = ("Points: " + "; ".join(f"{i + 1} = {names.full[a]}" for i, a in enumerate(arms))
           + ".") if numbered else ""
    extra = " ".join(filter(None, [
        key,
        f"{len(skipped)} arm(s) without a reference left out." if skipped else "",
        "Some intervals are wider than the axes (bars cut at the edge)." if clipped else "",
        _cost_note(res)]))
    fig, sub = _canvas(4.8, _footer_text(res, note, extra))
    ax = sub.subplots()
    ax.axhline(0, color="0.4", lw=0.8)
    ax.axvline(0, color="0.4", lw=0.8)
    c = np.where(np.isfinite(c), c, 0.0)
    norm = Normalize(vmin=min(0.0, float(c.min())), vmax=max(float(c.max()), 1e-9))
    cmap = ListedColormap(plt.get_cmap("viridis")(np.linspace(0.0, 0.82, 256)))
    xerr = np.vstack([x - xlo, xhi - x])
    yerr = np.vstack([y - ylo, yhi - y])
    for i in range(len(arms)):
        col = cmap(norm(c[i]))
        xe = xerr[:, i:i + 1] if np.isfinite(xerr[:, i]).all() else None
        ye = yerr[:, i:i + 1] if np.isfinite(yerr[:, i]).all() else None
        ax.errorbar(x[i], y[i], xerr=xe, yerr=ye, fmt="o", ms=7,
                    color=col, ecolor=col, elinewidth=1.2, capsize=2.5, mec="black", mew=0.6,
                    zorder=3)
    ax.set_xlim(*limits[0])
    ax.set_ylim(*limits[1])
    kw = {"transform": ax.transAxes, "fontsize": 8, "color": "0.4", "zorder": 5,
          "bbox": {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}}
    # each quadrant is named in its own corner, only where it is wide and tall enough
    # to hold its name (the zero lines split the axes at x0, y0 in axes fractions)
    (xa, xb), (ya, yb) = limits
    x0, y0 = -xa / (xb - xa), -ya / (yb - ya)
    for right, top, text in ((True, True, "more equal, higher achievement"),
                             (True, False, "more equal, lower achievement"),
                             (False, False, "less equal, lower achievement"),
                             (False, True, "less equal, higher achievement")):
        width = 1 - x0 if right else x0
        height = 1 - y0 if top else y0
        if width >= 0.4 and height >= 0.1:
            ax.text(0.99 if right else 0.01, 0.98 if top else 0.02, text,
                    ha="right" if right else "left", va="top" if top else "bottom", **kw)
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    cb = sub.colorbar(sm, ax=ax, shrink=0.9, pad=0.01)
    cb.set_label(f"{_cost_name(res)} (million yuan)")
    ax.set_xlabel("reduction of the urban–rural achievement gap (year-0 SD; right = more equal)")
    ax.set_ylabel("change in mean achievement (year-0 SD)")
    year = int(res.arms["last_year"].max())
    ax.set_title(f"Equity gain against quality change in year {year},"
                 + ("\n" if res.reference_arm is not None else " ") + "vs the "
                 f"{_reference_text(res)}\nmean of {_n_seeds_text(res)} per arm; "
                 + _band_text(res, True, "").replace("shaded", "bars")
                 + (f"\nlabels: {names.title}" if names.title and not numbered
                    else "; numbers: see the key below"),
                 fontsize=9)
    fig.canvas.draw()  # final layout before measuring the labels
    fig.set_layout_engine("none")
    _place_labels(ax, x, y, texts, 8)
    return fig


def _heatmap(res: AggregateResult, metric: str) -> Any:

    swept = list(res.swept_params)
    if len(swept) != 2:
        return (f"the sweep is {len(swept)}-D (swept besides the seed: "
                f"{', '.join(swept) or 'nothing'}); a heatmap needs exactly 2 parameters")
    p_row, p_col = swept
    runs = res.runs
    col_of = {k: (f"param.{k}" if f"param.{k}" in runs.columns else k) for k in swept}
    last = runs.loc[runs.groupby("run_id", sort=False)["year"].idxmax()]
    last = last[last[col_of[p_row]].notna() & last[col_of[p_col]].notna()]
    if last.empty or last[metric].isna().all():
        return f"no run sets both {p_row} and {p_col} and has {metric}"
    rows = sorted(last[col_of[p_row]].unique(), key=_num_key)
    cols = sorted(last[col_of[p_col]].unique(), key=_num_key)
    grid = np.full((len(rows), len(cols)), np.nan)
    half = np.full_like(grid, np.nan)
    ns = np.zeros_like(grid, dtype=int)
    for (rv, cv), g in last.groupby([col_of[p_row], col_of[p_col]]):
        st = mean_ci(g[metric].astype(float))
        i, j = rows.index(rv), cols.index(cv)
        grid[i, j], ns[i, j] = st["mean"], st["n"]
        half[i, j] = st["ci_high"] - st["mean"]
    from sim.labels import setting_label

    short = {k: setting_label(k, unit=False) for k in swept}
    left_out = sorted(set(runs["arm"]) - set(last["arm"]) - {BASELINE})
    fig, sub = _canvas(min(6.5, 2.4 + 0.5 * len(rows)), _footer_text(
        res, "", f"Arms not on the grid: {'; '.join(left_out)}." if left_out else ""))
    ax = sub.subplots()
    im = ax.imshow(grid, cmap="viridis", aspect="auto", origin="lower")
    ax.grid(False)
    ax.set_xticks(range(len(cols)), [_tick(v) for v in cols])
    ax.set_yticks(range(len(rows)), [_tick(v) for v in rows])
    ax.set_xlabel(short[p_col] + _param_unit(p_col))
    ax.set_ylabel(short[p_row] + "\n" + _param_unit(p_row).strip())
    vmin, vmax = np.nanmin(grid), np.nanmax(grid)
    size = 8
    for i in range(len(rows)):
        for j in range(len(cols)):
            if not math.isfinite(grid[i, j]):
                ax.text(j, i, "no runs", ha="center", va="center", fontsize=size, color="0.5")
                continue
            frac = (grid[i, j] - vmin) / (vmax - vmin) if vmax > vmin else 0.5
            txt = f"{grid[i, j]:.3g}"
            if math.isfinite(half[i, j]):
                txt += f"\n± {half[i, j]:.2g}"
            ax.text(j, i, txt, ha="center", va="center", fontsize=size,
                    color="white" if frac < 0.6 else "black")
    cb = sub.colorbar(im, ax=ax, pad=0.01)
    cb.set_label(_wrap(metric_label(metric), 40).replace(", ", ",\n"))
    year = int(last["year"].max())
    n_text = f"{ns.min()}" if ns.min() == ns.max() else f"{ns.min()}–{ns.max()}"
    n_text += " seed" if ns.max() == 1 else " seeds"
    ci_text = "no interval with one seed" if ns.max() < 2 else "± half-width of the 95% interval"
    title = (f"{metric_label(metric, with_unit=False).capitalize()} in year {year} by "
             f"{short[p_row]} and {short[p_col]}\nmean of {n_text} per cell ({ci_text})")
    if res.has_baseline_arm:
        b = last_runs_metric(res, BASELINE, metric)
        if b is not None:
            title += f"; baseline arm (no policy): {b:.3g}"
    ax.set_title(title)
    return fig


def _tick(v: Any) -> str:
    return repr(float(v)) if isinstance(v, (float, np.floating)) else str(v)


def last_runs_metric(res: AggregateResult, arm: str, metric: str) -> float | None:
    r = res.runs[res.runs["arm"] == arm]
    if r.empty or metric not in r:
        return None
    last = r.loc[r.groupby("run_id")["year"].idxmax(), metric].astype(float)
    return float(last.mean()) if last.notna().any() else None


def _param_unit(key: str) -> str:
    """`` (unit)`` of a model or policy parameter from its schema; '' when unknown."""
    from sim.labels import parameter_unit

    unit = parameter_unit(key)
    return f" ({unit})" if unit else ""


def _num_key(v: Any) -> tuple:
    try:
        return (0, float(v))
    except (TypeError, ValueError):
        return (1, str(v))


def _year_ticks(horizon: int) -> list[int]:
    for step in (1, 2, 5, 10, 20, 25, 50, 100):
        if horizon / step <= 6:
            break
    ticks = list(range(0, horizon + 1, step))
    if horizon - ticks[-1] >= step / 2:
        ticks.append(horizon)
    return ticks


def _first_pass(res: AggregateResult) -> Any:

    per_run = res.per_run
    arms = res.arm_order
    names = display_labels(arms)
    labels, note = names.short, names.note
    horizon = int(per_run["last_year"].max())
    gap = max(2.5, horizon * 0.15)
    never_x = horizon + gap
    count_x = never_x + 1.6 * gap  # a column with the number of seeds that pass
    standards = [("quality", "2017 high-quality balance"), ("basic", "2012 basic balance")]
    wrapped = [_wrap(labels[a]) for a in arms]
    line_rows = sum(w.count("\n") + 1 for w in wrapped)
    height = 2.0 + 0.18 * line_rows + 0.12 * len(arms)
    fig, sub = _canvas(height, _footer_text(
        res, note, "'never': not met within the simulated years; the median is 'never' when "
        "half the seeds or more never pass."))
    axes = sub.subplots(1, 2, sharey=True)
    rng = np.random.default_rng(0)
    for ax, (std, title) in zip(axes, standards, strict=True):
        ax.axvspan(horizon + gap / 2, never_x + gap * 0.6, color="0.9", zorder=0, lw=0)
        ax.axvline(never_x + gap * 0.6, color="0.5", lw=0.8)
        for i, arm in enumerate(arms):
            yrs = per_run.loc[per_run["arm"] == arm, f"first_pass_{std}"].to_numpy(dtype=float)
            xs = np.where(np.isnan(yrs), never_x, yrs)
            jitter = rng.uniform(-0.2, 0.2, len(xs)) if len(xs) > 1 else np.zeros(len(xs))
            ax.scatter(xs, i + jitter, s=14, color="#1f77b4", alpha=0.65, lw=0, zorder=2)
            med = float(np.median(np.where(np.isnan(yrs), np.inf, yrs)))
            ax.scatter([med if math.isfinite(med) else never_x], [i], marker="D", s=34,
                       facecolor="none", edgecolor="black", lw=1.1, zorder=3)
            passed = int((~np.isnan(yrs)).sum())
            ax.text(count_x, i, f"{passed}/{len(yrs)}", ha="center", va="center", fontsize=8)
        ticks = _year_ticks(horizon)
        ax.set_xticks(ticks + [never_x, count_x],
                      [str(t) for t in ticks] + ["never", "seeds\npassing"])
        ax.set_xlim(-0.6 - gap * 0.2, count_x + gap * 0.8)
        ax.set_title(title)
        ax.set_xlabel("first year met (simulated year)")
        ax.grid(axis="y", alpha=0)
        for line in ax.get_xgridlines()[-1:]:
            line.set_visible(False)
    axes[0].set_yticks(range(len(arms)), wrapped)
    if names.title:
        axes[0].set_ylabel(names.title)
    axes[0].set_ylim(len(arms) - 0.5, -0.5)
    _suptitle(sub, "When does the county first meet the official balance standards?\n"
                 f"dots: seeds; diamond: median seed; runs end in year {horizon}")
    return fig


_CE_MEASURES = [("urban_rural_gap", "Urban–rural gap reduced",
                  "year-0 SD per 100 million yuan"),
                ("between_school_share", "Between-school share reduced",
                 "share of variance per 100 million yuan")]


def _cost_effectiveness(res: AggregateResult) -> Any:
    from matplotlib.ticker import MaxNLocator

    cost = _cost(res)
    gains = {m: _effect(res, "gain_per_million_yuan", m) for m, _, _ in _CE_MEASURES}
    arms = [a for a in cost.index if cost.loc[a, "mean"] > 0
            and a in gains["urban_rural_gap"].index
            and math.isfinite(gains["urban_rural_gap"].loc[a, "mean"])]
    if not arms:
        if not (cost["mean"] > 0).any():
            return f"no arm has {_cost_name(res, True).replace('total ', '')} above zero"
        return "the arms with a policy cost have no reference to compare with"
    names = display_labels(res.arm_order)
    labels, note = names.short, names.note
    ticklabels = [f"{_wrap(labels[a])}\n({cost.loc[a, 'mean'] / 1e6:,.2f} m yuan)"
                  for a in arms]
    line_rows = sum(t.count("\n") + 1 for t in ticklabels)
    height = 1.9 + 0.16 * line_rows + 0.1 * len(arms)
    fig, sub = _canvas(height, _footer_text(
        res, note, f"Only arms with {_cost_name(res, True).replace('total ', '')} above zero; red bars: equity lost."
        + (" " + _cost_note(res) if _cost_note(res) else "")))
    axes = sub.subplots(1, len(_CE_MEASURES), sharey=True)
    ypos = np.arange(len(arms))
    for ax, (m, title, unit) in zip(axes, _CE_MEASURES, strict=True):
        g = gains[m].reindex(arms)
        # tables give gains per million yuan; the figure shows them per 100 million yuan
        mean = 100 * g["mean"].to_numpy(dtype=float)
        lo, hi = 100 * g["ci_low"].to_numpy(dtype=float), 100 * g["ci_high"].to_numpy(dtype=float)
        colours = ["#2ca02c" if v >= 0 else "#d62728" for v in np.nan_to_num(mean)]
        ax.barh(ypos, np.nan_to_num(mean), color=colours, alpha=0.8, height=0.6)
        has = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(mean)
        if has.any():
            err = np.vstack([mean[has] - lo[has], hi[has] - mean[has]])
            ax.errorbar(mean[has], ypos[has], xerr=err, fmt="none", ecolor="black",
                        elinewidth=1, capsize=3)
        ax.axvline(0, color="0.3", lw=0.8)
        ax.set_title(title)
        ax.set_xlabel(unit.replace(" per 100", "\nper 100"))  # two lines: never cut off
        ax.grid(axis="y", alpha=0)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
    axes[0].set_yticks(ypos, ticklabels)
    if names.title:
        axes[0].set_ylabel(names.title)
    axes[0].set_ylim(len(arms) - 0.5, -0.5)
    _suptitle(sub, "Equity gained per 100 million yuan of "
                 + ("extra county spending" if res.reference_arm is not None else "policy cost")
                 + "\nyear "
                 f"{int(res.arms['last_year'].max())}, vs the {_reference_text(res)}\nmean of "
                 f"{_n_seeds_text(res)} per arm; "
                 + _band_text(res, True, "").replace("shaded", "bars"))
    return fig


# ---------------------------------------------------------------------------------------------
# CLI


def _stale(sweep_dir: Path, agg_dir: Path) -> bool:
    """True when the aggregate does not describe the sweep's current complete runs."""
    manifest = agg_dir / MANIFEST
    if not manifest.is_file():
        return True
    m = json.loads(manifest.read_text())
    complete, incomplete = find_runs(sweep_dir)
    ids = {(p.relative_to(sweep_dir).as_posix() or ".") for p in complete}
    if ids != set(m.get("run_ids", [])) | set(m.get("unreadable", {})):
        return True
    mtime = manifest.stat().st_mtime
    return any((p / "COMPLETE").stat().st_mtime > mtime for p in complete)


@command("edusim-figures")
def main(argv: list[str] | None = None) -> int:
    """Console entry point (``edusim-figures``)."""
    parser = argparse.ArgumentParser(
        prog="edusim-figures",
        description="Draw the policy-brief figures of an edusim sweep (aggregating it first "
                    "when SWEEP_DIR/aggregate/ is missing or out of date).")
    parser.add_argument("sweep_dir", help="sweep directory (or an aggregate directory)")
    parser.add_argument("--out", default=None,
                        help="directory for the PNGs (default: SWEEP_DIR/figures)")
    parser.add_argument("--metric", default="urban_rural_gap",
                        help="last-year metric of the heatmap (a timeseries column; "
                             "default urban_rural_gap)")
    parser.add_argument("--reference", default=None, metavar="ARM",
                        help="compare the arms with the same-seed run of this arm (its label, "
                             "e.g. 'teachers.rural_allowance=0.1') instead of the baseline; "
                             "passed to edusim-aggregate")
    args = parser.parse_args(argv)
    prog = "edusim-figures"
    src = Path(args.sweep_dir)
    problem = args.out and output_dir_problem(args.out, "--out")
    if problem:
        print(f"{prog}: {problem}", file=sys.stderr)
        sys.exit(2)
    try:
        if not src.is_dir():
            raise AggregateError(f"no such directory: {args.sweep_dir}")
        if (src / MANIFEST).is_file():
            res = _load(AggregateResult.load(src), args.reference)
            base = src.parent
        else:
            base = src
            res = None
            if not _stale(src.resolve(), src / AGGREGATE_DIRNAME):
                res = AggregateResult.load(src / AGGREGATE_DIRNAME)
                if (args.reference is None and res.reference_arm is not None) or (
                        args.reference is not None
                        and res.reference_arm != _resolve(res, args.reference)):
                    res = None  # made with another reference
            if res is None:
                print(f"{prog}: aggregating {src} first", file=sys.stderr)
                res = aggregate(src, reference=args.reference)
        out = Path(args.out) if args.out else base / "figures"
        written = make_figures(res, out, heatmap_metric=args.metric)
    except (AggregateError, FigureError) as err:
        print(f"{prog}: {err}", file=sys.stderr)
        sys.exit(2)
    for p in written:
        print(f"wrote {p}")
    for name, why in written.skipped.items():
        print(f"skipped {name}: {why}")
    return 0


if __name__ == "__main__":
    main()
