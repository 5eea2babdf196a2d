"""HiGHS alone, in its own process: the reference arm of the benchmarks.

Reads a model and solves it with highspy and nothing of ``consortium`` on the
timed path. Prints one JSON line with the timings and the outcome.

    python _highs_runner.py --mps model.mps --options opts.json [--start x.npy]
    python _highs_runner.py --npz model.npz --options opts.json [--start x.npy]
    python _highs_runner.py --scp scp41.txt --options opts.json

* ``--mps``: ``readModel`` (timed as ``read_s``) then ``run`` (``run_s``).
* ``--npz``: the very arrays ``consortium`` passes (``passModel``), so the
  model is bit-identical to the in-memory one; MPS text rounds the last digit
  of some coefficients, which can send the MIP search down another path.
* ``--scp``: the bare set-covering MILP of an OR-Library file,
  min c^T x, A x >= 1, x binary, built with ``passModel`` (``read_s`` is the
  parse plus the load).

``opts.json`` holds ``{"highs": {...raw HiGHS options...}}``; they are set
after the model is loaded, as ``consortium`` does.
"""

from __future__ import annotations

import argparse
import json
import time

T_START = time.perf_counter()

import highspy  # noqa: E402
import numpy as np  # noqa: E402

T_IMPORT = time.perf_counter() - T_START


def load_npz(h: highspy.Highs, path: str) -> None:
    z = np.load(path)
    lp = highspy.HighsLp()
    n, m = len(z["lb"]), len(z["row_lo"])
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = z["obj"], z["lb"], z["ub"]
    lp.row_lower_, lp.row_upper_ = z["row_lo"], z["row_hi"]
    lp.offset_ = float(z["offset"])
    lp.sense_ = highspy.ObjSense.kMaximize if int(z["maximize"]) else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, m
    lp.a_matrix_.start_ = z["indptr"].astype(np.int32)
    lp.a_matrix_.index_ = z["indices"].astype(np.int32)
    lp.a_matrix_.value_ = z["data"]
    h.passModel(lp)
    idx = z["int_idx"].astype(np.int32)
    if len(idx):
        h.changeColsIntegrality(len(idx), idx, np.full(len(idx), int(highspy.HighsVarType.kInteger),
                                                       np.uint8))


def load_scp(h: highspy.Highs, path: str) -> None:
    from consortium.io.orlib import read_scp  # standard library only

    costs, rows = read_scp(path)
    n, m = len(costs), len(rows)
    # Column-wise matrix: column j covers the rows that list it.
    cols: list[list[int]] = [[] for _ in range(n)]
    for i, r in enumerate(rows):
        for j in r:
            cols[j - 1].append(i)
    start = np.zeros(n + 1, np.int32)
    start[1:] = np.cumsum([len(c) for c in cols])
    index = np.fromiter((i for c in cols for i in c), np.int32, count=int(start[-1]))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = np.asarray(costs, float)
    lp.col_lower_, lp.col_upper_ = np.zeros(n), np.ones(n)
    lp.row_lower_, lp.row_upper_ = np.ones(m), np.full(m, highspy.kHighsInf)
    lp.sense_ = highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, m
    lp.a_matrix_.start_, lp.a_matrix_.index_ = start, index
    lp.a_matrix_.value_ = np.ones(len(index))
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h.passModel(lp)


def main() -> None:
    ap = argparse.ArgumentParser()
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--mps")
    g.add_argument("--npz")
    g.add_argument("--scp")
    ap.add_argument("--options", required=True, help="JSON file: {'highs': {...}}")
    ap.add_argument("--start", help=".npy start vector (setSolution), as consortium offers one")
    ap.add_argument("--log", action="store_true", help="HiGHS log on stderr")
    ap.add_argument("--log-file", help="HiGHS log to this file (not the console)")
    a = ap.parse_args()
    opts = json.loads(open(a.options).read())
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    t0 = time.perf_counter()
    if a.mps:
        st = h.readModel(a.mps)
        assert st != highspy.HighsStatus.kError, f"readModel failed: {st}"
    elif a.npz:
        load_npz(h, a.npz)
    else:
        load_scp(h, a.scp)
    read_s = time.perf_counter() - t0
    for k, v in opts.get("highs", {}).items():
        h.setOptionValue(k, v)
    h.setOptionValue("output_flag", bool(a.log or a.log_file))
    h.setOptionValue("log_to_console", bool(a.log))
    if a.log_file:
        h.setOptionValue("log_file", a.log_file)
    t1 = time.perf_counter()
    if a.start:
        x = np.load(a.start)
        if len(x):
            s = highspy.HighsSolution()
            s.col_value = list(x)
            s.value_valid = True
            h.setSolution(s)
    start_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    h.run()
    run_s = time.perf_counter() - t2
    info = h.getInfo()
    ms = h.getModelStatus()
    has = info.primal_solution_status == highspy.kSolutionStatusFeasible
    print(json.dumps({
        "import_s": T_IMPORT, "read_s": read_s, "start_s": start_s, "run_s": run_s,
        "status": h.modelStatusToString(ms),
        "objective": info.objective_function_value if has else None,
        "bound": info.mip_dual_bound, "gap": info.mip_gap,
        "nodes": info.mip_node_count, "lp_iterations": info.simplex_iteration_count,
        "cols": h.getNumCol(), "rows": h.getNumRow(),
        "highs_run_time": h.getRunTime(),
    }))


if __name__ == "__main__":
    main()
