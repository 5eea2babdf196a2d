"""Many solves of nearly the same model, without rebuilding it each time.

A :class:`Session` keeps one model loaded in HiGHS (a
:class:`~consortium.backends.highs.LoadedModel`). A variant of the instance (a
sweep scenario, a stress scenario) is built to a :class:`LinearModel` with
numpy, which is cheap, and handed to the loaded model: if the sparsity
pattern is the same, only the costs, bounds and changed coefficients are
passed to HiGHS; otherwise the model is reloaded. The previous plan is
offered as a starting point when it is still feasible.

Models large enough for the exact engine (:func:`.dispatch.method_for`) are
re-solved by :class:`.engine.exact.Engine`, which keeps the LP relaxation's
basis (a budget change is a few dual simplex steps) and starts from the best
known plan, so that one restricted MILP proves the new optimum. A session also
remembers what it has proven (:class:`Proven`): a scenario whose rows and
bounds all lie within those of a solved one cannot do better than that one's
bound, and a plan still feasible in it is worth its value; when the two meet,
the scenario is answered exactly without a solve (budget sweeps over a range
where the budget no longer binds, stress tests that drop unused actors).
Where a change rewrites coefficients or rows (a sweep of the state share
rewrites rule 7's rows), the matrix no longer shows the containment; the
caller can vouch for it with a *looseness* key per scenario (a sweep along
paths whose larger, or smaller, values only loosen the rules:
``consortium.sweep.grid``): a scenario is then within every earlier one whose
key is at least as large in every component, on the same columns and the
same objective.

Analyses that bar actors from consortia (marginal values, stress tests) use
:meth:`Session.solve_barred`, which solves within other column bounds and
leaves the model as it is.

A tighter distance limit only removes (actor, site) triples: the model of
the loosest limits, with the triples beyond a scenario's own limits held at
0, is that scenario's model (every other rule is a row over the triples that
remain). :meth:`Session.resolve_reach` solves a scenario so, on the one
loaded model: a sweep of distance limits is then a sweep of column bounds, and
what a looser scenario proved carries over to the tighter ones as above.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np

from ..backends import highs
from ..backends.base import RawResult, SolverOptions, Status
from ..backends.highs import LoadedModel, same_structure
from ..io.instance import Instance
from ..model.eligibility import within_limit
from ..model.linear import LinearModel
from ..result.solution import Solution
from .build import Built, build
from .dispatch import method_for, run_backend
from .reasons import unformed_reasons
from .solve import solution_from_raw


@dataclass
class Proven:
    """One solved scenario: its limits, its proven bound and its plan."""

    lb: np.ndarray
    ub: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    bound: float | None  # proven upper bound on the scenario's optimum
    x: np.ndarray | None  # its plan
    matrix: int = 0  # the matrix it was solved on (Session._matrix when solved)
    key: Looseness | None = None  # its looseness, when the caller gave one


# A scenario's looseness, as a caller vouches for it: (path, value) per rule
# it sets, the value larger where the rules are looser (a sweep's key:
# consortium.sweep.grid.looseness).
Looseness = tuple[tuple[str, float], ...]


def at_least_as_loose(a: Looseness | None, b: Looseness | None) -> bool:
    """Is the scenario of key ``a`` at least as loose as that of ``b`` in every
    path (both keys over the same paths)?"""
    return a is not None and b is not None and [p for p, _ in a] == [p for p, _ in b] \
        and all(x >= y for (_, x), (_, y) in zip(a, b, strict=True))


# How many solved scenarios a session keeps for the dominance test.
PROVEN_KEEP = 64


class Session:
    """One model kept loaded in HiGHS across many re-solves."""

    def __init__(self, inst: Instance, opts: SolverOptions | None = None):
        self.opts = opts or SolverOptions()
        self.b: Built = build(inst)
        self._model: LoadedModel | None = None  # made at the first MILP solve
        self._engine = None  # the exact engine (consortium.solving.engine), at its first solve
        self.last_x: np.ndarray | None = None
        self.reloads = 0
        self.updates = 0
        self.skipped = 0  # scenarios answered from earlier proofs, without a solve
        self.proven: list[Proven] = []
        # which matrix (coefficients, rows) the model has: a change moves it on,
        # and earlier proofs then hold only through a looseness key
        self._matrix = 0
        self._key: Looseness | None = None  # the loaded scenario's looseness
        # per triple of the loaded model: (its column, its target, its distance)
        self._triples: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def inst(self) -> Instance:
        return self.b.md.inst

    @property
    def model(self) -> LoadedModel:
        """The model loaded in HiGHS, on first use (a session whose scenarios
        are all decomposed by target never needs it)."""
        if self._model is None:
            self._model = LoadedModel(self.b.lm)
        return self._model

    @property
    def engine(self):
        """The exact engine on the loaded model, made on first use."""
        if self._engine is None:
            from .engine.exact import Engine

            self._engine = Engine(self.b.lm, self.model, (self.b.V, len(self.b.md.views)))
        return self._engine

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def busy(self) -> bool:
        """Is a HiGHS run abandoned at its time limit still using the loaded model?"""
        return self._model is not None and self._model.busy

    def refresh(self) -> None:
        """A fresh HiGHS object with the model if the old one is still busy."""
        if self.busy:
            self.model.reload()
            self.reloads += 1

    def forget(self) -> None:
        """Drop the warm start, what earlier solves proved and the engine's LP
        basis (a sweep does at each chunk, so that its plans depend on the grid
        alone: another basis can give other duals, hence other fixings, hence
        another of several optimal plans)."""
        self.last_x = None
        self.proven = []
        self._drop_engine()

    def _drop_engine(self) -> None:
        """No engine until the next solve (its bound by target's threads and
        HiGHS objects freed now, not when it is collected)."""
        if self._engine is not None:
            self._engine.close()
        self._engine = None

    def _load(self, b: Built) -> None:
        old, new = self.b.lm, b.lm
        same = same_structure(old, new)
        if self._model is not None:  # else the first MILP solve loads the new model
            if self._model.update(new):
                self.updates += 1
            else:
                self.reloads += 1
        if self._engine is not None:
            if same:
                self._engine.update(new)
            else:
                self._drop_engine()
        if old.n_cols != new.n_cols or not np.array_equal(old.obj, new.obj) \
                or old.obj_offset != new.obj_offset:
            self.proven = []  # another objective or other columns: earlier proofs say nothing
        elif not (same and np.array_equal(old.A.data, new.A.data)):
            self._matrix += 1  # other coefficients or rows: only a looseness key carries them
        self.b = b
        self._key = None  # (a resolve gives the loaded variant's)
        self._triples = None

    def before_solve(self) -> None:
        """Called before HiGHS runs when :meth:`start_for` is not (a sweep's
        session waits there for a run abandoned at a time limit)."""

    def start_for(self, lm: LinearModel) -> np.ndarray | None:
        """The plan to start a solve of ``lm`` from: the last plan if still
        feasible, forming nothing if that is feasible, else none."""
        if lm.is_feasible(self.last_x):
            return self.last_x
        if not any(self.b.md.forced(v.index) for v in self.b.md.views):
            return np.zeros(lm.n_cols)  # forming nothing is feasible
        return None

    def load(self, inst: Instance) -> None:
        """Load a variant of the instance (same ids) without solving it."""
        self._load(build(inst))

    def upper_bound(self, below: float | None = None) -> float:
        """A proven upper bound on the loaded instance's optimum, without a
        MILP (the engine's :meth:`~.engine.exact.Engine.upper_bound`)."""
        return self.engine.upper_bound(self.opts, below)

    def resolve(self, inst: Instance | None = None, *, reasons: bool = False,
                opts: SolverOptions | None = None,
                looseness: Looseness | None = None) -> Solution:
        """Solve the loaded instance again, or a variant of it (same ids).
        ``looseness``: the caller's word that this variant's plans are plans
        of every earlier variant whose looseness is at least as large in each
        component (see the module's note); None: no such word."""
        t0 = time.perf_counter()
        if inst is not None:
            self._load(build(inst))
        self._key = looseness
        o = opts or self.opts
        if method_for(self.b, o) == "decompose":
            # by target, as `consortium solve` would (its own HiGHS objects)
            raw = run_backend(self.b, o, "highs", self.start_for(self.b.lm))
        else:
            raw = self._exact(o, lambda: self.start_for(self.b.lm), self.b.lm.lb, self.b.lm.ub)
        if raw.x is not None:
            self.last_x = raw.x
        sol = solution_from_raw(self.b, raw, time.perf_counter() - t0)
        if reasons and sol.status.has_plan:
            sol.unformed = unformed_reasons(self.b, sol, o)
        return sol

    def far_columns(self, reach: list[float | None]) -> np.ndarray:
        """The triple columns of the loaded model beyond ``reach``, a distance
        limit per target (in the instance's order; None: no limit), by the
        model's own test (:func:`~consortium.model.eligibility.within_limit`)."""
        if self._triples is None:
            V, md = self.b.V, self.b.md
            views = V.views
            self._triples = (
                np.concatenate([np.zeros(0, np.int64)] + [V.x[v.index] for v in views]
                               ).astype(np.int64),
                np.concatenate([np.zeros(0, np.int64)]
                               + [np.full(len(V.x[v.index]), v.index, np.int64) for v in views]),
                np.concatenate([np.zeros(0)] + [md.dist[v.actors[v.tri_actor], v.sites[v.tri_site]]
                                                for v in views]).astype(float))
        cols, tgt, km = self._triples
        limit = np.array([np.inf if r is None else float(r) for r in reach] or [np.inf])
        return cols[~within_limit(km, limit[tgt])]

    def resolve_reach(self, reach: list[float | None], *, opts: SolverOptions | None = None,
                      looseness: Looseness | None = None) -> Solution | None:
        """Solve the scenario whose distance limits are ``reach`` (one per
        target; the loaded instance is the same with limits at least as loose,
        and nothing else different) on the loaded model, with the triples
        beyond ``reach`` held at 0 (see the module's note). The targets whose
        consortia in the last plan break the tighter limits are re-planned
        first with the rest of that plan held (a start for the exact solve).
        None when this cannot answer the scenario: a model solved by target
        (its own HiGHS objects), a triple beyond reach that the model holds at
        1, or no plan at all because there is none (the scenario's own model
        then says why) or HiGHS failed. ``looseness``: as for :meth:`resolve`,
        over the rules other than distance limits (those are column bounds
        here, which :meth:`_known` compares itself)."""
        t0 = time.perf_counter()
        self._key = looseness
        o = opts or self.opts
        if method_for(self.b, o) == "decompose":
            return None
        lm = self.b.lm
        far = self.far_columns(reach)
        if np.any(lm.lb[far] > 0):
            return None
        lb, ub = lm.lb, lm.ub.copy()
        ub[far] = 0.0
        here = replace(lm, ub=ub)
        local: list[np.ndarray | None] = [None]

        def start() -> np.ndarray | None:
            """The last plan if it fits, else (the last plan; at a chunk's start
            the last one proven, the anchor's) with the consortia beyond reach
            left unformed, which are then re-planned first around it."""
            x = self.last_x if self.last_x is not None else next(
                (p.x for p in reversed(self.proven) if p.x is not None and len(p.x) == lm.n_cols),
                None)
            if x is not None and not here.is_feasible(x) and np.any(x[far] > 0.5):
                hit = far[x[far] > 0.5]
                affected = sorted(set(self.b.V.column_targets(lm.n_cols)[hit].tolist()))
                mask = self.target_columns(affected)
                cut = np.where(mask, 0.0, x)
                if here.is_feasible(cut):
                    # (no other start computed: a sweep's would be a MILP of its own)
                    self.before_solve()
                    local[0] = mask
                    return cut
            return self.start_for(here)

        raw = self._exact(o, start, lb, ub, local)
        if raw.status in (Status.INFEASIBLE, Status.ERROR):
            return None
        if raw.x is not None:
            self.last_x = raw.x
        sol = solution_from_raw(self.b, raw, time.perf_counter() - t0)
        sol.solver["distance_limits"] = "column bounds on the model of looser limits"
        return sol

    def barred_columns(self, pairs: Iterable[tuple[int, int]]) -> np.ndarray:
        """Columns (membership and lead) of actor a in target t, for (t, a) pairs;
        ``t = -1`` bars the actor from every target."""
        V = self.b.V
        cols = []
        for t, a in pairs:
            views = V.views if t < 0 else [v for v in V.views if v.index == t]
            for v in views:
                hit = np.nonzero(v.actors == a)[0]
                if not len(hit):
                    continue
                i = int(hit[0])
                cols.append(V.x[v.index][v.ptr[i]:v.ptr[i + 1]])
                cols.append(V.lead[v.index][V.lead_local[v.index] == i])
        return np.concatenate(cols).astype(np.int32) if cols else np.zeros(0, np.int32)

    def target_columns(self, targets: Iterable[int]) -> np.ndarray:
        """A mask of the columns made for the given targets."""
        return np.isin(self.b.V.column_targets(self.b.lm.n_cols), list(set(targets)))

    def solve_barred(
        self,
        cols: np.ndarray,
        opts: SolverOptions | None = None,
        formed: int | None = None,
        affected: Iterable[int] | None = None,
    ) -> RawResult:
        """Re-solve with the given columns fixed to 0 (and target ``formed``, if
        given, held formed); the model itself is left as it is. ``affected``:
        the targets whose consortia the change touches (the exact engine first
        re-plans them alone around the last plan)."""
        lm = self.b.lm
        cols = np.asarray(cols, np.int32)
        ones = np.zeros(0, np.int32) if formed is None else np.array([self.b.V.y[formed]], np.int32)
        start = None
        if self.last_x is not None and not np.any(self.last_x[cols] > 0.5) \
                and not np.any(self.last_x[ones] < 0.5):
            start = self.last_x
        elif not len(ones) and not any(self.b.md.forced(v.index) for v in self.b.md.views):
            start = np.zeros(lm.n_cols)
        lb, ub = lm.lb.copy(), lm.ub.copy()
        ub[cols] = 0.0
        lb[ones] = 1.0
        local = None
        if affected is not None and start is not None:
            local = self.target_columns(affected)
        return self._exact(opts or self.opts, start, lb, ub, local)

    def solve_fixed(self, zeros: np.ndarray, ones: np.ndarray, around: np.ndarray | None = None,
                    local: Iterable[int] | None = None,
                    opts: SolverOptions | None = None,
                    start: np.ndarray | None = None) -> RawResult:
        """Re-solve with the columns ``zeros`` at 0 and ``ones`` at 1 (a choice
        fixed: a lead, a member), exactly; the model is left as it is. With
        ``around`` (a plan of the model) and ``local`` (targets), the targets are
        first re-planned alone with every other column held at ``around``: the
        plan that gives, when there is one, is where the exact solve starts;
        ``start``: such a plan, given."""
        lm = self.b.lm
        o = opts or self.opts
        lb, ub = lm.lb.copy(), lm.ub.copy()
        ub[np.asarray(zeros, np.int64)] = 0.0
        lb[np.asarray(ones, np.int64)] = 1.0
        if np.any(lb > ub):
            return RawResult(status=Status.INFEASIBLE, x=None, objective=None, bound=None,
                             gap=None, time_s=0.0, solver="highs", version=highs.version(),
                             message="the fixed choice contradicts the model's own bounds")
        if start is not None and not replace(lm, lb=lb, ub=ub).is_feasible(start):
            start = None
        if start is None and around is not None and local is not None:
            mask = self.target_columns(local)
            held = np.clip(around, lb, ub)
            r = self.model.run_within(np.where(mask, lb, held), np.where(mask, ub, held), o)
            if r.x is not None and replace(lm, lb=lb, ub=ub).is_feasible(r.x):
                start = r.x
        return self._exact(o, start, lb, ub)

    # ------------------------------------------------ what earlier solves proved

    def _known(self, lb: np.ndarray, ub: np.ndarray
               ) -> tuple[float | None, np.ndarray | None, float | None]:
        """(best upper bound, best feasible plan, its value) that earlier proven
        scenarios give for the loaded model within column bounds lb..ub."""
        lm = self.b.lm
        upper, best_x, best_z = None, None, None
        here = replace(lm, lb=lb, ub=ub)
        for p in self.proven:
            if len(p.lb) != lm.n_cols:  # (another model's: a chunk's anchor, say)
                continue
            # its rows hold every plan of this scenario's: seen in the matrix
            # (the same coefficients, limits as loose), or on the caller's word
            rows_within = at_least_as_loose(p.key, self._key) \
                or (p.matrix == self._matrix and bool(np.all(p.row_lo <= lm.row_lo))
                    and bool(np.all(p.row_hi >= lm.row_hi)))
            if p.bound is not None and rows_within and np.all(p.lb <= lb) and np.all(p.ub >= ub):
                # every plan of this scenario is a plan of that one
                upper = p.bound if upper is None else min(upper, p.bound)
            if p.x is not None and here.is_feasible(p.x):
                z = float(lm.obj @ p.x + lm.obj_offset)
                if best_z is None or z > best_z:
                    best_x, best_z = p.x, z
        return upper, best_x, best_z

    def _remember(self, lb: np.ndarray, ub: np.ndarray, raw: RawResult) -> None:
        if raw.interrupted or raw.status not in (Status.OPTIMAL, Status.FEASIBLE):
            return
        lm = self.b.lm
        self.proven.append(Proven(lb.copy(), ub.copy(), lm.row_lo.copy(), lm.row_hi.copy(),
                                  raw.bound, None if raw.x is None else raw.x.copy(),
                                  self._matrix, self._key))
        del self.proven[:-PROVEN_KEEP]

    def _exact(self, o: SolverOptions,
               start: np.ndarray | None | Callable[[], np.ndarray | None],
               lb: np.ndarray, ub: np.ndarray,
               local: np.ndarray | None | list[np.ndarray | None] = None) -> RawResult:
        """The engine's solve (HiGHS's on the one MILP for models below the
        engine's size) within lb..ub, unless earlier proofs already settle it.
        ``start`` may be a function, called only when a solve is needed (a
        sweep's start can take a MILP of its own); ``local`` then a list whose
        one item it sets."""
        t0 = time.perf_counter()
        lm = self.b.lm
        upper, x, z = self._known(lb, ub)
        if x is not None and z is not None and upper is not None:
            tol = max(o.gap * max(abs(z), 1e-9), 1e-6 * max(1.0, abs(z)))
            if upper - z <= tol:
                self.skipped += 1
                bound = max(upper, z)
                return RawResult(
                    status=Status.OPTIMAL, x=x, objective=z, bound=bound,
                    gap=abs(bound - z) / max(abs(z), 1e-9), time_s=time.perf_counter() - t0,
                    solver="highs", version=highs.version(),
                    message="Optimal (a plan of an earlier scenario meets the bound an earlier "
                            "scenario proved; no solve needed)")
        if callable(start):
            start = start()
        if isinstance(local, list):
            local = local[0]
        if x is not None and z is not None:
            here = replace(lm, lb=lb, ub=ub)
            zs = float(lm.obj @ start + lm.obj_offset) if here.is_feasible(start) else None
            if zs is None or z > zs:
                start = x
        if method_for(self.b, o) == "exact":
            raw = self.engine.solve(o, start, lb, ub, upper=upper, local=local)
        elif np.array_equal(lb, lm.lb) and np.array_equal(ub, lm.ub):
            raw = self.model.run(o, start)
        else:
            raw = self.model.run_within(lb, ub, o, start)
        self._remember(lb, ub, raw)
        return raw


def wait_for_abandoned(timeout: float | None = None) -> bool:
    """Wait (up to ``timeout`` s; None: as long as it takes) for HiGHS runs left
    going at a time limit to stop: they block every later solve of the
    process. True when none is left."""
    from ..backends.runs import ABANDONED

    return ABANDONED.settle(timeout)
