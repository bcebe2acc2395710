"""What the browser view shows, read from a model (no drawing, no Solara).

Every function reads the model's current state or its recorded history; none changes it.
They are vectorised over schools, so one call costs a few milliseconds even for the
200-school county, and the benchmark times them with the step (``page_data``).
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim import evaluation
from sim.evaluation import QUALITY_INDICATORS
from sim.vocabulary import TIER_NAMES

if TYPE_CHECKING:
    from sim.model import EducationModel

__all__ = ["CV_LABELS", "EQUITY_SERIES", "MAP_MEASURES", "SES_GROUPS", "cost_series",
           "group_links", "page_data", "rotation_flows", "school_detail", "school_frame", "series"]

#: map colour measures: key -> (label, colour map, centre of a diverging scale or None)
MAP_MEASURES: dict[str, tuple[str, str, float | None]] = {
    "mean_achievement": ("mean achievement (year-0 SD)", "RdBu", 0.0),
    "teacher_effectiveness": ("mean teacher effectiveness (pupil SD / year)", "PuOr", None),
    "indicators_met": ("2017 indicators met (of 7, weakest section)", "viridis", None),
    **{f"ratio_{n}": (f"{evaluation.INDICATORS[n].label}: share of the 2017 standard",
                      "RdYlGn", 1.0) for n in QUALITY_INDICATORS},
}

#: short labels of the 7 official indicators, in the official order
CV_LABELS: dict[str, str] = {
    "teachers_above_required_qualification_per_100": "qualified teachers",
    "backbone_teachers_per_100": "backbone teachers",
    "pe_arts_teachers_per_100": "PE and arts teachers",
    "building_area_m2_per_student": "building area",
    "sports_area_m2_per_student": "sports area",
    "equipment_value_yuan_per_student": "equipment value",
    "multimedia_rooms_per_100": "multimedia rooms",
}

#: the school panel's SES groups of the county's pupils: the groups the SES gap compares
#: (``ses_gap``, top − bottom quarter), with the half between them
SES_GROUPS = ("bottom quarter", "middle half", "top quarter")

#: the equity chart's series: timeseries column -> label
EQUITY_SERIES: dict[str, str] = {
    "ses_gap": "SES gap (top − bottom quarter, SD)",
    "urban_rural_gap": "urban − rural gap (SD)",
    "between_school_share": "between-school share of variance",
}


#: per model shown, the school frame of its current per-school table (the view's own cache;
#: an entry goes with its model)
_SCHOOL_FRAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def school_frame(model: EducationModel) -> pd.DataFrame:
    """One row per open school with pupils: identity, location, pupils, mean achievement,
    SES and teacher effectiveness, each 2017 indicator as a share of its standard
    (``ratio_*``; a nine-year school's two sections pupil-weighted), the number of
    indicators met in its weakest section and whether every section complies. A new
    frame on each call, built once per year's school table."""
    columns = model.school_columns()  # the school table's numpy columns (no DataFrame)
    cached = _SCHOOL_FRAMES.get(model)
    if cached is not None and cached[0] is columns:
        return cached[1].copy()
    ids = columns["school_id"]
    n = model.schools.n
    pupils = columns["students"].astype(float)
    ratio = np.zeros((len(ids), len(QUALITY_INDICATORS)))
    n_met = np.zeros(len(ids), dtype=int)
    complies = np.ones(len(ids), dtype=bool)
    levels = columns["level"]
    for level in ("primary", "junior"):
        rows = levels == level
        if not rows.any():
            continue
        matrix = evaluation.indicator_matrix({k: v[rows] for k, v in columns.items()})
        r, _, met, ok = evaluation.school_compliance(matrix, level)
        ratio[rows], n_met[rows], complies[rows] = r, met, ok

    def by_school(values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = pupils if weights is None else weights
        tot = np.bincount(ids, weights=values * w, minlength=n)
        cnt = np.bincount(ids, weights=w, minlength=n)
        return np.divide(tot, cnt, out=np.full(n, np.nan), where=cnt > 0)

    keep = np.unique(ids)
    first = np.full(n, -1)
    first[ids[::-1]] = np.arange(len(ids))[::-1]
    f = first[keep]
    teachers = np.bincount(ids, weights=columns["teachers"], minlength=n)
    eff = columns["teacher_effectiveness"]
    cols = {
        "school_id": keep,
        "name": columns["name"][f],
        "tier": columns["tier"][f],
        "school_type": columns["school_type"][f],
        "x": columns["x"][f],
        "y": columns["y"][f],
        "students": np.bincount(ids, weights=pupils, minlength=n)[keep].astype(int),
        "teachers": teachers[keep].astype(int),
        "mean_achievement": by_school(columns["mean_achievement"])[keep],
        "mean_ses": by_school(columns["mean_ses"])[keep],
        "teacher_effectiveness": by_school(np.nan_to_num(eff),
                                           columns["teachers"].astype(float))[keep],
    }
    for j, name in enumerate(QUALITY_INDICATORS):
        cols[f"ratio_{name}"] = by_school(ratio[:, j])[keep]
    met_min = np.full(n, 99)
    np.minimum.at(met_min, ids, n_met)
    cols["indicators_met"] = met_min[keep]
    ok_all = np.ones(n, dtype=bool)
    np.logical_and.at(ok_all, ids, complies)
    cols["complies"] = ok_all[keep]
    out = pd.DataFrame(cols)  # built at once (adding columns one by one cost 1 ms more)
    _SCHOOL_FRAMES[model] = (columns, out)
    return out.copy()


def group_links(model: EducationModel) -> np.ndarray:
    """(lead school, member school) pairs of the school-groups policy; empty (0, 2) when
    the policy is off or has not formed groups yet."""
    try:
        groups = model.policy("school_groups")
    except KeyError:
        return np.zeros((0, 2), dtype=np.int64)
    structure = getattr(groups, "structure", None)
    links = structure.links() if structure is not None else []
    is_open = model.schools.open
    pairs = np.array(links, dtype=np.int64).reshape(-1, 2)
    return pairs[is_open[pairs[:, 0]] & is_open[pairs[:, 1]]] if len(pairs) else pairs


def rotation_flows(model: EducationModel) -> pd.DataFrame:
    """This year's teacher rotations aggregated by route: ``from``, ``to`` (school
    indices) and ``teachers``; empty when rotation is off or rotated no one this year."""
    try:
        rotation = model.policy("teacher_rotation")
    except KeyError:
        rotation = None
    moves = getattr(rotation, "moves", None)
    if moves is None or not len(moves) or not rotation.active(model):
        moves = np.zeros((0, 2), dtype=np.int64)
    # one code per route (sending school * n + receiving school): a 1-D unique, in the
    # order of np.unique(moves, axis=0), at a tenth of its cost
    n = model.schools.n
    codes, counts = np.unique(moves[:, 0] * n + moves[:, 1], return_counts=True)
    return pd.DataFrame({"from": codes // n, "to": codes % n, "teachers": counts})


def series(model: EducationModel) -> pd.DataFrame:
    """The recorded county metrics, one row per year (``model.timeseries()``)."""
    return model.timeseries()


def cost_series(ts: pd.DataFrame) -> pd.DataFrame:
    """Cumulative policy cost in million yuan per year: one column per policy (those
    switched on) and ``total``."""
    cols = [c for c in ts.columns if c.startswith("cost_policy_")]
    out = {"year": ts["year"].to_numpy()}
    total = np.zeros(len(ts))
    for c in cols:
        cum = np.nan_to_num(ts[c].to_numpy(dtype=float)).cumsum() / 1e6
        out[c.removeprefix("cost_policy_")] = cum
        total += cum
    out["total"] = total
    return pd.DataFrame(out)


def school_detail(model: EducationModel, school_id: int) -> dict[str, Any]:
    """What the school panel shows for one school: identity, the 7 indicators per section
    against the 2017 standards, its teachers' effectiveness and its pupils' mean
    achievement by county SES group (:data:`SES_GROUPS`, beside the county's mean of each
    group; the groups of the SES gap, ``ses_gap``: a pupil at the quartile cut counts in the
    bottom or top quarter, and in both if the two cuts coincide)."""
    school_id = int(school_id)
    if not 0 <= school_id < model.schools.n:
        raise ValueError(f"school_id must be in [0, {model.schools.n - 1}], got {school_id}")
    table = model.school_columns()
    mine_rows = table["school_id"] == school_id
    values = evaluation.indicator_matrix({c: v[mine_rows] for c, v in table.items()})
    levels = table["level"][mine_rows]
    std = np.array([evaluation.standards_vector(level) for level in levels]).reshape(values.shape)
    k = len(QUALITY_INDICATORS)
    indicators = {
        "level": np.repeat(levels, k),
        "indicator": np.tile(QUALITY_INDICATORS, len(levels)),
        "label": np.tile([CV_LABELS[n] for n in QUALITY_INDICATORS], len(levels)),
        "unit": np.tile([evaluation.INDICATORS[n].unit for n in QUALITY_INDICATORS], len(levels)),
        "value": values.ravel(), "standard": std.ravel(), "ratio": (values / std).ravel()}
    t = model.teachers
    at_school = t.school == school_id
    eff = model.teacher_effectiveness()[at_school]
    # the county's SES groups of the equity chart's SES gap (bottom quarter, middle half, top
    # quarter: the model's own per-school counts and sums, no pass over the pupils here)
    cnt4, zs4 = model.school_ses_z()  # per school: [middle, bottom, top, both]
    pick = np.array([[0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 1, 1]])  # groups -> the 4 columns
    cnt, tot = pick @ cnt4[school_id], pick @ zs4[school_id]
    cnt_all, tot_all = pick @ cnt4.sum(axis=0), pick @ zs4.sum(axis=0)
    by_ses = pd.DataFrame({
        "ses_group": list(SES_GROUPS),
        "pupils": cnt,
        "mean_achievement": np.divide(tot, cnt, out=np.full(3, np.nan), where=cnt > 0),
        "county_mean_achievement": np.divide(tot_all, cnt_all, out=np.full(3, np.nan),
                                             where=cnt_all > 0),
    })
    sch = model.schools
    tiers = TIER_NAMES
    types = ("primary", "junior", "nine-year")
    return {
        "school_id": school_id,
        "name": model.school_names[school_id],
        "tier": tiers[int(sch.tier[school_id])],
        "school_type": types[int(sch.level[school_id])],
        "open": bool(sch.open[school_id]),
        "students": int(cnt4[school_id].sum()),
        "teachers": int(at_school.sum()),
        "indicators": pd.DataFrame(indicators),
        "teacher_effectiveness": eff,
        "achievement_by_ses": by_ses,
    }


def page_data(model: EducationModel, school_id: int | None = None) -> dict[str, Any]:
    """Everything the page draws after a step (used by the benchmark to time a view step)."""
    frame = school_frame(model)
    if school_id is None:
        school_id = int(frame["school_id"].iloc[0]) if len(frame) else 0
    ts = series(model)
    return {"schools": frame, "links": group_links(model), "rotations": rotation_flows(model),
            "series": ts, "costs": cost_series(ts),
            "school": school_detail(model, school_id)}
