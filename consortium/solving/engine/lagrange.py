"""A Lagrangian bound from row prices, and the column fixings it proves.

For a maximisation ``max c.x`` over ``row_lo <= A x <= row_hi``,
``lb <= x <= ub``, and any prices ``y``:

    c.x = (c - A'y).x + y.(A x) <= d.x + sum_i (y_i hi_i if y_i > 0 else y_i lo_i)

so ``L(y) = const(y) + sum_j max(d_j lb_j, d_j ub_j)`` bounds every feasible
``x`` from above, whatever ``y`` is (prices on an infinite side are taken as
0). Nothing here trusts the LP solver: ``y`` only has to be good for the
bound to be tight, never right for it to be valid.

For a binary column ``j`` whose better side under ``d`` is ``v``, every plan
with ``x_j = 1 - v`` has objective at most ``L(y) - |d_j|``. If that is below
a threshold ``T``, every plan worth ``T`` or more has ``x_j = v``: the column
can be fixed there while looking for such plans (reduced-cost fixing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model.linear import LinearModel


@dataclass
class Bound:
    value: float  # L(y): an upper bound on every plan within lb..ub
    d: np.ndarray  # reduced costs c - A'y


def transpose_product(lm: LinearModel, y: np.ndarray) -> np.ndarray:
    """``A' y`` for the column-compressed matrix."""
    A = lm.A
    cols = np.repeat(np.arange(lm.n_cols), np.diff(A.indptr))
    return np.bincount(cols, weights=A.data * y[A.indices], minlength=lm.n_cols).astype(
        float, copy=False
    )


def bound(lm: LinearModel, y: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> Bound:
    y = np.asarray(y, float).copy()
    hi_ok = np.isfinite(lm.row_hi)
    lo_ok = np.isfinite(lm.row_lo)
    y[(y > 0) & ~hi_ok] = 0.0
    y[(y < 0) & ~lo_ok] = 0.0
    const = lm.obj_offset + float(
        np.sum(np.where(y > 0, y * np.where(hi_ok, lm.row_hi, 0.0), 0.0))
        + np.sum(np.where(y < 0, y * np.where(lo_ok, lm.row_lo, 0.0), 0.0))
    )
    d = lm.obj - transpose_product(lm, y)
    best = np.where(d > 0, d * ub, d * lb)
    return Bound(const + float(best.sum()), d)


def best_bound(lm: LinearModel, y: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> Bound:
    """The better of the bounds at ``y`` and ``-y`` (solvers differ in the sign
    convention of duals for maximisation; both bounds are valid)."""
    a, b = bound(lm, y, lb, ub), bound(lm, -y, lb, ub)
    return a if a.value <= b.value else b


def fixings(
    lm: LinearModel, bd: Bound, lb: np.ndarray, ub: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Binary columns that every plan worth ``threshold`` or more has at 0
    (first mask) or at 1 (second mask)."""
    return fixings_by_column(lm, bd.value, bd.d, lb, ub, threshold)


def fixings_by_column(
    lm: LinearModel, best: float | np.ndarray, d: np.ndarray, lb: np.ndarray, ub: np.ndarray,
    threshold: float,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fixings` from ``best``, a bound on every plan with each column on
    its better side under ``d`` (one for all, or one per column: the bound by
    target, :mod:`.by_target`), less ``|d_j|`` with column ``j`` on the other."""
    free_binary = lm.integer & (lb == 0.0) & (ub == 1.0)
    to0 = free_binary & (d < 0) & (best + d < threshold)
    to1 = free_binary & (d > 0) & (best - d < threshold)
    return to0, to1
