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
            if c.get(key) not in known:
                raise ReportError(f"{p}.{key}: unknown {what} {c.get(key)!r} (not in the instance)")
        members = c.get("members")
        if not isinstance(members, list):
            raise ReportError(f"{p}.members: must be a list of actor ids")
        for j, a in enumerate(members):
            if a not in actors:
                raise ReportError(f"{p}.members[{j}]: unknown actor {a!r} (not in the instance)")
        contracts = c.get("contracts") or []
        if not isinstance(contracts, list):
            raise ReportError(f"{p}.contracts: must be a list")
        for j, k in enumerate(contracts):
            if not isinstance(k, dict) or k.get("actor") not in actors:
                raise ReportError(f"{p}.contracts[{j}].actor: unknown actor "
                                  f"{k.get('actor') if isinstance(k, dict) else k!r}")
            for num in ("base", "lead_fee", "bonus", "reward"):
                v = k.get(num, 0)
                if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                    raise ReportError(f"{p}.contracts[{j}].{num}: not a finite number ({v!r})")
        if not isinstance(c.get("spend", 0), (int, float)):
            raise ReportError(f"{p}.spend: not a number")
    for i, u in enumerate(sol.get("unformed") or []):
        if not isinstance(u, dict) or u.get("target") not in targets:
            raise ReportError(f"{source}: unformed[{i}].target: unknown target "
                              f"{u.get('target') if isinstance(u, dict) else u!r}")
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


