"""Reading and validating the school tables of a real county.

A county sends its schools as the school table of :mod:`sim.evaluation` (one row per school and
level; the format is documented there), possibly with three extra tables. This module reads
those files in the forms a county office actually produces, translates Chinese headers and
values, checks every table and the consistency between them, and reports **all** problems of
all files at once in one :class:`CountyTableError`.

Files
-----

* **CSV** in UTF-8 (with or without BOM), GBK/GB18030 or UTF-16 (Excel's "Unicode text"),
  separated by commas, tabs or semicolons. The encoding is detected by trying UTF-8 first,
  then GB18030 (a superset of GBK); :attr:`CountyTable.source` says which was used.
* **XLSX** (needs ``openpyxl``): the first sheet, or a named sheet (``sheet=`` /
  ``sheets={"teachers": "教师"}``). Cells keep their Excel types; formulas give their cached
  values. Old binary ``.xls`` workbooks are refused with a message (save them as ``.xlsx``).

The file type is told from the file's content, not its extension.

Layout
    The header is the row (among the first 10 non-blank rows) with the most recognised
    column names, so a title row above it (``XX县义务教育学校基本情况表``) is skipped. Blank
    rows are skipped, a total row (``合计``/``总计``/``小计`` in ``school_id`` or ``name``
    with nothing else identifying a school) and a footer note (a single cell starting with
    ``注``, ``说明``, ``填表人``, ...) are dropped; each is recorded in
    :attr:`CountyTable.notes`. Problems name the **line of the file** (CSV) or the **row of
    the sheet** (XLSX), counting from 1, so the header of a plain table is line 1.
Headers
    Leading/trailing whitespace and a BOM are removed; names are matched after Unicode NFKC
    folding (full-width characters), ignoring case, spaces, ``_``, ``-``, ``、`` and any
    parenthesised part, so ``School ID``, ``学校名称 ``, ``体育艺术（音乐、美术）专任教师数`` and
    ``教学仪器设备值(元)`` are all recognised. Chinese names of the official reporting forms
    are aliases of the English names: :data:`COLUMN_ALIASES` (school table),
    :data:`TEACHER_COLUMN_ALIASES`, :data:`GRADE_COLUMN_ALIASES` and
    :data:`TIER_COLUMN_ALIASES`. Other columns are ignored (and listed in the notes).
    ``校舍(建筑)面积`` is deliberately **not** an alias of ``building_area_m2``: it is the whole
    building area (offices and dormitories included), while the 2017 indicator counts
    教学及辅助用房 only; a table that has it instead gets a hint in the missing-column error.
Units
    A unit in parentheses at the end of a header is read for the columns whose unit matters:
    areas in 平方米/m²; equipment value in 元 or 万元/千元 (converted to yuan); books in 册 or
    万册; shares in the tier table as fractions or ``(%)``. An unknown unit is a problem.
    ``经度``/``纬度`` (longitude/latitude in degrees) become ``x``/``y`` in **km** from the
    county's mean position (equirectangular projection), since ``x``/``y`` are km.
Values
    ``level``: ``小学`` -> ``primary``, ``初中``/``初级中学`` -> ``junior`` (and the English names
    in any case). ``九年一贯制`` is a type of school, not a level: a nine-year school is two
    rows with the same ``school_id``, and the error says so. ``tier``: ``城区`` -> ``urban``,
    ``镇区`` -> ``town``, ``乡村`` -> ``rural``; also the sub-classes and codes of the NBS urban-rural
    classification (主城区 111 and 城乡结合区 112 -> urban; 镇中心区 121, 镇乡结合区 122 and 特殊区域
    123 -> town; 乡中心区 210 and 村庄 220 -> rural) and the old 城市/县镇/农村. Numbers may use
    thousands separators (``1,963``) and full-width digits. Numeric school ids from Excel
    (``2141012345.0``) become text (``2141012345``).

Tables and rules
----------------

The **school table** (``path``) is checked by :func:`sim.evaluation.validate_school_table`
(required columns, numbers, ``students > 0``, ``>= 0``, teacher subsets ``<= teachers``,
allowed level and tier, unique ``(school_id, level)``, one tier per school), and in addition:
the counts :data:`COUNT_COLUMNS` must be whole numbers (``12`` or ``12.0``, not ``12.5``).

The **teachers table** (``teachers_path``): one row per ``school_id`` and ``level`` with
counts in any of the breakdowns of :data:`TEACHER_BREAKDOWNS` (a breakdown is given whole or
not at all; every count a whole number >= 0):

==============  ========================================================================
breakdown       columns
==============  ========================================================================
qualification   ``qual_secondary`` (高中阶段及以下), ``qual_zhuanke`` (专科),
                ``qual_bachelor`` (本科), ``qual_master`` (研究生)
title           ``title_junior`` (初级及以下, incl. 未定职级), ``title_intermediate`` (中级/一级),
                ``title_senior`` (高级及以上)
subject         ``subject_core`` (all other subjects), ``subject_pe_arts`` (PE, music, art)
age             ``age_under_30``, ``age_30_39``, ``age_40_49``, ``age_50_plus``
==============  ========================================================================

Each breakdown sums to the school table's ``teachers`` of that row (or, without a
``teachers`` column, all breakdowns of a row have the same total), and agrees with the school
table: ``subject_pe_arts = pe_arts_teachers``; ``qual_zhuanke + qual_bachelor + qual_master``
(primary) or ``qual_bachelor + qual_master`` (junior) ``= teachers_above_required_qualification``
(the 2017 definition); ``title_intermediate + title_senior = teachers_mid_title`` (when given).

The **grades table** (``grades_path``): pupils per grade, either wide (``school_id``, optional
``level``, ``grade_1`` .. ``grade_9``; 一年级 .. 九年级, 初一 .. 初三 as headers) or long
(``school_id``, ``grade``, ``students``, optional ``level``; grade values 1-9 or their Chinese
names). Grades 1-6 belong to the primary row, 7-9 to the junior row; their sum equals that
row's ``students``; a grade of a level the school does not have must be empty or 0. Without a
``level`` column a wide row holds all grades of a school (both rows of a nine-year school).
Missing grade rows of the long format count as 0.

The **tiers table** (``tiers_path``): one row per tier with any of ``ses_mean`` (any number),
``left_behind_share`` and ``migrant_share`` (in [0, 1]); every tier of the school table needs
a row.

Across tables: every ``school_id`` (and level) of an extra table exists in the school table,
no row appears twice, and every school row has its row in the teachers and grades tables.

Problems and results
--------------------

Each problem (:class:`CountyTableProblem`) names the file, the line, the column (its English
name, with the header as written when that differs) and the rule. :class:`CountyTableError`
(a ``ValueError``) holds them all in ``.problems``; its message is one readable block listing
the first :data:`MAX_LISTED` problems and the count of the rest, fit for a command line
without a traceback.

API::

    table = load_county_table("county.xlsx", teachers_path="teachers.csv",
                              sheets={"schools": "学校"})
    table.schools     # the validated school table (as validate_school_table returns it)
    table.teachers    # school_id, level + the given counts, or None
    table.grades      # school_id, grade_1..grade_9 (one row per school), or None
    table.tiers       # tier + the given columns, or None
    table.source, table.notes

    frame = read_table("schools.csv")   # header-normalised raw cells, indexed by line
    frame = read_table("t.xlsx", sheet="教师", kind="teachers")

CLI::

    python -m sim.county_table SCHOOLS [--teachers F] [--grades F] [--tiers F]
                                       [--sheet TABLE=SHEET ...]

prints a summary and the notes (exit 0) or the problems (exit 2, on stderr).
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import math
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.evaluation import (
    LEVELS,
    NUMERIC_COLUMNS,
    REQUIRED_COLUMNS,
    TIERS,
    SchoolTableError,
    _fmt_num,
    _is_missing,
    _parse_number,
    _text,
    validate_school_table,
)

__all__ = [
    "CHINESE_HEADERS",
    "COLUMN_ALIASES",
    "COUNT_COLUMNS",
    "CountyTable",
    "CountyTableError",
    "CountyTableProblem",
    "GRADE_COLUMNS",
    "GRADE_COLUMN_ALIASES",
    "LEVEL_VALUES",
    "MAX_LISTED",
    "TABLE_KINDS",
    "TEACHER_BREAKDOWNS",
    "TEACHER_COLUMN_ALIASES",
    "TIER_COLUMN_ALIASES",
    "TIER_TABLE_COLUMNS",
    "TIER_VALUES",
    "load_county_table",
    "main",
    "read_table",
]

MAX_LISTED = 50
"""The message of a :class:`CountyTableError` lists this many problems, then a count."""

TABLE_KINDS: tuple[str, ...] = ("schools", "teachers", "grades", "tiers")

COUNT_COLUMNS: tuple[str, ...] = (
    "students",
    "teachers",
    "teachers_above_required_qualification",
    "backbone_teachers",
    "pe_arts_teachers",
    "teachers_mid_title",
    "multimedia_rooms",
    "computers",
    "books",
)
"""School-table columns that count things and must be whole numbers in a county table."""

TEACHER_BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "qualification": ("qual_secondary", "qual_zhuanke", "qual_bachelor", "qual_master"),
    "title": ("title_junior", "title_intermediate", "title_senior"),
    "subject": ("subject_core", "subject_pe_arts"),
    "age": ("age_under_30", "age_30_39", "age_40_49", "age_50_plus"),
}
"""Teacher categories of the teachers table; each breakdown partitions a row's teachers."""

