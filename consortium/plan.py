"""A plan (consortia with contracts), its objective, KPIs and the solution JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .backends.base import Status
from .instance import REL_TOL, Instance
from .model.data import ModelData, haversine_km
from .model.rules import Vars

SOLUTION_FORMAT = "consortium-solution/1"


@dataclass
class Contract:
    actor: str
    role: str  # "lead" or "member"
    deliverables: list[dict[str, Any]]
    base: float
    lead_fee: float
    bonus: float
    reward: float
    instruments: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Consortium:
    target: str
    site: str
    lead: str
    members: list[str]
    spend: float
    contracts: list[Contract]

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["contracts"] = [c.to_dict() for c in self.contracts]
        return d


@dataclass
class Solution:
    instance: str
    status: Status
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    solver: dict[str, Any] = field(default_factory=dict)
    consortia: list[Consortium] = field(default_factory=list)
    unformed: list[dict[str, str]] = field(default_factory=list)
    kpis: dict[str, Any] = field(default_factory=dict)
    diagnosis: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # analyses add their fields here

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "format": SOLUTION_FORMAT,
            "instance": self.instance,
            "status": self.status.value,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "solver": self.solver,
            "consortia": [c.to_dict() for c in self.consortia],
            "unformed": self.unformed,
            "kpis": self.kpis,
        }
        if self.diagnosis:
            d["diagnosis"] = self.diagnosis
        d.update(self.extra)
        return d


# --------------------------------------------------------------- extraction


@dataclass
class Choice:
    """A formed target as the solver chose it (indices into the instance)."""

    target: int
    site: int
    lead: int
    members: list[int]


def extract(md: ModelData, V: Vars, x: np.ndarray) -> list[Choice]:
    """Read the chosen site, lead and members of every formed target."""
    out = []
    for v in md.views:
        ti = v.index
        if x[V.y[ti]] < 0.5 or v.impossible:
            continue
        sj = int(np.argmax(x[V.site[ti]])) if len(V.site[ti]) else 0
        on = (x[V.x[ti]] > 0.5) & (v.tri_site == sj)
        members = v.actors[v.tri_actor[on]]
        leads = v.actors[V.lead_local[ti][x[V.lead[ti]] > 0.5]]
        out.append(Choice(ti, int(v.sites[sj]), int(leads[0]) if len(leads) else -1, [int(a) for a in members]))
    return out


def choices_from_plan(md: ModelData, consortia: list[dict[str, Any]]) -> list[Choice]:
    """Choices from a solution file's consortia (for warm starts and analysis)."""
    out = []
    for c in consortia:
        out.append(Choice(
            md.target_index[c["target"]], md.site_index[c["site"]], md.actor_index[c["lead"]],
            [md.actor_index[a] for a in c["members"]],
        ))
    return out


def start_vector(md: ModelData, V: Vars, n_cols: int, choices: list[Choice]) -> np.ndarray:
    """Column values of a plan, for a solver's starting point (ties at their value)."""
    x = np.zeros(n_cols)
    member_sets = {}
    for ch in choices:
        v = md.views[ch.target]
        x[V.y[ch.target]] = 1
        sj = int(np.nonzero(v.sites == ch.site)[0][0])
        if len(V.site[ch.target]) > 1:
            x[V.site[ch.target][sj]] = 1
        local = {int(a): i for i, a in enumerate(v.actors)}
        for a in ch.members:
            i = local[a]
            tri = np.arange(v.ptr[i], v.ptr[i + 1])
            x[V.x[ch.target][tri[v.tri_site[tri] == sj]]] = 1
        pos = np.nonzero(V.lead_local[ch.target] == local[ch.lead])[0]
        x[V.lead[ch.target][pos]] = 1
        member_sets[ch.target] = set(ch.members)
    for ti, a, b, _w, col in V.ties:
        s = member_sets.get(ti, ())
        x[col] = 1.0 if (a in s and b in s) else 0.0
    return x


# --------------------------------------------------------------- contracts


def _deliverables(inst: Instance, md: ModelData, ch: Choice) -> dict[int, list[int]]:
    """Assign requirements to members: exactly the redundancy where possible.

    Non-lead members are preferred (the lead coordinates), then those with the
    fewest deliverables so far; every non-lead member then gets at least one
    requirement it may deliver (no free riders). Ties break by actor order, so
    the assignment is deterministic.
    """
    v = md.views[ch.target]
    local = {int(a): i for i, a in enumerate(v.actors)}
    given: dict[int, list[int]] = {a: [] for a in ch.members}
    for j, req in enumerate(v.target.requirements):
        able = [a for a in ch.members if v.deliver[local[a], j]]
        able.sort(key=lambda a: (a == ch.lead, len(given[a]), a))
        for a in able[: req.redundancy]:
            given[a].append(j)
    for a in ch.members:
        if a != ch.lead and not given[a]:
            js = np.nonzero(v.deliver[local[a]])[0]
            if len(js):
                given[a].append(int(js[0]))
    return {a: sorted(js) for a, js in given.items()}


