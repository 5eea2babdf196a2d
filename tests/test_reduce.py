"""Fixed columns taken out before HiGHS (``consortium.model.linear.reduce_fixed``,
``consortium.backends.highs.run_reduced``): the reduced model has exactly the
plans of the whole one, so its solve gives the same status and optimum, and
its plan, lifted back, is a plan of the whole model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consortium.backends import highs
from consortium.backends.base import SolverOptions, Status
from consortium.model.linear import INF, LinearModel, csc_from_coo, reduce_fixed


@st.composite
def fixed_models(draw):
    """A small MILP (0/1, general integer and continuous columns, rows of
    every kind of limit) with some columns fixed, at values that may or may
    not leave a plan."""
    n = draw(st.integers(1, 9))
    m = draw(st.integers(0, 7))
    kind = draw(st.lists(st.sampled_from("bic"), min_size=n, max_size=n))
    lb = np.zeros(n)
    ub = np.array([1.0 if k == "b" else draw(st.sampled_from([2.0, 3.0, INF])) for k in kind])
    integer = np.array([k != "c" for k in kind])
    obj = np.array(draw(st.lists(st.integers(-4, 6), min_size=n, max_size=n)), float)
    k = draw(st.integers(0, 3 * n * max(m, 1))) if m else 0
    rows = np.array(draw(st.lists(st.integers(0, max(m - 1, 0)), min_size=k, max_size=k)),
                    np.int64)
    cols = np.array(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)), np.int64)
    vals = np.array(draw(st.lists(st.integers(-3, 4), min_size=k, max_size=k)), float)
    lo, hi = np.full(m, -INF), np.full(m, INF)
    for i in range(m):
        a = float(draw(st.integers(-3, 6)))
        form = draw(st.sampled_from(["<=", ">=", "==", "range"]))
        if form in ("<=", "==", "range"):
            hi[i] = a
        if form in (">=", "=="):
            lo[i] = a
        if form == "range":
            lo[i] = a - draw(st.integers(0, 3))
    lm = LinearModel(lb=lb, ub=ub, obj=obj, integer=integer,
                     A=csc_from_coo(rows, cols, vals, (m, n)), row_lo=lo, row_hi=hi,
                     col_blocks=[], row_blocks=[], obj_offset=float(draw(st.integers(-5, 5))))
    fix = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    flb, fub = lm.lb.copy(), lm.ub.copy()
    for j in range(n):
        if fix[j]:
            v = float(draw(st.integers(0, 1 if kind[j] == "b" else 2)))
            if kind[j] == "c":
                v += draw(st.sampled_from([0.0, 0.5]))
            flb[j] = fub[j] = v
    return LinearModel(lb=flb, ub=fub, obj=obj, integer=integer, A=lm.A, row_lo=lo, row_hi=hi,
                       col_blocks=[], row_blocks=[], obj_offset=lm.obj_offset)


OPTS = SolverOptions(gap=0.0, threads=1, highs={"random_seed": 0})


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(fixed_models())
def test_a_reduced_solve_has_the_whole_models_status_and_optimum(lm):
    whole = highs.run_highs(lm, OPTS)
    red = highs.run_reduced(lm, OPTS)
    if whole.status in (Status.INFEASIBLE, Status.NO_SOLUTION) or whole.objective is None:
        # (HiGHS may answer "infeasible or unbounded" on the whole model)
        assert red.x is None or lm.is_feasible(red.x)
        if whole.status == Status.INFEASIBLE:
            assert red.status == Status.INFEASIBLE
        return
    if whole.status != Status.OPTIMAL:
        return  # unbounded: nothing to compare
    assert red.status == Status.OPTIMAL
    assert red.objective == pytest.approx(whole.objective, abs=1e-6)
    assert red.x is not None and lm.is_feasible(red.x)
    assert float(lm.obj @ red.x + lm.obj_offset) == pytest.approx(whole.objective, abs=1e-6)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(fixed_models())
def test_reduce_keeps_every_plan_and_its_value(lm):
    """Any point within the bounds is a plan of the whole model exactly when
    its free part is a plan of the reduced one, at the same value."""
    r = reduce_fixed(lm)
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = np.where(lm.lb == lm.ub, lm.lb,
                     np.minimum(np.floor(rng.uniform(0, 3.999, lm.n_cols)), lm.ub))
        if r.model is None:
            assert not lm.is_feasible(x, tol=1e-9)
            continue
        y = r.restrict(x)
        assert np.array_equal(r.lift(y), x)
        assert r.model.is_feasible(y, tol=1e-9) == lm.is_feasible(x, tol=1e-9)
        assert float(r.model.obj @ y + r.model.obj_offset) == pytest.approx(
            float(lm.obj @ x + lm.obj_offset))


def test_a_row_of_fixed_columns_is_left_out_and_a_broken_one_reported():
    # row 0: x0 + x1 <= 5; row 1: x0 + x2 >= 1; row 2: x2 <= 3, with x2 fixed at 0
    A = csc_from_coo(np.array([0, 0, 1, 1, 2]), np.array([0, 1, 0, 2, 2]), np.ones(5), (3, 3))
    lo, hi = np.array([-INF, 1.0, -INF]), np.array([5.0, INF, 3.0])
    lm = LinearModel(lb=np.zeros(3), ub=np.array([1.0, 1.0, 0.0]), obj=np.ones(3),
                     integer=np.ones(3, bool), A=A, row_lo=lo, row_hi=hi,
                     col_blocks=[], row_blocks=[])
    r = reduce_fixed(lm)
    assert r.model is not None and r.model.n_cols == 2 and r.model.n_rows == 2
    assert list(r.model.row_lo) == [-INF, 1.0] and list(r.model.row_hi) == [5.0, INF]
    # x0 fixed at 0 as well: row 1 (x0 + x2 >= 1) has no free column left and is broken
    broken = LinearModel(lb=np.zeros(3), ub=np.array([0.0, 1.0, 0.0]), obj=np.ones(3),
                         integer=np.ones(3, bool), A=A, row_lo=lo, row_hi=hi,
                         col_blocks=[], row_blocks=[])
    rb = reduce_fixed(broken)
    assert rb.model is None and rb.empty_row == 1
    assert highs.run_reduced(broken, OPTS).status == Status.INFEASIBLE
