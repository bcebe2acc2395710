"""The ``edusim-evaluate`` command: the official county balance tests applied to a school
table, printed as a report or as JSON (usage and exit codes: :mod:`sim.evaluation`).

The table is read and checked by :mod:`sim.county_table`, the reader of every edusim tool,
so ``edusim-evaluate``, ``edusim-check-county`` and ``edusim region=file`` accept and reject
the same files with the same messages."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from sim.county_table import CountyTableError, load_county_table
from sim.county_table.cli import prog_name
from sim.evaluation.report import EvaluationResult, evaluate, format_report
from sim.evaluation.table import NoSchoolsError, NotAssessableError, SchoolTableError
from sim.standards import LEVELS, STANDARDS
from sim.terminal import command, version_line

__all__ = ["main"]

PROG = "edusim-evaluate"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog_name(PROG, "sim.evaluation"),
        description="Apply the official county balance tests (2017 high-quality, 2012 basic) "
                    "to a school table (CSV or XLSX, Chinese or English headers; format: see "
                    "`python -m pydoc sim.evaluation` and `pydoc sim.county_table`).",
    )
    p.add_argument("--version", action="version", version=version_line(p.prog))
    p.add_argument("path", help="school table: CSV (UTF-8, GBK or UTF-16) or XLSX")
    p.add_argument("--sheet", metavar="NAME", default=None,
                   help="XLSX sheet holding the table (default: the first sheet with the "
                        "table's header)")
    p.add_argument("--level", choices=[*LEVELS, "both"], default="both",
                   help="school level to evaluate (default: both)")
    p.add_argument("--standard", choices=[*STANDARDS, "both"], default="quality",
                   help="quality = 2017 high-quality balance, basic = 2012 basic balance "
                        "(default: quality)")
    p.add_argument("--threshold", type=float, default=None, metavar="X",
                   help="replace the official CV limit by X, 0 < X <= 1 (e.g. a county "
                        "target of 0.30)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a report")
    return p


@command(PROG)
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``edusim-evaluate``; returns the exit code (0 report, 2 error)."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.threshold is not None and not (0.0 < args.threshold <= 1.0):
            parser.error(f"argument --threshold: must be in (0, 1], got {args.threshold:g}")
    except SystemExit as exc:  # argparse: usage errors exit 2, --help exits 0
        return exc.code if isinstance(exc.code, int) else 2

    prog = parser.prog
    source = args.path
    try:
        county = load_county_table(
            args.path, sheets=None if args.sheet is None else {"schools": args.sheet})
    except CountyTableError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    table = county.schools

    levels = LEVELS if args.level == "both" else (args.level,)
    standards = STANDARDS if args.standard == "both" else (args.standard,)
    results: list[EvaluationResult] = []
    skipped: list[str] = []
    assessable_none = False
    for standard in standards:
        for level in levels:
            try:
                results.append(evaluate(table, level, standard, args.threshold, source=source))
            except NoSchoolsError as exc:
                assessable_none |= isinstance(exc, NotAssessableError)
                note = str(exc).removeprefix(f"{source}: ")
                if note not in skipped:
                    skipped.append(note)
            except SchoolTableError as exc:
                print(f"{prog}: error: {exc}", file=sys.stderr)
                return 2
    if not results and not assessable_none:
        print(f"{prog}: error: nothing to evaluate in {source}: " + "; ".join(skipped),
              file=sys.stderr)
        return 2

    if args.json:
        text = json.dumps({"source": source, "read": county.source["schools"],
                           "notes": county.notes, "results": [r.to_dict() for r in results],
                           "not_evaluated": skipped}, ensure_ascii=False, indent=2)
    else:
        text = format_report(results, skipped, source, table, notes=county.notes)
    print(text)
    return 0
