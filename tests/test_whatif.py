"""What-if (issue 15): every repair applied to the instance and re-solved, every
alternative fixed in the instance and re-solved, re-planning from a plan in
force, and the budget frontier against a fine grid of fresh solves. Plans are
checked by the verifier (``solve_verified``) and, on tiny instances, against
the brute force."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from conftest import ROOT, assert_matches_brute_force, solve_verified
from hypothesis import HealthCheck, given, settings
from strategies import tiny_instances

from consortium.io.instance import from_dict
from consortium.sweep.paths import set_path
from consortium.whatif import Probe, explain
from consortium.whatif.alternatives import alternatives
from consortium.whatif.frontier import frontier
from consortium.whatif.incumbent import count_changes, plan_changes, replan

DEMO = ROOT / "instances" / "demo" / "suzhou.json"
TOL = 1e-5


def _raw(p: Path = DEMO) -> dict:
    return json.loads(p.read_text())


def _formed_optimally(raw: dict, tid: str, brute: bool = False) -> tuple[bool, float | None]:
    """Fresh solves: is ``tid`` formed in an optimal plan of ``raw``? (and the optimum)"""
    g = assert_matches_brute_force(raw) if brute else solve_verified(raw, reasons=False)
    if not g.status.has_plan:
        return False, None
    if g.consortium(tid) is not None:
        return True, g.objective
    forced = set_path(raw, f"targets[{tid}].mandatory", True)
    f = solve_verified(forced, reasons=False)
    ok = f.status.has_plan and f.objective >= g.objective - TOL * max(1, abs(g.objective))
    return ok, g.objective


def _less(kind: str, value):
    """A value just short of a repair's (limits up, value up): None if there is none."""
    if kind in ("sponsor_budget", "total_budget", "target_budget", "max_distance_km", "value") \
            and isinstance(value, (int, float)):
        return value - 1e-4 * max(1.0, abs(value))
    return None


def _check_repairs(raw: dict, res, brute: bool = False) -> int:
    n = 0
    for t in res.targets:
        for r in t.repairs:
            changed = set_path(raw, r.path, r.to)
            ok, z = _formed_optimally(changed, t.target, brute)
            assert ok, (t.target, r.to_dict())
            assert z == pytest.approx(r.objective, rel=TOL, abs=TOL), r.to_dict()
            short = _less(r.kind, r.to)
            if short is not None and short > (r.current if r.current is not None else -1e18):
                ok, _ = _formed_optimally(set_path(raw, r.path, short), t.target)
                assert not ok, ("not the least", t.target, r.to_dict(), short)
            n += 1
        if t.repair_set:
            changed = raw
            for r in t.repair_set:
                changed = set_path(changed, r.path, r.to)
            ok, z = _formed_optimally(changed, t.target, brute)
            assert ok, t.to_dict()
    return n


def test_explain_demo_repairs_are_confirmed_by_fresh_solves():
    raw = _raw()
    inst = from_dict(copy.deepcopy(raw))
    res = explain(inst, raw=raw)
    by = {t.target: t for t in res.targets}
    assert set(by) == {"t-gan-sz", "t-wear"}
    kinds = {r.kind for r in by["t-wear"].repairs}
    assert {"sponsor_budget", "value"} <= kinds
    sp = next(r for r in by["t-wear"].repairs if r.kind == "sponsor_budget")
    assert sp.path == "sponsors[suzhou].budget" and sp.current == 65.0 and sp.to > 65.0
    assert _check_repairs(raw, res) >= 3
    df = res.to_frame()
    assert {"target", "path", "from", "to", "objective", "formed"} <= set(df.columns)
    assert len(df) == sum(len(t.repairs) for t in res.targets)
    # the HTML report: "what would form it" beside each unformed target's reason
    from consortium.report.page import render_report

    page = render_report(inst, solve_verified(raw).to_dict(), verify_raw=raw,
                         explain=res.to_dict())
    assert "what would form it" in page and "sponsors[suzhou].budget" in page


