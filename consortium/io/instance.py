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

# No ``from __future__ import annotations`` here: pydantic would then have to
# evaluate every field's annotation from its text (a compile and an eval each)
# when it builds the models, at every start of every command (10 ms of a small
# solve); the annotations below are objects, a forward reference is quoted.

import functools
import math
from pathlib import Path
from typing import Annotated, Any, Literal, cast

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
from pydantic_core import PydanticUndefined

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


def _empty_list() -> list[Any]:
    """``[]``, as the default of a list field: a Python function, so that
    pydantic's look at the factory's signature does not parse the text
    signature of the builtin ``list`` (which loads :mod:`tokenize`'s patterns)."""
    return []


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
    # defer_build: a model's validator is built when it is first used, not at
    # import; Instance's then holds the nested models' schemas, and the nested
    # models build their own only if used alone (start-up: 10-15 ms less).
    model_config = ConfigDict(extra="allow", frozen=False, defer_build=True)

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


def _doc(text: str, default: Any = PydanticUndefined, *, shown: str | None = None,
         example: Any = None, section: str | None = None, ref: str | None = None,
         **kw: Any) -> Any:
    """A documented field: ``text`` is its meaning, the one source of the JSON
    Schema's description (``consortium schema``), docs/FORMAT.md's tables and
    the spreadsheet template's README sheet (:mod:`.docs`). ``shown``: the
    default in words where the value says nothing (``None`` = "no cap");
    ``example``: the value of the template's example row; ``section``: the
    SPEC section of a programme extension (7.1-7.3); ``ref``: the top-level
    list whose ids the field names (the template's dropdowns)."""
    extra = {k: v for k, v in (("x-default", shown), ("x-spec", section), ("x-ref", ref))
             if v is not None}
    return Field(default, description=text, examples=None if example is None else [example],
                 json_schema_extra=cast(Any, extra or None), **kw)


_NAME = "readable name (reports show it beside the id)"


class Capability(_Model):
    id: Id = _doc("capability id (unique), named by actors' capabilities and targets' "
                  "requirements", example="sic-substrate")
    name: StrictStr | None = _doc(_NAME, None, shown="none", example="6-inch SiC substrate")
    chokepoint: StrictBool = _doc(
        "a technology under foreign chokehold: with policy.chokepoints_domestic_only, foreign "
        "actors may not deliver it", False, example=True)


class Site(_Model):
    id: Id = _doc("site id (unique): an industrial park or cluster where a consortium may sit",
                  example="sip")
    name: StrictStr | None = _doc(_NAME, None, shown="none", example="Suzhou Industrial Park")
    lat: Lat = _doc("latitude, degrees in [-90, 90]", example=31.32)
    lon: Lon = _doc("longitude, degrees in [-180, 180]", example=120.72)


class Sponsor(_Model):
    id: Id = _doc("sponsor id (unique): a province, city or ministry that pays", example="suzhou")
    name: StrictStr | None = _doc(_NAME, None, shown="none", example="Suzhou municipality")
    budget: NonNeg | None = _doc("cap on the spend of all its targets (>= 0)", None,
                                 shown="no cap", example=120.0)
    region: StrictStr | None = _doc(
        "its home region, for policy.min_outside_members (rule 9)", None, shown="none",
        example="JS")
    budget_by_year: dict[str, NonNeg] | None = _doc(
        "year (a decimal string inside the programme, e.g. \"2027\") -> the most this sponsor "
        "pays in that year (>= 0); a year not listed has no cap. Needs programme", None,
        shown="no yearly cap", section="7.3")


class Actor(_Model):
    id: Id = _doc("actor id (unique)", example="a1")
    name: StrictStr | None = _doc(_NAME, None, shown="none",
                                  example="Third-Generation Semiconductor Center")
    type: ActorType = _doc("enterprise, sme, institute, university or lab", example="institute")
    ownership: Ownership = _doc("state, private or foreign", example="state")
    region: StrictStr = _doc("region code (province), e.g. JS", example="JS")
    lat: Lat = _doc("latitude, degrees in [-90, 90]", example=31.30)
    lon: Lon = _doc("longitude, degrees in [-180, 180]", example=120.60)
    capabilities: dict[str, Level] = _doc(
        "capability id -> the level it holds, an integer 1..9 (technology readiness level)",
        default_factory=dict, ref="capabilities")
    cost: NonNeg = _doc("what it must be paid to join one consortium (>= 0)", example=8.0)
    lead_cost: NonNeg | None = _doc(
        "extra coordination fee if it leads (>= 0); absent or null: it cannot lead", None,
        shown="cannot lead", example=3.0)
    max_consortia: Int0 = _doc("how many consortia it can join (leading one counts)", 1,
                               example=2)
    max_lead: Int0 = _doc("how many consortia it can lead", 1, example=1)
    bids: dict[str, NonNeg] = _doc(
        "target id -> its cost for that target (replaces cost there)", default_factory=dict,
        ref="targets")


