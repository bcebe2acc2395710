"""The ``edusim-evaluate`` command: the official county balance tests applied to a CSV school
table, printed as a report or as JSON (usage and exit codes: :mod:`sim.evaluation`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from sim.evaluation.report import EvaluationResult, evaluate, format_report
from sim.evaluation.table import NoSchoolsError, SchoolTableError, load_school_table
from sim.standards import LEVELS, STANDARDS
from sim.terminal import command

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="edusim-evaluate",
        description="Apply the official county balance tests (2017 high-quality, 2012 basic) "
                    "to a school table (CSV; format: see `python -m pydoc sim.evaluation`).",
    )
    p.add_argument("path", help="school table, CSV (UTF-8)")
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


@command("edusim-evaluate")
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
        table = load_school_table(args.path, source=source)
    except SchoolTableError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{prog}: error: cannot read {source}: {exc.strerror or exc}", file=sys.stderr)
        return 2

    levels = LEVELS if args.level == "both" else (args.level,)
    standards = STANDARDS if args.standard == "both" else (args.standard,)
    results: list[EvaluationResult] = []
    skipped: list[str] = []
    for standard in standards:
        for level in levels:
            try:
                results.append(evaluate(table, level, standard, args.threshold, source=source))
            except NoSchoolsError as exc:
                note = str(exc).removeprefix(f"{source}: ")
                if note not in skipped:
                    skipped.append(note)
            except SchoolTableError as exc:
                print(f"{prog}: error: {exc}", file=sys.stderr)
                return 2
    if not results:
        print(f"{prog}: error: nothing to evaluate in {source}: " + "; ".join(skipped),
              file=sys.stderr)
        return 2

    if args.json:
        text = json.dumps({"source": source, "results": [r.to_dict() for r in results],
                           "not_evaluated": skipped}, ensure_ascii=False, indent=2)
    else:
        text = format_report(results, skipped, source, table)
    print(text)
    return 0

