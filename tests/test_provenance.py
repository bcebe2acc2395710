"""Every result is traceable to the run it came from (issue: the stale-baseline wrong number).

A run's files carry its fingerprint (seed, years, whole configuration). A baseline file is
used as a run's reference only when it is that run's same-seed baseline; a rerun without a
baseline removes the old one; the aggregate says which reference each row used and warns
about a file it refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from experiments.aggregate import aggregate
from experiments.run import run_from_config
from sim.results import (
    BASELINE_FILE,
    baseline_fingerprint,
    file_fingerprint,
    model_fingerprint,
    run_fingerprint,
)

BASE = {"seed": 3, "years": 3, "figures": False, "progress": False,
        "region": {"preset": "tiny"}}


def run(out: Path, compare: bool, rate: float, allowance: float = 0.0):
    cfg = json.loads(json.dumps(BASE))
    cfg["compare_baseline"] = compare
    cfg["policies"] = {"teacher_rotation": {"rate": rate}}
    cfg["teachers"] = {"rural_allowance": allowance}
    return run_from_config(cfg, out)


def test_a_rerun_without_baseline_leaves_no_stale_baseline(tmp_path):
    """The issue's scenario: a sweep run again into the same directory with
    compare_baseline=false and a changed parameter. The old baseline must not become the new
    run's reference (it reported +0.169 for a true −0.175)."""
    out = tmp_path / "sweep" / "0"
    first = run(out, compare=True, rate=0.3)
    assert (out / BASELINE_FILE).is_file()
    assert file_fingerprint(out / BASELINE_FILE) == model_fingerprint(first.baseline)
    second = run(out, compare=False, rate=0.3, allowance=0.5)
    assert not (out / BASELINE_FILE).exists()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["fingerprint"] == model_fingerprint(second)
    assert "vs_baseline" not in summary and "baseline_fingerprint" not in summary
    result = aggregate(tmp_path / "sweep", write=False)
    assert list(result.per_run["reference"]) == ["none"]
    assert result.per_run["change_urban_rural_gap"].isna().all()


def test_a_baseline_file_of_another_run_is_refused_and_said(tmp_path):
    sweep = tmp_path / "sweep"
    a = run(sweep / "0", compare=True, rate=0.3)
    run(sweep / "1", compare=True, rate=0.3, allowance=0.5)
    # run 1's directory gets run 0's baseline file (another configuration)
    shutil.copy(sweep / "0" / BASELINE_FILE, sweep / "1" / BASELINE_FILE)
    result = aggregate(sweep, write=False)
    per_run = result.per_run.set_index("run_id")
    assert [w for w in result.warnings if w.startswith(BASELINE_FILE)] == [
        f"{BASELINE_FILE} not used in 1 run(s): it does not belong to the run's own seed, "
        "years and configuration (left by another run, or written before edusim stored "
        "fingerprints; run again to compare): 1"]
    # run 0 uses its own file; run 1 falls back to the comparison in its own summary.json
    assert per_run.loc["0", "reference"] == "same-seed baseline"
    own = json.loads((sweep / "1" / "summary.json").read_text())["vs_baseline"]
    assert per_run.loc["1", "change_urban_rural_gap"] == pytest.approx(
        own["equity"]["urban_rural_gap"]["change"], abs=1e-12)
    base_ts = a.baseline.timeseries()
    ts = a.timeseries()
    assert per_run.loc["0", "change_urban_rural_gap"] == pytest.approx(
        ts["urban_rural_gap"].iloc[-1] - base_ts["urban_rural_gap"].iloc[-1], abs=1e-12)


def test_a_baseline_file_without_fingerprint_is_not_trusted(tmp_path):
    sweep = tmp_path / "sweep"
    run(sweep / "0", compare=True, rate=0.3)
    base = sweep / "0" / BASELINE_FILE
    pd.read_parquet(base).to_parquet(base, index=False)  # as written before fingerprints
    result = aggregate(sweep, write=False)
    assert any("written before edusim stored fingerprints" in w for w in result.warnings)


def test_fingerprints_name_seed_years_and_configuration():
    cfg = {"a": 1, "policies": {"x": {"rate": 0.1}}}
    fp = run_fingerprint(1, 10, cfg)
    assert len(fp) == 16 and fp == run_fingerprint(1, 10, json.loads(json.dumps(cfg)))
    assert len({fp, run_fingerprint(2, 10, cfg), run_fingerprint(1, 9, cfg),
                run_fingerprint(1, 10, {**cfg, "a": 2})}) == 4
    assert baseline_fingerprint(1, 10, cfg) == run_fingerprint(1, 10, {"a": 1, "policies": {}})


