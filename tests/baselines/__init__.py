"""Stored baselines: fixed-seed runs reduced to their yearly county metrics.

Each case below is run with a fixed seed; its yearly metrics (``model.timeseries()``) are
stored as ``tests/baselines/<case>.csv`` (floats written with the shortest representation
that reads back bit-identical), and a SHA-256 digest of its per-school history as
``tests/baselines/digests.json``. ``tests/test_baselines.py`` runs every case again and
compares: a refactor must leave every file bit-identical; a change of behaviour regenerates
them (and the model's behaviour fingerprint in ``sim/behaviour.py``, their digests' hash) with::

    make baselines          # or: .venv/bin/python -m tests.baselines

and its commit message (and the issue note) say what moved and why. The runs use the same
CPU code paths of numpy and OpenBLAS on every machine (``tests/reference_cpu.py``), so that a
CPU with wider vector instructions does not move their last bits.
"""

from __future__ import annotations

from tests import reference_cpu

reference_cpu.use()  # before numpy is imported (make baselines): tests/reference_cpu.py

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DIGESTS = HERE / "digests.json"

#: every built-in policy at its defaults (what ``+experiment=all_levers`` switches on)
ALL_POLICIES = ("enrolment_rules", "class_assignment", "weak_school_program", "school_groups",
                "remote_classrooms", "rural_incentives", "teacher_training",
                "teacher_rotation", "targeted_funding")


@dataclass(frozen=True)
class Case:
    """One stored baseline: a county, a seed, a run length and the policies switched on."""

    name: str
    seed: int
    years: int
    region: str | None = None  # a preset name
    table: str | None = None  # a county table, relative to the repository root
    policies: tuple[str, ...] = field(default=())

    def config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = {"policies": {p: {} for p in self.policies}}
        if self.table is not None:
            cfg["region"] = {"path": str(ROOT / self.table)}
        else:
            cfg["region"] = {"preset": self.region}
        return cfg


CASES: tuple[Case, ...] = tuple(
    Case(f"{county}_{arm}", seed, years, region=county,
         policies=ALL_POLICIES if arm == "all_policies" else ())
    for county, seed, years in (("tiny", 101, 12), ("default", 202, 10), ("county_l", 303, 8))
    for arm in ("no_policy", "all_policies")
) + tuple(
    Case(f"table_{arm}", 404, 10, table="examples/county_schools.csv",
         policies=ALL_POLICIES if arm == "all_policies" else ())
    for arm in ("no_policy", "all_policies")
)


def frame_digest(df: pd.DataFrame) -> str:
    """SHA-256 over the column names, dtypes and exact bytes (objects: their ``repr``) of a
    frame, in column order: equal digests mean bit-identical frames."""
    h = hashlib.sha256()
    for name in df.columns:
        col = df[name]
        h.update(f"{name}|{col.dtype}|".encode())
        values = col.to_numpy()
        if values.dtype == object:
            h.update("\x1f".join(map(repr, values)).encode())
        else:
            h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()


def run_case(case: Case) -> tuple[pd.DataFrame, str]:
    """Run one case: its yearly metrics and the digest of its per-school history."""
    from sim import EducationModel

    model = EducationModel(case.config(), rng=case.seed).run(case.years)
    return model.timeseries(), frame_digest(model.school_history())


def csv_path(case: Case) -> Path:
    return HERE / f"{case.name}.csv"


def write_timeseries(ts: pd.DataFrame, path: Path) -> None:
    # float_format=None writes repr(float): the shortest string that reads back exactly
    ts.to_csv(path, index=False, lineterminator="\n")


def read_timeseries(path: Path) -> pd.DataFrame:
    # pandas reads floats back exactly (its default parser has round-trip precision)
    return pd.read_csv(path)


def regenerate(cases: tuple[Case, ...] = CASES) -> dict[str, str]:
    """Run every case and write its files; returns the digests written."""
    digests: dict[str, str] = {}
    for case in cases:
        ts, digest = run_case(case)
        write_timeseries(ts, csv_path(case))
        digests[case.name] = digest
        print(f"{case.name}: {len(ts)} years, {ts.shape[1]} metrics, schools {digest[:12]}")
    DIGESTS.write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n")
    write_behaviour(digests)
    return digests


#: the module that holds the model's behaviour fingerprint (:mod:`sim.behaviour`)
BEHAVIOUR_MODULE = ROOT / "sim" / "behaviour.py"
_BEHAVIOUR_LINE = re.compile(r'^BEHAVIOUR = "[0-9a-f]*"$', re.MULTILINE)


def write_behaviour(digests: dict[str, str]) -> str:
    """Write the fingerprint of ``digests`` into :data:`sim.behaviour.BEHAVIOUR` (its one
    line in the module); returns it."""
    from sim.behaviour import fingerprint

    value = fingerprint(digests)
    text = BEHAVIOUR_MODULE.read_text(encoding="utf-8")
    new, count = _BEHAVIOUR_LINE.subn(f'BEHAVIOUR = "{value}"', text)
    if count != 1:
        raise RuntimeError(f"{BEHAVIOUR_MODULE}: expected one line BEHAVIOUR = \"...\"")
    if new != text:
        BEHAVIOUR_MODULE.write_text(new, encoding="utf-8")
        print(f"sim/behaviour.py: BEHAVIOUR = {value}")
    return value


def compare(stored: pd.DataFrame, fresh: pd.DataFrame, limit: int = 40) -> list[str]:
    """Readable differences between a stored and a fresh yearly table (empty: identical).
    A fresh table passes through the same CSV round trip first, so only values count."""
    lines: list[str] = []
    missing = [c for c in stored.columns if c not in fresh.columns]
    added = [c for c in fresh.columns if c not in stored.columns]
    if missing:
        lines.append(f"metrics no longer produced: {', '.join(missing)}")
    if added:
        lines.append(f"new metrics: {', '.join(added)}")
    if len(stored) != len(fresh):
        lines.append(f"years: {len(stored)} stored, {len(fresh)} now")
        return lines
    for col in (c for c in stored.columns if c in fresh.columns):
        a, b = stored[col].to_numpy(), fresh[col].to_numpy()
        if a.dtype.kind in "fc" or b.dtype.kind in "fc":
            a, b = a.astype(float), b.astype(float)
            same = (a == b) | (np.isnan(a) & np.isnan(b))
        else:
            same = a == b
        for row in np.flatnonzero(~np.asarray(same, dtype=bool)):
            year = stored["year"].iloc[row] if "year" in stored else row
            old, new = a[row].item(), b[row].item()
            delta = f"  (change {new - old:+.6g})" if a.dtype.kind == "f" else ""
            lines.append(f"{col}, year {year}: stored {old!r}, now {new!r}{delta}")
            if len(lines) >= limit:
                lines.append("... (more differences not shown)")
                return lines
    return lines
