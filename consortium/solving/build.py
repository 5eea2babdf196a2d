"""From a validated instance to a model ready to solve.

Arrays and eligibility (:class:`~consortium.model.data.ModelData`), the
pre-solve findings (targets that cannot be formed, found without a solver),
then the MILP (:func:`~consortium.model.build.build_model`).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np

from ..backends import highs
from ..backends.base import SolverOptions, Status
from ..io.instance import Instance
from ..model.build import build_model
from ..model.data import ModelData
from ..model.linear import LinearModel
from ..model.rules import Vars, spend_entries
from .diagnose import Finding, presolve_findings


@dataclass
class Built:
    """A model ready to solve, and what is needed to read its solutions."""

    md: ModelData
    lm: LinearModel
    V: Vars
    build_s: float = 0.0
    findings: list[Finding] = field(default_factory=list)


def build(inst: Instance, *, strengthen: bool = True) -> Built:
    """The model of ``inst`` and the pre-solve findings, timed. ``strengthen``:
    a programme's model gets its targets' least spends as valid rows (what
    only validates the instance does not need them)."""
    t0 = time.perf_counter()
    md = ModelData(inst)
    findings = presolve_findings(md)
    least = least_spends(md) if strengthen and md.programme is not None else None
    lm, V = build_model(md, least_spend=least)
    return Built(md, lm, V, time.perf_counter() - t0, findings)


# Least spends already computed, by a digest of the target's stand-alone LP: a
# sweep re-builds the model for every scenario, and most scenarios (budgets,
# weights) leave every target's own rules as they were.
_LEAST: OrderedDict[bytes, float | None] = OrderedDict()
_LEAST_KEEP = 20_000


def least_spends(md: ModelData) -> dict[int, float]:
    """For every target that can be formed: a lower bound on the spend of any
    consortium its own rules allow (the optimum of the LP relaxation of its
    stand-alone model, formed), less a relative 1e-6 for the LP's tolerances.
    Exact arithmetic is not needed, only a bound that is never too high."""
    out: dict[int, float] = {}
    for v in md.views:
        if v.impossible:
            continue
        lm, V = build_model(md, only={v.index}, coupling=False)
        cols, vals = spend_entries(md, V, V.views[0])
        cost = np.zeros(lm.n_cols)
        np.add.at(cost, cols, -vals)
        lb = lm.lb.copy()
        lb[V.y[v.index]] = 1.0
        lp = replace(lm, lb=lb, obj=cost, integer=np.zeros(lm.n_cols, bool), obj_offset=0.0)
        key = _digest(lp)
        if key in _LEAST:
            _LEAST.move_to_end(key)
            m = _LEAST[key]
        else:
            m = _least_spend(lp)
            _LEAST[key] = m
            if len(_LEAST) > _LEAST_KEEP:
                _LEAST.popitem(last=False)
        if m is not None and m > 0:
            out[v.index] = m
    return out


def _least_spend(lp: LinearModel) -> float | None:
    r = highs.run_highs(lp, SolverOptions(threads=1, highs=LEAST_HIGHS))
    if r.status != Status.OPTIMAL or r.objective is None:
        return None  # cannot be formed alone: the pre-solve findings and the MILP say why
    m = -float(r.objective)
    return m - 1e-6 * max(1.0, abs(m))


# One target's LP: small, no presolve (as its stand-alone MILP).
LEAST_HIGHS: dict[str, bool | int | float | str] = {"presolve": "off"}


def _digest(lm: LinearModel) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    for a in (lm.lb, lm.ub, lm.obj, lm.row_lo, lm.row_hi, lm.A.data, lm.A.indices, lm.A.indptr):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.digest()
