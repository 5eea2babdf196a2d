"""National plans (issue 19): the four instance kinds and the cluster run.

Kinds (``--kinds``, comma-separated; default all four):

* ``national``, ``national-dense``, ``national-xl``: ``consortium generate
  --preset KIND --seed S`` for every ``--seeds`` value, then once each

      consortium solve INST --profile national --gap G --time-limit T --no-reasons -o out.json --log

  reporting the generation time and memory, the model, status, objective,
  bound and gap, where the gap comes from (the last decomposition step: the
  Lagrangian bound above the master LP's value, and the master LP above the
  best plan), wall and CPU time, peak memory (RSS of the largest process),
  and time and memory per target, against the issue's targets (national and
  dense: gap <= 0.1 % within 600 s on 2 cores; xl: gap <= 2 % within 1,800 s
  and <= 16 GB). Every plan is checked by ``solve``'s verifier, and again by
  ``consortium verify``.
* ``cluster``: the decomposition of one instance (``--cluster-preset``,
  default a national cut of 120 targets x 3,600 actors; ``--cluster-full``
  for the whole preset) with no time limit (so that the result is
  determined by the work limits alone), priced in one process, on a local
  dask cluster of 1 and of 2 single-threaded workers (``--workers 1``,
  ``--workers 2``: the pricing speed-up, target >= 1.7x), and on a
  simulated 8-worker cluster (``--workers 8``: a LocalCluster of 8
  single-threaded worker processes on this machine). All four must end at
  the same plan and bound.

Runs (each kind takes up to its time limit per seed; run alone on the machine):

    python benchmarks/bench_national.py --kinds national --seeds 1,2,3,4,5 --md-out nat.md
    python benchmarks/bench_national.py --kinds national-dense --seeds 1
    python benchmarks/bench_national.py --kinds national-xl --seeds 1
    python benchmarks/bench_national.py --kinds cluster
    python benchmarks/bench_national.py --quick      # small cuts, a few minutes: checks the script
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402  # isort: skip
    consortium_exe, fmt, log, machine, machine_line, python_exe, run_child, save_json, table,
)

KINDS = ("national", "national-dense", "national-xl", "cluster")
# (gap asked for, time limit s, memory limit GB) per kind: the targets
TARGETS = {"national": (0.001, 600.0, 8.0), "national-dense": (0.001, 600.0, 16.0),
           "national-xl": (0.02, 1800.0, 16.0)}
STEP = re.compile(
    r"^step (\d+):.*?\((\d+) in all\), master LP ([-0-9.inf]+), bound ([-0-9.inf]+), "
    r"best plan ([-0-9.inf]+), gap ([0-9.inf]+)%, ([0-9.]+) s \(pricing ([0-9.]+), "
    r"LP ([0-9.]+), plans ([0-9.]+)\)"
)


def steps(stderr: str) -> list[dict[str, float]]:
    out = []
    for ln in stderr.splitlines():
        m = STEP.match(ln)
        if m:
            out.append({"step": int(m.group(1)), "columns": int(m.group(2)),
                        "master_lp": float(m.group(3)), "bound": float(m.group(4)),
                        "plan": float(m.group(5)), "gap": float(m.group(6)) / 100,
                        "t": float(m.group(7)), "pricing_s": float(m.group(8)),
                        "lp_s": float(m.group(9)), "plans_s": float(m.group(10))})
    return out


def generate(preset: str, seed: int, path: Path, extra: list[str]) -> dict[str, Any]:
    """``consortium generate`` as a child: its time and memory, and the instance's size."""
    r = run_child(consortium_exe() + ["generate", "--preset", preset, "--seed", str(seed),
                                      *extra, "-o", str(path)])
    if r.rc != 0:
        raise SystemExit(f"generate failed: {r.stderr[-1000:]}")
    stats = run_child([python_exe(), "-c", (
        "import json,sys; from consortium.generate import eligibility_stats as e; "
        "print(json.dumps(e(json.load(open(sys.argv[1])))))"), str(path)])
    st = json.loads(stats.stdout) if stats.rc == 0 else {}
    return {"generate_s": r.wall_s, "generate_rss_mb": r.maxrss_mb, "file_mb":
            path.stat().st_size / 2**20, "reach_mean": st.get("reach_mean"),
            "triples": st.get("any"), "targets": st.get("targets")}


