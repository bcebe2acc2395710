"""The ``edusim-design`` command: the Hydra app that composes the policy-design question, the
search (:mod:`experiments.design_search`) and the report (:mod:`experiments.design_report`).

    edusim-design +target=default_county                           # a new folder, 1 worker
    edusim-design +target=default_county design.n_trials=120 \\
        hydra.sweep.dir=multirun/design/plan                        # more trials; resumes
    edusim-design +target=default_county design.objective=pareto    # cost against equity
    optuna-dashboard sqlite:///multirun/design/plan/study.db        # watch it in a browser

The Hydra app (configs/optimise.yaml, single-run mode) composes the question; before the first
trial and before anything is written, :class:`experiments.design_checks.ValidateDesign`
checks it. Then :func:`main` opens the study and runs the search; the report follows. A search
entry on the command line (``KEY=interval(...)`` and the like) is taken out of Hydra's
arguments by :func:`split_argv`.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from experiments.design import DesignConfig, atomic_json, one_line, resolve_region_paths
from experiments.design_search import (
    STUDY_INFO,
    fail_interrupted,
    live_states,
    open_study,
    question_key,
    run_search,
    say,
    shown_storage,
    storage_url,
)
from experiments.design_space import CLI_SPACE, space_entries, split_space

__all__ = ["main", "split_argv"]

_MOVED = {
    "hydra.sweeper.n_trials": "design.n_trials", "hydra.sweeper.n_jobs": "design.n_jobs",
    "hydra.sweeper.sampler.seed": "design.sampler_seed",
    "hydra.sweeper.sampler.n_startup_trials": "design.n_startup_trials",
    "hydra.sweeper.params": "design.space",
}


def split_argv(argv: list[str], groups: set[str]) -> tuple[list[str], dict[str, str],
                                                            list[str]]:
    """(the arguments for Hydra, the search entries of the command line, problems): an
    argument ``KEY=choice(...)``, ``KEY=interval(...)``, ``KEY=range(...)`` or ``KEY=a,b``
    for a setting (not a config group or a ``hydra.`` key) is a search entry; the settings
    of the former Hydra sweeper and a launcher are named with what replaced them."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    keep, cli, problems = [], {}, []
    for arg in argv:
        if arg in ("-m", "--multirun"):
            problems.append(f"{arg}: edusim-design runs its trials itself (design.n_trials, "
                            "design.n_jobs); leave it out")
            continue
        if arg.startswith("-") or "=" not in arg:
            keep.append(arg)
            continue
        key = arg.partition("=")[0].lstrip("+~")
        moved = next((new for old, new in _MOVED.items()
                      if key == old or key.startswith(old + ".")), None)
        if moved or key.startswith("hydra.sweeper") or key == "hydra/sweeper":
            problems.append(f"{key}: the search is set in the design block now ("
                            f"{moved or 'design.n_trials, design.n_jobs, design.space, ...'})")
            continue
        if key in ("hydra/launcher", "hydra.launcher") or key.startswith("hydra.launcher."):
            problems.append(f"{key}: edusim-design runs design.n_jobs worker processes; on "
                            "more machines, start it on each with the same design.storage")
            continue
        try:
            override = parser.parse_override(arg)
        except Exception:
            keep.append(arg)  # Hydra says what is wrong with it
            continue
        if (override.is_sweep_override() and key.split(".")[0] != "hydra"
                and key not in groups and override.package is None):
            cli[key] = arg.partition("=")[2].strip()
            continue
        keep.append(arg)
    return keep, cli, problems


