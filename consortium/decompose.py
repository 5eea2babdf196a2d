"""Decomposition by target: column generation with Lagrangian bounds (price and branch).

Targets interact only through a few rule families: actors' capacities
(rule 11), sponsors' and the total budget (rule 12) and exclusive groups
(rule 13). Everything else holds target by target. At national scale the
monolithic MILP (hundreds of thousands of binaries) is too big for HiGHS's
presolve within minutes, while each target's own model is small. So:

* **Blocks.** The full model of :func:`consortium.model.build.build_model` is
  split by target: a column belongs to the target it was made for, a row that
  touches one target only belongs to that target's block, and the rows that
  touch several targets are the *coupling* rows (all of the form
  ``row <= limit``). There is no second formulation: every block is a slice of
  the one model the monolithic solve uses.
* **Pricing.** Given prices ``lambda >= 0`` on the coupling rows, each block is
  solved alone with its objective lowered by ``lambda`` times its use of the
  coupling rows (HiGHS, exact, presolve off: these models are small). Each
  block's optimum is a candidate consortium (a column of the master), and the
  sum of the blocks' upper bounds plus ``lambda . limits`` is an upper bound
  on the whole problem (the Lagrangian bound), valid for *any* prices.
* **Master.** A linear program chooses at most one candidate per target
  (exactly one for targets that must be formed) within the coupling rows; its
  duals are the next prices. When no block offers a better candidate, its
  value equals the best Lagrangian bound (Dantzig-Wolfe).
* **Plans.** The same master with integer choices over the candidates found
  (HiGHS MIP) gives plans; every plan is a sum of block plans that satisfies
  every row of the full model, which is checked before it is returned.

Two refinements keep this fast at national scale: the targets are priced at
the master's duals smoothed towards the previous prices (with a fall-back to
the plain duals when the smoothed ones find nothing), and the most a target
can use of a budget row is bounded by its own LP relaxation, so that targets
priced at older prices still give a useful bound.

The bound reported is the best Lagrangian bound found, the gap is measured
against it: both are honest. When the gap asked for is reached, the status is
``optimal`` (as HiGHS reports within ``mip_rel_gap``); otherwise ``feasible``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

from .backends import highs as hb
from .backends.base import Progress, RawResult, SolverOptions, Status
from .model.linear import Csc, LinearModel, csc_from_coo
from .model.rules import Vars

INF = float("inf")
# HiGHS options for a block's pricing problem: small models, presolve is not
# worth its time (on national blocks it sometimes takes a minute on a model of
# a thousand columns), one thread.
BLOCK_HIGHS = {"presolve": "off", "threads": 1, "mip_rel_gap": 1e-7, "mip_abs_gap": 1e-7,
               "random_seed": 0, "mip_improving_solution_save": True}
EXTRA_COLUMNS = 2  # earlier incumbents of a pricing solve also offered to the master
TOL = 1e-6
# coupling rows whose most a block can use is bounded by an LP: at most this
# many per block, and only where coefficients x bounds exceed the largest
# coefficient this many times
TIGHTEN_ROWS, TIGHTEN_RATIO = 8, 4.0
SMOOTHING = 0.5  # weight of the previous prices (0: price at the master's duals)


class NotDecomposable(Exception):
    """The model has a coupling row the decomposition cannot price."""


@dataclass
class Blocks:
    """The full model split by target."""

    lm: LinearModel
    cols: list[np.ndarray]  # per block: its columns
    rows: list[np.ndarray]  # per block: rows that touch only it
    coupling: np.ndarray  # rows that touch several blocks
    forced: np.ndarray  # per block: must be formed (y's lower bound is 1)
    AcT: list[sp.csr_matrix] = field(default_factory=list)  # per block: (its cols x coupling rows)
    U: list[np.ndarray] = field(default_factory=list)  # per block: its largest use of each coupling row
    nonneg: bool = True


def split(lm: LinearModel, V: Vars, n_targets: int) -> Blocks:
    """Assign every column to its target and classify every row."""
    col_block = np.full(lm.n_cols, -1, np.int64)
    for t in range(n_targets):
        col_block[V.y[t]] = t
    for v in V.views:
        t = v.index
        for cols in (V.site[t], V.x[t], V.lead[t]):
            col_block[cols] = t
    for (t, _a, _b, _w, c) in V.ties:
        col_block[c] = t
    if np.any(col_block < 0):
        raise NotDecomposable("a column belongs to no target")
    A = lm.A.tocsr()
    blk = col_block[A.indices]
    nnz_row = np.diff(A.indptr)
    nonempty = nnz_row > 0
    lo = np.full(lm.n_rows, -1, np.int64)
    hi = np.full(lm.n_rows, -1, np.int64)
    starts = A.indptr[:-1][nonempty]
    lo[nonempty] = np.minimum.reduceat(blk, starts)
    hi[nonempty] = np.maximum.reduceat(blk, starts)
    coupling = np.nonzero(nonempty & (lo != hi))[0]
    if np.any(np.isfinite(lm.row_lo[coupling])):
        raise NotDecomposable("a row across targets has a lower limit")
    inside = nonempty & (lo == hi)
    order = np.argsort(col_block, kind="stable")
    cstarts = np.searchsorted(col_block[order], np.arange(n_targets + 1))
    cols = [order[cstarts[t]:cstarts[t + 1]] for t in range(n_targets)]
    rin = np.nonzero(inside)[0]
    rorder = rin[np.argsort(lo[rin], kind="stable")]
    rstarts = np.searchsorted(lo[rorder], np.arange(n_targets + 1))
    rows = [rorder[rstarts[t]:rstarts[t + 1]] for t in range(n_targets)]
    forced = lm.lb[V.y[:n_targets]] > 0.5
    B = Blocks(lm, cols, rows, coupling, forced)
    Ac = A[coupling].tocsc()
    B.AcT = [Ac[:, c].T.tocsr() for c in cols]
    # Most a block can use of each coupling row (all coefficients are >= 0
    # there: capacities, spend, exclusive groups), for bounds without a solve.
    B.nonneg = bool(np.all(Ac.data >= 0))
    B.U = [np.asarray(a.T @ lm.ub[c]).ravel() for a, c in zip(B.AcT, cols)]
    return B


def block_model(B: Blocks, k: int) -> LinearModel:
    """Block ``k`` as a model of its own (its columns, its rows)."""
    lm = B.lm
    c, r = B.cols[k], B.rows[k]
    A = Csc.of(lm.A[:, c].tocsr()[r] if len(r) else sp.csc_matrix((0, len(c))))
    return LinearModel(lb=lm.lb[c].copy(), ub=lm.ub[c].copy(), obj=lm.obj[c].copy(),
                       integer=lm.integer[c].copy(), A=A, row_lo=lm.row_lo[r].copy(),
                       row_hi=lm.row_hi[r].copy(), col_blocks=[], row_blocks=[])


@dataclass
class Column:
    block: int
    x: np.ndarray  # values of the block's columns
    value: float  # its objective (true costs)
    use: np.ndarray  # coupling usage, dense over B.coupling


class Pricer:
    """One persistent HiGHS object per block; re-solved under new prices."""

    def __init__(self, B: Blocks):
        self.B = B
        self.models = [block_model(B, k) for k in range(len(B.cols))]
        self.h: list[highspy.Highs | None] = [None] * len(B.cols)
        self.last: list[np.ndarray | None] = [None] * len(B.cols)
        self.solves = 0
        self.times: list[tuple[int, float]] = []
        self.tight = np.zeros(len(B.cols), dtype=bool)
        self.stop = False

    def tighten_use(self, k: int) -> None:
        """Replace ``U[k]`` (coefficients times upper bounds) by the most block
        ``k``'s LP relaxation can use of its largest coupling rows (a target's
        spend is capped by its own budget row, far below the sum of all its
        candidates' costs). Bounds built on ``U`` stay valid, and get tighter."""
        self.tight[k] = True
        a = self.B.AcT[k].tocsc()  # block columns x coupling rows
        U = self.B.U[k].copy()
        # Only rows where much can be gained, e.g. budget rows (a sum over
        # hundreds of candidates' costs); an actor's capacity row within one
        # target (one column per site) is not worth an LP each.
        top = np.zeros(a.shape[1])
        nz = np.nonzero(np.diff(a.indptr))[0]
        top[nz] = np.maximum.reduceat(np.abs(a.data), a.indptr[nz]) if len(nz) else top[nz]
        many = np.nonzero(U > TIGHTEN_RATIO * top)[0]
        many = many[np.argsort(-U[many], kind="stable")][:TIGHTEN_ROWS]
        if not len(many):
            return
        m = self.models[k]
        relaxed = LinearModel(lb=m.lb, ub=m.ub, obj=np.zeros(len(m.lb)), integer=np.zeros(len(m.lb), bool),
                              A=m.A, row_lo=m.row_lo, row_hi=m.row_hi, col_blocks=[], row_blocks=[])
        h = hb.to_highs(relaxed)
        h.setOptionValue("threads", 1)
        h.setOptionValue("presolve", "off")
        n = len(m.lb)
        for j in many:
            cost = np.zeros(n)
            lo, hi = a.indptr[j], a.indptr[j + 1]
            cost[a.indices[lo:hi]] = a.data[lo:hi]
            h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
            h.run()
            if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                v = float(h.getInfo().objective_function_value)
                U[j] = min(U[j], v + 1e-6 * (1.0 + abs(v)))
        self.B.U[k] = U

    def _highs(self, k: int) -> highspy.Highs:
        h = self.h[k]
        if h is None:
            h = hb.to_highs(self.models[k])
            for key, val in BLOCK_HIGHS.items():
                h.setOptionValue(key, val)
            # stop a running solve when the pool is cancelled (Ctrl-C)
            for hook in (h.cbSimplexInterrupt, h.cbMipInterrupt):
                hook.subscribe(self._interrupt)
            self.h[k] = h
        return h

    def _interrupt(self, e) -> None:
        if self.stop:
            e.interrupt()

    def price(self, k: int, lam: np.ndarray, time_limit: float
              ) -> tuple[float, np.ndarray | None, list[np.ndarray]]:
        """max (c - lam A_c) x over block k: (upper bound, best x or None,
        earlier incumbents of the same solve)."""
        m = self.models[k]
        if m.ub.max(initial=0.0) <= 0.0 and not self.B.forced[k]:
            return 0.0, np.zeros(len(m.lb)), []  # unformable target: only the empty plan
        if not self.tight[k]:
            self.tighten_use(k)
        h = self._highs(k)
        red = m.obj - self.B.AcT[k] @ lam
        n = len(red)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), red)
        h.setOptionValue("time_limit", max(0.01, float(time_limit)))
        prev = self.last[k]
        if prev is not None:
            sol = highspy.HighsSolution()
            sol.col_value = prev
            sol.value_valid = True
            h.setSolution(sol)
        t = time.perf_counter()
        h.run()
        self.times.append((k, time.perf_counter() - t))
        self.solves += 1
        info = h.getInfo()
        ms = h.getModelStatus()
        if ms == highspy.HighsModelStatus.kInfeasible:
            return -INF, None, []
        has = info.primal_solution_status == highspy.kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value) if has else None
        extras = []
        if x is not None:
            x = np.where(m.integer, np.round(x), x)
            self.last[k] = x
            for s in h.getSavedMipSolutions()[-1 - EXTRA_COLUMNS:-1]:
                xs = np.asarray(s.col_value)
                if len(xs) == n:
                    extras.append(np.where(m.integer, np.round(xs), xs))
        ub = info.mip_dual_bound
        if not np.isfinite(ub):
            ub = INF
        if x is not None:
            ub = max(ub, float(red @ x))
        return float(ub), x, extras


