"""Tests of the seeded instance generator (consortium.generate).

These checks are independent of the package's validator: the SPEC section 2
validity rules and the section 3 feasibility of the mandatory targets are
re-implemented here in a compact form.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from consortium.cli.generate import generate_command
from consortium.generate import (
    PRESETS,
    SITES,
    _generate,
    dumps_instance,
    eligibility_stats,
    generate,
    write_instance,
)

TYPES = {"enterprise", "sme", "institute", "university", "lab"}
R_END = {"institute", "university", "lab"}
E_END = {"enterprise", "sme"}
OWNERSHIP = {"state", "private", "foreign"}
RADIUS = 6371.0088
# the distance limits the presets draw from (150-1500 km; national-dense up
# to 2,000 km, national-xl down to 80 km)
DISTANCES = {d for cfg in PRESETS.values() for d in cfg["distances"][0] if d is not None}


# ---------------------------------------------------------------- helpers
def _dist(lat1, lon1, lat2, lon2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * RADIUS * math.asin(math.sqrt(min(1.0, a)))


def _is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _finite(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _walk_numbers(x, path="$"):
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _walk_numbers(v, f"{path}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _walk_numbers(v, f"{path}[{i}]")
    elif isinstance(x, float):
        yield path, x


def validate(inst: dict) -> list[str]:
    """SPEC section 2 validity, plus the generator's own ranges."""
    e: list[str] = []
    if inst.get("format") != "consortium-instance/1":
        e.append("format")
    for path, v in _walk_numbers(inst):
        if not math.isfinite(v):
            e.append(f"{path}: non-finite")
    ids = {}
    for kind in ("capabilities", "sites", "sponsors", "actors", "targets"):
        lst = [o["id"] for o in inst.get(kind, [])]
        if len(lst) != len(set(lst)):
            e.append(f"{kind}: duplicate ids")
        ids[kind] = set(lst)
    if not inst["sites"]:
        e.append("no sites")
    for c in inst["capabilities"]:
        if not isinstance(c.get("chokepoint", False), bool):
            e.append(f"capability {c['id']}: chokepoint")
    for s in inst["sites"]:
        if not (-90 <= s["lat"] <= 90 and -180 <= s["lon"] <= 180):
            e.append(f"site {s['id']}: coordinates")
    for s in inst["sponsors"]:
        if "budget" in s and not (_finite(s["budget"]) and s["budget"] >= 0):
            e.append(f"sponsor {s['id']}: budget")
    for a in inst["actors"]:
        p = f"actor {a['id']}"
        if a["type"] not in TYPES or a["ownership"] not in OWNERSHIP:
            e.append(f"{p}: type/ownership")
        if not isinstance(a["region"], str) or not a["region"]:
            e.append(f"{p}: region")
        if not (-90 <= a["lat"] <= 90 and -180 <= a["lon"] <= 180):
            e.append(f"{p}: coordinates")
        for k, v in a.get("capabilities", {}).items():
            if k not in ids["capabilities"] or not _is_int(v) or not 1 <= v <= 9:
                e.append(f"{p}: capability {k}={v}")
        if not (_finite(a["cost"]) and a["cost"] >= 0):
            e.append(f"{p}: cost")
        lc = a.get("lead_cost")
        if lc is not None and not (_finite(lc) and lc >= 0):
            e.append(f"{p}: lead_cost")
        for key in ("max_consortia", "max_lead"):
            if key in a and not (_is_int(a[key]) and a[key] >= 1):
                e.append(f"{p}: {key}")
        for t, b in a.get("bids", {}).items():
            if t not in ids["targets"] or not (_finite(b) and b >= 0):
                e.append(f"{p}: bid {t}")
    for t in inst["targets"]:
        p = f"target {t['id']}"
        if t["mode"] not in ("research", "economic"):
            e.append(f"{p}: mode")
        if "sponsor" in t and t["sponsor"] not in ids["sponsors"]:
            e.append(f"{p}: sponsor")
        if not _finite(t.get("value", 0)) or not isinstance(t.get("mandatory", False), bool):
            e.append(f"{p}: value/mandatory")
        if "budget" in t and not (_finite(t["budget"]) and t["budget"] >= 0):
            e.append(f"{p}: budget")
        if not t["sites"] or any(s not in ids["sites"] for s in t["sites"]):
            e.append(f"{p}: sites")
        if len(set(t["sites"])) != len(t["sites"]):
            e.append(f"{p}: duplicate sites")
        md = t.get("max_distance_km")
        if md is not None and md not in DISTANCES:
            e.append(f"{p}: max_distance_km {md}")
        lo, hi = t.get("min_members", 1), t.get("max_members")
        if not _is_int(lo) or lo < 1 or (hi is not None and (not _is_int(hi) or lo > hi)):
            e.append(f"{p}: members {lo}..{hi}")
        caps = [r["capability"] for r in t["requirements"]]
        if len(caps) != len(set(caps)) or not caps:
            e.append(f"{p}: requirement capabilities")
        for r in t["requirements"]:
            if r["capability"] not in ids["capabilities"]:
                e.append(f"{p}: unknown capability")
            if not (_is_int(r["level"]) and 4 <= r["level"] <= 8):
                e.append(f"{p}: level {r['level']}")
            if not (_is_int(r["redundancy"]) and 1 <= r["redundancy"] <= 3):
                e.append(f"{p}: redundancy {r['redundancy']}")
    pairs = set()
    for i, tie in enumerate(inst["ties"]):
        a, b = tie["a"], tie["b"]
        if a not in ids["actors"] or b not in ids["actors"] or a == b:
            e.append(f"ties[{i}]: actors")
        key = frozenset((a, b))
        if key in pairs:
            e.append(f"ties[{i}]: duplicate pair")
        pairs.add(key)
        if not (_finite(tie["weight"]) and tie["weight"] > 0):
            e.append(f"ties[{i}]: weight")
    for i, c in enumerate(inst["conflicts"]):
        if c["a"] not in ids["actors"] or c["b"] not in ids["actors"] or c["a"] == c["b"]:
            e.append(f"conflicts[{i}]")
    for i, g in enumerate(inst["exclusive"]):
        if any(t not in ids["targets"] for t in g) or len(g) < 2:
            e.append(f"exclusive[{i}]")
    pol = inst["policy"]
    if not set(pol["weights"]) <= {"value", "cost", "distance", "ties"}:
        e.append("policy.weights")
    if not set(pol["incentives"]) <= TYPES:
        e.append("policy.incentives")
    for inc in pol["incentives"].values():
        if not 0.05 <= inc["bonus_rate"] <= 0.2 or not inc["instruments"]:
            e.append("policy.incentives rate/instruments")
    for mode, types in pol.get("lead_types", {}).items():
        if mode not in ("research", "economic") or not set(types) <= TYPES:
            e.append("policy.lead_types")
    if not 0.7 <= pol["max_state_share"] <= 1.0 or pol["min_private_members"] not in (0, 1):
        e.append("policy ranges")
    fx = inst.get("fixed", {})
    actors = {a["id"]: a for a in inst["actors"]}
    targets = {t["id"]: t for t in inst["targets"]}
    for t, a in fx.get("leads", {}).items():
        if t not in targets or a not in actors or not _may_lead(inst, actors[a], targets[t]):
            e.append(f"fixed.leads {t}:{a}")
    for t, a in fx.get("members", []) + fx.get("forbidden", []):
        if t not in targets or a not in actors:
            e.append(f"fixed pair {t}:{a}")
    for a in fx.get("forbidden_actors", []):
        if a not in actors:
            e.append(f"fixed.forbidden_actors {a}")
    return e


