"""Benchmark (issue 12, targets 2 and 3): sweeps and analyses on the provincial preset.

Sweeps (target 2), each against separate solves of the same scenarios, side
by side in one run:

* ``separate``: one ``consortium solve VARIANT.json --gap 0 --no-reasons -o
  SOL.json`` process per scenario (every plan verified before it is written);
* ``sweep``: ``consortium sweep INSTANCE --set PATH=VALUES --workers 1
  --threads 2`` (one worker process with HiGHS's two threads, as a separate
  solve has; every plan verified).

Both arms must give the same status and objective (relative 1e-6) in every
scenario. The four sweeps of the issue, with its point counts by default:

* ``budget``: ``policy.total_budget`` from 0.5 to 1.5 times the instance's (50 points);
* ``sponsor``: ``sponsors[ID].budget`` of the largest sponsor, 0.5-1.5 times (20);
* ``distance``: ``targets[*].max_distance_km`` from 150 to 600 km (20);
* ``state``: ``policy.max_state_share`` from 0.3 to 1.0 (20).

Analyses (target 3): ``consortium stress INSTANCE --drop-each`` and
``consortium solve INSTANCE --marginal`` (2 workers each), timed once each,
with their exactness checked in the test suite (tests/test_engine.py,
tests/test_analyse.py).

    .venv/bin/python benchmarks/bench_resolve.py            # everything (hours on 2 cores)
    .venv/bin/python benchmarks/bench_resolve.py --sweeps budget --points 10
    .venv/bin/python benchmarks/bench_resolve.py --sweeps none --analyses stress,marginal
    .venv/bin/python benchmarks/bench_resolve.py --json out.json

Targets: budget sweep >= 10x, the other three >= 5x; each analysis <= 600 s.
"""

from __future__ import annotations

import argparse
import copy
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import consortium_exe, fmt, log, machine_line, run_child, save_json, table  # noqa: E402

SWEEPS = {"budget": 10.0, "sponsor": 5.0, "distance": 5.0, "state": 5.0}
DEFAULT_POINTS = {"budget": 50, "sponsor": 20, "distance": 20, "state": 20}


def grid(kind: str, raw: dict, n: int) -> tuple[str, list]:
    def spread(lo: float, hi: float, nd: int = 2) -> list:
        return [round(lo + (hi - lo) * i / max(n - 1, 1), nd) for i in range(n)]

    if kind == "budget":
        tb = raw["policy"]["total_budget"]
        return "policy.total_budget", spread(0.5 * tb, 1.5 * tb)
    if kind == "sponsor":
        sp = max(
            (s for s in raw["sponsors"] if s.get("budget") is not None), key=lambda s: s["budget"]
        )
        return f"sponsors[{sp['id']}].budget", spread(0.5 * sp["budget"], 1.5 * sp["budget"])
    if kind == "distance":
        return "targets[*].max_distance_km", spread(150.0, 600.0, 1)
    if kind == "state":
        return "policy.max_state_share", spread(0.3, 1.0, 3)
    raise ValueError(kind)


def objectives_of_sweep(path: Path) -> dict[int, tuple[str, float | None]]:
    con = sqlite3.connect(path)
    try:
        return {
            int(s): (st, o)
            for s, st, o in con.execute("select scenario, status, objective from scenarios")
        }
    finally:
        con.close()


