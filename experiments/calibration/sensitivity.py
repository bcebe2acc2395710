"""Global sensitivity analysis of the behavioural parameters: Morris screening, then Sobol
indices for the parameters that matter, every model run a job of a Hydra multirun.

    python -m experiments.calibration.sensitivity                 # the full analysis
    python -m experiments.calibration.sensitivity --quick --out /tmp/sa   # tiny smoke test
    python -m experiments.calibration.sensitivity --report        # Markdown tables of OUT

Steps (everything is written under ``--out``, default ``multirun/sensitivity``):

1. **Morris design** over the ranges of :mod:`experiments.calibration.ranges` (SALib,
   ``r`` trajectories on a 4-level grid): ``morris/design.csv`` (one row per run: ``row`` and
   the parameter values) and ``morris/problem.json`` (the SALib problem, sizes, scenario).
2. **Runs**: ``edusim --multirun +sensitivity=rotation sensitivity.design=… 'sensitivity.row=
   range(0,N)' seed=… region=… years=…`` into ``morris/runs/``. Each job reads its row and
   applies the values as config overrides (:func:`apply_design_row`, called by
   ``experiments/run.py``); a bad row index or design file stops the sweep before any run,
   with one message naming the field and the allowed range. Re-running resumes: finished
   runs of the same configuration are skipped.
3. **Read back** (:func:`collect`): every job's outcomes, after checking that the design
   row's values are the ones in the job's ``summary.json`` configuration.
4. **Morris indices** μ, μ*, its 95% bootstrap interval and σ per outcome
   (``morris/indices.csv``); the ``k`` parameters with the largest μ* relative to the
   outcome's largest, both net of the seed noise of step 6 and maximised over the outcomes
   (:func:`select_top`), go on to step 5.
5. **Sobol design** (Saltelli/Sobol' sequence, ``N(k+2)`` runs, no second order), runs and
   read-back as above in ``sobol/``; first-order and total indices with 95% bootstrap
   intervals (``sobol/indices.csv``).
6. **Noise reference** (run before step 5): the default parameter values under ``n`` seeds
   (``noise/``): how much the outcomes move from the random seed alone (every design run
   uses one seed, so parameter sets share their random numbers as far as the model's
   streams allow; re-seeding is an upper bound of what is left of the noise).
7. Figures ``sensitivity_morris.png`` and ``sensitivity_sobol.png`` (``--figures``, default
   ``OUT/figures``) and ``OUT/summary.json`` (sizes, wall times, selected parameters). The
   copies in ``docs/img/calibration/`` and the numbers of docs/calibration.md are made by the
   docs job ``sensitivity`` (``make docs JOBS=sensitivity``), which runs this command.

Outcomes (:data:`OUTCOMES`), all at the last simulated year unless said otherwise: the
urban–rural and SES achievement gaps, the between-school share of achievement variance, the
backbone-teacher CV of primary schools (the indicator that keeps the default county from
passing), and the first year in which every primary CV of the 2017 standard is within its
limit (``first_year_standard_met["quality_cv_primary"]``); a run that never passes counts as
``years + 1``, one year after its end, so "never" ranks as the latest possible year.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config import ConfigError

__all__ = ["OUTCOMES", "QUICK", "SCENARIO", "Outcome", "Scenario", "SensitivityError",
           "apply_design_row", "collect", "design_row", "main", "morris_design",
           "morris_indices", "noise_reference", "read_design", "run_analysis", "run_sweep",
           "select_top", "sobol_design", "sobol_indices", "write_design"]

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_OUT = ROOT / "multirun" / "sensitivity"
FIGURES_DIR = "figures"  # the figures' default directory, under OUT
DESIGN_FILE, PROBLEM_FILE = "design.csv", "problem.json"
NUM_LEVELS = 4
ROW = "row"


class SensitivityError(RuntimeError):
    """A sweep that failed, or runs that do not match their design."""


@dataclass(frozen=True)
class Scenario:
    """What every run of the analysis simulates besides the design's parameters."""

    group: str = "rotation"  # configs/sensitivity/<group>.yaml (policy package)
    region: str = "default"
    years: int = 15
    seed: int = 0
    noise_seeds: int = 8  # seeds of the noise reference (default parameter values)
    morris_r: int = 10  # Morris trajectories
    sobol_n: int = 64  # Sobol base sample (power of 2)
    sobol_k: int = 5  # parameters taken from the screening to the Sobol stage
    sampler_seed: int = 20261201  # SALib samplers and bootstrap intervals (must be > 0)


