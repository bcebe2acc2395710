"""Reading and checking real county tables (sim.county_table): the formats a county sends
(CSV in UTF-8/BOM/GBK/UTF-16, XLSX, Chinese headers and values), every promised error with its
file, line and column, all problems at once, and fuzzing with hypothesis (random valid tables
load and round-trip; random broken ones raise CountyTableError and nothing else)."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.county_table import (
    CHINESE_HEADERS,
    COLUMN_ALIASES,
    COUNT_COLUMNS,
    MAX_LISTED,
    TEACHER_BREAKDOWNS,
    CountyTableError,
    load_county_table,
    main,
    read_table,
)
from sim.evaluation import REQUIRED_COLUMNS, TIERS, load_school_table, validate_school_table

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "county_schools.csv"

CN_LEVEL = {"primary": "小学", "junior": "初中"}
CN_TIER = {"urban": "城区", "town": "镇区", "rural": "乡村"}
OPTIONAL = ("teachers", "teachers_mid_title", "computers", "books", "x", "y")
SUBSETS = ("teachers_above_required_qualification", "backbone_teachers", "pe_arts_teachers",
           "teachers_mid_title")
NUMERIC = tuple(c for c in REQUIRED_COLUMNS if c not in ("school_id", "name", "level", "tier"))
GARBAGE = ("abc", "n/a", "—", "十二", "12人", "?", "1,2,3", "1.2.3", "nan", "inf")
AGE = "+".join(TEACHER_BREAKDOWNS["age"])


def _hypothesis():
    """hypothesis: a test dependency (the `test` extra)."""
    import hypothesis as hyp
    return hyp, hyp.strategies, hyp.settings(max_examples=60, deadline=None, database=None)


# ---------------------------------------------------------------------------------------
# helpers: the example county, written in the forms a county sends
# ---------------------------------------------------------------------------------------


def example() -> pd.DataFrame:
    """The example table with Chinese school names (so that the encoding matters)."""
    df = pd.read_csv(EXAMPLE)
    df["name"] = (df["name"].str.replace("Nine-year School", "九年一贯制学校")
                  .str.replace("Primary", "小学").str.replace("Middle School", "中学"))
    return df


def write(df: pd.DataFrame, path: Path, fmt: str = "utf-8") -> Path:
    if fmt == "xlsx":
        df.to_excel(path, index=False)
    else:
        df.to_csv(path, index=False, encoding=fmt)
    return path


def chinese(df: pd.DataFrame) -> pd.DataFrame:
    out = df.rename(columns=CHINESE_HEADERS)
    out["学段"] = out["学段"].map(CN_LEVEL)
    out["城乡类型"] = out["城乡类型"].map(CN_TIER)
    return out


def teachers_table(df: pd.DataFrame) -> pd.DataFrame:
    """A teachers table consistent with the school table ``df`` (all four breakdowns)."""
    rows = []
    for _, r in df.iterrows():
        t, above = int(r["teachers"]), int(r["teachers_above_required_qualification"])
        pe, mid = int(r["pe_arts_teachers"]), int(r["teachers_mid_title"])
        if r["level"] == "primary":  # above required = 专科 or more
            master, bachelor = above // 10, above // 2
            q = (t - above, above - bachelor - master, bachelor, master)
        else:  # above required = 本科 or more
            secondary = (t - above) // 3
            q = (secondary, t - above - secondary, above - above // 10, above // 10)
        a = t // 4
        rows.append({"school_id": r["school_id"], "level": r["level"],
                     **dict(zip(TEACHER_BREAKDOWNS["qualification"], q, strict=True)),
                     "title_junior": t - mid, "title_intermediate": mid - mid // 3,
                     "title_senior": mid // 3, "subject_core": t - pe, "subject_pe_arts": pe,
                     "age_under_30": a, "age_30_39": a, "age_40_49": a,
                     "age_50_plus": t - 3 * a})
    return pd.DataFrame(rows)


def grades_long(df: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in df.iterrows():
        grades = range(1, 7) if r["level"] == "primary" else range(7, 10)
        s, n = int(r["students"]), len(grades)
        for k, g in enumerate(grades):
            rows.append({"school_id": r["school_id"], "grade": g,
                         "students": s // n + (s % n if k == 0 else 0)})
    return pd.DataFrame(rows)


def grades_wide(df: pd.DataFrame, with_level: bool = False) -> pd.DataFrame:
    long = grades_long(df)
    wide = long.pivot_table(index="school_id", columns="grade", values="students",
                            fill_value=0, sort=False)
    wide.columns = [f"grade_{g}" for g in wide.columns]
    wide = wide.reindex(columns=[f"grade_{g}" for g in range(1, 10)], fill_value=0)
    wide = wide.loc[list(dict.fromkeys(df["school_id"]))].reset_index()
    if not with_level:
        return wide.astype({c: int for c in wide.columns[1:]})
    rows = []
    for _, r in df.iterrows():
        w = wide.set_index("school_id").loc[r["school_id"]]
        keep = range(1, 7) if r["level"] == "primary" else range(7, 10)
        rows.append({"school_id": r["school_id"], "level": r["level"],
                     **{f"grade_{g}": (int(w[f"grade_{g}"]) if g in keep else None)
                        for g in range(1, 10)}})
    return pd.DataFrame(rows)


def tiers_table() -> pd.DataFrame:
    return pd.DataFrame({"tier": ["rural", "urban", "town"], "ses_mean": [-0.4, 0.3, 0.0],
                         "left_behind_share": [0.35, 0.02, 0.15],
                         "migrant_share": [0.01, 0.2, 0.08]})


def problems_of(exc) -> list[tuple]:
    return [(Path(p.file).name, p.line, p.column) for p in exc.value.problems]


# ---------------------------------------------------------------------------------------
# formats: the same table loads identically from every file a county might send
# ---------------------------------------------------------------------------------------


def test_example_table_loads_as_the_evaluation_reads_it():
    t = load_county_table(EXAMPLE)
    pd.testing.assert_frame_equal(t.schools, load_school_table(EXAMPLE))
    assert t.source["schools"]["format"] == "csv"
    assert t.source["schools"]["encoding"] == "utf-8"
    assert t.teachers is None and t.grades is None and t.tiers is None and t.notes == []
    assert "33 school rows (31 schools, 2 nine-year)" in t.summary()


@pytest.mark.parametrize("fmt, encoding", [("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"),
                                           ("gb18030", "gb18030"), ("utf-16", "utf-16"),
                                           ("xlsx", None)])
def test_same_table_in_every_format_loads_identically(tmp_path, fmt, encoding):
    df = example()
    ref = load_county_table(write(df, tmp_path / "ref.csv")).schools
    assert ref["name"].iloc[0] == "Chengdong 小学"
    path = tmp_path / ("c.xlsx" if fmt == "xlsx" else "c.csv")
    t = load_county_table(write(df, path, fmt))
    pd.testing.assert_frame_equal(t.schools, ref)
    assert t.source["schools"]["format"] == ("xlsx" if fmt == "xlsx" else "csv")
    assert t.source["schools"]["encoding"] == encoding
    if encoding == "gb18030":
        assert any("GB18030" in n for n in t.notes)


@pytest.mark.parametrize("fmt", ["gbk", "utf-8-sig", "xlsx"])
def test_chinese_headers_and_values_load_identically(tmp_path, fmt):
    df = example()
    ref = load_county_table(write(df, tmp_path / "ref.csv")).schools
    cn = chinese(df)
    assert "在校生数" in cn.columns and set(cn["学段"]) == {"小学", "初中"}
    t = load_county_table(write(cn, tmp_path / ("cn.xlsx" if fmt == "xlsx" else "cn.csv"), fmt))
    pd.testing.assert_frame_equal(t.schools, ref)
    notes = "\n".join(t.notes)
    assert "在校生数 -> students" in notes
    assert "小学 -> primary (22 rows)" in notes and "乡村 -> rural (13 rows)" in notes


def test_header_variants_and_value_variants(tmp_path):
    df = example()
    ref = load_county_table(write(df, tmp_path / "ref.csv")).schools
    variants = {
        "school_id": " School_ID ", "name": "学校(机构)名称 ", "level": "LEVEL", "tier": "城乡分类",
        "students": "在校学生数", "teachers": "专任教师",
        "teachers_above_required_qualification": "高于规定学历的教师数",
        "backbone_teachers": "骨干教师数", "teachers_mid_title": "中级及以上专业技术职务教师数",
        "pe_arts_teachers": "体育、艺术（音乐、美术）专任教师数",
        "building_area_m2": "教学及辅助用房面积（㎡）", "sports_area_m2": "体育运动场(馆)面积",
        "equipment_value_yuan": "教学仪器设备资产值(元)", "multimedia_rooms": "网络多媒体教室",
        "computers": "计算机台数", "books": "图书藏量（册）", "x": "X", "y": "y坐标",
    }
    v = df.rename(columns=variants)
    v["LEVEL"] = v["LEVEL"].map({"primary": " Primary ", "junior": "初级中学"})
    v["城乡分类"] = v["城乡分类"].map({"urban": "主城区", "town": "121", "rural": "村庄"})
    v["备注"] = "ignored"
    t = load_county_table(write(v, tmp_path / "v.csv", "utf-8-sig"))
    pd.testing.assert_frame_equal(t.schools, ref)
    assert any("ignored columns 备注" in n for n in t.notes)


def test_read_table_normalises_headers_and_reports_the_source(tmp_path):
    path = write(chinese(example()), tmp_path / "cn.csv", "gbk")
    frame = read_table(path)
    assert frame.index.name == "line" and frame.index[0] == 2
    assert {"school_id", "level", "students", "x"} <= set(frame.columns)
    assert frame.attrs["encoding"] == "gb18030" and frame.attrs["format"] == "csv"
    assert frame.attrs["headers"]["students"] == "在校生数"
    assert frame.at[2, "level"] == "小学"  # values are read as they are
    with pytest.raises(ValueError, match="kind must be one of"):
        read_table(path, kind="pupils")


def test_title_rows_totals_notes_thousands_numeric_ids_and_units(tmp_path):
    import openpyxl
    df = example().head(4)
    ref = load_county_table(write(df, tmp_path / "ref.csv")).schools
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "学校"
    ws.append(["某某县义务教育学校基本情况统计表"])
    ws.append([])
    header = [CHINESE_HEADERS[c] for c in df.columns]
    header[header.index("教学仪器设备值(元)")] = "教学仪器设备值（万元）"
    ws.append(header)
    for _, r in df.iterrows():
        row = list(r)
        row[list(df.columns).index("equipment_value_yuan")] = r["equipment_value_yuan"] / 1e4
        row[list(df.columns).index("books")] = f"{int(r['books']):,}"  # text "58,890"
        row[list(df.columns).index("level")] = CN_LEVEL[r["level"]]
        row[list(df.columns).index("tier")] = CN_TIER[r["tier"]]
        ws.append(row)
    ws.append([None, "合计", None, None, int(df["students"].sum())])
    ws.append(["注：数据截至2024年9月"])
    wb.create_sheet("说明")
    wb.save(tmp_path / "county.xlsx")

    t = load_county_table(tmp_path / "county.xlsx")
    expected = ref.set_axis(ref.index + 2)  # the header is row 3 of the sheet
    pd.testing.assert_frame_equal(t.schools, expected)
    assert t.source["schools"]["header_line"] == 3 and t.source["schools"]["sheet"] == "学校"
    notes = "\n".join(t.notes)
    for part in ("header on line 3", "dropped line 8 (a total row)", "dropped line 9 (a note",
                 "given in 万元, converted (x 10000)", "thousands separators removed in books",
                 "first sheet '学校' of 2"):
        assert part in notes


def test_numeric_school_ids_from_excel_become_text(tmp_path):
    df = example()
    codes = {c: 2141000000 + k for k, c in enumerate(dict.fromkeys(df["school_id"]))}
    df["school_id"] = df["school_id"].map(codes)  # numbers in the sheet
    t = load_county_table(write(df, tmp_path / "ids.xlsx", "xlsx"))
    assert t.schools["school_id"].iloc[0] == "2141000000"
    assert t.schools.groupby("school_id")["level"].nunique().max() == 2


def test_longitude_latitude_become_km(tmp_path):
    df = example().head(3)
    df["x"], df["y"] = [112.50, 112.50, 112.52], [30.00, 30.01, 30.00]
    t = load_county_table(write(df.rename(columns={"x": "经度", "y": "纬度"}), tmp_path / "d.csv"))
    x, y = t.schools["x"].to_numpy(), t.schools["y"].to_numpy()
    assert y[1] - y[0] == pytest.approx(1.106, abs=0.01)  # 0.01° of latitude
    assert x[2] - x[0] == pytest.approx(0.02 * 111.32 * np.cos(np.radians(30.0033)), rel=1e-3)
    assert abs(x.mean()) < 1e-9 and abs(y.mean()) < 1e-9
    df["x"] = 500.0
    bad = df.rename(columns={"x": "经度", "y": "纬度"})
    with pytest.raises(CountyTableError, match="not a longitude in degrees"):
        load_county_table(write(bad, tmp_path / "bad.csv"))


def test_all_tables_in_one_workbook(tmp_path):
    df = example()
    path = tmp_path / "county.xlsx"
    with pd.ExcelWriter(path) as xw:
        chinese(df).to_excel(xw, sheet_name="学校", index=False)
        teachers_table(df).to_excel(xw, sheet_name="教师", index=False)
        grades_long(df).to_excel(xw, sheet_name="年级", index=False)
        tiers_table().to_excel(xw, sheet_name="城乡", index=False)
    t = load_county_table(path, teachers_path=path, grades_path=path, tiers_path=path,
                          sheets={"schools": "学校", "teachers": "教师", "grades": "年级",
                                  "tiers": "城乡"})
    assert t.source["teachers"]["sheet"] == "教师" and t.source["teachers"]["file"].endswith(
        "county.xlsx[教师]")
    assert len(t.teachers) == len(t.schools) and len(t.grades) == 31
    with pytest.raises(CountyTableError, match=r"no sheet '教职工' \(sheets: 学校, 教师"):
        load_county_table(path, sheets={"schools": "教职工"})
    with pytest.raises(ValueError, match="unknown table"):
        load_county_table(path, sheets={"pupils": "年级"})


# ---------------------------------------------------------------------------------------
# the extra tables
# ---------------------------------------------------------------------------------------


def test_extra_tables_load_and_agree_with_the_school_table(tmp_path):
    df = example()
    t = load_county_table(write(df, tmp_path / "s.csv"),
                          teachers_path=write(teachers_table(df), tmp_path / "t.csv"),
                          grades_path=write(grades_wide(df), tmp_path / "g.csv"),
                          tiers_path=write(tiers_table(), tmp_path / "r.csv"))
    assert t.teachers[["school_id", "level"]].values.tolist() == \
        t.schools[["school_id", "level"]].values.tolist()
    for cols in TEACHER_BREAKDOWNS.values():
        assert (t.teachers[list(cols)].sum(axis=1).to_numpy()
                == t.schools["teachers"].to_numpy()).all()
    assert t.teachers.dtypes.iloc[2:].eq("int64").all()
    g = t.grades.set_index("school_id")
    assert len(g) == 31 and g.index.is_unique
    by_school = t.schools.groupby("school_id", sort=False)["students"].sum()
    assert (g.sum(axis=1) == by_school.loc[g.index]).all()
    assert g.loc["N01", "grade_7"] > 0 and g.loc["P01", "grade_7"] == 0
    assert t.tiers["tier"].tolist() == list(TIERS)
    assert t.tiers.set_index("tier").at["rural", "left_behind_share"] == 0.35


@pytest.mark.parametrize("form", ["wide with level", "long", "long in Chinese"])
def test_grade_formats_give_the_same_grades(tmp_path, form):
    df = example()
    schools = write(df, tmp_path / "s.csv")
    ref = load_county_table(schools, grades_path=write(grades_wide(df), tmp_path / "w.csv"))
    if form == "wide with level":
        g = grades_wide(df, with_level=True)
    else:
        g = grades_long(df)
        if form == "long in Chinese":
            g["grade"] = g["grade"].map(dict(enumerate("一二三四五六", 1)) | {7: "初一", 8: "初二",
                                                                          9: "初三"})
            g["grade"] = g["grade"].map(lambda v: v if v.startswith("初") else f"{v}年级")
            g = g.rename(columns={"school_id": "学校代码", "grade": "年级", "students": "学生数"})
    t = load_county_table(schools, grades_path=write(g, tmp_path / "g.csv", "gbk"))
    pd.testing.assert_frame_equal(t.grades, ref.grades)


def test_tier_shares_as_percentages(tmp_path):
    df = example()
    tiers = tiers_table().rename(columns={"left_behind_share": "留守儿童比例(%)",
                                          "migrant_share": "随迁子女比例"})
    tiers["留守儿童比例(%)"] = [35.0, 2.0, 15.0]
    tiers["随迁子女比例"] = ["1%", "20%", "8%"]
    t = load_county_table(write(df, tmp_path / "s.csv"),
                          tiers_path=write(tiers, tmp_path / "r.csv"))
    pd.testing.assert_frame_equal(
        t.tiers, tiers_table().sort_values("tier", key=lambda s: s.map(TIERS.index))
        .reset_index(drop=True))


@pytest.mark.parametrize("column, value, bound", [
    ("ses_mean", 1e300, "must be <= 3"), ("ses_mean", -1e5, "must be >= -3"),
    ("ses_mean", 3.5, "must be <= 3"), ("left_behind_share", 1.5, "must be <= 1")])
def test_tier_values_outside_the_model_settings_range_are_refused(tmp_path, column, value,
                                                                   bound):
    """A tiers-table value sets a demography setting, so it must lie in that setting's range
    (1e300 for ses_mean overflowed the pupils' SES and crashed the build)."""
    from sim.config import DemographyConfig
    from sim.county_table import TIER_TABLE_SETTINGS

    tiers = tiers_table()
    tiers.loc[1, column] = value
    with pytest.raises(CountyTableError) as exc:
        load_county_table(write(example(), tmp_path / "s.csv"),
                          tiers_path=write(tiers, tmp_path / "r.csv"))
    assert problems_of(exc) == [("r.csv", 3, column)]
    assert bound in str(exc.value)
    meta = {f.name: f.metadata for f in dataclasses.fields(DemographyConfig)}[
        TIER_TABLE_SETTINGS[column]]
    tiers.loc[1, column] = meta["hi"]  # the end of the setting's range is a valid value
    t = load_county_table(write(example(), tmp_path / "s.csv"),
                          tiers_path=write(tiers, tmp_path / "r.csv"))
    assert t.tiers.set_index("tier").loc["urban", column] == meta["hi"]


# ---------------------------------------------------------------------------------------
# errors: each names the file, the line and the column
# ---------------------------------------------------------------------------------------


def _break(df: pd.DataFrame, case: str):
    """Break the example in one way; (frame, line, column, part of the message)."""
    df = df.astype(object)
    if case == "missing column":
        return df.drop(columns=["sports_area_m2"]), 1, "sports_area_m2", "required column"
    if case == "non-numeric cell":
        df.loc[2, "equipment_value_yuan"] = "lots"
        return df, 4, "equipment_value_yuan", "not a number: 'lots'"
    if case == "zero students":
        df.loc[0, "students"] = 0
        return df, 2, "students", "must be > 0"
    if case == "fractional teacher count":
        df.loc[1, "teachers"] = 142.5
        return df, 3, "teachers", "must be a whole number (a count); got 142.5"
    if case == "backbone > teachers":
        df.loc[3, "backbone_teachers"] = 150
        return df, 5, "backbone_teachers", "150 exceeds teachers (149)"
    if case == "duplicate school and level":
        return (pd.concat([df, df.iloc[[4]]], ignore_index=True), 35, "school_id",
                "duplicate row: school_id P05 with level primary already on line 6")
    if case == "nine-year as a level":
        df.loc[20, "level"] = "九年一贯制"
        return df, 22, "level", ("'九年一贯制' is a type of school, not a level: the table has one "
                                 "row per school and level, so a nine-year school (九年一贯制) is "
                                 "two rows with the same school_id")
    if case == "bad tier":
        df.loc[5, "tier"] = "suburb"
        return df, 7, "tier", "must be one of urban, town, rural; got 'suburb'"
    if case == "nine-year rows with different tiers":
        df.loc[31, "tier"] = "rural"
        return df, 33, "tier", "'rural' differs from 'town' given for the same school_id on line 22"
    raise AssertionError(case)


MALFORMED = ["missing column", "non-numeric cell", "zero students", "fractional teacher count",
             "backbone > teachers", "duplicate school and level", "nine-year as a level",
             "bad tier", "nine-year rows with different tiers"]


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_school_table_names_file_line_and_column(tmp_path, case):
    df, line, column, message = _break(example(), case)
    path = write(df, tmp_path / "county.csv")
    with pytest.raises(CountyTableError) as exc:
        load_county_table(path)
    assert problems_of(exc) == [("county.csv", line, column)]
    msg = str(exc.value)
    assert msg.startswith(f"1 problem in the county table ({path}):\n")
    assert f"{path}, line {line}, column '{column}'" in msg and message in msg


def test_problem_shows_the_header_as_written(tmp_path):
    df, *_ = _break(example(), "zero students")
    path = write(chinese(df), tmp_path / "cn.csv", "gbk")
    with pytest.raises(CountyTableError) as exc:
        load_county_table(path)
    assert f"{path}, line 2, column 'students' (在校生数) (school_id P01): must be > 0" \
        in str(exc.value)


def test_all_problems_of_a_file_at_once(tmp_path):
    df = example().astype(object)
    df.loc[0, "students"] = "many"
    df.loc[1, "level"] = "高中"
    df.loc[2, "multimedia_rooms"] = 4.5
    with pytest.raises(CountyTableError) as exc:
        load_county_table(write(df, tmp_path / "c.csv"))
    assert problems_of(exc) == [("c.csv", 2, "students"), ("c.csv", 3, "level"),
                                ("c.csv", 4, "multimedia_rooms")]
    assert str(exc.value).startswith("3 problems in the county table")
    assert "senior secondary (高中) is not compulsory education" in str(exc.value)


def test_all_problems_of_all_files_at_once(tmp_path):
    df = example()
    bad = df.astype(object)
    bad.loc[0, "tier"] = "suburb"
    teachers = teachers_table(df)
    teachers.loc[1, "age_under_30"] += 1
    teachers.loc[4, "school_id"] = "X99"
    grades = grades_wide(df)
    grades.loc[2, "grade_2"] += 5
    tiers = tiers_table()
    tiers.loc[0, "migrant_share"] = 1.5
    with pytest.raises(CountyTableError) as exc:
        load_county_table(write(bad, tmp_path / "s.csv"),
                          teachers_path=write(teachers, tmp_path / "t.csv"),
                          grades_path=write(grades, tmp_path / "g.csv"),
                          tiers_path=write(tiers, tmp_path / "r.csv"))
    assert problems_of(exc) == [
        ("s.csv", 2, "tier"),
        ("t.csv", None, None),  # P05 now has no teachers row
        ("t.csv", 3, AGE),
        ("t.csv", 6, "school_id"),
        ("g.csv", 4, "grade_1..grade_6"),
        ("r.csv", 2, "migrant_share"),
    ]
    msg = str(exc.value)
    assert msg.startswith("6 problems in the county tables (")
    assert "the age counts sum to 143 but the school table gives teachers = 142" in msg
    assert "school_id 'X99' is not in the school table" in msg
    assert "no teachers row for 1 school row of the school table" in msg and "P05 primary" in msg
    assert "grades 1-6 of P03 (line 4) sum to 1785 but the school table gives students = 1780" \
        in msg
    assert "must be <= 1; got 1.5 (a share in [0, 1]" in msg


def test_teachers_table_rules(tmp_path):
    df = example()
    schools = write(df, tmp_path / "s.csv")

    def problems(teachers):
        with pytest.raises(CountyTableError) as exc:
            load_county_table(schools, teachers_path=write(teachers, tmp_path / "t.csv"))
        return [(p.line, p.column, p.message) for p in exc.value.problems]

    t = teachers_table(df)  # PE/arts count off by one, subject total still right
    t.loc[0, ["subject_core", "subject_pe_arts"]] += [-1, 1]
    [(line, col, msg)] = problems(t)
    assert (line, col) == (2, "subject_pe_arts") and "pe_arts_teachers = 24" in msg
    t = teachers_table(df).drop(columns=["qual_master"])
    [(line, col, msg)] = problems(t)
    assert (line, col) == (1, "qual_master") and "qualification breakdown is incomplete" in msg
    t = teachers_table(df).astype({"title_senior": float})
    t.loc[3, "title_senior"] = 2.5
    assert problems(t)[0][:2] == (5, "title_senior")
    t = pd.concat([teachers_table(df), teachers_table(df).iloc[[0]]], ignore_index=True)
    assert [p[:2] for p in problems(t)] == [(35, "school_id")]
    t = teachers_table(df)
    t.loc[0, "level"] = "junior"  # P01 has no junior row (and now no primary teachers row)
    assert [p[:2] for p in problems(t)] == [(None, None), (2, "level")]


def test_grades_table_rules(tmp_path):
    df = example()
    schools = write(df, tmp_path / "s.csv")

    def problems(grades):
        with pytest.raises(CountyTableError) as exc:
            load_county_table(schools, grades_path=write(grades, tmp_path / "g.csv"))
        return [(p.line, p.column, p.message) for p in exc.value.problems]

    g = grades_wide(df)
    g.loc[0, "grade_8"] = 3  # P01 is a primary school
    [(line, col, msg)] = problems(g)
    assert (line, col) == (2, "grade_8") and "school P01 has no junior row" in msg
    g = grades_wide(df, with_level=True)
    g.loc[20, "grade_7"] = 1  # N01's primary row
    [(line, col, msg)] = problems(g)
    assert (line, col) == (22, "grade_7") and "this is a primary row" in msg
    g = grades_long(df)
    g.loc[0, "students"] += 1
    [(line, col, msg)] = problems(g)
    assert (line, col) == (2, "students") and "grades 1-6 of P01 (lines 2-7) sum to 1964" in msg
    g = grades_long(df)
    g.loc[0, "grade"] = 10
    assert (2, "grade") in [p[:2] for p in problems(g)]


# ---------------------------------------------------------------------------------------
# unreadable files, the message block, the CLI
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("content, message", [
    (None, "cannot read the file"),
    (b"", "the file is empty"),
    (b"\r\n \r\n", "the file is empty"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old binary Excel workbook (.xls)"),
    (b"school_id,name\n\x81\x20\x81\n", "line 2: neither UTF-8 nor GBK/GB18030"),
    (b"PK\x03\x04broken", "not a readable .xlsx workbook"),
])
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / "county.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CountyTableError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_county_table(path)


def test_ragged_row_and_sheet_of_a_csv(tmp_path):
    lines = example().to_csv(index=False).splitlines()
    lines[3] += ",extra"
    lines[4] += ",,"  # empty trailing cells are harmless
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CountyTableError) as exc:
        load_county_table(path)
    assert problems_of(exc) == [("r.csv", 4, None)]
    assert "row has 19 cells but the header has 18" in str(exc.value)
    with pytest.raises(CountyTableError, match="is CSV text, not an .xlsx workbook"):
        load_county_table(EXAMPLE, sheets={"schools": "学校"})


def test_message_is_truncated_after_max_listed(tmp_path):
    df = example().astype(object)
    df["multimedia_rooms"] = 1.5  # 33 problems
    df["computers"] = -1  # 33 more
    with pytest.raises(CountyTableError) as exc:
        load_county_table(write(df, tmp_path / "c.csv"))
    assert len(exc.value.problems) == 66
    lines = str(exc.value).splitlines()
    assert lines[0].startswith("66 problems")
    assert len(lines) == 1 + MAX_LISTED + 1
    assert lines[-1] == "  ... and 16 more problems (66 in all)"


def test_cli(tmp_path, capsys):
    assert main([str(EXAMPLE)]) == 0
    out, err = capsys.readouterr()
    assert "33 school rows" in out and err == ""
    df, *_ = _break(example(), "bad tier")
    path = write(chinese(df), tmp_path / "bad.csv", "gbk")
    assert main([str(path), "--tiers", str(tmp_path / "nope.csv")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("error:") == 1 and "Traceback" not in err
    assert "bad.csv, line 7, column 'tier' (城乡类型)" in err and "nope.csv: cannot read" in err
    assert main([str(EXAMPLE), "--sheet", "oops"]) == 2


# ---------------------------------------------------------------------------------------
# fuzzing (hypothesis): random valid counties load and round-trip; broken ones raise
# CountyTableError and never anything else
# ---------------------------------------------------------------------------------------

_NAME_CHARS = list("城东西南北中河山水镇乡村实验第一二三四五新华阳光明兴")
_ALIASES_OF: dict[str, list[str]] = {}
for _alias, _col in COLUMN_ALIASES.items():
    if _alias not in ("经度", "纬度", "longitude", "latitude", "lon", "lat", "lng"):
        _ALIASES_OF.setdefault(_col, []).append(_alias)


def _county(data, st, *, extras: bool) -> dict:
    """A random valid county: the English school table and consistent extra tables."""
    n = data.draw(st.integers(1, 30), label="schools")
    kinds = data.draw(st.lists(st.sampled_from(["primary", "junior", "nine"]), min_size=n,
                               max_size=n), label="kinds")
    tiers = data.draw(st.lists(st.sampled_from(TIERS), min_size=n, max_size=n), label="tiers")
    optional = data.draw(st.sets(st.sampled_from(OPTIONAL)), label="optional columns")
    if {"x", "y"} & optional:  # a place needs both coordinates (one alone is refused)
        optional |= {"x", "y"}
    numeric_ids = data.draw(st.booleans(), label="numeric ids")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    rows = []
    for k in range(n):
        sid = 2141000000 + 7 * k if numeric_ids else f"S{k:02d}"
        name = "".join(rng.choice(_NAME_CHARS, int(rng.integers(1, 5))))
        if rng.random() < 0.2:
            name += ', "分校"'  # quotes and commas in a cell
        for lv in (["primary", "junior"] if kinds[k] == "nine" else [kinds[k]]):
            t = int(rng.integers(1, 150))  # a row with pupils has a teacher
            sub = lambda t=t: int(rng.integers(0, t + 1))  # noqa: E731
            rows.append({
                "school_id": sid, "name": name + ("小学" if lv == "primary" else "中学"),
                "level": lv, "tier": tiers[k], "students": int(rng.integers(1, 3000)),
                "teachers": t, "teachers_above_required_qualification": sub(),
                "backbone_teachers": sub(), "pe_arts_teachers": sub(),
                "teachers_mid_title": sub(),
                "building_area_m2": float(rng.choice([0.0, round(rng.uniform(0, 2e4), 2)])),
                "sports_area_m2": float(rng.uniform(0, 3e4)),
                "equipment_value_yuan": round(float(rng.uniform(0, 1e7)), 2),
                "multimedia_rooms": int(rng.integers(0, 80)),
                "computers": int(rng.integers(0, 400)), "books": int(rng.integers(0, 1e5)),
                "x": float(rng.normal(0, 20)), "y": float(rng.normal(0, 20)),
            })
    full = pd.DataFrame(rows)
    schools = full.drop(columns=[c for c in OPTIONAL if c not in optional])
    county = {"schools": schools, "full": full}
    if not extras:
        return county
    if data.draw(st.booleans(), label="teachers table"):
        chosen = data.draw(st.sets(st.sampled_from(list(TEACHER_BREAKDOWNS)), min_size=1),
                           label="breakdowns")
        t = teachers_table(full.assign(teachers_mid_title=full["teachers_mid_title"]
                                       if "teachers_mid_title" in optional else 0))
        if "title" in chosen and "teachers_mid_title" not in optional:  # any split is fine
            t["title_junior"] = full["teachers"] - full["teachers"] // 2
            t["title_intermediate"] = full["teachers"] // 2
        cols = [c for b, cs in TEACHER_BREAKDOWNS.items() if b in chosen for c in cs]
        county["teachers"] = t[["school_id", "level", *cols]]
    form = data.draw(st.sampled_from([None, "wide", "wide with level", "long"]), label="grades")
    if form is not None:
        county["grades_form"] = form
        county["grades"] = (grades_long(full) if form == "long"
                            else grades_wide(full, with_level=form == "wide with level"))
    if data.draw(st.booleans(), label="tiers table"):
        cols = data.draw(st.sets(st.sampled_from(["ses_mean", "left_behind_share",
                                                  "migrant_share"]), min_size=1), label="cols")
        county["tiers"] = tiers_table()[["tier", *sorted(cols)]]
    return county


def _style(data, st, df: pd.DataFrame) -> pd.DataFrame:
    """The school table as a county might write it: header and value spelling."""
    headers = data.draw(st.sampled_from(["english", "shouting", "chinese", "aliases"]),
                        label="headers")
    values = data.draw(st.sampled_from(["english", "chinese", "mixed case"]), label="values")
    out = df.copy()
    for col, chinese_values in (("level", CN_LEVEL), ("tier", CN_TIER)):
        if col not in out.columns:
            continue
        if values == "chinese":
            out[col] = out[col].map(lambda v, m=chinese_values: m.get(v, v))
        elif values == "mixed case":
            out[col] = out[col].map(lambda v: f" {str(v).title()} ")
    if headers == "shouting":
        out.columns = [f" {c.upper()} " for c in out.columns]
    elif headers == "chinese":
        out = out.rename(columns=CHINESE_HEADERS)
    elif headers == "aliases":
        pick = data.draw(st.randoms(use_true_random=False), label="alias choice")
        out = out.rename(columns={c: pick.choice(_ALIASES_OF[c]) for c in out.columns})
    return out


def _write_county(tmp_path: Path, county: dict, styled: pd.DataFrame, fmt: str) -> dict:
    ext = "xlsx" if fmt == "xlsx" else "csv"
    paths = {"path": write(styled, tmp_path / f"schools.{ext}", fmt)}
    for kind in ("teachers", "grades", "tiers"):
        if kind in county:
            paths[f"{kind}_path"] = write(county[kind], tmp_path / f"{kind}.{ext}", fmt)
    return paths


@pytest.mark.parametrize("formats", [("utf-8", "utf-8-sig", "gbk", "utf-16"), ("xlsx",)])
def test_fuzz_valid_counties_load_and_round_trip(tmp_path, formats):
    hyp, st, settings = _hypothesis()

    @settings
    @hyp.given(data=st.data())
    def run(data):
        county = _county(data, st, extras=True)
        fmt = data.draw(st.sampled_from(formats), label="format")
        schools = county["schools"]
        expected = validate_school_table(schools.astype({"school_id": str}))
        t = load_county_table(**_write_county(tmp_path, county, _style(data, st, schools),
                                              fmt))
        pd.testing.assert_frame_equal(t.schools, expected)
        # round trip: the loaded table, written back, loads to the same table
        again = load_county_table(write(t.schools, tmp_path / "again.csv"))
        pd.testing.assert_frame_equal(again.schools, t.schools)
        if "teachers" in county:
            exp = county["teachers"].astype({"school_id": str})
            pd.testing.assert_frame_equal(t.teachers, exp.reset_index(drop=True))
        if "grades" in county:
            per_school = t.schools.groupby("school_id", sort=False)["students"].sum()
            g = t.grades.set_index("school_id")
            assert list(g.index) == list(per_school.index)
            assert (g.sum(axis=1) == per_school).all()
        if "tiers" in county:
            assert t.tiers["tier"].tolist() == list(TIERS)

    run()


def _mutations(county: dict) -> list[str]:
    s = county["schools"]
    out = ["drop column", "negative", "non-numeric", "fraction", "empty cell", "duplicate",
           "zero students", "nine-year level", "bad level", "bad tier"]
    if "teachers" in s.columns:
        out.append("subset > teachers")
    if (s.groupby("school_id")["level"].nunique() == 2).any():
        out.append("nine-year tiers differ")
    if "teachers" in county and "teachers" in s.columns:
        out.append("teachers sum")
    if "teachers" in county or "grades" in county:
        out.append("unknown school id")
    if "grades" in county:
        out.append("grades sum")
    if "tiers" in county and {"left_behind_share", "migrant_share"} & set(county["tiers"]):
        out.append("share > 1")
    return out


def _mutate(county: dict, how: str, pick) -> str:
    """Break ``county`` in place in the way ``how``; returns the column a problem must name."""
    s = county["schools"] = county["schools"].astype(object)
    r = pick.randrange(len(s))
    present = [c for c in s.columns if c not in ("school_id", "name", "level", "tier")]
    if how == "drop column":
        col = pick.choice(REQUIRED_COLUMNS)
        county["schools"] = s.drop(columns=[col])
        return col
    if how == "negative":
        col = pick.choice([c for c in present if c not in ("x", "y")])
        s.iat[r, s.columns.get_loc(col)] = -pick.randint(1, 100)
        return col
    if how == "non-numeric":
        col = pick.choice(present)
        s.iat[r, s.columns.get_loc(col)] = pick.choice(GARBAGE)
        return col
    if how == "fraction":
        col = pick.choice([c for c in present if c in COUNT_COLUMNS])
        s.iat[r, s.columns.get_loc(col)] = s[col].iat[r] + 0.5
        return col
    if how == "empty cell":
        col = pick.choice(REQUIRED_COLUMNS)
        s.iat[r, s.columns.get_loc(col)] = ""
        return col
    if how == "duplicate":
        county["schools"] = pd.concat([s, s.iloc[[r]]], ignore_index=True)
        return "school_id"
    if how == "zero students":
        s.iat[r, s.columns.get_loc("students")] = 0
        return "students"
    if how == "nine-year level":
        s.iat[r, s.columns.get_loc("level")] = pick.choice(["九年一贯制", "nine_year", "九年一贯制学校"])
        return "level"
    if how == "bad level":
        s.iat[r, s.columns.get_loc("level")] = pick.choice(["senior", "高中", "middle", "3"])
        return "level"
    if how == "bad tier":
        s.iat[r, s.columns.get_loc("tier")] = pick.choice(["suburb", "城镇", "4", "Urban area"])
        return "tier"
    if how == "subset > teachers":
        col = pick.choice([c for c in SUBSETS if c in s.columns])
        s.iat[r, s.columns.get_loc(col)] = s["teachers"].iat[r] + 1
        return col
    if how == "nine-year tiers differ":
        nine = s.groupby("school_id")["level"].transform("nunique") == 2
        r = pick.choice(list(np.flatnonzero(nine.to_numpy())))
        s.iat[r, s.columns.get_loc("tier")] = pick.choice(
            [t for t in TIERS if t != s["tier"].iat[r]])
        return "tier"
    if how == "teachers sum":
        t = county["teachers"] = county["teachers"].copy()
        breakdown = pick.choice([cs for cs in TEACHER_BREAKDOWNS.values() if cs[0] in t])
        t.iat[pick.randrange(len(t)), t.columns.get_loc(breakdown[0])] += 1
        return "+".join(breakdown)
    if how == "unknown school id":
        kind = pick.choice([k for k in ("teachers", "grades") if k in county])
        table = county[kind] = county[kind].astype({"school_id": object})
        table.iat[pick.randrange(len(table)), 0] = "ZZ999"
        return "school_id"
    if how == "grades sum":
        g = county["grades"] = county["grades"].copy()
        i = pick.randrange(len(g))
        if county["grades_form"] == "long":
            g.iat[i, g.columns.get_loc("students")] += 1
            return "students"
        sid = g["school_id"].iat[i]
        levels = set(s.loc[s["school_id"] == sid, "level"])
        if county["grades_form"] == "wide with level":
            levels = {g["level"].iat[i]}
        lv = pick.choice(sorted(levels))
        grade = pick.choice(range(1, 7) if lv == "primary" else range(7, 10))
        g.iat[i, g.columns.get_loc(f"grade_{grade}")] += 1
        return "grade_1..grade_6" if lv == "primary" else "grade_7..grade_9"
    if how == "share > 1":
        t = county["tiers"] = county["tiers"].copy()
        col = pick.choice([c for c in ("left_behind_share", "migrant_share") if c in t])
        # strictly above 1 (random() may give 0.0, and a share of exactly 1 is valid)
        t.iat[pick.randrange(len(t)), t.columns.get_loc(col)] = 1.01 + pick.random()
        return col
    raise AssertionError(how)


def test_fuzz_broken_counties_raise_county_table_error(tmp_path):
    hyp, st, settings = _hypothesis()

    @settings
    @hyp.given(data=st.data())
    def run(data):
        county = _county(data, st, extras=True)
        how = data.draw(st.sampled_from(_mutations(county)), label="mutation")
        column = _mutate(county, how, data.draw(st.randoms(use_true_random=False)))
        fmt = data.draw(st.sampled_from(["utf-8", "gbk"]), label="format")
        styled = _style(data, st, county["schools"])
        with pytest.raises(CountyTableError) as exc:
            load_county_table(**_write_county(tmp_path, county, styled, fmt))
        assert column in {p.column for p in exc.value.problems}, str(exc.value)
        assert all(p.file and isinstance(p.message, str) for p in exc.value.problems)

    run()


def test_fuzz_arbitrary_cells_never_crash(tmp_path):
    """Any cell or header replaced by arbitrary text or numbers: it loads or raises
    CountyTableError, nothing else."""
    hyp, st, settings = _hypothesis()
    junk = st.one_of(st.text(max_size=12), st.integers(-10**12, 10**12),
                     st.floats(allow_nan=True, allow_infinity=True), st.just(""),
                     st.sampled_from(GARBAGE + ("九年一贯制", "合计", "小学", "乡村", "1e400")))

    @settings
    @hyp.given(data=st.data())
    def run(data):
        county = _county(data, st, extras=True)
        for kind in ("schools", "teachers", "grades", "tiers"):
            if kind not in county:
                continue
            df = county[kind].astype(object)
            for _ in range(data.draw(st.integers(0, 4), label=f"{kind} cells")):
                i = data.draw(st.integers(0, len(df) - 1))
                j = data.draw(st.integers(0, len(df.columns) - 1))
                df.iat[i, j] = data.draw(junk)
            if data.draw(st.booleans(), label=f"{kind} header"):
                cols = list(df.columns)
                cols[data.draw(st.integers(0, len(cols) - 1))] = data.draw(st.text(max_size=8))
                df.columns = cols
            county[kind] = df
        try:
            t = load_county_table(**_write_county(tmp_path, county, county["schools"],
                                                  "utf-8"))
        except CountyTableError as exc:
            assert exc.problems and str(exc).splitlines()[0].endswith(":")
        else:
            assert len(t.schools) > 0

    run()


def test_fuzz_arbitrary_bytes_raise_county_table_error(tmp_path):
    hyp, st, settings = _hypothesis()

    @settings
    @hyp.given(raw=st.one_of(st.binary(max_size=300),
                             st.text(max_size=300).map(lambda s: s.encode("utf-8", "replace"))))
    def run(raw):
        path = tmp_path / "junk.csv"
        path.write_bytes(raw)
        with pytest.raises(CountyTableError):
            load_county_table(path, teachers_path=path, grades_path=path, tiers_path=path)

    run()


def test_fuzz_corrupted_workbooks_never_crash(tmp_path):
    hyp, st, settings = _hypothesis()
    buf = io.BytesIO()
    example().head(5).to_excel(buf, index=False)
    good = buf.getvalue()

    @settings
    @hyp.given(edits=st.lists(st.tuples(st.integers(0, len(good) - 1), st.integers(0, 255)),
                              min_size=1, max_size=8))
    def run(edits):
        raw = bytearray(good)
        for pos, byte in edits:
            raw[pos] = byte
        path = tmp_path / "corrupt.xlsx"
        path.write_bytes(bytes(raw))
        try:
            load_county_table(path)
        except CountyTableError:
            pass

    run()


@pytest.mark.parametrize("given", ["x", "y"])
def test_one_coordinate_without_the_other_is_refused(tmp_path, given):
    """A table with y but no x dropped y and placed the schools at random, with only a note."""
    other = "y" if given == "x" else "x"
    with pytest.raises(CountyTableError) as exc:
        load_county_table(write(example().drop(columns=[other]), tmp_path / "s.csv"))
    assert problems_of(exc) == [("s.csv", 1, given)]
    assert f"the table has {given} but no {other}" in str(exc.value)
