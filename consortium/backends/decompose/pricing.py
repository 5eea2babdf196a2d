"""Pricing: each target's block solved alone under prices on the coupling rows,
on persistent HiGHS objects and threads; its optimum is a candidate consortium.

A block's pricing problem (:class:`Block`) is all a worker needs: the solve of
block ``k`` at prices ``lam`` from the warm start ``last`` gives the same
answer wherever it runs (each solve starts from a cleared HiGHS solver, with
the same options and seed), so :class:`PricingPool` (threads of this
process) and the dask pool of ``consortium.solving.cluster`` give the same
candidates and bounds."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

import highspy
import numpy as np
import scipy.sparse as sp

from ...model.linear import LinearModel
from .. import highs as hb
from .blocks import Blocks, block_model

INF = float("inf")
# A block's solve stops after this many branch-and-bound nodes: a work limit,
# not a clock, so candidates and bounds do not depend on the machine's load
# (README, "Determinism"). It replaces a 30 s cap per solve, which did not
# bind either: national blocks take a median of 0.05 s (BENCHMARKS.md,
# section 4), and on the provincial preset (seed 1) all 497 block solves
# closed at the root node (0.5 s at most). At a millisecond or two per node
# of a block's LP, 20,000 nodes are about what 30 s allowed: a guard against a
# runaway block. A block stopped by it still gives a valid bound (HiGHS's
# dual bound) and its best plan; only a user's time limit stops it earlier.
BLOCK_NODES = 20_000
# HiGHS options for a block's pricing problem: small models, presolve is not
# worth its time (on national blocks it sometimes takes a minute on a model of
# a thousand columns), one thread. Nor is the presolve HiGHS runs again after
# the root node ("restart"): without it, the same proven bounds in 0.6 times
# the time on 150 national blocks (seed 1, zero and random prices), 0.7 on the
# provincial by-target bound, about the same on national-dense
# (benchmarks/bench_block_options.py).
BLOCK_HIGHS: dict[str, bool | int | float | str] = {
    "presolve": "off",
    "mip_root_presolve_only": True,
    "threads": 1,
    "mip_rel_gap": 1e-7,
    "mip_abs_gap": 1e-7,
    "random_seed": 0,
    "mip_improving_solution_save": True,
    "mip_max_nodes": BLOCK_NODES,
}
EXTRA_COLUMNS = 2  # earlier incumbents of a pricing solve also offered to the master
# coupling rows whose most a block can use is bounded by an LP: at most this
# many per block, and only where coefficients x bounds exceed the largest
# coefficient this many times
TIGHTEN_ROWS, TIGHTEN_RATIO = 8, 4.0
# simplex iterations per such LP (a programme's blocks of 8,000 columns took
# up to 5 s for their 8 LPs, longer than pricing the block itself)
TIGHTEN_ITERATIONS = 2000


@dataclass
class Block:
    """One target's pricing problem: what a worker is sent once and keeps."""

    k: int
    model: LinearModel  # its columns and rows (true costs)
    AcT: sp.csr_matrix  # its columns x the coupling rows
    U: np.ndarray  # its largest use of each coupling row
    forced: bool  # must be formed


def block_of(B: Blocks, k: int, U: np.ndarray | None = None) -> Block:
    """Block ``k`` of ``B`` (with ``U`` for its use of the coupling rows, default ``B.U[k]``)."""
    return Block(k, block_model(B, k), B.AcT[k], B.U[k] if U is None else U, bool(B.forced[k]))


@dataclass
class Priced:
    """One block's answer at one set of prices."""

    k: int
    ub: float  # upper bound on max (c - lam A_c) x (-inf: the block is infeasible)
    xs: list[np.ndarray]  # its best plan first, then earlier incumbents of the solve
    U: np.ndarray | None  # the tightened most-use of each coupling row (first pricing only)
    seconds: float
    solved: bool = True  # HiGHS ran (not an unformable target's empty plan)


@dataclass
class Column:
    block: int
    x: np.ndarray  # values of the block's columns
    value: float  # its objective (true costs)
    use: np.ndarray  # coupling usage, dense over B.coupling


