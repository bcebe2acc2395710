"""Every registered policy has its contract test and its config file.

A policy ``NAME`` in :data:`sim.policies.POLICIES` needs ``tests/policies/test_NAME.py`` with
at least one class that pytest collects (named ``Test...``) inheriting
:class:`tests.policies.contract.PolicyContract` with ``name = "NAME"``, and
``configs/policy/NAME.yaml`` (what ``+policy=NAME`` loads) setting the policy's fields.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from pathlib import Path

import pytest
import yaml

from sim.policies import POLICIES
from tests.policies.contract import PolicyContract

HERE = Path(__file__).resolve().parent
POLICY_CONFIGS = HERE.parents[1] / "configs" / "policy"


def contract_tests() -> dict[str, list[type[PolicyContract]]]:
    """The contract test classes pytest collects, by the module (``test_*``) defining them."""
    found = {}
    for path in sorted(HERE.glob("test_*.py")):
        module = importlib.import_module(f"{__package__}.{path.stem}")
        found[path.stem] = [
            c for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, PolicyContract) and c is not PolicyContract
            and c.__module__ == module.__name__
            and c.__name__.startswith("Test") and getattr(c, "__test__", True)]
    return found


def test_policies_are_registered():
    assert POLICIES, "sim.policies registers no policy"
    assert all(isinstance(n, str) and n.isidentifier() for n in POLICIES), sorted(POLICIES)


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_registered_policy_has_a_contract_test(name):
    module = f"test_{name}"
    assert (HERE / f"{module}.py").is_file(), f"tests/policies/{module}.py is missing"
    classes = contract_tests()[module]
    mine = [c.__name__ for c in classes if c.name == name]
    assert mine, (f"tests/policies/{module}.py has no Test... class inheriting PolicyContract "
                  f"with name = {name!r} (found: {[(c.__name__, c.name) for c in classes]})")


def test_every_contract_test_names_a_registered_policy():
    classes = [c for found in contract_tests().values() for c in found]
    assert classes, "no PolicyContract subclass found in tests/policies/test_*.py"
    unknown = [(c.__module__, c.__name__, c.name) for c in classes if c.name not in POLICIES]
    assert not unknown, f"contract tests of unregistered policies: {unknown}"
    assert {c.name for c in classes} == set(POLICIES)


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_registered_policy_has_its_config_file(name):
    path = POLICY_CONFIGS / f"{name}.yaml"
    assert path.is_file(), f"configs/policy/{name}.yaml is missing"
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# @package policies.{name}", "wrong or missing @package"
    fields = {f.name for f in dataclasses.fields(POLICIES[name].Config)}
    assert set(yaml.safe_load(text)) == fields