def _lead_types(inst):
    lt = {"research": ["institute", "lab"], "economic": ["enterprise"]}
    lt.update(inst["policy"].get("lead_types", {}))
    return lt


def _may_lead(inst, a, t):
    pol = inst["policy"]
    return (a.get("lead_cost") is not None and a["type"] in _lead_types(inst)[t["mode"]]
            and (a["ownership"] != "foreign" or pol.get("foreign_can_lead", False)))


def plan_violations(inst: dict, plan: list[dict]) -> list[str]:
    """SPEC section 3 for a plan in which only the listed consortia are formed."""
    e: list[str] = []
    pol = inst["policy"]
    A = {a["id"]: a for a in inst["actors"]}
    T = {t["id"]: t for t in inst["targets"]}
    S = {s["id"]: s for s in inst["sites"]}
    SP = {s["id"]: s for s in inst["sponsors"]}
    choke = {c["id"] for c in inst["capabilities"] if c.get("chokepoint")}
    bad_pairs = {frozenset((c["a"], c["b"])) for c in inst["conflicts"]}
    rate = {k: v["bonus_rate"] for k, v in pol["incentives"].items()}
    formed = [p["target"] for p in plan]
    if len(formed) != len(set(formed)):
        e.append("a target formed twice")
    e += [f"mandatory {t['id']}" for t in inst["targets"]
          if t.get("mandatory") and t["id"] not in formed]
    joins: dict[str, int] = {}
    leads: dict[str, int] = {}
    by_sponsor: dict[str, float] = {}
    total = 0.0
    for p in plan:
        t, s, mem = T[p["target"]], S[p["site"]], p["members"]
        lead = A[p["lead"]]
        if p["site"] not in t["sites"] or p["lead"] not in mem:
            e.append(f"{t['id']}: site or lead")
        if not _may_lead(inst, lead, t):
            e.append(f"{t['id']}: lead may not lead")
        for m in mem:
            d = _dist(A[m]["lat"], A[m]["lon"], s["lat"], s["lon"])
            if t.get("max_distance_km") is not None and d > t["max_distance_km"] * (1 + 1e-6):
                e.append(f"{t['id']}: {m} at {d:.0f} km")
        delivers = set()
        for r in t["requirements"]:
            k = r["capability"]
            ok = {m for m in p["deliveries"].get(k, []) if m in mem
                  and A[m]["capabilities"].get(k, 0) >= r["level"]
                  and not (k in choke and A[m]["ownership"] == "foreign")}
            if len(ok) < r["redundancy"]:
                e.append(f"{t['id']}: {k} delivered {len(ok)}x")
            delivers |= ok
        if any(m != p["lead"] and m not in delivers for m in mem):
            e.append(f"{t['id']}: free rider")
        kinds = {A[m]["type"] for m in mem}
        if not (kinds & R_END and kinds & E_END):
            e.append(f"{t['id']}: both ends")
        if not t.get("min_members", 1) <= len(mem) <= (t.get("max_members") or len(mem)):
            e.append(f"{t['id']}: size")
        n_state = sum(A[m]["type"] in E_END and A[m]["ownership"] == "state" for m in mem)
        if n_state > pol["max_state_share"] * len(mem) + 1e-9:
            e.append(f"{t['id']}: state share")
        if sum(A[m]["ownership"] == "private" for m in mem) < pol["min_private_members"]:
            e.append(f"{t['id']}: private members")
        reg = SP.get(t.get("sponsor"), {}).get("region")
        if reg and sum(A[m]["region"] != reg for m in mem) < pol["min_outside_members"]:
            e.append(f"{t['id']}: outside members")
        if any(frozenset((x, y)) in bad_pairs for x in mem for y in mem if x < y):
            e.append(f"{t['id']}: conflict")
        spend = sum((1 + rate.get(A[m]["type"], 0))
                    * A[m].get("bids", {}).get(t["id"], A[m]["cost"]) for m in mem)
        spend += (1 + rate.get(lead["type"], 0)) * lead["lead_cost"]
        if t.get("budget") is not None and spend > t["budget"] * (1 + 1e-6):
            e.append(f"{t['id']}: target budget")
        if t.get("sponsor"):
            by_sponsor[t["sponsor"]] = by_sponsor.get(t["sponsor"], 0.0) + spend
        total += spend
        for m in mem:
            joins[m] = joins.get(m, 0) + 1
        leads[p["lead"]] = leads.get(p["lead"], 0) + 1
    e += [f"{m}: max_consortia" for m, n in joins.items() if n > A[m].get("max_consortia", 1)]
    e += [f"{m}: max_lead" for m, n in leads.items() if n > A[m].get("max_lead", 1)]
    for sp, v in by_sponsor.items():
        if SP[sp].get("budget") is not None and v > SP[sp]["budget"] * (1 + 1e-6):
            e.append(f"sponsor {sp} budget")
    if pol.get("total_budget") is not None and total > pol["total_budget"] * (1 + 1e-6):
        e.append("total budget")
    e += [f"exclusive {g}" for g in inst["exclusive"] if len(set(g) & set(formed)) > 1]
    fx = inst.get("fixed", {})
    P = {p["target"]: p for p in plan}
    e += [f"fixed lead {t}" for t, a in fx.get("leads", {}).items()
          if t not in P or P[t]["lead"] != a]
    e += [f"fixed member {t}" for t, a in fx.get("members", [])
          if t not in P or a not in P[t]["members"]]
    e += [f"forbidden {t}" for t, a in fx.get("forbidden", []) if t in P and a in P[t]["members"]]
    e += [f"forbidden actor {a}" for a in fx.get("forbidden_actors", []) if a in joins]
    return e


