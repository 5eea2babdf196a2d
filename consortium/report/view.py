"""A solution read against its instance for the report: every id checked (a
solution of another instance is refused with one line), colours per consortium,
who sits in which consortia."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..io.instance import Instance
from ..result.solution import Consortium, Solution

# Colour-blind friendly qualitative palette (Okabe-Ito, then Tableau).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#76B7B2", "#EDC948", "#FF9DA7"]
TYPE_COLOURS = {"institute": "#4E79A7", "university": "#76B7B2", "lab": "#59A14F",
                "enterprise": "#F28E2B", "sme": "#EDC948"}
MULTI = "#C0392B"  # actors in several consortia
MODE_COLOURS = {"research": "#0072B2", "economic": "#E69F00"}
# Above this many consortia a colour per consortium repeats and its legend
# covers the map: colour by sponsor (or by mode when sponsors are many too),
# aggregate members per site and draw the network of the top consortia only.
SCALE = 12


class ReportError(InputError):
    """Invalid input for a report (one line)."""


# ---------------------------------------------------------------- the plan, checked


@dataclass
class Plan:
    """The solution read against its instance (ids resolved, nothing recomputed)."""

    inst: Instance
    sol: Solution
    consortia: list[Consortium]
    colour: dict[str, str] = field(default_factory=dict)  # target -> colour
    joins: dict[str, list[str]] = field(default_factory=dict)  # actor -> targets
    colour_by: str = "consortium"  # or "sponsor" or "mode"
    groups: dict[str, str] = field(default_factory=dict)  # legend: label -> colour
    group_of: dict[str, str] = field(default_factory=dict)  # target -> its legend label

    @property
    def large(self) -> bool:
        return len(self.consortia) > SCALE

    @property
    def multi(self) -> set[str]:
        return {a for a, ts in self.joins.items() if len(ts) > 1}


def _known_id(v: Any, known: set[str]) -> bool:
    return isinstance(v, str) and v in known


def _finite(v: Any) -> bool:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:  # an integer beyond any float
        return False


def read_plan(inst: Instance, sol: Any, source: str = "solution") -> Plan:
    """Check that the solution (its JSON, or a :class:`Solution`) belongs to the
    instance (every id known); ReportError if not."""
    if isinstance(sol, Solution):
        sol = sol.to_dict()
    if not isinstance(sol, dict):
        raise ReportError(f"{source}: (top level): must be a JSON object")
    fmt = sol.get("format", "consortium-solution/1")
    if fmt != "consortium-solution/1":
        raise ReportError(f"{source}: format: unknown format {fmt!r} "
                          "(expected 'consortium-solution/1')")
    targets = {t.id for t in inst.targets}
    actors = {a.id for a in inst.actors}
    sites = {s.id for s in inst.sites}
    cons = sol.get("consortia") or []
    if not isinstance(cons, list):
        raise ReportError(f"{source}: consortia: must be a list")
    for i, c in enumerate(cons):
        p = f"{source}: consortia[{i}]"
        if not isinstance(c, dict):
            raise ReportError(f"{p}: must be an object")
        for key, known, what in (("target", targets, "target"), ("site", sites, "site"),
                                 ("lead", actors, "actor")):
            if not _known_id(c.get(key), known):
                raise ReportError(f"{p}.{key}: unknown {what} {c.get(key)!r} (not in the instance)")
        members = c.get("members")
        if not isinstance(members, list):
            raise ReportError(f"{p}.members: must be a list of actor ids")
        for j, a in enumerate(members):
            if not _known_id(a, actors):
                raise ReportError(f"{p}.members[{j}]: unknown actor {a!r} (not in the instance)")
        contracts = c.get("contracts") or []
        if not isinstance(contracts, list):
            raise ReportError(f"{p}.contracts: must be a list")
        for j, k in enumerate(contracts):
            if not isinstance(k, dict) or not _known_id(k.get("actor"), actors):
                raise ReportError(f"{p}.contracts[{j}].actor: unknown actor "
                                  f"{k.get('actor') if isinstance(k, dict) else k!r}")
            for num in ("base", "lead_fee", "bonus", "reward"):
                if not _finite(k.get(num, 0)):
                    raise ReportError(f"{p}.contracts[{j}].{num}: not a finite number "
                                      f"({k.get(num)!r})")
            q = f"{p}.contracts[{j}]"
            if not isinstance(k.get("role", "member"), str):
                raise ReportError(f"{q}.role: must be 'lead' or 'member'")
            dels = k.get("deliverables", [])
            if not isinstance(dels, list):
                raise ReportError(f"{q}.deliverables: must be a list")
            for m, d in enumerate(dels):
                if not isinstance(d, dict) or not isinstance(d.get("capability"), str) \
                        or not _finite(d.get("level")):
                    raise ReportError(f"{q}.deliverables[{m}]: must be an object with a "
                                      "capability id and a numeric level")
            ins = k.get("instruments", [])
            if not isinstance(ins, list) or not all(isinstance(x, str) for x in ins):
                raise ReportError(f"{q}.instruments: must be a list of names")
        if not _finite(c.get("spend", 0)):
            raise ReportError(f"{p}.spend: not a finite number ({c.get('spend')!r})")
    unformed = sol.get("unformed") or []
    if not isinstance(unformed, list):
        raise ReportError(f"{source}: unformed: must be a list")
    for i, u in enumerate(unformed):
        if not isinstance(u, dict) or not _known_id(u.get("target"), targets):
            raise ReportError(f"{source}: unformed[{i}].target: unknown target "
                              f"{u.get('target') if isinstance(u, dict) else u!r}")
        if not isinstance(u.get("reason", ""), str):
            raise ReportError(f"{source}: unformed[{i}].reason: must be text")
    for key in ("objective", "bound", "gap"):
        if sol.get(key) is not None and not _finite(sol.get(key)):
            raise ReportError(f"{source}: {key}: not a finite number ({sol.get(key)!r})")
    for key in ("solver", "kpis"):
        if sol.get(key) is not None and not isinstance(sol.get(key), dict):
            raise ReportError(f"{source}: {key}: must be an object")
    if not isinstance(sol.get("status", "optimal"), str):
        raise ReportError(f"{source}: status: must be one of the statuses")
    diag = sol.get("diagnosis")
    if diag is not None and (not isinstance(diag, list)
                             or not all(isinstance(x, str) for x in diag)):
        raise ReportError(f"{source}: diagnosis: must be a list of lines")
    solution = Solution.from_dict(sol, inst)
    plan = Plan(inst, solution, solution.consortia)
    for c in plan.consortia:
        for a in c.members:
            plan.joins.setdefault(a, []).append(c.target)
    _colour(plan)
    return plan


def _colour(plan: Plan) -> None:
    """One colour per consortium up to :data:`SCALE` of them; beyond, one per
    sponsor (if the palette holds them all) or per mode."""
    tmap = {t.id: t for t in plan.inst.targets}
    if not plan.large:
        for i, c in enumerate(plan.consortia):
            plan.colour[c.target] = plan.groups[c.target] = PALETTE[i % len(PALETTE)]
            plan.group_of[c.target] = c.target
        return
    sponsors = sorted({tmap[c.target].sponsor or "(no sponsor)" for c in plan.consortia})
    if len(sponsors) <= len(PALETTE):
        plan.colour_by = "sponsor"
        plan.groups = {s: PALETTE[i] for i, s in enumerate(sponsors)}
        key = {c.target: tmap[c.target].sponsor or "(no sponsor)" for c in plan.consortia}
    else:
        plan.colour_by = "mode"
        key = {c.target: tmap[c.target].mode for c in plan.consortia}
        plan.groups = {m: MODE_COLOURS.get(m, "#888888") for m in sorted(set(key.values()))}
    for c in plan.consortia:
        plan.group_of[c.target] = key[c.target]
        plan.colour[c.target] = plan.groups[key[c.target]]


