"""Re-planning from a plan in force: every change to it costs.

The changes of a plan relative to the plan in force (the *incumbent*), per
target: each member removed, each member added (the members of a newly
formed target too), the lead changed, the site changed and, in a programme
(SPEC 7.3), the start year changed (a target of the incumbent left unformed
has its lead, site and start year changed). In the model they are
one linear expression ``C(x) = const + c.x`` over the membership, lead and
site columns.

With a penalty ``P`` the plan maximises ``objective - P * C``. Without one
(the default) nothing changes without need: first the least number of
changes ``K`` is proven (``min C``), then the best objective among the plans
with ``C <= K`` (the limit of ever larger ``P``, without its numerics).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..backends.base import RawResult, SolverOptions, Status
from ..model.linear import INF, LinearModel, RowBlock, csc_from_coo
from ..result.plan import Choice, start_vector
from ..result.solution import Solution
from ..solving.build import Built
from ..solving.dispatch import ENGINE_MIN_COLUMNS
from ..solving.engine.exact import Engine
from ..solving.solve import solution_from_raw

CHANGE_KINDS = ("member_removed", "member_added", "lead_changed", "site_changed",
                "start_changed")


@dataclass
class ChangeCost:
    const: float
    c: np.ndarray


def change_expression(b: Built, incumbent: list[dict[str, Any]]) -> ChangeCost:
    """``C(x) = const + c.x``: the number of changes of plan ``x`` from the incumbent."""
    md, V, lm = b.md, b.V, b.lm
    inc = {c["target"]: c for c in incumbent}
    c = np.zeros(lm.n_cols)
    const = 0.0
    with_cols = {v.index for v in V.views}
    for tid, kk in inc.items():
        if tid not in md.target_index or md.target_index[tid] not in with_cols:
            # it cannot be formed now: all of it changes
            const += len(kk["members"]) + 2 + (kk.get("start") is not None)
    for v in V.views:
        ti = v.index
        k: dict[str, Any] | None = inc.get(v.target.id)
        members = set(k["members"]) if k else set()
        here = set()
        for i, a in enumerate(v.actors):
            cols = V.x[ti][v.ptr[i]:v.ptr[i + 1]]
            aid = md.actor_ids[int(a)]
            if aid in members:
                here.add(aid)
                const += 1.0
                c[cols] -= 1.0
            else:
                c[cols] += 1.0
        const += len(members - here)  # members who can no longer join it
        if k is None:
            continue
        lead = md.actor_index.get(k["lead"], -1)
        pos = np.nonzero(v.actors[V.lead_local[ti]] == lead)[0]
        const += 1.0
        if len(pos):
            c[V.lead[ti][pos[0]]] -= 1.0
        site = md.site_index.get(k["site"], -1)
        sj = np.nonzero(v.sites == site)[0]
        const += 1.0
        if len(sj):
            c[V.site[ti][sj[0]]] -= 1.0
        if k.get("start") is not None:
            # the start year changed unless the target starts in the same year
            const += 1.0
            yj = np.nonzero(np.asarray(v.starts) == int(k["start"]))[0]
            if len(yj) and len(V.start[ti]):
                c[V.start[ti][yj[0]]] -= 1.0
    return ChangeCost(const, c)


def plan_changes(incumbent: list[dict[str, Any]], new: Solution) -> list[dict[str, Any]]:
    """The changes of ``new`` from the incumbent consortia, read off the plans."""
    inc = {c["target"]: c for c in incumbent}
    now = {c.target: c for c in new.consortia}
    out: list[dict[str, Any]] = []
    order = list(dict.fromkeys([*inc, *now]))
    for t in order:
        a, b = inc.get(t), now.get(t)
        before = set(a["members"]) if a else set()
        after = set(b.members) if b else set()
        if a is None and b is not None:
            out.append({"target": t, "kind": "target_formed", "actor": None, "before": None,
                        "after": b.lead})
        if a is not None and b is None:
            out.append({"target": t, "kind": "target_unformed", "actor": None,
                        "before": a["lead"], "after": None})
        for m in sorted(before - after):
            out.append({"target": t, "kind": "member_removed", "actor": m, "before": m,
                        "after": None})
        for m in sorted(after - before):
            out.append({"target": t, "kind": "member_added", "actor": m, "before": None,
                        "after": m})
        if a is not None and (b is None or b.lead != a["lead"]):
            out.append({"target": t, "kind": "lead_changed", "actor": b.lead if b else None,
                        "before": a["lead"], "after": b.lead if b else None})
        if a is not None and (b is None or b.site != a["site"]):
            out.append({"target": t, "kind": "site_changed", "actor": None,
                        "before": a["site"], "after": b.site if b else None})
        if a is not None and a.get("start") is not None and (b is None or b.start != a["start"]):
            out.append({"target": t, "kind": "start_changed", "actor": None,
                        "before": a["start"], "after": b.start if b else None})
    return out


def count_changes(changes: list[dict[str, Any]]) -> int:
    return sum(1 for c in changes if c["kind"] in CHANGE_KINDS)


def _with_row(lm: LinearModel, coef: np.ndarray, hi: float) -> LinearModel:
    """``lm`` with one more row ``coef.x <= hi``."""
    n, m = lm.n_cols, lm.n_rows
    A = lm.A
    r0 = np.asarray(A.indices, np.int64)
    c0 = np.repeat(np.arange(n, dtype=np.int64), np.diff(A.indptr))
    nz = np.nonzero(coef)[0]
    Am = csc_from_coo(np.concatenate([r0, np.full(len(nz), m, np.int64)]),
                      np.concatenate([c0, nz]), np.concatenate([A.data, coef[nz]]), (m + 1, n))
    blocks = list(lm.row_blocks) + [RowBlock("changes", "changes from the plan in force", m,
                                             m + 1, np.array([-1]),
                                             lambda _i: "changes from the plan in force")]
    return replace(lm, A=Am, row_lo=np.append(lm.row_lo, -INF), row_hi=np.append(lm.row_hi, hi),
                   row_blocks=blocks)


def _solve(lm: LinearModel, opts: SolverOptions, start: np.ndarray | None) -> RawResult:
    from ..backends import highs

    if start is not None and not lm.is_feasible(start):
        start = None
    if lm.n_cols >= ENGINE_MIN_COLUMNS and opts.method != "mip":
        return Engine(lm).solve(opts, start)
    return highs.run_highs(lm, opts, start)


def incumbent_start(b: Built, incumbent: list[dict[str, Any]]) -> np.ndarray | None:
    """The incumbent as column values of ``b`` (None if some of it has no column)."""
    md = b.md
    try:
        ch = [Choice(md.target_index[c["target"]], md.site_index[c["site"]],
                     md.actor_index[c["lead"]], [md.actor_index[a] for a in c["members"]],
                     c.get("start")) for c in incumbent]
        return start_vector(md, b.V, b.lm.n_cols, ch)
    except (KeyError, IndexError):
        return None


def solve_from_incumbent(b: Built, incumbent: list[dict[str, Any]],
                         penalty: float | None = None, opts: SolverOptions | None = None,
                         barred: np.ndarray | None = None) -> Solution:
    """The plan of ``b`` that changes the incumbent least (``penalty`` None) or
    maximises objective - penalty * changes; ``barred``: columns held at 0 (a
    stress scenario's dropped actors). The solution carries ``changes``
    (``extra``) and, in ``extra["incumbent"]``, the penalty and the count."""
    t0 = time.perf_counter()
    o = replace(opts or SolverOptions(), time_limit=None, deadline=None, on_progress=None,
                on_phase=None, gap=0.0)
    lm = b.lm
    if barred is not None and len(barred):
        ub = lm.ub.copy()
        ub[np.asarray(barred, np.int64)] = 0.0
        lm = replace(lm, ub=ub)
    cc = change_expression(b, incumbent)
    x0 = incumbent_start(b, incumbent)
    if penalty is None:
        first = _solve(replace(lm, obj=-cc.c, obj_offset=-cc.const), o, x0)
        if first.status != Status.OPTIMAL or first.x is None:
            raw = first
            k = None
        else:
            k = round(cc.const + float(cc.c @ first.x))
            lm2 = _with_row(lm, cc.c, k - cc.const + 0.5)
            raw = _solve(lm2, o, first.x)
            if raw.x is not None:
                raw = replace(raw, x=raw.x[: lm.n_cols])
    else:
        raw = _solve(replace(lm, obj=lm.obj - penalty * cc.c,
                             obj_offset=lm.obj_offset - penalty * cc.const), o, x0)
        k = None
    pen_obj, pen_bound = raw.objective, raw.bound
    # bound and gap of the solve are for the problem with changes costed, not for
    # the SPEC objective: the plan's own objective is recomputed, bound left out
    raw = replace(raw, bound=None, gap=None)
    sol = solution_from_raw(b, raw, time.perf_counter() - t0)
    sol.bound, sol.gap = None, None
    if sol.status.has_plan:
        ch = plan_changes(incumbent, sol)
        n = count_changes(ch)
        sol.extra["changes"] = ch
        info: dict[str, Any] = {"penalty": penalty, "changes": n}
        if penalty is None:
            info["rule"] = "least change first (changes proven least), then the best objective"
        else:
            info["objective_with_penalty"] = pen_obj
            info["bound_with_penalty"] = pen_bound
        sol.extra["incumbent"] = info
        sol.solver["message"] = (f"{sol.solver.get('message', '')}; re-planned from the plan in "
                                 f"force: {n} change(s)"
                                 + ("" if penalty is None else f" at {penalty:g} each"))
        assert k is None or n == k, (n, k)
    return sol


def incumbent_consortia(data: Any, where: str = "--incumbent") -> list[dict[str, Any]]:
    """The consortia of a solution file (target, site, lead, members, start)."""
    from ..errors import InputError

    if isinstance(data, Solution):
        return [{"target": c.target, "site": c.site, "lead": c.lead, "members": list(c.members),
                 "start": c.start} for c in data.consortia]
    if not isinstance(data, dict) or not isinstance(data.get("consortia", []), list):
        raise InputError(f"{where}: (top level): must be a solution object with a consortia list")
    out = []
    for i, c in enumerate(data.get("consortia", [])):
        if not isinstance(c, dict):
            raise InputError(f"{where}: consortia[{i}]: must be an object")
        for key in ("target", "site", "lead"):
            if not isinstance(c.get(key), str):
                raise InputError(f"{where}: consortia[{i}].{key}: must be a string")
        mem = c.get("members")
        if not isinstance(mem, list) or not all(isinstance(a, str) for a in mem):
            raise InputError(f"{where}: consortia[{i}].members: must be a list of actor ids")
        out.append({"target": c["target"], "site": c["site"], "lead": c["lead"],
                    "members": list(mem), "start": c.get("start")})
    return out


def replan(inst: Any, incumbent: Any, penalty: float | None = None,
           opts: SolverOptions | None = None, raw: dict[str, Any] | None = None,
           reasons: bool = True, verify: bool = True) -> Solution:
    """``consortium solve --incumbent``: the verified plan of ``inst`` re-planned
    from ``incumbent`` (a solution dict or :class:`Solution`)."""
    from ..solving.build import build
    from ..solving.reasons import unformed_reasons
    from ..solving.verified import check_plan, raw_of

    cons = incumbent_consortia(incumbent)
    b = build(inst)
    sol = solve_from_incumbent(b, cons, penalty, opts)
    if sol.status.has_plan and reasons:
        sol.unformed = unformed_reasons(b, sol, replace(opts or SolverOptions(), deadline=None))
    if verify and sol.status.has_plan:
        check_plan(raw if raw is not None else raw_of(inst), sol)
    sol.inst = inst
    return sol


def least_change_repairs(inst: Any, incumbent: Solution, records: list[dict[str, Any]],
                         opts: SolverOptions | None = None) -> None:
    """``stress --incumbent``: beside each scenario's re-optimised plan, the
    least-change repair of the plan in force (``least_change`` in each record:
    status, objective, the number of changes and the changes)."""
    from ..solving.session import Session

    sess = Session(inst, opts or SolverOptions())
    b = sess.b
    cons = incumbent_consortia(incumbent)
    for rec in records:
        if not rec.get("solved"):
            rec["least_change"] = {"status": rec["status"], "objective": rec["objective_after"],
                                   "changes": 0, "list": []}
            continue
        cols = sess.barred_columns([(-1, b.md.actor_index[a]) for a in rec["drop"]])
        sol = solve_from_incumbent(b, cons, None, opts, barred=cols)
        ch = sol.extra.get("changes", [])
        rec["least_change"] = {"status": sol.status.value, "objective": sol.objective,
                               "changes": count_changes(ch), "list": ch}
