"""Figures that show the comparison: equity.png beside its same-seed baseline, readable
setting labels, legends that cover no data, design figures with legends below the axes."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd

from sim.labels import policy_summary, setting_label
from sim.model import EducationModel
from sim.results import write_outputs
from sim.run_figure import draw_equity_figure

matplotlib.use("Agg")


def _models(years: int = 2):
    policies = {"teacher_rotation": {"rate": 0.15}}
    return (EducationModel(region="tiny", rng=0, policies=policies).run(years),
            EducationModel(region="tiny", rng=0).run(years))


def _overlaps(a, b) -> bool:
    return not (a.x1 <= b.x0 or a.x0 >= b.x1 or a.y1 <= b.y0 or a.y0 >= b.y1)


def test_setting_labels_are_words_with_units():
    assert setting_label("policies.teacher_rotation.rate", "0.05") == \
        "teacher rotation rate 0.05 (share of eligible teachers per year)"
    assert setting_label("teachers.rural_allowance", "0.3") == \
        "rural allowance 0.3 (share of base salary)"
    assert setting_label("policies.teacher_rotation.rate", unit=False) == "teacher rotation rate"
    assert setting_label("+policy", "teacher_rotation") == "teacher rotation at its defaults"
    assert setting_label("policy", "school_groups") == "school groups and pairing at its defaults"
    text = policy_summary({"teacher_rotation": {"rate": 0.15}, "targeted_funding": {}})
    assert text.startswith("teacher rotation: rate 0.15 (share of eligible teachers per year)")
    # a policy left at its defaults is named with its first intensity
    assert "targeted funding: yuan per pupil 200" in text


def test_equity_figure_draws_the_baseline_beside_the_run_and_legends_cover_nothing(tmp_path):
    model, base = _models()
    ts, bts = model.timeseries(), base.timeseries()
    fig = draw_equity_figure(ts, "tiny county, seed 0", bts,
                             policy_summary(model.cfg.to_dict()["policies"]))
    try:
        title = fig._suptitle.get_text()
        assert "teacher rotation: rate 0.15" in title and "baseline" in title
        renderer = fig.canvas.get_renderer()
        axes = [a for a in fig.axes if a.get_visible()]
        assert len(axes) == 6
        for ax in axes:
            lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == len(ts)]
            solid = [ln for ln in lines if ln.get_linestyle() == "-"]
            dashed = [ln for ln in lines if ln.get_linestyle() not in ("-", ":")]
            assert solid and len(dashed) == len(solid), ax.get_title()
            # each baseline line has the colour of a run line and the baseline's values
            colours = {matplotlib.colors.to_hex(ln.get_color()) for ln in solid}
            assert {matplotlib.colors.to_hex(ln.get_color()) for ln in dashed} <= colours
            leg = ax.get_legend()
            assert leg is not None, ax.get_title()
            box = ax.get_window_extent(renderer)
            assert not _overlaps(leg.get_window_extent(renderer), box), ax.get_title()
            for other in axes:
                if other is not ax:
                    assert not _overlaps(leg.get_window_extent(renderer),
                                         other.get_window_extent(renderer))
        # the CV panels keep their limit line (drawn, inside the y range)
        limits = [ln for ax in axes for ln in ax.get_lines() if ln.get_linestyle() == ":"]
        assert {round(float(ln.get_ydata()[0]), 2) for ln in limits} == {0.5, 0.45}
        for ax in axes:
            for ln in ax.get_lines():
                if ln.get_linestyle() == ":":
                    lo, hi = ax.get_ylim()
                    assert lo <= float(ln.get_ydata()[0]) <= hi
        fig_box = fig.bbox
        texts = [fig._suptitle] + [t for ax in axes for t in (
            ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_legend().get_texts())]
        for t in texts:
            if t.get_visible() and t.get_text().strip():
                bb = t.get_window_extent(renderer)
                assert bb.x0 >= fig_box.x0 - 1 and bb.x1 <= fig_box.x1 + 1, t.get_text()[:40]
                assert t.get_fontsize() >= 8, t.get_text()[:40]
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
    out = write_outputs(model, tmp_path / "run", baseline=base)
    assert (out / "equity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_equity_figure_without_baseline_has_no_dashed_copies():
    model, _ = _models(1)
    fig = draw_equity_figure(model.timeseries(), "t")
    try:
        for ax in fig.axes:
            assert all(ln.get_linestyle() in ("-", ":") for ln in ax.get_lines())
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_design_figures_put_legends_below_and_whole_years(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from experiments import design_report

    saved = []
    original = Figure.savefig
    monkeypatch.setattr(Figure, "savefig",
                        lambda self, *a, **k: (saved.append(self), original(self, *a, **k)))
    df = pd.DataFrame({"trial": [0, 1, 2], "cost": [0.0, 1.6, 2.1],
                       "equity_gain": [0.0, 0.15, 0.05], "quality_change": [0.0, 0.01, -0.02],
                       "feasible": [False, True, False]})
    front = df.iloc[[1]]
    by_trial = {1: {"trial": 1, "cost_profile_million_yuan": {
        str(y): {"teacher_rotation": 0.1 * y} for y in range(1, 8)}}}
    design_report._figures(df, front, front, by_trial, tmp_path,
                           {"target_year": 7, "equity_measure": "urban_rural_gap"})
    assert {p.name for p in tmp_path.glob("*.png")} == {"front.png", "cost_profile.png"}
    front_fig, profile_fig = saved
    ax = front_fig.axes[0]
    assert "urban–rural achievement gap" in ax.get_ylabel()
    for fig in saved:
        (leg,) = fig.legends
        for a in fig.axes:  # the legend covers no axes (nor the colour bar)
            assert not _overlaps(leg.get_window_extent(), a.get_window_extent())
    pax = profile_fig.axes[0]
    ticks = [t for t in pax.get_xticks() if pax.get_xlim()[0] <= t <= pax.get_xlim()[1]]
    assert all(float(t).is_integer() for t in ticks)
    assert [t.get_text() for t in profile_fig.legends[0].get_texts()] == ["teacher rotation"]
    assert np.isfinite(ax.get_xlim()).all()
