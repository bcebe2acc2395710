"""The commands end quietly when interrupted or when their reader goes away."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.terminal import EXIT_INTERRUPTED, EXIT_PIPE_CLOSED, command

ROOT = Path(__file__).resolve().parent.parent


def test_an_interrupted_command_says_so_and_exits_130(capsys):
    @command("edusim-x")
    def main() -> int:
        raise KeyboardInterrupt

    assert main() == EXIT_INTERRUPTED == 130
    assert capsys.readouterr().err.strip() == "edusim-x: interrupted"


def test_other_errors_and_results_pass_through():
    @command("edusim-x")
    def ok(value: int) -> int:
        return value

    @command("edusim-x")
    def fails() -> int:
        raise ValueError("mine")

    assert ok(3) == 3
    with pytest.raises(ValueError, match="mine"):
        fails()


@pytest.mark.parametrize("module, args", [
    ("sim.evaluation", ["examples/published_county/schools.csv", "--json"]),
    ("sim.county_table", ["examples/county_schools.csv"]),
])
def test_a_reader_that_stops_reading_gets_no_traceback(module, args):
    """``edusim-evaluate --json | head``: the reader is gone before anything is written."""
    proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # no reader: every write fails with a broken pipe
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == EXIT_PIPE_CLOSED, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_a_command_skips_the_collections_of_the_shut_down_but_no_exit_handler():
    """exit_without_collecting: gc.freeze runs after the exit handlers registered after it
    (they still run) and before the interpreter's own collections."""
    code = """
        import atexit, gc
        start = gc.get_freeze_count()  # (the interpreter's own permanent objects)
        atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > start))
        from sim.terminal import command

        @command("edusim-x")
        def main():
            return 0

        main()
        main()
        atexit.register(lambda: print("a later exit handler ran"))
        print("frozen before exit:", gc.get_freeze_count() > start)
        """
    import textwrap

    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["frozen before exit: False", "a later exit handler ran",
                                       "frozen at exit: True"]


@pytest.mark.parametrize("entry, app", [("edusim", "experiments.run"),
                                        ("edusim_design", "experiments.design"),
                                        ("edusim_uncertainty", "experiments.uncertainty.app")])
def test_every_command_registers_the_exit_freeze_once(monkeypatch, entry, app):
    import atexit
    import gc
    import importlib

    import experiments.entry
    import sim.terminal

    registered = []
    monkeypatch.setattr(sim.terminal, "_EXIT_FREEZE_REGISTERED", False)
    monkeypatch.setattr(atexit, "register", registered.append)
    monkeypatch.setattr(importlib.import_module(app), "main", lambda: None)  # the Hydra app
    monkeypatch.setattr(sys, "argv", [entry, "figures=false"])
    getattr(experiments.entry, entry)()
    getattr(experiments.entry, entry)()
    assert registered == [gc.freeze]
    # help and version answer without it (they load nothing of sim)
    monkeypatch.setattr(sim.terminal, "_EXIT_FREEZE_REGISTERED", False)
    registered.clear()
    for flag in ("--help", "--version"):
        monkeypatch.setattr(sys, "argv", [entry, flag])
        getattr(experiments.entry, entry)()
    assert registered == []