def test_write_outputs_refuses_a_baseline_of_another_run(tmp_path):
    from sim import EducationModel
    from sim.results import write_outputs

    m = EducationModel(region="tiny", rng=1, policies={"teacher_rotation": {}}).run(2)
    other = EducationModel(region="tiny", rng=2).run(2)
    with pytest.raises(ValueError, match="not this run's same-seed baseline"):
        write_outputs(m, tmp_path / "out", figures=False, baseline=other)
    assert not (tmp_path / "out").exists()


# ---- the model that made a result (sim.behaviour) --------------------------------------------


def test_a_run_records_the_model_that_made_it(tmp_path):
    import sim
    from sim.behaviour import BEHAVIOUR

    m = run(tmp_path / "run", compare=True, rate=0.3)
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["edusim"] == {"version": sim.__version__, "behaviour": BEHAVIOUR}
    # the files' fingerprints cover the model too: the same run by another model differs
    cfg = m.cfg.to_dict()
    assert summary["fingerprint"] == run_fingerprint(3, 3, cfg, BEHAVIOUR)
    assert summary["fingerprint"] != run_fingerprint(3, 3, cfg, "0123456789abcdef")
    assert file_fingerprint(tmp_path / "run" / BASELINE_FILE) == baseline_fingerprint(
        3, 3, cfg, BEHAVIOUR)


@pytest.mark.parametrize("record, expected", [
    ({"edusim": {"version": "0.1.0", "behaviour": "0123456789abcdef"}}, "0123456789abcdef"),
    ({"seed": 1}, None),                              # made before the record existed
    ({"edusim": None}, None), ({"edusim": "0.1.0"}, None),
    ({"edusim": {"version": "0.1.0"}}, None), ({"edusim": {"behaviour": 7}}, None),
    (["edusim"], None), (None, None)])
def test_the_model_a_stored_record_names_is_read_in_one_place(record, expected):
    from sim.behaviour import recorded_behaviour

    assert recorded_behaviour(record) == expected


def test_fingerprints_of_runs_that_did_not_record_their_model_are_unchanged():
    # runs written before the record are still read with the fingerprint they were given
    import hashlib

    cfg = {"a": 1, "policies": {}}
    blob = json.dumps({"seed": 1, "years": 10, "config": cfg}, sort_keys=True,
                      ensure_ascii=True, separators=(",", ":"))
    assert run_fingerprint(1, 10, cfg, None) == hashlib.sha256(blob.encode()).hexdigest()[:16]


def test_the_version_is_the_installed_package_version():
    from importlib.metadata import version

    import sim
    from sim.behaviour import VERSION

    assert sim.__version__ == VERSION == version("edusim")


def _as_if_made_by(run_dir: Path, behaviour: str | None) -> None:
    path = run_dir / "summary.json"
    summary = json.loads(path.read_text())
    if behaviour is None:
        del summary["edusim"]
    else:
        summary["edusim"]["behaviour"] = behaviour
    path.write_text(json.dumps(summary))


@pytest.mark.parametrize("older", ["0123456789abcdef", None])
def test_the_aggregate_refuses_runs_of_two_models(tmp_path, older):
    import subprocess
    import sys

    from experiments.aggregate import AggregateError

    sweep = tmp_path / "sweep"
    for k, rate in enumerate((0.1, 0.2, 0.3)):
        run(sweep / str(k), compare=True, rate=rate)
    _as_if_made_by(sweep / "2", older)
    with pytest.raises(AggregateError) as err:
        aggregate(sweep, write=False)
    text = str(err.value)
    assert "made by 2 versions of the model" in text
    assert "2 by behaviour " in text and "(0, 1)" in text
    assert ("1 by behaviour 0123456789abcdef (2)" if older
            else "1 by a version that did not record it (2)") in text
    proc = subprocess.run([sys.executable, "-m", "experiments.aggregate", str(sweep)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "hydra.sweeper.overwrite=true" in proc.stderr
    assert not (sweep / "aggregate").exists()


def test_the_aggregate_names_the_model_of_its_runs(tmp_path):
    from experiments.aggregate import AggregateResult, report
    from sim.behaviour import stamp

    sweep = tmp_path / "sweep"
    for k, rate in enumerate((0.1, 0.2)):
        run(sweep / str(k), compare=True, rate=rate)
    result = aggregate(sweep)
    assert result.model == stamp()
    assert json.loads((sweep / "aggregate" / "manifest.json").read_text())["model"] == stamp()
    assert AggregateResult.load(sweep).model == stamp()
    assert f"model behaviour {stamp()['behaviour']}" in report(result)
    # older runs, all of one (unrecorded) model, still aggregate
    for k in ("0", "1"):
        _as_if_made_by(sweep / k, None)
    older = aggregate(sweep, write=False)
    assert older.model is None and older.n_runs == 2
