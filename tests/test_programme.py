"""SPEC section 7 (composition, regions, multi-year programmes) end to end.

The optimiser against the independent brute force on random tiny programme
instances (``strategies.programme_instances``), every plan checked by the
verifier; invalid section-7 input rejected with the JSON path; the v1 meaning
of instances without section-7 fields unchanged.
"""

from __future__ import annotations

import copy
import json

import pytest
from bruteforce import brute_force
from conftest import assert_matches_brute_force, solve_verified
from hypothesis import HealthCheck, given, settings
from strategies import programme_instances, staged_instances, tiny_instances

from consortium.backends.base import Status
from consortium.errors import InstanceError
from consortium.io.instance import from_dict
from consortium.verify import verify_solution

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _check_against_brute_force(inst):
    sol = assert_matches_brute_force(inst)
    if sol.status == Status.OPTIMAL and "programme" in inst:
        for c in sol.consortia:
            assert c.start is not None and c.end is not None
        assert len(sol.kpis["by_year"]) == inst["programme"]["years"]


@SETTINGS
@given(programme_instances())
def test_programme_optimum_matches_brute_force(inst):
    _check_against_brute_force(inst)


@SETTINGS
@given(staged_instances())
def test_staged_optimum_matches_brute_force(inst):
    _check_against_brute_force(inst)


@pytest.mark.slow
@settings(max_examples=1500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(staged_instances())
def test_staged_optimum_matches_brute_force_long(inst):
    _check_against_brute_force(inst)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(staged_instances())
def test_engine_and_decomposition_match_brute_force_on_programmes(inst):
    """The exact engine and the decomposition by target (which prices the
    programme's rows across targets: after, milestones, yearly budgets and
    capacity) reach the optimum the brute force proves."""
    for method in ("exact", "decompose"):
        assert_matches_brute_force(inst, method=method)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(staged_instances())
def test_the_repair_solve_with_money_rows_tightened_keeps_the_optimum(inst):
    """The last repair step (a plan within HiGHS's tolerances that the verifier
    refuses is solved again with money and share rows pulled inward) must not
    change a programme's answer. It did: the linking rows of limit 0
    (``spend_at <= cap * start``) were pulled to ``<= -2e-6``, which forbade
    leaving any staged target unformed, and the repair found every programme
    infeasible."""
    from consortium.backends.base import SolverOptions
    from consortium.solving.solve import solve_instance
    from consortium.solving.verified import TIGHTEN_ROWS

    expected = brute_force(copy.deepcopy(inst))
    sol = solve_instance(from_dict(copy.deepcopy(inst)), SolverOptions(gap=0.0),
                         tighten=TIGHTEN_ROWS, reasons=False)
    if expected.objective is None:
        assert sol.status == Status.INFEASIBLE
        return
    assert sol.status == Status.OPTIMAL
    res = verify_solution(copy.deepcopy(inst), sol.to_dict())
    assert res.ok, [v.message for v in res.violations]
    # a shade tighter money rows may cost a hair of the optimum, never more
    assert sol.objective == pytest.approx(expected.objective, rel=1e-4, abs=1e-4)


# ---------------------------------------------------------------- metamorphic


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tiny_instances())
def test_a_one_year_programme_changes_nothing(inst):
    """Section 7.3: with one programme year every consortium is active in that
    year, so rule 11 per year is rule 11, and the objective is undiscounted."""
    plain = solve_verified(copy.deepcopy(inst), reasons=False)
    staged = copy.deepcopy(inst)
    staged["programme"] = {"start": 2030, "years": 1, "discount_rate": 0.25}
    sol = solve_verified(staged, reasons=False)
    assert sol.status == plain.status
    if plain.objective is not None:
        assert sol.objective == pytest.approx(plain.objective, rel=1e-9, abs=1e-9)
        assert {c.start for c in sol.consortia} <= {2030}


# ---------------------------------------------------------------- a worked case


def _chain() -> dict:
    """Two targets sharing one lead and partner (capacity 1 each) over three
    years: t2 needs t1 first, so the plan staggers them."""
    actors = [
        {"id": "lab", "type": "institute", "ownership": "state", "region": "JS", "lat": 31.0,
         "lon": 120.0, "capabilities": {"c": 5}, "cost": 2.0, "lead_cost": 1.0},
        {"id": "firm", "type": "enterprise", "ownership": "private", "region": "ZJ",
         "lat": 31.1, "lon": 120.1, "capabilities": {"c": 5}, "cost": 3.0},
    ]
    targets = [
        {"id": "t1", "mode": "research", "value": 20.0, "sites": ["s"], "sponsor": "p",
         "requirements": [{"capability": "c"}]},
        {"id": "t2", "mode": "research", "value": 30.0, "sites": ["s"], "sponsor": "p",
         "requirements": [{"capability": "c"}], "after": ["t1"], "duration": 2},
    ]
    return {"format": "consortium-instance/1", "name": "chain", "capabilities": [{"id": "c"}],
            "sites": [{"id": "s", "lat": 31.0, "lon": 120.0}],
            "sponsors": [{"id": "p", "region": "JS"}], "actors": actors, "targets": targets,
            "policy": {}, "programme": {"start": 2026, "years": 3, "discount_rate": 0.1}}


