"""The ``edusim`` Ray launcher (``hydra/launcher=ray_cluster``): the jobs of a sweep as Ray
tasks on a running Ray cluster, each run by the workstation launcher's worker function
(:func:`hydra_plugins.edusim_sweeper._worker.execute_job`).

It takes the settings of Hydra's Ray launcher plugin (hydra-ray-launcher), which it
replaces: ``ray.init`` holds the arguments of ``ray.init()`` (``address``: the cluster's
head, ``HOST:PORT`` or ``auto``) and ``ray.remote`` those of ``ray.remote()`` for every job
(e.g. ``num_cpus``). That plugin pinned the whole environment to ``cloudpickle<3`` (and so
to ``joblib<1.6``); this one calls Ray only, which brings its own cloudpickle, and imports
it only when it launches, so the plugin scan of an install without the ``cluster`` extra
is unaffected.

As in the workstation launcher, what the jobs of a launch share (the Hydra context, the
master configuration, the task function and Hydra's global state, ``Singleton.get_state``)
is pickled once, and put in Ray's object store once; a Ray worker process unpickles it and
installs the state for its first job of the launch only, and composes a job's
configuration from scratch once per shape of job (see
:mod:`hydra_plugins.edusim_sweeper.edusim_launcher`). Ray reuses its worker processes
across tasks, and ends them when the launching process (the Ray driver) is gone.

Only Hydra's plugin interface (``hydra.core.utils``, ``Singleton``, ``Launcher``) and Ray's
public API (``ray.is_initialized``, ``ray.init``, ``ray.put``, ``ray.remote``, ``ray.get``)
are used; ``tests/test_sweeps.py`` runs sweeps against a Ray head on 127.0.0.1 and compares
them with the serial launcher's.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn, filter_overrides
from omegaconf import DictConfig, OmegaConf

from hydra_plugins.edusim_sweeper._worker import execute_job
from hydra_plugins.edusim_sweeper.edusim_launcher import WorkerLauncher

log = logging.getLogger(__name__)


@dataclass
class RaySettings:
    #: the arguments of ``ray.init()``; ``address: null`` starts a local Ray instead
    init: dict[str, Any] = field(default_factory=lambda: {"address": None})
    #: the arguments of ``ray.remote()`` for every job
    remote: dict[str, Any] = field(default_factory=dict)


@dataclass
class EdusimRayLauncherConf:
    _target_: str = "hydra_plugins.edusim_sweeper.edusim_ray_launcher.EdusimRayLauncher"
    ray: RaySettings = field(default_factory=RaySettings)


ConfigStore.instance().store(group="hydra/launcher", name="edusim_ray",
                             node=EdusimRayLauncherConf, provider="edusim")


def ray_arguments(settings: Any) -> dict[str, Any]:
    """The keyword arguments in a ``ray.init``/``ray.remote`` settings node, resolved; the
    settings whose value is ``null`` are left out (Ray's default applies)."""
    if settings is None:
        return {}
    if isinstance(settings, DictConfig):
        settings = OmegaConf.to_container(settings, resolve=True)
    return {k: v for k, v in dict(settings).items() if v is not None}


def import_ray() -> Any:
    try:
        import ray
    except ImportError as err:
        raise ImportError("hydra/launcher=ray_cluster needs Ray: install edusim with the "
                          "cluster extra (pip install 'edusim[cluster]')") from err
    return ray


class EdusimRayLauncher(WorkerLauncher):
    """The Ray launcher; its settings are those of Hydra's Ray launcher plugin
    (``ray.init``, ``ray.remote``)."""

    def __init__(self, ray: Any) -> None:
        super().__init__()
        self.ray = ray

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        ray = import_ray()
        sweep_dir = self.start()
        log.info("Ray Launcher is launching %d jobs, sweep output dir: %s",
                 len(job_overrides), sweep_dir)
        if ray.is_initialized():
            log.info("Ray is already running")
        else:
            init = ray_arguments(self.ray["init"])
            log.info("Initializing Ray with %s", init)
            ray.init(**init)
        remote = ray_arguments(self.ray["remote"])
        job = ray.remote(**remote)(execute_job) if remote else ray.remote(execute_job)
        for idx, overrides in enumerate(job_overrides):
            log.info("\t#%d : %s", initial_job_idx + idx, " ".join(filter_overrides(overrides)))
        # what every job of the launch shares: pickled and stored once (see _worker)
        shared = ray.put(self.shared_state())
        launch_id = uuid.uuid4().hex
        runs = ray.get([job.remote(initial_job_idx + idx, list(overrides), shared, self.token,
                                   launch_id) for idx, overrides in enumerate(job_overrides)])
        assert all(isinstance(r, JobReturn) for r in runs)
        return runs