class Requirement(_Model):
    capability: Id = _doc("capability id to deliver (one requirement per capability and "
                          "target)", example="sic-substrate", ref="capabilities")
    level: Level = _doc("the level the deliverer must hold at least, 1..9", 1, example=6)
    redundancy: Int1 = _doc("how many distinct members must deliver it (>= 1)", 1, example=2)


class CompositionRule(_Model):
    """SPEC 7.1 (rule 15): between ``min`` and ``max`` members match."""

    types: list[ActorType] | None = _doc(
        "actor types the rule counts; at least one of types and ownership, neither empty", None,
        shown="all types", example=["enterprise", "sme"], section="7.1")
    ownership: list[Ownership] | None = _doc(
        "ownerships the rule counts (state, private, foreign)", None, shown="all ownerships",
        section="7.1")
    min: Int0 = _doc("fewest matching members, the lead included (>= 0)", 0, example=3,
                     section="7.1")
    max: Int0 | None = _doc("most matching members, the lead included (>= min)", None,
                            shown="no cap", section="7.1")

    @model_validator(mode="after")
    def _check(self) -> "CompositionRule":
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
    id: Id = _doc("target id (unique)", example="t1")
    name: StrictStr | None = _doc(_NAME, None, shown="none", example="SiC power module line")
    mode: Literal["research", "economic"] = _doc(
        "research (research-driven) or economic (economics-driven); policy.lead_types says who "
        "may lead each", example="research")
    sponsor: StrictStr | None = _doc("sponsor id: who pays for it", None, shown="none",
                                     example="suzhou", ref="sponsors")
    value: Num = _doc("value of forming this consortium", 0.0, example=100.0)
    mandatory: StrictBool = _doc("must be formed, else the instance is infeasible", False,
                                 example=False)
    budget: NonNeg | None = _doc("cap on this target's spend (>= 0)", None, shown="no cap",
                                 example=60.0)
    sites: Annotated[list[Id], Field(min_length=1)] = _doc(
        "candidate site ids, at least one, none twice", example=["sip"], ref="sites")
    max_distance_km: NonNeg | None = _doc(
        "every member within this distance (km) of the chosen site", None, shown="no limit",
        example=300.0)
    min_members: Int0 = _doc("fewest members, the lead included", 1, example=3)
    max_members: Int0 | None = _doc("most members, the lead included (>= min_members)", None,
                                    shown="no cap", example=12)
    requirements: list[Requirement] = _doc(
        "what the consortium must deliver: one capability each, its level and redundancy",
        default_factory=_empty_list)
    # SPEC 7: composition replaces policy.composition; programme fields.
    composition: list[CompositionRule] | None = _doc(
        "this target's own composition rules, replacing policy.composition ([] removes every "
        "rule here)", None, shown="the policy's", section="7.1")
    min_regions: Int1 | None = _doc("overrides policy.min_regions for this target (>= 1)", None,
                                    shown="the policy's", section="7.2")
    duration: Int1 | None = _doc(
        "consecutive years the consortium runs (>= 1); its spend is paid in equal parts in "
        "each. Needs programme", None, shown="1", section="7.3")
    earliest: Year | None = _doc("earliest start year, inside the programme. Needs programme",
                                 None, shown="programme.start", section="7.3")
    latest: Year | None = _doc(
        "latest start year, inside the programme; capped at start + years - duration; "
        "earliest > latest is invalid. Needs programme", None,
        shown="start + years - duration", section="7.3")
    after: list[Id] = _doc(
        "rule 17: target ids that must be formed and have ended before this one starts; "
        "unknown ids, the target itself and cycles are invalid. Needs programme",
        default_factory=_empty_list, section="7.3", ref="targets")


class Tie(_Model):
    a: Id = _doc("actor id", example="a1", ref="actors")
    b: Id = _doc("actor id: a and b collaborated before (undirected; no self-tie, no pair twice)",
                 example="a2", ref="actors")
    weight: Pos = _doc("strength of the tie (> 0)", 1.0, example=1.0)


class Conflict(_Model):
    a: Id = _doc("actor id", example="a3", ref="actors")
    b: Id = _doc("actor id: a and b may not sit in the same consortium", example="a4",
                 ref="actors")


class Weights(BaseModel):
    # An unknown weight is an error (SPEC 2), unlike other unknown keys.
    model_config = ConfigDict(extra="forbid", defer_build=True)
    value: Num = _doc("objective weight of the value of formed targets", 1.0)
    cost: Num = _doc("objective weight of the total spend", 1.0)
    distance: Num = _doc("objective weight of member-to-site kilometres", 0.0)
    ties: Num = _doc("objective weight of prior ties inside consortia", 0.0)


