"""Independent plan verifier: checks a solution file against SPEC sections 3 and 4.

This module is deliberately a *second, independent reading* of the spec. It
imports nothing from the rest of the package (no instance loader, no model,
no solver) and applies the spec's defaults itself, working on the raw JSON
dicts. A bug in the shared loader or in the MILP formulation therefore cannot
hide itself here: if the model and this file disagree, one of them misread
the spec. Standard library only.

It never raises on a malformed solution: every problem it can name becomes a
:class:`Violation` (rule ``"format"`` for structural problems), and a last
resort guard turns any unexpected error into a ``"format"`` violation too.
The instance is expected to have passed validation (SPEC section 2), but it is
read defensively all the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable  # noqa: UP035 (the verifier imports math, dataclasses, typing only)

__all__ = [
    "Violation",
    "VerifyResult",
    "verify_solution",
    "format_result",
    "haversine_km",
    "RULE_FORMAT",
    "RULE_CONTRACT",
    "RULE_COVERAGE",
    "RULE_OBJECTIVE",
    "RULE_YEARS",
]

# --------------------------------------------------------------------------
# Constants read off the spec
# --------------------------------------------------------------------------

EARTH_RADIUS_KM = 6371.0088
R_TYPES = frozenset({"institute", "university", "lab"})  # research end
E_TYPES = frozenset({"enterprise", "sme"})  # market end
DEFAULT_LEAD_TYPES: dict[str, frozenset[str]] = {
    "research": frozenset({"institute", "lab"}),
    "economic": frozenset({"enterprise"}),
}
DEFAULT_WEIGHTS: dict[str, float] = {"value": 1.0, "cost": 1.0, "distance": 0.0, "ties": 0.0}
PLAN_STATUSES = ("optimal", "feasible")
# "error" (the solver failed) is this tool's extension of the spec's four.
NO_PLAN_STATUSES = ("infeasible", "no_solution", "error")
SOLUTION_FORMAT = "consortium-solution/1"

# Section 4 arithmetic is compared with `tol` relative plus this absolute slack,
# so that values that are exactly 0 (a lead_fee, a bonus at rate 0) compare
# sanely after float round-off.
ABS_TOL = 1e-9

# Rule labels. Section 3 rules are "1".."14"; the others are named so that a
# section-4 problem cannot be mistaken for rule 4 (free riders) of section 3.
RULE_FORMAT = "format"
RULE_CONTRACT = "4 (section 4 contract)"
RULE_COVERAGE = "4 (section 4 coverage)"
RULE_OBJECTIVE = "objective"
RULE_YEARS = "7.3 (start years)"


# --------------------------------------------------------------------------
# Public result types
# --------------------------------------------------------------------------


@dataclass
class Violation:
    """One broken rule. ``rule`` is "1".."14" (section 3) or one of the RULE_* labels."""

    rule: str
    target: str | None
    message: str


@dataclass
class VerifyResult:
    violations: list[Violation]
    # Objective recomputed from the plan alone (section 3); None when the
    # solution carries no plan (status infeasible / no_solution).
    objective: float | None
    spend_total: float
    # Extra context for reporting (defaults keep the three-field constructor valid).
    status: str | None = None
    reported_objective: float | None = None

    @property
    def ok(self) -> bool:
        return not self.violations


# --------------------------------------------------------------------------
# Small numeric helpers
# --------------------------------------------------------------------------


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (km), haversine formula, Earth radius 6371.0088 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    # min() guards asin against round-off pushing `a` a hair above 1 (antipodes).
    return 2.0 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def _num(x: Any) -> float | None:
    """A finite JSON number as float, else None (bool is not a number here)."""
    t = type(x)
    if t is float:  # the common case first: this runs for every number of the files
        return x if math.isfinite(x) else None
    if t is not int and (isinstance(x, bool) or not isinstance(x, (int, float))):
        return None
    try:
        v = float(x)
    except OverflowError:  # an integer beyond any float
        return None
    return v if math.isfinite(v) else None


def _numbers(x: Any) -> dict[str, float]:
    """A JSON object of numbers (levels, bids) as str -> float, leaving out
    whatever is not a finite number. This runs for every actor: integers and
    finite floats take the short way."""
    out: dict[str, float] = {}
    if not isinstance(x, dict):
        return out
    for k, v in x.items():
        t = type(v)
        if t is int and -_BIG < v < _BIG:
            out[str(k)] = float(v)
        elif t is float and v - v == 0.0:  # finite
            out[str(k)] = v
        else:
            n = _num(v)
            if n is not None:
                out[str(k)] = n
    return out


_BIG = 2**53  # integers below this in magnitude are floats exactly (and never overflow)


def _opt(d: dict[str, Any], key: str, default: Any) -> Any:
    """Spec convention: an absent key and an explicit null both mean 'default'."""
    v = d.get(key)
    return default if v is None else v


def _within(value: float, limit: float, tol: float) -> bool:
    """value <= limit with the spec's 1e-6 relative tolerance (absolute floor at |limit| < 1)."""
    return value <= limit + tol * max(1.0, abs(limit))


def _close(a: float, b: float, tol: float) -> bool:
    """Section 4 equality: relative tolerance plus a tiny absolute one."""
    return abs(a - b) <= tol * max(abs(a), abs(b)) + ABS_TOL


def _reported(x: Any, show: Callable[[float], str]) -> str:
    """The reported objective through ``show`` when it is a number (a file may hold anything)."""
    v = _num(x)
    return show(v) if v is not None else _fmt(x)


def _fmt(x: Any) -> str:
    """Short human number: 47.86 rather than 47.860000000000007. Anything that
    is not a number (a file may hold a string, a list, an object) is shown as
    JSON would show it, shortened."""
    if x is None:
        return "n/a"
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        text = repr(x)
        return text if len(text) <= 40 else text[:37] + "..."
    v = _num(x)
    if v is None:
        return str(x) if isinstance(x, float) else f"{str(x)[:12]}..."
    return f"{round(v, 6):.12g}"


def _q(x: Any) -> str:
    """Quote an id for messages, whatever its JSON type."""
    return f"'{x}'" if isinstance(x, str) else repr(x)


# --------------------------------------------------------------------------
# The instance, with the spec's defaults applied
# --------------------------------------------------------------------------


@dataclass
class _Actor:
    id: str
    type: str | None
    ownership: str | None
    region: Any
    lat: float | None
    lon: float | None
    capabilities: dict[str, float]
    cost: float
    lead_cost: float | None  # None = cannot lead
    max_consortia: float
    max_lead: float
    bids: dict[str, float]

    def base(self, target_id: str) -> float:
        """base(a, t): the bid for t if present, else the cost."""
        return self.bids.get(target_id, self.cost)