@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(inst=tiny_instances(max_targets=3, max_actors=6))
def test_explain_repairs_on_tiny_instances_match_brute_force(inst):
    try:
        i = from_dict(copy.deepcopy(inst))
    except Exception:  # (the strategy draws valid instances only)
        raise
    base = solve_verified(inst, reasons=False)
    if not base.status.has_plan:
        return
    unformed = [t["id"] for t in inst["targets"] if base.consortium(t["id"]) is None][:2]
    if not unformed:
        return
    res = explain(i, base, unformed, raw=inst, sets=False)
    _check_repairs(inst, res, brute=True)


def test_no_single_change_gives_the_smallest_set():
    raw = _raw()
    # at a total budget of 150, t-wear needs more of both the sponsor's and the
    # total budget (each alone is not enough); only the two budget levers are searched
    raw["policy"]["total_budget"] = 150.0
    inst = from_dict(copy.deepcopy(raw))
    probe = Probe(inst, raw)
    from consortium.whatif.repairs import Searcher, levers_for, smallest_set

    base = probe.solve()
    levers = [lv for lv in levers_for(inst, probe.base_loaded().b, "t-wear", base)
              if lv.kind in ("sponsor_budget", "total_budget")]
    s = Searcher(probe, "t-wear")
    assert len(levers) == 2 and all(s.repair(lv) is None for lv in levers)
    found = smallest_set(s, levers)
    assert found is not None and {r.kind for r in found} == {"sponsor_budget", "total_budget"}
    changed = raw
    for r in found:
        changed = set_path(changed, r.path, r.to)
    assert _formed_optimally(changed, "t-wear")[0]
    # each at its least given the other
    for r in found:
        less = set_path(changed, r.path, r.to - 1e-3)
        assert not _formed_optimally(less, "t-wear")[0], r.to_dict()


def _fixed_variant(raw: dict, tid: str, a) -> dict:
    out = copy.deepcopy(raw)
    fx = out.setdefault("fixed", {})
    if a.kind == "lead":
        fx.setdefault("leads", {})[tid] = a.actor
    else:
        fx.setdefault("members", []).append([tid, a.actor])
        fx.setdefault("forbidden", []).append([tid, a.replaces])
        for t in out["targets"]:
            if t["id"] == tid:
                t["sites"] = [a.site]
    return out


def _check_alternative(raw: dict, tid: str, a) -> None:
    """One alternative fixed in the instance and solved afresh: its exact
    optimum, no plan, or (bounded) at most its bound."""
    sol = solve_verified(_fixed_variant(raw, tid, a), reasons=False)
    if a.status == "infeasible":
        assert sol.status.value == "infeasible", a
    elif a.status == "optimal":
        assert sol.objective == pytest.approx(a.objective, rel=1e-6, abs=1e-6), a
    else:
        assert a.status == "bounded"
        assert not sol.status.has_plan or sol.objective <= a.bound + 1e-6 * abs(a.bound), a


@pytest.mark.parametrize("tid", ["t-euv"])
def test_alternatives_match_fresh_solves_with_the_choice_fixed(tid):
    raw = _raw()
    inst = from_dict(copy.deepcopy(raw))
    res = alternatives(Probe(inst, raw), tid, top=3)
    assert not res.exact and res.alternatives
    exact = [a for a in res.alternatives if a.status == "optimal"]
    assert len(exact) >= 3 and res.alternatives[:3] == exact[:3]
    objs = [a.objective for a in exact]
    assert objs == sorted(objs, reverse=True)
    assert all(z <= res.objective + 1e-6 for z in objs)
    cut = exact[2].objective
    bounded = [a for a in res.alternatives if a.status == "bounded"]
    assert bounded and all(a.bound <= cut + 1e-6 for a in bounded)
    # every exact one and two bounded ones fixed in the instance and solved afresh
    for a in exact + bounded[:2]:
        _check_alternative(raw, tid, a)
    df = res.to_frame()
    assert len(df) == len(res.alternatives) and set(df["status"]) == {"optimal", "bounded"}


