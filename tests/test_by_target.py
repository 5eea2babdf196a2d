"""The bound by target (consortium.solving.engine.by_target): valid for every
plan, never weaker than the LP relaxation's, and its fixings keep the optimum.
Checked against the brute force on tiny instances and against the MILP on
generated ones."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import tiny_instances

from consortium.backends import highs
from consortium.backends.base import SolverOptions
from consortium.backends.highs_relax import Relaxation
from consortium.io.instance import from_dict
from consortium.solving.build import build
from consortium.solving.engine import lagrange
from consortium.solving.engine.by_target import target_bound
from consortium.solving.solve import solution_from_raw
from consortium.solving.verified import check_plan

EXACT = SolverOptions(gap=0.0, threads=1)


def _bound(raw):
    b = build(from_dict(copy.deepcopy(raw)))
    lm = b.lm
    lp = Relaxation(lm).solve(lm.lb, lm.ub, SolverOptions(threads=1))
    if lp.status != "optimal" or lp.row_dual is None:
        return b, None, None
    return b, lagrange.best_bound(lm, lp.row_dual, lm.lb, lm.ub), \
        target_bound(lm, b.V, len(b.md.inst.targets), lp.row_dual, threads=2)


def _verified(raw, b, r) -> None:
    """A plan the test solved is a plan of the instance (the independent verifier)."""
    if r.x is not None:
        check_plan(raw, solution_from_raw(b, r, 0.0))


def _check(raw, optimum: float) -> None:
    b, lpb, tb = _bound(raw)
    if tb is None:
        return
    lm = b.lm
    tol = 1e-6 * max(1.0, abs(optimum))
    assert tb.value >= optimum - tol  # a bound on every plan
    assert tb.value <= lpb.value + tol  # each block's MILP bound at most its LP's
    # the fixings at the optimum keep a plan worth it: the restricted MILP
    # has the same optimum
    to0, to1 = tb.fixings(lm, lm.lb, lm.ub, optimum - tol)
    lb, ub = lm.lb.copy(), lm.ub.copy()
    ub[to0], lb[to1] = 0.0, 1.0
    r = highs.run_highs(replace(lm, lb=lb, ub=ub), EXACT)
    assert r.objective == pytest.approx(optimum, rel=1e-6, abs=1e-6)
    _verified(raw, b, r)
    # every column on its other side: the bound holds for the best plan so
    x = np.asarray(r.x)
    for j in np.nonzero(lm.integer & (lm.lb == 0) & (lm.ub == 1))[0][:40]:
        flip_lb, flip_ub = lm.lb.copy(), lm.ub.copy()
        side = 1.0 - round(x[j])
        flip_lb[j] = flip_ub[j] = side
        f = highs.run_highs(replace(lm, lb=flip_lb, ub=flip_ub),
                            EXACT)
        if f.objective is None:
            continue
        _verified(raw, b, f)
        k = tb.block_of[j]
        against = tb.value - tb.term[k] + tb.lp[k] - (abs(tb.d[j]) if
                                                      (tb.d[j] > 0) == (side == 0.0) else 0.0)
        assert f.objective <= against + tol


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(inst=tiny_instances(max_targets=3, max_actors=6))
def test_bound_by_target_against_brute_force(inst):
    from bruteforce import brute_force

    expected = brute_force(copy.deepcopy(inst))
    if expected.objective is None:
        return
    _check(inst, expected.objective)


@pytest.mark.parametrize("seed", [1, 2])
def test_bound_by_target_on_generated_instances(seed):
    from consortium.generate import generate

    raw = generate(preset="provincial", targets=8, actors=100, seed=seed)
    b = build(from_dict(copy.deepcopy(raw)))
    r = highs.run_highs(b.lm, EXACT)
    _verified(raw, b, r)
    _check(raw, r.objective)


@pytest.mark.parametrize("seed", [3, 4])
def test_a_kept_bounder_gives_the_bound_of_a_fresh_one_within_other_bounds(seed):
    """The engine keeps the blocks (by_target.Bounder) across solves of one
    model within other column bounds and other limits of the rows across
    targets: each bound equals a fresh bound by target of the model at hand
    (within the blocks' 1e-7 gap), holds for its optimum, and its fixings
    keep a plan worth that optimum."""
    from consortium.generate import generate
    from consortium.solving.engine.by_target import Bounder

    raw = generate(preset="provincial", targets=8, actors=100, seed=seed)
    b = build(from_dict(copy.deepcopy(raw)))
    lm, nt = b.lm, len(b.md.inst.targets)
    rng = np.random.default_rng(seed)
    bounder = Bounder.of(lm, b.V, nt, threads=2)
    assert bounder is not None
    binary = np.nonzero(lm.integer & (lm.lb == 0) & (lm.ub == 1))[0]
    across = bounder.B.coupling  # budgets, capacities: the rows across targets

    def same_as_fresh(here):
        """The kept bounder's bound of ``here`` at its LP's duals, checked
        equal to a fresh one's (None: the LP has no duals)."""
        lp = Relaxation(here).solve(here.lb, here.ub, SolverOptions(threads=1))
        if lp.status != "optimal":
            return None
        kept = bounder.bound(here, lp.row_dual)
        fresh = target_bound(here, b.V, nt, lp.row_dual, threads=2)
        assert kept is not None and fresh is not None
        assert kept.value == pytest.approx(fresh.value, rel=1e-6, abs=1e-6)
        return kept
    try:
        for step in range(5):
            ub = lm.ub.copy()
            if step:  # bar a random fifth of the binaries
                ub[rng.choice(binary, len(binary) // 5, replace=False)] = 0.0
            row_hi = lm.row_hi.copy()
            if step % 2:  # and tighten the rows across targets
                row_hi[across] = np.floor(row_hi[across] * 0.8)
            here = replace(lm, ub=ub, row_hi=row_hi)
            assert bounder.fits(here, 2)
            kept = same_as_fresh(here)
            if kept is None:
                continue
            r = highs.run_highs(here, EXACT)
            if r.objective is None:
                continue
            tol = 1e-6 * max(1.0, abs(r.objective))
            assert kept.value >= r.objective - tol
            to0, to1 = kept.fixings(here, here.lb, here.ub, r.objective - tol)
            lb2, ub2 = here.lb.copy(), here.ub.copy()
            ub2[to0], lb2[to1] = 0.0, 1.0
            f = highs.run_highs(replace(here, lb=lb2, ub=ub2), EXACT)
            assert f.objective == pytest.approx(r.objective, rel=1e-6, abs=1e-6)
            _verified(raw, b, f)
        # other costs and coefficients of the blocks' own rows (a state share),
        # the same structure: the blocks take them too
        data = lm.A.data.copy()
        inside = ~np.isin(lm.A.indices, bounder.B.coupling)
        data[inside] = np.where(data[inside] != 0, data[inside] * 1.1, 0.0)
        other = replace(lm, obj=lm.obj * 1.3, A=replace(lm.A, data=data))
        assert bounder.fits(other, 2)
        same_as_fresh(other)
        # a looser limit of the blocks' own rows on the same matrix object (a
        # target's budget): the blocks take it (a stale, tighter block would
        # give a bound below the optimum)
        inside_rows = np.setdiff1d(np.arange(lm.n_rows), bounder.B.coupling)
        row_hi = lm.row_hi.copy()
        row_hi[inside_rows] = np.where(np.isfinite(row_hi[inside_rows]),
                                       row_hi[inside_rows] + 5.0, row_hi[inside_rows])
        same_as_fresh(lm)  # (the blocks on lm's own matrix object first)
        same_as_fresh(replace(lm, row_hi=row_hi))
        across = np.isin(lm.A.indices, bounder.B.coupling)
        data = lm.A.data.copy()
        data[across] *= 2
        assert not bounder.fits(replace(lm, A=replace(lm.A, data=data)), 2)  # other prices
        assert not bounder.fits(lm, 1)  # other threads
    finally:
        bounder.close()
