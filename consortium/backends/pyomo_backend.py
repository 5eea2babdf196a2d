"""The same rows as a Pyomo ``ConcreteModel``, solved through Pyomo's HiGHS
interface (which drives highspy in memory).

The model is built from the :class:`LinearModel` that the rule functions
produced, so there is one formulation of the rules whichever back end runs.
This back end is for people who want a Pyomo model in hand (to inspect, to
write as LP/MPS with Pyomo's writers, or to hand to another Pyomo solver with
``solver=``); it is slower to build than the direct HiGHS path.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from ..model.linear import LinearModel
from .base import RawResult, SolverOptions, Status


def to_pyomo(lm: LinearModel):
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    m = pyo.ConcreteModel(name="consortium")
    n = lm.n_cols

    def bounds(_m, j):
        lo, hi = lm.lb[j], lm.ub[j]
        return (
            None if not np.isfinite(lo) else float(lo),
            None if not np.isfinite(hi) else float(hi),
        )

    def domain(_m, j):
        return pyo.Integers if lm.integer[j] else pyo.Reals

    m.x = pyo.Var(range(n), bounds=bounds, within=domain)
    R = lm.A.tocsr()
    xs = [m.x[j] for j in range(n)]

    def row(_m, i):
        lo, hi = lm.row_lo[i], lm.row_hi[i]
        s, e = R.indptr[i], R.indptr[i + 1]
        expr = LinearExpression(constant=0.0, linear_coefs=[float(v) for v in R.data[s:e]],
                                linear_vars=[xs[j] for j in R.indices[s:e]])
        return (
            None if not np.isfinite(lo) else float(lo),
            expr,
            None if not np.isfinite(hi) else float(hi),
        )

    m.rows = pyo.Constraint(range(lm.n_rows), rule=row)
    nz = np.nonzero(lm.obj)[0]
    m.obj = pyo.Objective(
        expr=LinearExpression(constant=float(lm.obj_offset),
                              linear_coefs=[float(lm.obj[j]) for j in nz],
                              linear_vars=[xs[j] for j in nz]),
        sense=pyo.maximize,
    )
    return m


def run_pyomo(lm: LinearModel, opts: SolverOptions, solver: str = "highs") -> RawResult:
    """Build the Pyomo model of ``lm`` and solve it with Pyomo's ``solver`` interface."""
    import pyomo.environ as pyo
    from pyomo.contrib.solver.common.factory import SolverFactory
    from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

    t0 = time.perf_counter()
    m = to_pyomo(lm)
    s = SolverFactory(solver)
    options = dict(opts.highs)
    if opts.threads is not None:
        options["threads"] = opts.threads
    # the log goes to stderr (tee=True would write it to stdout)
    res = s.solve(m, tee=[sys.stderr] if opts.log else False, time_limit=opts.time_limit,
                  rel_gap=opts.gap, solver_options=options, load_solutions=False,
                  raise_exception_on_nonoptimal_result=False)
    tc = res.termination_condition
    has_plan = res.solution_status in (SolutionStatus.feasible, SolutionStatus.optimal)
    if tc == TerminationCondition.convergenceCriteriaSatisfied:
        status = Status.OPTIMAL
    elif tc in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
        status = Status.INFEASIBLE
    elif tc == TerminationCondition.error:
        status = Status.ERROR
    else:
        status = Status.FEASIBLE if has_plan else Status.NO_SOLUTION
    x = None
    if has_plan:
        res.solution_loader.load_vars()
        x = np.array([pyo.value(m.x[j]) for j in range(lm.n_cols)], dtype=float)
    obj = res.incumbent_objective
    bound = res.objective_bound
    gap = None
    if obj is not None and bound is not None and np.isfinite(bound):
        gap = abs(bound - obj) / max(abs(obj), 1e-9)
    ver = s.version()
    return RawResult(status=status, x=x, objective=obj,
                     bound=bound if bound is not None and np.isfinite(bound) else None, gap=gap,
                     time_s=time.perf_counter() - t0, solver=f"pyomo+{solver}",
                     version=".".join(map(str, ver)) if isinstance(ver, tuple) else str(ver),
                     message=str(tc))
