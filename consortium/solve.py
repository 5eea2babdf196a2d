"""From a validated instance to a verified-ready :class:`Solution`.

Steps: arrays and eligibility (``ModelData``) -> pre-solve diagnosis of targets
that must be formed -> the MILP (``build_model``) -> a back end -> the plan
with contracts, KPIs and a reason for every unformed target. The back end is
HiGHS through highspy by default; ``backend="pyomo"`` solves the very same
rows through a Pyomo model.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .backends import highs
from .backends.base import RawResult, SolverOptions, Status
from .diagnose import elastic, explain_elastic, presolve_findings
from .instance import Instance
from .model.build import build_model
from .model.data import ModelData, within_limit
from .model.linear import LinearModel
from .model.rules import Vars
from .plan import Solution, contracts_for, extract, kpis, objective_of, start_vector


# One target's model is small; HiGHS's presolve costs more than it saves there
# (measured: 0.82 s -> 0.11 s on a provincial target of 800 columns).
STANDALONE_HIGHS = {"presolve": "off"}


@dataclass
class Built:
    """A model ready to solve, and what is needed to read its solutions."""

    md: ModelData
    lm: LinearModel
    V: Vars
    build_s: float = 0.0
    findings: list = field(default_factory=list)


def build(inst: Instance) -> Built:
    t0 = time.perf_counter()
    md = ModelData(inst)
    findings = presolve_findings(md)
    lm, V = build_model(md)
    return Built(md, lm, V, time.perf_counter() - t0, findings)


# Above this many columns the monolithic MILP is beyond HiGHS within minutes
# (national preset: 395k columns, presolve alone 250-500 s; see BENCHMARKS.md)
# and "auto" decomposes by target instead.
AUTO_DECOMPOSE_COLUMNS = 150_000


# From this many columns "auto" solves the MILP with the exact engine
# (consortium.engine: LP duals, reduced-cost fixing, restricted MILPs); below
# it HiGHS alone takes well under a second and the engine's LP would only add
# to it.
ENGINE_MIN_COLUMNS = 4000


def method_for(b: Built, opts: SolverOptions, backend: str = "highs") -> str:
    """"mip" (HiGHS on the single MILP), "exact" (the same MILP by the exact
    engine) or "decompose" (by target)."""
    if backend != "highs" or opts.method == "mip":
        return "mip"
    if opts.method in ("decompose", "exact"):
        return opts.method
    # An exact answer (gap 0, no time limit) is the MILP's to prove; the
    # decomposition's bound carries the candidates' integrality gap.
    exact = opts.gap <= 0 and opts.time_limit is None and opts.deadline is None
    large = b.lm.n_cols >= AUTO_DECOMPOSE_COLUMNS and len(b.V.views) > 1
    if large and not exact:
        return "decompose"
    return "exact" if b.lm.n_cols >= ENGINE_MIN_COLUMNS else "mip"


def close_with_mip(b: Built, opts: SolverOptions, raw: RawResult) -> RawResult:
    """The decomposition stopped above the gap asked for (its bound carries
    the candidates' integrality gap, which column generation alone cannot
    close): give the single MILP the time that is left, from the
    decomposition's plan. The better plan and the tighter bound are kept.
    Only below AUTO_DECOMPOSE_COLUMNS (e.g. the national profile used on a
    provincial instance): above it, HiGHS's presolve of the whole model alone
    takes minutes and would use the time for nothing."""
    if b.lm.n_cols >= AUTO_DECOMPOSE_COLUMNS:
        return raw
    left = opts.remaining()
    if left is not None and left < 1.0:
        return raw
    run = replace(opts, time_limit=left) if left is not None else opts
    r = highs.solve(b.lm, run, raw.x)
    better = r.x is not None and r.objective is not None and r.objective > raw.objective + 1e-9
    x, obj = (r.x, r.objective) if better else (raw.x, raw.objective)
    bounds = [v for v in (raw.bound, r.bound) if v is not None and np.isfinite(v)]
    bound = min(bounds) if bounds else None
    if bound is not None:
        bound = max(bound, obj)  # never below the plan (HiGHS may put it a hair under, within its tolerance)
    gap = None if bound is None else abs(bound - obj) / max(abs(obj), 1e-9)
    # HiGHS's own verdict counts (it also stops on its absolute gap, 1e-6),
    # as on the MILP path; else the gap asked for, with decompose's floor.
    proven = r.status == Status.OPTIMAL or (gap is not None and gap <= max(opts.gap, 1e-9))
    return replace(
        raw, x=x, objective=obj, bound=bound, gap=gap, time_s=raw.time_s + r.time_s,
        status=Status.OPTIMAL if proven else Status.FEASIBLE,
        message=f"{raw.message}; then the single MILP from its plan: {r.message or r.status.value}",
        interrupted=r.interrupted,
    )


def run_backend(b: Built, opts: SolverOptions, backend: str = "highs", start=None) -> RawResult:
    if method_for(b, opts, backend) == "decompose":
        from .decompose import NotDecomposable, decompose

        if opts.time_limit is not None:
            # One absolute end for the decomposition and whatever runs after
            # it (the MILP that completes it, or takes over): the time limit
            # counts from here, and never past a deadline set by the caller.
            end = time.monotonic() + opts.time_limit
            opts = replace(opts, deadline=end if opts.deadline is None else min(opts.deadline, end))
        try:
            say = (lambda m: print(m, file=sys.stderr, flush=True)) if opts.log else None
            raw = decompose(b.lm, b.V, len(b.md.views), opts, start, say=say)
            if raw.status == Status.FEASIBLE and not raw.interrupted:
                return close_with_mip(b, opts, raw)
            # No combination of the candidates satisfies the rules across
            # targets: the MILP decides (and diagnoses an infeasible instance).
            if raw.status.has_plan or raw.interrupted or (opts.remaining() or 1.0) < 0.5:
                return raw
        except NotDecomposable:
            pass  # e.g. a target that cannot be formed at all: the MILP diagnoses it
        opts = replace(opts, time_limit=opts.remaining()) if opts.time_limit is not None else opts
    if backend == "pyomo":
        from .backends import pyomo_backend

        return pyomo_backend.solve(b.lm, opts)
    if method_for(b, opts, backend) == "exact":
        from .engine.exact import Engine

        return Engine(b.lm).solve(opts, start)
    return highs.solve(b.lm, opts, start)


def solve(
    inst: Instance,
    opts: SolverOptions | None = None,
    *,
    backend: str = "highs",
    reasons: bool = True,
    diagnose: bool = True,
) -> Solution:
    opts = opts or SolverOptions()
    t0 = time.perf_counter()
    b = build(inst)
    errors = [f for f in b.findings if f.severity == "error"]
    if errors:
        return Solution(
            instance=inst.display_name,
            status=Status.INFEASIBLE,
            solver=_solver_info(None, time.perf_counter() - t0, b),
            diagnosis=[str(f) for f in errors],
            unformed=[{"target": t.id, "reason": "the instance is infeasible"} for t in inst.targets],
        )
    # A starting plan matters only when time may run out: without a time
    # limit HiGHS finds its own, and solving the forced targets one by one
    # first would only add time (and HiGHS 1.16 can misvalue a start).
    start = initial_plan(b, opts) if opts.time_limit is not None or opts.deadline is not None else None
    run_opts = opts
    if opts.deadline is not None:
        # Leave time to read the plan and write it (5 %, at least 0.1 s).
        total = opts.time_limit or (opts.deadline - time.monotonic())
        run_opts = replace(opts, time_limit=opts.remaining(reserve=max(0.1, 0.05 * total)))
    raw = run_backend(b, run_opts, backend, start)
    sol = solution_from_raw(b, raw, time.perf_counter() - t0)
    if raw.status == Status.INFEASIBLE and diagnose:
        forced = [v.target.id for v in b.md.views if b.md.forced(v.index)]
        head = (f"the targets that must be formed ({', '.join(forced)}) cannot all be formed "
                "under the rules; the smallest relaxation that would allow it:")
        found = [str(f) for f in explain_elastic(elastic(b.lm))]
        sol.diagnosis = [head] + found if found else [
            "the solver proved that no plan satisfies every rule, and the relaxation found no single rule to blame"
        ]
    if sol.status.has_plan and reasons:
        sol.unformed = unformed_reasons(b, sol, opts)
    return sol


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
        r = highs.solve(lm, SolverOptions(time_limit=budget / len(forced), gap=0.05, threads=1,
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
    return info


def solution_from_raw(b: Built, raw: RawResult, total_s: float) -> Solution:
    inst, md = b.md.inst, b.md
    sol = Solution(instance=inst.display_name, status=raw.status, solver=_solver_info(raw, total_s, b))
    if raw.x is None or not raw.status.has_plan:
        sol.unformed = [{"target": t.id, "reason": f"no plan ({raw.status.value})"} for t in inst.targets]
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
        sol.gap = 0.0 if bound == sol.objective else abs(bound - sol.objective) / max(abs(sol.objective), 1e-9)
    sol.kpis = kpis(inst, md, sol.consortia)
    formed = {c.target for c in sol.consortia}
    sol.unformed = [{"target": t.id, "reason": "not formed"} for t in inst.targets if t.id not in formed]
    return sol


# ------------------------------------------------------------- reasons


def standalone(b: Built, ti: int, opts: SolverOptions, force: bool = True) -> RawResult:
    """Target ``ti`` alone: its own rules only, formed if ``force``."""
    lm, V = build_model(b.md, only={ti}, coupling=False)
    if force:
        lm.lb[V.y[ti]] = 1.0
    o = SolverOptions(time_limit=min(opts.remaining() or 10.0, 10.0), gap=1e-6, threads=1,
                      highs=STANDALONE_HIGHS)
    r = highs.solve(lm, o)
    r.x_cols = (lm, V)  # type: ignore[attr-defined]
    return r


def unformed_reasons(b: Built, sol: Solution, opts: SolverOptions) -> list[dict[str, str]]:
    """A reason a planner can act on for every target the plan leaves out."""
    inst, md = b.md.inst, b.md
    formed = {c.target for c in sol.consortia}
    spent_by_sponsor: dict[str, float] = {}
    for c in sol.consortia:
        sp = inst.targets[md.target_index[c.target]].sponsor
        if sp is not None:
            spent_by_sponsor[sp] = spent_by_sponsor.get(sp, 0.0) + c.spend
    total_spent = sum(c.spend for c in sol.consortia)
    used: dict[str, list[str]] = {}
    for c in sol.consortia:
        for a in c.members:
            used.setdefault(a, []).append(c.target)
    out = []
    for v in md.views:
        t = v.target
        if t.id in formed:
            continue
        left = opts.remaining(reserve=0.1) if opts.deadline is not None else None
        if left is not None and left <= 0.2 and not v.impossible:
            out.append({"target": t.id, "reason": "not formed (no time left within --time-limit to analyse why)"})
            continue
        out.append({"target": t.id, "reason": _reason(b, v, opts, formed, spent_by_sponsor, total_spent, used)})
    return out


def _reason(b, v, opts, formed, spent_by_sponsor, total_spent, used) -> str:
    inst, md = b.md.inst, b.md
    t = v.target
    if v.impossible:
        return "cannot be formed: " + "; ".join(v.impossible)
    for g, group in enumerate(inst.exclusive):
        if t.id in group:
            other = [x for x in group if x in formed]
            if other:
                return f"exclusive with formed target {other[0]} (exclusive[{g}]), which adds more value"
    r = standalone(b, v.index, opts)
    if r.status == Status.INFEASIBLE:
        lm, _V = r.x_cols  # type: ignore[attr-defined]
        why = explain_elastic(elastic(lm, time_limit=5.0))
        detail = "; ".join(f.message.split(": ", 1)[-1] for f in why[:3])
        return "no consortium satisfies all its rules together" + (f" ({detail})" if detail else "")
    if not r.status.has_plan:
        return "no consortium found for it alone within the time limit"
    lm, V = r.x_cols  # type: ignore[attr-defined]
    choice = extract(md, V, r.x)[0]
    c = contracts_for(inst, md, choice)
    net = objective_of(inst, md, [c])
    if net <= 1e-9:
        return (f"its value does not cover its cost: value {t.value:g} against a spend of at least "
                f"{c.spend:.4g} (best net contribution {net:.4g})")
    if t.sponsor is not None:
        s = inst.sponsors[md.sponsor_index[t.sponsor]]
        if s.budget is not None:
            left = s.budget - spent_by_sponsor.get(s.id, 0.0)
            if not within_limit(c.spend, left):
                return (f"sponsor {s.id} budget exhausted by higher-value targets: it needs "
                        f"{c.spend:.4g}, {max(left, 0):.4g} of {s.budget:g} left")
    tb = inst.policy.total_budget
    if tb is not None and not within_limit(c.spend, tb - total_spent):
        return (f"total budget exhausted by higher-value targets: it needs {c.spend:.4g}, "
                f"{max(tb - total_spent, 0):.4g} of {tb:g} left")
    busy = []
    for a in c.members:
        actor = inst.actors[md.actor_index[a]]
        if len(used.get(a, [])) >= actor.max_consortia:
            busy.append(f"{a} (in {', '.join(used[a])})")
    if busy:
        return ("its best members are committed to formed consortia at full capacity: "
                + ", ".join(busy[:4]) + (" ..." if len(busy) > 4 else ""))
    return (f"forming it as well would lower the total objective (alone it would add {net:.4g}, "
            "but it competes with formed targets for members and budget)")
