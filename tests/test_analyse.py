"""Marginal values, VCG rewards and stress tests (consortium.analyse).

Results are checked against brute force: the instance dict is modified
(``fixed.forbidden`` for a barred pair, ``fixed.forbidden_actors`` for a
dropped actor) and solved again from scratch. Every plan an analysis produces
goes through the independent verifier against the matching modified instance.
"""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner
from conftest import ROOT, solve_verified

from consortium import analysis as an
from consortium.backends.base import SolverOptions, Status
from consortium.cli import cli
from consortium.io.instance import InstanceError, from_dict
from consortium.solving.solve import solve_instance as solve
from consortium.verify import verify_solution

DEMO = ROOT / "instances" / "demo" / "suzhou.json"


# ----------------------------------------------------------------- helpers


def demo_raw() -> dict:
    return json.loads(DEMO.read_text())


def inst_of(raw: dict):
    return from_dict(copy.deepcopy(raw))


def brute(raw: dict):
    """Solve a modified instance from scratch: Solution, or None if the
    modification contradicts a fixed decision (the loader rejects it)."""
    try:
        inst = from_dict(copy.deepcopy(raw))
    except InstanceError:
        return None
    return solve(inst, SolverOptions(), reasons=False)


def forbid_pair(raw: dict, t: str, a: str) -> dict:
    r = copy.deepcopy(raw)
    r.setdefault("fixed", {}).setdefault("forbidden", []).append([t, a])
    return r


def forbid_actors(raw: dict, ids) -> dict:
    r = copy.deepcopy(raw)
    fa = r.setdefault("fixed", {}).setdefault("forbidden_actors", [])
    fa.extend(a for a in ids if a not in fa)
    return r


def assert_verified(raw: dict, plan: dict) -> None:
    res = verify_solution(raw, plan)
    assert res.ok, [f"rule {v.rule}: {v.message}" for v in res.violations]
    assert res.objective == pytest.approx(plan["objective"], rel=1e-6, abs=1e-6)


def same(a, b) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def comparable(recs, drop=("time_s", "plan", "replacement", "lead_after", "members_after",
                           "deliverers_after", "if_forced", "changed", "bound_without",
                           "gap_without")):
    """Records without timings and without what alternative optima may change."""
    out = []
    for r in recs:
        d = {k: v for k, v in r.items() if k not in drop}
        for k in ("marginal_value", "objective_without", "objective_after", "objective_change",
                  "value_change", "spend_change"):
            if isinstance(d.get(k), float):
                d[k] = round(d[k], 6)
        if "value_after" in d:
            d.pop("value_after"), d.pop("spend_after"), d.pop("lost_targets"), d.pop("new_targets")
            d.pop("uncovered")
        out.append(d)
    return out


@pytest.fixture(scope="module")
def demo():
    raw = demo_raw()
    inst = inst_of(raw)
    sol = solve_verified(raw)
    assert sol.status == Status.OPTIMAL
    return raw, inst, sol.to_dict()


@pytest.fixture(scope="module")
def demo_marginal(demo):
    raw, inst, sol = demo
    stats = {}
    recs = an.marginal_values(inst, sol, SolverOptions(), workers=0, keep_plans=True, stats=stats)
    assert stats["mode"] == "in-process"
    return recs


