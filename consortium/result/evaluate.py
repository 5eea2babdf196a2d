"""What a plan is worth (SPEC 3 objective) and its KPIs, from the plan alone."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..io.instance import Instance
from ..model.data import ModelData
from ..model.eligibility import haversine_km
from .solution import Consortium


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
        region = md.sponsor_region(t)
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
