"""A PostgreSQL server of the tests' own on 127.0.0.1 (for a design search shared through a
PostgreSQL database, as the README shows): a fresh cluster in a temporary folder, started on
a free port with trust authentication for local connections only, and stopped afterwards by
its own process id.

The server binaries are Debian's (``/usr/lib/postgresql/VERSION/bin``, or the folder that
``pg_config --bindir`` names); ``make test`` installs them when they are missing
(``scripts/setup-postgres.sh``). PostgreSQL refuses to run as root: as root, the cluster is
made and the server run as the ``postgres`` user (``subprocess``'s ``user`` and ``group``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import free_ports

__all__ = ["bin_dir", "postgres_server"]

#: seconds the server has to accept connections (assumption: it starts in ~1 s here)
START_TIMEOUT = 60.0


def bin_dir() -> Path | None:
    """The folder of ``initdb`` and ``postgres`` (the newest installed version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name)
                   if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        folder = Path(out.stdout.strip())
        if (folder / "initdb").is_file():
            return folder
    return Path(shutil.which("initdb")).parent if shutil.which("initdb") else None


def _as_server_user() -> dict:
    """subprocess arguments that run a program as the ``postgres`` user when this process is
    root (PostgreSQL refuses root), else as this user."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


@contextlib.contextmanager
def postgres_server(database: str = "edusim") -> Iterator[str]:
    """Start a server with an empty ``database``; yields its SQLAlchemy URL
    (``postgresql+psycopg://postgres@127.0.0.1:PORT/DATABASE``)."""
    binaries = bin_dir()
    if binaries is None:
        raise RuntimeError("no PostgreSQL server binaries (initdb, postgres) found: install "
                           "PostgreSQL (Debian: apt-get install postgresql) or run make test")
    folder = Path(tempfile.mkdtemp(prefix="edusim-test-postgres-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres", group="postgres")
    proc = None
    try:
        subprocess.run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres",
                        "--auth=trust", "--no-sync", "-E", "UTF8"], cwd=folder, check=True,
                       capture_output=True, text=True, **_as_server_user())
        port = free_ports()[0]
        proc = subprocess.Popen(
            [str(binaries / "postgres"), "-D", str(data), "-p", str(port),
             "-c", "listen_addresses=127.0.0.1", "-k", str(folder), "-c", "fsync=off"],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            **_as_server_user())
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            ready = subprocess.run([str(binaries / "pg_isready"), "-h", "127.0.0.1", "-p",
                                    str(port)], capture_output=True)
            if ready.returncode == 0:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the PostgreSQL server did not start: "
                                   f"{(proc.stderr.read() if proc.poll() is not None else '')}")
            time.sleep(0.2)
        subprocess.run([str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U",
                        "postgres", database], check=True, capture_output=True, text=True)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"
    finally:
        if proc is not None:
            _stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server by its own process id (``proc`` is the server itself): a fast
    shutdown (SIGINT), then SIGKILL if it hangs."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
