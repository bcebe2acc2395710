"""``make docs``: re-run the stale docs jobs, regenerate the generated files and blocks.

    .venv/bin/python -m experiments.docs                 # every stale job, then every block
    .venv/bin/python -m experiments.docs run_default     # only these jobs (then every block)
    .venv/bin/python -m experiments.docs --force         # every job, stale or not
    .venv/bin/python -m experiments.docs --check         # is everything current? (fast)
    .venv/bin/python -m experiments.docs --list          # the jobs and their state
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from experiments.docs import check, jobs
from experiments.docs.store import (
    DOC_FILES,
    ROOT,
    load_average,
    wait_for_load_below,
    write_result,
)

PROG = "edusim-docs"


class _LoadSampler(threading.Thread):
    """Samples the 1-minute load average every 5 s while a job runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.start_load = load_average()
        self.max_load = self.start_load
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.wait(5.0):
            now = load_average()
            if now is not None and (self.max_load is None or now > self.max_load):
                self.max_load = now

    def stop(self) -> dict:
        self._stop.set()
        return {"start": self.start_load, "max": self.max_load}


#: how long a timing job waits for the machine to settle before it starts anyway (its load
#: is stored beside its timings either way)
SETTLE_TIMEOUT_S = 600.0


def run_job(name: str) -> None:
    mod = jobs.module(name)
    limit = getattr(mod, "START_BELOW_LOAD", None)
    if limit is not None:  # a timing job: not right after other work
        wait_for_load_below(limit, SETTLE_TIMEOUT_S, say=lambda line: print(
            f"[docs] {name}: {line}", file=sys.stderr, flush=True))
    print(f"[docs] {name}: {mod.TITLE} ...", file=sys.stderr, flush=True)
    started = _dt.datetime.now()
    t0 = time.perf_counter()
    sampler = _LoadSampler()
    sampler.start()
    with tempfile.TemporaryDirectory(prefix=f"edusim-docs-{name}-") as scratch:
        ctx = jobs.JobContext(name, Path(scratch))
        values = mod.run(ctx)
    load = sampler.stop()
    if ctx.timings:
        values = {**values, "timings_s": ctx.timings}
    duration = time.perf_counter() - t0
    path = write_result(name, values=values, commands=ctx.commands, images=ctx.images,
                        started=started, duration_s=duration, load=load,
                        depends=getattr(mod, "DEPENDS", ()))
    print(f"[docs] {name}: done in {duration:.0f} s -> {path.relative_to(ROOT)}",
          file=sys.stderr, flush=True)


def regenerate_blocks(files: list[str] | None = None) -> list[str]:
    """The generated reference files, then every cog block from the stored results. Returns
    the files whose blocks could not be generated (each reported on stderr)."""
    import fcntl

    from cogapp import Cog

    from experiments import make_parameter_docs
    from experiments.calibration import parameters as calibration_parameters

    make_parameter_docs.main()
    calibration_parameters.update()  # docs/calibration.md §4's table, from the schema
    chosen = files or [f for f in DOC_FILES if (ROOT / f).exists()]
    failed = []
    lock_path = ROOT / "docs" / "results" / ".lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for rel in chosen:
            if "[[[cog" not in (ROOT / rel).read_text(encoding="utf-8"):
                continue
            os.chdir(ROOT)
            if Cog().main(["cog", "-r", "-I", str(ROOT), rel]):
                failed.append(rel)
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("jobs", nargs="*", help="jobs to run (default: every stale one)")
    parser.add_argument("--force", action="store_true", help="run the jobs even if current")
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if stale")
    parser.add_argument("--list", action="store_true", help="list the jobs and their state")
    parser.add_argument("--blocks-only", action="store_true",
                        help="run no job; regenerate the generated files and blocks only")
    args = parser.parse_args(argv)
    known = jobs.names()
    unknown = [j for j in args.jobs if j not in known]
    if unknown:
        print(f"{PROG}: no docs job {', '.join(unknown)}; the jobs are {', '.join(known)}",
              file=sys.stderr)
        return 2
    if args.check:
        found = check.problems()
        for p in found:
            print(f"{PROG}: {p}", file=sys.stderr)
        if not found:
            print(f"{PROG}: every stored result, image and generated block is current")
        return 1 if found else 0
    stale = check.stale_jobs()
    if args.list:
        for name in known:
            state = "stale" if name in stale else "current"
            print(f"{name:24s} {state:8s} {jobs.module(name).TITLE}")
        return 0
    todo = [] if args.blocks_only else (args.jobs or known)
    if not args.force:
        todo = [n for n in todo if n in stale or n in args.jobs]
    for name in todo:
        try:
            run_job(name)
        except jobs.JobFailed as err:
            print(f"{PROG}: {err}", file=sys.stderr)
            return 1
    failed = regenerate_blocks()
    for rel in failed:
        print(f"{PROG}: the generated blocks of {rel} could not be made (see above)",
              file=sys.stderr)
    left = check.problems()
    for p in left:
        print(f"{PROG}: still not current: {p}", file=sys.stderr)
    if not left:
        print(f"{PROG}: docs current ({len(todo)} job(s) run); check with "
              f"`.venv/bin/python -m experiments.docs --check`")
    return 1 if left or failed else 0


if __name__ == "__main__":
    sys.exit(main())