# A hand-checkable instance. t1 (research, value 50) needs a chokepoint
# capability "chip" (level 6) and "app" (level 5). "holder" is the only
# domestic chip holder ("far" holds it too but is foreign, so may not deliver
# it). lab1 leads (2 + fee 1 = 3); lab2 could lead for 3 + 2 = 5. user1 (2)
# delivers app; user2 (4) could. No bonuses, no distance or ties weights.
# Optimum: lab1 + holder + user1, spend 3 + 3 + 2 = 8, objective 42.
def hand() -> dict:
    site = {"id": "s", "lat": 31.3, "lon": 120.6}

    def actor(i, typ, own, caps, cost, lead=None):
        a = {"id": i, "type": typ, "ownership": own, "region": "JS", "lat": 31.3, "lon": 120.6,
             "capabilities": caps, "cost": cost}
        if lead is not None:
            a["lead_cost"] = lead
        return a

    return {
        "format": "consortium-instance/1", "name": "hand",
        "capabilities": [{"id": "chip", "chokepoint": True}, {"id": "app"}],
        "sites": [site],
        "sponsors": [{"id": "city", "budget": 60.0, "region": "JS"}],
        "actors": [
            actor("lab1", "institute", "state", {}, 2.0, 1.0),
            actor("lab2", "institute", "state", {}, 3.0, 2.0),
            actor("holder", "sme", "private", {"chip": 6}, 3.0),
            actor("far", "enterprise", "foreign", {"chip": 9}, 1.0),
            actor("user1", "enterprise", "private", {"app": 5}, 2.0),
            actor("user2", "enterprise", "private", {"app": 5}, 4.0),
        ],
        "targets": [{"id": "t1", "mode": "research", "sponsor": "city", "value": 50.0,
                     "sites": ["s"],
                     "requirements": [{"capability": "chip", "level": 6}, {"capability": "app",
                                                                           "level": 5}]}],
        "policy": {"total_budget": 50.0},
    }


def verify_marginal_plans(raw: dict, recs) -> None:
    """Every re-solved plan (and forced plan) against the instance with that pair forbidden."""
    for r in recs:
        mod = forbid_pair(raw, r["target"], r["actor"])
        if r.get("plan") is not None:
            assert_verified(mod, r["plan"])
        if r["if_forced"] is not None:
            assert_verified(mod, r["if_forced"]["plan"])


def analyse_hand(raw, **kw):
    inst = inst_of(raw)
    sol = solve_verified(raw)
    recs = an.marginal_values(inst, sol, SolverOptions(), workers=0, keep_plans=True, **kw)
    verify_marginal_plans(raw, recs)
    return inst, sol.to_dict(), {r["actor"]: r for r in recs}


# ----------------------------------------------------------------- marginal values


def test_marginal_values_match_brute_force(demo, demo_marginal):
    raw, inst, sol = demo
    n = sum(len(c["members"]) for c in sol["consortia"])
    assert len(demo_marginal) == n
    for r in demo_marginal:
        mod = forbid_pair(raw, r["target"], r["actor"])
        b = brute(mod)
        if b is None or b.status == Status.INFEASIBLE:
            assert r["status"] == "infeasible" and r["critical"] and r["marginal_value"] is None, r
            assert r["outcome"] == "infeasible"
            continue
        assert b.status == Status.OPTIMAL
        assert r["status"] == "optimal", r
        assert same(r["objective_without"], b.objective), (r["target"], r["actor"])
        assert same(r["marginal_value"], sol["objective"] - b.objective)
        assert r["marginal_value"] >= -1e-6  # the base plan is optimal
        assert_verified(mod, r["plan"])
        formed = {c["target"] for c in r["plan"]["consortia"]}
        assert r["critical"] == (r["target"] not in formed)
        if r["outcome"] in ("replaced", "absorbed"):
            after = next(c for c in r["plan"]["consortia"] if c["target"] == r["target"])
            orig = next(c for c in sol["consortia"] if c["target"] == r["target"])
            assert r["replacement"] == sorted(set(after["members"]) - set(orig["members"]))
            assert r["actor"] not in after["members"]
            assert (r["outcome"] == "replaced") == bool(r["replacement"])
        if r["if_forced"] is not None:
            assert_verified(mod, r["if_forced"]["plan"])
            assert r["target"] in {c["target"] for c in r["if_forced"]["plan"]["consortia"]}
            assert r["if_forced"]["objective"] <= r["objective_without"] + 1e-6


def test_demo_marginal_has_every_kind_of_outcome(demo_marginal):
    kinds = {r["outcome"] for r in demo_marginal}
    assert {"replaced", "unformed", "infeasible"} <= kinds
    # nju is a fixed member of t-sic, huaxin-photonics the fixed lead of t-laser:
    # barring them contradicts the planner's fixed decisions.
    by = {(r["target"], r["actor"]): r for r in demo_marginal}
    for key in (("t-sic", "nju"), ("t-laser", "huaxin-photonics")):
        assert by[key]["outcome"] == "infeasible" and "fixed" in by[key]["note"]
    # t-sic is mandatory and only jinling-power and taihu-micro hold sic-mosfet >= 6
    # (redundancy 2): without either there is no plan.
    assert by[("t-sic", "jinling-power")]["marginal_value"] is None
    assert by[("t-sic", "jinling-power")]["critical"]


