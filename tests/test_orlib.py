"""OR-Library set covering (scp41-scp410) mapped to one-target consortium
instances must reach the published optima; the plans pass the verifier.

The optimum tests use the compact mapping (``coordinator=True``: one
zero-cost coordinator leads), which is what the benchmark solves; the default
mapping (every column may lead) is checked on scp41 and on a tiny cover."""

from __future__ import annotations

import pytest
from conftest import solve_verified

from consortium.backends.base import Status
from consortium.io.instance import from_dict
from consortium.io.orlib import COORDINATOR_ID, ORLIB_OPTIMA, orlib_path, scp_to_instance
from consortium.model.build import build_model
from consortium.model.data import ModelData

SCP4 = [f"scp4{i}" for i in range(1, 10)] + ["scp410"]

# 3 rows, 4 columns: the minimum cover is {c2, c3} at cost 3.
TINY = ([5, 1, 2, 3], [[1, 2], [3], [2, 3, 4]])


def _model_size(inst: dict) -> tuple[int, int]:
    lm, _ = build_model(ModelData(from_dict(inst)))
    return lm.n_cols, lm.n_rows


@pytest.mark.parametrize("coordinator", [False, True])
def test_tiny_cover_both_mappings(coordinator):
    sol = solve_verified(scp_to_instance(TINY, "tiny", coordinator=coordinator), reasons=False)
    assert sol.status == Status.OPTIMAL
    assert sol.objective == pytest.approx(-3.0, abs=1e-9)
    (c,) = sol.consortia
    chosen = set(c.members) - {COORDINATOR_ID}
    assert chosen == {"c2", "c3"}
    if coordinator:
        assert c.lead == COORDINATOR_ID
    else:
        assert c.lead in chosen


def test_compact_mapping_adds_one_lead_only():
    inst = scp_to_instance(TINY, "tiny", coordinator=True)
    leaders = [a["id"] for a in inst["actors"] if a.get("lead_cost") is not None]
    assert leaders == [COORDINATOR_ID]
    coord = inst["actors"][-1]
    assert coord["cost"] == 0 and coord["lead_cost"] == 0 and coord["capabilities"] == {}
    # bare 4 x 3; + coordinator's membership, its lead column and y; + 3 rows
    assert _model_size(inst) == (4 + 3, 3 + 3)
    assert _model_size(scp_to_instance(TINY, "tiny")) == (1 + 2 * 4, 3 + 2 + 4)


@pytest.mark.parametrize("name", SCP4)
def test_scp4_reaches_published_optimum(name):
    path = orlib_path(name)
    if path is None:
        pytest.skip("OR-Library data (../shared/data/orlib-scp) not present")
    inst = scp_to_instance(path, name, coordinator=True)
    assert _model_size(inst) == (1000 + 3, 200 + 3)
    sol = solve_verified(inst, reasons=False)
    assert sol.status == Status.OPTIMAL
    assert sol.objective == pytest.approx(-ORLIB_OPTIMA[name], abs=1e-6)
    assert sol.consortia[0].lead == COORDINATOR_ID


def test_scp41_default_mapping_reaches_published_optimum():
    path = orlib_path("scp41")
    if path is None:
        pytest.skip("OR-Library data (../shared/data/orlib-scp) not present")
    sol = solve_verified(scp_to_instance(path, "scp41"), reasons=False)
    assert sol.status == Status.OPTIMAL
    assert sol.objective == pytest.approx(-ORLIB_OPTIMA["scp41"], abs=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in ORLIB_OPTIMA if n not in SCP4])
def test_other_orlib_sets(name):
    path = orlib_path(name)
    if path is None:
        pytest.skip("OR-Library data not present")
    sol = solve_verified(scp_to_instance(path, name, coordinator=True), reasons=False)
    assert sol.status == Status.OPTIMAL
    assert sol.objective == pytest.approx(-ORLIB_OPTIMA[name], abs=1e-6)
