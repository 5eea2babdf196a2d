"""Decomposition by target: column generation with Lagrangian bounds (price and branch).

Targets interact only through a few rule families: actors' capacities
(rule 11), sponsors' and the total budget (rule 12) and exclusive groups
(rule 13). Everything else holds target by target. At national scale the
monolithic MILP (hundreds of thousands of binaries) is too big for HiGHS's
presolve within minutes, while each target's own model is small. So:

* **Blocks.** The full model of :func:`consortium.model.build.build_model` is
  split by target: a column belongs to the target it was made for, a row that
  touches one target only belongs to that target's block, and the rows that
  touch several targets are the *coupling* rows (all of the form
  ``row <= limit``). There is no second formulation: every block is a slice of
  the one model the monolithic solve uses.
* **Pricing.** Given prices ``lambda >= 0`` on the coupling rows, each block is
  solved alone with its objective lowered by ``lambda`` times its use of the
  coupling rows (HiGHS, exact, presolve off: these models are small). Each
  block's optimum is a candidate consortium (a column of the master), and the
  sum of the blocks' upper bounds plus ``lambda . limits`` is an upper bound
  on the whole problem (the Lagrangian bound), valid for *any* prices.
* **Master.** A linear program chooses at most one candidate per target
  (exactly one for targets that must be formed) within the coupling rows; its
  duals are the next prices. When no block offers a better candidate, its
  value equals the best Lagrangian bound (Dantzig-Wolfe).
* **Plans.** The same master with integer choices over the candidates found
  (HiGHS MIP) gives plans; every plan is a sum of block plans that satisfies
  every row of the full model, which is checked before it is returned.

Two refinements keep this fast at national scale: the targets are priced at
the master's duals smoothed towards the previous prices (with a fall-back to
the plain duals when the smoothed ones find nothing), and the most a target
can use of a budget row is bounded by its own LP relaxation, so that targets
priced at older prices still give a useful bound.

The bound reported is the best Lagrangian bound found, the gap is measured
against it: both are honest. When the gap asked for is reached, the status is
``optimal`` (as HiGHS reports within ``mip_rel_gap``); otherwise ``feasible``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from ...errors import interrupt_name
from ...model.linear import LinearModel
from ...model.rules import Vars
from .. import highs as hb
from ..base import Progress, RawResult, SolverOptions, Status, default_parallelism
from ..runs import GAP, TIME_LIMIT
from .blocks import Blocks, NotDecomposable, split, value_bound
from .master import FINAL_PLAN_WORK, PLAN_WORK, Master
from .pricing import Column, Pool, PricingPool

INF = float("inf")
TOL = 1e-6
SMOOTHING = 0.5  # weight of the previous prices (0: price at the master's duals)


def decompose(lm: LinearModel, V: Vars, n_targets: int, opts: SolverOptions,
              start: np.ndarray | None = None,
              say: Callable[[str], None] | None = None,
              pool: Callable[[Blocks], Pool] | None = None) -> RawResult:
    """Solve ``lm`` by column generation over its targets (see the module text).
    ``pool(B)`` makes where the targets are priced (default: threads of this
    process; ``consortium.solving.cluster``: a dask cluster). The result does
    not depend on it."""
    t0 = time.perf_counter()
    limit = opts.remaining()
    deadline = None if limit is None else time.monotonic() + limit
    gap_goal = max(float(opts.gap), 1e-9)
    B = split(lm, V, n_targets)
    objs = [lm.obj[c] for c in B.cols]  # each block's true costs
    master = Master(B)
    mc = len(B.coupling)
    caps = master.cap
    offset = lm.obj_offset
    best_bound = INF
    best_x: np.ndarray | None = None
    best_obj = -INF
    if start is not None and lm.is_feasible(start):
        best_x, best_obj = np.asarray(start, float), float(lm.obj @ start + offset)

    def left() -> float:
        return INF if deadline is None else deadline - time.monotonic()

    def report(msg: str) -> None:
        if say is not None:
            say(msg)
        if opts.on_progress is not None:
            g = gap()
            opts.on_progress(
                Progress(time.perf_counter() - t0, best_obj if best_x is not None else None,
                         best_bound if np.isfinite(best_bound) else None,
                         g if np.isfinite(g) else None)
            )

    def column(k: int, x: np.ndarray) -> Column:
        use = B.AcT[k].T @ x
        return Column(k, x, float(objs[k] @ x), np.asarray(use).ravel())

    def assemble(theta: np.ndarray) -> np.ndarray:
        x = np.zeros(lm.n_cols)
        for j in np.nonzero(theta > 0.5)[0]:
            c = master.columns[j]
            x[B.cols[c.block]] = c.x
        return x

    def try_plan(work: float, time_limit: float | None) -> None:
        # The plan searches stop on work limits (master.PLAN_WORK), never on
        # the clock unless the user set a time limit: the plan chosen does not
        # depend on the machine's speed or load (README, "Determinism").
        nonlocal best_x, best_obj
        theta = master.solve_mip(work, time_limit, gap=min(gap_goal, 1e-4) / 4, log=opts.log)
        if theta is None:
            return
        x = assemble(theta)
        if not lm.is_feasible(x):
            # The master's own tolerances (an almost-integral choice of
            # candidates, rows met to HiGHS's feasibility tolerance) can let a
            # combination exceed a row by a hair: such a plan is never handed
            # out; the bound and the other plans stand.
            if say is not None:
                say(
                    "decomposition: a combined plan breaks a row of the full model by a tolerance; "
                    "discarded"
                )
            return
        obj = float(lm.obj @ x + offset)
        if obj > best_obj + 1e-9:
            best_x, best_obj = x, obj

    def bound_valid() -> bool:
        # a bound below a plan that satisfies every row is wrong: never a gap of it
        return bool(np.isfinite(best_bound)) and (
            best_x is None or best_bound >= best_obj - TOL * max(1.0, abs(best_obj)))

    def gap() -> float:
        if best_x is None or not bound_valid():
            return INF
        return abs(best_bound - best_obj) / max(abs(best_obj), 1e-9)

    # Prices: the master's duals. A block is priced again only if it may offer
    # a candidate that improves the master; for the others, the bound uses
    # what its last solve proved, corrected for the price changes since
    # (blocks.value_bound).
    nb = len(B.cols)
    pi = np.zeros(mc)  # the master's duals
    # Prices the targets are priced at: the master's duals smoothed towards
    # the previous prices (the duals of a restricted master jump from one
    # extreme point to another; smoothing steadies column generation). When
    # smoothed prices find nothing new, the next step uses the duals as they are.
    lam = np.zeros(mc)
    sigma = np.full(nb, -INF)  # no master yet: every candidate is new
    ub_then = np.full(nb, INF)
    pi_then = [np.zeros(mc)] * nb
    # priced at the current prices: pricing it again would only repeat itself
    # (HiGHS's bound may stay a hair above its plan, within its own gap)
    fresh = np.zeros(nb, dtype=bool)
    final_pass = False
    rounds = 0
    lp_val = -INF
    interrupted = False
    stopped: str | None = None
    converged = False
    # keep time for the last plan search (the master MIP), and to finish
    reserve = 0.0 if limit is None else min(0.15 * limit, 60.0)
    pool_ = (pool or (lambda B: PricingPool(B, opts.threads or default_parallelism())))(B)

    def estimate(k: int, at: np.ndarray) -> float:
        return value_bound(B, k, ub_then[k], pi_then[k], at)

    def lagrangian_bound(at: np.ndarray) -> None:
        nonlocal best_bound
        if np.all(np.isfinite(ub_then)):  # every block has a bound
            total = offset + float(at @ caps) + sum(estimate(k, at) for k in range(nb))
            best_bound = min(best_bound, total)

    def full_pass_seconds() -> float:
        """What pricing every target once more would take, from the solves so far."""
        ts = pool_.times[-4 * nb :]
        if not ts:
            return INF
        return float(np.mean([t for _k, t in ts])) * nb / pool_.n

    # Chunked pricing: the master is re-solved after every chunk of targets,
    # so later targets are priced at fresher duals (a pass over all targets
    # with one set of duals wastes most of its solves early on).
    # Once the master's value stalls over a pass, the next pass prices every
    # target at one set of duals: an exact Lagrangian bound at those prices.
    order = np.concatenate([np.nonzero(B.forced)[0], np.nonzero(~B.forced)[0]])
    n_forced = int(B.forced.sum())
    small = max(10, -(-nb // 8))
    chunk = small
    cursor = 0
    priced_since_plan = 0
    priced_in_pass = 0
    lp_pass_start = -INF
    try:
        while True:
            rounds += 1
            # positions in ``order`` (targets that must be formed first, so that
            # the master has a real candidate for them from the first step)
            cand = [
                i
                for i, k in enumerate(order)
                if not fresh[k]
                and (
                    not B.nonneg or not np.isfinite(ub_then[k]) or estimate(k, pi) > sigma[k] + TOL
                )
            ]
            if not cand and not np.array_equal(lam, pi):
                lam, fresh[:] = pi, False  # nothing more at the smoothed prices: use the duals
                continue
            if not cand:
                converged = True  # no target can offer a better candidate
                break
            # the next targets after the cursor, cyclically
            pos = int(np.searchsorted(cand, cursor))
            picked = (cand[pos:] + cand[:pos])[: max(chunk, n_forced if rounds == 1 else 0)]
            full = len(picked) == len(cand)
            cursor = (picked[-1] + 1) % nb
            todo = [int(order[i]) for i in picked]
            complete = True
            found: list[tuple[int, int, np.ndarray]] = []
            dl = None if deadline is None else deadline - reserve
            tp = time.perf_counter()
            for k, ub, xs, done in pool_.price_all(todo, lam, dl):
                if not done:
                    complete = False
                    continue
                if ub == -INF:
                    raise NotDecomposable(f"target {k} cannot be formed at all")
                ub_then[k], pi_then[k] = ub, lam
                fresh[k] = True
                found.extend((k, i, x) for i, x in enumerate(xs))
            priced_since_plan += len(todo)
            priced_in_pass += len(todo)
            added = 0
            for k, _i, x in sorted(found, key=lambda f: f[:2]):  # deterministic order
                # a new candidate if it improves the master at its duals
                red = float((objs[k] - B.AcT[k] @ pi) @ x) - sigma[k]
                if red > TOL:
                    added += master.add(column(k, x))
            tl = time.perf_counter()
            # Lagrangian bound at the prices just used (exact for the targets
            # priced at them: after a full pass, the bound at those prices) ...
            lagrangian_bound(lam)
            if added:
                lp_val, pi, sigma = master.solve_lp()
                lagrangian_bound(pi)  # ... and at the master's new duals
                lam = SMOOTHING * lam + (1.0 - SMOOTHING) * pi if rounds > 1 else pi
                fresh[:] = False
            elif not np.array_equal(lam, pi) and complete:
                lam, fresh[:] = pi, False  # the smoothed prices found nothing: use the duals
            tm = time.perf_counter()
            if added and (priced_since_plan >= nb or len(cand) <= chunk):
                # pricing waits meanwhile; under a time limit, a quarter of what is left at most
                share = None if deadline is None else max(0.25 * (left() - reserve), 0.1)
                try_plan(PLAN_WORK, share)
                priced_since_plan = 0
            te = time.perf_counter()
            report(
                f"step {rounds}: {len(todo)} of {len(cand)} targets priced, {added} new candidates "
                f"({len(master.columns)} in all), master LP {lp_val:.4f}, bound {best_bound:.4f}, "
                f"best plan {best_obj:.4f}, gap {gap():.4%}, {te - t0:.1f} s "
                f"(pricing {tl - tp:.1f}, "
                f"LP {tm - tl:.1f}, plans {te - tm:.1f})"
            )
            if gap() <= gap_goal or not complete or left() <= reserve + 1.0:
                stopped = GAP if gap() <= gap_goal else TIME_LIMIT
                break
            if full:
                chunk = small  # after a full pass, back to chunks
                priced_in_pass, lp_pass_start = 0, lp_val
            elif priced_in_pass >= nb:
                # the master's value grew by less than the gap asked for over
                # a pass: price every target at one set of prices (a bound)
                stalled = lp_val - lp_pass_start <= gap_goal * max(1.0, abs(lp_val))
                chunk = nb if stalled else small
                priced_in_pass, lp_pass_start = 0, lp_val
            # Near the time limit, one last pass at one set of prices while
            # there is time for it: the bound returned is then a fresh one.
            if (
                not final_pass
                and deadline is not None
                and chunk < nb
                and left() - reserve <= 1.5 * full_pass_seconds() + 2.0
            ):
                chunk, final_pass = nb, True
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM
        interrupted = True
        stopped = interrupt_name(e)
        pool_.cancel()
    finally:
        pool_.close()
    # (no shortcut to the master's LP value when converged: the bound stays the
    # Lagrangian one, which carries the targets' own proven bounds)
    # last chance for a better plan with the candidates found
    if not interrupted and master.columns and gap() > gap_goal and left() > 0.5:
        try_plan(FINAL_PLAN_WORK, None if deadline is None else max(left() - 0.5, 0.1))
    g_end = gap()
    g = None if not np.isfinite(g_end) else g_end
    status = (
        Status.NO_SOLUTION
        if best_x is None
        else (Status.OPTIMAL if g is not None and g <= gap_goal else Status.FEASIBLE)
    )
    return RawResult(
        status=status,
        x=best_x,
        objective=None if best_x is None else best_obj,
        bound=best_bound if bound_valid() else None,
        gap=g,
        time_s=time.perf_counter() - t0,
        solver="highs",
        version=hb.version(),
        message=(
            f"decomposition by target: {rounds} pricing rounds, {len(master.columns)} candidate "
            f"consortia, {pool_.solves} target solves, {mc} rows across targets"
            + (", no target offers a better candidate" if converged else "")
            + (f", stopped by {stopped}" if stopped in (TIME_LIMIT, "Ctrl-C", "SIGTERM") else "")
            + (", the gap asked for reached" if stopped == GAP else "")
        ),
        interrupted=interrupted,
        stopped=None if status == Status.OPTIMAL and stopped == TIME_LIMIT else stopped,
    )
