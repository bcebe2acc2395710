"""The ``edusim`` workstation launcher (``hydra/launcher=workstation``): Hydra's joblib
launcher, except that a worker composes the configuration of a job from scratch only once
per *shape* of job.

Hydra's joblib launcher composes every job's whole configuration in the worker (defaults
list, config files, schema merge: ≈ 0.25 s a job here, an eighth of a 30-year county_l run).
Jobs of one shape (:func:`~hydra_plugins.edusim_sweeper.edusim_sweeper.job_shape`: the same
overrides up to the values of plain ``key=value`` overrides of existing leaf settings) differ
only in those values, so a worker composes the first job of a shape with Hydra and makes the
next ones from a copy of it: each plain override is applied as Hydra applies it
(``OmegaConf.update(cfg, key, value, merge=True)``), and the fields Hydra derives from the
overrides (``hydra.overrides.task``, ``hydra.job.override_dirname``) are set the same way.
A job whose plain overrides could interact with its other overrides (the same key twice, a
key inside another override's key, Hydra's own settings) is composed by Hydra in full.
``tests/test_sweeps.py`` checks that every job gets the configuration Hydra composes.
"""

import copy
import functools
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra._internal.config_loader_impl import get_overrides_dirname
from hydra.core.config_store import ConfigStore
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra.types import HydraContext, TaskFunction
from hydra_plugins.hydra_joblib_launcher._core import process_joblib_cfg
from hydra_plugins.hydra_joblib_launcher.config import JobLibLauncherConf
from hydra_plugins.hydra_joblib_launcher.joblib_launcher import JoblibLauncher
from omegaconf import DictConfig, OmegaConf, open_dict

from hydra_plugins.edusim_sweeper.edusim_sweeper import config_groups, job_shape

log = logging.getLogger(__name__)


@dataclass
class EdusimLauncherConf(JobLibLauncherConf):
    _target_: str = "hydra_plugins.edusim_sweeper.edusim_launcher.EdusimLauncher"


ConfigStore.instance().store(group="hydra/launcher", name="edusim_joblib",
                             node=EdusimLauncherConf, provider="edusim")

#: per worker process: (launch token, job shape) -> the configuration Hydra composed for
#: the first job of that shape
_COMPOSED: dict[tuple[str, tuple[str, ...]], DictConfig] = {}


@functools.cache
def _parser() -> OverridesParser:
    return OverridesParser.create()


def _plain_positions(master: DictConfig, overrides: Sequence[str]
                     ) -> tuple[tuple[str, ...], list[Any], list[int] | None]:
    """The job's shape, its parsed overrides and the positions of its plain overrides
    (those the shape replaces by ``key=*``), or None for the positions when the job must be
    composed in full (see the module docstring)."""
    shape = job_shape(master, overrides, parser=_parser(), groups=config_groups(master))
    parsed = _parser().parse_overrides(list(overrides))
    plain = [i for i, s in enumerate(shape) if s != overrides[i]]
    keys = [o.key_or_group for o in parsed]
    for i in plain:
        k = keys[i]
        if parsed[i].is_hydra_override():
            return shape, parsed, None
        for j, other in enumerate(keys):
            if j != i and (other == k or other.startswith(k + ".") or k.startswith(other + ".")):
                return shape, parsed, None
    return shape, parsed, plain


def compose_job(hydra_context: HydraContext, master: DictConfig, overrides: Sequence[str],
                token: str) -> DictConfig:
    """The configuration of the job with ``overrides`` (what Hydra's
    ``load_sweep_config(master, overrides)`` returns), from this worker's composition of a
    job of the same shape when there is one."""
    shape, parsed, plain = _plain_positions(master, overrides)
    base = _COMPOSED.get((token, shape)) if plain is not None else None
    if base is None:
        cfg = hydra_context.config_loader.load_sweep_config(master, list(overrides))
        if plain is not None:
            if len(_COMPOSED) > 64:  # shapes of earlier sweeps of this process
                _COMPOSED.clear()
            _COMPOSED[(token, shape)] = copy.deepcopy(cfg)
        return cfg
    cfg = copy.deepcopy(base)
    for i in plain:
        OmegaConf.update(cfg, parsed[i].key_or_group, parsed[i].value(), merge=True)
    app = [o for o in parsed if not o.is_hydra_override()]
    cfg.hydra.overrides.task = [o.input_line for o in app]
    names = cfg.hydra.job.config.override_dirname
    cfg.hydra.job.override_dirname = get_overrides_dirname(
        overrides=app, kv_sep=names.kv_sep, item_sep=names.item_sep,
        exclude_keys=names.exclude_keys)
    OmegaConf.copy_cache(from_config=master, to_config=cfg)
    return cfg


def execute_job(idx: int, overrides: Sequence[str], hydra_context: HydraContext,
                config: DictConfig, task_function: TaskFunction,
                singleton_state: dict[Any, Any], token: str) -> JobReturn:
    """One job in a worker (Hydra's joblib ``execute_job`` with :func:`compose_job`)."""
    setup_globals()
    Singleton.set_state(singleton_state)
    sweep_config = compose_job(hydra_context, config, overrides, token)
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    HydraConfig.instance().set_config(sweep_config)
    return run_job(hydra_context=hydra_context, config=sweep_config,
                   task_function=task_function, job_dir_key="hydra.sweep.dir",
                   job_subdir_key="hydra.sweep.subdir")


class EdusimLauncher(JoblibLauncher):
    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        super().setup(hydra_context=hydra_context, task_function=task_function, config=config)
        self.token = uuid.uuid4().hex  # this sweep's compositions, in workers kept alive

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        from joblib import Parallel, delayed

        setup_globals()
        assert self.config is not None and self.task_function is not None
        assert self.hydra_context is not None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        joblib_cfg = self.joblib
        joblib_cfg["backend"] = "loky"  # as Hydra's joblib launcher: threads do not work
        process_joblib_cfg(joblib_cfg)
        log.info("Joblib.Parallel(%s) is launching %d jobs",
                 ",".join(f"{k}={v}" for k, v in joblib_cfg.items()), len(job_overrides))
        log.info("Launching jobs, sweep output dir : %s", sweep_dir)
        for idx, overrides in enumerate(job_overrides):
            log.info("\t#%d : %s", idx, " ".join(filter_overrides(overrides)))
        singleton_state = Singleton.get_state()
        runs = Parallel(**joblib_cfg)(
            delayed(execute_job)(initial_job_idx + idx, overrides, self.hydra_context,
                                 self.config, self.task_function, singleton_state, self.token)
            for idx, overrides in enumerate(job_overrides))
        assert isinstance(runs, list) and all(isinstance(r, JobReturn) for r in runs)
        return runs