def test_alternatives_top_prunes_by_certificate_on_a_generated_instance():
    """A mid-size generated instance: the best three exact, the rest proven
    below them by the certificate (several rounds here: the local plans of
    some choices are not their optima); against every alternative solved
    exactly one by one (top=None) and against fresh solves."""
    from consortium.generate import generate

    raw = generate(preset="provincial", targets=8, actors=120, seed=1)
    inst = from_dict(copy.deepcopy(raw))
    probe = Probe(inst, raw)
    tid = probe.solve().solution.consortia[0].target
    res = alternatives(probe, tid, top=3)
    assert res.certificates >= 2 and not res.exact
    every = alternatives(Probe(inst, raw), tid, top=None)
    assert every.exact and len(every.alternatives) == len(res.alternatives)
    value = {(a.kind, a.replaces, a.actor): a for a in every.alternatives}
    ranked = [a for a in every.alternatives if a.status == "optimal"]
    for i, a in enumerate(res.alternatives):
        b = value[(a.kind, a.replaces, a.actor)]
        if a.status == "optimal":
            assert a.objective == pytest.approx(b.objective, rel=1e-6, abs=1e-6)
            assert a.objective == pytest.approx(ranked[i].objective, rel=1e-6, abs=1e-6)
        elif a.status == "bounded":
            assert b.status == "infeasible" or b.objective <= a.bound + 1e-6 * abs(a.bound)
        else:
            assert b.status == "infeasible"
    top3 = [a for a in res.alternatives if a.status == "optimal"][:3]
    assert [round(a.objective, 6) for a in top3] == [round(a.objective, 6) for a in ranked[:3]]
    for a in top3 + [a for a in res.alternatives if a.status == "bounded"][:1]:
        _check_alternative(raw, tid, a)


def test_a_certificate_below_its_threshold_bounds_its_choices_at_the_threshold(monkeypatch):
    """A certificate's model holds every plan worth its threshold, not the
    plans below it (the fixings at the threshold may cut those): when its best
    plan lies below the threshold, its choices are bounded by the threshold,
    never by that plan's value."""
    from consortium.generate import generate
    from consortium.whatif import alternatives as alt

    raw = generate(preset="provincial", targets=8, actors=120, seed=1)
    inst = from_dict(copy.deepcopy(raw))
    probe = Probe(inst, raw)
    base = probe.solve()
    sol = base.solution
    tid = sol.consortia[0].target
    run = alt._Run(probe, probe.base_loaded(), tid, sol, base.objective)
    run.top = 3
    run.lp_bounds()
    before = {id(ch): ch.alt.bound for ch in run.choices}
    thresholds = []

    def below(self, live, parts, floor, cut):
        thresholds.append(cut)
        return [(self.x0, -1.0) for _ in parts]  # each part's best: 1 below its floor

    monkeypatch.setattr(alt._Run, "_best_of_parts", below)
    run._certify(-float("inf"))
    (t,) = thresholds
    assert t > -float("inf")
    for ch in run.choices:
        assert ch.alt.bound >= min(before[id(ch)], t) - 1e-9, (ch.key, ch.alt.bound, t)


@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(inst=tiny_instances(max_targets=2, max_actors=6))
def test_alternatives_on_tiny_instances(inst):
    base = solve_verified(inst, reasons=False)
    if not base.status.has_plan or not base.consortia:
        return
    c = base.consortia[0]
    i = from_dict(copy.deepcopy(inst))
    res = alternatives(Probe(i, inst), c.target, top=None)
    assert res.exact
    for a in res.alternatives:
        if a.kind == "lead" and c.target in (inst.get("fixed") or {}).get("leads", {}):
            assert a.status == "infeasible"
            continue
        sol = solve_verified(_fixed_variant(inst, c.target, a), reasons=False)
        if a.status == "infeasible":
            assert sol.status.value == "infeasible", a
        else:
            assert sol.objective == pytest.approx(a.objective, rel=1e-6, abs=1e-6), a