def contracts_for(inst: Instance, md: ModelData, ch: Choice) -> Consortium:
    t = inst.targets[ch.target]
    pol = inst.policy
    given = _deliverables(inst, md, ch)
    order = [ch.lead] + sorted(a for a in ch.members if a != ch.lead)
    contracts = []
    for a in order:
        actor = inst.actors[a]
        base = inst.base(actor, t.id)
        fee = float(actor.lead_cost or 0.0) if a == ch.lead else 0.0
        rate = pol.rate(actor.type)
        bonus = rate * (base + fee)
        contracts.append(Contract(
            actor=actor.id,
            role="lead" if a == ch.lead else "member",
            deliverables=[
                {"capability": t.requirements[j].capability, "level": t.requirements[j].level}
                for j in given[a]
            ],
            base=base,
            lead_fee=fee,
            bonus=bonus,
            reward=base + fee + bonus,
            instruments=pol.instruments(actor.type),
        ))
    return Consortium(
        target=t.id,
        site=inst.sites[ch.site].id,
        lead=inst.actors[ch.lead].id,
        members=[inst.actors[a].id for a in order],
        spend=float(sum(c.reward for c in contracts)),
        contracts=contracts,
    )


# --------------------------------------------------------------- evaluation


def objective_of(inst: Instance, md: ModelData, consortia: list[Consortium]) -> float:
    """SPEC 3 objective of a plan, from the plan alone."""
    w = inst.policy.weights
    value = sum(inst.targets[md.target_index[c.target]].value for c in consortia)
    spend = sum(c.spend for c in consortia)
    km = sum(member_km(md, c).sum() for c in consortia)
    ties = 0.0
    if w.ties != 0:
        for c in consortia:
            s = set(c.members)
            ties += sum(t.weight for t in inst.ties if t.a in s and t.b in s)
    return w.value * value - w.cost * spend - w.distance * km + w.ties * ties


def member_km(md: ModelData, c: Consortium) -> np.ndarray:
    s = md.site_index[c.site]
    idx = np.array([md.actor_index[a] for a in c.members], dtype=np.int64)
    return haversine_km(md.lat[idx], md.lon[idx], md.inst.sites[s].lat, md.inst.sites[s].lon)


def kpis(inst: Instance, md: ModelData, consortia: list[Consortium]) -> dict[str, Any]:
    total_spend = float(sum(c.spend for c in consortia))
    by_sponsor: dict[str, float] = {s.id: 0.0 for s in inst.sponsors}
    value = 0.0
    n_members = state = private = outside = outside_base = 0
    km: list[float] = []
    ties_n, ties_w = 0, 0.0
    for c in consortia:
        t = inst.targets[md.target_index[c.target]]
        value += t.value
        if t.sponsor is not None:
            by_sponsor[t.sponsor] += c.spend
        idx = [md.actor_index[a] for a in c.members]
        n_members += len(idx)
        state += int(md.is_state_ent[idx].sum())
        private += int(md.is_private[idx].sum())
        region = md._sponsor_region(t)
        if region is not None:
            outside_base += len(idx)
            outside += int((md.region[idx] != region).sum())
        km.extend(member_km(md, c).tolist())
        s = set(c.members)
        for tie in inst.ties:
            if tie.a in s and tie.b in s:
                ties_n += 1
                ties_w += tie.weight

    def use(spent: float, budget: float | None) -> dict[str, Any]:
        return {"spend": spent, "budget": budget,
                "use": (spent / budget if budget else None) if budget is not None else None}

    return {
        "formed": len(consortia),
        "targets": len(inst.targets),
        "formed_targets": [c.target for c in consortia],
        "value": value,
        "spend": total_spend,
        "budget_use": {
            "total": use(total_spend, inst.policy.total_budget),
            "sponsors": {s.id: use(by_sponsor[s.id], s.budget) for s in inst.sponsors},
        },
        "members": n_members,
        "distinct_actors": len({a for c in consortia for a in c.members}),
        "state_share": state / n_members if n_members else 0.0,
        "state_enterprise_members": state,
        "private_members": private,
        "outside_region_share": outside / outside_base if outside_base else None,
        "mean_distance_km": float(np.mean(km)) if km else None,
        "ties_realised": ties_n,
        "ties_weight": ties_w,
    }


def close(a: float, b: float) -> bool:
    return abs(a - b) <= REL_TOL * max(1.0, abs(a), abs(b))
