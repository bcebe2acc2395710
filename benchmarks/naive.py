"""A naive reference model, written the way a typical Mesa user would write it.

Every pupil and every teacher is a ``mesa.Agent`` with its own Python ``step()``, activated
through ``AgentSet.shuffle_do``; schools are agents too; county means go through a
``mesa.DataCollector`` with model reporters. It starts FROM the state of a freshly built
:class:`sim.EducationModel` (same county, same pupils, teachers and schools) and applies the
main model's core rules, with the main model's parameter values, in simplified but
equivalent form. It is the peer the main model's speed is compared against, and an
independent check of the core rules (``tests/test_benchmark_reference.py``).

What it simplifies (so agreement with the main model is statistical, not exact):

* **no school choice and no capacity**: every pupil who needs a school (grade-1 entrants,
  grade-7 pupils of primary-only schools, families who moved, migrant arrivals) goes to the
  catchment school of the family's zone; no overflow, no seat expansion, no merging;
* **no classes**: a pupil's teacher term is the mean effectiveness of the core teachers
  of the pupil's school *section* (primary / junior), with the main model's shortfall rule
  (``T = (1 - v) · mean + v · vacancy_effect``, v = shortage of core teachers against
  ``core_per_class × classes``; the number of classes per section still follows the
  class-size limits). The main model averages over the teachers dealt to each class, so
  individual pupils see a different draw;
* **teachers**: qualification upgrades and title promotions are left out (they enter no
  rule below); finance keeps only the equipment and multimedia stocks (the two that change
  and enter the resource index);
* **rotation** (when ``teacher_rotation`` is in the config's policies): urban → rural at
  ``rate`` of eligible teachers, backbone first up to ``backbone_share`` of those rotated,
  destinations in proportion to the rural schools' pupils (largest remainder, remainders
  in school order rather than weakest first), refusals leave the county, terms end with a
  return, the sending school's pupils lose ``continuity_cost × share sent`` the next year;
  no other policy is modelled;
* random numbers come from the model's own ``random.Random`` / numpy generator, not the
  main model's per-process streams.
"""

from __future__ import annotations

import math
from typing import Any

import mesa

from benchmarks.common import JUNIOR, PRIMARY, RURAL, TOWN, URBAN, initial_state, params

__all__ = ["NaiveModel", "Pupil", "SchoolAgent", "TeacherAgent"]


class Pupil(mesa.Agent):
    def __init__(self, model: NaiveModel, school: int, grade: int, zone: int, ses: float,
                 achievement: float, left_behind: bool, migrant: bool) -> None:
        super().__init__(model)
        self.school = school
        self.grade = grade
        self.zone = zone
        self.ses = ses
        self.achievement = achievement
        self.left_behind = left_behind
        self.migrant = migrant

    def step(self) -> None:
        """Enrolment: graduation, leaving the county, next grade, moving within the county."""
        m = self.model
        p = m.p
        r = m.random
        if self.grade >= 9:
            m.flows["graduates"] += 1
            self.remove()
            return
        if r.random() < p.out_migration:
            self.remove()
            return
        self.grade += 1
        needs_school = self.grade == 7 and m.schools[self.school].level == PRIMARY
        if m.zone_tier[self.zone] == RURAL:
            u = r.random()
            target = None
            if u < p.to_urban:
                target = URBAN
            elif u < p.to_urban + p.to_town:
                target = TOWN
            if target is not None and m.zones_of_tier[target]:
                self.zone = r.choices(m.zones_of_tier[target], m.zone_weights_of_tier[target])[0]
                self.left_behind = False
                needs_school = True
        if needs_school:
            self.school = m.catchment(self.zone, self.grade)

    def learn(self) -> None:
        m = self.model
        p = m.p
        school = m.schools[self.school]
        section = 1 if self.grade >= 7 else 0
        growth = (p.w_teacher * school.teacher_term[section]
                  + p.resource_effect * (school.resource_index - 1.0)
                  + p.peer_effect * school.mean_z
                  + p.ses_effect * self.ses
                  + p.lb_effect * self.left_behind
                  - p.rot_continuity * school.sent_share)
        self.achievement = p.rho * self.achievement + growth + p.noise_sd * m.random.gauss(0.0, 1.0)

    def z(self) -> float:
        m = self.model
        return (self.achievement - m.grade_mean0[self.grade]) / m.grade_sd0[self.grade]


