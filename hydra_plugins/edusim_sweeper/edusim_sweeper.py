"""The ``edusim`` sweeper (``hydra/sweeper=edusim``, the default of the ``edusim`` app).

Hydra's basic sweeper composes every job's whole configuration in the launching process
before it starts any job, only to check that the overrides can be applied; the launcher's
workers then compose each job again. For a sweep of hundreds of runs that serial check
costs more than the runs' own set-up (≈ 0.2 s a job: 45 s for 210 jobs on a 2-core machine,
before the first run starts).

This sweeper is the basic sweeper (same job list, order, batches and ``params``) except for
that check: it composes one job of each *shape* — the job's overrides with the values of
plain ``key=value`` overrides of existing leaf settings left out — because jobs of one shape
apply the same overrides to the same keys and can only differ in values. Before the sweeper
runs, :class:`experiments.callbacks.ValidateSweep` composes the same representatives (so a
bad key or group option stops the sweep with one message before any directory is made) and
checks the values of every job (types and allowed ranges, naming the field), so nothing the
basic sweeper would have caught is missed.

It is written on Hydra's public sweeper interface (``hydra.plugins.sweeper.Sweeper``), not as
a subclass of the basic sweeper, whose module is private to Hydra (``hydra._internal``): what
it takes from the basic sweeper is the job list (:func:`split_arguments`, the cartesian
product of the swept values in command-line order, cut into batches of ``max_batch_size``)
and its loop (save ``multirun.yaml``, check a batch, launch it, raise a failed job's error).
``tests/test_launcher.py`` checks that the job lists equal the basic sweeper's.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from hydra.core.utils import JobReturn
from hydra.errors import HydraException
from hydra.plugins.launcher import Launcher
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf


@dataclass
class EdusimSweeperConf:
    _target_: str = "hydra_plugins.edusim_sweeper.edusim_sweeper.EdusimSweeper"
    # no `from __future__ import annotations` here: Hydra loads plugin modules without
    # registering them in sys.modules, and OmegaConf reads these annotations as types
    max_batch_size: int | None = None
    params: dict[str, str] | None = None
    # replace finished runs of another configuration in the sweep directory (see EdusimSweeper)
    overwrite: bool = False


ConfigStore.instance().store(group="hydra/sweeper", name="edusim", node=EdusimSweeperConf,
                             provider="edusim")


def config_groups(config: DictConfig) -> set[str]:
    """The app's config groups chosen in ``config`` (``region``, ``policy``, ...; not
    Hydra's own ``hydra/...`` groups)."""
    choices = OmegaConf.select(config, "hydra.runtime.choices") or {}
    return {k for k in choices if not k.startswith("hydra/")}


def is_plain_override(o: Any) -> bool:
    """Whether the parsed override ``o`` is a plain ``key=value`` setting: no package, not
    an addition or deletion, not a config-group path, and a scalar value (not a mapping or
    a list)."""
    return (o.package is None and not o.is_add() and not o.is_force_add()
            and not o.is_delete() and "/" not in o.key_or_group and "@" not in o.input_line
            and not isinstance(o.value(), (dict, list)))


def job_shape(config: DictConfig, overrides: Sequence[str], *,
              parser: OverridesParser | None = None,
              groups: set[str] | None = None) -> tuple[str, ...]:
    """``overrides`` with the value of each plain ``key=value`` override of an existing leaf
    setting of ``config`` (not a config group, not a mapping) replaced by ``*``.
    ``parser`` and ``groups`` (:func:`config_groups`) may be passed to reuse them."""
    parser = parser or OverridesParser.create()
    groups = config_groups(config) if groups is None else groups
    shape = []
    for o in parser.parse_overrides(list(overrides)):
        key = o.key_or_group
        if is_plain_override(o) and key not in groups:
            node = OmegaConf.select(config, key, default=None, throw_on_missing=False)
            if node is not None and not OmegaConf.is_config(node):
                shape.append(f"{key}=*")
                continue
        shape.append(o.input_line)
    return tuple(shape)


def representatives(config: DictConfig, jobs: Sequence[Sequence[str]]) -> list[Sequence[str]]:
    """The first job of each shape (:func:`job_shape`) among ``jobs``, in order."""
    parser, groups = OverridesParser.create(), config_groups(config)
    seen: set[tuple[str, ...]] = set()
    out: list[Sequence[str]] = []
    for overrides in jobs:
        shape = job_shape(config, overrides, parser=parser, groups=groups)
        if shape not in seen:
            seen.add(shape)
            out.append(overrides)
    return out