@dataclass
class _Requirement:
    capability: str
    level: float
    redundancy: float


@dataclass
class _Composition:
    """Section 7.1: a rule on how many members match (types, ownership)."""

    types: frozenset[str] | None
    ownership: frozenset[str] | None
    min: float
    max: float | None

    def matches(self, a: _Actor) -> bool:
        return ((self.types is None or a.type in self.types)
                and (self.ownership is None or a.ownership in self.ownership))


@dataclass
class _Programme:
    """Section 7.3."""

    start: float
    years: float
    discount_rate: float
    milestones: list[tuple[float, float]]  # (year, min_formed)

    @property
    def end(self) -> float:
        return self.start + self.years - 1

    def d(self, year: float) -> float:
        return (1.0 + self.discount_rate) ** -(year - self.start)


@dataclass
class _Target:
    id: str
    mode: str | None
    sponsor: str | None
    value: float
    mandatory: bool
    budget: float | None
    sites: list[str]
    max_distance_km: float | None
    min_members: float
    max_members: float | None
    requirements: list[_Requirement]
    # Section 7 (None: not given)
    composition: list[_Composition] | None = None
    min_regions: float | None = None
    duration: float = 1.0
    earliest: float | None = None
    latest: float | None = None
    after: list[str] = field(default_factory=list)

    def requirement(self, capability: str) -> _Requirement | None:
        for req in self.requirements:
            if req.capability == capability:
                return req
        return None


@dataclass
class _Policy:
    total_budget: float | None
    require_both_ends: bool
    no_free_riders: bool
    max_state_share: float
    min_private_members: float
    min_outside_members: float
    chokepoints_domestic_only: bool
    foreign_can_lead: bool
    lead_types: dict[str, frozenset[str]]
    weights: dict[str, float]
    rates: dict[str, float]
    instruments: dict[str, list[Any]]
    composition: list[_Composition] = field(default_factory=list)
    min_regions: float = 1.0
    total_budget_by_year: dict[str, float] = field(default_factory=dict)


@dataclass
class _Instance:
    actors: dict[str, _Actor]
    targets: dict[str, _Target]  # insertion order = file order
    sites: dict[str, tuple[float | None, float | None]]
    sponsor_budget: dict[str, float | None]
    sponsor_region: dict[str, Any]
    chokepoints: set[str]
    ties: list[tuple[str, str, float]]
    conflicts: list[tuple[str, str]]
    exclusive: list[list[str]]
    policy: _Policy
    fixed_leads: dict[str, str]
    fixed_members: list[tuple[str, str]]
    forbidden_pairs: list[tuple[str, str]]
    forbidden_actors: list[str]
    problems: list[str] = field(default_factory=list)
    programme: _Programme | None = None
    sponsor_budget_by_year: dict[str, dict[str, float]] = field(default_factory=dict)
    fixed_starts: dict[str, float] = field(default_factory=dict)
    ties_from: dict[str, list[int]] = field(default_factory=dict)  # actor a -> its ties (a, b)

    def tie_weight(self, ids: set[str]) -> float:
        """The weight of the ties with both ends in ``ids``, summed in the file's order."""
        ties = self.ties
        hit = sorted(i for a in ids for i in self.ties_from.get(a, ()) if ties[i][1] in ids)
        return sum(ties[i][2] for i in hit)


def _str(x: Any) -> str | None:
    """A string field; anything else (the instance was not validated) reads as None."""
    return x if isinstance(x, str) else None


def _as_list(x: Any) -> list[Any]:
    return x if isinstance(x, list) else []


def _as_dict(x: Any) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}


def _pair(x: Any) -> tuple[str, str] | None:
    """A [target, actor] pair (or {"target":..,"actor":..}) from `fixed`."""
    if isinstance(x, (list, tuple)) and len(x) == 2:
        return str(x[0]), str(x[1])
    if isinstance(x, dict) and "target" in x and "actor" in x:
        return str(x["target"]), str(x["actor"])
    return None


