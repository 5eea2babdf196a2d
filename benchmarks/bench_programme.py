"""Multi-year programmes (SPEC section 7, issue 14): the ``programme`` preset
(50 targets x 5 years x 2,000 actors) solved with ``--gap 0`` end to end, and
once the ``national-programme`` preset (500 targets x 5 years x 15,000
actors) with a gap of 1 % and a 15-minute limit.

For each instance it runs, as a planner would,

    consortium generate --preset programme --seed S -o prog.json
    consortium solve prog.json --gap 0 [--time-limit L] -o plan.json
    consortium verify prog.json plan.json

and reports the generation time, the solve's wall and CPU time and peak
memory (of the process, by ``wait4``), the status, objective, bound and gap,
the model size, whether the plan verifies, how many consortia are formed
and which yearly budgets bind (paid within 1 % of the cap); then medians
over the seeds. Targets of the issue: proven optimal within 2 minutes on 2
cores (programme), a proven gap <= 1 % within 15 minutes and 8 GB
(national programme).

    python benchmarks/bench_programme.py                      # programme, seeds 1-3
    python benchmarks/bench_programme.py --seeds 1 --time-limit 300
    python benchmarks/bench_programme.py --national           # once, alone: 15 minutes
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402  # isort: skip
    consortium_exe, fmt, log, machine_line, median, run_child, save_json, table,
)


def binding_years(inst: dict, plan: dict) -> list[str]:
    """Yearly caps paid within 1 % (sponsor or programme, with the year)."""
    out = []
    by = {e["year"]: e for e in plan.get("kpis", {}).get("by_year", [])}
    for s in inst.get("sponsors", []):
        for y, cap in (s.get("budget_by_year") or {}).items():
            paid = by.get(int(y), {}).get("spend_by_sponsor", {}).get(s["id"], 0.0)
            if cap > 0 and paid >= 0.99 * cap:
                out.append(f"{s['id']} {y}")
    for y, cap in (inst.get("policy", {}).get("total_budget_by_year") or {}).items():
        if cap > 0 and by.get(int(y), {}).get("spend", 0.0) >= 0.99 * cap:
            out.append(f"total {y}")
    return out


def run_one(preset: str, seed: int, work: Path, solve_args: list[str],
            timeout: float | None) -> dict:
    inst_p, plan_p = work / f"{preset}-{seed}.json", work / f"{preset}-{seed}.plan.json"
    t0 = time.perf_counter()
    g = run_child(consortium_exe() + ["generate", "--preset", preset, "--seed", str(seed),
                                      "-o", str(inst_p)])
    res: dict = {"preset": preset, "seed": seed, "generate_s": time.perf_counter() - t0,
                 "generate_rc": g.rc}
    if g.rc != 0:
        res["error"] = g.stderr[-2000:]
        return res
    r = run_child(consortium_exe() + ["solve", str(inst_p), *solve_args, "-o", str(plan_p)],
                  timeout=timeout)
    res.update(wall_s=r.wall_s, cpu_s=r.cpu_s, maxrss_mb=r.maxrss_mb, rc=r.rc,
               load=r.load_before)
    if not plan_p.exists():
        res["error"] = (r.stderr or r.stdout)[-2000:]
        return res
    plan = json.loads(plan_p.read_text())
    inst = json.loads(inst_p.read_text())
    v = run_child(consortium_exe() + ["verify", str(inst_p), str(plan_p)])
    s = plan.get("solver", {})
    res.update(status=plan["status"], objective=plan.get("objective"), bound=plan.get("bound"),
               gap=plan.get("gap"), solve_s=s.get("time_s"), total_s=s.get("total_s"),
               model=s.get("model"), message=s.get("message"), verified=v.rc == 0,
               formed=len(plan.get("consortia", [])),
               chains_formed=sum(1 for c in plan.get("consortia", [])
                                 if any(t["id"] == c["target"] and t.get("after")
                                        for t in inst["targets"])),
               binding=binding_years(inst, plan))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--time-limit", type=float, default=None,
                    help="per programme solve (default: none, --gap 0 to the end)")
    ap.add_argument("--national", action="store_true",
                    help="the national-programme preset once (seed 1), gap 1 %%, 15 minutes")
    ap.add_argument("--json", type=Path, help="write the figures as JSON")
    a = ap.parse_args()
    log(machine_line())
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-programme-") as tmp:
        work = Path(tmp)
        if a.national:
            args = ["--gap", "0.01", "--time-limit", "900", "--profile", "national"]
            rows.append(run_one("national-programme", a.seeds[0], work, args, 1200.0))
        else:
            args = ["--gap", "0"] + (["--time-limit", str(a.time_limit)] if a.time_limit else [])
            for seed in a.seeds:
                log(f"programme seed {seed} ...")
                rows.append(run_one("programme", seed, work, args, None))
                log(json.dumps({k: v for k, v in rows[-1].items() if k != "model"}))
    head = ["preset", "seed", "gen s", "solve wall s", "cpu s", "peak MB", "status", "objective",
            "gap", "verified", "formed", "binding yearly caps"]
    body = [[r["preset"], r["seed"], fmt(r.get("generate_s"), 1), fmt(r.get("wall_s"), 1),
             fmt(r.get("cpu_s"), 1), fmt(r.get("maxrss_mb"), 0), r.get("status", "-"),
             fmt(r.get("objective"), 3), fmt(r.get("gap"), 5), r.get("verified", "-"),
             r.get("formed", "-"), len(r.get("binding", []))] for r in rows]
    print(table(head, body))
    if len(rows) > 1:
        print(f"median solve wall {fmt(median(r.get('wall_s') for r in rows), 1)} s, "
              f"median peak {fmt(median(r.get('maxrss_mb') for r in rows), 0)} MB")
    for r in rows:
        print(f"{r['preset']} seed {r['seed']}: model {r.get('model')}; {r.get('message')}; "
              f"binding: {', '.join(r.get('binding', [])) or 'none'}")
    save_json(a.json, {"machine": machine_line(), "rows": rows})


if __name__ == "__main__":
    main()
