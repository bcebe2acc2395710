"""Reading and validating the school tables of a real county.

A county sends its schools as the school table of :mod:`sim.evaluation` (one row per school and
level; the format is documented there), possibly with three extra tables. This package reads
those files in the forms a county office actually produces, translates Chinese headers and
values, checks every table and the consistency between them, and reports **all** problems of
all files at once in one :class:`CountyTableError`. It is the one reader of every edusim tool:
``edusim-evaluate``, ``edusim-check-county`` and ``edusim region=file`` accept and reject the
same files with the same messages.

The package: :mod:`~sim.county_table.schema` (columns, header aliases, accepted values, size
limits), :mod:`~sim.county_table.school_table` (the school-table format's checks on a
DataFrame: :func:`validate_school_table`, the cell helpers),
:mod:`~sim.county_table.cells` (header and cell text rules), :mod:`~sim.county_table.read`
(files into cells), :mod:`~sim.county_table.columns` (value translation shared by the checks),
:mod:`~sim.county_table.schools` and :mod:`~sim.county_table.extra_tables` (the checks),
:mod:`~sim.county_table.problems`, :mod:`~sim.county_table.load` (:func:`load_county_table`)
and :mod:`~sim.county_table.cli` (the command line). The names below are importable from
``sim.county_table``.

Files
-----

* **CSV** in UTF-8 (with or without BOM), GBK/GB18030 or UTF-16 (Excel's "Unicode text"),
  separated by commas, tabs or semicolons. The encoding is detected by trying UTF-8 first,
  then GB18030 (a superset of GBK); GBK bytes that happen to be valid UTF-8 (``小学`` reads as
  ``Сѧ``) are caught by the characters such a reading gives (Cyrillic, Greek, ... which no
  county table writes): the GBK reading is taken when it has fewer of them.
  :attr:`CountyTable.source` says which encoding was used.
* **XLSX** (needs ``openpyxl``): a named sheet (``sheet=`` / ``sheets={"teachers": "教师"}``;
  ``--sheet NAME`` of ``edusim-evaluate`` and ``edusim-check-county``, ``region.sheet`` of
  ``edusim``), else the first sheet whose header names every column the table cannot do
  without (:data:`~sim.county_table.schema.REQUIRED_HEADER`), so a cover page or a notes sheet
  in front is passed over (the notes say which sheet was read), else the sheet whose header
  names the most known columns. When the sheet read lacks (part of) the header, the error
  names that sheet, lists the workbook's sheets and says how to choose one. Cells keep their Excel types; formulas give their cached
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
    county's mean position (equirectangular projection), since ``x``/``y`` are km. The two
    come as a pair: one without the other is a problem (without both, the schools are placed
    at random by tier, and the notes say so).
Values
    ``level``: ``小学`` -> ``primary``, ``初中``/``初级中学`` -> ``junior`` (and the English names
    in any case). ``九年一贯制`` is a type of school, not a level: a nine-year school is two
    rows with the same ``school_id``, and the error says so. ``tier``: ``城区`` -> ``urban``,
    ``镇区`` -> ``town``, ``乡村`` -> ``rural``; also the sub-classes and codes of the NBS urban-rural
    classification (主城区 111 and 城乡结合区 112 -> urban; 镇中心区 121, 镇乡结合区 122 and 特殊区域
    123 -> town; 乡中心区 210 and 村庄 220 -> rural) and the old 城市/县镇/农村. ``key_school``
    (是否重点学校): ``1`` a key school (重点/名校), ``0`` not; nothing else (no yes/no
    words: the tables have no other flag column). Numbers may use
    thousands separators (``1,963``) and full-width digits. Numeric school ids from Excel
    (``2141012345.0``) become text (``2141012345``).

Tables and rules
----------------

The **school table** (``path``) is checked by :func:`validate_school_table` (required
columns, numbers, ``students > 0``, ``>= 0``, teacher subsets ``<= teachers``, allowed level
and tier, unique ``(school_id, level)``, one tier per school, and the size limits below), and
in addition: the counts :data:`COUNT_COLUMNS` must be whole numbers (``12`` or ``12.0``, not
``12.5``), and a row's ``teachers``, when given, must be at least 1 (every row has pupils; a
row without a teacher would leave its pupils untaught in the model). Without a ``teachers``
column the model sets each row's teachers from the staffing norm (at least one).

The optional ``key_school`` column (:data:`~sim.county_table.schema.FLAG_COLUMNS`) says which
schools are key schools: 0 or 1 in every row, the same in both rows of a nine-year school (a
key school is a school, not a section; differing rows are a problem naming both lines). The
official tests ignore it; ``edusim region=file`` takes its key schools from it instead of
drawing them, and ``edusim-check-county`` counts them in its summary.

Size limits (sanity bounds well above any real county, each with its reason; a problem names
the row, the column and the allowed range): per row, :data:`VALUE_LIMITS` (20,000 pupils,
also for the rows of one school together; 2,000 in each teacher column; 1,000,000 m² building
and 2,000,000 m² sports area; 1e9 yuan equipment; 1,000 multimedia rooms; 40,000 computers;
2,000,000 books); per county at most :data:`MAX_SCHOOLS` = 5,000 schools and
:data:`MAX_COUNTY_PUPILS` = 5,000,000 pupils; ``x``/``y`` (km) within ±:data:`MAX_ABS_KM` and
within :data:`MAX_KM_FROM_MEDIAN` = 1,000 km of the county's median (longitude/latitude:
valid degrees, and the same distance after conversion); a file of at most
:data:`MAX_TABLE_BYTES` = 64 MiB (a larger one, or an endless input, is refused unread), and
an XLSX workbook that unpacks to at most :data:`MAX_TABLE_UNPACKED` = 256 MiB.

**Simulation.** ``edusim region=file`` and ``edusim-check-county`` also check what the model
needs (``simulate=True``, :func:`simulation_problems`): at least one primary and one junior
row (pupils move on from grade 6 to grade 7 inside the county). A table without one is an
error there, marked ``cannot be simulated (edusim region=file)``; ``edusim-evaluate`` tests
the rows it has. A county whose schools are all teaching points (under 50 pupils) is
simulated; the official tests call it *not assessable*.

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

The **tiers table** (``tiers_path``): one row per tier with any of ``ses_mean`` (in [-3, 3]
SD of SES), ``left_behind_share`` and ``migrant_share`` (shares in [0, 1]); each sets a
setting of ``demography`` (:data:`TIER_TABLE_SETTINGS`) and must lie in that setting's range;
every tier of the school table needs a row.

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
                              sheets={"schools": "学校"}, simulate=False)
    table.schools     # the validated school table (as validate_school_table returns it;
                      # plus key_school, bool, when the table has that column)
    table.teachers    # school_id, level + the given counts, or None
    table.grades      # school_id, grade_1..grade_9 (one row per school), or None
    table.tiers       # tier + the given columns, or None
    table.source, table.notes

    frame = read_table("schools.csv")   # header-normalised raw cells, indexed by line
    frame = read_table("t.xlsx", sheet="教师", kind="teachers")

CLI::

    edusim-check-county SCHOOLS [--teachers F] [--grades F] [--tiers F]
                                [--sheet NAME] [--sheet TABLE=NAME ...]

(also ``python -m sim.county_table``) prints a summary and the notes (exit 0) or the problems
(exit 2, on stderr, after ``edusim-check-county: error:`` -- the command as typed).
"""

