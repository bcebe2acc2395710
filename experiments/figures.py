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

The command reads the runs through :func:`experiments.aggregate.aggregate`, so that a run whose
files cannot be used (or whose ``timeseries.parquet`` belongs to another run) is left out with
a warning, as ``edusim-aggregate`` does. It checks ``--metric``, ``--out`` (and the figure
files in it) and, when it aggregates, ``SWEEP_DIR/aggregate/`` before it writes anything.

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
    warning_lines,
)
from experiments.aggregate_result import AGGREGATE_FILES, output_problem, write_result
from experiments.figure_last_year import (
    draw_cost_effectiveness,
    draw_heatmap,
    draw_policy_comparison,
)
from experiments.figure_over_time import draw_first_pass, draw_official_cvs, draw_trajectories
from experiments.figure_parts import DPI, RC, display_labels, metric_label
from sim.results import BASELINE_FILE
from sim.terminal import command, version_line

__all__ = ["FIGURES", "FigureError", "FigureList", "display_labels", "draw_figures",
           "heatmap_metrics", "make_figures", "main", "metric_label", "metric_problem"]

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
    """The aggregate of ``source`` (a sweep directory's is made again when it is out of
    date, :func:`_stale`); one made here is not written yet (``files`` empty)."""
    if isinstance(source, AggregateResult):
        res = source
    else:
        p = Path(source)
        if (p / MANIFEST).is_file() or ((p / AGGREGATE_DIRNAME / MANIFEST).is_file()
                                        and not _stale(p.resolve(), p / AGGREGATE_DIRNAME)):
            res = AggregateResult.load(p)
            if reference is not None and res.reference_arm != _resolve(res, reference) \
                    and not (p / MANIFEST).is_file():
                return aggregate(p, reference=reference, write=False)
        else:
            return aggregate(p, reference=reference, write=False)
    if reference is not None and res.reference_arm != _resolve(res, reference):
        raise FigureError(f"--reference: these aggregate results compare with "
                          f"{res.reference_arm or 'the baseline'!r}, not {reference!r}; run "
                          f"edusim-aggregate SWEEP_DIR --reference {reference!r} first")
    return res


def _resolve(res: AggregateResult, reference: str) -> str:
    from experiments.aggregate import resolve_arm

    return resolve_arm(reference, res.arm_order, "--reference")


def heatmap_metrics(res: AggregateResult) -> list[str]:
    """The metrics the heatmap can show (``--metric``): the columns of the runs'
    ``timeseries.parquet`` other than ``year``, sorted."""
    identity = {"run_id", "arm", "seed", "year", *res.param_columns}
    return sorted(c for c in res.runs.columns if c not in identity)


def _run_metrics(sweep_dir: Path) -> list[str]:
    """:func:`heatmap_metrics` of a sweep not aggregated yet, from the column names of its
    complete runs' ``timeseries.parquet`` (read from the files' schemas, so that a bad
    ``--metric`` is refused before the aggregation's work); empty if none can be read."""
    import pyarrow.parquet as pq

    names: set[str] = set()
    for run in find_runs(sweep_dir)[0]:
        try:
            names.update(pq.read_schema(run / "timeseries.parquet").names)
        except Exception:  # a damaged run: the aggregate leaves it out and says why
            continue
    return sorted(names - {"year"})


def metric_problem(res: AggregateResult | list[str], metric: str) -> str | None:
    """Why ``metric`` cannot be the heatmap's (one line naming ``--metric``, with the nearest
    names and every allowed one), or None. ``res`` is the aggregate or the allowed names."""
    allowed = heatmap_metrics(res) if isinstance(res, AggregateResult) else list(res)
    if metric in allowed:
        return None
    import difflib

    near = difflib.get_close_matches(metric, allowed, n=3, cutoff=0.6)
    return (f"unknown metric {metric!r} for the heatmap (--metric); "
            + (f"did you mean {' or '.join(map(repr, near))}? " if near else "")
            + "allowed: a column of the runs' timeseries.parquet: " + ", ".join(allowed))


