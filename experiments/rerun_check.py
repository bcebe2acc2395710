"""Whether a rerun into a sweep directory would overwrite finished runs of another
configuration, and the message that refuses it (:class:`experiments.callbacks.ValidateSweep`).

A finished run is kept and skipped by its job when the job would make exactly it (same seed,
years, configuration and model: :func:`experiments.run.already_complete`); otherwise
:func:`changed_keys` lists what differs, and :func:`changed_rerun_message` words the refusal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["ABSENT", "MAX_DIRS_SHOWN", "MAX_KEYS_SHOWN", "MODEL_KEY", "changed_keys",
           "changed_rerun_message"]

#: how many differing keys the refusal of a changed rerun lists (assumption: enough to see
#: what changed; the others are counted)
MAX_KEYS_SHOWN = 4
#: how many run directories it names (assumption: as above)
MAX_DIRS_SHOWN = 5


#: how :func:`changed_keys` names the model that made a run (its behaviour fingerprint,
#: :mod:`sim.behaviour`; summary.json's ``edusim.behaviour``)
MODEL_KEY = "edusim.behaviour (the model's version)"


class _Absent:
    def __repr__(self) -> str:
        return "absent"


ABSENT: Any = _Absent()


def changed_keys(run_dir: Path, container: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """[] if ``run_dir`` holds the finished run that the job with the plain configuration
    ``container`` would make (a rerun skips it: :func:`experiments.run.already_complete`);
    otherwise the differences as (dotted key, value in the finished run, value now), the
    model that made it (:data:`MODEL_KEY`) among them, with
    :data:`ABSENT` for a key (or a whole mapping) on one side only, or
    ``("summary.json", ABSENT, ABSENT)`` when the finished run's summary cannot be read.
    Call it for a directory with a COMPLETE marker."""
    from experiments.run import already_complete, run_identity
    from sim.behaviour import BEHAVIOUR, recorded_behaviour
    from sim.results import json_safe

    seed, years, sim_cfg = run_identity(container)
    if already_complete(run_dir, seed, years, sim_cfg):
        return []
    try:
        done = json.loads((run_dir / "summary.json").read_text())
        old = {"seed": done["seed"], "years": done["years"],
               MODEL_KEY: recorded_behaviour(done) or ABSENT, **done["config"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return [("summary.json", ABSENT, ABSENT)]
    now = {"seed": seed, "years": years, MODEL_KEY: BEHAVIOUR,
           **json.loads(json.dumps(json_safe(sim_cfg.to_dict())))}
    return _differences(old, now) or [("summary.json", ABSENT, ABSENT)]


def _differences(old: dict[str, Any], now: dict[str, Any], prefix: str = ""
                 ) -> list[tuple[str, Any, Any]]:
    """(dotted key, old value, new value) where the nested dicts ``old`` and ``now`` differ,
    this job's keys first; a mapping found on one side only (a policy switched on) is one
    difference, not one per key inside it."""
    out = []
    for key in list(now) + [k for k in old if k not in now]:
        was, new = old.get(key, ABSENT), now.get(key, ABSENT)
        if isinstance(was, dict) and isinstance(new, dict):
            out += _differences(was, new, f"{prefix}{key}.")
        elif was != new:
            out.append((f"{prefix}{key}", was, new))
    return out


def _show(value: Any) -> str:
    """A value as a user types it in an override (at most 60 characters)."""
    text = (repr(value) if value is ABSENT else value if isinstance(value, str)
            else json.dumps(value, ensure_ascii=False))
    return text if len(text) <= 60 else text[:59] + "…"


def changed_rerun_message(sweep_dir: Path, changed: list[tuple[str, list[tuple[str, Any, Any]]]],
                          total: int, switch: bool) -> list[str]:
    """The lines of the refusal to overwrite the finished runs ``changed`` ((run directory,
    :func:`changed_keys`) of each) of a sweep of ``total`` runs; ``switch``: whether the
    sweeper has the ``overwrite`` setting."""
    by_key: dict[str, list[tuple[str, Any, Any]]] = {}
    for subdir, diffs in changed:
        for key, was, new in diffs:
            by_key.setdefault(key, []).append((subdir, was, new))
    lines = [f"hydra.sweep.dir {sweep_dir} holds finished runs of another configuration "
             "(no run was started):"]
    for key, seen in list(by_key.items())[:MAX_KEYS_SHOWN]:
        subdir, was, new = seen[0]
        if key == "summary.json":
            lines.append(f"summary.json: cannot be read in {len(seen)} of the finished runs")
        elif len(seen) == len(changed) and all((w, n) == (was, new) for _, w, n in seen):
            lines.append(f"{key}: {_show(was)} in the finished runs, {_show(new)} now")
        else:
            lines.append(f"{key}: differs in {len(seen)} runs, e.g. {_show(was)} in the "
                         f"finished run {subdir}, {_show(new)} now")
    if len(by_key) > MAX_KEYS_SHOWN:
        lines.append(f"... and {len(by_key) - MAX_KEYS_SHOWN} more keys")
    dirs = ", ".join(s for s, _ in changed[:MAX_DIRS_SHOWN])
    more = ", ..." if len(changed) > MAX_DIRS_SHOWN else ""
    lines.append(f"{len(changed)} of this sweep's {total} runs would overwrite one of them "
                 f"(run directories {dirs}{more})")
    if switch:
        lines.append("to keep them, choose another hydra.sweep.dir; to replace them, add "
                     "hydra.sweeper.overwrite=true")
    else:
        lines.append("to keep them, choose another hydra.sweep.dir; to replace them, delete "
                     "them first (this sweeper has no overwrite setting; the edusim "
                     "sweeper's is hydra.sweeper.overwrite=true)")
    return lines