EXPECTED_FIELDS = {
    "": {"format", "name", "currency", "capabilities", "sites", "sponsors", "actors", "targets",
         "ties", "conflicts", "exclusive", "policy", "fixed"},
    "capabilities": {"id", "name", "chokepoint"},
    "sites": {"id", "name", "lat", "lon"},
    "sponsors": {"id", "name", "budget", "region"},
    "actors": {"id", "name", "type", "ownership", "region", "lat", "lon", "capabilities", "cost",
               "lead_cost", "max_consortia", "max_lead", "bids"},
    "targets": {"id", "name", "mode", "sponsor", "value", "mandatory", "budget", "sites",
                "max_distance_km", "min_members", "max_members", "requirements"},
    "requirements": {"capability", "level", "redundancy"},
    "ties": {"a", "b", "weight"},
    "conflicts": {"a", "b"},
    "policy": {"total_budget", "require_both_ends", "no_free_riders", "max_state_share",
               "min_private_members", "min_outside_members", "chokepoints_domestic_only",
               "foreign_can_lead", "lead_types", "weights", "incentives"},
    "weights": {"value", "cost", "distance", "ties"},
    "incentives": TYPES,
    "fixed": {"leads", "members", "forbidden", "forbidden_actors"},
}


def _fields(inst: dict) -> dict[str, set]:
    seen = {k: set() for k in EXPECTED_FIELDS}
    seen[""] |= set(inst)
    for kind in ("capabilities", "sites", "sponsors", "actors", "targets", "ties", "conflicts"):
        for o in inst.get(kind, []):
            seen[kind] |= set(o)
    for t in inst["targets"]:
        for r in t["requirements"]:
            seen["requirements"] |= set(r)
    seen["policy"] |= set(inst["policy"])
    seen["weights"] |= set(inst["policy"].get("weights", {}))
    seen["incentives"] |= set(inst["policy"].get("incentives", {}))
    seen["fixed"] |= {k for k, v in inst.get("fixed", {}).items() if v}
    # value variety: both modes, null and set lead_cost, true and false flags
    seen["~variety"] = {
        *(f"mode:{t['mode']}" for t in inst["targets"]),
        *(f"mandatory:{t['mandatory']}" for t in inst["targets"]),
        *(f"chokepoint:{c['chokepoint']}" for c in inst["capabilities"]),
        *(f"lead_cost:{a['lead_cost'] is None}" for a in inst["actors"]),
        *(f"type:{a['type']}" for a in inst["actors"]),
        *(f"ownership:{a['ownership']}" for a in inst["actors"]),
        *(f"distance:{'max_distance_km' in t}" for t in inst["targets"]),
        *(f"sponsor_budget:{'budget' in s}" for s in inst["sponsors"]),
        *(f"sponsor_region:{'region' in s}" for s in inst["sponsors"]),
        *(["exclusive"] if inst["exclusive"] else []),
        *(f"redundancy:{r['redundancy']}" for t in inst["targets"] for r in t["requirements"]),
    }
    return seen


