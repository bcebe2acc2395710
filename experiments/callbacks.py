"""Hydra callbacks of the ``edusim`` app (registered in configs/config.yaml).

* :class:`ValidateSweep` — before a multirun launches anything, one job of each shape is
  composed by Hydra (unknown keys, config-group options: see
  :mod:`hydra_plugins.edusim_sweeper.edusim_sweeper`) and every job's values are validated
  (types and ranges by :mod:`sim.config`). One bad override anywhere in the sweep stops it
  with one clear message naming the field (and the allowed range) and the job's overrides,
  exit code 2, and no run directory is created. The same holds for a sweep directory that
  cannot be made or written (the message names the path), and for a rerun into a directory
  whose finished runs have another configuration than the jobs that would overwrite them
  (the message names the differing keys; ``hydra.sweeper.overwrite=true`` replaces them).
  Finished runs of the same configuration are kept and skipped by their jobs (resume); the
  start line says how many. The sweep's jobs and their directories are written to
  ``sweep.json`` in the sweep directory.
* :class:`SweepProgress` — after each job, one line ``[edusim] sweep 7/20 runs done`` on
  stderr (readable under the joblib launcher, where workers' progress bars would collide),
  counting the finished runs in this sweep's own job directories only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from experiments.rerun_check import changed_keys, changed_rerun_message

#: the sweep's plan in its directory: {"jobs": [each job's overrides], "subdirs": [each
#: job's directory under hydra.sweep.dir]}
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


def job_config(config: DictConfig, overrides: list[str], pending: set[str],
               base: dict[str, Any] | None = None) -> tuple[dict[str, Any] | None, list[str]]:
    """(the run configuration of one job as a plain nested dict, []), or (None, Hydra's
    first line of why an override cannot be applied). Only the ``pending`` overrides are
    applied: the others are already in ``config``; config-group choices are left to Hydra
    (:meth:`JobValidator.needs_composition`). ``base`` (from :func:`job_base`) saves
    rebuilding the job-independent part per job."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    cfg = OmegaConf.create(base if base is not None else job_base(config))  # a copy
    parsed = OverridesParser.create().parse_overrides(overrides)
    values = _pending_values(parsed, pending, app_groups(config))
    try:
        apply_overrides(values, cfg)
    except Exception as err:  # a type error, said as a single run says it
        return None, [_describe(err)]
    try:  # values as the run will see them: interpolations resolved (experiments.run._main)
        return OmegaConf.to_container(cfg, resolve=True), []
    except Exception:  # one that only resolves inside a running job (e.g. ${hydra:...})
        return OmegaConf.to_container(cfg, resolve=False), []


def validate_job(config: DictConfig, overrides: list[str], pending: set[str],
                 base: dict[str, Any] | None = None) -> list[str]:
    """Problems (field, value, allowed range) of one job's configuration; [] if valid.
    Only the ``pending`` overrides are applied: the others are already in ``config``.
    ``base`` (from :func:`job_base`) saves rebuilding the job-independent part per job."""
    from experiments.run import check_config

    container, problems = job_config(config, overrides, pending, base)
    return problems if container is None else check_config(container)


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
        from experiments.run import check_config

        container, problems = self.job_config(overrides)
        return problems if container is None else check_config(container)

    def job_config(self, overrides: list[str]) -> tuple[dict[str, Any] | None, list[str]]:
        """What :func:`job_config` gives for the job with ``overrides``."""
        import copy

        values = _pending_values(self.parser.parse_overrides(overrides), self.pending,
                                 self.groups)
        if self._interpolated or not all(_plain(o) for o in values):
            return job_config(self.config, overrides, self.pending, self.base)
        container = copy.deepcopy(self.base)
        for o in values:
            ok, value = self._value(o)
            if not ok:
                return None, [value]
            node = container
            *parents, leaf = o.key_or_group.split(".")
            for k in parents:
                node = node.setdefault(k, {})
            node[leaf] = value
        return container, []

    def needs_composition(self, overrides: list[str]) -> bool:
        """Whether the job with ``overrides`` chooses config-group options of its own (a
        swept ``region=...``, ``+experiment=...``): its configuration is then Hydra's
        composition, which :meth:`job_config` does not make (it only applies values)."""
        parsed = self.parser.parse_overrides(overrides)
        values = {id(o) for o in _pending_values(parsed, self.pending, self.groups)}
        return any(o.get_key_element() in self.pending and id(o) not in values
                   and not o.key_or_group.startswith("hydra") for o in parsed)

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
            except Exception as err:  # a type error, said as a single run says it
                self._values[key] = (False, _describe(err))
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
        except Exception as err:  # said as a single run says it
            return [_describe(err)], list(overrides)
    return None


def _describe(err: BaseException) -> str:
    """One line naming the field of a Hydra composition error, as a single run says it
    (:func:`experiments.hydra_errors.describe`)."""
    from experiments.hydra_errors import describe
    from experiments.run import RunConfig

    return describe(err, RunConfig)


