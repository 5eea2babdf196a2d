"""The instance file (`consortium-instance/1`): reading, defaults and validation.

Reading happens in two visible steps, as in PyVRP's ``read.py``:

1. ``parse``: raw bytes -> JSON value (duplicate keys, truncation and
   non-JSON are caught here with the line and column);
2. ``Instance.model_validate`` + ``_check_references``: field types, ranges and
   defaults (pydantic), then every cross-reference and cross-field rule of
   SPEC section 2.

Every problem is reported as ``path: message`` where ``path`` is the JSON path
(``targets[3].requirements[0].capability``). The optimisation code only ever
sees a validated :class:`Instance`.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    model_validator,
)

from ..errors import InstanceError
from ..spec import (
    ACTOR_TYPES,
    DEFAULT_LEAD_TYPES,
    INSTANCE_FORMAT,
    MARKET_END,
    MODES,
    OWNERSHIPS,
    REL_TOL,
    RESEARCH_END,
)
from .hints import choice_hint, did_you_mean
from .jsonfile import parse, read_text
from .repair import clean_loc, path_of, related, repair

__all__ = [
    "ACTOR_TYPES",
    "DEFAULT_LEAD_TYPES",
    "FORMAT",
    "MARKET_END",
    "MODES",
    "OWNERSHIPS",
    "REL_TOL",
    "RESEARCH_END",
    "Instance",
    "InstanceError",
    "from_dict",
    "json_schema",
    "load",
    "load_raw",
    "parse",
    "read_text",
    "region_warnings",
    "unknown_keys",
]

FORMAT = INSTANCE_FORMAT


# ---------------------------------------------------------------- field types


def _integral(v: Any) -> Any:
    """Integer fields accept integral numbers (``3`` or ``3.0``), never booleans."""
    if type(v) is int:
        return v
    if isinstance(v, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError("non-finite number")
        if not v.is_integer():
            raise ValueError(f"expected an integer, got {v}")
        return int(v)
    return v


Num = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NonNeg = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0)]
Pos = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)]
# Field before BeforeValidator: the bounds then go into pydantic-core's own int
# check instead of two Python validators per value (3x faster on a file with
# tens of thousands of capability levels; same errors).
Int0 = Annotated[int, Field(strict=True, ge=0), BeforeValidator(_integral)]
Int1 = Annotated[int, Field(strict=True, ge=1), BeforeValidator(_integral)]
Level = Annotated[int, Field(strict=True, ge=1, le=9), BeforeValidator(_integral)]
Lat = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-90, le=90)]
Lon = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-180, le=180)]
Id = Annotated[str, Field(strict=True, min_length=1)]
Year = Annotated[int, Field(strict=True), BeforeValidator(_integral)]
ActorType = Literal["enterprise", "sme", "institute", "university", "lab"]
Ownership = Literal["state", "private", "foreign"]


class _Model(BaseModel):
    # Unknown keys are kept (and reported as warnings by ``unknown_keys``) rather
    # than rejected: files written for a later format revision still load.
    model_config = ConfigDict(extra="allow", frozen=False)

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        """``null`` in an optional field means "absent": its default applies
        (``"max_consortia": null`` is 1, ``"budget": null`` is no cap)."""
        # Runs once per object of the file (thousands of actors): the common
        # case, no null at all, is one scan in C.
        if isinstance(data, dict) and None in data.values():
            optional = cls._optional_fields()
            drop = [k for k, v in data.items() if v is None and k in optional]
            if drop:
                data = {k: v for k, v in data.items() if k not in drop}
        return data

    @classmethod
    @functools.cache
    def _optional_fields(cls) -> frozenset[str]:
        return frozenset(k for k, f in cls.model_fields.items() if not f.is_required())


class Capability(_Model):
    id: Id
    name: StrictStr | None = None
    chokepoint: StrictBool = False


class Site(_Model):
    id: Id
    name: StrictStr | None = None
    lat: Lat
    lon: Lon


class Sponsor(_Model):
    id: Id
    name: StrictStr | None = None
    budget: NonNeg | None = None
    region: StrictStr | None = None
    budget_by_year: dict[str, NonNeg] | None = None  # SPEC 7.3: year -> cap


class Actor(_Model):
    id: Id
    name: StrictStr | None = None
    type: ActorType
    ownership: Ownership
    region: StrictStr
    lat: Lat
    lon: Lon
    capabilities: dict[str, Level] = Field(default_factory=dict)
    cost: NonNeg
    lead_cost: NonNeg | None = None
    max_consortia: Int0 = 1
    max_lead: Int0 = 1
    bids: dict[str, NonNeg] = Field(default_factory=dict)


class Requirement(_Model):
    capability: Id
    level: Level = 1
    redundancy: Int1 = 1


class CompositionRule(_Model):
    """SPEC 7.1 (rule 15): between ``min`` and ``max`` members match."""

    types: list[ActorType] | None = None
    ownership: list[Ownership] | None = None
    min: Int0 = 0
    max: Int0 | None = None

    @model_validator(mode="after")
    def _check(self) -> CompositionRule:
        if self.types is None and self.ownership is None:
            raise ValueError("a composition rule needs types or ownership (or both)")
        for name in ("types", "ownership"):
            if getattr(self, name) == []:
                raise ValueError(f"{name} must not be empty")
        if self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} > max {self.max}")
        return self

    def matches(self, actor_type: str, ownership: str) -> bool:
        return (self.types is None or actor_type in self.types) and (
            self.ownership is None or ownership in self.ownership
        )

    def describe(self) -> str:
        """``enterprises or smes``, ``state actors``, ``private universities``."""
        plural = {"university": "universities"}
        who = (" or ".join(plural.get(t, f"{t}s") for t in self.types) if self.types
               else "actors")
        if self.ownership:
            who = f"{' or '.join(self.ownership)} {who}"
        return who


class Target(_Model):
    id: Id
    name: StrictStr | None = None
    mode: Literal["research", "economic"]
    sponsor: StrictStr | None = None
    value: Num = 0.0
    mandatory: StrictBool = False
    budget: NonNeg | None = None
    sites: Annotated[list[Id], Field(min_length=1)]
    max_distance_km: NonNeg | None = None
    min_members: Int0 = 1
    max_members: Int0 | None = None
    requirements: list[Requirement] = Field(default_factory=list)
    # SPEC 7: composition replaces policy.composition; programme fields.
    composition: list[CompositionRule] | None = None
    min_regions: Int1 | None = None
    duration: Int1 | None = None
    earliest: Year | None = None
    latest: Year | None = None
    after: list[Id] = Field(default_factory=list)


class Tie(_Model):
    a: Id
    b: Id
    weight: Pos = 1.0


class Conflict(_Model):
    a: Id
    b: Id


class Weights(BaseModel):
    # An unknown weight is an error (SPEC 2), unlike other unknown keys.
    model_config = ConfigDict(extra="forbid")
    value: Num = 1.0
    cost: Num = 1.0
    distance: Num = 0.0
    ties: Num = 0.0


class Incentive(_Model):
    bonus_rate: NonNeg = 0.0
    instruments: list[StrictStr] = Field(default_factory=list)


class Policy(_Model):
    total_budget: NonNeg | None = None
    require_both_ends: StrictBool = True
    no_free_riders: StrictBool = True
    max_state_share: NonNeg = 1.0
    min_private_members: Int0 = 0
    min_outside_members: Int0 = 0
    chokepoints_domestic_only: StrictBool = True
    foreign_can_lead: StrictBool = False
    lead_types: dict[str, list[ActorType]] = Field(default_factory=dict)
    weights: Weights = Field(default_factory=Weights)
    incentives: dict[str, Incentive] = Field(default_factory=dict)
    composition: list[CompositionRule] = Field(default_factory=list)  # SPEC 7.1
    min_regions: Int1 = 1  # SPEC 7.2
    total_budget_by_year: dict[str, NonNeg] | None = None  # SPEC 7.3

    def lead_types_for(self, mode: str) -> tuple[str, ...]:
        """A ``lead_types`` that names one mode keeps the default for the other."""
        if mode in self.lead_types:
            return tuple(self.lead_types[mode])
        return DEFAULT_LEAD_TYPES[mode]

    def rate(self, actor_type: str) -> float:
        inc = self.incentives.get(actor_type)
        return inc.bonus_rate if inc is not None else 0.0

    def instruments(self, actor_type: str) -> list[str]:
        inc = self.incentives.get(actor_type)
        return list(inc.instruments) if inc is not None else []


Pair = Annotated[list[Id], Field(min_length=2, max_length=2)]


class Fixed(_Model):
    leads: dict[str, Id] = Field(default_factory=dict)
    members: list[Pair] = Field(default_factory=list)
    forbidden: list[Pair] = Field(default_factory=list)
    forbidden_actors: list[Id] = Field(default_factory=list)
    starts: dict[str, Year] = Field(default_factory=dict)  # SPEC 7.3: target -> start year


class Milestone(_Model):
    year: Year
    min_formed: Int0


class Programme(_Model):
    """SPEC 7.3: the programme's years ``start .. start + years - 1``."""

    start: Year
    years: Int1
    discount_rate: NonNeg = 0.0
    milestones: list[Milestone] = Field(default_factory=list)

    @property
    def end(self) -> int:
        """The last year of the programme."""
        return self.start + self.years - 1

    @property
    def year_list(self) -> list[int]:
        return list(range(self.start, self.start + self.years))

    def discount(self, year: int) -> float:
        """``d(y) = (1 + discount_rate) ** -(y - start)``."""
        return float((1.0 + self.discount_rate) ** -(year - self.start))