PROFILE = "national"  # --profile (a temporary TOML with --highs-option values)


def solve(inst: Path, out: Path, args: list[str], timeout: float | None) -> dict[str, Any]:
    out.unlink(missing_ok=True)
    cmd = consortium_exe() + ["solve", str(inst), "--profile", PROFILE, "--no-reasons",
                              "-o", str(out), "--log", *args]
    log("running: " + " ".join(cmd))
    r = run_child(cmd, timeout=timeout)
    d = json.loads(out.read_text()) if out.exists() else {}
    s = d.get("solver", {})
    st = steps(r.stderr)
    res: dict[str, Any] = {
        "cmd": cmd, "rc": r.rc, "status": d.get("status"), "objective": d.get("objective"),
        "bound": d.get("bound"), "gap": d.get("gap"), "wall_s": r.wall_s, "cpu_s": r.cpu_s,
        "maxrss_mb": r.maxrss_mb, "load_before": r.load_before, "message": s.get("message"),
        "model": s.get("model"), "build_s": s.get("build_s"), "solver_s": s.get("time_s"),
        "steps": len(st), "pricing_s": sum(x["pricing_s"] for x in st),
        "master_lp_s": sum(x["lp_s"] for x in st), "plans_s": sum(x["plans_s"] for x in st),
        "plan": [(c.get("target"), c.get("site"), c.get("lead"), sorted(c.get("members", [])))
                 for c in d.get("consortia", [])],
    }
    if st:
        last = st[-1]
        res["last_step"] = last
        base = max(abs(last["plan"]), 1e-9)
        # where the gap comes from: the bound above the master LP (pricing not
        # converged, the Lagrangian bound) and the master LP above the plan
        # (the candidates' integrality: no combination reaches the LP value)
        res["gap_lagrangian"] = (last["bound"] - last["master_lp"]) / base
        res["gap_integrality"] = (last["master_lp"] - last["plan"]) / base
    if r.rc not in (0, 1):
        res["stderr"] = r.stderr[-3000:]
    if out.exists():
        v = run_child(consortium_exe() + ["verify", str(inst), str(out)])
        res["verify_rc"] = v.rc
    return res


def run_kind(kind: str, a, work: Path) -> list[dict[str, Any]]:
    gap, limit, mem = TARGETS[kind]
    gap = a.gap if a.gap is not None else gap
    limit = a.time_limit if a.time_limit is not None else limit
    rows = []
    for seed in a.seeds:
        inst = work / f"{kind}-seed{seed}.json"
        extra = a.cut or []
        g = generate(kind, seed, inst, extra)
        log(f"{kind} seed {seed}: generated in {g['generate_s']:.1f} s, "
            f"{g['generate_rss_mb']:.0f} MB, reach {g['reach_mean']}")
        r = solve(inst, work / f"{kind}-seed{seed}.out.json",
                  ["--gap", str(gap), "--time-limit", str(limit)]
                  + (["--method", a.method] if a.method else []), limit * 2 + 300)
        r.update(g, kind=kind, seed=seed, gap_asked=gap, time_limit=limit, mem_limit_gb=mem)
        n = g["targets"] or 1
        r["s_per_target"] = r["wall_s"] / n
        r["mb_per_target"] = r["maxrss_mb"] / n
        r["met_gap"] = r["gap"] is not None and r["gap"] <= gap + 1e-12
        r["met_time"] = r["wall_s"] <= limit + 5
        r["met_mem"] = r["maxrss_mb"] / 1024 <= mem
        rows.append(r)
        if not a.keep:
            inst.unlink(missing_ok=True)
    return rows


