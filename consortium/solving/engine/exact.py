"""Exact MILP optimum by rounds of reduced-cost fixing against a Lagrangian bound.

One round, for a threshold ``T``: fix every binary column that no plan worth
``T`` or more can set the other way (:func:`.lagrange.fixings`, a proof from
the LP duals), then let HiGHS solve the restricted MILP exactly. The
restricted model holds every plan worth ``T`` or more, so

* if its optimum is worth ``T`` or more, it is the optimum of the whole
  model (a better plan would be in the restricted model too);
* otherwise no plan reaches ``T``: ``T`` becomes an upper bound, and the
  restricted optimum (when there is one) the incumbent for the next round,
  whose threshold is that incumbent's value: the round that proves it.

The first threshold sits just below the LP bound, so on models whose LP bound
is close to the optimum (the rules of SPEC section 3 make such models: 0.2-0.3
% on the provincial preset) most binaries are fixed and HiGHS's presolve,
which dominates the single MILP's time, works on a fraction of the model. A
known plan (the previous scenario's, the base plan of a stress test) gives the
proof round at once.

When the LP's fixings leave much of the model free (a threshold far below the
LP bound: provincial seed 2's proof round left 14,602 of 23,251 binaries
free), the bound by target at the same duals (:mod:`.by_target`: each
target's own consortium integral, priced across targets) is computed once:
it is the tighter upper bound from then on, and its fixings by target join
the LP's (seed 2: 13,550 free, the solve 20 s -> 9 s).

Every answer is what the single MILP proves: ``status``, ``objective`` and
``bound`` mean the same, and the tests hold the two against each other and
against brute force.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ...backends import highs
from ...backends.base import Progress, RawResult, SolverOptions, Status, default_parallelism
from ...backends.highs_relax import Relaxation
from ...backends.runs import GAP, INTERRUPTS, TIME_LIMIT
from ...errors import interrupt_name
from ...model.linear import LinearModel
from . import by_target, lagrange

# The first threshold, below the LP bound, relative to it; the distance grows
# by FIRST_GROWTH after every round that does not settle the optimum.
FIRST_GAP = 0.0005
FIRST_GROWTH = 4.0
# A round that would leave more of the binaries free than this is the single
# MILP: the fixings would not pay for a round. So is any round after MAX_ROUNDS.
MAX_FREE_SHARE = 0.85
MAX_ROUNDS = 8
# When the LP's fixings for a round leave more than this share of the binaries
# free, the bound by target (:mod:`.by_target`: 50 small MILPs and LPs on the
# provincial preset, about 1 s) is computed once and its fixings join the
# LP's: provincial seeds 2 and 3, 20.0 s -> 8.8 s and 9.0 s -> 5.1 s; seeds 1,
# 4 and 5 within a second either way (BENCHMARKS.md section 6). Not when one
# target holds more than TB_MAX_BLOCK_SHARE of the columns (its own MILP
# would be most of the model).
TB_FREE_SHARE = 0.25
TB_MAX_BLOCK_SHARE = 0.5
# When a round just under the LP bound has found no plan, the first round
# under the bound by target sits at least this far below it (relative): the
# optimum is then some way below, on the provincial budget scenarios of that
# kind 0.2-0.4 % below the bound by target. A round 0.2 % below most often
# finds a plan under its threshold, and the round that proves that plan
# repeats its work; one round 0.4 % below holds the optimum: provincial seed
# 1 at 0.55, 0.7 and 0.85 of its budget, 16.5 / 8.6 / 13.1 s -> 9.3 / 6.8 /
# 11.6 s (0.6 %: 10.8 / 6.8 / 18.6 s, the round too big). Not when the bound
# by target comes before any round (seeds 2 and 3 as generated: their optima
# are 0.03-0.5 % below it, and a round just under it is the cheap first try).
TB_FIRST_STEP = 0.004
# A restricted MILP with at most this share of the columns free is handed to
# HiGHS with the fixed columns taken out (highs.run_reduced), not within
# bounds on the loaded model: HiGHS's presolve spent 0.4-1.3 s of 0.6-1.8 s
# finding what the bounds fix (provincial seed 1, distance scenarios on the
# loosest model: rounds of 1,100-2,100 columns after presolve). The 20-point
# distance sweep's solves in process, medians of 3 alternating runs: 16.1 s
# -> 11.3 s (the local rounds alone: 14.0 s). One solve of provincial seeds
# 1-5, 2 alternating runs: 2.41 / 8.43 / 4.01 / 3.38 / 3.15 s -> 2.55 / 7.51 /
# 4.77 / 3.51 / 2.86 s (another search path each; median 3.38 -> 3.51 s).
REDUCE_FREE_SHARE = 0.5
# HiGHS options for the restricted MILP unless a profile sets them: probing
# (presolve rule 32768) is most of HiGHS's presolve here and, with most
# columns fixed, finds little (provincial seed 1: 4.1 s -> 2.1 s).
ROUND_HIGHS = {"presolve_rule_off": 32768}
# ... and when the round only has to prove a plan it is given (its threshold
# is that plan's value), HiGHS's primal heuristics have nothing to find
# (provincial seed 1: 2.1 s -> 1.35 s).
PROOF_HIGHS = {**ROUND_HIGHS, "mip_heuristic_effort": 0.01}


def _tol(v: float) -> float:
    return 1e-6 * max(1.0, abs(v))


def _objective(lm: LinearModel, x: np.ndarray) -> float:
    return float(lm.obj @ x + lm.obj_offset)


@dataclass
class Outcome:
    """What the rounds did, for messages and benchmarks."""

    lp_bound: float | None = None
    rounds: int = 0
    free: list[int] = field(default_factory=list)  # free binaries per round
    lp_s: float = 0.0
    mip_s: float = 0.0
    local: bool = False  # a local round (around a given plan) ran first
    tb: float | None = None  # the bound by target, when computed
    tb_s: float = 0.0


class Engine:
    """One model kept loaded (its LP relaxation and its MILP) across re-solves.

    ``model`` is the :class:`~consortium.backends.highs.LoadedModel` the MILP
    rounds run on (a session's own, shared with its other solves); the owner
    keeps it up to date (:meth:`update` only follows for the LP)."""

    def __init__(self, lm: LinearModel, model: highs.LoadedModel | None = None,
                 targets: tuple[Any, int] | None = None):
        self.lm = lm
        self.relax = Relaxation(lm)
        self._model = model
        self.last: Outcome | None = None
        self.targets = targets  # (Vars, number of targets): the bound by target
        # the last bound by target computed over the model's own column bounds:
        # (model, LP duals, bound), for others to reuse (explain --alternatives)
        self.by_target_own: tuple[LinearModel, np.ndarray, by_target.TargetBound] | None = None
        # the blocks of the bound by target, kept for the next solve of the
        # same model within other bounds (by_target.Bounder)
        self._bounder: by_target.Bounder | None = None

    def close(self) -> None:
        """Free the bound by target's blocks (threads, HiGHS objects)."""
        if self._bounder is not None:
            self._bounder.close()
            self._bounder = None

    @property
    def model(self) -> highs.LoadedModel:
        if self._model is None:
            self._model = highs.LoadedModel(self.lm)
        return self._model

    def update(self, lm: LinearModel) -> None:
        """A model of the same structure (a scenario: other costs, bounds, limits);
        the LoadedModel is updated by its owner."""
        self.relax.update(lm)
        self.lm = lm

    def solve(
        self,
        opts: SolverOptions,
        start: np.ndarray | None = None,
        lb: np.ndarray | None = None,
        ub: np.ndarray | None = None,
        upper: float | None = None,
        local: np.ndarray | None = None,
        prove: bool = False,
    ) -> RawResult:
        """The exact optimum of the loaded model with column bounds ``lb``/``ub``
        (default: the model's own), within ``opts.gap``. ``upper``: a bound
        already proven for it (e.g. by a scenario whose rules it only tightens).
        ``local`` (with ``start``): the columns a good plan is likely to change
        (the consortia an actor dropped out of); a first, small MILP with every
        other column held at ``start`` gives the plan the proof round starts from.
        ``prove``: ``start`` is expected to be optimal (or nearly): the first round
        is the proof round at its value, not one just under the LP bound (the
        answer is still the exact optimum)."""
        t0 = time.perf_counter()
        lm = self.lm
        lb = lm.lb if lb is None else lb
        ub = lm.ub if ub is None else ub
        end = None if opts.time_limit is None else time.monotonic() + opts.time_limit
        if opts.deadline is not None:
            end = opts.deadline if end is None else min(end, opts.deadline)
        out = Outcome()
        self.last = out

        def left() -> float | None:
            return None if end is None else max(end - time.monotonic(), 0.05)

        stop: list[str | None] = [None]  # what cut a run short (time limit, Ctrl-C, SIGTERM)

        def note(r: Any) -> None:
            if r.stopped in (TIME_LIMIT, *INTERRUPTS):
                stop[0] = r.stopped

        def result(status, x, z, upper, msg, interrupted=False) -> RawResult:
            bound = None if upper is None or not np.isfinite(upper) else float(upper)
            if bound is not None and z is not None:
                bound = max(bound, z)
            gap = None if bound is None or z is None else abs(bound - z) / max(abs(z), 1e-9)
            stopped = stop[0]
            if status == Status.OPTIMAL:
                stopped = GAP if opts.gap > 0 and gap is not None and gap > 0 else None
            elif status == Status.FEASIBLE and stopped is None and end is not None \
                    and time.monotonic() >= end - 0.1:
                stopped = TIME_LIMIT
            interrupted = interrupted or stopped in INTERRUPTS
            return RawResult(
                status=status,
                x=x,
                objective=z,
                bound=bound,
                gap=gap,
                time_s=time.perf_counter() - t0,
                solver="highs",
                version=highs.version(),
                message=msg,
                interrupted=interrupted,
                stopped=stopped,
            )

        sub = replace(opts, time_limit=left(), deadline=None, on_progress=None)
        lp = self.relax.solve(lb, ub, sub)
        note(lp)
        out.lp_s = lp.time_s
        x0 = None  # the given plan, if it satisfies every bound and row here
        if replace(lm, lb=lb, ub=ub).is_feasible(start):
            x0 = np.asarray(start, float)
        z0 = None if x0 is None else _objective(lm, x0)
        if lp.status == "infeasible":
            return result(
                Status.INFEASIBLE,
                None,
                None,
                None,
                "Infeasible (the LP relaxation has no solution)",
                lp.interrupted,
            )
        if lp.status != "optimal":
            if lp.interrupted or (end is not None and time.monotonic() >= end):
                st = Status.FEASIBLE if x0 is not None else Status.NO_SOLUTION
                what = "interrupted" if lp.interrupted else "time limit reached"
                return result(
                    st, x0, z0, None, f"{what} while solving the LP relaxation", lp.interrupted
                )
            # numerical trouble in the LP: the single MILP decides
            return self._round(lm, lb, ub, opts, x0, z0, None, left, result, out, note)
        assert lp.row_dual is not None  # an optimal LP has its duals
        bd = lagrange.best_bound(lm, lp.row_dual, lb, ub)
        out.lp_bound = bd.value
        upper = bd.value if upper is None else min(upper, bd.value)
        tb: by_target.TargetBound | None = None  # (computed when the LP's fixings are weak)
        tb_tried = False
        x_best, z_best = x0, z0
        binary = lm.integer & (lb == 0) & (ub == 1)
        n_bin = int(binary.sum())
        step = FIRST_GAP
        scale = max(abs(upper), 1.0)
        interrupted = lp.interrupted
        found_last = False
        if local is not None and x0 is not None and z0 is not None and n_bin:
            lbL = np.where(local, lb, np.clip(x0, lb, ub))
            ubL = np.where(local, ub, np.clip(x0, lb, ub))
            r = self._mip(lm, lbL, ubL, opts, x0, -np.inf, upper, left, False)
            note(r)
            out.mip_s += r.time_s
            out.local = True
            interrupted = interrupted or r.interrupted
            if r.x is not None and r.objective is not None and r.objective > z0 + _tol(z0):
                # a floor for the rounds below (the small round just under the
                # bound still comes first: it often finds a better plan)
                x_best, z_best = r.x, _objective(lm, r.x)
            if r.interrupted:
                return result(
                    Status.FEASIBLE, x_best, z_best, upper, self._msg(r.message, out), True
                )
        while True:
            if z_best is not None and upper - z_best <= max(
                opts.gap * max(abs(z_best), 1e-9), _tol(z_best)
            ):
                return result(
                    Status.OPTIMAL, x_best, z_best, upper, self._msg("Optimal", out), interrupted
                )
            # A threshold just below the bound, as long as that is above the
            # best plan in hand (a small round that may prove a better plan at
            # once); else the round that proves the plan in hand (or finds better).
            # (A round that found a plan below its threshold is followed by the
            # proof of that plan: it is the best candidate there is.)
            T = upper - step * scale
            if z_best is not None:
                T = z_best if found_last else max(T, z_best)
            if prove and out.rounds == 0 and z_best is not None:
                T = z_best
            step *= FIRST_GROWTH
            to0, to1 = lagrange.fixings(lm, bd, lb, ub, T - _tol(T))
            if tb is None and not tb_tried and self.targets is not None and n_bin \
                    and int((~(to0 | to1) & binary).sum()) > TB_FREE_SHARE * n_bin:
                # The LP's fixings leave much of the model free: the bound by
                # target at the same duals (each target's own consortium
                # integral), tighter, and fixings by target beside the LP's.
                tb_tried = True
                try:
                    tb = self._target_bound(lm, lb, ub, lp.row_dual, opts, end, out)
                except KeyboardInterrupt as e:  # Ctrl-C or SIGTERM while pricing the targets
                    stop[0] = interrupt_name(e)
                    st = Status.FEASIBLE if x_best is not None else Status.NO_SOLUTION
                    return result(st, x_best, z_best, upper,
                                  self._msg("interrupted while bounding by target", out), True)
                if tb is not None and tb.value < upper:
                    upper = tb.value
                    # this round again, under the tighter bound; at least
                    # TB_FIRST_STEP below it when a round under the LP's
                    # bound has already found no plan (see there)
                    step /= FIRST_GROWTH
                    if out.rounds and not found_last:
                        step = max(step, TB_FIRST_STEP)
                    continue
            if tb is not None:
                a0, a1 = tb.fixings(lm, lb, ub, T - _tol(T))
                to0, to1 = to0 | a0, to1 | a1
                if np.any(to0 & to1):
                    # the two bounds fix a column both ways: no plan is worth T
                    upper = min(upper, T)
                    out.rounds += 1
                    out.free.append(0)
                    found_last = False
                    if out.rounds >= MAX_ROUNDS:
                        return self._round(
                            lm, lb, ub, opts, x_best, z_best, upper, left, result, out, note
                        )
                    continue
            free = n_bin - int(to0.sum() + to1.sum())
            if n_bin == 0 or free > MAX_FREE_SHARE * n_bin:
                return self._round(
                    lm, lb, ub, opts, x_best, z_best, upper, left, result, out, note
                )
            lbR, ubR = lb.copy(), ub.copy()
            ubR[to0] = 0.0
            lbR[to1] = 1.0
            x_in = x_best
            if x_in is not None and (np.any(x_in < lbR - 1e-9) or np.any(x_in > ubR + 1e-9)):
                x_in = None
            out.rounds += 1
            out.free.append(free)
            proof = x_in is not None and z_best is not None and T <= z_best
            if proof:
                # The round holds the plan, so it finds one at least as good;
                # handing it to HiGHS as a start only slows it down (HiGHS
                # 1.16, provincial seed 1: 2.2 s with it against 1.6 s without).
                x_in = None
            r = self._mip(lm, lbR, ubR, opts, x_in, T - _tol(T), upper, left, proof)
            note(r)
            out.mip_s += r.time_s
            interrupted = interrupted or r.interrupted
            rx, robj = r.x, r.objective
            found = rx is not None and robj is not None
            found_last = found
            if rx is not None and robj is not None and (z_best is None or robj > z_best):
                x_best, z_best = rx, _objective(lm, rx)
            if r.status == Status.OPTIMAL:
                if robj is not None and z_best is not None and robj >= T - _tol(T):
                    # the restricted optimum reaches T: it is the optimum
                    rb = r.bound if r.bound is not None else robj
                    upper = min(upper, max(rb, T - _tol(T)))
                    return result(
                        Status.OPTIMAL,
                        x_best,
                        z_best,
                        max(upper, z_best),
                        self._msg("Optimal", out),
                        interrupted,
                    )
                # no plan outside the fixings reaches T; inside them none
                # beats the round's bound (its optimum within opts.gap)
                rb = r.bound if r.bound is not None else T
                upper = min(upper, max(rb, T))
            elif r.status == Status.INFEASIBLE:
                upper = min(upper, T)
            elif r.status == Status.ERROR:
                # HiGHS failed on the restricted model: say so, as the single
                # MILP's path would, keeping a plan in hand if there is one
                st = Status.FEASIBLE if x_best is not None else Status.ERROR
                return result(st, x_best, z_best, upper, self._msg(r.message, out), interrupted)
            else:
                # stopped (time limit, Ctrl-C) inside a round: what it proved
                rb = r.bound if r.bound is not None else upper
                upper = min(upper, max(rb, T - _tol(T)))
                st = Status.FEASIBLE if x_best is not None else Status.NO_SOLUTION
                return result(
                    st, x_best, z_best, upper, self._msg(r.message or "stopped", out), interrupted
                )
            if end is not None and time.monotonic() >= end:
                st = Status.FEASIBLE if x_best is not None else Status.NO_SOLUTION
                return result(
                    st, x_best, z_best, upper, self._msg("Time limit reached", out), interrupted
                )
            unsettled = (
                proof
                and z_best is not None
                and upper - z_best > max(opts.gap * max(abs(z_best), 1e-9), _tol(z_best))
            )
            if unsettled or out.rounds >= MAX_ROUNDS:
                # a proof round that did not settle (HiGHS stopping on tolerances
                # of its own, e.g. a profile's mip_abs_gap): the single MILP decides
                return self._round(
                    lm, lb, ub, opts, x_best, z_best, upper, left, result, out, note
                )

    def _target_bound(self, lm: LinearModel, lb: np.ndarray, ub: np.ndarray,
                      row_dual: np.ndarray, opts: SolverOptions, end: float | None,
                      out: Outcome) -> by_target.TargetBound | None:
        """The bound by target at the LP's duals over these column bounds (None:
        the model does not split by target, one target holds most of it, or
        the time left ran out while pricing)."""
        assert self.targets is not None
        V, n_targets = self.targets
        if n_targets < 2:
            return None
        t = time.perf_counter()
        here = replace(lm, lb=lb, ub=ub)
        threads = opts.threads or default_parallelism()
        bounder = self._bounder
        if bounder is None or not bounder.fits(here, threads):
            if bounder is not None:
                bounder.close()
            bounder = self._bounder = by_target.Bounder.of(here, V, n_targets, threads,
                                                           TB_MAX_BLOCK_SHARE)
        tb = None if bounder is None else bounder.bound(here, row_dual, deadline=end)
        out.tb_s = time.perf_counter() - t
        out.tb = None if tb is None else tb.value
        if tb is not None and np.array_equal(lb, lm.lb) and np.array_equal(ub, lm.ub):
            self.by_target_own = (lm, np.asarray(row_dual, float).copy(), tb)
        return tb

    def upper_bound(self, opts: SolverOptions, below: float | None = None) -> float:
        """A proven upper bound on the loaded model's optimum, without a MILP:
        its LP relaxation's (-inf: no plan at all), and, when that is not
        below ``below``, the bound by target's at the same duals if tighter.
        (An LP that ends otherwise gives +inf: nothing proven.)"""
        lm = self.lm
        lp = self.relax.solve(lm.lb, lm.ub, replace(opts, on_progress=None))
        if lp.status == "infeasible":
            return -np.inf
        if lp.status != "optimal" or lp.row_dual is None:
            return np.inf
        bd = lagrange.best_bound(lm, lp.row_dual, lm.lb, lm.ub)
        value = float(bd.value)
        if below is not None and value >= below and self.targets is not None:
            tb = self._target_bound(lm, lm.lb, lm.ub, lp.row_dual, opts, None, Outcome())
            if tb is not None:
                value = min(value, float(tb.value))
        return value

    def target_bound_of(self, lm: LinearModel
                        ) -> tuple[np.ndarray, by_target.TargetBound] | None:
        """The LP duals and the bound by target at them that a solve of ``lm``
        (this very model, its own column bounds) computed, if one did."""
        got = self.by_target_own
        if got is None or got[0] is not lm:
            return None
        return got[1], got[2]

    def _mip(self, lm, lbR, ubR, opts, x_in, floor, upper, left, proof) -> RawResult:
        hopts = {**(PROOF_HIGHS if proof else ROUND_HIGHS), **opts.highs}
        cb = opts.on_progress
        wrapped = None
        if cb is not None:

            def wrapped(p: Progress) -> None:  # the round's bound holds only within its fixings
                b = None if p.bound is None else min(upper, max(p.bound, floor))
                cb(
                    Progress(
                        p.elapsed,
                        p.incumbent,
                        b,
                        None
                        if b is None or p.incumbent is None
                        else abs(b - p.incumbent) / max(abs(p.incumbent), 1e-9),
                        p.nodes,
                    )
                )

        sub = replace(opts, time_limit=left(), deadline=None, highs=hopts, on_progress=wrapped)
        if np.count_nonzero(lbR != ubR) <= REDUCE_FREE_SHARE * lm.n_cols:
            return highs.run_reduced(replace(lm, lb=lbR, ub=ubR), sub, x_in)
        return self.model.run_within(lbR, ubR, sub, x_in)

    def _round(self, lm, lb, ub, opts, x_best, z_best, upper, left, result, out,
               note) -> RawResult:
        """The single MILP within lb..ub (no fixings)."""
        out.rounds += 1
        out.free.append(int((lm.integer & (lb == 0) & (ub == 1)).sum()))
        sub = replace(opts, time_limit=left(), deadline=None)
        r = self.model.run_within(lb, ub, sub, x_best)
        note(r)
        out.mip_s += r.time_s
        if (
            r.x is not None
            and r.objective is not None
            and (z_best is None or r.objective >= z_best)
        ):
            x_best, z_best = r.x, _objective(lm, r.x)
        if r.status == Status.INFEASIBLE:
            return result(Status.INFEASIBLE, None, None, None, r.message, r.interrupted)
        rb = r.bound
        if upper is not None:
            rb = upper if rb is None else min(rb, upper)
        if r.status == Status.ERROR:
            status = Status.FEASIBLE if x_best is not None else Status.ERROR
        elif x_best is None:
            status = Status.NO_SOLUTION
        elif r.status == Status.OPTIMAL or r.status == Status.FEASIBLE:
            status = r.status
        else:
            status = Status.FEASIBLE
        return result(status, x_best, z_best, rb, self._msg(r.message, out), r.interrupted)

    @staticmethod
    def _msg(head: str, out: Outcome) -> str:
        if out.lp_bound is None:
            return f"{head} (single MILP)"
        free = ", ".join(f"{f:,}" for f in (out.free or []))
        local = "a local round around the given plan, then " if out.local else ""
        return (
            f"{head} (exact engine: LP bound {out.lp_bound:.6g}, {local}{out.rounds} round(s) with "
            f"{free or 'no'} binaries left free)"
        )