def _read_instance(raw: dict[str, Any]) -> _Instance:
    problems: list[str] = []

    def number(d: dict[str, Any], key: str, default: float | None, where: str) -> float | None:
        v = d.get(key)
        if v is None:
            return default
        t = type(v)
        if t is float and v - v == 0.0:  # a finite float, the common case
            return v
        if t is int and -_BIG < v < _BIG:
            return float(v)
        n = _num(v)
        if n is None:
            problems.append(f"{where}.{key}: not a finite number ({v!r})")
            return default
        return n

    chokepoints: set[str] = set()
    for c in _as_list(raw.get("capabilities")):
        c = _as_dict(c)
        if _opt(c, "chokepoint", False) is True:
            chokepoints.add(str(c.get("id")))

    sites: dict[str, tuple[float | None, float | None]] = {}
    for i, s in enumerate(_as_list(raw.get("sites"))):
        s = _as_dict(s)
        where = f"sites[{i}]"
        sites[str(s.get("id"))] = (number(s, "lat", None, where), number(s, "lon", None, where))

    sponsor_budget: dict[str, float | None] = {}
    sponsor_region: dict[str, Any] = {}
    sponsor_by_year: dict[str, dict[str, float]] = {}
    for i, sp in enumerate(_as_list(raw.get("sponsors"))):
        sp = _as_dict(sp)
        sid = str(sp.get("id"))
        sponsor_budget[sid] = number(sp, "budget", None, f"sponsors[{i}]")
        sponsor_region[sid] = sp.get("region")
        sponsor_by_year[sid] = _year_caps(sp.get("budget_by_year"))

    actors: dict[str, _Actor] = {}
    for i, a in enumerate(_as_list(raw.get("actors"))):
        a = _as_dict(a)
        where = f"actors[{i}]"
        caps = _numbers(a.get("capabilities"))
        bids = _numbers(a.get("bids"))
        cost = number(a, "cost", None, where)
        if cost is None:
            problems.append(f"{where}.cost: missing; taken as 0")
            cost = 0.0
        actors[str(a.get("id"))] = _Actor(
            id=str(a.get("id")),
            type=_str(a.get("type")),
            ownership=_str(a.get("ownership")),
            region=a.get("region"),
            lat=number(a, "lat", None, where),
            lon=number(a, "lon", None, where),
            capabilities=caps,
            cost=cost,
            lead_cost=number(a, "lead_cost", None, where),
            max_consortia=number(a, "max_consortia", 1.0, where) or 0.0,
            max_lead=number(a, "max_lead", 1.0, where) or 0.0,
            bids=bids,
        )

    targets: dict[str, _Target] = {}
    for i, t in enumerate(_as_list(raw.get("targets"))):
        t = _as_dict(t)
        where = f"targets[{i}]"
        reqs: list[_Requirement] = []
        for j, r in enumerate(_as_list(t.get("requirements"))):
            r = _as_dict(r)
            rw = f"{where}.requirements[{j}]"
            reqs.append(
                _Requirement(capability=str(r.get("capability")),
                             level=number(r, "level", 1.0, rw) or 1.0,
                             redundancy=number(r, "redundancy", 1.0, rw) or 1.0)
            )
        sponsor = t.get("sponsor")
        targets[str(t.get("id"))] = _Target(
            id=str(t.get("id")),
            mode=_str(t.get("mode")),
            sponsor=None if sponsor is None else str(sponsor),
            value=number(t, "value", 0.0, where) or 0.0,
            mandatory=_opt(t, "mandatory", False) is True,
            budget=number(t, "budget", None, where),
            sites=[str(s) for s in _as_list(t.get("sites"))],
            max_distance_km=number(t, "max_distance_km", None, where),
            min_members=number(t, "min_members", 1.0, where) or 0.0,
            max_members=number(t, "max_members", None, where),
            requirements=reqs,
            composition=(None if t.get("composition") is None
                         else _read_composition(t.get("composition"))),
            min_regions=number(t, "min_regions", None, where),
            duration=number(t, "duration", 1.0, where) or 1.0,
            earliest=number(t, "earliest", None, where),
            latest=number(t, "latest", None, where),
            after=[str(u) for u in _as_list(t.get("after"))],
        )

    ties: list[tuple[str, str, float]] = []
    for tie in _as_list(raw.get("ties")):
        tie = _as_dict(tie)
        w = _num(tie.get("weight"))
        ties.append((str(tie.get("a")), str(tie.get("b")), 1.0 if w is None else w))
    ties_from: dict[str, list[int]] = {}
    for i, (a, _b, _w) in enumerate(ties):
        ties_from.setdefault(a, []).append(i)
    conflicts = [
        (str(_as_dict(c).get("a")), str(_as_dict(c).get("b")))
        for c in _as_list(raw.get("conflicts"))
    ]
    exclusive = [[str(t) for t in g] for g in _as_list(raw.get("exclusive")) if isinstance(g, list)]

    pol = _as_dict(raw.get("policy"))
    # lead_types naming one mode keeps the default for the other: merge, not replace.
    lead_types = dict(DEFAULT_LEAD_TYPES)
    for mode, types in _as_dict(pol.get("lead_types")).items():
        lead_types[str(mode)] = frozenset(str(x) for x in _as_list(types))
    # weights not named keep their default.
    weights = dict(DEFAULT_WEIGHTS)
    for k, w in _as_dict(pol.get("weights")).items():
        n = _num(w)
        if n is not None:
            weights[str(k)] = n
    rates: dict[str, float] = {}
    instruments: dict[str, list[Any]] = {}
    for typ, inc in _as_dict(pol.get("incentives")).items():
        inc = _as_dict(inc)
        rates[str(typ)] = _num(inc.get("bonus_rate")) or 0.0
        instruments[str(typ)] = list(_as_list(inc.get("instruments")))
    policy = _Policy(total_budget=number(pol, "total_budget", None, "policy"),
                     require_both_ends=_opt(pol, "require_both_ends", True) is True,
                     no_free_riders=_opt(pol, "no_free_riders", True) is True,
                     max_state_share=number(pol, "max_state_share", 1.0, "policy") or 0.0,
                     min_private_members=number(pol, "min_private_members", 0.0, "policy") or 0.0,
                     min_outside_members=number(pol, "min_outside_members", 0.0, "policy") or 0.0,
                     chokepoints_domestic_only=_opt(pol, "chokepoints_domestic_only", True) is True,
                     foreign_can_lead=_opt(pol, "foreign_can_lead", False) is True,
                     lead_types=lead_types, weights=weights, rates=rates, instruments=instruments,
                     composition=_read_composition(pol.get("composition")),
                     min_regions=number(pol, "min_regions", 1.0, "policy") or 1.0,
                     total_budget_by_year=_year_caps(pol.get("total_budget_by_year")))
    programme = None
    if isinstance(raw.get("programme"), dict):
        pr = raw["programme"]
        programme = _Programme(
            start=number(pr, "start", 0.0, "programme") or 0.0,
            years=number(pr, "years", 1.0, "programme") or 1.0,
            discount_rate=number(pr, "discount_rate", 0.0, "programme") or 0.0,
            milestones=[(_num(_as_dict(m).get("year")) or 0.0,
                         _num(_as_dict(m).get("min_formed")) or 0.0)
                        for m in _as_list(pr.get("milestones"))])

    fixed = _as_dict(raw.get("fixed"))
    fixed_leads = {str(t): str(a) for t, a in _as_dict(fixed.get("leads")).items()}
    fixed_members = [p for p in map(_pair, _as_list(fixed.get("members"))) if p]
    forbidden_pairs = [p for p in map(_pair, _as_list(fixed.get("forbidden"))) if p]
    forbidden_actors = [str(a) for a in _as_list(fixed.get("forbidden_actors"))]
    fixed_starts = {str(t): y for t, v in _as_dict(fixed.get("starts")).items()
                    if (y := _num(v)) is not None}

    return _Instance(actors=actors, targets=targets, sites=sites, sponsor_budget=sponsor_budget,
                     sponsor_region=sponsor_region, chokepoints=chokepoints, ties=ties,
                     conflicts=conflicts, exclusive=exclusive, policy=policy,
                     fixed_leads=fixed_leads, fixed_members=fixed_members,
                     forbidden_pairs=forbidden_pairs, forbidden_actors=forbidden_actors,
                     problems=problems, programme=programme,
                     sponsor_budget_by_year=sponsor_by_year, fixed_starts=fixed_starts,
                     ties_from=ties_from)


def _read_composition(raw: Any) -> list[_Composition]:
    out = []
    for r in _as_list(raw):
        r = _as_dict(r)
        types, own = r.get("types"), r.get("ownership")
        out.append(_Composition(
            types=None if types is None else frozenset(str(x) for x in _as_list(types)),
            ownership=None if own is None else frozenset(str(x) for x in _as_list(own)),
            min=_num(r.get("min")) or 0.0,
            max=_num(r.get("max")),
        ))
    return out


def _year_caps(raw: Any) -> dict[str, float]:
    return {str(k): n for k, v in _as_dict(raw).items() if (n := _num(v)) is not None}


# --------------------------------------------------------------------------
# Section 3 predicates
# --------------------------------------------------------------------------


def _rate(inst: _Instance, actor: _Actor) -> float:
    return inst.policy.rates.get(str(actor.type), 0.0)


