"""Marginal values: each member barred from its consortium, the whole plan re-optimised.

One record per member of every formed consortium (the fields are listed in
``consortium.analysis``): the objective lost without it, whether its
consortium is then lost (critical), who replaces it, and for a lost target
whether it could still be formed without the member.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..backends.base import SolverOptions
from ..io.instance import Instance
from ..model.data import ModelData
from ..result.solution import Consortium, Contract, Solution
from ..solving.session import Session
from .jobs import Job, payload, run_jobs


def fixed_conflict(inst: Instance, target_id: str | None, actor_id: str) -> str | None:
    """Barring this actor (from target_id, or from all if None) breaks a fixed decision?"""
    fx = inst.fixed
    for t, a in fx.leads.items():
        if a == actor_id and (target_id is None or t == target_id):
            return (
                f"{actor_id} is the fixed lead of {t} (fixed.leads): no plan honours the fixed "
                "decisions without it"
            )
    for t, a in fx.members:
        if a == actor_id and (target_id is None or t == target_id):
            return (
                f"{actor_id} is a fixed member of {t} (fixed.members): no plan honours the fixed "
                "decisions without it"
            )
    return None


def marginal_values(inst: Instance, solution: Solution | dict[str, Any],
                    opts: SolverOptions | None = None, workers: int = 2, *, scheduler: Any = None,
                    progress: Callable[[int], None] | None = None, keep_plans: bool = False,
                    session: Session | None = None,
                    stats: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One record per member of every formed consortium of ``solution``.

    ``solution`` is the base plan (a :class:`Solution` or its dict) of ``inst``.
    Each member is barred from its consortium and the whole plan re-optimised;
    the fields are listed in :mod:`consortium.analysis`. ``keep_plans`` adds the re-solved
    plan (``plan``) and, for a target checked with force, ``if_forced.plan``.
    ``session``: a Session of ``inst`` to reuse when running in-process.
    """
    sol = Solution.coerce(solution)
    if not sol.has_plan or sol.objective is None:
        raise ValueError("marginal values need a base plan (status optimal or feasible)")
    md = ModelData(inst) if session is None else session.b.md
    jobs, meta = [], []
    for c in sol.consortia:
        ti = md.target_index[c.target]
        for k in c.contracts:
            ai = md.actor_index[k.actor]
            key = f"{c.target}\x00{k.actor}"
            jobs.append(
                Job(key, [(ti, ai)], check_target=ti,
                    conflict=fixed_conflict(inst, c.target, k.actor))
            )
            meta.append((c, k))
    res = run_jobs(payload(inst, sol, opts, keep_plans), jobs, workers=workers, scheduler=scheduler,
                   progress=progress, session=session, stats=stats)
    base_obj = float(sol.objective)
    out = []
    for (c, k), r in zip(meta, res, strict=False):
        out.append(_marginal_record(c, k, r, base_obj, keep_plans))
    return out


def _marginal_record(c: Consortium, k: Contract, r: dict[str, Any], base_obj: float,
                     keep_plans: bool) -> dict[str, Any]:
    tid, aid = c.target, k.actor
    caps = [d["capability"] for d in k.deliverables]
    rec: dict[str, Any] = {
        "target": tid,
        "actor": aid,
        "role": k.role,
        "reward": k.reward,
        "deliverables": caps,
        "status": r["status"],
        "objective_without": r["objective"],
        "bound_without": r["bound"],
        "gap_without": r["gap"],
        "marginal_value": None,
        "critical": False,
        "outcome": "unknown",
        "replacement": [],
        "lead_after": None,
        "members_after": None,
        "deliverers_after": {},
        "formable_without": None,
        "if_forced": None,
        "note": r.get("note", ""),
        "time_s": round(r["time_s"], 4),
    }
    if r["status"] == "infeasible":
        rec.update(critical=True, outcome="infeasible", formable_without=False)
        if not rec["note"]:
            rec["note"] = (
                "without it no plan satisfies the rules (a mandatory or fixed target "
                "cannot be formed): the actor is indispensable"
            )
    elif r["objective"] is None:
        rec["note"] = rec["note"] or f"no plan found within the limits ({r['status']})"
    else:
        rec["marginal_value"] = base_obj - r["objective"]
        after = next((x for x in r["consortia"] if x["target"] == tid), None)
        if after is None:
            rec.update(critical=True, outcome="unformed")
            f = r.get("forced")
            if f is not None:
                if f["status"] == "infeasible":
                    rec["formable_without"] = False
                    rec["note"] = f"{tid} cannot be formed at all without {aid}"
                elif f["objective"] is not None:
                    fa = next((x for x in f["consortia"] if x["target"] == tid), None)
                    rec["formable_without"] = True
                    rec["if_forced"] = {
                        "status": f["status"],
                        "objective": f["objective"],
                        "marginal_value": base_obj - f["objective"],
                        "lead": fa["lead"] if fa else None,
                        "members": fa["members"] if fa else None,
                        "replacement": sorted(set(fa["members"]) - set(c.members)) if fa else [],
                    }
                    if keep_plans:
                        rec["if_forced"]["plan"] = f.get("plan")
                    rec["note"] = (
                        f"{tid} could still be formed without {aid}, but forming it is "
                        "then worth less than leaving it out"
                    )
        else:
            repl = sorted(set(after["members"]) - set(c.members))
            rec.update(outcome="replaced" if repl else "absorbed", replacement=repl,
                       lead_after=after["lead"], members_after=after["members"],
                       deliverers_after={cap: after["deliverers"].get(cap, []) for cap in caps})
    if keep_plans:
        rec["plan"] = r.get("plan")
    return rec
