"""Fixed-seed runs compared with the stored baselines (see tests/baselines/__init__.py).

A failure lists what moved. If the change of behaviour is intended, regenerate them
(``make baselines``) and say in the commit what moved and why."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from tests.baselines import (
    CASES,
    DIGESTS,
    compare,
    csv_path,
    read_timeseries,
    run_case,
    write_timeseries,
)

REGENERATE = "regenerate with `make baselines` if the change is intended"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_run_matches_stored_baseline(case, tmp_path):
    stored = read_timeseries(csv_path(case))
    fresh, digest = run_case(case)
    path = tmp_path / "fresh.csv"
    write_timeseries(fresh, path)
    diff = compare(stored, read_timeseries(path))
    assert not diff, f"{case.name} moved ({REGENERATE}):\n  " + "\n  ".join(diff)
    # the CSV round trip itself loses nothing
    assert csv_path(case).read_text() == path.read_text(), f"{case.name}: file differs"
    stored_digest = json.loads(DIGESTS.read_text())[case.name]
    assert digest == stored_digest, (
        f"{case.name}: the per-school history moved though the yearly metrics did not "
        f"({REGENERATE})")


def test_compare_reports_what_moved():
    import pandas as pd

    stored = pd.DataFrame({"year": [0, 1], "x": [0.1, 0.2], "flag": [True, False]})
    fresh = stored.copy()
    assert compare(stored, fresh) == []
    fresh.loc[1, "x"] = np.nextafter(0.2, 1.0)  # one ulp moved
    fresh.loc[0, "flag"] = False
    fresh["new"] = 1
    lines = compare(stored, fresh)
    assert lines == ["new metrics: new",
                     "x, year 1: stored 0.2, now 0.20000000000000004  (change +2.77556e-17)",
                     "flag, year 0: stored True, now False"]
    # what is written reads back bit-identical
    buf = io.StringIO()
    write_timeseries(fresh, buf)
    buf.seek(0)
    assert compare(fresh, read_timeseries(buf)) == []


def test_every_case_has_stored_files():
    digests = json.loads(DIGESTS.read_text())
    assert sorted(digests) == sorted(c.name for c in CASES)
    for case in CASES:
        assert csv_path(case).exists(), case.name


def test_the_behaviour_fingerprint_is_that_of_the_stored_digests():
    # every run records sim.behaviour.BEHAVIOUR as the model that made it: it must be the
    # hash of the stored baselines (make baselines writes both)
    from sim.behaviour import BEHAVIOUR, fingerprint

    assert BEHAVIOUR == fingerprint(json.loads(DIGESTS.read_text())), REGENERATE


def test_writing_the_behaviour_fingerprint_changes_only_its_line(tmp_path, monkeypatch):
    import tests.baselines as baselines
    from sim.behaviour import fingerprint

    module = tmp_path / "behaviour.py"
    original = baselines.BEHAVIOUR_MODULE.read_text()
    module.write_text(original)
    monkeypatch.setattr(baselines, "BEHAVIOUR_MODULE", module)
    moved = {"tiny_no_policy": "0" * 64}
    assert baselines.write_behaviour(moved) == fingerprint(moved)
    new = module.read_text()
    changed = [(a, b) for a, b in zip(original.splitlines(), new.splitlines(), strict=True)
               if a != b]
    assert changed == [(f'BEHAVIOUR = "{fingerprint(json.loads(DIGESTS.read_text()))}"',
                        f'BEHAVIOUR = "{fingerprint(moved)}"')]