def _may_lead_reason(inst: _Instance, actor: _Actor, target: _Target) -> str | None:
    """None if `actor` may lead `target`, else why not (for the message)."""
    if actor.lead_cost is None:
        return "has no lead_cost (cannot lead)"
    allowed = inst.policy.lead_types.get(str(target.mode), frozenset())
    if actor.type not in allowed:
        return (
            f"type '{actor.type}' may not lead a {target.mode} target (allowed: {sorted(allowed)})"
        )
    if actor.ownership == "foreign" and not inst.policy.foreign_can_lead:
        return "is foreign and policy.foreign_can_lead is false"
    return None


def _may_deliver_reason(inst: _Instance, actor: _Actor, req: _Requirement) -> str | None:
    """None if `actor` may deliver `req`, else why not."""
    have = actor.capabilities.get(req.capability)
    if have is None:
        return f"has no '{req.capability}' capability"
    if have < req.level:
        return f"holds '{req.capability}' at level {_fmt(have)} < {_fmt(req.level)}"
    if (
        req.capability in inst.chokepoints
        and actor.ownership == "foreign"
        and inst.policy.chokepoints_domestic_only
    ):
        return f"is foreign and '{req.capability}' is a chokepoint (domestic only)"
    return None


# --------------------------------------------------------------------------
# The plan as read from the solution file
# --------------------------------------------------------------------------


@dataclass
class _Consortium:
    index: int
    target: _Target
    site: str | None  # None when missing / not a known site of the target
    lead: str | None  # None when missing / unknown actor
    members: list[str]  # effective members: known, distinct, lead included
    contracts: dict[str, dict[str, Any]]  # actor -> its (first) contract
    delivers: dict[str, set[str]]  # actor -> requirement capabilities it lists
    reported_spend: float | None
    spend: float = 0.0  # recomputed, section 3 rule 12
    start: float | None = None  # section 7.3: the start year (None without a programme)


