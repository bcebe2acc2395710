"""The figure of one run, ``equity.png``: quality, equity, teachers and the official CVs over
the years, with the same-seed baseline (no policy) dashed beside a policy run.

Importing Matplotlib takes longer than a short run (about half a second on a 2-core machine,
and longer again to lay the figure out). A command that will draw the figure can start a
*figure process* as its first step (:func:`start_figure_process`; ``edusim`` does for a
single run): it imports Matplotlib on the other core while the command composes its
configuration and runs the model, then draws the figure the first :func:`equity_figure` or
:func:`start_equity_figure` call hands it. The figure travels as plain arrays (one per
column), so the figure process needs neither pandas nor the rest of ``sim``. The PNG is the
same file either way; if the process is gone or fails, the figure is drawn in the calling
process."""

from __future__ import annotations

import atexit
import os
import pickle
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["TIER_COLOURS", "PendingFigure", "draw_equity_figure", "equity_figure",
           "start_equity_figure", "start_figure_process"]


#: tier colours of the equity figure
TIER_COLOURS = {"urban": "#1f77b4", "town": "#ff7f0e", "rural": "#2ca02c"}


def equity_figure(ts: pd.DataFrame, path: Path, title: str = "",
                  baseline: pd.DataFrame | None = None, subtitle: str = "") -> None:
    """Write :func:`draw_equity_figure` as a PNG at ``path`` (200 dpi).

    The figure is laid out and rendered once, straight into the file (no pyplot, no
    earlier draw at screen resolution). A figure process started by
    :func:`start_figure_process` draws it, if there is one."""
    start_equity_figure(ts, path, title, baseline, subtitle).wait()


def start_equity_figure(ts: pd.DataFrame, path: Path, title: str = "",
                        baseline: pd.DataFrame | None = None,
                        subtitle: str = "") -> PendingFigure:
    """Begin :func:`equity_figure`: hand the figure to the figure process, if there is one,
    and return at once, so that the caller can write its other files meanwhile; the
    returned :class:`PendingFigure` waits for the file."""
    job = {"series": _columns(ts), "path": str(path), "title": title,
           "baseline": _baseline_columns(baseline), "subtitle": subtitle}
    return PendingFigure(job, _hand_over(job))


class PendingFigure:
    """A figure being written (:func:`start_equity_figure`)."""

    def __init__(self, job: dict[str, Any], drawn_there: Callable[[], bool] | None) -> None:
        self._job, self._drawn_there = job, drawn_there

    def wait(self) -> None:
        """Return once the file is written: by the figure process, or drawn here if that
        process is gone or failed (or there was none)."""
        drawn_there, self._drawn_there = self._drawn_there, None
        if drawn_there is None or not drawn_there():
            _write_png(**self._job)

    def abandon(self) -> None:
        """Return once the figure process, if any, has ended (the caller gives up on the
        figure; a file it wrote is the caller's to remove). Nothing is drawn here."""
        drawn_there, self._drawn_there = self._drawn_there, None
        if drawn_there is not None:
            drawn_there()


