"""Many solves of nearly the same model, without rebuilding it each time.

A :class:`Session` keeps one model loaded in HiGHS. A variant of the instance
(a sweep scenario, a stress scenario) is built to a :class:`LinearModel` with
numpy, which is cheap, and compared with the loaded one: if the sparsity
pattern is the same, only the costs, bounds and changed coefficients are
passed to the persistent HiGHS objects; otherwise the model is reloaded.

Models large enough for the exact engine (``solve.method_for``) are re-solved
by :class:`consortium.engine.exact.Engine`, which keeps the LP relaxation's
basis (a budget change is a few dual simplex steps) and starts from the best
known plan, so that one restricted MILP proves the new optimum. A session also
remembers what it has proven (:class:`Proven`): a scenario whose rows and
bounds all lie within those of a solved one cannot do better than that one's
bound, and a plan still feasible in it is worth its value; when the two meet,
the scenario is answered exactly without a solve (budget sweeps over a range
where the budget no longer binds, stress tests that drop unused actors).

Analyses that bar actors from consortia (marginal values, stress tests) use
:meth:`Session.solve_barred`, which only changes column bounds and restores
them afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace

import highspy
import numpy as np

from .backends import highs
from .backends.base import RawResult, SolverOptions, Status
from .instance import Instance
from .model.linear import LinearModel
from .plan import Solution
from .solve import Built, build, method_for, run_backend, solution_from_raw, unformed_reasons


def same_structure(a: LinearModel, b: LinearModel) -> bool:
    return (
        a.n_cols == b.n_cols
        and a.n_rows == b.n_rows
        and np.array_equal(a.integer, b.integer)
        and np.array_equal(a.A.indptr, b.A.indptr)
        and np.array_equal(a.A.indices, b.A.indices)
    )


@dataclass
class Proven:
    """One solved scenario: its limits, its proven bound and its plan."""

    lb: np.ndarray
    ub: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    bound: float | None  # proven upper bound on the scenario's optimum
    x: np.ndarray | None  # its plan


# How many solved scenarios a session keeps for the dominance test.
PROVEN_KEEP = 64


class Session:
    """One model kept loaded in HiGHS across many re-solves."""

    def __init__(self, inst: Instance, opts: SolverOptions | None = None):
        self.opts = opts or SolverOptions()
        self.b: Built = build(inst)
        self._h: highspy.Highs | None = None  # made at the first MILP solve
        self._engine = None  # the exact engine, made at its first solve
        self.last_x: np.ndarray | None = None
        self.reloads = 0
        self.updates = 0
        self.skipped = 0  # scenarios answered from earlier proofs, without a solve
        self.proven: list[Proven] = []

    @property
    def inst(self) -> Instance:
        return self.b.md.inst

    @property
    def engine(self):
        if self._engine is None:
            from .engine.exact import Engine

            self._engine = Engine(self.b.lm)
            if self._h is not None:
                self._engine._h = self._h
        return self._engine

    @property
    def h(self) -> highspy.Highs:
        """The HiGHS object holding the model, loaded on first use (a session
        whose scenarios are all decomposed by target never needs it)."""
        if self._h is None:
            self._h = self._engine.h if self._engine is not None else highs.to_highs(self.b.lm)
        return self._h

    @h.setter
    def h(self, value: highspy.Highs | None) -> None:
        self._h = value
        if self._engine is not None:
            self._engine._h = value

    @property
    def loaded(self) -> bool:
        return self._h is not None or self._engine is not None

    def _load(self, b: Built) -> None:
        old = self.b.lm
        new = b.lm
        if not same_structure(old, new):
            self.proven = []
        if self._h is None and self._engine is None:
            pass  # nothing loaded yet: the first MILP solve loads the new model
        elif same_structure(old, new):
            if self._engine is not None:
                self._engine.update(new)  # the LP and the MILP object (shared with self.h)
            else:
                n, m = new.n_cols, new.n_rows
                idx = np.arange(n, dtype=np.int32)
                if not np.array_equal(old.obj, new.obj):
                    self.h.changeColsCost(n, idx, new.obj)
                if not (np.array_equal(old.lb, new.lb) and np.array_equal(old.ub, new.ub)):
                    self.h.changeColsBounds(n, idx, new.lb, new.ub)
                if not (np.array_equal(old.row_lo, new.row_lo) and np.array_equal(old.row_hi, new.row_hi)):
                    self.h.changeRowsBounds(m, np.arange(m, dtype=np.int32), new.row_lo, new.row_hi)
                diff = np.nonzero(old.A.data != new.A.data)[0]
                if len(diff):
                    cols = np.repeat(np.arange(n), np.diff(new.A.indptr))
                    for k in diff:
                        self.h.changeCoeff(int(new.A.indices[k]), int(cols[k]), float(new.A.data[k]))
            self.updates += 1
        else:
            self._engine = None
            self._h = None
            self.reloads += 1
        if not (np.array_equal(old.obj, new.obj) and np.array_equal(old.A.data, new.A.data)
                and old.obj_offset == new.obj_offset):
            self.proven = []  # other objective or coefficients: earlier proofs say nothing
        self.b = b

    def start_for(self, lm: LinearModel) -> np.ndarray | None:
        if lm.is_feasible(self.last_x):
            return self.last_x
        if not any(self.b.md.forced(v.index) for v in self.b.md.views):
            return np.zeros(lm.n_cols)  # forming nothing is feasible
        return None

    # ------------------------------------------------ what earlier solves proved

    def _known(self, lb: np.ndarray, ub: np.ndarray) -> tuple[float | None, np.ndarray | None, float | None]:
        """(best upper bound, best feasible plan, its value) that earlier proven
        scenarios give for the loaded model with column bounds lb..ub."""
        lm = self.b.lm
        upper, best_x, best_z = None, None, None
        here = replace(lm, lb=lb, ub=ub)
        for p in self.proven:
            if p.bound is not None and np.all(p.lb <= lb) and np.all(p.ub >= ub) \
                    and np.all(p.row_lo <= lm.row_lo) and np.all(p.row_hi >= lm.row_hi):
                # every plan of this scenario is a plan of that one
                upper = p.bound if upper is None else min(upper, p.bound)
            if p.x is not None and here.is_feasible(p.x):
                z = float(lm.obj @ p.x + lm.obj_offset)
                if best_z is None or z > best_z:
                    best_x, best_z = p.x, z
        return upper, best_x, best_z

    def _remember(self, lb: np.ndarray, ub: np.ndarray, raw: RawResult) -> None:
        if raw.interrupted or raw.status not in (Status.OPTIMAL, Status.FEASIBLE):
            return
        lm = self.b.lm
        self.proven.append(Proven(lb.copy(), ub.copy(), lm.row_lo.copy(), lm.row_hi.copy(),
                                  raw.bound, None if raw.x is None else raw.x.copy()))
        del self.proven[:-PROVEN_KEEP]

    def target_columns(self, targets: Iterable[int]) -> np.ndarray:
        """A mask of the columns made for the given targets."""
        V = self.b.V
        mask = np.zeros(self.b.lm.n_cols, bool)
        for t in targets:
            mask[V.y[t]] = True
        for v in V.views:
            if v.index in targets:
                for cols in (V.site[v.index], V.x[v.index], V.lead[v.index]):
                    mask[cols] = True
        for (t, _a, _b, _w, c) in V.ties:
            if t in targets:
                mask[c] = True
        return mask

    def _exact(self, o: SolverOptions, start: np.ndarray | None, lb: np.ndarray, ub: np.ndarray,
               local: np.ndarray | None = None) -> RawResult:
        """The engine's solve (or HiGHS's on the one MILP, for models below the
        engine's size), unless earlier proofs already settle it."""
        t0 = time.perf_counter()
        upper, x, z = self._known(lb, ub)
        if x is not None and upper is not None:
            tol = max(o.gap * max(abs(z), 1e-9), 1e-6 * max(1.0, abs(z)))
            if upper - z <= tol:
                self.skipped += 1
                return RawResult(status=Status.OPTIMAL, x=x, objective=z, bound=max(upper, z),
                                 gap=abs(max(upper, z) - z) / max(abs(z), 1e-9),
                                 time_s=time.perf_counter() - t0, solver="highs", version=highs.version(),
                                 message="Optimal (a plan of an earlier scenario meets the bound an earlier "
                                         "scenario proved; no solve needed)")
        if x is not None:
            zs = None if start is None or not replace(self.b.lm, lb=lb, ub=ub).is_feasible(start) \
                else float(self.b.lm.obj @ start + self.b.lm.obj_offset)
            if zs is None or z > zs:
                start = x
        if method_for(self.b, o) == "exact":
            raw = self.engine.solve(o, start, lb, ub, upper=upper, local=local)
        else:
            raw = self._milp(o, start, lb, ub)
        self._remember(lb, ub, raw)
        return raw

    def _milp(self, o: SolverOptions, start: np.ndarray | None, lb: np.ndarray, ub: np.ndarray
              ) -> RawResult:
        """HiGHS on the loaded MILP with column bounds lb..ub (restored after)."""
        lm = self.b.lm
        n = lm.n_cols
        idx = np.arange(n, dtype=np.int32)
        differs = self._engine is not None or not (np.array_equal(lb, lm.lb) and np.array_equal(ub, lm.ub))
        if differs:
            self.h.changeColsBounds(n, idx, lb, ub)
        try:
            return highs.solve(replace(lm, lb=lb, ub=ub), o, start, h=self.h)
        finally:
            if differs and not highs.abandoned(self.h):
                self.h.changeColsBounds(n, idx, lm.lb, lm.ub)

    # ------------------------------------------------------------- solving

    def solve(self, inst: Instance | None = None, *, reasons: bool = False,
              opts: SolverOptions | None = None) -> Solution:
        """Solve the loaded instance, or a variant of it (same ids)."""
        t0 = time.perf_counter()
        if inst is not None:
            self._load(build(inst))
        o = opts or self.opts
        start = self.start_for(self.b.lm)
        method = method_for(self.b, o)
        if method == "decompose":
            # by target, as `consortium solve` would (its own HiGHS objects)
            raw = run_backend(self.b, o, "highs", start)
        else:
            raw = self._exact(o, start, self.b.lm.lb, self.b.lm.ub)
        if raw.x is not None:
            self.last_x = raw.x
        sol = solution_from_raw(self.b, raw, time.perf_counter() - t0)
        if reasons and sol.status.has_plan:
            sol.unformed = unformed_reasons(self.b, sol, o)
        return sol

    def barred_columns(self, pairs: Iterable[tuple[int, int]]) -> np.ndarray:
        """Columns (membership and lead) of actor a in target t, for (t, a) pairs;
        ``t = -1`` bars the actor from every target."""
        V = self.b.V
        cols = []
        for t, a in pairs:
            views = V.views if t < 0 else [v for v in V.views if v.index == t]
            for v in views:
                hit = np.nonzero(v.actors == a)[0]
                if not len(hit):
                    continue
                i = int(hit[0])
                cols.append(V.x[v.index][v.ptr[i]:v.ptr[i + 1]])
                cols.append(V.lead[v.index][V.lead_local[v.index] == i])
        return np.concatenate(cols).astype(np.int32) if cols else np.zeros(0, np.int32)

    def solve_barred(self, cols: np.ndarray, opts: SolverOptions | None = None,
                     formed: np.ndarray | None = None, affected: Iterable[int] | None = None) -> RawResult:
        """Re-solve with the given columns fixed to 0 and the columns ``formed``
        (targets' ``y``) fixed to 1; the model itself is left as it is.
        ``affected``: targets whose consortia the change touches (the exact
        engine first re-plans them alone around the last plan)."""
        lm = self.b.lm
        cols = np.asarray(cols, np.int32)
        ones = np.zeros(0, np.int32) if formed is None else np.asarray(formed, np.int32)
        o = opts or self.opts
        start = None
        if self.last_x is not None and not np.any(self.last_x[cols] > 0.5) \
                and not np.any(self.last_x[ones] < 0.5):
            start = self.last_x
        elif not len(ones) and not any(self.b.md.forced(v.index) for v in self.b.md.views):
            start = np.zeros(lm.n_cols)
        lb, ub = lm.lb.copy(), lm.ub.copy()
        ub[cols] = 0.0
        lb[ones] = 1.0
        local = None
        if affected is not None and start is not None:
            local = self.target_columns(set(affected))
        return self._exact(o, start, lb, ub, local)
