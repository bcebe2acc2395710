"""``edusim``: run one simulation (or a Hydra multirun of them) and write its outputs.

    edusim                                   # default county, 20 years, no policy
    edusim seed=7 years=30 region=county_l   # Hydra overrides
    edusim teachers.rural_allowance=0.5      # any model parameter by its dotted name
    edusim --cfg job                         # print the composed configuration

The model (sim/) never imports Hydra; this module turns the composed config into a
:class:`sim.config.SimConfig`, runs :class:`sim.EducationModel`, and writes the files
described in :mod:`sim.results` into Hydra's output directory.
"""

from __future__ import annotations

import logging
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from experiments.config_dir import CONFIG_DIR
from sim.config import ConfigError, SimConfig, param
from sim.policies import check_policies

log = logging.getLogger("edusim")

#: the largest seed: NumPy seeds any non-negative integer, but seeds are stored as 64-bit
#: integers (Parquet, pandas), so a larger one could not be written or aggregated
SEED_MAX = 2**63 - 1


@dataclass
class RunConfig(SimConfig):
    """The model's parameters plus what a run needs (the Hydra schema)."""

    seed: int = param(0, "", 0, SEED_MAX, doc="integer seed of the run")
    years: int = param(20, "years", 0, 500, doc="simulated school years after year 0")
    figures: bool | None = param(
        None, doc="write equity.png (None: for single runs, not for the runs of a sweep, "
                  "whose figures edusim-figures makes)")
    compare_baseline: bool = param(
        True, doc="when policies are on, also run the same-seed baseline and compare")
    progress: bool = param(True, doc="show a progress bar for a single run")


def register_schema() -> None:
    ConfigStore.instance().store(name="edusim_schema", node=RunConfig)


RUN_KEYS = ("seed", "years", "figures", "compare_baseline", "progress", "hydra")


def check_config(cfg: dict[str, Any], model_fields: bool = True) -> list[str]:
    """All problems of a run configuration (plain nested dict), each naming the field and
    its allowed range; [] if it is valid. With ``model_fields`` false, the model's own
    fields and the policies' parameters are left out (the model checks them when it is
    built); unknown field names are still reported."""
    problems = []
    seed, years = cfg.get("seed"), cfg.get("years")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        problems.append(f"seed: {seed!r} is outside the allowed range: an integer in "
                        f"[0, {SEED_MAX}] (2^63 - 1)")
    if isinstance(years, bool) or not isinstance(years, int) or not 0 <= years <= 500:
        problems.append(f"years: {years!r} is outside the allowed range [0, 500] years")
    for key, none_ok in (("figures", True), ("compare_baseline", False), ("progress", False)):
        if key in cfg and not (isinstance(cfg[key], bool) or (none_ok and cfg[key] is None)):
            allowed = "true, false or null" if none_ok else "true or false"
            problems.append(f"{key}: {cfg[key]!r} must be {allowed}")
    try:
        sim_cfg = SimConfig.from_dict({k: v for k, v in cfg.items() if k not in RUN_KEYS},
                                      validate=False)
    except ConfigError as err:  # an unknown field name, a value where a mapping belongs
        return problems + err.messages()
    if not model_fields:
        return problems
    return problems + sim_cfg.problems() + check_policies(sim_cfg.policies)[1]


def run_warnings(cfg: dict[str, Any]) -> list[str]:
    """What is valid but probably not meant in a run configuration (a plain nested dict
    that :func:`check_config` accepts), one line each: a policy that starts after the last
    simulated year (or ends before it starts acting) never acts and costs nothing; a setting
    of the synthetic county given with a county table (``region.path``) is not used."""
    years = cfg.get("years")
    out = []
    for name, params in (cfg.get("policies") or {}).items():
        start = (params or {}).get("start_year", 1)
        if isinstance(years, int) and isinstance(start, int) and start > years:
            out.append(f"policies.{name}.start_year: {start} is after the last simulated "
                       f"year ({years}): the policy never acts and costs nothing")
    region = SimConfig.from_dict({"region": cfg.get("region") or {}}, validate=False).region
    unused = region.unused_with_path()
    if unused:
        out.append(", ".join(f"region.{k}" for k in unused) + ": not used with a county table "
                   f"(region.path={region.path}): the table gives the county's schools, pupils "
                   "and places")
    return out


