"""The figures of an uncertainty analysis (written beside its tables in ``uncertainty/``):

* ``effects.png`` — one panel per measure: the distribution of the effect over draws and
  seeds, its median and 90% interval, the zero line and the probability that it helps;
* ``importance.png`` — for the headline measures, the first-order index of the ten most
  important uncertain parameters and the seed-noise share (which assumption to research
  first);
* ``pass_probability.png`` — the probability of having passed each official test by each
  year, with and without the policy.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.uncertainty.runner import MEASURES

__all__ = ["HEADLINE", "draw_all"]

#: measures of the importance chart
HEADLINE = ("mean_achievement", "urban_rural_gap", "between_school_share")

POLICY, BASELINE, NEUTRAL = "#b2182b", "#2166ac", "#636363"


def _title(meta: dict[str, Any]) -> str:
    import textwrap

    names = ", ".join(sorted(meta.get("policies") or {})) or "no policy"
    text = (f"{names}: effect vs the same-seed baseline, {meta['draws']} parameter sets × "
            f"{meta['seeds']} seeds, year {meta['years']}")
    return "\n".join(textwrap.wrap(text, 90))


def _save(fig, path: Path) -> None:
    from sim.results import atomic_write

    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=150, format="png"))


def effects_figure(table: pd.DataFrame, eff: pd.DataFrame, meta: dict[str, Any]):
    from matplotlib.figure import Figure

    keys = [k for k, _, _ in MEASURES if k in eff and k in set(table["measure"])]
    cols = 3
    rows = math.ceil(len(keys) / cols)
    fig = Figure(figsize=(10.5, 2.3 * rows + 0.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    t = table.set_index("measure")
    for ax, key in zip(axes, keys, strict=False):
        x = eff[key].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        r = t.loc[key]
        ax.hist(x, bins=30, color="#d1e5f0", edgecolor="#92c5de")
        ax.axvline(0, color=NEUTRAL, lw=1)
        ax.axvspan(r["p05"], r["p95"], color=POLICY, alpha=0.12, lw=0)
        ax.axvline(r["median"], color=POLICY, lw=1.5)
        ax.set_title(str(r["label"]), fontsize=8)
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
        ax.text(0.02, 0.95, f"helps in {r['prob_improves']:.0%}\n({r['better']} is better)",
                transform=ax.transAxes, va="top", fontsize=7)
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    fig.suptitle(_title(meta) + "\nred: median and 90% interval; grey: no effect", fontsize=9)
    return fig


def _name(path: str) -> str:
    """A parameter in words, with its section for the model's own parameters."""
    from sim.labels import setting_label

    words = setting_label(path, unit=False)
    return words if path.startswith("policies.") else f"{words} ({path.split('.')[0]})"


def importance_figure(variance: pd.DataFrame, meta: dict[str, Any]):
    from matplotlib.figure import Figure

    from experiments.uncertainty.analysis import MIN_DRAWS

    keys = [k for k in HEADLINE if k in set(variance["measure"])]
    fig = Figure(figsize=(7.5, 2.9 * max(len(keys), 1) + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(max(len(keys), 1), 1))
    labels = dict((k, lab) for k, lab, _ in MEASURES)
    for ax, key in zip(axes, keys, strict=False):
        v = variance[variance["measure"] == key]
        seeds = v[v["source"] == "seeds"]["S1"]
        top = v[v["source"] != "seeds"].head(10)
        names = [_name(s) for s in top["source"]] + ["seed noise (share)"]
        vals = list(top["S1"].clip(lower=0.0)) + [float(seeds.iloc[0]) if len(seeds)
                                                   else float("nan")]
        errs = list(top["ci95"].fillna(0.0)) + [0.0]
        y = np.arange(len(names))[::-1]
        colours = [POLICY] * len(top) + [NEUTRAL]
        ax.barh(y, vals, xerr=errs, color=colours, alpha=0.8, error_kw={"lw": 0.8})
        ax.set_yticks(y, names, fontsize=7)
        ax.set_xlabel("share of the effect's variance a monotone trend in the parameter "
                      "explains (squared rank correlation)", fontsize=7)
        ax.set_title(labels.get(key, key), fontsize=8)
        ax.tick_params(labelsize=7)
        floor = v["noise_floor"].dropna() if "noise_floor" in v else pd.Series(dtype=float)
        if len(floor):
            ax.axvline(float(floor.iloc[0]), color=NEUTRAL, ls="--", lw=1)
            ax.text(float(floor.iloc[0]), len(names) - 0.45, " noise floor", fontsize=6.5,
                    color=NEUTRAL, va="bottom")
        ax.set_xlim(0, 1.0)
        if top.empty:
            ax.text(0.5, 0.5, f"too few parameter sets for the parameters' indices "
                    f"(at least {MIN_DRAWS})", transform=ax.transAxes, ha="center",
                    fontsize=7)
    fig.suptitle(_title(meta) + "\nwhich assumption the effect depends on (95% intervals; "
                 "bars below the noise floor may be chance)",
                 fontsize=9)
    return fig


def pass_figure(by_year: pd.DataFrame, meta: dict[str, Any]):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 3.2), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    for ax, (key, title) in zip(axes, (("quality_passed", "2017 quality standard"),
                                       ("basic_passed", "2012 basic standard")), strict=True):
        ax.plot(by_year["year"], by_year[f"{key}_policy"], color=POLICY, label="with the policy")
        ax.plot(by_year["year"], by_year[f"{key}_baseline"], color=BASELINE, ls="--",
                label="baseline")
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("year", fontsize=7)
        ax.set_ylim(-0.02, 1.02)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel("probability of having passed", fontsize=7)
    axes[0].legend(fontsize=7, loc="upper left", frameon=False)
    fig.suptitle(_title(meta), fontsize=8)
    return fig


def draw_all(folder: Path, table: pd.DataFrame, eff: pd.DataFrame, variance: pd.DataFrame,
             by_year: pd.DataFrame, meta: dict[str, Any]) -> list[Path]:
    """Write the three figures into ``folder``; returns their paths."""
    out = []
    for name, fig in (("effects", effects_figure(table, eff, meta)),
                      ("importance", importance_figure(variance, meta)),
                      ("pass_probability", pass_figure(by_year, meta))):
        path = folder / f"{name}.png"
        _save(fig, path)
        out.append(path)
    return out
