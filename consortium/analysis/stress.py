"""Stress tests: re-plan after actors disappear (all their columns barred).

Scenarios drop named actors, regions, actor types or every foreign actor;
``--drop-each`` drops each actor of the plan in turn and
:func:`early_warning` ranks them. Per scenario: lost and new targets,
changed consortia, the change in objective, value and spend, and the
capabilities of lost targets left without enough eligible domestic holders.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..backends.base import SolverOptions
from ..errors import InputError
from ..io.hints import did_you_mean
from ..io.instance import Instance
from ..model.data import ModelData
from ..model.eligibility import may_deliver, within_limit
from ..result.solution import Solution
from ..solving.session import Session
from ..spec import ACTOR_TYPES
from .jobs import Job, payload, run_jobs
from .marginal import fixed_conflict


@dataclass
class Scenario:
    name: str
    drop: list[str]
    each: bool = False  # part of --drop-each
    spec: dict[str, Any] = field(default_factory=dict)


class ScenarioError(InputError, ValueError):
    """An invalid stress scenario (exit status 2)."""


def scenario_from_spec(inst: Instance, spec: Any, where: str) -> Scenario:
    """``{"name", "drop": [ids], "drop_region": code|[codes], "drop_foreign": bool,
    "drop_type": type|[types]}``: the union of what is named is dropped."""
    if not isinstance(spec, dict):
        raise ScenarioError(f"{where}: must be an object")
    known = {"name", "drop", "drop_region", "drop_foreign", "drop_type"}
    bad = sorted(set(spec) - known)
    if bad:
        raise ScenarioError(
            f"{where}: unknown key(s) {', '.join(bad)} (known: {', '.join(sorted(known))})"
        )
    ids = {a.id for a in inst.actors}
    drop: list[str] = []

    def lst(key: str) -> list[str]:
        v = spec.get(key, [])
        v = [v] if isinstance(v, str) else v
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ScenarioError(f"{where}.{key}: must be a string or a list of strings")
        return v

    for i, aid in enumerate(lst("drop")):
        if aid not in ids:
            raise ScenarioError(f"{where}.drop[{i}]: unknown actor {aid!r}"
                                f"{did_you_mean(aid, ids)}")
        drop.append(aid)
    regions = lst("drop_region")
    have = {a.region for a in inst.actors}
    for i, r in enumerate(regions):
        if r not in have:
            raise ScenarioError(f"{where}.drop_region[{i}]: no actor in region {r!r}"
                                f"{did_you_mean(r, sorted(have))}")
    types = lst("drop_type")
    for i, typ in enumerate(types):
        if typ not in ACTOR_TYPES:
            raise ScenarioError(f"{where}.drop_type[{i}]: unknown actor type {typ!r}"
                                f"{did_you_mean(typ, ACTOR_TYPES)}")
    foreign = spec.get("drop_foreign", False)
    if not isinstance(foreign, bool):
        raise ScenarioError(f"{where}.drop_foreign: must be true or false")
    for a in inst.actors:
        if a.region in regions or a.type in types or (foreign and a.ownership == "foreign"):
            drop.append(a.id)
    drop = list(dict.fromkeys(drop))
    if not drop and not (foreign or regions or types):
        raise ScenarioError(
            f"{where}: drops nothing (give drop, drop_region, drop_foreign or drop_type)"
        )
    name = spec.get("name")
    if name is not None and not isinstance(name, str):
        raise ScenarioError(f"{where}.name: must be a string")
    if name is None:
        parts = []
        if spec.get("drop"):
            parts.append("drop " + ",".join(lst("drop")))
        if regions:
            parts.append("region " + ",".join(regions))
        if types:
            parts.append("type " + ",".join(types))
        if foreign:
            parts.append("foreign")
        name = "; ".join(parts)
    return Scenario(name, drop, spec=spec)


def scenarios_from_file(inst: Instance, path: str | Path) -> list[Scenario]:
    p = Path(path)
    try:
        if str(path) == "-":  # standard input
            from ..io.jsonfile import read_text

            data = json.loads(read_text("-"))
        else:
            data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ScenarioError(f"{p}: cannot read ({e.strerror})") from None
    except json.JSONDecodeError as e:
        raise ScenarioError(f"{p}: not valid JSON ({e.msg} at line {e.lineno})") from None
    if isinstance(data, dict) and "scenarios" in data:
        data = data["scenarios"]
    if not isinstance(data, list):
        raise ScenarioError(f"{p}: must be a JSON list of scenarios")
    return [scenario_from_spec(inst, s, f"{p.name}[{i}]") for i, s in enumerate(data)]


def drop_each_scenarios(solution: Solution | dict[str, Any]) -> list[Scenario]:
    """One scenario per actor of the plan (``--drop-each``)."""
    sol = Solution.coerce(solution)
    actors = list(dict.fromkeys(a for c in sol.consortia for a in c.members))
    return [Scenario(f"without {a}", [a], each=True) for a in actors]


def stress_test(inst: Instance, solution: Solution | dict[str, Any], scenarios: list[Scenario],
                opts: SolverOptions | None = None, workers: int = 2, *, scheduler: Any = None,
                progress: Callable[[int], None] | None = None, keep_plans: bool = False,
                session: Session | None = None,
                stats: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Re-plan after the actors of each scenario disappear (all their columns barred)."""
    sol = Solution.coerce(solution)
    if not sol.has_plan:
        raise ValueError("stress tests need a base plan (status optimal or feasible)")
    md = ModelData(inst) if session is None else session.b.md
    in_plan = {a for c in sol.consortia for a in c.members}
    jobs = []
    keys = []
    for i, s in enumerate(scenarios):
        key = f"{i}\x00{s.name}"
        keys.append(key)
        if not in_plan.intersection(s.drop):
            continue  # the plan stands: removing unused actors cannot improve or break it
        conflict = next((m for m in (fixed_conflict(inst, None, a) for a in s.drop) if m), None)
        jobs.append(Job(key, [(-1, md.actor_index[a]) for a in s.drop], conflict=conflict))
    res = run_jobs(payload(inst, sol, opts, keep_plans), jobs, workers=workers, scheduler=scheduler,
                   progress=progress, session=session, stats=stats)
    by_key = {r["key"]: r for r in res}
    out = []
    for key, s in zip(keys, scenarios, strict=False):
        out.append(_stress_record(inst, md, sol, s, by_key.get(key), keep_plans))
    return out


