"""Experiment: shared budget rows through per-target spend columns.

Rule 12's sponsor and total budget rows repeat every spend coefficient of
every target they cover. On the national instance the total-budget row has
365,440 nonzeros and the 37 budget rows 690,525; HiGHS's presolve spends
minutes re-presolving such rows (``rowPresolve``, ``dualFixing``,
``detectDominatedCol`` in native stack samples).

This script rewrites the built model without touching the package: for every
target covered by a shared budget it adds a continuous column ``s_t >= 0``
and the row ``spend_t(x) - s_t <= 0``; each budget row becomes
``sum_t s_t <= cap`` (one entry per target). The projection onto the
original columns is the same polyhedron, so the MILP optimum is unchanged.
Then the original and the rewritten model are solved by HiGHS alone
(``_highs_runner.py --npz``, with ``consortium``'s starting plan) under the
same options, and the times, presolve milestones and objectives compared.

    python benchmarks/exp_budget_rows.py                              # provincial seed 1, gap 0
    python benchmarks/exp_budget_rows.py --preset national --profile national --time-limit 600 \
        --arms rewritten
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt, log, machine_line, parse_highs_log, python_exe, run_child, table  # noqa: E402
from bench_overhead import instance_file  # noqa: E402

HERE = Path(__file__).resolve().parent


def rewrite(b, objective: bool = False):
    """(original LinearModel arrays, rewritten arrays, function start -> rewritten start).

    ``objective``: also move each target's (negative) objective coefficients
    of its member and lead columns into one continuous column ``c_t`` with
    ``sum_j (-obj_j) x_j - c_t <= 0`` and objective ``-c_t``, so that the
    only binaries with an objective coefficient are the ``y`` (HiGHS's
    objective clique partition then has 500 columns to look at, not 360,000).
    """
    import scipy.sparse as sp

    from consortium.model import rules

    md, V, lm = b.md, b.V, b.lm
    budget_rows = [blk for blk in lm.row_blocks if blk.rule == "12" and blk.name == "budget"]
    keep = np.ones(lm.n_rows, bool)
    for blk in budget_rows:
        keep[blk.start:blk.stop] = False
    spends = {v.index: rules.spend_entries(md, V, v) for v in V.views}
    # Which targets each budget row covers: recover from the row's columns.
    col_target = np.full(lm.n_cols, -1)
    for ti, (cols, _vals) in spends.items():
        col_target[cols] = ti
    R = lm.A.tocsr()
    groups = []
    for blk in budget_rows:
        for r in range(blk.start, blk.stop):
            cols = R.indices[R.indptr[r]:R.indptr[r + 1]]
            groups.append((sorted(set(col_target[cols]) - {-1}), lm.row_lo[r], lm.row_hi[r]))
    targets = sorted({t for g in groups for t in g[0]})
    s_col = {t: lm.n_cols + k for k, t in enumerate(targets)}
    n_new = len(targets)
    rows, cols, vals = [], [], []
    # spend_t(x) - s_t <= 0
    for k, t in enumerate(targets):
        c, v = spends[t]
        rows += [np.full(len(c) + 1, k)]
        cols += [np.append(c, s_col[t])]
        vals += [np.append(v, -1.0)]
    lo = [np.full(n_new, -np.inf)]
    hi = [np.zeros(n_new)]
    for g, (ts, rlo, rhi) in enumerate(groups):
        rows += [np.full(len(ts), n_new + g)]
        cols += [np.array([s_col[t] for t in ts], np.int64)]
        vals += [np.ones(len(ts))]
        lo += [np.array([rlo])]
        hi += [np.array([rhi])]
    m_new = n_new + len(groups)
    obj = np.concatenate([lm.obj, np.zeros(n_new)])
    ub_s = [max(spends[t][1].clip(min=0).sum(), 0.0) for t in targets]
    obj_groups = []
    if objective:
        for v in V.views:
            cols_t = np.concatenate([V.x[v.index], V.lead[v.index]])
            cols_t = cols_t[lm.obj[cols_t] < 0]
            if len(cols_t) == 0:
                continue
            k = n_new + len(obj_groups)
            coef = -lm.obj[cols_t]
            rows += [np.full(len(cols_t) + 1, m_new + len(obj_groups))]
            cols += [np.append(cols_t, lm.n_cols + k)]
            vals += [np.append(coef, -1.0)]
            lo += [np.array([-np.inf])]
            hi += [np.array([0.0])]
            obj_groups.append((cols_t, coef))
            ub_s.append(float(coef.sum()))
        for cols_t, _coef in obj_groups:
            obj[cols_t] = 0.0
        obj = np.concatenate([obj, -np.ones(len(obj_groups))])
        n_new += len(obj_groups)
        m_new += len(obj_groups)
    n_all = lm.n_cols + n_new
    B = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(m_new, n_all))
    A0 = lm.A.tocsr()[keep]
    A0 = sp.hstack([A0, sp.csc_matrix((A0.shape[0], n_new))])
    A = sp.vstack([A0, B]).tocsc()
    A.sum_duplicates()
    new = dict(lb=np.concatenate([lm.lb, np.zeros(n_new)]),
               ub=np.concatenate([lm.ub, np.array(ub_s)]),
               obj=obj,
               row_lo=np.concatenate([lm.row_lo[keep], *lo]),
               row_hi=np.concatenate([lm.row_hi[keep], *hi]),
               indptr=A.indptr, indices=A.indices, data=A.data, int_idx=np.nonzero(lm.integer)[0],
               offset=lm.obj_offset, maximize=1)
    C = lm.A.tocsc()
    old = dict(lb=lm.lb, ub=lm.ub, obj=lm.obj, row_lo=lm.row_lo, row_hi=lm.row_hi, indptr=C.indptr,
               indices=C.indices, data=C.data, int_idx=np.nonzero(lm.integer)[0],
               offset=lm.obj_offset, maximize=1)

    def start_map(x):
        if x is None or len(x) == 0:
            return x
        s = [float(spends[t][1] @ x[spends[t][0]]) for t in targets]
        c = [float(coef @ x[cols_t]) for cols_t, coef in obj_groups]
        return np.concatenate([x, np.array(s + c)])

    info = {"budget_rows": len(groups), "budget_nnz_before": int(sum(np.diff(R.indptr)[~keep])),
            "budget_nnz_after": int(B.nnz), "new_columns": n_new,
            "objective_columns": len(obj_groups), "nnz_before": int(lm.A.nnz),
            "nnz_after": int(A.nnz)}
    return old, new, start_map, info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="provincial")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--instance", type=Path)
    ap.add_argument("--profile", default="default")
    ap.add_argument("--gap", type=float)
    ap.add_argument("--time-limit", type=float, default=900.0)
    ap.add_argument("--arms", default="original,rewritten",
                    help="original, rewritten, rewritten+obj")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--highs-option", action="append", default=[], metavar="K=V")
    ap.add_argument("--keep", type=Path)
    a = ap.parse_args()
    from bench_overhead import parse_kv

    from consortium.backends.base import SolverOptions
    from consortium.io.instance import load
    from consortium.solving import profiles
    from consortium.solving.build import build
    from consortium.solving.solve import initial_plan

    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="exp_budget_"))
    work.mkdir(parents=True, exist_ok=True)
    log(machine_line())
    try:
        inst = instance_file(a, work)
        prof = profiles.load(a.profile)
        gap = a.gap if a.gap is not None else float(prof.get("gap", 0.0))
        h = {**prof.get("highs", {}), "mip_rel_gap": gap, "time_limit": a.time_limit,
             **parse_kv(a.highs_option)}
        (work / "options.json").write_text(json.dumps({"highs": h}))
        b = build(load(str(inst)))
        start = initial_plan(b, SolverOptions(gap=gap, highs=dict(h)))
        arms = a.arms.split(",")
        old, new, smap, info = rewrite(b)
        log(f"rewrite: {info}")
        np.savez(work / "original.npz", **old)
        np.save(work / "original.npy", start if start is not None else np.array([]))
        if "rewritten" in arms:
            np.savez(work / "rewritten.npz", **new)
            np.save(work / "rewritten.npy", smap(start) if start is not None else np.array([]))
        if "rewritten+obj" in arms:
            _o, new2, smap2, info2 = rewrite(b, objective=True)
            log(f"rewrite+obj: {info2}")
            info = {"budget": info, "budget+objective": info2}
            np.savez(work / "rewritten+obj.npz", **new2)
            np.save(work / "rewritten+obj.npy", smap2(start) if start is not None else np.array([]))
        rows = []
        for rep in range(a.repeat):
            for arm in arms:
                lf = work / f"{arm}-{rep}.log"
                cmd = [python_exe(), str(HERE / "_highs_runner.py"), "--npz",
                       str(work / f"{arm}.npz"),
                       "--options", str(work / "options.json"), "--start", str(work / f"{arm}.npy"),
                       "--log-file", str(lf)]
                r = run_child(cmd, cwd=work, timeout=a.time_limit * 2 + 120)
                try:
                    d = json.loads(r.stdout.strip().splitlines()[-1])
                except (IndexError, json.JSONDecodeError):
                    d = {"error": r.stderr[-800:]}
                text = lf.read_text(errors="replace") if lf.exists() else ""
                lg = parse_highs_log(text)
                import re

                pre = re.findall(r"^(\d+) rows, (\d+) cols, (\d+) nonzeros\s+(\d+(?:\.\d+)?)s",
                                 text, re.M)
                inc = lg["incumbents"]
                row = [arm, rep + 1, fmt(r.cpu_s, 1), fmt(d.get("run_s"), 1), pre[-1][3] if pre
                       else "-",
                       fmt(lg.get("root_bound"), 3), f"{inc[-1][0]}@{inc[-1][2]:g}s" if inc
                       else "-",
                       d.get("status"), fmt(d.get("objective"), 4), fmt(d.get("bound"), 4),
                       f"{d.get('gap'):.4%}" if isinstance(d.get("gap"), float) and d["gap"] < 1e9
                       else "-",
                       fmt(r.maxrss_mb / 1024, 2)]
                rows.append(row)
                log("  " + " | ".join(map(str, row)) + (f" ERROR {d['error']}" if "error" in d
                                                        else ""))
        print(f"\n## Budget rows rewritten: {inst.name}, profile {a.profile}, gap {gap}, "
              f"time limit {a.time_limit:g} s\n")
        print(machine_line() + "\n")
        print(f"rewrite: {info}\n")
        print(table(["model", "rep", "CPU s", "run wall s", "presolve done at (log s)",
                     "root bound",
                     "last incumbent", "status", "objective", "bound", "gap", "peak RSS GB"], rows))
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