class Instance(_Model):
    format: Literal["consortium-instance/1"] = "consortium-instance/1"  # FORMAT
    name: StrictStr | None = None
    currency: StrictStr | None = None
    capabilities: list[Capability] = Field(default_factory=list)
    sites: list[Site]
    sponsors: list[Sponsor] = Field(default_factory=list)
    actors: list[Actor] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    ties: list[Tie] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    exclusive: list[list[Id]] = Field(default_factory=list)
    policy: Policy = Field(default_factory=Policy)
    fixed: Fixed = Field(default_factory=Fixed)
    programme: Programme | None = None  # SPEC 7.3

    # ------------------------------------------------------------ semantics

    def composition_of(self, target: Target) -> list[CompositionRule]:
        """Rule 15's rules for ``target``: its own list, else the policy's."""
        return self.policy.composition if target.composition is None else target.composition

    def min_regions_of(self, target: Target) -> int:
        """Rule 16's number for ``target``."""
        return self.policy.min_regions if target.min_regions is None else target.min_regions

    def duration_of(self, target: Target) -> int:
        return 1 if target.duration is None else target.duration

    def window(self, target: Target) -> tuple[int, int]:
        """SPEC 7.3: the earliest and latest start year (after defaults and capping;
        ``(0, 0)`` without a programme)."""
        pr = self.programme
        if pr is None:
            return 0, 0
        last = pr.start + pr.years - self.duration_of(target)
        lo = pr.start if target.earliest is None else target.earliest
        hi = last if target.latest is None else min(target.latest, last)
        return lo, hi

    def may_lead(self, actor: Actor, target: Target) -> bool:
        """SPEC 3: lead_cost set, type allowed for the mode, foreign only if allowed."""
        return (
            actor.lead_cost is not None
            and actor.type in self.policy.lead_types_for(target.mode)
            and (actor.ownership != "foreign" or self.policy.foreign_can_lead)
        )

    def base(self, actor: Actor, target_id: str) -> float:
        return actor.bids.get(target_id, actor.cost)

    @property
    def display_name(self) -> str:
        return self.name or "instance"