SCENARIO = Scenario()
#: smoke test: tiny county, 2 years, very few rows (2 Morris trajectories, Sobol N = 4)
QUICK = Scenario(region="tiny", years=2, noise_seeds=2, morris_r=2, sobol_n=4, sobol_k=2)


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str
    unit: str


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("urban_rural_gap", "urban–rural achievement gap", "year-0 SD"),
    Outcome("ses_gap", "SES top–bottom quartile gap", "year-0 SD"),
    Outcome("between_school_share", "between-school share of variance", "share"),
    Outcome("cv_primary_backbone_teachers_per_100", "backbone-teacher CV, primary", "CV"),
    Outcome("first_pass_cv_primary", "first year primary CVs pass (2017)",
            "year; never = years + 1"),
)
FIRST_PASS = "first_pass_cv_primary"


# ---------------------------------------------------------------------------------------------
# designs


def morris_design(problem: dict[str, Any], r: int, seed: int) -> np.ndarray:
    """SALib Morris sample: ``r`` trajectories on a 4-level grid, ``r (k+1)`` rows."""
    from SALib.sample import morris

    return morris.sample(problem, r, num_levels=NUM_LEVELS, seed=seed)


def sobol_design(problem: dict[str, Any], n: int, seed: int) -> np.ndarray:
    """SALib Saltelli/Sobol' sample without second order: ``n (k+2)`` rows."""
    from SALib.sample import sobol

    return sobol.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)


def write_design(out_dir: str | os.PathLike, X: np.ndarray, names: list[str],
                 meta: dict[str, Any]) -> Path:
    """Write ``design.csv`` (``row`` and one column per parameter) and ``problem.json``
    (``meta`` plus names and rows) into ``out_dir``; returns the design's path."""
    from sim.results import atomic_write

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    X = np.atleast_2d(np.asarray(X, dtype=float))
    if X.shape[1] != len(names):
        raise ValueError(f"design has {X.shape[1]} columns for {len(names)} names")
    df = pd.DataFrame(X, columns=names)
    df.insert(0, ROW, np.arange(len(df)))
    path = out / DESIGN_FILE
    atomic_write(path, lambda p: df.to_csv(p, index=False))
    info = {**meta, "names": list(names), "rows": len(df), "design": DESIGN_FILE}
    atomic_write(out / PROBLEM_FILE,
                 lambda p: p.write_text(json.dumps(info, indent=1, ensure_ascii=False)))
    return path


def read_design(path: str | os.PathLike) -> pd.DataFrame:
    """A design CSV as a DataFrame (``row`` and parameter columns); ConfigError naming
    ``sensitivity.design`` if the file is missing or malformed."""
    p = Path(path)
    try:
        stamp = p.stat().st_mtime_ns
    except OSError:
        raise ConfigError(f"sensitivity.design: {str(path)!r} is not a file (expected a design "
                          f"CSV written by python -m experiments.calibration.sensitivity)"
                          ) from None
    if not p.is_file():
        raise ConfigError(f"sensitivity.design: {str(path)!r} is not a file")
    return _read_design(str(p.resolve()), stamp).copy()


@functools.lru_cache(maxsize=8)
def _read_design(path: str, _stamp: int) -> pd.DataFrame:
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as err:
        raise ConfigError(f"sensitivity.design: cannot read {path!r} ({err})") from None
    if ROW not in df.columns or len(df.columns) < 2:
        raise ConfigError(f"sensitivity.design: {path!r} needs a '{ROW}' column and one column "
                          f"per parameter (got {list(df.columns)})")
    if list(df[ROW]) != list(range(len(df))):
        raise ConfigError(f"sensitivity.design: the '{ROW}' column of {path!r} must number the "
                          f"rows 0, 1, …, {len(df) - 1}")
    params = df.drop(columns=ROW)
    bad = [c for c in params.columns if not pd.api.types.is_numeric_dtype(params[c])
           or not np.isfinite(params[c].to_numpy(dtype=float)).all()]
    if bad:
        raise ConfigError(f"sensitivity.design: non-numeric or missing values in {path!r}, "
                          f"column(s) {', '.join(bad)}")
    return df


def design_row(path: str | os.PathLike, row: Any) -> dict[str, float]:
    """The parameter values of one row of a design: {dotted name: value}."""
    df = read_design(path)
    n = len(df)
    if isinstance(row, bool) or not isinstance(row, (int, np.integer)) or not 0 <= row < n:
        raise ConfigError(f"sensitivity.row: {row!r} is outside the allowed range [0, {n - 1}] "
                          f"(the {n} rows of {str(path)!r})")
    values = df.drop(columns=ROW).iloc[int(row)]
    return {str(k): float(v) for k, v in values.items()}