class _Checker:
    def __init__(self, inst: _Instance, sol: dict[str, Any], tol: float) -> None:
        self.inst = inst
        self.sol = sol
        self.tol = tol
        self.violations: list[Violation] = []
        self.plan: list[_Consortium] = []

    def add(self, rule: str, target: str | None, message: str) -> None:
        self.violations.append(Violation(rule, target, message))

    # ---------------- reading the consortia ----------------

    def read_consortia(self) -> None:
        consortia = self.sol.get("consortia", [])
        if not isinstance(consortia, list):
            self.add(RULE_FORMAT, None, "'consortia' is not a list")
            return
        seen: set[str] = set()
        for i, c in enumerate(consortia):
            where = f"consortia[{i}]"
            if not isinstance(c, dict):
                self.add(RULE_FORMAT, None, f"{where}: not an object")
                continue
            tid = c.get("target")
            if not isinstance(tid, str) or tid not in self.inst.targets:
                self.add(RULE_FORMAT, None, f"{where}.target: unknown target {_q(tid)}")
                continue
            if tid in seen:
                # Only the first entry of a target is the plan; later ones are ignored.
                self.add(RULE_COVERAGE, tid, f"{tid}: appears more than once in 'consortia'")
                continue
            seen.add(tid)
            self.plan.append(self._read_one(i, c, self.inst.targets[tid]))

    def _read_one(self, i: int, c: dict[str, Any], t: _Target) -> _Consortium:
        where = f"{t.id} (consortia[{i}])"
        actors = self.inst.actors

        # Site: one of the target's candidate sites (the "decision" of section 3).
        site = c.get("site")
        if not isinstance(site, str):
            self.add(RULE_FORMAT, t.id, f"{where}: missing or non-string 'site' ({site!r})")
            site = None
        elif site not in t.sites:
            self.add("2", t.id, f"{t.id}: site '{site}' is not one of the target's sites {t.sites}")
            site = None if site not in self.inst.sites else site
        # (a site outside t.sites but known is still used for distances, so the
        #  objective and the distance rule stay meaningful)

        lead = c.get("lead")
        if lead is None:
            self.add("1", t.id, f"{t.id}: no lead")
        elif not isinstance(lead, str) or lead not in actors:
            self.add(RULE_FORMAT, t.id, f"{where}.lead: unknown actor {_q(lead)}")
            lead = None

        raw_members = c.get("members")
        members: list[str] = []
        if not isinstance(raw_members, list):
            self.add(RULE_FORMAT, t.id, f"{where}: 'members' is missing or not a list")
            raw_members = []
        for m in raw_members:
            if not isinstance(m, str) or m not in actors:
                self.add(RULE_FORMAT, t.id, f"{where}.members: unknown actor {_q(m)}")
            elif m in members:
                self.add(RULE_FORMAT, t.id, f"{where}.members: '{m}' listed twice")
            else:
                members.append(m)
        if lead is not None and lead not in members:
            self.add("1", t.id, f"{t.id}: lead '{lead}' is not listed among the members")
            # The lead is a member for every rule (section 3), so count it anyway.
            members.insert(0, lead)

        spend_raw = c.get("spend")
        reported_spend = _num(spend_raw)
        if reported_spend is None:
            self.add(RULE_FORMAT, t.id, f"{where}: 'spend' missing or not a number ({spend_raw!r})")

        contracts: dict[str, dict[str, Any]] = {}
        delivers: dict[str, set[str]] = {}
        raw_contracts = c.get("contracts")
        if not isinstance(raw_contracts, list):
            self.add(RULE_FORMAT, t.id, f"{where}: 'contracts' is missing or not a list")
            raw_contracts = []
        for j, k in enumerate(raw_contracts):
            cw = f"{where}.contracts[{j}]"
            if not isinstance(k, dict):
                self.add(RULE_FORMAT, t.id, f"{cw}: not an object")
                continue
            a = k.get("actor")
            if not isinstance(a, str) or a not in actors:
                self.add(RULE_FORMAT, t.id, f"{cw}.actor: unknown actor {_q(a)}")
                continue
            if a not in members:
                self.add(RULE_CONTRACT, t.id, f"{t.id}: contract for '{a}', who is not a member")
                continue
            if a in contracts:
                self.add(RULE_CONTRACT, t.id, f"{t.id}: '{a}' has more than one contract")
                continue
            contracts[a] = k
            delivers[a] = self._read_deliverables(t, a, k.get("deliverables"), cw)
        out = _Consortium(i, t, site, lead, members, contracts, delivers, reported_spend)
        if self.inst.programme is not None:
            out.start = self._read_years(t, c, where)
        return out

    def _read_years(self, t: _Target, c: dict[str, Any], where: str) -> float | None:
        """Section 7.3: the consortium's start and end years, inside its window."""
        pr = self.inst.programme
        assert pr is not None
        start, end = _num(c.get("start")), _num(c.get("end"))
        if start is None or start != int(start):
            self.add(RULE_YEARS, t.id,
                     f"{where}: 'start' missing or not a year ({c.get('start')!r})")
            return None
        last = pr.start + pr.years - t.duration
        lo = pr.start if t.earliest is None else t.earliest
        hi = last if t.latest is None else min(t.latest, last)
        if not lo <= start <= hi:
            self.add(RULE_YEARS, t.id, f"{t.id}: starts in {_fmt(start)}, outside the years it may "
                     f"start ({_fmt(lo)}..{_fmt(hi)})")
        if end is None or end != start + t.duration - 1:
            self.add(RULE_YEARS, t.id, f"{where}: 'end' is {c.get('end')!r}, expected "
                     f"{_fmt(start + t.duration - 1)} (start + duration - 1)")
        return start

    def _read_deliverables(self, t: _Target, a: str, raw: Any, cw: str) -> set[str]:
        """Requirement capabilities the contract of `a` lists (criterion checked here)."""
        out: set[str] = set()
        if not isinstance(raw, list):
            self.add(RULE_FORMAT, t.id, f"{cw}: 'deliverables' is missing or not a list")
            return out
        for d in raw:
            if not isinstance(d, dict) or not isinstance(d.get("capability"), str):
                self.add(RULE_FORMAT, t.id, f"{cw}.deliverables: malformed entry {d!r}")
                continue
            cap = d["capability"]
            req = t.requirement(cap)
            if req is None:
                self.add(
                    RULE_CONTRACT,
                    t.id,
                    f"{t.id}: '{a}' lists deliverable '{cap}', "
                    f"which is not a requirement of {t.id}",
                )
                continue
            lvl = _num(d.get("level"))
            if lvl is None or lvl != req.level:
                self.add(
                    RULE_CONTRACT,
                    t.id,
                    f"{t.id}: '{a}' deliverable '{cap}' has criterion level {d.get('level')!r}, "
                    f"required level is {_fmt(req.level)}",
                )
            if cap in out:
                self.add(RULE_CONTRACT, t.id, f"{t.id}: '{a}' lists deliverable '{cap}' twice")
            out.add(cap)
        return out

    # ---------------- section 3, per consortium ----------------

    def check_consortium(self, c: _Consortium) -> None:
        inst, pol, t, tol = self.inst, self.inst.policy, c.target, self.tol
        actors = inst.actors
        members = [actors[m] for m in c.members]
        n = len(members)

        # Rule 1: the lead may lead t.
        if c.lead is not None:
            why = _may_lead_reason(inst, actors[c.lead], t)
            if why:
                self.add("1", t.id, f"{t.id}: lead '{c.lead}' may not lead: {why}")

        # Rule 2: every member within max_distance_km of the site.
        if c.site is not None and t.max_distance_km is not None:
            for a in members:
                d = self._dist(a, c.site)
                if d is not None and not _within(d, t.max_distance_km, tol):
                    self.add(
                        "2",
                        t.id,
                        f"{t.id}: '{a.id}' is {_fmt(d)} km from site '{c.site}', "
                        f"limit {_fmt(t.max_distance_km)} km",
                    )

        # Rule 3: each requirement delivered by >= redundancy distinct members who may deliver it.
        for req in t.requirements:
            valid = 0
            for a in members:
                if req.capability not in c.delivers.get(a.id, set()):
                    continue
                why = _may_deliver_reason(inst, a, req)
                if why:
                    self.add(
                        "3",
                        t.id,
                        f"{t.id}: '{a.id}' may not deliver '{req.capability}' "
                        f"(level {_fmt(req.level)}): {why}",
                    )
                else:
                    valid += 1
            if valid < req.redundancy:
                self.add(
                    "3",
                    t.id,
                    f"{t.id}: requirement '{req.capability}' (level {_fmt(req.level)}) delivered "
                    f"by {valid} member(s), needs {_fmt(req.redundancy)}",
                )

        # Rule 4: no free riders. A member only "delivers" what it may deliver.
        if pol.no_free_riders:
            for a in members:
                if a.id == c.lead:
                    continue
                useful = [
                    cap
                    for cap in c.delivers.get(a.id, set())
                    if (rq := t.requirement(cap)) is not None
                    and _may_deliver_reason(inst, a, rq) is None
                ]
                if not useful:
                    self.add("4", t.id,
                             f"{t.id}: '{a.id}' is a free rider (delivers no requirement)")

        # Rule 5: both ends.
        if pol.require_both_ends:
            if not any(a.type in R_TYPES for a in members):
                self.add("5", t.id,
                         f"{t.id}: no member from the research end (institute, university, lab)")
            if not any(a.type in E_TYPES for a in members):
                self.add("5", t.id, f"{t.id}: no member from the market end (enterprise, sme)")

        # Rule 6: size bounds (lead included).
        if n < t.min_members:
            self.add("6", t.id, f"{t.id}: {n} member(s), min_members is {_fmt(t.min_members)}")
        if t.max_members is not None and n > t.max_members:
            self.add("6", t.id, f"{t.id}: {n} member(s), max_members is {_fmt(t.max_members)}")

        # Rule 7: state share. The product share*n is float: compare with tolerance.
        state = sum(1 for a in members if a.type in E_TYPES and a.ownership == "state")
        cap = pol.max_state_share * n
        if not _within(state, cap, tol):
            self.add(
                "7",
                t.id,
                f"{t.id}: {state} state enterprise(s) among {n} members exceeds "
                f"max_state_share {_fmt(pol.max_state_share)} (cap {_fmt(cap)})",
            )

        # Rule 8: private members.
        private = sum(1 for a in members if a.ownership == "private")
        if private < pol.min_private_members:
            self.add(
                "8",
                t.id,
                f"{t.id}: {private} private member(s), min_private_members is "
                f"{_fmt(pol.min_private_members)}",
            )

        # Rule 9: outside members, only where the sponsor has a region.
        region = inst.sponsor_region.get(t.sponsor) if t.sponsor is not None else None
        if region is not None and pol.min_outside_members > 0:
            outside = sum(1 for a in members if a.region != region)
            if outside < pol.min_outside_members:
                self.add(
                    "9",
                    t.id,
                    f"{t.id}: {outside} member(s) from outside region '{region}', "
                    f"min_outside_members is {_fmt(pol.min_outside_members)}",
                )

        # Rule 10: conflicts.
        ids = set(c.members)
        for x, y in inst.conflicts:
            if x in ids and y in ids:
                self.add("10", t.id,
                         f"{t.id}: '{x}' and '{y}' are in conflict but both are members")

        # Rule 15 (section 7.1): composition, the target's list replacing the policy's.
        rules = pol.composition if t.composition is None else t.composition
        for r in rules:
            k = sum(1 for a in members if r.matches(a))
            if k < r.min or (r.max is not None and k > r.max):
                what = "+".join(sorted(r.types)) if r.types is not None else "any type"
                if r.ownership is not None:
                    what += f" ({'+'.join(sorted(r.ownership))})"
                rng = f"{_fmt(r.min)}..{_fmt(r.max) if r.max is not None else ''}"
                self.add("15", t.id, f"{t.id}: {k} member(s) of {what}, composition asks {rng}")

        # Rule 16 (section 7.2): distinct regions.
        need = pol.min_regions if t.min_regions is None else t.min_regions
        regions = {repr(a.region) for a in members}
        if len(regions) < need:
            self.add("16", t.id, f"{t.id}: members from {len(regions)} region(s), "
                     f"min_regions is {_fmt(need)}")

        # Rule 12 (per target part): recompute the spend from the plan alone.
        c.spend = self._spend(c)
        if t.budget is not None and not _within(c.spend, t.budget, tol):
            self.add("12", t.id,
                     f"{t.id}: spend {_fmt(c.spend)} exceeds the target budget {_fmt(t.budget)}")

    def _dist(self, a: _Actor, site: str) -> float | None:
        lat, lon = self.inst.sites.get(site, (None, None))
        if lat is None or lon is None or a.lat is None or a.lon is None:
            return None
        return haversine_km(a.lat, a.lon, lat, lon)

    def _spend(self, c: _Consortium) -> float:
        total = 0.0
        for m in c.members:
            a = self.inst.actors[m]
            total += (1.0 + _rate(self.inst, a)) * a.base(c.target.id)
        if c.lead is not None:
            lead = self.inst.actors[c.lead]
            if lead.lead_cost is not None:  # a lead without lead_cost is already a rule-1 violation
                total += (1.0 + _rate(self.inst, lead)) * lead.lead_cost
        return total

    # ---------------- section 4, contracts of one consortium ----------------

    def check_contracts(self, c: _Consortium) -> None:
        t, tol, inst = c.target, self.tol, self.inst
        reward_sum = 0.0
        for m in c.members:
            k = c.contracts.get(m)
            if k is None:
                self.add(RULE_CONTRACT, t.id, f"{t.id}: member '{m}' has no contract")
                continue
            a = inst.actors[m]
            want_role = "lead" if m == c.lead else "member"
            if k.get("role") != want_role:
                self.add(RULE_CONTRACT, t.id,
                         f"{t.id}: '{m}' has role {k.get('role')!r}, expected '{want_role}'")

            nums: dict[str, float] = {}
            for key in ("base", "lead_fee", "bonus", "reward"):
                v = _num(k.get(key))
                if v is None:
                    self.add(RULE_FORMAT, t.id,
                             f"{t.id}: contract of '{m}': '{key}' missing or not a number")
                else:
                    nums[key] = v
            rate = _rate(inst, a)
            exp_base = a.base(t.id)
            exp_fee = (a.lead_cost or 0.0) if m == c.lead else 0.0
            if "base" in nums and not _close(nums["base"], exp_base, tol):
                self.add(RULE_CONTRACT, t.id,
                         f"{t.id}: '{m}' base {_fmt(nums['base'])}, expected {_fmt(exp_base)}")
            if "lead_fee" in nums and not _close(nums["lead_fee"], exp_fee, tol):
                self.add(
                    RULE_CONTRACT,
                    t.id,
                    f"{t.id}: '{m}' lead_fee {_fmt(nums['lead_fee'])}, expected {_fmt(exp_fee)}",
                )
            # Arithmetic on the contract's own figures, so that one wrong base is
            # reported once (above) and not again as a wrong bonus and reward.
            if {"base", "lead_fee", "bonus"} <= nums.keys():
                exp_bonus = rate * (nums["base"] + nums["lead_fee"])
                if not _close(nums["bonus"], exp_bonus, tol):
                    self.add(
                        RULE_CONTRACT,
                        t.id,
                        f"{t.id}: '{m}' bonus {_fmt(nums['bonus'])}, expected rate {_fmt(rate)} x "
                        f"(base + lead_fee) = {_fmt(exp_bonus)}",
                    )
                if "reward" in nums:
                    exp_reward = nums["base"] + nums["lead_fee"] + nums["bonus"]
                    if not _close(nums["reward"], exp_reward, tol):
                        self.add(
                            RULE_CONTRACT,
                            t.id,
                            f"{t.id}: '{m}' reward {_fmt(nums['reward'])}, "
                            f"expected base + lead_fee + bonus = {_fmt(exp_reward)}",
                        )
            reward_sum += nums.get("reward", 0.0)

            got = k.get("instruments")
            want = inst.policy.instruments.get(str(a.type), [])
            if not isinstance(got, list):
                self.add(RULE_FORMAT, t.id,
                         f"{t.id}: contract of '{m}': 'instruments' missing or not a list")
            elif sorted(map(str, got)) != sorted(map(str, want)):
                # Order-insensitive: the spec names the set of instruments, not an order.
                self.add(
                    RULE_CONTRACT,
                    t.id,
                    f"{t.id}: '{m}' instruments {got}, expected those of type '{a.type}': {want}",
                )

        if c.reported_spend is not None:
            if not _close(reward_sum, c.reported_spend, tol):
                self.add(
                    RULE_CONTRACT,
                    t.id,
                    f"{t.id}: rewards sum to {_fmt(reward_sum)} "
                    f"but spend is {_fmt(c.reported_spend)}",
                )
            if not _close(c.reported_spend, c.spend, tol):
                self.add(
                    RULE_CONTRACT,
                    t.id,
                    f"{t.id}: reported spend {_fmt(c.reported_spend)}, recomputed {_fmt(c.spend)}",
                )

    # ---------------- section 3, across targets ----------------

    def check_across(self) -> None:
        inst, tol = self.inst, self.tol
        formed = {c.target.id: c for c in self.plan}

        # Rule 1 (second half): mandatory targets are formed.
        for t in inst.targets.values():
            if t.mandatory and t.id not in formed:
                self.add("1", t.id, f"{t.id}: mandatory target is not formed")

        # Rule 11: capacities. The lead counts once in each (it is one member).
        joins: dict[str, list[str]] = {}
        leads: dict[str, list[str]] = {}
        for c in self.plan:
            for m in c.members:
                joins.setdefault(m, []).append(c.target.id)
            if c.lead is not None:
                leads.setdefault(c.lead, []).append(c.target.id)
        joins_all = joins
        if inst.programme is not None:
            joins, leads = {}, {}  # rule 11 binds per year (section 7.3)
        for a_id, ts in joins.items():
            a = inst.actors[a_id]
            if len(ts) > a.max_consortia:
                self.add(
                    "11",
                    None,
                    f"'{a_id}' joins {len(ts)} consortia ({', '.join(ts)}), max_consortia is "
                    f"{_fmt(a.max_consortia)}",
                )
        for a_id, ts in leads.items():
            a = inst.actors[a_id]
            if len(ts) > a.max_lead:
                self.add(
                    "11",
                    None,
                    f"'{a_id}' leads {len(ts)} consortia ({', '.join(ts)}), "
                    f"max_lead is {_fmt(a.max_lead)}",
                )

        # Rule 12: sponsor and total budgets (target budgets are checked per consortium).
        per_sponsor: dict[str, float] = {}
        for c in self.plan:
            if c.target.sponsor is not None:
                per_sponsor[c.target.sponsor] = per_sponsor.get(c.target.sponsor, 0.0) + c.spend
        for sp, spend in per_sponsor.items():
            budget = inst.sponsor_budget.get(sp)
            if budget is not None and not _within(spend, budget, tol):
                self.add("12", None,
                         f"sponsor '{sp}': spend {_fmt(spend)} exceeds its budget {_fmt(budget)}")
        total = sum(c.spend for c in self.plan)
        tb = inst.policy.total_budget
        if tb is not None and not _within(total, tb, tol):
            self.add("12", None,
                     f"total spend {_fmt(total)} exceeds policy.total_budget {_fmt(tb)}")

        # Rule 13: exclusive groups.
        for g in inst.exclusive:
            on = [t for t in g if t in formed]
            if len(on) > 1:
                self.add(
                    "13",
                    None,
                    f"exclusive group {g}: {len(on)} targets formed ({', '.join(on)}), at most 1",
                )

        # Rule 14: fixed decisions.
        for t_id, a_id in inst.fixed_leads.items():
            fc = formed.get(t_id)
            if fc is None:
                self.add("14", t_id, f"{t_id}: fixed lead '{a_id}' but the target is not formed")
            elif fc.lead != a_id:
                self.add("14", t_id, f"{t_id}: fixed lead is '{a_id}', plan has '{fc.lead}'")
        for t_id, a_id in inst.fixed_members:
            fc = formed.get(t_id)
            if fc is None:
                self.add("14", t_id, f"{t_id}: fixed member '{a_id}' but the target is not formed")
            elif a_id not in fc.members:
                self.add("14", t_id, f"{t_id}: fixed member '{a_id}' is not a member")
        for t_id, a_id in inst.forbidden_pairs:
            fc = formed.get(t_id)
            if fc is not None and a_id in fc.members:
                self.add("14", t_id,
                         f"{t_id}: '{a_id}' is forbidden in this target but is a member")
        for a_id in inst.forbidden_actors:
            if a_id in joins_all:
                self.add("14", None,
                         f"forbidden actor '{a_id}' joins {', '.join(joins_all[a_id])}")

        if inst.programme is not None:
            self.check_programme(formed)

    # ---------------- section 7.3, across targets and years ----------------

    def check_programme(self, formed: dict[str, _Consortium]) -> None:
        inst, tol = self.inst, self.tol
        pr = inst.programme
        assert pr is not None
        dated = [c for c in self.plan if c.start is not None]

        def active(c: _Consortium, year: float) -> bool:
            return c.start is not None and c.start <= year <= c.start + c.target.duration - 1

        # Rule 17: after.
        for c in dated:
            for u in dict.fromkeys(c.target.after):
                cu = formed.get(u)
                if cu is None:
                    self.add("17", c.target.id, f"{c.target.id}: needs '{u}' to deliver first, "
                             "but it is not formed")
                elif cu.start is not None and c.start is not None and (
                        cu.start + cu.target.duration > c.start):
                    self.add("17", c.target.id, f"{c.target.id}: starts in {_fmt(c.start)}, "
                             f"before '{u}' has delivered (it ends in "
                             f"{_fmt(cu.start + cu.target.duration - 1)})")
        # Fixed start years (they also form the target).
        for tid, year in inst.fixed_starts.items():
            fc = formed.get(tid)
            if fc is None:
                self.add("14", tid, f"{tid}: fixed start {_fmt(year)} but the target is not formed")
            elif fc.start is not None and fc.start != year:
                self.add("14", tid, f"{tid}: fixed start is {_fmt(year)}, plan has "
                         f"{_fmt(fc.start)}")
        years = [pr.start + k for k in range(int(pr.years))]
        for year in years:
            on = [c for c in dated if active(c, year)]
            # Rule 11 by year: capacity among the consortia active in the year.
            joins: dict[str, list[str]] = {}
            leads: dict[str, list[str]] = {}
            for c in on:
                for m in c.members:
                    joins.setdefault(m, []).append(c.target.id)
                if c.lead is not None:
                    leads.setdefault(c.lead, []).append(c.target.id)
            for what, table in (("max_consortia", joins), ("max_lead", leads)):
                for a_id, ts in table.items():
                    a = inst.actors[a_id]
                    cap = a.max_consortia if what == "max_consortia" else a.max_lead
                    if len(ts) > cap:
                        self.add("11", None, f"'{a_id}' in {_fmt(year)} is in {len(ts)} active "
                                 f"consortia ({', '.join(ts)}) as "
                                 f"{'member' if what == 'max_consortia' else 'lead'}, "
                                 f"{what} is {_fmt(cap)}")
            # Rule 12 by year: what is paid in the year.
            key = str(int(year))
            paid = {c.target.id: c.spend / c.target.duration for c in on}
            total_cap = inst.policy.total_budget_by_year.get(key)
            if total_cap is not None and not _within(sum(paid.values()), total_cap, tol):
                self.add("12", None, f"paid in {key}: {_fmt(sum(paid.values()))} exceeds "
                         f"policy.total_budget_by_year {_fmt(total_cap)}")
            for sp, caps in inst.sponsor_budget_by_year.items():
                if key not in caps:
                    continue
                spent = sum(p for tid, p in paid.items() if inst.targets[tid].sponsor == sp)
                if not _within(spent, caps[key], tol):
                    self.add("12", None, f"sponsor '{sp}' pays {_fmt(spent)} in {key}, above "
                             f"its budget_by_year {_fmt(caps[key])}")
        # Rule 18: milestones.
        for year, need in pr.milestones:
            n = sum(1 for c in dated if c.start is not None and c.start <= year)
            if n < need:
                self.add("18", None, f"milestone {_fmt(year)}: {n} target(s) formed with a start "
                         f"by then, {_fmt(need)} needed")

    # ---------------- section 4, coverage ----------------

    def check_coverage(self) -> None:
        formed = {c.target.id for c in self.plan}
        unformed: set[str] = set()
        raw = self.sol.get("unformed", [])
        if not isinstance(raw, list):
            self.add(RULE_FORMAT, None, "'unformed' is not a list")
            raw = []
        for i, u in enumerate(raw):
            if not isinstance(u, dict):
                self.add(RULE_FORMAT, None, f"unformed[{i}]: not an object")
                continue
            tid = u.get("target")
            if not isinstance(tid, str) or tid not in self.inst.targets:
                self.add(RULE_FORMAT, None, f"unformed[{i}].target: unknown target {_q(tid)}")
                continue
            if tid in unformed:
                self.add(RULE_COVERAGE, tid, f"{tid}: appears more than once in 'unformed'")
                continue
            unformed.add(tid)
            if tid in formed:
                self.add(RULE_COVERAGE, tid, f"{tid}: listed both in 'consortia' and in 'unformed'")
            reason = u.get("reason")
            if not isinstance(reason, str) or not reason.strip():
                self.add(RULE_COVERAGE, tid, f"{tid}: unformed without a reason")
        for tid in self.inst.targets:
            if tid not in formed and tid not in unformed:
                self.add(RULE_COVERAGE, tid,
                         f"{tid}: appears neither in 'consortia' nor in 'unformed'")

    # ---------------- objective ----------------

    def objective(self) -> float:
        w = self.inst.policy.weights
        pr = self.inst.programme
        value = spend = 0.0
        for c in self.plan:
            if pr is None or c.start is None:
                value += c.target.value
                spend += c.spend
            else:  # section 7.3: value discounted from the start, cost from each year paid
                n = int(c.target.duration)
                value += c.target.value * pr.d(c.start)
                spend += sum(c.spend / n * pr.d(c.start + j) for j in range(n))
        dist = 0.0
        ties = 0.0
        for c in self.plan:
            if c.site is not None:
                for m in c.members:
                    d = self._dist(self.inst.actors[m], c.site)
                    dist += d or 0.0
            ties += self.inst.tie_weight(set(c.members))
        return w["value"] * value - w["cost"] * spend - w["distance"] * dist + w["ties"] * ties


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------


