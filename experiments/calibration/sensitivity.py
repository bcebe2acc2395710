"""Global sensitivity analysis of a policy's *effects*: Morris screening, then Sobol indices
for the parameters that matter, each design point run on several seeds with and without the
policy.

    python -m experiments.calibration.sensitivity                 # the full analysis
    python -m experiments.calibration.sensitivity --quick --out /tmp/sa   # tiny smoke test
    python -m experiments.calibration.sensitivity --report        # Markdown tables of OUT

What is analysed is the **effect** of the scenario's policy package (default: teacher
rotation at its defaults, ``configs/experiment/teacher_rotation.yaml``) on each outcome: the
run with the policy minus the same-seed, same-parameter baseline run without it (common
random numbers, as ``edusim-uncertainty``), at the last simulated year. Every screened
parameter (:data:`experiments.calibration.ranges.RANGES`: the uncertain behavioural
parameters and the policy's own, e.g. the continuity cost of a rotation) moves over the
quantiles 0 to 1 of its declared prior, so an index is "per full prior range".

Steps (everything is written under ``--out``, default ``multirun/sensitivity``):

1. **Morris design** (SALib, ``r`` trajectories on a 4-level grid of prior quantiles):
   ``morris/design.csv`` (one row per point: ``row`` and the quantiles), ``morris/values.csv``
   (the parameter values they stand for) and ``morris/problem.json``.
2. **Runs**: each point on ``seeds`` seeds × (policy, baseline), in worker processes without
   Hydra composition per run (:func:`experiments.uncertainty.runner.run_draws`); one file per
   point in ``morris/runs/``, so a re-run resumes; ``morris/effects.csv`` holds the effect
   per point and seed.
3. **Morris indices** μ, μ*, its 95% bootstrap interval and σ of the seed-mean effect per
   outcome, and beside each μ* its **seed noise** (``mu_star_seed_se``: the standard error
   of μ* over the seeds, from the μ* each seed alone gives) and the outcome's noise floor
   (``noise/floor.csv``: the μ* a parameter with no effect would get from the seed noise of
   the seed means, 2/√π · se / Δ). The ``k`` parameters with the largest μ* net of the
   noise floor (:func:`select_top`) go on to step 4.
4. **Sobol design** (Saltelli/Sobol' sequence, ``N(k+2)`` points, no second order), runs as
   above in ``sobol/``; first-order and total indices with 95% bootstrap intervals, their
   seed noise (``S1_seed_se``, ``ST_seed_se``) and the share of the seed-mean effect's
   variance that is seed noise (``noise_share``; a parameter with no effect gets an ST of
   about that share).
5. Figures ``sensitivity_morris.png`` and ``sensitivity_sobol.png`` (``--figures``, default
   ``OUT/figures``; :mod:`experiments.calibration.sensitivity_figures`) and
   ``OUT/summary.json``. The copies in ``docs/img/calibration/`` and the numbers of
   docs/calibration.md §5 are made by the docs job ``sensitivity`` (``make docs
   JOBS=sensitivity``), which runs this command.

Outcomes (:data:`OUTCOMES`): the policy's effect on the urban–rural and SES achievement gaps,
the between-school share of achievement variance, the backbone-teacher CV of primary schools,
and the first year in which every primary CV of the 2017 standard is within its limit (a run
that never passes counts as ``years + 1``, so "never" ranks as the latest possible year; a
negative effect is an earlier pass). An ``--out`` folder holding an analysis of another
scenario is refused (exit 2): results of different configurations are never mixed.

The outcomes, the indices and their seed noise are in
:mod:`experiments.calibration.sensitivity_indices`; this module designs the points, runs
them and writes the analysis.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.calibration.sensitivity_indices import (
    NUM_LEVELS,
    OUTCOMES,
    ROW,
    Outcome,
    morris_indices,
    noise_dominated,
    noise_floor,
    point_means,
    seed_se,
    select_top,
    sobol_indices,
)
from sim.behaviour import another_model, recorded_behaviour, stamp
from sim.config import ConfigError

__all__ = ["OUTCOMES", "QUICK", "SCENARIO", "Outcome", "Scenario", "SensitivityError",
           "base_config", "effects", "main", "morris_design", "morris_indices",
           "noise_floor", "point_means", "run_analysis", "screened", "select_top",
           "sobol_design", "sobol_indices", "write_design"]

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_OUT = ROOT / "multirun" / "sensitivity"
FIGURES_DIR = "figures"  # the figures' default directory, under OUT
DESIGN_FILE, PROBLEM_FILE, VALUES_FILE = "design.csv", "problem.json", "values.csv"
#: the yearly record's column whose first passing year is an outcome
FIRST_PASS_COLUMN = "quality_cv_passed_primary"


class SensitivityError(RuntimeError):
    """An output folder of another analysis, or runs that do not match their design."""


@dataclass(frozen=True)
class Scenario:
    """What every run of the analysis simulates besides the design's parameters."""

    experiment: str = "teacher_rotation"  # configs/experiment/<experiment>.yaml: the policy
    region: str = "default"
    years: int = 15
    first_seed: int = 0
    seeds: int = 3  # seeds per design point (each with and without the policy)
    morris_r: int = 10  # Morris trajectories
    sobol_n: int = 64  # Sobol base sample (power of 2)
    sobol_k: int = 5  # parameters taken from the screening to the Sobol stage
    sampler_seed: int = 20261201  # SALib samplers and bootstrap intervals (must be > 0)


