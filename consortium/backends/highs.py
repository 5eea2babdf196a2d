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
from dataclasses import replace
from typing import Any

import highspy
import numpy as np

from ..model.linear import LinearModel, reduce_fixed
from .base import Progress, RawResult, SolverOptions, Status
from .runs import ABANDONED, GAP, INTERRUPTS, MEMORY_LIMIT, TIME_LIMIT, run_guarded

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
    """Exactly these options on ``h``: HiGHS's defaults for every other one.
    A loaded model runs many times (the exact engine's rounds, a session's
    scenarios), and HiGHS keeps an option until it is set again: without the
    reset a proof round's heuristic effort, a request's time limit or a node
    limit would carry over to every later run of the object."""
    h.resetOptions()
    h.setOptionValue("output_flag", False)
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


class Incumbents:
    """The plans HiGHS reports through its improving-solution callback while it
    runs (in the original space, every column), the best few kept. A run cut
    off at its deadline -- HiGHS's presolve and some of its heuristics look at
    neither the clock nor a cancel request -- still hands back the best plan
    HiGHS had found, never only the plan it started from."""

    KEEP = 4

    def __init__(self, lm: LinearModel):
        self.lm = lm
        self.found: list[tuple[float, float, np.ndarray]] = []  # (objective, seconds, x)
        self.bound: float | None = None
        self.count = 0

    def record(self, e: Any) -> None:
        out = e.data_out
        x = np.array(out.mip_solution, dtype=float)  # a copy: HiGHS reuses its buffer
        if len(x) != self.lm.n_cols:
            return
        self.count += 1
        b = float(out.mip_dual_bound)
        if np.isfinite(b):
            self.bound = b if self.bound is None else min(self.bound, b)
        z = float(self.lm.obj @ x + self.lm.obj_offset)  # our own value, not HiGHS's
        self.found.append((z, float(out.running_time), x))
        self.found.sort(key=lambda f: -f[0])
        del self.found[self.KEEP:]

    def best(self) -> tuple[float, float, np.ndarray] | None:
        """The best recorded plan that satisfies every row and bound."""
        for z, t, x in self.found:
            if self.lm.is_feasible(x):
                return z, t, x
        return None


def _stop_message(stopped: str | None) -> str:
    return {TIME_LIMIT: "Time limit reached", "Ctrl-C": "Interrupted by Ctrl-C",
            "SIGTERM": "Stopped by SIGTERM"}.get(stopped or "", "Interrupted")


def run_reduced(lm: LinearModel, opts: SolverOptions,
                start: np.ndarray | None = None) -> RawResult:
    """:func:`run_highs` on ``lm`` with its fixed columns taken out first
    (:func:`~consortium.model.linear.reduce_fixed`): the same plans and values,
    but HiGHS's presolve no longer walks the whole matrix to find what is
    fixed. On the certificates of ``explain --alternatives`` (a third of the
    columns free) that walk was over half of HiGHS's time. (Not in the exact
    engine's rounds: :meth:`LoadedModel.run_within`.)"""
    t0 = time.perf_counter()
    red = reduce_fixed(lm)
    if red.model is None:
        return RawResult(status=Status.INFEASIBLE, x=None, objective=None, bound=None, gap=None,
                         time_s=time.perf_counter() - t0, solver="highs", version=version(),
                         message="Infeasible (a row is broken by the fixed columns alone)")
    if red.model.n_cols == 0:
        z = red.model.obj_offset
        return RawResult(status=Status.OPTIMAL, x=red.fixed_x.copy(), objective=z, bound=z,
                         gap=0.0, time_s=time.perf_counter() - t0, solver="highs",
                         version=version(), message="Optimal (every column fixed)")
    r = run_highs(red.model, opts, red.restrict(start))
    return replace(r, x=None if r.x is None else red.lift(np.asarray(r.x, float)),
                   time_s=time.perf_counter() - t0)


