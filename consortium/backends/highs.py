"""HiGHS through highspy, in memory: the matrix goes straight to ``passModel``.

No highspy object leaves the back ends: callers hand in a
:class:`~consortium.model.linear.LinearModel` and get a
:class:`~consortium.backends.base.RawResult`; a model kept loaded across
re-solves is a :class:`LoadedModel`.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import highspy
import numpy as np

from ..model.linear import LinearModel
from .base import Progress, RawResult, SolverOptions, Status
from .runs import ABANDONED, run_guarded

MS = highspy.HighsModelStatus
# HiGHS model status -> our status, given whether a primal solution exists.
# One explicit table (as linopy does), so every HiGHS outcome has a meaning.
STATUS_TABLE: dict[MS, tuple[Status, Status]] = {
    # status:          (with a plan,        without a plan)
    MS.kOptimal: (Status.OPTIMAL, Status.NO_SOLUTION),
    MS.kInfeasible: (Status.INFEASIBLE, Status.INFEASIBLE),
    MS.kTimeLimit: (Status.FEASIBLE, Status.NO_SOLUTION),
    MS.kIterationLimit: (Status.FEASIBLE, Status.NO_SOLUTION),
    MS.kSolutionLimit: (Status.FEASIBLE, Status.NO_SOLUTION),
    MS.kInterrupt: (Status.FEASIBLE, Status.NO_SOLUTION),
    MS.kHighsInterrupt: (Status.FEASIBLE, Status.NO_SOLUTION),  # type: ignore[attr-defined]  # not in highspy's stubs
    MS.kObjectiveBound: (Status.FEASIBLE, Status.NO_SOLUTION),
    MS.kObjectiveTarget: (Status.FEASIBLE, Status.NO_SOLUTION),
    MS.kMemoryLimit: (Status.FEASIBLE, Status.NO_SOLUTION),
    MS.kModelEmpty: (Status.OPTIMAL, Status.OPTIMAL),
    # Every variable is bounded, so "unbounded" can only mean infeasible.
    MS.kUnboundedOrInfeasible: (Status.INFEASIBLE, Status.INFEASIBLE),
    MS.kUnbounded: (Status.NO_SOLUTION, Status.NO_SOLUTION),
    MS.kNotset: (Status.NO_SOLUTION, Status.NO_SOLUTION),
    MS.kLoadError: (Status.ERROR, Status.ERROR),
    MS.kModelError: (Status.ERROR, Status.ERROR),
    MS.kPresolveError: (Status.ERROR, Status.ERROR),
    MS.kSolveError: (Status.ERROR, Status.ERROR),
    MS.kPostsolveError: (Status.ERROR, Status.ERROR),
    MS.kUnknown: (Status.FEASIBLE, Status.NO_SOLUTION),
}


def version() -> str:
    return (
        f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"
    )


def new_highs() -> highspy.Highs:
    """A silent Highs object. HiGHS 1.16 prints a banner on stdout when the
    object is made, which would corrupt ``--json`` output: hide fd 1 meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return h


def to_highs(lm: LinearModel) -> highspy.Highs:
    """Load the model into a fresh, silent Highs object (no files)."""
    h = new_highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_ = lm.n_cols
    lp.num_row_ = lm.n_rows
    lp.col_cost_ = lm.obj
    lp.col_lower_ = lm.lb
    lp.col_upper_ = lm.ub
    lp.row_lower_ = lm.row_lo
    lp.row_upper_ = lm.row_hi
    lp.offset_ = lm.obj_offset
    lp.sense_ = highspy.ObjSense.kMaximize
    A = lm.A
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = lm.n_cols
    lp.a_matrix_.num_row_ = lm.n_rows
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data
    h.passModel(lp)
    idx = np.nonzero(lm.integer)[0].astype(np.int32)
    if len(idx):
        kinds = np.full(len(idx), int(highspy.HighsVarType.kInteger), dtype=np.uint8)
        h.changeColsIntegrality(len(idx), idx, kinds)
    return h


def apply_options(h: highspy.Highs, opts: SolverOptions) -> None:
    for k, v in opts.highs.items():
        h.setOptionValue(k, v)
    h.setOptionValue("mip_rel_gap", float(opts.gap))
    if opts.time_limit is not None:
        h.setOptionValue("time_limit", float(opts.time_limit))
    if opts.threads is not None:
        h.setOptionValue("threads", int(opts.threads))
    h.setOptionValue("output_flag", bool(opts.log or opts.on_progress))
    log_to_stderr(h, opts.log)


def _write_log(e: Any) -> None:
    sys.stderr.write(e.message)
    sys.stderr.flush()


