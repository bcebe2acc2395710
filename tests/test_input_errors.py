"""Every user mistake at `edusim`'s command line ends with exit code 2 and one message naming
the field (or config group) and what is allowed, with nothing written; valid but odd input
runs and its outputs hold together (docs/errors.md lists the classes of input).

Most cases run ``experiments.run.main`` in this process (as the console script does, Hydra
included), which is ~10x faster than a subprocess per case; one subprocess case checks that
the console script behaves the same."""

from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import run_in_process

ROOT = Path(__file__).resolve().parent.parent


def edusim(*args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``edusim ARGS`` run in this process."""
    from experiments.run import main

    return run_in_process(main, "edusim", *args)


def quick(run_dir: Path, *args: str) -> tuple[int, str, str]:
    return edusim("region=tiny", "years=1", "figures=false", "progress=false",
                  f"hydra.run.dir={run_dir}", *args)


# ---- Hydra's own errors: types, unknown keys and options, syntax -------------------------
@pytest.mark.parametrize("override,expected", [
    ("years=abc", "years: 'abc' is not an integer; allowed: an integer in [0, 500] years"),
    ("seed=1.5", "seed: 1.5 is not an integer; allowed: an integer in [0, "),
    ("seed=true", "seed: True is not an integer"),
    ("learning.persistence=null", "learning.persistence: a value is required (not null); "
                                  "allowed: a number in [0.0, 0.99]"),
    ("learning.persistence=high", "learning.persistence: 'high' is not a number"),
    ("region=nonexistent", "region: there is no option 'nonexistent'; the options are "
                           "county_l, default, file, tiny"),
    ("+experiment=nonexistent", "experiment: there is no option 'nonexistent'; the options "
                                "are all_levers, baseline,"),
    ("hydra/launcher=nonexistent", "hydra/launcher: there is no option 'nonexistent'"),
    ("nosuchkey=1", "nosuchkey: there is no such setting (settings at the top level: region,"),
    ("learning.persistance=0.5", "did you mean learning.persistence?"),
    ("region.nosuch=3", "region.nosuch: there is no such setting (settings of region: preset,"),
    ("+seed=3", "seed: already set in the configuration; drop the leading +"),
    ("~nosuch", "nosuch: cannot be removed"),
    ("years=[1", "an override could not be read"),
    ("demography.birth_trend=0.1", "demography.birth_trend: 0.1 is one value, but this setting "
                                   "has one per tier (urban, town, rural); set them one by one, "
                                   "e.g. demography.birth_trend.urban=0.1 "),
    ("policies.teacher_rotation.rate=0.5",
     "policies.teacher_rotation: this policy is not switched on; switch it on with a leading + "
     "(+policies.teacher_rotation.rate=0.5) or with +policy=teacher_rotation"),
    ("policies.nosuch.rate=0.5", "policies.nosuch: there is no such policy (the policies: "
                                 "class_assignment,"),
    # Hydra's grammar reads no space, Chinese character or = in an unquoted value
    ("region.path=/data/县 学校.csv", "region.path: the value '/data/县 学校.csv' could not be "
                                     "read (LexerNoViableAltException: region.path=/data/县 "
                                     "学校.csv); a value with spaces, Chinese characters or = "
                                     "must be quoted: \"region.path='/data/县 学校.csv'\""),
    # Hydra parses a search inside a mapping into an object OmegaConf cannot hold: this was
    # "tags: set() is not valid"
    ("+learning={persistence: interval(0.1,0.5)}",
     "learning: a search (choice(...), interval(...) or range(...)) inside a mapping or list "
     "cannot be a setting's value"),
])
def test_hydra_errors_exit_2_naming_the_field(tmp_path, override, expected):
    run_dir = tmp_path / "out"
    code, out, err = quick(run_dir, override)
    assert code == 2, err
    assert expected in err
    assert err.startswith("edusim: ") and "Traceback" not in err and len(err.splitlines()) == 1
    assert not run_dir.exists()


def test_console_script_reports_hydra_errors_the_same_way(tmp_path):
    run_dir = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "experiments.run", "region=tiny",
                           "years=abc", f"hydra.run.dir={run_dir}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("edusim: years: 'abc' is not an integer; allowed: an "
                                   "integer in [0, 500] years")
    assert not run_dir.exists()


# ---- values the run itself checks, before any directory is made -----------------------------
@pytest.mark.parametrize("overrides,expected", [
    (["seed=99999999999999999999"], "seed: 99999999999999999999 is outside the allowed range"),
    (["seed=9223372036854775808"], "an integer in [0, 9223372036854775807]"),
    (["years=501"], "years: 501 is outside the allowed range [0, 500] years"),
    (["region=file"], "region.path: required with region=file"),
    (["region=file", "region.path=no/such/table.csv"], "no/such/table.csv: cannot read the file"),
    (["+policies.teacher_rotation=5"], "policies.teacher_rotation: expected a mapping"),
    # rules across fields
    (["finance.book_share=0.5"], "finance: equipment_share + multimedia_share + "
                                  "computer_share + book_share = "),
    (["+policies.teacher_rotation.start_year=5", "+policies.teacher_rotation.end_year=3"],
     "policies.teacher_rotation.end_year: 3 is before start_year 5"),
    (["+policies.teleport=1"], "policies.teleport: expected a mapping"),
    (["+policies.teleport.rate=1"], "policies.teleport: unknown policy; registered: "),
    (["+policies.teacher_rotation.speed=1"], "policies.teacher_rotation.speed: unknown "
                                            "parameter (known: "),
    # an integer for true/false: OmegaConf made it true (or 0 false) and the run went ahead,
    # while a sweep's job with the same words was refused; now refused in the same words
    (["compare_baseline=5"], "compare_baseline: 5 must be true or false"),
    (["enrolment.expand_capacity=1"], "enrolment.expand_capacity: expected true or false, "
                                      "got 1"),
])
def test_run_checks_leave_nothing_behind(tmp_path, overrides, expected):
    run_dir = tmp_path / "outputs" / "day" / "time"
    code, out, err = quick(run_dir, *overrides)
    assert code == 2, err
    assert expected in err and "nothing was written" in err and "Traceback" not in err
    assert not (tmp_path / "outputs").exists()


def test_a_quoted_table_path_with_chinese_characters_and_a_space_runs(tmp_path):
    table = tmp_path / "县 学校.csv"
    table.write_bytes((ROOT / "examples" / "county_schools.csv").read_bytes())
    code, _, err = quick(tmp_path / "run", "region=file", f"region.path='{table}'")
    assert code == 0, err


def test_an_integer_for_true_or_false_is_refused_as_a_sweep_refuses_it(tmp_path):
    single = tmp_path / "run"
    code, _, err = edusim("region=tiny", "years=1", "figures=2", f"hydra.run.dir={single}")
    assert code == 2 and "figures: 2 must be true, false or null" in err
    assert not single.exists()
    sweep = tmp_path / "sweep"
    code, _, err = edusim("-m", "region=tiny", "years=1", "figures=false,2",
                          f"hydra.sweep.dir={sweep}")
    assert code == 2 and "figures: 2 must be true, false or null" in err
    assert not sweep.exists()


def test_a_swept_county_table_is_read_before_any_run(tmp_path):
    """Each job's county table is read before the sweep starts, as a single run's is: a bad
    second table used to stop the sweep only after its folder and job 0 had been made."""
    bad = pd.read_csv(ROOT / "examples" / "county_schools.csv")
    bad.loc[1, "students"] = -5
    bad_path = tmp_path / "bad.csv"
    bad.to_csv(bad_path, index=False)
    sweep = tmp_path / "sweep"
    code, _, err = edusim("-m", "region=file", "years=1",
                          f"region.path={ROOT / 'examples' / 'county_schools.csv'},{bad_path}",
                          f"hydra.sweep.dir={sweep}")
    assert code == 2, err
    assert "no run was started" in err and "line 3, column 'students'" in err
    assert f"job overrides: region=file years=1 region.path={bad_path}" in err
    assert not sweep.exists()


def test_largest_seed_runs_and_aggregates(tmp_path):
    from experiments.aggregate import aggregate

    sweep = tmp_path / "sweep"
    code, _, err = quick(sweep / "0", "seed=9223372036854775807")
    assert code == 0, err
    result = aggregate(sweep)
    assert list(result.per_run["seed"]) == [9223372036854775807]


def test_unwritable_run_directory(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    code, _, err = quick(blocker / "run")
    assert code == 2
    assert f"hydra.run.dir: cannot make the directory {blocker / 'run'}: {blocker} is a file" \
        in err


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_directory_where_none_can_be_made_is_found_before_any_work(tmp_path):
    """The permission bits say root may write /proc and /sys, yet no directory can be made
    there: the check makes (and removes) one, so the command stops with exit 2 naming the
    option instead of a traceback once the work has begun."""
    from sim.terminal import output_dir_problem

    assert output_dir_problem("/proc/edusim-run", "hydra.run.dir") == (
        "hydra.run.dir: cannot write the directory /proc/edusim-run: /proc does not allow it "
        "(no directory can be made there)")
    assert output_dir_problem("/sys/edusim/run", "--out").startswith(
        "--out: cannot write the directory /sys/edusim/run: /sys does not allow it (")
    before = sorted(tmp_path.iterdir())
    assert output_dir_problem(tmp_path / "new" / "run", "--out") is None
    assert sorted(tmp_path.iterdir()) == before  # the probe leaves nothing behind
    code, _, err = quick(Path("/proc/edusim-run"))
    assert code == 2 and "hydra.run.dir: cannot write the directory /proc/edusim-run" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("prog", ["edusim-aggregate", "edusim-figures"])
def test_unwritable_out_of_the_sweep_tools(tmp_path, prog):
    from experiments import aggregate, figures

    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    sweep = tmp_path / "sweep"
    assert quick(sweep / "0")[0] == 0
    main = aggregate.main if prog == "edusim-aggregate" else figures.main
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as stop:
        main([str(sweep), "--out", str(blocker / "x")])
    assert stop.value.code == 2
    assert err.getvalue().strip() == (f"{prog}: --out: cannot make the directory "
                                      f"{blocker / 'x'}: {blocker} is a file")
    assert not (sweep / "aggregate").exists() and not (sweep / "figures").exists()


def test_terminal_turns_a_file_system_error_into_exit_2(capsys):
    from sim.terminal import EXIT_USAGE, command

    @command("edusim-x")
    def main() -> int:
        raise PermissionError(13, "Permission denied", "/somewhere/file.csv")

    assert main() == EXIT_USAGE
    assert capsys.readouterr().err.strip() == ("edusim-x: cannot write or read "
                                              "/somewhere/file.csv: Permission denied")

    @command("edusim-x")
    def buggy() -> int:
        raise OSError("no file named")  # not a file-system error of the user's: passes

    with pytest.raises(OSError):
        buggy()


# ---- valid but probably not meant: a warning, and a correct run ------------------------------
def test_policy_starting_after_the_last_year_warns(tmp_path):
    code, _, err = quick(tmp_path / "out", "years=2", "+policies.teacher_rotation.start_year=5")
    assert code == 0, err
    assert ("edusim: warning: policies.teacher_rotation.start_year: 5 is after the last "
            "simulated year (2): the policy never acts and costs nothing") in err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["vs_baseline"]["total_policy_cost_yuan"] == 0


def test_a_sweep_says_what_its_runs_would_warn_of_once_with_their_jobs(tmp_path):
    """Single runs warned of a policy that never acts; a sweep's jobs said nothing."""
    code, _, err = edusim("-m", "region=tiny", "years=2", "seed=0,1",
                          "+policies.teacher_rotation.start_year=1,5",
                          f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert code == 0, err
    line = ("edusim: warning: policies.teacher_rotation.start_year: 5 is after the last "
            "simulated year (2): the policy never acts and costs nothing (jobs 1, 3)")
    assert err.count("warning:") == 1 and line in err


def test_a_synthetic_county_setting_given_with_a_county_table_warns(tmp_path):
    """region.n_schools=10 with region=file was silently not used; the run is the same, and
    now a warning says so (the model's own county settings are left alone)."""
    table = ROOT / "examples" / "county_schools.csv"
    code, _, err = quick(tmp_path / "a", "region=file", f"region.path={table}",
                         "region.n_schools=10", "region.school_share.rural=0.5")
    assert code == 0, err
    assert ("edusim: warning: region.n_schools, region.school_share: not used with a county "
            f"table (region.path={table}): the table gives the county's schools") in err
    code, _, err = quick(tmp_path / "b", "region=file", f"region.path={table}")
    assert code == 0 and "warning" not in err
    a, b = (pd.read_parquet(tmp_path / d / "timeseries.parquet") for d in "ab")
    pd.testing.assert_frame_equal(a, b)


def test_comparison_table_shows_undefined_measures():
    """After 200+ years with every lever the rural tier can empty: its gaps are undefined
    (None in summary.json), and the table must say so instead of failing."""
    from sim.results import comparison_table

    comparison = {
        "years": 220, "total_policy_cost_yuan": 2e6, "policy_cost_yuan": {"x": 2e6},
        "mean_achievement": {"policy": 0.1, "baseline": 0.05, "change": 0.05},
        "equity": {"urban_rural_gap": {"label": "urban-rural gap", "policy": None,
                                       "baseline": 0.4, "change": None,
                                       "gain_per_million_yuan": None}},
    }
    text = comparison_table(comparison)
    row = next(line for line in text.splitlines() if line.startswith("urban-rural gap"))
    assert row.split()[-3:] == ["0.400", "–", "–"] or row.split()[-4:-1] == ["0.400", "–", "–"]
    assert "–: not defined in that year" in text


def test_a_county_that_empties_reads_as_empty(tmp_path):
    """Thirty per cent fewer births a year and half the families leaving: the tiny county of
    300 pupils has none left after a few years. The run completes; the pupils read 0 (a
    count, not 0.000), and the share of pupils in schools below the 2017 standard is
    undefined (no school is assessed), not 0."""
    tiers = [f"demography.birth_trend.{t}=-0.3" for t in ("urban", "town", "rural")]
    code, out, err = quick(tmp_path / "out", "years=12", "region.n_students=300",
                           "region.n_schools=3", "demography.out_migration=0.5", *tiers)
    assert code == 0, err
    ts = pd.read_parquet(tmp_path / "out" / "timeseries.parquet")
    assert ts["students"].iloc[-1] == 0
    empty = ts["students"] == 0
    assert ts.loc[empty, "pupils_in_noncomplying_schools"].isna().all()
    rows = {line.split("  ")[0].strip(): line.split() for line in out.splitlines()}
    assert rows["pupils"][-1] == "0"
    assert rows["pupils in schools below the 2017 standard"][-1] == "–"


def test_viz_warns_when_reachable_from_the_network():
    from sim.viz.cli import exposure_warning

    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert exposure_warning(host) is None
    for host in ("0.0.0.0", "::", "192.168.1.5", "myhost.example"):
        warning = exposure_warning(host)
        assert warning and f"--host {host}" in warning and "reachable from other" in warning


# ---- property: any override of any field gives exit 2 naming it, or a sound run ---------------
def _fields() -> list[str]:
    from sim.config import parameter_table

    names = []
    for _, row in parameter_table().iterrows():
        if isinstance(row["value"], dict) and set(row["value"]) == {"urban", "town", "rural"}:
            names += [f"{row['parameter']}.{t}" for t in ("urban", "town", "rural")]
        else:
            names.append(row["parameter"])
    # region size and paths change what is built; tested by their own cases above
    return [n for n in names if not n.startswith(("region.preset", "region.path",
                                                  "region.teachers_path", "region.grades_path",
                                                  "region.tiers_path"))] + ["seed", "years"]


VALUES = st.one_of(
    st.floats(min_value=0, max_value=1).map(repr),  # often valid: a sound run to check
    st.integers(min_value=-10**20, max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(
        lambda x: "nan" if math.isnan(x) else ("inf" if x == math.inf else
                                              "-inf" if x == -math.inf else repr(x))),
    st.sampled_from(["true", "false", "null", "abc", "''", "[1,2]", "{a: 1}", "0", "1",
                     "0.5", "1e308", "-1e-308", "3"]),
)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(key=st.sampled_from(_fields()), value=VALUES)
def test_any_override_is_refused_by_name_or_runs_soundly(tmp_path_factory, key, value):
    run_dir = tmp_path_factory.mktemp("run") / "out"
    code, out, err = quick(run_dir, "years=2" if key != "years" else "region=tiny",
                           f"{key}={value}")
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("edusim: ") and key.rsplit(".", 1)[-1] in err, err
        assert not run_dir.exists()
        return
    assert code == 0, err
    assert (run_dir / "COMPLETE").is_file()
    ts = pd.read_parquet(run_dir / "timeseries.parquet")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert list(ts["year"]) == list(range(summary["years"] + 1))
    assert (ts["students"] > 0).all() and ts["mean_achievement"].map(math.isfinite).all()


def test_design_tool_reports_hydra_errors_the_same_way(tmp_path):
    from experiments.design import main

    err = io.StringIO()
    argv = sys.argv
    sys.argv = ["edusim-design", "+target=nonexistent", f"hydra.sweep.dir={tmp_path / 's'}"]
    try:
        with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as stop:
            main()
    finally:
        sys.argv = argv
    assert stop.value.code == 2
    assert err.getvalue().strip().startswith(
        "edusim-design: target: there is no option 'nonexistent'; the options are ")
    assert not (tmp_path / "s").exists()