def main() -> None:
    """Console entry point (``edusim-design``): the Hydra app that composes the question
    (configs/optimise.yaml; :class:`~experiments.design_checks.ValidateDesign` checks it
    first), then the study's search and the report."""
    from dataclasses import dataclass, field

    import hydra
    from hydra.core.config_store import ConfigStore
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import DictConfig, OmegaConf
    from optuna.trial import TrialState

    from experiments.hydra_errors import run_app
    from experiments.run import CONFIG_DIR, RunConfig

    @dataclass
    class DesignRunConfig(RunConfig):
        design: DesignConfig = field(default_factory=DesignConfig)

    ConfigStore.instance().store(name="edusim_design_schema", node=DesignRunConfig)
    groups = {p.name for p in Path(CONFIG_DIR).iterdir() if p.is_dir()}
    argv, cli, problems = split_argv(sys.argv[1:], groups)
    if problems:
        print("edusim-design: invalid design (no trial was started, nothing was written):\n  "
              + "\n  ".join(problems), file=sys.stderr)
        sys.exit(2)
    CLI_SPACE.clear()
    CLI_SPACE.update(cli)
    sys.argv = sys.argv[:1] + argv

    @hydra.main(config_path=CONFIG_DIR, config_name="optimise", version_base="1.3")
    def _search(cfg: DictConfig) -> None:
        hc = HydraConfig.get()
        outdir = Path(hc.runtime.output_dir)
        container = resolve_region_paths(OmegaConf.to_container(cfg, resolve=True),
                                         hc.runtime.cwd)
        design = container["design"]
        design["space"] = {**(design.get("space") or {}), **CLI_SPACE}
        dists, _ = split_space(space_entries(design["space"])[0])
        spec = {
            "config": container, "outdir": str(outdir),
            "storage": storage_url(design, outdir),
            "study_name": design.get("study_name") or hc.runtime.choices.get("target")
            or "design",
            "n_trials": int(design["n_trials"]), "pareto": design["objective"] == "pareto",
            "question": question_key(container, dists),
        }
        try:
            study = open_study(spec, create=True)
        except ValueError as err:
            print(f"edusim-design: invalid design (no trial was started):\n  {err}",
                  file=sys.stderr)
            sys.exit(2)
        atomic_json(outdir / STUDY_INFO, {"storage": spec["storage"],
                                          "study_name": spec["study_name"]})
        for number in fail_interrupted(study):
            say(f"trial {number} was interrupted (its process has gone): marked failed; "
                 "its mix is suggested again")
        done = sum(1 for t in study.get_trials(deepcopy=False, states=live_states()))
        shown = shown_storage(spec["storage"])
        say(f"{spec['n_trials']} trials ({done} finished or under way) into {outdir}; study "
             f"{spec['study_name']!r} in {shown} (watch it: optuna-dashboard {shown})")
        try:
            failure = run_search(spec)
        except KeyboardInterrupt:
            with contextlib.suppress(Exception):
                fail_interrupted(study)
            print(f"\nedusim-design: interrupted; the same command resumes the study in "
                  f"{outdir}", file=sys.stderr)
            sys.exit(130)
        if failure:
            print(failure, file=sys.stderr)
            sys.exit(1)
        running = len(study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))
        if running:
            say(f"{running} trials are still under way in other processes: the report has "
                 f"the finished ones (edusim-design-report {outdir} again when they finish)")
        _report(outdir)

    run_app("edusim-design", _search, DesignRunConfig)


def _report(outdir: Path) -> None:
    """The report at the end of the search (exit 1 when it cannot be made)."""
    from experiments.design_report import os_reason, report

    try:
        summary = report(outdir, quiet=False)
    except FileNotFoundError as err:
        print(f"edusim-design: {err}", file=sys.stderr)
        sys.exit(1)
    except OSError as err:
        print(f"edusim-design: cannot write the report to {outdir / 'design'}: "
              f"{os_reason(err)}", file=sys.stderr)
        sys.exit(1)
    except Exception as err:
        print(f"edusim-design: the report failed ({one_line(err)}); the trials are kept in "
              f"{outdir}", file=sys.stderr)
        sys.exit(1)
    verdict = "a feasible mix was found" if summary["feasible"] else "INFEASIBLE target"
    say(f"{verdict}; report in {outdir / 'design'}")


if __name__ == "__main__":
    main()