class PricingPool:
    """Prices the blocks on ``n`` persistent threads (HiGHS releases the GIL and
    keeps one task scheduler per calling thread, so each block always runs on
    the same thread: block k on thread k mod n)."""

    def __init__(self, pricer: Pricer, n: int):
        import queue
        import threading

        self.pricer = pricer
        self.cancelled = False
        self.n = max(1, int(n))
        self.jobs = [queue.Queue() for _ in range(self.n)]
        self.results: queue.Queue = queue.Queue()
        self.threads = [threading.Thread(target=self._loop, args=(i,), daemon=True, name=f"pricing-{i}")
                        for i in range(self.n)]
        for t in self.threads:
            t.start()

    def _loop(self, i: int) -> None:
        while True:
            job = self.jobs[i].get()
            if job is None:
                return
            blocks, lam, deadline = job
            for k in blocks:
                rem = deadline - time.monotonic()
                if rem <= 0.25 or self.cancelled:
                    self.results.put((k, None, None, False))
                    continue
                try:
                    ub, x, extras = self.pricer.price(k, lam, min(rem, 30.0))
                    self.results.put((k, ub, [x] + extras if x is not None else [], True))
                except BaseException as e:  # handed to the caller
                    self.results.put((k, e, None, False))

    def price_all(self, blocks: list[int], lam: np.ndarray, deadline: float):
        """Yield (k, upper bound, candidate plans, done) for every block, in
        completion order."""
        for i in range(self.n):
            self.jobs[i].put(([k for k in blocks if k % self.n == i], lam, deadline))
        for _ in range(len(blocks)):
            k, ub, x, done = self.results.get()
            if isinstance(ub, BaseException):
                raise ub
            yield k, ub, x, done

    def cancel(self) -> None:
        self.cancelled = True
        self.pricer.stop = True  # running block solves stop at HiGHS's next check

    def close(self) -> None:
        """Stop the threads and wait for them: a HiGHS solve still running
        when the interpreter exits aborts the process."""
        for q in self.jobs:
            q.put(None)
        for t in self.threads:
            t.join(60.0)