TEACHER_COLUMNS: tuple[str, ...] = tuple(c for cols in TEACHER_BREAKDOWNS.values() for c in cols)
GRADE_COLUMNS: tuple[str, ...] = tuple(f"grade_{g}" for g in range(1, 10))
GRADES_OF: dict[str, tuple[int, ...]] = {"primary": tuple(range(1, 7)),
                                         "junior": tuple(range(7, 10))}
TIER_TABLE_COLUMNS: tuple[str, ...] = ("ses_mean", "left_behind_share", "migrant_share")
_SHARE_COLUMNS = ("left_behind_share", "migrant_share")

# ---------------------------------------------------------------------------------------
# Aliases
# ---------------------------------------------------------------------------------------

_CN_DIGITS = "一二三四五六七八九"

_COMMON_GROUPS: dict[str, tuple[str, ...]] = {
    "school_id": ("学校标识码", "学校代码", "学校编码", "学校编号", "学校识别码", "学校ID",
                  "学校(机构)标识码", "学校(机构)代码", "机构代码", "标识码", "school code"),
    "name": ("学校名称", "学校(机构)名称", "校名", "学校", "单位名称", "school name"),
    "level": ("学段", "教育阶段", "学部", "学段(小学/初中)"),
}

_SCHOOL_GROUPS: dict[str, tuple[str, ...]] = {
    **_COMMON_GROUPS,
    "tier": ("城乡类型", "城乡分类", "城乡属性", "城乡类别", "城乡", "学校所在地城乡类型",
             "所在地城乡类型", "城乡分类代码"),
    "students": ("在校生数", "学生数", "在校学生数", "在校生人数", "学生人数", "在校生"),
    "teachers_above_required_qualification": (
        "高于规定学历教师数", "高于规定学历的教师数", "高于规定学历专任教师数", "高于规定学历教师",
        "学历高于规定教师数"),
    "backbone_teachers": ("县级及以上骨干教师数", "县级以上骨干教师数", "县级及以上骨干教师",
                          "骨干教师数", "骨干教师"),
    "pe_arts_teachers": ("体育艺术(音乐美术)专任教师数", "体育艺术专任教师数",
                         "体育、艺术(音乐、美术)专任教师数", "体育艺术教师数", "体艺教师数",
                         "音体美专任教师数", "音体美教师数"),
    "building_area_m2": ("教学及辅助用房面积(平方米)", "教学及辅助用房面积",
                         "教学及辅助用房建筑面积", "教学辅助用房面积"),
    "sports_area_m2": ("体育运动场馆面积(平方米)", "体育运动场馆面积", "体育运动场(馆)面积",
                       "运动场馆面积", "运动场面积", "运动场地面积", "体育场地面积"),
    "equipment_value_yuan": ("教学仪器设备值(元)", "教学仪器设备值", "教学仪器设备资产值",
                             "教学仪器设备总值", "仪器设备值", "教学仪器设备价值"),
    "multimedia_rooms": ("网络多媒体教室数", "网络多媒体教室", "网络多媒体教室间数",
                         "多媒体教室数", "多媒体教室"),
    "teachers": ("专任教师数", "专任教师", "专任教师人数", "教师数"),
    "teachers_mid_title": ("中级及以上职称教师数", "中级及以上专业技术职务教师数",
                           "中级及以上职称专任教师数", "中级以上职称教师数", "中高级职称教师数"),
    "computers": ("计算机数", "计算机台数", "教学用计算机数", "教学用计算机", "计算机"),
    "books": ("图书册数", "图书藏量", "藏书量", "图书", "图书数"),
    "x": ("x坐标", "横坐标", "经度", "longitude", "lon", "lng"),
    "y": ("y坐标", "纵坐标", "纬度", "latitude", "lat"),
}

_TEACHER_GROUPS: dict[str, tuple[str, ...]] = {
    "school_id": _COMMON_GROUPS["school_id"],
    "level": _COMMON_GROUPS["level"],
    "name": _COMMON_GROUPS["name"],
    "qual_secondary": ("高中阶段及以下", "高中阶段毕业及以下", "高中阶段毕业", "高中及以下",
                       "高中及以下学历", "高中阶段及以下学历"),
    "qual_zhuanke": ("专科", "专科毕业", "专科学历", "大专"),
    "qual_bachelor": ("本科", "本科毕业", "本科学历"),
    "qual_master": ("研究生", "研究生毕业", "研究生学历", "研究生及以上", "硕士及以上"),
    "title_junior": ("初级及以下", "初级及未定职级", "初级职称及以下", "二级及以下",
                     "初级及以下职称"),
    "title_intermediate": ("中级", "中级职称", "一级", "一级教师"),
    "title_senior": ("高级及以上", "高级", "高级职称", "副高级及以上", "高级及以上职称"),
    "subject_core": ("其他学科", "其他学科教师", "非体育艺术学科教师"),
    "subject_pe_arts": ("体育艺术(音乐美术)教师", "体育艺术学科教师", "体育艺术教师",
                        "体育艺术教师数", "音体美教师"),
    "age_under_30": ("30岁以下", "29岁及以下", "30岁以下教师"),
    "age_30_39": ("30-39岁", "30至39岁", "30~39岁"),
    "age_40_49": ("40-49岁", "40至49岁", "40~49岁"),
    "age_50_plus": ("50岁及以上", "50岁以上", "50岁及以上教师"),
}

_GRADE_GROUPS: dict[str, tuple[str, ...]] = {
    "school_id": _COMMON_GROUPS["school_id"],
    "level": _COMMON_GROUPS["level"],
    "name": _COMMON_GROUPS["name"],
    "grade": ("年级",),
    "students": ("学生数", "在校生数", "人数", "在校学生数"),
    **{
        f"grade_{g}": (f"{_CN_DIGITS[g - 1]}年级", f"{g}年级", f"{_CN_DIGITS[g - 1]}年级学生数",
                       f"{_CN_DIGITS[g - 1]}年级在校生数", f"grade {g}")
        + ((f"初{_CN_DIGITS[g - 7]}", f"初中{_CN_DIGITS[g - 7]}年级") if g >= 7 else ())
        for g in range(1, 10)
    },
}

_TIER_GROUPS: dict[str, tuple[str, ...]] = {
    "tier": _SCHOOL_GROUPS["tier"],
    "ses_mean": ("家庭社会经济地位均值", "社会经济地位均值", "SES均值", "ses"),
    "left_behind_share": ("留守儿童比例", "留守儿童占比", "留守儿童比重"),
    "migrant_share": ("随迁子女比例", "随迁子女占比", "进城务工人员随迁子女比例"),
}