def test_single_chokepoint_holder_is_critical_without_replacement():
    inst, sol, m = analyse_hand(hand())
    assert sol["objective"] == pytest.approx(42.0)
    h = m["holder"]
    assert h["critical"] and h["outcome"] == "unformed"
    assert h["formable_without"] is False and h["if_forced"] is None
    assert h["replacement"] == [] and h["deliverables"] == ["chip"]
    assert h["marginal_value"] == pytest.approx(42.0)  # forming nothing: objective 0
    assert_verified(forbid_pair(hand(), "t1", "holder"), h["plan"])
    # The app deliverer and the lead have replacements.
    u = m["user1"]
    assert not u["critical"] and u["outcome"] == "replaced" and u["replacement"] == ["user2"]
    assert u["marginal_value"] == pytest.approx(2.0) and u["deliverers_after"] == {"app": ["user2"]}
    lead = m["lab1"]
    assert lead["replacement"] == ["lab2"] and lead["lead_after"] == "lab2"
    assert lead["marginal_value"] == pytest.approx(2.0)


def test_forced_check_names_a_costly_replacement():
    # user2 now costs 45: without user1 the target is not worth forming (50 - 3 - 3 - 45 < 0),
    # but it could be formed: the record says so and names user2.
    raw = hand()
    raw["actors"][5]["cost"] = 45.0
    raw["policy"]["total_budget"] = 100.0
    raw["sponsors"][0]["budget"] = 100.0
    _inst, _sol, m = analyse_hand(raw)
    u = m["user1"]
    assert u["critical"] and u["outcome"] == "unformed" and u["formable_without"] is True
    assert u["if_forced"]["replacement"] == ["user2"]
    assert u["if_forced"]["objective"] == pytest.approx(50 - 3 - 3 - 45)
    assert u["marginal_value"] == pytest.approx(42.0)
    assert_verified(forbid_pair(raw, "t1", "user1"), u["if_forced"]["plan"])


def test_mandatory_target_barring_makes_the_plan_infeasible():
    raw = hand()
    raw["targets"][0]["mandatory"] = True
    inst, sol, m = analyse_hand(raw)
    h = m["holder"]
    assert h["status"] == "infeasible" and h["critical"] and h["marginal_value"] is None
    assert h["outcome"] == "infeasible" and h["objective_without"] is None
    b = brute(forbid_pair(raw, "t1", "holder"))
    assert b is not None and b.status == Status.INFEASIBLE
    vcg = an.vcg_rewards(inst, sol, list(m.values()))
    row = next(c for c in vcg["contracts"] if c["actor"] == "holder")
    assert row["vcg_reward"] is None and "indispensable" in row["reason"]
    assert vcg["total"]["vcg"] is None and vcg["total"]["undefined"] == 1


# ----------------------------------------------------------------- VCG


def test_vcg_arithmetic_by_hand():
    inst, sol, m = analyse_hand(hand())
    vcg = an.vcg_rewards(inst, sol, list(m.values()))
    assert vcg["defined"] and vcg["money_per_unit"] == pytest.approx(1.0)
    by = {c["actor"]: c for c in vcg["contracts"]}
    # reward + marginal value: lab1 3 + 2, user1 2 + 2, holder 3 + 42 (its pivot is the whole
    # target).
    assert by["lab1"]["reward"] == pytest.approx(3.0)
    assert by["lab1"]["vcg_reward"] == pytest.approx(5.0)
    assert by["user1"]["vcg_reward"] == pytest.approx(4.0)
    assert by["holder"]["vcg_reward"] == pytest.approx(45.0)
    tot = vcg["total"]
    assert tot["spend"] == pytest.approx(8.0) and tot["vcg"] == pytest.approx(54.0)
    assert tot["budget"] == 50.0 and tot["within_budget"] is False
    assert tot["overrun"] == pytest.approx(4.0)
    city = vcg["sponsors"]["city"]
    assert city["vcg"] == pytest.approx(54.0) and city["within_budget"] is True
    assert vcg["targets"]["t1"]["vcg"] == pytest.approx(54.0)


