"""Teacher-transfer experiment in the style of the Talent Transfer Initiative (TTI).

Glazerman et al. (2013) offered the most effective teachers of ten US districts (top fifth
by value added) a bonus of $20,000 over two years to move into the district's
lowest-achieving schools. Published results (DOMAIN.md §5): receiving primary classrooms
gained +0.10 to +0.25 SD a year, junior (middle-school) classrooms about 0; about 90% of the
movers stayed through the two bonus years and about 60% a third year.

The same experiment in the model (one :class:`TalentTransfer` per run, attached to the
model like a policy but not registered, so it is not a user lever):

* **receiving schools**: the ``receiving_share`` lowest-achieving open school sections
  (mean achievement z, at least 50 pupils), separately for primary and junior;
* **movers**: for each receiving section, ``movers_per_section`` core teachers drawn at
  random from the top ``top_share`` of the county's core teachers of that section by
  effectiveness, outside the receiving schools, with at least 3 years' experience;
* **the move** (start of year 1, before classes are formed): each mover swaps posts with a
  randomly chosen core teacher of the receiving section (staffing stays as it was, as when a
  mover fills a vacancy the school would otherwise have filled);
* **bonus**: ``bonus_share`` of base salary a year for ``bonus_years`` years, acting on
  the movers' attrition and transfer propensities through the model's one pay mechanism
  (:func:`sim.processes.careers.pay_response`);
* **classroom gain**: each year, the growth of pupils in classes taught by a mover minus
  the growth of the other pupils of the same receiving school and grade (school-grade fixed
  effects; growth = ``(a' − ρ a) / SD₀(grade)``, the year's learning in year-0 SD).
  A class has 1–2 core teachers (``core_per_class``) and its teacher input is their mean, so
  the class-level gain is reported beside the per-teacher gain (class gain × teachers of the
  class / movers in it), which is what TTI's subject-level estimate measures;
* **retention**: share of movers still teaching in their receiving school after 2 and 3
  years.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from experiments.aggregate import mean_halfwidth
from sim import EducationModel
from sim.config import param
from sim.policies.base import Policy, PolicyConfig
from sim.processes.careers import pay_response

__all__ = ["PUBLISHED", "TalentTransfer", "TalentTransferConfig", "run"]

#: the published figures (Glazerman et al. 2013, via DOMAIN.md §5)
PUBLISHED = {
    "gain_primary_sd": (0.10, 0.25),
    "gain_junior_sd": (0.0, 0.0),
    "stayed_2_years": 0.90,
    "stayed_3_years": 0.60,
}


@dataclass
class TalentTransferConfig(PolicyConfig):
    receiving_share: float = param(0.10, "share of school sections", 0.01, 0.5,
                                   source="Glazerman et al. 2013 (lowest-achieving schools)")
    movers_per_section: int = param(2, "teachers", 1, 20,
                                    source="assumption (TTI filled a few vacancies per school)")
    top_share: float = param(0.20, "share of core teachers", 0.01, 1.0,
                             source="Glazerman et al. 2013 (top 20% by value added)")
    bonus_share: float = param(0.20, "share of base salary per year", 0.0, 2.0,
                               source="Glazerman et al. 2013 ($20,000 over 2 years, about 20% "
                                      "of a US teacher's salary a year)")
    bonus_years: int = param(2, "years", 1, 10, source="Glazerman et al. 2013")


class TalentTransfer(Policy):
    """The TTI experiment as a model hook (see the module docstring)."""

    name = "talent_transfer"
    Config = TalentTransferConfig

    def setup(self, model: EducationModel) -> None:
        model.teachers.add_column("tti_dest", np.int32, -1)
        self.movers = np.zeros(0, dtype=np.int64)  # teacher ids
        self.effectiveness_gap: dict[str, float] = {}
        self.gains: list[dict[str, Any]] = []
        self.retention: dict[int, float] = {}
        self._snap: dict[str, np.ndarray] | None = None

    # ---- the move ---------------------------------------------------------------------
    def before_enrolment(self, model: EducationModel) -> None:
        if model.year != self.config.start_year:
            return
        c = self.config
        rng = self.rng(model)
        t = model.teachers
        table = model.school_table()
        eff = model.teacher_effectiveness()
        core_exp = (t.subject == 0) & (t.experience >= 3) & (t.post_school == t.school)
        moved: list[int] = []
        for section, level in ((0, "primary"), (1, "junior")):
            rows = table[(table["level"] == level) & (table["students"] >= 50)]
            k = max(1, int(round(c.receiving_share * len(rows))))
            weakest = rows.sort_values("mean_achievement", kind="stable")["school_id"]
            receiving = weakest.to_numpy()[:k]
            in_section = core_exp & (t.section == section)
            pool = np.flatnonzero(in_section & ~np.isin(t.school, receiving))
            if not len(pool) or not len(receiving):
                continue
            cut = np.quantile(eff[pool], 1.0 - c.top_share)
            top = pool[eff[pool] >= cut]
            top = top[rng.permutation(len(top))]
            gaps = []
            for j, dest in enumerate(receiving):
                locals_ = np.flatnonzero(in_section & (t.school == dest))
                take = min(c.movers_per_section, len(locals_),
                           len(top) - j * c.movers_per_section)
                if take <= 0:
                    continue
                movers = top[j * c.movers_per_section: j * c.movers_per_section + take]
                out = rng.choice(locals_, size=take, replace=False)
                gaps.append(eff[movers].mean() - eff[out].mean())
                home = t.school[movers].copy()
                for col in ("school", "post_school"):
                    getattr(t, col)[movers] = dest
                    getattr(t, col)[out] = home
                t.years_at_school[movers] = 0
                t.years_at_school[out] = 0
                t.tti_dest[movers] = dest
                moved.extend(t.id[movers].tolist())
            self.effectiveness_gap[level] = float(np.mean(gaps)) if gaps else np.nan
        self.movers = np.array(moved, dtype=np.int64)
        self.n_movers = len(moved)

    # ---- bonus ------------------------------------------------------------------------
    def _bonus(self, model: EducationModel) -> np.ndarray | None:
        c = self.config
        if not len(self.movers) or model.year >= c.start_year + c.bonus_years:
            return None
        t = model.teachers
        on = (t.tti_dest >= 0) & (t.school == t.tti_dest)
        return np.where(on, pay_response(model, c.bonus_share), 1.0)

    def attrition_multiplier(self, model: EducationModel) -> np.ndarray | None:
        return self._bonus(model)

    def transfer_multiplier(self, model: EducationModel) -> np.ndarray | None:
        return self._bonus(model)

    # ---- classroom gains --------------------------------------------------------------
    def learning_effect(self, model: EducationModel) -> None:
        # called during learning, before achievement is updated: remember who is treated
        self._snap = None
        t, s = model.teachers, model.students
        if not len(self.movers):
            return None
        mover = (t.tti_dest >= 0) & (t.school == t.tti_dest) & (t.class_key >= 0)
        if not mover.any():
            return None
        n_cls = model.n_classes
        assigned = t.class_key >= 0
        per_class = np.bincount(t.class_key[assigned], minlength=n_cls)
        movers_in = np.bincount(t.class_key[mover], minlength=n_cls)
        cls = model.class_of_student
        receiving = np.isin(s.school, np.unique(t.tti_dest[t.tti_dest >= 0]))
        self._snap = {
            "rows": np.flatnonzero(receiving),
            "a": s.achievement[receiving].copy(),
            "treated": movers_in[cls[receiving]] > 0,
            "share": np.divide(movers_in[cls[receiving]], per_class[cls[receiving]],
                               out=np.zeros(int(receiving.sum())),
                               where=per_class[cls[receiving]] > 0),
            "key": s.school[receiving].astype(np.int64) * 10 + s.grade[receiving],
            "grade": s.grade[receiving].copy(),
        }
        return None

    def before_careers(self, model: EducationModel) -> None:
        snap = self._snap
        if snap is None:
            return
        s = model.students
        rho = model.cfg.learning.persistence
        growth = ((s.achievement[snap["rows"]] - rho * snap["a"])
                  / model.grade_sd0[snap["grade"]])
        for level, grades in (("primary", (1, 6)), ("junior", (7, 9))):
            sel = (snap["grade"] >= grades[0]) & (snap["grade"] <= grades[1])
            diff, share, weight = _within_cell_difference(
                growth[sel], snap["treated"][sel], snap["share"][sel], snap["key"][sel])
            self.gains.append({"year": model.year, "level": level, "class_gain": diff,
                               "mover_share_of_class": share, "weight": weight})

    def after_finance(self, model: EducationModel) -> None:
        if not len(self.movers):
            return
        t = model.teachers
        present = t.contains(self.movers)
        rows = t.rows_of(self.movers[present])
        stayed = (t.school[rows] == t.tti_dest[rows]).sum()
        self.retention[model.year - self.config.start_year + 1] = float(stayed / len(self.movers))


def _within_cell_difference(growth: np.ndarray, treated: np.ndarray, share: np.ndarray,
                            key: np.ndarray) -> tuple[float, float, float]:
    """Treated minus control mean growth within each school-grade cell with both, weighted
    by the cell's harmonic-mean size; also the mean mover share of treated classes."""
    if not treated.any() or treated.all():
        return np.nan, np.nan, 0.0
    cells, inv = np.unique(key, return_inverse=True)
    n_t = np.bincount(inv, weights=treated, minlength=len(cells))
    n_c = np.bincount(inv, weights=~treated, minlength=len(cells))
    g_t = np.bincount(inv, weights=growth * treated, minlength=len(cells))
    g_c = np.bincount(inv, weights=growth * ~treated, minlength=len(cells))
    both = (n_t > 0) & (n_c > 0)
    if not both.any():
        return np.nan, np.nan, 0.0
    w = (n_t * n_c / (n_t + n_c))[both]
    d = (g_t[both] / n_t[both]) - (g_c[both] / n_c[both])
    return float((w * d).sum() / w.sum()), float(share[treated].mean()), float(w.sum())


