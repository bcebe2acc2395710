"""The layout of a county's tables and everything a county may write in them.

The columns of each kind of table (:data:`TABLE_KINDS`), the header aliases (official Chinese
form names) that name them, the accepted ``level``/``tier``/``grade`` values, the units a
header may give and the words that mark total and footer rows. Plain data: the rules that use
it are in :mod:`sim.county_table.read`, :mod:`sim.county_table.columns` and the checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sim.config import MAX_COUNTY_PUPILS, MAX_SCHOOLS
from sim.standards import NUMERIC_COLUMNS, REQUIRED_COLUMNS, SCHOOL_SIZE_CAP

__all__ = [
    "CHINESE_HEADERS",
    "COLUMN_ALIASES",
    "COUNT_COLUMNS",
    "DEGREE_HEADERS",
    "FLAG_COLUMNS",
    "FOOTER_PREFIXES",
    "GRADES_OF",
    "GRADE_COLUMNS",
    "GRADE_COLUMN_ALIASES",
    "GRADE_VALUES",
    "HEADER_ALIASES",
    "KNOWN_COLUMNS",
    "LEVEL_VALUES",
    "MAX_ABS_KM",
    "MAX_TABLE_BYTES",
    "MAX_TABLE_UNPACKED",
    "MAX_COUNTY_PUPILS",
    "MAX_KM_FROM_MEDIAN",
    "MAX_SCHOOLS",
    "MAX_SCHOOL_PUPILS",
    "MAX_SCHOOL_TEACHERS",
    "NINE_YEAR_VALUES",
    "REQUIRED_HEADER",
    "SHARE_COLUMNS",
    "TABLE_KINDS",
    "TEACHER_BREAKDOWNS",
    "TEACHER_COLUMNS",
    "TEACHER_COLUMN_ALIASES",
    "TIER_COLUMN_ALIASES",
    "TIER_TABLE_COLUMNS",
    "TIER_TABLE_SETTINGS",
    "TIER_VALUES",
    "TOTAL_WORDS",
    "UNIT_SCALES",
    "VALUE_LIMITS",
]

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
TIER_TABLE_SETTINGS: dict[str, str] = {"ses_mean": "ses_mean",
                                        "left_behind_share": "left_behind_share",
                                        "migrant_share": "migrant_entry_share"}
"""The tiers table's value columns and the setting of ``demography`` (one value per tier) each
one sets for ``edusim region=file``; a value must lie in that setting's allowed range."""
TIER_TABLE_COLUMNS: tuple[str, ...] = tuple(TIER_TABLE_SETTINGS)
FLAG_COLUMNS: tuple[str, ...] = ("key_school",)
"""Optional school-table columns of 0/1 flags that only the model reads (the official tests
ignore them): ``key_school``, 1 for a key school (重点/名校), which ``edusim region=file``
takes instead of drawing key schools. Both rows of a nine-year school give the same value."""
SHARE_COLUMNS: tuple[str, ...] = ("left_behind_share", "migrant_share")
"""Tier-table columns that are shares in [0, 1] (a header may give them in ``(%)``)."""

# ---------------------------------------------------------------------------------------
# Size limits: what no county can have (each a sanity bound with its reason, not a standard)
# ---------------------------------------------------------------------------------------

# MAX_SCHOOLS and MAX_COUNTY_PUPILS (a county's schools and pupils) bound the synthetic county
# too, so they are defined once, beside region.n_schools and region.n_students (sim.config).

MAX_SCHOOL_PUPILS = 20_000
"""Most pupils of one school (a row, and both rows of a nine-year school together).
Assumption: larger than any Chinese compulsory school; eight times the 2017 measures' size cap
of 2,500 pupils for a nine-year school (:data:`sim.standards.SCHOOL_SIZE_CAP`), which many
urban schools exceed, so the cap itself is not a limit."""