def _stop(problems: list[str], overrides: list[str]) -> None:
    print("edusim: invalid configuration in the sweep (no run was started):\n  "
          + "\n  ".join(problems) + "\n  job overrides: " + " ".join(overrides),
          file=sys.stderr)
    sys.exit(2)


def _fail(lines: list[str]) -> None:
    """Stop the sweep before any job starts: exit code 2 and one message."""
    print("edusim: " + "\n  ".join(lines), file=sys.stderr)
    sys.exit(2)


class JobComposer:
    """Each job's configuration as the launcher's workers get it
    (:func:`hydra_plugins.edusim_sweeper._worker.compose_job`: Hydra's composition, made
    once per shape of job and copied for the others), with the job's number set as the
    launchers set it. Nothing is composed outside a Hydra app (``compose`` gives None)."""

    def __init__(self, config: DictConfig) -> None:
        import uuid

        from hydra.core.global_hydra import GlobalHydra
        from hydra.types import HydraContext

        self.config = config
        self.context = None
        if GlobalHydra.instance().is_initialized():
            self.context = HydraContext(config_loader=GlobalHydra.instance().config_loader(),
                                        callbacks=None)  # type: ignore[arg-type]
        self.token = f"validate-{uuid.uuid4().hex}"

    def compose(self, overrides: list[str], num: int) -> DictConfig | None:
        """The whole configuration (``hydra`` node too) of job ``num`` with ``overrides``."""
        from omegaconf import open_dict

        from hydra_plugins.edusim_sweeper._worker import compose_job

        if self.context is None:
            return None
        cfg = compose_job(self.context, self.config, overrides, self.token)
        with open_dict(cfg):
            cfg.hydra.job.num = num
            cfg.hydra.job.id = f"{cfg.hydra.job.name}_{num}"
        return cfg

    def run_config(self, overrides: list[str], num: int) -> dict[str, Any] | None:
        """Job ``num``'s run configuration as a plain nested dict, as the run sees it
        (interpolations resolved where they resolve without the ``hydra`` node)."""
        cfg = self.compose(overrides, num)
        if cfg is None:
            return None
        plain = {k: v for k, v in OmegaConf.to_container(cfg, resolve=False).items()
                 if k != "hydra"}
        if "${" not in repr(plain):  # nothing to resolve (the usual case; a copy is slow)
            return plain
        app = OmegaConf.masked_copy(cfg, [k for k in cfg if k != "hydra"])
        try:
            return OmegaConf.to_container(app, resolve=True)
        except Exception:  # one that only resolves inside a running job
            return OmegaConf.to_container(app, resolve=False)


def job_subdirs(config: DictConfig, jobs: list[list[str]], composer: JobComposer) -> list[str]:
    """The directory of each job under ``hydra.sweep.dir`` (``hydra.sweep.subdir``, the job
    number unless the configuration says otherwise), resolved as Hydra's ``run_job``
    resolves it for the job. A subdir that cannot be resolved before the job runs (e.g. one
    naming a cluster's job id) is taken to be the job number, Hydra's default."""
    from hydra.core.hydra_config import HydraConfig

    raw = OmegaConf.to_container(config.hydra.sweep, resolve=False).get("subdir")
    if raw == "${hydra.job.num}":  # the default (configs/config.yaml): nothing to compose
        return [str(num) for num in range(len(jobs))]
    out = []
    hydra_config = HydraConfig.instance()
    for num, overrides in enumerate(jobs):
        saved = hydra_config.cfg
        try:
            cfg = composer.compose(overrides, num)
            if cfg is None:
                raise ValueError("not inside a Hydra app")
            hydra_config.set_config(cfg)  # for ${hydra:...}, as in the job
            out.append(str(OmegaConf.select(cfg, "hydra.sweep.subdir")))
        except Exception:
            out.append(str(num))
        finally:
            hydra_config.cfg = saved
    return out


#: the marker of a finished run (sim.results.write_outputs writes it last)
COMPLETE = "COMPLETE"
def _make_sweep_dir(sweep_dir: Path, subdirs: list[str], plan: dict[str, Any]) -> None:
    """Make ``sweep_dir`` and write the sweep's plan (:data:`SWEEP_FILE`) into it; exit
    code 2 with the path named, and nothing made, when that is not possible (a file where
    a directory belongs, a directory that cannot be written)."""
    import os
    import shutil

    from sim.terminal import output_dir_problem

    problem = output_dir_problem(sweep_dir, "hydra.sweep.dir")
    if problem is None and sweep_dir.is_dir():  # a file where a run's directory belongs
        problem = next(filter(None, (output_dir_problem(sweep_dir / s, "hydra.sweep.dir")
                                     for s in dict.fromkeys(subdirs))), None)
    if problem is not None:
        _fail([problem + " (no run was started)"])
    top = sweep_dir.absolute()  # the first directory this makes (None: it exists)
    while not top.parent.exists():
        top = top.parent
    made = None if top.exists() else top
    tmp = sweep_dir / f".{SWEEP_FILE}.tmp-{os.getpid()}"
    try:
        sweep_dir.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(plan, indent=1))
        os.replace(tmp, sweep_dir / SWEEP_FILE)
    except OSError as err:
        if tmp.parent.is_dir():
            tmp.unlink(missing_ok=True)
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
        _fail([f"hydra.sweep.dir: cannot write {err.filename or sweep_dir}: "
               f"{err.strerror or err} (no run was started)"])