def split_arguments(overrides: Sequence[Override],
                    max_batch_size: int | None) -> list[list[list[str]]]:
    """The jobs of a sweep as Hydra's basic sweeper makes them from the parsed ``overrides``
    (its ``params`` first, then the command line's): one ``key=value`` list per job, the
    cartesian product of each key's values (a later override of a key replaces an earlier
    one, in the earlier one's place), the last key varying fastest; cut into batches of
    ``max_batch_size`` jobs (None: one batch)."""
    values: dict[str, list[str]] = {}
    for o in overrides:
        key = o.get_key_element()
        if not o.is_sweep_override():
            values[key] = [f"{key}={o.get_value_element_as_str()}"]
        elif o.is_discrete_sweep():
            values[key] = [f"{key}={v}" for v in o.sweep_string_iterator()]
            if not values[key]:
                raise UnlistableSweep(
                    f"{key}: {(o.input_line or '').partition('=')[2]} lists no value, so the "
                    "sweep would have no run; give at least one value (range(START,STOP) "
                    "stops before STOP)")
        else:  # interval(a, b): a continuous range, nothing to list
            value = (o.input_line or "").partition("=")[2] or "interval(...)"
            raise UnlistableSweep(
                f"{key}: {value} is a continuous range, which a sweep cannot list; give the "
                f"values ({key}=A,B,C) or a range with a step ({key}='range(START,STOP,STEP)'), "
                "or search the range with edusim-design")
    jobs = [list(job) for job in itertools.product(*values.values())]
    assert max_batch_size is None or max_batch_size > 0
    if max_batch_size is None:
        return [jobs]
    return [jobs[i:i + max_batch_size] for i in range(0, len(jobs), max_batch_size)]


class UnlistableSweep(HydraException):
    """A swept override whose values cannot be listed as jobs (``interval(a, b)``) or that
    lists none (``range(0, 0)``); its message names the key and the forms that can be
    listed."""


class EdusimSweeper(Sweeper):
    """Hydra's basic sweeper (job list, order, batches, ``params``, ``multirun.yaml``)
    checking one job per shape of each batch (:func:`representatives`) before launching
    it.

    Re-running a sweep into the same ``hydra.sweep.dir`` resumes it: a job whose directory
    holds a finished run of exactly its configuration (seed, years, every model parameter)
    skips it. A job whose directory holds a finished run of *another* configuration would
    overwrite it, so the sweep stops before any job starts (exit code 2, naming the
    differing keys; :class:`experiments.callbacks.ValidateSweep`) unless ``overwrite`` is
    true (``hydra.sweeper.overwrite=true``): then those runs are marked unfinished (their
    COMPLETE marker is removed) before the jobs start, and each is replaced by its job's
    run. Finished runs of the same configuration are still kept and skipped."""

    def __init__(self, max_batch_size: int | None = None,
                 params: dict[str, str] | None = None, overwrite: bool = False) -> None:
        self.max_batch_size = max_batch_size
        self.params = params or {}
        self.overwrite = overwrite  # acted on before the sweep starts (ValidateSweep)
        self.hydra_context: HydraContext | None = None
        self.config: DictConfig | None = None
        self.launcher: Launcher | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        from hydra.core.plugins import Plugins

        self.hydra_context, self.config = hydra_context, config
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=hydra_context, task_function=task_function, config=config)

    def sweep(self, arguments: list[str]) -> list[Sequence[JobReturn]]:
        assert self.config is not None and self.launcher is not None
        assert self.hydra_context is not None
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        overrides = parser.parse_overrides(
            [f"{k}={v}" for k, v in self.params.items()] + list(arguments))
        batches = split_arguments(overrides, self.max_batch_size)
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        returns: list[Sequence[JobReturn]] = []
        initial_job_idx = 0
        for batch in batches:
            self.validate_batch_is_legal(batch)
            results = self.launcher.launch(batch, initial_job_idx=initial_job_idx)
            for r in results:
                _ = r.return_value  # raises a failed job's error, as the basic sweeper does
            initial_job_idx += len(batch)
            returns.append(results)
        return returns

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        """Hydra composes one job of each shape of ``batch`` (:func:`representatives`)."""
        assert self.config is not None
        super().validate_batch_is_legal(representatives(self.config, batch))