def apply_design_row(cfg: dict[str, Any]) -> dict[str, Any]:
    """``cfg`` (a plain nested run configuration) with its ``sensitivity`` entry removed and,
    when it names a design and a row, that row's values set as overrides. A copy: ``cfg``
    itself is not changed. ConfigError (naming the field and allowed range) for a missing
    design, a bad row, or a policy parameter of a policy the run does not switch on."""
    out = dict(cfg)
    spec = out.pop("sensitivity", None) or {}
    design, row = spec.get("design"), spec.get("row")
    if design is None and row is None:
        return out
    if design is None:
        raise ConfigError("sensitivity.design: a design CSV is required when sensitivity.row "
                          "is set")
    if row is None:
        raise ConfigError(f"sensitivity.row: a row index is required with sensitivity.design "
                          f"(allowed range [0, {len(read_design(design)) - 1}])")
    for name, value in design_row(design, row).items():
        parts = name.split(".")
        if parts[0] == "policies" and parts[1] not in (out.get("policies") or {}):
            raise ConfigError(f"sensitivity.design: column {name} belongs to the policy "
                              f"{parts[1]}, which this run does not switch on "
                              f"(add +policy={parts[1]})")
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            child = dict(child) if isinstance(child, dict) else {}
            node[part] = child
            node = child
        node[parts[-1]] = value
    return out


# ---------------------------------------------------------------------------------------------
# running a design as a Hydra multirun


def run_sweep(design: str | os.PathLike, sweep_dir: str | os.PathLike, scenario: Scenario,
              rows: int | None = None, seeds: range | None = None, n_jobs: int | None = None,
              quiet: bool = False) -> float:
    """Run rows ``0 … rows-1`` of ``design`` (default: all) as one ``edusim`` multirun into
    ``sweep_dir`` under ``scenario`` (seed ``scenario.seed``, or each of ``seeds``); returns
    the wall time in seconds. SensitivityError if the sweep fails."""
    design = Path(design).resolve()
    rows = len(read_design(design)) if rows is None else rows
    seed_arg = (f"range({seeds.start},{seeds.stop})" if seeds is not None
                else str(scenario.seed))
    cmd = [sys.executable, "-m", "experiments.run", "--multirun",
           f"+sensitivity={scenario.group}", f"sensitivity.design='{design}'",
           f"sensitivity.row=range(0,{rows})", f"seed={seed_arg}",
           f"region={scenario.region}", f"years={scenario.years}",
           f"hydra.sweep.dir='{Path(sweep_dir).resolve()}'"]
    if n_jobs is not None:
        cmd.append(f"hydra.launcher.n_jobs={n_jobs}")
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, text=True, capture_output=quiet)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        tail = (proc.stderr or "")[-3000:] if quiet else "(see the output above)"
        raise SensitivityError(f"the sweep {' '.join(cmd[2:])} failed with exit code "
                               f"{proc.returncode}:\n{tail}")
    return wall


def _run_identity(run_dir: Path) -> tuple[int | None, str | None, int | None]:
    """(row, design, seed) of one job, from its Hydra overrides."""
    from experiments.aggregate import parse_override

    row = design = seed = None
    ofile = run_dir / ".hydra" / "overrides.yaml"
    if ofile.is_file():
        import yaml

        for item in yaml.safe_load(ofile.read_text()) or []:
            parsed = parse_override(item)
            if parsed is None:
                continue
            key, value = parsed
            if key == "sensitivity.row":
                row = int(value)
            elif key == "sensitivity.design":
                design = str(value)
            elif key == "seed":
                seed = int(value)
    return row, design, seed


def _config_value(config: dict[str, Any], name: str) -> Any:
    node: Any = config
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def run_outcomes(run_dir: str | os.PathLike) -> dict[str, float]:
    """The outcomes of one finished run (see :data:`OUTCOMES`)."""
    run_dir = Path(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text())
    ts = pd.read_parquet(run_dir / "timeseries.parquet").sort_values("year")
    last = ts.iloc[-1]
    out = {o.key: float(last[o.key]) for o in OUTCOMES if o.key != FIRST_PASS}
    first = (summary.get("first_year_standard_met") or {}).get("quality_cv_primary")
    out[FIRST_PASS] = float(int(summary["years"]) + 1 if first is None else first)
    return out


