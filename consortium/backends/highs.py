"""HiGHS through highspy, in memory: the matrix goes straight to ``passModel``."""

from __future__ import annotations

import os
import sys
import threading
import time

import highspy
import numpy as np

from ..model.linear import LinearModel
from .base import Progress, RawResult, SolverOptions, Status

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
    MS.kHighsInterrupt: (Status.FEASIBLE, Status.NO_SOLUTION),
    MS.kObjectiveBound: (Status.FEASIBLE, Status.NO_SOLUTION),
    MS.kObjectiveTarget: (Status.FEASIBLE, Status.NO_SOLUTION),
    MS.kMemoryLimit: (Status.FEASIBLE, Status.NO_SOLUTION),
    MS.kModelEmpty: (Status.OPTIMAL, Status.OPTIMAL),
    # Every variable is bounded, so "unbounded" can only mean infeasible.
    MS.kUnboundedOrInfeasible: (Status.INFEASIBLE, Status.INFEASIBLE),
    MS.kUnbounded: (Status.NO_SOLUTION, Status.NO_SOLUTION),
    MS.kNotset: (Status.NO_SOLUTION, Status.NO_SOLUTION),
    MS.kLoadError: (Status.NO_SOLUTION, Status.NO_SOLUTION),
    MS.kModelError: (Status.NO_SOLUTION, Status.NO_SOLUTION),
    MS.kPresolveError: (Status.NO_SOLUTION, Status.NO_SOLUTION),
    MS.kSolveError: (Status.NO_SOLUTION, Status.NO_SOLUTION),
    MS.kPostsolveError: (Status.NO_SOLUTION, Status.NO_SOLUTION),
    MS.kUnknown: (Status.FEASIBLE, Status.NO_SOLUTION),
}


def version() -> str:
    return f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}.{highspy.HIGHS_VERSION_PATCH}"


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
    h.setOptionValue("log_to_console", bool(opts.log))


class Run:
    """One HiGHS run in a daemon thread of its own.

    highspy's ``startSolve``/``wait`` keep their locks on the *class*, so one
    run left going after its deadline would block every later run in the
    process ("Solver is already running"). ``Highs.run`` releases the GIL, so
    a plain thread per run does the same job without that coupling."""

    def __init__(self, h: highspy.Highs):
        self.h = h
        self.done = threading.Event()
        self.stop = False
        self.error: BaseException | None = None
        # HiGHS asks these callbacks whether to stop (simplex, IPM, MIP search).
        self._hooks = (h.cbSimplexInterrupt, h.cbIpmInterrupt, h.cbMipInterrupt)
        for hook in self._hooks:
            hook.subscribe(self._interrupt)
        self.thread = threading.Thread(target=self._work, daemon=True, name="highs-run")
        self.thread.start()

    def _interrupt(self, e) -> None:
        if self.stop:
            e.interrupt()

    def cancel(self) -> None:
        """Ask HiGHS to stop at its next check (presolve does not check)."""
        self.stop = True

    def _work(self) -> None:
        try:
            self.h.run()
        except BaseException as e:  # reported by solve(), never lost
            self.error = e
        finally:
            for hook in self._hooks:
                try:
                    hook.unsubscribe(self._interrupt)
                except Exception:
                    pass
            self.done.set()

    def wait(self, timeout: float | None = None) -> tuple[bool, None]:
        """Like highspy's ``Highs.wait``: (finished, None)."""
        return self.done.wait(timeout), None


# Runs still going after their deadline (see ``solve``); kept referenced so
# their Highs objects are not destroyed under the running thread.
ABANDONED: list[Run] = []
GRACE_INTERRUPT_S = 2.0  # how long to wait for HiGHS after Ctrl-C


def abandoned(h: highspy.Highs) -> bool:
    """Is this Highs object still busy with a run abandoned at its deadline?"""
    return any(r.h is h and not r.done.is_set() for r in ABANDONED)


