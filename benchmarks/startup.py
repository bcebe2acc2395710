"""Command start-up (part of ``python -m benchmarks.run``; alone:
``python -m benchmarks.run --only startup``): the wall time of the installed console scripts
(those next to ``sys.executable``) as a user runs them, each a fresh process in a fresh
temporary working directory that is removed afterwards:

* ``edusim --help``;
* ``edusim region=tiny years=1 hydra.run.dir=runN`` (a new run folder each time; the figure
  is written, as by default), and the same with ``figures=false`` (information only);
* ``edusim-evaluate county_60_schools.csv``: a county table of 60 nine-year schools (120
  rows, a primary and a junior row each, about 50,000 pupils, near the default county's 60
  schools and 49,600 pupils), written by :func:`benchmarks.county_table.write_table` before
  the timing.

Each command runs ``repetitions`` times, in rounds over all commands (so that a drift of the
machine's speed touches them alike); the median and the best are reported and the targets
(:data:`TARGETS`) compare the median. The timed rounds follow one untimed warm-up round (its
times are kept as ``first_s``): the targets are about commands a researcher runs dozens of
times an hour, whose files are in the page cache; a machine that drops files unused for a
while (this one pages out memory untouched for a minute) makes the first command of a
session re-read its libraries from disk, which the warm-up's figure shows. A command that
exits with another code than 0 makes the part an error.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["PARTS", "TABLE", "TARGETS", "parts", "parts_worker", "startup_row", "target_rows"]

#: targets, seconds of wall time (the median of the repetitions)
TARGETS = {"help_s": 1.0, "tiny_run_s": 1.5, "evaluate_s": 1.0}

#: the county table given to edusim-evaluate: rows (two per nine-year school) and pupils
TABLE = {"rows": 120, "schools": 60, "pupils": 50_000}

#: report key -> (console script, its arguments; ``{run}``: a fresh run folder's name)
COMMANDS = {
    "help": ("edusim", ["--help"]),
    "tiny_run": ("edusim", ["region=tiny", "years=1", "hydra.run.dir={run}"]),
    "tiny_run_no_figures": ("edusim", ["region=tiny", "years=1", "figures=false",
                                       "hydra.run.dir={run}"]),
    "evaluate": ("edusim-evaluate", ["county_60_schools.csv"]),
}


def script(name: str) -> Path:
    """The installed console script NAME of this Python (beside its executable)."""
    return Path(sys.executable).parent / name


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def _timed(argv: list[str], cwd: Path, timeout: float) -> tuple[float, int, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - t0
    tail = (proc.stderr or proc.stdout).strip().splitlines()
    return seconds, proc.returncode, tail[-1] if tail else ""


def measure(repetitions: int = 3, timeout: float = 300.0) -> dict:
    """Time every command of :data:`COMMANDS` ``repetitions`` times; their figures, or
    ``{"error": ...}`` naming the first command that failed."""
    from benchmarks.county_table import write_table

    missing = sorted({name for name, _ in COMMANDS.values() if not script(name).exists()})
    if missing:
        return {"error": f"no console script {', '.join(missing)} beside {sys.executable} "
                         "(install the project: pip install -e .)"}
    work = Path(tempfile.mkdtemp(prefix="edusim-benchmark-startup-"))
    seconds: dict[str, list[float]] = {key: [] for key in COMMANDS}
    try:
        write_table(work / "county_60_schools.csv", TABLE["rows"], TABLE["pupils"])
        first: dict[str, float] = {}
        for k in range(-1, repetitions):  # round -1: the untimed warm-up
            for key, (name, args) in COMMANDS.items():
                argv = [str(script(name)), *(a.format(run=f"run{k}-{key}") for a in args)]
                s, code, tail = _timed(argv, work, timeout)
                if code != 0:
                    shown = " ".join([name, *args]).replace("{run}", "RUN")
                    return {"error": f"`{shown}` exited with {code}: {tail}"}
                if k < 0:
                    first[key] = s
                else:
                    seconds[key].append(s)
        figures = sorted(p.name for p in (work / "run0-tiny_run").glob("*.png"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out: dict = {"repetitions": repetitions, "table": dict(TABLE), "figures_written": figures}
    for key, (name, args) in COMMANDS.items():
        shown = " ".join([name, *args]).replace("hydra.run.dir={run}", "hydra.run.dir=RUN")
        out[key] = {"command": shown, "runs_s": seconds[key],
                    "median_s": _median(seconds[key]), "best_s": min(seconds[key]),
                    "first_s": first[key]}
    out.update(help_s=out["help"]["median_s"], tiny_run_s=out["tiny_run"]["median_s"],
               evaluate_s=out["evaluate"]["median_s"])
    return out


#: the parts of ``edusim region=tiny years=1``, timed one after the other in a fresh process
#: (:func:`parts_worker`): what the run's path through the command costs at least
PARTS = ("imports_s", "compositions_s", "model_and_outputs_s", "figure_imports_s", "figure_s")


def parts_worker() -> None:
    """In a fresh process (``python -c``; prints JSON): the imports ``edusim`` makes for a run
    (Hydra, pandas, Mesa, the model, the outputs), two Hydra compositions of the tiny run's
    configuration (as a run makes them: Hydra composes a run's configuration once to find the
    run mode and once for the run), building the tiny county, one year and writing its
    outputs without the figure, then Matplotlib's imports and drawing the run's equity.png
    (which the figure process does, after the run)."""
    import json
    import os
    import tempfile

    t0 = time.perf_counter()
    import experiments.run  # noqa: F401
    import sim.model  # noqa: F401
    import sim.results  # noqa: F401
    t1 = time.perf_counter()
    from hydra import compose, initialize_config_dir

    from experiments.config_dir import CONFIG_DIR

    experiments.run.register_schema()
    times = []
    with initialize_config_dir(config_dir=os.path.abspath(CONFIG_DIR), version_base="1.3"):
        for _ in range(2):
            t = time.perf_counter()
            compose("config", overrides=["region=tiny", "years=1"], return_hydra_config=True)
            times.append(time.perf_counter() - t)
    out_dir = Path(tempfile.mkdtemp(prefix="edusim-benchmark-parts-"))
    try:
        t2 = time.perf_counter()
        model = sim.model.EducationModel(region="tiny", rng=0)
        model.step()
        sim.results.write_outputs(model, out_dir, figures=False)
        t3 = time.perf_counter()
        import matplotlib.backends.backend_agg  # noqa: F401
        import matplotlib.figure  # noqa: F401
        t4 = time.perf_counter()
        from sim.run_figure import equity_figure

        equity_figure(model.timeseries(), out_dir / "equity.png")
        t5 = time.perf_counter()
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    print(json.dumps({"imports_s": t1 - t0, "compositions_s": sum(times),
                      "model_and_outputs_s": t3 - t2, "figure_imports_s": t4 - t3,
                      "figure_s": t5 - t4}))


def parts(timeout: float = 300.0) -> dict:
    """:func:`parts_worker` in a fresh process, and the serial path it implies: the imports,
    the compositions, the model and its outputs, and the figure's drawing (its imports run
    in the figure process while the command starts, so they add nothing)."""
    import json
    import os

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, "-c",
                           "from benchmarks.startup import parts_worker; parts_worker()"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        return {"error": tail[-1] if tail else f"exit {proc.returncode}"}
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    r["serial_path_s"] = (r["imports_s"] + r["compositions_s"] + r["model_and_outputs_s"]
                          + r["figure_s"])
    return r


def startup_row(quick: bool, repeat: int = 1) -> dict:
    """Measure the part (``quick``: each command once; else ``max(3, repeat)`` times), print
    it and return its figures (or ``{"error": ...}``)."""
    r = measure(1 if quick else max(3, repeat))
    if "error" in r:
        print(f"\ncommand start-up: ERROR {r['error']}")
        return r
    n = r["repetitions"]
    of = "one run each" if n == 1 else f"median and best of {n}"

    def fig(key: str) -> str:
        c = r[key]
        return (f"{c['median_s']:.2f} s" if n == 1
                else f"{c['median_s']:.2f} s (best {c['best_s']:.2f} s)")

    t = r["table"]
    print(f"\ncommand start-up (the installed console scripts, fresh processes in a fresh "
          f"temporary folder, wall clock, {of} after an untimed warm-up round, whose tiny "
          f"run took {r['tiny_run']['first_s']:.2f} s): `edusim --help` {fig('help')}; "
          f"`edusim region=tiny years=1` {fig('tiny_run')} with its figure "
          f"({', '.join(r['figures_written']) or 'none written'}), "
          f"{fig('tiny_run_no_figures')} with figures=false; `edusim-evaluate` on a table of "
          f"{t['schools']} nine-year schools ({t['rows']} rows, {t['pupils']:,} pupils) "
          f"{fig('evaluate')}")
    p = r["parts"] = parts()
    if "error" in p:
        print(f"  the tiny run's parts: ERROR {p['error']}")
        return r
    print(f"  the tiny run's parts, timed one after the other in a fresh process: imports "
          f"{p['imports_s']:.2f} s, Hydra's two compositions of the configuration "
          f"{p['compositions_s']:.2f} s, the model and its outputs "
          f"{p['model_and_outputs_s']:.2f} s, the figure {p['figure_s']:.2f} s (its imports, "
          f"{p['figure_imports_s']:.2f} s, run in the figure process meanwhile): a serial "
          f"path of {p['serial_path_s']:.2f} s against the {TARGETS['tiny_run_s']:g} s target")
    return r


def target_rows(r: dict) -> list[tuple[str, str, float | None, str, float]]:
    """The benchmark's target rows of a :func:`startup_row` result."""
    return [("help_s", "edusim --help: seconds (median)", r.get("help_s"), "<=",
             TARGETS["help_s"]),
            ("tiny_run_s", "edusim tiny, 1 y, with figure: seconds", r.get("tiny_run_s"),
             "<=", TARGETS["tiny_run_s"]),
            ("evaluate_s", "edusim-evaluate, 60 schools: seconds", r.get("evaluate_s"),
             "<=", TARGETS["evaluate_s"])]