def run_identity(cfg: dict[str, Any]) -> tuple[Any, Any, SimConfig]:
    """(seed, years, model configuration) of the run that the plain configuration ``cfg``
    makes: the run's own keys (:data:`RUN_KEYS`) removed.
    What a finished run is compared by (:func:`already_complete`; a sweep's rerun check
    in :mod:`experiments.callbacks`). The model configuration is not validated."""
    sim_cfg = SimConfig.from_dict({k: v for k, v in cfg.items() if k not in RUN_KEYS},
                                  validate=False)
    return cfg.get("seed"), cfg.get("years"), sim_cfg


def already_complete(out_dir: Path, seed: int, years: int, sim_cfg: SimConfig) -> bool:
    """Whether ``out_dir`` holds a finished run of exactly this configuration, made by a
    model that behaves as this one (:mod:`sim.behaviour`) (resume)."""
    import json

    from sim.behaviour import BEHAVIOUR, recorded_behaviour
    from sim.results import json_safe

    marker, summary = out_dir / "COMPLETE", out_dir / "summary.json"
    if not (marker.is_file() and summary.is_file()):
        return False
    try:
        done = json.loads(summary.read_text())
    except (OSError, ValueError):
        return False
    return (done.get("seed") == seed and done.get("years") == years
            and recorded_behaviour(done) == BEHAVIOUR
            and done.get("config") == json.loads(json.dumps(json_safe(sim_cfg.to_dict()))))


def run_from_config(cfg: dict[str, Any], out_dir: Path, progress: bool = False) -> Any:
    """Validate ``cfg`` (a plain nested dict), run the model, write outputs; returns the
    model, or None when ``out_dir`` already holds this finished run (a resumed sweep)."""
    from sim.model import EducationModel
    from sim.results import write_outputs

    if _region_choice() == "file" and not (cfg.get("region") or {}).get("path"):
        raise ConfigError.from_problems([
            "region.path: required with region=file: the county's school table (CSV or XLSX), "
            "e.g. region.path=examples/county_schools.csv"])
    # the run's own keys first; the model checks its fields and the policies once, when it
    # is built (before anything is written); on a problem, every problem is listed at once
    if check_config(cfg, model_fields=False):
        raise ConfigError.from_problems(check_config(cfg))
    seed, years, sim_cfg = run_identity(cfg)  # the model checks sim_cfg when it is built
    figures = cfg.get("figures")
    figures = (not _in_multirun()) if figures is None else figures
    compare = cfg.get("compare_baseline", True)
    if already_complete(out_dir, seed, years, sim_cfg):
        return None
    model = EducationModel(sim_cfg, rng=int(seed))
    steps = range(int(years))
    if progress:
        from tqdm import tqdm

        steps = tqdm(steps, desc=f"seed {seed}", unit="year", leave=False, file=sys.stderr)
    for _ in steps:
        model.step()
    baseline = None
    if compare and sim_cfg.policies:
        base_cfg = SimConfig.from_dict({**sim_cfg.to_dict(), "policies": {}}, validate=False)
        baseline = EducationModel(base_cfg, rng=int(seed)).run(int(years))
    write_outputs(model, out_dir, figures=figures, baseline=baseline)
    model.baseline = baseline
    return model


@hydra.main(config_path=CONFIG_DIR, config_name="config", version_base="1.3")
def _main(cfg: DictConfig) -> None:
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    container = OmegaConf.to_container(cfg, resolve=True)
    multirun = HydraConfig.get().mode.name == "MULTIRUN"
    try:
        model = run_from_config(container, out_dir, progress=bool(cfg.progress) and not multirun)
    except (ConfigError, FileNotFoundError) as err:
        _discard_run_dir(out_dir)
        print(f"edusim: {err}", file=sys.stderr)
        sys.exit(2)
    except ValueError as err:
        from sim.county_table import CountyTableError

        if not isinstance(err, CountyTableError):
            raise
        _discard_run_dir(out_dir)
        print(f"edusim: {err}", file=sys.stderr)
        sys.exit(2)
    if model is None:
        print(f"edusim: {out_dir} already holds this finished run; skipped", file=sys.stderr)
        return
    if multirun:
        return
    from sim.results import summary_table

    county = (f"county from {model.cfg.region.path}" if model.cfg.region.path
              else f"{model.cfg.region.preset} county")
    print(f"\nedusim: {county}, seed {model.seed}, {int(cfg.years)} years\n")
    print(summary_table(model))
    if model.cfg.region.path:
        print(f"\nCounty from {model.cfg.region.path}; synthesised where the tables are silent:")
        for note in model.synthesis_notes:
            print(f"  - {note}")
    if getattr(model, "baseline", None) is not None:
        from sim.results import compare_to_baseline, comparison_table

        print("\nAgainst the same-seed baseline (no policy):\n")
        print(comparison_table(compare_to_baseline(model, model.baseline)))
    print(f"\noutputs: {out_dir}")
    log.info("run finished: %s", out_dir)


