"""The three table tools agree on every table: ``edusim-evaluate``, ``edusim-check-county``
and the model built from a table (``edusim region=file``) read a county's file through one
reader and one validation (sim.county_table), so they accept and reject the same files and
name the same rows and columns. The one documented difference: a valid table without junior
(or primary) rows can be evaluated, but not simulated, and edusim-check-county says so as an
error marked "cannot be simulated".

Also: XLSX sheets (chosen, picked past a cover page, or an error naming the sheet read and
the workbook's sheets), the size limits, a row without teachers, teaching-point-only
counties ("not assessable", never FAILED with nan), and error prefixes naming the command."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import EducationModel
from sim.county_table import (
    CHINESE_HEADERS,
    MAX_SCHOOL_PUPILS,
    VALUE_LIMITS,
    CountyTableError,
    load_county_table,
)
from sim.county_table import main as check_main
from sim.evaluation import main as evaluate_main
from sim.record import NOT_ASSESSABLE, assessable, level_verdict
from sim.standards import MIN_STUDENTS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "county_schools.csv"
BIN = Path(sys.executable).parent


def example() -> pd.DataFrame:
    """The example county with Chinese school names (so that the encoding matters)."""
    df = pd.read_csv(EXAMPLE)
    df["name"] = (df["name"].str.replace("Nine-year School", "九年一贯制学校")
                  .str.replace("Primary", "小学").str.replace("Middle School", "中学"))
    return df


def chinese(df: pd.DataFrame) -> pd.DataFrame:
    out = df.rename(columns=CHINESE_HEADERS)
    out["学段"] = out["学段"].map({"primary": "小学", "junior": "初中"})
    out["城乡类型"] = out["城乡类型"].map({"urban": "城区", "town": "镇区", "rural": "乡村"})
    return out


def cover_then(df: pd.DataFrame, path: Path, *, with_table: bool = True) -> Path:
    """A workbook whose first sheet is a cover page; the table (if any) on sheet 学校."""
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"XX县义务教育学校基本情况表": ["填表说明: 见附件", "2023年"]}).to_excel(
            xw, sheet_name="封面", index=False)
        if with_table:
            df.to_excel(xw, sheet_name="学校", index=False)
        else:
            pd.DataFrame({"备注": ["无"]}).to_excel(xw, sheet_name="说明", index=False)
    return path


def with_cell(df: pd.DataFrame, column: str, value, row: int = 0) -> pd.DataFrame:
    out = df.astype({column: object})
    out.loc[row, column] = value
    return out


def csv(df: pd.DataFrame, path: Path, **kw) -> Path:
    df.to_csv(path, index=False, **kw)
    return path


@dataclass(frozen=True)
class Case:
    """A table a researcher might give and what every tool must do with it."""

    name: str
    write: Callable[[Path], Path]
    valid: bool  # the reader and validation accept it (edusim-evaluate reports)
    simulate: bool  # edusim region=file and edusim-check-county accept it
    column: str | None = None  # the column every rejection names
    line: int | None = None  # ... and the line (None: a county-wide problem)


def _small(df: pd.DataFrame) -> pd.DataFrame:
    """Every school a teaching point: 30 pupils, resources scaled down, at least a teacher."""
    out = df.copy()
    f = 30 / out["students"]
    for c in ("teachers", "teachers_above_required_qualification", "backbone_teachers",
              "teachers_mid_title", "pe_arts_teachers", "multimedia_rooms", "computers", "books"):
        out[c] = (out[c] * f).round().astype(int)
    out["teachers"] = out["teachers"].clip(lower=1)
    for c in ("building_area_m2", "sports_area_m2", "equipment_value_yuan"):
        out[c] = (out[c] * f).round()
    out["students"] = 30
    return out


def _zero_teachers(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in ("teachers", "teachers_above_required_qualification", "backbone_teachers",
              "teachers_mid_title", "pe_arts_teachers"):
        out.loc[0, c] = 0
    return out


def _nine_year_too_big(df: pd.DataFrame) -> pd.DataFrame:
    """Both rows of the first nine-year school within the row limit, their sum above it."""
    out = df.copy()
    nine = out.groupby("school_id")["level"].transform("nunique") == 2
    rows = out.index[out["school_id"] == out.loc[nine, "school_id"].iloc[0]]
    assert len(rows) == 2
    out.loc[rows, "students"] = MAX_SCHOOL_PUPILS // 2 + 1
    return out


CASES = [
    Case("gbk", lambda d: csv(example(), d / "gbk.csv", encoding="gbk"), True, True),
    Case("chinese headers", lambda d: csv(chinese(example()), d / "cn.csv"), True, True),
    Case("semicolons", lambda d: csv(example(), d / "semi.csv", sep=";"), True, True),
    Case("xlsx", lambda d: _xlsx(example(), d / "t.xlsx"), True, True),
    Case("xlsx, cover page first", lambda d: cover_then(example(), d / "cover.xlsx"),
         True, True),
    Case("xlsx, no sheet has the table", lambda d: cover_then(
        example(), d / "nothing.xlsx", with_table=False), False, False),
    Case("students 100.5", lambda d: csv(with_cell(example(), "students", 100.5),
                                         d / "frac.csv"), False, False, "students", 2),
    Case("only primary rows", lambda d: csv(example().query("level == 'primary'"),
                                            d / "primary.csv"), True, False, "level"),
    Case("only junior rows", lambda d: csv(example().query("level == 'junior'"),
                                           d / "junior.csv"), True, False, "level"),
    Case("zero teachers", lambda d: csv(_zero_teachers(example()), d / "t0.csv"),
         False, False, "teachers", 2),
    Case("all schools under 50 pupils", lambda d: csv(_small(example()), d / "small.csv"),
         True, True),
    Case("students 1e308", lambda d: csv(with_cell(example(), "students", "1e308"),
                                         d / "s308.csv"), False, False, "students", 2),
    Case("students 200000000", lambda d: csv(with_cell(example(), "students", 200000000),
                                             d / "s2e8.csv"), False, False, "students", 2),
    Case("nine-year school over the size limit", lambda d: csv(
        _nine_year_too_big(example()), d / "nine.csv"), False, False, "students"),
    Case("equipment 1e308", lambda d: csv(with_cell(example(), "equipment_value_yuan", "1e308"),
                                          d / "e308.csv"), False, False,
         "equipment_value_yuan", 2),
    Case("x 1e308", lambda d: csv(with_cell(example(), "x", "1e308"), d / "x308.csv"),
         False, False, "x", 2),
    Case("y 5000 km from the county", lambda d: csv(with_cell(example(), "y", 5000.0, row=3),
                                                    d / "far.csv"), False, False, "y", 5),
    Case("longitude out of range", lambda d: csv(
        with_cell(example().rename(columns={"x": "经度", "y": "纬度"}).assign(
            经度=lambda t: 113 + t["经度"] / 100, 纬度=lambda t: 34 + t["纬度"] / 100),
            "经度", 250.0), d / "lon.csv"), False, False, "x", 2),
]


def _xlsx(df: pd.DataFrame, path: Path) -> Path:
    df.to_excel(path, index=False)
    return path


def _run(main, argv, capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _body(err: str, prog: str) -> str:
    """The error message of a command without its ``PROG: error:`` prefix."""
    assert err.startswith(f"{prog}: error: "), err
    return err.removeprefix(f"{prog}: error: ").strip()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_three_table_tools_agree(case, tmp_path, capsys):
    path = case.write(tmp_path)
    ev_code, ev_out, ev_err = _run(evaluate_main, [str(path)], capsys)
    ck_code, ck_out, ck_err = _run(check_main, [str(path)], capsys)
    try:
        model = EducationModel(rng=0, region__path=str(path))
        model_error = None
    except CountyTableError as exc:
        model, model_error = None, str(exc).strip()

    # edusim-evaluate: a report for every valid table, the reader's error otherwise
    assert ev_code == (0 if case.valid else 2), ev_err
    assert "Traceback" not in ev_err + ck_err
    # edusim-check-county and the model: the same verdict, the same message
    assert ck_code == (0 if case.simulate else 2), ck_err
    assert (model is not None) == case.simulate, model_error
    if not case.simulate:
        assert _body(ck_err, "edusim-check-county") == model_error
        assert ck_out == ""
    if not case.valid:  # the same problems, word for word, from all three
        assert _body(ev_err, "edusim-evaluate") == model_error
        assert ev_out == ""
    if case.column is not None:
        where = f"column {case.column!r}"
        if case.line is not None:
            where = f"line {case.line}, " + where
        assert where in model_error
    if case.valid and not case.simulate:  # evaluable, but not a county the model can run
        assert "cannot be simulated (edusim region=file)" in model_error
        assert "edusim-evaluate can still test" in model_error
        assert "Verdict" in ev_out and "Not evaluated: no " in ev_out
    if model is not None:  # no NaN reaches the model: every pupil's section has teachers
        table = model.school_table()
        assert (table["teachers"] >= 1).all()
        assert np.isfinite(model.teachers.skill).all()


def test_a_cover_page_is_passed_over_and_the_notes_say_which_sheet(tmp_path, capsys):
    path = cover_then(chinese(example()), tmp_path / "county.xlsx")
    t = load_county_table(path)
    assert t.source["schools"]["sheet"] == "学校"
    assert any("read sheet '学校', the first whose header has" in n for n in t.notes)
    code, out, _ = _run(evaluate_main, [str(path), "--level", "primary"], capsys)
    assert code == 0 and "Note: " in out and "read sheet '学校'" in out
    code, out, _ = _run(check_main, [str(path)], capsys)
    assert code == 0 and "sheet '学校'" in out


def test_a_sheet_without_the_table_names_the_sheet_read_and_the_workbooks_sheets(tmp_path,
                                                                                capsys):
    path = cover_then(example(), tmp_path / "county.xlsx", with_table=False)
    with pytest.raises(CountyTableError) as exc:
        load_county_table(path)
    assert len(exc.value.problems) == 1  # one problem, not one per missing column
    message = str(exc.value)
    assert "sheet '封面'" in message and "'封面', '说明'" in message
    assert "--sheet NAME" in message and "region.sheet=NAME" in message
    # a named sheet that has part of the header: the columns it lacks, and the same hint
    good = cover_then(example(), tmp_path / "good.xlsx")
    partial = tmp_path / "partial.xlsx"
    with pd.ExcelWriter(partial) as xw:
        example().drop(columns=["backbone_teachers", "tier"]).to_excel(
            xw, sheet_name="旧表", index=False)
        example().to_excel(xw, sheet_name="学校", index=False)
    with pytest.raises(CountyTableError) as exc:
        load_county_table(partial, sheets={"schools": "旧表"})
    message = str(exc.value)
    assert "sheet '旧表' (the sheet named; the workbook's sheets: '旧表', '学校')" in message
    assert "lacks 2 of the school table's columns" in message
    assert "column 'backbone_teachers'" in message and "column 'tier'" in message
    # no sheet named and none complete: the most complete sheet is read and its gaps listed
    gap = cover_then(example().drop(columns=["tier"]), tmp_path / "gap.xlsx")
    with pytest.raises(CountyTableError) as exc:
        load_county_table(gap)
    assert [(p.file, p.line, p.column) for p in exc.value.problems] == [
        (f"{gap}[学校]", None, None), (f"{gap}[学校]", 1, "tier")]
    assert "sheet '学校' (no sheet's header has all the table's columns" in str(exc.value)
    # --sheet chooses: the same table from every tool
    code, _, err = _run(evaluate_main, [str(partial), "--sheet", "旧表"], capsys)
    assert code == 2 and "'旧表'" in err
    assert _run(evaluate_main, [str(partial), "--sheet", "学校"], capsys)[0] == 0
    assert _run(check_main, [str(partial), "--sheet", "学校"], capsys)[0] == 0
    assert _run(check_main, [str(partial), "--sheet", "schools=学校"], capsys)[0] == 0
    code, _, err = _run(check_main, [str(partial), "--sheet", "无此表"], capsys)
    assert code == 2 and "no sheet '无此表' (sheets: 旧表, 学校)" in err
    pd.testing.assert_frame_equal(load_county_table(partial, sheets={"schools": "学校"}).schools,
                                  load_county_table(good).schools)


def test_region_sheet_chooses_the_sheet_for_the_model(tmp_path):
    path = tmp_path / "county.xlsx"
    with pd.ExcelWriter(path) as xw:
        example().query("level == 'primary'").to_excel(xw, sheet_name="小学", index=False)
        example().to_excel(xw, sheet_name="全部", index=False)
    with pytest.raises(CountyTableError, match="cannot be simulated"):
        EducationModel(rng=0, region__path=str(path))  # the first sheet with the header
    model = EducationModel(rng=0, region__path=str(path), region__sheet="全部")
    assert len(model.school_table()) == len(example())
    with pytest.raises(CountyTableError, match=r"no sheet '其他' \(sheets: 小学, 全部\)"):
        EducationModel(rng=0, region__path=str(path), region__sheet="其他")


def test_region_sheet_is_a_documented_parameter():
    text = (ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    assert "| region.sheet | None |" in text


def test_teaching_points_only_county_is_simulated_and_not_assessable(tmp_path, capsys):
    path = csv(_small(example()), tmp_path / "small.csv")
    code, out, _ = _run(check_main, [str(path)], capsys)
    assert code == 0
    assert "note: every junior row has fewer than 50 pupils: the county can be simulated" in out
    model = EducationModel(rng=1, region__path=str(path)).run(2)
    ts = model.timeseries()
    for _, row in ts.iterrows():
        for level in ("primary", "junior"):
            assert not assessable(row, level)
            for standard in ("quality", "basic"):
                text = level_verdict(row, standard, level)
                assert text == f"{level} {NOT_ASSESSABLE}"
                assert "nan" not in text and "FAILED" not in text
    assert NOT_ASSESSABLE == f"not assessable: no school of {MIN_STUDENTS}+ pupils"


def test_an_assessable_county_keeps_its_verdict_lines(tmp_path):
    ts = EducationModel(rng=3, region__path=str(EXAMPLE)).timeseries()
    row = ts.iloc[0]
    assert assessable(row, "primary") and assessable(row, "junior")
    text = level_verdict(row, "quality", "primary")
    assert text.startswith("primary FAILED (") and "% of schools comply)" in text
    assert "nan" not in text
    assert level_verdict(row, "basic", "junior").startswith("junior met (mean CV ")


@pytest.mark.parametrize("column", sorted(VALUE_LIMITS))
def test_every_size_limit_rejects_with_row_column_and_range(column, tmp_path):
    limit, reason = VALUE_LIMITS[column]
    df = example()
    df = df.astype({column: float})
    df.loc[2, column] = limit  # at the limit: accepted ...
    if column in ("teachers_above_required_qualification", "backbone_teachers",
                  "pe_arts_teachers", "teachers_mid_title"):
        df.loc[2, "teachers"] = limit
    load_county_table(csv(df, tmp_path / "ok.csv"))
    df.loc[2, column] = limit + 1  # ... one above it: rejected, with where and why
    with pytest.raises(CountyTableError) as exc:
        load_county_table(csv(df, tmp_path / "bad.csv"))
    problems = [p for p in exc.value.problems if p.column == column]
    assert [(p.line, p.column) for p in problems] == [(4, column)]
    low = "(0" if column == "students" else "[0"
    assert f"must be in {low}, {int(limit)}]" in problems[0].message
    assert reason in problems[0].message and "assumption" in reason


def test_county_wide_limits(tmp_path):
    df = example()
    rows = pd.concat([df] * 8, ignore_index=True).iloc[:251]
    rows["school_id"] = [f"S{k}" for k in range(len(rows))]
    with pytest.raises(CountyTableError) as exc:
        load_county_table(csv(rows.assign(students=MAX_SCHOOL_PUPILS), tmp_path / "big.csv"))
    (problem,) = exc.value.problems
    assert (problem.line, problem.column) == (None, "students")
    assert "5020000 pupils in all" in problem.message and "at most 5000000" in problem.message
    many = pd.concat([df] * 152, ignore_index=True).iloc[:5001]
    many["school_id"] = [f"S{k}" for k in range(len(many))]
    with pytest.raises(CountyTableError) as exc:
        load_county_table(csv(many, tmp_path / "many.csv"))
    (problem,) = exc.value.problems
    assert (problem.line, problem.column) == (None, "school_id")
    assert "5001 schools; a county has at most 5000" in problem.message


def test_a_file_larger_than_any_table_is_refused_unread(tmp_path, capsys, monkeypatch):
    """An endless input (``/dev/zero``) filled the memory until the system killed the command;
    every table tool now reads at most MAX_TABLE_BYTES and refuses a larger file."""
    from sim.county_table import MAX_TABLE_BYTES
    from sim.county_table import read as read_module

    assert MAX_TABLE_BYTES == 64 * 2**20
    for main, prog in ((evaluate_main, "edusim-evaluate"), (check_main, "edusim-check-county")):
        code, out, err = _run(main, ["/dev/zero"], capsys)
        assert code == 2 and out == ""
        assert "/dev/zero: the file is larger than 64 MiB" in _body(err, prog)
    path = csv(example(), tmp_path / "county.csv")  # the limit is the file's size, not its rows
    monkeypatch.setattr(read_module, "MAX_TABLE_BYTES", path.stat().st_size)
    load_county_table(path)
    monkeypatch.setattr(read_module, "MAX_TABLE_BYTES", path.stat().st_size - 1)
    with pytest.raises(CountyTableError, match="larger than"):
        load_county_table(path)


def test_huge_numbers_are_quoted_short():
    from sim.evaluation import format_number

    assert format_number(1e308) == "1e+308" and format_number(200000000) == "200000000"
    assert format_number(2.5) == "2.5" and not math.isnan(float(format_number(1e20)))


def test_gbk_bytes_that_are_valid_utf8_are_read_as_gbk(tmp_path):
    """"小学" in GBK is d0 a1 d1 a7, valid UTF-8 for "Сѧ": the reader must not take it."""
    df = example()
    df["name"] = "城东小学"  # not unique names: fine, ids are
    path = csv(df.iloc[:3], tmp_path / "gbk.csv", encoding="gbk")
    assert "小学".encode("gbk").decode("utf-8") == "Сѧ"
    t = load_county_table(path)
    assert set(t.schools["name"]) == {"城东小学"}
    assert t.source["schools"]["encoding"] == "gb18030"


def _console(name: str) -> Path:
    path = BIN / name
    assert path.exists(), f"{name} is not installed in {BIN} (pip install -e .)"
    return path


@pytest.mark.parametrize("command, module", [("edusim-check-county", "sim.county_table"),
                                             ("edusim-evaluate", "sim.evaluation")])
def test_error_prefix_names_the_command_as_typed(command, module, tmp_path):
    bad = csv(with_cell(example(), "students", 100.5), tmp_path / "frac.csv")
    proc = subprocess.run([str(_console(command)), str(bad)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"{command}: error: 1 problem in the county table")
    proc = subprocess.run([sys.executable, "-m", module, str(bad)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"python -m {module}: error: 1 problem")


def test_edusim_region_file_refuses_a_table_it_cannot_simulate(tmp_path):
    path = csv(example().query("level == 'primary'"), tmp_path / "primary.csv")
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "experiments.run", "region=file",
                           f"region.path={path}", "years=1", f"hydra.run.dir={out}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "cannot be simulated (edusim region=file): the table has no junior row" in proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()


def _six_schools() -> pd.DataFrame:
    """Four primary and two junior schools of the example (no nine-year school)."""
    df = example()
    one = df[~df["school_id"].duplicated(keep=False)]
    return pd.concat([one[one["level"] == "primary"].head(4),
                      one[one["level"] == "junior"].head(2)], ignore_index=True)


def test_fuzz_one_bad_cell_every_tool_names_it_or_the_model_runs(tmp_path, capsys):
    """Hypothesis over table values: one cell of a small county set to any number or text.
    Either the reader rejects it, naming that row (and that column, or the teacher subset
    it now exceeds), with the same message from edusim-evaluate; or edusim-check-county and
    the model accept it and the model's year 0 holds the value with no NaN."""
    import hypothesis as hyp
    from hypothesis import strategies as st

    from sim.standards import NUMERIC_COLUMNS, TEACHER_SUBSETS

    base = _six_schools()
    values = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True, width=64),
        st.integers(-10, 10**10),
        st.sampled_from(["1e308", "-0", "abc", "", "1,000", "12.5", "2万", "０１２"]))

    seen: set[str] = set()

    @hyp.settings(max_examples=40, deadline=None, database=None, derandomize=True,
                  suppress_health_check=[hyp.HealthCheck.function_scoped_fixture])
    @hyp.given(column=st.sampled_from(NUMERIC_COLUMNS), row=st.integers(0, len(base) - 1),
               value=values)
    def run(column, row, value):
        path = csv(with_cell(base, column, value, row), tmp_path / "one.csv")
        code, _, err = _run(evaluate_main, [str(path)], capsys)
        try:
            table = load_county_table(path, simulate=True)
        except CountyTableError as exc:
            assert code == 2 and _body(err, "edusim-evaluate") == str(exc).strip()
            assert _run(check_main, [str(path)], capsys)[0] == 2
            for p in exc.value.problems if hasattr(exc, "value") else exc.problems:
                assert p.line == row + 2, str(p)
                assert p.column == column or (column == "teachers"
                                              and p.column in TEACHER_SUBSETS), str(p)
            seen.add("rejected")
            return
        seen.add("accepted")
        assert code == 0 and _run(check_main, [str(path)], capsys)[0] == 0
        model = EducationModel(rng=0, region__path=str(path))
        year0 = model.school_table().set_index(["school_code", "level"])
        expected = table.schools.set_index(["school_id", "level"])[column].astype(float)
        if column in ("x", "y"):
            return  # locations: checked by test_real_county
        got = year0.loc[expected.index, column].astype(float)
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12)
        assert np.isfinite(model.teachers.skill).all()

    run()
    assert seen == {"accepted", "rejected"}  # both outcomes were exercised


