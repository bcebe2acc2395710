"""The two figures of the sensitivity analysis of policy effects
(:mod:`experiments.calibration.sensitivity`): the Morris μ*–σ screen and the Sobol indices,
one panel per outcome, each index with its seed noise.

    python -m experiments.calibration.sensitivity --report --figures DIR   # redraw them
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibration.sensitivity_indices import OUTCOMES

__all__ = ["draw_figures", "labels", "morris_figure", "sobol_figure"]


def labels() -> dict[str, str]:
    """Figure labels of the screened parameters: RANGES' labels, else the name's last part."""
    from experiments.calibration.ranges import RANGES

    return {r.name: r.label for r in RANGES}


def _style() -> dict[str, Any]:
    return {"font.size": 8.5, "axes.titlesize": 9, "axes.labelsize": 8.5,
            "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 8}


def _place_labels(ax: Any, xs: np.ndarray, ys: np.ndarray, texts: list[str],
                  all_xy: np.ndarray) -> None:
    """Annotate points without overlaps: for each label, the first of a list of offsets
    whose text box stays inside the axes and clear of earlier labels and of the points."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    axbox = ax.get_window_extent(renderer)
    dots = ax.transData.transform(all_xy)
    placed: list[Any] = []
    cands = [(5, 2, "left", "bottom"), (5, -2, "left", "top"), (-5, 2, "right", "bottom"),
             (-5, -2, "right", "top"), (0, 6, "center", "bottom"), (0, -6, "center", "top")]
    for step in (12, 20, 28, 36, 44, 52, 60, 70, 80):
        for dx in (8, 24, 40):
            cands += [(dx, step, "left", "bottom"), (-dx, step, "right", "bottom"),
                      (dx, -step, "left", "top"), (-dx, -step, "right", "top")]

    def clash(bb: Any, own: np.ndarray) -> float:
        pad = bb.expanded(1.04, 1.2)
        bad = 10 * sum(pad.overlaps(o) for o in placed)
        bad += sum(1 for d in dots if not np.allclose(d, own)
                   and pad.x0 - 3 <= d[0] <= pad.x1 + 3 and pad.y0 - 3 <= d[1] <= pad.y1 + 3)
        inside = (bb.x0 >= axbox.x0 + 1 and bb.x1 <= axbox.x1 - 1 and bb.y0 >= axbox.y0 + 1
                  and bb.y1 <= axbox.y1 - 1)
        return bad + (0 if inside else 100)

    for x, y, text in zip(xs, ys, texts, strict=True):
        own = ax.transData.transform((x, y))
        best = None
        for cand in cands:
            dx, dy, ha, va = cand
            # scored without a leader line: before drawing, its extent is not known
            t = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                            ha=ha, va=va, fontsize=8, zorder=4)
            bb = t.get_window_extent(renderer)
            t.remove()
            score = clash(bb, own)
            if best is None or score < best[0]:
                best = (score, cand, bb)
                if score == 0:
                    break
        dx, dy, ha, va = best[1]
        ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                    fontsize=8, zorder=4,
                    arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "0.4", "shrinkA": 1,
                                "shrinkB": 3} if abs(dy) > 10 else None)
        placed.append(best[2])