def verify_solution(instance: dict, solution: dict, *, tol: float = 1e-6) -> VerifyResult:
    """Check `solution` against `instance` by SPEC sections 3 and 4; never raises."""
    return Verifier(instance).verify(solution, tol=tol)


class Verifier:
    """:func:`verify_solution` for many plans of one instance: the instance
    is read once (the plans of a ranking, a sweep's repeats). The instance JSON
    must not change while the verifier is in use."""

    def __init__(self, instance: Any):
        self._raw = instance
        self._inst: _Instance | None = None
        self._failed: Exception | None = None

    def verify(self, solution: Any, *, tol: float = 1e-6) -> VerifyResult:
        """Check ``solution`` (see :func:`verify_solution`); never raises."""
        try:
            return _verify(self._raw, solution, tol, self._read)
        except Exception as exc:  # noqa: BLE001 - a verifier must report, not crash
            return VerifyResult(
                [
                    Violation(RULE_FORMAT, None,
                              f"could not verify (malformed input?): {type(exc).__name__}: {exc}")
                ],
                None,
                0.0,
            )

    def _read(self) -> _Instance:
        if self._failed is not None:
            raise self._failed
        if self._inst is None:
            try:
                self._inst = _read_instance(self._raw)
            except Exception as exc:
                self._failed = exc
                raise
        return self._inst