def _invert(groups: Mapping[str, Sequence[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canonical, aliases in groups.items():
        for a in aliases:
            if out.setdefault(a, canonical) != canonical:  # pragma: no cover - import check
                raise AssertionError(f"alias {a!r} given for {out[a]!r} and {canonical!r}")
    return out


COLUMN_ALIASES: dict[str, str] = _invert(_SCHOOL_GROUPS)
"""Header alias -> English column of the school table (official Chinese form names and a few
English variants). Matching ignores case, width, spaces, ``_``/``-``/``、`` and parenthesised
parts, so each entry also covers its variants (``体育艺术（音乐、美术）专任教师数``)."""

TEACHER_COLUMN_ALIASES: dict[str, str] = _invert(_TEACHER_GROUPS)
"""Header alias -> column of the teachers table."""

GRADE_COLUMN_ALIASES: dict[str, str] = _invert(_GRADE_GROUPS)
"""Header alias -> column of the grades table."""

TIER_COLUMN_ALIASES: dict[str, str] = _invert(_TIER_GROUPS)
"""Header alias -> column of the tiers table."""

CHINESE_HEADERS: dict[str, str] = {c: names[0] for c, names in _SCHOOL_GROUPS.items()}
"""The preferred official Chinese header of each school-table column (e.g. for a template)."""

_KNOWN: dict[str, tuple[str, ...]] = {
    "schools": tuple(dict.fromkeys(REQUIRED_COLUMNS + NUMERIC_COLUMNS)),
    "teachers": ("school_id", "level", "name") + TEACHER_COLUMNS,
    "grades": ("school_id", "level", "name", "grade", "students") + GRADE_COLUMNS,
    "tiers": ("tier",) + TIER_TABLE_COLUMNS,
}
_ALIASES: dict[str, dict[str, str]] = {
    "schools": COLUMN_ALIASES, "teachers": TEACHER_COLUMN_ALIASES,
    "grades": GRADE_COLUMN_ALIASES, "tiers": TIER_COLUMN_ALIASES,
}

LEVEL_VALUES: dict[str, str] = {
    "primary": "primary", "小学": "primary", "小学部": "primary", "小学段": "primary",
    "junior": "junior", "初中": "junior", "初级中学": "junior", "初中部": "junior",
    "初中段": "junior",
}
"""Accepted ``level`` values (matched ignoring case, width and spaces) -> level."""

_NINE_YEAR_VALUES = {"九年一贯制", "九年一贯制学校", "九年一贯", "九年制", "一贯制", "nineyear", "nineyearschool", "nine_year", "9年一贯制", "十二年一贯制",
                     "十二年一贯制学校", "primary+junior", "both", "小学+初中", "小学和初中"}
_NINE_YEAR_MESSAGE = (
    "{value!r} is a type of school, not a level: the table has one row per school and level, "
    "so a nine-year school (九年一贯制) is two rows with the same school_id, one with level "
    "primary (小学) and one with level junior (初中), each with the counts of its section")
_LEVEL_HINTS = {
    "高中": "senior secondary (高中) is not compulsory education: leave those rows out",
    "完全中学": "a complete secondary school (完全中学) enters with its junior section only: "
                "level junior (初中)",
    "教学点": "a teaching point (教学点) is a primary row: level primary (小学)",
}

TIER_VALUES: dict[str, str] = {
    "urban": "urban", "城区": "urban", "主城区": "urban", "城乡结合区": "urban", "城市": "urban",
    "111": "urban", "112": "urban",
    "town": "town", "镇区": "town", "镇中心区": "town", "镇乡结合区": "town", "特殊区域": "town",
    "县镇": "town", "121": "town", "122": "town", "123": "town",
    "rural": "rural", "乡村": "rural", "乡中心区": "rural", "村庄": "rural", "农村": "rural",
    "210": "rural", "220": "rural",
}
"""Accepted ``tier`` values -> tier: 城区/镇区/乡村, the sub-classes and codes of the NBS
urban-rural classification (统计用城乡划分代码) and the old 城市/县镇/农村."""

_GRADE_VALUES: dict[str, int] = {}
for _g in range(1, 10):
    for _v in (str(_g), f"{_g}年级", f"{_CN_DIGITS[_g - 1]}年级", f"grade{_g}"):
        _GRADE_VALUES[_v] = _g
for _g in range(7, 10):
    _GRADE_VALUES[f"初{_CN_DIGITS[_g - 7]}"] = _g
    _GRADE_VALUES[f"初中{_CN_DIGITS[_g - 7]}年级"] = _g

_UNIT_SCALES: dict[str, dict[str, float]] = {
    "building_area_m2": {"平方米": 1.0, "m2": 1.0, "平米": 1.0, "米2": 1.0},
    "sports_area_m2": {"平方米": 1.0, "m2": 1.0, "平米": 1.0, "米2": 1.0},
    "equipment_value_yuan": {"元": 1.0, "yuan": 1.0, "万元": 1e4, "千元": 1e3},
    "books": {"册": 1.0, "本": 1.0, "万册": 1e4},
    "left_behind_share": {"%": 0.01, "百分比": 0.01, "0-1": 1.0},
    "migrant_share": {"%": 0.01, "百分比": 0.01, "0-1": 1.0},
}
_DEGREE_HEADERS = {"x": {"经度", "longitude", "lon", "lng"}, "y": {"纬度", "latitude", "lat"}}
_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON_EQUATOR = 111.320

_TOTAL_WORDS = {"合计", "总计", "小计", "全县合计", "全县总计", "全县", "total", "sum", "subtotal"}
_FOOTER_PREFIXES = ("注", "说明", "备注", "填表人", "填报人", "制表", "审核", "负责人",
                    "单位负责人", "联系电话", "填报日期", "note")

# ---------------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountyTableProblem:
    """One problem: file, line (header = line 1, or None), column (English name), rule."""

    file: str
    line: int | None
    column: str | None
    message: str
    school_id: str | None = None
    header: str | None = None  # the column's header as written, when it differs

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            col = f"column {self.column!r}"
            if self.header and self.header != self.column:
                col += f" ({self.header})"
            where.append(col)
        text = ", ".join(where)
        if self.school_id:
            text += f" (school_id {self.school_id})"
        return f"{text}: {self.message}"


class CountyTableError(ValueError):
    """The county's tables are unreadable or inconsistent; ``problems`` lists every problem."""

    def __init__(self, problems: Sequence[CountyTableProblem]):
        self.problems = list(problems)
        n = len(self.problems)
        files = list(dict.fromkeys(p.file for p in self.problems))
        head = (f"{n} problem{'' if n == 1 else 's'} in the county table"
                f"{'s' if len(files) > 1 else ''} ({', '.join(files)})")
        lines = [f"  {p}" for p in self.problems[:MAX_LISTED]]
        if n > MAX_LISTED:
            lines.append(f"  ... and {n - MAX_LISTED} more problems ({n} in all)")
        super().__init__(head + ":\n" + "\n".join(lines))


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------

_PARENS = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]")
_TRAILING_UNIT = re.compile(r"[(\[【]([^()\[\]【】]*)[)\]】]\s*$")
_IGNORED_CHARS = re.compile(r"[\s_\-~–—、·:：/,，]+")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def _nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s).replace("\ufeff", "").strip()


def _key(header: str) -> str:
    """Matching key of a header: NFKC, lower case, without parenthesised parts and separators."""
    s = _nfkc(header).lower()
    s = _PARENS.sub("", s)
    return _IGNORED_CHARS.sub("", s)


def _unit(header: str) -> str | None:
    m = _TRAILING_UNIT.search(_nfkc(header).lower().replace("²", "2"))
    return m.group(1).replace(" ", "") if m else None


def _value_key(v) -> str:
    return re.sub(r"\s+", "", _nfkc(_text(v)).lower())


def _cell_text(v) -> str:
    """A cell as text, stripped (and without a BOM); Excel numbers without a spurious ``.0``."""
    if isinstance(v, str):
        return v.replace("\ufeff", "").strip()
    return _text(v)


def _id_text(v) -> str:
    """A school id: text, NFKC-folded (full-width digits), ``2141012345.0`` -> ``2141012345``."""
    return _nfkc(v) if isinstance(v, str) else _text(v)


def _alias_index(aliases: Mapping[str, str], known: Sequence[str]) -> dict[str, str]:
    index = {_key(c): c for c in known}
    for a, c in aliases.items():
        index.setdefault(_key(a), c)
    return index


def _count_message(x: float) -> str:
    return f"must be a whole number (a count); got {_fmt_num(x)}"


def _is_whole(x: float) -> bool:
    return abs(x - round(x)) <= 1e-9 * max(1.0, abs(x))


def _clean_number(v):
    """Fold full-width digits and drop thousands separators in a numeric text cell."""
    if not isinstance(v, str):
        return v
    s = _nfkc(v)
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    return s


class _Problems:
    """Collects the problems of one file."""

    def __init__(self, file: str, headers: Mapping[str, str] | None = None):
        self.file = file
        self.headers = dict(headers or {})
        self.items: list[CountyTableProblem] = []

    def add(self, line, column, message, school_id=None):
        header = self.headers.get(column) if column else None
        self.items.append(CountyTableProblem(self.file, line, column, message,
                                             school_id or None, header))


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


@dataclass
class _Raw:
    """A file read into rows of cells, before any checks of content."""

    file: str
    frame: pd.DataFrame | None = None
    info: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # canonical -> header as written
    units: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[CountyTableProblem] = field(default_factory=list)


def _file_label(path, sheet) -> str:
    return f"{path}[{sheet}]" if sheet is not None else str(path)


def _decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding); raises ValueError with a message naming the line."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ValueError(f"broken UTF-16 text: {exc.reason}") from None
    try:
        return raw.decode("utf-8-sig"), ("utf-8-sig" if raw.startswith(codecs.BOM_UTF8)
                                         else "utf-8")
    except UnicodeDecodeError as utf8_exc:
        try:
            return raw.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            line = raw.count(b"\n", 0, utf8_exc.start) + 1
            raise ValueError(
                f"line {line}: neither UTF-8 nor GBK/GB18030 text (byte "
                f"0x{raw[utf8_exc.start]:02x}); save the table as CSV UTF-8 or as .xlsx"
            ) from None


