"""What every edusim command does at the terminal's edges: an interrupted command (Ctrl+C)
and a reader that stops reading (``edusim-evaluate --json | head``) end it quietly, with one
line and the shell's usual exit code, never a traceback; a file or directory the command
cannot write (or read) ends it with exit code 2 and one line naming the path.

:func:`output_dir_problem` is the check a command makes of an output directory *before* it
starts work, so that an unwritable location stops it with nothing half-written."""

from __future__ import annotations

import errno
import functools
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["EXIT_INTERRUPTED", "EXIT_PIPE_CLOSED", "EXIT_USAGE", "command",
           "exit_without_collecting", "output_dir_problem", "version_line"]

#: exit code after Ctrl+C (128 + SIGINT), as a shell reports it
EXIT_INTERRUPTED = 128 + signal.SIGINT
#: exit code when the reader of standard output went away (128 + SIGPIPE)
EXIT_PIPE_CLOSED = 128 + signal.SIGPIPE
#: exit code of every user mistake (bad input, unwritable output location), as argparse uses
EXIT_USAGE = 2


def exit_without_collecting() -> None:
    """Let the interpreter's shut-down skip its garbage collections over what the command
    leaves alive (pandas, Hydra, the model: about 0.1 s of a short command on a 2-core
    machine). Registers :func:`gc.freeze` to run after every other exit handler that is
    registered later (exit handlers run last-registered first); the handlers themselves,
    and the flushing and closing of files and streams, happen as always. Once per process;
    a program that imports a command's function and calls it (a test) is affected only at
    its own exit."""
    global _EXIT_FREEZE_REGISTERED
    if _EXIT_FREEZE_REGISTERED:
        return
    import atexit
    import gc

    atexit.register(gc.freeze)
    _EXIT_FREEZE_REGISTERED = True


#: whether :func:`exit_without_collecting` has registered its handler
_EXIT_FREEZE_REGISTERED = False


def version_line(prog: str) -> str:
    """What ``PROG --version`` prints: the command, the edusim version and the behaviour
    fingerprint of its model (:mod:`sim.behaviour`; what every result records), e.g.
    ``edusim-aggregate 0.1.0 (model behaviour 91eaa813110863b7)``."""
    from sim.behaviour import BEHAVIOUR, VERSION

    return f"{prog} {VERSION} (model behaviour {BEHAVIOUR})"


def output_dir_problem(path: str | os.PathLike[str], what: str) -> str | None:
    """Why the directory ``path`` cannot be made or written (one line beginning with
    ``what``, the option or field that named it), or None if it can. Nothing is left behind:
    the nearest existing ancestor must be a directory in which a directory can be made (one
    is made there and removed at once, so that what the permission bits do not tell shows
    too: a read-only file system, ``/proc`` and ``/sys``, root's rights)."""
    import tempfile
    from pathlib import Path

    target = Path(path).expanduser()
    probe = target.absolute()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return f"{what}: cannot make the directory {target}: {probe} is a file"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{what}: cannot write the directory {target}: {probe} is not writable"
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".edusim-probe-", dir=probe))
    except OSError as exc:
        why = ("no directory can be made there" if exc.errno == errno.ENOENT
               else exc.strerror or str(exc))
        return f"{what}: cannot write the directory {target}: {probe} does not allow it ({why})"
    return None


def command(prog: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for a command's ``main`` (which also calls :func:`exit_without_collecting`):
    Ctrl+C prints ``PROG: interrupted`` and returns
    :data:`EXIT_INTERRUPTED`; a closed standard output returns :data:`EXIT_PIPE_CLOSED`
    silently (what is left to print goes to the null device, so the interpreter's own
    flush at exit raises nothing either). A file-system error that names its file (a
    directory that turned out unwritable, a full disk) prints ``PROG: cannot write or read
    FILE: REASON`` and returns :data:`EXIT_USAGE`. Anything else passes through unchanged."""

    def deco(main: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(main)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            exit_without_collecting()
            try:
                result = main(*args, **kwargs)
                sys.stdout.flush()  # a closed pipe shows here, not in the exit's own flush
                return result
            except KeyboardInterrupt:
                print(f"\n{prog}: interrupted", file=sys.stderr)
                return EXIT_INTERRUPTED
            except BrokenPipeError:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                return EXIT_PIPE_CLOSED
            except OSError as err:
                if err.filename is None:
                    raise
                print(f"{prog}: cannot write or read {err.filename}: "
                      f"{err.strerror or err}", file=sys.stderr)
                return EXIT_USAGE

        return wrapper

    return deco
