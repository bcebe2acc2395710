"""Run the calibration and pattern checks of docs/calibration.md.

    python -m experiments.calibration                    # all checks -> multirun/calibration/
    python -m experiments.calibration --out DIR          # ... into DIR
    python -m experiments.calibration --quick --out DIR  # a smoke run (tiny county, 2 seeds)

Writes ``OUT/img/calibration/{transfer,gap_closing,stylised}.png`` and
``OUT/calibration_results.json`` (default OUT: ``multirun/calibration``). The docs job
``calibration`` (``make docs JOBS=calibration``, ``experiments/docs/jobs/calibration.py``)
runs this command, copies the figures to ``docs/img/calibration/`` and stores the numbers
docs/calibration.md and the README quote in ``docs/results/calibration.json``. The
sensitivity analysis has its own command: ``python -m experiments.calibration.sensitivity``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from experiments.aggregate import t_quantile_975
from experiments.calibration import gap_closing, stylised, transfer
from sim.results import atomic_write, json_safe

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "multirun" / "calibration"
RESULTS_FILE = "calibration_results.json"
STYLE = {"font.size": 8.5, "axes.titlesize": 9, "legend.fontsize": 8}


def _save(fig: Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=150, format="png"))


def _axes_style(ax: Any) -> None:
    ax.grid(True, color="0.9", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def transfer_figure(s: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(6.7, 2.9), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[1.25, 1])
    levels = ("primary", "junior")
    x = np.arange(2)
    for k, (key, label, colour) in enumerate((
            ("class_gain", "model: class (1–2 core teachers)", "#92c5de"),
            ("teacher_gain", "model: per mover (as TTI)", "#2166ac"))):
        means = [s[f"{key}_{lv}"]["mean"] for lv in levels]
        cis = [s[f"{key}_{lv}"]["ci95"] for lv in levels]
        ax1.bar(x + (k - 0.5) * 0.3, means, 0.3, yerr=cis, capsize=3, color=colour, label=label)
    lo, hi = transfer.PUBLISHED["gain_primary_sd"]
    ax1.fill_between([-0.45, 0.45], lo, hi, color="#f4a582", alpha=0.45, zorder=0,
                     label="published, primary (Glazerman et al. 2013)")
    ax1.plot([0.55, 1.45], [0, 0], color="#d6604d", linewidth=3, alpha=0.7,
             label="published, junior: ≈ 0")
    ax1.set_ylim(-0.02, 0.5)
    ax1.set_xticks(x, ["primary", "junior"])
    ax1.set_ylabel("gain, pupil SD per year")
    ax1.set_title("Receiving classrooms' gain", loc="left", fontsize=9)
    ax1.legend(loc="upper left", frameon=False, fontsize=7)
    ax1.axhline(0, color="0.4", linewidth=0.7)
    _axes_style(ax1)
    years = [1, 2, 3]
    model = [s[f"stayed_{k}_years"]["mean"] for k in years]
    ci = [s[f"stayed_{k}_years"]["ci95"] for k in years]
    ax2.errorbar(years, model, yerr=ci, marker="o", color="#2166ac", capsize=3, label="model")
    ax2.plot([2, 3], [transfer.PUBLISHED["stayed_2_years"], transfer.PUBLISHED["stayed_3_years"]],
             "s", color="#d6604d", markersize=7, label="published")
    ax2.set_xticks(years, ["1 year", "2 years\n(bonus ends)", "3 years"])
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("movers still at the receiving school")
    ax2.set_title("Movers' retention", loc="left", fontsize=9)
    ax2.legend(loc="lower left", frameon=False)
    _axes_style(ax2)
    return fig


def relative_gap(tidy: Any) -> dict[str, Any]:
    """Per arm, by year: the mean over seeds of each seed's gap as a share of its year-0 gap
    (``mean``) and the 95% half-width of that mean (``half``)."""
    out = {}
    for arm in gap_closing.ARMS:
        sub = tidy[tidy["arm"] == arm]
        g0 = sub[sub["year"] == 0].set_index("seed")["gap"]
        rel = sub.assign(rel=sub["gap"] / sub["seed"].map(g0))
        stats = rel.groupby("year")["rel"].agg(["mean", "std", "count"])
        stats["half"] = stats["count"].map(lambda n: t_quantile_975(n - 1)) * stats["std"] / (
            np.sqrt(stats["count"]))
        out[arm] = stats
    return out


def gap_figure(tidy: Any, s: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(6.7, 3.4), layout="constrained")
    ax = fig.subplots()
    labels = {"baseline": "baseline", "hiring_mobility": "hiring and mobility equalised",
              "hiring": "hiring equalised", "attrition": "attrition equalised"}
    colours = {"baseline": "0.4", "hiring_mobility": "#1b7837", "hiring": "#5aae61",
               "attrition": "#9970ab"}
    top = 1.6
    for arm, stats in relative_gap(tidy).items():
        half = stats["half"]
        top = max(top, float((stats["mean"] + half).max()) * 1.08)
        ax.plot(stats.index, stats["mean"], color=colours[arm], label=labels[arm], linewidth=1.6)
        ax.fill_between(stats.index, stats["mean"] - half, stats["mean"] + half,
                        color=colours[arm], alpha=0.2, linewidth=0)
    ax.axhline(s["closed_share"], color="0.2", linestyle="--", linewidth=0.9)
    ax.text(0.2, s["closed_share"] + 0.02, f"closed ({s['closed_share']:.0%} of the year-0 gap)",
            fontsize=7.5, ha="left", va="bottom")
    for yr, y, txt in ((5, 0.975, "published: hiring + mobility closes it within ~5 years"),
                       (10, 0.9, "published: hiring alone within ~10 years")):
        ax.axvline(yr, color="#d6604d", linestyle=":", linewidth=1)
        ax.text(yr + 0.2, y, txt, fontsize=7, color="#b2182b", va="top",
                transform=ax.get_xaxis_transform())
    ax.set_xlabel("simulated year")
    ax.set_ylabel("urban − rural teacher-effectiveness gap\n(share of its year-0 value)")
    ax.set_ylim(0, top)
    ax.set_title(f"Closing the teacher-quality gap (default county, {s['seeds']} seeds, "
                 "95% bands)", loc="left", fontsize=9)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=4,
               frameon=False, fontsize=7.5)
    _axes_style(ax)
    return fig


def stylised_figure(ri: dict[str, Any], sg: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(6.7, 2.7), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    vals = [100 * ri["baseline"]["mean"], 100 * ri["incentives"]["mean"]]
    cis = [100 * ri["baseline"]["ci95"], 100 * ri["incentives"]["ci95"]]
    ax1.bar([0, 1], vals, yerr=cis, capsize=3, color=["0.6", "#2166ac"], width=0.55)
    ax1.axhline(100 * ri["published_after"], color="#d6604d", linestyle="--")
    ax1.text(1.32, 100 * ri["published_after"] + 0.15, "doc 002: 5%", color="#b2182b",
             fontsize=7.5, va="bottom")
    for i, v in enumerate(vals):
        ax1.text(i, v / 2, f"{v:.1f}%", ha="center", color="white", fontsize=8)
    ax1.set_xticks([0, 1], ["baseline", "allowance +50%,\nhousing 80%"])
    ax1.set_xlim(-0.5, 1.8)
    ax1.set_ylabel("rural attrition, % per year")
    ax1.set_title("Rural teacher incentives", loc="left", fontsize=9)
    _axes_style(ax1)
    vals = [sg["gap_baseline"]["mean"], sg["gap_policy"]["mean"]]
    cis = [sg["gap_baseline"]["ci95"], sg["gap_policy"]["ci95"]]
    ax2.bar([0, 1], vals, yerr=cis, capsize=3, color=["0.6", "#1b7837"], width=0.55)
    for i, v in enumerate(vals):
        ax2.text(i, v / 2, f"{v:+.2f}", ha="center", color="white", fontsize=8)
    ax2.axhline(0, color="0.4", linewidth=0.7)
    ax2.set_xticks([0, 1], ["same groups,\nno policy", "school groups\n(1+X, fused, 80%)"])
    ax2.set_ylabel("member − lead achievement\n(year-0 SD)")
    # room below the lowest error bar for the note (the bars hang down from 0)
    low = min(min(v - c for v, c in zip(vals, cis, strict=True)), 0.0)
    ax2.set_ylim(1.7 * low - 0.02, 0.02)
    ax2.text(0.5, 0.03, f"model: narrowed by {sg['narrowing_sd']['mean']:.2f} SD\n"
             "doc 002: by 12 points (0.12 SD if\nthe monitoring scale's SD is 100 points)",
             transform=ax2.transAxes, ha="center", va="bottom", fontsize=7, color="0.2")
    ax2.set_title(f"School groups after {sg['years']} years", loc="left", fontsize=9)
    _axes_style(ax2)
    return fig


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m experiments.calibration",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: tiny county, 2 seeds, short runs")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help=f"folder for {RESULTS_FILE} and img/calibration/ "
                         f"(default: {DEFAULT_OUT.relative_to(ROOT)}/)")
    args = ap.parse_args(argv)
    from matplotlib import rc_context

    if args.quick:
        kw_t = {"seeds": 2, "region": "tiny"}
        kw_g = {"seeds": 2, "years": 4, "region": "tiny"}
        kw_s = {"seeds": 2, "years": 3, "region": "tiny"}
    else:
        kw_t = {"seeds": 40, "region": "default"}
        kw_g = {"seeds": 10, "years": 25, "region": "default"}
        kw_s = {"seeds": 10, "years": 10, "region": "default"}
    results: dict[str, Any] = {}
    timing: dict[str, float] = {}
    with rc_context(STYLE):
        start = time.perf_counter()
        _, results["transfer"] = transfer.run(**kw_t)
        timing["transfer"] = time.perf_counter() - start
        _save(transfer_figure(results["transfer"]), args.out / "img/calibration/transfer.png")
        print("edusim: teacher-transfer experiment done", file=sys.stderr)

        start = time.perf_counter()
        tidy, results["gap_closing"] = gap_closing.run(**kw_g)
        results["gap_closing"]["relative_gap_by_year"] = {
            arm: [float(v) for v in stats["mean"]] for arm, stats in relative_gap(tidy).items()}
        timing["gap_closing"] = time.perf_counter() - start
        _save(gap_figure(tidy, results["gap_closing"]), args.out / "img/calibration/gap_closing.png")
        print("edusim: gap-closing experiment done", file=sys.stderr)

        start = time.perf_counter()
        _, results["rural_incentives"] = stylised.rural_incentives(**kw_s)
        _, results["school_groups"] = stylised.school_groups(**kw_s)
        timing["stylised"] = time.perf_counter() - start
        _save(stylised_figure(results["rural_incentives"], results["school_groups"]),
              args.out / "img/calibration/stylised.png")
    results["wall_seconds"] = timing
    path = args.out / RESULTS_FILE
    text = json.dumps(json_safe(results), indent=1, ensure_ascii=False) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    print(f"edusim: calibration results in {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