def _delimiter(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            counts = {d: line.count(d) for d in (",", "\t", ";")}
            best = max(counts, key=lambda d: counts[d])
            return best if counts[best] else ","
    return ","


def _csv_rows(text: str) -> list[tuple[int, list]]:
    """(line, cells) of each row; raises ValueError for a CSV syntax error."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[tuple[int, list]] = []
    prev = 0
    try:
        for row in reader:
            start, prev = prev + 1, reader.line_num
            rows.append((start, list(row)))
    except csv.Error as exc:
        raise ValueError(f"line {reader.line_num}: CSV syntax error: {exc}") from None
    return rows


def _xlsx_rows(path: Path, sheet, raw: _Raw) -> list[tuple[int, list]] | None:
    try:
        import openpyxl
    except ImportError:
        raw.problems.append(CountyTableProblem(
            raw.file, None, None, "reading .xlsx workbooks needs the openpyxl package "
            "(pip install openpyxl), or save the sheet as CSV"))
        return None
    try:
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except Exception as exc:  # a third-party parser on an untrusted file: any failure
        raw.problems.append(CountyTableProblem(
            raw.file, None, None, f"not a readable .xlsx workbook ({type(exc).__name__}: "
            f"{exc}); save it again from Excel/WPS as .xlsx or CSV"))
        return None
    try:
        names = wb.sheetnames
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int) and not isinstance(sheet, bool):
            if not 0 <= sheet < len(names):
                raw.problems.append(CountyTableProblem(
                    raw.file, None, None, f"the workbook has no sheet number {sheet} "
                    f"(sheets: {', '.join(names)})"))
                return None
            ws = wb.worksheets[sheet]
        elif str(sheet) in names:
            ws = wb[str(sheet)]
        else:
            raw.problems.append(CountyTableProblem(
                raw.file, None, None, f"the workbook has no sheet {str(sheet)!r} "
                f"(sheets: {', '.join(names)})"))
            return None
        raw.info["sheet"] = ws.title
        if sheet is None and len(names) > 1:
            raw.notes.append(f"{raw.file}: read the first sheet {ws.title!r} of {len(names)} "
                             f"({', '.join(names)})")
        return [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)]
    finally:
        wb.close()


def _blank(cells: Sequence) -> bool:
    return all(_is_missing(c) for c in cells)


def _read(path, sheet=None, kind: str = "schools") -> _Raw:
    """Read one file into a header-normalised frame of raw cells (problems collected)."""
    path = Path(path)
    raw = _Raw(_file_label(path, sheet))
    raw.info.update(path=str(path), format=None, encoding=None, sheet=None, header_line=None)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raw.problems.append(CountyTableProblem(
            raw.file, None, None, f"cannot read the file: {exc.strerror or exc}"))
        return raw
    if data.startswith(b"PK\x03\x04"):
        raw.info["format"] = "xlsx"
        rows = _xlsx_rows(path, sheet, raw)
        if rows is None:
            return raw
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raw.info["format"] = "xls"
        raw.problems.append(CountyTableProblem(
            raw.file, None, None, "old binary Excel workbook (.xls): save it as .xlsx "
            "(Excel/WPS: Save As > Excel Workbook) or as CSV UTF-8"))
        return raw
    else:
        raw.info["format"] = "csv"
        if sheet is not None:
            raw.problems.append(CountyTableProblem(
                raw.file, None, None, f"a sheet ({sheet!r}) was asked for, but the file is "
                "CSV text, not an .xlsx workbook"))
            return raw
        try:
            text, encoding = _decode(data)
            raw.info["encoding"] = encoding
            rows = _csv_rows(text)
        except ValueError as exc:
            raw.problems.append(CountyTableProblem(raw.file, None, None, str(exc)))
            return raw
        if encoding not in ("utf-8", "utf-8-sig"):
            raw.notes.append(f"{raw.file}: decoded as {encoding.upper()} (not UTF-8)")

    rows = [(line, cells) for line, cells in rows if not _blank(cells)]
    if not rows:
        raw.problems.append(CountyTableProblem(raw.file, None, None,
                                               "the file is empty (no header)"))
        return raw

    index = _alias_index(_ALIASES[kind], _KNOWN[kind])

    def canonical(cell) -> str | None:
        return None if _is_missing(cell) else index.get(_key(_cell_text(cell)))

    # header: the row (of the first 10) naming the most known columns
    scores = [sum(canonical(c) is not None for c in cells) for _, cells in rows[:10]]
    h = int(np.argmax(scores)) if max(scores) > 0 else 0
    header_line, header_cells = rows[h]
    raw.info["header_line"] = header_line
    if h:
        raw.notes.append(f"{raw.file}: header on line {header_line}; skipped "
                         f"{h} line{'s' if h > 1 else ''} above it (title)")
    body = rows[h + 1:]

    names: list[str] = []
    taken: dict[str, int] = {}
    renamed: list[str] = []
    ignored: list[str] = []
    for k, cell in enumerate(header_cells):
        written = _cell_text(cell) if not _is_missing(cell) else ""
        c = canonical(cell)
        if c is None:
            base = written or f"<column {k + 1}>"
            name, n = base, 1
            while name in taken or name in _KNOWN[kind]:
                n += 1
                name = f"{base}.{n}"
            if written:
                ignored.append(written)
            names.append(name)
            taken[name] = k
            continue
        if c in taken:
            first = header_cells[taken[c]]
            raw.problems.append(CountyTableProblem(
                raw.file, header_line, c, f"headers {_cell_text(first)!r} and {written!r} both "
                f"give column {c!r}; keep one", None, None))
            name = f"{written}.dup{k + 1}"
            names.append(name)
            taken[name] = k
            continue
        names.append(c)
        taken[c] = k
        raw.headers[c] = written
        if written != c:
            renamed.append(f"{written} -> {c}")
        unit = _unit(written)
        if unit is not None:
            raw.units[c] = unit
    if renamed:
        raw.notes.append(f"{raw.file}: headers read as " + ", ".join(renamed))
    if ignored:
        raw.notes.append(f"{raw.file}: ignored columns " + ", ".join(ignored))

    width = len(names)
    records, lines = [], []
    for line, cells in body:
        if len(cells) > width:
            extra = cells[width:]
            if not _blank(extra):
                raw.problems.append(CountyTableProblem(
                    raw.file, line, None, f"row has {len(cells)} cells but the header has "
                    f"{width}"))
                continue
            cells = cells[:width]
        cells = [None if isinstance(c, str) and not c.strip() else c for c in cells]
        records.append(cells + [None] * (width - len(cells)))
        lines.append(line)
    frame = pd.DataFrame(records, columns=names, dtype=object,
                         index=pd.Index(lines, name="line", dtype="int64"))
    raw.frame = frame
    return raw


def read_table(path, *, sheet: str | int | None = None, kind: str = "schools") -> pd.DataFrame:
    """Read a CSV or XLSX table with normalised headers (see the module docstring).

    ``kind`` selects the column names and aliases: ``"schools"`` (:data:`COLUMN_ALIASES`),
    ``"teachers"``, ``"grades"`` or ``"tiers"``. Returns the cells as read (text for CSV,
    Excel types for XLSX; empty cells ``None``), indexed by file line (index name
    ``"line"``), recognised columns under their English names and other columns under their
    header. ``frame.attrs`` holds ``file``, ``format`` (csv/xlsx), ``encoding`` (utf-8,
    utf-8-sig, gb18030, utf-16; None for XLSX), ``sheet``, ``header_line``, ``headers``
    (English name -> header as written), ``units`` and ``notes``. Nothing about the values
    is checked here. Raises :class:`CountyTableError` if the file cannot be read or two
    headers name the same column.
    """
    if kind not in TABLE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(TABLE_KINDS)}; got {kind!r}")
    raw = _read(path, sheet, kind)
    if raw.problems:
        raise CountyTableError(raw.problems)
    frame = raw.frame
    frame.attrs.update(file=raw.file, **raw.info, headers=dict(raw.headers),
                       units=dict(raw.units), notes=list(raw.notes))
    return frame


# ---------------------------------------------------------------------------------------
# Content normalisation shared by the tables
# ---------------------------------------------------------------------------------------


def _set(df: pd.DataFrame, column: str, values: Sequence) -> None:
    """Replace a column by ``values`` as they are (object dtype: no type inference)."""
    df[column] = pd.Series(list(values), index=df.index, dtype=object)


def _drop_total_and_footer_rows(raw: _Raw) -> pd.DataFrame:
    df = raw.frame
    if df is None or not len(df):
        return df
    drop = []
    marked = [k for k, c in enumerate(df.columns) if c in ("school_id", "name")]
    for line, row in zip(df.index, df.itertuples(index=False, name=None), strict=True):
        filled = [v for v in row if not _is_missing(v)]
        if len(filled) == 1 and isinstance(filled[0], str) and len(df.columns) > 1 \
                and _nfkc(filled[0]).lower().startswith(_FOOTER_PREFIXES):
            drop.append(line)
            raw.notes.append(f"{raw.file}: dropped line {line} (a note: "
                             f"{_nfkc(filled[0])[:30]!r})")
            continue
        marks = [_value_key(row[k]) if not _is_missing(row[k]) else "" for k in marked]
        if any(m in _TOTAL_WORDS for m in marks) and all(m in _TOTAL_WORDS or not m
                                                         for m in marks):
            drop.append(line)
            raw.notes.append(f"{raw.file}: dropped line {line} (a total row)")
    return df.drop(index=drop) if drop else df


def _normalise_text_ids(df: pd.DataFrame) -> None:
    if "school_id" in df.columns:
        _set(df, "school_id", [None if _is_missing(v) else _id_text(v) for v in df["school_id"]])
    if "name" in df.columns:
        _set(df, "name", [None if _is_missing(v) else _cell_text(v) for v in df["name"]])


def _normalise_levels(df: pd.DataFrame, raw: _Raw, probs: _Problems, explained: set) -> None:
    """Translate level values in place; nine-year and other known mistakes get a problem."""
    if "level" not in df.columns:
        return
    translated: dict[str, int] = {}
    out = []
    for line, v, sid in zip(df.index, df["level"],
                            df["school_id"] if "school_id" in df.columns else [None] * len(df),
                            strict=True):
        if _is_missing(v):
            out.append(v)
            continue
        k = _value_key(v)
        if k in LEVEL_VALUES:
            lv = LEVEL_VALUES[k]
            if _cell_text(v) != lv:
                translated[f"{_cell_text(v)} -> {lv}"] = translated.get(
                    f"{_cell_text(v)} -> {lv}", 0) + 1
            out.append(lv)
            continue
        if k in _NINE_YEAR_VALUES or re.sub(r"[\s_\-]", "", k) in _NINE_YEAR_VALUES:
            probs.add(line, "level", _NINE_YEAR_MESSAGE.format(value=_cell_text(v)), sid)
            explained.add((line, "level"))
        else:
            for word, hint in _LEVEL_HINTS.items():
                if word in k:
                    probs.add(line, "level", f"must be primary (小学) or junior (初中); got "
                              f"{_cell_text(v)!r}: {hint}", sid)
                    explained.add((line, "level"))
                    break
        out.append(v)
    _set(df, "level", out)
    if translated:
        raw.notes.append(f"{raw.file}: level values " + ", ".join(
            f"{t} ({n} rows)" for t, n in translated.items()))


def _normalise_tiers(df: pd.DataFrame, raw: _Raw) -> None:
    if "tier" not in df.columns:
        return
    translated: dict[str, int] = {}
    out = []
    for v in df["tier"]:
        if not _is_missing(v) and _value_key(v) in TIER_VALUES:
            t = TIER_VALUES[_value_key(v)]
            if _cell_text(v) != t:
                translated[f"{_cell_text(v)} -> {t}"] = translated.get(
                    f"{_cell_text(v)} -> {t}", 0) + 1
            v = t
        out.append(v)
    _set(df, "tier", out)
    if translated:
        raw.notes.append(f"{raw.file}: tier values " + ", ".join(
            f"{t} ({n} rows)" for t, n in translated.items()))


def _apply_units(df: pd.DataFrame, raw: _Raw, probs: _Problems) -> None:
    for c, unit in raw.units.items():
        if c not in _UNIT_SCALES or c not in df.columns:
            continue
        scales = _UNIT_SCALES[c]
        if unit not in scales:
            probs.add(raw.info["header_line"], c, f"unit {unit!r} not understood; use "
                      + " or ".join(repr(u) for u in scales))
            continue
        scale = scales[unit]
        if scale == 1.0:
            continue
        vals = []
        for v in df[c]:
            x, err = _parse_number(v)
            vals.append(v if err is not None else round(x * scale, 6))
        _set(df, c, vals)
        raw.notes.append(f"{raw.file}: column {c!r} given in {unit}, converted "
                         f"(x {_fmt_num(scale)})")


def _clean_numbers(df: pd.DataFrame, columns: Sequence[str], raw: _Raw) -> None:
    changed: list[str] = []
    for c in columns:
        if c not in df.columns:
            continue
        vals = [_clean_number(v) for v in df[c]]
        if any(isinstance(a, str) and "," in a and "," not in b
               for a, b in zip(df[c], vals, strict=True) if isinstance(b, str)):
            changed.append(c)
        _set(df, c, vals)
    if changed:
        raw.notes.append(f"{raw.file}: thousands separators removed in "
                         + ", ".join(changed))


def _numbers(df: pd.DataFrame, c: str, probs: _Problems, ids: Sequence, *, count: bool,
             low: float | None = 0.0, high: float | None = None, range_note: str = "",
             allow_missing: bool = False) -> np.ndarray:
    """Parse column ``c``; problems for bad cells; nan where bad or missing."""
    out = np.full(len(df), np.nan)
    for i, (line, v) in enumerate(zip(df.index, df[c], strict=True)):
        if allow_missing and _is_missing(v):
            continue
        x, err = _parse_number(v)
        if err is not None:
            probs.add(line, c, err, ids[i])
        elif low is not None and x < low:
            probs.add(line, c, f"must be >= {_fmt_num(low)}; got {_fmt_num(x)}{range_note}",
                      ids[i])
        elif high is not None and x > high:
            probs.add(line, c, f"must be <= {_fmt_num(high)}; got {_fmt_num(x)}{range_note}",
                      ids[i])
        elif count and not _is_whole(x):
            probs.add(line, c, _count_message(x), ids[i])
        else:
            out[i] = round(x) if count else x
    return out


def _ids(df: pd.DataFrame) -> list:
    return list(df["school_id"]) if "school_id" in df.columns else [None] * len(df)


def _require(df: pd.DataFrame, columns: Sequence[str], raw: _Raw, probs: _Problems) -> bool:
    ok = True
    for c in columns:
        if c not in df.columns:
            probs.add(raw.info["header_line"] or 1, c, "required column is missing from "
                      "the header" + _missing_hint(c, raw))
            ok = False
    return ok


def _missing_hint(column: str, raw: _Raw) -> str:
    keys = {_key(str(c)) for c in (raw.frame.columns if raw.frame is not None else [])}
    if column == "level" and keys & {_key("办学类型"), _key("学校类型")}:
        return (" (办学类型/school type is not 学段: give one row per school and level with "
                "学段 小学 or 初中)")
    if column == "building_area_m2" and keys & {_key("校舍建筑面积"), _key("校舍面积")}:
        return (" (校舍建筑面积 is the whole building area incl. offices and dormitories; the "
                "indicator uses 教学及辅助用房面积: rename the column if that is what it holds)")
    return ""


# ---------------------------------------------------------------------------------------
# The school table
# ---------------------------------------------------------------------------------------


_CHINESE_CHOICES = {"level": "小学 or 初中", "tier": "城区, 镇区 or 乡村"}


@dataclass
class _Facts:
    """What the extra tables are checked against: one entry per valid (school_id, level)."""

    rows: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    levels: dict[str, list[str]] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)  # every id of the school table
    broken: set[str] = field(default_factory=set)  # ids with a row of unusable level
    tiers: set[str] = field(default_factory=set)
    file: str = ""
    has_teachers: bool = False
    has_mid_title: bool = False


def _check_schools(raw: _Raw) -> tuple[pd.DataFrame | None, _Facts, list[CountyTableProblem]]:
    facts = _Facts(file=raw.file)
    if raw.frame is None:
        return None, facts, []
    probs = _Problems(raw.file, raw.headers)
    df = _drop_total_and_footer_rows(raw).copy()
    explained: set[tuple[int, str]] = set()
    _normalise_text_ids(df)
    _normalise_levels(df, raw, probs, explained)
    _normalise_tiers(df, raw)
    _clean_numbers(df, NUMERIC_COLUMNS, raw)
    _apply_units(df, raw, probs)
    degrees = _degree_columns(raw, probs)

    # whole-number counts (validate_school_table allows fractions)
    ids = _ids(df)
    for c in COUNT_COLUMNS:
        if c not in df.columns:
            continue
        for i, (line, v) in enumerate(zip(df.index, df[c], strict=True)):
            x, err = _parse_number(v)
            if err is None and x >= 0 and not _is_whole(x):
                probs.add(line, c, _count_message(x), ids[i])

    known = [c for c in _KNOWN["schools"] if c in df.columns]
    header_line = raw.info["header_line"] or 1
    table = None
    try:
        table = validate_school_table(df[known], source=raw.file, lines=list(df.index))
    except SchoolTableError as exc:
        for p in exc.problems:
            if (p.line, p.column) in explained:
                continue
            line = header_line if p.line == 1 else p.line
            if p.column is None and p.message.startswith("the table has no data rows"):
                line = None
            message = p.message
            if p.line == 1 and p.column:
                message += _missing_hint(p.column, raw)
            elif p.column in _CHINESE_CHOICES and message.startswith("must be one of"):
                message += f" ({_CHINESE_CHOICES[p.column]})"
            probs.add(line, p.column, message, p.school_id)
    if table is not None and degrees:
        _degrees_to_km(table, probs)

    # facts for the cross-table checks: rows whose id and level are usable (first of each)
    facts.has_teachers = "teachers" in df.columns
    facts.has_mid_title = "teachers_mid_title" in df.columns
    if "school_id" in df.columns and "level" in df.columns:
        cols = {c: df[c].tolist() for c in df.columns}
        for i, line in enumerate(df.index):
            row = {c: v[i] for c, v in cols.items()}
            sid, lv = row["school_id"], row["level"]
            if _is_missing(sid):
                continue
            facts.ids.add(sid)
            if lv not in LEVELS:
                facts.broken.add(sid)
            if lv not in LEVELS or (sid, lv) in facts.rows:
                continue
            entry: dict[str, Any] = {"line": line}
            for c in ("students", "teachers", "teachers_above_required_qualification",
                      "pe_arts_teachers", "teachers_mid_title"):
                x, err = _parse_number(row[c]) if c in df.columns else (None, "absent")
                entry[c] = x if err is None else None
            facts.rows[(sid, lv)] = entry
            facts.levels.setdefault(sid, []).append(lv)
            if "tier" in df.columns and row["tier"] in TIERS:
                facts.tiers.add(row["tier"])
    if problems := probs.items:
        return None, facts, problems
    return table, facts, []


def _degree_columns(raw: _Raw, probs: _Problems) -> bool:
    """Whether x/y are longitude/latitude in degrees (a problem if only one of them is)."""
    deg = {c: _key(raw.headers[c]) in {_key(h) for h in _DEGREE_HEADERS[c]}
           for c in ("x", "y") if c in raw.headers}
    if not any(deg.values()):
        return False
    if len(deg) == 2 and all(deg.values()):
        return True
    c = next(c for c, d in deg.items() if d)
    probs.add(raw.info["header_line"], c, "longitude/latitude (经度/纬度) must come as a pair; "
              "give both, or x and y in km")
    return False


def _degrees_to_km(table: pd.DataFrame, probs: _Problems) -> None:
    lon, lat = table["x"].to_numpy(float), table["y"].to_numpy(float)
    bad = False
    for c, vals, lim in (("x", lon, 180.0), ("y", lat, 90.0)):
        for line, v in zip(table.index, vals, strict=True):
            if abs(v) > lim:
                probs.add(line, c, f"not a {'longitude' if c == 'x' else 'latitude'} in "
                          f"degrees: {_fmt_num(v)}", table.at[line, "school_id"])
                bad = True
    if bad or not len(table):
        return
    lon0, lat0 = float(lon.mean()), float(lat.mean())
    table["x"] = (lon - lon0) * _KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))
    table["y"] = (lat - lat0) * _KM_PER_DEG_LAT


# ---------------------------------------------------------------------------------------
# The extra tables
# ---------------------------------------------------------------------------------------


def _ids_and_levels(df, probs: _Problems, facts: _Facts, explained: set):
    """Check the school_id (and level) cells of an extra table against the school table.

    Returns ids and levels, ``None`` where a cell is bad or names no row of the school table.
    """
    ids = [None if _is_missing(v) else v for v in _ids(df)]
    levels: list[str | None] = [None] * len(df)
    for i, line in enumerate(df.index):
        if ids[i] is None:
            probs.add(line, "school_id", "missing value (empty cell)")
        elif facts.ids and ids[i] not in facts.ids:
            probs.add(line, "school_id", f"school_id {ids[i]!r} is not in the school table "
                      f"({facts.file})", ids[i])
            ids[i] = None
    if "level" in df.columns:
        for i, (line, v) in enumerate(zip(df.index, df["level"], strict=True)):
            if (line, "level") in explained:
                continue
            if _is_missing(v):
                probs.add(line, "level", "missing value (empty cell)", ids[i])
            elif v not in LEVELS:
                probs.add(line, "level", f"must be one of primary, junior; got "
                          f"{_cell_text(v)!r}", ids[i])
            else:
                levels[i] = v
                sid = ids[i]
                if sid is not None and sid in facts.levels and v not in facts.levels[sid]:
                    if sid not in facts.broken:  # else the school table's error says it
                        probs.add(line, "level", f"school {sid} has no {v} row in the school "
                                  f"table ({facts.file})", sid)
                    ids[i] = None
    return ids, levels


def _coverage(keys_seen: set, facts: _Facts, probs: _Problems, what: str) -> None:
    missing = [(k, e["line"]) for k, e in facts.rows.items() if k not in keys_seen]
    if missing:
        listed = ", ".join(f"{s} {lv} (line {ln})" for (s, lv), ln in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        probs.add(None, None, f"no {what} for {len(missing)} school row"
                  f"{'s' if len(missing) > 1 else ''} of the school table ({facts.file}): "
                  f"{listed}{more}")


def _duplicates(keys: Sequence, lines: Sequence[int], probs: _Problems, column: str,
                describe) -> None:
    first: dict = {}
    for k, line in zip(keys, lines, strict=True):
        if k is None:
            continue
        if k in first:
            probs.add(line, column, f"duplicate row: {describe(k)} already on line {first[k]}",
                      k[0] if isinstance(k, tuple) else None)
        else:
            first[k] = line


def _check_teachers(raw: _Raw, facts: _Facts):
    if raw.frame is None:
        return None, []
    probs = _Problems(raw.file, raw.headers)
    df = _drop_total_and_footer_rows(raw).copy()
    explained: set = set()
    _normalise_text_ids(df)
    _normalise_levels(df, raw, probs, explained)
    _clean_numbers(df, TEACHER_COLUMNS, raw)
    hl = raw.info["header_line"]
    if not _require(df, ("school_id", "level"), raw, probs):
        return None, probs.items
    given: dict[str, tuple[str, ...]] = {}
    for name, cols in TEACHER_BREAKDOWNS.items():
        have = [c for c in cols if c in df.columns]
        if have and len(have) < len(cols):
            lacking = [c for c in cols if c not in df.columns]
            probs.add(hl, lacking[0], f"the {name} breakdown is incomplete: "
                      f"{', '.join(have)} given but not {', '.join(lacking)} (give all of it, "
                      "0 where none)")
        elif have:
            given[name] = cols
    if not given and not probs.items:
        probs.add(hl, None, "no teacher counts: give at least one breakdown ("
                  + "; ".join(f"{n}: {', '.join(c)}" for n, c in TEACHER_BREAKDOWNS.items())
                  + ")")
    if len(df) == 0:
        probs.add(None, None, "the table has no data rows")
    ids, levels = _ids_and_levels(df, probs, facts, explained)
    vals = {c: _numbers(df, c, probs, ids, count=True)
            for cols in given.values() for c in cols}
    keys = [(s, lv) if s is not None and lv is not None else None
            for s, lv in zip(ids, levels, strict=True)]
    _duplicates(keys, list(df.index), probs, "school_id",
                lambda k: f"school_id {k[0]} with level {k[1]}")

    # sums and agreement with the school table
    for i, line in enumerate(df.index):
        key = keys[i]
        fact = facts.rows.get(key) if key is not None else None
        totals = {}
        for name, cols in given.items():
            parts = [vals[c][i] for c in cols]
            if not any(math.isnan(p) for p in parts):
                totals[name] = int(sum(parts))
        if fact is None:
            continue
        col = {name: "+".join(cols) for name, cols in given.items()}
        if facts.has_teachers and fact["teachers"] is not None:
            for name, t in totals.items():
                if t != fact["teachers"]:
                    probs.add(line, col[name], f"the {name} counts sum to {t} but the school "
                              f"table gives teachers = {_fmt_num(fact['teachers'])} "
                              f"({facts.file} line {fact['line']})", key[0])
        elif not facts.has_teachers and len(set(totals.values())) > 1:
            probs.add(line, None, "the breakdowns give different totals: " + ", ".join(
                f"{n} {t}" for n, t in totals.items()), key[0])
        _teacher_identities(vals, i, line, key, fact, facts, given, probs)
    _coverage({k for k in keys if k is not None}, facts, probs, "teachers row")
    if probs.items:
        return None, probs.items
    out = pd.DataFrame({"school_id": ids, "level": levels})
    for cols in given.values():
        for c in cols:
            out[c] = vals[c].astype("int64")
    order = {k: n for n, k in enumerate(facts.rows)}  # the school table's order
    out = out.iloc[sorted(range(len(out)), key=lambda r: order.get(keys[r], len(order)))]
    return out.reset_index(drop=True), []


def _teacher_identities(vals, i, line, key, fact, facts, given, probs) -> None:
    def total(cols):
        parts = [vals[c][i] for c in cols]
        return None if any(math.isnan(p) for p in parts) else int(sum(parts))

    checks = []
    if "subject" in given:
        checks.append(("subject_pe_arts", ("subject_pe_arts",), "pe_arts_teachers"))
    if "qualification" in given:
        above = (("qual_zhuanke", "qual_bachelor", "qual_master") if key[1] == "primary"
                 else ("qual_bachelor", "qual_master"))
        checks.append(("+".join(above), above, "teachers_above_required_qualification"))
    if "title" in given and facts.has_mid_title:
        checks.append(("title_intermediate+title_senior",
                       ("title_intermediate", "title_senior"), "teachers_mid_title"))
    for label, cols, school_col in checks:
        t, ref = total(cols), fact.get(school_col)
        if t is not None and ref is not None and t != ref:
            probs.add(line, label, f"sums to {t} but the school table gives {school_col} = "
                      f"{_fmt_num(ref)} ({facts.file} line {fact['line']})", key[0])


def _check_grades(raw: _Raw, facts: _Facts):
    if raw.frame is None:
        return None, []
    probs = _Problems(raw.file, raw.headers)
    df = _drop_total_and_footer_rows(raw).copy()
    explained: set = set()
    _normalise_text_ids(df)
    _normalise_levels(df, raw, probs, explained)
    hl = raw.info["header_line"]
    grade_cols = [c for c in GRADE_COLUMNS if c in df.columns]
    long = "grade" in df.columns
    if long and grade_cols:
        probs.add(hl, "grade", "give the grades either as columns grade_1..grade_9 or as "
                  "rows (grade, students), not both")
        return None, probs.items
    if not long and not grade_cols:
        probs.add(hl, None, "no grade columns: give grade_1..grade_9 (一年级..九年级) or the "
                  "columns grade and students")
        return None, probs.items
    if not _require(df, ("school_id", "students") if long else ("school_id",), raw, probs):
        return None, probs.items
    if not long:  # a level's grade columns come whole
        used = {lv for _, lv in facts.rows} or set(LEVELS)
        for lv in LEVELS:
            cols = [f"grade_{g}" for g in GRADES_OF[lv]]
            lacking = [c for c in cols if c not in df.columns]
            if lacking and (len(lacking) < len(cols) or lv in used):
                probs.add(hl, lacking[0], f"columns missing for the {lv} grades: "
                          f"{', '.join(lacking)}")
        if probs.items:
            return None, probs.items
    _clean_numbers(df, grade_cols + (["students"] if long else []), raw)
    if len(df) == 0:
        probs.add(None, None, "the table has no data rows")
    ids, levels = _ids_and_levels(df, probs, facts, explained)
    has_level = "level" in df.columns

    pupils: dict[tuple[str, str], dict[int, int]] = {}  # (school_id, level) -> grade -> n
    where: dict[tuple[str, str], list[int]] = {}  # the lines they came from
    broken: set[tuple[str, str]] = set()  # a bad cell: no sum check
    keys: list[tuple | None] = []  # duplicate detection

    def take(sid, lv, g, x, line):
        key = (sid, lv)
        where.setdefault(key, []).append(line)
        if math.isnan(x):
            broken.add(key)
        else:
            pupils.setdefault(key, {})[g] = int(x)

    if long:
        counts = _numbers(df, "students", probs, ids, count=True)
        for i, (line, v) in enumerate(zip(df.index, df["grade"], strict=True)):
            g = _grade(v)
            if g is None:
                probs.add(line, "grade", "missing value (empty cell)" if _is_missing(v) else
                          f"must be a grade 1-9 (一年级..九年级); got {_cell_text(v)!r}", ids[i])
            lv = None if g is None else ("primary" if g <= 6 else "junior")
            if g is not None and has_level and levels[i] is not None and levels[i] != lv:
                probs.add(line, "level", f"grade {g} is a {lv} grade, not {levels[i]}", ids[i])
                lv = None
            sid = ids[i]
            if sid is not None and lv is not None and sid in facts.levels \
                    and lv not in facts.levels[sid]:
                if sid not in facts.broken:
                    probs.add(line, "grade", f"grade {g} is a {lv} grade but school {sid} has "
                              f"no {lv} row in the school table ({facts.file})", sid)
                lv = None
            if sid is None or lv is None:
                keys.append(None)
                continue
            keys.append((sid, g))
            take(sid, lv, g, counts[i], line)
        _duplicates(keys, list(df.index), probs, "grade",
                    lambda k: f"school_id {k[0]} with grade {k[1]}")
    else:
        vals = {c: _numbers(df, c, probs, ids, count=True, allow_missing=True)
                for c in grade_cols}
        for i, line in enumerate(df.index):
            sid = ids[i]
            if sid is None or (has_level and levels[i] is None):
                keys.append(None)
                continue
            keys.append((sid, levels[i]) if has_level else (sid,))
            if has_level:
                row_levels = [levels[i]]
            elif sid in facts.levels and sid not in facts.broken:
                row_levels = facts.levels[sid]
            else:  # unknown levels: nothing to check against
                continue
            for c in grade_cols:
                g = int(c.removeprefix("grade_"))
                lv = "primary" if g <= 6 else "junior"
                x, cell = vals[c][i], df[c].iat[i]
                if lv in row_levels:
                    if _is_missing(cell):
                        probs.add(line, c, "missing value (empty cell)", sid)
                    take(sid, lv, g, np.nan if _is_missing(cell) else x, line)
                elif not math.isnan(x) and x > 0:
                    why = (f"this is a {levels[i]} row" if has_level else
                           f"school {sid} has no {lv} row in the school table ({facts.file})")
                    probs.add(line, c, f"grade {g} is a {lv} grade but {why}; leave it empty "
                              "or 0", sid)
        _duplicates(keys, list(df.index), probs, "school_id",
                    lambda k: f"school_id {k[0]}" + (f" with level {k[1]}" if len(k) > 1
                                                     else ""))
    dup_ids = {k[0] for k in keys if k is not None and keys.count(k) > 1}

    for key, lines in where.items():
        fact = facts.rows.get(key)
        if key in broken or key[0] in dup_ids or fact is None or fact["students"] is None:
            continue
        total = sum(pupils.get(key, {}).values())
        if total != fact["students"]:
            lines = sorted(set(lines))
            span = f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]}-{lines[-1]}"
            g0, g1 = GRADES_OF[key[1]][0], GRADES_OF[key[1]][-1]
            probs.add(lines[0], "students" if long else f"grade_{g0}..grade_{g1}",
                      f"grades {g0}-{g1} of {key[0]} ({span}) sum to {total} but the school "
                      f"table gives students = {_fmt_num(fact['students'])} for its {key[1]} "
                      f"row ({facts.file} line {fact['line']})", key[0])
    _coverage(set(where), facts, probs, "grades")
    if probs.items:
        return None, probs.items
    rows = []
    for sid, levels_of in facts.levels.items():  # one row per school, in table order
        by_grade = {g: n for lv in levels_of for g, n in pupils.get((sid, lv), {}).items()}
        rows.append({"school_id": sid, **{f"grade_{g}": by_grade.get(g, 0) for g in range(1, 10)}})
    out = pd.DataFrame(rows, columns=["school_id", *GRADE_COLUMNS])
    return out.astype({c: "int64" for c in GRADE_COLUMNS}), []


def _grade(v) -> int | None:
    if _is_missing(v):
        return None
    k = _value_key(v)
    if k in _GRADE_VALUES:
        return _GRADE_VALUES[k]
    x, err = _parse_number(v)
    return round(x) if err is None and _is_whole(x) and 1 <= x <= 9 else None


def _check_tiers(raw: _Raw, facts: _Facts):
    if raw.frame is None:
        return None, []
    probs = _Problems(raw.file, raw.headers)
    df = _drop_total_and_footer_rows(raw).copy()
    _normalise_tiers(df, raw)
    given = [c for c in TIER_TABLE_COLUMNS if c in df.columns]
    if not _require(df, ("tier",), raw, probs):
        return None, probs.items
    if not given:
        probs.add(raw.info["header_line"], None, "no tier values: give any of "
                  + ", ".join(TIER_TABLE_COLUMNS))
    if len(df) == 0:
        probs.add(None, None, "the table has no data rows")
    _clean_numbers(df, given, raw)
    _apply_units(df, raw, probs)  # a (%) header; "35%" cells are left to _percent
    for c in _SHARE_COLUMNS:
        if c in df.columns:
            _set(df, c, [_percent(v) for v in df[c]])
    tiers: list[str | None] = []
    for line, v in zip(df.index, df["tier"], strict=True):
        if _is_missing(v):
            probs.add(line, "tier", "missing value (empty cell)")
            tiers.append(None)
        elif v not in TIERS:
            probs.add(line, "tier", f"must be one of {', '.join(TIERS)} (城区, 镇区, 乡村); got "
                      f"{_cell_text(v)!r}")
            tiers.append(None)
        else:
            tiers.append(v)
    no_ids = [None] * len(df)
    vals = {}
    for c in given:
        if c in _SHARE_COLUMNS:
            vals[c] = _numbers(df, c, probs, no_ids, count=False, low=0.0, high=1.0,
                               range_note=" (a share in [0, 1]; write a percentage as 35% "
                               "or put (%) in the header)")
        else:
            vals[c] = _numbers(df, c, probs, no_ids, count=False, low=None)
    _duplicates([(t,) if t else None for t in tiers], list(df.index), probs, "tier",
                lambda k: f"tier {k[0]}")
    missing = sorted(facts.tiers - {t for t in tiers if t}, key=TIERS.index)
    if missing:
        probs.add(None, "tier", f"no row for tier {', '.join(missing)}, which the school "
                  f"table ({facts.file}) uses")
    if probs.items:
        return None, probs.items
    out = pd.DataFrame({"tier": tiers, **vals})
    out = out.sort_values("tier", key=lambda s: s.map(TIERS.index), kind="stable")
    return out.reset_index(drop=True), []


def _percent(v):
    if isinstance(v, str):
        s = _nfkc(v)
        if s.endswith("%"):
            x, err = _parse_number(s[:-1])
            return v if err is not None else x / 100.0
    return v


# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------


@dataclass
class CountyTable:
    """A county's validated tables (see the module docstring).

    ``schools`` is the school table as :func:`sim.evaluation.validate_school_table` returns
    it (English columns, level/tier normalised, numbers as float, indexed by file line).
    ``teachers`` has ``school_id, level`` and the given breakdown columns (int), one row per
    school row in the order of ``schools``; ``grades`` has ``school_id, grade_1..grade_9``
    (int; 0 for the grades of a level the school does not have), **one row per school** (a
    nine-year school's grades 1-6 are its primary row's pupils, 7-9 its junior row's), in the
    order of ``schools``; ``tiers`` has ``tier`` and the given columns, in the order urban,
    town, rural. ``source``
    maps each table (``schools``, ``teachers``, ...) to its file, format, encoding, sheet and
    header line; ``notes`` says what was normalised.
    """

    schools: pd.DataFrame
    teachers: pd.DataFrame | None = None
    grades: pd.DataFrame | None = None
    tiers: pd.DataFrame | None = None
    source: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        s = self.schools
        by_level = s["level"].value_counts()
        by_tier = s["tier"].value_counts()
        nine = int((s.groupby("school_id")["level"].nunique() == 2).sum())
        out = [f"{len(s)} school rows ({s['school_id'].nunique()} schools, {nine} nine-year): "
               + ", ".join(f"{int(by_level.get(lv, 0))} {lv}" for lv in LEVELS)
               + "; " + ", ".join(f"{int(by_tier.get(t, 0))} {t}" for t in TIERS)]
        for kind, info in self.source.items():
            fmt = info["format"] + (f", {info['encoding']}" if info.get("encoding") else "") \
                + (f", sheet {info['sheet']!r}" if info.get("sheet") else "")
            out.append(f"{kind}: {info['file']} ({fmt})")
        return "\n".join(out)


def load_county_table(path, *, teachers_path=None, grades_path=None, tiers_path=None,
                      sheets: Mapping[str, str | int] | None = None) -> CountyTable:
    """Read, normalise and check a county's tables (see the module docstring).

    ``sheets`` names the XLSX sheet of each table (keys ``schools``, ``teachers``,
    ``grades``, ``tiers``; default the first sheet), so one workbook can hold all of them.
    Raises one :class:`CountyTableError` listing every problem of every file (unreadable
    files included).
    """
    sheets = dict(sheets or {})
    unknown = set(sheets) - set(TABLE_KINDS)
    if unknown:
        raise ValueError(f"sheets: unknown table(s) {sorted(unknown)}; known: "
                         f"{', '.join(TABLE_KINDS)}")
    paths = {"schools": path, "teachers": teachers_path, "grades": grades_path,
             "tiers": tiers_path}
    raws = {k: _read(p, sheets.get(k), k) for k, p in paths.items() if p is not None}
    problems: list[CountyTableProblem] = []
    for r in raws.values():
        problems.extend(r.problems)

    schools, facts, found = _check_schools(raws["schools"])
    problems.extend(found)
    checkers = {"teachers": _check_teachers, "grades": _check_grades, "tiers": _check_tiers}
    results: dict[str, pd.DataFrame | None] = {}
    for kind, check in checkers.items():
        if kind in raws:
            results[kind], found = check(raws[kind], facts)
            problems.extend(found)
    if problems:
        raise CountyTableError(sorted(problems, key=_problem_order(raws)))
    source = {k: {"file": r.file, **r.info} for k, r in raws.items()}
    notes = [n for r in raws.values() for n in r.notes]
    return CountyTable(schools, results.get("teachers"), results.get("grades"),
                       results.get("tiers"), source, notes)


def _problem_order(raws: Mapping[str, _Raw]):
    """Sort key: file (schools first), line (file-wide problems first), column in the file."""
    files = {r.file: k for k, r in enumerate(raws.values())}
    columns = {r.file: {c: k for k, c in enumerate(r.frame.columns)}
               for r in raws.values() if r.frame is not None}

    def key(p: CountyTableProblem):
        first = (p.column or "").split("+")[0].split("..")[0]
        return (files.get(p.file, 0), p.line or 0, columns.get(p.file, {}).get(first, 10**6))

    return key


# ---------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Check a county's tables: print a summary (exit 0) or every problem (exit 2)."""
    p = argparse.ArgumentParser(prog="python -m sim.county_table",
                                description="Read and check a county's school tables "
                                            "(CSV/XLSX; format: pydoc sim.county_table).")
    p.add_argument("path", help="school table")
    p.add_argument("--teachers", help="teachers table")
    p.add_argument("--grades", help="pupils by grade")
    p.add_argument("--tiers", help="tier table")
    p.add_argument("--sheet", action="append", default=[], metavar="TABLE=SHEET",
                   help="XLSX sheet of a table, e.g. schools=学校 (repeatable)")
    try:
        args = p.parse_args(argv)
        sheets = {}
        for item in args.sheet:
            kind, sep, name = item.partition("=")
            if not sep or kind not in TABLE_KINDS:
                p.error(f"--sheet {item!r}: expected TABLE=SHEET with TABLE one of "
                        f"{', '.join(TABLE_KINDS)}")
            sheets[kind] = name
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        table = load_county_table(args.path, teachers_path=args.teachers,
                                  grades_path=args.grades, tiers_path=args.tiers,
                                  sheets=sheets)
    except CountyTableError as exc:
        print(f"{p.prog}: error: {exc}", file=sys.stderr)
        return 2
    print(table.summary())
    for note in table.notes:
        print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
