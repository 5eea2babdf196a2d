"""Micro-benchmark: ways of handing the LinearModel to highspy (in-process).

* ``current``: ``consortium.backends.highs.to_highs`` (HighsLp fields, then
  ``changeColsIntegrality``);
* ``arrays``: the array overload ``passModel(n, m, nnz, format, sense, offset,
  cost, lower, upper, row_lower, row_upper, start, index, value, integrality)``;
* ``lp+integrality``: HighsLp with ``integrality_`` set before ``passModel``.

Checks that every way gives the same model (HiGHS's own copy compared
array by array), then times each ``--repeat`` times (median). Also times
``setSolution`` of the starting vector given as a list (current) and as an
array.

    python benchmarks/micro_to_highs.py                 # provincial seed 1
    python benchmarks/micro_to_highs.py --preset national
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import highspy
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_line, table  # noqa: E402
from bench_overhead import make_instance  # noqa: E402


def via_arrays(lm) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    A = lm.A
    integ = lm.integer.astype(np.int32)  # HighsVarType: 0 continuous, 1 integer
    h.passModel(lm.n_cols, lm.n_rows, A.nnz, int(highspy.MatrixFormat.kColwise),
                int(highspy.ObjSense.kMaximize), lm.obj_offset, lm.obj, lm.lb, lm.ub, lm.row_lo,
                lm.row_hi,
                A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data, integ)
    return h


def via_lp_integrality(lm) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = lm.n_cols, lm.n_rows
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = lm.obj, lm.lb, lm.ub
    lp.row_lower_, lp.row_upper_ = lm.row_lo, lm.row_hi
    lp.offset_ = lm.obj_offset
    lp.sense_ = highspy.ObjSense.kMaximize
    A = lm.A
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lm.n_cols, lm.n_rows
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data
    lp.integrality_ = np.where(lm.integer, highspy.HighsVarType.kInteger,
                               highspy.HighsVarType.kContinuous).tolist()
    h.passModel(lp)
    return h


def same(h1, h2) -> bool:
    a, b = h1.getLp(), h2.getLp()
    for f in ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_", "integrality_"):
        if not np.array_equal(np.asarray(getattr(a, f), float), np.asarray(getattr(b, f), float)):
            return False
    return all(np.array_equal(np.asarray(getattr(a.a_matrix_, f)), np.asarray(getattr(b.a_matrix_,
                                                                                      f)))
               for f in ("start_", "index_", "value_"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="provincial")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--instance", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    from consortium.backends import highs
    from consortium.backends.base import SolverOptions
    from consortium.io.instance import load
    from consortium.solving.build import build
    from consortium.solving.solve import initial_plan

    with tempfile.TemporaryDirectory() as d:
        inst = a.instance or Path(d) / "inst.json"
        if not a.instance:
            make_instance(a.preset, a.seed, inst)
        b = build(load(str(inst)))
    lm = b.lm
    start = initial_plan(b, SolverOptions())
    ways = {"current": highs.to_highs, "arrays": via_arrays, "lp+integrality": via_lp_integrality}
    ref = highs.to_highs(lm)
    rows = []
    for name, fn in ways.items():
        ok = same(ref, fn(lm))
        ts = []
        for _ in range(a.repeat):
            t = time.perf_counter()
            fn(lm)
            ts.append(time.perf_counter() - t)
        rows.append([name, f"{statistics.median(ts) * 1000:.1f}", "yes" if ok else "NO"])
    if start is not None:
        for name, conv in (("setSolution(list(x))", list), ("setSolution(x array)", lambda x: x)):
            ts = []
            for _ in range(a.repeat):
                h = highs.to_highs(lm)
                t = time.perf_counter()
                s = highspy.HighsSolution()
                s.col_value = conv(start)
                s.value_valid = True
                h.setSolution(s)
                ts.append(time.perf_counter() - t)
            rows.append([name, f"{statistics.median(ts) * 1000:.1f}", "-"])
    print(f"\n## Passing the model to HiGHS: {a.instance or f'{a.preset} seed {a.seed}'}\n")
    print(machine_line() + "\n")
    st = lm.stats()
    print(f"model {st['columns']} columns, {st['rows']} rows, {st['nonzeros']} nonzeros; "
          f"median of {a.repeat}\n")
    print(table(["way", "ms", "same model"], rows))


if __name__ == "__main__":
    main()
