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
columns are unchanged; while a table is read-only (``Table.set_writeable(False)``, as in
``EducationModel.read_only``) its columns need not be compared again.
"""

from __future__ import annotations

from collections.abc import Callable
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
        #: incremented whenever rows move (``remove`` compacts the table; ``add`` appends and
        #: moves none), so a row looked up under the same value is still valid
        self.layout = 0
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

    def storage(self, key: str) -> np.ndarray:
        """The whole allocated array of one column (live rows first, then spare capacity):
        indexing it at a live row is the same element as indexing :meth:`column`, one
        slice cheaper (what a single agent view reads). Valid until the next ``add`` or
        ``remove``."""
        return self._data[key]

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
        removed = self.id[mask]  # a copy (boolean indexing)
        keep = np.flatnonzero(~mask)  # rows kept, in order (one index for every column)
        k = len(keep)
        for _name, arr in self._data.items():
            arr[:k] = arr[: self.n][keep]
        self.n = k
        self.layout += 1
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

    def set_writeable(self, flag: bool, columns: tuple[str, ...] | None = None) -> None:
        """Make every column (and the views taken from it afterwards) writeable or
        read-only; ``add`` and ``remove`` fail while the table is read-only.

        With ``columns``, only those columns of a read-only table change (e.g. one column a
        step writes while the others stay in their freeze); the table stays read-only."""
        if columns is not None:
            self._set_columns_writeable(flag, columns)
            return
        if not flag and not self.__dict__.get("_writeable", True):
            return  # read-only already: keep the freeze it is in
        _FREEZES[0] += 1
        for arr in self._data.values():
            arr.flags.writeable = flag
            if flag:
                _FROZEN.pop(id(arr), None)
            else:
                _FROZEN[id(arr)] = _FREEZES[0]
        self._writeable = flag

    def _set_columns_writeable(self, flag: bool, columns: tuple[str, ...]) -> None:
        """Open or close ``columns`` of a read-only table (a closed column starts a freeze
        of its own; the others keep theirs)."""
        if self.__dict__.get("_writeable", True):
            return  # the whole table is writeable: nothing to open or close
        _FREEZES[0] += 1
        for name in columns:
            arr = self._data[name]
            arr.flags.writeable = flag
            if flag:
                _FROZEN.pop(id(arr), None)
            else:
                _FROZEN[id(arr)] = _FREEZES[0]

    def _check_writeable(self) -> None:
        if not self.__dict__.get("_writeable", True):
            raise ValueError(f"the {self.name} table is read-only here")


#: id(column array) -> serial number of the freeze that made it read-only (tables' columns
#: while read-only); a column made writeable again leaves, and a new freeze gets a new number
_FROZEN: dict[int, int] = {}
_FREEZES = [0]


class Memo:
    """Results of derived computations, reused while their inputs are unchanged.

    Processes and policies write the columns of a :class:`Table` in place through views,
    so no version counter can tell whether a column changed. A memo entry therefore keeps
    a copy of every input and is reused only when the current inputs are *equal* to the
    copies (arrays element by element, other values by ``==``). Comparing is a fast
    linear pass, much cheaper than most recomputations, and the reuse is exact: a hit
    returns what the computation would return now. Results are made read-only, so a
    caller cannot alter the memoised value by accident.

    Read-only inputs need no comparison: an array input that is a column of a table made
    read-only (:meth:`Table.set_writeable`) and still in the same freeze as when the entry
    was last checked, or a read-only result of another memo entry (never written), at the
    same place and shape, is unchanged.
    """

    def __init__(self) -> None:
        #: name -> [copies of the inputs, result, read-only markers of the inputs]
        self._entries: dict[str, list[Any]] = {}
        #: id(owner) -> (owner, freeze, {(address, shape, strides, dtype): copy}): copies of
        #: inputs that are columns of a read-only table, shared by the entries made during
        #: the same freeze (the column cannot change while it lasts)
        self._copies: dict[int, tuple[np.ndarray, int, dict[tuple[Any, ...], np.ndarray]]] = {}

    @staticmethod
    def _same(old: Any, new: Any) -> bool:
        if isinstance(new, np.ndarray):
            return (isinstance(old, np.ndarray) and old.shape == new.shape
                    and old.dtype == new.dtype and bool((old == new).all()))
        return type(old) is type(new) and old == new

    @staticmethod
    def _frozen(x: Any) -> tuple[Any, ...] | None:
        """(owner, freeze, address, shape, dtype) of a read-only array input, else None (the
        owner: the array that owns its memory, itself or the base of a view)."""
        if not isinstance(x, np.ndarray):
            return None
        owner = x
        while isinstance(owner.base, np.ndarray):
            owner = owner.base
        if owner.base is not None or owner.flags.writeable:
            return None  # memory of another kind of object, or writeable
        return (owner, _FROZEN.get(id(owner)), x.__array_interface__["data"][0], x.shape,
                x.dtype)

    def get(self, name: str, inputs: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """``compute()``, or its memoised result if ``inputs`` equal those of the last call
        under ``name``."""
        entry = self._entries.get(name)
        if entry is not None and len(entry[0]) == len(inputs):
            old, value, frozen = entry
            same, current = self._same, self._frozen
            markers = []
            for k, b in enumerate(inputs):
                if isinstance(b, np.ndarray):
                    c = current(b)
                    f = frozen[k]
                    if (f is None or c is None or c[0] is not f[0] or c[1:] != f[1:]) and (
                            not same(old[k], b)):
                        break  # not read-only since the check, and changed
                    markers.append(c)
                elif not same(old[k], b):
                    break
                else:
                    markers.append(None)
            else:
                entry[2] = markers
                return value
        return self.put(name, inputs, compute())

    def put(self, name: str, inputs: tuple[Any, ...], value: Any) -> Any:
        """Store ``value`` as what ``name`` computes from ``inputs`` now (a caller that has
        it at hand, exactly as the computation would give it); returns it, read-only."""
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
        markers = [self._frozen(x) for x in inputs]
        self._entries[name] = [
            tuple(self._copy(x, m) if isinstance(x, np.ndarray) else x
                  for x, m in zip(inputs, markers, strict=True)), value, markers]
        return value

    def _copy(self, x: np.ndarray, marker: tuple[Any, ...] | None) -> np.ndarray:
        """A copy of the array input ``x`` (``marker``: its :meth:`_frozen`); one copy per
        column of a read-only table and freeze, whichever entries ask for it."""
        if marker is None or marker[1] is None:
            return x.copy()
        owner, freeze = marker[0], marker[1]
        slot = self._copies.get(id(owner))
        if slot is None or slot[0] is not owner or slot[1] != freeze:
            # keep only the copies of columns still in the freeze they were made in
            self._copies = {k: v for k, v in self._copies.items()
                            if _FROZEN.get(id(v[0])) == v[1] and not v[0].flags.writeable}
            slot = self._copies[id(owner)] = (owner, freeze, {})
        key = (marker[2], x.shape, x.strides, x.dtype)
        copy = slot[2].get(key)
        if copy is None:
            copy = slot[2][key] = x.copy()
        return copy

    def clear(self) -> None:
        self._entries.clear()
        self._copies.clear()
