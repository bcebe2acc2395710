"""Checks of a sweep's jobs that :class:`experiments.callbacks.ValidateSweep` makes before
any job starts, beyond each job's own configuration: the county table each job reads (once
per table) and the directories the jobs write (one per job, inside the sweep's); and what a
single run would warn of, said once for the jobs it concerns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["job_table_problems", "job_warnings", "sweep_subdir_problem", "warning_lines"]


def job_table_problems(container: dict[str, Any], seen: dict[str, list[str]]) -> list[str]:
    """The problems of the county table a job's ``region`` names (none without a path), as a
    single run finds them before it starts; each distinct ``region`` is read once (``seen``
    keeps what was found), so a sweep over seeds reads its table once."""
    from experiments.run import table_problems

    region = container.get("region") or {}
    if not region.get("path"):
        return []
    key = json.dumps(region, sort_keys=True, default=str)
    if key not in seen:
        seen[key] = table_problems(container)
    return seen[key]


def sweep_subdir_problem(sweep_dir: Path, subdirs: list[str]) -> str | None:
    """Why the jobs' directories (:func:`experiments.callbacks.job_subdirs`) cannot hold the
    sweep, or None: two jobs given one directory (the later run would replace the earlier),
    or a directory outside ``hydra.sweep.dir``."""
    first: dict[Path, int] = {}
    root = sweep_dir.resolve()
    for num, subdir in enumerate(subdirs):
        where = (sweep_dir / subdir).resolve()
        if where == root or root not in where.parents:
            return (f"hydra.sweep.subdir: job {num}'s directory {subdir!r} is not inside "
                    f"hydra.sweep.dir ({sweep_dir}); each job needs its own folder there "
                    "(the default is ${hydra.job.num})")
        if where in first:
            return (f"hydra.sweep.subdir: jobs {first[where]} and {num} get the same "
                    f"directory {subdir!r}, so one run would replace the other; it must "
                    "differ from job to job (the default is ${hydra.job.num}, e.g. "
                    "${hydra.job.num}_${seed})")
        first[where] = num
    return None


def job_warnings(seen: dict[str, list[int]], container: dict[str, Any], num: int) -> None:
    """Note in ``seen`` (warning line -> job numbers) what a single run of job ``num``'s
    configuration warns of (:func:`experiments.run.run_warnings`)."""
    from experiments.run import run_warnings

    for line in run_warnings(container):
        seen.setdefault(line, []).append(num)


def warning_lines(seen: dict[str, list[int]], n_jobs: int) -> list[str]:
    """Each warning of :func:`job_warnings` once, with the jobs it concerns."""
    out = []
    for line, nums in seen.items():
        jobs = ("every job" if len(nums) == n_jobs else
                "job" + ("s " if len(nums) > 1 else " ") + ", ".join(map(str, nums[:5]))
                + (", ..." if len(nums) > 5 else ""))
        out.append(f"{line} ({jobs})")
    return out