def log_to_stderr(h: highspy.Highs, on: bool) -> None:
    """HiGHS's own log on stderr, or nowhere. HiGHS's ``log_to_console``
    writes to stdout, where it would corrupt ``--json`` and any redirected
    result: the log comes through its logging callback instead."""
    h.setOptionValue("log_to_console", False)
    h.cbLogging.clear()
    if on:
        h.setOptionValue("output_flag", True)
        h.cbLogging.subscribe(_write_log)


def run_highs(lm: LinearModel, opts: SolverOptions, start: np.ndarray | None = None,
              h: highspy.Highs | None = None) -> RawResult:
    """Solve ``lm`` with HiGHS (or re-solve a Highs object already holding it),
    from the plan ``start`` if given, within ``opts``."""
    t0 = time.perf_counter()
    if h is None:
        h = to_highs(lm)
    apply_options(h, opts)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    if opts.on_progress is not None:
        cb = opts.on_progress

        def _report(e):  # highspy fires MIP logging callbacks only with output on
            out = e.data_out
            inc = out.objective_function_value if np.isfinite(out.mip_primal_bound) else None
            cb(Progress(out.running_time, inc, out.mip_dual_bound, out.mip_gap,
                        int(out.mip_node_count)))

        h.cbMipLogging.subscribe(_report)
        h.cbMipImprovingSolution.subscribe(_report)
    finished, interrupted = run_guarded(h, opts.time_limit)
    if opts.on_progress is not None and finished:
        h.cbMipLogging.clear()
        h.cbMipImprovingSolution.clear()
    if not finished:
        # HiGHS did not stop (its presolve does not always look at the clock or
        # at cancelSolve). Leave it running in its daemon thread and answer with
        # the starting plan, so the command returns on time.
        return _cut_off(start, t0, interrupted,
                        "time limit reached before HiGHS finished presolve; returned the starting "
                        "plan")
    ms, info, has_plan = _outcome(h)
    retried = False
    if start is not None and has_plan and finished and not _objective_consistent(lm, h, info):
        # HiGHS 1.16 can accept a starting plan that its presolve's reductions
        # exclude, value it wrongly in the reduced space and stop with it as
        # "optimal" (r04 in the regression set shows it). The plan it returns
        # then disagrees with the objective it reports: solve again without it.
        h.clearSolver()
        finished, interrupted = run_guarded(h, opts.time_limit)
        retried = True
        if not finished:
            return _cut_off(start, t0, interrupted,
                            "time limit reached while solving again without the starting plan")
        ms, info, has_plan = _outcome(h)
    status = STATUS_TABLE.get(ms, (Status.NO_SOLUTION, Status.NO_SOLUTION))[0 if has_plan else 1]
    x = np.asarray(h.getSolution().col_value) if has_plan else None
    bound = info.mip_dual_bound if lm.integer.any() else info.objective_function_value
    obj = info.objective_function_value if has_plan else None
    gap = info.mip_gap if lm.integer.any() else (0.0 if has_plan else None)
    if ms in (MS.kInterrupt, MS.kHighsInterrupt):  # type: ignore[attr-defined]  # not in highspy's stubs
        interrupted = True
    return RawResult(
        status=status,
        x=x,
        objective=obj,
        bound=bound if bound is not None and np.isfinite(bound) else None,
        gap=gap if gap is not None and np.isfinite(gap) else None,
        time_s=time.perf_counter() - t0,
        solver="highs",
        version=version(),
        message=h.modelStatusToString(ms)
        + (
            " (solved again without the starting plan, which HiGHS had valued wrongly)"
            if retried
            else ""
        ),
        interrupted=interrupted,
    )


def _outcome(h: highspy.Highs) -> tuple[Any, Any, bool]:
    """HiGHS's model status, its info, and whether it holds a feasible plan."""
    info = h.getInfo()
    return h.getModelStatus(), info, info.primal_solution_status == highspy.kSolutionStatusFeasible


def _cut_off(start: np.ndarray | None, t0: float, interrupted: bool, message: str) -> RawResult:
    """HiGHS did not finish in time: the starting plan (if any) is the answer."""
    has = start is not None
    return RawResult(status=Status.FEASIBLE if has else Status.NO_SOLUTION,
                     x=np.asarray(start, float) if has else None, objective=None, bound=None,
                     gap=None, time_s=time.perf_counter() - t0, solver="highs", version=version(),
                     message=message, interrupted=interrupted)


def _objective_consistent(lm: LinearModel, h: highspy.Highs, info) -> bool:
    """Does the objective HiGHS reports match the plan it returns?"""
    x = np.asarray(h.getSolution().col_value)
    if len(x) != lm.n_cols:
        return False
    mine = float(lm.obj @ x + lm.obj_offset)
    theirs = float(info.objective_function_value)
    return abs(mine - theirs) <= 1e-6 * max(1.0, abs(mine), abs(theirs))