def draw_figures(res: AggregateResult, heatmap_metric: str = "urban_rural_gap",
                 ) -> dict[str, Any]:
    """Every figure as an open matplotlib Figure, or the reason it is skipped (a str), by
    file name. The caller closes the figures (:func:`make_figures` saves and closes them).
    Raises :class:`FigureError` for an unknown ``heatmap_metric`` (:func:`metric_problem`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    problem = metric_problem(res, heatmap_metric)
    if problem:
        raise FigureError(problem)
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
    aggregated again when its aggregate used another one). An aggregate made here is written
    (to ``SWEEP_DIR/aggregate/``) only once the figures could be drawn: an unknown
    ``heatmap_metric`` raises :class:`FigureError` before anything is written."""
    import matplotlib.pyplot as plt

    from sim.results import atomic_write

    res = _load(source, reference)
    figures = draw_figures(res, heatmap_metric)
    if res is not source and not res.files:  # aggregated here: write it now
        write_result(res)
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


#: the files of a run the aggregate reads: one newer than the aggregate makes it out of date
_RUN_INPUTS = ("COMPLETE", "summary.json", "timeseries.parquet", BASELINE_FILE)


def _stale(sweep_dir: Path, agg_dir: Path) -> bool:
    """True when the aggregate does not describe the sweep's current complete runs (another
    set of runs, a run file written after it, or a manifest that cannot be read)."""
    manifest = agg_dir / MANIFEST
    if not manifest.is_file():
        return True
    try:
        m = json.loads(manifest.read_text(encoding="utf-8"))
        known = set(m.get("run_ids", [])) | set(m.get("unreadable", {}))
    except (OSError, ValueError, TypeError, AttributeError):
        return True
    complete, incomplete = find_runs(sweep_dir)
    ids = {(p.relative_to(sweep_dir).as_posix() or ".") for p in complete}
    if ids != known:
        return True
    mtime = manifest.stat().st_mtime
    return any((p / name).exists() and (p / name).stat().st_mtime > mtime
               for p in complete for name in _RUN_INPUTS)


def _refuse(problem: str | None, hint: str = "") -> None:
    """Raise :class:`FigureError` with ``problem`` (and ``hint`` after it), if there is one."""
    if problem:
        raise FigureError(problem + (f" ({hint})" if hint else ""))


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
    problem = args.out and output_problem(args.out, "--out", FIGURES)
    if problem:
        print(f"{prog}: {problem}", file=sys.stderr)
        sys.exit(2)
    try:
        if not src.is_dir():
            raise AggregateError(f"no such directory: {args.sweep_dir}")
        res: AggregateResult | None = None
        if (src / MANIFEST).is_file():
            res = _load(AggregateResult.load(src), args.reference)
            base = src.parent
        else:
            base = src
            if not _stale(src.resolve(), src / AGGREGATE_DIRNAME):
                res = AggregateResult.load(src / AGGREGATE_DIRNAME)
                if (args.reference is None and res.reference_arm is not None) or (
                        args.reference is not None
                        and res.reference_arm != _resolve(res, args.reference)):
                    res = None  # made with another reference
            if res is None:
                _refuse(output_problem(src / AGGREGATE_DIRNAME, "SWEEP_DIR", AGGREGATE_FILES),
                        "the aggregate goes there; make it elsewhere with edusim-aggregate "
                        "SWEEP_DIR --out OUT and give OUT/aggregate")
        out = Path(args.out) if args.out else base / "figures"
        if not args.out:
            _refuse(output_problem(out, "SWEEP_DIR", FIGURES),
                    "the figures go there; write them elsewhere with --out")
        fresh = res is None  # aggregated here, written once every check has passed
        if res is None:
            allowed = _run_metrics(src)
            if allowed:
                _refuse(metric_problem(allowed, args.metric))
            print(f"{prog}: aggregating {src} first", file=sys.stderr)
            res = aggregate(src, reference=args.reference, write=False)
        _refuse(metric_problem(res, args.metric))
        if fresh:  # every check passed: write the aggregate, then the figures
            for line in warning_lines(res):
                print(f"{prog}: warning: {line}", file=sys.stderr)
            write_result(res)
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
