"""Which method solves a whole plan, and running it: the one MILP (by HiGHS
alone, or by the exact engine of ``consortium.solving.engine``) or the
decomposition by target (``consortium.backends.decompose``), on HiGHS or Pyomo.

:func:`run_backend` is the one place a solve of a whole plan is dispatched to
a method; :func:`method_for` makes the choice.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

import numpy as np

from ..backends import highs
from ..backends.base import RawResult, SolverOptions, Status
from ..backends.runs import GAP
from .build import Built

# Above this many columns the monolithic MILP is beyond HiGHS within minutes
# (national preset: 395k columns, presolve alone 250-500 s; see BENCHMARKS.md)
# and "auto" decomposes by target instead.
AUTO_DECOMPOSE_COLUMNS = 150_000


# From this many columns "auto" solves the one MILP with the exact engine
# (consortium.solving.engine: LP duals, reduced-cost fixing, restricted MILPs);
# below it HiGHS alone takes well under a second and the engine's LP would only
# add to it. Only a plan of two or more targets: what makes the LP bound tight
# enough for the fixings to pay (a few tenths of a percent on the provincial
# preset) is the rules between targets; one target's model is a covering
# problem, whose LP bound is as weak as any (1.6 % on OR-Library scpc5) and
# whose dominated columns HiGHS's presolve removes anyway: there the rounds
# cost twice the single MILP (scpc5: 7.6-9.0 s against 3.4-4.6 s).
ENGINE_MIN_COLUMNS = 4000


def method_for(b: Built, opts: SolverOptions, backend: str = "highs") -> str:
    """``"mip"`` (HiGHS on the one MILP), ``"exact"`` (the same MILP by the exact
    engine) or ``"decompose"`` (by target) for this model and these options."""
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
    return "exact" if b.lm.n_cols >= ENGINE_MIN_COLUMNS and len(b.V.views) > 1 else "mip"


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
    r = highs.run_highs(b.lm, run, raw.x)
    assert raw.objective is not None  # the decomposition's plan, status feasible
    better = r.x is not None and r.objective is not None and r.objective > raw.objective + 1e-9
    x, obj = (r.x, r.objective) if better and r.objective is not None else (raw.x, raw.objective)
    # A bound more than a tolerance below a plan that satisfies every row is
    # wrong, whoever gave it: it must not make that plan "optimal".
    bounds = [v for v in (raw.bound, r.bound) if v is not None and np.isfinite(v)
              and v >= obj - 1e-6 * max(1.0, abs(obj))]
    bound = min(bounds) if bounds else None
    if bound is not None:
        bound = max(
            bound, obj
        )  # never below the plan (HiGHS may put it a hair under, within its tolerance)
    gap = None if bound is None else abs(bound - obj) / max(abs(obj), 1e-9)
    # HiGHS's own verdict counts (it also stops on its absolute gap, 1e-6),
    # as on the MILP path; else the gap asked for, with decompose's floor.
    proven = r.status == Status.OPTIMAL or (gap is not None and gap <= max(opts.gap, 1e-9))
    return replace(
        raw,
        x=x,
        objective=obj,
        bound=bound,
        gap=gap,
        time_s=raw.time_s + r.time_s,
        status=Status.OPTIMAL if proven else Status.FEASIBLE,
        message=f"{raw.message}; then the single MILP from its plan: {r.message or r.status.value}",
        interrupted=r.interrupted,
        stopped=(GAP if opts.gap > 0 and gap else None) if proven else (r.stopped or raw.stopped),
    )


def run_backend(b: Built, opts: SolverOptions, backend: str = "highs",
                start: np.ndarray | None = None) -> RawResult:
    """Solve the model of ``b`` by the method :func:`method_for` picks: the seam
    where every solve of a whole plan is dispatched to a method."""
    if method_for(b, opts, backend) == "decompose":
        from ..backends import decompose as dec

        if opts.time_limit is not None:
            # One absolute end for the decomposition and whatever runs after
            # it (the MILP that completes it, or takes over): the time limit
            # counts from here, and never past a deadline set by the caller.
            end = time.monotonic() + opts.time_limit
            opts = replace(opts, deadline=end if opts.deadline is None else min(opts.deadline, end))
        try:
            say = (lambda m: print(m, file=sys.stderr, flush=True)) if opts.log else None
            pool = None
            if opts.scheduler is not None or opts.workers:
                from .cluster import cluster_pool

                pool = cluster_pool(opts.scheduler, opts.workers, say)
            raw = dec.decompose(b.lm, b.V, len(b.md.views), opts, start, say=say, pool=pool)
            if raw.status == Status.FEASIBLE and not raw.interrupted:
                return close_with_mip(b, opts, raw)
            # No combination of the candidates satisfies the rules across
            # targets: the MILP decides (and diagnoses an infeasible instance).
            if raw.status.has_plan or raw.interrupted or (opts.remaining() or 1.0) < 0.5:
                return raw
        except dec.NotDecomposable:
            pass  # e.g. a target that cannot be formed at all: the MILP diagnoses it
        opts = replace(opts, time_limit=opts.remaining()) if opts.time_limit is not None else opts
    if backend == "pyomo":
        from ..backends import pyomo_backend

        return pyomo_backend.run_pyomo(b.lm, opts)
    if method_for(b, opts, backend) == "exact":
        from .engine.exact import Engine

        return Engine(b.lm, targets=(b.V, len(b.md.views))).solve(opts, start)
    return highs.run_highs(b.lm, opts, start)