def invalid_option(options: dict[str, Any]) -> str | None:
    """The first of these HiGHS options whose value HiGHS rejects, or None."""
    h = new_highs()
    for k, v in options.items():
        if h.setOptionValue(k, v) != highspy.HighsStatus.kOk:
            return k
    return None


def same_structure(a: LinearModel, b: LinearModel) -> bool:
    """Same columns, rows, integrality and sparsity pattern (values may differ)."""
    return (
        a.n_cols == b.n_cols
        and a.n_rows == b.n_rows
        and np.array_equal(a.integer, b.integer)
        and np.array_equal(a.A.indptr, b.A.indptr)
        and np.array_equal(a.A.indices, b.A.indices)
    )


def push_changes(h: highspy.Highs, old: LinearModel, new: LinearModel, bounds: bool = True) -> None:
    """Pass what differs between two models of the same structure to ``h``
    (which holds ``old``): costs, row limits, coefficients and, with
    ``bounds``, column bounds."""
    n, m = new.n_cols, new.n_rows
    idx = np.arange(n, dtype=np.int32)
    if not np.array_equal(old.obj, new.obj):
        h.changeColsCost(n, idx, new.obj)
    if bounds and not (np.array_equal(old.lb, new.lb) and np.array_equal(old.ub, new.ub)):
        h.changeColsBounds(n, idx, new.lb, new.ub)
    if not (np.array_equal(old.row_lo, new.row_lo) and np.array_equal(old.row_hi, new.row_hi)):
        h.changeRowsBounds(m, np.arange(m, dtype=np.int32), new.row_lo, new.row_hi)  # type: ignore[attr-defined]
    diff = np.nonzero(old.A.data != new.A.data)[0]
    if len(diff):
        cols = np.repeat(np.arange(n), np.diff(new.A.indptr))
        for k in diff:
            h.changeCoeff(int(new.A.indices[k]), int(cols[k]), float(new.A.data[k]))


class LoadedModel:
    """A :class:`LinearModel` kept loaded in one Highs object across re-solves.

    :meth:`update` passes only what changed to HiGHS when the new model has the
    same structure (costs, bounds, row limits, changed coefficients) and
    reloads otherwise; :meth:`fix_columns` bars columns for one solve.
    """

    def __init__(self, lm: LinearModel):
        self.lm = lm
        self._h = to_highs(lm)

    def update(self, new: LinearModel) -> bool:
        """Hold ``new`` instead; True if it was updated in place, False if reloaded."""
        old, h = self.lm, self._h
        self.lm = new
        if not same_structure(old, new):
            self._h = to_highs(new)
            return False
        push_changes(h, old, new)
        return True

    def reload(self) -> None:
        """A fresh Highs object with the model (the old one is still busy)."""
        self._h = to_highs(self.lm)

    def set_bounds(self, cols: np.ndarray, lb: np.ndarray | float, ub: np.ndarray | float) -> None:
        cols = np.asarray(cols, np.int32)
        if len(cols):
            lo = np.broadcast_to(np.asarray(lb, float), cols.shape).copy()
            hi = np.broadcast_to(np.asarray(ub, float), cols.shape).copy()
            self._h.changeColsBounds(len(cols), cols, lo, hi)

    def restore_bounds(self, cols: np.ndarray) -> None:
        """Back to the model's own bounds for these columns."""
        cols = np.asarray(cols, np.int32)
        self.set_bounds(cols, self.lm.lb[cols], self.lm.ub[cols])

    @property
    def busy(self) -> bool:
        """Is a run abandoned at its deadline still using the Highs object?"""
        return ABANDONED.holds(self._h)

    def run(self, opts: SolverOptions, start: np.ndarray | None = None) -> RawResult:
        return run_highs(self.lm, opts, start, h=self._h)

    def run_within(
        self, lb: np.ndarray, ub: np.ndarray, opts: SolverOptions, start: np.ndarray | None = None
    ) -> RawResult:
        """Solve with these bounds on every column (the exact engine's restricted
        models), then back to the model's own bounds."""
        from dataclasses import replace

        n = self.lm.n_cols
        idx = np.arange(n, dtype=np.int32)
        h = self._h
        h.changeColsBounds(n, idx, np.asarray(lb, float), np.asarray(ub, float))
        h.clearSolver()  # nothing of an earlier round's search carries over
        try:
            return run_highs(replace(self.lm, lb=lb, ub=ub), opts, start, h=h)
        finally:
            if not ABANDONED.holds(h):
                h.changeColsBounds(n, idx, self.lm.lb, self.lm.ub)
