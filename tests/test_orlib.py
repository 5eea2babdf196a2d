"""OR-Library set covering (scp41-scp410) mapped to one-target consortium
instances must reach the published optima; the plans pass the verifier."""

from __future__ import annotations

import pytest

from consortium.backends.base import Status
from consortium.orlib import ORLIB_OPTIMA, orlib_path, scp_to_instance
from conftest import solve_verified

SCP4 = [f"scp4{i}" for i in range(1, 10)] + ["scp410"]


@pytest.mark.parametrize("name", SCP4)
def test_scp4_reaches_published_optimum(name):
    path = orlib_path(name)
    if path is None:
        pytest.skip("OR-Library data (../shared/data/orlib-scp) not present")
    sol = solve_verified(scp_to_instance(path, name), reasons=False)
    assert sol.status == Status.OPTIMAL
    assert sol.objective == pytest.approx(-ORLIB_OPTIMA[name], abs=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in ORLIB_OPTIMA if n not in SCP4])
def test_other_orlib_sets(name):
    path = orlib_path(name)
    if path is None:
        pytest.skip("OR-Library data not present")
    sol = solve_verified(scp_to_instance(path, name), reasons=False)
    assert sol.status == Status.OPTIMAL
    assert sol.objective == pytest.approx(-ORLIB_OPTIMA[name], abs=1e-6)