def _run(h: highspy.Highs) -> None:
    """Run HiGHS on a thread of its own: HiGHS keeps one task scheduler per
    calling thread, sized by the first run on it, and refuses a later run
    with another thread count on the same thread. Ctrl-C stops the run
    (and is passed on once HiGHS has stopped)."""
    r = hb.Run(h)
    try:
        while not r.done.wait(0.05):
            pass
    except KeyboardInterrupt:
        r.cancel()
        if not r.done.wait(hb.GRACE_INTERRUPT_S * 5):
            hb.ABANDONED.append(r)  # the entry point exits without waiting for it
        raise
    if r.error is not None:
        raise r.error
    if h.getModelStatus() in (highspy.HighsModelStatus.kModelError, highspy.HighsModelStatus.kSolveError,
                              highspy.HighsModelStatus.kPresolveError, highspy.HighsModelStatus.kPostsolveError,
                              highspy.HighsModelStatus.kLoadError):
        raise RuntimeError(f"HiGHS: {h.modelStatusToString(h.getModelStatus())}")


class Master:
    """The restricted master: one candidate per target within the coupling rows."""

    PENALTY = 1e6  # elastic slack on coupling rows keeps the LP feasible

    def __init__(self, B: Blocks):
        self.B = B
        self.nb = len(B.cols)
        self.mc = len(B.coupling)
        self.cap = B.lm.row_hi[B.coupling]
        self.columns: list[Column] = []
        self.seen: set[tuple[int, bytes]] = set()
        h = hb.new_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", 0)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        # rows: coupling rows, then one convexity row per block
        self.row_lo = np.concatenate([np.full(self.mc, -INF), np.where(B.forced, 1.0, -INF)])
        self.row_hi = np.concatenate([self.cap, np.ones(self.nb)])
        h.addRows(len(self.row_lo), self.row_lo, self.row_hi, 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
                  np.zeros(0))
        # elastic slacks: a row may exceed its limit at a large cost (LP only)
        if self.mc:
            idx = np.arange(self.mc, dtype=np.int32)
            h.addCols(self.mc, np.full(self.mc, -self.PENALTY), np.zeros(self.mc), np.full(self.mc, INF),
                      self.mc, np.arange(self.mc + 1, dtype=np.int32)[:-1], idx, np.full(self.mc, -1.0))
        # forced blocks: an artificial "formed somehow" column at a large cost
        forced = np.nonzero(B.forced)[0]
        if len(forced):
            rows = (self.mc + forced).astype(np.int32)
            h.addCols(len(forced), np.full(len(forced), -self.PENALTY), np.zeros(len(forced)),
                      np.ones(len(forced)), len(forced), np.arange(len(forced), dtype=np.int32), rows,
                      np.ones(len(forced)))
        self.n_art = self.mc + len(forced)
        self.h = h

    def add(self, col: Column) -> bool:
        key = (col.block, np.round(col.x, 6).tobytes())
        if key in self.seen:
            return False
        self.seen.add(key)
        nz = np.nonzero(col.use)[0]
        rows = np.concatenate([nz, [self.mc + col.block]]).astype(np.int32)
        vals = np.concatenate([col.use[nz], [1.0]])
        self.h.addCol(col.value, 0.0, 1.0, len(rows), rows, vals)
        self.columns.append(col)
        return True

    def solve_lp(self) -> tuple[float, np.ndarray, np.ndarray]:
        """LP value, coupling prices (>= 0) and convexity duals."""
        h = self.h
        h.setOptionValue("presolve", "off")
        _run(h)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"master LP: {h.modelStatusToString(h.getModelStatus())}")
        sol = h.getSolution()
        dual = np.asarray(sol.row_dual)
        # HiGHS's row duals for a maximisation: the objective's change per unit
        # of the row's limit; prices of "<=" rows are >= 0 up to round-off.
        lam = np.maximum(dual[: self.mc], 0.0)
        sigma = dual[self.mc:]
        return float(h.getInfo().objective_function_value), lam, sigma

    def solve_mip(self, time_limit: float, gap: float, log: bool = False) -> np.ndarray | None:
        """Best choice of candidates (one 0/1 per column), or None."""
        n = len(self.columns)
        rows, cols, vals = [], [], []
        for j, c in enumerate(self.columns):
            nz = np.nonzero(c.use)[0]
            rows.append(np.append(nz, self.mc + c.block))
            cols.append(np.full(len(nz) + 1, j))
            vals.append(np.append(c.use[nz], 1.0))
        cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)  # noqa: E731
        A = csc_from_coo(cat(rows, np.int64), cat(cols, np.int64), cat(vals, float), (len(self.row_lo), n))
        h = hb.to_highs(LinearModel(lb=np.zeros(n), ub=np.ones(n), obj=np.array([c.value for c in self.columns]),
                                    integer=np.ones(n, bool), A=A, row_lo=self.row_lo, row_hi=self.row_hi,
                                    col_blocks=[], row_blocks=[]))
        h.setOptionValue("output_flag", bool(log))
        h.setOptionValue("log_to_console", bool(log))
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("time_limit", max(0.05, float(time_limit)))
        h.setOptionValue("mip_rel_gap", float(gap))
        _run(h)
        if h.getInfo().primal_solution_status != highspy.kSolutionStatusFeasible:
            return None
        return np.round(np.asarray(h.getSolution().col_value))


