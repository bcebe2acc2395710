"""The figures of :mod:`experiments.figures` that follow the arms over the simulated years:
``trajectories.png``, ``official_cvs.png`` and ``first_pass.png``. Each ``draw_*`` function
returns an open matplotlib Figure, or the reason the figure is skipped (a str).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from experiments.aggregate import BASELINE, AggregateResult
from experiments.figure_parts import (
    WIDTH_IN,
    arm_colours,
    arm_series,
    band_text,
    canvas,
    display_labels,
    footer_text,
    legend_below,
    legend_rows,
    metric_in,
    n_seeds_text,
    suptitle,
    wrap_label,
)

__all__ = ["draw_first_pass", "draw_official_cvs", "draw_trajectories"]

_TRAJ_PANELS = [
    ("mean_achievement", "Quality:\nmean achievement", "year-0 SD"),
    ("urban_rural_gap", "Equity:\nurban–rural gap", "year-0 SD"),
    ("between_school_share", "Equity: between-school\nshare of variance", "share (0–1)"),
]


def draw_trajectories(res: AggregateResult) -> Any:
    """``trajectories.png``: every arm in one row of panels, or one row per policy arm when
    there are 3 to 6 of them."""
    arms = res.arm_order
    others = [a for a in arms if a != BASELINE]
    if 3 <= len(others) <= 6:
        return _trajectories_grid(res)
    return _trajectories_overlay(res, bands=len(arms) <= 3)


def _trajectories_overlay(res: AggregateResult, bands: bool) -> Any:

    arms = res.arm_order
    names = display_labels(arms)
    labels = names.short
    colours = arm_colours(res)
    _, rows = legend_rows([labels[a] for a in arms])
    fig, sub = canvas(3.1 + 0.2 * rows + (0.2 if names.title else 0),
                       footer_text(res, names.note))
    axes = sub.subplots(1, 3)
    handles = []
    for ax, (metric, title, unit) in zip(axes, _TRAJ_PANELS, strict=True):
        for arm in arms:
            d = arm_series(res, metric, arm)
            if d.empty:
                continue
            line, _ = _arm_line(ax, d, colours[arm], arm == BASELINE, 1.6, bands)
            if ax is axes[0]:
                handles.append((line, labels[arm]))
        ax.set_title(title)
        ax.set_xlabel("simulated year")
        ax.set_ylabel(unit)
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[2].set_ylim(bottom=0)
    legend_below(sub, [h for h, _ in handles], [lab for _, lab in handles], names.title)
    band = band_text(res, bands, "means only; intervals in summary.csv")
    suptitle(sub, f"Quality and equity over time\nmean of {n_seeds_text(res)} per arm; {band}")
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
    colours = arm_colours(res)
    base = BASELINE if BASELINE in arms else None
    # one y range per column, so that rows can be compared
    limits = {}
    for metric, _, _ in _TRAJ_PANELS:
        d = res.summary[res.summary["metric"] == metric]
        lo = np.nanmin(d[["mean", "ci_low"]].to_numpy(dtype=float))
        hi = np.nanmax(d[["mean", "ci_high"]].to_numpy(dtype=float))
        pad = 0.05 * (hi - lo or 1.0)
        limits[metric] = (0.0 if metric == "between_school_share" else lo - pad, hi + pad)
    foot = footer_text(res, note, "Black dashed line and grey band: baseline arm (no policy)."
                        if base else "Thin grey lines: the other arms' means.")
    import textwrap

    foot_lines = textwrap.wrap(foot, 118)
    row_h, head_h, foot_h = 1.45, 0.5, 0.1 + 0.13 * len(foot_lines)
    fig = plt.figure(figsize=(WIDTH_IN, head_h + row_h * len(others) + foot_h),
                     layout="constrained")
    subfigs = fig.subfigures(len(others) + 2, 1, height_ratios=[head_h]
                             + [row_h] * len(others) + [foot_h])
    head, foot_fig = subfigs[0], subfigs[-1]
    suptitle(head, f"Quality and equity over time, one row per arm\nmean of "
                  f"{n_seeds_text(res)} per arm; {band_text(res, True, '')}",
                  y=0.95, va="top")
    for i, (arm, sub) in enumerate(zip(others, subfigs[1:-1], strict=True)):
        axes = sub.subplots(1, 3)
        sub.suptitle(labels[arm], x=0.01, ha="left", fontsize=8.5, fontweight="bold",
                     color=_text_colour(colours[arm]))
        for j, (metric, title, unit) in enumerate(_TRAJ_PANELS):
            ax = axes[j]
            if base is not None:
                b = arm_series(res, metric, base)
                ax.plot(b["year"], b["mean"], color="black", lw=1.2, ls="--")
                if b["ci_low"].notna().any():
                    ax.fill_between(b["year"], b["ci_low"], b["ci_high"], color="0.6",
                                    alpha=0.25, lw=0)
            else:
                for other in others:
                    if other != arm:
                        o = arm_series(res, metric, other)
                        ax.plot(o["year"], o["mean"], color="0.75", lw=0.8)
            d = arm_series(res, metric, arm)
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


def draw_official_cvs(res: AggregateResult) -> Any:
    """``official_cvs.png``: the 2017 standard's difference coefficients against their
    limits, one panel per indicator and school level."""

    from sim.evaluation import CV_LIMITS, INDICATORS, QUALITY_INDICATORS

    levels = [lv for lv in ("primary", "junior")
              if any(metric_in(res, f"cv_{lv}_{i}") for i in QUALITY_INDICATORS)]
    if not levels:
        return "the runs have no official CV columns"
    arms = res.arm_order
    names = display_labels(arms)
    labels, note = names.short, names.note
    colours = arm_colours(res)
    bands = len(arms) <= 3
    _, rows = legend_rows([labels[a] for a in arms])
    fig, sub = canvas(8.6 + 0.18 * rows, footer_text(res, note))
    axes = sub.subplots(len(QUALITY_INDICATORS), len(levels), sharex=True, squeeze=False)
    handles: dict[str, Any] = {}
    for j, level in enumerate(levels):
        limit = CV_LIMITS["quality"][level]
        for i, ind in enumerate(QUALITY_INDICATORS):
            ax = axes[i, j]
            metric = f"cv_{level}_{ind}"
            top = limit
            for arm in arms:
                d = arm_series(res, metric, arm)
                if d.empty:
                    continue
                line, banded = _arm_line(ax, d, colours[arm], arm == BASELINE, 1.3, bands)
                handles.setdefault(arm, line)
                if banded:
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
    legend_below(sub, [h for h, _ in hl], [lab for _, lab in hl], names.title)
    band = band_text(res, bands, "means only (intervals in summary.csv)")
    suptitle(sub, "The 7 official difference coefficients (CV) of the 2017 standard\n"
                 f"red dotted: official limit (primary {CV_LIMITS['quality']['primary']:.2f}, "
                 f"junior {CV_LIMITS['quality']['junior']:.2f}); at or below passes\n"
                 f"mean of {n_seeds_text(res)} per arm; {band}")
    return fig


def _year_ticks(horizon: int) -> list[int]:
    for step in (1, 2, 5, 10, 20, 25, 50, 100):
        if horizon / step <= 6:
            break
    ticks = list(range(0, horizon + 1, step))
    if horizon - ticks[-1] >= step / 2:
        ticks.append(horizon)
    return ticks


def draw_first_pass(res: AggregateResult) -> Any:
    """``first_pass.png``: the first year each official standard is met, per arm and seed."""

    per_run = res.per_run
    arms = res.arm_order
    names = display_labels(arms)
    labels, note = names.short, names.note
    horizon = int(per_run["last_year"].max())
    gap = max(2.5, horizon * 0.15)
    never_x = horizon + gap
    count_x = never_x + 1.6 * gap  # a column with the number of seeds that pass
    standards = [("quality", "2017 high-quality balance"), ("basic", "2012 basic balance")]
    wrapped = [wrap_label(labels[a]) for a in arms]
    line_rows = sum(w.count("\n") + 1 for w in wrapped)
    height = 2.0 + 0.18 * line_rows + 0.12 * len(arms)
    fig, sub = canvas(height, footer_text(
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
    suptitle(sub, "When does the county first meet the official balance standards?\n"
                 f"dots: seeds; diamond: median seed; runs end in year {horizon}")
    return fig


def _arm_line(ax: Any, d: Any, colour: Any, baseline: bool, lw: float,
              bands: bool) -> tuple[Any, bool]:
    """One arm's mean over the years on ``ax`` (dashed for the baseline), with its 95% band
    when ``bands`` and the arm has one; returns the line and whether the band was drawn."""
    (line,) = ax.plot(d["year"], d["mean"], color=colour, lw=lw, ls="--" if baseline else "-")
    banded = bool(bands and d["ci_low"].notna().any())
    if banded:
        ax.fill_between(d["year"], d["ci_low"], d["ci_high"], color=colour, alpha=0.18, lw=0)
    return line, banded