EXPECTED_VARIETY = {
    "mode:research", "mode:economic", "mandatory:True", "mandatory:False", "chokepoint:True",
    "chokepoint:False", "lead_cost:True", "lead_cost:False", "distance:True", "distance:False",
    "sponsor_budget:True", "sponsor_budget:False", "sponsor_region:True",
    "sponsor_region:False", "exclusive", "redundancy:1", "redundancy:2", "redundancy:3",
    *(f"type:{t}" for t in TYPES), *(f"ownership:{o}" for o in OWNERSHIP),
}


def _check_coverage(insts):
    seen: dict[str, set] = {}
    for inst in insts:
        for k, v in _fields(inst).items():
            seen.setdefault(k, set()).update(v)
    for k, want in EXPECTED_FIELDS.items():
        assert want <= seen[k], f"{k or 'top level'}: missing {sorted(want - seen[k])}"
    assert EXPECTED_VARIETY <= seen["~variety"], sorted(EXPECTED_VARIETY - seen["~variety"])


@pytest.fixture(scope="module")
def provincial():
    return _generate(preset="provincial", seed=0)


# ---------------------------------------------------------------- determinism
def test_same_arguments_same_bytes(tmp_path):
    for preset in ("small", "provincial"):
        a, b = tmp_path / f"{preset}-a.json", tmp_path / f"{preset}-b.json"
        write_instance(generate(preset=preset, seed=3), a)
        write_instance(generate(preset=preset, seed=3), b)
        assert a.read_bytes() == b.read_bytes()
    assert dumps_instance(generate(seed=0)) != dumps_instance(generate(seed=1))
    assert dumps_instance(generate(seed=0)) != dumps_instance(generate(seed=0, actors=41))


