"""Policy levers (see :mod:`sim.policies.base` for the framework and the yearly order).

Importing this package registers the built-in policies in :data:`POLICIES`: every module of
this package other than ``base`` defines and registers one policy.
"""

import importlib
import pkgutil

from sim.policies.base import (
    POLICIES,
    POLICY_ORDER,
    Policy,
    PolicyConfig,
    build_policies,
    check_policies,
    register,
)

__all__ = ["POLICIES", "POLICY_ORDER", "Policy", "PolicyConfig", "build_policies", "check_policies",
           "register"]

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module != "base":
        importlib.import_module(f"{__name__}.{_module}")
