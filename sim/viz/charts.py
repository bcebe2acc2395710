"""Matplotlib drawings of the browser view's map and school panel (pure functions: data in,
Figure out); the time-series charts are Vega-Lite specs drawn by the browser
(:mod:`sim.viz.specs`).

They use :class:`matplotlib.figure.Figure` directly (no pyplot state), so the page can
draw from Solara's threads, and tests can draw without a browser.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colors, rc_context
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.evaluation import QUALITY_INDICATORS
from sim.viz.data import CV_LABELS, MAP_MEASURES

__all__ = ["county_map", "school_chart"]

TIER_MARKERS = {"urban": "s", "town": "^", "rural": "o"}
TIER_LABELS = {"urban": "urban", "town": "town", "rural": "rural"}
_STYLE = {"font.size": 8.5, "axes.titlesize": 9, "axes.labelsize": 8.5, "legend.fontsize": 7.5,
          "xtick.labelsize": 7.5, "ytick.labelsize": 7.5}


def _styled(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    """Draw with the page's font sizes (matplotlib reads them when artists are made)."""

    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with rc_context(_STYLE):
            return draw(*args, **kwargs)

    return wrapper


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _style(ax: Any) -> None:
    ax.tick_params(labelsize=_STYLE["xtick.labelsize"])
    ax.title.set_fontsize(_STYLE["axes.titlesize"])
    ax.xaxis.label.set_fontsize(_STYLE["axes.labelsize"])
    ax.yaxis.label.set_fontsize(_STYLE["axes.labelsize"])
    ax.grid(True, color="0.9", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


@_styled
def county_map(frame: pd.DataFrame, measure: str, links: np.ndarray, flows: pd.DataFrame,
               year: int, width: float = 6.4, height: float = 5.4) -> Figure:
    """Schools at their locations (marker: tier; area: pupils; colour: ``measure``), school
    group links (grey lines, lead to member) and this year's rotations (arrows from the
    sending to the receiving school, width: teachers)."""
    if measure not in MAP_MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MAP_MEASURES)}, not {measure!r}")
    label, cmap, centre = MAP_MEASURES[measure]
    fig = _figure(width, height)
    ax = fig.add_subplot()
    _style(ax)
    ax.grid(False)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("km east")
    ax.set_ylabel("km north")
    ax.set_title(f"County in year {year}: {len(frame)} schools", loc="left")
    if not len(frame):
        return fig
    pos = {int(s): (x, y) for s, x, y in zip(frame["school_id"], frame["x"], frame["y"],
                                             strict=True)}
    if len(links):
        segs = [(pos[a], pos[b]) for a, b in links if a in pos and b in pos]
        ax.add_collection(LineCollection(segs, colors="0.55", linewidths=0.8,
                                         linestyles=(0, (3, 2)), zorder=1, gid="group-links"))
    values = frame[measure].to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if centre is not None and len(finite):
        span = max(float(np.abs(finite - centre).max()), 1e-6)
        norm: colors.Normalize = colors.TwoSlopeNorm(centre, centre - span, centre + span)
    else:
        lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        norm = colors.Normalize(lo, hi if hi > lo else lo + 1e-6)
    size = frame["students"].to_numpy(dtype=float)
    area = 15 + 400 * size / max(size.max(), 1.0)
    mappable = None
    for tier, marker in TIER_MARKERS.items():
        rows = (frame["tier"] == tier).to_numpy()
        if rows.any():
            mappable = ax.scatter(frame["x"][rows], frame["y"][rows], s=area[rows],
                                  c=values[rows], cmap=cmap, norm=norm, marker=marker,
                                  edgecolors="0.15", linewidths=0.6, zorder=3)
    if len(flows):
        _rotation_arrows(ax, flows, pos)
    if mappable is not None:
        bar = fig.colorbar(mappable, ax=ax, shrink=0.8, pad=0.01)
        bar.set_label(label, fontsize=8)
        bar.ax.tick_params(labelsize=7)
    handles = [Line2D([], [], marker=m, linestyle="", markerfacecolor="0.8",
                      markeredgecolor="0.15", markersize=7, label=TIER_LABELS[t])
               for t, m in TIER_MARKERS.items()]
    handles.append(Line2D([], [], color="0.55", linestyle=(0, (3, 2)), label="school group link"))
    handles.append(Line2D([], [], color="#e66101", marker=">", markersize=5,
                          label=f"rotations this year ({int(flows['teachers'].sum()) if len(flows) else 0} teachers)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.1), ncol=3,
              frameon=False, fontsize=7.5, title="marker area: pupils", title_fontsize=7.5)
    ax.autoscale_view()
    return fig


def _rotation_arrows(ax: Any, flows: pd.DataFrame, pos: dict[int, tuple[float, float]]) -> None:
    """Curved arrows (sending -> receiving school), width by teachers: one line collection
    for the shafts and one polygon collection for the heads, so hundreds of routes draw
    quickly."""
    keep = [(a, b, k) for a, b, k in zip(flows["from"], flows["to"], flows["teachers"],
                                         strict=True) if a in pos and b in pos and a != b]
    if not keep:
        return
    p0 = np.array([pos[a] for a, _, _ in keep])
    p1 = np.array([pos[b] for _, b, _ in keep])
    k = np.array([c for _, _, c in keep], dtype=float)
    d = p1 - p0
    length = np.hypot(d[:, 0], d[:, 1])[:, None]
    normal = np.column_stack([-d[:, 1], d[:, 0]])
    ctrl = (p0 + p1) / 2 + 0.18 * normal  # quadratic Bezier bulging to the left
    t = np.linspace(0.04, 0.93, 14)[None, :, None]
    curve = ((1 - t) ** 2 * p0[:, None] + 2 * (1 - t) * t * ctrl[:, None]
             + t ** 2 * p1[:, None])
    width = 0.6 + 2.4 * k / k.max()
    colour = "#e66101"
    ax.add_collection(LineCollection(curve, linewidths=width, colors=colour, alpha=0.75,
                                     zorder=2, capstyle="round", gid="rotation-arrows"))
    tip = curve[:, -1]
    back = curve[:, -1] - curve[:, -2]
    unit = back / np.maximum(np.hypot(back[:, 0], back[:, 1])[:, None], 1e-9)
    xy = np.array(list(pos.values()))
    span = max(float(np.ptp(xy[:, 0])), float(np.ptp(xy[:, 1])), 1e-6)
    size = np.maximum(np.minimum(0.022 * span, length[:, 0] / 3), 1e-6)[:, None]
    size = size * (0.8 + 0.5 * k[:, None] / k.max())
    side = np.column_stack([-unit[:, 1], unit[:, 0]])
    heads = np.stack([tip + unit * size, tip - 0.2 * unit * size + 0.45 * side * size,
                      tip - 0.2 * unit * size - 0.45 * side * size], axis=1)
    ax.add_collection(PolyCollection(heads, facecolors=colour, edgecolors="none",
                                     alpha=0.85, zorder=2, gid="rotation-heads"))


@_styled
def school_chart(detail: dict[str, Any], width: float = 6.4, height: float = 5.6) -> Figure:
    """One school: its 7 indicators per section against the 2017 standards, its teachers'
    effectiveness and its pupils' achievement by county SES quarter."""
    fig = _figure(width, height)
    grid = fig.add_gridspec(2, 2, height_ratios=[1.15, 1])
    ax_ind = fig.add_subplot(grid[0, :])
    ax_eff = fig.add_subplot(grid[1, 0])
    ax_ses = fig.add_subplot(grid[1, 1])
    for ax in (ax_ind, ax_eff, ax_ses):
        _style(ax)
    ind = detail["indicators"]
    levels = list(dict.fromkeys(ind["level"]))
    y = np.arange(len(QUALITY_INDICATORS))
    h = 0.8 / max(len(levels), 1)
    for k, (level, colour) in enumerate(zip(levels, ("#4393c3", "#d6604d"), strict=False)):
        rows = ind[ind["level"] == level]
        ratio = 100 * rows["ratio"].to_numpy()
        bars = ax_ind.barh(y + (k - (len(levels) - 1) / 2) * h, np.minimum(ratio, 250), h,
                           color=colour, label=level)
        for bar, r in zip(bars, ratio, strict=True):
            ax_ind.text(bar.get_width() + 2, bar.get_y() + bar.get_height() / 2, f"{r:.0f}%",
                        va="center", fontsize=6.5, color="0.25")
    ax_ind.axvline(100, color="0.1", linestyle="--", linewidth=1.0)
    ax_ind.axvline(85, color="0.5", linestyle=":", linewidth=1.0)
    ax_ind.set_yticks(y, [CV_LABELS[n] for n in QUALITY_INDICATORS])
    ax_ind.invert_yaxis()
    ax_ind.set_xlabel("share of the 2017 standard (%; dashed 100%, dotted 85% floor)")
    ax_ind.set_xlim(0, 270)
    if levels:
        ax_ind.legend(loc="lower right", frameon=False)
    ax_ind.set_title(f"{detail['name']} ({detail['tier']}, {detail['school_type']}): "
                     f"{detail['students']:,} pupils, {detail['teachers']} teachers", loc="left")
    eff = np.asarray(detail["teacher_effectiveness"])
    if len(eff):
        ax_eff.hist(eff, bins=min(20, max(5, len(eff) // 3)), color="#8073ac", edgecolor="white")
        ax_eff.axvline(float(eff.mean()), color="0.1", linewidth=1.0)
    ax_eff.set_title("Teachers' effectiveness", loc="left")
    ax_eff.set_xlabel("pupil SD per year")
    ax_eff.set_ylabel("teachers")
    by_ses = detail["achievement_by_ses"]
    x = np.arange(len(by_ses))
    ax_ses.bar(x - 0.2, by_ses["mean_achievement"], 0.4, color="#35978f", label="this school")
    if "county_mean_achievement" in by_ses:
        ax_ses.bar(x + 0.2, by_ses["county_mean_achievement"], 0.4, color="0.75",
                   label="county")
    ax_ses.axhline(0, color="0.4", linewidth=0.7)
    ax_ses.set_xticks(x, by_ses["ses_quarter"])
    ax_ses.set_title("Achievement by SES quarter", loc="left")
    ax_ses.set_ylabel("year-0 SD")
    ax_ses.legend(loc="upper left", frameon=False)
    return fig
