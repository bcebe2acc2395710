"""Weak-school programme (薄弱学校, dynamic designation): every few years the bottom share of
schools by a rolling evaluation is designated weak and gets a targeted improvement plan.

doc 001 §2: "以近三年初中学校发展性评估结果为依据,将区域内1/3左右的初中确定为相对薄弱、需重点建设的
初中学校 … 每三年为一轮,实行动态管理" — the weakest third of schools by the last three years'
evaluation are designated, each gets its own plan (一校一案), and the list is redrawn every
three years.

**Evaluation** (``measure``), recorded for every eligible school at the end of each year the
policy is active (after the year's finance) and at set-up (year 0):

* ``"achievement"`` — mean achievement z of the school's pupils
  (:meth:`EducationModel.school_mean_z`);
* ``"composite"`` — :meth:`EducationModel.school_strength` ``("composite")``: the sum of
  pupils' mean achievement, teachers' mean effectiveness and the facility index, each
  standardised across open schools (a 发展性评估 covers results, staff and conditions);
* ``"indicators"`` — the share of the 7 indicators of the 2017 standard (MOE 2017,
  教督〔2017〕6号) the school meets; a nine-year school's two sections are averaged by pupils.

The rolling evaluation of a school is the mean of its records from the last ``window_years``
years (fewer if the school or the policy is younger; if no record is that recent, e.g. a
late ``start_year``, the current state is evaluated). Ties (frequent with ``indicators``) are
broken by the rolling mean achievement.

**Designation** — in ``start_year`` and every ``cycle_years`` after it, right after
enrolment: among the eligible schools (open, with pupils, of ``level``), the
``round(share × n)`` (at least 1) with the lowest rolling evaluation are designated:
``model.schools.designated_weak`` is set for them and **cleared** for every other school
(schools leave the list when they are no longer in the bottom share; a school that closes
loses its flag at once). Other policies read the flag: ``teacher_rotation`` always counts
designated schools as receivers; ``targeted_funding`` with ``formula="weakness"`` funds them.

**Improvement plan** — every year, after the core finance, each designated school gets

* ``yuan_per_pupil`` × its pupils for equipment and multimedia rooms (``equipment_share``
  to equipment value, the rest to rooms at ``finance.multimedia_room_cost``), bought within
  the year (no build lag; the core depreciates these stocks);
* a leadership / teaching-practice improvement (expert diagnosis, teaching researchers
  working in weak schools, doc 001 §2): every teacher at the school gains ``practice_gain``
  in effectiveness (student SD per year; assumption), costing ``practice_cost_yuan`` per
  teacher.

Both scale with ``fidelity``; costs are booked in the year. With ``share`` = 0 or
``fidelity`` = 0 nothing is designated (the run equals the baseline); ``share`` > 0 with
zero funds and gain only sets the flag (a designation for other policies to use). The flag
is left as it is after ``end_year``.

Reported each year: ``designated`` (schools), ``redesignated`` (1 in a designation year),
``entered`` / ``exited`` (schools joining / leaving the list at this designation),
``turnover`` (entered / designated at a re-designation), ``strength_designated`` /
``strength_others`` (mean of this year's evaluation record over designated / other
eligible schools), ``achievement_gap`` (pupil-weighted mean z of other eligible schools
minus designated ones), ``funds_yuan`` and ``teachers_in_plan``.

:func:`designation_now` computes the list the programme would draw from the current state
without applying it (for comparisons with a baseline run on the same schools).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.evaluation import QUALITY_INDICATORS, indicator_matrix, school_compliance
from sim.policies.base import Policy, PolicyConfig, register
from sim.priors import PLUS_MINUS_50, triangular
from sim.schema import param
from sim.vocabulary import JUNIOR, NINE_YEAR, PRIMARY, one_of

if TYPE_CHECKING:
    from sim.state import CountyState

__all__ = ["WeakSchoolProgram", "bottom_share", "designation_now", "eligible_schools",
           "evaluation_record"]


def eligible_schools(model: CountyState, level: str = "all") -> np.ndarray:
    """Schools that can be designated: open, with pupils, teaching ``level``
    (``"all"``, ``"primary"``: primary and nine-year, ``"junior"``: junior and nine-year)."""
    sch = model.schools
    n_sec = model.section_enrolment()
    ok = sch.open & (n_sec.sum(axis=1) > 0)
    if level == "primary":
        ok &= one_of(sch.level, (PRIMARY, NINE_YEAR)) & (n_sec[:, 0] > 0)
    elif level == "junior":
        ok &= one_of(sch.level, (JUNIOR, NINE_YEAR)) & (n_sec[:, 1] > 0)
    return ok


def _indicator_share(model: CountyState) -> np.ndarray:
    """Share of the 7 indicators of the 2017 standard each school meets (pupil-weighted over
    a nine-year school's sections); 0 for schools without pupils."""
    n = model.schools.n
    # not kept for the year: the state may still change before the year's record
    table = model.school_columns(store=False)
    met_sum, pupils = np.zeros(n), np.zeros(n)
    for level in ("primary", "junior"):
        rows = table["level"] == level
        if not rows.any():
            continue
        cols = {c: v[rows] for c, v in table.items()}
        _, _, n_met, _ = school_compliance(indicator_matrix(cols, QUALITY_INDICATORS), level)
        ids = cols["school_id"]
        w = cols["students"].astype(float)
        met_sum += np.bincount(ids, weights=w * n_met / len(QUALITY_INDICATORS), minlength=n)
        pupils += np.bincount(ids, weights=w, minlength=n)
    return np.divide(met_sum, pupils, out=np.zeros(n), where=pupils > 0)


def evaluation_record(model: CountyState, measure: str = "composite",
                      level: str = "all") -> tuple[np.ndarray, np.ndarray]:
    """This year's evaluation of every school by ``measure`` and its tie-breaker (mean
    achievement z); NaN for schools that are not eligible."""
    ok = eligible_schools(model, level)
    ach = model.school_mean_z()
    if measure == "achievement":
        score = ach
    elif measure == "composite":
        score = model.school_strength("composite")
    elif measure == "indicators":
        score = _indicator_share(model)
    else:
        raise ValueError(f"measure must be achievement, composite or indicators, not {measure!r}")
    return np.where(ok, score, np.nan), np.where(ok, ach, np.nan)


def bottom_share(score: np.ndarray, tiebreak: np.ndarray, eligible: np.ndarray,
                 share: float) -> np.ndarray:
    """The ``round(share × n)`` (at least 1 when share > 0) eligible schools with the lowest
    score, ties broken by the lower ``tiebreak``."""
    out = np.zeros(len(score), dtype=bool)
    idx = np.flatnonzero(eligible & np.isfinite(score))
    if share <= 0 or len(idx) == 0:
        return out
    k = min(max(1, int(round(share * len(idx)))), len(idx))
    tb = np.where(np.isfinite(tiebreak[idx]), tiebreak[idx], 0.0)
    order = idx[np.lexsort((idx, tb, score[idx]))]
    out[order[:k]] = True
    return out


def designation_now(model: CountyState, measure: str = "composite", share: float = 1 / 3,
                    level: str = "all") -> np.ndarray:
    """The schools the programme would designate from the current state alone (a one-year
    window), without applying anything. In year 0 this is the programme's designation of
    year 1 when it starts in year 1 (its only record is then year 0)."""
    score, tb = evaluation_record(model, measure, level)
    return bottom_share(score, tb, eligible_schools(model, level), share)


@dataclass
class WeakSchoolProgramConfig(PolicyConfig):
    share: float = param(
        1 / 3, "share of eligible schools", 0.0, 1.0,
        source="doc 001 §2 (将区域内1/3左右的初中确定为相对薄弱)",
        doc="bottom share of schools designated weak (0: programme off)")
    cycle_years: int = param(3, "years", 1, 20, source="doc 001 §2 (每三年为一轮,实行动态管理)",
                             doc="years between designations")
    window_years: int = param(3, "years", 1, 10, source="doc 001 §2 (近三年…评估结果)",
                              doc="years of evaluation records averaged")
    measure: str = param(
        "composite", choices=("composite", "achievement", "indicators"),
        source="doc 001 §2 (发展性评估: results, staffing and conditions); alternatives: "
               "results only, or the 7 indicators of MOE 2017 (教督〔2017〕6号)",
        doc="evaluation of a school: composite strength, mean achievement z, or the share of "
            "the 7 official indicators met")
    level: str = param(
        "all", choices=("all", "primary", "junior"),
        source="doc 001 designates junior schools (初中); assumption: all levels by default",
        doc="which schools are evaluated and can be designated")
    yuan_per_pupil: float = param(
        200.0, "yuan per pupil per year", 0.0, 1e5,
        source="assumption (农村义务教育薄弱学校改造计划, doc 002; no amounts in the documents; "
               "as targeted_funding's default)",
        doc="extra money per pupil of a designated school for equipment and multimedia rooms",
        no_prior="the lever's intensity, chosen by the user")
    equipment_share: float = param(
        0.6, "share of the funds", 0.0, 1.0,
        source="assumption (core finance buys equipment and rooms about 2:1)",
        doc="share of the funds buying teaching equipment; the rest multimedia rooms",
        prior=PLUS_MINUS_50)
    practice_gain: float = param(
        0.005, "student SD per year", 0.0, 0.2,
        source="assumption (a small fraction of the teacher-VA SD of 0.13, Hanushek & Rivkin "
               "2010; above one year of official training, 0.003)",
        doc="yearly effectiveness gain of every teacher at a designated school from the plan's "
            "leadership and teaching-practice improvement (0: none)",
        prior=triangular(0.0, 0.005, 0.013, "from none (null training result, Loyalka et al. "
                                            "2019) to a tenth of the VA SD 0.13"))
    practice_cost_yuan: float = param(
        2_000.0, "yuan per teacher per year", 0.0, 1e6,
        source="assumption (expert diagnosis, teaching researchers' time, training)",
        doc="cost of the practice improvement per teacher at a designated school",
        no_prior="a cost: moves the policy's cost, not its effect")


@register("weak_school_program", position=30)
class WeakSchoolProgram(Policy):
    Config = WeakSchoolProgramConfig
    intensity_fields = ("share", "yuan_per_pupil", "practice_gain")
    writes_pupils = False  # its enrolment hooks leave the pupils' table as it is

    def setup(self, model: CountyState) -> None:
        c = self.config
        #: evaluation records: (year, score, tie-breaker), newest last
        self.history: list[tuple[int, np.ndarray, np.ndarray]] = []
        self.history.append((model.year, *evaluation_record(model, c.measure, c.level)))
        #: the rolling evaluation used at the last designation
        self.last_scores = np.full(model.schools.n, np.nan)
        self._stats: dict[str, float] = {}

    def _on(self) -> bool:
        return self.config.share > 0 and self.config.fidelity > 0

    def is_designation_year(self, model: CountyState) -> bool:
        c = self.config
        return (model.year - c.start_year) % c.cycle_years == 0

    def rolling_scores(self, model: CountyState) -> tuple[np.ndarray, np.ndarray]:
        """Mean of each school's records of the last ``window_years`` years (NaN where none)."""
        c = self.config
        recent = [(s, tb) for y, s, tb in self.history if y >= model.year - c.window_years]
        if not recent:
            recent = [evaluation_record(model, c.measure, c.level)]
        scores = np.array([s for s, _ in recent])
        ties = np.array([tb for _, tb in recent])

        def mean(a: np.ndarray) -> np.ndarray:
            ok = np.isfinite(a)
            cnt = ok.sum(axis=0)
            tot = np.where(ok, a, 0.0).sum(axis=0)
            return np.divide(tot, cnt, out=np.full(a.shape[1], np.nan), where=cnt > 0)

        return mean(scores), mean(ties)

    # ---- yearly action -----------------------------------------------------------------
    def after_enrolment(self, model: CountyState) -> None:
        c = self.config
        sch = model.schools
        self._stats = {"redesignated": 0.0, "entered": 0.0, "exited": 0.0, "turnover": np.nan}
        if not self._on():
            return
        if self.is_designation_year(model):
            score, tb = self.rolling_scores(model)
            eligible = eligible_schools(model, c.level)
            new = bottom_share(score, tb, eligible, c.share)
            old = sch.designated_weak.copy()
            sch.designated_weak[:] = new
            self.last_scores = score
            entered = float((new & ~old).sum())
            self._stats.update({
                "redesignated": 1.0, "entered": entered, "exited": float((old & ~new).sum()),
                "turnover": entered / new.sum() if old.any() and new.any() else np.nan})
        else:
            sch.designated_weak[:] &= sch.open

    def after_finance(self, model: CountyState) -> None:
        c = self.config
        sch = model.schools
        funds = teachers = 0.0
        if self._on():
            weak = sch.designated_weak & sch.open
            if c.yuan_per_pupil > 0 and weak.any():
                pupils = model.section_enrolment().sum(axis=1)
                money = np.where(weak, c.yuan_per_pupil * c.fidelity * pupils, 0.0)
                sch.equipment_value[:] += c.equipment_share * money
                sch.multimedia_rooms[:] += ((1.0 - c.equipment_share) * money
                                            / model.cfg.finance.multimedia_room_cost)
                funds = float(money.sum())
            t = model.teachers
            in_plan = weak[t.school]
            teachers = float(in_plan.sum())
            if c.practice_gain > 0 and in_plan.any():
                t.skill[in_plan] += c.practice_gain * c.fidelity
                funds_practice = c.practice_cost_yuan * c.fidelity * teachers
                self.spend(funds_practice)
            self.spend(funds)
        self._stats["funds_yuan"] = funds
        self._stats["teachers_in_plan"] = teachers
        self.history.append((model.year, *evaluation_record(model, c.measure, c.level)))
        self.history = self.history[-(c.window_years + 1):]

    def report(self, model: CountyState) -> dict[str, float]:
        sch = model.schools
        _, score, _ = self.history[-1]
        weak = sch.designated_weak & sch.open & np.isfinite(score)
        others = ~sch.designated_weak & np.isfinite(score)
        out = dict(self._stats)
        out["designated"] = float((sch.designated_weak & sch.open).sum())
        out["strength_designated"] = float(score[weak].mean()) if weak.any() else np.nan
        out["strength_others"] = float(score[others].mean()) if others.any() else np.nan
        z = model.school_mean_z()
        pupils = model.section_enrolment().sum(axis=1)
        if weak.any() and others.any():
            out["achievement_gap"] = float(np.average(z[others], weights=pupils[others])
                                           - np.average(z[weak], weights=pupils[weak]))
        else:
            out["achievement_gap"] = np.nan
        return out
