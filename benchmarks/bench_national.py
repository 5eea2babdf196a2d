"""The national question: a proven gap <= 1 % within 10 minutes on 2 cores, <= 8 GB?

Runs, once (it takes up to ``--time-limit`` seconds, default 600):

    consortium solve nat.json --profile national --time-limit 600 --no-reasons -o out.json --log

on ``consortium generate --preset national --seed 1`` (or ``--instance``), and
reports the model size, HiGHS's milestones read from its log (end of
presolve, the starting plan accepted, first incumbent and root bound found
by the search, last log line), the final status, objective, bound and gap,
the wall and CPU time and the peak memory of the process, and the verdict.

    python benchmarks/bench_national.py                               # the 10-minute run
    # a variant (temporary profile):
    python benchmarks/bench_national.py --highs-option presolve=off
    # provincial, 60 s: checks the script
    python benchmarks/bench_national.py --quick
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402  # isort: skip
    consortium_exe, fmt, log, machine, machine_line, parse_highs_log, run_child, save_json, table,
)
from bench_overhead import instance_file, profile_file  # noqa: E402

GAP_TARGET, TIME_TARGET, MEM_TARGET_GB = 0.01, 600.0, 8.0


def milestones(text: str) -> dict:
    """Presolve end and starting-plan acceptance from the log, plus the B&B table."""
    out = parse_highs_log(text)
    pre = None
    for m in re.finditer(r"^(\d+) rows, (\d+) cols, (\d+) nonzeros\s+(\d+(?:\.\d+)?)s", text, re.M):
        pre = (int(m.group(1)), int(m.group(2)), int(m.group(3)), float(m.group(4)))
    out["presolved"] = pre  # last size line: rows, cols, nonzeros, time (s) of presolve's end
    out["start_accepted"] = "MIP start solution is feasible" in text
    out["probing_lines"] = len(re.findall(r"Considered \d+ / \d+ binaries", text))
    out["search_started"] = "Solving MIP model with" in text
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instance", type=Path)
    ap.add_argument("--preset", default="national")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", default="national")
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--method", choices=["auto", "mip", "decompose"], help="default: the profile's")
    ap.add_argument("--highs-option", action="append", metavar="K=V")
    ap.add_argument("--quick", action="store_true", help="provincial preset, 60 s")
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--keep", type=Path)
    a = ap.parse_args()
    if a.quick:
        a.preset, a.time_limit = "provincial", 60.0
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="bench_national_"))
    work.mkdir(parents=True, exist_ok=True)
    log(machine_line())
    try:
        inst = instance_file(a, work)
        a.gap = None
        prof = profile_file(a, work)
        out = work / "out.json"
        cmd = consortium_exe() + ["solve", str(inst), "--profile", prof, "--time-limit",
                                  str(a.time_limit),
                                  "--no-reasons", "-o", str(out), "--log"]
        if a.threads:
            cmd += ["--threads", str(a.threads)]
        if a.method:
            cmd += ["--method", a.method]
        log("running: " + " ".join(cmd))
        r = run_child(cmd, cwd=work, timeout=a.time_limit * 2 + 120)
        (work / "highs.log").write_text(r.stdout)
        d = json.loads(out.read_text()) if out.exists() else {}
        s = d.get("solver", {})
        ms = milestones(r.stdout)
        gap = d.get("gap")
        ok_gap = gap is not None and gap <= GAP_TARGET + 1e-12
        ok_time = r.wall_s <= TIME_TARGET + 5
        ok_mem = r.maxrss_mb / 1024 <= MEM_TARGET_GB
        inc = ms["incumbents"]
        search_inc = [x for x in inc if x[0] != "X"]
        print(f"\n## National: {inst.name}, profile {a.profile}"
              + (f" + {' '.join(a.highs_option)}" if a.highs_option else "")
              + f", time limit {a.time_limit:g} s\n")
        print(machine_line() + "\n")
        st = s.get("model", {})
        pre = ms["presolved"]
        rows = [
            ["model", f"{st.get('columns')} columns ({st.get('integer')} integer), "
                      f"{st.get('rows')} rows, "
                      f"{st.get('nonzeros')} nonzeros"],
            ["build_s / HiGHS time_s / total_s (solution JSON)",
             f"{s.get('build_s')} / {s.get('time_s')} / {s.get('total_s')}"],
            ["presolved model (HiGHS clock)",
             f"{pre[0]} rows, {pre[1]} cols, {pre[2]} nonzeros at {pre[3]:g} s"
             if pre else "-"],
            ["probing progress lines in the log", ms["probing_lines"]],
            ["branch-and-bound search started", "yes" if ms["search_started"]
             else "no (still in presolve)"],
            ["starting plan accepted by HiGHS", "yes" if ms["start_accepted"] else "no"],
            ["root bound (first bound in the B&B table)",
             f"{fmt(ms['root_bound'], 4)} at {fmt(ms['first_bound_s'], 1)} s" if ms["root_bound"]
             else "none"],
            ["first incumbent found by the search",
             f"{search_inc[0][1]:.4f} ({search_inc[0][0]}) at {search_inc[0][2]:g} s" if search_inc
             else "none"],
            ["last incumbent", f"{inc[-1][1]:.4f} ({inc[-1][0]}) at {inc[-1][2]:g} s" if inc
             else "none"],
            ["status / message", f"{d.get('status')} / {s.get('message')}"],
            ["objective / bound / gap", f"{d.get('objective')} / {d.get('bound')} / {gap}"],
            ["wall / CPU (s)", f"{r.wall_s:.1f} / {r.cpu_s:.1f}"],
            ["peak RSS", f"{r.maxrss_mb / 1024:.2f} GB"],
            ["load average at start", f"{r.load_before:.1f}"],
            ["target: gap <= 1 %", "met" if ok_gap else f"NOT met (gap {gap})"],
            ["target: within 600 s", "met" if ok_time else f"NOT met ({r.wall_s:.0f} s)"],
            ["target: peak memory <= 8 GB", "met" if ok_mem else "NOT met"],
        ]
        print(table(["what", "value"], [[k, str(v)] for k, v in rows]))
        steps = [ln for ln in r.stderr.splitlines() if ln.startswith("step ")]
        if steps:  # decomposition by target: its progress lines (stderr with --log)
            first = next((ln for ln in steps if _gap_of(ln) is not None
                          and _gap_of(ln) <= GAP_TARGET), None)
            print(f"\ndecomposition: {len(steps)} steps; "
                  f"first step at a gap <= 1 %: {first or 'none'}")
            print("\nlast decomposition steps:\n\n```\n" + "\n".join(steps[-6:]) + "\n```")
        tail = [ln for ln in r.stdout.splitlines() if ln.strip()][-8:]
        print("\nlast lines of HiGHS's log:\n\n```\n" + "\n".join(tail) + "\n```")
        save_json(a.json_out, {"machine": machine(), "cmd": cmd, "solution_solver": s,
                               "status": d.get("status"),
                               "objective": d.get("objective"), "bound": d.get("bound"), "gap": gap,
                               "wall_s": r.wall_s, "cpu_s": r.cpu_s, "maxrss_mb": r.maxrss_mb,
                               "milestones": ms, "stderr": r.stderr[-3000:]})
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


def _gap_of(line: str) -> float | None:
    m = re.search(r"gap ([0-9.]+)%", line)
    return float(m.group(1)) / 100 if m else None


if __name__ == "__main__":
    main()
