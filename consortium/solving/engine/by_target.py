"""A Lagrangian bound by target, and the column fixings and choice bounds it proves.

The LP relaxation's bound (:mod:`.lagrange`) leaves the integrality of every
target's own consortium out: on the provincial preset (seed 1) it sits 1.76
above an optimum of 867.27, while the best plans that differ in one member
or lead lie within a few hundredths of it. Pricing the rows across targets
instead (actors' capacities, budgets, exclusive groups: the coupling rows of
:mod:`consortium.backends.decompose`) and solving each target's own MILP
under those prices gives the Lagrangian bound

    L(lam) = lam . limits + sum over targets k of max_k(lam),

where ``max_k`` is the proven upper bound of target k's block priced at
``lam`` (at least 0 when it may stay unformed). It holds for any prices
``lam >= 0``; at the LP relaxation's own duals it is already far tighter than
the LP (867.58 there), because each target's consortium is integral.

Holding one target's block to a condition (a column on its other side, a
choice of lead or member) changes only that target's term. Its LP under the
same prices, with its own duals, bounds the changed term from above by the
block's LP bound minus the reduced costs the condition goes against. So

    bound(condition) = L(lam) - max_k(lam) + LP_k(lam) - |reduced costs against it|

and a binary column whose other side gives a bound below a threshold ``T`` is
at its side in every plan worth ``T`` or more (reduced-cost fixing, by target).
The LP relaxation's fixings need reduced costs above 1.76 there; these need
them above the target's own LP gap plus ``L(lam) - T``, a small fraction of it.

Nothing here trusts a solver beyond its proven bounds: the prices only have
to be good for the bounds to be tight, never right for them to be valid.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ...backends.base import SolverOptions
from ...backends.decompose.blocks import NotDecomposable, split
from ...backends.decompose.pricing import PricingPool
from ...backends.highs_relax import Relaxation
from ...model.linear import LinearModel
from ...model.rules import Vars
from . import lagrange


@dataclass
class TargetBound:
    """``L(lam)`` and, per column, the bound with that column on its other side."""

    value: float  # L(lam): an upper bound on every plan
    term: np.ndarray  # per target: its term in L (its priced block's proven bound)
    lp: np.ndarray  # per target: its block's LP bound at lam (>= term)
    d: np.ndarray  # per column: its reduced cost in its block's LP
    block_of: np.ndarray  # per column: its target

    def best(self) -> np.ndarray:
        """Per column: the bound with it on its better side (from the LP of its block)."""
        k = self.block_of
        return self.value - self.term[k] + self.lp[k]

    def against(self, one: int, zeros: np.ndarray) -> float:
        """A bound on every plan with column ``one`` at 1 and ``zeros`` at 0
        (columns of one target)."""
        k = int(self.block_of[one])
        d = self.d
        return float(self.value - self.term[k] + self.lp[k] - max(-d[one], 0.0)
                     - np.maximum(d[np.asarray(zeros, np.int64)], 0.0).sum())

    def fixings(self, lm: LinearModel, lb: np.ndarray, ub: np.ndarray,
                threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """Binary columns that every plan worth ``threshold`` or more has at 0
        (first mask) or at 1 (second mask)."""
        return lagrange.fixings_by_column(lm, self.best(), self.d, lb, ub, threshold)


def target_bound(lm: LinearModel, V: Vars, n_targets: int, row_dual: np.ndarray,
                 threads: int = 1, deadline: float | None = None,
                 max_share: float = 1.0) -> TargetBound | None:
    """The bound by target at the LP relaxation's duals ``row_dual`` (either
    sign convention), or None when the model does not split by target, one
    target holds more than ``max_share`` of the columns, or a block's bound
    is not proven (by ``deadline``, ``time.monotonic()``, if given)."""
    try:
        B = split(lm, V, n_targets)
    except NotDecomposable:
        return None
    if max(map(len, B.cols), default=0) > max_share * lm.n_cols:
        return None
    # the sign convention that bounds the LP (as lagrange.best_bound picks it)
    y = np.asarray(row_dual, float)
    if lagrange.bound(lm, y, lm.lb, lm.ub).value > lagrange.bound(lm, -y, lm.lb, lm.ub).value:
        y = -y
    lam = np.maximum(y[B.coupling], 0.0)
    nb = len(B.cols)
    pool = PricingPool(B, threads)
    pool.pricer.tight = set(range(nb))  # (no tightened use of the rows: not needed for a bound)
    term = np.zeros(nb)
    try:
        for k, ub, _xs, done in pool.price_all(list(range(nb)), lam, deadline):
            if not done or not np.isfinite(ub):
                pool.cancel()
                return None
            term[k] = ub if B.forced[k] else max(ub, 0.0)
    except BaseException:  # (Ctrl-C: the blocks still queued are not priced)
        pool.cancel()
        raise
    finally:
        pool.close()
    value = lm.obj_offset + float(lam @ lm.row_hi[B.coupling]) + float(term.sum())
    d = np.zeros(lm.n_cols)
    lp = np.zeros(nb)
    block_of = np.zeros(lm.n_cols, np.int64)
    for k in range(nb):
        b = pool.pricer.blocks[k]
        cols = B.cols[k]
        block_of[cols] = k
        red = b.model.obj - b.AcT @ lam
        got = _lp_bound(b.model, red)
        if got is None:  # (an LP without duals: its term's bound, no fixings from it)
            lp[k] = np.inf
            continue
        lp[k], d[cols] = got
    return TargetBound(value, term, np.maximum(lp, term), d, block_of)


def _lp_bound(m: LinearModel, obj: np.ndarray) -> tuple[float, np.ndarray] | None:
    """A block's LP bound under objective ``obj`` and its reduced costs, from
    its LP duals (valid whatever the duals: :func:`.lagrange.bound`)."""
    relaxed = replace(m, obj=obj)
    lp = Relaxation(relaxed).solve(m.lb, m.ub, SolverOptions(threads=1))
    if lp.status != "optimal" or lp.row_dual is None:
        return None
    bd = lagrange.best_bound(relaxed, lp.row_dual, m.lb, m.ub)
    return bd.value, bd.d
