"""The tables of a workbook (one sheet or CSV file each): their columns, what each
holds and the README sheet's text; the policy keys and fixed-decision kinds.

The columns of a sheet that holds a model's objects (actors, targets, ...) are
that model's fields, with its descriptions (:mod:`consortium.io.docs`): a
field added to a model is a column here, described, without a second
declaration. Declared here are only the workbook's own shapes: the cap:<id>
and budget:<year> columns, the long sheets (actor_capabilities, bids,
exclusive, fixed) and the column naming the target of a requirement or rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..io.docs import FieldDoc, field_doc, fields_of
from ..io.instance import (
    Actor,
    Capability,
    CompositionRule,
    Conflict,
    Incentive,
    Instance,
    Milestone,
    Policy,
    Programme,
    Requirement,
    Site,
    Sponsor,
    Target,
    Tie,
    Weights,
)
from ..spec import DEFAULT_LEAD_TYPES, MODES

# ---------------------------------------------------------------- the tables

# kind of a column: str, float, int, bool, list (";"-separated text), any
# (policy values: typed by key). ``req`` = the column must exist in a non-empty
# table. ``help`` and ``default`` are the README sheet's text; ``example`` the
# template's example row; ``choices`` and ``ref`` (a sheet whose ids it names)
# the template's dropdowns.
@dataclass(frozen=True)
class Col:
    name: str
    kind: str
    req: bool
    help: str
    default: str = ""
    example: Any = None
    choices: tuple[str, ...] = ()
    ref: str | None = None


def _help(d: FieldDoc) -> str:
    """A field's meaning as the workbook says it (lists as ';'-separated text)."""
    text = d.description.replace("Needs programme", "Needs the programme sheet")
    if d.kind == "list":
        text += "; separated by ';'"
    elif d.kind == "bool":
        text += " (TRUE or FALSE)"
    return text


def _columns(model: type[BaseModel], skip: tuple[str, ...] = (),
             before: tuple[Col, ...] = (), after: tuple[Col, ...] = ()) -> list[Col]:
    """The columns of a sheet that holds ``model``'s objects: one per field
    (but ``skip``, which other sheets or columns hold), from the model's own
    descriptions (:mod:`consortium.io.docs`); ``before``/``after``: the
    workbook's own columns (the target a requirement belongs to, cap:<id>)."""
    out = list(before)
    for d in fields_of(model):
        if d.name in skip:
            continue
        if d.kind not in ("str", "float", "int", "bool", "list"):
            raise TypeError(f"{model.__name__}.{d.name}: no spreadsheet column for {d.kind}")
        out.append(Col(d.name, d.kind, d.required, _help(d),
                       "" if d.required else d.default_text(spreadsheet=True),
                       d.example, d.choices, d.ref))
    return out + list(after)


_TARGET = "target id"
_BY_YEAR = field_doc(Sponsor, "budget_by_year")

TABLES: dict[str, list[Col]] = {
    "meta": _columns(Instance, skip=tuple(n for n in Instance.model_fields
                                          if n not in ("name", "currency"))),
    "policy": [
        Col("key", "str", True, "policy setting; nested keys with dots: weights.cost, "
            "incentives.sme.bonus_rate, incentives.sme.instruments, lead_types.research "
            "(see the policy rows below)"),
        Col("value", "any", True,
            "its value; lists (instruments, lead_types) as text separated by ';'; "
            "blank = the default", "the default"),
    ],
    "capabilities": _columns(Capability),
    "sites": _columns(Site),
    "sponsors": _columns(Sponsor, skip=("budget_by_year",), after=(
        Col("budget:<year>", "float", False,
            "one column per programme year, e.g. budget:2027: the most it pays in that year "
            "(budget_by_year; needs the programme sheet); blank = no yearly cap",
            _BY_YEAR.default_text(spreadsheet=True)),)),
    "actors": _columns(Actor, skip=("capabilities", "bids"), after=(
        Col("cap:<id>", "int", False,
            "one column per capability: the level (1..9) the actor holds; "
            "blank or 0 = does not hold it. Alternatively use the actor_capabilities sheet",
            "none"),)),
    "actor_capabilities": [
        Col("actor", "str", True, "actor id (long form of the cap:<id> columns of actors)",
            example="a1", ref="actors"),
        Col("capability", "str", True, "capability id", example="sic-substrate",
            ref="capabilities"),
        Col("level", "int", True, "level held, 1..9", example=6),
    ],
    "bids": [
        Col("actor", "str", True, "actor id", example="a1", ref="actors"),
        Col("target", "str", True, _TARGET, example="t1", ref="targets"),
        Col("bid", "float", True, field_doc(Actor, "bids").description.split("-> ", 1)[-1],
            example=7.5),
    ],
    "targets": _columns(Target, skip=("requirements", "composition")),
    "composition": _columns(CompositionRule, before=(
        Col("target", "str", False,
            "blank = a rule of the policy (every target); a target id = that target's own "
            "rules, which replace the policy's (a row with the target alone and no types or "
            "ownership: the target has no composition rule)", "the policy", example="t1",
            ref="targets"),)),
    "programme": _columns(Programme, skip=("milestones",)),
    "milestones": _columns(Milestone),
    "requirements": _columns(Requirement, before=(
        Col("target", "str", True, _TARGET, example="t1", ref="targets"),)),
    "ties": _columns(Tie),
    "conflicts": _columns(Conflict),
    "exclusive": [
        Col("group", "str", True,
            "group label: of the targets sharing a label at most one is formed", example="g1"),
        Col("target", "str", True, _TARGET, example="t1", ref="targets"),
    ],
    "fixed": [
        Col("kind", "str", True, "lead (actor must lead target), member (actor must join target), "
            "forbidden (actor may not join target), forbidden_actor (actor joins nothing; "
            "target blank) or start (target starts in year; actor blank)", example="lead",
            choices=("lead", "member", "forbidden", "forbidden_actor", "start")),
        Col("target", "str", False, _TARGET, example="t1", ref="targets"),
        Col("actor", "str", True, "actor id (blank for a start)", example="a1", ref="actors"),
        Col("year", "int", False, "start year of a fixed start (needs the programme sheet)",
            "none"),
    ],
}