def test_chain_is_staged_and_reported():
    inst = _chain()
    sol = solve_verified(inst)
    starts = {c.target: (c.start, c.end) for c in sol.consortia}
    assert starts == {"t1": (2026, 2026), "t2": (2027, 2028)}
    d = 1.1
    spend1 = spend2 = 6.0  # lab 2 + lead fee 1 + firm 3
    expected = 20 - spend1 + 30 / d - (spend2 / 2) / d - (spend2 / 2) / d**2
    assert sol.objective == pytest.approx(expected)
    assert sol.objective == pytest.approx(brute_force(copy.deepcopy(inst)).objective)
    years = sol.kpis["by_year"]
    assert [y["year"] for y in years] == [2026, 2027, 2028]
    assert years[0]["started"] == ["t1"] and years[1]["started"] == ["t2"]
    assert years[2]["active"] == ["t2"]
    assert years[1]["spend"] == pytest.approx(3.0)
    assert years[0]["spend_by_sponsor"]["p"] == pytest.approx(6.0)


def test_unformed_predecessor_is_the_reason():
    inst = _chain()
    inst["targets"][0]["value"] = 1.0  # not worth forming alone ...
    inst["targets"][1]["value"] = 3.0  # ... nor together with t2
    sol = solve_verified(inst)
    reasons = {u["target"]: u["reason"] for u in sol.unformed}
    assert reasons["t2"] == "needs t1 to deliver first, which is not formed"


def test_chain_that_cannot_fit_is_named():
    inst = _chain()
    inst["programme"]["years"] = 2  # t1 (1 year) then t2 (2 years) needs 3
    inst["targets"][1]["duration"] = 1
    inst["targets"][1]["latest"] = 2026
    sol = solve_verified(inst)
    reasons = {u["target"]: u["reason"] for u in sol.unformed}
    assert "leaves room after t1" in reasons["t2"] and "t1 -> t2" in reasons["t2"]
    inst["targets"][1]["mandatory"] = True
    sol = solve_verified(inst)
    assert sol.status == Status.INFEASIBLE
    assert any("rule 17" in d and "t1 -> t2" in d for d in sol.diagnosis), sol.diagnosis


def test_unreachable_milestone_is_diagnosed():
    inst = _chain()
    inst["programme"]["milestones"] = [{"year": 2026, "min_formed": 2}]
    sol = solve_verified(inst)
    assert sol.status == Status.INFEASIBLE
    assert any("milestone 2026" in d and "rule 18" in d for d in sol.diagnosis), sol.diagnosis


def test_yearly_budget_too_small_for_a_mandatory_target():
    inst = _chain()
    inst["targets"][0]["mandatory"] = True
    inst["targets"][0]["latest"] = 2026
    inst["sponsors"][0]["budget_by_year"] = {"2026": 4.0}
    sol = solve_verified(inst)
    assert sol.status == Status.INFEASIBLE
    # The cheapest-spend bound before solving (3) is below the cap; the
    # relaxation finds that the year's budget must give by 2 (spend 6).
    assert any("pays at most 4 in 2026" in d and "rule 12" in d and "give by 2" in d
               for d in sol.diagnosis), sol.diagnosis
    inst["sponsors"][0]["budget_by_year"] = {"2026": 2.0}  # below even that bound
    sol = solve_verified(inst)
    assert any("2026" in d and "short by 1" in d and "rule 12" in d for d in sol.diagnosis)


def test_yearly_budget_moves_a_start_and_is_the_reason():
    inst = _chain()
    inst["targets"][1]["after"] = []
    inst["targets"][1]["duration"] = 1
    inst["actors"][0]["max_consortia"] = 2
    inst["actors"][0]["max_lead"] = 2
    inst["actors"][1]["max_consortia"] = 2
    inst["sponsors"][0]["budget_by_year"] = {"2026": 6.0, "2027": 0.0}
    inst["programme"]["years"] = 2
    sol = solve_verified(inst)
    assert [c.target for c in sol.consortia] == ["t2"] or len(sol.consortia) == 1
    reasons = {u["target"]: u["reason"] for u in sol.unformed}
    (reason,) = reasons.values()
    assert "budget is used up" in reason, reason


