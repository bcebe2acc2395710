"""Columnar tables of individuals (students, teachers) keyed by stable integer ids.

A :class:`Table` holds one numpy array per attribute. Row ``i`` of every column belongs to
the individual whose id is ``table.id[i]``. Ids are handed out in increasing order and
never reused; removing rows keeps the order of the remaining ones, so the id column stays
sorted and ``row_of(id)`` is a binary search. Yearly processes work on whole columns::

    s = model.students
    s.achievement[:] += gain            # one vectorised update for every student
    s.remove(s.grade > 9)               # graduates leave; survivors keep their ids

Column attributes (``s.grade``) are *views* of the live rows: valid until the next
``add`` or ``remove`` (which may reallocate or compact). Never keep them across a call
that changes the number of rows.

:class:`Memo` keeps derived quantities (e.g. each pupil's achievement z) while their input
columns are unchanged; inside a read-only block (``EducationModel.read_only``, with
``Table.set_writeable(False)``) an entry is checked once and then reused as is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["Memo", "Table"]


class Table:
    """A growable struct-of-arrays with stable ids.

    Args:
        name: used in error messages ("student", "teacher").
        schema: column name → numpy dtype. An ``id`` column (int64) is added.
        capacity: initial allocation (rows); grows geometrically.
    """

    def __init__(self, name: str, schema: dict[str, Any], capacity: int = 1024) -> None:
        self.name = name
        self.schema = {"id": np.dtype(np.int64)} | {k: np.dtype(v) for k, v in schema.items()}
        self._cap = max(int(capacity), 16)
        self._data = {k: np.zeros(self._cap, dtype=dt) for k, dt in self.schema.items()}
        self.n = 0
        self.next_id = 0
        #: callbacks called with the ids of removed rows (e.g. to retire agent views)
        self.on_remove: list[Callable[[np.ndarray], None]] = []

    # ---- column access ----------------------------------------------------------------
    def __getattr__(self, key: str) -> np.ndarray:
        data = self.__dict__.get("_data")
        if data is not None and key in data:
            return data[key][: self.n]
        raise AttributeError(f"{type(self).__name__} '{self.__dict__.get('name')}' has no "
                             f"column '{key}'")

    def add_column(self, name: str, dtype: Any, fill: Any = 0) -> None:
        """Add a column (e.g. a policy's own state); existing rows get ``fill``."""
        self._check_writeable()
        if name in self._data:
            raise KeyError(f"{self.name} column '{name}' exists already")
        self.schema[name] = np.dtype(dtype)
        arr = np.zeros(self._cap, dtype=dtype)
        arr[: self.n] = fill
        self._data[name] = arr

    def column(self, key: str) -> np.ndarray:
        """The live rows of one column (a view)."""
        return self._data[key][: self.n]

    @property
    def columns(self) -> list[str]:
        return list(self.schema)

    def __len__(self) -> int:
        return self.n

    # ---- rows ---------------------------------------------------------------------------
    def add(self, count: int, **values: Any) -> np.ndarray:
        """Append ``count`` rows; ``values`` give columns (scalars or arrays). Returns ids."""
        self._check_writeable()
        count = int(count)
        if count < 0:
            raise ValueError("count must be >= 0")
        unknown = set(values) - set(self.schema)
        if unknown:
            raise KeyError(f"unknown {self.name} column(s): {sorted(unknown)}")
        if self.n + count > self._cap:
            new_cap = max(self._cap * 2, self.n + count)
            for k, arr in self._data.items():
                grown = np.zeros(new_cap, dtype=arr.dtype)
                grown[: self.n] = arr[: self.n]
                self._data[k] = grown
            self._cap = new_cap
        lo, hi = self.n, self.n + count
        ids = np.arange(self.next_id, self.next_id + count, dtype=np.int64)
        for k, arr in self._data.items():
            if k == "id":
                arr[lo:hi] = ids
            elif k in values:
                arr[lo:hi] = values[k]
            else:
                arr[lo:hi] = 0
        self.n = hi
        self.next_id += count
        return ids

    def remove(self, mask: np.ndarray) -> np.ndarray:
        """Remove the rows where ``mask`` is true, keeping the others in order. Returns ids."""
        self._check_writeable()
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (self.n,):
            raise ValueError(f"mask has shape {mask.shape}, expected ({self.n},)")
        if not mask.any():
            return np.empty(0, dtype=np.int64)
        removed = self.id[mask].copy()
        keep = np.flatnonzero(~mask)  # rows kept, in order (one index for every column)
        k = len(keep)
        for _name, arr in self._data.items():
            arr[:k] = arr[: self.n][keep]
        self.n = k
        for callback in self.on_remove:
            callback(removed)
        return removed

    def rows_of(self, ids: Any) -> np.ndarray:
        """Row positions of ``ids``; raises KeyError for ids no longer present."""
        ids = np.atleast_1d(np.asarray(ids, dtype=np.int64))
        rows = np.searchsorted(self.id, ids)
        ok = (rows < self.n) & (self.id[np.minimum(rows, max(self.n - 1, 0))] == ids)
        if not ok.all():
            missing = ids[~ok][:5].tolist()
            raise KeyError(f"{self.name} id(s) {missing} not present (left or never existed)")
        return rows

    def row_of(self, id_: int) -> int:
        return int(self.rows_of(id_)[0])

    def contains(self, ids: Any) -> np.ndarray:
        ids = np.atleast_1d(np.asarray(ids, dtype=np.int64))
        rows = np.searchsorted(self.id, ids)
        return (rows < self.n) & (self.id[np.minimum(rows, max(self.n - 1, 0))] == ids)

    def to_frame(self, columns: list[str] | None = None):
        """A pandas DataFrame copy of the live rows."""
        import pandas as pd

        cols = columns or self.columns
        return pd.DataFrame({c: self.column(c).copy() for c in cols})

    def nbytes(self) -> int:
        return sum(arr.nbytes for arr in self._data.values())

    def set_writeable(self, flag: bool) -> None:
        """Make every column (and the views taken from it afterwards) writeable or
        read-only; ``add`` and ``remove`` fail while the table is read-only."""
        for arr in self._data.values():
            arr.flags.writeable = flag
        self._writeable = flag

    def _check_writeable(self) -> None:
        if not self.__dict__.get("_writeable", True):
            raise ValueError(f"the {self.name} table is read-only here")


class Memo:
    """Results of derived computations, reused while their inputs are unchanged.

    Processes and policies write the columns of a :class:`Table` in place through views,
    so no version counter can tell whether a column changed. A memo entry therefore keeps
    a copy of every input and is reused only when the current inputs are *equal* to the
    copies (arrays element by element, other values by ``==``). Comparing is a fast
    linear pass, much cheaper than most recomputations, and the reuse is exact: a hit
    returns what the computation would return now. Results are made read-only, so a
    caller cannot alter the memoised value by accident.
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[tuple[Any, ...], Any]] = {}
        self._trusted: set[str] | None = None

    @contextmanager
    def trusting(self) -> Iterator[None]:
        """A block in which the inputs cannot change (the caller makes the tables
        read-only): an entry checked once is reused without comparing its inputs again."""
        outer = self._trusted
        if outer is None:
            self._trusted = set()
        try:
            yield
        finally:
            self._trusted = outer

    @staticmethod
    def _same(old: Any, new: Any) -> bool:
        if isinstance(new, np.ndarray):
            return (isinstance(old, np.ndarray) and old.shape == new.shape
                    and old.dtype == new.dtype and bool((old == new).all()))
        return type(old) is type(new) and old == new

    def get(self, name: str, inputs: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """``compute()``, or its memoised result if ``inputs`` equal those of the last call
        under ``name``."""
        entry = self._entries.get(name)
        trusted = self._trusted
        if entry is not None and trusted is not None and name in trusted:
            return entry[1]
        if entry is not None:
            old, value = entry
            if len(old) == len(inputs):
                same = self._same
                for a, b in zip(old, inputs):  # noqa: B905 (lengths checked)
                    if not same(a, b):
                        break
                else:
                    if trusted is not None:
                        trusted.add(name)
                    return value
        value = compute()
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        self._entries[name] = (
            tuple(x.copy() if isinstance(x, np.ndarray) else x for x in inputs), value)
        if trusted is not None:
            trusted.add(name)
        return value

    def clear(self) -> None:
        self._entries.clear()
        if self._trusted is not None:
            self._trusted.clear()