def morris_figure(indices: pd.DataFrame, path: Path, noise: pd.DataFrame | None = None,
                  note: str = "", n_labels: int = 5) -> Path:
    """μ*–σ scatter, one panel per outcome; the ``n_labels`` largest μ* labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = labels()
    outcomes = [o for o in OUTCOMES if o.key in set(indices["outcome"])]
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(3, 2, figsize=(7.0, 9.4))
        axes = axes.ravel()
        panels = []
        for ax, o in zip(axes, outcomes, strict=False):
            d = indices[indices["outcome"] == o.key].sort_values("mu_star", ascending=False)
            ref = math.nan
            if noise is not None:
                ref = float(noise.set_index("outcome")["noise_mu_star"].get(o.key, math.nan))
            # no parameter stands out of the seed noise: nothing highlighted or labelled
            top = d.iloc[:0] if ref >= float(d["mu_star"].max()) else d.head(n_labels)
            if "mu_star_seed_se" in d:
                ax.errorbar(d["mu_star"], d["sigma"], xerr=d["mu_star_seed_se"], fmt="none",
                            ecolor="C1", elinewidth=1.0, zorder=1.5)
            ax.scatter(d["mu_star"], d["sigma"], s=14, color="0.6", zorder=2)
            ax.scatter(top["mu_star"], top["sigma"], s=22, color="C0", zorder=3)
            xmax = max(float(d["mu_star"].max()), 1e-12) * 1.12
            ymax = max(float(d["sigma"].max()), 1e-12) * 1.25
            ax.plot([0, min(xmax, ymax)], [0, min(xmax, ymax)], ls=":", color="0.5", lw=0.8,
                    zorder=1)
            if math.isfinite(ref) and ref > 0:
                ax.axvspan(0, ref, color="C1", alpha=0.15, lw=0, zorder=0)
            if math.isfinite(ref) and ref >= float(d["mu_star"].max()):
                ax.text(0.97, 0.05, f"every μ* within the seed noise\n(noise floor "
                                    f"{ref:.3g}): none labelled", transform=ax.transAxes,
                        ha="right", va="bottom", fontsize=8, color="0.25")
            ax.set_xlim(0, xmax)
            ax.set_ylim(0, ymax)
            ax.set_title(o.label)
            ax.set_xlabel(f"μ* ({o.unit})")
            ax.set_ylabel("σ")
            ax.grid(alpha=0.3, lw=0.5)
            panels.append((ax, d, top))
        for ax in axes[len(outcomes):]:
            ax.axis("off")
        if len(outcomes) < len(axes):
            text = ("Each panel: the policy's effect (policy minus the\n"
                    "same-seed baseline) on one outcome.\n"
                    "μ*: mean absolute elementary effect, in outcome\n"
                    "units per prior range (the change from the prior's\n"
                    "low to its high end if the effect is linear).\n"
                    "σ: spread of the elementary effects (nonlinearity,\n"
                    "interactions). Dotted line: σ = μ*.\n"
                    "Orange bars: ± seed noise of μ* (its SE over seeds).\n"
                    "Blue, labelled: the five largest μ* of the panel\n"
                    "(unless all are within the seed noise).\n"
                    "Shaded: the μ* seed noise alone would give.")
            if note:
                text += "\n\n" + note
            axes[len(outcomes)].text(0.0, 1.0, text, va="top", ha="left", fontsize=8,
                                     transform=axes[len(outcomes)].transAxes)
        fig.tight_layout()
        for ax, d, top in panels:
            _place_labels(ax, top["mu_star"].to_numpy(), top["sigma"].to_numpy(),
                          [names.get(p, p) for p in top["parameter"]],
                          d[["mu_star", "sigma"]].to_numpy())
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=150)
        plt.close(fig)
    return path


def sobol_figure(indices: pd.DataFrame, path: Path, note: str = "") -> Path:
    """S1 and ST bars with 95% intervals, one panel per outcome (x clipped to −0.4…1.2;
    an interval running off the panel ends in an arrow); with a ``noise_share`` column, each
    panel notes the seed noise's share of the outcome's variance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = labels()
    outcomes = [o for o in OUTCOMES if o.key in set(indices["outcome"])]
    params = list(dict.fromkeys(indices["parameter"]))
    lo, hi = -0.4, 1.2
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(3, 2, figsize=(7.0, max(8.0, 1.4 + 0.42 * 3 * (len(params) + 1))))
        axes = axes.ravel()
        y = np.arange(len(params))
        h = 0.38
        for ax, o in zip(axes, outcomes, strict=False):
            d = indices[indices["outcome"] == o.key].set_index("parameter").loc[params]
            if d["constant"].astype(bool).all():
                ax.text(0.5, 0.5, "constant over the design", ha="center", va="center",
                        transform=ax.transAxes)
            for col, conf, off, color, name in (("S1", "S1_conf", -h / 2, "C0", "first order S1"),
                                                ("ST", "ST_conf", h / 2, "C3", "total ST")):
                v, e = d[col].to_numpy(dtype=float), d[conf].to_numpy(dtype=float)
                ax.barh(y + off, np.clip(v, lo, hi), h, color=color, label=name)
                if f"{col}_seed_se" in d:  # ± the index's seed noise, behind the interval
                    se = d[f"{col}_seed_se"].to_numpy(dtype=float)
                    ax.hlines(y + off, np.clip(v - se, lo, hi), np.clip(v + se, lo, hi),
                              color="C1", lw=3.2, alpha=0.8, zorder=2.5)
                a, b = np.clip(v - e, lo, hi), np.clip(v + e, lo, hi)
                ax.hlines(y + off, a, b, color="black", lw=0.9)
                for yi, ai, bi, va, ea in zip(y + off, a, b, v, e, strict=True):
                    if not math.isfinite(va):
                        continue
                    for end, raw, mark in ((ai, va - ea, "<"), (bi, va + ea, ">")):
                        clipped = raw < lo or raw > hi
                        ax.plot(end, yi, marker=mark if clipped else "|", color="black",
                                ms=4 if clipped else 5, mew=0.9)
            ax.set_yticks(y, [names.get(p, p) for p in params])
            ax.invert_yaxis()
            ax.axvline(0, color="0.3", lw=0.6)
            ax.set_xlim(lo, hi)
            share = d["noise_share"].iloc[0] if "noise_share" in d else math.nan
            if math.isfinite(share):
                noise_text = ("seed noise ≥ its whole variance" if share >= 1
                              else f"seed noise: {share:.0%} of its variance")
                ax.set_title(o.label, pad=13)
                ax.text(0.5, 1.012, noise_text, transform=ax.transAxes, ha="center",
                        va="bottom", fontsize=8, color="0.3")
            else:
                ax.set_title(o.label)
            ax.set_xlabel("share of the outcome's variance")
            ax.grid(axis="x", alpha=0.3, lw=0.5)
        for ax in axes[len(outcomes):]:
            ax.axis("off")
        if len(outcomes) < len(axes):
            key = axes[len(outcomes)]
            handles, labs = axes[0].get_legend_handles_labels()
            key.legend(handles, labs, loc="upper left", bbox_to_anchor=(0.0, 1.02),
                       frameon=False)
            text = ("S1: share of the variance due to the\n"
                    "parameter alone; ST: including its\n"
                    "interactions with the others.\n"
                    "Black lines: 95% bootstrap intervals\n"
                    "(an arrow: it runs off the panel).\n"
                    "Orange: ± the index's seed noise\n"
                    "(its SE over the seeds).\n"
                    "Seed noise share: a point's seed-mean\n"
                    "variance / variance over the design\n"
                    "(the ST a parameter with no effect gets).")
            if note:
                text += "\n\n" + note
            key.text(0.0, 0.62, text, va="top", ha="left", fontsize=8, transform=key.transAxes)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=150)
        plt.close(fig)
    return path



def draw_figures(out: str | os.PathLike, figures: str | os.PathLike) -> list[Path]:
    """(Re)draw the two figures from the tables of an analysis in ``out``."""
    out, figures = Path(out), Path(figures)
    summary = json.loads((out / "summary.json").read_text())
    s, runs = summary["scenario"], summary["runs"]
    morris = pd.read_csv(out / "morris" / "indices.csv")
    sobol = pd.read_csv(out / "sobol" / "indices.csv")
    noise = pd.read_csv(out / "noise" / "floor.csv")
    k = morris["parameter"].nunique()
    county = (f"{s['region']} county, {s['years']} years, {s['seeds']} seeds per point,\n"
              f"each with and without the policy\n(+experiment={s['experiment']})")
    return [
        morris_figure(morris, figures / "sensitivity_morris.png", noise,
                      note=f"{runs['morris']:,} runs ({s['morris_r']} trajectories × {k + 1} "
                           "points);\n"
                           f"{county}."),
        sobol_figure(sobol, figures / "sensitivity_sobol.png",
                     note=f"{runs['sobol']:,} runs (N = {s['sobol_n']}, "
                          f"{sobol['parameter'].nunique()} parameters);\n{county}."),
    ]