# ---------------------------------------------------------------- reading


def _path(loc: tuple[Any, ...]) -> str:
    return path_of(loc)


_MESSAGES = {
    "missing": "required field is missing",
    "finite_number": "non-finite number (NaN or infinity) is not allowed",
}


def _as_written(data: Any, loc: tuple[Any, ...], fallback: Any) -> Any:
    """The value at ``loc`` in the file as read (a bounds error then shows
    ``10.0`` as written, not the ``10`` that integral floats become)."""
    for part in loc:
        if isinstance(data, dict) and isinstance(part, str) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return fallback
    return data


def _pydantic_messages(err: ValidationError, data: Any) -> list[str]:
    lines = []
    for e in err.errors():
        # pydantic appends the type name of the failing union/annotated branch
        # ("function-before[...]"); it means nothing to a planner.
        loc = clean_loc(tuple(e["loc"]))
        msg = _MESSAGES.get(e["type"], e["msg"])
        if e["type"] == "literal_error":
            msg = choice_hint(f"{msg} (got {e['input']!r})")
        elif e["type"] in ("greater_than_equal", "less_than_equal", "greater_than"):
            value = _as_written(data, loc, e["input"])
            msg = f"{value!r}: {msg[0].lower()}{msg[1:]}"
        elif e["type"] == "extra_forbidden" and loc[:2] == ("policy", "weights"):
            msg = f"unknown weight {loc[-1]!r} (expected value, cost, distance, ties)"
        elif e["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        lines.append(f"{_path(loc)}: {msg[0].lower()}{msg[1:]}")
    return lines


def from_dict(data: Any) -> Instance:
    """JSON value -> validated :class:`Instance` (raises :class:`InstanceError`)."""
    if not isinstance(data, dict):
        raise InstanceError([f"(top level): must be a JSON object, got {type(data).__name__}"])
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise InstanceError([f"format: unknown format {fmt!r} (expected {FORMAT!r})"])
    try:
        inst = Instance.model_validate(data)
    except ValidationError as e:
        # Every problem at once: the field errors, then the cross-references
        # of a repaired copy, less those about a repaired place (they would
        # only repeat a field error).
        errors = _pydantic_messages(e, data)
        fixed = repair(Instance, data, e.errors())
        if fixed is None:
            raise InstanceError(errors) from None
        partial, fixed_data, repaired = fixed
        assert isinstance(partial, Instance)
        later = _check_references(partial, repaired) + _check_programme(partial, fixed_data,
                                                                         repaired)
        raise InstanceError(errors + [m for m in later
                                      if not related(m.split(": ", 1)[0], repaired)]) from None
    errors = _check_references(inst)
    errors += _check_programme(inst, data)
    if errors:
        raise InstanceError(errors)
    return inst


def load(path: str | Path) -> Instance:
    """Read, parse and validate an instance file; the name defaults to the file stem."""
    return load_raw(path)[0]


def load_raw(path: str | Path) -> tuple[Instance, Any]:
    """:func:`load`, and the parsed JSON value as read (validation leaves it
    untouched), for the independent verifier, which reads the raw file."""
    p = Path(path)
    raw = parse(read_text(p), str(p))
    inst = from_dict(raw)
    if inst.name is None:
        inst.name = p.stem
    return inst, raw


# ---------------------------------------------------------------- cross-checks


class _Ids(dict[str, int]):
    """id -> index of a top-level list. ``unknowable``: the list itself was in
    error (repaired away), so no reference into it is called unknown."""

    unknowable = False

    def __contains__(self, key: object) -> bool:
        return self.unknowable or dict.__contains__(self, key)

    def index(self, key: str) -> int | None:
        return dict.get(self, key)


_HINTS = 25  # did-you-mean hints per file (each scans every id of its kind)


def _check_references(inst: Instance, repaired: set[str] | None = None) -> list[str]:
    """Every cross-reference and cross-field rule of SPEC section 2. On a
    repaired copy (see :mod:`.repair`), ``repaired`` are the places in error:
    a list in error makes every reference into it unknowable, and the rules
    that read a repaired actor, target or policy field are not checked."""
    errs: list[str] = []
    repaired = repaired or set()
    hints = [_HINTS]

    def touched(path: str) -> bool:
        return related(path, repaired)

    def unknown(what: str, value: str, ids: dict[str, int]) -> str:
        """``unknown actor 'x'`` with the nearest id of that kind."""
        hint = ""
        if hints[0] > 0:
            hints[0] -= 1
            hint = did_you_mean(value, ids)
        return f"unknown {what} {value!r}{hint}"

    def unique(items: list[Any], what: str) -> _Ids:
        seen = _Ids()
        seen.unknowable = what in repaired
        for i, it in enumerate(items):
            if dict.__contains__(seen, it.id):
                errs.append(f"{what}[{i}].id: duplicate id {it.id!r} (also {what}[{seen[it.id]}])")
            else:
                seen[it.id] = i
        return seen

    caps = unique(inst.capabilities, "capabilities")
    sites = unique(inst.sites, "sites")
    sponsors = unique(inst.sponsors, "sponsors")
    actors = unique(inst.actors, "actors")
    targets = unique(inst.targets, "targets")

    for i, a in enumerate(inst.actors):
        for k in a.capabilities:
            if k not in caps:
                errs.append(f"actors[{i}].capabilities.{k}: {unknown('capability', k, caps)}")
        for tid in a.bids:
            if tid not in targets:
                errs.append(f"actors[{i}].bids.{tid}: {unknown('target', tid, targets)}")

    for i, t in enumerate(inst.targets):
        p = f"targets[{i}]"
        if t.sponsor is not None and t.sponsor not in sponsors:
            errs.append(f"{p}.sponsor: {unknown('sponsor', t.sponsor, sponsors)}")
        seen_sites: set[str] = set()
        for j, s in enumerate(t.sites):
            if s not in sites:
                errs.append(f"{p}.sites[{j}]: {unknown('site', s, sites)}")
            elif s in seen_sites:
                errs.append(f"{p}.sites[{j}]: site {s!r} listed twice")
            seen_sites.add(s)
        if t.max_members is not None and t.min_members > t.max_members:
            errs.append(
                f"{p}.min_members: min_members {t.min_members} > max_members {t.max_members}"
            )
        seen_caps: dict[str, int] = {}
        for j, r in enumerate(t.requirements):
            if r.capability not in caps:
                errs.append(f"{p}.requirements[{j}].capability: "
                            f"{unknown('capability', r.capability, caps)}")
            elif r.capability in seen_caps:
                errs.append(
                    f"{p}.requirements[{j}].capability: capability {r.capability!r} "
                    f"already required by requirements[{seen_caps[r.capability]}]"
                )
            seen_caps.setdefault(r.capability, j)

    def check_pair(path: str, a: str, b: str, what: str) -> bool:
        ok = True
        for key, v in (("a", a), ("b", b)):
            if v not in actors:
                errs.append(f"{path}.{key}: {unknown('actor', v, actors)}")
                ok = False
        if ok and a == b:
            errs.append(f"{path}: self-{what} of actor {a!r}")
            ok = False
        return ok

    seen_ties: dict[frozenset[str], int] = {}
    for i, tie in enumerate(inst.ties):
        if check_pair(f"ties[{i}]", tie.a, tie.b, "tie"):
            key = frozenset((tie.a, tie.b))
            if key in seen_ties:
                errs.append(
                    f"ties[{i}]: pair ({tie.a!r}, {tie.b!r}) already listed as "
                    f"ties[{seen_ties[key]}]"
                )
            seen_ties.setdefault(key, i)
    for i, c in enumerate(inst.conflicts):
        check_pair(f"conflicts[{i}]", c.a, c.b, "conflict")

    for i, group in enumerate(inst.exclusive):
        seen: set[str] = set()
        for j, tid in enumerate(group):
            if tid not in targets:
                errs.append(f"exclusive[{i}][{j}]: {unknown('target', tid, targets)}")
            elif tid in seen:
                errs.append(f"exclusive[{i}][{j}]: target {tid!r} listed twice in the group")
            seen.add(tid)

    pol = inst.policy
    for mode in pol.lead_types:
        if mode not in MODES:
            errs.append(f"policy.lead_types.{mode}: unknown mode {mode!r}"
                        f"{did_you_mean(mode, MODES)} (expected research or economic)")
    for typ in pol.incentives:
        if typ not in ACTOR_TYPES:
            errs.append(
                f"policy.incentives.{typ}: unknown actor type {typ!r}"
                f"{did_you_mean(typ, ACTOR_TYPES)} (expected one of {', '.join(ACTOR_TYPES)})"
            )

    fx = inst.fixed
    forbidden_actors = set()
    for i, aid in enumerate(fx.forbidden_actors):
        if aid not in actors:
            errs.append(f"fixed.forbidden_actors[{i}]: {unknown('actor', aid, actors)}")
        forbidden_actors.add(aid)
    forbidden_pairs: dict[tuple[str, str], int] = {}
    for i, (tid, aid) in enumerate(fx.forbidden):
        if tid not in targets:
            errs.append(f"fixed.forbidden[{i}][0]: {unknown('target', tid, targets)}")
        if aid not in actors:
            errs.append(f"fixed.forbidden[{i}][1]: {unknown('actor', aid, actors)}")
        forbidden_pairs.setdefault((tid, aid), i)

    def contradiction(path: str, t: str, a: str, what: str) -> None:
        if a in forbidden_actors:
            errs.append(f"{path}: {what} {a!r} of {t!r} is also in fixed.forbidden_actors")
        elif (t, a) in forbidden_pairs:
            errs.append(
                f"{path}: {what} {a!r} of {t!r} is also forbidden by "
                f"fixed.forbidden[{forbidden_pairs[(t, a)]}]"
            )

    lead_rules = ("policy.lead_types", "policy.foreign_can_lead")
    for tid, aid in fx.leads.items():
        path = f"fixed.leads.{tid}"
        if tid not in targets:
            errs.append(f"{path}: {unknown('target', tid, targets)}")
            continue
        if aid not in actors:
            errs.append(f"{path}: {unknown('actor', aid, actors)}")
            continue
        ai, ti = actors.index(aid), targets.index(tid)
        if ai is not None and ti is not None and not any(
                touched(w) for w in (f"actors[{ai}]", f"targets[{ti}]", *lead_rules)):
            actor, target = inst.actors[ai], inst.targets[ti]
            if not inst.may_lead(actor, target):
                errs.append(f"{path}: actor {aid!r} may not lead {tid!r} "
                            f"({_why_not_lead(inst, actor, target)})")
        contradiction(path, tid, aid, "fixed lead")
    for i, (tid, aid) in enumerate(fx.members):
        path = f"fixed.members[{i}]"
        bad = False
        if tid not in targets:
            errs.append(f"{path}[0]: {unknown('target', tid, targets)}")
            bad = True
        if aid not in actors:
            errs.append(f"{path}[1]: {unknown('actor', aid, actors)}")
            bad = True
        if not bad:
            contradiction(path, tid, aid, "fixed member")
    return errs


# Fields of SPEC 7.3 that need ``programme``: (where, keys).
_PROGRAMME_KEYS = {
    "targets": ("duration", "earliest", "latest", "after"),
    "sponsors": ("budget_by_year",),
    "policy": ("total_budget_by_year",),
    "fixed": ("starts",),
}


def _check_programme(inst: Instance, data: dict[str, Any],
                     repaired: set[str] | None = None) -> list[str]:
    """SPEC 7.3's cross-field rules: programme fields need a programme, years
    inside it, ``after`` names known targets without a cycle, windows not empty.
    ``repaired`` (see :func:`_check_references`): a programme in error is not
    checked against, nor the window of a target whose window fields are."""
    errs: list[str] = []
    repaired = repaired or set()
    if related("programme", repaired):
        return errs
    pr = inst.programme
    if pr is None:
        for where, keys in _PROGRAMME_KEYS.items():
            raw = data.get(where)
            items = raw if isinstance(raw, list) else [raw]
            for i, obj in enumerate(items):
                if not isinstance(obj, dict):
                    continue
                base = f"{where}[{i}]" if isinstance(raw, list) else where
                errs += [f"{base}.{k}: needs a programme (SPEC 7.3), and the instance has none"
                         for k in keys if k in obj]
        return errs
    years = f"{pr.start}..{pr.end}"

    def inside(path: str, year: int) -> bool:
        if pr.start <= year <= pr.end:
            return True
        errs.append(f"{path}: year {year} is outside the programme ({years})")
        return False

    for i, m in enumerate(pr.milestones):
        inside(f"programme.milestones[{i}].year", m.year)
    targets = _Ids((t.id, i) for i, t in enumerate(inst.targets))
    targets.unknowable = "targets" in repaired
    for i, t in enumerate(inst.targets):
        p = f"targets[{i}]"
        ok = True
        if t.earliest is not None:
            ok &= inside(f"{p}.earliest", t.earliest)
        if t.latest is not None:
            ok &= inside(f"{p}.latest", t.latest)
        lo, hi = inst.window(t)
        if ok and lo > hi and not any(related(f"{p}.{k}", repaired)
                                      for k in ("earliest", "latest", "duration")):
            d = inst.duration_of(t)
            last = pr.start + pr.years - d
            why = (f" (a {d}-year consortium must start by {last} to end inside the programme)"
                   if hi == last else "")
            errs.append(f"{p}.earliest: no start year: earliest {lo} > latest {hi}{why}")
        for j, u in enumerate(t.after):
            if u not in targets:
                errs.append(f"{p}.after[{j}]: unknown target {u!r}{did_you_mean(u, targets)}")
            elif u == t.id:
                errs.append(f"{p}.after[{j}]: target {u!r} cannot come after itself")
    if any(t.after for t in inst.targets):
        import networkx as nx

        g = nx.DiGraph()
        g.add_edges_from((u, t.id) for t in inst.targets for u in t.after
                         if u in targets and u != t.id)
        try:
            cycle = nx.find_cycle(g)
        except nx.NetworkXNoCycle:
            cycle = []
        if cycle:
            first = cycle[0][1]
            chain = " -> ".join([c[0] for c in cycle] + [cycle[-1][1]])
            errs.append(f"targets[{targets[first]}].after: a cycle of after: {chain}")

    def by_year(path: str, caps: dict[str, float] | None) -> None:
        for key in caps or {}:
            if not (key.isascii() and key.isdigit()):
                errs.append(f"{path}.{key}: a year key must be a decimal year such as "
                            f"\"{pr.start}\"")
            else:
                inside(f"{path}.{key}", int(key))

    for i, s in enumerate(inst.sponsors):
        by_year(f"sponsors[{i}].budget_by_year", s.budget_by_year)
    by_year("policy.total_budget_by_year", inst.policy.total_budget_by_year)
    for tid, year in inst.fixed.starts.items():
        if tid not in targets:
            errs.append(f"fixed.starts.{tid}: unknown target {tid!r}{did_you_mean(tid, targets)}")
        else:
            inside(f"fixed.starts.{tid}", year)
    return errs


def _why_not_lead(inst: Instance, actor: Actor, target: Target) -> str:
    if actor.lead_cost is None:
        return "it has no lead_cost"
    allowed = inst.policy.lead_types_for(target.mode)
    if actor.type not in allowed:
        return (
            f"type {actor.type!r} cannot lead a {target.mode} target "
            f"(allowed: {', '.join(allowed)})"
        )
    return "foreign actors may not lead (policy.foreign_can_lead is false)"


def region_warnings(inst: Instance) -> list[str]:
    """A sponsor's region that no actor has (a typo, most likely: rule 9 then
    counts every member as from outside it), with the nearest actor region."""
    regions = sorted({a.region for a in inst.actors})
    if not regions:
        return []
    return [f"sponsors[{i}].region: no actor is in region {s.region!r}"
            f"{did_you_mean(s.region, regions)}; every member counts as outside it (rule 9)"
            for i, s in enumerate(inst.sponsors)
            if s.region is not None and s.region not in regions]


def unknown_keys(inst: Instance) -> list[str]:
    """Keys the format does not define, as ``path: unknown field`` warnings."""
    out: list[str] = []

    import difflib

    def walk(obj: Any, path: str) -> None:
        if isinstance(obj, BaseModel):
            for k in obj.model_extra or {}:
                if not path and k == "$schema":
                    continue  # editors' JSON Schema reference
                near = difflib.get_close_matches(k, list(type(obj).model_fields), n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                out.append(f"{path + '.' if path else ''}{k}: unknown field (ignored{hint})")
            for name in type(obj).model_fields:
                walk(getattr(obj, name), f"{path + '.' if path else ''}{name}")
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                walk(v, f"{path}[{i}]")
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, f"{path}.{k}")

    walk(inst, "")
    return out


# What the section-7 fields of the schema say (``consortium schema``): their
# meaning, default and what is invalid (docs/FORMAT.md has the same).
_YEAR_KEYS = {"pattern": "^[0-9]+$"}
_SECTION7_DOCS: dict[tuple[str, str], str] = {
    ("Policy", "composition"): (
        "SPEC 7.1, rule 15: composition rules of every formed target (a target's own "
        "composition replaces them). Default []"),
    ("Policy", "min_regions"): (
        "SPEC 7.2, rule 16: members (the lead included) come from at least this many distinct "
        "regions. Integer >= 1, default 1"),
    ("Policy", "total_budget_by_year"): (
        "SPEC 7.3: year (a decimal string inside the programme, e.g. \"2027\") -> the most "
        "the programme pays in that year (>= 0); a year not listed has no cap. Needs "
        "programme. Default: no yearly cap"),
    ("Sponsor", "budget_by_year"): (
        "SPEC 7.3: year (a decimal string inside the programme) -> the most this sponsor "
        "pays in that year (>= 0). Needs programme. Default: no yearly cap"),
    ("Target", "composition"): (
        "SPEC 7.1: this target's own composition rules, replacing policy.composition "
        "([] removes every rule here). Default: the policy's"),
    ("Target", "min_regions"): (
        "SPEC 7.2: overrides policy.min_regions for this target (>= 1). Default: the policy's"),
    ("Target", "duration"): (
        "SPEC 7.3: consecutive years the consortium runs (>= 1); its spend is paid in equal "
        "parts in each. Needs programme. Default 1"),
    ("Target", "earliest"): (
        "SPEC 7.3: earliest start year, inside the programme. Needs programme. Default: "
        "programme.start"),
    ("Target", "latest"): (
        "SPEC 7.3: latest start year, inside the programme; capped at start + years - "
        "duration; earliest > latest is invalid. Needs programme. Default: start + years - "
        "duration"),
    ("Target", "after"): (
        "SPEC 7.3, rule 17: target ids that must be formed and have ended before this one "
        "starts; unknown ids, the target itself and cycles are invalid. Needs programme. "
        "Default []"),
    ("Fixed", "starts"): (
        "SPEC 7.3: target id -> its start year (which also forms it); a year outside the "
        "programme is invalid, one outside the target's window makes the instance "
        "infeasible. Needs programme. Default {}"),
    ("CompositionRule", "types"): (
        "actor types the rule counts; at least one of types and ownership, neither empty. "
        "Default: all types"),
    ("CompositionRule", "ownership"): (
        "ownerships the rule counts (state, private, foreign). Default: all"),
    ("CompositionRule", "min"): "fewest matching members, the lead included (>= 0). Default 0",
    ("CompositionRule", "max"): "most matching members (>= min). Default: no cap",
    ("Programme", "start"): "SPEC 7.3: the first year of the programme (an integer year)",
    ("Programme", "years"): "SPEC 7.3: the number of programme years (>= 1)",
    ("Programme", "discount_rate"): (
        "SPEC 7.3: value discounted from the start year, spend from each year paid by "
        "(1 + rate) ** -(year - start); >= 0, default 0"),
    ("Programme", "milestones"): (
        "SPEC 7.3, rule 18: at least min_formed targets formed with a start by year. "
        "Default []"),
    ("Milestone", "year"): "a year inside the programme",
    ("Milestone", "min_formed"): "fewest targets formed with a start by that year (>= 0)",
    ("Instance", "programme"): (
        "SPEC 7.3: a multi-year programme (start, years, discount_rate, milestones). "
        "Default: none (one period, SPEC sections 2-4)"),
}


def json_schema() -> dict[str, Any]:
    schema = Instance.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "consortium-instance/1"
    defs = schema.get("$defs", {})
    for (model, name), text in _SECTION7_DOCS.items():
        node = schema if model == "Instance" else defs[model]
        prop = node["properties"][name]
        prop["description"] = text
        if name in ("budget_by_year", "total_budget_by_year"):
            for alt in prop.get("anyOf", [prop]):
                if alt.get("type") == "object":
                    alt["propertyNames"] = dict(_YEAR_KEYS)
    return schema