def test_edusim_region_sheet_names_the_sheet_and_nothing_is_written(tmp_path):
    path = cover_then(example(), tmp_path / "county.xlsx")
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "experiments.run", "region=file",
                           f"region.path={path}", "region.sheet='封面'", "years=1",
                           f"hydra.run.dir={out}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "sheet '封面' (the sheet named; the workbook's sheets: '封面', '学校')" in proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()


def test_county_table_error_crosses_process_boundaries():
    """A worker (joblib, Ray, a design trial) that raises it must hand it to its parent
    whole: unpicklable, it broke the worker pool (BrokenProcessPool) instead."""
    import pickle

    from sim.county_table import CountyTableError
    from sim.county_table.problems import CountyTableProblem

    err = CountyTableError([CountyTableProblem("t.csv", 3, "students", "must be a whole number",
                                               "S1", "在校生数")])
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is CountyTableError and str(again) == str(err)
    assert again.problems == err.problems


@pytest.mark.parametrize("item", ["teachers=foo", "grades=notes", "tiers=2024"])
def test_a_sheet_of_a_table_not_given_is_refused(item, capsys):
    """``--sheet teachers=foo`` without ``--teachers`` was dropped silently (exit 0)."""
    kind = item.partition("=")[0]
    code, out, err = _run(check_main, [str(EXAMPLE), "--sheet", item], capsys)
    assert code == 2 and out == ""
    assert (f"--sheet '{item}': no {kind} table is given (--{kind} PATH), so there is no "
            "workbook to take that sheet from") in err


def test_a_formula_without_a_saved_value_is_named_as_a_formula(tmp_path, capsys):
    """openpyxl (and other programs that do not calculate) save formulas without their
    values; such a cell read as "missing value (empty cell)", though Excel shows a number."""
    import openpyxl

    path = _xlsx(example(), tmp_path / "county.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    col = [c.value for c in ws[1]].index("students") + 1
    ws.cell(row=3, column=col).value = "=2*600"
    wb.save(path)
    code, out, err = _run(evaluate_main, [str(path)], capsys)
    assert code == 2, out
    assert ("line 3, column 'students' (school_id P02): a formula (=2*600) whose value the "
            "workbook does not hold") in err
    assert "missing value" not in err


def test_a_workbook_that_unpacks_beyond_any_table_is_refused(tmp_path, monkeypatch):
    """The file's size bounds a CSV, not what an XLSX (a zip) unpacks to: a zip bomb would be
    unpacked by openpyxl; the zip directory's sizes are checked first."""
    import zipfile

    from sim.county_table import MAX_TABLE_UNPACKED
    from sim.county_table import read as read_module

    assert MAX_TABLE_UNPACKED == 256 * 2**20
    path = _xlsx(example(), tmp_path / "county.xlsx")
    with zipfile.ZipFile(path) as z:
        size = sum(i.file_size for i in z.infolist())
    monkeypatch.setattr(read_module, "MAX_TABLE_UNPACKED", size)
    load_county_table(path)
    monkeypatch.setattr(read_module, "MAX_TABLE_UNPACKED", size - 1)
    with pytest.raises(CountyTableError, match="the workbook unpacks to .* MiB, more than"):
        load_county_table(path)
