"""The optimiser against exhaustive enumeration on tiny random instances.

Hypothesis draws valid instances with random policy settings
(``strategies.tiny_instances``); ``bruteforce.brute_force`` enumerates every
plan independently of the package. Both must agree on feasibility and on the
optimal objective, and every plan must pass the verifier. Two metamorphic
properties follow: adding a rule never improves the objective, loosening a
budget never worsens it.
"""

from __future__ import annotations

import copy

from conftest import assert_matches_brute_force, solve_verified
from hypothesis import HealthCheck, given, settings
from strategies import tiny_instances

from consortium.backends.base import Status

SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(tiny_instances())
def test_optimum_matches_brute_force(inst):
    assert_matches_brute_force(inst)


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tiny_instances())
def test_adding_a_rule_never_improves(inst):
    base = solve_verified(inst, reasons=False)
    stricter = copy.deepcopy(inst)
    pol = stricter.setdefault("policy", {})
    pol["min_private_members"] = max(1, pol.get("min_private_members", 0))
    pol["require_both_ends"] = True
    tight = solve_verified(stricter, reasons=False)
    if base.status == Status.INFEASIBLE:
        assert tight.status == Status.INFEASIBLE
    elif tight.status == Status.OPTIMAL:
        assert tight.objective <= base.objective + 1e-6


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tiny_instances())
def test_loosening_budgets_never_worsens(inst):
    base = solve_verified(inst, reasons=False)
    loose = copy.deepcopy(inst)
    for t in loose.get("targets", []):
        t.pop("budget", None)
    for s in loose.get("sponsors", []):
        s.pop("budget", None)
    loose.get("policy", {}).pop("total_budget", None)
    free = solve_verified(loose, reasons=False)
    if base.status == Status.OPTIMAL:
        assert free.status == Status.OPTIMAL
        assert free.objective >= base.objective - 1e-6
