"""The ``edusim`` command's entry point: ``--help`` answers at once, without loading Hydra,
the model or pandas; everything else is :func:`experiments.run.main`.

Hydra's own help (``--hydra-help``) and the composed configuration (``--cfg job``) are still
Hydra's; this help lists the run keys, the config groups found in ``configs/`` and where
every parameter is documented.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

__all__ = ["edusim", "quick_help"]

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"

#: the config groups a user picks from, and how to pick them
GROUPS = (("region", "region=NAME"), ("experiment", "+experiment=NAME"),
          ("policy", "+policy=NAME"), ("sweep", "--multirun +sweep=NAME"),
          ("hydra/launcher", "hydra/launcher=NAME, for sweeps"))
#: the run's own keys, shown with their defaults from configs/config.yaml
RUN_KEYS = ("seed", "years", "figures", "progress", "compare_baseline")


def _options(group: str) -> list[str]:
    folder = CONFIG_DIR / group
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def _run_defaults() -> str:
    import yaml

    cfg = yaml.safe_load((CONFIG_DIR / "config.yaml").read_text(encoding="utf-8")) or {}
    def word(v: object) -> str:
        if v is None or isinstance(v, bool):
            return {None: "null", True: "true", False: "false"}[v]
        return str(v)

    return ", ".join(f"{k}={word(cfg[k])}" for k in RUN_KEYS if k in cfg)


def quick_help() -> str:
    """The text of ``edusim --help``."""
    lines = [
        "edusim: simulate a county's compulsory schools and the policies applied to them.",
        "",
        "Usage:",
        "  edusim [KEY=VALUE ...]                  one run into outputs/DATE/TIME/",
        "  edusim --multirun KEY=A,B ...           a sweep into multirun/DATE/TIME/",
        "  edusim +experiment=NAME                 a canonical experiment",
        "  edusim +policies.NAME.PARAM=VALUE       switch a policy on with a parameter",
        "  edusim SECTION.PARAM=VALUE              any model parameter, e.g. "
        "teachers.rural_allowance=0.3",
        "",
        f"Run keys (defaults): {_run_defaults()}",
        "",
        "Config groups:",
    ]
    for group, how in GROUPS:
        opts = _options(group)
        if opts:
            lines.append(textwrap.fill(f"{group} ({how}): {', '.join(opts)}", width=96,
                                       initial_indent="  ", subsequent_indent="      "))
    lines += [
        "",
        "Every parameter with its unit, range, source and prior: docs/parameters.md; a "
        "policy's: docs/policies.md.",
        "The composed configuration: edusim --cfg job.  Hydra's own help: edusim --hydra-help.",
        "Related commands: edusim-aggregate, edusim-figures, edusim-design, "
        "edusim-uncertainty, edusim-evaluate, edusim-check-county, edusim-viz.",
    ]
    return "\n".join(lines) + "\n"


def edusim() -> None:
    """Console entry point (``edusim``)."""
    if any(a in ("--help", "-h") for a in sys.argv[1:]):
        sys.stdout.write(quick_help())
        return
    from experiments.run import main

    main()
