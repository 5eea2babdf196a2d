"""The full model split by target: each target's columns and rows (its block),
and the rows across targets (the coupling rows, all ``row <= limit``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ...model.linear import Csc, LinearModel
from ...model.rules import Vars


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
    U: list[np.ndarray] = field(
        default_factory=list
    )  # per block: its largest use of each coupling row
    L: list[np.ndarray] = field(
        default_factory=list
    )  # per block: its smallest use of each coupling row (below 0 for milestones)
    touch: list[np.ndarray] = field(default_factory=list)  # per block: coupling rows it touches
    nonneg: bool = True


def split(lm: LinearModel, V: Vars, n_targets: int) -> Blocks:
    """Assign every column to its target and classify every row."""
    col_block = V.column_targets(lm.n_cols)
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
    block_cols = [order[cstarts[t] : cstarts[t + 1]] for t in range(n_targets)]
    rin = np.nonzero(inside)[0]
    rorder = rin[np.argsort(lo[rin], kind="stable")]
    rstarts = np.searchsorted(lo[rorder], np.arange(n_targets + 1))
    rows = [rorder[rstarts[t] : rstarts[t + 1]] for t in range(n_targets)]
    forced = lm.lb[V.y[:n_targets]] > 0.5
    B = Blocks(lm, block_cols, rows, coupling, forced)
    Ac = A[coupling].tocsc()
    B.AcT = [Ac[:, c].T.tocsr() for c in block_cols]
    # Most and least a block can use of each coupling row, for bounds without
    # a solve. The coefficients are >= 0 on capacities, spend and exclusive
    # groups, but -1 on a milestone (SPEC 7.3 rule 18, written as
    # -sum <= -min_formed), where a block's use lies in [-1, 0].
    B.nonneg = bool(np.all(Ac.data >= 0))
    B.U, B.L = [], []
    B.touch = [np.unique(a.indices) for a in B.AcT]
    for a, c in zip(B.AcT, block_cols, strict=True):
        at = a.T.tocsr()  # coupling rows x block columns
        cols = at.indices
        hi = np.maximum(at.data * lm.lb[c][cols], at.data * lm.ub[c][cols])
        lo = np.minimum(at.data * lm.lb[c][cols], at.data * lm.ub[c][cols])
        B.U.append(_row_sums(at, hi))
        B.L.append(_row_sums(at, lo))
    return B


def value_bound(B: Blocks, k: int, ub_then: float, pi_then: np.ndarray, pi: np.ndarray) -> float:
    """An upper bound on block ``k``'s priced value at prices ``pi``, from
    ``ub_then``, an upper bound proved at prices ``pi_then``, without a solve:

        value(pi) <= ub_then + sum_i max(d_i U_i, d_i L_i),  d = pi_then - pi,

    valid because the block's use of coupling row i lies in [L_i, U_i]."""
    idx = B.touch[k]  # only the rows this block touches matter
    if not len(idx):
        return float(ub_then)
    d = pi_then[idx] - pi[idx]
    return float(ub_then + np.maximum(d * B.U[k][idx], d * B.L[k][idx]).sum())


def _row_sums(m: sp.csr_matrix, data: np.ndarray) -> np.ndarray:
    """Row sums of ``m`` with its entries replaced by ``data``."""
    return np.asarray(sp.csr_matrix((data, m.indices, m.indptr), shape=m.shape).sum(axis=1)).ravel()


def block_model(B: Blocks, k: int, lm: LinearModel | None = None) -> LinearModel:
    """Block ``k`` as a model of its own (its columns, its rows), of ``B.lm``
    or of ``lm``, a model of the same structure."""
    lm = B.lm if lm is None else lm
    c, r = B.cols[k], B.rows[k]
    A = Csc.of(lm.A[:, c].tocsr()[r] if len(r) else sp.csc_matrix((0, len(c))))
    return LinearModel(lb=lm.lb[c].copy(), ub=lm.ub[c].copy(), obj=lm.obj[c].copy(),
                       integer=lm.integer[c].copy(), A=A, row_lo=lm.row_lo[r].copy(),
                       row_hi=lm.row_hi[r].copy(), col_blocks=[], row_blocks=[])