def _agrees_with_every_one_exact(res, every, top):
    """A top-N ranking (certificates) against every alternative solved exactly."""
    value = {(a.kind, a.replaces, a.actor): a for a in every.alternatives}
    assert len(value) == len(res.alternatives)
    ranked = [a for a in every.alternatives if a.status == "optimal"]
    exact = [a for a in res.alternatives if a.status == "optimal"]
    tol = 2e-6 * max(1.0, abs(every.objective or 0.0))
    for a in res.alternatives:
        b = value[(a.kind, a.replaces, a.actor)]
        if a.status == "optimal":
            assert b.status == "optimal" and a.objective == pytest.approx(b.objective, abs=tol), a
        elif a.status == "bounded":
            assert b.status == "infeasible" or b.objective <= a.bound + tol, (a, b)
        else:
            assert b.status == "infeasible", (a, b)
    # the N best values are the N best of all
    n = min(top, len(ranked))
    assert [round(a.objective, 5) for a in exact[:n]] == \
        [round(a.objective, 5) for a in ranked[:n]]


@pytest.mark.parametrize("seed,targets,actors", [(2, 6, 60), (3, 6, 80), (4, 8, 70),
                                                  (5, 5, 90)])
def test_alternatives_top_match_every_one_exact_on_generated_instances(seed, targets, actors):
    """The certificate rounds (top N) against one exact solve per choice, on
    small generated instances, for a formed target of each."""
    from consortium.generate import generate

    raw = generate(preset="provincial", targets=targets, actors=actors, seed=seed)
    inst = from_dict(copy.deepcopy(raw))
    base = Probe(inst, raw).solve().solution
    c = max(base.consortia, key=lambda k: (len(k.members), k.target))
    every = alternatives(Probe(from_dict(copy.deepcopy(raw)), raw), c.target, top=None)
    assert every.exact
    for top in (1, 3):
        res = alternatives(Probe(from_dict(copy.deepcopy(raw)), raw), c.target, top=top)
        _agrees_with_every_one_exact(res, every, top)


def test_incumbent_unchanged_instance_changes_nothing():
    raw = _raw()
    inst = from_dict(copy.deepcopy(raw))
    plan = solve_verified(raw)
    again = replan(inst, plan.to_dict(), raw=raw)
    assert again.extra["changes"] == [] and again.extra["incumbent"]["changes"] == 0
    assert [(c.target, c.site, c.lead, sorted(c.members)) for c in again.consortia] == \
        [(c.target, c.site, c.lead, sorted(c.members)) for c in plan.consortia]
    assert again.objective == pytest.approx(plan.objective)
    # with a penalty too
    pen = replan(inst, plan.to_dict(), penalty=0.5, raw=raw)
    assert pen.extra["changes"] == []


@pytest.mark.parametrize("change", [("sponsors[jiangsu].budget", 80.0)])
def test_least_change_never_changes_more_than_a_fresh_solve(change):
    raw = _raw()
    plan = solve_verified(raw).to_dict()
    changed = set_path(raw, *change)
    fresh = solve_verified(changed)
    inst = from_dict(copy.deepcopy(changed))
    least = replan(inst, plan, raw=changed)
    n_fresh = count_changes(plan_changes(plan["consortia"], fresh))
    n_least = count_changes(least.extra["changes"])
    assert n_least <= n_fresh
    assert least.extra["incumbent"]["changes"] == n_least
    assert least.objective <= fresh.objective + 1e-6
    # a zero penalty is the fresh optimum; a small one sits between the two
    zero = replan(inst, plan, penalty=0.0, raw=changed)
    assert zero.objective == pytest.approx(fresh.objective, rel=1e-6)
    mid = replan(inst, plan, penalty=1.0, raw=changed)
    assert n_least <= count_changes(mid.extra["changes"]) <= n_fresh + 0
    assert least.objective - 1e-6 <= mid.objective <= fresh.objective + 1e-6