def run_sweep_pair(kind: str, inst: Path, raw: dict, n: int, work: Path) -> dict:
    from consortium.sweep.paths import apply_overrides

    path, values = grid(kind, raw, n)
    sep_wall, sep_mb, sep = 0.0, 0.0, {}
    for i, v in enumerate(values):
        var = work / f"{kind}-{i}.json"
        var.write_text(json.dumps(apply_overrides(copy.deepcopy(raw), {path: v})))
        sol = work / f"{kind}-{i}.sol.json"
        r = run_child(
            consortium_exe()
            + ["solve", str(var), "--gap", "0", "--no-reasons", "--no-progress", "-o", str(sol)]
        )
        sep_wall += r.wall_s
        sep_mb = max(sep_mb, r.maxrss_mb)
        if r.rc == 0:
            d = json.loads(sol.read_text())
            sep[i] = (d["status"], d["objective"])
        elif r.rc == 1:
            sep[i] = ("infeasible", None)
        else:
            raise RuntimeError(f"separate solve {i} exit {r.rc}: {r.stderr[-500:]}")
        log(f"{kind} separate {i + 1}/{n} {path}={v}: {r.wall_s:.2f} s {sep[i]}")
    res = work / f"{kind}.sqlite"
    r = run_child(
        consortium_exe()
        + [
            "sweep",
            str(inst),
            "--set",
            f"{path}={','.join(map(str, values))}",
            "--workers",
            "1",
            "--threads",
            "2",  # as many HiGHS threads as a separate solve uses on 2 cores
            "-o",
            str(res),
        ]
    )
    if r.rc != 0:
        raise RuntimeError(f"sweep exit {r.rc}: {r.stderr[-800:]}")
    sw = objectives_of_sweep(res)
    same = True
    for i in range(n):
        a, b = sep[i], sw.get(i)
        if (
            b is None
            or a[0] != b[0]
            or (a[1] is None) != (b[1] is None)
            or (a[1] is not None and abs(a[1] - b[1]) > 1e-6 * max(1.0, abs(a[1])))
        ):
            same = False
            log(f"MISMATCH {kind} scenario {i}: separate {a} sweep {b}")
    log(
        f"{kind}: separate {sep_wall:.1f} s, sweep {r.wall_s:.1f} s, "
        f"ratio {sep_wall / r.wall_s:.2f}"
    )
    return {
        "path": path,
        "points": n,
        "separate_s": sep_wall,
        "sweep_s": r.wall_s,
        "ratio": sep_wall / r.wall_s,
        "separate_mb": sep_mb,
        "sweep_mb": r.maxrss_mb,
        "identical": same,
        "target": SWEEPS[kind],
        "statuses": sorted({s for s, _ in sep.values()}),
    }


def run_analysis(kind: str, inst: Path, work: Path) -> dict:
    out = work / f"{kind}.json"
    if kind == "stress":
        cmd = consortium_exe() + [
            "stress",
            str(inst),
            "--drop-each",
            "--workers",
            "2",
            "-o",
            str(out),
        ]
    else:
        cmd = consortium_exe() + [
            "solve",
            str(inst),
            "--marginal",
            "--workers",
            "2",
            "-o",
            str(out),
            "--no-progress",
        ]
    r = run_child(cmd)
    log(f"{kind}: exit {r.rc} in {r.wall_s:.1f} s, {r.maxrss_mb:.0f} MB")
    if r.rc != 0:
        log(r.stderr[-1500:])
    return {"wall_s": r.wall_s, "cpu_s": r.cpu_s, "mb": r.maxrss_mb, "rc": r.rc, "target_s": 600.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--sweeps", default="budget,sponsor,distance,state", help="comma list, or 'none'"
    )
    ap.add_argument("--points", type=int, help="points per sweep (default: the issue's 50 / 20)")
    ap.add_argument("--analyses", default="stress,marginal", help="comma list, or 'none'")
    ap.add_argument("--json", help="write all measurements here")
    a = ap.parse_args()
    from consortium.generate import generate, write_instance

    log(machine_line())
    results: dict = {"machine": machine_line(), "seed": a.seed, "sweeps": {}, "analyses": {}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inst = work / "provincial.json"
        write_instance(generate(preset="provincial", seed=a.seed), inst)
        raw = json.loads(inst.read_text())
        for kind in [] if a.sweeps == "none" else a.sweeps.split(","):
            results["sweeps"][kind] = run_sweep_pair(
                kind, inst, raw, a.points or DEFAULT_POINTS[kind], work
            )
        for kind in [] if a.analyses == "none" else a.analyses.split(","):
            results["analyses"][kind] = run_analysis(kind, inst, work)
    print()
    print(machine_line())
    rows = [
        [
            k,
            v["path"],
            v["points"],
            fmt(v["separate_s"], 1),
            fmt(v["sweep_s"], 1),
            fmt(v["ratio"]),
            f">= {v['target']:g}: {'met' if v['ratio'] >= v['target'] else 'not met'}",
            "yes" if v["identical"] else "NO",
            f"{v['separate_mb']:.0f} / {v['sweep_mb']:.0f}",
        ]
        for k, v in results["sweeps"].items()
    ]
    if rows:
        print(
            table(
                [
                    "sweep",
                    "path",
                    "points",
                    "separate s",
                    "sweep s",
                    "ratio",
                    "target",
                    "same results",
                    "peak MB sep / sweep",
                ],
                rows,
            )
        )
    rows = [
        [
            k,
            fmt(v["wall_s"], 1),
            fmt(v["cpu_s"], 1),
            f"{v['mb']:.0f}",
            v["rc"],
            "met" if v["rc"] == 0 and v["wall_s"] <= v["target_s"] else "not met",
        ]
        for k, v in results["analyses"].items()
    ]
    if rows:
        print(table(["analysis", "wall s", "cpu s", "peak MB", "exit", "<= 600 s"], rows))
    save_json(a.json, results)


if __name__ == "__main__":
    main()
