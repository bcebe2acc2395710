"""The worker side of the ``edusim`` workstation launcher
(:mod:`hydra_plugins.edusim_sweeper.edusim_launcher`): one job in a worker process.

A worker composes the configuration of a job from scratch (Hydra's ``load_sweep_config``)
only for the first job of each *shape* and makes the next jobs of that shape from a copy
of it (see the launcher's docstring), and takes what the jobs of a launch share from its
first job of the launch. Both are kept in this module (``_COMPOSED``, ``_SHARED``), which is
not a plugin module: Hydra's plugin scan, which runs whenever Hydra's global state is
installed (``Singleton.set_state``), executes every plugin module anew, which would reset
what such a module keeps; modules whose name starts with ``_`` are skipped by the scan.
Being imported by name, ``execute_job`` also reaches the workers by reference (Hydra's
plugin modules are not all entered in ``sys.modules``, and joblib would send a function of
such a module by value, with a fresh copy of its globals in every job).

A worker also watches the launching process (:func:`watch_launcher`): when that process is
gone (killed, even by SIGKILL, which it cannot pass on), the worker stops its job and
exits within a few seconds, instead of running on, unseen, for minutes.
"""

import copy
import functools
import os
import pickle
import re
import threading
import time
from collections.abc import Sequence
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, run_job, setup_globals
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf, open_dict

from hydra_plugins.edusim_sweeper.edusim_sweeper import config_groups, job_shape

#: per worker process: (launch token, job shape) -> the configuration Hydra composed for
#: the first job of that shape
_COMPOSED: dict[tuple[str, tuple[str, ...]], DictConfig] = {}


#: per worker process: the launch whose shared objects this worker holds -> (Hydra context,
#: master configuration, task function); its Hydra state is installed when they arrive
_SHARED: dict[str, tuple[HydraContext, DictConfig, TaskFunction]] = {}


#: seconds between two looks of a worker at its launching process (assumption: a worker of
#: a killed sweep stops within about a second, for one system call per look)
WATCH_INTERVAL = 0.5
#: seconds a worker's job has, once its launcher is gone, to stop at its next Python
#: statement (a half-written file is removed, as atomic writes do on any error) before the
#: worker exits regardless (assumption: a step or a file write of a run takes well under it)
STOP_GRACE = 2.0
#: per worker process: the launching process it watches (one watchdog per process)
_WATCHED: list[int] = []


class LauncherGone(BaseException):
    """Raised in a worker's running job when the launching process is gone
    (:func:`watch_launcher`); a BaseException, so that no ``except Exception`` in the job
    or in Hydra's ``run_job`` takes it for the job's own failure."""


def watch_launcher(launcher_pid: int) -> None:
    """In a worker process of the launcher whose process id is ``launcher_pid``, start (once)
    a daemon thread that ends this process when the launcher is gone: it raises
    :class:`LauncherGone` in the main thread, where the job runs (so ``finally`` blocks
    tidy up), and :data:`STOP_GRACE` seconds later exits the process regardless. Nothing
    happens in the launching process itself (a sequential launch).

    A loky worker is a child of the launching process (loky starts its workers from it),
    so the launcher is gone when the worker's parent changes (it is then re-parented):
    this holds however the launcher died, and unlike the launcher's process id it cannot be
    mistaken for a new process that reuses the id. A worker started by another process
    looks for ``launcher_pid`` itself instead. (Not a signal: loky workers may ignore
    SIGINT, and only the main thread may set a signal handler.)"""
    if launcher_pid == os.getpid() or _WATCHED:
        return
    _WATCHED.append(launcher_pid)
    child = os.getppid() == launcher_pid
    main = threading.main_thread().ident

    def gone() -> bool:
        if child:
            return os.getppid() != launcher_pid
        try:
            os.kill(launcher_pid, 0)
        except ProcessLookupError:
            return True
        except OSError:  # there, but another user's
            return False
        return False

    def watch() -> None:
        while not gone():
            time.sleep(WATCH_INTERVAL)
        _raise_in_thread(main, LauncherGone)
        time.sleep(STOP_GRACE)
        os._exit(1)

    threading.Thread(target=watch, name="edusim-launcher-watch", daemon=True).start()


def _raise_in_thread(ident: int | None, exc: type[BaseException]) -> None:
    """Raise ``exc`` in the thread ``ident`` at its next Python statement (CPython's
    ``PyThreadState_SetAsyncExc``; elsewhere nothing happens)."""
    import ctypes

    api = getattr(ctypes, "pythonapi", None)
    if ident is None or api is None or not hasattr(api, "PyThreadState_SetAsyncExc"):
        return
    api.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc))


@functools.cache
def _parser() -> OverridesParser:
    return OverridesParser.create()


def overrides_dirname(overrides: Sequence[Override], exclude_keys: Sequence[str],
                      item_sep: str, kv_sep: str) -> str:
    """``hydra.job.override_dirname`` for a job's app ``overrides``, as Hydra's config loader
    makes it: the overrides as typed, except those of ``exclude_keys``, sorted, joined by
    ``item_sep``, with every ``=`` replaced by ``kv_sep`` (by ``re.sub``, as Hydra does)."""
    lines = sorted(o.input_line for o in overrides if o.key_or_group not in exclude_keys)
    return re.sub("=", kv_sep, item_sep.join(lines))


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
    cfg.hydra.job.override_dirname = overrides_dirname(
        app, exclude_keys=names.exclude_keys, item_sep=names.item_sep, kv_sep=names.kv_sep)
    OmegaConf.copy_cache(from_config=master, to_config=cfg)
    return cfg


def execute_job(idx: int, overrides: Sequence[str], shared: bytes, token: str,
                launch_id: str, launcher_pid: int | None = None) -> JobReturn:
    """One job in a worker: Hydra's joblib ``execute_job`` with :func:`compose_job`.

    ``shared`` is the launch's ``(hydra_context, master config, task_function,
    singleton_state)``, pickled once by the launcher; a worker unpickles it, and installs
    the Hydra state, for its first job of the launch only. The later jobs of the launch run
    with the same objects, in the state the earlier ones left, as every job of Hydra's
    basic launcher does. With ``launcher_pid`` (the launching process), a worker process
    stops when that process is gone (:func:`watch_launcher`)."""
    if launcher_pid is not None:
        watch_launcher(launcher_pid)
    try:
        return _execute_job(idx, overrides, shared, token, launch_id)
    except LauncherGone:  # the job has stopped and tidied up: nobody waits for its result
        os._exit(1)


def _execute_job(idx: int, overrides: Sequence[str], shared: bytes, token: str,
                 launch_id: str) -> JobReturn:
    setup_globals()
    if launch_id not in _SHARED:
        hydra_context, config, task_function, singleton_state = pickle.loads(shared)
        Singleton.set_state(singleton_state)
        _SHARED.clear()  # an earlier launch's objects
        _SHARED[launch_id] = (hydra_context, config, task_function)
    hydra_context, config, task_function = _SHARED[launch_id]
    sweep_config = compose_job(hydra_context, config, overrides, token)
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    HydraConfig.instance().set_config(sweep_config)
    return run_job(hydra_context=hydra_context, config=sweep_config,
                   task_function=task_function, job_dir_key="hydra.sweep.dir",
                   job_subdir_key="hydra.sweep.subdir")