class Incentive(_Model):
    bonus_rate: NonNeg = _doc("bonus on base + lead fee for actors of that type (>= 0)", 0.0)
    instruments: list[StrictStr] = _doc(
        "incentive instruments for that type, named in its members' contracts",
        default_factory=_empty_list)


class Policy(_Model):
    total_budget: NonNeg | None = _doc("cap on the total spend (>= 0)", None, shown="no cap")
    require_both_ends: StrictBool = _doc(
        "rule 5: every consortium has a research-end (institute, university, lab) and a "
        "market-end (enterprise, sme) member", True)
    no_free_riders: StrictBool = _doc(
        "rule 4: every member other than the lead delivers a requirement", True)
    max_state_share: NonNeg = _doc(
        "rule 7: most state enterprises per consortium, as a share of its members (0..1)", 1.0)
    min_private_members: Int0 = _doc("rule 8: fewest private members per consortium", 0)
    min_outside_members: Int0 = _doc(
        "rule 9: fewest members from outside the sponsor's region (targets whose sponsor has a "
        "region)", 0)
    chokepoints_domestic_only: StrictBool = _doc(
        "foreign actors may not deliver chokepoint capabilities", True)
    foreign_can_lead: StrictBool = _doc("foreign actors may lead", False)
    lead_types: dict[str, list[ActorType]] = _doc(
        "mode (research, economic) -> the actor types that may lead its targets; a mode not "
        "named keeps its default", default_factory=dict,
        shown="research: institute, lab; economic: enterprise")
    weights: Weights = _doc(
        "the objective's weights (value, cost, distance, ties); one not named keeps its "
        "default; an unknown weight is an error", default_factory=Weights,
        shown="value 1, cost 1, distance 0, ties 0")
    incentives: dict[str, Incentive] = _doc(
        "actor type -> its bonus_rate and instruments; a type not listed gets rate 0 and no "
        "instruments", default_factory=dict)
    composition: list[CompositionRule] = _doc(
        "rule 15: composition rules of every formed target (a target's own composition "
        "replaces them)", default_factory=_empty_list, section="7.1")
    min_regions: Int1 = _doc(
        "rule 16: members (the lead included) come from at least this many distinct regions "
        "(>= 1)", 1, section="7.2")
    total_budget_by_year: dict[str, NonNeg] | None = _doc(
        "year (a decimal string inside the programme, e.g. \"2027\") -> the most the programme "
        "pays in that year (>= 0); a year not listed has no cap. Needs programme", None,
        shown="no yearly cap", section="7.3")

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
    leads: dict[str, Id] = _doc(
        "target id -> the actor that must lead it (and may lead it); it forms the target",
        default_factory=dict)
    members: list[Pair] = _doc("[target, actor] pairs: the actor must be a member (which forms "
                               "the target)", default_factory=_empty_list)
    forbidden: list[Pair] = _doc("[target, actor] pairs: the actor may not join that target",
                                 default_factory=_empty_list)
    forbidden_actors: list[Id] = _doc("actor ids that join nothing", default_factory=_empty_list,
                                      ref="actors")
    starts: dict[str, Year] = _doc(
        "target id -> its start year (which also forms it); a year outside the programme is "
        "invalid, one outside the target's window makes the instance infeasible. Needs "
        "programme", default_factory=dict, section="7.3", ref="targets")


class Milestone(_Model):
    year: Year = _doc("a year inside the programme", example=2027, section="7.3")
    min_formed: Int0 = _doc("rule 18: fewest targets formed with a start by that year (>= 0)",
                            example=5, section="7.3")