def test_bytes_stable_across_processes():
    """No dependence on hash randomisation (PYTHONHASHSEED) or process state."""
    code = ("import hashlib,sys; from consortium.generate import generate, dumps_instance; "
            "sys.stdout.write(hashlib.sha256(dumps_instance(generate(preset='small', seed=7))"
            ".encode()).hexdigest())")
    root = Path(__file__).resolve().parents[1]
    digests = set()
    for hs in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hs, PYTHONPATH=str(root))
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True, cwd=root)
        digests.add(out.stdout.strip())
    local = hashlib.sha256(dumps_instance(generate(preset="small", seed=7)).encode()).hexdigest()
    assert digests == {local}


def test_json_is_strict_and_ordered(tmp_path):
    inst = generate(seed=2)
    p = tmp_path / "x.json"
    write_instance(inst, p)
    text = p.read_text(encoding="utf-8")
    assert text.endswith("\n") and "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == inst
    assert list(json.loads(text))[:3] == ["format", "name", "currency"]
    assert text.startswith('{\n "format": "consortium-instance/1"')  # indent=1


# ---------------------------------------------------------------- validity
@pytest.mark.parametrize("seed", range(8))
def test_small_valid(seed):
    inst = generate(preset="small", seed=seed)
    assert validate(inst) == []
    assert len(inst["targets"]) == 4 and len(inst["actors"]) == 40
    assert len(inst["capabilities"]) == 20 and len(inst["sites"]) == 4


