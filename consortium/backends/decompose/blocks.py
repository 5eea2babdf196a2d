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
    # Most a block can use of each coupling row (all coefficients are >= 0
    # there: capacities, spend, exclusive groups), for bounds without a solve.
    B.nonneg = bool(np.all(Ac.data >= 0))
    B.U = [np.asarray(a.T @ lm.ub[c]).ravel() for a, c in zip(B.AcT, block_cols, strict=True)]
    return B


def block_model(B: Blocks, k: int) -> LinearModel:
    """Block ``k`` as a model of its own (its columns, its rows)."""
    lm = B.lm
    c, r = B.cols[k], B.rows[k]
    A = Csc.of(lm.A[:, c].tocsr()[r] if len(r) else sp.csc_matrix((0, len(c))))
    return LinearModel(lb=lm.lb[c].copy(), ub=lm.ub[c].copy(), obj=lm.obj[c].copy(),
                       integer=lm.integer[c].copy(), A=A, row_lo=lm.row_lo[r].copy(),
                       row_hi=lm.row_hi[r].copy(), col_blocks=[], row_blocks=[])
