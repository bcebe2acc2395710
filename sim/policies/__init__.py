"""Policy levers (see :mod:`sim.policies.base` for the framework and the yearly order).

Importing this package registers the built-in policies in :data:`POLICIES`.
"""

from sim.policies.base import POLICIES, POLICY_ORDER, Policy, PolicyConfig, build_policies, register

__all__ = ["POLICIES", "POLICY_ORDER", "Policy", "PolicyConfig", "build_policies", "register"]

# built-in policies register themselves on import
from sim.policies import teacher_rotation  # noqa: E402,F401