def test_provincial_valid(provincial):
    inst, _ = provincial
    assert validate(inst) == []
    assert (len(inst["targets"]), len(inst["actors"]), len(inst["capabilities"]),
            len(inst["sites"])) == (50, 2000, 100, 10)
    # the Zhejiang-style programme sits in Zhejiang
    assert {s["region"] for s in inst["sponsors"]} == {"ZJ"}


@pytest.mark.parametrize("kw", [
    dict(targets=3, actors=1, capabilities=1, sites=1),
    dict(targets=5, actors=2, capabilities=1, sites=1),
    dict(targets=0, actors=10, capabilities=5, sites=1),
    dict(targets=10, actors=5, capabilities=3, sites=2),
    dict(targets=20, actors=30, capabilities=8, sites=3),
    dict(targets=12, actors=60, capabilities=40, sites=8),
    dict(targets=6, actors=100, capabilities=12, sites=len(SITES)),
    dict(preset="provincial", targets=7, actors=150, capabilities=30, sites=3),
    dict(preset="national", targets=40, actors=1500, capabilities=60, sites=12),
])
def test_overrides_and_edge_cases_valid(kw):
    kw = dict(kw)
    preset = kw.pop("preset", "small")
    inst, wit = _generate(preset=preset, seed=1, **kw)
    assert validate(inst) == []
    assert len(inst["targets"]) == kw["targets"]
    assert len(inst["actors"]) == kw["actors"]
    assert len(inst["sites"]) == kw["sites"]
    assert len(inst["capabilities"]) == kw["capabilities"]
    mand = [t["id"] for t in inst["targets"] if t["mandatory"]]
    assert plan_violations(inst, [dict(target=t, **wit[t]) for t in mand]) == []


def test_bad_arguments():
    with pytest.raises(ValueError):
        generate(preset="galactic")
    with pytest.raises(ValueError):
        generate(sites=len(SITES) + 1)
    with pytest.raises(ValueError):
        generate(actors=0)
    with pytest.raises(ValueError):
        generate(seed=-1)


def test_every_spec_field_appears_in_small_and_provincial(provincial):
    _check_coverage([generate(preset="small", seed=0), provincial[0]])


# ---------------------------------------------------------------- feasibility
@pytest.mark.parametrize("preset,seeds", [("small", range(10)), ("provincial", range(2))])
def test_mandatory_targets_are_feasible(preset, seeds):
    for seed in seeds:
        inst, wit = _generate(preset=preset, seed=seed)
        mand = [t["id"] for t in inst["targets"] if t["mandatory"]]
        assert len(mand) == PRESETS[preset]["mandatory"]
        plan = [dict(target=t, **wit[t]) for t in mand]
        assert plan_violations(inst, plan) == [], (preset, seed)
        if preset == "small":  # fixed lead and member sit on the mandatory target
            assert set(inst["fixed"]["leads"]) <= set(mand)


def test_every_witness_is_feasible_alone(provincial):
    inst, wit = provincial
    loose = json.loads(json.dumps(inst))
    for t in loose["targets"]:
        t["mandatory"] = False
    loose.pop("fixed", None)
    assert len(wit) >= 0.9 * len(inst["targets"])
    for tid, w in wit.items():
        assert plan_violations(loose, [dict(target=tid, **w)]) == [], tid


