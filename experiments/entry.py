"""The entry points of ``edusim``, ``edusim-design`` and ``edusim-uncertainty``: ``--help``
answers without composing a configuration (``edusim --help`` without loading Hydra, the
model or pandas), ``--version`` with edusim's version and its model's behaviour fingerprint;
everything else is the command's Hydra app.

Hydra's own help (``--hydra-help``) and the composed configuration (``--cfg job``) are still
Hydra's; this help lists the run keys (or the command's own settings, with their defaults,
units and allowed ranges), the config groups found in ``configs/`` and where every parameter
is documented.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from experiments.config_dir import CONFIG_DIR

__all__ = ["block_help", "draws_a_figure", "edusim", "edusim_design", "edusim_uncertainty",
           "quick_help"]

#: the configuration folder (configs/, or the installed copy)
CONFIGS = Path(CONFIG_DIR)

#: the config groups a user picks from, and how to pick them
GROUPS = (("region", "region=NAME"), ("experiment", "+experiment=NAME"),
          ("policy", "+policy=NAME"), ("sweep", "--multirun +sweep=NAME"),
          ("hydra/launcher", "hydra/launcher=NAME, for sweeps"))
#: the groups of edusim-design and edusim-uncertainty
DESIGN_GROUPS = (("target", "+target=NAME"), ("region", "region=NAME"))
UNCERTAINTY_GROUPS = (("experiment", "+experiment=NAME"), ("policy", "+policy=NAME"),
                      ("region", "region=NAME"),
                      ("hydra/launcher", "hydra/launcher=NAME, for a run in parts"))
#: the run's own keys, shown with their defaults from configs/config.yaml
RUN_KEYS = ("seed", "years", "figures", "progress", "compare_baseline")


def _options(group: str) -> list[str]:
    folder = CONFIGS / group
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def _word(v: object) -> str:
    """A value as it is written in an override (null, true, false)."""
    if v is None or isinstance(v, bool):
        return {None: "null", True: "true", False: "false"}[v]
    return str(v)


def _run_defaults() -> str:
    import yaml

    cfg = yaml.safe_load((CONFIGS / "config.yaml").read_text(encoding="utf-8")) or {}
    return ", ".join(f"{k}={_word(cfg[k])}" for k in RUN_KEYS if k in cfg)


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
    lines += _group_lines(GROUPS)
    lines += [
        "",
        "Every parameter with its unit, range, source and prior: docs/parameters.md; a "
        "policy's: docs/policies.md.",
        "The composed configuration: edusim --cfg job.  Hydra's own help: edusim --hydra-help.",
        "Related commands: edusim-aggregate, edusim-figures, edusim-design, "
        "edusim-uncertainty, edusim-evaluate, edusim-check-county, edusim-viz.",
    ]
    return "\n".join(lines) + "\n"


def _group_lines(groups: tuple[tuple[str, str], ...]) -> list[str]:
    lines = []
    for group, how in groups:
        opts = _options(group)
        if opts:
            lines.append(textwrap.fill(f"{group} ({how}): {', '.join(opts)}", width=96,
                                       initial_indent="  ", subsequent_indent="      "))
    return lines


def _config_header(name: str) -> list[str]:
    """The comment block at the top of ``configs/NAME.yaml`` (the command's usage), as text."""
    lines = []
    for line in (CONFIGS / f"{name}.yaml").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[2:] if line.startswith("# ") else line[1:])
    return lines


def block_help(cls: type, block: str, values: dict | None = None) -> list[str]:
    """One entry per field of the dataclass ``cls`` (the ``block`` settings of a command):
    ``block.NAME=DEFAULT``, its unit and allowed range, and what it means. ``values`` (the
    block as the command's config file sets it) override the dataclass defaults."""
    import dataclasses

    values = values or {}
    lines = []
    for f in dataclasses.fields(cls):
        meta = f.metadata
        if f.name in values:
            default = values[f.name]
        elif f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = "(required)"
        head = f"  {block}.{f.name}={_word(default)}"
        if meta.get("choices"):
            head += f"  (one of {', '.join(map(str, meta['choices']))})"
        elif meta.get("lo") is not None or meta.get("hi") is not None:
            unit = f" {meta['unit']}" if meta.get("unit") else ""
            head += f"  ({meta.get('lo')} to {meta.get('hi')}{unit})"
        elif meta.get("unit"):
            head += f"  ({meta['unit']})"
        lines.append(head)
        if meta.get("doc"):
            lines.append(textwrap.fill(meta["doc"], width=96, initial_indent="      ",
                                       subsequent_indent="      "))
    return lines