class TeacherAgent(mesa.Agent):
    def __init__(self, model: NaiveModel, school: int, section: int, subject: int,
                 backbone: bool, age: int, experience: int, years_at_school: int,
                 skill: float, post_school: int | None = None) -> None:
        super().__init__(model)
        self.school = school
        self.post_school = school if post_school is None else post_school
        self.section = section
        self.subject = subject
        self.backbone = backbone
        self.age = age
        self.experience = experience
        self.years_at_school = years_at_school
        self.skill = skill
        self.rotation_end = 0

    def effectiveness(self) -> float:
        p = self.model.p
        return self.skill - p.novice_penalty * math.exp(-self.experience / p.experience_tau)

    def step(self) -> None:
        """Careers: ageing, training, retirement and attrition (rural allowance lowers it)."""
        m = self.model
        p = m.p
        tier = m.schools[self.school].tier
        m.staff_start[tier] += 1
        self.age += 1
        self.experience += 1
        self.years_at_school += 1
        self.skill += p.training_gain[tier] * math.exp(-self.experience / p.training_tau)
        if self.age >= p.retirement_age:
            m.flows["retirements"] += 1
            self.remove()
            return
        allowance = m.p.rural_allowance if tier == RURAL else 0.0
        p_leave = min(p.attrition[tier] * math.exp(-p.pay_semi_elasticity * allowance), 1.0)
        if m.random.random() < p_leave:
            m.attrition[tier] += 1
            self.remove()