SCENARIO = Scenario()
#: smoke test: tiny county, 2 years, 2 seeds, very few points (2 trajectories, Sobol N = 4)
QUICK = Scenario(region="tiny", years=2, seeds=2, morris_r=2, sobol_n=4, sobol_k=2)


FIRST_PASS = "first_pass_cv_primary"


# ---------------------------------------------------------------------------------------------
# the scenario and its parameters


def base_config(s: Scenario) -> dict[str, Any]:
    """The scenario's model configuration (plain nested dict, as ``edusim +experiment=...
    region=...`` composes it, without the run keys). ConfigError naming the field when the
    experiment or region does not exist or the scenario is out of range."""
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf import OmegaConf

    from experiments.run import CONFIG_DIR, RUN_KEYS, check_config, register_schema

    problems = []
    for name, lo in (("years", 1), ("seeds", 2), ("morris_r", 2), ("sobol_n", 2),
                     ("sobol_k", 1), ("sampler_seed", 1)):
        v = getattr(s, name)
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            problems.append(f"{name}: {v!r} is outside the allowed range (an integer >= {lo})")
    if problems:
        raise ConfigError("; ".join(problems))
    register_schema()
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            cfg = compose("config", overrides=[f"+experiment={s.experiment}",
                                               f"region={s.region}", f"years={s.years}"])
    except HydraException as err:
        choices = {"experiment": sorted(p.stem for p in (Path(CONFIG_DIR) / "experiment")
                                        .glob("*.yaml")),
                   "region": sorted(p.stem for p in (Path(CONFIG_DIR) / "region")
                                    .glob("*.yaml"))}
        field = "region" if f"region/{s.region}" in str(err) else "experiment"
        raise ConfigError(f"{field}: {getattr(s, field)!r} is not one of "
                          f"{', '.join(choices[field])}") from None
    plain = OmegaConf.to_container(cfg, resolve=True)
    problems = check_config(plain)
    if problems:
        raise ConfigError.from_problems(problems)
    model = {k: v for k, v in plain.items() if k not in RUN_KEYS}
    if not model.get("policies"):
        raise ConfigError(f"experiment: {s.experiment!r} switches on no policy; the screen "
                          "analyses a policy's effects")
    return model


def screened(model_cfg: dict[str, Any]) -> list[Any]:
    """The parameters the screen varies (:class:`experiments.uncertainty.design.Uncertain`):
    those of :data:`RANGES` that the model declares a prior for, then every other declared
    prior of the policies switched on, in their declared order."""
    from experiments.calibration.ranges import RANGES
    from experiments.uncertainty.design import uncertain_parameters

    found = {p.path: p for p in uncertain_parameters(model_cfg)}
    names = [r.name for r in RANGES if r.name in found]
    names += [p for p in found if p.startswith("policies.") and p not in names]
    return [found[n] for n in names]


