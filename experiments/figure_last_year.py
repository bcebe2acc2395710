"""The figures of :mod:`experiments.figures` that compare the arms at the end of the runs:
``policy_comparison.png`` and ``cost_effectiveness.png`` (each arm against its reference: the
named reference arm, the baseline arm, or each run's same-seed baseline) and ``heatmap.png``
(one metric over the grid of a 2-D sweep). Each ``draw_*`` function returns an open matplotlib
Figure, or the reason the figure is skipped (a str).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from experiments.aggregate import BASELINE, AggregateResult, mean_ci
from experiments.figure_parts import (
    band_text,
    canvas,
    display_labels,
    footer_text,
    metric_label,
    n_seeds_text,
    split_arm,
    suptitle,
    wrap_label,
)

__all__ = ["draw_cost_effectiveness", "draw_heatmap", "draw_policy_comparison",
           "last_runs_metric"]

# ---------------------------------------------------------------------------------------------
# the reference and the cost


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
    keys = {k for a in res.arm_order if a != BASELINE for k, _ in split_arm(a) if relevant(k)}
    if not keys:
        return ""
    from sim.labels import setting_label

    return ("Cost = the policies' own cost; changing " + ", ".join(
        setting_label(k, unit=False) for k in sorted(keys)) + " changes county spending instead "
        "(effects.csv: change_total_spending_yuan).")


# ---------------------------------------------------------------------------------------------
# the figures


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


def draw_policy_comparison(res: AggregateResult) -> Any:
    """``policy_comparison.png``: per arm, the equity gain against the change in mean
    achievement in the last year, coloured by cost."""
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
    fig, sub = canvas(4.8, footer_text(res, note, extra))
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
                 f"{_reference_text(res)}\nmean of {n_seeds_text(res)} per arm; "
                 + band_text(res, True, "").replace("shaded", "bars")
                 + (f"\nlabels: {names.title}" if names.title and not numbered
                    else "; numbers: see the key below"),
                 fontsize=9)
    fig.canvas.draw()  # final layout before measuring the labels
    fig.set_layout_engine("none")
    _place_labels(ax, x, y, texts, 8)
    return fig


def draw_heatmap(res: AggregateResult, metric: str) -> Any:
    """``heatmap.png``: the last-year mean of ``metric`` over the grid of a 2-D sweep."""

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
    fig, sub = canvas(min(6.5, 2.4 + 0.5 * len(rows)), footer_text(
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
    cb.set_label(wrap_label(metric_label(metric), 40).replace(", ", ",\n"))
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
    """The mean of ``metric`` over the last year of each run of ``arm``; None without one."""
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


_CE_MEASURES = [("urban_rural_gap", "Urban–rural gap reduced",
                  "year-0 SD per 100 million yuan"),
                ("between_school_share", "Between-school share reduced",
                 "share of variance per 100 million yuan")]


def draw_cost_effectiveness(res: AggregateResult) -> Any:
    """``cost_effectiveness.png``: equity gained per 100 million yuan, for the arms with a
    cost above zero."""
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
    ticklabels = [f"{wrap_label(labels[a])}\n({cost.loc[a, 'mean'] / 1e6:,.2f} m yuan)"
                  for a in arms]
    line_rows = sum(t.count("\n") + 1 for t in ticklabels)
    height = 1.9 + 0.16 * line_rows + 0.1 * len(arms)
    fig, sub = canvas(height, footer_text(
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
    suptitle(sub, "Equity gained per 100 million yuan of "
                 + ("extra county spending" if res.reference_arm is not None else "policy cost")
                 + "\nyear "
                 f"{int(res.arms['last_year'].max())}, vs the {_reference_text(res)}\nmean of "
                 f"{n_seeds_text(res)} per arm; "
                 + band_text(res, True, "").replace("shaded", "bars"))
    return fig

