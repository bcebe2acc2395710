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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hydra
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from sim.config import ConfigError, SimConfig, param
from sim.policies import check_policies

log = logging.getLogger("edusim")

CONFIG_DIR = str(Path(__file__).resolve().parent.parent / "configs")


@dataclass
class SensitivityRow:
    """One row of a sensitivity design applied as overrides (experiments.calibration)."""

    design: str | None = param(None, doc="design CSV written by experiments.calibration."
                                         "sensitivity (None: no design row applied)")
    row: int | None = param(None, "row", 0, None, doc="row of the design to apply")


@dataclass
class RunConfig(SimConfig):
    """The model's parameters plus what a run needs (the Hydra schema)."""

    seed: int = param(0, "", 0, 2**63 - 1, doc="integer seed of the run")
    years: int = param(20, "years", 0, 500, doc="simulated school years after year 0")
    figures: bool | None = param(
        None, doc="write equity.png (None: for single runs, not for the runs of a sweep, "
                  "whose figures edusim-figures makes)")
    compare_baseline: bool = param(
        True, doc="when policies are on, also run the same-seed baseline and compare")
    progress: bool = param(True, doc="show a progress bar for a single run")
    sensitivity: SensitivityRow = field(default_factory=SensitivityRow)


def register_schema() -> None:
    ConfigStore.instance().store(name="edusim_schema", node=RunConfig)


RUN_KEYS = ("seed", "years", "figures", "compare_baseline", "progress", "hydra", "sensitivity")


def check_config(cfg: dict[str, Any], model_fields: bool = True) -> list[str]:
    """All problems of a run configuration (plain nested dict), each naming the field and
    its allowed range; [] if it is valid. With ``model_fields`` false, the model's own
    fields and the policies' parameters are left out (the model checks them when it is
    built); unknown field names are still reported."""
    problems = []
    seed, years = cfg.get("seed"), cfg.get("years")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        problems.append(f"seed: {seed!r} must be an integer ≥ 0")
    if isinstance(years, bool) or not isinstance(years, int) or not 0 <= years <= 500:
        problems.append(f"years: {years!r} is outside the allowed range [0, 500] years")
    for key, none_ok in (("figures", True), ("compare_baseline", False), ("progress", False)):
        if key in cfg and not (isinstance(cfg[key], bool) or (none_ok and cfg[key] is None)):
            allowed = "true, false or null" if none_ok else "true or false"
            problems.append(f"{key}: {cfg[key]!r} must be {allowed}")
    # sensitivity analysis: a design row's parameter values become overrides
    from experiments.calibration.sensitivity import apply_design_row
    try:
        cfg = apply_design_row(cfg)
    except ConfigError as err:
        return problems + [str(err)]
    try:
        sim_cfg = SimConfig.from_dict({k: v for k, v in cfg.items() if k not in RUN_KEYS},
                                      validate=False)
    except ConfigError as err:  # an unknown field name, a value where a mapping belongs
        return problems + err.messages()
    if not model_fields:
        return problems
    return problems + sim_cfg.problems() + check_policies(sim_cfg.policies)[1]


def already_complete(out_dir: Path, seed: int, years: int, sim_cfg: SimConfig) -> bool:
    """Whether ``out_dir`` holds a finished run of exactly this configuration (resume)."""
    import json

    from sim.results import json_safe

    marker, summary = out_dir / "COMPLETE", out_dir / "summary.json"
    if not (marker.is_file() and summary.is_file()):
        return False
    try:
        done = json.loads(summary.read_text())
    except (OSError, ValueError):
        return False
    return (done.get("seed") == seed and done.get("years") == years
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
    from experiments.calibration.sensitivity import apply_design_row

    cfg = apply_design_row(cfg)  # a sensitivity design row, if any, as overrides
    seed, years = cfg.pop("seed"), cfg.pop("years")
    figures = cfg.pop("figures", None)
    figures = (not _in_multirun()) if figures is None else figures
    compare = cfg.pop("compare_baseline", True)
    cfg.pop("progress", None)
    cfg.pop("hydra", None)
    sim_cfg = SimConfig.from_dict(cfg, validate=False)  # the model checks it
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
        base_cfg = SimConfig.from_dict({**cfg, "policies": {}}, validate=False)
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


def main() -> None:
    """Console entry point (``edusim``)."""
    register_schema()
    _main()


if __name__ == "__main__":
    main()
