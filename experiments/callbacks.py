"""Hydra callbacks of the ``edusim`` app (registered in configs/config.yaml).

* :class:`ValidateSweep` — before a multirun launches anything, every job's configuration is
  built and validated (types by Hydra, ranges by :mod:`sim.config`). One bad value anywhere
  in the sweep stops it with one clear message naming the field, the allowed range and the
  job's overrides, exit code 2, and no run directory is created.
* :class:`SweepProgress` — after each job, one line ``[edusim] sweep 7/20 runs done`` on
  stderr (readable under the joblib launcher, where workers' progress bars would collide).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict

SWEEP_FILE = "sweep.json"


def sweep_jobs(config: DictConfig) -> tuple[list[list[str]], set[str]]:
    """The override lists of every job of the multirun about to start (basic sweeper
    semantics: the cartesian product of the sweep's and the command line's overrides), and
    the keys that are not yet applied to ``config`` (swept keys and the sweep's params)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    params = OmegaConf.select(config, "hydra.sweeper.params") or {}
    args = [f"{k}={v}" for k, v in params.items()]
    cli = list(OmegaConf.select(config, "hydra.overrides.task") or [])
    parser = OverridesParser.create()
    pending = {o.get_key_element() for o in parser.parse_overrides(args)}
    pending |= {o.get_key_element() for o in parser.parse_overrides(cli) if o.is_sweep_override()}
    jobs = BasicSweeper.split_arguments(parser.parse_overrides(args + cli), None)[0]
    return jobs, pending


def validate_job(config: DictConfig, overrides: list[str], pending: set[str]) -> list[str]:
    """Problems (field, value, allowed range) of one job's configuration; [] if valid.
    Only the ``pending`` overrides are applied: the others are already in ``config``."""
    from hydra._internal.config_loader_impl import ConfigLoaderImpl
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from experiments.run import check_config

    cfg = OmegaConf.create(OmegaConf.to_container(config, resolve=False))
    with open_dict(cfg):
        cfg.pop("hydra", None)
    parsed = OverridesParser.create().parse_overrides(overrides)
    # config-group choices (region=county_l) are checked by Hydra itself at composition
    values = [o for o in parsed if o.get_key_element() in pending and "/" not in o.key_or_group
              and o.key_or_group not in _groups(config)]
    try:
        ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
        container = OmegaConf.to_container(cfg, resolve=False)
    except Exception as err:  # a type error, reported as Hydra words it
        return [str(err).splitlines()[0]]
    return check_config(container)


def _groups(config: DictConfig) -> set[str]:
    choices = OmegaConf.select(config, "hydra.runtime.choices") or {}
    return {k for k in choices if not k.startswith("hydra/")}


class ValidateSweep(Callback):
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        jobs, pending = sweep_jobs(config)
        for overrides in jobs:
            problems = validate_job(config, overrides, pending)
            if problems:
                print("edusim: invalid configuration in the sweep (no run was started):\n  "
                      + "\n  ".join(problems) + "\n  job overrides: " + " ".join(overrides),
                      file=sys.stderr)
                sys.exit(2)
        sweep_dir = Path(str(config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        (sweep_dir / SWEEP_FILE).write_text(json.dumps({"jobs": jobs}, indent=1))
        print(f"[edusim] sweep of {len(jobs)} runs into {sweep_dir}", file=sys.stderr, flush=True)


class SweepProgress(Callback):
    def on_job_end(self, config: DictConfig, job_return: Any = None, **kwargs: Any) -> None:
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode

        hc = HydraConfig.get()
        if hc.mode != RunMode.MULTIRUN:
            return
        sweep_dir = Path(hc.sweep.dir)
        try:
            total = len(json.loads((sweep_dir / SWEEP_FILE).read_text())["jobs"])
        except (OSError, ValueError, KeyError):
            total = None
        done = sum(1 for _ in sweep_dir.glob("**/COMPLETE"))
        status = "done" if job_return is None or job_return.status.name == "COMPLETED" else "FAILED"
        this = " ".join(hc.overrides.task)
        print(f"[edusim] sweep {done}/{total if total is not None else '?'} runs done "
              f"(job {hc.job.num} {status}: {this})", file=sys.stderr, flush=True)
