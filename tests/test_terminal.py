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
