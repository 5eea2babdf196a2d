"""Numbers at the edges (issue 18, point 4).

(The model compares limits a shade more strictly than the verifier, whose
1e-6 tolerance has an absolute floor for limits below 1: a plan within that
floor, e.g. 0.1 mm beyond a 0 km limit, is one the model does not offer. The
values here stay clear of that band; the direction is the safe one.)

Costs and budgets from 1e-6 to 1e9 in one instance, actors on a site's very
spot, longitudes across the antimeridian and latitudes near the poles, very
many sites: every plan passes the independent verifier and matches the
brute-force optimum. And a plan HiGHS accepts within its absolute
tolerances but the verifier's 1e-6 relative check rejects is never handed
out: it is solved again, tighter (tested with budgets of 1e9).
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from bruteforce import brute_force
from click.testing import CliRunner
from conftest import DATA, solve_verified

from consortium.backends.base import RawResult, SolverOptions, Status
from consortium.cli import cli
from consortium.io.instance import from_dict
from consortium.result.plan import extract, start_vector
from consortium.solving.build import build
from consortium.solving.verified import solve_verified as solve_checked
from consortium.verify import verify_solution


def tiny() -> dict:
    return json.loads((DATA / "valid" / "tiny.json").read_text())


def actor(aid, typ, own, lat, lon, caps, cost, **kw):
    return {"id": aid, "type": typ, "ownership": own, "region": "JS", "lat": lat, "lon": lon,
            "capabilities": caps, "cost": cost, **kw}


def target(tid, site, reqs, value, **kw):
    return {"id": tid, "mode": "research", "value": value, "sites": [site],
            "requirements": [{"capability": c, "level": lv} for c, lv in reqs], **kw}


def check_against_brute_force(raw: dict) -> None:
    sol = solve_verified(copy.deepcopy(raw))  # asserts the verifier accepts it
    ref = brute_force(copy.deepcopy(raw))
    if ref.objective is None:
        assert sol.status == Status.INFEASIBLE
    else:
        assert sol.status == Status.OPTIMAL
        assert sol.objective == pytest.approx(ref.objective, rel=1e-6, abs=1e-9)


def test_costs_and_budgets_from_1e_6_to_1e9_in_one_instance():
    raw = tiny()
    raw["sites"].append({"id": "lab-park", "lat": 31.5, "lon": 120.3})
    raw["sponsors"].append({"id": "micro", "budget": 4e-6})
    raw["sponsors"].append({"id": "mega", "budget": 2.1e9})
    raw["actors"] += [
        actor("nano-inst", "institute", "state", 31.5, 120.3, {"sic": 7}, 1e-6, lead_cost=1e-6),
        actor("nano-firm", "sme", "private", 31.5, 120.31, {"gan": 6}, 1e-6),
        actor("giga-inst", "institute", "state", 31.3, 120.7, {"sic": 9}, 8e8, lead_cost=2e8),
        actor("giga-corp", "enterprise", "private", 31.3, 120.71, {"gan": 9}, 1e9),
    ]
    raw["targets"] += [
        target("t-micro", "lab-park", [("sic", 6), ("gan", 5)], 5e-6, sponsor="micro",
               budget=3.5e-6),  # the nano consortium spends 3.1e-6
        target("t-mega", "sip", [("sic", 8), ("gan", 8)], 5e9, sponsor="mega", budget=2.1e9),
    ]
    check_against_brute_force(raw)
    # and where the big budget binds to the last unit: a hair too little, not formed
    raw["targets"][-1]["budget"] = 2.0e9 * (1 - 1e-5)
    check_against_brute_force(raw)


def test_actors_on_the_site_spot_and_a_zero_distance_limit():
    raw = tiny()
    s = raw["sites"][0]
    for a in raw["actors"]:
        a["lat"], a["lon"] = s["lat"], s["lon"]
    raw["targets"][0]["max_distance_km"] = 0
    check_against_brute_force(raw)
    raw["actors"][0]["lon"] += 1e-4  # 10 m away: beyond a limit of 0 km
    check_against_brute_force(raw)


@pytest.mark.parametrize("site,actors", [
    ((0.0, 179.95), [(0.0, -179.95), (0.05, 180.0), (-0.05, -180.0)]),  # across the antimeridian
    ((89.999, 0.0), [(89.999, 180.0), (89.9995, 90.0), (90.0, -45.0)]),  # round the north pole
    ((-89.999, 10.0), [(-89.999, -170.0), (-90.0, 0.0), (-89.9995, 100.0)]),  # south pole
])
def test_longitudes_across_the_antimeridian_and_near_the_poles(site, actors):
    raw = tiny()
    raw["sites"][0]["lat"], raw["sites"][0]["lon"] = site
    for a, (lat, lon) in zip(raw["actors"], actors, strict=True):
        a["lat"], a["lon"] = lat, lon
    raw["targets"][0]["max_distance_km"] = 25  # each actor is within about 12 km
    sol = solve_verified(copy.deepcopy(raw))
    assert sol.status == Status.OPTIMAL and len(sol.consortia) == 1  # the far side counts near
    check_against_brute_force(raw)
    raw["targets"][0]["max_distance_km"] = 1  # and none of them within 1 km
    check_against_brute_force(raw)


def test_very_many_sites():
    raw = tiny()
    rng = np.random.default_rng(18)
    lat = rng.uniform(-60, 70, 400)
    lon = rng.uniform(-180, 180, 400)
    raw["sites"] = [{"id": f"s{i}", "lat": float(a), "lon": float(o)}
                    for i, (a, o) in enumerate(zip(lat, lon, strict=True))]
    raw["targets"][0]["sites"] = [s["id"] for s in raw["sites"]]
    raw["targets"][0]["max_distance_km"] = 800
    # the actors sit near one site only, far from every other
    near = raw["sites"][137]
    for k, a in enumerate(raw["actors"]):
        a["lat"], a["lon"] = near["lat"] + 0.01 * k, near["lon"]
    sol = solve_verified(copy.deepcopy(raw))
    assert sol.status == Status.OPTIMAL
    sites = {c.site for c in sol.consortia}
    assert sites <= {s["id"] for s in raw["sites"]}
    check_against_brute_force(raw)


# ------------------------------------------------------------ HiGHS's tolerances


def giga() -> dict:
    """tiny at the scale of 1e8-1e9: the best consortium ({inst, firm}, spend
    1.03e9, and their tie) breaks the sponsor's budget by 1e-5 relative; the
    next best ({inst, corp}, spend 1.02e9) fits."""
    raw = tiny()
    a = {x["id"]: x for x in raw["actors"]}
    a["inst"]["cost"], a["inst"]["lead_cost"] = 5e8, 2e8
    a["firm"]["cost"] = 3e8  # an sme: spend 3.3e8 with its 10 % bonus
    a["corp"]["cost"], a["corp"]["lead_cost"] = 3.2e8, 3e8
    raw["targets"][0]["value"] = 4e9
    raw["policy"]["weights"] = {"ties": 5e7}
    raw["sponsors"][0]["budget"] = 1.03e9 * (1 - 1e-5)
    return raw


def test_a_plan_within_highs_tolerance_but_not_the_verifiers_is_solved_again(monkeypatch):
    """As if HiGHS had accepted the over-budget plan within its tolerances:
    the first solve hands back that plan; the verifier refuses it; the plan
    returned is the re-solved one, valid, and says so."""
    import consortium.solving.solve as solve_mod

    raw = giga()
    loose = copy.deepcopy(raw)
    loose["sponsors"][0]["budget"] = 1.04e9
    lb = build(from_dict(copy.deepcopy(loose)))
    r = lb.lm
    from consortium.backends import highs

    got = highs.run_highs(r, SolverOptions())
    choices = extract(lb.md, lb.V, got.x)
    b = build(from_dict(copy.deepcopy(raw)))
    x_bad = start_vector(b.md, b.V, b.lm.n_cols, choices)
    z_bad = float(b.lm.obj @ x_bad + b.lm.obj_offset)
    real = solve_mod.run_backend
    calls = []

    def accepting(bb, opts, backend="highs", start=None):
        calls.append(dict(opts.highs))
        if len(calls) == 1:
            return RawResult(Status.OPTIMAL, x_bad.copy(), z_bad, z_bad, 0.0, 0.01, "highs",
                             highs.version(), message="Optimal")
        return real(bb, opts, backend, start)

    monkeypatch.setattr(solve_mod, "run_backend", accepting)
    sol = solve_checked(from_dict(copy.deepcopy(raw)), SolverOptions(), raw=raw)
    assert len(calls) == 2 and calls[1]["mip_feasibility_tolerance"] == 1e-9
    res = verify_solution(raw, sol.to_dict())
    assert res.ok, [v.message for v in res.violations]
    assert sol.solver.get("repaired") is True and "failed the verifier" in sol.solver["message"]
    [c] = sol.consortia
    assert set(c.members) == {"inst", "corp"}
    assert sol.objective < z_bad
    assert sol.objective == pytest.approx(brute_force(copy.deepcopy(raw)).objective, rel=1e-9)


def test_loose_highs_tolerances_never_give_a_plan_the_verifier_rejects(tmp_path):
    """A profile with HiGHS tolerances far looser than the verifier's, on
    budgets of 1e9: the command hands out only verified plans (repaired if
    need be), never exit 3."""
    prof = tmp_path / "loose.toml"
    prof.write_text("gap = 0\n[highs]\nmip_feasibility_tolerance = 1e-3\n"
                    "primal_feasibility_tolerance = 1e-3\n")
    raw = giga()
    for budget in (1.03e9 * (1 - 1e-5), 1.03e9 * (1 - 1e-7), 1.03e9, 7e8 * 1.000001):
        raw["sponsors"][0]["budget"] = budget
        p = tmp_path / "i.json"
        p.write_text(json.dumps(raw))
        out = tmp_path / "plan.json"
        r = CliRunner().invoke(cli, ["solve", str(p), "--profile", str(prof), "--method", "mip",
                                     "-o", str(out)])
        assert r.exit_code in (0, 1), r.output
        data = json.loads(out.read_text())
        res = verify_solution(raw, data)
        assert res.ok, [v.message for v in res.violations]
        ref = brute_force(copy.deepcopy(raw)).objective
        if ref is not None:
            assert data["objective"] <= ref * (1 + 1e-9)
            if budget != 1.03e9 * (1 - 1e-7):  # (within the verifier's tolerance band: see top)
                assert data["objective"] == pytest.approx(ref, rel=1e-6)