def run_cluster(a, work: Path) -> dict[str, Any]:
    inst = work / "cluster.json"
    extra = [] if a.cluster_full else ["--targets", str(a.cluster_targets), "--actors",
                                       str(a.cluster_actors)]
    g = generate(a.cluster_preset, a.seeds[0], inst, extra)
    gap = a.cluster_gap
    arms = {"one process (2 threads)": ["--threads", "2"], "1 dask worker": ["--workers", "1"],
            "2 dask workers": ["--workers", "2"], "8 dask workers (simulated)": ["--workers", "8"]}
    res: dict[str, Any] = {"instance": g, "preset": a.cluster_preset, "cut": extra,
                           "gap_asked": gap, "arms": {}}
    # the two arms of the speed-up, a.cluster_repeat times each, alternating
    # which goes first; the other two once
    order = ["one process (2 threads)"]
    for i in range(a.cluster_repeat):
        pair = ["1 dask worker", "2 dask workers"]
        order += pair if i % 2 == 0 else pair[::-1]
    order.append("8 dask workers (simulated)")
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in arms}
    for i, name in enumerate(order):
        r = solve(inst, work / f"cluster-{i}.json",
                  ["--method", "decompose", "--gap", str(gap), *arms[name]], a.cluster_timeout)
        runs[name].append(r)
    ref = runs["one process (2 threads)"][0]
    for name, rs in runs.items():
        for r in rs:
            r["same_as_one_process"] = (r["objective"], r["bound"], r["plan"]) == (
                ref["objective"], ref["bound"], ref["plan"])
        # the run of median pricing time stands for the arm (all runs are kept)
        rs_sorted = sorted(rs, key=lambda r: r["pricing_s"])
        res["arms"][name] = rs_sorted[(len(rs) - 1) // 2] | {
            "runs_pricing_s": [r["pricing_s"] for r in rs],
            "all_same": all(r["same_as_one_process"] for r in rs)}
    p1 = res["arms"]["1 dask worker"]["pricing_s"]
    p2 = res["arms"]["2 dask workers"]["pricing_s"]
    res["pricing_speedup_2_vs_1"] = p1 / p2 if p2 else None
    res["runs"] = runs
    return res


