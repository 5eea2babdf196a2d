"""Alternatives for a formed target: who else could lead it, who else could
take each member's place, and what the best plan with that choice is worth.

A *choice* is another lead ``a`` (the target led by ``a``), or member ``m``
replaced by ``b`` at site ``s`` (``m`` out of the target, ``b`` in it at
``s``); its value ``G(c)`` is the optimum of the whole plan with the choice
fixed (everything else re-optimised). Solving one MILP per choice is exact but
slow (the provincial preset: some 1,400 choices for one target, 1-5 s each),
so the values are found in two steps, and proven together:

* **Local plans (lower bounds).** Most alternatives change the target and, at
  most, the consortia its newcomer already sits in (a lead swapped between
  two targets, a member who leaves another consortium). So each choice is
  first re-planned over those targets only, every other consortium held as
  it is in the plan, against what the others leave of the budgets and
  capacities: a small MILP whose plan is a plan of the whole instance, worth
  ``L(c) <= G(c)``. Choices are taken best LP bound first (the LP
  relaxation's duals bound every choice at once; :mod:`..solving.engine.lagrange`).
* **One certificate (upper bounds for all choices at once).** With ``top``
  N, let ``K`` be the N-th best value found. One MILP over the whole model,
  with a 0/1 *witness* per choice (at most one chosen; a witness can be 1
  only where the plan makes that choice), maximises ``objective - max(L(c),
  K)`` of the choice witnessed. If its optimum is 0 (within the optimality
  tolerance), then every choice has ``G(c) <= max(L(c), K)``: the N best are
  exact (their local plans are optimal), every other choice is at most ``K``
  and cannot enter the ranking. Otherwise its plan beats the value known for
  the choices it makes: they take it, and the certificate is solved again
  (every round raises a lower bound; a work limit of rounds falls back to one
  exact solve per choice still open).

Every alternative shown is exact (``status`` "optimal", the plan verified),
"infeasible" (no plan makes the choice), or "bounded" (at most ``bound``,
proven below the ranking's cut-off, with ``top``); ``top=None`` makes every
one exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..backends import highs
from ..backends.base import RawResult, SolverOptions, Status
from ..errors import InputError
from ..model.linear import INF, ColBlock, LinearModel, RowBlock, csc_from_coo
from ..result.plan import choices_from_plan, extract, start_vector
from ..result.solution import Solution
from ..solving.engine import lagrange
from ..solving.engine.exact import Engine
from ..solving.session import Session
from ..solving.solve import solution_from_raw
from ..solving.standalone import STANDALONE_HIGHS
from .probe import Probe, tol

if TYPE_CHECKING:
    import pandas as pd

# The ranking's default length (``consortium explain --alternatives``; --all: every one).
DEFAULT_TOP = 10
# Local plans computed before the first certificate, with ``top`` N: this many
# times N (at least LOCAL_MIN), best LP bound first.
LOCAL_PER_TOP, LOCAL_MIN = 4, 40
# Certificate rounds before the fall-back to one exact solve per open choice
# (a work limit: every round raises a lower bound).
CERT_ROUNDS = 12


@dataclass
class Alternative:
    kind: str  # "lead" or "member"
    replaces: str  # the actor replaced (the lead, or the member)
    actor: str  # the alternative
    site: str | None
    bound: float  # a proven upper bound on the best plan with this choice
    objective: float | None = None  # exact (status "optimal"), else None
    status: str = "bounded"  # "optimal", "infeasible" or "bounded" (at most ``bound``)
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
    exact: bool  # every alternative exact (else: the top ones, the rest bounded)
    solves: int = 0  # MILPs solved: local plans, certificates, exact fall-backs
    time_s: float = 0.0
    top: int | None = None
    certificates: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "objective": self.objective, "lead": self.lead,
                "members": self.members, "exact": self.exact, "top": self.top,
                "solves": self.solves, "certificates": self.certificates,
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


@dataclass
class _Choice:
    alt: Alternative
    one: int  # the column the choice sets to 1 (the lead's, or the newcomer's at its site)
    zeros: np.ndarray  # columns it sets to 0 (the member replaced, in the target)
    actor: int  # the newcomer (actor index)
    lower: float = -np.inf  # value of the best plan known that makes it
    x: np.ndarray | None = None  # that plan
    infeasible: bool = False
    proven: bool = False  # its value is its exact optimum (solved alone)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.alt.kind, self.alt.replaces, self.alt.actor)


def _rank_key(a: Alternative) -> tuple[float, int, str, str, str]:
    v = a.objective if a.objective is not None else (
        -np.inf if a.status == "infeasible" else a.bound)
    if np.isfinite(v):  # equal within the tolerance of optima: exact ones first
        v = float(f"{v:.10g}")
    return (-v, 0 if a.status == "optimal" else 1, a.kind, a.replaces, a.actor)


def alternatives(probe: Probe, target: str, plan: Solution | None = None,
                 top: int | None = DEFAULT_TOP) -> AlternativesResult:
    """Every alternative lead and member of formed ``target`` in ``plan``
    (default: the optimum), ranked by the exact optimum with it fixed; with
    ``top`` N, the N best exact and the others bounded below them (None: all
    exact)."""
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
    run = _Run(probe, sess, target, sol)
    run.search(top)
    alts = _merge_sites([ch.alt for ch in run.choices])
    alts.sort(key=_rank_key)
    exact = all(a.status != "bounded" for a in alts)
    return AlternativesResult(target, sol.objective, c.lead, list(c.members), alts, exact,
                              run.solves, time.perf_counter() - t0, top, run.certificates)


class _Run:
    """One target's alternatives: the choices, their local plans, the certificates."""

    def __init__(self, probe: Probe, sess: Session, target: str, sol: Solution):
        self.probe, self.sess = probe, sess
        b = sess.b
        self.b, self.md, self.V, self.lm = b, b.md, b.V, b.lm
        self.ti = self.md.target_index[target]
        self.opts = SolverOptions(gap=0.0, threads=1, highs=dict(probe.opts.highs))
        self.solves = 0
        self.certificates = 0
        self.x0 = self._plan_vector(sol)
        self.col_target = self.V.column_targets(self.lm.n_cols)
        self.A = self.lm.A.scipy()
        self.activity = self.lm.A @ self.x0
        # the targets each actor is a member of in the plan
        self.member_of: dict[int, set[int]] = {}
        for k in sol.consortia:
            for a in k.members:
                self.member_of.setdefault(self.md.actor_index[a], set()).add(
                    self.md.target_index[k.target])
        self.choices = self._choices(sol)

    # ------------------------------------------------------------ set-up

    def _plan_vector(self, sol: Solution) -> np.ndarray:
        """The plan as column values, every column set (continuous ones too)."""
        md, V, lm = self.md, self.V, self.lm
        x = start_vector(md, V, lm.n_cols,
                         choices_from_plan(md, [k.to_dict() for k in sol.consortia]))
        if lm.is_feasible(x):
            return x
        # continuous columns (ties, a programme's yearly spend): the best values
        # with every 0/1 column held as the plan has it
        held = lm.integer
        lb = np.where(held, x, lm.lb)
        ub = np.where(held, x, lm.ub)
        r = highs.run_highs(LinearModel(lb=lb, ub=ub, obj=lm.obj, integer=lm.integer, A=lm.A,
                                        row_lo=lm.row_lo, row_hi=lm.row_hi, col_blocks=[],
                                        row_blocks=[], obj_offset=lm.obj_offset), self.opts)
        if r.x is None or not lm.is_feasible(r.x):
            raise RuntimeError("the plan is not a plan of the model: no alternatives around it")
        return np.where(held, x, r.x)

    def _choices(self, sol: Solution) -> list[_Choice]:
        md, V = self.md, self.V
        ti = self.ti
        v = md.views[ti]
        c = sol.consortium(md.inst.targets[ti].id)
        assert c is not None
        ids = md.actor_ids
        local = {int(a): i for i, a in enumerate(v.actors)}
        members = set(c.members)
        out: list[_Choice] = []
        lead_cols = V.lead[ti]
        none = np.zeros(0, np.int64)
        for k, li in enumerate(V.lead_local[ti]):
            a = int(v.actors[li])
            if ids[a] == c.lead:
                continue
            out.append(_Choice(Alternative("lead", c.lead, ids[a], None, np.inf),
                               int(lead_cols[k]), none, a))
        for m in c.members:
            if m == c.lead:
                continue
            mi = local[md.actor_index[m]]
            gone = np.concatenate([V.x[ti][v.ptr[mi]:v.ptr[mi + 1]],
                                   lead_cols[V.lead_local[ti] == mi]]).astype(np.int64)
            for bi in range(v.n):
                a = int(v.actors[bi])
                if ids[a] in members:
                    continue
                for tri in range(int(v.ptr[bi]), int(v.ptr[bi + 1])):
                    site = md.inst.sites[int(v.sites[v.tri_site[tri]])].id
                    out.append(_Choice(Alternative("member", m, ids[a], site, np.inf),
                                       int(V.x[ti][tri]), gone, a))
        return out

    def _bounds(self, ch: _Choice) -> tuple[np.ndarray, np.ndarray]:
        lb, ub = self.lm.lb.copy(), self.lm.ub.copy()
        lb[ch.one] = 1.0
        ub[ch.zeros] = 0.0
        return lb, ub

    def _value(self, x: np.ndarray) -> float:
        return float(self.lm.obj @ x + self.lm.obj_offset)

    def _makes(self, x: np.ndarray) -> list[_Choice]:
        """The choices plan ``x`` makes."""
        return [ch for ch in self.choices if x[ch.one] > 0.5
                and (not len(ch.zeros) or float(x[ch.zeros].max()) < 0.5)]

    def _offer(self, x: np.ndarray) -> None:
        """A plan of the model: a lower bound for every choice it makes."""
        z = self._value(x)
        for ch in self._makes(x):
            if z > ch.lower:
                ch.lower, ch.x = z, x

    # ------------------------------------------------------------ LP bounds

    def lp_bounds(self) -> None:
        """Every choice bounded at once by the LP relaxation's duals."""
        lm = self.lm
        lp = self.sess.engine.relax.solve(lm.lb, lm.ub, SolverOptions(threads=1))
        if lp.status == "infeasible":
            for ch in self.choices:
                ch.alt.bound = -np.inf
            return
        if lp.row_dual is None:
            return  # (no duals: every bound stays infinite, the certificates decide)
        bd = lagrange.best_bound(lm, lp.row_dual, lm.lb, lm.ub)
        d = bd.d
        for ch in self.choices:
            ch.alt.bound = float(bd.value - max(-d[ch.one], 0.0)
                                 - np.maximum(d[ch.zeros], 0.0).sum())

    # ------------------------------------------------------------ local plans

    def local(self, ch: _Choice) -> None:
        """The best plan with the choice made, re-planning only the target and
        the consortia its newcomer sits in (every other column as in the plan)."""
        targets = {self.ti} | self.member_of.get(ch.actor, set())
        free = np.isin(self.col_target, list(targets))
        lb, ub = self._bounds(ch)
        x = self._within(free, lb, ub)
        self.solves += 1
        if x is not None:
            self._offer(x)

    def _within(self, free: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> np.ndarray | None:
        """The best plan with the columns outside ``free`` held at the plan: a
        small MILP over the free columns, rows limited by what the held ones use."""
        lm, x0 = self.lm, self.x0
        fc = np.nonzero(free)[0]
        held = ~free
        if np.any(x0[held] < lb[held] - 1e-9) or np.any(x0[held] > ub[held] + 1e-9):
            return None
        Af = self.A[:, fc]
        rows = np.unique(Af.indices)
        rest = self.activity - Af @ x0[fc]
        sub = LinearModel(lb=lb[fc], ub=ub[fc], obj=lm.obj[fc], integer=lm.integer[fc],
                          A=_csc(Af[rows]), row_lo=lm.row_lo[rows] - rest[rows],
                          row_hi=lm.row_hi[rows] - rest[rows], col_blocks=[], row_blocks=[])
        o = SolverOptions(gap=0.0, threads=1, highs={**STANDALONE_HIGHS, **self.opts.highs})
        r = highs.run_highs(sub, o)
        if r.status != Status.OPTIMAL or r.x is None:
            return None
        x = x0.copy()
        x[fc] = np.where(sub.integer, np.round(r.x), r.x)
        if not replace(lm, lb=lb, ub=ub).is_feasible(x):
            return None
        return x

    # ------------------------------------------------------------ the search

    def search(self, top: int | None) -> None:
        self.lp_bounds()
        order = sorted(self.choices, key=lambda ch: (-ch.alt.bound, ch.alt.kind,
                                                    ch.alt.replaces, ch.alt.actor,
                                                    ch.alt.site or ""))
        budget = len(order) if top is None else max(LOCAL_PER_TOP * top, LOCAL_MIN)
        done = 0
        for ch in order:
            if done >= budget:
                break
            if ch.x is not None or not np.isfinite(ch.alt.bound) and ch.alt.bound < 0:
                continue
            self.local(ch)
            done += 1
        if top is not None and self._known() < top:
            for ch in order:  # fewer plans than the ranking needs: every choice locally
                if ch.x is None and np.isfinite(ch.alt.bound):
                    self.local(ch)
        if top is None or self._known() < top:
            # Every choice exact: each solved alone, from its local plan (one
            # certificate for all would have to close the gap between their
            # values, far apart: a hard MILP; with a ranking's cut-off most
            # floors are the cut-off itself).
            for ch in self.choices:
                self._exact(ch)
            self._finish(-np.inf)
            return
        for _ in range(CERT_ROUNDS):
            cut = self._cutoff(top)
            x = self._certificate(cut)
            if x is None:
                self._finish(cut)
                return
            self._offer(x)
        # the work limit of rounds: one exact solve for each choice still open
        cut = self._cutoff(top)
        for ch in self.choices:
            floor = max(ch.lower, cut)
            if not ch.infeasible and (not np.isfinite(floor) or ch.alt.bound > floor + tol(floor)):
                self._exact(ch)
        if self._certificate(self._cutoff(top)) is not None:
            raise RuntimeError("alternatives: the exact solves left a choice unproven")
        self._finish(self._cutoff(top))

    def _known(self) -> int:
        return len({ch.key for ch in self.choices if ch.x is not None})

    def _cutoff(self, top: int | None) -> float:
        """The N-th best value known over the alternatives (sites merged)."""
        if top is None:
            return -np.inf
        best: dict[tuple[str, str, str], float] = {}
        for ch in self.choices:
            if ch.x is not None:
                best[ch.key] = max(best.get(ch.key, -np.inf), ch.lower)
        vals = sorted(best.values(), reverse=True)
        return vals[top - 1] if len(vals) >= top else -np.inf

    def _exact(self, ch: _Choice) -> None:
        """The choice's optimum by one exact solve (its plan, or no plan)."""
        if ch.infeasible or ch.proven:
            return
        lb, ub = self._bounds(ch)
        zeros = np.nonzero(ub < self.lm.ub)[0]
        ones = np.nonzero(lb > self.lm.lb)[0]
        raw = self.sess.solve_fixed(zeros, ones, opts=self.opts, start=ch.x)
        self.solves += 1
        if raw.status == Status.INFEASIBLE:
            ch.infeasible = True
            return
        if raw.status != Status.OPTIMAL or raw.x is None:
            raise RuntimeError(f"alternative re-solve ended {raw.status.value}: no exact answer")
        self._offer(raw.x)
        if ch.x is None or ch.lower < float(raw.objective or 0.0) - tol(ch.lower):
            raise RuntimeError("alternative re-solve: the plan does not make the choice")
        ch.proven = True

    def _certificate(self, cut: float) -> np.ndarray | None:
        """A plan that beats the value known for a choice it makes (each
        choice's value taken as at least ``cut``), or None when there is none:
        then every choice is at most max(its value, cut)."""
        live = [ch for ch in self.choices if not ch.infeasible]
        if not live:
            return None
        floor = np.array([max(ch.lower, cut) for ch in live])
        if not np.all(np.isfinite(floor)):
            raise RuntimeError("alternatives: a choice without a value to prove")
        lm = self.lm
        n, m, k = lm.n_cols, lm.n_rows, len(live)
        A = lm.A
        rows = [np.asarray(A.indices, np.int64)]
        cols = [np.repeat(np.arange(n, dtype=np.int64), np.diff(A.indptr))]
        vals = [np.asarray(A.data, float)]
        w = n + np.arange(k, dtype=np.int64)
        # w_c <= x[one of c]
        r = m + np.arange(k, dtype=np.int64)
        rows += [r, r]
        cols += [w, np.array([ch.one for ch in live], np.int64)]
        vals += [np.ones(k), -np.ones(k)]
        lo, hi = [lm.row_lo, np.full(k, -INF)], [lm.row_hi, np.zeros(k)]
        nr = m + k
        # per member replaced: sum of its witnesses + its columns in the target <= 1
        groups: dict[str, list[int]] = {}
        for i, ch in enumerate(live):
            if ch.alt.kind == "member":
                groups.setdefault(ch.alt.replaces, []).append(i)
        for idx in groups.values():
            gone = live[idx[0]].zeros
            rows.append(np.full(len(idx) + len(gone), nr, np.int64))
            cols += [np.concatenate([w[idx], gone])]
            vals.append(np.ones(len(idx) + len(gone)))
            lo.append(np.array([-INF]))
            hi.append(np.array([1.0]))
            nr += 1
        # exactly one choice witnessed
        rows.append(np.full(k, nr, np.int64))
        cols.append(w)
        vals.append(np.ones(k))
        lo.append(np.array([1.0]))
        hi.append(np.array([1.0]))
        nr += 1
        # the objective minus the witnessed choice's floor, plus the highest
        # floor (values at the scale of the plans', as the tolerances expect)
        top_z = float(floor.max())
        cert = LinearModel(
            lb=np.concatenate([lm.lb, np.zeros(k)]), ub=np.concatenate([lm.ub, np.ones(k)]),
            obj=np.concatenate([lm.obj, top_z - floor]),
            integer=np.concatenate([lm.integer, np.ones(k, bool)]),
            A=csc_from_coo(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                           (nr, n + k)),
            row_lo=np.concatenate(lo), row_hi=np.concatenate(hi),
            col_blocks=[*lm.col_blocks, ColBlock("witness", n, n + k)],
            row_blocks=[*lm.row_blocks, RowBlock("witness", "choice witnessed", m, nr,
                                                 np.full(nr - m, -1),
                                                 lambda _i: "choice witnessed")],
            obj_offset=lm.obj_offset)
        # start: a choice at its floor, with its plan (worth exactly top_z)
        start = None
        at = [i for i, ch in enumerate(live) if ch.x is not None and ch.lower >= floor[i]]
        if at:
            i = max(at, key=lambda j: live[j].lower)
            start = np.concatenate([live[i].x, np.zeros(k)])
            start[n + i] = 1.0
        beat = top_z + tol(top_z)  # a plan worth more beats a floor
        # HiGHS stops at the first plan that beats it (any such plan raises a
        # lower bound); only the last certificate, which finds none, runs to the end
        o = replace(self.opts, highs={**self.opts.highs, "objective_target": beat})
        raw = _solve(cert, o, start)
        self.solves += 1
        self.certificates += 1
        if raw.status == Status.INFEASIBLE:
            # no plan makes any of the choices
            for ch in live:
                ch.infeasible = True
            return None
        if raw.x is not None and raw.objective is not None and raw.objective > beat:
            x = np.asarray(raw.x[:n], float)
            x = np.where(lm.integer, np.round(x), x)
            if lm.is_feasible(x) and any(_beats(self._value(x), ch.lower)
                                         for ch in self._makes(x)):
                return x
            raise RuntimeError("alternatives: the certificate's plan raises no lower bound")
        if raw.status != Status.OPTIMAL:
            raise RuntimeError(f"alternatives: the certificate ended {raw.status.value}")
        return None

    def _finish(self, cut: float) -> None:
        """Statuses and plans after the last certificate."""
        cut_ok = np.isfinite(cut)
        for ch in self.choices:
            a = ch.alt
            if ch.infeasible:
                a.status, a.objective, a.bound = "infeasible", None, -np.inf
                continue
            if ch.x is not None and (not cut_ok or ch.lower >= cut - tol(cut)):
                a.status, a.objective = "optimal", ch.lower
                a.bound = ch.lower
                continue
            # proven at most the cut-off (and the LP bound)
            a.status, a.objective = "bounded", None
            a.bound = float(min(a.bound, cut)) if cut_ok else a.bound
            if ch.x is None and not cut_ok:
                raise RuntimeError("alternatives: a choice left without a value")
        self._plans()

    def _plans(self) -> None:
        """The verified plan of every exact alternative, and its consortium."""
        from ..solving.verified import check_plan

        md, V = self.md, self.V
        ids = md.actor_ids
        best: dict[tuple[str, str, str], _Choice] = {}
        for ch in self.choices:
            if ch.alt.status == "optimal":
                cur = best.get(ch.key)
                if cur is None or ch.lower > cur.lower:
                    best[ch.key] = ch
        for ch in self.choices:
            if ch.alt.status != "optimal" or ch.x is None:
                continue
            raw = RawResult(status=Status.OPTIMAL, x=ch.x, objective=ch.lower, bound=ch.lower,
                            gap=0.0, time_s=0.0, solver="highs", version=highs.version(),
                            message="the best plan with the choice fixed")
            s = solution_from_raw(self.b, raw, 0.0)
            if best.get(ch.key) is ch:
                check_plan(self.probe.raw, s)
            ch.alt.plan = s
            ch.alt.objective = s.objective
            mine = next((k for k in extract(md, V, ch.x) if k.target == self.ti), None)
            if mine is not None:
                ch.alt.lead = ids[mine.lead]
                ch.alt.members = [ids[a] for a in mine.members]


def _beats(z: float, lower: float) -> bool:
    return not np.isfinite(lower) or z > lower + tol(lower)


def _csc(m: Any) -> Any:
    from ..model.linear import Csc

    return Csc.of(m)


def _solve(lm: LinearModel, opts: SolverOptions, start: np.ndarray | None) -> RawResult:
    from ..solving.dispatch import ENGINE_MIN_COLUMNS

    if start is not None and not lm.is_feasible(start):
        start = None
    if lm.n_cols >= ENGINE_MIN_COLUMNS and opts.method != "mip":
        return Engine(lm).solve(opts, start, prove=start is not None)
    return highs.run_highs(lm, opts, start)


def _merge_sites(alts: list[Alternative]) -> list[Alternative]:
    """A member alternative at several sites: the best of them (exact when
    that one is; a bounded site below an exact one does not change it)."""
    best: dict[tuple[str, str, str], Alternative] = {}
    for a in alts:
        key = (a.kind, a.replaces, a.actor)
        cur = best.get(key)
        if cur is None or _rank_key(a) < _rank_key(cur):
            best[key] = a
    return list(best.values())
