"""The docs jobs: one module per job, named after the result it stores.

A job module defines ``TITLE`` (one line), ``run(ctx) -> dict`` and optionally ``DEPENDS``
(globs, relative to the repository root, of the code and data besides the model that shape
its output — figure code, report wording, a county table, a sweep's config; a change to any
of them makes the stored result stale) and ``START_BELOW_LOAD`` (a job that times things: it
starts once the 1-minute load average is below this, or after 10 minutes): it runs the commands a
user would run through ``ctx.sh`` (from the repository root, ``.venv/bin`` first on the PATH),
copies the images the docs show with ``ctx.image``, and returns the values the docs quote (JSON
types only). It may define ``render_*`` functions that turn its stored values into Markdown for
the cog blocks (``experiments.docs.render.result(NAME)`` reads them). Keep values small: they
are committed.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from experiments.docs.store import IMAGES, ROOT, file_hash


def names() -> list[str]:
    """Every job, in a fixed order (alphabetical; the tutorial last, as it quotes the rest)."""
    found = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                   if not m.name.startswith("_"))
    return sorted(found, key=lambda n: n == "tutorial")


def module(name: str):
    return importlib.import_module(f"experiments.docs.jobs.{name}")


class JobFailed(RuntimeError):
    """A command of a job failed; the message holds the command and the end of its output."""


class JobContext:
    """What a job gets: a scratch directory, a way to run commands and to keep images."""

    def __init__(self, name: str, scratch: Path, root: Path = ROOT) -> None:
        self.name = name
        self.scratch = scratch
        self.root = root
        self.commands: list[str] = []
        self.images: dict[str, str] = {}
        self.timings: dict[str, float] = {}

    def sh(self, *args: str, label: str | None = None, env: dict | None = None,
           input: str | None = None, record: bool = True) -> subprocess.CompletedProcess:
        """Run one command from the repository root (``.venv/bin`` first on the PATH); the
        command is recorded in the result. Returns the completed process (text output);
        raises JobFailed with the output's end when it fails."""
        cmd = [str(a) for a in args]
        shown = " ".join(shlex.quote(c) for c in cmd)
        if record:
            self.commands.append(shown)
        bindir = str(Path(sys.executable).parent)
        full_env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
                    **(env or {})}
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=self.root, env=full_env, capture_output=True,
                                  text=True, input=input)
        except FileNotFoundError:
            raise JobFailed(f"docs job {self.name}: no command `{cmd[0]}` here; `make docs` "
                            "installs what the docs jobs run (the docs extra: pip install -e "
                            "'.[docs]')") from None
        if label:
            self.timings[label] = round(time.perf_counter() - t0, 1)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
            raise JobFailed(f"docs job {self.name}: `{shown}` exited {proc.returncode}:\n{tail}")
        return proc

    def image(self, source: Path | str, dest: str) -> str:
        """Copy an image a command made to ``docs/img/DEST`` and record its hash; returns the
        path relative to the root (for the Markdown)."""
        target = self.root / IMAGES / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        rel = str((IMAGES / dest).as_posix())
        self.images[rel] = file_hash(target)
        return rel

    def output(self, source: Path | str, dest: str) -> str:
        """Copy a file a job made to DEST, a path relative to the repository root (e.g.
        ``docs/tutorial.ipynb``), and record its hash with the images, so that the check
        finds the file edited or made by another version. A SOURCE that is DEST itself is
        only recorded (e.g. the text a job executed). Returns DEST."""
        rel = Path(dest)
        if rel.is_absolute() or ".." in rel.parts:
            raise ValueError(f"docs job {self.name}: output {dest!r} must be a path inside "
                             f"the repository, relative to its root")
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path(source).resolve() != target.resolve():
            shutil.copyfile(source, target)
        self.images[rel.as_posix()] = file_hash(target)
        return rel.as_posix()
