"""The yearly order of the policies: declared by each policy (its position), documented once
in sim.policies.base, and the documentation checked against the code."""

from __future__ import annotations

import re

import pytest

from sim.policies import POLICIES, POLICY_ORDER, Policy, base, policy_order, register

ORDERED_HOOKS = ("before_enrolment", "after_enrolment", "learning_effect", "before_careers",
                 "after_careers", "after_finance")
MULTIPLIER_HOOKS = ("choice_multiplier", "attrition_multiplier", "transfer_multiplier",
                    "hire_skill_shift")


def documented() -> dict[str, list[str]]:
    """Policy names in the order the docstring's table lists them, per hook."""
    table = base.__doc__.split("year t (EducationModel.step)")[1].split("**What hooks")[0]
    hooks = ORDERED_HOOKS + MULTIPLIER_HOOKS
    out: dict[str, list[str]] = {h: [] for h in hooks}
    current = None
    for line in table.splitlines():
        text = line.strip()
        if re.match(r"^(\d+\s+)?--", text) or re.match(r"^\d+\s+(?![a-z_]+ )", text) \
                or text.startswith("5  cost"):
            current = None  # a core process or the record: no policy hook
        for token in re.findall(r"[a-z_]+", line):
            if token in hooks:
                current = token
            elif current is not None and token in POLICIES and token not in out[current]:
                out[current].append(token)
    return out


def overrides(hook: str) -> set[str]:
    return {n for n, cls in POLICIES.items() if getattr(cls, hook) is not getattr(Policy, hook)}


def test_order_is_the_positions_and_every_policy_has_one():
    assert len(POLICIES) >= 9
    assert POLICY_ORDER == policy_order()
    positions = [POLICIES[n].position for n in POLICY_ORDER]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert all(p > 0 for p in positions)


@pytest.mark.parametrize("hook", ORDERED_HOOKS + MULTIPLIER_HOOKS)
def test_the_documented_table_names_exactly_the_policies_of_each_hook(hook):
    listed = documented()[hook]
    assert set(listed) == overrides(hook), (
        f"{hook}: the table in sim/policies/base.py lists {sorted(listed)}, the policies that "
        f"implement it are {sorted(overrides(hook))}")
    if hook in ORDERED_HOOKS:
        assert listed == [n for n in POLICY_ORDER if n in listed], (
            f"{hook}: documented order {listed} differs from the positions")


def test_a_taken_position_is_refused_and_the_registry_is_unchanged():
    before = dict(POLICIES)
    with pytest.raises(ValueError, match="position 80 is taken by 'teacher_rotation'"):
        @register("another_rotation", position=80)
        class Another(Policy):
            pass
    with pytest.raises(TypeError, match="position must be an integer"):
        @register("another_rotation", position=8.5)
        class Another2(Policy):
            pass
    assert POLICIES == before
