"""Where docs results live, the model's behaviour fingerprint, and reading/writing results."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path("docs") / "results"
IMAGES = Path("docs") / "img"
DIGESTS = Path("tests") / "baselines" / "digests.json"
JOBS_DIR = Path(__file__).resolve().parent / "jobs"

#: the Markdown files whose generated blocks the check compares (relative to the root)
DOC_FILES = (
    "README.md",
    "docs/ODD.md",
    "docs/architecture.md",
    "docs/calibration.md",
    "docs/county_tables.md",
    "docs/errors.md",
    "docs/parameters.md",
    "docs/policies.md",
    "docs/sources.md",
    "examples/README.md",
    "examples/published_county/README.md",
)

#: the one command that regenerates everything (named in every staleness message)
MAKE_DOCS = "make docs"


def rounded(node, digits: int | None = 5):
    """A job's values made small and JSON-safe, recursively: floats (numpy ones too) to
    ``digits`` significant digits (``None``: unrounded), NaN and infinities to None; bools,
    ints and strings as they are; tuples become lists."""
    import math
    import numbers

    if isinstance(node, dict):
        return {k: rounded(v, digits) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [rounded(v, digits) for v in node]
    if isinstance(node, bool | str) or node is None:
        return node
    if isinstance(node, numbers.Integral):
        return int(node)
    if isinstance(node, numbers.Real):
        x = float(node)
        if not math.isfinite(x):
            return None
        return x if digits is None else float(f"{x:.{digits}g}")
    return node


def job_command(name: str) -> str:
    """The command that regenerates one job's result and the blocks that quote it."""
    return f"make docs JOBS={name}"


def behaviour_fingerprint(root: Path = ROOT) -> str:
    """The behaviour fingerprint (:func:`sim.behaviour.fingerprint`) of the stored test
    baselines' digests under ``root``: it changes whenever a change of the model moves any
    stored baseline (``make baselines``), i.e. whenever the model behaves differently on the
    eight fixed-seed runs of ``tests/baselines/``; in the repository it is
    :data:`sim.behaviour.BEHAVIOUR`, the value every run records."""
    from sim.behaviour import fingerprint

    return fingerprint(json.loads((root / DIGESTS).read_text(encoding="utf-8")))


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def job_source_hash(name: str) -> str:
    """Hash of a job's module: a job whose code changed is stale even if the model is not."""
    return file_hash(JOBS_DIR / f"{name}.py")


def input_hashes(patterns: list[str] | tuple[str, ...], root: Path = ROOT) -> dict[str, str]:
    """Hash of every file matching a job's ``DEPENDS`` globs (relative to the root): the code
    and data that shape what the job stores besides the model's behaviour (figure code, report
    wording, a county table, a sweep's config), so that changing them makes the result
    stale."""
    found = {}
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            if path.is_file() and "__pycache__" not in path.parts:
                found[path.relative_to(root).as_posix()] = file_hash(path)
    return found


def result_path(name: str, root: Path = ROOT) -> Path:
    return root / RESULTS / f"{name}.json"


def load_result(name: str, root: Path = ROOT) -> dict:
    path = result_path(name, root)
    if not path.exists():
        raise FileNotFoundError(
            f"{path.relative_to(root)} does not exist: run `{job_command(name)}`")
    return json.loads(path.read_text(encoding="utf-8"))


def machine() -> dict:
    """What a timing was measured on: CPU model, cores, memory, Python, load."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem = float("nan")
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem, 1),
            "python": platform.python_version(), "system": platform.system()}


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def wait_for_load_below(limit: float, timeout_s: float, load=load_average, sleep=None,
                        say=None) -> float | None:
    """Wait until the 1-minute load average is below ``limit`` (checked every 10 s), at most
    ``timeout_s`` seconds, so that a timing job does not start on a machine still busy with
    the work before it; ``say`` (a callable) hears once that it waits. Returns the load when
    it stopped waiting (None where the load cannot be read: it does not wait)."""
    import time

    sleep = sleep or time.sleep
    now, waited = load(), 0.0
    if now is not None and now >= limit and say is not None:
        say(f"waiting for the machine to settle (load {now:g}; starts below {limit:g}, "
            f"or after {timeout_s:.0f} s)")
    while now is not None and now >= limit and waited < timeout_s:
        sleep(10.0)
        waited += 10.0
        now = load()
    return now


def commit(root: Path = ROOT) -> str:
    """The commit the docs were made from, with ``+changes`` when the work tree differed."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty.strip() else "")


def write_result(name: str, *, values: dict, commands: list[str], images: dict[str, str],
                 started: _dt.datetime, duration_s: float, load: dict,
                 depends: list[str] | tuple[str, ...] = (), root: Path = ROOT) -> Path:
    """Store one job's result (atomically)."""
    record = {
        "job": name,
        "made_by": job_command(name),
        "behaviour": behaviour_fingerprint(root),
        "job_source": job_source_hash(name),
        "depends": list(depends),
        "inputs": input_hashes(depends, root),
        "commit": commit(root),
        "date": started.strftime("%Y-%m-%d"),
        "duration_s": round(duration_s, 1),
        "machine": machine(),
        "load": load,
        "commands": commands,
        "images": images,
        "values": values,
    }
    path = result_path(name, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1, ensure_ascii=False, sort_keys=False) + "\n",
                   encoding="utf-8")
    tmp.replace(path)
    return path