def _stress_record(inst: Instance, md: ModelData, sol: Solution, s: Scenario,
                   r: dict[str, Any] | None, keep_plans: bool) -> dict[str, Any]:
    before = {c.target: c for c in sol.consortia}
    tval = {t.id: t.value for t in inst.targets}
    kp = {
        "value": float(sum(tval[c.target] for c in sol.consortia)),
        "spend": float(sum(c.spend for c in sol.consortia)),
    }
    in_plan = [
        a for a in dict.fromkeys(a for c in sol.consortia for a in c.members) if a in set(s.drop)
    ]
    rec: dict[str, Any] = {
        "name": s.name,
        "kind": "each" if s.each else "scenario",
        "drop": list(s.drop),
        "dropped_in_plan": in_plan,
        "solved": r is not None,
        "status": sol.status.value,
        "objective_before": sol.objective,
        "objective_after": sol.objective,
        "objective_change": 0.0,
        "value_before": kp.get("value"),
        "value_after": kp.get("value"),
        "value_change": 0.0,
        "spend_before": kp.get("spend"),
        "spend_after": kp.get("spend"),
        "spend_change": 0.0,
        "lost_targets": [],
        "new_targets": [],
        "changed": [],
        "uncovered": [],
        "note": "" if r is not None else "no dropped actor is in the plan: the plan stands",
        "time_s": round(r["time_s"], 4) if r else 0.0,
    }
    if r is None:
        return rec
    rec["status"] = r["status"]
    rec["note"] = r.get("note", "")
    if r["objective"] is None:
        rec.update(objective_after=None, objective_change=None, value_after=None, value_change=None,
                   spend_after=None, spend_change=None)
        if r["status"] == "infeasible":
            rec["lost_targets"] = list(before)
            rec["note"] = rec["note"] or (
                "no plan satisfies the rules without these actors (a mandatory "
                "or fixed target cannot be formed)"
            )
        else:
            rec["note"] = rec["note"] or f"no plan found within the limits ({r['status']})"
            return rec
    else:
        rec["objective_after"] = r["objective"]
        rec["objective_change"] = r["objective"] - sol.objective
        rec["value_after"] = r["value"]
        rec["value_change"] = r["value"] - kp["value"]
        rec["spend_after"] = r["spend"]
        rec["spend_change"] = r["spend"] - kp["spend"]
        after = {c["target"]: c for c in r["consortia"]}
        rec["lost_targets"] = [t for t in before if t not in after]
        rec["new_targets"] = [t for t in after if t not in before]
        for t, b in before.items():
            a = after.get(t)
            if a is None:
                continue
            if a["lead"] != b.lead or set(a["members"]) != set(b.members) or a["site"] != b.site:
                rec["changed"].append(
                    {
                        "target": t,
                        "lead_before": b.lead,
                        "lead_after": a["lead"],
                        "site_before": b.site,
                        "site_after": a["site"],
                        "members_before": b.members,
                        "members_after": a["members"],
                        "joined": sorted(set(a["members"]) - set(b.members)),
                        "left": sorted(set(b.members) - set(a["members"])),
                    }
                )
        if keep_plans:
            rec["plan"] = r.get("plan")
    rec["uncovered"] = uncovered_capabilities(inst, md, rec["lost_targets"], set(s.drop))
    return rec