class SchoolAgent(mesa.Agent):
    def __init__(self, model: NaiveModel, index: int, level: int, tier: int, is_open: bool,
                 building: float, sports: float, equipment: float, multimedia: float) -> None:
        super().__init__(model)
        self.index = index
        self.level = level
        self.tier = tier
        self.open = is_open
        self.building = building
        self.sports = sports
        self.equipment = equipment
        self.multimedia = multimedia
        self.pupils = [0, 0]          # per section
        self.grade_counts = [0] * 10
        self.z_sum = 0.0
        self.classes = [0, 0]
        self.teacher_term = [0.0, 0.0]
        self.resource_index = 1.0
        self.mean_z = 0.0
        self.sent_share = 0.0

    def prepare(self) -> None:
        """After the census: classes per section, peers, resources, teacher term."""
        m = self.model
        p = m.p
        self.classes = [
            sum(-(-self.grade_counts[g] // p.max_class[0]) for g in range(1, 7)),
            sum(-(-self.grade_counts[g] // p.max_class[1]) for g in range(7, 10))]
        n = self.pupils[0] + self.pupils[1]
        self.mean_z = self.z_sum / n if n else 0.0
        self.resource_index = self.compute_resource_index()
        # teachers of a section without pupils move to the other section if it has pupils
        mine = m.teachers_at.get(self.index, [])
        for t in mine:
            if self.pupils[t.section] == 0 and self.pupils[1 - t.section] > 0:
                t.section = 1 - t.section
        for sec in (0, 1):
            core = [t.effectiveness() for t in mine if t.section == sec and t.subject == 0]
            need = self.classes[sec] * p.core_per_class[sec]
            short = min(max(1.0 - len(core) / need, 0.0), 1.0) if need > 0 else 0.0
            mean = sum(core) / len(core) if core else p.vacancy_effect
            self.teacher_term[sec] = (1.0 - short) * mean + short * p.vacancy_effect

    def compute_resource_index(self) -> float:
        p = self.model.p
        have = (self.building, self.sports, self.equipment, self.multimedia)
        total = 0.0
        for k in range(4):
            need = self.pupils[0] * p.standards[0, k] + self.pupils[1] * p.standards[1, k]
            ratio = have[k] / need if need > 0 else 1.0
            total += min(ratio, p.resource_cap)
        return total / 4.0

    def quota(self, section: int) -> int:
        m = self.model
        p = m.p
        n = self.pupils[section]
        if n == 0 or not self.open:
            return 0
        q = max(math.ceil(n / p.per_post[section]),
                math.ceil(self.classes[section] * p.min_posts_per_class))
        return math.ceil(q * m.quota_scale[self.index, section] - 1e-9)

    def step(self) -> None:
        """Finance: operating funds and capital money buy equipment and multimedia rooms."""
        p = self.model.p
        if not self.open:
            return
        n = self.pupils[0] + self.pupils[1]
        scale = p.small_school_floor / max(n, 1) if 0 < n < p.small_school_floor else 1.0
        funds = ((self.pupils[0] * p.funds[0] + self.pupils[1] * p.funds[1]) * scale
                 * p.funds_ratio[self.tier])
        budget = p.stock_share * funds + p.capital[self.tier] * n
        self.equipment = self.equipment * (1 - p.equipment_dep) + p.equipment_share * budget
        self.multimedia = (self.multimedia * (1 - p.multimedia_dep)
                           + p.multimedia_share * budget / p.room_cost)


class NaiveModel(mesa.Model):
    """The county of ``EducationModel(config, rng=seed, region=region, **overrides)`` with
    one Mesa agent per pupil, teacher and school. ``step()`` = one school year."""

    def __init__(self, config: Any = None, *, rng: int = 0, region: str | None = None,
                 **overrides: Any) -> None:
        from sim import EducationModel

        main = EducationModel(config, rng=rng, region=region, **overrides)
        super().__init__(rng=int(rng) + 7919)  # its own draws, not the main model's
        self.p = params(main)
        st = initial_state(main)
        del main
        self.year = 0
        self.zone_tier = st["zone_tier"].tolist()
        self.zone_cohort0 = st["zone_cohort0"].tolist()
        self.catch_primary = st["catch_primary"].tolist()
        self.catch_junior = st["catch_junior"].tolist()
        self.school_dist = st["school_dist"]
        self.quota_scale = st["quota_scale"]
        self.grade_mean0 = st["grade_mean0"].tolist()
        self.grade_sd0 = st["grade_sd0"].tolist()
        self.mean_school_side = st["mean_school_side"]
        weight = st["zone_weight"]
        self.zones_of_tier = {k: [z for z in range(len(weight)) if self.zone_tier[z] == k]
                              for k in (URBAN, TOWN, RURAL)}
        self.zone_weights_of_tier = {k: [float(weight[z]) for z in zs]
                                     for k, zs in self.zones_of_tier.items()}

        sc = st["school"]
        self.schools = [SchoolAgent(self, i, int(sc["level"][i]), int(sc["tier"][i]),
                                    bool(sc["open"][i]), float(sc["building_area"][i]),
                                    float(sc["sports_area"][i]), float(sc["equipment_value"][i]),
                                    float(sc["multimedia_rooms"][i]))
                        for i in range(len(sc["level"]))]
        pu = {k: v.tolist() for k, v in st["pupil"].items()}
        for i in range(len(pu["school"])):
            Pupil(self, pu["school"][i], pu["grade"][i], pu["zone"][i], pu["ses"][i],
                  pu["achievement"][i], pu["left_behind"][i], pu["migrant"][i])
        te = {k: v.tolist() for k, v in st["teacher"].items()}
        for i in range(len(te["school"])):
            TeacherAgent(self, te["school"][i], te["section"][i], te["subject"][i],
                         te["backbone"][i], te["age"][i], te["experience"][i],
                         te["years_at_school"][i], te["skill"][i], te["post_school"][i])
        self.flows: dict[str, int] = {}
        self.staff_start = [0, 0, 0]
        self.attrition = [0, 0, 0]
        self.teachers_at: dict[int, list[TeacherAgent]] = {}
        self.datacollector = mesa.DataCollector(model_reporters={
            "students": lambda m: len(m.agents_by_type[Pupil]),
            "teachers": lambda m: len(m.agents_by_type[TeacherAgent]),
            "mean_achievement": NaiveModel.mean_achievement,
            "urban_rural_gap": NaiveModel.urban_rural_gap,
            "attrition_rate_rural": lambda m: (m.attrition[RURAL] / m.staff_start[RURAL]
                                               if m.staff_start[RURAL] else float("nan")),
        })
        self.datacollector.collect(self)

    # ---- helpers ---------------------------------------------------------------------
    def catchment(self, zone: int, grade: int) -> int:
        return self.catch_junior[zone] if grade >= 7 else self.catch_primary[zone]

    def pupils(self):
        return self.agents_by_type[Pupil]

    def teachers(self):
        return self.agents_by_type[TeacherAgent]

    def mean_achievement(self) -> float:
        zs = [p.z() for p in self.pupils()]
        return sum(zs) / len(zs)

    def urban_rural_gap(self) -> float:
        tot = [0.0, 0.0, 0.0]
        cnt = [0, 0, 0]
        for p in self.pupils():
            k = self.schools[p.school].tier
            tot[k] += p.z()
            cnt[k] += 1
        if not cnt[URBAN] or not cnt[RURAL]:
            return float("nan")
        return tot[URBAN] / cnt[URBAN] - tot[RURAL] / cnt[RURAL]

    def new_pupil(self, zone: int, grade: int, migrant: bool | None = None) -> Pupil:
        p = self.p
        r = self.random
        tier = self.zone_tier[zone]
        if migrant is None:
            migrant = r.random() < p.migrant_entry[tier]
        ses = p.ses_mean[tier] + p.ses_sd * r.gauss(0.0, 1.0) + migrant * p.migrant_ses_shift
        left_behind = (r.random() < p.left_behind[tier]) and not migrant
        achievement = p.entry_ses * ses + p.entry_lb * left_behind + r.gauss(0.0, 1.0)
        if grade > 1:  # arrivals are as far along as grade - 1 years in an average school
            k = grade - 1
            m = p.ses_effect * ses + p.lb_effect * left_behind + self.mean_school_side
            achievement = (p.rho ** k * achievement + m * (1 - p.rho ** k) / (1 - p.rho)
                           + p.noise_sd * math.sqrt((1 - p.rho ** (2 * k)) / (1 - p.rho ** 2))
                           * r.gauss(0.0, 1.0))
        return Pupil(self, self.catchment(zone, grade), grade, zone, ses, achievement,
                     left_behind, migrant)

    def census(self) -> None:
        """One pass over pupils and teachers: per-school counts, peers; teachers per school."""
        for s in self.schools:
            s.pupils = [0, 0]
            s.grade_counts = [0] * 10
            s.z_sum = 0.0
        for pupil in self.pupils():
            s = self.schools[pupil.school]
            s.pupils[1 if pupil.grade >= 7 else 0] += 1
            s.grade_counts[pupil.grade] += 1
            s.z_sum += pupil.z()
        self.teachers_at = {}
        for t in self.teachers():
            self.teachers_at.setdefault(t.school, []).append(t)

    def vacancies(self, tiers: tuple[int, ...] | None = None) -> list[tuple[int, int]]:
        """One (school, section) per vacant post, in random order (posts held by post_school)."""
        held: dict[tuple[int, int], int] = {}
        for t in self.teachers():
            key = (t.post_school, t.section)
            held[key] = held.get(key, 0) + 1
        slots = []
        for s in self.schools:
            if tiers is not None and s.tier not in tiers:
                continue
            for sec in (0, 1):
                slots += [(s.index, sec)] * max(s.quota(sec) - held.get((s.index, sec), 0), 0)
        self.random.shuffle(slots)
        return slots

    # ---- the year ----------------------------------------------------------------------
    def step(self) -> None:
        self.year += 1
        self.flows = {"graduates": 0, "retirements": 0}
        p = self.p
        # 1. enrolment
        self.pupils().shuffle_do("step")
        for z, n0 in enumerate(self.zone_cohort0):
            expected = n0 * (1.0 + p.birth_trend[self.zone_tier[z]]) ** self.year
            for _ in range(int(self.rng.poisson(expected))):
                self.new_pupil(z, 1)
        per_zone = [0] * len(self.zone_tier)
        for pupil in self.pupils():
            if pupil.grade >= 2 and self.zone_tier[pupil.zone] != RURAL:
                per_zone[pupil.zone] += 1
        for z, n in enumerate(per_zone):
            for _ in range(int(self.rng.poisson(n * p.migrant_arrivals))):
                self.new_pupil(z, self.random.randint(2, 9), migrant=True)
        # 2. learning
        self.census()
        for s in self.schools:
            s.prepare()
        self.pupils().shuffle_do("learn")
        # 3. careers
        self.staff_start = [0, 0, 0]
        self.attrition = [0, 0, 0]
        self.teachers().shuffle_do("step")
        self.transfers()
        self.hire()
        self.designate_backbone()
        if p.rotation:
            self.rotate()
        # 4. finance
        for s in self.schools:
            s.step()
        # 5. record
        self.datacollector.collect(self)

    def transfers(self) -> None:
        p = self.p
        teachers = list(self.teachers())
        eff = {t: t.effectiveness() for t in teachers}
        mean_eff = sum(eff.values()) / len(eff) if eff else 0.0
        asking = set()
        for t in teachers:
            tier = self.schools[t.school].tier
            base = p.transfer_request[tier]
            if base <= 0 or t.rotation_end > 0 or t.years_at_school < p.min_years_transfer:
                continue
            logit = math.log(base / (1 - base)) + p.transfer_slope * (eff[t] - mean_eff)
            allowance = p.rural_allowance if tier == RURAL else 0.0
            prob = math.exp(-p.pay_semi_elasticity * allowance) / (1 + math.exp(-logit))
            if self.random.random() < prob:
                asking.add(t)
        for dest, sources in ((URBAN, (TOWN, RURAL)), (TOWN, (RURAL,))):
            applicants = [t for t in asking if self.schools[t.school].tier in sources]
            if not applicants:
                continue
            slots = self.vacancies(tiers=(dest,))
            applicants.sort(key=lambda t: -(eff[t] + 0.05 * self.random.gauss(0.0, 1.0)))
            for t, (school, section) in zip(applicants, slots, strict=False):
                t.school = t.post_school = school
                t.section = section
                t.years_at_school = 0
                asking.discard(t)

    def hire(self) -> None:
        p = self.p
        pe = [0] * len(self.schools)
        for t in self.teachers():
            if t.subject > 0:
                pe[t.school] += 1
        pe_short = [s.pupils[0] + s.pupils[1] > 0
                    and 100.0 * pe[s.index] / (s.pupils[0] + s.pupils[1]) < 0.9
                    for s in self.schools]
        r = self.random
        for school, section in self.vacancies():
            tier = self.schools[school].tier
            if r.random() >= p.hire_fill[tier]:
                continue
            specialist = pe_short[school] and r.random() < p.specialist_fill[tier]
            subject = 1 + (r.random() < 0.5) if specialist else 0
            u = r.random()
            qualification = min(sum(u > c for c in p.hire_qual_cum[tier]), 3)
            skill = (p.hire_skill_mean[tier] + p.qualification_skill * (qualification - 2)
                     + p.skill_sd * r.gauss(0.0, 1.0))
            TeacherAgent(self, school, section, subject, False, r.randint(22, 26), 0, 0, skill)

    def designate_backbone(self) -> None:
        p = self.p
        teachers = list(self.teachers())
        need = round(p.backbone_target * len(teachers)) - sum(t.backbone for t in teachers)
        if need <= 0:
            return
        scored = [(t.effectiveness() + p.backbone_visibility[self.schools[t.school].tier]
                   + 0.05 * self.random.gauss(0.0, 1.0), t)
                  for t in teachers if not t.backbone and t.experience >= p.backbone_min_experience]
        scored.sort(key=lambda x: -x[0])
        for _, t in scored[:need]:
            t.backbone = True

    def rotate(self) -> None:
        """Teacher rotation at the official quotas: 10% of eligible urban teachers to rural
        schools for a term, backbone teachers first up to 20% of those rotated."""
        p = self.p
        r = self.random
        for s in self.schools:
            s.sent_share = 0.0
        teachers = list(self.teachers())
        for t in teachers:  # terms that end
            if 0 < t.rotation_end <= self.year:
                t.school = t.post_school
                t.years_at_school = 0
                t.rotation_end = 0
                s = self.schools[t.school]
                if s.pupils[t.section] == 0 and s.pupils[1 - t.section] > 0:
                    t.section = 1 - t.section
        send = [s.open and s.tier == URBAN for s in self.schools]
        receivers = [s for s in self.schools if s.open and s.tier == RURAL]
        if not any(send) or not receivers:
            return
        eligible = [t for t in teachers if t.post_school == t.school and send[t.school]
                    and t.years_at_school >= p.rot_eligibility]
        n_rot = round(p.rot_rate * len(eligible))
        if n_rot == 0:
            return
        need_bb = min(math.ceil(p.rot_backbone * n_rot), n_rot)
        backbone = [t for t in eligible if t.backbone]
        r.shuffle(backbone)
        chosen = backbone[:need_bb]
        picked = set(chosen)
        rest = [t for t in eligible if t not in picked]
        r.shuffle(rest)
        chosen += rest[: n_rot - len(chosen)]
        pupils = [s.pupils[0] + s.pupils[1] for s in receivers]
        total = sum(pupils)
        raw = [(n / total if total else 1 / len(receivers)) * len(chosen) for n in pupils]
        count = [math.floor(x) for x in raw]
        left = len(chosen) - sum(count)
        for i in sorted(range(len(raw)), key=lambda i: -(raw[i] - count[i]))[:left]:
            count[i] += 1
        dests = [s for s, c in zip(receivers, count, strict=True) for _ in range(c)]
        staff = [0] * len(self.schools)
        for t in teachers:
            staff[t.school] += 1
        sent = [0] * len(self.schools)
        pay = math.exp(-p.pay_semi_elasticity * p.rot_allowance / p.base_salary)
        for t, dest in zip(chosen, dests, strict=True):
            dist = self.school_dist[t.school, dest.index]
            if r.random() < min(p.rot_refusal * (1 + dist / p.rot_refusal_km) * pay, 1.0):
                t.remove()  # leaves the county instead
                continue
            sent[t.school] += 1
            t.school = dest.index
            if dest.level == PRIMARY:
                t.section = 0
            elif dest.level == JUNIOR:
                t.section = 1
            if dest.pupils[t.section] == 0 and dest.pupils[1 - t.section] > 0:
                t.section = 1 - t.section
            t.years_at_school = 0
            t.rotation_end = self.year + p.rot_term
        for s in self.schools:
            s.sent_share = sent[s.index] / staff[s.index] if staff[s.index] else 0.0

    def run(self, years: int) -> NaiveModel:
        for _ in range(int(years)):
            self.step()
        return self

    def timeseries(self):
        return self.datacollector.get_model_vars_dataframe()
