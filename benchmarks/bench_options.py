"""HiGHS option variants on one consortium model (default: provincial seed 1).

The model is built once by ``consortium`` and handed, bit-identical, to a
HiGHS process per run (``_highs_runner.py --npz``, with ``consortium``'s
starting plan), so only the options differ. Every variant must prove the
same optimum (gap 0 unless ``--gap``); a variant that ends at another
objective or without proof is flagged. Reported per variant: median CPU
and wall time of ``run``, presolve time, root bound, time of the first and
of the last incumbent (from HiGHS's log), LP iterations, nodes.

CPU time is the figure to compare on this shared machine: HiGHS's MIP
search runs on one thread, so CPU time is its work and does not grow when
other jobs steal the core; wall time does.

    python benchmarks/bench_options.py                     # provincial, all variants, seed 0
    python benchmarks/bench_options.py --quick             # small preset
    python benchmarks/bench_options.py --variants base,no-probing --seeds 0,1,2
    python benchmarks/bench_options.py --set mine:mip_heuristic_effort=0.1,mip_lp_age_limit=20
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
    fmt, log, machine, machine_line, median, parse_highs_log, python_exe, run_child, save_json,
    table,
)
from bench_overhead import export, instance_file, parse_kv  # noqa: E402

HERE = Path(__file__).resolve().parent
PROBING_OFF = 1 << 15  # presolve_rule_off bit of the "Probing" rule in HiGHS 1.15 (logged by HiGHS)

# name -> HiGHS options on top of the default profile (presolve on, random_seed).
VARIANTS: dict[str, dict] = {
    "base": {},
    "threads=1": {"threads": 1},
    "no-probing": {"presolve_rule_off": PROBING_OFF},
    "heur=0.0": {"mip_heuristic_effort": 0.0},
    "heur=0.2": {"mip_heuristic_effort": 0.2},
    "no-rins-rens": {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False},
    "lp_age=20": {"mip_lp_age_limit": 20},
    "pool_soft=2000": {"mip_pool_soft_limit": 2000},
    "no-symmetry": {"mip_detect_symmetry": False},
    "no-restart": {"mip_allow_restart": False},
    "root-presolve-only": {"mip_root_presolve_only": True},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="provincial", choices=["small", "provincial", "national"])
    ap.add_argument("--seed", type=int, default=1, help="generator seed")
    ap.add_argument("--instance", type=Path)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--set", action="append", default=[], metavar="NAME:K=V,K=V",
                    help="an extra variant")
    ap.add_argument("--seeds", default="0", help="HiGHS random_seed values, comma-separated")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per variant and seed (same path: CPU noise only)")
    ap.add_argument("--gap", type=float, default=0.0)
    ap.add_argument("--time-limit", type=float, default=300.0, help="per run (s)")
    ap.add_argument("--no-start", action="store_true")
    ap.add_argument("--quick", action="store_true", help="small preset")
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--keep", type=Path)
    a = ap.parse_args()
    if a.quick and a.instance is None:
        a.preset = "small"
    variants = {k: VARIANTS[k] for k in a.variants.split(",") if k}
    for s in a.set:
        name, kv = s.split(":", 1)
        variants[name] = parse_kv(kv.split(","))
    seeds = [int(x) for x in a.seeds.split(",")]
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="bench_options_"))
    work.mkdir(parents=True, exist_ok=True)
    log(machine_line())
    try:
        inst = instance_file(a, work)
        from consortium.solving import profiles

        base = dict(profiles.load("default").get("highs", {}))
        base_opts = {"highs": base, "gap": a.gap, "threads": None, "time_limit": None}
        ex = export(inst, work, base_opts, not a.no_start)
        log(f"model {ex['stats']}, start plan {'yes' if ex['start'] else 'no'}")
        results = []
        for vname, vopts in variants.items():
            for seed in seeds:
                runs = []
                for rep in range(a.repeat):
                    h = {**base, "random_seed": seed, "mip_rel_gap": a.gap,
                         "time_limit": a.time_limit, **vopts}
                    of = work / "options.json"
                    of.write_text(json.dumps({"highs": h}))
                    lf = work / f"{vname}-seed{seed}-rep{rep}.log"
                    lf.unlink(missing_ok=True)
                    cmd = [python_exe(), str(HERE / "_highs_runner.py"), "--npz",
                           str(work / "model.npz"),
                           "--options", str(of), "--log-file", str(lf)]
                    if not a.no_start:
                        cmd += ["--start", str(work / "start.npy")]
                    r = run_child(cmd, cwd=work, timeout=a.time_limit * 3 + 60)
                    try:
                        d = json.loads(r.stdout.strip().splitlines()[-1])
                    except (IndexError, json.JSONDecodeError):
                        d = {"error": r.stderr[-500:]}
                    lg = parse_highs_log(lf.read_text(errors="replace")) if lf.exists() else {}
                    inc = lg.get("incumbents") or []
                    runs.append({"run_s": d.get("run_s"), "cpu_s": r.cpu_s, "wall_s": r.wall_s,
                                 "rss": r.maxrss_mb, "status": d.get("status"),
                                 "objective": d.get("objective"),
                                 "bound": d.get("bound"), "nodes": d.get("nodes"),
                                 "lp_iterations": d.get("lp_iterations"),
                                 "presolve_s": lg.get("presolve_s"),
                                 "root_bound": lg.get("root_bound"),
                                 "first_inc_s": inc[0][2] if inc else None,
                                 "last_inc_s": inc[-1][2] if inc else None,
                                 "last_inc_src": inc[-1][0] if inc else None, "load": r.load_before,
                                 "error": d.get("error")})
                    x = runs[-1]
                    log(f"  {vname:20s} seed {seed}: run {fmt(x['run_s'])} s cpu {fmt(x['cpu_s'])} "
                        "s "
                        f"{x['status']} obj {x['objective']} presolve {x['presolve_s']} "
                        f"last incumbent {x['last_inc_src']}@{x['last_inc_s']} load "
                        f"{r.load_before:.1f}")
                results.append({"variant": vname, "options": vopts, "seed": seed, "runs": runs})
        report(results, ex, a)
        save_json(a.json_out, {"machine": machine(), "model": ex["stats"], "results": results})
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


def report(results, ex, a) -> None:
    objs = [r["objective"] for res in results for r in res["runs"]
            if r["objective"] is not None and r["status"] == "Optimal"]
    best = max(objs) if objs else None
    base_cpu = median(r["cpu_s"] for res in results if res["variant"] == "base"
                      for r in res["runs"])
    print(f"\n## HiGHS options on {a.instance or f'{a.preset} seed {a.seed}'}\n")
    print(machine_line() + "\n")
    st = ex["stats"]
    print(f"model {st['columns']} columns ({st['integer']} integer), {st['rows']} rows, "
          f"{st['nonzeros']} nonzeros; "
          f"gap {a.gap}; start plan {'given' if ex['start'] else 'none'}; medians of {a.repeat} "
          "run(s) per seed\n")
    rows = []
    for res in results:
        rs = res["runs"]
        m = lambda k, rs=rs: median(r.get(k) for r in rs)  # noqa: E731
        exact = all(r["status"] == "Optimal" and best is not None and r["objective"] is not None
                    and abs(r["objective"] - best) <= 1e-6 * max(1, abs(best)) for r in rs)
        cpu = m("cpu_s")
        rows.append([res["variant"], res["seed"], fmt(cpu, 1),
                     fmt(cpu / base_cpu, 2) if cpu and base_cpu else "-", fmt(m("run_s"), 1),
                     fmt(m("presolve_s"), 1), fmt(m("root_bound"), 3), fmt(m("first_inc_s"), 1),
                     f"{fmt(m('last_inc_s'), 1)} ({rs[-1].get('last_inc_src') or '-'})",
                     fmt(m("lp_iterations"), 0), fmt(m("nodes"), 0),
                     f"{rs[-1]['objective']:.4f}" if rs[-1]["objective"] is not None else "-",
                     "yes" if exact else "NO (" + ", ".join(sorted({str(r['status']) for r in rs}))
                     + ")"])
    print(table(["variant", "seed", "CPU s", "vs base", "run wall s", "presolve s (log)",
                 "root bound",
                 "1st incumbent s", "last incumbent s (src)", "LP iters", "nodes", "objective",
                 "proven optimum"],
                rows))


if __name__ == "__main__":
    main()
