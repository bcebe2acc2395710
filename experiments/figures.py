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

The figures over the years are drawn in :mod:`experiments.figure_over_time`, those of the last
year in :mod:`experiments.figure_last_year`, with the parts they share (page size, labels,
colours, notes, legends) in :mod:`experiments.figure_parts`; this module loads or makes the
aggregate, saves the figures and is the command.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from experiments.aggregate import (
    AGGREGATE_DIRNAME,
    MANIFEST,
    AggregateError,
    AggregateResult,
    aggregate,
    find_runs,
)
from experiments.figure_last_year import (
    draw_cost_effectiveness,
    draw_heatmap,
    draw_policy_comparison,
)
from experiments.figure_over_time import draw_first_pass, draw_official_cvs, draw_trajectories
from experiments.figure_parts import DPI, RC, display_labels, metric_label
from sim.terminal import command, output_dir_problem, version_line

__all__ = ["FIGURES", "FigureError", "FigureList", "display_labels", "draw_figures",
           "make_figures", "main", "metric_label"]

FIGURES = ("trajectories.png", "official_cvs.png", "policy_comparison.png", "heatmap.png",
           "first_pass.png", "cost_effectiveness.png")


class FigureError(Exception):
    """A request the figures cannot satisfy (e.g. an unknown heatmap metric)."""


class FigureList(list):
    """The paths written (a list), with ``skipped``: figure name → reason."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.skipped: dict[str, str] = {}


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
        ("trajectories.png", draw_trajectories),
        ("official_cvs.png", draw_official_cvs),
        ("policy_comparison.png", draw_policy_comparison),
        ("heatmap.png", lambda r: draw_heatmap(r, heatmap_metric)),
        ("first_pass.png", draw_first_pass),
        ("cost_effectiveness.png", draw_cost_effectiveness),
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
    parser.add_argument("--version", action="version", version=version_line(parser.prog))
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
