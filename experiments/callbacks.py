"""Hydra callbacks of the ``edusim`` app (registered in configs/config.yaml).

* :class:`ValidateSweep` — before a multirun launches anything, one job of each shape is
  composed by Hydra (unknown keys, config-group options: see
  :mod:`hydra_plugins.edusim_sweeper.edusim_sweeper`) and every job's values are validated
  (types and ranges by :mod:`sim.config`). One bad override anywhere in the sweep stops it
  with one clear message naming the field (and the allowed range) and the job's overrides,
  exit code 2, and no run directory is created.
* :class:`SweepProgress` — after each job, one line ``[edusim] sweep 7/20 runs done`` on
  stderr (readable under the joblib launcher, where workers' progress bars would collide).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

SWEEP_FILE = "sweep.json"


def sweep_jobs(config: DictConfig) -> tuple[list[list[str]], set[str]]:
    """The override lists of every job of the multirun about to start (basic sweeper
    semantics: the cartesian product of the sweep's and the command line's overrides), and
    the keys that are not yet applied to ``config`` (swept keys and the sweep's params)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from hydra_plugins.edusim_sweeper.edusim_sweeper import split_arguments

    params = OmegaConf.select(config, "hydra.sweeper.params") or {}
    args = [f"{k}={v}" for k, v in params.items()]
    cli = list(OmegaConf.select(config, "hydra.overrides.task") or [])
    parser = OverridesParser.create()
    pending = {o.get_key_element() for o in parser.parse_overrides(args)}
    pending |= {o.get_key_element() for o in parser.parse_overrides(cli) if o.is_sweep_override()}
    jobs = split_arguments(parser.parse_overrides(args + cli), None)[0]
    return jobs, pending


def apply_overrides(overrides: list[Any], cfg: DictConfig) -> None:
    """Apply parsed key overrides (``key=v``, ``+key=v``, ``++key=v``, ``~key``) to ``cfg``
    in place, as Hydra applies a job's overrides to its composed configuration (the same
    checks and the same error messages, with Hydra's and OmegaConf's public API only;
    tests/test_launcher.py compares the two)."""
    import sys
    from textwrap import dedent

    from hydra.errors import ConfigCompositionException
    from omegaconf import open_dict
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError, OmegaConfBaseException

    for override in overrides:
        if override.package is not None:
            raise ConfigCompositionException(
                f"Override {override.input_line} looks like a config group override, but "
                f"config group '{override.key_or_group}' does not exist.")
        key = override.key_or_group
        value = override.value()
        try:
            if override.is_delete():
                current = OmegaConf.select(cfg, key, throw_on_missing=False)
                if current is None:
                    raise ConfigCompositionException(
                        f"Could not delete from config. '{key}' does not exist.")
                if value is not None and value != current:
                    raise ConfigCompositionException(
                        f"Could not delete from config. The value of '{key}' is {current} "
                        f"and not {value}.")
                parent, _, leaf = key.rpartition(".")
                with open_dict(cfg):
                    del (OmegaConf.select(cfg, parent) if parent else cfg)[leaf]
            elif override.is_add():
                if (OmegaConf.select(cfg, key, throw_on_missing=False) is None
                        or isinstance(value, (dict, list))):
                    OmegaConf.update(cfg, key, value, merge=True, force_add=True)
                else:
                    raise ConfigCompositionException(dedent(f"""\
                        Could not append to config. An item is already at '{key}'.
                        Either remove + prefix: '{override.input_line[1:]}'
                        Or add a second + to add or override '{key}': '+{override.input_line}'
                        """))
            elif override.is_force_add():
                OmegaConf.update(cfg, key, value, merge=True, force_add=True)
            else:
                try:
                    OmegaConf.update(cfg, key, value, merge=True)
                except (ConfigAttributeError, ConfigKeyError) as err:
                    raise ConfigCompositionException(
                        f"Could not override '{key}'.\nTo append to your config use "
                        f"+{override.input_line}") from err
        except OmegaConfBaseException as err:
            raise ConfigCompositionException(
                f"Error merging override {override.input_line}"
            ).with_traceback(sys.exc_info()[2]) from err


def validate_job(config: DictConfig, overrides: list[str], pending: set[str],
                 base: dict[str, Any] | None = None) -> list[str]:
    """Problems (field, value, allowed range) of one job's configuration; [] if valid.
    Only the ``pending`` overrides are applied: the others are already in ``config``.
    ``base`` (from :func:`job_base`) saves rebuilding the job-independent part per job."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from experiments.run import check_config

    cfg = OmegaConf.create(base if base is not None else job_base(config))  # a copy
    parsed = OverridesParser.create().parse_overrides(overrides)
    values = _pending_values(parsed, pending, app_groups(config))
    try:
        apply_overrides(values, cfg)
    except Exception as err:  # a type error, reported as Hydra words it
        return [str(err).splitlines()[0]]
    try:  # values as the run will see them: interpolations resolved (experiments.run._main)
        container = OmegaConf.to_container(cfg, resolve=True)
    except Exception:  # one that only resolves inside a running job (e.g. ${hydra:...})
        container = OmegaConf.to_container(cfg, resolve=False)
    return check_config(container)


class JobValidator:
    """:func:`validate_job` for every job of one sweep, the same problems for each, faster.

    Most overrides of a sweep are plain ``key=value`` settings of scalar values; for them
    the value Hydra would set (its type checked and converted by the app's schema) depends
    on the key and the value only, so it is found once per distinct (key, value) pair on
    one configuration, and each job's plain nested dict is the job-independent part with
    those values put in (``validate_job`` builds a configuration per job: 18 ms a job, 3.6 s
    before a 200-run sweep could start). A job with any other kind of override (added or
    deleted keys, mappings, lists or interpolations as values) goes through
    :func:`validate_job`, and so does every job when the configuration holds
    interpolations."""

    def __init__(self, config: DictConfig, pending: set[str]) -> None:
        from hydra.core.override_parser.overrides_parser import OverridesParser


        self.config, self.pending = config, pending
        self.base = job_base(config)
        self.groups = app_groups(config)
        self.parser = OverridesParser.create()
        self._scratch: DictConfig | None = None
        self._values: dict[tuple[str, str, str], tuple[bool, Any]] = {}
        # an interpolation's value depends on the rest of the job's configuration
        self._interpolated = "${" in repr(self.base)

    def validate(self, overrides: list[str]) -> list[str]:
        """Problems (field, value, allowed range) of the job with ``overrides``; [] if
        valid."""
        import copy

        from experiments.run import check_config

        values = _pending_values(self.parser.parse_overrides(overrides), self.pending,
                                 self.groups)
        if self._interpolated or not all(_plain(o) for o in values):
            return validate_job(self.config, overrides, self.pending, self.base)
        container = copy.deepcopy(self.base)
        for o in values:
            ok, value = self._value(o)
            if not ok:
                return [value]
            node = container
            *parents, leaf = o.key_or_group.split(".")
            for k in parents:
                node = node.setdefault(k, {})
            node[leaf] = value
        return check_config(container)

    def _value(self, o: Any) -> tuple[bool, Any]:
        """(True, the value Hydra sets for the plain override ``o``) or (False, Hydra's
        first line of what is wrong)."""
        key = (o.key_or_group, type(o.value()).__name__, repr(o.value()))
        if key not in self._values:
            if self._scratch is None:
                self._scratch = OmegaConf.create(self.base)
            try:
                apply_overrides([o], self._scratch)
                value: Any = OmegaConf.to_container(self._scratch, resolve=False)
                for k in o.key_or_group.split("."):  # (a plain value has nothing to resolve)
                    value = value[k]
                self._values[key] = (True, value)
            except Exception as err:  # a type error, reported as Hydra words it
                self._values[key] = (False, str(err).splitlines()[0])
        return self._values[key]


def app_groups(config: DictConfig) -> set[str]:
    """The app's config groups: those chosen in ``config`` and every group directory of the
    app's configs (a sweep may add a group the master config does not choose, such as
    ``+experiment=baseline,...``)."""
    from experiments.run import CONFIG_DIR
    from hydra_plugins.edusim_sweeper.edusim_sweeper import config_groups

    return config_groups(config) | {p.name for p in Path(CONFIG_DIR).iterdir() if p.is_dir()}


def _pending_values(parsed: list[Any], pending: set[str], groups: set[str]) -> list[Any]:
    """The parsed overrides of ``pending`` keys that set values; config-group choices
    (region=county_l) are checked by Hydra itself at composition."""
    return [o for o in parsed if o.get_key_element() in pending and "/" not in o.key_or_group
            and o.key_or_group not in groups]


def _plain(o: Any) -> bool:
    """Whether the parsed override ``o`` sets a key to a scalar value that is not an
    interpolation."""
    from hydra_plugins.edusim_sweeper.edusim_sweeper import is_plain_override

    return (is_plain_override(o) and not o.is_sweep_override()
            and not (isinstance(o.value(), str) and "${" in o.value()))


def job_base(config: DictConfig) -> dict[str, Any]:
    """The run configuration shared by every job of the sweep: ``config`` without its
    ``hydra`` node, as a plain nested dict (each job applies its overrides to a copy)."""
    return {k: v for k, v in OmegaConf.to_container(config, resolve=False).items()
            if k != "hydra"}


def compose_problem(config: DictConfig, jobs: list[list[str]]
                    ) -> tuple[list[str], list[str]] | None:
    """(problems, overrides) of the first job, among one job of each shape, that Hydra
    cannot compose (an unknown key, a config-group option that does not exist); None if
    all compose."""
    from hydra.core.global_hydra import GlobalHydra

    from hydra_plugins.edusim_sweeper.edusim_sweeper import representatives

    if not GlobalHydra.instance().is_initialized():  # not inside a Hydra app
        return None
    loader = GlobalHydra.instance().config_loader()
    for overrides in representatives(config, jobs):
        try:
            loader.load_sweep_config(master_config=config, sweep_overrides=list(overrides))
        except Exception as err:  # Hydra's own words for what is wrong
            lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()][:6]
            cause = str(err.__cause__ or "").strip().splitlines()
            if cause and cause[0] not in lines:
                lines.insert(1, cause[0])
            return lines or [type(err).__name__], list(overrides)
    return None


def _stop(problems: list[str], overrides: list[str]) -> None:
    print("edusim: invalid configuration in the sweep (no run was started):\n  "
          + "\n  ".join(problems) + "\n  job overrides: " + " ".join(overrides),
          file=sys.stderr)
    sys.exit(2)


class ValidateSweep(Callback):
    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        jobs, pending = sweep_jobs(config)
        problem = compose_problem(config, jobs)
        if problem is not None:
            _stop(*problem)
        validator = JobValidator(config, pending)
        for overrides in jobs:
            problems = validator.validate(overrides)
            if problems:
                _stop(problems, overrides)
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
