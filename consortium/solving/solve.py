"""From a validated instance to a :class:`~consortium.result.solution.Solution`.

Steps: arrays and eligibility, pre-solve diagnosis of targets that must be
formed, the MILP (:mod:`.build`) -> a method and back end (:mod:`.dispatch`)
-> the plan with contracts, KPIs and a reason for every unformed target
(:mod:`.reasons`). The back end is HiGHS through highspy by default;
``backend="pyomo"`` solves the very same rows through a Pyomo model. The plan
is checked by the independent verifier in :mod:`.verified`.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np

from ..backends import highs
from ..backends.base import RawResult, SolverOptions, Status
from ..io.instance import Instance
from ..model.build import build_model
from ..result.contracts import contracts_for
from ..result.evaluate import kpis, objective_of
from ..result.plan import extract, start_vector
from ..result.solution import Solution
from .build import Built, build
from .diagnose import elastic, explain_elastic
from .dispatch import run_backend
from .reasons import unformed_reasons
from .standalone import STANDALONE_HIGHS

POST_RESERVE_S = 0.35


def solve_instance(
    inst: Instance,
    opts: SolverOptions | None = None,
    *,
    backend: str = "highs",
    reasons: bool = True,
    diagnose: bool = True,
    tighten: float = 0.0,
) -> Solution:
    """The plan of ``inst``: build, pre-solve diagnosis, a back end, the plan
    with contracts and KPIs; a diagnosis if infeasible, a reason for every
    unformed target if ``reasons``. Not verified: see :func:`solve_verified`.
    ``tighten``: pull every row limit with fractional coefficients (money,
    shares) inward by that much relative to it (see :func:`tightened`)."""
    opts = opts or SolverOptions()
    t0 = time.perf_counter()
    opts.phase("building")
    b = build(inst)
    if tighten > 0:
        b = replace(b, lm=tightened(b.lm, tighten))
    errors = [f for f in b.findings if f.severity == "error"]
    if errors:
        return Solution(
            instance=inst.display_name,
            status=Status.INFEASIBLE,
            solver=_solver_info(None, time.perf_counter() - t0, b),
            diagnosis=[str(f) for f in errors],
            unformed=[{"target": t.id, "reason": "the instance is infeasible"}
                      for t in inst.targets],
        )
    # A starting plan matters only when time may run out: without a time
    # limit HiGHS finds its own, and solving the forced targets one by one
    # first would only add time (and HiGHS 1.16 can misvalue a start).
    timed = opts.time_limit is not None or opts.deadline is not None
    start = initial_plan(b, opts) if timed else None
    run_opts = opts
    if opts.deadline is not None:
        # Leave time to read the plan, check and write it: 5 %, at least
        # POST_RESERVE_S (a provincial plan takes about 0.2 s from the solver's
        # columns to the file, and HiGHS may take a moment to stop).
        total = opts.time_limit or (opts.deadline - time.monotonic())
        # (twice the build's time too: on a loaded machine everything after the
        # solve slows down as the build did)
        reserve = max(POST_RESERVE_S, 0.05 * total, 2.0 * b.build_s)
        run_opts = replace(opts, time_limit=opts.remaining(reserve=reserve))
    opts.phase("solving")
    raw = run_backend(b, run_opts, backend, start)
    sol = solution_from_raw(b, raw, time.perf_counter() - t0)
    if raw.status == Status.INFEASIBLE and diagnose:
        forced = [v.target.id for v in b.md.views if b.md.forced(v.index)]
        what = f"the targets that must be formed ({', '.join(forced)})" if forced else ""
        pr = b.md.programme
        if pr is not None and pr.milestones:
            ms = "the milestones (" + ", ".join(
                f"{m.min_formed} by {m.year}" for m in pr.milestones) + ")"
            what = f"{what} and {ms}" if what else ms
        head = (f"{what or 'the rules'} cannot all be met under the rules; the smallest "
                "relaxation that would allow it:")
        found = [str(f) for f in explain_elastic(elastic(b.lm))]
        sol.diagnosis = [head] + found if found else [
            "the solver proved that no plan satisfies every rule, and the relaxation found no "
            "single rule to blame"
        ]
    if sol.status.has_plan and reasons:
        opts.phase("reasons")
        ropts = opts
        if opts.deadline is not None:  # the plan is in hand: keep the time to write it
            total = opts.time_limit or 0.0
            ropts = replace(opts, deadline=opts.deadline - max(POST_RESERVE_S, 0.03 * total))
        sol.unformed = unformed_reasons(b, sol, ropts)
    return sol


def tightened(lm: Any, rel: float) -> Any:
    """The model with each finite limit of a row that has a fractional
    coefficient or limit (budgets, shares: where a solver's absolute
    tolerances matter) moved inward by ``rel * max(1, |limit|)``, so a plan
    within the solver's tolerances of the tightened rows satisfies the true
    ones to the verifier's relative 1e-6. Rows of whole numbers (counts,
    choices) are left exact: whole-number activities meet them exactly. So
    are limits of 0: they link columns (a spend paid only from its start
    year, ``spend_at <= cap * start``; shares written as ``sum (state -
    share) x <= 0``), where moving the limit would forbid the zero plan of a
    target not formed, and whole-number memberships meet them within HiGHS's
    tolerance of 1e-9."""
    A = lm.A.scipy().tocsr()
    frac = np.zeros(lm.n_rows, bool)
    data = np.abs(A.data - np.round(A.data)) > 1e-12
    if data.any():
        frac[np.unique(np.repeat(np.arange(lm.n_rows), np.diff(A.indptr))[data])] = True
    for lim in (lm.row_lo, lm.row_hi):
        fin = np.isfinite(lim)
        frac[fin] |= np.abs(lim[fin] - np.round(lim[fin])) > 1e-12
    lo, hi = lm.row_lo.copy(), lm.row_hi.copy()
    up = frac & np.isfinite(hi) & (hi != 0)
    hi[up] -= rel * np.maximum(1.0, np.abs(hi[up]))
    dn = frac & np.isfinite(lo) & (lo != 0)
    lo[dn] += rel * np.maximum(1.0, np.abs(lo[dn]))
    both = lo > hi  # an equality row: keep it as it was
    lo[both], hi[both] = lm.row_lo[both], lm.row_hi[both]
    return replace(lm, row_lo=lo, row_hi=hi)


def initial_plan(b: Built, opts: SolverOptions) -> np.ndarray | None:
    """A feasible plan to start from, so that a plan exists when time runs out.

    Forming nothing is feasible when no target must be formed. Otherwise each
    forced target is planned alone in turn, keeping actors whose capacity the
    earlier ones used up out of it; the combination is offered only if it
    satisfies every row (budgets and exclusive groups included).
    """
    md = b.md
    forced = [v for v in b.V.views if md.forced(v.index)]
    if not forced:
        return np.zeros(b.lm.n_cols)
    joins = np.zeros(md.n_actors, np.int64)
    leads = np.zeros(md.n_actors, np.int64)
    choices = []
    left = opts.remaining()
    budget = min(5.0, 0.5 * left) if left is not None else 5.0
    for v in forced:
        lm, V = build_model(md, only={v.index}, coupling=False)
        lm.lb[V.y[v.index]] = 1.0
        full = (joins >= md.max_consortia)[v.actors]
        lm.ub[V.x[v.index][full[v.tri_actor]]] = 0.0
        led = (leads >= md.max_lead)[v.actors] | full
        lm.ub[V.lead[v.index][led[V.lead_local[v.index]]]] = 0.0
        r = highs.run_highs(lm, SolverOptions(time_limit=budget / len(forced), gap=0.05, threads=1,
                                          highs=STANDALONE_HIGHS))
        if r.x is None:
            return None
        ch = extract(md, V, r.x)[0]
        choices.append(ch)
        joins[ch.members] += 1
        leads[ch.lead] += 1
    x = start_vector(md, b.V, b.lm.n_cols, choices)
    return x if b.lm.is_feasible(x) else None


def _solver_info(raw: RawResult | None, total: float, b: Built) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": raw.solver if raw else "highs",
        "version": raw.version if raw else highs.version(),
        "time_s": round(raw.time_s if raw else 0.0, 4),
        "total_s": round(total, 4),
        "build_s": round(b.build_s, 4),
        "model": b.lm.stats(),
    }
    if raw is not None:
        info["message"] = raw.message
        if raw.interrupted:
            info["interrupted"] = True
        if raw.stopped:
            # what stopped the search: "time limit", "gap", "Ctrl-C" or "SIGTERM"
            info["stopped_by"] = raw.stopped
    return info


def solution_from_raw(b: Built, raw: RawResult, total_s: float) -> Solution:
    inst, md = b.md.inst, b.md
    sol = Solution(instance=inst.display_name, status=raw.status, solver=_solver_info(raw, total_s,
                                                                                      b))
    if raw.x is None or not raw.status.has_plan:
        sol.unformed = [{"target": t.id, "reason": f"no plan ({raw.status.value})"}
                        for t in inst.targets]
        return sol
    choices = extract(md, b.V, raw.x)
    sol.consortia = [contracts_for(inst, md, ch) for ch in choices]
    sol.objective = objective_of(inst, md, sol.consortia)
    bound = raw.bound
    if bound is not None:
        # The solver's bound is on its own objective; ours is recomputed from
        # the plan, so keep bound >= objective exactly when the gap is closed.
        if raw.status == Status.OPTIMAL and raw.gap is not None and raw.gap <= 1e-9:
            bound = sol.objective
        bound = max(bound, sol.objective)
    sol.bound = bound
    if bound is not None:
        sol.gap = (0.0 if bound == sol.objective
                   else abs(bound - sol.objective) / max(abs(sol.objective), 1e-9))
    sol.kpis = kpis(inst, md, sol.consortia)
    formed = {c.target for c in sol.consortia}
    sol.unformed = [{"target": t.id, "reason": "not formed"} for t in inst.targets
                    if t.id not in formed]
    return sol
