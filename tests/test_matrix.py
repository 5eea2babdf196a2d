"""The model's matrix is assembled with numpy (``consortium.model.linear.Csc``)
so that ``consortium solve`` never imports scipy. These tests hold it equal to
what scipy.sparse makes of the same entries, and keep scipy off the solve path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from consortium.model.linear import Csc, csc_from_coo

ROOT = Path(__file__).resolve().parent.parent


@st.composite
def entries(draw):
    n_rows = draw(st.integers(0, 7))
    n_cols = draw(st.integers(0, 7))
    k = draw(st.integers(0, 40)) if n_rows and n_cols else 0
    rows = draw(st.lists(st.integers(0, max(n_rows - 1, 0)), min_size=k, max_size=k))
    cols = draw(st.lists(st.integers(0, max(n_cols - 1, 0)), min_size=k, max_size=k))
    # small integers: repeated entries sum exactly, and some sum to zero
    vals = draw(st.lists(st.integers(-3, 3).map(float), min_size=k, max_size=k))
    return (np.array(rows, np.int64), np.array(cols, np.int64), np.array(vals), (n_rows, n_cols))


@settings(max_examples=300, deadline=None)
@given(entries())
def test_csc_from_coo_equals_scipy(e):
    rows, cols, vals, shape = e
    ours = csc_from_coo(rows, cols, vals, shape)
    ref = sp.csc_matrix((vals, (rows, cols)), shape=shape)
    ref.sum_duplicates()
    ref.eliminate_zeros()
    assert ours.shape == ref.shape
    assert np.array_equal(ours.indptr, ref.indptr)
    assert np.array_equal(ours.indices, ref.indices)
    assert np.array_equal(ours.data, ref.data)
    assert ours.nnz == ref.nnz
    x = np.arange(shape[1], dtype=float) - 2.5
    assert np.allclose(ours @ x, ref @ x) and (ours @ x).dtype == np.float64
    # the scipy view and the way back are the same matrix
    assert (ours.scipy() != ref).nnz == 0
    back = Csc.of(ours.tocsr())
    assert np.array_equal(back.indptr, ours.indptr) and np.array_equal(back.data, ours.data)


def test_solve_does_not_import_scipy(tmp_path):
    """scipy.sparse costs ~0.2 s of start-up: `consortium solve` must not load it."""
    out = tmp_path / "out.json"
    code = (
        "import sys\n"
        "from consortium.cli import cli\n"
        "try:\n"
        f"    cli(['solve', {str(ROOT / 'instances/demo/suzhou.json')!r}, '-o', {str(out)!r}])\n"
        "except SystemExit as e:\n"
        "    code = e.code\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in ('scipy', 'pandas', "
        "'pyomo')))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       cwd=tmp_path)
    assert r.stdout.split(None, 1)[0] == "0", r.stdout + r.stderr
    assert r.stdout.split(None, 1)[1].strip() == "[]", r.stdout
    assert json.loads(out.read_text())["status"] == "optimal"