class Pricer:
    """One persistent HiGHS object per block; re-solved under new prices.
    Holds the blocks it is given (all of them in this process, a group of them
    on a dask worker)."""

    def __init__(self, blocks: dict[int, Block]):
        self.blocks = blocks
        self.h: dict[int, highspy.Highs] = {}
        self.tight: set[int] = set()
        self.solves = 0
        self.stop = False

    @classmethod
    def of(cls, B: Blocks) -> Pricer:
        return cls({k: block_of(B, k) for k in range(len(B.cols))})

    def tighten_use(self, b: Block) -> np.ndarray:
        """The most block ``b``'s LP relaxation can use of its largest coupling
        rows, in place of coefficients times upper bounds (a target's spend is
        capped by its own budget row, far below the sum of all its candidates'
        costs). Bounds built on ``U`` stay valid, and get tighter."""
        a = b.AcT.tocsc()  # block columns x coupling rows
        U = b.U.copy()
        # Only rows where much can be gained, e.g. budget rows (a sum over
        # hundreds of candidates' costs); an actor's capacity row within one
        # target (one column per site) is not worth an LP each.
        top = np.zeros(a.shape[1])
        nz = np.nonzero(np.diff(a.indptr))[0]
        top[nz] = np.maximum.reduceat(np.abs(a.data), a.indptr[nz]) if len(nz) else top[nz]
        many = np.nonzero(U > TIGHTEN_RATIO * top)[0]
        many = many[np.argsort(-U[many], kind="stable")][:TIGHTEN_ROWS]
        if not len(many):
            return U
        m = b.model
        relaxed = LinearModel(lb=m.lb, ub=m.ub, obj=np.zeros(len(m.lb)),
                              integer=np.zeros(len(m.lb), bool), A=m.A, row_lo=m.row_lo,
                              row_hi=m.row_hi, col_blocks=[], row_blocks=[])
        h = hb.to_highs(relaxed)
        h.setOptionValue("threads", 1)
        h.setOptionValue("presolve", "off")
        # a work limit: a bound is only tightened, never needed (an LP stopped
        # by it leaves U[j] as it was, still valid)
        h.setOptionValue("simplex_iteration_limit", TIGHTEN_ITERATIONS)
        n = len(m.lb)
        for j in many:
            cost = np.zeros(n)
            lo, hi = a.indptr[j], a.indptr[j + 1]
            cost[a.indices[lo:hi]] = a.data[lo:hi]
            h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
            h.clearSolver()  # the same answer whatever was solved before
            h.run()
            if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                v = float(h.getInfo().objective_function_value)
                U[j] = min(U[j], v + 1e-6 * (1.0 + abs(v)))
        return U

    def _highs(self, k: int) -> highspy.Highs:
        h = self.h.get(k)
        if h is None:
            h = hb.to_highs(self.blocks[k].model)
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

    def price(self, k: int, lam: np.ndarray, last: np.ndarray | None,
              time_limit: float | None) -> Priced:
        """max (c - lam A_c) x over block k, warm-started from ``last`` (its
        previous plan). ``time_limit`` only when the user set one (the solve
        is otherwise bounded by ``BLOCK_NODES``)."""
        t = time.perf_counter()
        b = self.blocks[k]
        m = b.model
        if m.ub.max(initial=0.0) <= 0.0 and not b.forced:
            # unformable target: only the empty plan
            return Priced(k, 0.0, [np.zeros(len(m.lb))], None, time.perf_counter() - t, False)
        U = None
        if k not in self.tight:
            self.tight.add(k)
            U = self.tighten_use(b)  # (b.U stays as sent: alike wherever it is tightened)
        h = self._highs(k)
        red = m.obj - b.AcT @ lam
        n = len(red)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), red)
        ub, xs = self._solve(h, m, red, last, time_limit)
        return Priced(k, ub, xs, U, time.perf_counter() - t)

    def _solve(self, h: highspy.Highs, m: LinearModel, red: np.ndarray, last: np.ndarray | None,
               time_limit: float | None) -> tuple[float, list[np.ndarray]]:
        """One solve of the loaded block: (upper bound, plans, best first)."""
        n = len(red)
        h.setOptionValue("time_limit", INF if time_limit is None else max(0.01, float(time_limit)))
        # A cleared solver: the solve depends on the block, the prices and the
        # warm start only, never on what this object (or worker) solved before.
        h.clearSolver()
        if last is not None:
            sol = highspy.HighsSolution()
            sol.col_value = last
            sol.value_valid = True
            h.setSolution(sol)
        h.run()
        self.solves += 1
        info = h.getInfo()
        ms = h.getModelStatus()
        if ms == highspy.HighsModelStatus.kInfeasible:
            return -INF, []
        has = info.primal_solution_status == highspy.kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value) if has else None
        xs = []
        if x is not None:
            x = np.where(m.integer, np.round(x), x)
            xs.append(x)
            for s in h.getSavedMipSolutions()[-1 - EXTRA_COLUMNS : -1]:
                v = np.asarray(s.col_value)
                if len(v) == n:
                    xs.append(np.where(m.integer, np.round(v), v))
        ub = info.mip_dual_bound
        if not np.isfinite(ub):
            ub = INF
        if x is not None:
            ub = max(ub, float(red @ x))
        return float(ub), xs