class ValidateSweep(Callback):
    """Before a multirun starts any job: every job composes and is valid, the sweep
    directory can be written, and no job would overwrite a finished run of another
    configuration (unless ``hydra.sweeper.overwrite=true``); finished runs of the same
    configuration are counted and skipped by their jobs (resume)."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        from experiments import sweep_checks as checks
        from experiments.run import check_config
        from hydra_plugins.edusim_sweeper.edusim_sweeper import UnlistableSweep

        try:
            jobs, pending = sweep_jobs(config)
        except UnlistableSweep as err:
            _fail([f"invalid sweep (no run was started): {err}"])
        problem = compose_problem(config, jobs)
        if problem is not None:
            _stop(*problem)
        sweep_dir = Path(str(config.hydra.sweep.dir))
        composer = JobComposer(config)
        subdirs = job_subdirs(config, jobs, composer)
        subdir_problem = checks.sweep_subdir_problem(sweep_dir, subdirs)
        if subdir_problem:
            _fail([f"invalid sweep (no run was started): {subdir_problem}"])
        validator = JobValidator(config, pending)
        kept: list[str] = []
        changed: list[tuple[str, list[tuple[str, Any, Any]]]] = []
        tables: dict[str, list[str]] = {}  # the problems of each county table read
        warned: dict[str, list[int]] = {}  # what single runs would warn of, by job
        for num, overrides in enumerate(jobs):
            container, problems = validator.job_config(overrides)
            if container is not None:
                problems = check_config(container)  # an integer for true/false too
            if container is not None and not problems:
                problems = checks.job_table_problems(container, tables)
            if problems:
                _stop(problems, overrides)
            checks.job_warnings(warned, container, num)
            run_dir = sweep_dir / subdirs[num]
            if not (run_dir / COMPLETE).is_file():
                continue
            if validator.needs_composition(overrides):  # its own config-group choices
                container = composer.run_config(overrides, num) or container
            diffs = changed_keys(run_dir, container)
            if diffs:
                changed.append((subdirs[num], diffs))
            else:
                kept.append(subdirs[num])
        switch = OmegaConf.select(config, "hydra.sweeper.overwrite", default=None)
        if changed and not switch:
            _fail(changed_rerun_message(sweep_dir, changed, len(jobs), switch is not None))
        _make_sweep_dir(sweep_dir, subdirs, {"jobs": jobs, "subdirs": subdirs})
        for subdir, _ in changed:  # to be overwritten: no longer a finished run
            (sweep_dir / subdir / COMPLETE).unlink(missing_ok=True)
        notes = []
        if kept:
            notes.append(f"{len(kept)} already finished, skipped")
        if changed:
            notes.append(f"{len(changed)} finished with another configuration, to be replaced")
        for line in checks.warning_lines(warned, len(jobs)):
            print(f"edusim: warning: {line}", file=sys.stderr)
        print(f"[edusim] sweep of {len(jobs)} runs into {sweep_dir}"
              + (f" ({'; '.join(notes)})" if notes else ""), file=sys.stderr, flush=True)


class SweepProgress(Callback):
    """After each job of a multirun: ``[edusim] sweep 7/20 runs done`` counting the
    finished runs in this sweep's own job directories (as listed in :data:`SWEEP_FILE`),
    not other runs that happen to be under the sweep directory."""

    def on_job_end(self, config: DictConfig, job_return: Any = None, **kwargs: Any) -> None:
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode

        hc = HydraConfig.get()
        if hc.mode != RunMode.MULTIRUN:
            return
        sweep_dir = Path(hc.sweep.dir)
        try:
            plan = json.loads((sweep_dir / SWEEP_FILE).read_text())
            subdirs = plan.get("subdirs") or [str(n) for n in range(len(plan["jobs"]))]
            done = sum((sweep_dir / s / COMPLETE).is_file() for s in subdirs)
            count = f"{done}/{len(subdirs)} runs done"
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            count = "progress unknown (no readable sweep.json)"
        status = "done" if job_return is None or job_return.status.name == "COMPLETED" else "FAILED"
        this = " ".join(hc.overrides.task)
        print(f"[edusim] sweep {count} (job {hc.job.num} {status}: {this})",
              file=sys.stderr, flush=True)
