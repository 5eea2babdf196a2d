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

import weakref
from dataclasses import dataclass, replace

import numpy as np

from ...backends import highs as hb
from ...backends.base import SolverOptions
from ...backends.decompose.blocks import Blocks, NotDecomposable, block_model, split
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
    bounder = Bounder.of(lm, V, n_targets, threads, max_share)
    if bounder is None:
        return None
    try:
        return bounder.bound(lm, row_dual, deadline)
    finally:
        bounder.close()


class Bounder:
    """The blocks of one model (each target's MILP and LP on HiGHS objects of
    their own) kept across many bounds by target: of the same model within
    other column bounds (a sweep's distance limits, barred actors), each
    block's LP from its last basis and its MILP from its last plan."""

    def __init__(self, B: Blocks, threads: int, ycols: np.ndarray):
        self.B = B
        self.threads = threads
        self.pool = PricingPool(B, threads)
        self.pool.pricer.tight = set(range(len(B.cols)))  # (no tightened use: not needed here)
        self.lps: dict[int, Relaxation] = {}
        self._y = ycols  # per block: the column saying it is formed
        inside = np.concatenate([np.zeros(0, np.int64)] + [np.asarray(r, np.int64)
                                                           for r in B.rows])
        self._inside = inside  # the rows of the blocks (the others couple them)
        # the matrix entries of the rows across targets (fixed: the blocks'
        # prices of them come from these)
        m = B.lm
        self._across = np.isin(m.A.indices, B.coupling)
        self._held = m  # the model the blocks are of now
        self._closed = weakref.finalize(self, self.pool.close)

    @classmethod
    def of(cls, lm: LinearModel, V: Vars, n_targets: int, threads: int = 1,
           max_share: float = 1.0) -> Bounder | None:
        """None when the model does not split by target or one target holds
        more than ``max_share`` of its columns."""
        try:
            B = split(lm, V, n_targets)
        except NotDecomposable:
            return None
        if max(map(len, B.cols), default=0) > max_share * lm.n_cols:
            return None
        return cls(B, threads, np.asarray(V.y[:n_targets], np.int64))

    def fits(self, lm: LinearModel, threads: int) -> bool:
        """Can the blocks take ``lm``: a model of the same structure (columns,
        rows, sparsity, integrality) whose rows across targets have the same
        coefficients (costs, coefficients and limits of each block's own
        rows, column bounds and limits of the rows across targets may
        differ), priced on as many threads?"""
        m = self.B.lm
        if not self._closed.alive or threads != self.threads:
            return False
        if lm is m or lm.A is m.A:
            return True
        return bool(lm.n_cols == m.n_cols and lm.n_rows == m.n_rows
                    and np.array_equal(lm.A.indptr, m.A.indptr)
                    and np.array_equal(lm.A.indices, m.A.indices)
                    and np.array_equal(lm.integer, m.integer)
                    and np.array_equal(lm.A.data[self._across], m.A.data[self._across])
                    and np.array_equal(np.isfinite(lm.row_lo[self.B.coupling]),
                                       np.isfinite(m.row_lo[self.B.coupling])))

    def close(self) -> None:
        """Stop the pricing threads (also when the bounder is collected)."""
        self._closed()

    def _take(self, lm: LinearModel) -> None:
        """Every block as it is in ``lm`` (:meth:`fits`): its columns' bounds,
        and where they differ, its costs, coefficients and row limits (passed
        to its HiGHS objects; its LP takes its own at its next solve)."""
        B, pricer = self.B, self.pool.pricer
        held, r = self._held, self._inside
        same_rows = (lm.A is held.A or np.array_equal(lm.A.data, held.A.data)) and (
            (lm.row_lo is held.row_lo and lm.row_hi is held.row_hi)
            or (np.array_equal(lm.row_lo[r], held.row_lo[r])
                and np.array_equal(lm.row_hi[r], held.row_hi[r])))
        same_obj = lm.obj is self._held.obj or np.array_equal(lm.obj, self._held.obj)
        for k, cols in enumerate(B.cols):
            b = pricer.blocks[k]
            old = b.model
            if same_rows and same_obj:
                lb, ub = lm.lb[cols], lm.ub[cols]
                if np.array_equal(lb, old.lb) and np.array_equal(ub, old.ub):
                    continue
                new = replace(old, lb=lb.copy(), ub=ub.copy())
            else:
                new = block_model(B, k, lm)
            b.model = new
            b.forced = bool(lm.lb[self._y[k]] > 0.5)
            B.forced[k] = b.forced
            h = pricer.h.get(k)
            if h is not None:
                # (the costs are set at each pricing, from the block's own)
                hb.push_changes(h, replace(old, obj=new.obj), new)
            last = self.pool.last.get(k)
            if last is not None and not new.is_feasible(last):
                del self.pool.last[k]  # (no longer a plan of the block)
        self._held = lm

    def bound(self, lm: LinearModel, row_dual: np.ndarray,
              deadline: float | None = None) -> TargetBound | None:
        """The bound by target of ``lm`` (this model within its own column
        bounds: :meth:`fits`) at the LP duals ``row_dual``, or None when a
        block's bound is not proven by ``deadline``."""
        B = self.B
        if lm is not self._held:
            self._take(lm)
        # the sign convention that bounds the LP (as lagrange.best_bound picks it)
        y = np.asarray(row_dual, float)
        if lagrange.bound(lm, y, lm.lb, lm.ub).value > lagrange.bound(lm, -y, lm.lb, lm.ub).value:
            y = -y
        lam = np.maximum(y[B.coupling], 0.0)
        nb = len(B.cols)
        pool = self.pool
        # Each block's LP first (from its last basis): its bound, reduced costs
        # and, where its optimum is integral, its priced MILP's optimum too
        # (39 of 50 blocks on provincial seed 1); only the others are priced.
        d = np.zeros(lm.n_cols)
        lp = np.full(nb, np.inf)  # (an LP without duals: no bound, no fixings from it)
        integral = np.zeros(nb, bool)
        block_of = np.zeros(lm.n_cols, np.int64)
        for k in range(nb):
            b = pool.pricer.blocks[k]
            cols = B.cols[k]
            block_of[cols] = k
            got = self._lp_bound(k, b.model, b.model.obj - b.AcT @ lam)
            if got is not None:
                lp[k], d[cols], integral[k] = got
        term = np.where(integral, lp, np.inf)
        priced = [k for k in range(nb) if not integral[k]]
        try:
            for k, ub, _xs, done in pool.price_all(priced, lam, deadline):
                if not done or not np.isfinite(ub):
                    pool.cancel()
                    self.close()
                    return None
                term[k] = ub
        except BaseException:  # (Ctrl-C: the blocks still queued are not priced)
            pool.cancel()
            self.close()
            raise
        term = np.minimum(term, lp)  # (both bound the block)
        term = np.where(B.forced, term, np.maximum(term, 0.0))  # (unformed is worth 0)
        value = lm.obj_offset + float(lam @ lm.row_hi[B.coupling]) + float(term.sum())
        return TargetBound(value, term, np.maximum(lp, term), d, block_of)

    def _lp_bound(self, k: int, m: LinearModel, obj: np.ndarray
                  ) -> tuple[float, np.ndarray, bool] | None:
        """Block ``k``'s LP bound under objective ``obj``, its reduced costs,
        from its LP duals (valid whatever the duals: :func:`.lagrange.bound`),
        and whether the LP's optimum is integral (then the bound is the
        block's MILP optimum), the LP solved from its last basis."""
        relaxed = replace(m, obj=obj)
        rel = self.lps.get(k)
        if rel is None:
            rel = self.lps[k] = Relaxation(relaxed)
        else:
            rel.update(relaxed)
        lp = rel.solve(m.lb, m.ub, SolverOptions(threads=1))
        if lp.status != "optimal" or lp.row_dual is None:
            return None
        bd = lagrange.best_bound(relaxed, lp.row_dual, m.lb, m.ub)
        x = lp.x
        integral = x is not None and relaxed.is_feasible(np.where(m.integer, np.round(x), x)) \
            and float(obj @ np.where(m.integer, np.round(x), x)) >= bd.value - 1e-9 * max(
                1.0, abs(bd.value))
        return bd.value, bd.d, bool(integral)
