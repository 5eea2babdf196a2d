"""Exhaustive reference optimiser for tiny consortium instances.

This module is an *independent* cross-check of the MILP optimiser: it reads
the raw instance JSON (``consortium-instance/1``), applies the defaults of
SPEC section 2 itself and enumerates plans by SPEC section 3 alone.  It must
never import anything from the ``consortium`` package, otherwise a bug shared
by the parser or the model would cancel out in the comparison.

Algorithm, in two visible steps:

1. Per target, enumerate every (site, lead, member set) that satisfies the
   rules that concern that target alone (1-10, 14, and the target budget of
   12) and compute its spend and its objective contribution.  Member sets are
   bitmasks over actor indices so that the 2^n enumeration stays cheap.
2. Depth-first search over the targets, each either not formed or given one
   of its candidates, checking the cross-target rules (11, 12 sponsor/total
   budgets, 13, mandatory and fixed decisions) and pruning with the bound
   ``current + sum of the best remaining contributions``.

The objective is separable per target (value, spend, distance and ties terms
each sum over formed targets), which is what makes step 2 exact.

Section 7 (v1.1) is read the same way: composition (rule 15) and distinct
regions (rule 16) are per-target rules of step 1; with a programme, each
candidate is offered at every start year of its window (the value and the
cost discounted by that year), capacities and yearly budgets are counted per
programme year in step 2, and ``after`` (rule 17), milestones (rule 18) and
fixed start years are checked on every complete plan.

It assumes valid input (SPEC section 2); it does not report invalid input.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["BruteResult", "brute_force", "brute_force_file", "haversine_km"]

EARTH_RADIUS_KM = 6371.0088
REL_TOL = 1e-6
# Slack for comparing objectives of two plans; far below any real difference
# of objectives built from 2-decimal data, far above float summation noise.
OBJ_EPS = 1e-9

RESEARCH_END = frozenset({"institute", "university", "lab"})
MARKET_END = frozenset({"enterprise", "sme"})
DEFAULT_LEAD_TYPES: dict[str, frozenset[str]] = {
    "research": frozenset({"institute", "lab"}),
    "economic": frozenset({"enterprise"}),
}
DEFAULT_WEIGHTS: dict[str, float] = {"value": 1.0, "cost": 1.0, "distance": 0.0, "ties": 0.0}


@dataclass(frozen=True)
class BruteResult:
    """Optimum found by exhaustive search.

    ``objective`` is None when the instance is infeasible.  ``plan`` maps each
    *formed* target id to ``{"site", "lead", "members", "spend"}`` (members
    sorted, lead included); an empty dict means "form nothing".
    """

    objective: float | None
    plan: dict[str, dict[str, Any]] | None


@dataclass(frozen=True)
class _Candidate:
    """One way to form one target, feasible for that target alone."""

    site: str
    lead: int
    mask: int  # bitmask of member actor indices (lead included)
    members: tuple[int, ...]
    spend: float
    contribution: float  # this target's share of the objective (undiscounted)
    rest: float = 0.0  # the distance and ties terms (never discounted)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance by the haversine formula (SPEC section 3)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    # min() guards asin against 1.0000000000000002 for antipodal points.
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def within(value: float, limit: float) -> bool:
    """``value <= limit`` with the spec's 1e-6 relative tolerance.

    The tolerance is taken relative to ``max(|limit|, 1)`` so that a limit of
    0 still absorbs float noise; with 2-decimal data the difference between
    this and a purely relative tolerance never shows.
    """
    return value <= limit + REL_TOL * max(abs(limit), 1.0)


def _opt_float(value: Any) -> float | None:
    """Optional numeric field: absent or null means "no limit"."""
    return None if value is None else float(value)


def _bits(mask: int) -> tuple[int, ...]:
    out = []
    i = 0
    while mask:
        if mask & 1:
            out.append(i)
        mask >>= 1
        i += 1
    return tuple(out)


class _Instance:
    """Raw JSON with the SPEC section 2 defaults applied (no validation)."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.chokepoint: dict[str, bool] = {
            c["id"]: bool(c.get("chokepoint", False)) for c in raw.get("capabilities") or []
        }
        self.sites: dict[str, tuple[float, float]] = {
            s["id"]: (float(s["lat"]), float(s["lon"])) for s in raw["sites"]
        }
        self.sponsor_budget: dict[str, float | None] = {}
        self.sponsor_region: dict[str, str | None] = {}
        for sp in raw.get("sponsors") or []:
            self.sponsor_budget[sp["id"]] = _opt_float(sp.get("budget"))
            self.sponsor_region[sp["id"]] = sp.get("region")

        self.actors: list[dict[str, Any]] = list(raw.get("actors") or [])
        self.actor_ids: list[str] = [a["id"] for a in self.actors]
        self.index: dict[str, int] = {aid: i for i, aid in enumerate(self.actor_ids)}
        self.max_consortia: list[int] = [
            int(a.get("max_consortia", 1) if a.get("max_consortia") is not None else 1)
            for a in self.actors
        ]
        self.max_lead: list[int] = [
            int(a.get("max_lead", 1) if a.get("max_lead") is not None else 1) for a in self.actors
        ]

        self.targets: list[dict[str, Any]] = list(raw.get("targets") or [])

        self.ties: list[tuple[int, int, float]] = [
            (
                self.index[t["a"]],
                self.index[t["b"]],
                float(t["weight"]) if t.get("weight") is not None else 1.0,
            )
            for t in raw.get("ties") or []
        ]
        # Conflicts as pair masks: a member set breaks rule 10 iff it contains
        # all bits of some pair mask.
        self.conflict_masks: list[int] = [
            (1 << self.index[c["a"]]) | (1 << self.index[c["b"]])
            for c in raw.get("conflicts") or []
        ]
        self.exclusive: list[frozenset[str]] = [frozenset(g) for g in raw.get("exclusive") or []]

        policy = raw.get("policy") or {}
        self.require_both_ends = bool(policy.get("require_both_ends", True))
        self.no_free_riders = bool(policy.get("no_free_riders", True))
        self.max_state_share = float(policy.get("max_state_share", 1.0))
        self.min_private = int(policy.get("min_private_members", 0))
        self.min_outside = int(policy.get("min_outside_members", 0))
        self.chokepoints_domestic_only = bool(policy.get("chokepoints_domestic_only", True))
        self.foreign_can_lead = bool(policy.get("foreign_can_lead", False))
        self.total_budget = _opt_float(policy.get("total_budget"))
        # A lead_types naming one mode keeps the default for the other.
        self.lead_types = dict(DEFAULT_LEAD_TYPES)
        for mode, types in (policy.get("lead_types") or {}).items():
            self.lead_types[mode] = frozenset(types)
        self.weights = dict(DEFAULT_WEIGHTS)
        for key, w in (policy.get("weights") or {}).items():
            self.weights[key] = float(w)
        incentives = policy.get("incentives") or {}
        self.rate: list[float] = [
            float((incentives.get(a["type"]) or {}).get("bonus_rate", 0.0) or 0.0)
            for a in self.actors
        ]

        fixed = raw.get("fixed") or {}
        self.fixed_leads: dict[str, str] = dict(fixed.get("leads") or {})
        self.fixed_members: dict[str, set[str]] = {}
        for t, a in fixed.get("members") or []:
            self.fixed_members.setdefault(t, set()).add(a)
        self.forbidden_pairs: dict[str, set[str]] = {}
        for t, a in fixed.get("forbidden") or []:
            self.forbidden_pairs.setdefault(t, set()).add(a)
        self.forbidden_actors: set[str] = set(fixed.get("forbidden_actors") or [])
        self.fixed_starts: dict[str, int] = {
            t: int(y) for t, y in (fixed.get("starts") or {}).items()
        }
        # Section 7.1-7.2.
        self.composition = list(policy.get("composition") or [])
        self.min_regions = int(policy.get("min_regions") or 1)
        # Section 7.3: the programme's years, or None.
        pr = raw.get("programme")
        self.programme = pr
        self.sponsor_by_year: dict[str, dict[int, float]] = {
            sp["id"]: {int(y): float(c) for y, c in (sp.get("budget_by_year") or {}).items()}
            for sp in raw.get("sponsors") or []
        }
        self.total_by_year: dict[int, float] = {
            int(y): float(c) for y, c in (policy.get("total_budget_by_year") or {}).items()
        }

    def duration(self, target: dict[str, Any]) -> int:
        return int(target.get("duration") or 1)

    def start_years(self, target: dict[str, Any]) -> list[int | None]:
        """The start years a consortium of ``target`` may take ([None] without a programme)."""
        pr = self.programme
        if pr is None:
            return [None]
        first, n = int(pr["start"]), int(pr["years"])
        last = first + n - self.duration(target)
        lo = first if target.get("earliest") is None else int(target["earliest"])
        hi = last if target.get("latest") is None else min(int(target["latest"]), last)
        years = list(range(lo, hi + 1))
        fixed = self.fixed_starts.get(target["id"])
        return [y for y in years if fixed is None or y == fixed]

    def discount(self, year: int | None) -> float:
        if year is None:
            return 1.0
        pr = self.programme
        assert pr is not None
        return (1.0 + float(pr.get("discount_rate") or 0.0)) ** -(year - int(pr["start"]))

    # -- SPEC section 3 definitions ------------------------------------

    def base(self, i: int, target_id: str) -> float:
        bids = self.actors[i].get("bids") or {}
        return float(bids[target_id]) if target_id in bids else float(self.actors[i]["cost"])

    def may_deliver(self, i: int, capability: str, level: int) -> bool:
        a = self.actors[i]
        held = (a.get("capabilities") or {}).get(capability)
        if held is None or held < level:
            return False
        return not (
            self.chokepoint.get(capability, False)
            and a["ownership"] == "foreign"
            and self.chokepoints_domestic_only
        )

    def may_lead(self, i: int, target: dict[str, Any]) -> bool:
        a = self.actors[i]
        return (
            a.get("lead_cost") is not None
            and a["type"] in self.lead_types.get(target["mode"], frozenset())
            and (a["ownership"] != "foreign" or self.foreign_can_lead)
        )

    def is_forced(self, target: dict[str, Any]) -> bool:
        """Mandatory, or a fixed lead/member names it: it must be formed."""
        tid = target["id"]
        return bool(target.get("mandatory", False)) or tid in self.fixed_leads or bool(
            self.fixed_members.get(tid)
        ) or tid in self.fixed_starts