def _verify(instance: Any, solution: Any, tol: float,
            read: Callable[[], _Instance] | None = None) -> VerifyResult:
    if not isinstance(instance, dict):
        return VerifyResult([Violation(RULE_FORMAT, None, "instance is not a JSON object")], None,
                            0.0)
    if not isinstance(solution, dict):
        return VerifyResult([Violation(RULE_FORMAT, None, "solution is not a JSON object")], None,
                            0.0)

    inst = read() if read is not None else _read_instance(instance)
    checker = _Checker(inst, solution, tol)
    for p in inst.problems:
        checker.add(RULE_FORMAT, None, f"instance: {p}")

    fmt = solution.get("format")
    if fmt != SOLUTION_FORMAT:
        checker.add(RULE_FORMAT, None, f"'format' is {fmt!r}, expected '{SOLUTION_FORMAT}'")

    status = solution.get("status")
    status_s = status if isinstance(status, str) else None
    reported = _num(solution.get("objective"))

    if status in NO_PLAN_STATUSES:
        # No plan to check. A non-empty 'consortia' contradicts the status.
        cons = solution.get("consortia")
        if cons not in (None, []):
            checker.add(RULE_FORMAT, None, f"status '{status}' but 'consortia' is not empty")
        return VerifyResult(checker.violations, None, 0.0, status_s, reported)

    if status not in PLAN_STATUSES:
        checker.add(
            RULE_FORMAT,
            None,
            f"'status' is {status!r}, expected one of {list(PLAN_STATUSES + NO_PLAN_STATUSES)}",
        )

    checker.read_consortia()
    for c in checker.plan:
        checker.check_consortium(c)  # also computes c.spend
        checker.check_contracts(c)
    checker.check_across()
    checker.check_coverage()

    objective = checker.objective()
    spend_total = sum(c.spend for c in checker.plan)

    if status in PLAN_STATUSES:
        if reported is None:
            checker.add(RULE_FORMAT, None,
                        f"'objective' missing or not a number ({solution.get('objective')!r})")
        elif abs(reported - objective) > tol * max(1.0, abs(objective)):
            checker.add(
                RULE_OBJECTIVE,
                None,
                f"reported objective {_fmt(reported)} "
                f"but the plan's objective is {_fmt(objective)}",
            )

    return VerifyResult(checker.violations, objective, spend_total, status_s, reported)