def test_vcg_converts_objective_units_to_money():
    # weights.cost 2 doubles every marginal value; the money premium stays the same.
    raw = hand()
    raw["policy"]["weights"] = {"cost": 2.0}
    inst, sol, m = analyse_hand(raw)
    assert sol["objective"] == pytest.approx(50 - 16)
    assert m["user1"]["marginal_value"] == pytest.approx(4.0)
    vcg = an.vcg_rewards(inst, sol, list(m.values()))
    by = {c["actor"]: c for c in vcg["contracts"]}
    assert by["user1"]["premium"] == pytest.approx(2.0)
    assert by["user1"]["vcg_reward"] == pytest.approx(4.0)
    assert by["holder"]["vcg_reward"] == pytest.approx(3 + 34 / 2)


def test_vcg_undefined_when_cost_weight_is_zero():
    raw = hand()
    raw["policy"]["weights"] = {"cost": 0.0}
    inst, sol, m = analyse_hand(raw)
    vcg = an.vcg_rewards(inst, sol, list(m.values()))
    assert not vcg["defined"] and "weights.cost is 0" in vcg["reason"]
    assert all(c["vcg_reward"] is None for c in vcg["contracts"])
    assert vcg["total"]["vcg"] is None


# ----------------------------------------------------------------- stress


@pytest.fixture(scope="module")
def demo_stress(demo):
    _raw, inst, sol = demo
    scen = [an.scenario_from_spec(inst, {"drop_foreign": True}, "s0"),
            an.scenario_from_spec(inst, {"name": "two", "drop": ["simit", "seu"]}, "s1"),
            an.scenario_from_spec(inst, {"drop_region": "ZJ"}, "s2")]
    scen += an.drop_each_scenarios(sol)
    return scen, an.stress_test(inst, sol, scen, SolverOptions(), workers=0, keep_plans=True)


def test_stress_matches_brute_force(demo, demo_stress):
    raw, inst, sol = demo
    scen, recs = demo_stress
    assert len(recs) == len(scen)
    foreign = {a["id"] for a in raw["actors"] if a["ownership"] == "foreign"}
    assert set(recs[0]["drop"]) == foreign
    for s, r in zip(scen, recs, strict=False):
        mod = forbid_actors(raw, s.drop)
        b = brute(mod)
        if b is None or b.status == Status.INFEASIBLE:
            assert r["status"] == "infeasible" and r["objective_after"] is None, r["name"]
            continue
        assert same(r["objective_after"], b.objective), r["name"]
        assert same(r["objective_change"], b.objective - sol["objective"])
        assert same(r["spend_change"], b.kpis["spend"] - sol["kpis"]["spend"])
        assert same(r["value_change"], b.kpis["value"] - sol["kpis"]["value"])
        if r["solved"]:
            assert_verified(mod, r["plan"])
            after = {c["target"]: c for c in r["plan"]["consortia"]}
            assert r["lost_targets"] == [c["target"] for c in sol["consortia"]
                                         if c["target"] not in after]
            for ch in r["changed"]:
                assert ch["members_after"] == after[ch["target"]]["members"]
                assert not set(s.drop) & set(ch["members_after"])
        else:
            assert not set(r["drop"]) & {a for c in sol["consortia"] for a in c["members"]}
    # drop-each agrees with the marginal values where the actor sits in one consortium only
    ranking = an.early_warning([r for r, s in zip(recs, scen, strict=False) if s.each], sol)
    assert [x["rank"] for x in ranking] == list(range(1, len(ranking) + 1))
    lost = [x["objective_lost"] for x in ranking if x["objective_lost"] is not None]
    assert lost == sorted(lost, reverse=True)
    first_known = next(i for i, x in enumerate(ranking) if x["objective_lost"] is not None)
    assert all(x["status"] == "infeasible" for x in ranking[:first_known])