def markdown(kinds: list[dict[str, Any]], cl: dict[str, Any] | None) -> str:
    out = [f"# bench_national ({time.strftime('%Y-%m-%d %H:%M')})", "", machine_line(), ""]
    if kinds:
        out += ["## Instance kinds", ""]
        rows = []
        for r in kinds:
            m = r.get("model") or {}
            rows.append([
                r["kind"], r["seed"], f"{r['generate_s']:.0f} s / {r['generate_rss_mb']:.0f} MB",
                fmt(r["reach_mean"], 0), f"{m.get('columns')}", r["status"],
                fmt(r["objective"], 2), fmt(r["bound"], 2),
                "-" if r["gap"] is None else f"{100 * r['gap']:.3f} %",
                "-" if "gap_lagrangian" not in r else
                f"{100 * r['gap_lagrangian']:.3f} / {100 * r['gap_integrality']:.3f} %",
                f"{r['wall_s']:.0f}", f"{r['maxrss_mb'] / 1024:.2f}",
                f"{r['s_per_target']:.2f} s / {r['mb_per_target']:.1f} MB",
                f"{r['load_before']:.1f}",
                "yes" if r.get("verify_rc") == 0 else "NO",
                " ".join(k for k, ok in (("gap", r["met_gap"]), ("time", r["met_time"]),
                                         ("memory", r["met_mem"])) if not ok) or "all met",
            ])
        out.append(table(["kind", "seed", "generate", "reach", "columns", "status", "objective",
                          "bound", "gap", "bound-LP / LP-plan", "wall s", "peak GB",
                          "per target", "load", "verified", "targets not met"], rows))
        out.append("")
    if cl:
        g = cl["instance"]
        out += ["## Cluster run", "",
                f"{cl['preset']} {' '.join(cl['cut']) or '(full)'}, {g['targets']} targets, "
                f"gap {cl['gap_asked']}, no time limit", ""]
        rows = [[name, r["status"], fmt(r["objective"], 4), fmt(r["bound"], 4), r["steps"],
                 f"{r['pricing_s']:.1f}"
                 + (" (" + ", ".join(f"{x:.1f}" for x in r["runs_pricing_s"]) + ")"
                    if len(r.get("runs_pricing_s", [])) > 1 else ""),
                 f"{r['wall_s']:.1f}", f"{r['maxrss_mb'] / 1024:.2f}",
                 "yes" if r.get("all_same", r["same_as_one_process"]) else "NO",
                 "yes" if r.get("verify_rc") == 0 else "NO"]
                for name, r in cl["arms"].items()]
        out.append(table(["pricing on", "status", "objective", "bound", "steps",
                          "pricing s (median; runs)",
                          "wall s", "peak GB", "same plan and bound", "verified"], rows))
        sp = cl["pricing_speedup_2_vs_1"]
        out += ["", f"pricing speed-up, 2 workers over 1: {fmt(sp, 2)}x (target >= 1.7x: "
                f"{'met' if sp and sp >= 1.7 else 'NOT met'})", ""]
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kinds", default=",".join(KINDS),
                    help=f"comma-separated, of {', '.join(KINDS)}")
    ap.add_argument("--seeds", default="1", help="comma-separated seeds (default 1)")
    ap.add_argument("--time-limit", type=float, help="seconds per solve (default: the kind's)")
    ap.add_argument("--gap", type=float, help="gap asked for (default: the kind's target)")
    ap.add_argument("--method", choices=["auto", "mip", "decompose"],
                    help="for the kinds (default: the profile's, decompose)")
    ap.add_argument("--profile", default="national")
    ap.add_argument("--highs-option", action="append", metavar="K=V",
                    help="a HiGHS option for the single MILP (a temporary profile)")
    ap.add_argument("--cut", metavar="ARGS",
                    help="extra generate arguments for the kinds, e.g. --cut='--targets 50'")
    ap.add_argument("--cluster-preset", default="national")
    ap.add_argument("--cluster-targets", type=int, default=120)
    ap.add_argument("--cluster-actors", type=int, default=3600)
    ap.add_argument("--cluster-full", action="store_true", help="the whole cluster preset")
    ap.add_argument("--cluster-gap", type=float, default=0.001)
    ap.add_argument("--cluster-repeat", type=int, default=3,
                    help="runs of the 1- and 2-worker arms (medians; the others run once)")
    ap.add_argument("--cluster-timeout", type=float, default=3600.0,
                    help="seconds before a cluster arm is killed (it has no time limit)")
    ap.add_argument("--quick", action="store_true",
                    help="small cuts and short limits: checks the script in a few minutes")
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--md-out", type=Path)
    ap.add_argument("--keep", type=Path, help="keep instances and plans in this folder")
    a = ap.parse_args()
    kinds = [k.strip() for k in a.kinds.split(",") if k.strip()]
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        ap.error(f"unknown kind(s) {', '.join(bad)}")
    a.seeds = [int(s) for s in a.seeds.split(",")]
    a.cut = a.cut.split() if a.cut else None
    if a.quick:
        a.cut = a.cut or ["--targets", "30", "--actors", "2000"]
        a.time_limit = a.time_limit or 60.0
        a.cluster_targets, a.cluster_actors = 25, 750
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="bench_national_"))
    work.mkdir(parents=True, exist_ok=True)
    log(machine_line())
    global PROFILE
    from bench_overhead import profile_file

    PROFILE = profile_file(a, work)
    try:
        rows = [r for k in kinds if k != "cluster" for r in run_kind(k, a, work)]
        cl = run_cluster(a, work) if "cluster" in kinds else None
        text = markdown(rows, cl)
        print("\n" + text)
        if a.md_out:
            a.md_out.write_text(text)
        save_json(a.json_out, {"machine": machine(), "kinds": rows, "cluster": cl})
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