def collect(sweep_dir: str | os.PathLike, design: str | os.PathLike,
            seeds: range | None = None) -> pd.DataFrame:
    """One row per finished job of ``sweep_dir``: ``row``, ``seed``, ``run_dir`` and the
    outcomes, sorted by row and seed. Checks that every row of ``design`` (× every seed of
    ``seeds``, if given) has exactly one run, and that each run's configuration
    (``summary.json``) holds its row's values; SensitivityError otherwise."""
    from experiments.aggregate import find_runs

    design_df = read_design(design)
    names = [c for c in design_df.columns if c != ROW]
    complete, _ = find_runs(sweep_dir)
    records, problems = [], []
    for run_dir in complete:
        row, _, seed = _run_identity(run_dir)
        if row is None:
            problems.append(f"{run_dir}: no sensitivity.row override")
            continue
        summary = json.loads((run_dir / "summary.json").read_text())
        if not 0 <= row < len(design_df):
            problems.append(f"{run_dir}: row {row} is not in the design")
            continue
        for name in names:
            want = float(design_df.at[row, name])
            got = _config_value(summary.get("config") or {}, name)
            if got is None or not math.isclose(float(got), want, rel_tol=1e-12, abs_tol=1e-15):
                problems.append(f"{run_dir}: {name} = {got!r} in its configuration, but row "
                                f"{row} of the design has {want!r}")
        records.append({ROW: row, "seed": int(summary.get("seed", seed)),
                        "run_dir": str(run_dir), **run_outcomes(run_dir)})
    df = pd.DataFrame(records, columns=[ROW, "seed", "run_dir", *(o.key for o in OUTCOMES)])
    want_seeds = list(seeds) if seeds is not None else None
    counts = df.groupby(ROW)["seed"].apply(list).to_dict() if len(df) else {}
    for row in range(len(design_df)):
        got = sorted(counts.get(row, []))
        expected = want_seeds if want_seeds is not None else got[:1] or [None]
        if got != sorted(expected) and not (want_seeds is None and len(got) == 1):
            problems.append(f"row {row}: runs for seeds {got}, expected "
                            f"{expected if want_seeds is not None else 'one run'}")
    if problems:
        raise SensitivityError(f"{sweep_dir}: runs do not match the design {design}:\n  "
                               + "\n  ".join(problems[:20])
                               + (f"\n  … and {len(problems) - 20} more" if len(problems) > 20
                                  else ""))
    return df.sort_values([ROW, "seed"], ignore_index=True)


# ---------------------------------------------------------------------------------------------
# indices


def _outputs(Y: Any, outcomes: list[str] | None) -> dict[str, np.ndarray]:
    if isinstance(Y, pd.DataFrame):
        cols = outcomes or [c for c in Y.columns if c not in (ROW, "seed", "run_dir")]
        return {c: Y[c].to_numpy(dtype=float) for c in cols}
    if isinstance(Y, dict):
        return {k: np.asarray(v, dtype=float) for k, v in Y.items()}
    return {"y": np.asarray(Y, dtype=float)}


