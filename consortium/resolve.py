"""Many solves of nearly the same model, without rebuilding it each time.

A :class:`Session` keeps one model loaded in HiGHS. A variant of the instance
(a sweep scenario, a stress scenario) is built to a :class:`LinearModel` with
numpy, which is cheap, and compared with the loaded one: if the sparsity
pattern is the same, only the costs, bounds and changed coefficients are
passed to the persistent HiGHS object; otherwise the model is reloaded. The
previous plan is offered as a starting point when it is still feasible.

Analyses that bar actors from consortia (marginal values, stress tests) use
:meth:`Session.solve_barred`, which only changes column bounds and restores
them afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import highspy
import numpy as np

from .backends import highs
from .backends.base import RawResult, SolverOptions
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


class Session:
    """One model kept loaded in HiGHS across many re-solves."""

    def __init__(self, inst: Instance, opts: SolverOptions | None = None):
        self.opts = opts or SolverOptions()
        self.b: Built = build(inst)
        self._h: highspy.Highs | None = None  # made at the first MILP solve
        self.last_x: np.ndarray | None = None
        self.reloads = 0
        self.updates = 0

    @property
    def inst(self) -> Instance:
        return self.b.md.inst

    @property
    def h(self) -> highspy.Highs:
        """The HiGHS object holding the model, loaded on first use (a session
        whose scenarios are all decomposed by target never needs it)."""
        if self._h is None:
            self._h = highs.to_highs(self.b.lm)
        return self._h

    @h.setter
    def h(self, value: highspy.Highs | None) -> None:
        self._h = value

    @property
    def loaded(self) -> bool:
        return self._h is not None

    def _load(self, b: Built) -> None:
        old = self.b.lm
        new = b.lm
        if self._h is None:
            pass  # nothing loaded yet: the first MILP solve loads the new model
        elif same_structure(old, new):
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
            self.h = highs.to_highs(new)
            self.reloads += 1
        self.b = b

    def start_for(self, lm: LinearModel) -> np.ndarray | None:
        if lm.is_feasible(self.last_x):
            return self.last_x
        if not any(self.b.md.forced(v.index) for v in self.b.md.views):
            return np.zeros(lm.n_cols)  # forming nothing is feasible
        return None

    def solve(self, inst: Instance | None = None, *, reasons: bool = False,
              opts: SolverOptions | None = None) -> Solution:
        """Solve the loaded instance, or a variant of it (same ids)."""
        t0 = time.perf_counter()
        if inst is not None:
            self._load(build(inst))
        o = opts or self.opts
        start = self.start_for(self.b.lm)
        if method_for(self.b, o) == "decompose":
            # by target, as `consortium solve` would (its own HiGHS objects)
            raw = run_backend(self.b, o, "highs", start)
        else:
            raw = highs.solve(self.b.lm, o, start, h=self.h)
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

    def solve_barred(self, cols: np.ndarray, opts: SolverOptions | None = None) -> RawResult:
        """Re-solve with the given columns fixed to 0, then restore their bounds."""
        lm = self.b.lm
        cols = np.asarray(cols, np.int32)
        if len(cols):
            self.h.changeColsBounds(len(cols), cols, np.zeros(len(cols)), np.zeros(len(cols)))
        try:
            start = None
            if self.last_x is not None and not np.any(self.last_x[cols] > 0.5):
                start = self.last_x
            elif not any(self.b.md.forced(v.index) for v in self.b.md.views):
                start = np.zeros(lm.n_cols)
            return highs.solve(lm, opts or self.opts, start, h=self.h)
        finally:
            if len(cols):
                self.h.changeColsBounds(len(cols), cols, lm.lb[cols], lm.ub[cols])
