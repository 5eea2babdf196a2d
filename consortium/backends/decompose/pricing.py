"""Pricing: each target's block solved alone under prices on the coupling rows,
on persistent HiGHS objects and threads; its optimum is a candidate consortium."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

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
# a thousand columns), one thread.
BLOCK_HIGHS: dict[str, bool | int | float | str] = {
    "presolve": "off",
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

    def price(self, k: int, lam: np.ndarray,
              time_limit: float | None) -> tuple[float, np.ndarray | None, list[np.ndarray]]:
        """max (c - lam A_c) x over block k: (upper bound, best x or None,
        earlier incumbents of the same solve). ``time_limit`` only when the
        user set one (the solve is otherwise bounded by ``BLOCK_NODES``)."""
        m = self.models[k]
        if m.ub.max(initial=0.0) <= 0.0 and not self.B.forced[k]:
            return 0.0, np.zeros(len(m.lb)), []  # unformable target: only the empty plan
        if not self.tight[k]:
            self.tighten_use(k)
        h = self._highs(k)
        red = m.obj - self.B.AcT[k] @ lam
        n = len(red)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), red)
        h.setOptionValue("time_limit", INF if time_limit is None else max(0.01, float(time_limit)))
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
            for s in h.getSavedMipSolutions()[-1 - EXTRA_COLUMNS : -1]:
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
                    self.results.put((k, None, None, False))
                    continue
                try:
                    ub, x, extras = self.pricer.price(k, lam, rem)
                    self.results.put((k, ub, [x] + extras if x is not None else [], True))
                except BaseException as e:  # handed to the caller
                    self.results.put((k, e, None, False))

    def price_all(self, blocks: list[int], lam: np.ndarray, deadline: float | None):
        """Yield (k, upper bound, candidate plans, done) for every block, in
        completion order; ``deadline`` (``time.monotonic()``) only when the
        user set a time limit."""
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
