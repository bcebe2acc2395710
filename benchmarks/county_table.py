"""Loading a large county table (part of ``python -m benchmarks.run``; alone:
``python -m benchmarks.run --only county-table``): a synthetic school table of 10,000 rows
(5,000 nine-year schools, the most schools a table may hold: :data:`sim.config.MAX_SCHOOLS`)
with about 1.1 M pupils, in the columns of ``examples/county_schools.csv``, read and checked
(:func:`sim.real_county.load_table`), the model built from it and one year simulated (no
policies), in a fresh process. ``--quick``: 1,000 rows and 110,000 pupils.

:func:`write_table` writes such a table (also usable on its own:
``python -m benchmarks.county_table OUT.csv [ROWS] [PUPILS]``); :func:`county_table_worker`
measures one load. The table's figures are assumptions chosen to look like a county's
(urban, town and rural schools; a few teaching points; staffing and stocks per pupil near
``examples/county_schools.csv``); only their sizes matter here.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["TARGETS", "county_table_row", "county_table_worker", "fastest_row", "target_rows",
           "write_table"]

#: targets of the 1.1 M-pupil table: read + build + one year, seconds and peak MiB (1.5 GiB)
TARGETS = {"county_table_s": 3.0, "county_table_mib": 1536.0}

#: the columns of the example table, in its order
COLUMNS = ("school_id", "name", "level", "tier", "students", "teachers",
           "teachers_above_required_qualification", "backbone_teachers", "teachers_mid_title",
           "pe_arts_teachers", "building_area_m2", "sports_area_m2", "equipment_value_yuan",
           "multimedia_rooms", "computers", "books", "x", "y")


def write_table(path: str | Path, rows: int = 10_000, pupils: int = 1_100_000,
                seed: int = 0) -> Path:
    """Write a school table of ``rows`` rows (``rows // 2`` nine-year schools, each a
    primary and a junior row) with about ``pupils`` pupils as CSV (UTF-8) to ``path``."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_sch = rows // 2
    tier = rng.choice(np.array(["urban", "town", "rural"]), n_sch, p=[0.15, 0.35, 0.5])
    size = rng.lognormal(0.0, 0.8, n_sch) * np.select(
        [tier == "urban", tier == "town"], [3.0, 1.5], 1.0)
    size *= pupils / size.sum()
    radius = np.select([tier == "urban", tier == "town"],
                       [rng.uniform(0, 4, n_sch), rng.uniform(10, 25, n_sch)],
                       rng.uniform(12, 35, n_sch))
    angle = rng.uniform(0, 2 * np.pi, n_sch)
    ids = np.array([f"S{k:05d}" for k in range(n_sch)])
    frames = []
    for level, share, per_teacher, area in (("primary", 2 / 3, 15.0, 4.6),
                                            ("junior", 1 / 3, 11.0, 6.0)):
        students = np.clip(np.rint(size * share), 1, 9_000).astype(int)
        teachers = np.maximum(1, np.rint(students / per_teacher
                                         * rng.uniform(0.9, 1.3, n_sch))).astype(int)

        def frac(lo: float, hi: float, teachers: np.ndarray = teachers) -> np.ndarray:
            return np.floor(teachers * rng.uniform(lo, hi, n_sch)).astype(int)

        frames.append(pd.DataFrame({
            "school_id": ids, "name": [f"School {k} ({level})" for k in range(n_sch)],
            "level": level, "tier": tier, "students": students, "teachers": teachers,
            "teachers_above_required_qualification": frac(0.4, 1.0),
            "backbone_teachers": frac(0.0, 0.3), "teachers_mid_title": frac(0.2, 0.5),
            "pe_arts_teachers": frac(0.05, 0.2),
            "building_area_m2": np.rint(students * area * rng.uniform(0.7, 1.5, n_sch)),
            "sports_area_m2": np.rint(students * 8.0 * rng.uniform(0.5, 2.0, n_sch)),
            "equipment_value_yuan": np.rint(students * 2600 * rng.uniform(0.5, 1.5, n_sch)),
            "multimedia_rooms": np.ceil(students / 40 * rng.uniform(0.5, 1.5, n_sch)),
            "computers": np.rint(students * 0.13 * rng.uniform(0.5, 1.5, n_sch)),
            "books": np.rint(students * 30 * rng.uniform(0.6, 1.4, n_sch)),
            "x": np.round(radius * np.cos(angle), 3), "y": np.round(radius * np.sin(angle), 3),
        }, columns=list(COLUMNS)))
    table = pd.concat(frames, ignore_index=True)
    path = Path(path)
    table.to_csv(path, index=False, encoding="utf-8")
    return path


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def county_table_worker(spec: dict) -> dict:
    """One measurement in this process: write the table (not timed), then read + check it,
    build the model from it and simulate ``spec["years"]`` years (no policies)."""
    import tempfile

    import sim.real_county
    from sim import EducationModel

    spent = [0.0]
    load = sim.real_county.load_table

    def timed_load(region):  # read + check, inside the model's construction
        a = time.perf_counter()
        try:
            return load(region)
        finally:
            spent[0] += time.perf_counter() - a

    sim.real_county.load_table = timed_load
    with tempfile.TemporaryDirectory(prefix="edusim-benchmark-table-") as tmp:
        path = write_table(Path(tmp) / "county.csv", spec["rows"], spec["pupils"])
        rss0 = _rss_mib()
        t0 = time.perf_counter()
        m = EducationModel(rng=spec["seed"], region__path=str(path))
        t1 = time.perf_counter()
        m.run(spec["years"])
        t2 = time.perf_counter()
    return {"rows": spec["rows"], "schools": int(m.schools.n),
            "pupils0": int(m.timeseries()["students"].iloc[0]), "read_s": spent[0],
            "build_s": (t1 - t0) - spent[0], "years_s": t2 - t1, "total_s": t2 - t0,
            "rss_before_mib": rss0, "peak_rss_mib": _rss_mib()}


