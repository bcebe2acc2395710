"""``edusim-check-county`` / ``python -m sim.county_table``: check a county's tables from the
command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sim.county_table.load import load_county_table
from sim.county_table.problems import CountyTableError
from sim.county_table.schema import TABLE_KINDS
from sim.terminal import command

__all__ = ["main"]


@command("edusim-check-county")
def main(argv: Sequence[str] | None = None) -> int:
    """Check a county's tables: print a summary (exit 0) or every problem (exit 2)."""
    p = argparse.ArgumentParser(prog="python -m sim.county_table",
                                description="Read and check a county's school tables "
                                            "(CSV/XLSX; format: pydoc sim.county_table).")
    p.add_argument("path", help="school table")
    p.add_argument("--teachers", help="teachers table")
    p.add_argument("--grades", help="pupils by grade")
    p.add_argument("--tiers", help="tier table")
    p.add_argument("--sheet", action="append", default=[], metavar="TABLE=SHEET",
                   help="XLSX sheet of a table, e.g. schools=学校 (repeatable)")
    try:
        args = p.parse_args(argv)
        sheets = {}
        for item in args.sheet:
            kind, sep, name = item.partition("=")
            if not sep or kind not in TABLE_KINDS:
                p.error(f"--sheet {item!r}: expected TABLE=SHEET with TABLE one of "
                        f"{', '.join(TABLE_KINDS)}")
            sheets[kind] = name
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        table = load_county_table(args.path, teachers_path=args.teachers,
                                  grades_path=args.grades, tiers_path=args.tiers,
                                  sheets=sheets)
    except CountyTableError as exc:
        print(f"{p.prog}: error: {exc}", file=sys.stderr)
        return 2
    print(table.summary())
    for note in table.notes:
        print(f"note: {note}")
    return 0
