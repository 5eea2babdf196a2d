"""Benchmark: ``consortium stress --drop-each``, sequential against 2 worker processes.

    .venv/bin/python benchmarks/bench_stress.py              # both cases, 3 repeats
    .venv/bin/python benchmarks/bench_stress.py --quick      # demo instance, 1 repeat
    .venv/bin/python benchmarks/bench_stress.py --cases full --repeats 3 --time-limit 1

Cases (instances from ``consortium.generate``):

* ``full``: the ``provincial`` preset, seed 1 (50 targets, 2,000 actors). An
  exact re-solve takes about 100 s here, so every solve uses the ``fast``
  profile (0.5 % gap) and ``--time-limit`` seconds per re-solve (default 1 s),
  the same in both arms: the objectives are then those of the best plans found
  in that time, not proven optima.
* ``small``: the same preset and seed cut to 12 targets (2,000 actors), solved
  exactly (default profile, gap 0, no time limit): the two arms must agree.

The base plan is solved once per case (``consortium solve``, not timed in the
arms) and handed to every run with ``--solution``, so an arm is the re-solves
plus the command's start-up, checks and output. Each run is its own process:
wall and CPU time and the largest single process's peak RSS come from
``os.wait4``; the peak RSS of the whole process tree (the command and its
worker processes together) is sampled every 50 ms with psutil. The arms
alternate in every repeat; medians are reported with the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).with_name("consortium")
CLI = [str(BIN)] if BIN.exists() else [sys.executable, "-m", "consortium"]


def run(cmd: list[str], timeout: float | None = None) -> dict:
    """Run a command; wall, CPU (user+sys), largest-process and process-tree peak RSS."""
    import psutil

    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL)
        peak = [0]
        stop = threading.Event()

        def sample():
            try:
                root = psutil.Process(p.pid)
            except psutil.Error:
                return
            while not stop.is_set():
                try:
                    procs = [root] + root.children(recursive=True)
                    total = 0
                    for q in procs:
                        try:
                            total += q.memory_info().rss
                        except psutil.Error:
                            pass
                    peak[0] = max(peak[0], total)
                except psutil.Error:
                    pass
                stop.wait(0.05)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        _pid, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        load_end = os.getloadavg()[0]
        stop.set()
        th.join()
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read().decode(), fe.read().decode()
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {rc}:\n{err[-2000:]}")
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_mb": ru.ru_maxrss / 1024,
            "tree_rss_mb": peak[0] / 2**20, "load": load, "load_end": load_end, "stdout": out,
            "stderr": err}


def make_case(name: str, work: Path, quick: bool) -> Path:
    from consortium.generate import generate, write_instance

    if quick:
        return ROOT / "instances" / "demo" / "suzhou.json"
    if name == "full":
        inst = generate(preset="provincial", seed=1)
    elif name == "small":
        inst = generate(preset="provincial", seed=1, targets=12)
    else:
        raise SystemExit(f"unknown case {name!r}")
    p = work / f"{name}.json"
    write_instance(inst, p)
    return p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default="full,small", help="comma-separated: full, small")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=1.0,
                    help="seconds per re-solve in the full case")
    ap.add_argument("--quick", action="store_true", help="demo instance, exact, one repeat")
    ap.add_argument("--keep", help="keep instances and outputs in this folder")
    args = ap.parse_args()
    cases = ["demo"] if args.quick else args.cases.split(",")
    repeats = 1 if args.quick else args.repeats
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_stress."))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    notes = []
    for case in cases:
        inst = make_case(case, work, args.quick)
        limited = case == "full"
        prof = ["--profile", "fast"] if limited else ["--profile", "default"]
        sol = work / f"{case}.sol.json"
        t0 = time.perf_counter()
        run(CLI + ["solve", str(inst), "-o", str(sol), "--no-reasons"] + prof)
        base = json.loads(sol.read_text())
        n_actors = len({a for c in base["consortia"] for a in c["members"]})
        notes.append(f"{case}: {Path(inst).name}, base plan {base['status']} objective "
                     f"{base['objective']:.4f} ({len(base['consortia'])} consortia, {n_actors} "
                     "actors "
                     f"in the plan = {n_actors} re-solves), base solve "
                     f"{time.perf_counter() - t0:.1f} s "
                     f"(not in the arms); profile {prof[1]}"
                     + (f", time limit {args.time_limit:g} s per re-solve" if limited
                        else ", exact"))
        results: dict[int, list[dict]] = {1: [], 2: []}
        outs: dict[int, list[dict]] = {1: [], 2: []}
        for rep in range(repeats):
            for w in ([1, 2] if rep % 2 == 0 else [2, 1]):
                out = work / f"{case}.w{w}.r{rep}.json"
                cmd = CLI + ["stress", str(inst), "--solution", str(sol), "--drop-each",
                             "--workers", str(w),
                             "-o", str(out), "--no-progress"] + prof
                if limited:
                    cmd += ["--time-limit", str(args.time_limit)]
                r = run(cmd)
                d = json.loads(out.read_text())
                r["analysis_s"] = d["analysis"]["time_s"]
                r["solves"] = d["analysis"]["solves"]
                results[w].append(r)
                outs[w].append({x["name"]: x["objective_after"] for x in d["stress"]})
                print(f"{case} rep {rep} workers {w}: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s "
                      "CPU, "
                      f"tree peak {r['tree_rss_mb']:.0f} MB, load {r['load']:.2f} -> "
                      f"{r['load_end']:.2f}",
                      file=sys.stderr, flush=True)
        med1 = statistics.median(x["wall_s"] for x in results[1])
        for w in (1, 2):
            rs = results[w]
            wall = statistics.median(x["wall_s"] for x in rs)
            rows.append({
                "case": case, "workers": w, "runs": ", ".join(f"{x['wall_s']:.1f}" for x in rs),
                "wall": wall, "analysis": statistics.median(x["analysis_s"] for x in rs),
                "per": wall / max(1, rs[0]["solves"]),
                "cpu": statistics.median(x["cpu_s"] for x in rs),
                "maxrss": max(x["maxrss_mb"] for x in rs), "tree": max(x["tree_rss_mb"]
                                                                       for x in rs),
                "speedup": med1 / wall, "load": ", ".join(f"{x['load']:.2f}->{x['load_end']:.2f}"
                                                          for x in rs),
            })
        # agreement between the arms (and runs)
        names = list(outs[1][0])
        diffs = []
        for nm in names:
            vals = [o[nm] for w in (1, 2) for o in outs[w]]
            if any(v is None for v in vals):
                diffs.append(0.0 if all(v is None for v in vals) else float("inf"))
            else:
                diffs.append(max(vals) - min(vals))
        agree = sum(d <= 1e-6 * max(1.0, abs(base["objective"])) for d in diffs)
        notes.append(f"{case}: objective after each scenario identical in all runs of both arms "
                     "for "
                     f"{agree} of {len(names)} scenarios (largest spread {max(diffs):.4g})")

    print()
    print("| case | workers | runs (s) | median wall (s) | analysis (s) | wall per re-solve (s) "
          "| CPU (s) | peak RSS largest process (MB) | peak RSS all processes (MB) | speed-up | "
          "load start->end |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['case']} | {r['workers']} | {r['runs']} | {r['wall']:.1f} | "
              f"{r['analysis']:.1f} | "
              f"{r['per']:.2f} | {r['cpu']:.1f} | {r['maxrss']:.0f} | {r['tree']:.0f} | "
              f"{r['speedup']:.2f}x | {r['load']} |")
    print()
    for n in notes:
        print(f"- {n}")
    print(f"- machine: {os.cpu_count()} CPUs; one HiGHS thread per process; median of {repeats}")


if __name__ == "__main__":
    main()