def decompose(lm: LinearModel, V: Vars, n_targets: int, opts: SolverOptions,
              start: np.ndarray | None = None,
              say: Callable[[str], None] | None = None) -> RawResult:
    """Solve ``lm`` by column generation over its targets (see the module text)."""
    t0 = time.perf_counter()
    limit = opts.remaining()
    deadline = None if limit is None else time.monotonic() + limit
    gap_goal = max(float(opts.gap), 1e-9)
    B = split(lm, V, n_targets)
    pricer = Pricer(B)
    master = Master(B)
    mc = len(B.coupling)
    caps = master.cap
    offset = lm.obj_offset
    best_bound = INF
    best_x: np.ndarray | None = None
    best_obj = -INF
    if start is not None and lm.is_feasible(start):
        best_x, best_obj = np.asarray(start, float), float(lm.obj @ start + offset)

    def left() -> float:
        return INF if deadline is None else deadline - time.monotonic()

    def report(msg: str) -> None:
        if say is not None:
            say(msg)
        if opts.on_progress is not None:
            g = gap()
            opts.on_progress(Progress(time.perf_counter() - t0, best_obj if best_x is not None else None,
                                      best_bound if np.isfinite(best_bound) else None,
                                      g if np.isfinite(g) else None))

    def column(k: int, x: np.ndarray) -> Column:
        use = B.AcT[k].T @ x
        return Column(k, x, float(pricer.models[k].obj @ x), np.asarray(use).ravel())

    def assemble(theta: np.ndarray) -> np.ndarray:
        x = np.zeros(lm.n_cols)
        for j in np.nonzero(theta > 0.5)[0]:
            c = master.columns[j]
            x[B.cols[c.block]] = c.x
        return x

    def try_plan(time_limit: float) -> None:
        nonlocal best_x, best_obj
        theta = master.solve_mip(time_limit, gap=min(gap_goal, 1e-4) / 4, log=opts.log)
        if theta is None:
            return
        x = assemble(theta)
        if not lm.is_feasible(x):
            # The master's own tolerances (an almost-integral choice of
            # candidates, rows met to HiGHS's feasibility tolerance) can let a
            # combination exceed a row by a hair: such a plan is never handed
            # out; the bound and the other plans stand.
            if say is not None:
                say("decomposition: a combined plan breaks a row of the full model by a tolerance; discarded")
            return
        obj = float(lm.obj @ x + offset)
        if obj > best_obj + 1e-9:
            best_x, best_obj = x, obj

    def gap() -> float:
        if best_x is None or not np.isfinite(best_bound):
            return INF
        return abs(best_bound - best_obj) / max(abs(best_obj), 1e-9)

    # Prices: the master's duals. A block is priced again only if it may offer
    # a candidate that improves the master; for the others, the bound uses
    # what its last solve proved, corrected for the price changes since:
    #   value(pi) <= ub(pi_then) + sum_i max(0, pi_then_i - pi_i) * U_i
    # (valid because a block's use of a coupling row lies in [0, U_i]).
    nb = len(B.cols)
    pi = np.zeros(mc)  # the master's duals
    # Prices the targets are priced at: the master's duals smoothed towards
    # the previous prices (the duals of a restricted master jump from one
    # extreme point to another; smoothing steadies column generation). When
    # smoothed prices find nothing new, the next step uses the duals as they are.
    lam = np.zeros(mc)
    sigma = np.full(nb, -INF)  # no master yet: every candidate is new
    ub_then = np.full(nb, INF)
    pi_then = [np.zeros(mc)] * nb
    # priced at the current prices: pricing it again would only repeat itself
    # (HiGHS's bound may stay a hair above its plan, within its own gap)
    fresh = np.zeros(nb, dtype=bool)
    final_pass = False
    rounds = 0
    lp_val = -INF
    interrupted = False
    converged = False
    # keep time for the last plan search (the master MIP), and to finish
    reserve = 0.0 if limit is None else min(0.15 * limit, 60.0)
    pool = PricingPool(pricer, opts.threads or min(2, os.cpu_count() or 1))

    def estimate(k: int, at: np.ndarray) -> float:
        drop = pi_then[k] - at
        idx = B.AcT[k].indices  # only the coupling rows this block touches matter
        return ub_then[k] + float(np.maximum(drop[idx], 0.0) @ B.U[k][idx]) if len(idx) else ub_then[k]

    def lagrangian_bound(at: np.ndarray) -> None:
        nonlocal best_bound
        if np.all(np.isfinite(ub_then)):  # every block has a bound
            total = offset + float(at @ caps) + sum(estimate(k, at) for k in range(nb))
            best_bound = min(best_bound, total)

    def full_pass_seconds() -> float:
        """What pricing every target once more would take, from the solves so far."""
        ts = pricer.times[-4 * nb:]
        if not ts:
            return INF
        return float(np.mean([t for _k, t in ts])) * nb / pool.n

    # Chunked pricing: the master is re-solved after every chunk of targets,
    # so later targets are priced at fresher duals (a pass over all targets
    # with one set of duals wastes most of its solves early on).
    # Once the master's value stalls over a pass, the next pass prices every
    # target at one set of duals: an exact Lagrangian bound at those prices.
    order = np.concatenate([np.nonzero(B.forced)[0], np.nonzero(~B.forced)[0]])
    n_forced = int(B.forced.sum())
    small = max(10, -(-nb // 8))
    chunk = small
    cursor = 0
    priced_since_plan = 0
    priced_in_pass = 0
    lp_pass_start = -INF
    try:
        while True:
            rounds += 1
            # positions in ``order`` (targets that must be formed first, so that
            # the master has a real candidate for them from the first step)
            cand = [i for i, k in enumerate(order) if not fresh[k] and (
                not B.nonneg or not np.isfinite(ub_then[k]) or estimate(k, pi) > sigma[k] + TOL)]
            if not cand and not np.array_equal(lam, pi):
                lam, fresh[:] = pi, False  # nothing more at the smoothed prices: use the duals
                continue
            if not cand:
                converged = True  # no target can offer a better candidate
                break
            # the next targets after the cursor, cyclically
            pos = int(np.searchsorted(cand, cursor))
            picked = (cand[pos:] + cand[:pos])[:max(chunk, n_forced if rounds == 1 else 0)]
            full = len(picked) == len(cand)
            cursor = (picked[-1] + 1) % nb
            todo = [int(order[i]) for i in picked]
            complete = True
            found = []
            dl = time.monotonic() + min(left() - reserve, 1e9)
            tp = time.perf_counter()
            for k, ub, xs, done in pool.price_all(todo, lam, dl):
                if not done:
                    complete = False
                    continue
                if ub == -INF:
                    raise NotDecomposable(f"target {k} cannot be formed at all")
                ub_then[k], pi_then[k] = ub, lam
                fresh[k] = True
                found.extend((k, i, x) for i, x in enumerate(xs))
            priced_since_plan += len(todo)
            priced_in_pass += len(todo)
            added = 0
            for k, _i, x in sorted(found, key=lambda f: f[:2]):  # deterministic order
                # a new candidate if it improves the master at its duals
                red = float((pricer.models[k].obj - B.AcT[k] @ pi) @ x) - sigma[k]
                if red > TOL:
                    added += master.add(column(k, x))
            tl = time.perf_counter()
            # Lagrangian bound at the prices just used (exact for the targets
            # priced at them: after a full pass, the bound at those prices) ...
            lagrangian_bound(lam)
            if added:
                lp_val, pi, sigma = master.solve_lp()
                lagrangian_bound(pi)  # ... and at the master's new duals
                lam = SMOOTHING * lam + (1.0 - SMOOTHING) * pi if rounds > 1 else pi
                fresh[:] = False
            elif not np.array_equal(lam, pi) and complete:
                lam, fresh[:] = pi, False  # the smoothed prices found nothing: use the duals
            tm = time.perf_counter()
            if added and (priced_since_plan >= nb or len(cand) <= chunk):
                try_plan(min(max(0.25 * (left() - reserve), 0.1), 10.0))  # pricing waits meanwhile
                priced_since_plan = 0
            te = time.perf_counter()
            report(f"step {rounds}: {len(todo)} of {len(cand)} targets priced, {added} new candidates "
                   f"({len(master.columns)} in all), master LP {lp_val:.4f}, bound {best_bound:.4f}, "
                   f"best plan {best_obj:.4f}, gap {gap():.4%}, {te - t0:.1f} s (pricing {tl - tp:.1f}, "
                   f"LP {tm - tl:.1f}, plans {te - tm:.1f})")
            if gap() <= gap_goal or not complete or left() <= reserve + 1.0:
                break
            if full:
                chunk = small  # after a full pass, back to chunks
                priced_in_pass, lp_pass_start = 0, lp_val
            elif priced_in_pass >= nb:
                # the master's value grew by less than the gap asked for over
                # a pass: price every target at one set of prices (a bound)
                stalled = lp_val - lp_pass_start <= gap_goal * max(1.0, abs(lp_val))
                chunk = nb if stalled else small
                priced_in_pass, lp_pass_start = 0, lp_val
            # Near the time limit, one last pass at one set of prices while
            # there is time for it: the bound returned is then a fresh one.
            if (not final_pass and deadline is not None and chunk < nb
                    and left() - reserve <= 1.5 * full_pass_seconds() + 2.0):
                chunk, final_pass = nb, True
    except KeyboardInterrupt:
        interrupted = True
        pool.cancel()
    finally:
        pool.close()
    # (no shortcut to the master's LP value when converged: the bound stays the
    # Lagrangian one, which carries the targets' own proven bounds)
    # last chance for a better plan with the candidates found
    if not interrupted and master.columns and gap() > gap_goal and left() > 0.5:
        try_plan(max(min(left() - 0.5, 300.0), 0.1))
    g = gap()
    g = None if not np.isfinite(g) else g
    status = Status.NO_SOLUTION if best_x is None else (
        Status.OPTIMAL if g is not None and g <= gap_goal else Status.FEASIBLE)
    return RawResult(
        status=status, x=best_x, objective=None if best_x is None else best_obj,
        bound=best_bound if np.isfinite(best_bound) else None, gap=g,
        time_s=time.perf_counter() - t0, solver="highs", version=hb.version(),
        message=(f"decomposition by target: {rounds} pricing rounds, {len(master.columns)} candidate "
                 f"consortia, {pricer.solves} target solves, {mc} rows across targets"
                 + (", no target offers a better candidate" if converged else "")
                 + (", interrupted" if interrupted else "")),
        interrupted=interrupted,
    )
