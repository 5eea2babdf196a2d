"""End-to-end ``consortium solve`` against HiGHS alone on the same model.

Arms, alternated and repeated (medians are reported):

* ``consortium``: ``consortium solve FILE -o out.json --no-reasons`` as a
  subprocess: Python start-up, imports, parsing, validation, the model, the
  starting plan, HiGHS, the plan, verification and writing all count.
* ``mps``: the built model is written once to MPS
  (``highs.to_highs(build(inst).lm).writeModel``); a separate process reads
  it with highspy and solves it with the same options (profile's ``[highs]``
  table, gap, threads, time limit, ``random_seed``) and, unless
  ``--no-start``, the same starting plan that ``consortium`` hands HiGHS.
  Timed inside that process: ``readModel`` and ``run``.
* ``npz`` (``--arms`` includes it by default): the same, but the process
  gets the exact arrays ``consortium`` passes to HiGHS (``passModel``). MPS
  text rounds the last digit of some coefficients, which can change the
  MIP search path; this arm shows HiGHS on the bit-identical model.

Peak memory of every arm is that process's own maximum RSS (``wait4``).
Then one extra run of the command under timers (``_breakdown.py``) says where
our time goes: imports, parse+validate, ModelData, build_model, starting
plan, to_highs, HiGHS, plan, verify, write; ``--hotspots`` adds a cProfile
top list of the Python stages.

    python benchmarks/bench_overhead.py                      # provincial seed 1, 3 repeats
    python benchmarks/bench_overhead.py --preset national --time-limit 300
    python benchmarks/bench_overhead.py --quick              # small preset, quick look
    python benchmarks/bench_overhead.py --instance my.json --repeat 5 --arms consortium,mps

Target (issue 5): consortium wall / HiGHS read+run <= 1.10 at provincial and
national.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402  # isort: skip
    consortium_exe, fmt, log, machine, machine_line, median, python_exe, run_child, save_json,
    table,
)

HERE = Path(__file__).resolve().parent
TARGET = 1.10


def make_instance(preset: str, seed: int, path: Path) -> None:
    from consortium.generate import generate, write_instance

    write_instance(generate(preset=preset, seed=seed), path)


def resolve_options(a) -> dict:
    """The HiGHS options the command would use: profile, then command-line overrides."""
    from consortium.solving import profiles

    prof = profiles.load(a.profile)
    gap = a.gap if a.gap is not None else float(prof.get("gap", 0.0))
    threads = a.threads if a.threads is not None else prof.get("threads")
    tl = a.time_limit if a.time_limit is not None else prof.get("time_limit")
    h = dict(prof.get("highs", {}))
    h.update(parse_kv(a.highs_option))
    h["mip_rel_gap"] = float(gap)
    if threads is not None:
        h["threads"] = int(threads)
    if tl is not None:
        h["time_limit"] = float(tl)
    return {"highs": h, "gap": gap, "threads": threads, "time_limit": tl, "profile": a.profile}


def parse_kv(items: list[str]) -> dict:
    out = {}
    for it in items or []:
        k, v = it.split("=", 1)
        for conv in (int, float):
            try:
                v = conv(v)
                break
            except ValueError:
                pass
        else:
            v = {"true": True, "false": False}.get(v.lower(), v)
        out[k] = v
    return out


def profile_file(a, work: Path) -> str:
    """--profile as given, or a temporary TOML with the extra --highs-option values."""
    if not a.highs_option:
        return a.profile
    from consortium.solving import profiles

    prof = profiles.load(a.profile)
    h = dict(prof.get("highs", {}))
    h.update(parse_kv(a.highs_option))
    lines = [f"description = \"bench: {a.profile} + {' '.join(a.highs_option)}\""]
    for k in ("gap", "threads", "time_limit"):
        if k in prof:
            lines.append(f"{k} = {prof[k]!r}")
    lines.append("[highs]")
    for k, v in h.items():
        lines.append(f"{k} = " + (json.dumps(v) if isinstance(v, str) else str(v).lower()
                                  if isinstance(v, bool) else repr(v)))
    p = work / "bench_profile.toml"
    p.write_text("\n".join(lines) + "\n")
    return str(p)


def export(inst_path: Path, work: Path, opts: dict, with_start: bool) -> dict:
    """Write the built model (MPS and exact arrays) and the starting plan."""
    import numpy as np

    from consortium.backends import highs
    from consortium.backends.base import SolverOptions
    from consortium.io.instance import load
    from consortium.solving.build import build
    from consortium.solving.solve import initial_plan

    t = time.perf_counter()
    b = build(load(str(inst_path)))
    lm = b.lm
    h = highs.to_highs(lm)
    h.writeModel(str(work / "model.mps"))
    A = lm.A.tocsc()
    np.savez(work / "model.npz", lb=lm.lb, ub=lm.ub, obj=lm.obj, row_lo=lm.row_lo, row_hi=lm.row_hi,
             indptr=A.indptr, indices=A.indices, data=A.data, int_idx=np.nonzero(lm.integer)[0],
             offset=lm.obj_offset, maximize=1)
    start = None
    if with_start:
        so = SolverOptions(time_limit=opts["time_limit"], gap=opts["gap"], threads=opts["threads"],
                           highs=dict(opts["highs"]))
        start = initial_plan(b, so)
    np.save(work / "start.npy", start if start is not None else np.array([]))
    (work / "options.json").write_text(json.dumps({"highs": opts["highs"]}))
    return {"stats": lm.stats(), "export_s": time.perf_counter() - t, "start": start is not None}


def solve_args(inst: Path, out: Path, a, prof: str) -> list[str]:
    """``solve`` and its options as every arm runs it."""
    cmd = ["solve", str(inst), "-o", str(out), "--no-reasons", "--profile", prof]
    for opt, v in (("--gap", a.gap), ("--threads", a.threads), ("--time-limit", a.time_limit)):
        if v is not None:
            cmd += [opt, str(v)]
    return cmd


def instance_file(a, work: Path) -> Path:
    """``--instance``, or the ``--preset``/``--seed`` instance generated into ``work``."""
    if a.instance:
        return a.instance.resolve()
    inst = work / f"{a.preset}-seed{a.seed}.json"
    make_instance(a.preset, a.seed, inst)
    return inst


def run_consortium(inst: Path, work: Path, a, prof: str) -> dict:
    out = work / "out.json"
    out.unlink(missing_ok=True)
    cmd = consortium_exe() + solve_args(inst, out, a, prof)
    r = run_child(cmd, cwd=work)
    res = {"wall_s": r.wall_s, "cpu_s": r.cpu_s, "maxrss_mb": r.maxrss_mb, "rc": r.rc,
           "load": r.load_before}
    if r.rc != 0 or not out.exists():
        res["error"] = r.stderr[-2000:]
        return res
    d = json.loads(out.read_text())
    s = d.get("solver", {})
    res.update(status=d.get("status"), objective=d.get("objective"), gap=d.get("gap"),
               highs_s=s.get("time_s"), build_s=s.get("build_s"), total_s=s.get("total_s"))
    return res


def run_highs(kind: str, work: Path, with_start: bool) -> dict:
    cmd = [python_exe(), str(HERE / "_highs_runner.py"), f"--{kind}", str(work / f"model.{kind}"),
           "--options", str(work / "options.json")]
    if with_start:
        cmd += ["--start", str(work / "start.npy")]
    r = run_child(cmd, cwd=work)
    res = {"wall_s": r.wall_s, "cpu_s": r.cpu_s, "maxrss_mb": r.maxrss_mb, "rc": r.rc,
           "load": r.load_before}
    if r.rc != 0:
        res["error"] = r.stderr[-2000:]
        return res
    d = json.loads(r.stdout.strip().splitlines()[-1])
    res.update(d)
    res["read_run_s"] = d["read_s"] + d["start_s"] + d["run_s"]
    return res


def breakdown(inst: Path, work: Path, a, prof: str, cprofile: bool) -> dict:
    out = work / "out_bd.json"
    js = work / "breakdown.json"
    cmd = [python_exe(), str(HERE / "_breakdown.py"), "--json-out", str(js)]
    if cprofile:
        cmd += ["--cprofile", str(work / "prof.out")]
    cmd += ["--", *solve_args(inst, out, a, prof)]
    r = run_child(cmd, cwd=work)
    if not js.exists():
        return {"error": r.stderr[-2000:]}
    d = json.loads(js.read_text())
    d["outside_wall_s"] = r.wall_s
    d["maxrss_mb"] = r.maxrss_mb
    if out.exists():
        d["solver"] = json.loads(out.read_text()).get("solver")
    if cprofile:
        d["hotspots"] = hotspots(work / "prof.out")
    return d


def hotspots(path: Path, n: int = 15) -> list[str]:
    import io
    import pstats

    s = io.StringIO()
    st = pstats.Stats(str(path), stream=s)
    st.sort_stats("tottime").print_stats(n)
    return s.getvalue().splitlines()


def breakdown_rows(d: dict) -> list[list[str]]:
    """Flatten the stage records: top-level stages, their children indented."""
    rows = [["python start-up (outside wall - in-process)",
             fmt(d["outside_wall_s"] - d["in_process_s"])],
            ["imports (consortium.cli, solve, highspy, pydantic, verify, ...)",
             fmt(d["imports_s"])]]
    stages = sorted(d["stages"], key=lambda s: (len(s["path"]) > 1, 0))
    top = [s for s in d["stages"] if len(s["path"]) == 1]
    accounted = 0.0
    for s in top:
        accounted += s["s"]
        rows.append([s["path"][0] + (f" ({s['calls']} calls)" if s["calls"] > 1 else ""),
                     fmt(s["s"])])
        for c in stages:
            if len(c["path"]) >= 2 and c["path"][0] == s["path"][0]:
                rows.append(["    " * (len(c["path"]) - 1) + c["path"][-1]
                             + (f" ({c['calls']} calls)" if c["calls"] > 1 else ""), fmt(c["s"])])
    rows.append(["other (click, option handling, exit)",
                 fmt(d["main_s"] - accounted)])
    rows.append(["**total (outside wall)**", fmt(d["outside_wall_s"])])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="provincial", choices=["small", "provincial", "national"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--instance", type=Path, help="an instance file instead of a generated one")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true",
                    help="small preset unless --instance/--preset given, 3 repeats, no breakdown")
    ap.add_argument("--profile", default="default")
    ap.add_argument("--gap", type=float)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--time-limit", type=float)
    ap.add_argument("--highs-option", action="append", metavar="K=V",
                    help="extra raw HiGHS option for every arm (via a temporary profile)")
    ap.add_argument("--arms", default="consortium,mps,npz")
    ap.add_argument("--no-start", action="store_true",
                    help="do not give the HiGHS arms consortium's starting plan")
    ap.add_argument("--no-breakdown", action="store_true")
    ap.add_argument("--hotspots", action="store_true",
                    help="cProfile top list of the Python stages (one more run)")
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--keep", type=Path, help="keep the work files in this folder")
    a = ap.parse_args()
    if a.quick and a.instance is None and "--preset" not in sys.argv:
        a.preset = "small"
    if a.quick:
        a.no_breakdown = True
    arms = [x.strip() for x in a.arms.split(",") if x.strip()]
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="bench_overhead_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        log(machine_line())
        if a.instance:
            inst = a.instance.resolve()
            name = inst.name
        else:
            inst = work / f"{a.preset}-seed{a.seed}.json"
            make_instance(a.preset, a.seed, inst)
            name = f"generated {a.preset} seed {a.seed}"
        opts = resolve_options(a)
        prof = profile_file(a, work)
        ex = export(inst, work, opts, not a.no_start)
        log(f"instance: {name}; model {ex['stats']}; HiGHS options {opts['highs']}; "
            f"start plan {'yes' if ex['start'] else 'no'}")
        runs: dict[str, list[dict]] = {k: [] for k in arms}
        for rep in range(a.repeat):
            order = arms[rep % len(arms):] + arms[:rep % len(arms)]
            for arm in order:
                r = (run_consortium(inst, work, a, prof) if arm == "consortium"
                     else run_highs(arm, work, not a.no_start))
                runs[arm].append(r)
                log(f"  rep {rep + 1} {arm:10s} wall {r['wall_s']:7.2f} s  cpu {r['cpu_s']:7.2f} s "
                    " "
                    f"rss {r['maxrss_mb']:7.0f} MB  load {r['load']:.1f}"
                    + (f"  obj {r.get('objective')}" if r.get("objective") is not None else "")
                    + (f"  ERROR {r['error'][-300:]}" if "error" in r else ""))
        bd = None
        if not a.no_breakdown:
            log("breakdown run ...")
            bd = breakdown(inst, work, a, prof, a.hotspots)
        report(a, name, ex, opts, runs, bd)
        save_json(a.json_out, {"machine": machine(), "instance": name, "model": ex["stats"],
                               "options": opts,
                               "runs": runs, "breakdown": bd})
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


def report(a, name, ex, opts, runs, bd) -> None:
    med = {arm: {k: median(r.get(k) for r in rs) for k in
                 ("wall_s", "cpu_s", "maxrss_mb", "read_s", "run_s", "read_run_s", "highs_s",
                  "build_s",
                  "total_s", "lp_iterations", "nodes")}
           for arm, rs in runs.items()}
    print(f"\n## Overhead: {name}\n")
    print(machine_line() + "\n")
    st = ex["stats"]
    print(f"model: {st['columns']} columns ({st['integer']} integer), {st['rows']} rows, "
          f"{st['nonzeros']} nonzeros; "
          f"gap {opts['gap']}, threads {opts['threads'] or 'HiGHS default'}, time limit "
          f"{opts['time_limit']}, "
          f"HiGHS options {opts['highs']}; {a.repeat} repeats, arms alternated, medians\n")
    rows = []
    for arm, m in med.items():
        rs = runs[arm]
        objs = {round(r["objective"], 6) for r in rs if r.get("objective") is not None}
        if arm == "consortium":
            rows.append(["consortium solve (subprocess)", fmt(m["wall_s"]), fmt(m["cpu_s"]),
                         f"{fmt(m['highs_s'])} (HiGHS inside: to_highs+run)", "-",
                         fmt(m["maxrss_mb"], 0),
                         ", ".join(map(str, sorted(objs))) or "-"])
        else:
            rows.append([f"HiGHS alone, {arm} (subprocess)", fmt(m["wall_s"]), fmt(m["cpu_s"]),
                         fmt(m["run_s"]),
                         fmt(m["read_run_s"]), fmt(m["maxrss_mb"], 0),
                         ", ".join(map(str, sorted(objs))) or "-"])
    print(table(["arm", "wall s", "CPU s", "HiGHS run s", "read+run s", "peak RSS MB", "objective"],
                rows))
    c = med.get("consortium")
    if c and c["wall_s"]:
        print()
        rr = []
        for arm in runs:
            if arm == "consortium" or not med[arm]["run_s"]:
                continue
            m = med[arm]
            r1, r2 = c["wall_s"] / m["run_s"], c["wall_s"] / m["read_run_s"]
            r3 = c["cpu_s"] / m["cpu_s"] if m["cpu_s"] else None
            rr.append([arm, fmt(r1, 3), fmt(r2, 3), fmt(r3, 3),
                       "met" if r2 <= TARGET else "NOT met",
                       f"{fmt(m['lp_iterations'], 0)} LP iters / {fmt(m['nodes'], 0)} nodes"])
        print(table(["vs HiGHS arm", "wall / run", "wall / (read+run)", "CPU / CPU",
                     f"target <= {TARGET}",
                     "HiGHS search"], rr))
        if c.get("highs_s"):
            print(f"\nin-process: HiGHS (to_highs + run) {fmt(c['highs_s'])} s of "
                  f"{fmt(c['wall_s'])} s wall; "
                  f"everything else {fmt(c['wall_s'] - c['highs_s'])} s "
                  f"(ratio wall / own HiGHS time {fmt(c['wall_s'] / c['highs_s'], 3)})")
    if bd and "stages" in bd:
        print("\n### Where the time goes (one instrumented run)\n")
        print(table(["stage", "s"], breakdown_rows(bd)))
        if bd.get("missing"):
            print(f"\n(not found in this code version: {', '.join(bd['missing'])})")
        if bd.get("hotspots"):
            print("\ncProfile, top functions by own time "
                  "(the instrumented run, Python stages inflated):\n")
            print("```\n" + "\n".join(ln for ln in bd["hotspots"] if ln.strip())[:6000] + "\n```")
    elif bd:
        print(f"\nbreakdown failed: {bd.get('error')}")


if __name__ == "__main__":
    main()
