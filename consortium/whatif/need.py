"""The least limit a target needs: one MILP on proven optima.

For a limit ``p`` of the instance (a budget, a distance) and target ``t``, let
``F(p)`` be the optimum with ``t`` formed. ``F`` only grows with ``p``, and the
least ``p`` with ``F(p) >= floor`` is the least *need* of any plan that forms
``t`` and is worth ``floor`` or more, the limit itself removed:

    min  need(x)   s.t.  every rule but that limit,  t formed,  objective(x) >= floor

``need`` is linear (the spend a budget caps) or a maximum (the farthest member
a distance limit reaches: a column ``D >= km_j x_j``). The answer is a plan's
own spend or distance, so the limit it gives is exact, not a grid point.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..backends.base import SolverOptions, Status
from ..model.linear import INF, ColBlock, LinearModel, RowBlock, csc_from_coo
from ..solving.build import Built
from ..solving.dispatch import ENGINE_MIN_COLUMNS
from ..solving.engine.exact import Engine


def with_need(lm: LinearModel, cols: np.ndarray, coef: np.ndarray, maximum: bool,
              floor: float, slack: float) -> LinearModel:
    """``lm`` with the objective replaced by ``-need`` and a row objective >= floor - slack."""
    n, m = lm.n_cols, lm.n_rows
    A = lm.A
    r0 = np.asarray(A.indices, np.int64)
    c0 = np.repeat(np.arange(n, dtype=np.int64), np.diff(A.indptr))
    v0 = np.asarray(A.data, float)
    nz = np.nonzero(lm.obj)[0]
    rows = [r0, np.full(len(nz), m, np.int64)]
    cs = [c0, nz.astype(np.int64)]
    vs = [v0, lm.obj[nz]]
    lo = [lm.row_lo, np.array([floor - slack - lm.obj_offset])]
    hi = [lm.row_hi, np.array([INF])]
    n2, m2 = n, m + 1
    obj = np.zeros(n)
    lb, ub, integer = lm.lb, lm.ub, lm.integer
    col_blocks = list(lm.col_blocks)
    blocks = list(lm.row_blocks) + [RowBlock("obj", "objective floor", m, m + 1,
                                             np.array([-1]), lambda _i: "objective floor")]
    if maximum:
        D = n
        k = len(cols)
        rows += [np.arange(m2, m2 + k, dtype=np.int64), np.arange(m2, m2 + k, dtype=np.int64)]
        cs += [np.full(k, D, np.int64), np.asarray(cols, np.int64)]
        vs += [np.ones(k), -np.asarray(coef, float)]
        lo.append(np.zeros(k))
        hi.append(np.full(k, INF))
        blocks.append(RowBlock("need", "farthest member", m2, m2 + k, np.full(k, -1),
                               lambda _i: "need"))
        n2, m2 = n + 1, m2 + k
        obj = np.append(obj, -1.0)
        lb, ub = np.append(lb, 0.0), np.append(ub, INF)
        integer = np.append(integer, False)
        col_blocks.append(ColBlock("need", n, n + 1))
    else:
        np.add.at(obj, np.asarray(cols, np.int64), -np.asarray(coef, float))
    Am = csc_from_coo(np.concatenate(rows), np.concatenate(cs), np.concatenate(vs), (m2, n2))
    return LinearModel(lb=lb.copy(), ub=ub.copy(), obj=obj, integer=integer.copy(), A=Am,
                       row_lo=np.concatenate(lo), row_hi=np.concatenate(hi),
                       col_blocks=col_blocks, row_blocks=blocks, obj_offset=0.0)


def least_need(b: Built, cols: np.ndarray, coef: np.ndarray, maximum: bool, floor: float,
               opts: SolverOptions, start: np.ndarray | None = None) -> np.ndarray | None:
    """The plan of ``b`` (its model already holds the target formed) of least
    need among those worth ``floor`` or more (the columns of ``b``), or None if
    there is none."""
    from ..backends import highs

    lm2 = with_need(b.lm, cols, coef, maximum, floor, 1e-6 * max(1.0, abs(floor)))
    x0 = None
    if start is not None:
        x0 = np.asarray(start, float)
        if maximum:
            x0 = np.append(x0, float(np.max(np.asarray(coef) * x0[cols], initial=0.0)))
        if not lm2.is_feasible(x0):
            x0 = None
    o = replace(opts, gap=0.0, time_limit=None, deadline=None, on_progress=None, on_phase=None)
    if lm2.n_cols >= ENGINE_MIN_COLUMNS and o.method != "mip":
        raw = Engine(lm2).solve(o, x0)
    else:
        raw = highs.run_highs(lm2, o, x0)
    if raw.status == Status.INFEASIBLE or raw.x is None:
        if raw.status not in (Status.INFEASIBLE, Status.OPTIMAL):
            raise RuntimeError(f"least-need MILP ended {raw.status.value}: no exact answer")
        return None
    if raw.status != Status.OPTIMAL:
        raise RuntimeError(f"least-need MILP ended {raw.status.value}: no exact answer")
    return np.asarray(raw.x[: b.lm.n_cols], float)