def _run_guarded(h: highspy.Highs, opts: SolverOptions) -> tuple[bool, bool]:
    """Run HiGHS in its thread; cancel it at the time limit or on Ctrl-C.

    Returns (finished, interrupted). A run that does not stop after being
    cancelled is left in ``ABANDONED``.
    """
    deadline = None if opts.time_limit is None else time.monotonic() + opts.time_limit * 1.01 + 0.05
    # After cancelling at the time limit, wait a little for HiGHS to stop.
    grace = GRACE_INTERRUPT_S if opts.time_limit is None else min(0.5, 0.02 * opts.time_limit + 0.05)
    cancelled_at = None
    interrupted = False
    run = Run(h)
    while True:
        try:
            done = run.done.wait(0.05)
        except KeyboardInterrupt:
            interrupted = True
            run.cancel()
            cancelled_at = cancelled_at or time.monotonic()
            grace = max(grace, GRACE_INTERRUPT_S)
            continue
        if done:
            if run.error is not None:
                raise run.error
            return True, interrupted
        now = time.monotonic()
        if cancelled_at is None and deadline is not None and now > deadline:
            run.cancel()
            cancelled_at = now
        if cancelled_at is not None and now - cancelled_at > grace:
            ABANDONED.append(run)
            return False, interrupted


def solve(
    lm: LinearModel, opts: SolverOptions, start: np.ndarray | None = None, h: highspy.Highs | None = None
) -> RawResult:
    """Solve ``lm`` (or re-solve a Highs object already holding it)."""
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
            cb(Progress(out.running_time, inc, out.mip_dual_bound, out.mip_gap))

        h.cbMipLogging.subscribe(_report)
        h.cbMipImprovingSolution.subscribe(_report)
    finished, interrupted = _run_guarded(h, opts)
    if opts.on_progress is not None and finished:
        h.cbMipLogging.clear()
        h.cbMipImprovingSolution.clear()
    if not finished:
        # HiGHS did not stop (its presolve does not always look at the clock or
        # at cancelSolve). Leave it running in its daemon thread and answer with
        # the starting plan, so the command returns on time.
        has = start is not None
        return RawResult(
            status=Status.FEASIBLE if has else Status.NO_SOLUTION,
            x=None if start is None else np.asarray(start, float),
            objective=None, bound=None, gap=None, time_s=time.perf_counter() - t0,
            solver="highs", version=version(),
            message="time limit reached before HiGHS finished presolve; returned the starting plan",
            interrupted=interrupted,
        )
    ms = h.getModelStatus()
    info = h.getInfo()
    has_plan = info.primal_solution_status == highspy.kSolutionStatusFeasible
    retried = False
    if start is not None and has_plan and finished and not _objective_consistent(lm, h, info):
        # HiGHS 1.16 can accept a starting plan that its presolve's reductions
        # exclude, value it wrongly in the reduced space and stop with it as
        # "optimal" (r04 in the regression set shows it). The plan it returns
        # then disagrees with the objective it reports: solve again without it.
        h.clearSolver()
        finished, interrupted = _run_guarded(h, opts)
        retried = True
        if not finished:
            return RawResult(
                status=Status.FEASIBLE, x=np.asarray(start, float), objective=None, bound=None, gap=None,
                time_s=time.perf_counter() - t0, solver="highs", version=version(),
                message="time limit reached while solving again without the starting plan",
                interrupted=interrupted,
            )
        ms = h.getModelStatus()
        info = h.getInfo()
        has_plan = info.primal_solution_status == highspy.kSolutionStatusFeasible
    status = STATUS_TABLE.get(ms, (Status.NO_SOLUTION, Status.NO_SOLUTION))[0 if has_plan else 1]
    x = np.asarray(h.getSolution().col_value) if has_plan else None
    bound = info.mip_dual_bound if lm.integer.any() else info.objective_function_value
    obj = info.objective_function_value if has_plan else None
    gap = info.mip_gap if lm.integer.any() else (0.0 if has_plan else None)
    if ms in (MS.kInterrupt, MS.kHighsInterrupt):
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
        message=h.modelStatusToString(ms) + (" (solved again without the starting plan, which HiGHS had "
                                              "valued wrongly)" if retried else ""),
        interrupted=interrupted,
    )


def _objective_consistent(lm: LinearModel, h: highspy.Highs, info) -> bool:
    """Does the objective HiGHS reports match the plan it returns?"""
    x = np.asarray(h.getSolution().col_value)
    if len(x) != lm.n_cols:
        return False
    mine = float(lm.obj @ x + lm.obj_offset)
    theirs = float(info.objective_function_value)
    return abs(mine - theirs) <= 1e-6 * max(1.0, abs(mine), abs(theirs))
