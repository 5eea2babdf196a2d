"""Write the programme regression instances (SPEC section 7) and their proven optima.

    .venv/bin/python tests/make_programme_regression.py

For each instance ``r25..r34`` of ``instances/regression/``:

1. the instance JSON is written from the definitions below;
2. it is solved by ``consortium`` (gap 0, verified) *and* by the independent
   brute force (``tests/bruteforce.py``); the two must agree, else nothing is
   written and the script fails;
3. the instance with the rule it exercises taken out (``strip``) is solved
   by brute force too, and its optimum must differ: the rule changes the
   optimal plan;
4. ``NAME.expected.json`` gets the proven status and objective.

``tests/test_regression.py`` compares every expected value with the brute
force again on each test run (and ``consortium check`` with the solver).
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "instances" / "regression"
sys.path.insert(0, str(HERE))

SIP = (31.3168, 120.7214)


def actor(aid: str, typ: str, own: str, cost: float, caps: dict[str, int], *,
          lead: float | None = None, region: str = "JS", maxc: int | None = None,
          maxl: int | None = None, name: str | None = None, dlat: float = 0.0) -> dict[str, Any]:
    a: dict[str, Any] = {"id": aid, "name": name or aid, "type": typ, "ownership": own,
                         "region": region, "lat": round(SIP[0] + dlat, 4), "lon": SIP[1],
                         "capabilities": caps, "cost": cost}
    if lead is not None:
        a["lead_cost"] = lead
    if maxc is not None:
        a["max_consortia"] = maxc
    if maxl is not None:
        a["max_lead"] = maxl
    return a


def target(tid: str, mode: str, value: float, reqs: list[tuple[str, int, int]],
           **extra: Any) -> dict[str, Any]:
    t: dict[str, Any] = {"id": tid, "name": extra.pop("name", tid), "mode": mode, "value": value,
                         "sites": ["sip"],
                         "requirements": [{"capability": c, "level": lv, "redundancy": r}
                                          for c, lv, r in reqs]}
    t.update(extra)
    return t


def instance(name: str, caps: list[str], actors: list[dict[str, Any]],
             targets: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "format": "consortium-instance/1", "name": name, "currency": "CNY million",
        "capabilities": [{"id": c, "name": c} for c in caps],
        "sites": [{"id": "sip", "name": "Suzhou Industrial Park", "lat": SIP[0], "lon": SIP[1]}],
        "sponsors": extra.pop("sponsors", []),
        "actors": actors, "targets": targets,
    }
    d.update(extra)
    return d


# The research-end and market-end pair most instances share: a lead and a
# supplier per chain stage (material, device, application).
def chain_actors(stages: tuple[str, ...] = ("mat", "dev", "app"), **kw: Any) -> list[dict]:
    out = []
    for k, s in enumerate(stages):
        out.append(actor(f"inst-{s}", "institute", "state", 2.0 + k, {s: 6}, lead=1.0,
                         name=f"{s} institute", **kw))
        out.append(actor(f"sme-{s}", "sme", "private", 1.0 + 0.5 * k, {s: 6},
                         name=f"{s} little giant", **kw))
    return out


Case = tuple[dict[str, Any], Callable[[dict[str, Any]], None], str]
CASES: list[Case] = []


def case(inst: dict[str, Any], strip: Callable[[dict[str, Any]], None], what: str) -> None:
    CASES.append((inst, strip, what))


# r25: composition (rule 15): policy min and max, a target's own list, [] removes them
case(instance(
    "r25-composition-min-max", ["x"],
    [actor("i1", "institute", "state", 2.0, {"x": 5}, lead=1.0),
     actor("i2", "institute", "state", 3.0, {"x": 5}, lead=1.0),
     actor("u1", "university", "state", 1.5, {"x": 5}),
     actor("e1", "enterprise", "state", 2.0, {"x": 5}, lead=1.0),
     actor("e2", "enterprise", "private", 3.0, {"x": 5}, lead=1.0),
     actor("s1", "sme", "private", 1.0, {"x": 5}),
     actor("s2", "sme", "state", 1.2, {"x": 5}),
     actor("s3", "sme", "private", 2.5, {"x": 5}),
     actor("f1", "enterprise", "foreign", 0.8, {"x": 5})],
    [target("t1", "research", 20.0, [("x", 5, 1)]),
     target("t2", "economic", 20.0, [("x", 5, 1)],
            composition=[{"types": ["university", "institute"], "min": 2, "max": 2}]),
     target("t3", "economic", 12.0, [("x", 5, 1)], composition=[])],
    policy={"composition": [{"types": ["enterprise", "sme"], "min": 2},
                            {"ownership": ["foreign"], "max": 0},
                            {"ownership": ["state"], "max": 2}]}),
    lambda d: (d["policy"].pop("composition"), [t.pop("composition", None)
                                                for t in d["targets"]]),
    "composition")

# r26: distinct regions (rule 16): policy 2, a target asks 3, another only 1
case(instance(
    "r26-min-regions", ["x"],
    [actor("i-js", "institute", "state", 2.0, {"x": 5}, lead=1.0),
     actor("i-zj", "institute", "state", 3.5, {"x": 5}, lead=1.0, region="ZJ", dlat=0.2),
     actor("s-js", "sme", "private", 1.0, {"x": 5}, maxc=2),
     actor("s-js2", "sme", "private", 1.1, {"x": 5}),
     actor("s-zj", "sme", "private", 2.0, {"x": 5}, region="ZJ", dlat=0.2),
     actor("s-sh", "sme", "private", 2.6, {"x": 5}, region="SH", dlat=-0.1),
     actor("e-js", "enterprise", "state", 1.5, {"x": 5}, lead=0.5, maxc=2, maxl=2),
     actor("u-sh", "university", "state", 1.8, {"x": 5}, region="SH", dlat=-0.1)],
    [target("t1", "research", 15.0, [("x", 5, 1)]),
     target("t2", "economic", 18.0, [("x", 5, 1)], min_regions=3),
     target("t3", "economic", 9.0, [("x", 5, 1)], min_regions=1)],
    policy={"min_regions": 2}),
    lambda d: (d["policy"].pop("min_regions"), [t.pop("min_regions", None)
                                                for t in d["targets"]]),
    "min_regions")

# r27: after (rule 17): material -> device -> application; the application pays for
# the chain, and a second application whose material cannot be formed is left out
case(instance(
    "r27-after-chain", ["mat", "dev", "app", "rare"],
    chain_actors() + [actor("e-app", "enterprise", "private", 2.0, {"app": 6}, lead=1.0)],
    [target("t-mat", "research", 3.0, [("mat", 6, 1)], name="SiC substrate (material)"),
     target("t-dev", "research", 4.0, [("dev", 6, 1)], after=["t-mat"],
            name="SiC power device (device)"),
     target("t-app", "economic", 14.0, [("app", 6, 1)], after=["t-dev"],
            name="EV charger module (application)"),
     target("t-rare", "research", 5.0, [("rare", 6, 1)], name="unformable material"),
     target("t-app2", "economic", 9.0, [("app", 5, 1)], after=["t-rare"])],
    programme={"start": 2026, "years": 3}),
    lambda d: [t.pop("after", None) for t in d["targets"]],
    "after")

# r28: durations and capacity by year (rule 11 per year): a star institute (the
# only lead for capability y) in one consortium a year; the 2-year t1 holds it
# for two years, so t3 (y, by 2027) and t1 cannot both have it early
case(instance(
    "r28-durations-capacity", ["x", "y"],
    [actor("star", "institute", "state", 1.0, {"x": 6, "y": 6}, lead=0.5),
     actor("inst-b", "institute", "state", 5.0, {"x": 6}, lead=1.0),
     actor("sme-a", "sme", "private", 1.0, {"x": 6}, maxc=2),
     actor("sme-b", "sme", "private", 2.0, {"x": 6})],
    [target("t1", "research", 10.0, [("y", 6, 1), ("x", 6, 1)], duration=2),
     target("t2", "research", 8.0, [("x", 6, 1)]),
     target("t3", "research", 8.0, [("y", 6, 1), ("x", 6, 1)], latest=2027),
     target("t4", "research", 7.0, [("x", 6, 1)], earliest=2027)],
    programme={"start": 2026, "years": 3}),
    lambda d: [t.pop("duration", None) for t in d["targets"]],
    "durations")

# r29: yearly budgets: the city may pay 3.5 in 2026 and 4.5 in 2027, the programme
# 8 in 2026
case(instance(
    "r29-yearly-budgets", ["x"],
    [actor(f"i{k}", "institute", "state", 2.0 + 0.5 * k, {"x": 5}, lead=1.0) for k in range(3)]
    + [actor(f"s{k}", "sme", "private", 1.0 + 0.5 * k, {"x": 5}) for k in range(3)],
    [target("t1", "research", 12.0, [("x", 5, 1)], sponsor="suzhou"),
     target("t2", "research", 11.0, [("x", 5, 1)], sponsor="suzhou", duration=2),
     target("t3", "research", 10.0, [("x", 5, 1)], sponsor="jiangsu", latest=2026)],
    sponsors=[{"id": "suzhou", "name": "Suzhou", "region": "JS",
               "budget_by_year": {"2026": 3.5, "2027": 4.5}},
              {"id": "jiangsu", "name": "Jiangsu", "region": "JS"}],
    policy={"total_budget_by_year": {"2026": 8.0}},
    programme={"start": 2026, "years": 3, "discount_rate": 0.05}),
    lambda d: (d["policy"].pop("total_budget_by_year"), [s.pop("budget_by_year", None)
                                                         for s in d["sponsors"]]),
    "yearly budgets")

# r30: milestones (rule 18): two consortia formed by 2026, three by 2027, although
# one of them is worth less than it costs
case(instance(
    "r30-milestones", ["x"],
    [actor(f"i{k}", "institute", "state", 2.0 + k, {"x": 5}, lead=1.0) for k in range(3)]
    + [actor(f"s{k}", "sme", "private", 1.0 + k, {"x": 5}) for k in range(3)],
    [target("t1", "research", 10.0, [("x", 5, 1)], earliest=2027),
     target("t2", "research", 9.0, [("x", 5, 1)]),
     target("t3", "research", 5.0, [("x", 5, 1)])],
    programme={"start": 2026, "years": 3,
               "milestones": [{"year": 2026, "min_formed": 2}, {"year": 2027, "min_formed": 3}]}),
    lambda d: d["programme"].pop("milestones"),
    "milestones")

# r31: fixed start years: t1 fixed to start late (after its upstream t0), t3's
# fixed start forms it although it loses money
case(instance(
    "r31-fixed-starts", ["mat", "dev", "x"],
    chain_actors(("mat", "dev")) + [
        actor("i-x", "institute", "state", 3.0, {"x": 5}, lead=1.0),
        actor("s-x", "sme", "private", 3.0, {"x": 5})],
    [target("t0", "research", 6.0, [("mat", 6, 1)], duration=2),
     target("t1", "research", 9.0, [("dev", 6, 1)], after=["t0"]),
     target("t3", "research", 4.0, [("x", 5, 1)], earliest=2027)],
    programme={"start": 2026, "years": 4, "discount_rate": 0.1},
    fixed={"starts": {"t1": 2029, "t3": 2028}}),
    lambda d: d["fixed"].pop("starts"),
    "fixed starts")

# r32: discounting: value discounted from the start year, spend from each year
# paid; at 20 % a 3-year target worth less than its spend becomes worth forming
# (its spend is paid over three years), and every target starts as early as it may
case(instance(
    "r32-discounting", ["x", "y"],
    [actor("i1", "institute", "state", 3.0, {"x": 5, "y": 5}, lead=1.0, maxc=2, maxl=2),
     actor("s1", "sme", "private", 2.0, {"x": 5}, maxc=2),
     actor("s2", "sme", "private", 2.5, {"y": 5}),
     actor("s3", "sme", "private", 4.0, {"x": 5})],
    [target("t-quick", "research", 9.0, [("x", 5, 1)], earliest=2027),
     target("t-slow", "research", 6.0, [("y", 5, 1)], duration=3),
     target("t-late", "research", 7.0, [("x", 5, 1)], earliest=2028)],
    programme={"start": 2026, "years": 4, "discount_rate": 0.2}),
    lambda d: d["programme"].update(discount_rate=0.0),
    "discounting")

# r33: a mandatory chain that cannot fit: t3 (mandatory) after t2 after t1, two
# years each, in a three-year programme. Expected status: infeasible (exit 1)
case(instance(
    "r33-infeasible-mandatory-chain", ["mat", "dev", "app"],
    chain_actors() + [actor("e-app", "enterprise", "private", 2.0, {"app": 6}, lead=1.0)],
    [target("t1", "research", 5.0, [("mat", 6, 1)], duration=2),
     target("t2", "research", 5.0, [("dev", 6, 1)], duration=2, after=["t1"]),
     target("t3", "economic", 20.0, [("app", 6, 1)], mandatory=True, after=["t2"])],
    programme={"start": 2026, "years": 3}),
    lambda d: d["programme"].update(years=5),
    "the programme's length")

# r34: a Zhejiang-style mini programme: composition, regions, a chain, yearly
# budgets, a milestone and discounting together
case(instance(
    "r34-programme-combined", ["mat", "dev", "app"],
    chain_actors() + [
        actor("e-zj", "enterprise", "private", 1.5, {"dev": 6, "app": 6}, lead=0.8, region="ZJ",
              dlat=0.3, maxc=2),
        actor("u-sh", "university", "state", 1.2, {"mat": 6}, region="SH", dlat=-0.1, maxc=2)],
    [target("t-mat", "research", 6.0, [("mat", 6, 1)], sponsor="zhejiang"),
     target("t-dev", "research", 8.0, [("dev", 6, 1)], after=["t-mat"], sponsor="zhejiang",
            duration=2),
     target("t-app", "economic", 12.0, [("app", 6, 1)], after=["t-dev"], sponsor="zhejiang",
            min_regions=2),
     target("t-free", "economic", 6.0, [("app", 6, 1)], sponsor="zhejiang")],
    sponsors=[{"id": "zhejiang", "name": "Zhejiang Provincial Government", "region": "ZJ",
               "budget_by_year": {"2026": 3.5, "2027": 11.0}}],
    policy={"composition": [{"types": ["enterprise", "sme"], "min": 1},
                            {"types": ["university", "institute"], "min": 1}],
            "total_budget_by_year": {"2028": 5.0}},
    programme={"start": 2026, "years": 4, "discount_rate": 0.05,
               "milestones": [{"year": 2027, "min_formed": 2}]}),
    lambda d: (d["policy"].pop("total_budget_by_year"), d["sponsors"][0].pop("budget_by_year"),
               d["programme"].pop("milestones")),
    "yearly budgets and the milestone")


def main() -> int:
    from bruteforce import brute_force

    from consortium.backends.base import SolverOptions, Status
    from consortium.io.instance import from_dict
    from consortium.solving.verified import solve_verified

    failed = 0
    for inst, strip, what in CASES:
        name = inst["name"]
        sol = solve_verified(from_dict(copy.deepcopy(inst)), SolverOptions(gap=0.0),
                             raw=copy.deepcopy(inst), reasons=False)
        bf = brute_force(copy.deepcopy(inst))
        stripped = copy.deepcopy(inst)
        strip(stripped)
        bf0 = brute_force(stripped)
        if bf.objective is None:
            ok = sol.status == Status.INFEASIBLE
            expected: dict[str, Any] = {"status": "infeasible", "objective": None}
        else:
            ok = sol.status == Status.OPTIMAL and abs(sol.objective - bf.objective) <= 1e-6 * max(
                1.0, abs(bf.objective))
            expected = {"status": "optimal", "objective": round(bf.objective, 9)}
        changes = bf0.objective is None or bf.objective is None or abs(
            bf0.objective - bf.objective) > 1e-6
        print(f"{name}: solver {sol.status.value} {sol.objective}, brute force {bf.objective}; "
              f"without {what}: {bf0.objective}"
              f"{'' if ok else '  MISMATCH'}{'' if changes else '  (rule does not bind)'}")
        if not ok or not changes or (bf.objective is not None and bf0.objective is None):
            failed += 1
            continue
        (OUT / f"{name}.json").write_text(json.dumps(inst, indent=1, ensure_ascii=False) + "\n")
        (OUT / f"{name}.expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
