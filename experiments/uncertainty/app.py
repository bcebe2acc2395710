"""``edusim-uncertainty``: a policy's effects over the priors of what we do not know.

    edusim-uncertainty +experiment=teacher_rotation                 # 64 draws x 5 seeds
    edusim-uncertainty +experiment=school_groups uncertainty.draws=200 years=15
    edusim-uncertainty +experiment=targeted_funding uncertainty.widen=2   # priors twice as wide
    edusim-uncertainty +experiment=county_plan uncertainty.fix=[learning,school_effects]

Every key of ``edusim`` is available (``region=...``, model parameters, policies); the
analysis itself is the ``uncertainty`` block (:class:`UncertaintyConfig`). It draws
``draws`` parameter sets from the declared priors of the model and of the active policies
(:mod:`experiments.uncertainty.design`), runs each with and without the policies on the same
``seeds`` (common random numbers: the same seed and the same drawn parameters in both arms)
and writes, under the run's output folder, ``uncertainty/``:

* ``effects.csv`` — per measure the effect's median, 5th/95th percentiles, mean and the
  probability that the policy improves it; per official test the probability of passing by
  ``target_year`` with and without the policy (:func:`~experiments.uncertainty.analysis.
  effects_table`);
* ``variance.csv`` — which uncertain parameter the effect's spread comes from (the share a
  monotone trend in it explains, with a 95% interval and the noise floor chance reaches;
  :func:`~experiments.uncertainty.analysis.rank_indices`) and the share that is seed noise;
* ``pass_by_year.csv``, ``values.csv`` (the drawn parameter sets), ``runs/`` (one file per
  draw) and the figures ``effects.png``, ``importance.png`` and ``pass_probability.png``.

**On a cluster** the draws are split into ``uncertainty.parts`` jobs of a multirun, any
launcher (``--multirun 'uncertainty.part=range(PARTS)' hydra/launcher=ray_cluster`` or
``slurm``): every part writes its draws into the shared sweep folder, and the part that
finishes the last draw writes the tables (the result does not depend on the split).

A re-run into the same folder (``hydra.run.dir=...``) resumes: finished draws are read
back; a folder holding an analysis of another configuration is refused (exit 2). Bad input
(a value out of range, ``years=0``, an unknown parameter to fix, a name that both ``vary``
and ``fix`` hold, no policy, an output folder that cannot be made) stops the command before
any run, and before the folder is made, with one message naming the field (exit 2).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

from sim.behaviour import another_model, recorded_behaviour, stamp
from sim.config import ConfigError
from sim.schema import collection, param, validate_node

__all__ = ["UncertaintyConfig", "analyse", "main"]

PROG = "edusim-uncertainty"


@dataclass
class UncertaintyConfig:
    """The question of an uncertainty analysis (the ``uncertainty`` block)."""

    draws: int = param(64, "parameter sets", 1, 100_000,
                       doc="parameter sets drawn from the priors (quasi-random Sobol points)")
    seeds: int = param(5, "seeds", 1, 1_000, doc="seeds per parameter set (both arms)")
    first_seed: int = param(0, "", 0, 2**31 - 1, doc="the seeds are first_seed, first_seed+1, ...")
    sampler_seed: int = param(0, "", 0, 2**31 - 1,
                              doc="seed of the Sobol scrambling (the same seed draws the same "
                                  "parameter sets)")
    widen: float = param(1.0, "factor", 0.0, 10.0,
                         doc="multiplies every prior's spread around its median; 0 collapses "
                             "every prior to the value in force (a seed-only comparison)")
    vary: list[str] = collection(
        list, doc="only these parameters (or sections, e.g. policies.teacher_rotation) vary "
                  "(empty: every parameter with a prior)")
    fix: list[str] = collection(
        list, doc="parameters (or sections, e.g. learning) held at their value in force")
    target_year: int | None = param(None, "simulated year", 1, 500,
                                    doc="year by which passing the official tests counts "
                                        "(None: the last year)")
    workers: int | None = param(None, "processes", 1, 512,
                                doc="worker processes (None: one per core; 1 in a job of a "
                                    "multirun)")
    parts: int = param(1, "jobs", 1, 10_000,
                       doc="split the draws into this many parts, one job each of a multirun "
                           "(--multirun 'uncertainty.part=range(PARTS)', any launcher: "
                           "workstation, Ray, SLURM); the job that finishes the last draw "
                           "writes the tables")
    part: int | None = param(None, "", 0, 9_999,
                             doc="the part this job runs: draws d with d % parts == part "
                                 "(None: every draw, in this process)")


def _problems(cfg: dict[str, Any]) -> list[str]:
    from experiments.run import RUN_KEYS, check_config
    from experiments.uncertainty.design import uncertain_parameters

    block = dict(cfg.get("uncertainty") or {})
    problems: list[str] = []
    try:
        u = UncertaintyConfig(**block)
    except TypeError as err:
        return [f"uncertainty: {err}"]
    validate_node(u, "uncertainty.", problems)
    model = {k: v for k, v in cfg.items() if k != "uncertainty"}
    problems += check_config(model)
    if not (cfg.get("policies") or {}):
        problems.append("policies: an uncertainty analysis compares a policy with its "
                        "baseline: choose one (+experiment=NAME or +policies.NAME={})")
    if u.part is not None and isinstance(u.parts, int) and u.part >= u.parts:
        problems.append(f"uncertainty.part: {u.part} is outside the allowed range [0, "
                        f"{u.parts - 1}] (uncertainty.parts={u.parts})")
    problems += _years_problems(cfg.get("years"), u.target_year)
    if problems:
        return problems
    known = {p.path for p in uncertain_parameters(
        {k: v for k, v in model.items() if k not in RUN_KEYS})}
    return _name_problems(u, known)


def config_warnings(cfg: dict[str, Any]) -> list[str]:
    """What is valid but probably not meant in a valid configuration, one line each: a name
    in ``uncertainty.fix`` outside every name in ``uncertainty.vary`` (only those vary, so
    fixing it changes nothing)."""
    from experiments.uncertainty.design import under

    u = UncertaintyConfig(**dict(cfg.get("uncertainty") or {}))
    if not u.vary:
        return []
    return [f"uncertainty.fix: {f!r} is outside every name in uncertainty.vary "
            f"({', '.join(map(repr, u.vary))}), which alone vary: fixing it changes nothing"
            for f in u.fix if not any(under(f, (v,)) or under(v, (f,)) for v in u.vary)]


def _years_range() -> tuple[int, int]:
    """The years an analysis can simulate: at least 1 (its effects and passing years are
    those of simulated years; year 0 is the county as it starts, the same in both arms), at
    most what ``edusim`` allows (``years`` of :class:`experiments.run.RunConfig`)."""
    from dataclasses import fields

    from experiments.run import RunConfig

    meta = next(f.metadata for f in fields(RunConfig) if f.name == "years")
    return 1, int(meta["hi"])


def _years_problems(years: Any, target_year: Any) -> list[str]:
    """The problems of ``years`` and ``uncertainty.target_year`` together (a wrong type or
    a value outside edusim's own range is :func:`experiments.run.check_config`'s)."""
    if isinstance(years, bool) or not isinstance(years, int):
        return []
    lo, hi = _years_range()
    if 0 <= years < lo:
        return [f"years: {years} is outside the allowed range of an uncertainty analysis "
                f"[{lo}, {hi}] years (it compares the arms after simulated years; year 0 is "
                "the county before any policy acts)"]
    if isinstance(target_year, int) and lo <= years <= hi and target_year > years:
        return [f"uncertainty.target_year: {target_year} is after the last simulated year "
                f"({years}): allowed 1 to {years}"]
    return []


def _name_problems(u: UncertaintyConfig, known: set[str]) -> list[str]:
    """The problems of ``uncertainty.vary`` and ``uncertainty.fix``: a name that is no
    uncertain parameter or section of the analysis (``known``: the paths of its parameters),
    and a name to vary whose every parameter ``fix`` holds fixed (``fix`` wins, so it would
    not vary: the same name in both, or a parameter of a fixed section)."""
    from experiments.uncertainty.design import under

    problems = []
    for name in ("vary", "fix"):
        for f in getattr(u, name):
            if not any(under(k, (f,)) for k in known):
                problems.append(f"uncertainty.{name}: {f!r} is not an uncertain parameter or "
                                "section of this analysis (see the prior column of "
                                "docs/parameters.md)")
    for v in u.vary:
        members = [k for k in known if under(k, (v,))]
        fixing = [f for f in u.fix if any(under(k, (f,)) for k in members)]
        if members and all(under(k, tuple(fixing)) for k in members):
            problems.append(_overlap_problem(v, fixing))
    return problems


def _overlap_problem(name: str, fixing: list[str]) -> str:
    """The message for the name ``name`` of ``uncertainty.vary`` that the names ``fixing``
    of ``uncertainty.fix`` hold fixed altogether."""
    where = (f"{name!r} is in both uncertainty.vary and uncertainty.fix" if name in fixing
             else f"{name!r} is in uncertainty.vary, but uncertainty.fix holds all of it "
                  f"fixed ({', '.join(map(repr, fixing))})")
    return (f"uncertainty.vary, uncertainty.fix: {where}, so it would not vary; name each "
            "parameter or section in only one of the two (to vary a section but some of its "
            "parameters: the section in uncertainty.vary, those parameters in "
            "uncertainty.fix)")


def _setup(cfg: dict[str, Any]):
    """(analysis settings, model configuration, uncertain parameters, identity) of a valid
    configuration."""
    from experiments.run import RUN_KEYS
    from experiments.uncertainty.design import uncertain_parameters

    u = UncertaintyConfig(**dict(cfg.get("uncertainty") or {}))
    model_cfg = {k: v for k, v in cfg.items() if k not in RUN_KEYS and k != "uncertainty"}
    params = uncertain_parameters(model_cfg, u.widen or 1.0, tuple(u.fix),
                                  collapse=u.widen == 0, vary=tuple(u.vary))
    ident = _identity(model_cfg, u, int(cfg["years"]), [p.path for p in params])
    return u, model_cfg, params, ident


def check(cfg: dict[str, Any], out: Path) -> list[str]:
    """Every problem of the plain configuration ``cfg`` for an analysis into ``out`` (one
    message each, naming the field); [] when it can run. ``out`` holding an analysis of
    another configuration, or one made by another version of the model (its ``edusim``
    record, :mod:`sim.behaviour`), is a problem (results are never mixed)."""
    problems = _problems(cfg)
    if problems:
        return problems
    ident = _setup(cfg)[3]
    meta_file = out / "uncertainty" / "analysis.json"
    if meta_file.exists():
        try:
            stored = json.loads(meta_file.read_text(encoding="utf-8"))
            old, made_by = stored.get("identity"), recorded_behaviour(stored)
        except (OSError, ValueError, AttributeError):
            old = made_by = None
        if old == ident and another_model(made_by):
            problems.append(f"hydra.run.dir: {out} holds an uncertainty analysis of these "
                            f"settings made by {another_model(made_by)}, whose runs do not "
                            "hold for this one; choose a new folder")
        elif old != ident:
            problems.append(f"hydra.run.dir: {out} holds an uncertainty analysis of another "
                            "configuration; choose a new folder (or the same settings to "
                            "resume)")
    return problems


def _identity(model_cfg: dict[str, Any], u: UncertaintyConfig, years: int, paths: list[str]
              ) -> str:
    payload = json.dumps({"model": model_cfg, "years": years, "draws": u.draws,
                          "seeds": [u.first_seed, u.seeds], "sampler_seed": u.sampler_seed,
                          "widen": u.widen, "fix": sorted(u.fix), "vary": sorted(u.vary),
                          "parameters": paths},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def analyse(cfg: dict[str, Any], out: Path, progress: bool = True) -> dict[str, Any]:
    """Run (or resume) the analysis of the plain composed configuration ``cfg`` into
    ``out``/uncertainty and write its tables and figures; returns a summary. Raises
    :class:`ConfigError` on bad input (nothing written then)."""
    import numpy as np
    import pandas as pd

    from experiments.uncertainty import analysis
    from experiments.uncertainty.design import draw_overrides, draw_points
    from sim.results import atomic_write

    problems = check(cfg, out)
    if problems:
        raise ConfigError.from_problems(problems)
    u, model_cfg, params, ident = _setup(cfg)
    years = int(cfg["years"])
    target = u.target_year or years
    paths = [p.path for p in params]
    folder = out / "uncertainty"
    meta_file = folder / "analysis.json"
    (folder / "runs").mkdir(parents=True, exist_ok=True)
    meta = {"identity": ident, "edusim": stamp(),
            "command": " ".join([PROG, *sys.argv[1:]]), "years": years,
            "target_year": target, "draws": u.draws, "seeds": u.seeds,
            "first_seed": u.first_seed, "sampler_seed": u.sampler_seed, "widen": u.widen,
            "fix": list(u.fix), "vary": list(u.vary), "parameters": paths,
            "priors": {p.path: p.declared.prior.text(p.declared.unit) for p in params},
            "policies": model_cfg.get("policies")}
    text = json.dumps(meta, indent=1, ensure_ascii=False, default=str) + "\n"
    atomic_write(meta_file, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    points = draw_points(u.draws, len(params), u.sampler_seed)
    values = pd.DataFrame([[p.value(x) for p, x in zip(params, pt, strict=True)]
                           for pt in points], columns=paths)
    values.index.name = "draw"
    seeds = list(range(u.first_seed, u.first_seed + u.seeds))

    def draw_file(i: int) -> Path:
        return folder / "runs" / f"draw_{i:05d}.csv"

    mine = [i for i in range(u.draws) if u.part is None or i % u.parts == u.part]
    todo = [i for i in mine if not draw_file(i).exists()]
    tasks = [(model_cfg, draw_overrides(params, points[i]), i, seeds, years) for i in todo]
    default_workers = 1 if u.part is not None else (os.cpu_count() or 1)
    workers = min(u.workers or default_workers, max(len(tasks), 1))
    bar = None
    if progress and tasks:
        from tqdm import tqdm
        bar = tqdm(total=len(mine), initial=len(mine) - len(tasks), unit="draw",
                   desc=f"{PROG}: {u.seeds} seeds x 2 arms per draw", file=sys.stderr)

    def save(rows: list[dict[str, Any]]) -> None:
        frame = pd.DataFrame(rows)
        atomic_write(draw_file(int(frame["draw"].iloc[0])),
                     lambda tmp: frame.to_csv(tmp, index=False))
        if bar is not None:
            bar.update(1)

    from experiments.uncertainty.runner import run_draws

    run_draws(tasks, save, workers)
    if bar is not None:
        bar.close()

    missing = [i for i in range(u.draws) if not draw_file(i).exists()]
    if missing:  # other parts of a multirun still running: they write the tables
        return {"folder": str(folder), "pending": len(missing), "draws": u.draws,
                "part": u.part, "parts": u.parts}
    runs = pd.concat([pd.read_csv(draw_file(i)) for i in range(u.draws)], ignore_index=True)
    eff = analysis.effects(runs)
    table = analysis.effects_table(eff, target)
    variance = analysis.variance_table(eff, values, seed=u.sampler_seed)
    by_year = analysis.pass_by_year(eff, years)
    for name, frame in (("effects", table), ("variance", variance),
                        ("pass_by_year", by_year), ("values", values)):
        atomic_write(folder / f"{name}.csv",
                     lambda tmp, f=frame, n=name: f.to_csv(tmp, index=(n == "values")))
    from experiments.uncertainty import figures

    figures.draw_all(folder, table, eff, variance, by_year, meta)
    return {"folder": str(folder), "effects": table, "variance": variance,
            "runs": int(len(runs)), "parameters": len(params),
            "mean_cost_yuan": float(np.mean(eff["policy_cost_yuan"]))}


class ValidateUncertainty(Callback):
    """Hydra callback (configs/uncertainty.yaml): before the output folder is made, stop
    with exit code 2 and every problem of the configuration (:func:`check`) and of the
    output folder (:func:`sim.terminal.output_dir_problem`: a file in the path, /proc,
    /sys, no permission), so a mistake leaves nothing behind."""

    def on_run_start(self, config: Any, **kwargs: Any) -> None:
        self._check(config, str(config.hydra.run.dir), "hydra.run.dir")

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        # the parts' own settings (uncertainty.part=...) are sweep overrides: check the rest
        self._check(config, str(config.hydra.sweep.dir), "hydra.sweep.dir")

    def _check(self, config: Any, folder: str, key: str) -> None:
        from omegaconf import OmegaConf

        from experiments.design import resolve_region_paths
        from experiments.hydra_errors import as_typed
        from experiments.run import RunConfig
        from sim.terminal import output_dir_problem

        app = OmegaConf.masked_copy(config, [k for k in config if k != "hydra"])
        cwd = os.getcwd()
        container = resolve_region_paths(OmegaConf.to_container(app, resolve=True), cwd)
        task = OmegaConf.select(config, "hydra.overrides.task", default=None) or []
        container = as_typed(container, task, RunConfig)  # progress=2 as typed: refused
        out = Path(cwd) / folder
        problems = check(container, out) + [p for p in [output_dir_problem(folder, key)] if p]
        if problems:
            lines = [line for p in problems for line in ConfigError(p).messages()]
            print(f"{PROG}: invalid configuration (nothing was written):\n  "
                  + "\n  ".join(lines), file=sys.stderr)
            sys.exit(2)
        for line in config_warnings(container):
            print(f"{PROG}: warning: {line}", file=sys.stderr)


def _print_summary(result: dict[str, Any]) -> None:
    if "pending" in result:
        print(f"{PROG}: part {result['part']} of {result['parts']} done; "
              f"{result['draws'] - result['pending']} of {result['draws']} draws finished "
              f"(the part that finishes the last one writes the tables); {result['folder']}")
        return
    t = result["effects"]
    print(f"{PROG}: {result['runs']} runs, {result['parameters']} uncertain parameters; "
          f"{result['folder']}")
    for r in t.itertuples():
        if r.measure in ("quality_passed", "basic_passed"):
            print(f"  {r.label}: {r.prob_pass_policy:.0%} with the policy, "
                  f"{r.prob_pass_baseline:.0%} without")
        else:
            print(f"  {r.label}: {r.median:+.3g} (90% {r.p05:+.3g} to {r.p95:+.3g}), "
                  f"improves in {r.prob_improves:.0%}")


def main() -> None:
    """Console entry point (``edusim-uncertainty``)."""
    import hydra
    from hydra.core.config_store import ConfigStore
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import DictConfig, OmegaConf

    from experiments.design import resolve_region_paths
    from experiments.hydra_errors import run_app
    from experiments.run import CONFIG_DIR, RunConfig

    @dataclass
    class UncertaintyRunConfig(RunConfig):
        uncertainty: UncertaintyConfig = field(default_factory=UncertaintyConfig)

    ConfigStore.instance().store(name="edusim_uncertainty_schema", node=UncertaintyRunConfig)

    @hydra.main(config_path=CONFIG_DIR, config_name="uncertainty", version_base="1.3")
    def _app(cfg: DictConfig) -> None:
        hc = HydraConfig.get()
        container = resolve_region_paths(OmegaConf.to_container(cfg, resolve=True),
                                         hc.runtime.cwd)
        from hydra.types import RunMode

        # the parts of a multirun share the sweep folder (each job writes its own draws)
        out = (Path(hc.runtime.cwd) / hc.sweep.dir if hc.mode == RunMode.MULTIRUN
               else Path(hc.runtime.output_dir))
        try:
            result = analyse(container, out, progress=bool(container.get("progress", True)))
        except ConfigError as err:
            print(f"{PROG}: {err}", file=sys.stderr)
            sys.exit(2)
        _print_summary(result)

    try:
        run_app(PROG, _app, UncertaintyRunConfig)
    except OSError as err:  # a folder that turned out unwritable during the work (disk full)
        if err.filename is None:
            raise
        print(f"{PROG}: cannot write or read {err.filename}: {err.strerror or err}",
              file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