# ---------------------------------------------------------------- realism
def test_realism_provincial(provincial):
    inst, wit = provincial
    actors = inst["actors"]
    n = len(actors)
    share = {t: sum(a["type"] == t for a in actors) / n for t in TYPES}
    assert share["sme"] > 0.5 and share["lab"] < 0.05
    assert share["enterprise"] < share["sme"] and share["institute"] > share["lab"]
    foreign = [a for a in actors if a["ownership"] == "foreign"]
    assert 0.02 < len(foreign) / n < 0.10
    assert {a["type"] for a in foreign} <= E_END
    ents = [a for a in actors if a["type"] == "enterprise"]
    assert sum(a["ownership"] == "state" for a in ents) > 0.5 * len(ents)
    # actors around real parks: within ~80 km of a site
    sites = inst["sites"]
    for a in actors[:300]:
        assert min(_dist(a["lat"], a["lon"], s["lat"], s["lon"]) for s in sites) <= 81
    # 2-6 capabilities each, 15-20 % chokepoints
    assert all(2 <= len(a["capabilities"]) <= 6 for a in actors)
    ch = sum(c["chokepoint"] for c in inst["capabilities"]) / len(inst["capabilities"])
    assert 0.14 <= ch <= 0.21
    # costs: enterprises pricier than smes; only potential leaders have a lead fee
    mean = {t: sum(a["cost"] for a in actors if a["type"] == t)
            / max(1, sum(a["type"] == t for a in actors)) for t in TYPES}
    assert mean["enterprise"] > 2 * mean["sme"]
    assert all(a["lead_cost"] is None for a in actors if a["type"] == "sme")
    assert all(a["lead_cost"] is not None for a in actors if a["type"] == "lab")
    assert all(1 <= a["max_consortia"] <= 3 and 1 <= a.get("max_lead", 1) <= 2 for a in actors)
    # bids a bit below cost
    by_id = {a["id"]: a for a in actors}
    bids = [(b, a["cost"]) for a in actors for b in a.get("bids", {}).values()]
    assert bids and all(0.75 * c <= b < c for b, c in bids)
    # ties concentrated inside clusters: most tied pairs share the nearest site
    def home(a):
        return min(sites, key=lambda s: _dist(a["lat"], a["lon"], s["lat"], s["lon"]))["id"]
    same = sum(home(by_id[t["a"]]) == home(by_id[t["b"]]) for t in inst["ties"][:500])
    assert same > 0.6 * min(500, len(inst["ties"]))
    assert all(0.5 <= t["weight"] <= 3.0 for t in inst["ties"])
    # budgets bind: neither the total nor every sponsor covers all witnesses
    spends = [w["spend"] for w in wit.values()]
    assert inst["policy"]["total_budget"] < sum(spends)
    # most but not all targets are worth forming at the witness spend
    T = {t["id"]: t for t in inst["targets"]}
    worth = sum(T[tid]["value"] > w["spend"] for tid, w in wit.items()) / len(wit)
    assert 0.6 <= worth <= 0.97
    # members bounds and a flagship-sized research consortium
    assert any(t.get("max_members") == 25 for t in inst["targets"] if t["mode"] == "research")


def test_small_is_suzhou_like():
    inst = generate(preset="small", seed=0)
    assert inst["sites"][0]["id"] == "suzhou-sip"
    assert sum(t["mode"] == "economic" for t in inst["targets"]) >= 2
    caps = {c["id"] for c in inst["capabilities"]}
    assert {"sic-substrate", "mab-cell-line", "high-power-diode-laser"} <= caps


def test_eligibility_stats_small():
    st = eligibility_stats(generate(preset="small"))
    assert st["targets"] == 4 and 0 < st["deliver"] <= st["any"]