MAX_SCHOOL_TEACHERS = 2_000
"""Most teachers of one school row, for ``teachers`` and each teacher subset. Assumption:
:data:`MAX_SCHOOL_PUPILS` at the junior staffing norm of 13.5 pupils per post (State
Commission Office for Public Sector Reform 2014: 1:19 primary, 1:13.5 junior) need about
1,480 teachers."""

MAX_TABLE_BYTES = 64 * 2**20
"""Largest county table file read (64 MiB). Assumption: about sixty times a CSV of 10,000
rows (:data:`~sim.config.MAX_SCHOOLS` nine-year schools, a primary and a junior row each)
with every column, 1.1 MB; a larger input (``/dev/zero``, a database dump) is refused before
it fills the memory."""

MAX_TABLE_UNPACKED = 256 * 2**20
"""Most bytes an XLSX county table may unpack to (256 MiB; its parts as the workbook's zip
directory gives them). Assumption: about 36 times a workbook of 10,000 rows with every column
(0.9 MB, unpacking to 7 MB); a zip bomb is refused before it is unpacked."""

MAX_ABS_KM = 20_000.0
"""Largest ``|x|`` or ``|y|`` in km: half the Earth's circumference (assumption: any
projected coordinate in km lies within it)."""

MAX_KM_FROM_MEDIAN = 1_000.0
"""Largest distance in km of a school's ``x`` (or ``y``) from the county's median ``x``
(``y``). Assumption: a county is at most a few hundred km across; this is twice the largest
``region.extent_km`` (a 500 km radius)."""

_PER_PUPIL = f"assumption: {MAX_SCHOOL_PUPILS:,} pupils (MAX_SCHOOL_PUPILS) at"
VALUE_LIMITS: dict[str, tuple[float, str]] = {
    "students": (MAX_SCHOOL_PUPILS,
                 "assumption: larger than any Chinese compulsory school; the 2017 size cap is "
                 f"{SCHOOL_SIZE_CAP['school']:,} ({SCHOOL_SIZE_CAP['nine_year']:,} nine-year)"),
    **{c: (MAX_SCHOOL_TEACHERS,
           f"assumption: {MAX_SCHOOL_PUPILS:,} pupils at the junior staffing norm of 1:13.5 "
           "need about 1,480 teachers")
       for c in ("teachers", "teachers_above_required_qualification", "backbone_teachers",
                 "pe_arts_teachers", "teachers_mid_title")},
    "building_area_m2": (1_000_000.0, f"{_PER_PUPIL} 50 m² each, about ten times the 2017 "
                                      "standard of 4.5/5.8 m²"),
    "sports_area_m2": (2_000_000.0, f"{_PER_PUPIL} 100 m² each, about ten times the 2017 "
                                    "standard of 7.5/10.2 m²"),
    "equipment_value_yuan": (1e9, f"{_PER_PUPIL} 50,000 yuan each, twenty times the 2017 "
                                  "standard of 2,000/2,500 yuan"),
    "multimedia_rooms": (1_000.0, f"{_PER_PUPIL} 20 per room, below any class size"),
    "computers": (40_000.0, f"{_PER_PUPIL} 2 computers each"),
    "books": (2_000_000.0, f"{_PER_PUPIL} 100 volumes each, about three times the 2012 "
                           "reference of 30/40"),
}
"""Largest value of each count, area and stock column in one school row: (limit, reason).
Sanity bounds well above any real school, so that a typing slip (``1e308``, an extra
zeros) is caught with its row instead of overflowing the indicators or the memory."""

# ---------------------------------------------------------------------------------------
# Header aliases
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
    "key_school": ("是否重点学校", "是否重点校", "重点学校", "重点校", "是否名校"),
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


KNOWN_COLUMNS: dict[str, tuple[str, ...]] = {
    "schools": tuple(dict.fromkeys(REQUIRED_COLUMNS + NUMERIC_COLUMNS + FLAG_COLUMNS)),
    "teachers": ("school_id", "level", "name") + TEACHER_COLUMNS,
    "grades": ("school_id", "level", "name", "grade", "students") + GRADE_COLUMNS,
    "tiers": ("tier",) + TIER_TABLE_COLUMNS,
}
"""The English column names of each kind of table (:data:`TABLE_KINDS`)."""