def run_highs(lm: LinearModel, opts: SolverOptions, start: np.ndarray | None = None,
              h: highspy.Highs | None = None) -> RawResult:
    """Solve ``lm`` with HiGHS (or re-solve a Highs object already holding it),
    from the plan ``start`` if given, within ``opts``."""
    t0 = time.perf_counter()
    # The time limit counts from here: loading the model is part of it.
    end = None if opts.time_limit is None else time.monotonic() + opts.time_limit
    if h is None:
        h = to_highs(lm)
    if end is not None:
        opts = replace(opts, time_limit=max(end - time.monotonic(), 0.05))
    apply_options(h, opts)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = list(start)
        sol.value_valid = True
        h.setSolution(sol)
    mip = bool(lm.integer.any())
    inc = Incumbents(lm) if mip else None
    hooks: list[tuple[Any, Any]] = []  # (callback, function): ours, unsubscribed after the run
    if inc is not None:
        hooks.append((h.cbMipImprovingSolution, inc.record))
    if opts.on_progress is not None:
        cb = opts.on_progress

        def _report(e):  # highspy fires MIP logging callbacks only with output on
            out = e.data_out
            inc = out.objective_function_value if np.isfinite(out.mip_primal_bound) else None
            cb(Progress(out.running_time, inc, out.mip_dual_bound, out.mip_gap,
                        int(out.mip_node_count)))

        hooks += [(h.cbMipLogging, _report), (h.cbMipImprovingSolution, _report)]
    for hook, fn in hooks:
        hook.subscribe(fn)
    finished, stopped = run_guarded(h, opts.time_limit)
    if not finished:
        # HiGHS did not stop (its presolve does not always look at the clock or
        # at cancelSolve). Leave it running in its daemon thread and answer with
        # the best plan it reported, or the starting plan, so the command
        # returns on time.
        return _cut_off(lm, start, inc, t0, stopped)
    ms, info, has_plan = _outcome(h)
    retried = False
    if start is not None and has_plan and finished and not _objective_consistent(lm, h, info):
        # HiGHS 1.16 can accept a starting plan that its presolve's reductions
        # exclude, value it wrongly in the reduced space and stop with it as
        # "optimal" (r04 in the regression set shows it). The plan it returns
        # then disagrees with the objective it reports: solve again without it.
        h.clearSolver()
        if end is not None:
            left = max(end - time.monotonic(), 0.05)
            opts = replace(opts, time_limit=left)
            h.setOptionValue("time_limit", left)
        finished, stopped2 = run_guarded(h, opts.time_limit)
        stopped = stopped2 or stopped
        retried = True
        if not finished:
            return _cut_off(lm, start, inc, t0, stopped, " while solving again without the "
                            "starting plan")
        ms, info, has_plan = _outcome(h)
    for hook, fn in hooks:
        hook.unsubscribe(fn)
    status = STATUS_TABLE.get(ms, (Status.NO_SOLUTION, Status.NO_SOLUTION))[0 if has_plan else 1]
    x = np.asarray(h.getSolution().col_value) if has_plan else None
    bound = info.mip_dual_bound if mip else info.objective_function_value
    obj = info.objective_function_value if has_plan else None
    gap = info.mip_gap if mip else (0.0 if has_plan else None)
    if ms in (MS.kInterrupt, MS.kHighsInterrupt):  # type: ignore[attr-defined]  # not in highspy's stubs
        head = _stop_message(stopped)
    else:
        head = h.modelStatusToString(ms)
        if ms == MS.kTimeLimit:
            stopped = stopped or TIME_LIMIT
        elif ms == MS.kMemoryLimit:
            stopped = MEMORY_LIMIT  # whatever else was asked, memory is what stopped it
    if ms == MS.kOptimal and mip and opts.gap > 0 and gap is not None and gap > 0:
        stopped = stopped or GAP
        head = f"Optimal within the gap asked for ({gap:.3g} <= {opts.gap:g})"
    if x is None and start is not None and status not in (Status.INFEASIBLE, Status.ERROR) \
            and lm.is_feasible(start):
        # stopped before HiGHS had a plan of its own (a limit): the start stands
        x, obj, status = np.asarray(start, float), _own_value(lm, np.asarray(start, float)), \
            Status.FEASIBLE
        head += "; returned the starting plan"
    best = inc.best() if inc is not None and status != Status.INFEASIBLE else None
    if best is not None and best[0] > _own_value(lm, x) + 1e-9 * max(1.0, abs(best[0])):
        # never hand back less than HiGHS reported finding (it should not happen)
        x, obj = best[2], best[0]
        if not status.has_plan:
            status = Status.FEASIBLE
    return RawResult(
        status=status,
        x=x,
        objective=obj,
        bound=bound if bound is not None and np.isfinite(bound) else None,
        gap=gap if gap is not None and np.isfinite(gap) else None,
        time_s=time.perf_counter() - t0,
        solver="highs",
        version=version(),
        message=head
        + (
            " (solved again without the starting plan, which HiGHS had valued wrongly)"
            if retried
            else ""
        ),
        interrupted=stopped in INTERRUPTS,
        stopped=stopped,
    )


def _own_value(lm: LinearModel, x: np.ndarray | None) -> float:
    return -np.inf if x is None else float(lm.obj @ x + lm.obj_offset)


def _outcome(h: highspy.Highs) -> tuple[Any, Any, bool]:
    """HiGHS's model status, its info, and whether it holds a feasible plan."""
    info = h.getInfo()
    return h.getModelStatus(), info, info.primal_solution_status == highspy.kSolutionStatusFeasible