def test_composition_and_regions_name_the_shortfall():
    inst = _chain()
    inst["policy"] = {"composition": [{"types": ["enterprise", "sme"], "min": 2}]}
    sol = solve_verified(inst)
    assert not sol.consortia
    assert all("composition: 2 enterprises or smes needed, 1 within reach" in u["reason"]
               for u in sol.unformed)
    inst["targets"][0]["composition"] = []  # t1 drops the rule
    inst["policy"]["min_regions"] = 3
    sol = solve_verified(inst)
    assert all("min_regions 3 but only 2 region(s)" in u["reason"] for u in sol.unformed)
    inst["policy"]["min_regions"] = 2
    inst["targets"][1]["min_regions"] = 1
    sol = solve_verified(inst)
    assert {c.target for c in sol.consortia} == {"t1"}


# ---------------------------------------------------------------- the verifier


def _plan(inst):
    return solve_verified(inst, reasons=False).to_dict()


@pytest.mark.parametrize("breaks, rule", [
    (lambda i, p: p["consortia"][1].update(start=2026, end=2027), "17"),
    (lambda i, p: p["consortia"][1].update(end=2029), "7.3 (start years)"),
    (lambda i, p: p["consortia"][0].pop("start"), "7.3 (start years)"),
    (lambda i, p: i["programme"].update(milestones=[{"year": 2026, "min_formed": 2}]), "18"),
    (lambda i, p: i["sponsors"][0].update(budget_by_year={"2027": 2.0}), "12"),
    (lambda i, p: i["policy"].update(total_budget_by_year={"2026": 5.0}), "12"),
    (lambda i, p: i["policy"].update(composition=[{"ownership": ["state"], "max": 0}]), "15"),
    (lambda i, p: i["policy"].update(min_regions=3), "16"),
    (lambda i, p: i.update(fixed={"starts": {"t1": 2027}}), "14"),
    (lambda i, p: (p["consortia"][1].update(start=2026, end=2027),
                   i["targets"][1].update(after=[])), "11"),
])
def test_verifier_catches_each_programme_rule(breaks, rule):
    inst = _chain()
    plan = _plan(inst)
    assert verify_solution(inst, plan).ok
    breaks(inst, plan)
    res = verify_solution(inst, plan)
    assert rule in {v.rule for v in res.violations}, res.violations


def test_verifier_recomputes_the_discounted_objective():
    inst = _chain()
    plan = _plan(inst)
    inst["programme"]["discount_rate"] = 0.0
    res = verify_solution(inst, plan)
    assert "objective" in {v.rule for v in res.violations}


# ---------------------------------------------------------------- input


def test_programme_fields_given_without_programme_are_all_named():
    inst = _chain()
    del inst["programme"]
    with pytest.raises(InstanceError) as e:
        from_dict(inst)
    assert e.value.errors == ["targets[1].duration: needs a programme (SPEC 7.3), and the "
                              "instance has none",
                              "targets[1].after: needs a programme (SPEC 7.3), and the "
                              "instance has none"]


def test_explicit_latest_is_capped_and_schema_has_the_fields():
    inst = _chain()
    inst["targets"][1]["latest"] = 2028  # a 2-year target: capped at 2027
    parsed = from_dict(json.loads(json.dumps(inst)))
    assert parsed.window(parsed.targets[1]) == (2026, 2027)
    from consortium.io.instance import json_schema

    text = json.dumps(json_schema())
    for key in ("programme", "composition", "min_regions", "budget_by_year",
                "total_budget_by_year", "milestones", "starts", "after", "duration"):
        assert f'"{key}"' in text, key


def test_report_has_the_timeline_and_spend_by_year(tmp_path):
    from consortium.report import render_report

    inst = _chain()
    inst["sponsors"][0]["budget_by_year"] = {"2026": 50.0}
    sol = solve_verified(inst)
    html = render_report(from_dict(copy.deepcopy(inst)), sol.to_dict())
    assert 'id="years"' in html and "Programme years 2026–2028" in html
    years = html[html.index('id="years"'):html.index('id="unformed"')]
    assert years.count("<svg") == 2  # the timeline and the spend by year
    assert ">t1<" in years and ">t2<" in years  # one labelled row per consortium
    plain = _chain()
    del plain["programme"]
    for t in plain["targets"]:
        t.pop("after", None)
        t.pop("duration", None)
    html = render_report(from_dict(plain), solve_verified(plain).to_dict())
    assert 'id="years"' not in html
