"""Alternatives for a formed target: who else could lead it, who else could
take each member's place, and what the best plan with that choice is worth.

A choice is fixed by column bounds on the loaded model (the lead column of the
actor at 1; for a member, the member's columns in the target at 0 and the
newcomer's column at one site at 1, each site tried), and the whole plan is
re-optimised exactly (:meth:`~consortium.solving.session.Session.solve_fixed`:
the target re-planned alone around the plan first, then the exact engine).

Before any solve, the LP relaxation's duals give every choice an upper bound
(the Lagrangian bound of :mod:`consortium.solving.engine.lagrange` with the
choice's columns fixed). Choices are solved best bound first; with ``top``,
the search stops once ``top`` exact values are at least every remaining bound:
the ranking of those is then exact, and every other choice is shown with its
bound ("at most").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..backends.base import SolverOptions, Status
from ..errors import InputError
from ..result.plan import choices_from_plan, extract, start_vector
from ..result.solution import Solution
from ..solving.engine import lagrange
from ..solving.session import Session
from ..solving.solve import solution_from_raw
from .probe import Probe, tol

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Alternative:
    kind: str  # "lead" or "member"
    replaces: str  # the actor replaced (the lead, or the member)
    actor: str  # the alternative
    site: str | None
    bound: float  # the LP bound on the best plan with this choice
    objective: float | None = None  # exact (None: not solved; "at most bound"; or no plan)
    status: str = "unsolved"  # "optimal", "infeasible" or "unsolved"
    members: list[str] = field(default_factory=list)
    lead: str | None = None
    plan: Solution | None = None

    def to_dict(self, current: float | None) -> dict[str, Any]:
        return {"kind": self.kind, "replaces": self.replaces, "actor": self.actor,
                "site": self.site, "status": self.status, "objective": self.objective,
                "difference": None if self.objective is None or current is None
                else self.objective - current,
                "bound": self.bound, "lead": self.lead, "members": self.members}


@dataclass
class AlternativesResult:
    """Alternatives for one formed target, best first (``.to_frame()``)."""

    target: str
    objective: float | None  # of the plan now
    lead: str
    members: list[str]
    alternatives: list[Alternative]
    exact: bool  # every alternative solved (else: the top ones, the rest bounded)
    solves: int = 0
    time_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "objective": self.objective, "lead": self.lead,
                "members": self.members, "exact": self.exact, "solves": self.solves,
                "time_s": round(self.time_s, 3),
                "alternatives": [a.to_dict(self.objective) for a in self.alternatives]}

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        rows = [a.to_dict(self.objective) for a in self.alternatives]
        for r in rows:
            r["members"] = ", ".join(r["members"])
        return pd.DataFrame(rows, columns=["kind", "replaces", "actor", "site", "status",
                                           "objective", "difference", "bound", "lead",
                                           "members"])


def _rank_key(a: Alternative) -> tuple[float, str, str, str]:
    v = a.objective if a.objective is not None else (
        -np.inf if a.status == "infeasible" else a.bound)
    return (-v, a.kind, a.replaces, a.actor)


def alternatives(probe: Probe, target: str, plan: Solution | None = None,
                 top: int | None = None) -> AlternativesResult:
    """Every alternative lead and member of formed ``target`` in ``plan``
    (default: the optimum), ranked by the exact optimum with it fixed."""
    t0 = time.perf_counter()
    base = probe.solve()
    sess: Session = probe.base_loaded()
    sol = plan if plan is not None else base.solution
    c = sol.consortium(target)
    if c is None:
        if target not in {t.id for t in probe.inst.targets}:
            raise InputError(f"--alternatives: unknown target {target!r}")
        raise InputError(f"--alternatives: {target} is not formed in the plan (see `consortium "
                         "explain` for what would form it)")
    b = sess.b
    md, V, lm = b.md, b.V, b.lm
    ti = md.target_index[target]
    v = md.views[ti]
    x0 = start_vector(md, V, lm.n_cols, choices_from_plan(md, [k.to_dict()
                                                               for k in sol.consortia]))
    lp = sess.engine.relax.solve(lm.lb, lm.ub, SolverOptions(threads=1))
    if lp.row_dual is None:
        raise RuntimeError("the LP relaxation gave no duals: no bounds for alternatives")
    bd = lagrange.best_bound(lm, lp.row_dual, lm.lb, lm.ub)
    d = bd.d

    def ub_of(ones: np.ndarray, zeros: np.ndarray) -> float:
        return float(bd.value - np.maximum(-d[ones], 0.0).sum() - np.maximum(d[zeros], 0.0).sum())

    local = {int(a): i for i, a in enumerate(v.actors)}
    ids = md.actor_ids
    members = set(c.members)
    cands: list[tuple[Alternative, np.ndarray, np.ndarray]] = []
    lead_cols = V.lead[ti]
    for k, li in enumerate(V.lead_local[ti]):
        a = int(v.actors[li])
        if ids[a] == c.lead:
            continue
        ones = np.array([lead_cols[k]], np.int64)
        cands.append((Alternative("lead", c.lead, ids[a], None, ub_of(ones, ones[:0])), ones,
                      ones[:0]))
    for m in c.members:
        if m == c.lead:
            continue
        mi = local[md.actor_index[m]]
        out_cols = np.concatenate([V.x[ti][v.ptr[mi]:v.ptr[mi + 1]],
                                   lead_cols[V.lead_local[ti] == mi]]).astype(np.int64)
        for bi in range(v.n):
            a = int(v.actors[bi])
            if ids[a] in members:
                continue
            for tri in range(int(v.ptr[bi]), int(v.ptr[bi + 1])):
                ones = np.array([V.x[ti][tri]], np.int64)
                site = md.inst.sites[int(v.sites[v.tri_site[tri]])].id
                cands.append((Alternative("member", m, ids[a], site, ub_of(ones, out_cols)),
                              ones, out_cols))
    cands.sort(key=lambda e: (-e[0].bound, e[0].kind, e[0].replaces, e[0].actor, e[0].site or ""))
    solved: list[float] = []
    solves = 0
    exact = True
    for alt, ones, zeros in cands:
        if top is not None and len(solved) >= top:
            kth = sorted(solved, reverse=True)[top - 1]
            if alt.bound <= kth + tol(kth):
                exact = False
                continue
        raw = sess.solve_fixed(zeros, ones, around=x0, local=[ti], opts=probe.opts)
        solves += 1
        if raw.status == Status.INFEASIBLE:
            alt.status = "infeasible"
            continue
        if raw.status != Status.OPTIMAL or raw.x is None:
            raise RuntimeError(f"alternative re-solve ended {raw.status.value}: no exact answer")
        s = solution_from_raw(b, raw, raw.time_s)
        mine = next((ch for ch in extract(md, V, raw.x) if ch.target == ti), None)
        alt.status = "optimal"
        alt.objective = s.objective
        alt.plan = s
        if mine is not None:
            alt.lead = ids[mine.lead]
            alt.members = [ids[a] for a in mine.members]
        solved.append(float(s.objective or 0.0))
    alts = _merge_sites([a for a, _, _ in cands])
    alts.sort(key=_rank_key)
    return AlternativesResult(target, sol.objective, c.lead, list(c.members), alts, exact,
                              solves, time.perf_counter() - t0)


def _merge_sites(alts: list[Alternative]) -> list[Alternative]:
    """A member alternative at several sites: the best of them (exact when every
    site was solved, else the best bound among those left)."""
    best: dict[tuple[str, str, str], Alternative] = {}
    for a in alts:
        key = (a.kind, a.replaces, a.actor)
        cur = best.get(key)
        if cur is None or _rank_key(a) < _rank_key(cur):
            best[key] = a
    return list(best.values())
