"""The exact re-solve engine (``consortium.engine``) gives what the single MILP proves.

* Its optimum equals brute force on tiny random instances, and its bound is
  never below the optimum.
* The Lagrangian bound is valid for *any* prices, and its fixings never cut
  off an optimal plan (the proof the engine rests on).
* A :class:`consortium.solving.session.Session` that re-solves variants (budget
  scenarios, barred actors, targets held formed) through the engine, with its
  warm LP and its cache of proven scenarios, gives the optimum of a separate
  solve of each variant, and brute force's.

Every plan goes through the independent verifier.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from bruteforce import brute_force
from conftest import ROOT, solve_verified
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import tiny_instances

from consortium.backends import highs
from consortium.backends.base import SolverOptions, Status
from consortium.io.instance import from_dict
from consortium.solving.build import build
from consortium.solving.dispatch import method_for
from consortium.solving.engine import lagrange
from consortium.solving.engine.exact import Engine
from consortium.solving.session import Session
from consortium.solving.solve import solution_from_raw
from consortium.verify import verify_solution

DEMO = ROOT / "instances" / "demo" / "suzhou.json"
SETTINGS = dict(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EXACT = SolverOptions(method="exact")


def close(a, b):
    return a == pytest.approx(b, rel=1e-6, abs=1e-6)


def proves_brute_force(res, expected) -> bool:
    """``res`` (a solution or a raw result) is brute force's answer: no plan,
    or its optimum with a bound never below it. True when there is a plan."""
    if expected.objective is None:
        assert res.status == Status.INFEASIBLE
        return False
    assert res.status == Status.OPTIMAL
    assert close(res.objective, expected.objective)
    assert res.bound is not None and res.bound >= expected.objective - 1e-6
    return True


def checked(b, raw, instance: dict):
    """The plan of a raw engine result, written as ``solve`` would, verified."""
    sol = solution_from_raw(b, raw, 0.0)
    res = verify_solution(instance, sol.to_dict())
    assert res.ok, [f"rule {v.rule}: {v.message}" for v in res.violations]
    if sol.status.has_plan:
        assert close(res.objective, sol.objective)
    return sol


@settings(max_examples=150, **SETTINGS)
@given(tiny_instances())
def test_engine_optimum_matches_brute_force(inst):
    expected = brute_force(copy.deepcopy(inst))
    proves_brute_force(solve_verified(inst, reasons=False, method="exact"), expected)


@settings(max_examples=80, **SETTINGS)
@given(tiny_instances(), st.integers(0, 2**32 - 1))
def test_lagrangian_bound_valid_for_any_prices_and_fixings_keep_the_optimum(inst, seed):
    expected = brute_force(copy.deepcopy(inst))
    if expected.objective is None:
        return
    b = build(from_dict(copy.deepcopy(inst)))
    lm = b.lm
    rng = np.random.default_rng(seed)
    # the exact optimum's plan, from the single MILP (checked against brute force)
    raw = highs.run_highs(lm, SolverOptions())
    assert close(raw.objective, expected.objective)
    for y in (rng.normal(0, 3, lm.n_rows), rng.exponential(1, lm.n_rows), np.zeros(lm.n_rows)):
        bd = lagrange.bound(lm, y, lm.lb, lm.ub)
        assert bd.value >= expected.objective - 1e-6
        # every plan worth the optimum keeps the fixings at that threshold
        to0, to1 = lagrange.fixings(lm, bd, lm.lb, lm.ub, expected.objective - 1e-6)
        assert not np.any(raw.x[to0] > 0.5)
        assert not np.any(raw.x[to1] < 0.5)


def _variants(inst: dict, rng) -> list[dict]:
    """Budget and value scenarios of one instance (same ids, same structure)."""
    out = []
    for f in (0.4, 0.7, 1.0, 1.5, 0.7):
        v = copy.deepcopy(inst)
        pol = v.setdefault("policy", {})
        if "total_budget" in pol and pol["total_budget"] is not None:
            pol["total_budget"] = round(pol["total_budget"] * f, 2)
        else:
            pol["total_budget"] = round(20.0 * f, 2)
        for sp in v.get("sponsors", []):
            if "budget" in sp and rng.random() < 0.5:
                sp["budget"] = round(sp["budget"] * f, 2)
        out.append(v)
    return out


@settings(max_examples=60, **SETTINGS)
@given(tiny_instances(), st.integers(0, 2**32 - 1))
def test_session_scenarios_match_separate_solves_and_brute_force(inst, seed):
    rng = np.random.default_rng(seed)
    sess = Session(from_dict(copy.deepcopy(inst)), EXACT)
    for v in _variants(inst, rng):
        expected = brute_force(copy.deepcopy(v))
        sol = sess.resolve(from_dict(copy.deepcopy(v)))
        res = verify_solution(v, sol.to_dict())
        assert res.ok, [f"rule {x.rule}: {x.message}" for x in res.violations]
        if expected.objective is None:
            assert sol.status == Status.INFEASIBLE
            continue
        assert sol.status == Status.OPTIMAL
        assert close(sol.objective, expected.objective)
        separate = solve_verified(v, reasons=False, method="mip")
        assert close(sol.objective, separate.objective)


_LOOSE_PATHS = {
    "policy.max_state_share": [1.0, 0.75, 0.5, 0.34, 0.0],
    "policy.min_private_members": [0, 1, 2],
    "policy.min_outside_members": [0, 1, 2],
    "policy.total_budget": [40.0, 12.0, 6.0],
}


@settings(max_examples=60, **SETTINGS)
@given(tiny_instances(), st.integers(0, 2**32 - 1))
def test_scenarios_carried_by_their_looseness_match_brute_force(inst, seed):
    """A sweep vouches that a scenario's plans are plans of every looser one
    (the state share rewrites rule 7's coefficients, a member minimum of 0
    drops rules 8 and 9's rows): the session carries the looser proofs over,
    in whatever order the scenarios come, and every answer is brute force's."""
    from consortium.sweep.grid import looseness
    from consortium.sweep.paths import apply_overrides

    rng = np.random.default_rng(seed)
    paths = [p for p in _LOOSE_PATHS if rng.random() < 0.6] or ["policy.max_state_share"]
    scenarios = []
    for _ in range(5):
        # (a scenario may leave a path at the instance's own value: then it
        # is not comparable with one that sets it)
        here = [p for p in paths if rng.random() < 0.8] or paths[:1]
        scenarios.append({p: _LOOSE_PATHS[p][int(rng.integers(len(_LOOSE_PATHS[p])))]
                          for p in here})
    sess = Session(from_dict(copy.deepcopy(inst)), EXACT)
    for ov in scenarios:
        v = apply_overrides(inst, ov)
        expected = brute_force(copy.deepcopy(v))
        sol = sess.resolve(from_dict(copy.deepcopy(v)), looseness=looseness(ov))
        if expected.objective is None:
            assert sol.status == Status.INFEASIBLE, ov
            continue
        assert sol.status == Status.OPTIMAL, ov
        assert close(sol.objective, expected.objective), (ov, sol.objective, expected.objective)
        res = verify_solution(v, sol.to_dict())
        assert res.ok, [f"rule {x.rule}: {x.message}" for x in res.violations]


_DISTANCES = [None, 20.0, 60.0, 120.0, 200.0, 350.0]


@settings(max_examples=60, **SETTINGS)
@given(tiny_instances(max_sites=3), st.integers(0, 2**32 - 1))
def test_distance_limits_as_column_bounds_match_brute_force(inst, seed):
    """A tighter distance limit only removes (actor, site) triples: the model
    of the loosest limits with the triples beyond a scenario's own held at 0
    (Session.resolve_reach) gives brute force's optimum of the scenario, in
    whatever order the scenarios come (looser proofs carried over, a plan
    beyond reach re-planned), and no answer only where there is no plan."""
    rng = np.random.default_rng(seed)
    n = len(inst["targets"])
    own = [t.get("max_distance_km") for t in inst["targets"]]
    scenarios = [[own[i] if rng.random() < 0.2 else _DISTANCES[int(rng.integers(6))]
                  for i in range(n)] for _ in range(5)]
    loosest = [None if any(s[i] is None for s in scenarios) else max(s[i] for s in scenarios)
               for i in range(n)]

    def with_reach(reach):
        v = copy.deepcopy(inst)
        for t, km in zip(v["targets"], reach, strict=True):
            t.pop("max_distance_km", None)
            if km is not None:
                t["max_distance_km"] = km
        return v

    sess = Session(from_dict(with_reach(loosest)), EXACT)
    for reach in scenarios:
        v = with_reach(reach)
        expected = brute_force(copy.deepcopy(v))
        sol = sess.resolve_reach(reach)
        if expected.objective is None:
            assert sol is None, reach
            continue
        assert sol is not None and sol.status == Status.OPTIMAL, reach
        assert close(sol.objective, expected.objective), (reach, sol.objective, expected.objective)
        res = verify_solution(v, sol.to_dict())
        assert res.ok, [f"rule {x.rule}: {x.message}" for x in res.violations]


def test_a_state_share_sweep_carries_the_loosest_proof_and_equals_separate_solves(medium):
    """The state share rewrites rule 7's coefficients, so the matrix does not
    show that a tighter share only tightens; the sweep's looseness key does,
    and where the loosest plan keeps within a tighter share that scenario is
    answered from the loosest proof, the same optimum as a separate solve."""
    from consortium.sweep.grid import looseness

    sess = Session(from_dict(copy.deepcopy(medium)), SolverOptions())
    # loosest first, as a sweep orders them; the share binds at 0.15 and 0.05
    values = set()
    for share in (1.0, 0.7, 0.2, 0.15, 0.05):
        v = copy.deepcopy(medium)
        v["policy"]["max_state_share"] = share
        sol = sess.resolve(from_dict(copy.deepcopy(v)),
                           looseness=looseness({"policy.max_state_share": share}))
        assert verify_solution(v, sol.to_dict()).ok
        # a separate solve as `consortium solve` runs it, and the single MILP
        # at the first binding share (5 s a scenario: once is enough)
        for method in ("auto", "mip") if share == 0.15 else ("auto",):
            separate = solve_verified(v, reasons=False, method=method)
            assert sol.status == separate.status
            if sol.status.has_plan:
                assert close(sol.objective, separate.objective)
        values.add(round(sol.objective or 0.0, 6))
    assert sess.skipped >= 2
    assert len(values) >= 3  # the share binds


@settings(max_examples=80, **SETTINGS)
@given(tiny_instances(max_targets=4, max_actors=6), st.integers(0, 2))
def test_rounds_with_the_bound_by_target_match_brute_force(inst, barred):
    """With the bound by target taken before the first round (TB_FREE_SHARE
    0; any target's share of the columns), on the model's own bounds and with
    actors barred (narrower column bounds), the engine still proves brute
    force's optimum, its bound never below it."""
    from consortium.solving.engine import exact

    v = copy.deepcopy(inst)
    gone = [a["id"] for a in inst["actors"]][:barred]
    if gone:
        v.setdefault("fixed", {})["forbidden_actors"] = gone
    expected = brute_force(copy.deepcopy(v))
    sess = Session(from_dict(copy.deepcopy(inst)), EXACT)
    b = sess.b
    old = exact.TB_FREE_SHARE, exact.TB_MAX_BLOCK_SHARE
    exact.TB_FREE_SHARE, exact.TB_MAX_BLOCK_SHARE = 0.0, 1.0
    try:
        cols = sess.barred_columns([(-1, b.md.actor_index[a]) for a in gone]) if gone \
            else np.zeros(0, np.int32)
        raw = sess.solve_barred(cols)
    finally:
        exact.TB_FREE_SHARE, exact.TB_MAX_BLOCK_SHARE = old
    out = sess.engine.last
    if not proves_brute_force(raw, expected):
        return
    if out is not None and out.tb is not None:
        assert out.tb >= expected.objective - 1e-6
    checked(b, raw, v)


def test_the_bound_by_target_is_taken_where_the_lp_fixings_are_weak():
    """Provincial-style, 12 targets: the rounds take the bound by target
    (TB_FREE_SHARE 0) and prove the single MILP's optimum; the plan verifies."""
    from consortium.generate import generate
    from consortium.solving.engine import exact

    raw = generate(preset="provincial", seed=2, targets=12, actors=300)
    b = build(from_dict(copy.deepcopy(raw)))
    old = exact.TB_FREE_SHARE
    exact.TB_FREE_SHARE = 0.0
    try:
        e = Engine(b.lm, targets=(b.V, len(b.md.views)))
        got = e.solve(SolverOptions(gap=0.0))
    finally:
        exact.TB_FREE_SHARE = old
    assert e.last is not None and e.last.tb is not None and e.last.rounds >= 1
    m = highs.run_highs(b.lm, SolverOptions(gap=0.0))
    assert got.status == m.status == Status.OPTIMAL
    assert close(got.objective, m.objective)
    assert e.last.tb >= m.objective - 1e-6
    checked(b, got, raw)
    assert e.target_bound_of(b.lm) is not None  # kept for explain --alternatives


@settings(max_examples=60, **SETTINGS)
@given(tiny_instances(), st.integers(0, 2**32 - 1))
def test_barred_actors_and_forced_targets_match_brute_force(inst, seed):
    """solve_barred with an actor barred from every target is the instance with
    that actor forbidden; with a target's y held at 1 it is that target mandatory."""
    rng = np.random.default_rng(seed)
    sess = Session(from_dict(copy.deepcopy(inst)), EXACT)
    base = sess.resolve()
    md = sess.b.md
    actors = [a["id"] for a in inst["actors"]]
    for aid in rng.permutation(actors)[:3]:
        a = md.actor_index[aid]
        raw = sess.solve_barred(sess.barred_columns([(-1, a)]))
        v = copy.deepcopy(inst)
        fx = v.setdefault("fixed", {})
        fx["forbidden_actors"] = sorted(set(fx.get("forbidden_actors") or []) | {aid})
        expected = brute_force(copy.deepcopy(v))
        if expected.objective is None:
            assert raw.status == Status.INFEASIBLE
            continue
        assert raw.status == Status.OPTIMAL
        assert close(raw.objective, expected.objective)
        checked(sess.b, raw, v)
        if base.status.has_plan:
            assert raw.objective <= base.objective + 1e-6  # barring never helps
    t = int(rng.integers(len(inst["targets"])))
    raw = sess.solve_barred(np.zeros(0, np.int32), formed=t)
    v = copy.deepcopy(inst)
    v["targets"][t]["mandatory"] = True
    expected = brute_force(copy.deepcopy(v))
    if expected.objective is None:
        assert raw.status == Status.INFEASIBLE
    else:
        assert raw.status == Status.OPTIMAL and close(raw.objective, expected.objective)
        checked(sess.b, raw, v)


def test_demo_engine_equals_single_milp():
    raw = json.loads(DEMO.read_text())
    e = solve_verified(raw, reasons=False, method="exact")
    m = solve_verified(raw, reasons=False, method="mip")
    assert e.status == m.status == Status.OPTIMAL
    assert close(e.objective, m.objective)
    assert "exact engine" in e.solver["message"]


@pytest.fixture(scope="module")
def medium():
    """A provincial-style instance cut to 10 targets: big enough for rounds of
    fixing to matter (the engine is what `auto` picks for it)."""
    from consortium.generate import generate

    return generate(preset="provincial", seed=3, targets=10)


def test_medium_instance_auto_uses_engine_and_matches_single_milp(medium):
    b = build(from_dict(copy.deepcopy(medium)))
    assert method_for(b, SolverOptions()) == "exact"
    e = solve_verified(medium, reasons=False)
    m = solve_verified(medium, reasons=False, method="mip")
    assert e.status == m.status == Status.OPTIMAL
    assert close(e.objective, m.objective)


def test_auto_leaves_a_one_target_model_to_highs_alone(medium):
    """`auto` picks the engine for plans of two or more targets only: a one-target
    model of 4,000 columns and more (a set-covering problem, OR-Library sets C
    and D) is HiGHS's alone, the same model cut to one target is too, and the
    multi-target instance still gets the engine."""
    from consortium.io.orlib import scp_to_instance

    rng = np.random.default_rng(0)
    n, m = 4000, 50
    rows = [sorted(set(rng.choice(n, 40, replace=False).tolist()) | {i}) for i in range(m)]
    costs = rng.integers(1, 100, n).tolist()
    covering = build(from_dict(scp_to_instance((costs, [[j + 1 for j in r] for r in rows]),
                                               "cover", coordinator=True)))
    assert covering.lm.n_cols >= 4000 and len(covering.V.views) == 1
    assert method_for(covering, SolverOptions()) == "mip"
    assert method_for(covering, SolverOptions(method="exact")) == "exact"  # as asked
    assert method_for(build(from_dict(copy.deepcopy(medium))), SolverOptions()) == "exact"


def test_budget_sweep_in_a_session_equals_separate_solves_and_skips_proven(medium):
    tb = medium["policy"]["total_budget"]
    sess = Session(from_dict(copy.deepcopy(medium)), SolverOptions())
    budgets = [tb * f for f in (3.0, 2.0, 1.0, 0.7)]  # from loose to tight
    for B in budgets:
        v = copy.deepcopy(medium)
        v["policy"]["total_budget"] = round(B, 2)
        sol = sess.resolve(from_dict(copy.deepcopy(v)))
        res = verify_solution(v, sol.to_dict())
        assert res.ok
        # a separate solve as `consortium solve` runs it, and the single MILP
        # where the budget binds hardest (5 s a scenario: once is enough)
        for method in ("auto", "mip") if B == budgets[-1] else ("auto",):
            separate = solve_verified(v, reasons=False, method=method)
            assert sol.status == separate.status
            if sol.status.has_plan:
                assert close(sol.objective, separate.objective)
    # from a budget that no longer binds down to one that does: the loose ones
    # repeat the first plan, which the first proof already settles
    assert sess.skipped >= 1


def test_time_limit_returns_a_plan_with_an_honest_bound(medium):
    from consortium.solving.session import wait_for_abandoned

    b = build(from_dict(copy.deepcopy(medium)))
    exact = Engine(b.lm).solve(SolverOptions())
    try:
        # (1 s: the start is no plan here, mandatory targets, so HiGHS must find
        # one; 0.3 s was not always enough on 2 cores shared with other work)
        r = Engine(b.lm).solve(SolverOptions(time_limit=1.0), start=np.zeros(b.lm.n_cols))
    finally:
        # a HiGHS run cut off at the limit may go on in its thread for a while:
        # let it end here, not under a later test of this process
        wait_for_abandoned()
    assert r.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert r.objective <= exact.objective + 1e-6
    assert r.bound is None or r.bound >= exact.objective - 1e-6
    checked(b, r, medium)


def test_marginal_and_stress_through_the_engine_equal_the_single_milp():
    """The analyses' re-solves (barred pairs, dropped actors, targets held
    formed) through the engine give the single MILP's answers, which
    tests/test_analyse.py holds against brute force."""
    from consortium import analysis as an

    raw = json.loads(DEMO.read_text())
    inst = from_dict(copy.deepcopy(raw))
    sol = solve_verified(raw, reasons=False)
    by = {}
    for method in ("mip", "exact"):
        o = SolverOptions(method=method)
        marg = an.marginal_values(inst, sol, o, workers=0, keep_plans=True)
        scen = an.drop_each_scenarios(sol) + [
            an.scenario_from_spec(inst, {"drop_foreign": True}, "s0")
        ]
        stress = an.stress_test(inst, sol, scen, o, workers=0, keep_plans=True)
        by[method] = (marg, stress)
    for a, b in zip(by["mip"][0], by["exact"][0], strict=True):
        assert (a["target"], a["actor"], a["status"]) == (b["target"], b["actor"], b["status"])
        if a["objective_without"] is not None:
            assert close(a["objective_without"], b["objective_without"])
        if b.get("plan") is not None:
            mod = copy.deepcopy(raw)
            mod.setdefault("fixed", {}).setdefault("forbidden", []).append(
                [b["target"], b["actor"]]
            )
            res = verify_solution(mod, b["plan"])
            assert res.ok, [v.message for v in res.violations]
    for a, b in zip(by["mip"][1], by["exact"][1], strict=True):
        assert (a["name"], a["status"]) == (b["name"], b["status"])
        if a["objective_after"] is not None:
            assert close(a["objective_after"], b["objective_after"])
        if b.get("plan") is not None:
            mod = copy.deepcopy(raw)
            fa = mod.setdefault("fixed", {}).setdefault("forbidden_actors", [])
            fa.extend(x for x in b["drop"] if x not in fa)
            res = verify_solution(mod, b["plan"])
            assert res.ok, [v.message for v in res.violations]


def test_engine_sweep_rows_do_not_depend_on_the_worker_count(medium, tmp_path):
    """A sweep on a model the engine solves (warm LP, warm start and proofs
    reused within a chunk) gives the same rows, plans included, in one worker
    process and in two: chunks depend on the grid alone and start afresh."""
    import sqlite3

    from click.testing import CliRunner

    from consortium.cli import cli

    inst = tmp_path / "medium.json"
    inst.write_text(json.dumps(medium))
    tb = medium["policy"]["total_budget"]
    values = ",".join(str(round(tb * f, 2)) for f in (3.0, 2.4, 1.8, 1.4, 1.2, 1.0, 0.95, 0.9))

    def rows(workers: str) -> list[tuple]:
        out = tmp_path / f"w{workers}.sqlite"
        r = CliRunner().invoke(cli, ["sweep", str(inst), "--set", f"policy.total_budget={values}",
                                     "-o", str(out), "--workers", workers, "--no-progress"],
                               catch_exceptions=False)
        assert r.exit_code == 0, r.output
        con = sqlite3.connect(out)
        try:
            return [(s, st, round(o, 6), ft, ld) for s, st, o, ft, ld in con.execute(
                "SELECT scenario, status, objective, formed_targets, leads FROM scenarios "
                "ORDER BY scenario")]
        finally:
            con.close()

    one, two = rows("1"), rows("2")
    assert one == two
    assert all(st == "optimal" for _s, st, *_ in one)


def test_a_loaded_model_runs_with_its_own_options_only():
    """The exact engine's rounds, a session's scenarios and the what-if probes
    run one HiGHS object many times with different options (a proof round's
    low heuristic effort, a request's time limit). No run may inherit an
    option an earlier run set and this one did not: a time limit, a node
    limit or a presolve setting carried over would change what a later solve
    proves (or stop it early) depending on what ran before it."""
    import highspy

    b = build(from_dict(json.loads(DEMO.read_text())))
    m = highs.LoadedModel(b.lm)
    alone = highs.run_highs(b.lm, SolverOptions())
    assert alone.status == Status.OPTIMAL
    first = SolverOptions(time_limit=300.0, threads=1, highs={
        "presolve": "off", "mip_heuristic_effort": 0.0, "mip_max_nodes": 1,
        "mip_allow_restart": False, "presolve_rule_off": 32768})
    m.run(first)
    later = m.run(SolverOptions())
    fresh = highspy.Highs()
    for key in ("time_limit", "presolve", "mip_heuristic_effort", "mip_max_nodes",
                "mip_allow_restart", "presolve_rule_off", "threads"):
        assert m._h.getOptionValue(key) == fresh.getOptionValue(key), key
    assert later.status == Status.OPTIMAL and close(later.objective, alone.objective)
    checked(b, later, json.loads(DEMO.read_text()))