REQUIRED_HEADER: dict[str, tuple[str, ...]] = {
    "schools": REQUIRED_COLUMNS, "teachers": ("school_id", "level"), "grades": ("school_id",),
    "tiers": ("tier",),
}
"""The columns each kind of table cannot do without: a sheet whose header names them all
holds that table (how a workbook's sheet is chosen when none is named)."""

HEADER_ALIASES: dict[str, dict[str, str]] = {
    "schools": COLUMN_ALIASES, "teachers": TEACHER_COLUMN_ALIASES,
    "grades": GRADE_COLUMN_ALIASES, "tiers": TIER_COLUMN_ALIASES,
}
"""The header aliases of each kind of table."""

# ---------------------------------------------------------------------------------------
# Values, units and rows to drop
# ---------------------------------------------------------------------------------------

LEVEL_VALUES: dict[str, str] = {
    "primary": "primary", "小学": "primary", "小学部": "primary", "小学段": "primary",
    "junior": "junior", "初中": "junior", "初级中学": "junior", "初中部": "junior",
    "初中段": "junior",
}
"""Accepted ``level`` values (matched ignoring case, width and spaces) -> level."""

NINE_YEAR_VALUES: set[str] = {
    "九年一贯制", "九年一贯制学校", "九年一贯", "九年制", "一贯制", "nineyear", "nineyearschool",
    "nine_year", "9年一贯制", "十二年一贯制", "十二年一贯制学校", "primary+junior", "both",
    "小学+初中", "小学和初中"}
"""``level`` values that name a type of school spanning both levels (a nine-year school is two
rows, so these are an error with an explanation)."""

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

GRADE_VALUES: dict[str, int] = {}
for _g in range(1, 10):
    for _v in (str(_g), f"{_g}年级", f"{_CN_DIGITS[_g - 1]}年级", f"grade{_g}"):
        GRADE_VALUES[_v] = _g
for _g in range(7, 10):
    GRADE_VALUES[f"初{_CN_DIGITS[_g - 7]}"] = _g
    GRADE_VALUES[f"初中{_CN_DIGITS[_g - 7]}年级"] = _g
"""Accepted ``grade`` values of the long grades table -> grade 1-9 (plain numbers also pass)."""

UNIT_SCALES: dict[str, dict[str, float]] = {
    "building_area_m2": {"平方米": 1.0, "m2": 1.0, "平米": 1.0, "米2": 1.0},
    "sports_area_m2": {"平方米": 1.0, "m2": 1.0, "平米": 1.0, "米2": 1.0},
    "equipment_value_yuan": {"元": 1.0, "yuan": 1.0, "万元": 1e4, "千元": 1e3},
    "books": {"册": 1.0, "本": 1.0, "万册": 1e4},
    "left_behind_share": {"%": 0.01, "百分比": 0.01, "0-1": 1.0},
    "migrant_share": {"%": 0.01, "百分比": 0.01, "0-1": 1.0},
}
"""Units a header may give in brackets, per column whose unit matters -> factor to the column's
unit (yuan, books, m², a fraction)."""

DEGREE_HEADERS: dict[str, set[str]] = {"x": {"经度", "longitude", "lon", "lng"},
                                       "y": {"纬度", "latitude", "lat"}}
"""Headers of ``x``/``y`` that mean longitude/latitude in degrees (converted to km)."""

TOTAL_WORDS: set[str] = {"合计", "总计", "小计", "全县合计", "全县总计", "全县", "total", "sum",
                         "subtotal"}
"""``school_id``/``name`` values that mark a total row (dropped)."""

FOOTER_PREFIXES: tuple[str, ...] = ("注", "说明", "备注", "填表人", "填报人", "制表", "审核",
                                    "负责人", "单位负责人", "联系电话", "填报日期", "note")
"""How a footer note (a row with a single cell) starts (dropped)."""
