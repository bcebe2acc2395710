"""The official county balance tests applied to a table of schools, and the ``edusim-evaluate`` CLI.

Two national standards judge whether a county's compulsory-education schools are balanced
(MOE 2017 and MOE 2012; see docs/sources.md):

* **quality** -- the 2017 *high-quality balance* standard (县域义务教育优质均衡发展督导评估办法,
  MOE 2017, 教督〔2017〕6号), resource-allocation part. Seven indicators per school
  (:data:`QUALITY_INDICATORS`) with a minimum standard per level (:data:`QUALITY_STANDARDS`).
  The county passes when

  1. **each** of the 7 difference coefficients (差异系数, the enrolment-weighted CV of
     :func:`sim.metrics.difference_coefficient`) is ``<= 0.50`` (primary) / ``<= 0.45``
     (junior), and
  2. **every** school complies: it meets at least 6 of the 7 standards and the missed one
     reaches at least 85 % of its standard.

  The official text requires both ("每所学校至少6项指标达到上述要求,余项不能低于要求的85%;所有
  指标校际差异系数,小学均小于或等于0.50,初中均小于或等于0.45"), so ``passed`` is
  ``cv_passed and schools_passed``; both parts are also reported separately.
* **basic** -- the 2012 *basic balance* standard (县域义务教育均衡发展督导评估暂行办法, MOE 2012).
  Eight indicators (:data:`BASIC_INDICATORS`); the county passes when the **mean** of the 8
  difference coefficients is ``<= 0.65`` (primary) / ``<= 0.55`` (junior). There are no
  per-school standards in this test, so ``schools_passed`` is ``None``.

The standard's CV limit can be replaced by a county's own target with ``threshold`` (e.g. the
0.30 of doc 001); it must lie in (0, 1].

Teaching points
    Schools with fewer than :data:`MIN_STUDENTS` = 50 pupils (教学点) are left out of the
    county computation: they enter neither the CVs, nor the county means, nor the
    all-schools-comply condition. This is the 2017 rule ("不含特殊教育学校、职业学校及不足50人的
    教学点"); applying it to the 2012 test too is an assumption made for comparability
    (``min_students`` is a parameter). Excluded schools are still listed, with their indicator
    values and (2017) compliance, flagged ``excluded``. A level whose every school is below
    the limit is **not assessable** (:class:`NotAssessableError`; ``edusim-evaluate`` says so
    and exits 0), never a FAIL with undefined CVs.

Edge conventions (choices, documented here)
    * "Meets a standard" is ``value >= standard`` and the 85 % rule is ``value >= 0.85 *
      standard``; both use a relative tolerance of 1e-9 (:data:`RTOL`) so that figures given to
      the stated precision are not failed by float rounding (3.825 m² is exactly 85 % of 4.5).
    * A CV passes when ``cv <= limit`` (same tolerance). An undefined CV (``nan``: county mean 0,
      e.g. no school has any multimedia room) counts as failing.
    * County means are enrolment-weighted means of the school values (the X of the CV formula),
      over the included schools.
    * The 2012 student–teacher ratio is taken as students per teacher (``students_per_teacher``).
      The CV of a ratio is not the CV of its reciprocal, so this choice matters slightly.

School table (a file or a :class:`pandas.DataFrame`)
---------------------------------------------------

One row per school **per level**: a nine-year school (九年一贯制) appears as a ``primary`` row
and a ``junior`` row with the same ``school_id``, each row holding the counts of that level's
section. In a DataFrame column names are exact (surrounding spaces are ignored); other
columns are ignored. A **file** is read by :mod:`sim.county_table`, the one reader of every
edusim tool: CSV (UTF-8, GBK/GB18030 or UTF-16; commas, tabs or semicolons) or XLSX (any
sheet), English or Chinese headers and values, a title row above the header, units in the
headers; see ``pydoc sim.county_table``.

=========================================  ===========  ======  ====================================
column                                     unit         type    rule
=========================================  ===========  ======  ====================================
``school_id``                              --           text    required, non-empty; unique per level
``name``                                   --           text    required, non-empty
``level``                                  --           text    required: ``primary`` or ``junior``
``tier``                                   --           text    required: ``urban``, ``town`` or
                                                                ``rural``; the same for both rows of
                                                                a nine-year school
``students``                               pupils       number  required, > 0, <= 20,000
``teachers_above_required_qualification``  teachers     number  required, >= 0, <= ``teachers``;
                                                                primary: 专科 (associate) or above,
                                                                junior: 本科 (bachelor) or above
``backbone_teachers``                      teachers     number  required, >= 0, <= ``teachers``;
                                                                county level or above (骨干)
``pe_arts_teachers``                       teachers     number  required, >= 0, <= ``teachers``;
                                                                PE, music and fine-art teachers
``building_area_m2``                       m²           number  required, >= 0; teaching and
                                                                auxiliary rooms
``sports_area_m2``                         m²           number  required, >= 0; sports grounds
``equipment_value_yuan``                   yuan         number  required, >= 0; teaching equipment
``multimedia_rooms``                       rooms        number  required, >= 0; networked multimedia
                                                                classrooms
``teachers``                               teachers     number  optional (2012 test), >= 0; all
                                                                full-time teachers of the section
``teachers_mid_title``                     teachers     number  optional (2012 test), >= 0,
                                                                <= ``teachers``; intermediate title
                                                                (中级) or higher
``computers``                              computers    number  optional (2012 test), >= 0
``books``                                  volumes      number  optional (2012 test), >= 0
``x``, ``y``                               km           number  optional, ``|x|, |y| <=
                                                                20,000``, each within 1,000 km
                                                                of the county's median
=========================================  ===========  ======  ====================================

"Number" means a finite decimal (``12``, ``12.5``, ``1e3``). In a DataFrame counts may be
fractional (a simulated county's table); in a **file** the counts (pupils, teachers, rooms,
computers, books) must be whole numbers and a row with pupils needs ``teachers >= 1`` when the
``teachers`` column is given, as for every edusim tool. If an optional column is present,
every row must have a valid value in it. The 2012 test needs all four optional
teacher/computer/book columns and ``teachers > 0`` in every row of the evaluated level.

Size limits (sanity bounds well above any real school, each with its reason in
:data:`sim.county_table.schema.VALUE_LIMITS`): per row at most 20,000 pupils (also the rows of
one school together), 2,000 teachers in each teacher column, 1,000,000 m² of building and
2,000,000 m² of sports area, 1e9 yuan of equipment, 1,000 multimedia rooms, 40,000 computers,
2,000,000 books; per county at most 5,000 schools and 5,000,000 pupils.

Row numbering
    Problems name the row by its **line number in the file** (XLSX: its row in the sheet):
    the header is line 1, so the first data row is line 2 (blank lines are skipped but
    counted). For a DataFrame the same
    convention applies to its positions (first row = line 2), unless its index is named
    ``"line"`` -- the tables returned by :func:`load_school_table` and
    :func:`validate_school_table` are indexed by their file line numbers.

API
---

Every name below is importable from :mod:`sim.evaluation`; the code is split by job into

* :mod:`sim.evaluation.compute` -- the numpy core;
* :mod:`sim.evaluation.table` -- reading a school table through :mod:`sim.county_table`
  (:func:`load_school_table`) and its checks (:func:`validate_school_table`,
  :class:`SchoolTableError`, re-exported from :mod:`sim.county_table.school_table`);
* :mod:`sim.evaluation.report` -- the pandas result and the text report (:func:`evaluate`,
  :class:`EvaluationResult`, :func:`format_report`);
* :mod:`sim.evaluation.cli` -- the ``edusim-evaluate`` command (also ``python -m
  sim.evaluation``).

The indicators, standards and CV limits are defined in :mod:`sim.standards` and re-exported here.

Numpy core (cheap enough to call every simulated year)::

    m = indicator_matrix(columns, QUALITY_INDICATORS)   # (n_schools, 7) values
    cvs = cv_vector(m, students)                         # (7,) difference coefficients
    ratio, met, n_met, complies = school_compliance(m, "primary")
    core = evaluate_arrays(columns, "primary")           # all of the above + the verdict

pandas layer::

    table = load_school_table("examples/county_schools.csv")   # validated, or CountyTableError
    result = evaluate(table, "junior", standard="quality", threshold=None)
    result.passed, result.cv, result.failing_indicators, result.schools, result.to_dict()

CLI::

    edusim-evaluate PATH [--sheet NAME] [--level primary|junior|both]
                         [--standard quality|basic|both] [--threshold X] [--json]

Exit codes: 0 when a report was produced (whatever the verdict, "not assessable" included); 2
for usage errors, a malformed or unreadable table (one message on stderr naming every bad row
and column, nothing on stdout; the same message ``edusim-check-county`` gives), or when none of
the requested levels has a row. A requested level without rows is reported as not evaluated;
a level whose schools are all teaching points as not assessable. Errors begin with the
command as typed (``edusim-evaluate:``, or ``python -m sim.evaluation:``).
"""

