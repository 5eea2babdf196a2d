"""Benchmark: a budget sweep against separate ``consortium solve`` runs.

    # provincial cut to 12 targets, 50 points, 3 repeats:
    .venv/bin/python benchmarks/bench_sweep.py
    .venv/bin/python benchmarks/bench_sweep.py --repeats 1     # the same, about 15 min on 2 cores
    .venv/bin/python benchmarks/bench_sweep.py --preset demo --points 50   # demo, about 3 min
    .venv/bin/python benchmarks/bench_sweep.py --quick         # demo instance, 12 points, 1 repeat

The default instance is ``generate(preset="provincial", seed=1, targets=12)``
(2,000 actors), solved to the ``fast`` profile's 0.5 % gap without a time
limit: each solve takes 5-8 s, so all 150 solves of a repeat finish. The
whole provincial preset (``--targets 0``) needs 30-110 s per solve; under a
short ``--time-limit`` HiGHS does not even finish presolve (every arm then
returns the same starting plan and the report warns that it measured
start-up and waiting, not solving).

Three arms, measured side by side in every repeat (their order rotates from
one repeat to the next):

* ``separate``: one ``consortium solve VARIANT.json -o SOL.json --no-reasons``
  process per budget (the sweep computes no unformed-target reasons either;
  both verify every plan);
* ``sweep 1w``: ``consortium sweep --workers 1``;
* ``sweep 2w``: ``consortium sweep --workers 2``.

Every arm runs in a wrapper process of its own, so the peak memory reported
is ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` of that arm alone (the
largest single process of the arm: a solve process, the sweep process or one
of its workers). All arms use the same solver options (``--profile``,
``--time-limit``, one HiGHS thread per process). Prints a markdown table of
medians and ratios, and the mean objective of each arm (at a time limit, the
sweep's warm starts can also give better plans).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).with_name("consortium")


def make_instance(preset: str, seed: int, out: Path, targets: int | None = None,
                  actors: int | None = None) -> tuple[Path, str]:
    if preset == "demo":
        shutil.copy(ROOT / "instances" / "demo" / "suzhou.json", out)
        return out, "demo instance (instances/demo/suzhou.json)"
    try:
        from consortium.generate import generate, write_instance

        inst = generate(preset=preset, seed=seed, targets=targets, actors=actors)
        write_instance(inst, out)
        size = "".join(f", {k}={v}" for k, v in (("targets", targets), ("actors", actors)) if v)
        return out, f"generate(preset={preset!r}, seed={seed}{size})"
    except Exception as e:  # generator missing or broken: a scaled-up demo instance
        raw = json.loads((ROOT / "instances" / "demo" / "suzhou.json").read_text())
        actors = []
        for k in range(40):
            for a in raw["actors"]:
                b = dict(a, id=f"{a['id']}-{k}", lat=a["lat"] + 0.01 * k, lon=a["lon"] + 0.01 * k)
                b["bids"] = {t: v for t, v in a.get("bids", {}).items()}
                actors.append(b)
        raw["actors"] = actors
        raw["ties"], raw["conflicts"], raw["fixed"] = [], [], {}
        out.write_text(json.dumps(raw))
        return out, f"scaled-up demo instance (generate failed: {type(e).__name__}: {e})"


def budgets(raw: dict, points: int, lo: float, hi: float) -> list[float]:
    base = raw.get("policy", {}).get("total_budget")
    if base is None:
        base = sum(t.get("budget") or 0.0 for t in raw.get("targets", []))
    return [round(base * (lo + (hi - lo) * i / (points - 1)), 2) for i in range(points)]


def solver_args(a) -> list[str]:
    out = ["--profile", a.profile]
    if a.time_limit:
        out += ["--time-limit", str(a.time_limit)]
    return out


# ------------------------------------------------------------ one arm (child)


def arm_separate(a, inst: Path, work: Path) -> dict:
    raw = json.loads(inst.read_text())
    bs = budgets(raw, a.points, a.lo, a.hi)
    files = []
    for i, b in enumerate(bs):  # variant files are written before the clock starts
        raw["policy"]["total_budget"] = b
        f = work / f"variant-{i:03d}.json"
        f.write_text(json.dumps(raw))
        files.append(f)
    objs, statuses, messages = [], [], []
    t0 = time.perf_counter()
    for f in files:
        sol = f.with_suffix(".sol.json")
        p = subprocess.run([str(BIN), "solve", str(f), "-o", str(sol), "--no-reasons", "--threads",
                            "1",
                            *solver_args(a)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
        if p.returncode not in (0, 1):
            raise SystemExit(f"solve failed: {p.stderr}")
        d = json.loads(sol.read_text()) if sol.exists() else {"status": "no file",
                                                              "objective": None}
        objs.append(d.get("objective"))
        statuses.append(d.get("status"))
        messages.append(solver_message(d))
    return {"seconds": time.perf_counter() - t0, "objectives": objs, "statuses": statuses,
            "messages": messages}


def solver_message(plan: dict) -> str:
    """HiGHS's verdict on one solve, e.g. 'Optimal', 'Time limit reached', or that
    HiGHS was cut off in presolve and the starting plan was returned."""
    m = str((plan.get("solver") or {}).get("message") or plan.get("status") or "?")
    return "starting plan (HiGHS cut off in presolve)" if "returned the starting plan" in m else m


def arm_sweep(a, inst: Path, work: Path, workers: int) -> dict:
    raw = json.loads(inst.read_text())
    bs = budgets(raw, a.points, a.lo, a.hi)
    out = work / f"sweep-{workers}.sqlite"
    t0 = time.perf_counter()
    p = subprocess.run([str(BIN), "sweep", str(inst), "--set", "policy.total_budget="
                        + ",".join(map(str, bs)),
                        "-o", str(out), "--overwrite", "--workers", str(workers), "--no-progress",
                        *solver_args(a)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                        text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        why = ""
        if out.exists():  # exit 1: some scenarios failed; their messages are in the results
            con = sqlite3.connect(str(out))
            why = "\n".join(f"  scenario {sid}: {err}" for sid, err in con.execute(
                "SELECT scenario, error FROM scenarios WHERE status = 'failed' ORDER BY scenario"))
            con.close()
        raise SystemExit(f"sweep --workers {workers} exited {p.returncode}:\n{why}\n"
                         f"{p.stderr[-3000:]}")
    con = sqlite3.connect(str(out))
    rows = con.execute("SELECT objective, status FROM scenarios ORDER BY scenario").fetchall()
    messages = [solver_message(json.loads(r[0])) for r in
                con.execute("SELECT solution FROM plans ORDER BY scenario").fetchall()]
    con.close()
    return {"seconds": dt, "objectives": [r[0] for r in rows], "statuses": [r[1] for r in rows],
            "messages": messages}


def run_arm(a) -> None:
    inst = Path(a.instance_file)
    work = Path(tempfile.mkdtemp(prefix=f"bench-{a.arm}-"))
    try:
        if a.arm == "separate":
            res = arm_separate(a, inst, work)
        else:
            res = arm_sweep(a, inst, work, int(a.arm[-2]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    res["maxrss_mb"] = ru.ru_maxrss / 1024
    res["cpu_s"] = ru.ru_utime + ru.ru_stime  # all processes of the arm (load-independent)
    print(json.dumps(res))


# ------------------------------------------------------------ driver


ARMS = ["separate", "sweep 1w", "sweep 2w"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="provincial", help="generator preset, or 'demo'")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--targets", type=int, default=12,
                    help="scale the preset: number of targets (default 12; 0: the preset's own)")
    ap.add_argument("--actors", type=int, help="scale the preset: number of actors")
    ap.add_argument("--points", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--lo", type=float, default=0.3,
                    help="lowest budget, fraction of the instance's")
    ap.add_argument("--hi", type=float, default=1.2,
                    help="highest budget, fraction of the instance's")
    ap.add_argument("--time-limit", type=float, default=0.0,
                    help="seconds per solve in every arm (0: none, the default); a full provincial "
                         "solve takes "
                         "30-110 s to optimality, and under a few seconds' limit HiGHS does not "
                         "finish presolve")
    ap.add_argument("--profile", default="fast")
    ap.add_argument("--quick", action="store_true",
                    help="demo instance, 12 points, 1 repeat, no time limit")
    ap.add_argument("--arm", help=argparse.SUPPRESS)
    ap.add_argument("--instance-file", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.arm:
        return run_arm(a)
    if a.quick:
        a.preset, a.points, a.repeats, a.time_limit = "demo", 12, 1, 0.0
    a.targets = a.targets or None
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        inst, origin = make_instance(a.preset, a.seed, tmp / f"{a.preset}.json", a.targets,
                                     a.actors)
        raw = json.loads(inst.read_text())
        bs = budgets(raw, a.points, a.lo, a.hi)
        print(f"instance: {origin}: {len(raw.get('targets', []))} targets, "
              f"{len(raw.get('actors', []))} actors",
              flush=True)
        print(f"sweep: policy.total_budget, {a.points} points {bs[0]:g} .. {bs[-1]:g}; profile "
              f"{a.profile}, "
              f"time limit {a.time_limit or 'none'} s per solve, 1 HiGHS thread per process; "
              f"{a.repeats} repeat(s); {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.2f}", flush=True)
        results: dict[str, list[dict]] = {k: [] for k in ARMS}
        for r in range(a.repeats):
            order = ARMS[r % 3:] + ARMS[:r % 3]
            for arm in order:
                cmd = [sys.executable, __file__, "--arm", arm.replace(" ", ""), "--instance-file",
                       str(inst),
                       "--points", str(a.points), "--lo", str(a.lo), "--hi", str(a.hi),
                       "--time-limit", str(a.time_limit), "--profile", a.profile]
                load0 = os.getloadavg()[0]
                p = subprocess.run(cmd, capture_output=True, text=True)
                if p.returncode != 0:
                    raise SystemExit(f"{arm}: {p.stderr or p.stdout}")
                res = json.loads(p.stdout.strip().splitlines()[-1])
                results[arm].append(res)
                print(f"  repeat {r + 1} {arm:9s} {res['seconds']:8.1f} s  cpu {res['cpu_s']:7.1f} "
                      "s  "
                      f"peak {res['maxrss_mb']:5.0f} MB  "
                      f"load {load0:.2f} -> {os.getloadavg()[0]:.2f}", flush=True)
        report(results, a)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def report(results: dict[str, list[dict]], a) -> None:
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in results.items()}
    mem = {k: max(r["maxrss_mb"] for r in v) for k, v in results.items()}
    cpu = {k: statistics.median(r["cpu_s"] for r in v) for k, v in results.items()}

    def mean_obj(v):
        objs = [o for r in v for o in r["objectives"] if o is not None]
        return statistics.fmean(objs) if objs else float("nan")

    def statuses(v):
        c: dict[str, int] = {}
        for s in v[-1]["statuses"]:
            c[s] = c.get(s, 0) + 1
        return ", ".join(f"{n} {s}" for s, n in sorted(c.items()))

    print()
    print("| arm | median wall (s) | per scenario (s) | vs separate | median CPU (s) | CPU vs "
          "separate "
          "| peak RSS, largest process (MB) | mean objective | statuses |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for k in ARMS:
        v = results[k]
        print(f"| {k} | {med[k]:.1f} | {med[k] / a.points:.2f} | {med['separate'] / med[k]:.2f}x | "
              f"{cpu[k]:.1f} "
              f"| {cpu['separate'] / cpu[k]:.2f}x | {mem[k]:.0f} | {mean_obj(v):.4f} | "
              f"{statuses(v)} |")
    print()
    for arm, label in (("sweep 2w", "2 workers"), ("sweep 1w", "1 worker")):
        print(f"- sweep ({label}) vs separate solves: **{med['separate'] / med[arm]:.2f}x** faster")
    print(f"- 2 workers vs 1 worker: **{med['sweep 1w'] / med['sweep 2w']:.2f}x** faster")
    # a time limit that cuts HiGHS off makes the comparison one of start-up and waiting
    for k in ARMS:
        c: dict[str, int] = {}
        for m in results[k][-1].get("messages", []):
            c[m] = c.get(m, 0) + 1
        print(f"- {k}: HiGHS " + ", ".join(f"{n}x {m!r}" for m,
                                           n in sorted(c.items(), key=lambda x: -x[1])))
        cut = c.get("starting plan (HiGHS cut off in presolve)", 0)
        if cut > len(results[k][-1].get("messages", [])) // 2:
            print(f"  **warning**: {k}: HiGHS was cut off in presolve in {cut} solves; this arm "
                  "measures "
                  "start-up and waiting, not solving (raise --time-limit or cut --targets)")
    times = {k: ", ".join(f"{r['seconds']:.1f}" for r in v) for k, v in results.items()}
    print("- all times (s): " + "; ".join(f"{k}: {t}" for k, t in times.items()))


if __name__ == "__main__":
    main()
