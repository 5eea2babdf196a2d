"""End-to-end ``consortium solve`` time of instance files (default: the demo).

Each instance is solved ``--repeat`` times (default 5) as a subprocess, with
the command a planner would type (``consortium solve FILE -o out.json``,
reasons for unformed targets included) and, for comparison, with
``--no-reasons``. Prints medians of wall and CPU time, peak memory, and the
``solver`` figures of the solution JSON (time in HiGHS, build, total).

    python benchmarks/bench_e2e.py                        # instances/demo/suzhou.json, 5 repeats
    python benchmarks/bench_e2e.py --quick                # 3 repeats
    python benchmarks/bench_e2e.py a.json b.json --repeat 3 --variants default
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402  # isort: skip
    ROOT, consortium_exe, fmt, log, machine, machine_line, median, python_exe, run_child, save_json,
    table,
)

VARIANTS = {"default": [], "no-reasons": ["--no-reasons"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("instances", nargs="*", type=Path,
                    default=[ROOT / "instances/demo/suzhou.json"])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="3 repeats")
    ap.add_argument("--variants", default="default,no-reasons",
                    help=f"comma list of {', '.join(VARIANTS)}")
    ap.add_argument("--extra", default="", help="extra solve arguments, e.g. '--profile fast'")
    ap.add_argument("--json-out", type=Path)
    a = ap.parse_args()
    if a.quick:
        a.repeat = 3
    variants = [v for v in a.variants.split(",") if v]
    work = Path(tempfile.mkdtemp(prefix="bench_e2e_"))
    log(machine_line())
    # Python start-up alone, for scale.
    base = [run_child([python_exe(), "-c", "pass"]) for _ in range(3)]
    imp = [run_child([python_exe(), "-c",
                      "import consortium.cli, consortium.solving.solve, consortium.verify"])
           for _ in range(3)]
    rows, allres = [], {}
    try:
        for inst in a.instances:
            for v in variants:
                res = []
                for rep in range(a.repeat):
                    out = work / "out.json"
                    out.unlink(missing_ok=True)
                    cmd = consortium_exe() + ["solve", str(inst.resolve()), "-o", str(out),
                                              *VARIANTS[v],
                                              *a.extra.split()]
                    r = run_child(cmd, cwd=work)
                    d = json.loads(out.read_text()) if out.exists() else {}
                    s = d.get("solver", {})
                    res.append({"wall_s": r.wall_s, "cpu_s": r.cpu_s, "rss": r.maxrss_mb,
                                "rc": r.rc,
                                "status": d.get("status"), "objective": d.get("objective"),
                                "highs_s": s.get("time_s"), "build_s": s.get("build_s"),
                                "total_s": s.get("total_s"), "load": r.load_before})
                    log(f"  {inst.name} {v} rep {rep + 1}: wall {r.wall_s:.2f} s cpu {r.cpu_s:.2f} "
                        "s "
                        f"status {d.get('status')} load {r.load_before:.1f}")
                allres[f"{inst.name}:{v}"] = res
                m = lambda k, res=res: median(x[k] for x in res)  # noqa: E731
                objs = sorted({round(x["objective"], 6) for x in res if x["objective"] is not None})
                rows.append([inst.name, v, fmt(m("wall_s")), fmt(min(x["wall_s"] for x in res)),
                             fmt(m("cpu_s")), fmt(m("total_s")), fmt(m("highs_s"), 3),
                             fmt(m("build_s"), 3),
                             fmt(m("rss"), 0), ", ".join(map(str, objs)) or "-",
                             ", ".join(sorted({str(x['status']) for x in res}))])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n## End-to-end consortium solve ({a.repeat} repeats, medians)\n")
    print(machine_line() + "\n")
    print(f"python start-up alone: {fmt(median(r.wall_s for r in base))} s wall; "
          f"importing consortium.cli + solve + verify: {fmt(median(r.wall_s for r in imp))} s "
          "wall, "
          f"{fmt(median(r.cpu_s for r in imp))} s CPU\n")
    print(table(["instance", "variant", "wall s (median)", "wall s (min)", "CPU s",
                 "total_s (in-process)",
                 "HiGHS s", "build s", "peak RSS MB", "objective", "status"], rows))
    save_json(a.json_out, {"machine": machine(), "results": allres})


if __name__ == "__main__":
    main()
