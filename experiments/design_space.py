"""The search space of ``edusim-design``: ``design.space`` and the command line's search
entries, read with Hydra's sweep syntax (``choice``, ``interval``, ``range``) and converted to
Optuna distributions (:func:`distribution`, as the former Hydra Optuna sweeper did), and the
configuration of one trial (:func:`trial_config`). Described in
:mod:`experiments.design_search`."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["CLI_SPACE", "SEARCH_FIELDS", "distribution", "parse_entry", "set_setting",
           "space_entries", "split_space", "trial_config"]

#: the design block's fields that say how to search, not what to look for
SEARCH_FIELDS = ("space", "n_trials", "n_jobs", "sampler", "sampler_seed", "n_startup_trials",
                 "storage", "study_name")
#: the command line's search entries (``KEY=interval(...)`` etc.), taken out of the
#: arguments before Hydra composes the configuration
#: (:func:`experiments.design_command.split_argv`)
CLI_SPACE: dict[str, str] = {}


# ------------------------------------------------------------------------------------------
# the search space
# ------------------------------------------------------------------------------------------
def parse_entry(key: str, text: Any) -> Any:
    """Hydra's parsed override of the search entry ``key: text``."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    if isinstance(text, bool):
        text = str(text).lower()
    return OverridesParser.create().parse_override(f"{key}={text}")


def space_entries(space: Mapping[str, Any] | None, cli: Mapping[str, str] | None = None
                  ) -> tuple[list[tuple[str, str, Any]], list[str]]:
    """(key, text, parsed override) of each entry of ``design.space`` and then of the command
    line's (a later entry for a key replaces an earlier one), and the problems of entries
    that do not parse."""
    texts = [(f"design.space.{k}", str(k), v) for k, v in (space or {}).items()]
    texts += [(str(k), str(k), v) for k, v in (cli or {}).items()]
    entries: dict[str, tuple[str, str, Any]] = {}
    problems = []
    for where, key, text in texts:
        if isinstance(text, (dict, list)):
            problems.append(f"{where}: {text!r} is not a search (choice(...), interval(...), "
                            "range(...)) or a single value")
            continue
        try:
            override = parse_entry(key, text)
        except Exception as err:  # Hydra's own words for what does not parse
            problems.append(f"{where}: {str(err).splitlines()[0]}")
            continue
        entries[key] = (key, str(text).lower() if isinstance(text, bool) else str(text),
                        override)
    return list(entries.values()), problems


def _values(override: Any) -> list[Any]:
    return list(override.sweep_iterator())


def distribution(override: Any) -> Any:
    """The Optuna distribution of a searched entry (None for a fixed value): ``choice`` and
    a shuffled ``range`` categorical; ``range`` integer (stepped float when an end or the
    step is a float); ``interval`` uniform (Hydra reads its ends as floats), log-uniform
    with the ``log`` tag. ValueError for a search Optuna refuses."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if not override.is_sweep_override():
        return None
    value = override.value()
    if override.is_choice_sweep() or (override.is_range_sweep() and value.shuffle):
        choices = _values(override)
        if not choices:
            raise ValueError("nothing to choose from")
        if len(set(map(repr, choices))) != len(choices):
            raise ValueError(f"repeated choices {choices}")
        return CategoricalDistribution(choices)
    if override.is_range_sweep():
        step = 1 if value.step is None else value.step
        if step <= 0:
            raise ValueError(f"the step must be above 0, got {step}")
        if value.stop < value.start:
            raise ValueError(f"the stop {value.stop} is below the start {value.start}")
        # the stop when a whole number of steps reaches it, else the last step below it
        high = value.start + math.floor((value.stop - value.start) / step + 1e-9) * step
        if any(isinstance(v, float) for v in (value.start, value.stop, step)):
            return FloatDistribution(value.start, high, step=step)
        return IntDistribution(int(value.start), int(high), step=int(step))
    if override.is_interval_sweep():
        lo, hi = value.start, value.end
        if hi < lo:
            raise ValueError(f"the lower end {lo} is above the upper end {hi}")
        log = "log" in value.tags
        if log and lo <= 0:
            raise ValueError(f"a log interval needs a lower end above 0, got {lo}")
        if isinstance(lo, int) and isinstance(hi, int):
            return IntDistribution(lo, hi, log=log)
        return FloatDistribution(float(lo), float(hi), log=log)
    raise ValueError("not a search Optuna supports (interval, range or choice)")


def split_space(entries: list[tuple[str, str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(distributions of the searched entries, values of the fixed ones)."""
    dists, fixed = {}, {}
    for key, _, override in entries:
        d = distribution(override)
        if d is None:
            fixed[key] = override.value()
        else:
            dists[key] = d
    return dists, fixed


def set_setting(cfg: dict[str, Any], key: str, value: Any) -> None:
    """Put ``value`` at the dotted ``key`` of the composed configuration ``cfg`` (a plain
    dict; ``design.…`` keys in its design block), as an override would."""
    node = cfg
    parts = key.split(".")
    for p in parts[:-1]:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    node[parts[-1]] = value


def trial_config(base: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration of one trial: ``base`` (the question, with the fixed entries of
    the space set) with the trial's parameters set; without the search settings."""
    cfg = json.loads(json.dumps(base))
    for key, value in params.items():
        set_setting(cfg, key, value)
    design = cfg.get("design") or {}
    for name in SEARCH_FIELDS:
        design.pop(name, None)
    return cfg