class Pool(Protocol):
    """Where the blocks are priced: :class:`PricingPool` (threads of this
    process) or the dask pool of ``consortium.solving.cluster``.
    ``price_all(blocks, lam, deadline)`` yields (k, upper bound, candidate
    plans, done) for every block asked for; a block's tightened use of the
    coupling rows is in ``B.U`` by then (see :class:`Answers`)."""

    n: int  # blocks priced at once
    times: list[tuple[int, float]]  # (block, seconds) of every solve
    solves: int

    def price_all(self, blocks: list[int], lam: np.ndarray,
                  deadline: float | None) -> Any: ...

    def cancel(self) -> None: ...

    def close(self) -> None: ...


class Answers:
    """What a pool keeps of the answers: each block's last plan (its next warm
    start), the solve times and count; :meth:`accept` takes one in."""

    def __init__(self, B: Blocks):
        self.B = B
        self.last: dict[int, np.ndarray] = {}
        self.times: list[tuple[int, float]] = []
        self.solves = 0

    def accept(self, r: Priced) -> tuple[float, list[np.ndarray]]:
        """Its tightened use into ``B.U``, its plan as the block's next warm
        start; returns (upper bound, plans)."""
        if r.U is not None:
            self.B.U[r.k] = r.U
        if r.xs:
            self.last[r.k] = r.xs[0]
        if r.solved:
            self.times.append((r.k, r.seconds))
            self.solves += 1
        return r.ub, r.xs


class PricingPool(Answers):
    """Prices the blocks on ``n`` persistent threads (HiGHS releases the GIL and
    keeps one task scheduler per calling thread, so each block always runs on
    the same thread: block k on thread k mod n)."""

    def __init__(self, B: Blocks, n: int, pricer: Pricer | None = None):
        import queue
        import threading

        super().__init__(B)
        self.pricer = pricer if pricer is not None else Pricer.of(B)
        self.cancelled = False
        self.n = max(1, int(n))
        self.jobs: list[queue.Queue[Any]] = [queue.Queue() for _ in range(self.n)]
        self.results: queue.Queue = queue.Queue()
        self.threads = [
            threading.Thread(target=self._loop, args=(i,), daemon=True, name=f"pricing-{i}")
            for i in range(self.n)
        ]
        for t in self.threads:
            t.start()

    def _loop(self, i: int) -> None:
        while True:
            job = self.jobs[i].get()
            if job is None:
                return
            blocks, lam, deadline = job
            for k in blocks:
                # the clock only when the user set a time limit
                rem = None if deadline is None else deadline - time.monotonic()
                if (rem is not None and rem <= 0.25) or self.cancelled:
                    self.results.put((k, None))
                    continue
                try:
                    self.results.put((k, self.pricer.price(k, lam, self.last.get(k), rem)))
                except BaseException as e:  # handed to the caller
                    self.results.put((k, e))

    def price_all(self, blocks: list[int], lam: np.ndarray, deadline: float | None):
        """Yield (k, upper bound, candidate plans, done) for every block, in
        completion order; ``deadline`` (``time.monotonic()``) only when the
        user set a time limit."""
        for i in range(self.n):
            self.jobs[i].put(([k for k in blocks if k % self.n == i], lam, deadline))
        for _ in range(len(blocks)):
            k, r = self.results.get()
            if isinstance(r, BaseException):
                raise r
            if r is None:
                yield k, None, [], False
                continue
            yield k, *self.accept(r), True

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