def quantile(p: Any, u: float) -> float:
    """The prior quantile a design coordinate ``u`` in [0, 1] stands for: ``u`` itself for a
    prior with bounded support, 0.05 + 0.9 u (its 5th to 95th percentile) otherwise."""
    d = p.declared
    a, b = d.prior.support(d.lo, d.hi)
    return float(u) if math.isfinite(a) and math.isfinite(b) else 0.05 + 0.9 * float(u)


def point_overrides(params: list[Any], u: np.ndarray) -> dict[str, Any]:
    """The dotted overrides of one design point (quantiles ``u``, one per parameter)."""
    out: dict[str, Any] = {}
    for p, x in zip(params, u, strict=True):
        out.update(p.overrides(quantile(p, x)))
    return out


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


# ---------------------------------------------------------------------------------------------
# running a design: every point on every seed, with and without the policy


def _identity(s: Scenario, model_cfg: dict[str, Any], names: list[str]) -> str:
    payload = json.dumps({"scenario": asdict(s), "model": model_cfg, "parameters": names,
                          "outcomes": [o.key for o in OUTCOMES]}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def claim(out: Path, identity: str) -> None:
    """Mark ``out`` as holding the analysis ``identity`` made by this version of the model
    (:mod:`sim.behaviour`); SensitivityError if it holds another one, or this one made by
    another version (a re-run of the same analysis by the same model resumes)."""
    from sim.results import atomic_write

    mark = out / "analysis.json"
    if mark.exists():
        try:
            stored = json.loads(mark.read_text(encoding="utf-8"))
            old, made_by = stored.get("identity"), recorded_behaviour(stored)
        except (OSError, ValueError, AttributeError):
            old = made_by = None
        if old != identity:
            raise SensitivityError(f"--out: {out} holds a sensitivity analysis of another "
                                   "scenario; choose a new folder (or the same scenario to "
                                   "resume)")
        if another_model(made_by):
            raise SensitivityError(f"--out: {out} holds this sensitivity analysis made by "
                                   f"{another_model(made_by)}, whose runs do not hold for "
                                   "this one; choose a new folder")
        return
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"identity": identity, "edusim": stamp()}) + "\n"
    atomic_write(mark, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def effects(runs: pd.DataFrame, years: int) -> pd.DataFrame:
    """Per point (``row``) and seed: the policy run minus its baseline of every outcome (a
    first passing year that never came counts as ``years + 1``)."""
    runs = runs.rename(columns={"draw": ROW})
    pol = runs[runs["arm"] == "policy"].set_index([ROW, "seed"]).sort_index()
    base = runs[runs["arm"] == "baseline"].set_index([ROW, "seed"]).sort_index()
    base = base.loc[pol.index]
    out = pd.DataFrame(index=pol.index)
    for o in OUTCOMES:
        if o.key == FIRST_PASS:
            col = f"first_{FIRST_PASS_COLUMN}"
            out[o.key] = pol[col].fillna(years + 1) - base[col].fillna(years + 1)
            out["never_policy"] = pol[col].isna()
            out["never_baseline"] = base[col].isna()
        else:
            out[o.key] = pol[o.key] - base[o.key]
    return out.reset_index()


def run_stage(out: Path, name: str, U: np.ndarray, problem: dict[str, Any],
              params: list[Any], model_cfg: dict[str, Any], s: Scenario, meta: dict,
              workers: int, progress: bool) -> tuple[pd.DataFrame, float]:
    """Write the design of one stage into ``out/name``, run (or resume) every point on every
    seed with and without the policy, and return (effects per point and seed, wall
    seconds)."""
    from experiments.uncertainty.runner import run_draws
    from sim.results import atomic_write

    stage = out / name
    write_design(stage, U, problem["names"], meta)
    overrides = [point_overrides(params, u) for u in U]
    values = pd.DataFrame(overrides)
    values.index.name = ROW
    atomic_write(stage / VALUES_FILE, lambda tmp: values.to_csv(tmp))
    (stage / "runs").mkdir(exist_ok=True)
    seeds = list(range(s.first_seed, s.first_seed + s.seeds))

    def point_file(i: int) -> Path:
        return stage / "runs" / f"point_{i:05d}.csv"

    todo = [i for i in range(len(U)) if not point_file(i).exists()]
    tasks = [(model_cfg, overrides[i], i, seeds, s.years, (FIRST_PASS_COLUMN,)) for i in todo]
    bar = None
    if progress and tasks:
        from tqdm import tqdm

        bar = tqdm(total=len(U), initial=len(U) - len(tasks), unit="point", file=sys.stderr,
                   desc=f"sensitivity {name}: {s.seeds} seeds x 2 arms per point")

    def save(rows: list[dict[str, Any]]) -> None:
        frame = pd.DataFrame(rows)
        atomic_write(point_file(int(frame["draw"].iloc[0])),
                     lambda tmp: frame.to_csv(tmp, index=False))
        if bar is not None:
            bar.update(1)

    start = time.perf_counter()
    run_draws(tasks, save, min(workers, max(len(tasks), 1)))
    wall = time.perf_counter() - start
    if bar is not None:
        bar.close()
    runs = pd.concat([pd.read_csv(point_file(i)) for i in range(len(U))], ignore_index=True)
    got = runs.groupby("draw")["seed"].apply(lambda x: sorted(set(x))).to_dict()
    bad = [i for i in range(len(U)) if got.get(i) != seeds]
    if bad:
        raise SensitivityError(f"{stage}/runs: points {bad[:10]} do not hold the seeds "
                               f"{seeds}; delete the folder and run again")
    eff = effects(runs, s.years)
    atomic_write(stage / "effects.csv", lambda tmp: eff.to_csv(tmp, index=False))
    return eff, wall


# ---------------------------------------------------------------------------------------------
# the whole analysis


def _unit_problem(names: list[str]) -> dict[str, Any]:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def _meta(method: str, problem: dict[str, Any], s: Scenario, params: list[Any],
          **extra: Any) -> dict:
    return {"method": method, "problem": problem, "scenario": asdict(s),
            "space": "prior quantiles 0-1 (see experiments.calibration.sensitivity.quantile)",
            "priors": {p.path: p.declared.prior.text(p.declared.unit) for p in params},
            "outcomes": [asdict(o) for o in OUTCOMES],
            "never_passing": "first_pass_cv_primary = years + 1", **extra}


def run_analysis(out: str | os.PathLike = DEFAULT_OUT, scenario: Scenario = SCENARIO,
                 figures: str | os.PathLike | None = None, workers: int | None = None,
                 progress: bool = True) -> dict[str, Any]:
    """Morris screening → top ``scenario.sobol_k`` → Sobol, each point on ``scenario.seeds``
    seeds with and without the policy; writes everything under ``out`` and the two figures
    into ``figures`` (none if None); returns the summary. ConfigError for a bad scenario,
    SensitivityError for a folder of another analysis (nothing run then)."""
    out = Path(out)
    s = scenario
    t0 = time.perf_counter()
    model_cfg = base_config(s)
    params = screened(model_cfg)
    names = [p.path for p in params]
    claim(out, _identity(s, model_cfg, names))
    workers = workers or os.cpu_count() or 1
    seed_kw = {"seed": s.sampler_seed}

    full = _unit_problem(names)
    U = morris_design(full, s.morris_r, s.sampler_seed)
    meta = _meta("morris", full, s, params, trajectories=s.morris_r, num_levels=NUM_LEVELS)
    m_eff, m_wall = run_stage(out, "morris", U, full, params, model_cfg, s, meta, workers,
                              progress)
    m_mean, _ = point_means(m_eff)
    keys = [o.key for o in OUTCOMES]
    morris = morris_indices(full, U, m_mean.reset_index(drop=True), outcomes=keys, **seed_kw)
    morris = morris.join(seed_se(lambda **kw: morris_indices(full, U, **kw), m_eff,
                                 ["mu_star"], **seed_kw), on=["outcome", "parameter"])
    noise = noise_floor(m_eff)
    morris["noise_mu_star"] = morris["outcome"].map(
        noise.set_index("outcome")["noise_mu_star"])
    morris.to_csv(out / "morris" / "indices.csv", index=False)
    (out / "noise").mkdir(exist_ok=True)
    noise.to_csv(out / "noise" / "floor.csv", index=False)

    top = select_top(morris, s.sobol_k, noise)
    sub = _unit_problem(top)
    sub_params = [p for p in params if p.path in top]
    sub_params.sort(key=lambda p: top.index(p.path))
    Us = sobol_design(sub, s.sobol_n, s.sampler_seed)
    meta = _meta("sobol", sub, s, sub_params, base_samples=s.sobol_n,
                 calc_second_order=False,
                 selected_by="largest (μ* − noise floor) / (max μ* − noise floor) over the "
                             "outcomes (Morris stage, see select_top)")
    s_eff, s_wall = run_stage(out, "sobol", Us, sub, sub_params, model_cfg, s, meta, workers,
                              progress)
    s_mean, s_se = point_means(s_eff)
    sobol = sobol_indices(sub, s_mean.reset_index(drop=True), outcomes=keys, **seed_kw)
    sobol = sobol.join(seed_se(lambda **kw: sobol_indices(sub, **kw), s_eff, ["S1", "ST"],
                               **seed_kw), on=["outcome", "parameter"])
    var = s_mean.var(ddof=1)
    share = {k: min(1.0, float(np.nanmean(s_se[k] ** 2)) / var[k]) if var[k] > 0 else math.nan
             for k in keys}
    sobol["noise_share"] = sobol["outcome"].map(share)
    sobol.to_csv(out / "sobol" / "indices.csv", index=False)

    runs = {"morris": int(len(m_eff)) * 2, "sobol": int(len(s_eff)) * 2}
    summary = {
        "scenario": asdict(s), "policy": model_cfg.get("policies"),
        "parameters": names, "points": {"morris": len(U), "sobol": len(Us)},
        "runs": runs, "wall_seconds": {"morris": round(m_wall, 1), "sobol": round(s_wall, 1)},
        "cpus": os.cpu_count(), "workers": workers, "selected_for_sobol": top,
        "noise_dominated_outcomes": noise_dominated(morris, noise),
        "never_passing": "first_pass_cv_primary = years + 1",
        "share_never_passing": {
            f"{stage}_{arm}": float(e[f"never_{arm}"].mean())
            for stage, e in (("morris", m_eff), ("sobol", s_eff))
            for arm in ("policy", "baseline")},
    }
    if figures is not None:
        from experiments.calibration.sensitivity_figures import draw_figures

        (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
        summary["figures"] = [str(f) for f in draw_figures(out, figures)]
    summary["wall_seconds"]["total"] = round(time.perf_counter() - t0, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    return summary


def report(out: str | os.PathLike) -> str:
    """Markdown tables of an analysis in ``out``: Morris μ* (± its seed noise) and Sobol
    S1/ST (± 95% interval, seed noise) of the effect on each outcome."""
    from experiments.calibration.sensitivity_figures import labels as figure_labels

    out = Path(out)
    labels = figure_labels()
    morris = pd.read_csv(out / "morris" / "indices.csv")
    sobol = pd.read_csv(out / "sobol" / "indices.csv")
    noise = pd.read_csv(out / "noise" / "floor.csv").set_index("outcome")
    summary = json.loads((out / "summary.json").read_text())
    lines = [f"runs: {summary['runs']}, wall seconds: {summary['wall_seconds']}, "
             f"selected: {summary['selected_for_sobol']}, "
             f"never passing: {summary['share_never_passing']}", ""]
    keys = [o.key for o in OUTCOMES]
    head = "| parameter | " + " | ".join(o.label for o in OUTCOMES) + " |"
    lines += ["Morris μ* ± seed noise (σ)", "", head, "|:---|" + "---:|" * len(keys)]
    piv = morris.pivot(index="parameter", columns="outcome", values="mu_star")
    se = morris.pivot(index="parameter", columns="outcome", values="mu_star_seed_se")
    sig = morris.pivot(index="parameter", columns="outcome", values="sigma")
    rel = morris.groupby("parameter")["mu_star_rel"].max().sort_values(ascending=False)
    for p in rel.index:
        cells = [f"{_g(piv.at[p, k])} ± {_g(se.at[p, k])} ({_g(sig.at[p, k])})" for k in keys]
        lines.append(f"| {labels.get(p, p)} | " + " | ".join(cells) + " |")
    lines.append("| *noise floor (μ* of no effect)* | "
                 + " | ".join(_g(noise.at[k, "noise_mu_star"]) for k in keys) + " |")
    lines.append("| *seed SD of one run's effect* | "
                 + " | ".join(_g(noise.at[k, "seed_sd"]) for k in keys) + " |")
    lines += ["", "Sobol S1 ± 95% [seed noise] / ST ± 95% [seed noise]", "", head,
              "|:---|" + "---:|" * len(keys)]
    for p in dict.fromkeys(sobol["parameter"]):
        cells = []
        for k in keys:
            r = sobol[(sobol["parameter"] == p) & (sobol["outcome"] == k)].iloc[0]
            cells.append(f"{r['S1']:.2f} ± {r['S1_conf']:.2f} [{r['S1_seed_se']:.2f}] / "
                         f"{r['ST']:.2f} ± {r['ST_conf']:.2f} [{r['ST_seed_se']:.2f}]")
        lines.append(f"| {labels.get(p, p)} | " + " | ".join(cells) + " |")
    ns = sobol.drop_duplicates("outcome").set_index("outcome")["noise_share"]
    lines.append("| *seed-noise share of the variance* | "
                 + " | ".join(f"{ns[k]:.2f}" for k in keys) + " |")
    return "\n".join(lines)


def _g(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:.3g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m experiments.calibration.sensitivity",
        description="Morris screening and Sobol indices of a policy's effects (policy minus "
                    "same-seed baseline) over the priors of the uncertain parameters, each "
                    "design point on several seeds.")
    parser.add_argument("--out", default=None,
                        help=f"output directory (default {DEFAULT_OUT.relative_to(ROOT)})")
    parser.add_argument("--figures", default=None,
                        help=f"directory of the two figures (default OUT/{FIGURES_DIR})")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: tiny county, 2 years, 2 seeds, the smallest designs")
    parser.add_argument("--jobs", type=int, default=None,
                        help="worker processes (default: one per core)")
    parser.add_argument("--report", action="store_true",
                        help="only print Markdown tables of an existing analysis in OUT "
                             "(and redraw its figures into --figures if given)")
    parser.add_argument("--quiet", action="store_true", help="hide the progress bars")
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs: {args.jobs} is outside the allowed range (1 or more)")
    out = Path(args.out) if args.out else DEFAULT_OUT
    if args.report:
        if not (out / "summary.json").is_file():
            print(f"sensitivity: --out: {out} holds no finished analysis (no summary.json)",
                  file=sys.stderr)
            return 2
        print(report(out))
        if args.figures:
            from experiments.calibration.sensitivity_figures import draw_figures

            draw_figures(out, args.figures)
        return 0
    scenario = QUICK if args.quick else SCENARIO
    figures = Path(args.figures) if args.figures else out / FIGURES_DIR
    try:
        summary = run_analysis(out, scenario, figures, workers=args.jobs,
                               progress=not args.quiet)
    except (SensitivityError, ConfigError) as err:
        print(f"sensitivity: {err}", file=sys.stderr)
        return 2
    print(json.dumps({k: summary[k] for k in ("runs", "wall_seconds", "selected_for_sobol")},
                     ensure_ascii=False))
    print(f"written: {out}/ (morris/, sobol/, noise/, summary.json); figures in {figures}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
