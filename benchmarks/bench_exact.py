"""Benchmark (issue 12, target 1): one exact provincial solve against HiGHS alone.

For each seed, the provincial preset is generated and three arms run side by
side, in an order that rotates from one repeat to the next:

* ``highs``: HiGHS alone (``_highs_runner.py``, its own process) on today's
  single-MILP model (``--method mip``), exported once to MPS, with HiGHS's
  default options and ``mip_rel_gap = 0``: the baseline this target is
  measured against. Its wall time is the process's (import, read, run).
* ``solve``: ``consortium solve FILE --gap 0 -o SOL.json``, the command as a
  planner types it (reasons for unformed targets included).
* ``solve --no-reasons``: the same without the per-target reasons, the work
  HiGHS alone does (a plan, verified, written).

Every arm must prove the same optimum (relative 1e-6), and each plan is
re-checked by ``consortium verify``. Peak memory is each process's max RSS.

    .venv/bin/python benchmarks/bench_exact.py                    # seeds 1-5, 3 repeats
    .venv/bin/python benchmarks/bench_exact.py --seeds 1 --repeat 1
    .venv/bin/python benchmarks/bench_exact.py --json out.json

Target: median over the seeds of (HiGHS alone wall / ``solve`` wall) >= 5.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    consortium_exe,
    fmt,
    log,
    machine_line,
    median,
    python_exe,
    run_child,
    save_json,
    table,
)

HERE = Path(__file__).resolve().parent
TARGET = 5.0


def prepare(seed: int, work: Path) -> tuple[Path, Path, Path]:
    from consortium.backends import highs
    from consortium.generate import generate, write_instance
    from consortium.io.instance import load
    from consortium.solving.build import build

    inst_path = work / f"provincial-{seed}.json"
    write_instance(generate(preset="provincial", seed=seed), inst_path)
    b = build(load(inst_path))
    mps = work / f"provincial-{seed}.mps"
    highs.to_highs(b.lm).writeModel(str(mps))
    opts = work / "highs-default.json"
    opts.write_text(json.dumps({"highs": {"mip_rel_gap": 0.0}}))
    return inst_path, mps, opts


def arm_highs(mps: Path, opts: Path) -> dict:
    r = run_child(
        [python_exe(), str(HERE / "_highs_runner.py"), "--mps", str(mps), "--options", str(opts)]
    )
    assert r.rc == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    return {
        "wall_s": r.wall_s,
        "cpu_s": r.cpu_s,
        "mb": r.maxrss_mb,
        "objective": out["objective"],
        "status": out["status"],
        "load": r.load_before,
        "run_s": out["run_s"],
    }


def arm_solve(inst: Path, sol: Path, reasons: bool) -> dict:
    cmd = consortium_exe() + ["solve", str(inst), "--gap", "0", "-o", str(sol), "--no-progress"]
    if not reasons:
        cmd.append("--no-reasons")
    r = run_child(cmd)
    assert r.rc == 0, r.stderr[-2000:]
    data = json.loads(sol.read_text())
    chk = run_child(consortium_exe() + ["verify", str(inst), str(sol)])
    assert chk.rc == 0, f"plan fails the verifier: {chk.stdout[-2000:]}"
    return {
        "wall_s": r.wall_s,
        "cpu_s": r.cpu_s,
        "mb": r.maxrss_mb,
        "objective": data["objective"],
        "status": data["status"],
        "load": r.load_before,
        "message": data["solver"].get("message", ""),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="write all measurements here")
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    arms = ["highs", "solve", "solve --no-reasons"]
    results: dict = {"machine": machine_line(), "seeds": {}}
    log(machine_line())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for seed in seeds:
            inst, mps, opts = prepare(seed, work)
            runs: dict[str, list[dict]] = {k: [] for k in arms}
            for rep in range(a.repeat):
                order = arms[rep % 3 :] + arms[: rep % 3]
                for arm in order:
                    if arm == "highs":
                        r = arm_highs(mps, opts)
                    else:
                        r = arm_solve(inst, work / f"sol-{seed}.json", reasons=(arm == "solve"))
                    runs[arm].append(r)
                    log(
                        f"seed {seed} repeat {rep + 1} {arm:18s} {r['wall_s']:7.2f} s  "
                        f"{r['mb']:6.0f} MB  "
                        f"obj {r['objective']}  load {r['load']:.1f}"
                    )
            objs = [r["objective"] for rs in runs.values() for r in rs]
            ref = objs[0]
            assert all(abs(o - ref) <= 1e-6 * max(1.0, abs(ref)) for o in objs), (
                f"optima differ: {objs}"
            )
            results["seeds"][seed] = {
                k: {
                    "wall_s": median(r["wall_s"] for r in v),
                    "cpu_s": median(r["cpu_s"] for r in v),
                    "mb": median(r["mb"] for r in v),
                    "objective": v[0]["objective"],
                    "runs": v,
                }
                for k, v in runs.items()
            }
    rows = []
    ratios, ratios_nr = [], []
    for seed, s in results["seeds"].items():
        h, sv, nr = s["highs"], s["solve"], s["solve --no-reasons"]
        ratios.append(h["wall_s"] / sv["wall_s"])
        ratios_nr.append(h["wall_s"] / nr["wall_s"])
        rows.append(
            [
                seed,
                f"{h['objective']:.6f}",
                fmt(h["wall_s"]),
                fmt(sv["wall_s"]),
                fmt(nr["wall_s"]),
                fmt(ratios[-1]),
                fmt(ratios_nr[-1]),
                f"{h['mb']:.0f}",
                f"{sv['mb']:.0f}",
                f"{nr['mb']:.0f}",
            ]
        )
    print()
    print(machine_line())
    print(
        table(
            [
                "seed",
                "optimum (all arms)",
                "HiGHS alone s",
                "solve s",
                "solve --no-reasons s",
                "HiGHS / solve",
                "HiGHS / no-reasons",
                "HiGHS MB",
                "solve MB",
                "no-reasons MB",
            ],
            rows,
        )
    )
    m, mnr = median(ratios), median(ratios_nr)
    print(
        f"\nmedian HiGHS alone / solve: {fmt(m)} "
        f"(target >= {TARGET:g}: {'met' if m >= TARGET else 'not met'}); "
        f"/ solve --no-reasons: {fmt(mnr)}"
    )
    results["median_ratio"], results["median_ratio_no_reasons"] = m, mnr
    save_json(a.json, results)


if __name__ == "__main__":
    main()
