"""The restricted master: at most one candidate per target (exactly one when it
must be formed) within the coupling rows; its LP gives prices, its MIP plans."""

from __future__ import annotations

import highspy
import numpy as np

from ...model.linear import LinearModel, csc_from_coo
from .. import highs as hb
from ..runs import run_to_end
from .blocks import Blocks
from .pricing import Column

INF = float("inf")
# Work limits of a plan search, in branch-and-bound nodes times the master's
# nonzeros (a node's LP costs about its size): the plan found then does not
# depend on the machine's speed or load (README, "Determinism"). PLAN_WORK
# stands for the 10 s cap it replaces, on 2 cores: on a 120-target instance of
# the national preset (a master of about 400 candidates, 3,300 nonzeros)
# HiGHS explored 137-780 nodes in those 10 s (0.5-2.6 million node-nonzeros),
# and would now explore about 600. On the national preset (some 2,000
# candidates, estimated from its 4,440 target solves at the same 0.5
# candidates a solve) that is about 125 nodes. The root node (cuts,
# heuristics) always runs to its end. The last search had 300 s: 30 times
# as much work.
PLAN_WORK = 2_000_000
FINAL_PLAN_WORK = 30 * PLAN_WORK
MIN_NODES, MAX_NODES = 50, 1_000_000


def node_limit(work: float, nonzeros: int) -> int:
    """Branch-and-bound nodes for ``work`` on a master with ``nonzeros``."""
    return int(np.clip(work / max(nonzeros, 1), MIN_NODES, MAX_NODES))


def _run(h: highspy.Highs) -> None:
    """Run HiGHS to the end on a thread of its own (see ``backends.runs.run_to_end``);
    a HiGHS error is an exception."""
    run_to_end(h)
    if h.getModelStatus() in (
        highspy.HighsModelStatus.kModelError,
        highspy.HighsModelStatus.kSolveError,
        highspy.HighsModelStatus.kPresolveError,
        highspy.HighsModelStatus.kPostsolveError,
        highspy.HighsModelStatus.kLoadError,
    ):
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
        h.addRows(len(self.row_lo), self.row_lo, self.row_hi, 0, np.zeros(0, np.int32),
                  np.zeros(0, np.int32), np.zeros(0))
        # elastic slacks: a row may exceed its limit at a large cost (LP only)
        if self.mc:
            idx = np.arange(self.mc, dtype=np.int32)
            h.addCols(self.mc, np.full(self.mc, -self.PENALTY), np.zeros(self.mc),
                      np.full(self.mc, INF), self.mc, np.arange(self.mc + 1, dtype=np.int32)[:-1],
                      idx, np.full(self.mc, -1.0))
        # forced blocks: an artificial "formed somehow" column at a large cost
        forced = np.nonzero(B.forced)[0]
        if len(forced):
            rows = (self.mc + forced).astype(np.int32)
            h.addCols(len(forced), np.full(len(forced), -self.PENALTY), np.zeros(len(forced)),
                      np.ones(len(forced)), len(forced), np.arange(len(forced), dtype=np.int32),
                      rows, np.ones(len(forced)))
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
        sigma = dual[self.mc :]
        return float(h.getInfo().objective_function_value), lam, sigma

    def solve_mip(self, work: float, time_limit: float | None, gap: float,
                  log: bool = False) -> np.ndarray | None:
        """Best choice of candidates (one 0/1 per column) within ``work``
        (see :func:`node_limit`), or None. A work limit, so the plan does not
        depend on the machine's speed or load; ``time_limit`` (seconds) is
        given only when the user set a time limit."""
        n = len(self.columns)
        rows, cols, vals = [], [], []
        for j, c in enumerate(self.columns):
            nz = np.nonzero(c.use)[0]
            rows.append(np.append(nz, self.mc + c.block))
            cols.append(np.full(len(nz) + 1, j))
            vals.append(np.append(c.use[nz], 1.0))
        cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)  # noqa: E731
        A = csc_from_coo(cat(rows, np.int64), cat(cols, np.int64), cat(vals, float),
                         (len(self.row_lo), n))
        h = hb.to_highs(
            LinearModel(lb=np.zeros(n), ub=np.ones(n),
                        obj=np.array([c.value for c in self.columns]), integer=np.ones(n, bool),
                        A=A, row_lo=self.row_lo, row_hi=self.row_hi, col_blocks=[], row_blocks=[])
        )
        h.setOptionValue("output_flag", bool(log))
        hb.log_to_stderr(h, log)
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("mip_max_nodes", node_limit(work, A.nnz))
        if time_limit is not None:
            h.setOptionValue("time_limit", max(0.05, float(time_limit)))
        h.setOptionValue("mip_rel_gap", float(gap))
        _run(h)
        if h.getInfo().primal_solution_status != highspy.kSolutionStatusFeasible:
            return None
        return np.round(np.asarray(h.getSolution().col_value))
