"""What every edusim command does at the terminal's edges: an interrupted command (Ctrl+C)
and a reader that stops reading (``edusim-evaluate --json | head``) end it quietly, with one
line and the shell's usual exit code, never a traceback."""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["EXIT_INTERRUPTED", "EXIT_PIPE_CLOSED", "command"]

#: exit code after Ctrl+C (128 + SIGINT), as a shell reports it
EXIT_INTERRUPTED = 128 + signal.SIGINT
#: exit code when the reader of standard output went away (128 + SIGPIPE)
EXIT_PIPE_CLOSED = 128 + signal.SIGPIPE


def command(prog: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for a command's ``main``: Ctrl+C prints ``PROG: interrupted`` and returns
    :data:`EXIT_INTERRUPTED`; a closed standard output returns :data:`EXIT_PIPE_CLOSED`
    silently (what is left to print goes to the null device, so the interpreter's own
    flush at exit raises nothing either). Anything else passes through unchanged."""

    def deco(main: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(main)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
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

        return wrapper

    return deco