def _region_choice() -> str | None:
    """The option of the ``region`` config group this run was composed with (None outside
    Hydra)."""
    try:
        return HydraConfig.get().runtime.choices.get("region")
    except ValueError:  # not running under Hydra
        return None


def _in_multirun() -> bool:
    try:
        return HydraConfig.get().mode.name == "MULTIRUN"
    except ValueError:  # not running under Hydra
        return False


def _discard_run_dir(out_dir: Path) -> None:
    """Remove a run directory that holds nothing but Hydra's own bookkeeping."""
    if not out_dir.is_dir():
        return
    leftovers = {p.name for p in out_dir.iterdir()} - {".hydra", "run.log", "main.log"}
    if not leftovers:
        shutil.rmtree(out_dir, ignore_errors=True)


def _app_values(config: DictConfig) -> dict[str, Any]:
    """The run's own values of ``config`` (without ``hydra``) as a plain dict, as the run
    will see them: interpolations resolved, or left as written where one resolves only
    inside the running job (``${hydra:...}``)."""
    app = OmegaConf.masked_copy(config, [k for k in config if k != "hydra"])
    try:
        return OmegaConf.to_container(app, resolve=True)
    except Exception:
        return OmegaConf.to_container(app, resolve=False)


def run_problems(config: DictConfig, values: dict[str, Any]) -> list[str]:
    """Every problem of a single run's composed ``config`` that can be found before
    anything is written: the run's and the model's values (:func:`check_config`), the
    county table of ``region=file`` (read and checked as the model will read it), and the
    output directory (it must be creatable and writable). ``values``: the run's own values
    of ``config`` (:func:`_app_values`)."""
    region = values.get("region") or {}
    choice = OmegaConf.select(config, "hydra.runtime.choices.region", default=None)
    if choice == "file" and not region.get("path"):
        return ["region.path: required with region=file: the county's school table (CSV or "
                "XLSX), e.g. region.path=examples/county_schools.csv"]
    problems = check_config(values)
    if not problems and region.get("path"):
        problems += table_problems(values)
    try:
        run_dir = OmegaConf.select(config, "hydra.run.dir", default=None)
    except Exception:  # an interpolation that resolves only inside the job
        run_dir = None
    if run_dir:
        from sim.terminal import output_dir_problem

        problems += [p for p in [output_dir_problem(str(run_dir), "hydra.run.dir")] if p]
    return problems


def table_problems(container: dict[str, Any]) -> list[str]:
    """The problems of the county table named by ``region.path`` (read as the model reads
    it); [] if it loads."""
    from sim.construction import load_region_table
    from sim.county_table import CountyTableError

    sim_cfg = SimConfig.from_dict({k: v for k, v in container.items() if k not in RUN_KEYS},
                                  validate=False)
    try:
        load_region_table(sim_cfg.region)
    except (CountyTableError, FileNotFoundError, ConfigError) as err:
        return [str(err).strip()]
    return []


class ValidateRun(Callback):
    """Before a single run makes its output directory: stop with exit code 2 and every
    problem of the configuration (:func:`run_problems`), so a mistake leaves nothing behind.
    (A sweep checks its jobs in :class:`experiments.callbacks.ValidateSweep`.)"""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        from experiments.hydra_errors import as_typed

        task = OmegaConf.select(config, "hydra.overrides.task", default=None) or []
        values = as_typed(_app_values(config), task, RunConfig)  # figures=2 as typed
        problems = run_problems(config, values)
        if not problems:
            for warning in run_warnings(values):
                print(f"edusim: warning: {warning}", file=sys.stderr)
        if problems:
            lines = [line for p in problems for line in ConfigError(p).messages()]
            print("edusim: invalid configuration (nothing was written):\n  "
                  + "\n  ".join(lines), file=sys.stderr)
            sys.exit(2)


def main() -> None:
    """Console entry point (``edusim``)."""
    from experiments.hydra_errors import run_app

    register_schema()
    try:
        run_app("edusim", _main, RunConfig)
    except OSError as err:  # an output location that cannot be written after all
        where = f" {err.filename}" if err.filename else ""
        print(f"edusim: cannot write{where}: {err.strerror or err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