def _columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns of ``frame`` as plain arrays (what the figure is drawn from)."""
    return {str(c): frame[c].to_numpy() for c in frame.columns}


def _baseline_columns(baseline: pd.DataFrame | None) -> dict[str, np.ndarray] | None:
    """:func:`_columns` of a baseline; None without one (none given, or no rows)."""
    return _columns(baseline) if baseline is not None and len(baseline) else None


def _write_png(series: dict[str, np.ndarray], path: str, title: str,
               baseline: dict[str, np.ndarray] | None, subtitle: str) -> None:
    with _style():
        fig = _build(series, title, baseline, subtitle)
        fig.savefig(path, dpi=DPI, format="png", pil_kwargs={"compress_level": PNG_COMPRESSION})


#: the figure process started ahead of need (None: none, or already used)
_FIGURE_PROCESS: subprocess.Popen | None = None


def start_figure_process() -> None:
    """Start a process that imports Matplotlib now and draws the next :func:`equity_figure`
    (one figure; it ends when this process hands it none and exits)."""
    global _FIGURE_PROCESS
    if _FIGURE_PROCESS is not None:
        return
    try:
        # -P: the working directory is not put on the path (a folder named sim there
        # would stand in for this package), as for the console script itself
        _FIGURE_PROCESS = subprocess.Popen(
            [sys.executable, "-P", "-m", "sim.run_figure"], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except OSError:  # no process to be had: the figure is drawn here
        _FIGURE_PROCESS = None
        return
    atexit.register(_stop_figure_process)


def _hand_over(job: dict[str, Any]) -> Callable[[], bool] | None:
    """Hand ``job`` to the figure process (None: there is none). Returns the function that
    waits for the process to end and tells whether it wrote the file."""
    global _FIGURE_PROCESS
    proc, _FIGURE_PROCESS = _FIGURE_PROCESS, None
    if proc is None or proc.poll() is not None:
        return None
    try:
        data = pickle.dumps(job)
    except (pickle.PicklingError, TypeError):
        _stop(proc)
        return None
    wrote: list[bool] = []

    def feed() -> None:  # a thread: the job may not fit the pipe before the process reads
        try:
            proc.communicate(data, timeout=600)
            wrote.append(proc.returncode == 0)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
            wrote.append(False)

    feeder = threading.Thread(target=feed, name="figure-process", daemon=True)
    feeder.start()

    def drawn() -> bool:
        feeder.join()
        return bool(wrote and wrote[0]) and Path(job["path"]).is_file()
    return drawn


def _stop_figure_process() -> None:
    """At exit: a figure process that got no figure ends (it reads the end of its input)."""
    global _FIGURE_PROCESS
    proc, _FIGURE_PROCESS = _FIGURE_PROCESS, None
    if proc is not None:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """End a figure process that gets no figure."""
    try:
        proc.communicate(b"", timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()


def _serve() -> int:
    """The figure process: import what drawing needs, then draw the one figure handed over
    on standard input (nothing handed over: end)."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import matplotlib.lines  # noqa: F401
    import matplotlib.ticker  # noqa: F401

    import sim.standards  # noqa: F401  (the CV limits and indicator names)

    data = sys.stdin.buffer.read()
    if not data:
        return 0
    _write_png(**pickle.loads(data))
    return 0


def _serve_and_exit() -> None:
    """Run :func:`_serve` and end the process at once: the PNG is written and closed, and
    the command waits for this process to end, so the interpreter's clean-up of Matplotlib
    is skipped. An error ends it as usual (traceback, status 1)."""
    status = _serve()
    sys.stderr.flush()
    os._exit(status)


def draw_equity_figure(ts: pd.DataFrame, title: str = "",
                       baseline: pd.DataFrame | None = None, subtitle: str = "") -> Any:
    """Equity and quality over the years: achievement by tier, gaps, teachers by tier and the
    official difference coefficients (primary and junior, against their 2017 limits).

    With a ``baseline`` (the same-seed run without policies) every series is drawn twice:
    the policy run as a solid line, the baseline as a thinner dashed line of the same colour.
    ``subtitle`` (e.g. the policies and their intensities) goes under the title. Legends sit
    below their panels, never over data or limit lines. Sized for the A4 text width
    (17 cm; fonts of 8 pt and more). Returns the Matplotlib figure (not managed by pyplot),
    drawn, so that its artists' sizes and positions can be read; :func:`equity_figure`
    writes it at 200 dpi."""
    with _style():
        fig = _build(_columns(ts), title, _baseline_columns(baseline), subtitle)
        fig.canvas.draw()  # the layout and the ticks, while the style applies
    return fig


#: resolution of equity.png (dots per inch)
DPI = 200
#: zlib level of equity.png: 3 encodes in two thirds of the time of Pillow's default 6 (60 vs
#: 88 ms for the 1338 × 2040 figure) for a file 6% larger (measured; 0-9)
PNG_COMPRESSION = 3
#: font sizes of the figure (points)
_RC = {"font.size": 8, "axes.titlesize": 8.5, "axes.labelsize": 8, "xtick.labelsize": 8,
       "ytick.labelsize": 8, "legend.fontsize": 8, "figure.titlesize": 9.5}


def _style() -> Any:
    """The figure's font sizes, for building and drawing it (ticks are made at draw time)."""
    import matplotlib

    return matplotlib.rc_context(_RC)