# ---------------------------------------------------------------- CLI
def test_cli_writes_the_same_file(tmp_path):
    out = tmp_path / "inst.json"
    res = CliRunner().invoke(generate_command, ["--preset", "small", "--seed", "4",
                                                "--targets", "6", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert len(res.output.strip().splitlines()) == 1
    assert "6 targets" in res.output
    assert out.read_text(encoding="utf-8") == dumps_instance(generate(seed=4, targets=6))


def test_cli_writes_stdout_without_output():
    """As `consortium import`: no -o (or -o -) writes the instance to stdout."""
    res = CliRunner().invoke(generate_command, ["--preset", "small"])
    assert res.exit_code == 0
    assert json.loads(res.stdout)["targets"] and "wrote the instance to stdout" in res.stderr


def test_cli_rejects_bad_values(tmp_path):
    out = str(tmp_path / "x.json")
    for args in (["--preset", "huge"], ["--sites", str(len(SITES) + 1)], ["--seed", "-1"]):
        res = CliRunner().invoke(generate_command, args + ["-o", out])
        assert res.exit_code == 2, args


# ---------------------------------------------------------------- national (slow)
@pytest.mark.slow
def test_national(provincial):
    t0 = time.perf_counter()
    inst, wit = _generate(preset="national", seed=0)
    assert time.perf_counter() - t0 < 20.0
    assert validate(inst) == []
    assert (len(inst["targets"]), len(inst["actors"]), len(inst["capabilities"]),
            len(inst["sites"])) == (500, 15000, 300, 35)
    st = eligibility_stats(inst)
    assert 100_000 <= st["any"] <= 400_000, st
    assert st["per_target_median"] <= 500, st
    mand = [t["id"] for t in inst["targets"] if t["mandatory"]]
    assert len(mand) == PRESETS["national"]["mandatory"]
    assert plan_violations(inst, [dict(target=t, **wit[t]) for t in mand]) == []
    _check_coverage([generate(preset="small"), provincial[0], inst])
    assert dumps_instance(inst) == dumps_instance(generate(preset="national", seed=0))


# ---------------------------------------------------------------- dense and xl national (issue 19)
def test_mandatory_plan_checked_on_its_own_targets():
    """The generator checks the mandatory plan on the instance cut to the
    mandatory targets (generator._only_targets): the same verdict as on the
    whole instance, for a plan that holds and for one that breaks a rule."""
    from consortium.generate.generator import _only_targets

    for preset, seed in (("small", 3), ("provincial", 1)):
        inst, wit = _generate(preset=preset, seed=seed)
        mand = [t["id"] for t in inst["targets"] if t["mandatory"]]
        plan = [dict(target=t, **wit[t]) for t in mand]
        cut = _only_targets(inst, set(mand))
        assert len(cut["targets"]) == len(mand) < len(inst["targets"])
        assert plan_violations(cut, plan) == plan_violations(inst, plan) == []
        tight = dict(inst, policy=dict(inst["policy"], total_budget=1.0))  # rule 12 broken
        assert plan_violations(_only_targets(tight, set(mand)), plan)
        assert plan_violations(tight, plan)


@pytest.mark.parametrize("preset,kw", [("national-dense", dict(targets=12, actors=5500)),
                                       ("national-xl", dict(targets=12, actors=6000))])
def test_dense_and_xl_presets_cut_down_are_valid(preset, kw):
    inst = generate(preset=preset, seed=1, **kw)
    assert validate(inst) == []
    assert (len(inst["targets"]), len(inst["actors"])) == (kw["targets"], kw["actors"])


@pytest.mark.slow
def test_national_dense():
    t0 = time.perf_counter()
    inst, wit = _generate(preset="national-dense", seed=1)
    assert time.perf_counter() - t0 < 60.0
    assert validate(inst) == []
    assert (len(inst["targets"]), len(inst["actors"])) == (500, 55000)
    st = eligibility_stats(inst)
    assert 3800 <= st["reach_mean"] <= 5000, st  # about 4,400 reachable actors per target
    mand = [t["id"] for t in inst["targets"] if t["mandatory"]]
    assert len(mand) == PRESETS["national-dense"]["mandatory"]
    assert plan_violations(inst, [dict(target=t, **wit[t]) for t in mand]) == []


@pytest.mark.slow
def test_national_xl():
    t0 = time.perf_counter()
    inst, wit = _generate(preset="national-xl", seed=1)
    assert time.perf_counter() - t0 < 120.0
    assert validate(inst) == []
    assert (len(inst["targets"]), len(inst["actors"]), len(inst["capabilities"]),
            len(inst["sites"])) == (2000, 60000, 1200, 35)
    st = eligibility_stats(inst)
    assert 400 <= st["reach_median"] <= 1000, st
    mand = [t["id"] for t in inst["targets"] if t["mandatory"]]
    assert len(mand) == PRESETS["national-xl"]["mandatory"]
    assert plan_violations(inst, [dict(target=t, **wit[t]) for t in mand]) == []