EXAMPLE_MARK = "# e.g. "  # the first cell of the template's example rows (a comment row)


def example_row(name: str, header: list[str]) -> list[Any] | None:
    """The template's example row of sheet ``name`` under ``header``: the
    columns' examples, the first one marked ``# e.g.`` so that the row is a
    comment row, which import skips. None when the sheet has no example."""
    cols = {c.name: c for c in TABLES[name]}
    row = [cols[h].example if h in cols else None for h in header]
    row = ["; ".join(map(str, v)) if isinstance(v, list) else v for v in row]
    first = next((i for i, v in enumerate(row) if v is not None), None)
    if first is None:
        return None
    row[first] = f"{EXAMPLE_MARK}{_text(row[first])}"
    return row


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def dropdown(name: str, column: str) -> tuple[str, ...] | str | None:
    """The template's dropdown of a column: its allowed values (a type, an
    ownership, a mode, TRUE/FALSE, a fixed kind), or the sheet whose ids it
    names (capability ids of a requirement, the actor of a tie, ...)."""
    c = next((c for c in TABLES[name] if c.name == column), None)
    if c is None:
        return None
    if c.choices and c.kind == "str":
        return c.choices
    if c.kind == "bool":
        return ("TRUE", "FALSE")
    if c.ref and c.kind == "str":
        return c.ref
    return None


# Sheet order in written workbooks (README first).
ORDER = ["meta", "programme", "milestones", "policy", "composition", "capabilities", "sites",
         "sponsors", "actors", "actor_capabilities", "bids", "targets", "requirements", "ties",
         "conflicts", "exclusive", "fixed"]

# The policy sheet's keys: the Policy model's plain fields, then the nested ones.
_POLICY_FIELDS = [d for d in fields_of(Policy) if d.kind in ("str", "float", "int", "bool")]
_POLICY_KINDS: dict[str, str] = {d.name: d.kind for d in _POLICY_FIELDS}
_POLICY_HELP: dict[str, tuple[str, str]] = {
    d.name: (_help(d), d.default_text(spreadsheet=True)) for d in _POLICY_FIELDS}
_POLICY_HELP["total_budget_by_year.<year>"] = (
    "e.g. total_budget_by_year.2027: " + _help(field_doc(Policy, "total_budget_by_year")),
    field_doc(Policy, "total_budget_by_year").default_text(spreadsheet=True))
for _mode in MODES:
    _POLICY_HELP[f"lead_types.{_mode}"] = (
        f"actor types that may lead {_mode} targets; separated by ';'",
        "; ".join(DEFAULT_LEAD_TYPES[_mode]))
for _d in fields_of(Weights):
    _POLICY_HELP[f"weights.{_d.name}"] = (_help(_d), _d.default_text(spreadsheet=True))
for _d in fields_of(Incentive):
    _POLICY_HELP[f"incentives.<type>.{_d.name}"] = (_help(_d), _d.default_text(spreadsheet=True))
_FIXED_KINDS = {
    "lead": "lead", "leads": "lead",
    "member": "member", "members": "member",
    "forbidden": "forbidden",
    "forbidden_actor": "forbidden_actor", "forbidden_actors": "forbidden_actor",
    "start": "start", "starts": "start",
}
