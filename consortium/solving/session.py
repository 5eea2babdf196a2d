"""Many solves of nearly the same model, without rebuilding it each time.

A :class:`Session` keeps one model loaded in HiGHS (a
:class:`~consortium.backends.highs.LoadedModel`). A variant of the instance (a
sweep scenario, a stress scenario) is built to a :class:`LinearModel` with
numpy, which is cheap, and handed to the loaded model: if the sparsity
pattern is the same, only the costs, bounds and changed coefficients are
passed to HiGHS; otherwise the model is reloaded. The previous plan is
offered as a starting point when it is still feasible.

Analyses that bar actors from consortia (marginal values, stress tests) use
:meth:`Session.solve_barred`, which only changes column bounds and restores
them afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np

from ..backends.base import RawResult, SolverOptions
from ..backends.highs import LoadedModel
from ..io.instance import Instance
from ..model.linear import LinearModel
from ..result.solution import Solution
from .build import Built, build
from .dispatch import method_for, run_backend
from .reasons import unformed_reasons
from .solve import solution_from_raw


class Session:
    """One model kept loaded in HiGHS across many re-solves."""

    def __init__(self, inst: Instance, opts: SolverOptions | None = None):
        self.opts = opts or SolverOptions()
        self.b: Built = build(inst)
        self._model: LoadedModel | None = None  # made at the first MILP solve
        self.last_x: np.ndarray | None = None
        self.reloads = 0
        self.updates = 0

    @property
    def inst(self) -> Instance:
        return self.b.md.inst

    @property
    def model(self) -> LoadedModel:
        """The model loaded in HiGHS, on first use (a session whose scenarios
        are all decomposed by target never needs it)."""
        if self._model is None:
            self._model = LoadedModel(self.b.lm)
        return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def busy(self) -> bool:
        """Is a HiGHS run abandoned at its time limit still using the loaded model?"""
        return self._model is not None and self._model.busy

    def refresh(self) -> None:
        """A fresh HiGHS object with the model if the old one is still busy."""
        if self.busy:
            self.model.reload()
            self.reloads += 1

    def _load(self, b: Built) -> None:
        if self._model is not None:  # else the first MILP solve loads the new model
            if self._model.update(b.lm):
                self.updates += 1
            else:
                self.reloads += 1
        self.b = b

    def start_for(self, lm: LinearModel) -> np.ndarray | None:
        """The plan to start a solve of ``lm`` from: the last plan if still
        feasible, forming nothing if that is feasible, else none."""
        if lm.is_feasible(self.last_x):
            return self.last_x
        if not any(self.b.md.forced(v.index) for v in self.b.md.views):
            return np.zeros(lm.n_cols)  # forming nothing is feasible
        return None

    def resolve(self, inst: Instance | None = None, *, reasons: bool = False,
                opts: SolverOptions | None = None) -> Solution:
        """Solve the loaded instance again, or a variant of it (same ids)."""
        t0 = time.perf_counter()
        if inst is not None:
            self._load(build(inst))
        o = opts or self.opts
        start = self.start_for(self.b.lm)
        if method_for(self.b, o) == "decompose":
            # by target, as `consortium solve` would (its own HiGHS objects)
            raw = run_backend(self.b, o, "highs", start)
        else:
            raw = self.model.run(o, start)
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
                     formed: int | None = None) -> RawResult:
        """Re-solve with the given columns fixed to 0 (and target ``formed``, if
        given, held formed), then restore their bounds."""
        lm = self.b.lm
        m = self.model
        cols = np.asarray(cols, np.int32)
        ycol = np.array([self.b.V.y[formed]],
                        np.int32) if formed is not None else np.zeros(0, np.int32)
        m.set_bounds(cols, 0.0, 0.0)
        m.set_bounds(ycol, 1.0, 1.0)
        try:
            start = None
            if self.last_x is not None and not np.any(self.last_x[cols] > 0.5):
                start = self.last_x
            elif not any(self.b.md.forced(v.index) for v in self.b.md.views):
                start = np.zeros(lm.n_cols)
            return m.run(opts or self.opts, start)
        finally:
            m.restore_bounds(cols)
            if not m.busy:  # a model still under a running solver is rebuilt by its owner
                m.restore_bounds(ycol)


def wait_for_abandoned(timeout: float | None = None) -> bool:
    """Wait (up to ``timeout`` s; None: as long as it takes) for HiGHS runs left
    going at a time limit to stop: they block every later solve of the
    process. True when none is left."""
    from ..backends.runs import ABANDONED

    return ABANDONED.settle(timeout)
