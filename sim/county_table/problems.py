"""The problems found in a county's tables and the error that reports them all at once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["MAX_LISTED", "CountyTableError", "CountyTableProblem", "FileProblems"]

MAX_LISTED = 50
"""The message of a :class:`CountyTableError` lists this many problems, then a count."""


@dataclass(frozen=True)
class CountyTableProblem:
    """One problem: file, line (header = line 1, or None), column (English name), rule."""

    file: str
    line: int | None
    column: str | None
    message: str
    school_id: str | None = None
    header: str | None = None  # the column's header as written, when it differs

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            col = f"column {self.column!r}"
            if self.header and self.header != self.column:
                col += f" ({self.header})"
            where.append(col)
        text = ", ".join(where)
        if self.school_id:
            text += f" (school_id {self.school_id})"
        return f"{text}: {self.message}"


class CountyTableError(ValueError):
    """The county's tables are unreadable or inconsistent; ``problems`` lists every problem."""

    def __init__(self, problems: Sequence[CountyTableProblem]):
        self.problems = list(problems)
        n = len(self.problems)
        files = list(dict.fromkeys(p.file for p in self.problems))
        head = (f"{n} problem{'' if n == 1 else 's'} in the county table"
                f"{'s' if len(files) > 1 else ''} ({', '.join(files)})")
        lines = [f"  {p}" for p in self.problems[:MAX_LISTED]]
        if n > MAX_LISTED:
            lines.append(f"  ... and {n - MAX_LISTED} more problems ({n} in all)")
        super().__init__(head + ":\n" + "\n".join(lines))

    def __reduce__(self):
        """Pickled by its problems (a worker process can raise it to its parent)."""
        return (type(self), (self.problems,))


class FileProblems:
    """Collects the problems of one file, naming each column's header as written."""

    def __init__(self, file: str, headers: Mapping[str, str] | None = None):
        self.file = file
        self.headers = dict(headers or {})
        self.items: list[CountyTableProblem] = []

    def add(self, line, column, message, school_id=None):
        header = self.headers.get(column) if column else None
        self.items.append(CountyTableProblem(self.file, line, column, message,
                                             school_id or None, header))

