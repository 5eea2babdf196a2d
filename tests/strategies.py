"""Hypothesis strategies for tiny, valid ``consortium-instance/1`` dicts.

``tiny_instances()`` draws instances small enough for the exhaustive
reference in ``tests/bruteforce.py`` (1-3 targets, 2-7 actors, 1-2 sites,
1-4 capabilities) yet wide enough to touch every field and policy switch of
SPEC sections 2 and 3.  Every instance is *valid* per the invalid-input list
of section 2, so a solver must never reject one; whether a plan exists is
left to chance: in a 200-example run typically 40-65% form at least one
target and 5-15% are infeasible through a mandatory target or a fixed
decision (``tests/test_strategies.py`` prints the shares).

Settings profile note: each example is cheap to draw but the MILP solve you
compare it with is not, and hypothesis' default 200 ms deadline is too tight
for a solver start-up; use e.g.::

    @settings(max_examples=200, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(inst=tiny_instances())
    def test_solver_matches_brute_force(inst): ...

(``HealthCheck.data_too_large`` because one instance makes many draws.)
Numbers are drawn with at most 2 decimals so that objectives are exactly
comparable with tolerance 1e-6 and budgets are never hit by float noise alone.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from hypothesis import strategies as st

__all__ = ["tiny_instances", "ACTOR_TYPES", "OWNERSHIPS"]

ACTOR_TYPES = ("enterprise", "sme", "institute", "university", "lab")
OWNERSHIPS = ("state", "private", "foreign")
REGIONS = ("JS", "ZJ", "SH")
_TYPE_WEIGHTS = ("enterprise", "institute", "sme", "enterprise", "university", "institute", "lab")
DEFAULT_LEAD_TYPES: dict[str, list[str]] = {
    "research": ["institute", "lab"],
    "economic": ["enterprise"],
}

Draw = Any  # hypothesis' draw callable; untyped upstream


def _money(draw: Draw, lo: float, hi: float) -> float:
    """A non-negative amount with at most 2 decimals (exact cents)."""
    return draw(st.integers(int(lo * 100), int(hi * 100))) / 100


def _rare(draw: Draw, one_in: int) -> bool:
    """True about once in ``one_in`` draws, shrinking towards False.

    ``st.integers(1, n) == 1`` would hit far more often than 1/n because
    hypothesis favours small and boundary values; a sampled list with the
    rare value last is close to uniform and shrinks to the common case.
    """
    return bool(draw(st.sampled_from([False] * (one_in - 1) + [True])))


def _clamp(x: float, limit: float) -> float:
    """Round to 4 decimals and keep within [-limit, limit] (section 2 ranges)."""
    return max(-limit, min(limit, round(x, 4)))


def _maybe_integral_float(draw: Draw, value: int) -> int | float:
    """Integer fields accept integral numbers (``3.0``): exercise that rarely."""
    return float(value) if _rare(draw, 10) else value


def _subset(
    draw: Draw, items: list[Any], min_size: int = 0, max_size: int | None = None
) -> list[Any]:
    """A sub-list of distinct items, order kept (ids are unique by construction)."""
    if not items:
        return []
    picked = draw(
        st.lists(
            st.sampled_from(items),
            min_size=min_size,
            max_size=len(items) if max_size is None else max_size,
            unique=True,
        )
    )
    return [x for x in items if x in picked]


def _may_lead(actor: dict[str, Any], mode: str, policy: dict[str, Any]) -> bool:
    """SPEC section 3 "may lead", mirrored here so a fixed lead is always legal."""
    lead_types = {**DEFAULT_LEAD_TYPES, **(policy.get("lead_types") or {})}
    foreign_ok = policy.get("foreign_can_lead", False)
    return (
        actor.get("lead_cost") is not None
        and actor["type"] in lead_types[mode]
        and (actor["ownership"] != "foreign" or foreign_ok)
    )


def _plant_core(
    draw: Draw, actors: list[dict[str, Any]], target: dict[str, Any], policy: dict[str, Any]
) -> None:
    """Turn actors 0 and 1 into a lead and a partner able to form ``target``.

    Purely random instances form a target only ~1 time in 4 (a lead of the
    right type, both ends and the capabilities rarely meet among 2-7 actors);
    planting a likely core in ~2/3 of the instances lifts that without
    fixing the outcome (distance, budgets, shares and conflicts still apply).
    """
    lead_types = {**DEFAULT_LEAD_TYPES, **(policy.get("lead_types") or {})}
    lead, partner = actors[0], actors[1]
    lead["type"] = draw(st.sampled_from(sorted(lead_types[target["mode"]])))
    lead["ownership"] = "private"
    if lead.get("lead_cost") is None:
        lead["lead_cost"] = _money(draw, 0, 4)
    lead.pop("max_lead", None)
    lead.pop("max_consortia", None)
    # The partner sits at the other end so that "both ends" can hold.
    other = ("enterprise", "sme") if lead["type"] in ("institute", "university", "lab") else (
        "institute", "university", "lab"
    )
    partner["type"] = draw(st.sampled_from(other))
    partner["ownership"] = "private"  # domestic: may deliver chokepoints
    partner.pop("max_consortia", None)
    for req in target["requirements"]:
        partner["capabilities"][req["capability"]] = 9


@st.composite
def _policy(draw: Draw) -> dict[str, Any]:
    """Random policy; each key is sometimes omitted to exercise the defaults."""
    policy: dict[str, Any] = {}
    if draw(st.booleans()):
        policy["require_both_ends"] = draw(st.booleans())
    if draw(st.booleans()):
        policy["no_free_riders"] = draw(st.booleans())
    if draw(st.booleans()):
        policy["max_state_share"] = draw(st.sampled_from([0.0, 0.34, 0.5, 1.0]))
    if draw(st.booleans()):
        policy["min_private_members"] = draw(st.integers(0, 1))
    if draw(st.booleans()):
        policy["min_outside_members"] = draw(st.integers(0, 1))
    if draw(st.booleans()):
        policy["chokepoints_domestic_only"] = draw(st.booleans())
    if draw(st.booleans()):
        policy["foreign_can_lead"] = draw(st.booleans())
    if draw(st.booleans()):
        policy["total_budget"] = _money(draw, 5, 80)
    variant = draw(st.sampled_from([0, 3, 1, 0, 2]))  # 0: absent (the default)
    if variant == 1:  # one mode named: the other keeps its default
        mode = draw(st.sampled_from(["research", "economic"]))
        policy["lead_types"] = {mode: _subset(draw, list(ACTOR_TYPES), min_size=1)}
    elif variant == 2:  # both named
        policy["lead_types"] = {
            "research": _subset(draw, list(ACTOR_TYPES), min_size=1),
            "economic": _subset(draw, list(ACTOR_TYPES), min_size=1),
        }
    elif variant == 3:  # the default, spelt out
        policy["lead_types"] = {k: list(v) for k, v in DEFAULT_LEAD_TYPES.items()}
    if draw(st.booleans()):
        weights: dict[str, float] = {}
        if draw(st.booleans()):
            weights["value"] = 1.0
        if draw(st.booleans()):
            weights["cost"] = draw(st.sampled_from([0.5, 1.0, 2.0]))
        if draw(st.booleans()):
            weights["distance"] = draw(st.sampled_from([0.0, 0.01]))
        if draw(st.booleans()):
            weights["ties"] = draw(st.sampled_from([0.0, 1.0]))
        policy["weights"] = weights
    if draw(st.booleans()):
        policy["incentives"] = {
            t: {
                "bonus_rate": draw(st.sampled_from([0.0, 0.05, 0.1, 0.15, 0.2])),
                "instruments": draw(
                    st.sampled_from([[], ["subsidy"], ["milestone bonus", "credit"]])
                ),
            }
            for t in _subset(draw, list(ACTOR_TYPES))
        }
    return policy


@st.composite
def tiny_instances(
    draw: Draw, max_targets: int = 3, max_actors: int = 7, max_sites: int = 2
) -> dict[str, Any]:
    """A valid instance dict (SPEC section 2) small enough for brute force."""
    # -- capabilities and sites ----------------------------------------
    n_caps = draw(st.integers(1, 4))
    capabilities: list[dict[str, Any]] = []
    for k in range(n_caps):
        cap: dict[str, Any] = {"id": f"c{k}"}
        choke = draw(st.integers(0, 2))  # 0 absent (default false), 1 false, 2 true
        if choke:
            cap["chokepoint"] = choke == 2
        capabilities.append(cap)
    cap_ids = [c["id"] for c in capabilities]

    centre_lat = draw(st.integers(2000, 4500)) / 100
    centre_lon = draw(st.integers(10000, 12500)) / 100
    sites: list[dict[str, Any]] = []
    for s in range(draw(st.integers(1, max_sites))):
        # Sites within ~2 degrees of one centre: a few hundred km apart.
        sites.append(
            {
                "id": f"s{s}",
                "name": f"Park {s}",
                "lat": round(centre_lat + draw(st.integers(-150, 150)) / 100, 4),
                "lon": round(centre_lon + draw(st.integers(-150, 150)) / 100, 4),
            }
        )
    site_ids = [s["id"] for s in sites]

    # -- sponsors ------------------------------------------------------
    sponsors: list[dict[str, Any]] = []
    for p in range(draw(st.integers(0, 2))):
        sp: dict[str, Any] = {"id": f"p{p}"}
        if draw(st.booleans()):
            sp["budget"] = _money(draw, 5, 60)
        if draw(st.integers(0, 2)):
            sp["region"] = draw(st.sampled_from(REGIONS))
        sponsors.append(sp)
    sponsor_ids = [sp["id"] for sp in sponsors]

    n_targets = draw(st.integers(1, max_targets))
    target_ids = [f"t{i}" for i in range(n_targets)]

    # -- actors --------------------------------------------------------
    actors: list[dict[str, Any]] = []
    # sampled_from is close to uniform; st.integers would favour 2 actors,
    # which rarely form anything.
    for i in range(draw(st.sampled_from(range(2, max_actors + 1)))):
        near = sites[draw(st.integers(0, len(sites) - 1))]
        actor: dict[str, Any] = {
            "id": f"a{i}",
            # Weighted towards the default lead types so that leads exist.
            "type": draw(st.sampled_from(_TYPE_WEIGHTS)),
            "ownership": draw(st.sampled_from(("state", "private", "foreign", "private", "state"))),
            "region": draw(st.sampled_from(REGIONS)),
            # Up to ~1.8 degrees from a site (< ~250 km), clamped into range.
            "lat": _clamp(near["lat"] + draw(st.integers(-180, 180)) / 100, 90.0),
            "lon": _clamp(near["lon"] + draw(st.integers(-180, 180)) / 100, 180.0),
            "cost": _money(draw, 0, 8),
        }
        # Each capability held with chance ~2/3 (at least one): a plain
        # st.lists subset would favour a single capability and few plans.
        caps = [c for c in cap_ids if draw(st.sampled_from([True, False, True]))]
        if not caps:
            caps = [draw(st.sampled_from(cap_ids))]
        actor["capabilities"] = {
            c: _maybe_integral_float(draw, draw(st.integers(1, 9))) for c in caps
        }
        lead = draw(st.sampled_from(["fee", "absent", "fee", "null", "fee"]))
        if lead == "null":
            actor["lead_cost"] = None
        elif lead == "fee":
            actor["lead_cost"] = _money(draw, 0, 4)
        # 0 is legal but makes the actor useless: keep it rare.
        if draw(st.booleans()):
            cap_join = 0 if _rare(draw, 6) else draw(st.integers(1, 2))
            actor["max_consortia"] = _maybe_integral_float(draw, cap_join)
        if draw(st.booleans()):
            actor["max_lead"] = 0 if _rare(draw, 6) else draw(st.integers(1, 2))
        if draw(st.integers(0, 2)) == 0:
            actor["bids"] = {t: _money(draw, 0, 8) for t in _subset(draw, target_ids, min_size=1)}
        actors.append(actor)
    actor_ids = [a["id"] for a in actors]

    policy = draw(_policy())

    # -- targets -------------------------------------------------------
    targets: list[dict[str, Any]] = []
    for tid in target_ids:
        target: dict[str, Any] = {
            "id": tid,
            "mode": draw(st.sampled_from(["research", "economic"])),
            "sites": _subset(draw, site_ids, min_size=1),
        }
        if sponsor_ids and draw(st.integers(0, 3)):
            target["sponsor"] = draw(st.sampled_from(sponsor_ids))
        if not _rare(draw, 8):  # absent value (default 0) now and then
            target["value"] = _money(draw, 10, 80)
        req_caps = _subset(draw, cap_ids, min_size=1, max_size=2)  # distinct capabilities
        reqs: list[dict[str, Any]] = []
        for c in req_caps:
            req: dict[str, Any] = {"capability": c}
            if draw(st.integers(0, 3)):
                # Up to 6 so that actors (levels 1..9) often qualify.
                req["level"] = draw(st.integers(1, 6))
            if draw(st.booleans()):
                req["redundancy"] = _maybe_integral_float(draw, draw(st.integers(1, 2)))
            reqs.append(req)
        target["requirements"] = reqs
        if draw(st.booleans()):
            target["budget"] = _money(draw, 5, 50)
        if draw(st.booleans()):
            target["max_distance_km"] = draw(st.integers(150, 800))
        lo = draw(st.integers(1, 3)) if draw(st.booleans()) else None
        if lo is not None:
            target["min_members"] = lo
        if draw(st.booleans()):
            target["max_members"] = draw(st.integers(lo or 1, 6))  # min <= max
        if _rare(draw, 10):
            target["mandatory"] = True
        elif draw(st.booleans()):
            target["mandatory"] = False
        targets.append(target)

    # -- ties, conflicts, exclusive groups -------------------------------
    pairs = list(combinations(actor_ids, 2))  # unordered, never a self pair
    tie_pairs = _subset(draw, pairs, max_size=4)
    ties: list[dict[str, Any]] = []
    for a, b in tie_pairs:
        if draw(st.booleans()):
            a, b = b, a  # either order is fine; duplicates are not
        tie: dict[str, Any] = {"a": a, "b": b}
        if draw(st.integers(0, 2)):
            tie["weight"] = draw(st.integers(1, 300)) / 100  # strictly positive
        ties.append(tie)
    conflicts = [{"a": a, "b": b} for a, b in _subset(draw, pairs, max_size=2)]
    exclusive: list[list[str]] = []
    if n_targets >= 2 and draw(st.integers(0, 2)) == 0:
        exclusive.append(_subset(draw, target_ids, min_size=2))

    instance: dict[str, Any] = {
        "format": "consortium-instance/1",
        "name": "hypothesis-tiny",
        "capabilities": capabilities,
        "sites": sites,
        "sponsors": sponsors,
        "actors": actors,
        "targets": targets,
        "ties": ties,
        "conflicts": conflicts,
        "exclusive": exclusive,
        "policy": policy,
    }

    if draw(st.sampled_from([True, False, True])):  # ~2/3 of instances
        _plant_core(draw, actors, targets[0], policy)

    # -- fixed decisions (kept rare: they often make instances infeasible) --
    if _rare(draw, 5):
        fixed: dict[str, Any] = {}
        pinned: set[str] = set()  # actors named as fixed lead/member anywhere
        pinned_pairs: set[tuple[str, str]] = set()
        leads: dict[str, str] = {}
        for t in targets:
            able = [a["id"] for a in actors if _may_lead(a, t["mode"], policy)]
            if able and _rare(draw, 3):
                leads[t["id"]] = draw(st.sampled_from(able))
        if leads:
            fixed["leads"] = leads
            pinned.update(leads.values())
            pinned_pairs.update(leads.items())
        if _rare(draw, 3):
            t_id, a_id = draw(st.sampled_from(target_ids)), draw(st.sampled_from(actor_ids))
            fixed["members"] = [[t_id, a_id]]
            pinned.add(a_id)
            pinned_pairs.add((t_id, a_id))
        free_pairs = [
            [t, a] for t in target_ids for a in actor_ids if (t, a) not in pinned_pairs
        ]
        if free_pairs and draw(st.booleans()):
            fixed["forbidden"] = draw(
                st.lists(st.sampled_from(free_pairs), max_size=2, unique_by=lambda p: tuple(p))
            )
        free_actors = [a for a in actor_ids if a not in pinned]
        if free_actors and draw(st.booleans()):
            fixed["forbidden_actors"] = _subset(draw, free_actors, max_size=1)
        if fixed:
            instance["fixed"] = fixed
    return instance


@st.composite
def programme_instances(draw: Draw, max_targets: int = 3, max_actors: int = 6) -> dict[str, Any]:
    """A tiny valid instance with random SPEC section 7 settings: composition,
    distinct regions and (mostly) a programme of 1-3 years with durations,
    windows, ``after`` chains, yearly budgets, milestones and fixed starts."""
    inst = draw(tiny_instances(max_targets=max_targets, max_actors=max_actors))
    policy = inst["policy"]
    targets = inst["targets"]
    if len(targets) > 1 and draw(st.sampled_from([True, True, False])):
        # One lead and partner able to form every target: they compete for the
        # same pair, whom a programme can stage in different years.
        inst.pop("fixed", None)
        for t in targets:
            t["mode"] = targets[0]["mode"]
            t.pop("min_members", None)
            t.pop("mandatory", None)
            for r in t["requirements"]:
                r.pop("redundancy", None)
        for t in targets:
            _plant_core(draw, inst["actors"], t, policy)
    if draw(st.booleans()):
        rules = []
        for _ in range(draw(st.integers(1, 2))):
            rule: dict[str, Any] = {}
            if draw(st.sampled_from([True, True, False])):
                rule["types"] = _subset(draw, list(ACTOR_TYPES), min_size=2, max_size=4)
            if "types" not in rule or draw(st.booleans()):
                rule["ownership"] = _subset(draw, ["state", "private", "foreign"], min_size=1,
                                            max_size=2)
            lo = draw(st.sampled_from([0, 1, 1, 1, 2]))
            if lo or draw(st.booleans()):
                rule["min"] = lo
            if draw(st.booleans()):
                rule["max"] = draw(st.integers(lo, 3))
            rules.append(rule)
        policy["composition"] = rules
    if draw(st.booleans()):
        policy["min_regions"] = draw(st.sampled_from([1, 2, 2, 3]))
    for t in targets:
        if _rare(draw, 4):
            t["composition"] = [] if draw(st.booleans()) else [
                {"types": _subset(draw, list(ACTOR_TYPES), min_size=1, max_size=2), "min": 1}]
        if _rare(draw, 4):
            t["min_regions"] = draw(st.integers(1, 2))
    if _rare(draw, 5):
        return inst  # section 7.1-7.2 only
    start, years = 2026, draw(st.integers(1, 3))
    programme: dict[str, Any] = {"start": start, "years": years}
    if draw(st.booleans()):
        programme["discount_rate"] = draw(st.sampled_from([0.0, 0.05, 0.2]))
    end = start + years - 1
    for i, t in enumerate(targets):
        d = draw(st.integers(1, years))
        if d > 1 or draw(st.booleans()):
            t["duration"] = d
        last = start + years - d
        if draw(st.integers(0, 2)) == 0:
            t["earliest"] = draw(st.integers(start, last))
        if draw(st.integers(0, 2)) == 0:
            # anywhere in the programme from earliest on: later than last is capped
            t["latest"] = draw(st.integers(t.get("earliest", start), end))
            if min(t["latest"], last) < t.get("earliest", start):
                del t["latest"]
        earlier = [u["id"] for u in targets[:i]]
        if earlier and draw(st.integers(0, 2)) == 0:
            t["after"] = _subset(draw, earlier, min_size=1, max_size=2)
    year_keys = [str(y) for y in range(start, end + 1)]
    for sp in inst["sponsors"]:
        if draw(st.booleans()):
            sp["budget_by_year"] = {y: _money(draw, 2, 30)
                                    for y in _subset(draw, year_keys, min_size=1)}
    if draw(st.booleans()):
        policy["total_budget_by_year"] = {y: _money(draw, 3, 40)
                                          for y in _subset(draw, year_keys, min_size=1)}
    if draw(st.booleans()):
        programme["milestones"] = [{"year": draw(st.integers(start, end)),
                                    "min_formed": draw(st.sampled_from([0, 1, 1, 2]))}]
    if _rare(draw, 6):
        t = draw(st.sampled_from(targets))
        inst.setdefault("fixed", {})["starts"] = {t["id"]: draw(st.integers(start, end))}
    inst["programme"] = programme
    return inst


@st.composite
def staged_instances(draw: Draw) -> dict[str, Any]:
    """A tiny programme where staging decides the plan: a few able actors near
    one site compete for 2-3 targets over 2-3 years (capacity per year,
    ``after`` chains, yearly budgets, milestones, discounting)."""
    years = draw(st.integers(2, 3))
    start = 2026
    end = start + years - 1
    n_actors = draw(st.integers(3, 5))
    types = ["institute", "enterprise"] + [
        draw(st.sampled_from(ACTOR_TYPES)) for _ in range(n_actors - 2)]
    actors = []
    for i, typ in enumerate(types):
        a: dict[str, Any] = {
            "id": f"a{i}", "type": typ,
            "ownership": draw(st.sampled_from(["state", "private", "private"])),
            "region": draw(st.sampled_from(REGIONS[:3])),
            "lat": 31.0 + draw(st.integers(-20, 20)) / 100,
            "lon": 120.0 + draw(st.integers(-20, 20)) / 100,
            "cost": _money(draw, 1, 8),
            "capabilities": {"c0": draw(st.integers(1, 9)), "c1": draw(st.integers(1, 9))},
        }
        if typ in ("institute", "lab", "enterprise"):
            a["lead_cost"] = _money(draw, 0, 3)
        if _rare(draw, 3):
            a["max_consortia"] = 2
        actors.append(a)
    targets = []
    for k in range(draw(st.integers(2, 3))):
        d = draw(st.integers(1, 2))
        t: dict[str, Any] = {
            "id": f"t{k}", "mode": draw(st.sampled_from(["research", "economic"])),
            "sites": ["s0"], "value": _money(draw, 15, 60), "sponsor": "p0",
            "requirements": [{"capability": draw(st.sampled_from(["c0", "c1"])),
                              "level": draw(st.integers(1, 5))}],
        }
        if d > 1 or draw(st.booleans()):
            t["duration"] = d
        if k and draw(st.booleans()):
            t["after"] = _subset(draw, [f"t{j}" for j in range(k)], min_size=1, max_size=1)
        if _rare(draw, 4):
            t["earliest"] = draw(st.integers(start, start + years - d))
        if _rare(draw, 4):
            t["latest"] = draw(st.integers(t.get("earliest", start), end))
        if _rare(draw, 6):
            t["mandatory"] = True
        targets.append(t)
    year_keys = [str(y) for y in range(start, end + 1)]
    sponsor: dict[str, Any] = {"id": "p0", "region": REGIONS[0]}
    if draw(st.booleans()):
        sponsor["budget_by_year"] = {y: _money(draw, 5, 25)
                                     for y in _subset(draw, year_keys, min_size=1)}
    if _rare(draw, 3):
        sponsor["budget"] = _money(draw, 10, 50)
    policy: dict[str, Any] = {"require_both_ends": draw(st.booleans())}
    if _rare(draw, 3):
        policy["total_budget_by_year"] = {y: _money(draw, 5, 30)
                                          for y in _subset(draw, year_keys, min_size=1)}
    if _rare(draw, 3):
        policy["composition"] = [{"types": ["enterprise", "sme"], "min": 1}]
    if _rare(draw, 3):
        policy["min_regions"] = 2
    if _rare(draw, 3):
        policy["weights"] = {"distance": 0.01}
    programme: dict[str, Any] = {"start": start, "years": years}
    if draw(st.booleans()):
        programme["discount_rate"] = draw(st.sampled_from([0.05, 0.3]))
    if _rare(draw, 3):
        programme["milestones"] = [{"year": draw(st.integers(start, end)),
                                    "min_formed": draw(st.integers(1, 2))}]
    inst: dict[str, Any] = {
        "format": "consortium-instance/1", "name": "hypothesis-staged",
        "capabilities": [{"id": "c0"}, {"id": "c1"}],
        "sites": [{"id": "s0", "lat": 31.0, "lon": 120.0}],
        "sponsors": [sponsor], "actors": actors, "targets": targets,
        "policy": policy, "programme": programme,
    }
    if _rare(draw, 6):
        inst["fixed"] = {"starts": {"t0": draw(st.integers(start, end - 1))}}
    return inst
