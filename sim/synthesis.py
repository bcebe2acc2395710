"""Year-0 teachers: the draws that the synthetic county and a real county's table share.

Where a county's tables are silent, a teacher's age, experience, years at the current
school, title and skill are synthesised from the tier defaults of
:class:`~sim.config.TeacherConfig`, by the same rules for the built-in county
(:func:`sim.construction.populate_teachers`) and a loaded one
(:func:`sim.real_county.populate_from_table`). Each function draws from the generator it is
given, in a fixed order, so a county built twice from one seed is the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.config import TeacherConfig

__all__ = ["draw_age_and_experience", "draw_experience", "draw_skill", "draw_years_at_school",
           "titles_by_experience"]

#: age at which teachers start (assumption: graduates of 3-4 year programmes)
ENTRY_AGE = 23


def draw_experience(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    """Years of teaching: years since the entry age, less a career break of 0–2 years."""
    return np.maximum(age - ENTRY_AGE - rng.integers(0, 3, size=len(age)), 0)


def draw_age_and_experience(rng: np.random.Generator, n: int, retirement_age: int
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Ages uniform from the entry age to retirement, and their experience."""
    age = rng.integers(ENTRY_AGE, retirement_age, size=n)
    return age, draw_experience(rng, age)


def draw_years_at_school(rng: np.random.Generator, experience: np.ndarray) -> np.ndarray:
    """Years at the current school: uniform up to the teacher's experience (at most 25)."""
    return np.floor(rng.random(len(experience)) * (np.minimum(experience, 25) + 1)).astype(int)


def titles_by_experience(experience: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Professional titles (0 junior, 1 intermediate, 2 senior) from experience and uniform
    draws ``u``: senior for 35 % of teachers with 12+ years, intermediate for the rest of
    those below 75 % with 5+ years (assumption)."""
    return np.where((experience >= 12) & (u < 0.35), 2,
                    np.where((experience >= 5) & (u < 0.75), 1, 0))


def draw_skill(rng: np.random.Generator, tier: np.ndarray, qualification: np.ndarray,
               tc: TeacherConfig) -> np.ndarray:
    """Skill (effectiveness net of experience): the tier's mean, a step per qualification
    level above or below a bachelor's degree, and individual variation."""
    return (np.array(tc.skill_mean.as_tuple())[tier]
            + tc.qualification_skill * (qualification - 2)
            + tc.skill_sd * rng.standard_normal(len(tier)))
