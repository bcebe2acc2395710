"""The floor: the naive reference model's yearly rules (``benchmarks/naive.py``) as bare
numpy over preallocated arrays — no model object, no agents, no tables of ids, no
per-school evaluation tables, four county metrics a year. The lower bound of what the
yearly computation costs; it is timed from the copied year-0 state to the last year's
metrics (building that state is the main model's construction, not counted here).

Same simplifications as the naive model (no choice or capacity, school-section teacher
means instead of classes, only the rotation policy)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from benchmarks.common import JUNIOR, PRIMARY, RURAL, TOWN, URBAN

__all__ = ["Floor"]

P_COLS = (("school", np.int64), ("grade", np.int64), ("zone", np.int64),
          ("ses", np.float64), ("ach", np.float64), ("lb", np.bool_))
T_COLS = (("school", np.int64), ("post", np.int64), ("section", np.int64),
          ("subject", np.int64), ("backbone", np.bool_), ("age", np.int64),
          ("exp", np.int64), ("yas", np.int64), ("skill", np.float64), ("rot_end", np.int64))


class Floor:
    """Preallocated columns and the yearly arithmetic; ``run(years)`` returns the metrics."""

    def __init__(self, state: dict[str, Any], p: Any, seed: int) -> None:
        self.p = p
        self.rng = np.random.default_rng(seed)
        pu, te, sc = state["pupil"], state["teacher"], state["school"]
        n, m = len(pu["school"]), len(te["school"])
        self.cap_p, self.cap_t = int(n * 1.6) + 1024, int(m * 1.6) + 256
        self.P = {k: np.zeros(self.cap_p, dt) for k, dt in P_COLS}
        self.T = {k: np.zeros(self.cap_t, dt) for k, dt in T_COLS}
        for k, src in (("school", "school"), ("grade", "grade"), ("zone", "zone"),
                       ("ses", "ses"), ("ach", "achievement"), ("lb", "left_behind")):
            self.P[k][:n] = pu[src]
        for k, src in (("school", "school"), ("post", "post_school"), ("section", "section"),
                       ("subject", "subject"), ("backbone", "backbone"), ("age", "age"),
                       ("exp", "experience"), ("yas", "years_at_school"), ("skill", "skill")):
            self.T[k][:m] = te[src]
        self.n, self.m = n, m
        self.level, self.tier = sc["level"].astype(np.int64), sc["tier"].astype(np.int64)
        self.open = sc["open"].copy()
        self.S = len(self.level)
        self.have = np.column_stack([sc["building_area"], sc["sports_area"],
                                     sc["equipment_value"], sc["multimedia_rooms"]]).astype(float)
        self.zone_tier = state["zone_tier"].astype(np.int64)
        self.zone_weight = state["zone_weight"]
        self.cohort0 = state["zone_cohort0"]
        self.catch = np.column_stack([state["catch_primary"], state["catch_junior"]]).astype(np.int64)
        self.dist = state["school_dist"]
        self.quota_scale = state["quota_scale"]
        self.gm, self.gsd = state["grade_mean0"], state["grade_sd0"]
        self.mean_school_side = state["mean_school_side"]
        self.sent_share = np.zeros(self.S)
        self.year = 0
        self.records: list[tuple[float, ...]] = []
        self._targets = {k: np.flatnonzero(self.zone_tier == k) for k in (URBAN, TOWN)}
        self._tw = {k: self.zone_weight[v] / self.zone_weight[v].sum() if len(v) else v
                    for k, v in self._targets.items()}
        self.record(np.nan)

    # ---- helpers -------------------------------------------------------------------------
    def _compact(self, cols: dict, n: int, keep: np.ndarray) -> int:
        idx = np.flatnonzero(keep)
        k = len(idx)
        for arr in cols.values():
            arr[:k] = arr[:n][idx]
        return k

    def _append(self, cols: dict, n: int, cap: int, values: dict) -> int:
        k = len(next(iter(values.values())))
        if n + k > cap:
            raise MemoryError("floor: preallocated capacity exceeded")
        for key, arr in cols.items():
            arr[n:n + k] = values.get(key, 0)
        return n + k

    def _z(self) -> np.ndarray:
        g = self.P["grade"][:self.n]
        return (self.P["ach"][:self.n] - self.gm[g]) / self.gsd[g]

    def _eff(self) -> np.ndarray:
        p, T, m = self.p, self.T, self.m
        return T["skill"][:m] - p.novice_penalty * np.exp(-T["exp"][:m] / p.experience_tau)

    def _new_pupils(self, zones: np.ndarray, grades: np.ndarray, migrant: np.ndarray) -> dict:
        p, rng = self.p, self.rng
        k = len(zones)
        tier = self.zone_tier[zones]
        ses = p.ses_mean[tier] + p.ses_sd * rng.standard_normal(k) + migrant * p.migrant_ses_shift
        lb = (rng.random(k) < p.left_behind[tier]) & ~migrant
        ach = p.entry_ses * ses + p.entry_lb * lb + rng.standard_normal(k)
        yrs = grades - 1.0
        if (yrs > 0).any():
            carry = p.rho ** yrs
            mean = p.ses_effect * ses + p.lb_effect * lb + self.mean_school_side
            ach = (carry * ach + mean * (1 - carry) / (1 - p.rho)
                   + p.noise_sd * np.sqrt((1 - p.rho ** (2 * yrs)) / (1 - p.rho ** 2))
                   * rng.standard_normal(k))
        return {"school": self.catch[zones, (grades >= 7).astype(np.int64)], "grade": grades,
                "zone": zones, "ses": ses, "ach": ach, "lb": lb}

    def _vacancies(self, tiers: tuple[int, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
        T, m = self.T, self.m
        held = np.bincount(T["post"][:m] * 2 + T["section"][:m], minlength=2 * self.S)
        vac = np.maximum(self.quota - held.reshape(-1, 2), 0)
        if tiers is not None:
            vac[~np.isin(self.tier, tiers)] = 0
        keys = np.repeat(np.arange(2 * self.S), vac.reshape(-1))
        keys = keys[self.rng.permutation(len(keys))]
        return keys // 2, keys % 2

    # ---- the year ----------------------------------------------------------------------
    def step(self) -> None:
        self.year += 1
        p, rng, P, T, S = self.p, self.rng, self.P, self.T, self.S
        # 1. enrolment: exits, progression, moves, entrants, arrivals
        n = self.n
        keep = (P["grade"][:n] < 9) & (rng.random(n) >= p.out_migration)
        n = self.n = self._compact(P, n, keep)
        grade, school, zone = P["grade"][:n], P["school"][:n], P["zone"][:n]
        grade += 1
        needs = (grade == 7) & (self.level[school] == PRIMARY)
        rural = self.zone_tier[zone] == RURAL
        u = rng.random(n)
        to_u = rural & (u < p.to_urban)
        to_t = rural & ~to_u & (u < p.to_urban + p.to_town)
        for mask, k in ((to_u, URBAN), (to_t, TOWN)):
            c = int(mask.sum())
            if c and len(self._targets[k]):
                zone[mask] = rng.choice(self._targets[k], size=c, p=self._tw[k])
                P["lb"][:n][mask] = False
                needs |= mask
        school[needs] = self.catch[zone[needs], (grade[needs] >= 7).astype(np.int64)]
        n1 = rng.poisson(self.cohort0 * (1.0 + p.birth_trend[self.zone_tier]) ** self.year)
        zones = np.repeat(np.arange(len(n1)), n1)
        new = self._new_pupils(zones, np.ones(len(zones), np.int64),
                               rng.random(len(zones)) < p.migrant_entry[self.zone_tier[zones]])
        n = self._append(P, n, self.cap_p, new)
        grade, zone = P["grade"][:n], P["zone"][:n]
        per_zone = np.bincount(zone[(self.zone_tier[zone] != RURAL) & (grade >= 2)],
                               minlength=len(self.zone_tier))
        n_arr = rng.poisson(per_zone * p.migrant_arrivals)
        zones = np.repeat(np.arange(len(n_arr)), n_arr)
        new = self._new_pupils(zones, rng.integers(2, 10, size=len(zones)),
                               np.ones(len(zones), bool))
        n = self.n = self._append(P, n, self.cap_p, new)

        # 2. learning
        grade, school = P["grade"][:n], P["school"][:n]
        sec = (grade >= 7).astype(np.int64)
        n_sec = np.bincount(school * 2 + sec, minlength=2 * S).reshape(-1, 2)
        sg = np.bincount(school * 10 + grade, minlength=10 * S).reshape(-1, 10)
        classes = np.column_stack([(-(-sg[:, 1:7] // p.max_class[0])).sum(axis=1),
                                   (-(-sg[:, 7:10] // p.max_class[1])).sum(axis=1)])
        z = self._z()
        cnt = n_sec.sum(axis=1)
        mean_z = np.divide(np.bincount(school, weights=z, minlength=S), cnt,
                           out=np.zeros(S), where=cnt > 0)
        need = n_sec @ p.standards
        ratio = np.divide(self.have, need, out=np.ones_like(self.have), where=need > 0)
        resource = np.minimum(ratio, p.resource_cap).mean(axis=1)
        m = self.m
        tsch, tsec = T["school"][:m], T["section"][:m]
        switch = (n_sec[tsch, tsec] == 0) & (n_sec[tsch, 1 - tsec] > 0)
        tsec[switch] = 1 - tsec[switch]
        core = T["subject"][:m] == 0
        key = tsch[core] * 2 + tsec[core]
        c_n = np.bincount(key, minlength=2 * S).reshape(-1, 2)
        c_eff = np.bincount(key, weights=self._eff()[core], minlength=2 * S).reshape(-1, 2)
        mean = np.divide(c_eff, c_n, out=np.full((S, 2), p.vacancy_effect), where=c_n > 0)
        need_core = classes * np.array(p.core_per_class)
        short = np.clip(1 - np.divide(c_n, need_core, out=np.ones((S, 2)), where=need_core > 0),
                        0, 1)
        term = (1 - short) * mean + short * p.vacancy_effect
        growth = (p.w_teacher * term[school, sec]
                  + p.resource_effect * (resource[school] - 1.0) + p.peer_effect * mean_z[school]
                  - p.rot_continuity * self.sent_share[school]
                  + p.ses_effect * P["ses"][:n] + p.lb_effect * P["lb"][:n])
        P["ach"][:n] = p.rho * P["ach"][:n] + growth + p.noise_sd * rng.standard_normal(n)
        q = np.maximum(np.ceil(n_sec / np.array(p.per_post)),
                       np.ceil(classes * p.min_posts_per_class))
        q = np.ceil(q * self.quota_scale - 1e-9).astype(np.int64)
        q[~self.open] = 0
        self.quota = np.where(n_sec > 0, q, 0)
        self.n_sec = n_sec

        # 3. careers
        tier = self.tier[T["school"][:m]]
        staff_start = np.bincount(tier, minlength=3)
        T["age"][:m] += 1
        T["exp"][:m] += 1
        T["yas"][:m] += 1
        T["skill"][:m] += p.training_gain[tier] * np.exp(-T["exp"][:m] / p.training_tau)
        retire = T["age"][:m] >= p.retirement_age
        pay = np.exp(-p.pay_semi_elasticity * np.where(tier == RURAL, p.rural_allowance, 0.0))
        quit_ = ~retire & (rng.random(m) < np.minimum(p.attrition[tier] * pay, 1.0))
        attrition = np.bincount(tier[quit_], minlength=3)
        m = self.m = self._compact(T, m, ~(retire | quit_))
        self._transfers()
        self._hire()
        self._backbone()
        if p.rotation:
            self._rotate()
        # 4. finance
        fs = np.where((cnt > 0) & (cnt < p.small_school_floor),
                      p.small_school_floor / np.maximum(cnt, 1), 1.0)
        funds = (n_sec @ np.array(p.funds)) * fs * p.funds_ratio[self.tier] * self.open
        budget = p.stock_share * funds + p.capital[self.tier] * cnt * self.open
        self.have[:, 2] = self.have[:, 2] * (1 - p.equipment_dep) + p.equipment_share * budget
        self.have[:, 3] = (self.have[:, 3] * (1 - p.multimedia_dep)
                           + p.multimedia_share * budget / p.room_cost)
        # 5. record
        self.record(attrition[RURAL] / staff_start[RURAL] if staff_start[RURAL] else np.nan)

    def _transfers(self) -> None:
        p, rng, T, m = self.p, self.rng, self.T, self.m
        tier = self.tier[T["school"][:m]]
        eff = self._eff()
        base = p.transfer_request[tier]
        logit = np.log(np.maximum(base, 1e-12) / np.maximum(1 - base, 1e-12))
        pay = np.exp(-p.pay_semi_elasticity * np.where(tier == RURAL, p.rural_allowance, 0.0))
        prob = np.where(base > 0, pay / (1 + np.exp(-(logit + p.transfer_slope
                                                        * (eff - eff.mean())))), 0.0)
        prob[T["rot_end"][:m] > 0] = 0.0
        ask = (T["yas"][:m] >= p.min_years_transfer) & (rng.random(m) < prob)
        for dest, sources in ((URBAN, (TOWN, RURAL)), (TOWN, (RURAL,))):
            app = np.flatnonzero(ask & np.isin(tier, sources))
            if len(app) == 0:
                continue
            ss, sx = self._vacancies((dest,))
            k = min(len(app), len(ss))
            if k == 0:
                continue
            chosen = app[np.argsort(-(eff[app] + 0.05 * rng.standard_normal(len(app))))[:k]]
            T["school"][chosen] = T["post"][chosen] = ss[:k]
            T["section"][chosen] = sx[:k]
            T["yas"][chosen] = 0
            ask[chosen] = False

    def _hire(self) -> None:
        p, rng, T, m = self.p, self.rng, self.T, self.m
        ss, sx = self._vacancies()
        tier = self.tier[ss]
        fill = rng.random(len(ss)) < p.hire_fill[tier]
        ss, sx, tier = ss[fill], sx[fill], tier[fill]
        k = len(ss)
        if k == 0:
            return
        pupils = self.n_sec.sum(axis=1)
        pe = np.bincount(T["school"][:m][T["subject"][:m] > 0], minlength=self.S)
        pe_short = (pupils > 0) & (100.0 * pe < 0.9 * pupils)
        spec = pe_short[ss] & (rng.random(k) < p.specialist_fill[tier])
        subject = np.where(spec, 1 + (rng.random(k) < 0.5), 0)
        qual = np.minimum((rng.random(k)[:, None] > p.hire_qual_cum[tier]).sum(axis=1), 3)
        skill = (p.hire_skill_mean[tier] + p.qualification_skill * (qual - 2)
                 + p.skill_sd * rng.standard_normal(k))
        self.m = self._append(T, m, self.cap_t, {
            "school": ss, "post": ss, "section": sx, "subject": subject,
            "age": rng.integers(22, 27, size=k), "skill": skill})

    def _backbone(self) -> None:
        p, rng, T, m = self.p, self.rng, self.T, self.m
        need = int(round(p.backbone_target * m)) - int(T["backbone"][:m].sum())
        if need <= 0:
            return
        el = np.flatnonzero(~T["backbone"][:m] & (T["exp"][:m] >= p.backbone_min_experience))
        score = (self._eff()[el] + p.backbone_visibility[self.tier[T["school"][el]]]
                 + 0.05 * rng.standard_normal(len(el)))
        T["backbone"][el[np.argsort(-score)[:need]]] = True

    def _rotate(self) -> None:
        p, rng, T, m, S = self.p, self.rng, self.T, self.m, self.S
        self.sent_share = np.zeros(S)
        school, sec, rot_end = T["school"][:m], T["section"][:m], T["rot_end"][:m]
        ending = (rot_end > 0) & (rot_end <= self.year)
        if ending.any():
            school[ending] = T["post"][:m][ending]
            T["yas"][:m][ending] = 0
            rot_end[ending] = 0
            self._fit(np.flatnonzero(ending))
        send = self.open & (self.tier == URBAN)
        recv = np.flatnonzero(self.open & (self.tier == RURAL))
        if not send.any() or len(recv) == 0:
            return
        el = np.flatnonzero((T["post"][:m] == school) & send[school]
                            & (T["yas"][:m] >= p.rot_eligibility))
        n_rot = int(round(p.rot_rate * len(el)))
        if n_rot == 0:
            return
        need_bb = min(math.ceil(p.rot_backbone * n_rot), n_rot)
        bb = el[T["backbone"][el]]
        bb = bb[rng.permutation(len(bb))[:need_bb]]
        rest = np.setdiff1d(el, bb)
        rest = rest[rng.permutation(len(rest))[: n_rot - len(bb)]]
        chosen = np.concatenate([bb, rest])
        pupils = self.n_sec.sum(axis=1)[recv].astype(float)
        share = pupils / pupils.sum() if pupils.sum() > 0 else np.full(len(recv), 1 / len(recv))
        raw = share * len(chosen)
        count = np.floor(raw).astype(np.int64)
        count[np.argsort(-(raw - count), kind="stable")[: len(chosen) - count.sum()]] += 1
        dest = np.repeat(recv, count)
        dist = self.dist[school[chosen], dest]
        pay = math.exp(-p.pay_semi_elasticity * p.rot_allowance / p.base_salary)
        refuse = rng.random(len(chosen)) < np.minimum(
            p.rot_refusal * (1 + dist / p.rot_refusal_km) * pay, 1.0)
        go, dest = chosen[~refuse], dest[~refuse]
        staff = np.bincount(school, minlength=S)
        self.sent_share = np.divide(np.bincount(school[go], minlength=S), staff,
                                    out=np.zeros(S), where=staff > 0)
        school[go] = dest
        lvl = self.level[dest]
        sec[go] = np.where(lvl == PRIMARY, 0, np.where(lvl == JUNIOR, 1, sec[go]))
        self._fit(go)
        T["yas"][:m][go] = 0
        rot_end[go] = self.year + p.rot_term
        if refuse.any():
            keep = np.ones(m, bool)
            keep[chosen[refuse]] = False
            self.m = self._compact(T, m, keep)

    def _fit(self, rows: np.ndarray) -> None:
        T = self.T
        s, sec = T["school"][rows], T["section"][rows]
        sw = (self.n_sec[s, sec] == 0) & (self.n_sec[s, 1 - sec] > 0)
        T["section"][rows[sw]] = 1 - sec[sw]

    def record(self, rural_attrition: float) -> None:
        n = self.n
        z = self._z()
        t = self.tier[self.P["school"][:n]]
        u, r = t == URBAN, t == RURAL
        gap = z[u].mean() - z[r].mean() if u.any() and r.any() else np.nan
        self.records.append((self.year, n, self.m, float(z.mean()), float(gap),
                             float(rural_attrition)))

    def run(self, years: int) -> list[tuple[float, ...]]:
        for _ in range(int(years)):
            self.step()
        return self.records