def uncovered_capabilities(inst: Instance, md: ModelData, targets: list[str],
                           dropped: set[str]) -> list[dict[str, Any]]:
    """Requirements of these targets with fewer remaining eligible domestic holders than
    their redundancy: not dropped or forbidden, able to join, level high enough, domestic,
    and within reach of at least one candidate site of the target."""
    n = md.n_actors
    alive = ~md.forbidden_actor & (md.max_consortia > 0) & ~md.is_foreign
    for a in dropped:
        alive[md.actor_index[a]] = False
    choke = {c.id: c.chokepoint for c in inst.capabilities}
    out = []
    for tid in targets:
        ti = md.target_index[tid]
        t = inst.targets[ti]
        ok = alive.copy()
        for ai in md.forbidden_pairs.get(ti, []):
            ok[ai] = False
        if t.max_distance_km is not None:
            sites = [md.site_index[s] for s in t.sites]
            ok &= within_limit(md.dist[:, sites], t.max_distance_km).any(axis=1) if n else ok
        for req in t.requirements:
            k = md.cap_index[req.capability]
            # domestic holders only (``alive``), so the chokepoint rule cannot bar them
            holders = (
                int(
                    (
                        ok & may_deliver(md.levels[:, k], req.level, False, md.is_foreign, False)
                    ).sum()
                )
                if n
                else 0
            )
            if holders < req.redundancy:
                out.append(
                    {
                        "target": tid,
                        "capability": req.capability,
                        "level": req.level,
                        "redundancy": req.redundancy,
                        "holders_left": holders,
                        "chokepoint": bool(choke.get(req.capability, False)),
                    }
                )
    return out


def early_warning(records: list[dict[str, Any]],
                  solution: Solution | dict[str, Any]) -> list[dict[str, Any]]:
    """Rank the single-actor (``--drop-each``) scenarios by objective lost, worst first."""
    sol = Solution.coerce(solution)
    where: dict[str, list[str]] = {}
    for c in sol.consortia:
        for a in c.members:
            where.setdefault(a, []).append(c.target)
    rows = []
    for r in records:
        if len(r["drop"]) != 1:
            continue
        a = r["drop"][0]
        lost = (
            None
            if r["objective_after"] is None or sol.objective is None
            else sol.objective - r["objective_after"]
        )
        rows.append(
            {
                "actor": a,
                "objective_lost": lost,
                "status": r["status"],
                "lost_targets": r["lost_targets"],
                "uncovered": sorted({u["capability"] for u in r["uncovered"]}),
                "targets": where.get(a, []),
            }
        )
    known = {"infeasible"}
    rows.sort(
        key=lambda x: (
            0
            if x["objective_lost"] is None and x["status"] in known
            else 1
            if x["objective_lost"] is not None
            else 2,
            -(x["objective_lost"] or 0.0),
            x["actor"],
        )
    )
    for i, x in enumerate(rows, 1):
        x["rank"] = i
    return [{"rank": x.pop("rank"), **x} for x in rows]