from sim.evaluation.cli import main
from sim.evaluation.compute import (
    CoreResult,
    cv_limit,
    cv_vector,
    evaluate_arrays,
    indicator_matrix,
    school_compliance,
    standards_vector,
)
from sim.evaluation.report import EvaluationResult, evaluate, format_report
from sim.evaluation.table import (
    NoSchoolsError,
    NotAssessableError,
    SchoolTableError,
    TableProblem,
    cell_text,
    format_number,
    is_missing,
    load_school_table,
    parse_number,
    validate_school_table,
)
from sim.standards import (  # noqa: F401  (re-exported: the evaluation's public names)
    BASIC_COLUMNS,
    BASIC_INDICATORS,
    COLUMN_UNITS,
    COMPLIANCE_FLOOR,
    COMPLIANCE_MIN_MET,
    CV_LIMITS,
    INDICATORS,
    LEVELS,
    LOCATION_COLUMNS,
    MIN_STUDENTS,
    NUMERIC_COLUMNS,
    QUALITY_INDICATORS,
    QUALITY_STANDARDS,
    REQUIRED_COLUMNS,
    REQUIRED_NUMERIC,
    RTOL,
    SOURCE_2012,
    SOURCE_2017,
    SOURCES,
    STANDARD_TITLES,
    STANDARDS,
    TEACHER_SUBSETS,
    TEXT_COLUMNS,
    TIERS,
    Indicator,
)

__all__ = [
    "BASIC_COLUMNS",
    "BASIC_INDICATORS",
    "COMPLIANCE_FLOOR",
    "COMPLIANCE_MIN_MET",
    "CV_LIMITS",
    "CoreResult",
    "EvaluationResult",
    "INDICATORS",
    "Indicator",
    "LEVELS",
    "MIN_STUDENTS",
    "NoSchoolsError",
    "NotAssessableError",
    "QUALITY_INDICATORS",
    "QUALITY_STANDARDS",
    "REQUIRED_COLUMNS",
    "SOURCES",
    "STANDARDS",
    "SchoolTableError",
    "TIERS",
    "TableProblem",
    "cell_text",
    "cv_limit",
    "cv_vector",
    "evaluate",
    "evaluate_arrays",
    "format_number",
    "format_report",
    "indicator_matrix",
    "is_missing",
    "load_school_table",
    "main",
    "parse_number",
    "school_compliance",
    "standards_vector",
    "validate_school_table",
]