def _mask_of(inst: _Instance, pred: Any) -> int:
    m = 0
    for i in range(len(inst.actors)):
        if pred(i):
            m |= 1 << i
    return m


def _target_candidates(inst: _Instance, target: dict[str, Any]) -> list[_Candidate]:
    """Every (site, lead, members) feasible for ``target`` alone, best site kept.

    Spend depends only on (lead, members), so for one (lead, members) pair the
    sites differ only in the distance term: keeping the best site loses
    nothing for the cross-target search and halves its branching.
    """
    tid = target["id"]
    n = len(inst.actors)
    reqs = [
        (r["capability"], int(r.get("level", 1)), int(r.get("redundancy", 1)))
        for r in target.get("requirements") or []
    ]
    deliver_masks = [
        _mask_of(inst, lambda i, k=k, lv=lv: inst.may_deliver(i, k, lv)) for k, lv, _ in reqs
    ]
    any_deliver = 0
    for m in deliver_masks:
        any_deliver |= m

    banned = inst.forbidden_actors | inst.forbidden_pairs.get(tid, set())
    # Actors who can sit in this target at all (rule 14 forbidden, rule 11
    # capacity 0); the distance filter is applied per site below.
    usable = _mask_of(
        inst, lambda i: inst.actor_ids[i] not in banned and inst.max_consortia[i] >= 1
    )
    leaders = _mask_of(inst, lambda i: inst.may_lead(i, target) and inst.max_lead[i] >= 1)
    fixed_lead = inst.fixed_leads.get(tid)
    if fixed_lead is not None:
        leaders &= 1 << inst.index[fixed_lead]
    fixed_mask = 0
    for aid in inst.fixed_members.get(tid, set()):
        fixed_mask |= 1 << inst.index[aid]

    r_end = _mask_of(inst, lambda i: inst.actors[i]["type"] in RESEARCH_END)
    e_end = _mask_of(inst, lambda i: inst.actors[i]["type"] in MARKET_END)
    state_ent = _mask_of(
        inst,
        lambda i: inst.actors[i]["type"] in MARKET_END and inst.actors[i]["ownership"] == "state",
    )
    private = _mask_of(inst, lambda i: inst.actors[i]["ownership"] == "private")
    region = inst.sponsor_region.get(target.get("sponsor")) if target.get("sponsor") else None
    outside = _mask_of(inst, lambda i: inst.actors[i]["region"] != region) if region else 0
    min_outside = inst.min_outside if region else 0  # binds only sponsors with a region
    # Rule 15: the target's composition list replaces the policy's.
    comp_rules = target.get("composition")
    if comp_rules is None:
        comp_rules = inst.composition
    composition = []
    for rule in comp_rules:
        types, owners = rule.get("types"), rule.get("ownership")
        m = _mask_of(inst, lambda i, types=types, owners=owners: (
            (types is None or inst.actors[i]["type"] in types)
            and (owners is None or inst.actors[i]["ownership"] in owners)))
        hi = rule.get("max")
        composition.append((m, int(rule.get("min") or 0), n if hi is None else int(hi)))
    min_regions = int(target["min_regions"]) if target.get("min_regions") is not None else (
        inst.min_regions)
    regions = [inst.actors[i]["region"] for i in range(n)]

    min_members = int(target.get("min_members", 1) if target.get("min_members") is not None else 1)
    max_members = int(target["max_members"]) if target.get("max_members") is not None else n
    budget = _opt_float(target.get("budget"))
    max_dist = _opt_float(target.get("max_distance_km"))
    value = float(target.get("value", 0.0) or 0.0)

    w = inst.weights
    # Member part of the spend (rule 12), without the lead fee.
    member_spend = [(1.0 + inst.rate[i]) * inst.base(i, tid) for i in range(n)]
    lead_fee = [
        (1.0 + inst.rate[i]) * float(inst.actors[i]["lead_cost"])
        if inst.actors[i].get("lead_cost") is not None
        else 0.0
        for i in range(n)
    ]

    def structurally_ok(mask: int) -> bool:
        """Rules 3, 5-10 and fixed members, for a member set (lead included)."""
        size = mask.bit_count()
        if size < min_members or size > max_members:
            return False
        if mask & fixed_mask != fixed_mask:
            return False
        for (_, _, red), dm in zip(reqs, deliver_masks, strict=False):
            if (mask & dm).bit_count() < red:
                return False
        if inst.require_both_ends and (not mask & r_end or not mask & e_end):
            return False
        if not within((mask & state_ent).bit_count(), inst.max_state_share * size):
            return False
        if (mask & private).bit_count() < inst.min_private:
            return False
        if (mask & outside).bit_count() < min_outside:
            return False
        for cm in inst.conflict_masks:
            if mask & cm == cm:
                return False
        for cm, lo, hi in composition:
            if not lo <= (mask & cm).bit_count() <= hi:
                return False
        if min_regions > 1 and len({regions[i] for i in _bits(mask)}) < min_regions:
            return False
        return True

    best: dict[tuple[int, int], _Candidate] = {}
    for site_id in target["sites"]:
        slat, slon = inst.sites[site_id]
        dist = [
            haversine_km(float(a["lat"]), float(a["lon"]), slat, slon) for a in inst.actors
        ]
        eligible = usable
        if max_dist is not None:
            eligible &= _mask_of(inst, lambda i, dist=dist: within(dist[i], max_dist))
        if eligible & fixed_mask != fixed_mask:
            continue
        site_leaders = eligible & leaders
        if not site_leaders:
            continue
        if inst.no_free_riders:
            # Rule 4: every non-lead member delivers something, so members are
            # deliverers plus possibly one non-delivering actor who then must
            # be the lead.  This shrinks 2^n to 2^|deliverers| * (1 + few).
            pool = eligible & any_deliver
            extras = site_leaders & ~pool
        else:
            pool, extras = eligible, 0
        extra_list = [0] + [1 << i for i in _bits(extras)]

        sub = pool
        while True:
            for extra in extra_list:
                mask = sub | extra
                lead_options = extra if extra else (mask & site_leaders)
                if lead_options and structurally_ok(mask):
                    members = _bits(mask)
                    base_spend = sum(member_spend[i] for i in members)
                    dist_sum = sum(dist[i] for i in members)
                    ties_sum = sum(wt for a, b, wt in inst.ties if mask >> a & 1 and mask >> b & 1)
                    for lead in _bits(lead_options):
                        spend = base_spend + lead_fee[lead]
                        if budget is not None and not within(spend, budget):
                            continue
                        contribution = (
                            w["value"] * value
                            - w["cost"] * spend
                            - w["distance"] * dist_sum
                            + w["ties"] * ties_sum
                        )
                        key = (lead, mask)
                        old = best.get(key)
                        if old is None or contribution > old.contribution:
                            best[key] = _Candidate(
                                site_id, lead, mask, members, spend, contribution,
                                -w["distance"] * dist_sum + w["ties"] * ties_sum,
                            )
            if sub == 0:
                break
            sub = (sub - 1) & pool  # next submask of pool, in decreasing order
    return sorted(best.values(), key=lambda c: -c.contribution)


