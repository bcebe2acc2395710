"""``edusim-check-county`` / ``python -m sim.county_table``: check a county's tables from the
command line, as ``edusim region=file`` will read them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.county_table.load import load_county_table
from sim.county_table.problems import CountyTableError
from sim.county_table.schema import TABLE_KINDS
from sim.standards import MIN_STUDENTS
from sim.terminal import command, version_line
from sim.vocabulary import LEVELS

__all__ = ["main", "prog_name"]

PROG = "edusim-check-county"


def prog_name(console: str, module: str) -> str:
    """The command's name as the user typed it, for its messages: ``python -m module`` when
    the interpreter runs that package's own ``__main__.py``, else the console-script name
    ``console`` (also when ``main`` is called from Python, e.g. under ``python -m pytest``)."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    package = getattr(sys.modules.get(module), "__file__", None)
    if script is not None and script.name == "__main__.py" and package is not None \
            and script.resolve().parent == Path(package).resolve().parent:
        return f"python -m {module}"
    return console


@command(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    """Check a county's tables: print a summary (exit 0) or every problem (exit 2).

    The tables are checked as ``edusim region=file`` reads them (``simulate=True`` of
    :func:`~sim.county_table.load_county_table`): a valid table that the model cannot
    simulate (no primary or no junior row) is an error here too, marked "cannot be simulated",
    though ``edusim-evaluate`` can test the rows it has."""
    p = argparse.ArgumentParser(prog=prog_name(PROG, "sim.county_table"),
                                description="Read and check a county's school tables "
                                            "(CSV/XLSX; format: pydoc sim.county_table) as "
                                            "edusim region=file reads them.")
    p.add_argument("--version", action="version", version=version_line(p.prog))
    p.add_argument("path", help="school table")
    p.add_argument("--teachers", help="teachers table")
    p.add_argument("--grades", help="pupils by grade")
    p.add_argument("--tiers", help="tier table")
    p.add_argument("--sheet", action="append", default=[], metavar="NAME|TABLE=NAME",
                   help="XLSX sheet of the school table (NAME), or of any table (TABLE=NAME, "
                        f"TABLE one of {', '.join(TABLE_KINDS)}; repeatable). Default: the "
                        "first sheet whose header has the table's columns")
    try:
        args = p.parse_args(argv)
        sheets: dict[str, str] = {}
        for item in args.sheet:
            kind, sep, name = item.partition("=")
            if not sep or kind not in TABLE_KINDS:
                kind, name = "schools", item
            if not name:
                p.error(f"--sheet {item!r}: empty sheet name; expected NAME or TABLE=NAME with "
                        f"TABLE one of {', '.join(TABLE_KINDS)}")
            if kind in sheets:
                p.error(f"--sheet {item!r}: the {kind} table's sheet is already given "
                        f"({sheets[kind]!r})")
            sheets[kind] = name
            if kind != "schools" and getattr(args, kind) is None:
                p.error(f"--sheet {item!r}: no {kind} table is given (--{kind} PATH), so there "
                        "is no workbook to take that sheet from")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        table = load_county_table(args.path, teachers_path=args.teachers,
                                  grades_path=args.grades, tiers_path=args.tiers,
                                  sheets=sheets, simulate=True)
    except CountyTableError as exc:
        print(f"{p.prog}: error: {exc}", file=sys.stderr)
        return 2
    print(table.summary())
    for note in table.notes:
        print(f"note: {note}")
    s = table.schools
    for level in LEVELS:
        pupils = s.loc[s["level"] == level, "students"]
        if len(pupils) and (pupils < MIN_STUDENTS).all():
            print(f"note: every {level} row has fewer than {MIN_STUDENTS} pupils: the county "
                  f"can be simulated, but the official tests will find {level} not assessable "
                  "(they leave teaching points out)")
    return 0