def _command_help(config: str, groups: tuple[tuple[str, str], ...], block: str,
                  cls: type) -> str:
    lines = _config_header(config) + ["", "Config groups:"] + _group_lines(groups)
    lines += ["", f"Settings of the {block} block (KEY=VALUE; default, allowed range):"]
    import yaml

    text = (CONFIGS / f"{config}.yaml").read_text(encoding="utf-8")
    lines += block_help(cls, block, (yaml.safe_load(text) or {}).get(block) or {})
    lines += [
        "",
        "Every model parameter (as in edusim, e.g. teachers.rural_allowance=0.3) with its unit,",
        "range and source: docs/parameters.md.",
        "The composed configuration: --cfg job.  Hydra's own help: --hydra-help.",
    ]
    return "\n".join(lines) + "\n"


def design_help() -> str:
    """The text of ``edusim-design --help``."""
    from experiments.design import DesignConfig

    return _command_help("optimise", DESIGN_GROUPS, "design", DesignConfig)


def uncertainty_help() -> str:
    """The text of ``edusim-uncertainty --help``."""
    from experiments.uncertainty.app import UncertaintyConfig

    return _command_help("uncertainty", UNCERTAINTY_GROUPS, "uncertainty", UncertaintyConfig)


def _asks_for_help() -> bool:
    return any(a in ("--help", "-h") for a in sys.argv[1:])


def _answered_version(prog: str) -> bool:
    """``PROG --version``: print :func:`sim.terminal.version_line` (not Hydra's version,
    which Hydra's own ``--version`` prints) and say that nothing else is to be done."""
    if "--version" not in sys.argv[1:]:
        return False
    from sim.terminal import version_line

    sys.stdout.write(version_line(prog) + "\n")
    return True


def draws_a_figure(args: list[str]) -> bool:
    """Whether ``edusim ARGS`` is a single run that (by default) draws equity.png: only
    overrides, none of them ``figures=false``. (A guess made before the configuration is
    composed; a wrong guess costs one idle process.)"""
    for a in args:
        if a.startswith("-"):  # --multirun, --cfg, --info, -c ...: no single run's figure
            return False
        key, _, value = a.lstrip("+~").partition("=")
        if key == "figures" and value.strip().lower() in ("false", "0", "no", "off", "null"):
            return False
    return True


def _exit_without_collecting() -> None:
    """:func:`sim.terminal.exit_without_collecting`, once help and version are answered
    (they load nothing heavy, and nothing of ``sim``)."""
    from sim.terminal import exit_without_collecting

    exit_without_collecting()


def edusim() -> None:
    """Console entry point (``edusim``)."""
    if _asks_for_help():
        sys.stdout.write(quick_help())
        return
    if _answered_version("edusim"):
        return
    _exit_without_collecting()
    if draws_a_figure(sys.argv[1:]):
        from sim.run_figure import start_figure_process

        start_figure_process()  # Matplotlib loads on the other core meanwhile
    from experiments.run import main

    main()


def edusim_design() -> None:
    """Console entry point (``edusim-design``)."""
    if _asks_for_help():
        sys.stdout.write(design_help())
        return
    if _answered_version("edusim-design"):
        return
    _exit_without_collecting()
    from experiments.design import main

    main()


def edusim_uncertainty() -> None:
    """Console entry point (``edusim-uncertainty``)."""
    if _asks_for_help():
        sys.stdout.write(uncertainty_help())
        return
    if _answered_version("edusim-uncertainty"):
        return
    _exit_without_collecting()
    from experiments.uncertainty.app import main

    main()