def test_stress_uncovered_chokepoint():
    raw = hand()
    inst = inst_of(raw)
    sol = solve_verified(raw).to_dict()
    scen = [an.Scenario("no holder", ["holder"]), an.Scenario("no user1", ["user1"])]
    r0, r1 = an.stress_test(inst, sol, scen, SolverOptions(), workers=0, keep_plans=True)
    assert r0["lost_targets"] == ["t1"] and r0["objective_after"] == pytest.approx(0.0)
    assert r0["uncovered"] == [{"target": "t1", "capability": "chip", "level": 6, "redundancy": 1,
                                "holders_left": 0, "chokepoint": True}]
    assert r0["value_change"] == pytest.approx(-50.0) and r0["spend_change"] == pytest.approx(-8.0)
    assert r1["lost_targets"] == [] and r1["uncovered"] == []
    assert r1["changed"] == [{"target": "t1", "lead_before": "lab1", "lead_after": "lab1",
                              "site_before": "s", "site_after": "s",
                              "members_before": ["lab1", "holder", "user1"],
                              "members_after": ["lab1", "holder", "user2"],
                              "joined": ["user2"], "left": ["user1"]}]
    for s, r in zip(scen, (r0, r1), strict=False):
        assert_verified(forbid_actors(raw, s.drop), r["plan"])


def test_scenario_file_errors(demo, tmp_path):
    _raw, inst, _sol = demo
    bad = [({"drop": ["nobody"]}, "unknown actor 'nobody'"),
           ({"drop_region": "XX"}, "no actor in region 'XX'"),
           ({"drop": "simit", "oops": 1}, "unknown key(s) oops"),
           ({}, "drops nothing")]
    for spec, msg in bad:
        p = tmp_path / "s.json"
        p.write_text(json.dumps([spec]))
        with pytest.raises(an.ScenarioError, match=msg.replace("(", r"\(").replace(")", r"\)")):
            an.scenarios_from_file(inst, p)


# ----------------------------------------------------------------- parallel runs


def test_two_worker_processes_give_the_same_results(demo, demo_marginal, demo_stress):
    raw, inst, sol = demo
    stats = {}
    par = an.marginal_values(inst, sol, SolverOptions(), workers=2, stats=stats, keep_plans=True)
    assert stats["mode"] == "processes" and stats["sessions_built"] == 2
    assert comparable(par) == comparable(demo_marginal)
    verify_marginal_plans(raw, par)
    scen, seq = demo_stress
    par = an.stress_test(inst, sol, scen, SolverOptions(), workers=2, keep_plans=True)
    assert comparable(par) == comparable(seq)
    for s, r in zip(scen, par, strict=False):
        if r.get("plan") is not None:
            assert_verified(forbid_actors(raw, s.drop), r["plan"])
    assert an.early_warning(par, sol)[0]["status"] == "infeasible"


@pytest.mark.slow  # 10-17 s: cluster start-up, and the whole file should stay under a minute
def test_dask_local_cluster_gives_the_same_results(demo, demo_marginal):
    distributed = pytest.importorskip("distributed")
    raw, inst, sol = demo
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        stats = {}
        got = an.marginal_values(inst, sol, SolverOptions(), scheduler=cluster.scheduler_address,
                                 stats=stats, keep_plans=True)
        assert stats["mode"] == "dask" and 1 <= stats["sessions_built"] <= 2
        assert comparable(got) == comparable(demo_marginal)
        verify_marginal_plans(raw, got)
        # The sessions are cached on the workers: a second run builds nothing.
        with distributed.Client(cluster) as client:
            stats2 = {}
            again = an.marginal_values(inst, sol, SolverOptions(), scheduler=client, stats=stats2,
                                       keep_plans=True)
        assert stats2["sessions_built"] == 0
        assert comparable(again) == comparable(demo_marginal)


# ----------------------------------------------------------------- command line


def test_cli_analyse(tmp_path):
    out, table = tmp_path / "m.json", tmp_path / "m.csv"
    res = CliRunner().invoke(cli, ["analyse", str(DEMO), "-o", str(out), "--table", str(table),
                                   "--workers", "0", "--no-progress"])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["format"] == "consortium-solution/1" and data["analysis"]["kind"] == "marginal"
    assert data["analysis"]["exact"] is True
    assert len(data["marginal"]) == sum(len(c["members"]) for c in data["consortia"])
    assert {"contracts", "total", "sponsors", "targets", "explanation"} <= set(data["vcg"])
    k = data["consortia"][0]["contracts"][0]
    assert "vcg_reward" in k and "reward" in k
    assert verify_solution(demo_raw(), data).ok  # the base plan with the new fields still verifies
    import pandas as pd

    df = pd.read_csv(table)
    assert len(df) == len(data["marginal"]) and "vcg_reward" in df.columns


