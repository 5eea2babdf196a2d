"""HiGHS objects kept for the exact re-solve engine (:mod:`consortium.engine`).

Two objects per model, both loaded once and then only changed:

* :class:`Relaxation` holds the model with integrality dropped. Its optimal
  row duals give the Lagrangian bound and the reduced costs that the engine
  fixes columns with. Re-solves after a change of bounds (a budget, barred
  actors) start from the previous basis (dual simplex), which is why the
  object is kept.
* the MILP rounds run on the :class:`~consortium.backends.highs.LoadedModel`
  of the same model (:meth:`~consortium.backends.highs.LoadedModel.run_within`).

No highspy object leaves this module or :mod:`consortium.backends.highs`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from ..model.linear import LinearModel
from . import highs
from .base import SolverOptions
from .runs import INTERRUPTS, TIME_LIMIT, run_guarded

MS = highspy.HighsModelStatus


@dataclass
class LpResult:
    status: str  # "optimal", "infeasible" or "unknown" (time limit, interrupt, numerical trouble)
    objective: float | None
    row_dual: np.ndarray | None
    time_s: float
    stopped: str | None = None  # what cut the LP short (runs.TIME_LIMIT, "Ctrl-C", "SIGTERM")
    x: np.ndarray | None = None  # the optimal solution (when optimal)

    @property
    def interrupted(self) -> bool:
        return self.stopped in INTERRUPTS


class Relaxation:
    """The LP relaxation of one model, kept loaded between re-solves."""

    def __init__(self, lm: LinearModel):
        self.lm = lm
        self._load()

    def _load(self) -> None:
        """A fresh Highs object with the model, integrality dropped."""
        lm = self.lm
        self.h = highs.to_highs(lm)
        self._held = lm  # the model the Highs object holds
        n = lm.n_cols
        if n:
            self.h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, np.uint8))
        self.lb = lm.lb.copy()
        self.ub = lm.ub.copy()

    def update(self, lm: LinearModel) -> None:
        """Take a model of the same structure (costs, row limits, coefficients may
        differ; column bounds are set by each :meth:`solve`), passed to HiGHS
        at the next :meth:`solve`."""
        self.lm = lm

    def solve(self, lb: np.ndarray, ub: np.ndarray, opts: SolverOptions) -> LpResult:
        t0 = time.perf_counter()
        if self._held is not self.lm:
            highs.push_changes(self.h, self._held, self.lm, bounds=False)
            self._held = self.lm
        changed = np.nonzero((lb != self.lb) | (ub != self.ub))[0].astype(np.int32)
        if len(changed):
            self.h.changeColsBounds(len(changed), changed, lb[changed], ub[changed])
            self.lb[changed] = lb[changed]
            self.ub[changed] = ub[changed]
        h = self.h
        # The simplex from the kept basis; presolve would discard it (and costs
        # more than it saves on these models: 1.17 s against 0.36 s cold on a
        # provincial instance).
        h.setOptionValue("presolve", "off")
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("output_flag", False)
        h.setOptionValue(
            "time_limit", float(opts.time_limit) if opts.time_limit is not None else float("inf")
        )
        if opts.threads is not None:
            h.setOptionValue("threads", int(opts.threads))
        finished, stopped = run_guarded(h, opts.time_limit)
        dt = time.perf_counter() - t0
        if not finished:
            self._load()  # the abandoned object is never used for a solve again
            return LpResult("unknown", None, None, dt, stopped or TIME_LIMIT)
        ms = h.getModelStatus()
        if ms == MS.kOptimal:
            sol = h.getSolution()
            return LpResult(
                "optimal",
                float(h.getInfo().objective_function_value),
                np.asarray(sol.row_dual, float),
                dt,
                stopped,
                np.asarray(sol.col_value, float),
            )
        if ms in (MS.kInfeasible, MS.kUnboundedOrInfeasible):
            return LpResult("infeasible", None, None, dt, stopped)
        if stopped is None and ms == MS.kTimeLimit:
            stopped = TIME_LIMIT
        return LpResult("unknown", None, None, dt, stopped)