def county_table_row(quick: bool, spawn: Callable[[dict], dict]) -> dict:
    """Measure one load in a fresh process (``spawn``: the benchmark's), print it and return
    its figures (or ``{"error": ...}``)."""
    rows, pupils = (1_000, 110_000) if quick else (10_000, 1_100_000)
    r = spawn({"kind": "county_table", "rows": rows, "pupils": pupils, "years": 1, "seed": 1})
    if "error" in r:
        print(f"\ncounty table: ERROR {r['error']}")
        return r
    r["above_imports_mib"] = r["peak_rss_mib"] - r["rss_before_mib"]
    print(f"\ncounty table, {r['rows']:,} rows ({r['schools']:,} schools, {r['pupils0']:,} "
          f"pupils), fresh process: read + check {r['read_s']:.2f} s, build {r['build_s']:.2f} s, "
          f"1 year {r['years_s']:.2f} s, total {r['total_s']:.2f} s; peak {r['peak_rss_mib']:.0f} "
          f"MiB (+{r['above_imports_mib']:.0f} MiB above the process before the load)")
    return r


def fastest_row(quick: bool, repeat: int, spawn: Callable[[dict], dict]) -> dict:
    """:func:`county_table_row` ``repeat`` times; the fastest run without error."""
    best: dict | None = None
    for _ in range(repeat):
        r = county_table_row(quick, spawn)
        if best is None or "error" in best or ("error" not in r
                                               and r["total_s"] < best["total_s"]):
            best = r
    if repeat > 1 and "error" not in best:
        print(f"(the fastest of {repeat} runs: {best['total_s']:.2f} s)")
    return best


def target_rows(r: dict) -> list[tuple[str, str, float | None, str, float]]:
    """The benchmark's target rows of a :func:`county_table_row` result."""
    return [("county_table_s", "county table 10,000 rows + 1 y: seconds", r.get("total_s"),
             "<=", TARGETS["county_table_s"]),
            ("county_table_mib", "county table 10,000 rows + 1 y: peak MiB",
             r.get("peak_rss_mib"), "<=", TARGETS["county_table_mib"])]


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args:
        raise SystemExit("usage: python -m benchmarks.county_table OUT.csv [ROWS] [PUPILS]")
    print(write_table(args[0], *(int(a) for a in args[1:3])))