def brute_force(instance: dict[str, Any]) -> BruteResult:
    """Optimal objective and one optimal plan of ``instance`` by enumeration."""
    inst = _Instance(instance)
    targets = inst.targets
    n_t = len(targets)
    forced = [inst.is_forced(t) for t in targets]
    cands = [_target_candidates(inst, t) for t in targets]
    starts = [inst.start_years(t) for t in targets]
    if any(f and not (c and s) for f, c, s in zip(forced, cands, starts, strict=False)):
        return BruteResult(None, None)
    w = inst.weights
    durations = [inst.duration(t) for t in targets]

    def worth(i: int, c: _Candidate, start: int | None) -> float:
        """The target's share of the objective at this start year (section 7.3)."""
        if start is None:
            return c.contribution
        d = durations[i]
        mean = sum(inst.discount(start + k) for k in range(d)) / d
        value = float(targets[i].get("value", 0.0) or 0.0)
        return w["value"] * value * inst.discount(start) - w["cost"] * c.spend * mean + c.rest

    # Options per target, best first; None = "not formed" (contribution 0).
    options: list[list[tuple[float, _Candidate | None, int | None]]] = []
    for i, (f, cs) in enumerate(zip(forced, cands, strict=False)):
        opts: list[tuple[float, _Candidate | None, int | None]] = [
            (worth(i, c, y), c, y) for c in cs for y in starts[i]
        ]
        if not f:
            opts.append((0.0, None, None))
        opts.sort(key=lambda o: -o[0])
        options.append(opts)
    # rest_best[i]: optimistic bound on what targets i.. can still add (every
    # cross-target rule only removes options, so the per-target best is valid).
    rest_best = [0.0] * (n_t + 1)
    for i in range(n_t - 1, -1, -1):
        rest_best[i] = rest_best[i + 1] + options[i][0][0]

    tids = [t["id"] for t in targets]
    position = {tid: i for i, tid in enumerate(tids)}
    sponsor_of = [t.get("sponsor") for t in targets]
    groups_of = [[g for g, grp in enumerate(inst.exclusive) if tid in grp] for tid in tids]
    # Capacity and yearly spend are counted per (year, ...); without a
    # programme every consortium is active in the one year None.
    joins: dict[tuple[int | None, int], int] = {}
    leads: dict[tuple[int | None, int], int] = {}
    year_spend: dict[tuple[int | None, str | None], float] = {}
    sponsor_spend: dict[str, float] = {}
    group_used = [0] * len(inst.exclusive)
    chosen: list[tuple[_Candidate, int | None] | None] = [None] * n_t
    best_obj: float | None = None
    best_plan: list[tuple[_Candidate, int | None] | None] | None = None
    total_spend = 0.0

    def active(i: int, start: int | None) -> list[int | None]:
        return [None] if start is None else list(range(start, start + durations[i]))

    def fits(i: int, c: _Candidate, start: int | None) -> bool:
        """Rules 11, 12 (sponsor, total, by year) and 13 given the partial plan."""
        if any(group_used[g] for g in groups_of[i]):
            return False
        years = active(i, start)
        for y in years:
            if leads.get((y, c.lead), 0) + 1 > inst.max_lead[c.lead]:
                return False
            if any(joins.get((y, a), 0) + 1 > inst.max_consortia[a] for a in c.members):
                return False
        sp = sponsor_of[i]
        if sp is not None:
            cap = inst.sponsor_budget.get(sp)
            if cap is not None and not within(sponsor_spend.get(sp, 0.0) + c.spend, cap):
                return False
        if inst.total_budget is not None and not within(total_spend + c.spend, inst.total_budget):
            return False
        pay = c.spend / durations[i]
        for y in years:
            if y is None:
                continue
            cap_y = inst.total_by_year.get(y)
            if cap_y is not None and not within(year_spend.get((y, None), 0.0) + pay, cap_y):
                return False
            if sp is not None:
                cap_s = inst.sponsor_by_year.get(sp, {}).get(y)
                if cap_s is not None and not within(year_spend.get((y, sp), 0.0) + pay, cap_s):
                    return False
        return True

    def apply(i: int, c: _Candidate, start: int | None, sign: int) -> None:
        nonlocal total_spend
        for g in groups_of[i]:
            group_used[g] += sign
        sp = sponsor_of[i]
        for y in active(i, start):
            leads[(y, c.lead)] = leads.get((y, c.lead), 0) + sign
            for a in c.members:
                joins[(y, a)] = joins.get((y, a), 0) + sign
            pay = sign * c.spend / durations[i]
            year_spend[(y, None)] = year_spend.get((y, None), 0.0) + pay
            if sp is not None:
                year_spend[(y, sp)] = year_spend.get((y, sp), 0.0) + pay
        if sp is not None:
            sponsor_spend[sp] = sponsor_spend.get(sp, 0.0) + sign * c.spend
        total_spend += sign * c.spend

    def complete_ok() -> bool:
        """Rules 17 (after) and 18 (milestones) on a complete plan."""
        if inst.programme is None:
            return True
        for i, t in enumerate(targets):
            ch = chosen[i]
            if ch is None:
                continue
            for u in t.get("after") or []:
                cu = chosen[position[u]]
                if cu is None:
                    return False
                su = cu[1]
                assert su is not None and ch[1] is not None
                if su + durations[position[u]] > ch[1]:
                    return False
        for m in inst.programme.get("milestones") or []:
            year = int(m["year"])
            n = sum(1 for ch in chosen if ch is not None and ch[1] is not None and ch[1] <= year)
            if n < int(m["min_formed"]):
                return False
        return True

    def dfs(i: int, current: float) -> None:
        nonlocal best_obj, best_plan
        if i == n_t:
            if (best_obj is None or current > best_obj + OBJ_EPS) and complete_ok():
                best_obj, best_plan = current, list(chosen)
            return
        for contribution, c, start in options[i]:
            # Options are sorted, so once the bound fails it fails for the rest.
            bound = current + contribution + rest_best[i + 1]
            if best_obj is not None and bound <= best_obj + OBJ_EPS:
                break
            if c is None:
                chosen[i] = None
                dfs(i + 1, current)
                continue
            if not fits(i, c, start):
                continue
            apply(i, c, start, +1)
            chosen[i] = (c, start)
            dfs(i + 1, current + contribution)
            chosen[i] = None
            apply(i, c, start, -1)

    dfs(0, 0.0)
    if best_obj is None or best_plan is None:
        return BruteResult(None, None)
    plan: dict[str, dict[str, Any]] = {}
    for tid, ch in zip(tids, best_plan, strict=False):
        if ch is not None:
            c, start = ch
            plan[tid] = {
                "site": c.site,
                "lead": inst.actor_ids[c.lead],
                "members": sorted(inst.actor_ids[a] for a in c.members),
                "spend": c.spend,
            }
            if start is not None:
                plan[tid]["start"] = start
    return BruteResult(best_obj, plan)


def brute_force_file(path: str | Path) -> BruteResult:
    """:func:`brute_force` on an instance JSON file."""
    with open(path, encoding="utf-8") as fh:
        return brute_force(json.load(fh))