def test_cli_stress(tmp_path):
    out, table = tmp_path / "s.json", tmp_path / "s.parquet"
    sc = tmp_path / "sc.json"
    sc.write_text(json.dumps([{"name": "no simit", "drop": ["simit"]}, {"drop_region": "ZJ"}]))
    res = CliRunner().invoke(cli, ["stress", str(DEMO), "--drop-foreign", "--drop-actor",
                                   "guoxin-mocvd",
                                   "--scenarios", str(sc), "-o", str(out), "--table", str(table),
                                   "--workers", "0", "--no-progress"])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    names = [r["name"] for r in data["stress"]]
    assert names == ["drop guoxin-mocvd", "foreign actors withdraw", "no simit", "region ZJ"]
    mocvd = data["stress"][0]
    assert mocvd["lost_targets"] == ["t-gan-js"]
    assert {"target": "t-gan-js", "capability": "mocvd", "level": 5, "redundancy": 1,
            "holders_left": 0,
            "chokepoint": True} in mocvd["uncovered"]
    import pandas as pd

    df = pd.read_parquet(table)
    assert list(df["scenario"]) == names


def test_terminal_reports(demo, demo_marginal, demo_stress):
    import io

    from rich.console import Console

    _raw, inst, sol = demo
    scen, recs = demo_stress
    buf = io.StringIO()
    con = Console(file=buf, width=160)
    ranking = an.early_warning([r for r, s in zip(recs, scen, strict=False) if s.each], sol)
    an.print_stress(inst, sol, recs, ranking, console=con)
    vcg = an.vcg_rewards(inst, sol, demo_marginal)
    an.print_marginal(inst, sol, demo_marginal, vcg, console=con)
    text = buf.getvalue()
    assert "Early warning" in text and "guoxin-mocvd" in text and "region ZJ" in text
    assert "VCG" in text and "replaced by" in text and "Clarke pivot" in text


def test_cli_analyses_a_given_solution(tmp_path):
    sol = tmp_path / "sol.json"
    assert CliRunner().invoke(cli, ["solve", str(DEMO), "-o", str(sol),
                                    "--no-reasons"]).exit_code == 0
    out = tmp_path / "s.json"
    res = CliRunner().invoke(cli, ["stress", str(DEMO), "--solution", str(sol), "--drop-actor",
                                   "simit",
                                   "--workers", "0", "-o", str(out), "--no-progress"])
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["objective"] == json.loads(sol.read_text())["objective"]
    assert data["stress"][0]["lost_targets"] == ["t-euv"]
    # a plan that breaks a rule is refused
    bad = json.loads(sol.read_text())
    bad["consortia"][0]["members"].pop()
    sol.write_text(json.dumps(bad))
    res = CliRunner().invoke(cli, ["analyse", str(DEMO), "--solution", str(sol), "--workers", "0"])
    assert res.exit_code == 2 and "not a valid plan" in res.output


@pytest.mark.parametrize("args, msg", [
    (["stress", str(DEMO)], "give at least one of"),
    (["stress", str(DEMO), "--drop-actor", "nobody"], "unknown actor 'nobody'"),
    (["stress", str(DEMO), "--drop-region", "XX"], "no actor in region 'XX'"),
    (["analyse", str(DEMO), "--table", "x.xlsx"], "unknown extension"),
    (["analyse", "no-such-file.json"], "no such file"),
])
def test_cli_usage_errors(args, msg):
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 2 and msg in res.output, res.output


def test_cli_no_base_plan_exits_1(tmp_path):
    raw = hand()
    raw["targets"][0]["mandatory"] = True
    raw["actors"] = [a for a in raw["actors"] if a["id"] != "holder"]
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(raw))
    res = CliRunner().invoke(cli, ["analyse", str(p), "--workers", "0"])
    assert res.exit_code == 1 and "no base plan" in res.output