def test_frontier_matches_a_fine_grid_of_fresh_solves():
    raw = _raw()
    inst = from_dict(copy.deepcopy(raw))
    fr = frontier(Probe(inst, raw), "policy.total_budget", 150.0, 170.0)
    assert fr.complete and len(fr.steps) >= 3
    budgets = [s.budget for s in fr.steps]
    assert budgets == sorted(budgets)
    objs = [s.objective for s in fr.steps]
    assert all(b > a for a, b in zip(objs, objs[1:], strict=False))
    probe = Probe(inst, raw)  # re-solves of the loaded model, as a sweep runs them
    grid = [150 + 2.5 * k for k in range(9)]
    grid += [b - 1e-3 for b in budgets[1:]] + budgets
    for B in grid:
        z = probe.solve({"policy.total_budget": B}).objective
        assert fr.objective_at(B) == pytest.approx(z, rel=1e-6, abs=1e-6), B
    # two of the points by a fresh solve of the changed file
    for B in (budgets[1], budgets[1] - 1e-3):
        sol = solve_verified(set_path(raw, "policy.total_budget", B), reasons=False)
        assert fr.objective_at(B) == pytest.approx(sol.objective, rel=1e-6, abs=1e-6)


def _cli(*args: str):
    from click.testing import CliRunner

    from consortium.cli.main import cli

    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_explain_json_frontier_plot_and_incumbent(tmp_path):
    r = _cli("explain", str(DEMO), "--target", "t-wear", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    rep = d["targets"][0]["repairs"]
    assert {"path", "from", "to", "objective", "formed"} <= set(rep[0])
    png = tmp_path / "f.png"
    r = _cli("frontier", str(DEMO), "--from", "163", "--plot", str(png), "--json")
    assert r.exit_code == 0, r.output
    assert png.stat().st_size > 1000 and json.loads(r.stdout)["steps"]
    sol = tmp_path / "plan.json"
    assert _cli("solve", str(DEMO), "-o", str(sol)).exit_code == 0
    r = _cli("solve", str(DEMO), "--incumbent", str(sol), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["changes"] == []
    r = _cli("solve", str(DEMO), "--change-penalty", "1")
    assert r.exit_code == 2 and "--incumbent" in r.stderr
    r = _cli("explain", str(DEMO), "--target", "nope")
    assert r.exit_code == 2 and "nope" in r.stderr
    r = _cli("explain", str(DEMO), "--alternatives", "t-wear")
    assert r.exit_code == 2 and "not formed" in r.stderr
    r = _cli("frontier", str(DEMO), "--path", "policy.max_state_share")
    assert r.exit_code == 2 and "budget" in r.stderr


def test_stress_least_change_repair_never_changes_more_than_the_reoptimised_plan():
    from consortium.analysis import scenario_from_spec, stress_test
    from consortium.result.solution import Solution
    from consortium.whatif.incumbent import least_change_repairs

    raw = _raw()
    inst = from_dict(copy.deepcopy(raw))
    base = solve_verified(raw)
    scen = [scenario_from_spec(inst, {"drop": ["guangrui-coating"]}, "s0"),
            scenario_from_spec(inst, {"drop": ["jiangnan-u", "yicheng-laser"]}, "s1")]
    recs = stress_test(inst, base, scen, workers=0, keep_plans=True)
    least_change_repairs(inst, base, recs)
    cons = [c.to_dict() for c in base.consortia]
    for r in recs:
        lc = r["least_change"]
        assert lc["status"] == r["status"]
        if r["plan"] is None:
            continue
        again = Solution.from_dict(r["plan"], inst)
        assert lc["changes"] <= count_changes(plan_changes(cons, again))
        assert lc["objective"] <= r["objective_after"] + 1e-6


def _programme(seed: int = 2) -> dict:
    """A small programme (SPEC 7.3) whose sponsors have no yearly budgets (the
    generator's yearly budgets leave no single change that forms a target)."""
    from consortium.generate import generate

    raw = generate(preset="programme", targets=4, actors=60, seed=seed)
    for s in raw["sponsors"]:
        s.pop("budget_by_year", None)
    return raw


def test_explain_on_a_programme_repairs_are_confirmed_by_fresh_solves():
    raw = _programme()
    inst = from_dict(copy.deepcopy(raw))
    res = explain(inst, raw=raw, sets=False)
    assert res.targets and _check_repairs(raw, res) >= 1
    # the levers of a programme include the programme's yearly budgets of the
    # years the target could run in
    from consortium.whatif.repairs import levers_for

    probe = Probe(inst, raw)
    t = res.targets[0].target
    paths = {lv.path for lv in levers_for(inst, probe.base_loaded().b, t, probe.solve())}
    assert any(p.startswith("policy.total_budget_by_year.") for p in paths), paths


def test_incumbent_counts_a_changed_start_year():
    raw = _programme()
    raw["policy"].pop("total_budget_by_year", None)  # room to start in other years
    inst = from_dict(copy.deepcopy(raw))
    plan = solve_verified(raw).to_dict()
    fixed = (raw.get("fixed") or {}).get("starts", {})
    kept = None
    for i, c in enumerate(plan["consortia"]):
        if c["target"] in fixed:
            continue
        lo, hi = inst.window(next(t for t in inst.targets if t.id == c["target"]))
        for y in range(lo, hi + 1):
            if y == c["start"]:
                continue
            trial = copy.deepcopy(plan)
            trial["consortia"][i]["start"] = y
            again = replan(inst, trial, raw=raw)
            if again.extra["changes"] == []:
                kept = (i, y, trial, again)
                break
        if kept:
            break
    assert kept, "no consortium of the plan can start in another year"
    i, y, trial, again = kept
    # the plan in force (one consortium started in year y) is kept as it is,
    # though an earlier start is worth more (discounting): moving it would be
    # a change
    assert again.consortia[i].start == y
    assert again.objective < plan["objective"] - 1e-6
    # at no cost for changes, the optimum: the start moves, as one change
    free = replan(inst, trial, penalty=0.0, raw=raw)
    assert free.objective == pytest.approx(plan["objective"], rel=1e-6)
    ch = [c for c in free.extra["changes"] if c["kind"] == "start_changed"]
    assert any(c["target"] == trial["consortia"][i]["target"] and c["before"] == y
               and c["after"] != y for c in ch), free.extra["changes"]
    assert free.extra["incumbent"]["changes"] == count_changes(free.extra["changes"])


def test_alternatives_of_several_targets_on_one_probe_match_fresh_probes():
    """The bounds priced for one target are kept for the next target of the
    same model: the answers are those of a fresh probe each."""
    from consortium.generate import generate

    raw = generate(preset="provincial", targets=6, actors=80, seed=3)
    probe = Probe(from_dict(copy.deepcopy(raw)), raw)
    formed = [c.target for c in probe.solve().solution.consortia][:2]
    assert len(formed) == 2
    kept = None
    for tid in formed:
        res = alternatives(probe, tid, top=3)
        assert kept is None or probe.bounds is kept  # priced once
        kept = probe.bounds
        fresh = alternatives(Probe(from_dict(copy.deepcopy(raw)), raw), tid, top=3)
        assert [(a.kind, a.replaces, a.actor, a.status) for a in res.alternatives] == \
            [(a.kind, a.replaces, a.actor, a.status) for a in fresh.alternatives]
        for a, b in zip(res.alternatives, fresh.alternatives, strict=True):
            if a.status == "optimal":
                assert a.objective == pytest.approx(b.objective, rel=1e-9, abs=1e-9)


def test_alternatives_round_parts_change_no_answer(monkeypatch):
    """A round's certificates split in parts (ROUND_PARTS) run side by side:
    on one thread or two, the same alternatives, bounds and statuses; and the
    same ranking as one certificate over all the open choices."""
    from consortium.generate import generate
    from consortium.whatif import alternatives as alt_mod

    raw = generate(preset="provincial", targets=8, actors=70, seed=4)
    base = Probe(from_dict(copy.deepcopy(raw)), raw).solve().solution
    c = max(base.consortia, key=lambda k: (len(k.members), k.target))

    def run():
        res = alternatives(Probe(from_dict(copy.deepcopy(raw)), raw), c.target, top=3)
        return res, [(a.kind, a.replaces, a.actor, a.status, a.objective, a.bound)
                     for a in res.alternatives]

    two, rows_two = run()
    monkeypatch.setattr(alt_mod, "default_parallelism", lambda: 1)
    one, rows_one = run()
    assert rows_one == rows_two
    assert one.certificates == two.certificates >= 2  # (rounds of two parts ran)
    monkeypatch.setattr(alt_mod, "ROUND_PARTS", 1)
    single, _ = run()
    every = alternatives(Probe(from_dict(copy.deepcopy(raw)), raw), c.target, top=None)
    for res in (two, single):
        _agrees_with_every_one_exact(res, every, 3)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tiny_instances(max_targets=4, max_actors=6))
def test_a_variant_proven_below_a_floor_by_its_bounds_is_below_it(inst):
    """Probe.below (the repairs' shortcut: a relaxed lever that cannot form the
    target, shown by the LP and the bound by target without a MILP) never
    says "below" of a variant whose proven optimum reaches the floor, and
    says it of floors above the variant's bound. (Models below the engine's
    size never ask: their MILP is cheaper than the bounds.)"""
    from consortium.backends.base import SolverOptions

    exact = SolverOptions(method="exact")  # (a tiny model is HiGHS's alone otherwise: no bounds)
    t = inst["targets"][0]["id"]
    f = Probe(from_dict(copy.deepcopy(inst)), copy.deepcopy(inst), exact).solve(forced=t)
    for step in (-1.0, -1e-3, 0.0, 1e-3, 0.5, 50.0):
        p = Probe(from_dict(copy.deepcopy(inst)), copy.deepcopy(inst), exact)
        floor = (f.objective if f.has_plan else 0.0) + step
        if p.below({}, t, floor):
            assert not (f.has_plan and f.objective >= floor - 2e-6 * max(1.0, abs(floor)))
        elif f.has_plan and step == 50.0:
            # (every objective term of a tiny instance is far below 50: the LP bounds it)
            pytest.fail("a floor far above the optimum was not proven out of reach")


@pytest.mark.slow
def test_repairs_with_and_without_the_bound_shortcut_are_the_same(monkeypatch):
    """A provincial cut above the engine's size (4,236 columns): explain with
    Probe.below (13 of its 25 checks rule a lever out) gives exactly the
    repairs of explain with every lever solved, each confirmed by fresh
    solves. Several minutes."""
    from consortium.generate import generate

    raw = generate(preset="provincial", seed=3, targets=14, actors=900)
    inst = from_dict(copy.deepcopy(raw))
    ruled_out = []
    below = Probe.below

    def counted(self, *a):
        r = below(self, *a)
        ruled_out.append(r)
        return r

    monkeypatch.setattr(Probe, "below", counted)
    got = explain(inst, None, None, raw=copy.deepcopy(raw))
    fast = got.to_dict()["targets"]
    monkeypatch.setattr(Probe, "below", lambda self, *a: False)
    slow = explain(inst, None, None, raw=copy.deepcopy(raw)).to_dict()["targets"]
    assert any(ruled_out)
    for d in (fast, slow):
        for t in d:
            t.pop("time_s", None)
    assert fast == slow
    assert _check_repairs(raw, got) >= 1  # each repair confirmed by fresh solves
