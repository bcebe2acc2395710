"""edusim-aggregate and edusim-figures on odd or bad inputs: run files that belong to another
run, damaged runs, an unknown heatmap metric and output locations that cannot be written.

The sweep is small and built in-process once per module (two seeds of the tiny county, 2
years, with their same-seed baselines); every test works on a copy.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from experiments import aggregate as aggregate_cli
from experiments import figures as figures_cli
from experiments.aggregate import AggregateError, AggregateResult, aggregate
from experiments.figures import FigureList
from sim.results import BASELINE_FILE, file_fingerprint

RATE = 0.3


def _run(out: Path, seed: int, years: int = 2) -> None:
    from experiments.run import run_from_config

    run_from_config({"seed": seed, "years": years, "figures": False, "progress": False,
                     "region": {"preset": "tiny"}, "compare_baseline": True,
                     "policies": {"teacher_rotation": {"rate": RATE}}}, out)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """``sweep/0`` and ``sweep/1`` (seeds 0 and 1) and ``other`` (seed 1, 3 years: another
    configuration, whose files must never be read as run 1's)."""
    root = tmp_path_factory.mktemp("inputs")
    for seed in (0, 1):
        _run(root / "sweep" / str(seed), seed)
    _run(root / "other", 1, years=3)
    return root


@pytest.fixture
def sweep(built, tmp_path) -> Path:
    return Path(shutil.copytree(built / "sweep", tmp_path / "sweep"))


@pytest.fixture
def other(built) -> Path:
    return built / "other"


def aggregate_main(capsys, *args: str) -> tuple[int, str, str]:
    """``edusim-aggregate ARGS`` in this process: (exit code, stdout, stderr)."""
    return _call(aggregate_cli.main, capsys, *args)


def figures_main(capsys, *args: str) -> tuple[int, str, str]:
    return _call(figures_cli.main, capsys, *args)


def _call(main, capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _written(sweep: Path) -> set[str]:
    """What a command wrote into the sweep folder (the runs are ``0`` and ``1``)."""
    return {p.name for p in sweep.iterdir()} - {"0", "1"}


# ---- F6: a run file of another run or configuration ------------------------------------------


def test_a_timeseries_of_another_run_is_left_out_with_a_warning(sweep, other, capsys):
    shutil.copy(other / "timeseries.parquet", sweep / "1" / "timeseries.parquet")
    own = json.loads((sweep / "1" / "summary.json").read_text())["fingerprint"]
    foreign = file_fingerprint(other / "timeseries.parquet")
    assert own != foreign

    res = aggregate(sweep, write=False)
    assert list(res.per_run["run_id"]) == ["0"]
    assert set(res.runs["run_id"]) == {"0"} and res.runs["year"].max() == 2
    assert res.unreadable == {"1": (
        f"timeseries.parquet belongs to another run or configuration (its fingerprint is "
        f"{foreign}, summary.json's is {own}); run it again")}

    code, out, err = aggregate_main(capsys, str(sweep))
    assert code == 0
    assert err.splitlines() == [
        f"edusim-aggregate: warning: left out the run in {sweep.resolve() / '1'}: "
        f"timeseries.parquet belongs to another run or configuration (its fingerprint is "
        f"{foreign}, summary.json's is {own}); run it again"]
    assert "aggregated 1 complete run(s)" in out
    manifest = json.loads((sweep / "aggregate" / "manifest.json").read_text())
    assert manifest["run_ids"] == ["0"] and list(manifest["unreadable"]) == ["1"]


@pytest.mark.parametrize("case", ["summary without fingerprint", "timeseries without"])
def test_a_fingerprint_on_one_side_only_is_a_mismatch(sweep, case):
    run = sweep / "1"
    if case == "summary without fingerprint":
        summary = json.loads((run / "summary.json").read_text())
        del summary["fingerprint"]
        (run / "summary.json").write_text(json.dumps(summary))
        expected = "timeseries.parquet belongs to another run or configuration (it carries " \
                   "fingerprint "
    else:
        ts = run / "timeseries.parquet"
        pd.read_parquet(ts).to_parquet(ts, index=False)
        expected = "timeseries.parquet belongs to another run or configuration (it carries " \
                   "no fingerprint, summary.json names "
    res = aggregate(sweep, write=False)
    assert res.n_runs == 1 and res.unreadable["1"].startswith(expected)


def test_runs_written_before_fingerprints_are_used_with_a_warning(sweep):
    for run in ("0", "1"):
        path = sweep / run / "summary.json"
        summary = json.loads(path.read_text())
        del summary["fingerprint"]
        path.write_text(json.dumps(summary))
        ts = sweep / run / "timeseries.parquet"
        pd.read_parquet(ts).to_parquet(ts, index=False)
    res = aggregate(sweep, write=False)
    assert res.n_runs == 2 and res.unreadable == {}
    assert any(w.startswith("2 run(s) could not be checked: neither summary.json nor "
                            "timeseries.parquet carries a fingerprint") for w in res.warnings)


def test_the_figures_read_the_runs_through_the_same_check(sweep, other, capsys, monkeypatch):
    """edusim-figures aggregates a fresh sweep with the same check, and an aggregate made
    before a run file was replaced is out of date (made again, with the check)."""
    assert aggregate(sweep).n_runs == 2
    assert not figures_cli._stale(sweep.resolve(), sweep / "aggregate")
    shutil.copy(other / "timeseries.parquet", sweep / "1" / "timeseries.parquet")
    later = (sweep / "aggregate" / "manifest.json").stat().st_mtime + 5
    os.utime(sweep / "1" / "timeseries.parquet", (later, later))
    assert figures_cli._stale(sweep.resolve(), sweep / "aggregate")

    res = figures_cli._load(sweep)
    assert res.n_runs == 1 and "belongs to another run" in res.unreadable["1"]
    # the command: the warning, then the aggregate without run 1 (the drawing itself is
    # left out to stay fast; tests/test_figures.py draws)
    shutil.rmtree(sweep / "aggregate")
    drawn = []
    monkeypatch.setattr(figures_cli, "make_figures",
                        lambda res, out, heatmap_metric: drawn.append(res) or FigureList())
    code, _, err = figures_main(capsys, str(sweep), "--out", str(sweep.parent / "fig"))
    assert code == 0 and [r.n_runs for r in drawn] == [1]
    assert (f"edusim-figures: warning: left out the run in {sweep.resolve() / '1'}: "
            "timeseries.parquet belongs to another run") in err
    assert AggregateResult.load(sweep).n_runs == 1


# ---- F18: a damaged run ----------------------------------------------------------------------


def _damage(run: Path, how: str) -> None:
    target = {"summary list": "summary.json", "summary empty": "summary.json",
              "summary cut": "summary.json", "summary binary": "summary.json",
              "summary config list": "summary.json", "summary seed text": "summary.json",
              "timeseries empty": "timeseries.parquet", "timeseries cut": "timeseries.parquet",
              "timeseries missing": "timeseries.parquet", "baseline cut": BASELINE_FILE,
              "overrides": ".hydra/overrides.yaml"}[how]
    path = run / target
    data = path.read_bytes() if path.exists() else b""
    if how == "summary list":
        path.write_text(json.dumps(["seed", 1]))
    elif how in ("summary empty", "timeseries empty"):
        path.write_bytes(b"")
    elif how in ("summary cut", "timeseries cut", "baseline cut"):
        path.write_bytes(data[: len(data) // 2])
    elif how == "summary binary":
        path.write_bytes(b"\xff\xfe\x00garbage")
    elif how == "summary config list":
        summary = json.loads(data)
        summary["config"] = [1, 2]
        path.write_text(json.dumps(summary))
    elif how == "summary seed text":
        summary = json.loads(data)
        summary["seed"] = "one"
        path.write_text(json.dumps(summary))
    elif how == "timeseries missing":
        path.unlink()
    elif how == "overrides":
        path.parent.mkdir(exist_ok=True)
        path.write_text("[unclosed")


@pytest.mark.parametrize("how, why", [
    ("summary list", "summary.json holds a JSON list, not a run's summary (a JSON object)"),
    ("summary empty", "summary.json is empty"),
    ("summary cut", "summary.json is not valid JSON (cut off or damaged: "),
    ("summary binary", "summary.json is not text (damaged)"),
    ("summary config list", "summary.json: config holds a JSON list, not a mapping"),
    ("summary seed text", "summary.json: seed 'one' is not a whole number"),
    ("timeseries empty", "timeseries.parquet is empty"),
    ("timeseries cut", "timeseries.parquet is not a readable parquet file (cut off or damaged)"),
    ("timeseries missing", "timeseries.parquet is missing"),
    ("baseline cut", f"{BASELINE_FILE} is not a readable parquet file (cut off or damaged)"),
    ("overrides", ".hydra/overrides.yaml is not valid YAML (cut off or damaged)"),
])
def test_a_damaged_run_is_a_warning_naming_its_directory_and_file(sweep, capsys, how, why):
    _damage(sweep / "1", how)
    res = aggregate(sweep, write=False)
    assert res.n_runs == 1 and list(res.unreadable) == ["1"]
    assert res.unreadable["1"].startswith(why)
    assert "Error" not in res.unreadable["1"]  # plain words, no Python exception's name
    code, out, err = aggregate_main(capsys, str(sweep), "--quiet")
    assert code == 0 and out == ""  # --quiet: no report, but the warning all the same
    assert err.startswith(f"edusim-aggregate: warning: left out the run in "
                          f"{sweep.resolve() / '1'}: {why}")
    assert err.count("\n") == 1


def test_a_sweep_of_damaged_runs_only_is_refused_with_the_reasons(sweep, capsys):
    _damage(sweep / "0", "summary list")
    _damage(sweep / "1", "timeseries empty")
    code, out, err = aggregate_main(capsys, str(sweep))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err == (f"edusim-aggregate: no complete run under {sweep} (2 left out, whose files "
                   "cannot be used: 0: summary.json holds a JSON list, not a run's summary "
                   "(a JSON object); 1: timeseries.parquet is empty)\n")
    assert _written(sweep) == set()


def test_damaged_aggregate_results_are_one_line(sweep, capsys):
    aggregate(sweep)
    (sweep / "aggregate" / "runs.parquet").write_bytes(b"PAR1")
    with pytest.raises(AggregateError, match="cannot be read .*run edusim-aggregate again"):
        AggregateResult.load(sweep / "aggregate")
    code, _, err = figures_main(capsys, str(sweep / "aggregate"))
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"edusim-figures: the aggregate results in {sweep / 'aggregate'} "
                          "cannot be read")


# ---- F17: the heatmap's metric ---------------------------------------------------------------


def test_an_unknown_metric_lists_the_metrics_before_anything_is_written(sweep, capsys):
    code, out, err = figures_main(capsys, str(sweep), "--metric", "nosuch")
    assert code == 2 and err.count("\n") == 1  # refused before aggregating
    refusal = err.rstrip("\n")
    assert refusal.startswith("edusim-figures: unknown metric 'nosuch' for the heatmap "
                              "(--metric); allowed: a column of the runs' timeseries.parquet: ")
    allowed = refusal.split("timeseries.parquet: ", 1)[1].split(", ")
    assert "urban_rural_gap" in allowed and "between_school_share" in allowed
    assert allowed == sorted(allowed)
    assert not {"year", "run_id", "arm", "seed", "region", "years"} & set(allowed)
    assert _written(sweep) == set()  # neither aggregate/ nor figures/
    # the same names as the aggregate's own list (the check after aggregating)
    res = aggregate(sweep, write=False)
    assert figures_cli.heatmap_metrics(res) == allowed
    assert figures_cli.metric_problem(res, "nosuch") == refusal.split(": ", 1)[1]

    code, _, err = figures_main(capsys, str(sweep), "--metric", "urban_rural_gapp")
    assert code == 2
    assert "(--metric); did you mean 'urban_rural_gap'? allowed: " in err
    assert _written(sweep) == set()


def test_an_unknown_metric_with_an_existing_aggregate_writes_no_figure(sweep, capsys):
    aggregate(sweep)
    code, _, err = figures_main(capsys, str(sweep), "--metric", "nosuch")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("edusim-figures: unknown metric 'nosuch' for the heatmap (--metric); "
                          "allowed: a column of the runs' timeseries.parquet: ")
    assert _written(sweep) == {"aggregate"}


# ---- F15: output locations -------------------------------------------------------------------


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize("main", [aggregate_main, figures_main])
@pytest.mark.parametrize("out", ["/proc/foo", "/sys/edusim/out"])
def test_an_out_where_nothing_can_be_made_names_the_option(sweep, capsys, main, out):
    code, _, err = main(capsys, str(sweep), "--out", out)
    assert code == 2 and err.count("\n") == 1
    prog = "edusim-aggregate" if main is aggregate_main else "edusim-figures"
    top = "/" + out.split("/")[1]
    assert err.startswith(f"{prog}: --out: cannot write the directory {out}: {top} does not "
                          "allow it (")
    assert _written(sweep) == set()


def test_a_figure_name_taken_by_a_directory_is_refused_before_any_work(sweep, tmp_path,
                                                                      capsys):
    out = tmp_path / "fig"
    (out / "trajectories.png").mkdir(parents=True)
    code, _, err = figures_main(capsys, str(sweep), "--out", str(out))
    assert code == 2
    assert err == (f"edusim-figures: --out: cannot write {out / 'trajectories.png'}: it is a "
                   "directory (the command writes a file of that name there)\n")
    assert _written(sweep) == set()
    assert sorted(p.name for p in out.iterdir()) == ["trajectories.png"]


def test_an_aggregate_file_name_taken_by_a_directory_is_refused(sweep, tmp_path, capsys):
    out = tmp_path / "out"
    (out / "aggregate" / "manifest.json").mkdir(parents=True)
    code, _, err = aggregate_main(capsys, str(sweep), "--out", str(out))
    assert code == 2
    assert err == (f"edusim-aggregate: --out: cannot write {out / 'aggregate' / 'manifest.json'}"
                   ": it is a directory (the command writes a file of that name there)\n")
    assert sorted(p.name for p in (out / "aggregate").iterdir()) == ["manifest.json"]


def test_the_default_output_in_the_sweep_folder_is_checked_too(sweep, capsys):
    (sweep / "aggregate").write_text("not a folder")
    code, _, err = aggregate_main(capsys, str(sweep))
    assert code == 2
    assert err == (f"edusim-aggregate: SWEEP_DIR: cannot make the directory "
                   f"{sweep / 'aggregate'}: {sweep / 'aggregate'} is a file; write elsewhere "
                   "with --out\n")
    code, _, err = figures_main(capsys, str(sweep), "--out", str(sweep.parent / "fig"))
    assert code == 2 and err.count("\n") == 1
    assert err.startswith(f"edusim-figures: SWEEP_DIR: cannot make the directory "
                          f"{sweep / 'aggregate'}: {sweep / 'aggregate'} is a file (the "
                          "aggregate goes there; ")
    assert not (sweep.parent / "fig").exists()
    (sweep / "aggregate").unlink()
    (sweep / "figures").write_text("not a folder")
    code, _, err = figures_main(capsys, str(sweep))
    assert code == 2 and "aggregating" not in err and err.count("\n") == 1
    assert err.startswith(f"edusim-figures: SWEEP_DIR: cannot make the directory "
                          f"{sweep / 'figures'}: {sweep / 'figures'} is a file (the figures go "
                          "there; write them elsewhere with --out)")
    assert _written(sweep) == {"figures"}

