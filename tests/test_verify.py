"""Tests of the independent plan verifier (consortium.verify).

The spec's worked example and its optimal plan must pass; then each test
breaks a deep copy of that plan (or tightens the instance) in one specific
way and checks that the matching rule is reported.
"""

from __future__ import annotations

import ast
import copy
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from consortium import verify as verify_module
from consortium.verify import (
    RULE_CONTRACT,
    RULE_COVERAGE,
    RULE_FORMAT,
    RULE_OBJECTIVE,
    Verifier,
    VerifyResult,
    format_result,
    verify_solution,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
EXAMPLES = SHARED / "spec" / "examples"
INSTANCE_PATH = EXAMPLES / "example.json"
SOLUTION_PATH = EXAMPLES / "example.solution.json"

pytestmark = pytest.mark.skipif(
    not (INSTANCE_PATH.exists() and SOLUTION_PATH.exists()),
    reason=f"spec example not found under {EXAMPLES}",
)

Json = dict[str, Any]


@pytest.fixture(scope="module")
def example() -> tuple[Json, Json]:
    return json.loads(INSTANCE_PATH.read_text()), json.loads(SOLUTION_PATH.read_text())


@pytest.fixture
def inst(example: tuple[Json, Json]) -> Json:
    return copy.deepcopy(example[0])


@pytest.fixture
def sol(example: tuple[Json, Json]) -> Json:
    return copy.deepcopy(example[1])


# ---------------------------------------------------------------- helpers


def cons(sol: Json, tid: str) -> Json:
    return next(c for c in sol["consortia"] if c["target"] == tid)


def contract(sol: Json, tid: str, aid: str) -> Json:
    return next(k for k in cons(sol, tid)["contracts"] if k["actor"] == aid)


def actor(inst: Json, aid: str) -> Json:
    return next(a for a in inst["actors"] if a["id"] == aid)


def target(inst: Json, tid: str) -> Json:
    return next(t for t in inst["targets"] if t["id"] == tid)


def make_contract(inst: Json, tid: str, aid: str, role: str, deliverables: list[Json]) -> Json:
    """An arithmetically correct contract, so a test breaks only what it means to."""
    a = actor(inst, aid)
    inc = inst["policy"]["incentives"].get(a["type"], {})
    rate = inc.get("bonus_rate", 0.0)
    base = a.get("bids", {}).get(tid, a["cost"])
    fee = a["lead_cost"] if role == "lead" else 0.0
    bonus = rate * (base + fee)
    return {
        "actor": aid, "role": role, "deliverables": deliverables,
        "base": base, "lead_fee": fee, "bonus": bonus, "reward": base + fee + bonus,
        "instruments": list(inc.get("instruments", [])),
    }


def resum(sol: Json, tid: str) -> None:
    """Make the consortium's spend equal its rewards again (and the objective follow)."""
    c = cons(sol, tid)
    old = c["spend"]
    c["spend"] = sum(k["reward"] for k in c["contracts"])
    sol["objective"] -= c["spend"] - old  # weights.cost is 1 in the example


def add_member(inst: Json, sol: Json, tid: str, aid: str, deliverables: list[Json]) -> None:
    c = cons(sol, tid)
    c["members"].append(aid)
    c["contracts"].append(make_contract(inst, tid, aid, "member", deliverables))
    resum(sol, tid)


def drop_member(sol: Json, tid: str, aid: str) -> None:
    c = cons(sol, tid)
    c["members"].remove(aid)
    c["contracts"] = [k for k in c["contracts"] if k["actor"] != aid]
    resum(sol, tid)


def set_lead(inst: Json, sol: Json, tid: str, new: str) -> None:
    """Make `new` the lead of tid (replacing the old lead as a member), contracts consistent."""
    c = cons(sol, tid)
    old = c["lead"]
    old_k = contract(sol, tid, old)
    c["members"] = [new] + [m for m in c["members"] if m not in (old, new)]
    c["contracts"] = [make_contract(inst, tid, new, "lead", old_k["deliverables"])] + [
        k for k in c["contracts"] if k["actor"] not in (old, new)
    ]
    c["lead"] = new
    resum(sol, tid)


def rules(res: VerifyResult) -> set[str]:
    return {v.rule for v in res.violations}


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Test-side copy of the formula (radius 6371.0088 km), to check the distance term.
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


# ---------------------------------------------------------------- the example passes


def test_example_solution_passes(inst: Json, sol: Json) -> None:
    res = verify_solution(inst, sol)
    assert res.ok, format_result(res)
    assert res.objective == pytest.approx(47.86, rel=1e-6, abs=1e-6)
    assert res.spend_total == pytest.approx(46.94, rel=1e-9)
    text = format_result(res)
    assert "OK" in text and "47.86" in text


def test_verifier_is_independent_of_the_package() -> None:
    """verify.py must import only the standard library bits it is allowed."""
    tree = ast.parse(Path(verify_module.__file__).read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {n.name.split(".")[0] for n in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import in verify.py"
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "math", "dataclasses", "typing"}


# ---------------------------------------------------------------- one break per rule

Mutation = Callable[[Json, Json], None]


def _m_redundancy(i: Json, s: Json) -> None:
    drop_member(s, "t01", "a007")  # lithography-optics and gan-epitaxy need 2 deliverers


def _m_cannot_deliver_level(i: Json, s: Json) -> None:
    contract(s, "t01", "a002")["deliverables"].append({"capability": "eda-analog", "level": 5})


def _m_chokepoint_foreign(i: Json, s: Json) -> None:
    actor(i, "a002")["ownership"] = "foreign"  # lithography-optics is a chokepoint


def _m_free_rider(i: Json, s: Json) -> None:
    add_member(i, s, "t01", "a016", [])


def _m_distance(i: Json, s: Json) -> None:
    target(i, "t02")["sites"].append("beijing-1")  # allowed site, but members are ~1450 km away
    cons(s, "t02")["site"] = "beijing-1"


def _m_site_not_allowed(i: Json, s: Json) -> None:
    cons(s, "t02")["site"] = "beijing-1"


def _m_lead_wrong_type(i: Json, s: Json) -> None:
    set_lead(i, s, "t01", "a014")  # university may not lead a research target by default


def _m_lead_no_lead_cost(i: Json, s: Json) -> None:
    actor(i, "a009")["lead_cost"] = None


def _m_lead_foreign(i: Json, s: Json) -> None:
    actor(i, "a009")["ownership"] = "foreign"


def _m_lead_types_research_only(i: Json, s: Json) -> None:
    i["policy"]["lead_types"] = {"research": ["university"]}


def _m_lead_not_member(i: Json, s: Json) -> None:
    cons(s, "t01")["members"].remove("a009")


def _m_no_lead(i: Json, s: Json) -> None:
    del cons(s, "t01")["lead"]


def _m_mandatory(i: Json, s: Json) -> None:
    target(i, "t03")["mandatory"] = True


def _m_both_ends(i: Json, s: Json) -> None:
    actor(i, "a015")["type"] = "sme"  # t02 loses its only research-end member


def _m_min_members(i: Json, s: Json) -> None:
    target(i, "t02")["min_members"] = 4


def _m_max_members(i: Json, s: Json) -> None:
    target(i, "t01")["max_members"] = 3


def _m_state_share(i: Json, s: Json) -> None:
    actor(i, "a010")["ownership"] = "state"  # sme + state = state enterprise
    i["policy"]["max_state_share"] = 0.2


def _m_private(i: Json, s: Json) -> None:
    i["policy"]["min_private_members"] = 3  # t02 has two private members


def _m_outside(i: Json, s: Json) -> None:
    i["policy"]["min_outside_members"] = 1  # t02: every member is from CQ, like prov-cq


def _m_conflict(i: Json, s: Json) -> None:
    i["conflicts"].append({"a": "a013", "b": "a010"})


def _m_max_consortia(i: Json, s: Json) -> None:
    # a015 (max_consortia 1) also joins t01
    add_member(i, s, "t01", "a015", [{"capability": "eda-analog", "level": 5}])


def _m_max_lead(i: Json, s: Json) -> None:
    actor(i, "a015")["max_consortia"] = 2
    set_lead(i, s, "t01", "a015")  # a015 now leads t01 and t02, max_lead 1


def _m_target_budget(i: Json, s: Json) -> None:
    target(i, "t02")["budget"] = 20.0


def _m_sponsor_budget(i: Json, s: Json) -> None:
    i["sponsors"][1]["budget"] = 40.0  # prov-cq


def _m_total_budget(i: Json, s: Json) -> None:
    i["policy"]["total_budget"] = 46.9


def _m_exclusive(i: Json, s: Json) -> None:
    i["exclusive"] = [["t01", "t02"]]


def _m_fixed_lead(i: Json, s: Json) -> None:
    i["fixed"] = {"leads": {"t01": "a015"}}


def _m_fixed_lead_unformed(i: Json, s: Json) -> None:
    i["fixed"] = {"leads": {"t03": "a001"}}


def _m_fixed_member(i: Json, s: Json) -> None:
    i["fixed"] = {"members": [["t02", "a003"]]}


def _m_forbidden_pair(i: Json, s: Json) -> None:
    i["fixed"] = {"forbidden": [["t01", "a002"]]}


def _m_forbidden_actor(i: Json, s: Json) -> None:
    i["fixed"] = {"forbidden_actors": ["a013"]}


@pytest.mark.parametrize(
    "mutate, rule, target_id",
    [
        (_m_redundancy, "3", "t01"),
        (_m_cannot_deliver_level, "3", "t01"),
        (_m_chokepoint_foreign, "3", "t01"),
        (_m_free_rider, "4", "t01"),
        (_m_distance, "2", "t02"),
        (_m_site_not_allowed, "2", "t02"),
        (_m_lead_wrong_type, "1", "t01"),
        (_m_lead_no_lead_cost, "1", "t01"),
        (_m_lead_foreign, "1", "t01"),
        (_m_lead_types_research_only, "1", "t01"),
        (_m_lead_not_member, "1", "t01"),
        (_m_no_lead, "1", "t01"),
        (_m_mandatory, "1", "t03"),
        (_m_both_ends, "5", "t02"),
        (_m_min_members, "6", "t02"),
        (_m_max_members, "6", "t01"),
        (_m_state_share, "7", "t02"),
        (_m_private, "8", "t02"),
        (_m_outside, "9", "t02"),
        (_m_conflict, "10", "t02"),
        (_m_max_consortia, "11", None),
        (_m_max_lead, "11", None),
        (_m_target_budget, "12", "t02"),
        (_m_sponsor_budget, "12", None),
        (_m_total_budget, "12", None),
        (_m_exclusive, "13", None),
        (_m_fixed_lead, "14", "t01"),
        (_m_fixed_lead_unformed, "14", "t03"),
        (_m_fixed_member, "14", "t02"),
        (_m_forbidden_pair, "14", "t01"),
        (_m_forbidden_actor, "14", None),
    ],
    ids=lambda p: p.__name__[3:] if callable(p) else None,
)
def test_section3_rule_reported(inst: Json, sol: Json, mutate: Mutation, rule: str,
                                target_id: str | None) -> None:
    mutate(inst, sol)
    res = verify_solution(inst, sol)
    assert not res.ok
    hits = [v for v in res.violations if v.rule == rule]
    assert hits, format_result(res)
    assert any(v.target == target_id for v in hits), format_result(res)
    assert all(v.message and "\n" not in v.message for v in res.violations)


def test_free_rider_is_the_only_problem(inst: Json, sol: Json) -> None:
    """A correctly contracted free rider breaks rule 4 and nothing else."""
    _m_free_rider(inst, sol)
    res = verify_solution(inst, sol)
    assert rules(res) == {"4"}, format_result(res)


def test_free_riders_allowed_when_policy_off(inst: Json, sol: Json) -> None:
    _m_free_rider(inst, sol)
    inst["policy"]["no_free_riders"] = False
    assert verify_solution(inst, sol).ok


def test_max_lead_message_names_leading(inst: Json, sol: Json) -> None:
    _m_max_lead(inst, sol)
    res = verify_solution(inst, sol)
    hits = [v for v in res.violations if v.rule == "11" and "leads 2" in v.message]
    assert hits, format_result(res)


def test_lead_types_for_one_mode_keeps_other_default(inst: Json, sol: Json) -> None:
    # Naming only `economic` keeps research -> institute, lab: a009 and a015 may still lead.
    inst["policy"]["lead_types"] = {"economic": ["enterprise", "sme"]}
    assert verify_solution(inst, sol).ok


def test_outside_members_ignored_without_sponsor_region(inst: Json, sol: Json) -> None:
    inst["policy"]["min_outside_members"] = 1
    for s in inst["sponsors"]:
        s.pop("region", None)
    assert verify_solution(inst, sol).ok


def test_budget_within_tolerance(inst: Json, sol: Json) -> None:
    target(inst, "t02")["budget"] = 22.28 * (1 - 1e-8)  # below the spend by less than 1e-6 relative
    assert verify_solution(inst, sol).ok


def test_defaults_applied_when_policy_missing(inst: Json, sol: Json) -> None:
    # The example's policy repeats every default except incentives; dropping the
    # rest must change nothing.
    inst["policy"] = {"incentives": inst["policy"]["incentives"]}
    assert verify_solution(inst, sol).ok


# ---------------------------------------------------------------- section 4


def _c_reward(i: Json, s: Json) -> None:
    contract(s, "t01", "a002")["reward"] += 0.5


def _c_bonus(i: Json, s: Json) -> None:
    k = contract(s, "t02", "a010")
    k["bonus"] = 0.0
    k["reward"] = k["base"]


def _c_base(i: Json, s: Json) -> None:
    actor(i, "a015")["bids"] = {"t02": 10.0}  # base(a015, t02) is now the bid


def _c_lead_fee_on_member(i: Json, s: Json) -> None:
    contract(s, "t01", "a014")["lead_fee"] = 1.0


def _c_role(i: Json, s: Json) -> None:
    contract(s, "t01", "a009")["role"] = "member"


def _c_instruments(i: Json, s: Json) -> None:
    contract(s, "t01", "a014")["instruments"] = ["subsidy"]


def _c_missing_contract(i: Json, s: Json) -> None:
    c = cons(s, "t02")
    c["contracts"] = [k for k in c["contracts"] if k["actor"] != "a013"]


def _c_duplicate_contract(i: Json, s: Json) -> None:
    c = cons(s, "t02")
    c["contracts"].append(copy.deepcopy(c["contracts"][1]))


def _c_contract_non_member(i: Json, s: Json) -> None:
    cons(s, "t02")["contracts"].append(make_contract(i, "t02", "a001", "member", []))


def _c_spend(i: Json, s: Json) -> None:
    cons(s, "t01")["spend"] = 30.0


def _c_deliverable_level(i: Json, s: Json) -> None:
    contract(s, "t01", "a014")["deliverables"][0]["level"] = 3


def _c_deliverable_not_required(i: Json, s: Json) -> None:
    contract(s, "t01", "a014")["deliverables"].append({"capability": "euv-photoresist", "level": 4})


def _v_missing_target(i: Json, s: Json) -> None:
    s["unformed"] = []


def _v_both_lists(i: Json, s: Json) -> None:
    s["unformed"].append({"target": "t01", "reason": "x"})


def _v_duplicate_consortium(i: Json, s: Json) -> None:
    s["consortia"].append(copy.deepcopy(s["consortia"][0]))


def _v_no_reason(i: Json, s: Json) -> None:
    s["unformed"][0]["reason"] = ""


@pytest.mark.parametrize(
    "mutate, rule",
    [
        (_c_reward, RULE_CONTRACT),
        (_c_bonus, RULE_CONTRACT),
        (_c_base, RULE_CONTRACT),
        (_c_lead_fee_on_member, RULE_CONTRACT),
        (_c_role, RULE_CONTRACT),
        (_c_instruments, RULE_CONTRACT),
        (_c_missing_contract, RULE_CONTRACT),
        (_c_duplicate_contract, RULE_CONTRACT),
        (_c_contract_non_member, RULE_CONTRACT),
        (_c_spend, RULE_CONTRACT),
        (_c_deliverable_level, RULE_CONTRACT),
        (_c_deliverable_not_required, RULE_CONTRACT),
        (_v_missing_target, RULE_COVERAGE),
        (_v_both_lists, RULE_COVERAGE),
        (_v_duplicate_consortium, RULE_COVERAGE),
        (_v_no_reason, RULE_COVERAGE),
    ],
    ids=lambda p: p.__name__[3:] if callable(p) else None,
)
def test_section4_reported(inst: Json, sol: Json, mutate: Mutation, rule: str) -> None:
    mutate(inst, sol)
    res = verify_solution(inst, sol)
    assert rule in rules(res), format_result(res)


def test_wrong_reward_reported_once(inst: Json, sol: Json) -> None:
    """A wrong reward is a contract error and a rewards-vs-spend mismatch, not a rule-3 problem."""
    _c_reward(inst, sol)
    res = verify_solution(inst, sol)
    assert rules(res) == {RULE_CONTRACT}, format_result(res)
    assert any("a002" in v.message and "reward" in v.message for v in res.violations)


def test_missing_target_names_it(inst: Json, sol: Json) -> None:
    _v_missing_target(inst, sol)
    res = verify_solution(inst, sol)
    assert [v.target for v in res.violations] == ["t03"], format_result(res)


# ---------------------------------------------------------------- objective


def test_objective_mismatch(inst: Json, sol: Json) -> None:
    sol["objective"] = 50.0
    res = verify_solution(inst, sol)
    assert rules(res) == {RULE_OBJECTIVE}
    assert res.objective == pytest.approx(47.86)
    assert "50" in format_result(res)


def test_objective_within_tolerance(inst: Json, sol: Json) -> None:
    sol["objective"] = 47.86 + 1e-8
    assert verify_solution(inst, sol).ok


def test_objective_ties_weight(inst: Json, sol: Json) -> None:
    # Only weight 'ties' is named: value and cost keep 1. Tie a010-a013 (2.1) sits in t02.
    inst["policy"]["weights"] = {"ties": 1.0}
    res = verify_solution(inst, sol)
    assert res.objective == pytest.approx(47.86 + 2.1)
    assert rules(res) == {RULE_OBJECTIVE}


def test_objective_ties_counted_once_each_in_either_order(inst: Json, sol: Json) -> None:
    # Tie a010-a013 (2.1) sits in t02: the same tie again, reversed and repeated,
    # counts each time it is listed; a tie with one end outside counts nothing.
    inst["policy"]["weights"] = {"ties": 1.0}
    inst["ties"] = [*inst.get("ties", []), {"a": "a013", "b": "a010", "weight": 0.5},
                    {"a": "a010", "b": "a013", "weight": 0.25},
                    {"a": "a010", "b": "zz", "weight": 9}]
    res = verify_solution(inst, sol)
    assert res.objective == pytest.approx(47.86 + 2.1 + 0.5 + 0.25)


def test_one_verifier_for_many_plans_gives_each_plan_its_own_answer(inst: Json,
                                                                     sol: Json) -> None:
    v = Verifier(inst)
    plans = [copy.deepcopy(sol) for _ in range(3)]
    plans[1]["objective"] = 1.0  # wrong objective
    _m_redundancy(inst, plans[2])
    for p in [*plans, plans[0], {}, None]:
        a, b = v.verify(p), verify_solution(inst, p)  # type: ignore[arg-type]
        assert (a.ok, a.objective, [str(x) for x in a.violations]) == \
            (b.ok, b.objective, [str(x) for x in b.violations])
    assert not Verifier(None).verify(sol).ok  # type: ignore[arg-type]


def test_objective_distance_weight(inst: Json, sol: Json) -> None:
    inst["policy"]["weights"] = {"distance": 0.01}
    sites = {s["id"]: s for s in inst["sites"]}
    total_km = 0.0
    for c in sol["consortia"]:
        s = sites[c["site"]]
        for m in c["members"]:
            a = actor(inst, m)
            total_km += haversine(a["lat"], a["lon"], s["lat"], s["lon"])
    res = verify_solution(inst, sol)
    assert res.objective == pytest.approx(47.86 - 0.01 * total_km, rel=1e-9)


def test_objective_missing_is_format(inst: Json, sol: Json) -> None:
    del sol["objective"]
    assert RULE_FORMAT in rules(verify_solution(inst, sol))


# ---------------------------------------------------------------- no plan, malformed files


@pytest.mark.parametrize("status", ["infeasible", "no_solution"])
def test_no_plan_status(inst: Json, sol: Json, status: str) -> None:
    sol["status"] = status
    sol["objective"] = None
    sol["consortia"] = []
    res = verify_solution(inst, sol)
    assert res.ok and res.objective is None
    assert "no plan" in format_result(res)


def test_no_plan_status_with_consortia(inst: Json, sol: Json) -> None:
    sol["status"] = "infeasible"
    res = verify_solution(inst, sol)
    assert rules(res) == {RULE_FORMAT} and res.objective is None


def _f_consortia_not_list(i: Json, s: Json) -> None:
    s["consortia"] = {"t01": "a009"}


def _f_consortium_not_object(i: Json, s: Json) -> None:
    s["consortia"][0] = "t01"


def _f_unknown_target(i: Json, s: Json) -> None:
    s["consortia"][0]["target"] = "t99"


def _f_unknown_member(i: Json, s: Json) -> None:
    cons(s, "t01")["members"].append("zzz")


def _f_member_twice(i: Json, s: Json) -> None:
    cons(s, "t01")["members"].append("a002")


def _f_members_not_list(i: Json, s: Json) -> None:
    cons(s, "t01")["members"] = "a009,a002"


def _f_unknown_lead(i: Json, s: Json) -> None:
    cons(s, "t01")["lead"] = ["a009"]


def _f_contracts_missing(i: Json, s: Json) -> None:
    del cons(s, "t02")["contracts"]


def _f_contract_number_is_string(i: Json, s: Json) -> None:
    contract(s, "t02", "a010")["reward"] = "4.025"


def _f_deliverables_garbage(i: Json, s: Json) -> None:
    contract(s, "t02", "a010")["deliverables"] = [42, {"level": 3}]


def _f_spend_missing(i: Json, s: Json) -> None:
    del cons(s, "t02")["spend"]


def _f_status_unknown(i: Json, s: Json) -> None:
    s["status"] = "great"


def _f_format_wrong(i: Json, s: Json) -> None:
    s["format"] = "consortium-solution/9"


def _f_unformed_garbage(i: Json, s: Json) -> None:
    s["unformed"] = [None, {"target": 3}]


def _f_nan_objective(i: Json, s: Json) -> None:
    s["objective"] = float("nan")


def _f_site_not_string(i: Json, s: Json) -> None:
    cons(s, "t01")["site"] = None


@pytest.mark.parametrize(
    "mutate",
    [
        _f_consortia_not_list, _f_consortium_not_object, _f_unknown_target, _f_unknown_member,
        _f_member_twice, _f_members_not_list, _f_unknown_lead, _f_contracts_missing,
        _f_contract_number_is_string, _f_deliverables_garbage, _f_spend_missing,
        _f_status_unknown, _f_format_wrong, _f_unformed_garbage, _f_nan_objective,
        _f_site_not_string,
    ],
    ids=lambda p: p.__name__[3:],
)
def test_malformed_solution_reported_not_raised(inst: Json, sol: Json, mutate: Mutation) -> None:
    mutate(inst, sol)
    res = verify_solution(inst, sol)
    assert RULE_FORMAT in rules(res), format_result(res)
    format_result(res)  # must render too


@pytest.mark.parametrize("bad", [None, [], "solution", 3])
def test_solution_not_an_object(inst: Json, bad: Any) -> None:
    res = verify_solution(inst, bad)  # type: ignore[arg-type]
    assert rules(res) == {RULE_FORMAT} and res.objective is None


def test_empty_solution_object(inst: Json) -> None:
    res = verify_solution(inst, {})
    assert RULE_FORMAT in rules(res)


def test_format_result_lists_violations(inst: Json, sol: Json) -> None:
    _m_redundancy(inst, sol)
    res = verify_solution(inst, sol)
    text = format_result(res, reported_objective=sol["objective"])
    assert "[rule 3]" in text
    expected = "t01: requirement 'lithography-optics' (level 4) delivered by 1 member(s), needs 2"
    assert expected in text
    assert "recomputed objective" in text