def _cut_off(lm: LinearModel, start: np.ndarray | None, inc: Incumbents | None, t0: float,
             stopped: str | None, where: str = "") -> RawResult:
    """HiGHS did not stop in time: the best plan it reported through its
    callback, or the starting plan, is the answer (whichever is better)."""
    stopped = stopped or TIME_LIMIT
    what = "time limit reached" if stopped == TIME_LIMIT else f"{stopped} received"
    head = f"{what}{where}; HiGHS did not stop at once (a phase that looks at no clock)"
    cands: list[tuple[float, np.ndarray, str]] = []
    best = inc.best() if inc is not None else None
    if best is not None:
        z, t, x = best
        cands.append((z, x, f"returned the best plan HiGHS had found (at {t:.1f} s)"))
    if start is not None and lm.is_feasible(start):
        x0 = np.asarray(start, float)
        cands.append((_own_value(lm, x0), x0, "returned the starting plan (HiGHS had found no "
                      "better one)"))
    cands.sort(key=lambda c: -c[0])
    if cands:
        z, x, note = cands[0]
        bound = None if inc is None or inc.bound is None else max(inc.bound, z)
        gap = None if bound is None else abs(bound - z) / max(abs(z), 1e-9)
        return RawResult(status=Status.FEASIBLE, x=x, objective=z, bound=bound, gap=gap,
                         time_s=time.perf_counter() - t0, solver="highs", version=version(),
                         message=f"{head}; {note}", interrupted=stopped in INTERRUPTS,
                         stopped=stopped)
    return RawResult(status=Status.NO_SOLUTION, x=None, objective=None, bound=None, gap=None,
                     time_s=time.perf_counter() - t0, solver="highs", version=version(),
                     message=f"{head}; no plan found", interrupted=stopped in INTERRUPTS,
                     stopped=stopped)


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
        self._h: highspy.Highs | None = to_highs(lm)
        self._held = lm  # the model the Highs object holds

    def update(self, new: LinearModel) -> bool:
        """Hold ``new`` instead; True if it is updated in place, False if
        reloaded. Either happens at the next use of the Highs object: a sweep
        scenario answered from earlier proofs never passes its model to HiGHS."""
        same = same_structure(self.lm, new)
        self.lm = new
        return same

    @property
    def h(self) -> highspy.Highs:
        """The Highs object, holding :attr:`lm` (what changed passed to it now)."""
        if self._h is None or (self._held is not self.lm
                               and not same_structure(self._held, self.lm)):
            self._h = to_highs(self.lm)
        elif self._held is not self.lm:
            push_changes(self._h, self._held, self.lm)
        self._held = self.lm
        return self._h

    def reload(self) -> None:
        """A fresh Highs object with the model (the old one is still busy)."""
        self._h = to_highs(self.lm)
        self._held = self.lm

    def set_bounds(self, cols: np.ndarray, lb: np.ndarray | float, ub: np.ndarray | float) -> None:
        cols = np.asarray(cols, np.int32)
        if len(cols):
            lo = np.broadcast_to(np.asarray(lb, float), cols.shape).copy()
            hi = np.broadcast_to(np.asarray(ub, float), cols.shape).copy()
            self.h.changeColsBounds(len(cols), cols, lo, hi)

    def restore_bounds(self, cols: np.ndarray) -> None:
        """Back to the model's own bounds for these columns."""
        cols = np.asarray(cols, np.int32)
        self.set_bounds(cols, self.lm.lb[cols], self.lm.ub[cols])

    @property
    def busy(self) -> bool:
        """Is a run abandoned at its deadline still using the Highs object?"""
        return self._h is not None and ABANDONED.holds(self._h)

    def run(self, opts: SolverOptions, start: np.ndarray | None = None) -> RawResult:
        return run_highs(self.lm, opts, start, h=self.h)

    def run_within(
        self, lb: np.ndarray, ub: np.ndarray, opts: SolverOptions, start: np.ndarray | None = None
    ) -> RawResult:
        """Solve with these bounds on every column (the exact engine's restricted
        models), then back to the model's own bounds. (The fixed columns are
        left in: taking them out first, :func:`run_reduced`, measured 1.16-1.27
        times slower on provincial seeds 2 and 3, the searches taking other
        paths.)"""
        from dataclasses import replace

        n = self.lm.n_cols
        idx = np.arange(n, dtype=np.int32)
        h = self.h
        h.changeColsBounds(n, idx, np.asarray(lb, float), np.asarray(ub, float))
        h.clearSolver()  # nothing of an earlier round's search carries over
        try:
            return run_highs(replace(self.lm, lb=lb, ub=ub), opts, start, h=h)
        finally:
            if not ABANDONED.holds(h):
                h.changeColsBounds(n, idx, self.lm.lb, self.lm.ub)
