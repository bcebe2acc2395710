"""The ``edusim`` workstation launcher (``hydra/launcher=workstation``): Hydra's joblib
launcher, except that a worker composes the configuration of a job from scratch only once
per *shape* of job, and receives and installs what the jobs of a launch share (the Hydra
context, the master configuration, the task function, Hydra's global state) only once.

Hydra's joblib launcher, in every job, composes the job's whole configuration in the worker
(defaults list, config files, schema merge: 0.1–0.15 s here, against 0.01 s for a copy) and
installs the launch's Hydra state, which scans every Hydra plugin module and executes it
again (0.04 s); and every job carries its own pickled copy of the Hydra context, the
master configuration and that state (≈ 20 ms to pickle in the launching process, which
shares the cores with the workers, and 10 ms to unpickle). Jobs of one shape
(:func:`~hydra_plugins.edusim_sweeper.edusim_sweeper.job_shape`: the same overrides up to the
values of plain ``key=value`` overrides of existing leaf settings) differ only in those
values, so a worker composes the first job of a shape with Hydra and makes the next ones
from a copy of it: each plain override is applied as Hydra applies it
(``OmegaConf.update(cfg, key, value, merge=True)``), and the fields Hydra derives from the
overrides (``hydra.overrides.task``, ``hydra.job.override_dirname``) are set the same way.
A job whose plain overrides could interact with its other overrides (the same key twice, a
key inside another override's key, Hydra's own settings) is composed by Hydra in full.
The worker's side is :mod:`hydra_plugins.edusim_sweeper._worker` (which also ends a
worker soon after the launching process is gone, however it died);
``tests/test_sweeps.py`` checks that every job gets the configuration Hydra composes, and
that a real sweep's workers reuse their compositions.

Only Hydra's plugin interface is used: ``hydra.core.utils`` (``run_job``, ``setup_globals``,
``configure_log``, ``filter_overrides``, ``JobReturn``), ``HydraConfig``, the config
loader's ``load_sweep_config``, the launcher's settings from the joblib plugin's public
``config`` module, and ``Singleton.get_state``/``set_state``, which Hydra's example
launcher plugin tells launchers that run jobs in other processes to use. The two private
helpers the joblib launcher calls are a few lines here (:func:`joblib_arguments`) and in
the worker (``overrides_dirname``); ``tests/test_launcher.py`` checks them against Hydra's.
"""

import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cloudpickle
from hydra.core.config_store import ConfigStore
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from hydra_plugins.hydra_joblib_launcher.config import JobLibLauncherConf
from omegaconf import DictConfig

from hydra_plugins.edusim_sweeper._worker import execute_job

log = logging.getLogger(__name__)


@dataclass
class EdusimLauncherConf(JobLibLauncherConf):
    _target_: str = "hydra_plugins.edusim_sweeper.edusim_launcher.EdusimLauncher"


ConfigStore.instance().store(group="hydra/launcher", name="edusim_joblib",
                             node=EdusimLauncherConf, provider="edusim")


def joblib_arguments(launcher_config: dict[str, Any]) -> dict[str, Any]:
    """The arguments of ``joblib.Parallel`` for the launcher's configuration, as Hydra's
    joblib launcher makes them: the ``loky`` backend (threads do not work with Hydra), and
    ``pre_dispatch``, ``batch_size`` and ``max_nbytes`` as integers where they are numbers
    (``"2*n_jobs"``, ``"auto"`` and ``"1M"`` stay strings)."""
    kwargs = {**launcher_config, "backend": "loky"}
    for k in ("pre_dispatch", "batch_size", "max_nbytes"):
        if kwargs.get(k):
            try:
                kwargs[k] = int(kwargs[k])
            except ValueError:
                pass
    return kwargs


class WorkerLauncher(Launcher):
    """What edusim's launchers share: the launch's Hydra state, set up once, and sent to
    workers that run jobs with :func:`~hydra_plugins.edusim_sweeper._worker.execute_job`."""

    def __init__(self) -> None:
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        self.config, self.task_function = config, task_function
        self.hydra_context = hydra_context
        self.token = uuid.uuid4().hex  # this sweep's compositions, in workers kept alive

    def start(self) -> Path:
        """Hydra's globals and logging for a launch; returns the sweep folder (made)."""
        setup_globals()
        assert self.config is not None and self.task_function is not None
        assert self.hydra_context is not None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        return sweep_dir

    def shared_state(self) -> bytes:
        """What every job of the launch shares, pickled once here (not once per job) and
        unpickled once per worker (see _worker.execute_job)."""
        return cloudpickle.dumps((self.hydra_context, self.config, self.task_function,
                                  Singleton.get_state()))


class EdusimLauncher(WorkerLauncher):
    """The workstation launcher; its settings are those of Hydra's joblib launcher (the
    arguments of ``joblib.Parallel``)."""

    def __init__(self, **joblib: Any) -> None:
        super().__init__()
        self.joblib = joblib

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        from joblib import Parallel, delayed

        sweep_dir = self.start()
        joblib_cfg = joblib_arguments(self.joblib)
        log.info("Joblib.Parallel(%s) is launching %d jobs",
                 ",".join(f"{k}={v}" for k, v in joblib_cfg.items()), len(job_overrides))
        log.info("Launching jobs, sweep output dir : %s", sweep_dir)
        for idx, overrides in enumerate(job_overrides):
            log.info("\t#%d : %s", idx, " ".join(filter_overrides(overrides)))
        shared = self.shared_state()
        launch_id = uuid.uuid4().hex
        # the workers stop when this process is gone, even killed by SIGKILL (watch_launcher)
        runs = Parallel(**joblib_cfg)(
            delayed(execute_job)(initial_job_idx + idx, overrides, shared, self.token,
                                 launch_id, os.getpid())
            for idx, overrides in enumerate(job_overrides))
        assert isinstance(runs, list) and all(isinstance(r, JobReturn) for r in runs)
        return runs
