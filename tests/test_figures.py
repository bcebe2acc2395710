"""edusim-figures: the policy-brief figures of real (small) sweeps.

Uses the sweeps of tests/test_aggregate.py (built once per session) and one 2-D sweep
(rotation rate x rural allowance, one seed, 2 years) for the heatmap.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

from experiments.aggregate import aggregate
from experiments.figures import (
    FIGURES,
    FigureError,
    display_labels,
    draw_figures,
    main,
    make_figures,
)
from tests.test_aggregate import BASELINE_SWEEP, MAIN_SWEEP, RATE, ROOT, copy_sweep, real_sweep

matplotlib.use("Agg")

GRID_SWEEP = ("region=tiny", "years=2", "seed=0", "+policies.teacher_rotation.rate=0.1,0.3",
              "teachers.rural_allowance=0.0,0.4", "figures=false")
A4_WIDTH_PX = round(17 / 2.54 * 200)  # 17 cm at the 200 dpi the figures are saved with


@pytest.fixture(scope="session")
def result_1d(tmp_path_factory):
    sweep = real_sweep(tmp_path_factory, "main", MAIN_SWEEP)
    return aggregate(sweep, out=tmp_path_factory.mktemp("fig-agg-1d"))


@pytest.fixture(scope="session")
def result_2d(tmp_path_factory):
    sweep = real_sweep(tmp_path_factory, "grid", GRID_SWEEP)
    return aggregate(sweep, out=tmp_path_factory.mktemp("fig-agg-2d"))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def check_png(path: Path) -> None:
    width, height = png_size(path)
    assert abs(width - A4_WIDTH_PX) <= 2, (path.name, width)
    assert 500 <= height <= 2000, (path.name, height)  # fits the A4 text height (25 cm)
    import matplotlib.image

    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (height, width)
    assert pixels[..., :3].std() > 0.05, f"{path.name} looks blank"


def test_figures_of_a_1d_sweep(result_1d, tmp_path):
    written = make_figures(result_1d, tmp_path)
    names = {p.name for p in written}
    assert names == set(FIGURES) - {"heatmap.png"}
    assert "1-D" in written.skipped["heatmap.png"]
    for path in written:
        check_png(path)
    assert not list(tmp_path.glob(".*.tmp-*"))


def test_heatmap_for_a_2d_sweep(result_2d, tmp_path):
    assert result_2d.swept_params == [RATE, "teachers.rural_allowance"]
    written = make_figures(result_2d, tmp_path, heatmap_metric="between_school_share")
    assert "heatmap.png" not in written.skipped
    assert tmp_path / "heatmap.png" in written
    for path in written:
        check_png(path)


def test_a_skipped_figure_leaves_no_stale_file(result_1d, tmp_path):
    (tmp_path / "heatmap.png").write_bytes(b"old")
    written = make_figures(result_1d, tmp_path)
    assert "heatmap.png" in written.skipped
    assert not (tmp_path / "heatmap.png").exists()


def test_baseline_only_sweep_skips_the_comparisons(tmp_path_factory, tmp_path):
    sweep = real_sweep(tmp_path_factory, "baseline", BASELINE_SWEEP)
    res = aggregate(sweep, out=tmp_path / "agg")
    written = make_figures(res, tmp_path / "fig")
    assert {p.name for p in written} == {"trajectories.png", "official_cvs.png",
                                         "first_pass.png"}
    assert set(written.skipped) == {"policy_comparison.png", "heatmap.png",
                                    "cost_effectiveness.png"}


def test_every_text_is_at_least_8_pt_at_a4_width(result_1d, result_2d):
    from matplotlib.text import Text

    for res in (result_1d, result_2d):
        figures = draw_figures(res)
        try:
            for name, fig in figures.items():
                if isinstance(fig, str):
                    continue
                assert fig.get_figwidth() * 2.54 == pytest.approx(17, abs=0.05), name
                texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
                assert texts, name
                small = [(t.get_text()[:30], t.get_fontsize()) for t in texts
                         if t.get_fontsize() < 8]
                assert not small, (name, small)
        finally:
            import matplotlib.pyplot as plt

            for fig in figures.values():
                if not isinstance(fig, str):
                    plt.close(fig)


def test_unknown_heatmap_metric_is_a_clear_error(result_2d, tmp_path, capsys):
    with pytest.raises(FigureError, match="unknown metric 'urban_rural_gapp'.*urban_rural_gap"):
        make_figures(result_2d, tmp_path, heatmap_metric="urban_rural_gapp")
    with pytest.raises(SystemExit) as exc:
        main([str(result_2d.out_dir), "--metric", "nonsense", "--out", str(tmp_path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("edusim-figures: unknown metric 'nonsense'")
    assert err.strip().count("\n") == 0
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path / "nowhere")])
    assert exc.value.code == 2
    assert "no such directory" in capsys.readouterr().err


def test_cli_aggregates_a_fresh_sweep_then_draws(tmp_path_factory, tmp_path):
    sweep = copy_sweep(real_sweep(tmp_path_factory, "main", MAIN_SWEEP), tmp_path / "sweep")
    proc = subprocess.run([sys.executable, "-m", "experiments.figures", str(sweep)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (sweep / "aggregate" / "manifest.json").is_file()
    assert "aggregating" in proc.stderr
    pngs = sorted(p.name for p in (sweep / "figures").glob("*.png"))
    assert pngs == sorted(set(FIGURES) - {"heatmap.png"})
    assert "skipped heatmap.png" in proc.stdout
    # a second call finds the aggregate up to date and does not redo it
    mtime = (sweep / "aggregate" / "manifest.json").stat().st_mtime
    assert main([str(sweep), "--out", str(tmp_path / "again")]) == 0
    assert (sweep / "aggregate" / "manifest.json").stat().st_mtime == mtime


def test_display_labels_move_shared_settings_to_a_note():
    arms = ["baseline",
            "evaluation.quality_threshold=0.3, policies.teacher_rotation.rate=0.1",
            "evaluation.quality_threshold=0.3, policies.teacher_rotation.rate=0.2"]
    names = display_labels(arms)
    assert names.note == "quality threshold 0.3 (difference coefficient)"
    assert names.title == "teacher rotation rate (share of eligible teachers per year)"
    assert names.short == {"baseline": "baseline (no policy)", arms[1]: "0.1", arms[2]: "0.2"}
    assert names.full[arms[2]] == "teacher rotation rate 0.2"
    two = display_labels(["a.x=1, b.y=2", "a.x=1, b.y=3", "a.x=2, b.y=3"])
    assert two.title == "" and two.note == ""
    assert two.short["a.x=2, b.y=3"] == "x 2, y 3"
    grid = display_labels(["policies.teacher_rotation.rate=0.1, teachers.rural_allowance=0.0",
                           "policies.teacher_rotation.rate=0.3, teachers.rural_allowance=0.4"])
    assert grid.units == ("teacher rotation rate: share of eligible teachers per year; "
                          "rural allowance: share of base salary")


def test_2d_policy_comparison_numbers_its_points_and_keys_them(result_2d):
    import matplotlib.pyplot as plt

    fig = draw_figures(result_2d)["policy_comparison.png"]
    try:
        ax = fig.axes[0]
        numbers = sorted(t.get_text() for t in ax.texts if t.get_text().isdigit())
        assert numbers == ["1", "2", "3", "4"]
        texts = " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
        assert "1 = teacher rotation rate 0.1, rural allowance 0" in texts.replace("\n", " ")
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        for t in fig.findobj(matplotlib.text.Text):  # nothing cut at the figure's edges
            words = t.get_text().strip()
            if t.get_visible() and words and t.axes is None \
                    and not words.replace("−", "").replace(".", "").isdigit():  # not a tick
                bb = t.get_window_extent(renderer)
                assert bb.x0 >= -1 and bb.x1 <= fig.bbox.x1 + 1, t.get_text()[:40]
    finally:
        plt.close(fig)


def test_axis_labels_are_not_cut_off(result_1d):
    import matplotlib.pyplot as plt

    figures = draw_figures(result_1d)
    try:
        for name, fig in figures.items():
            if isinstance(fig, str):
                continue
            fig.canvas.draw()
            renderer = fig.canvas.get_renderer()
            for ax in fig.axes:
                for label in (ax.xaxis.label, ax.yaxis.label, ax.title):
                    if label.get_text():
                        bb = label.get_window_extent(renderer)
                        assert bb.x0 >= -1 and bb.x1 <= fig.bbox.x1 + 1, (name, label.get_text())
    finally:
        for fig in figures.values():
            if not isinstance(fig, str):
                plt.close(fig)
