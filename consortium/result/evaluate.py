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
    return float(objective_terms(inst, md, consortia)["total"])


def objective_terms(inst: Instance, md: ModelData, consortia: list[Consortium]) -> dict[str, Any]:
    """Where the objective comes from (SPEC 3, 7.3): its value, cost, distance
    and ties terms, each with its weight and sign (``total`` is their sum), in
    total and per consortium (``by_consortium``)."""
    w = inst.policy.weights
    pr = inst.programme
    rows = []
    value = spend = km = ties = 0.0
    for c in consortia:
        t = inst.targets[md.target_index[c.target]]
        if pr is None or c.start is None:
            v, s = t.value, c.spend
        else:  # SPEC 7.3: discounted from the start year, and from each year paid
            d = inst.duration_of(t)
            v = t.value * pr.discount(c.start)
            s = sum(c.spend / d * pr.discount(c.start + j) for j in range(d))
        k = float(member_km(md, c).sum())
        tw = 0.0
        if w.ties != 0:
            tw = md.tie_weight(set(c.members))
        value += v
        spend += s
        km += k
        ties += tw
        terms = {"value": w.value * v, "cost": -w.cost * s, "distance": -w.distance * k,
                 "ties": w.ties * tw}
        rows.append({"target": c.target, **terms, "total": sum(terms.values())})
    out: dict[str, Any] = {"value": w.value * value, "cost": -w.cost * spend,
                           "distance": -w.distance * km, "ties": w.ties * ties}
    out["total"] = w.value * value - w.cost * spend - w.distance * km + w.ties * ties
    out["by_consortium"] = rows
    return out


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
        for i in md.tie_hits(set(c.members)):
            ties_n += 1
            ties_w += inst.ties[i].weight

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
        "objective_terms": objective_terms(inst, md, consortia),
        **({"by_year": by_year(inst, md, consortia)} if inst.programme is not None else {}),
    }


def by_year(inst: Instance, md: ModelData, consortia: list[Consortium]) -> list[dict[str, Any]]:
    """SPEC 7.3 ``kpis.by_year``: spend (in total and per sponsor), consortia
    started and active, for each programme year."""
    pr = inst.programme
    assert pr is not None
    out = []
    for year in pr.year_list:
        spend = 0.0
        sponsors: dict[str, float] = {s.id: 0.0 for s in inst.sponsors}
        started, active = [], []
        for c in consortia:
            t = inst.targets[md.target_index[c.target]]
            if c.start is None or not c.start <= year <= (c.end or c.start):
                continue
            pay = c.spend / inst.duration_of(t)
            spend += pay
            if t.sponsor is not None:
                sponsors[t.sponsor] += pay
            active.append(c.target)
            if c.start == year:
                started.append(c.target)
        out.append({"year": year, "spend": spend, "spend_by_sponsor": sponsors,
                    "started": started, "active": active})
    return out