from sim.county_table.cli import main
from sim.county_table.load import (
    CANNOT_SIMULATE,
    CountyTable,
    load_county_table,
    simulation_problems,
)
from sim.county_table.problems import MAX_LISTED, CountyTableError, CountyTableProblem
from sim.county_table.read import read_table
from sim.county_table.schema import (
    CHINESE_HEADERS,
    COLUMN_ALIASES,
    COUNT_COLUMNS,
    GRADE_COLUMN_ALIASES,
    GRADE_COLUMNS,
    LEVEL_VALUES,
    MAX_ABS_KM,
    MAX_COUNTY_PUPILS,
    MAX_KM_FROM_MEDIAN,
    MAX_SCHOOL_PUPILS,
    MAX_SCHOOL_TEACHERS,
    MAX_SCHOOLS,
    MAX_TABLE_BYTES,
    MAX_TABLE_UNPACKED,
    REQUIRED_HEADER,
    TABLE_KINDS,
    TEACHER_BREAKDOWNS,
    TEACHER_COLUMN_ALIASES,
    TIER_COLUMN_ALIASES,
    TIER_TABLE_COLUMNS,
    TIER_TABLE_SETTINGS,
    TIER_VALUES,
    VALUE_LIMITS,
)
from sim.county_table.school_table import SchoolTableError, TableProblem, validate_school_table

__all__ = [
    "CANNOT_SIMULATE",
    "CHINESE_HEADERS",
    "COLUMN_ALIASES",
    "COUNT_COLUMNS",
    "CountyTable",
    "CountyTableError",
    "CountyTableProblem",
    "GRADE_COLUMNS",
    "GRADE_COLUMN_ALIASES",
    "LEVEL_VALUES",
    "MAX_ABS_KM",
    "MAX_TABLE_BYTES",
    "MAX_TABLE_UNPACKED",
    "MAX_COUNTY_PUPILS",
    "MAX_KM_FROM_MEDIAN",
    "MAX_LISTED",
    "MAX_SCHOOLS",
    "MAX_SCHOOL_PUPILS",
    "MAX_SCHOOL_TEACHERS",
    "REQUIRED_HEADER",
    "SchoolTableError",
    "TABLE_KINDS",
    "TEACHER_BREAKDOWNS",
    "TEACHER_COLUMN_ALIASES",
    "TIER_COLUMN_ALIASES",
    "TIER_TABLE_COLUMNS",
    "TIER_TABLE_SETTINGS",
    "TIER_VALUES",
    "TableProblem",
    "VALUE_LIMITS",
    "load_county_table",
    "main",
    "read_table",
    "simulation_problems",
    "validate_school_table",
]
