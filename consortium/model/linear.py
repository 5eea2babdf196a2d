"""A mixed-integer linear program held as numpy arrays.

The rules of SPEC section 3 are written once, in :mod:`consortium.model.rules`,
as blocks of sparse rows added here. Back ends (``consortium.backends``) read
this one object: the HiGHS back end passes the matrix to highspy in memory,
the Pyomo back end builds a ``ConcreteModel`` from the very same rows, so
there is a single formulation that cannot drift between them.

Every row block carries the rule it enforces and a way to describe each row
in planner's words, which the infeasibility diagnosis uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

INF = float("inf")


@dataclass(frozen=True)
class Csc:
    """A sparse matrix in compressed sparse columns, as the numpy arrays HiGHS takes.

    The solve path needs nothing more than these arrays, a product with a
    vector and the number of nonzeros. ``import scipy.sparse`` costs about
    0.2 s at every start-up (more than building and solving a small model),
    so the matrix is assembled here with numpy (:func:`csc_from_coo`) and
    scipy is imported only by the analyses that slice the matrix
    (:meth:`scipy`, :meth:`tocsr`, indexing).
    """

    data: np.ndarray
    indices: np.ndarray  # row of each nonzero, ascending within a column
    indptr: np.ndarray  # column j's nonzeros are data[indptr[j]:indptr[j + 1]]
    shape: tuple[int, int]

    @classmethod
    def of(cls, m) -> Csc:
        """From a scipy sparse matrix (any format)."""
        m = m.tocsc()
        m.sum_duplicates()
        return cls(m.data, m.indices, m.indptr, (int(m.shape[0]), int(m.shape[1])))

    @property
    def nnz(self) -> int:
        return len(self.data)

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        cols = np.repeat(np.arange(self.shape[1]), np.diff(self.indptr))
        y = np.bincount(self.indices, weights=self.data * np.asarray(x, float)[cols],
                        minlength=self.shape[0])
        return y.astype(float, copy=False)  # (bincount gives ints when there are no entries at all)

    def scipy(self):
        """The same matrix as ``scipy.sparse.csc_matrix`` (made once, then kept:
        the decomposition slices it once per target)."""
        m = self.__dict__.get("_scipy")
        if m is None:
            import scipy.sparse as sp

            m = sp.csc_matrix((self.data, self.indices, self.indptr), shape=self.shape)
            object.__setattr__(self, "_scipy", m)
        return m

    def tocsr(self):
        return self.scipy().tocsr()

    def tocsc(self):
        return self.scipy()

    def __getitem__(self, key):
        return self.scipy()[key]


def csc_from_coo(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray,
                 shape: tuple[int, int]) -> Csc:
    """Entries ``(rows[k], cols[k], vals[k])`` as a canonical :class:`Csc`:
    rows sorted within each column, repeated entries summed, zeros dropped
    (what ``scipy.sparse.csc_matrix((vals, (rows, cols)))`` followed by
    ``sum_duplicates`` and ``eliminate_zeros`` gives; a test holds the two
    equal)."""
    n_rows, n_cols = shape
    key = np.asarray(cols, np.int64) * n_rows + np.asarray(rows, np.int64)
    order = np.argsort(key, kind="stable")  # stable: runs added in order sort fast
    key = key[order]
    v = np.asarray(vals, float)[order]
    if len(key):
        first = np.empty(len(key), bool)
        first[0] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
        if not first.all():
            starts = np.flatnonzero(first)
            v = np.add.reduceat(v, starts)
            key = key[starts]
        keep = v != 0
        if not keep.all():
            key, v = key[keep], v[keep]
    c = key // max(n_rows, 1)
    indices = (key - c * n_rows).astype(np.int32 if n_rows < 2**31 else np.int64)
    indptr = np.zeros(n_cols + 1, np.int64)
    np.cumsum(np.bincount(c, minlength=n_cols), out=indptr[1:])
    return Csc(v, indices, indptr, (n_rows, n_cols))


@dataclass
class RowBlock:
    rule: str  # the spec rule, e.g. "3" or "12"
    name: str  # short family name, e.g. "redundancy"
    start: int
    stop: int
    target: np.ndarray  # target index per row (-1: not tied to one target)
    describe: Callable[[int], str]  # local row -> "t1: 'sic-substrate' delivered by ..."
    elastic: bool = True  # may this rule give way in the infeasibility diagnosis?


@dataclass
class ColBlock:
    name: str
    start: int
    stop: int


@dataclass
class LinearModel:
    lb: np.ndarray
    ub: np.ndarray
    obj: np.ndarray  # maximised
    integer: np.ndarray  # bool
    A: Csc
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_blocks: list[ColBlock]
    row_blocks: list[RowBlock]
    obj_offset: float = 0.0

    @property
    def n_cols(self) -> int:
        return len(self.lb)

    @property
    def n_rows(self) -> int:
        return len(self.row_lo)

    def is_feasible(self, x: np.ndarray | None, tol: float = 1e-6) -> bool:
        """Does ``x`` satisfy every bound, row and integrality (for warm starts)?"""
        if x is None or len(x) != self.n_cols:
            return False
        if np.any(x < self.lb - tol) or np.any(x > self.ub + tol):
            return False
        if np.any(np.abs(x[self.integer] - np.round(x[self.integer])) > tol):
            return False
        ax = self.A @ x
        return bool(np.all(ax >= self.row_lo - tol) and np.all(ax <= self.row_hi + tol))

    def violations(self, x: np.ndarray, tol: float = 1e-6) -> list[str]:
        """What ``x`` breaks, in planner's words: each violated row's description
        (and its rule), and any column outside its bounds."""
        out = []
        for j in np.nonzero((x < self.lb - tol) | (x > self.ub + tol))[0]:
            cb = next((b for b in self.col_blocks if b.start <= j < b.stop), None)
            out.append(
                f"column {cb.name if cb else j} must lie in [{self.lb[j]:g}, {self.ub[j]:g}]"
            )
        ax = self.A @ x
        for i in np.nonzero((ax < self.row_lo - tol) | (ax > self.row_hi + tol))[0]:
            blk = self.row_block_of(int(i))
            out.append(f"{blk.describe(int(i) - blk.start)} (rule {blk.rule})")
        return out

    def row_block_of(self, row: int) -> RowBlock:
        for b in self.row_blocks:
            if b.start <= row < b.stop:
                return b
        raise IndexError(row)

    def stats(self) -> dict[str, int]:
        return {
            "columns": self.n_cols,
            "integer": int(self.integer.sum()),
            "rows": self.n_rows,
            "nonzeros": int(self.A.nnz),
        }



@dataclass
class Reduced:
    """``lm`` with its fixed columns (``lb == ub``) taken out: their values
    moved into the row limits and the objective's constant, and every row
    left without a free column dropped (:func:`reduce_fixed`; redundant rows
    are kept: dropping them measured slower). Its plans are exactly
    the plans of ``lm`` restricted to the free columns (:meth:`lift`), with
    the same objective values. ``model`` is None when a row left without free
    columns is broken by the fixed values alone (no plan at all: ``empty_row``
    names it)."""

    model: LinearModel | None
    free: np.ndarray  # columns of lm kept, in order
    fixed_x: np.ndarray  # lm's columns at their fixed values, 0 on the free ones
    empty_row: int | None = None

    def lift(self, y: np.ndarray) -> np.ndarray:
        x = self.fixed_x.copy()
        x[self.free] = y
        return x

    def restrict(self, x: np.ndarray | None) -> np.ndarray | None:
        return None if x is None else np.asarray(x, float)[self.free]


def reduce_fixed(lm: LinearModel, tol: float = 1e-7) -> Reduced:
    """:class:`Reduced` of ``lm``. A row whose free columns are all gone must
    hold at the fixed values within ``tol`` (HiGHS's primal feasibility
    tolerance), else there is no plan."""
    A = lm.A
    n, m = lm.n_cols, lm.n_rows
    fixed = lm.lb == lm.ub
    free = np.flatnonzero(~fixed)
    fixed_x = np.where(fixed, lm.lb, 0.0)
    counts = np.diff(A.indptr)
    col_of = np.repeat(np.arange(n), counts)
    rows = np.asarray(A.indices, np.int64)
    vals = np.asarray(A.data, float)
    act = np.bincount(rows, weights=vals * fixed_x[col_of], minlength=m).astype(float)
    lo, hi = lm.row_lo - act, lm.row_hi - act
    on_free = ~fixed[col_of]
    r, c, v = rows[on_free], col_of[on_free], vals[on_free]
    keep = np.bincount(r, minlength=m) > 0
    broken = ~keep & ((act < lm.row_lo - tol) | (act > lm.row_hi + tol))
    if broken.any():
        return Reduced(None, free, fixed_x, int(np.flatnonzero(broken)[0]))
    kept = np.flatnonzero(keep)
    new_row = np.full(m, -1, np.int64)
    new_row[kept] = np.arange(len(kept))
    new_col = np.full(n, -1, np.int64)
    new_col[free] = np.arange(len(free))
    # (the entries stay in column order, rows ascending within a column)
    sub_c = new_col[c]
    indptr = np.zeros(len(free) + 1, np.int64)
    np.cumsum(np.bincount(sub_c, minlength=len(free)), out=indptr[1:])
    sub = LinearModel(
        lb=lm.lb[free], ub=lm.ub[free], obj=lm.obj[free], integer=lm.integer[free],
        A=Csc(v, new_row[r].astype(np.int32), indptr, (len(kept), len(free))),
        row_lo=lo[kept], row_hi=hi[kept], col_blocks=[], row_blocks=[],
        obj_offset=float(lm.obj_offset + lm.obj[fixed] @ lm.lb[fixed]))
    return Reduced(sub, free, fixed_x)


@dataclass
class Builder:
    """Accumulates column and row blocks, then freezes them into a LinearModel."""

    _lb: list[np.ndarray] = field(default_factory=list)
    _ub: list[np.ndarray] = field(default_factory=list)
    _obj: list[np.ndarray] = field(default_factory=list)
    _int: list[np.ndarray] = field(default_factory=list)
    _rows: list[np.ndarray] = field(default_factory=list)
    _cols: list[np.ndarray] = field(default_factory=list)
    _vals: list[np.ndarray] = field(default_factory=list)
    _lo: list[np.ndarray] = field(default_factory=list)
    _hi: list[np.ndarray] = field(default_factory=list)
    col_blocks: list[ColBlock] = field(default_factory=list)
    row_blocks: list[RowBlock] = field(default_factory=list)
    n_cols: int = 0
    n_rows: int = 0

    def add_cols(self, name: str, n: int, *, lb=0.0, ub=1.0, obj=0.0, integer=True) -> np.ndarray:
        idx = np.arange(self.n_cols, self.n_cols + n, dtype=np.int64)
        self._lb.append(np.broadcast_to(np.asarray(lb, float), (n,)).copy())
        self._ub.append(np.broadcast_to(np.asarray(ub, float), (n,)).copy())
        self._obj.append(np.broadcast_to(np.asarray(obj, float), (n,)).copy())
        self._int.append(np.full(n, bool(integer)))
        self.col_blocks.append(ColBlock(name, self.n_cols, self.n_cols + n))
        self.n_cols += n
        return idx

    def set_obj(self, cols: np.ndarray, values) -> None:
        """Add objective coefficients to existing columns (maximised)."""
        obj = np.concatenate(self._obj) if len(self._obj) > 1 else self._obj[0]
        np.add.at(obj, np.asarray(cols, np.int64),
                  np.broadcast_to(np.asarray(values, float), np.shape(cols)))
        self._obj = [obj]

    def upper(self, cols: np.ndarray) -> np.ndarray:
        """The upper bounds of existing columns."""
        ub = np.concatenate(self._ub) if len(self._ub) > 1 else self._ub[0]
        self._ub = [ub]
        return ub[np.asarray(cols, np.int64)]

    def set_bounds(self, cols, lb=None, ub=None) -> None:
        for arrs, val in ((self._lb, lb), (self._ub, ub)):
            if val is None:
                continue
            full = np.concatenate(arrs) if len(arrs) > 1 else arrs[0]
            full[np.asarray(cols, np.int64)] = val
            arrs[:] = [full]

    def add_rows(self, rule: str, name: str, n: int, rows: np.ndarray, cols: np.ndarray, vals, lo,
                 hi, target, describe: Callable[[int], str], elastic: bool = True) -> None:
        """Add ``n`` rows ``lo <= sum vals*x[cols] <= hi``; ``rows`` are 0..n-1."""
        if n == 0:
            return
        rows = np.asarray(rows, np.int64)
        self._rows.append(rows + self.n_rows)
        self._cols.append(np.asarray(cols, np.int64))
        self._vals.append(np.broadcast_to(np.asarray(vals, float), rows.shape).copy())
        self._lo.append(np.broadcast_to(np.asarray(lo, float), (n,)).copy())
        self._hi.append(np.broadcast_to(np.asarray(hi, float), (n,)).copy())
        tgt = np.broadcast_to(np.asarray(target, np.int64), (n,)).copy()
        self.row_blocks.append(
            RowBlock(rule, name, self.n_rows, self.n_rows + n, tgt, describe, elastic)
        )
        self.n_rows += n

    def build(self) -> LinearModel:
        cat = lambda xs, dt=float: np.concatenate(xs) if xs else np.zeros(0, dt)  # noqa: E731
        rows, cols, vals = cat(self._rows, np.int64), cat(self._cols, np.int64), cat(self._vals)
        A = csc_from_coo(rows, cols, vals, (self.n_rows, self.n_cols))
        return LinearModel(lb=cat(self._lb), ub=cat(self._ub), obj=cat(self._obj),
                           integer=cat(self._int, bool), A=A, row_lo=cat(self._lo),
                           row_hi=cat(self._hi), col_blocks=self.col_blocks,
                           row_blocks=self.row_blocks)
