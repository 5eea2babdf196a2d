"""Shared fixtures. Every plan a test produces goes through the independent
verifier: use :func:`solve_verified` (or the ``solve_verified`` fixture)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest

from consortium.backends.base import SolverOptions
from consortium.io.instance import from_dict, load
from consortium.solving.runner import HOOK_ENV
from consortium.solving.solve import solve_instance as solve
from consortium.verify import verify_solution

ROOT = Path(__file__).resolve().parents[1]
# The sweep tests' fault injection (tests/faults.py) runs in every worker, also
# of a `consortium` started as a subprocess; it does nothing unless
# CONSORTIUM_SWEEP_FAULT names a fault.
os.environ.setdefault(HOOK_ENV, "faults:inject")
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(Path(__file__).resolve().parent)] + [p for p in os.environ.get("PYTHONPATH",
                                                                        "").split(os.pathsep) if p])
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared"
EXAMPLE = SHARED / "spec" / "examples" / "example.json"


def solve_verified(instance: dict[str, Any] | str | Path, **kw):
    """Solve an instance (dict or path) and assert the plan passes ``verify``."""
    if isinstance(instance, (str, Path)):
        raw = json.loads(Path(instance).read_text())
        inst = load(instance)
    else:
        raw = copy.deepcopy(instance)
        inst = from_dict(copy.deepcopy(instance))
    backend = kw.pop("backend", "highs")
    reasons = kw.pop("reasons", True)
    sol = solve(inst, SolverOptions(**kw), backend=backend, reasons=reasons)
    data = sol.to_dict()
    res = verify_solution(raw, data)
    assert res.ok, [f"rule {v.rule}: {v.message}" for v in res.violations]
    if sol.status.has_plan:
        assert res.objective == pytest.approx(sol.objective, rel=1e-6, abs=1e-6)
    return sol


def assert_matches_brute_force(inst: dict[str, Any], **kw):
    """The optimiser (verified) and the independent brute force agree on
    feasibility and the optimum of ``inst``; returns the solution."""
    from bruteforce import brute_force

    expected = brute_force(copy.deepcopy(inst))
    sol = solve_verified(inst, reasons=False, **kw)
    if expected.objective is None:
        assert sol.status.value == "infeasible", kw
    else:
        assert sol.status.value == "optimal", kw
        assert sol.objective == pytest.approx(expected.objective, rel=1e-6, abs=1e-6), kw
    return sol


@pytest.fixture
def tiny() -> dict[str, Any]:
    """A three-actor, one-target instance that can be checked by hand."""
    return json.loads((DATA / "valid" / "tiny.json").read_text())


@pytest.fixture
def example_path() -> Path:
    if not EXAMPLE.exists():
        pytest.skip("the spec example (../shared) is not present")
    return EXAMPLE