def _build(ts: dict[str, np.ndarray], title: str, base: dict[str, np.ndarray] | None,
           subtitle: str) -> Any:
    """The figure of :func:`draw_equity_figure`, not yet drawn, from the run's columns
    ``ts`` and the baseline's ``base`` (:func:`_columns`)."""
    import textwrap

    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    width = 17 / 2.54  # A4 text width
    fig = Figure(figsize=(width, 10.2), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(3, 2)

    def line(ax: Any, col: str, label: str | None = None, **kw: Any) -> None:
        """The run's series (solid) and, with a baseline, the baseline's (dashed)."""
        if col not in ts:
            return
        ax.plot(ts["year"], ts[col], label=label, lw=kw.pop("lw", 1.5), **kw)
        if base is not None and col in base:
            kw.pop("ls", None)
            ax.plot(base["year"], base[col], ls=(0, (4, 2)), lw=1.0, alpha=0.75, **kw)

    def legend_below(ax: Any, ncol: int = 2) -> None:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=ncol,
                  frameon=False, handlelength=1.8, columnspacing=1.0)

    ax = axes[0, 0]
    line(ax, "mean_achievement", "county mean", color="black", lw=2)
    for tier, c in TIER_COLOURS.items():
        line(ax, f"achievement_{tier}", f"{tier} schools", color=c)
    ax.set_title("Quality: mean achievement")
    ax.set_ylabel("achievement (year-0 SD)")
    legend_below(ax)

    ax = axes[0, 1]
    for col, label, c in (("ses_gap", "SES gap (top − bottom quartile)", "#9467bd"),
                          ("urban_rural_gap", "urban − rural gap", "#8c564b"),
                          ("between_school_share", "between-school share of variance",
                           "#17becf")):
        line(ax, col, label, color=c)
    ax.set_title("Equity: achievement gaps")
    ax.set_ylabel("gap (year-0 SD) or share (0–1)")
    ax.set_ylim(bottom=0)
    legend_below(ax, 1)

    for ax, prefix, name, unit in (
            (axes[1, 0], "teacher_effectiveness_", "Teacher effectiveness by tier",
             "student SD per year"),
            (axes[1, 1], "backbone_per_100_", "Backbone teachers by tier",
             "backbone teachers per 100 pupils")):
        for tier, c in TIER_COLOURS.items():
            line(ax, f"{prefix}{tier}", f"{tier} schools", color=c)
        ax.set_title(name)
        ax.set_ylabel(unit)
        legend_below(ax, 2)

    from sim.standards import CV_LIMITS, INDICATORS

    cmap = matplotlib.colormaps["tab10"]
    drawn_cv = False
    for ax, level in ((axes[2, 0], "primary"), (axes[2, 1], "junior")):
        cols = [c for c in ts if c.startswith(f"cv_{level}_")]
        if not cols:
            ax.set_visible(False)
            continue
        drawn_cv = True
        for i, c in enumerate(cols):
            name = c.removeprefix(f"cv_{level}_")
            label = INDICATORS[name].label if name in INDICATORS else name
            line(ax, c, label, color=cmap(i % 10), lw=1.3)
        limit = CV_LIMITS["quality"][level]
        ax.axhline(limit, color="red", ls=":", lw=1.3, label=f"2017 limit ({limit:.2f})")
        ax.set_title(f"Official difference coefficients, {level}")
        ax.set_ylabel("difference coefficient (CV)")
        ax.set_ylim(bottom=0)
        legend_below(ax, 1)
    if not drawn_cv:
        ax = axes[2, 0]
        ax.set_visible(True)
        line(ax, "students", "pupils", color="black")
        ax.set_title("Enrolment")
        ax.set_ylabel("pupils")
    for a in axes.flat:
        a.set_xlabel("simulated year")
        a.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole years on the axis
        if len(ts["year"]) > 1:  # the axis ends at the last simulated year, not a tick beyond
            a.set_xlim(float(ts["year"].min()), float(ts["year"].max()))
        a.grid(alpha=0.3)
    head = []
    if title:
        head.append(title)
    if subtitle:
        head += textwrap.wrap(subtitle, 95)
    if base is not None:
        head.append("solid: with the policies; dashed, same colour: same-seed baseline "
                    "(no policy)")
        key = [Line2D([], [], color="0.2", lw=1.5),
               Line2D([], [], color="0.2", lw=1.0, ls=(0, (4, 2)), alpha=0.75)]
        fig.legend(key, ["with the policies", "same-seed baseline (no policy)"],
                   loc="outside lower center", ncol=2, frameon=False)
    if head:
        fig.suptitle("\n".join(head))
    return fig


if __name__ == "__main__":
    _serve_and_exit()
