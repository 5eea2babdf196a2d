"""Alternatives for a formed target: who else could lead it, who else could
take each member's place, and what the best plan with that choice is worth.

A *choice* is another lead ``a`` (the target led by ``a``), or member ``m``
replaced by ``b`` at site ``s`` (``m`` out of the target, ``b`` in it at
``s``); its value ``G(c)`` is the optimum of the whole plan with the choice
fixed (everything else re-optimised). Solving one MILP per choice is exact but
slow (the provincial preset: some 1,400 choices for one target, 1-5 s each),
so the values are found, and proven, together:

* **Bounds for every choice at once.** No choice is worth more than the
  optimum of the instance. The LP relaxation's duals bound every choice
  (:mod:`..solving.engine.lagrange`), and so, far tighter, does the bound by
  target at the same duals (:mod:`..solving.engine.by_target`: each target's
  own consortium integral), which also fixes most columns for any threshold
  near the optimum (the plans worth that much all have them so).
* **Local plans (lower bounds).** Most alternatives change the target and, at
  most, the consortia its newcomer already sits in (a lead swapped between
  two targets, a member who leaves another consortium). So choices are
  first re-planned over those targets only, best bound first, every other
  consortium held as it is in the plan, against what the others leave of the
  budgets and capacities: a small MILP whose plan is a plan of the whole
  instance, worth ``L(c) <= G(c)``.
* **Certificate rounds (exact values and upper bounds).** Each round is one
  MILP over the whole model, restricted by the fixings at its threshold, with
  one 0/1 *witness* per kind of change (another lead; member ``m`` replaced,
  per ``m``): its plans are exactly those that make one of the open choices.
  Until the N best values are proven, a round looks for the best such plan
  worth at least a threshold just below the best bound (lowered when a round
  finds none): that plan's value is the exact value of the choices it makes,
  and bounds every other open choice. Then one round with floors (a choice's
  value known, at least the N-th ``K``) maximises the excess over the floor of
  the choice witnessed: if no plan beats its floor, the N best are exact and
  every other choice is at most ``K``; else the choice that beats it by the
  most is exact, the others bounded by their floors plus that excess, and a
  round follows. A round's open choices are split in two parts (dealt out
  best bound first), one certificate each, solved side by side: each part
  settles its own best choice, so a round can settle two values. The parts
  depend on the choices only, not on the machine's cores. A work limit of
  rounds falls back to one exact solve per choice still open.

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
from ..backends.base import RawResult, SolverOptions, Status, default_parallelism
from ..errors import InputError
from ..model.linear import INF, ColBlock, LinearModel, RowBlock, csc_from_coo
from ..result.plan import choices_from_plan, extract, start_vector
from ..result.solution import Solution
from ..solving.engine import by_target, lagrange
from ..solving.engine.exact import PROOF_HIGHS, ROUND_HIGHS
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
# (a work limit: every round settles a choice or lowers its threshold).
CERT_ROUNDS = 40
# The certificates look for plans worth at least a threshold, first this far
# below the best bound (relative to the optimum), the distance growing this
# many times after every round that finds none.
STEP_FIRST, STEP_GROWTH = 2e-5, 4.0
# A round's open choices are split in this many parts, one certificate each,
# solved side by side (a machine's cores decide only how many at once).
ROUND_PARTS = 2


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
    # no alternative is worth more than the optimum of the instance
    upper = base.solution.bound if base.solution.bound is not None else base.objective
    run = _Run(probe, sess, target, sol, upper)
    run.search(top)
    alts = _merge_sites([ch.alt for ch in run.choices])
    alts.sort(key=_rank_key)
    exact = all(a.status != "bounded" for a in alts)
    return AlternativesResult(target, sol.objective, c.lead, list(c.members), alts, exact,
                              run.solves, time.perf_counter() - t0, top, run.certificates)


class _Run:
    """One target's alternatives: the choices, their local plans, the certificates."""

    def __init__(self, probe: Probe, sess: Session, target: str, sol: Solution,
                 upper: float | None = None):
        self.probe, self.sess = probe, sess
        self.upper = np.inf if upper is None else float(upper)
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
        self.lp_bound: lagrange.Bound | None = None
        self.by_target: by_target.TargetBound | None = None
        self._fixed: tuple[float, np.ndarray, np.ndarray] | None = None
        self._step: float | None = None

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
        hit = self.probe.bounds
        own = self.sess.engine.target_bound_of(lm)  # (the base solve's, if it computed one)
        if hit is not None and hit[0] is lm:  # (another target of the same model)
            self.lp_bound, self.by_target = hit[1], hit[2]
        elif own is not None:
            self.lp_bound = lagrange.best_bound(lm, own[0], lm.lb, lm.ub)
            self.by_target = own[1]
            self.probe.bounds = (lm, self.lp_bound, self.by_target)
        else:
            lp = self.sess.engine.relax.solve(lm.lb, lm.ub, SolverOptions(threads=1))
            if lp.status == "infeasible":
                for ch in self.choices:
                    ch.alt.bound = -np.inf
                return
            if lp.row_dual is None:  # (no duals: the optimum bounds them, the certificates decide)
                for ch in self.choices:
                    ch.alt.bound = self.upper
                return
            self.lp_bound = lagrange.best_bound(lm, lp.row_dual, lm.lb, lm.ub)
            # the bound by target at the same duals: each target's own consortium integral
            self.by_target = by_target.target_bound(lm, self.V, len(self.md.inst.targets),
                                                    lp.row_dual, default_parallelism())
            self.probe.bounds = (lm, self.lp_bound, self.by_target)
        bd = self.lp_bound
        d = bd.d
        tb = self.by_target
        for ch in self.choices:
            b = float(bd.value - max(-d[ch.one], 0.0) - np.maximum(d[ch.zeros], 0.0).sum())
            if tb is not None:
                b = min(b, tb.against(ch.one, ch.zeros))
            ch.alt.bound = min(self.upper, b)

    def fixings(self, threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds of the model that every plan worth ``threshold`` or
        more satisfies (fixings by the LP's and the by-target bound)."""
        if self._fixed is not None and self._fixed[0] == threshold:
            return self._fixed[1], self._fixed[2]
        lm = self.lm
        lb, ub = lm.lb.copy(), lm.ub.copy()
        found = []
        if self.lp_bound is not None:
            found.append(lagrange.fixings(lm, self.lp_bound, lm.lb, lm.ub, threshold))
        if self.by_target is not None:
            found.append(self.by_target.fixings(lm, lm.lb, lm.ub, threshold))
        for to0, to1 in found:
            ub[to0] = 0.0
            lb[to1] = 1.0
        self._fixed = (threshold, lb, ub)
        return lb, ub

    # ------------------------------------------------------------ local plans

    def local(self, ch: _Choice, threshold: float = -np.inf) -> None:
        """The best plan with the choice made, re-planning only the target and
        the consortia its newcomer sits in (every other column as in the plan);
        with ``threshold``, only if it is worth that much (the free columns
        restricted by the fixings every such plan satisfies)."""
        targets = {self.ti} | self.member_of.get(ch.actor, set())
        free = np.isin(self.col_target, list(targets))
        lb, ub = self._bounds(ch)
        if np.isfinite(threshold):
            flb, fub = self.fixings(threshold)
            lb = np.where(free, np.maximum(lb, flb), lb)
            ub = np.where(free, np.minimum(ub, fub), ub)
            if np.any(lb > ub):
                self.solves += 1
                return  # no plan worth the threshold makes the choice
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
        r = highs.run_reduced(sub, o)
        if r.status != Status.OPTIMAL or r.x is None:
            return None
        x = x0.copy()
        x[fc] = np.where(sub.integer, np.round(r.x), r.x)
        if not replace(lm, lb=lb, ub=ub).is_feasible(x):
            return None
        return x

    # ------------------------------------------------------------ the search

    def search(self, top: int | None) -> None:
        self.top = len(self.choices) if top is None else top
        self.lp_bounds()
        order = sorted(self.choices, key=lambda ch: (-ch.alt.bound, ch.alt.kind,
                                                    ch.alt.replaces, ch.alt.actor,
                                                    ch.alt.site or ""))
        # Local plans, best bound first, LOCAL_PER_TOP times the ranking's
        # length: only choices whose bound is above the N-th best value known,
        # and only plans worth that much (fixings make them small).
        budget = len(order) if top is None else max(LOCAL_PER_TOP * top, LOCAL_MIN)
        done = 0
        cut = self._cutoff(top)
        for ch in order:
            if done >= budget:
                break
            if ch.x is not None or not np.isfinite(ch.alt.bound) and ch.alt.bound < 0:
                continue
            if np.isfinite(cut) and ch.alt.bound <= cut + tol(cut):
                continue  # it cannot enter the ranking
            known = ch.lower
            self.local(ch, cut)
            done += 1
            if ch.lower != known:
                cut = self._cutoff(top)
        if top is None:
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
            if self._certify(cut):
                self._finish(cut)
                return
        # the work limit of rounds: one exact solve for each choice still open
        cut = self._cutoff(top)
        for ch in self._open(cut):
            self._exact(ch)
        if not self._certify(self._cutoff(top)):
            raise RuntimeError("alternatives: the exact solves left a choice unproven")
        self._finish(self._cutoff(top))

    def _open(self, cut: float) -> list[_Choice]:
        """The choices whose value is not settled: neither proven exact nor
        bounded at or below the cut-off."""
        out = []
        for ch in self.choices:
            if ch.infeasible or ch.proven:
                continue
            f = max(ch.lower, cut)
            if ch.alt.bound > (f + tol(f) if np.isfinite(f) else -INF):
                out.append(ch)
        return out

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

    def _certify(self, cut: float) -> bool:
        """One certificate round over the open choices: True when none is left
        open (every choice exact, infeasible, or bounded at or below the
        cut-off). Otherwise the choice that beats its floor (its value known,
        at least the cut-off) by the most is found and proven exact, and every
        other open choice is bounded by its floor plus that excess."""
        live = self._open(cut)
        if not live:
            return True
        if self._settled() >= self.top:
            # The ranking is known: one round proves every other choice at
            # most its floor (its value known, at least the cut-off), or finds
            # the one that beats its floor by the most, exact, and bounds the
            # others by their floors plus that excess.
            floor = np.array([max(ch.lower, cut) for ch in live])
            threshold = cut
        else:
            # Not yet: the best plan that makes one of them, among those worth
            # at least the threshold: just below the best bound at first (the
            # fixings then leave little of the model free), lower after every
            # round that finds none, never below the cut-off.
            if self._step is None:
                self._step = STEP_FIRST * max(1.0, abs(self.upper))
            bound = max(ch.alt.bound for ch in live)
            threshold = bound - self._step
            known = max((ch.lower for ch in live if ch.x is not None), default=-INF)
            if known >= bound - STEP_GROWTH * self._step:
                threshold = known  # near the best value known: the round that proves it
            threshold = max(cut, threshold)
            floor = np.full(len(live), threshold)
        if not np.isfinite(threshold) or (self._step is not None
                                          and self._step > max(1.0, abs(self.upper))):
            # (no value known, no bound, or the threshold far below them all:
            # the best plan of all that make one of them)
            threshold, floor = -INF, np.zeros(len(live))
        parts = self._parts(live)
        found = self._best_of_parts(live, parts, floor, threshold)
        self.solves += len(parts)
        self.certificates += len(parts)
        progress = False
        for idx, res in zip(parts, found, strict=True):
            sub = [live[i] for i in idx]
            if res is None:
                # no plan worth the threshold makes one of them
                for ch in sub:
                    if np.isfinite(threshold):
                        ch.alt.bound = min(ch.alt.bound, threshold)
                    else:
                        ch.infeasible = True
                continue
            x, excess = res
            # The restricted model holds every plan worth the threshold, not
            # the plans below it: a plan outside it is worth less than the
            # threshold, so a choice is bounded by its floor plus the excess
            # or by the threshold, whichever is larger (an excess below 0
            # says only that no plan of the part reaches the threshold).
            for ch, f in zip(sub, floor[idx], strict=True):
                b = f + excess
                if np.isfinite(threshold):
                    b = max(b, threshold)
                ch.alt.bound = min(ch.alt.bound, b)
            self._offer(x)
            progress |= excess > tol(float(floor[idx].max()))
        if not progress and self._step is not None:
            self._step *= STEP_GROWTH  # none beat its floor: lower the threshold
        return not self._open(cut)

    def _parts(self, live: list[_Choice]) -> list[list[int]]:
        """The open choices split for one round: ROUND_PARTS parts, dealt out
        best bound first (each part then holds some of the likeliest
        choices). Each part's certificate settles its best choice and bounds
        the rest of the part, so a round settles up to ROUND_PARTS values
        where one certificate over all settles one. The parts are fixed by
        the choices alone (never by the machine's cores): the same bounds
        and statuses wherever it runs."""
        order = sorted(range(len(live)), key=lambda i: (-live[i].alt.bound, live[i].key,
                                                        live[i].alt.site or ""))
        p = max(1, min(ROUND_PARTS, len(live)))
        return [sorted(order[j::p]) for j in range(p)]

    def _best_of_parts(self, live: list[_Choice], parts: list[list[int]], floor: np.ndarray,
                       cut: float) -> list[tuple[np.ndarray, float] | None]:
        """:meth:`_best_of` of each part, side by side on threads (each HiGHS
        run single-threaded; HiGHS releases the GIL), in the parts' order."""
        if np.isfinite(cut):
            self.fixings(cut)  # (computed once, before the threads share it)

        def one(idx: list[int]) -> tuple[np.ndarray, float] | None:
            return self._best_of([live[i] for i in idx], floor[idx], cut)

        n = min(len(parts), default_parallelism())
        if n <= 1:
            return [one(idx) for idx in parts]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=n) as ex:
            return list(ex.map(one, parts))

    def _settled(self) -> int:
        """Alternatives (sites merged) whose value is proven exact."""
        return len({ch.key for ch in self.choices
                    if ch.x is not None and ch.alt.bound <= ch.lower + tol(ch.lower)})

    def _best_of(self, live: list[_Choice], floor: np.ndarray, cut: float
                 ) -> tuple[np.ndarray, float] | None:
        """The plan that makes one of the choices ``live`` and beats its
        ``floor`` by the most, with a proven upper bound on that excess (at
        most 0: no plan beats its floor), by one MILP (None: no plan worth
        ``cut``, at most the lowest floor, makes one). With every floor equal,
        that is the best plan that makes one of them, if worth ``cut``.

        The choices are grouped by what they change (another lead, or member
        ``m`` replaced: one kind per ``m``) and by floor (the cut-off, or a
        choice's own value when it is above). One 0/1 *witness* per group,
        exactly one of them 1: the lead kind's asks for one of its leads;
        member ``m``'s holds ``m`` out of the target and asks for one of its
        newcomers (at their sites). The plans of this model are exactly the
        plans that make one of the choices; its objective is a plan's value
        minus the floor of the group witnessed (plus the highest floor, so that
        the values stay at the scale of the plans' and their tolerances). Its
        optimum bounds every choice at its floor plus the excess; the choice
        witnessed is exact at that value. Only plans worth ``cut`` or more
        matter, so the model is first restricted by the fixings every such
        plan satisfies."""
        lm = self.lm
        n, m = lm.n_cols, lm.n_rows
        groups: dict[tuple[str, int], list[int]] = {}
        for i, ch in enumerate(live):
            kind = "" if ch.alt.kind == "lead" else ch.alt.replaces
            own = -1 if floor[i] <= floor.min() else i  # above the lowest floor: its own
            groups.setdefault((kind, own), []).append(i)
        names = sorted(groups)
        k = len(names)
        A = lm.A
        rows = [np.asarray(A.indices, np.int64)]
        cols = [np.repeat(np.arange(n, dtype=np.int64), np.diff(A.indptr))]
        vals = [np.asarray(A.data, float)]
        lo, hi = [lm.row_lo], [lm.row_hi]
        nr = m

        def row(c: np.ndarray, v: np.ndarray, low: float, high: float) -> None:
            nonlocal nr
            rows.append(np.full(len(c), nr, np.int64))
            cols.append(np.asarray(c, np.int64))
            vals.append(np.asarray(v, float))
            lo.append(np.array([low]))
            hi.append(np.array([high]))
            nr += 1

        top = float(floor.max())
        bonus = np.zeros(k)
        for g, name in enumerate(names):
            w = n + g
            idx = groups[name]
            bonus[g] = top - float(floor[idx[0]])  # (one floor per group)
            ones = np.array(sorted({live[i].one for i in idx}), np.int64)
            # one of the group's columns is 1 when the group is the one witnessed
            row(np.append(ones, w), np.append(np.ones(len(ones)), -1.0), 0.0, INF)
            for j in live[idx[0]].zeros:  # (member kinds) m out of the target
                row(np.array([j, w]), np.ones(2), -INF, 1.0)
        row(n + np.arange(k), np.ones(k), 1.0, 1.0)
        lb, ub = self.fixings(cut) if np.isfinite(cut) else (lm.lb, lm.ub)
        cert = LinearModel(
            lb=np.concatenate([lb, np.zeros(k)]), ub=np.concatenate([ub, np.ones(k)]),
            obj=np.concatenate([lm.obj, bonus]),
            integer=np.concatenate([lm.integer, np.ones(k, bool)]),
            A=csc_from_coo(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
                           (nr, n + k)),
            row_lo=np.concatenate(lo), row_hi=np.concatenate(hi),
            col_blocks=[*lm.col_blocks, ColBlock("witness", n, n + k)],
            row_blocks=[*lm.row_blocks, RowBlock("witness", "choice witnessed", m, nr,
                                                 np.full(nr - m, -1),
                                                 lambda _i: "choice witnessed")],
            obj_offset=lm.obj_offset)
        # start: a choice at its floor, with its plan (worth exactly ``top``)
        start = None
        at = [i for i, ch in enumerate(live) if ch.x is not None and ch.lower >= floor[i]
              and ch.lower >= cut]
        if at:
            i = max(at, key=lambda j: live[j].lower)
            g = next(g for g, name in enumerate(names) if i in groups[name])
            start = np.concatenate([live[i].x, np.zeros(k)])
            start[n + g] = 1.0
            if not cert.is_feasible(start):
                raise RuntimeError("alternatives: a known plan breaks the fixings it satisfies")
        # (HiGHS's probing, most of its presolve here, finds little with most
        # columns fixed: the exact engine's rounds leave it off too)
        # ... and with a plan in hand at the threshold, its primal heuristics
        # have little to find
        o = replace(self.opts, highs={**(ROUND_HIGHS if start is None else PROOF_HIGHS),
                                      **self.opts.highs})
        raw = highs.run_reduced(cert, o, start)
        if raw.status == Status.INFEASIBLE:
            return None
        if raw.status != Status.OPTIMAL or raw.x is None or raw.objective is None:
            raise RuntimeError(f"alternatives: the certificate ended {raw.status.value}")
        x = np.asarray(raw.x[:n], float)
        x = np.where(lm.integer, np.round(x), x)
        if not lm.is_feasible(x) or not any(ch in live for ch in self._makes(x)):
            raise RuntimeError("alternatives: the certificate's plan makes none of the choices")
        best = max(float(raw.objective), float(raw.bound if raw.bound is not None else -INF))
        # (at most 0: no plan beats its floor, the restricted model holding
        # every plan worth ``cut``; the plan still raises a value known)
        return x, best - top

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
        """The verified plan of every exact alternative shown, and its consortium."""
        from ..solving.verified import check_plan
        from ..verify import Verifier

        md, V = self.md, self.V
        verifier = Verifier(self.probe.raw)  # (the instance read once for every plan)
        ids = md.actor_ids
        # only the alternatives shown (a member's best site) get their plan, verified
        shown = {id(a) for a in _merge_sites([ch.alt for ch in self.choices])}
        for ch in self.choices:
            if ch.alt.status != "optimal" or ch.x is None or id(ch.alt) not in shown:
                continue
            raw = RawResult(status=Status.OPTIMAL, x=ch.x, objective=ch.lower, bound=ch.lower,
                            gap=0.0, time_s=0.0, solver="highs", version=highs.version(),
                            message="the best plan with the choice fixed")
            s = solution_from_raw(self.b, raw, 0.0)
            check_plan(self.probe.raw, s, verifier)
            ch.alt.plan = s
            ch.alt.objective = s.objective
            mine = next((k for k in extract(md, V, ch.x) if k.target == self.ti), None)
            if mine is not None:
                ch.alt.lead = ids[mine.lead]
                ch.alt.members = [ids[a] for a in mine.members]


def _csc(m: Any) -> Any:
    from ..model.linear import Csc

    return Csc.of(m)


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