def format_result(result: VerifyResult, reported_objective: float | None = None, *,
                  money: Callable[[float], str] | None = None,
                  objective: Callable[[float], str] | None = None) -> str:
    """Human-readable report: one line per violation, then the recomputed
    figures; ``money`` and ``objective`` format the spend and the objectives
    (the command line rounds money at the currency's precision, as every
    output does; the violations keep the verifier's own precision, which a
    limit exceeded by a cent's fraction needs)."""
    show_money = money or _fmt
    show_objective = objective or _fmt
    if reported_objective is None:
        reported_objective = result.reported_objective
    lines: list[str] = []
    if result.objective is None:
        status = result.status or "no plan"
        lines.append(f"no plan to check (status '{status}')")
    if result.ok:
        if result.objective is not None:
            lines.append("OK: the plan satisfies every rule of sections 3 and 4")
    else:
        lines.append(f"{len(result.violations)} violation(s):")
        for v in result.violations:
            lines.append(f"  [rule {v.rule}] {v.message}")
    if result.objective is not None:
        line = f"recomputed objective: {show_objective(result.objective)}"
        if reported_objective is not None:
            line += f" (reported {_reported(reported_objective, show_objective)})"
        lines.append(line)
        lines.append(f"recomputed total spend: {show_money(result.spend_total)}")
    return "\n".join(lines)