def one_run(seed: int, region: str = "default", years: int = 3, **config: Any
            ) -> dict[str, Any]:
    """One run of the experiment; returns the gains per level and year, the movers'
    effectiveness advantage and their retention."""
    model = EducationModel(rng=seed, region=region)
    cfg = TalentTransferConfig(**config)
    exp = TalentTransfer(cfg)
    exp.setup(model)
    model.policies.append(exp)
    model.run(years)
    gains = pd.DataFrame(exp.gains)
    out: dict[str, Any] = {"seed": seed, "movers": exp.n_movers}
    for level in ("primary", "junior"):
        rows = gains[(gains["level"] == level) & (gains["year"] <= cfg.bonus_years)]
        out[f"class_gain_{level}"] = float(rows["class_gain"].mean())
        share = float(rows["mover_share_of_class"].mean())
        out[f"mover_share_{level}"] = share
        out[f"teacher_gain_{level}"] = out[f"class_gain_{level}"] / share if share else np.nan
        out[f"effectiveness_gap_{level}"] = exp.effectiveness_gap.get(level, np.nan)
    for k in (1, 2, 3):
        out[f"stayed_{k}_years"] = exp.retention.get(k, np.nan)
    return out


def run(seeds: int = 20, region: str = "default", years: int = 3,
        config: dict[str, Any] | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The experiment over ``seeds`` seeds: per-seed table and the summary (mean, 95%
    interval across seeds) beside the published figures."""
    runs = pd.DataFrame([one_run(s, region, years, **(config or {})) for s in range(seeds)])
    summary: dict[str, Any] = {"seeds": seeds, "region": region,
                               "config": dataclasses.asdict(TalentTransferConfig(**(config or {})))}
    for col in runs.columns:
        if col == "seed":
            continue
        summary[col] = mean_halfwidth(runs[col])
    summary["published"] = PUBLISHED
    return runs, summary