class Programme(_Model):
    """SPEC 7.3: the programme's years ``start .. start + years - 1``."""

    start: Year = _doc("the first year of the programme (an integer year)", example=2026,
                       section="7.3")
    years: Int1 = _doc("the number of programme years (>= 1): start .. start + years - 1",
                       example=3, section="7.3")
    discount_rate: NonNeg = _doc(
        "value discounted from the start year, spend from each year paid, by d(y) = "
        "(1 + rate) ** -(y - start); >= 0", 0.0, example=0.05, section="7.3")
    milestones: list[Milestone] = _doc(
        "rule 18: at least min_formed targets formed with a start by year",
        default_factory=_empty_list, section="7.3")

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
    format: Literal["consortium-instance/1"] = _doc(
        "the format; anything else is an error", "consortium-instance/1")  # FORMAT
    name: StrictStr | None = _doc("name of the instance (reports show it)", None,
                                  shown="the file name", example="suzhou-demo")
    currency: StrictStr | None = _doc(
        "money unit of every cost, budget and reward, e.g. CNY million; its ISO code sets the "
        "decimals shown (JPY none, KWD three, else two)", None, shown="none",
        example="CNY million")
    capabilities: list[Capability] = _doc("technologies that targets require and actors hold",
                                          default_factory=_empty_list)
    sites: list[Site] = _doc("candidate consortium locations (industrial parks, clusters)")
    sponsors: list[Sponsor] = _doc("who pays: provinces, cities, ministries",
                                   default_factory=_empty_list)
    actors: list[Actor] = _doc(
        "the candidate members: institutes, universities, labs, enterprises, smes",
        default_factory=_empty_list)
    targets: list[Target] = _doc(
        "what the sponsors want consortia for: each formed or not, with one lead, a site and "
        "members", default_factory=_empty_list)
    ties: list[Tie] = _doc("prior collaborations between two actors", default_factory=_empty_list)
    conflicts: list[Conflict] = _doc("pairs of actors that may not sit in one consortium",
                                     default_factory=_empty_list)
    exclusive: list[list[Id]] = _doc(
        "groups of target ids of which at most one is formed (duplicate agendas)",
        default_factory=_empty_list, ref="targets")
    policy: Policy = _doc("the rules every consortium follows, and the objective",
                          default_factory=Policy, shown="the defaults of its fields")
    fixed: Fixed = _doc("decisions the planner imposes", default_factory=Fixed, shown="none")
    programme: Programme | None = _doc(
        "a multi-year programme (start, years, discount_rate, milestones)", None,
        shown="none: one period, SPEC sections 2-4", section="7.3")  # SPEC 7.3

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
        raise InstanceError(errors + _later_errors(data, e)) from None
    errors = _check_references(inst)
    errors += _check_programme(inst, data)
    if errors:
        raise InstanceError(errors)
    return inst


def _later_errors(data: dict[str, Any], err: ValidationError) -> list[str]:
    """The cross-reference errors of a file with field errors (see :mod:`.repair`),
    less those about a repaired place. Best effort: the field errors stand on
    their own, so a file the repair cannot mend gives them alone."""
    try:
        fixed = repair(Instance, data, err.errors())
        if fixed is None:
            return []
        partial, fixed_data, repaired = fixed
        assert isinstance(partial, Instance)
        later = _check_references(partial, repaired) + _check_programme(partial, fixed_data,
                                                                         repaired)
    except Exception:  # noqa: BLE001 -- never worse than the field errors alone
        return []
    return [m for m in later if not related(m.split(": ", 1)[0], repaired)]


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
    """id -> index of a top-level list."""

    def index(self, key: str) -> int | None:
        return dict.get(self, key)


class _AnyIds(_Ids):
    """The ids of a top-level list that was itself in error (repaired away):
    no reference into it is called unknown."""

    def __contains__(self, key: object) -> bool:
        return True


def _ids(pairs: Any = (), unknowable: bool = False) -> _Ids:
    return _AnyIds(pairs) if unknowable else _Ids(pairs)


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
        seen = _ids(unknowable=what in repaired)
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
    targets = _ids(((t.id, i) for i, t in enumerate(inst.targets)), "targets" in repaired)
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

    def walk(obj: Any, path: str) -> None:
        if isinstance(obj, BaseModel):
            cls = type(obj)
            for k in obj.model_extra or {}:
                if not path and k == "$schema":
                    continue  # editors' JSON Schema reference
                import difflib

                near = difflib.get_close_matches(k, list(cls.model_fields), n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                out.append(f"{path + '.' if path else ''}{k}: unknown field (ignored{hint})")
            for name in _nested_fields(cls):
                walk(getattr(obj, name), f"{path + '.' if path else ''}{name}")
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                walk(v, f"{path}[{i}]")
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, f"{path}.{k}")

    walk(inst, "")
    return out


@functools.cache
def _nested_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``cls`` whose values can hold a model (whose unknown keys
    :func:`unknown_keys` reports), in field order: the others (numbers, ids,
    lists of ids, levels by capability) are not walked."""
    return tuple(name for name, f in cls.model_fields.items() if _holds_model(f.annotation))


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(a) for a in getattr(annotation, "__args__", ()) or ()
               if not isinstance(a, (str, int, float, bool)))


_YEAR_KEYS = {"pattern": "^[0-9]+$"}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the format: every field's description, default and
    example come from the models (``_doc``), as do docs/FORMAT.md's tables."""
    schema = Instance.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "consortium-instance/1"
    schema["description"] = ("An instance of the consortium formation problem (SPEC sections 2 "
                             "and 7); docs/FORMAT.md is the same reference as tables.")
    defs = schema.get("$defs", {})
    for model, name in (("Sponsor", "budget_by_year"), ("Policy", "total_budget_by_year")):
        prop = defs[model]["properties"][name]
        for alt in prop.get("anyOf", [prop]):
            if alt.get("type") == "object":
                alt["propertyNames"] = dict(_YEAR_KEYS)
    return schema