def morris_indices(problem: dict[str, Any], X: np.ndarray, Y: Any, seed: int = 1,
                   outcomes: list[str] | None = None) -> pd.DataFrame:
    """Morris μ, μ*, its 95% bootstrap interval (half-width) and σ of every parameter for
    every outcome. ``Y``: an array (one outcome ``y``), a dict of arrays, or a DataFrame
    with one column per outcome, row-aligned with ``X``. Elementary effects are in outcome
    units per full parameter range (SALib, unscaled). ``mu_star_rel`` is μ* over the
    outcome's largest μ* (NaN if every effect is 0)."""
    from SALib.analyze import morris

    X = np.asarray(X, dtype=float)
    frames = []
    for name, y in _outputs(Y, outcomes).items():
        if len(y) != len(X):
            raise ValueError(f"{name}: {len(y)} outputs for {len(X)} design rows")
        si = morris.analyze(problem, X, y, num_resamples=1000, conf_level=0.95,
                            num_levels=NUM_LEVELS, seed=seed)
        df = pd.DataFrame({"outcome": name, "parameter": list(problem["names"]),
                           "mu": np.asarray(si["mu"], float),
                           "mu_star": np.asarray(si["mu_star"], float),
                           "mu_star_conf": np.asarray(si["mu_star_conf"], float),
                           "sigma": np.asarray(si["sigma"], float)})
        top = df["mu_star"].max()
        df["mu_star_rel"] = df["mu_star"] / top if top > 0 else np.nan
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def sobol_indices(problem: dict[str, Any], Y: Any, seed: int = 1,
                  outcomes: list[str] | None = None) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol indices with 95% bootstrap half-widths of every
    parameter for every outcome, from outputs of a :func:`sobol_design` (no second order).
    An outcome that is constant over the design gets NaN indices (``constant`` True)."""
    from SALib.analyze import sobol

    if not seed:
        raise ValueError("seed must be > 0 (SALib ignores a seed of 0)")
    frames = []
    for name, y in _outputs(Y, outcomes).items():
        base = {"outcome": name, "parameter": list(problem["names"])}
        if np.ptp(y) == 0:
            nan = np.full(problem["num_vars"], np.nan)
            frames.append(pd.DataFrame({**base, "S1": nan, "S1_conf": nan, "ST": nan,
                                        "ST_conf": nan, "constant": True}))
            continue
        si = sobol.analyze(problem, y, calc_second_order=False, num_resamples=1000,
                           conf_level=0.95, seed=seed)
        frames.append(pd.DataFrame({**base, "S1": si["S1"], "S1_conf": si["S1_conf"],
                                    "ST": si["ST"], "ST_conf": si["ST_conf"],
                                    "constant": False}))
    return pd.concat(frames, ignore_index=True)


def select_top(indices: pd.DataFrame, k: int, noise: pd.DataFrame | None = None) -> list[str]:
    """The ``k`` parameters that matter most for some outcome: per outcome, a parameter's
    score is (μ* − noise) / (largest μ* − noise), where noise is the outcome's re-seeded μ*
    (:func:`noise_reference`; 0 without ``noise``), and outcomes whose largest μ* does not
    exceed their noise are left out; a parameter's score is its best over the outcomes
    (ties by name)."""
    ref = (noise.set_index("outcome")["reseed_mu_star"].to_dict() if noise is not None
           else {})
    scores: dict[str, float] = {p: 0.0 for p in indices["parameter"]}
    for outcome, grp in indices.groupby("outcome", sort=False):
        floor = float(ref.get(outcome, 0.0))
        floor = floor if math.isfinite(floor) else 0.0
        top = float(grp["mu_star"].max())
        if not top > floor:
            continue
        for p, m in zip(grp["parameter"], grp["mu_star"], strict=True):
            scores[p] = max(scores[p], max(0.0, (float(m) - floor) / (top - floor)))
    return sorted(scores, key=lambda p: (-scores[p], p))[:k]


def noise_dominated(indices: pd.DataFrame, noise: pd.DataFrame) -> list[str]:
    """Outcomes whose largest μ* does not exceed what re-drawing the seed gives."""
    ref = noise.set_index("outcome")["reseed_mu_star"]
    top = indices.groupby("outcome", sort=False)["mu_star"].max()
    return [o for o in top.index if o in ref and not top[o] > ref[o]]


def noise_reference(noise: pd.DataFrame) -> pd.DataFrame:
    """Per outcome, from runs of one parameter set under several seeds: the SD across seeds,
    and ``reseed_mu_star``, the μ* a parameter would get if its every Morris step only
    re-drew the seed (mean |y_i − y_j| over seed pairs / the Morris step Δ = 2/3)."""
    delta = NUM_LEVELS / (2 * (NUM_LEVELS - 1))
    rows = []
    for o in OUTCOMES:
        y = noise[o.key].to_numpy(dtype=float)
        diffs = [abs(a - b) for i, a in enumerate(y) for b in y[i + 1:]]
        rows.append({"outcome": o.key, "n_seeds": len(y), "mean": float(y.mean()),
                     "sd": float(y.std(ddof=1)) if len(y) > 1 else math.nan,
                     "reseed_mu_star": float(np.mean(diffs)) / delta if diffs else math.nan})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# figures


def _labels() -> dict[str, str]:
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

    labels = _labels()
    outcomes = [o for o in OUTCOMES if o.key in set(indices["outcome"])]
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(3, 2, figsize=(7.0, 9.4))
        axes = axes.ravel()
        panels = []
        for ax, o in zip(axes, outcomes, strict=False):
            d = indices[indices["outcome"] == o.key].sort_values("mu_star", ascending=False)
            ref = math.nan
            if noise is not None:
                ref = float(noise.set_index("outcome")["reseed_mu_star"].get(o.key, math.nan))
            # no parameter stands out of the seed noise: nothing highlighted or labelled
            top = d.iloc[:0] if ref >= float(d["mu_star"].max()) else d.head(n_labels)
            ax.scatter(d["mu_star"], d["sigma"], s=14, color="0.6", zorder=2)
            ax.scatter(top["mu_star"], top["sigma"], s=22, color="C0", zorder=3)
            xmax = max(float(d["mu_star"].max()), 1e-12) * 1.12
            ymax = max(float(d["sigma"].max()), 1e-12) * 1.25
            ax.plot([0, min(xmax, ymax)], [0, min(xmax, ymax)], ls=":", color="0.5", lw=0.8,
                    zorder=1)
            if math.isfinite(ref) and ref > 0:
                ax.axvspan(0, ref, color="C1", alpha=0.15, lw=0, zorder=0)
            if math.isfinite(ref) and ref >= float(d["mu_star"].max()):
                ax.text(0.97, 0.05, f"every μ* within the seed noise\n(re-seeded μ* = "
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
            text = ("μ*: mean absolute elementary effect, in outcome\n"
                    "units per parameter range (the change from the\n"
                    "range's low to its high end if the effect is linear).\n"
                    "σ: spread of the elementary effects (nonlinearity,\n"
                    "interactions). Dotted line: σ = μ*.\n"
                    "Blue, labelled: the five largest μ* of the panel\n"
                    "(unless all are within the seed noise).\n"
                    "Shaded: the μ* of re-drawing the seed alone.")
            if note:
                text += "\n\n" + note
            axes[len(outcomes)].text(0.0, 1.0, text, va="top", ha="left", fontsize=8,
                                     transform=axes[len(outcomes)].transAxes)
        fig.tight_layout()
        for ax, d, top in panels:
            _place_labels(ax, top["mu_star"].to_numpy(), top["sigma"].to_numpy(),
                          [labels.get(p, p) for p in top["parameter"]],
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

    labels = _labels()
    outcomes = [o for o in OUTCOMES if o.key in set(indices["outcome"])]
    params = list(dict.fromkeys(indices["parameter"]))
    lo, hi = -0.4, 1.2
    with plt.rc_context(_style()):
        fig, axes = plt.subplots(3, 2, figsize=(7.0, 1.4 + 0.42 * 3 * (len(params) + 1)))
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
                a, b = np.clip(v - e, lo, hi), np.clip(v + e, lo, hi)
                ax.hlines(y + off, a, b, color="black", lw=0.9)
                for yi, ai, bi, va, ea in zip(y + off, a, b, v, e, strict=True):
                    if not math.isfinite(va):
                        continue
                    for end, raw, mark in ((ai, va - ea, "<"), (bi, va + ea, ">")):
                        clipped = raw < lo or raw > hi
                        ax.plot(end, yi, marker=mark if clipped else "|", color="black",
                                ms=4 if clipped else 5, mew=0.9)
            ax.set_yticks(y, [labels.get(p, p) for p in params])
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
                    "Seed noise: variance over 8 seeds at\n"
                    "the defaults / variance over the design.")
            if note:
                text += "\n\n" + note
            key.text(0.0, 0.62, text, va="top", ha="left", fontsize=8, transform=key.transAxes)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=150)
        plt.close(fig)
    return path


# ---------------------------------------------------------------------------------------------
# the whole analysis


def _meta(method: str, problem: dict[str, Any], scenario: Scenario, **extra: Any) -> dict:
    return {"method": method, "problem": problem, "scenario": asdict(scenario),
            "outcomes": [asdict(o) for o in OUTCOMES],
            "never_passing": "first_pass_cv_primary = years + 1", **extra}


def _stage(out: Path, name: str, X: np.ndarray, problem: dict, meta: dict, scenario: Scenario,
           seeds: range | None, n_jobs: int | None, quiet: bool) -> tuple[pd.DataFrame, float]:
    stage = out / name
    design = write_design(stage, X, problem["names"], meta)
    wall = run_sweep(design, stage / "runs", scenario, seeds=seeds, n_jobs=n_jobs, quiet=quiet)
    df = collect(stage / "runs", design, seeds=seeds)
    df.to_csv(stage / "outcomes.csv", index=False)
    return df, wall


def run_analysis(out: str | os.PathLike = DEFAULT_OUT, scenario: Scenario = SCENARIO,
                 figures: str | os.PathLike | None = None, n_jobs: int | None = None,
                 quiet: bool = False) -> dict[str, Any]:
    """Morris screening → top ``scenario.sobol_k`` → Sobol, plus the noise reference; writes
    everything under ``out`` and the two figures into ``figures`` (none if None); returns the
    summary."""
    from experiments.calibration.ranges import RANGES, parameter_info
    from experiments.calibration.ranges import problem as make_problem

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    s = scenario

    full = make_problem()
    X = morris_design(full, s.morris_r, s.sampler_seed)
    meta = _meta("morris", full, s, trajectories=s.morris_r, num_levels=NUM_LEVELS)
    morris_runs, morris_wall = _stage(out, "morris", X, full, meta, s, None, n_jobs, quiet)
    morris = morris_indices(full, X, morris_runs, seed=s.sampler_seed,
                            outcomes=[o.key for o in OUTCOMES])
    morris.to_csv(out / "morris" / "indices.csv", index=False)

    defaults = np.array([[float(parameter_info(r.name)["default"]) for r in RANGES]])
    meta = _meta("noise", full, s, seeds=[s.seed, s.seed + s.noise_seeds])
    seeds = range(s.seed, s.seed + s.noise_seeds)
    noise_runs, noise_wall = _stage(out, "noise", defaults, full, meta, s, seeds, n_jobs, quiet)
    noise = noise_reference(noise_runs)
    noise.to_csv(out / "noise" / "reference.csv", index=False)

    top = select_top(morris, s.sobol_k, noise)
    sub = make_problem(top)
    Xs = sobol_design(sub, s.sobol_n, s.sampler_seed)
    meta = _meta("sobol", sub, s, base_samples=s.sobol_n, calc_second_order=False,
                 selected_by="largest (μ* − re-seeded μ*) / (max μ* − re-seeded μ*) over "
                             "the outcomes (Morris stage, see select_top)")
    sobol_runs, sobol_wall = _stage(out, "sobol", Xs, sub, meta, s, None, n_jobs, quiet)
    sobol = sobol_indices(sub, sobol_runs, seed=s.sampler_seed,
                          outcomes=[o.key for o in OUTCOMES])
    var = {o.key: float(np.var(sobol_runs[o.key], ddof=1)) for o in OUTCOMES}
    sobol["noise_share"] = [
        min(1.0, float(noise.set_index("outcome").at[k, "sd"]) ** 2 / var[k]) if var[k] > 0
        else math.nan for k in sobol["outcome"]]
    sobol.to_csv(out / "sobol" / "indices.csv", index=False)

    summary = {
        "scenario": asdict(s), "policy": _policies_of(noise_runs),
        "runs": {"morris": len(morris_runs), "noise": len(noise_runs), "sobol": len(sobol_runs)},
        "wall_seconds": {"morris": round(morris_wall, 1), "noise": round(noise_wall, 1),
                         "sobol": round(sobol_wall, 1),
                         "total": round(time.perf_counter() - t0, 1)},
        "cpus": os.cpu_count(), "selected_for_sobol": top,
        "noise_dominated_outcomes": noise_dominated(morris, noise),
        "never_passing": "first_pass_cv_primary = years + 1",
        "share_never_passing": {
            "morris": float((morris_runs[FIRST_PASS] > s.years).mean()),
            "sobol": float((sobol_runs[FIRST_PASS] > s.years).mean()),
            "noise": float((noise_runs[FIRST_PASS] > s.years).mean())},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    if figures is not None:
        summary["figures"] = [str(f) for f in draw_figures(out, figures)]
    summary["wall_seconds"]["total"] = round(time.perf_counter() - t0, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    return summary


def draw_figures(out: str | os.PathLike, figures: str | os.PathLike) -> list[Path]:
    """(Re)draw the two figures from the tables of an analysis in ``out``."""
    out, figures = Path(out), Path(figures)
    summary = json.loads((out / "summary.json").read_text())
    s, runs = summary["scenario"], summary["runs"]
    morris = pd.read_csv(out / "morris" / "indices.csv")
    sobol = pd.read_csv(out / "sobol" / "indices.csv")
    noise = pd.read_csv(out / "noise" / "reference.csv")
    k = morris["parameter"].nunique()
    county = (f"{s['region']} county, {s['years']} years, seed {s['seed']},\n"
              "teacher rotation at its defaults")
    return [
        morris_figure(morris, figures / "sensitivity_morris.png", noise,
                      note=f"{runs['morris']} runs ({s['morris_r']} trajectories × {k + 1});\n"
                           f"{county}."),
        sobol_figure(sobol, figures / "sensitivity_sobol.png",
                     note=f"{runs['sobol']} runs (N = {s['sobol_n']}, "
                          f"{sobol['parameter'].nunique()} parameters);\n{county}."),
    ]


def _policies_of(runs: pd.DataFrame) -> dict[str, Any]:
    summary = json.loads((Path(runs["run_dir"].iloc[0]) / "summary.json").read_text())
    return (summary.get("config") or {}).get("policies") or {}


def report(out: str | os.PathLike) -> str:
    """Markdown tables of an analysis in ``out`` (Morris μ* and Sobol S1/ST per outcome)."""
    out = Path(out)
    labels = _labels()
    morris = pd.read_csv(out / "morris" / "indices.csv")
    sobol = pd.read_csv(out / "sobol" / "indices.csv")
    noise = pd.read_csv(out / "noise" / "reference.csv").set_index("outcome")
    summary = json.loads((out / "summary.json").read_text())
    lines = [f"runs: {summary['runs']}, wall seconds: {summary['wall_seconds']}, "
             f"selected: {summary['selected_for_sobol']}, "
             f"never passing: {summary['share_never_passing']}", ""]
    keys = [o.key for o in OUTCOMES]
    head = "| parameter | " + " | ".join(o.label for o in OUTCOMES) + " |"
    lines += ["Morris μ* (σ)", "", head, "|:---|" + "---:|" * len(keys)]
    piv = morris.pivot(index="parameter", columns="outcome", values="mu_star")
    sig = morris.pivot(index="parameter", columns="outcome", values="sigma")
    rel = morris.groupby("parameter")["mu_star_rel"].max().sort_values(ascending=False)
    for p in rel.index:
        cells = [f"{_g(piv.at[p, k])} ({_g(sig.at[p, k])})" for k in keys]
        lines.append(f"| {labels.get(p, p)} | " + " | ".join(cells) + " |")
    lines.append("| *seed noise (re-seeded μ*)* | "
                 + " | ".join(_g(noise.at[k, "reseed_mu_star"]) for k in keys) + " |")
    lines.append("| *seed noise SD* | " + " | ".join(_g(noise.at[k, "sd"]) for k in keys) + " |")
    lines += ["", "Sobol S1 [95%] / ST [95%]", "", head, "|:---|" + "---:|" * len(keys)]
    for p in dict.fromkeys(sobol["parameter"]):
        cells = []
        for k in keys:
            r = sobol[(sobol["parameter"] == p) & (sobol["outcome"] == k)].iloc[0]
            cells.append(f"{r['S1']:.2f} ± {r['S1_conf']:.2f} / {r['ST']:.2f} ± "
                         f"{r['ST_conf']:.2f}")
        lines.append(f"| {labels.get(p, p)} | " + " | ".join(cells) + " |")
    ns = sobol.drop_duplicates("outcome").set_index("outcome")["noise_share"]
    lines.append("| *seed-noise variance / outcome variance* | "
                 + " | ".join(f"{ns[k]:.2f}" for k in keys) + " |")
    return "\n".join(lines)


def _g(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:.3g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.calibration.sensitivity",
        description="Morris screening and Sobol indices of the behavioural parameters, every "
                    "run a job of an edusim Hydra multirun.")
    parser.add_argument("--out", default=None,
                        help=f"output directory (default {DEFAULT_OUT.relative_to(ROOT)})")
    parser.add_argument("--figures", default=None,
                        help=f"directory of the two figures (default OUT/{FIGURES_DIR})")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: tiny county, 2 years, the smallest designs")
    parser.add_argument("--jobs", type=int, default=None,
                        help="parallel runs (default: the launcher's, one per core)")
    parser.add_argument("--report", action="store_true",
                        help="only print Markdown tables of an existing analysis in OUT "
                             "(and redraw its figures into --figures if given)")
    parser.add_argument("--quiet", action="store_true", help="hide the sweeps' progress")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else DEFAULT_OUT
    if args.report:
        print(report(out))
        if args.figures:
            draw_figures(out, args.figures)
        return 0
    scenario = QUICK if args.quick else SCENARIO
    figures = Path(args.figures) if args.figures else out / FIGURES_DIR
    try:
        summary = run_analysis(out, scenario, figures, n_jobs=args.jobs, quiet=args.quiet)
    except (SensitivityError, ConfigError) as err:
        print(f"sensitivity: {err}", file=sys.stderr)
        return 2
    print(json.dumps({k: summary[k] for k in ("runs", "wall_seconds", "selected_for_sobol")},
                     ensure_ascii=False))
    print(f"written: {out}/ (morris/, noise/, sobol/, summary.json)"
          + (f"; figures in {figures}/" if figures else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
