"""OR-Library set covering: ``consortium solve`` end to end against HiGHS alone.

For each instance (scp41..scp410 by default, all 45 with ``--all``):

* ours: the instance is mapped with ``consortium.orlib.scp_to_instance`` and
  written to a temporary folder (never into the repository), then solved by
  ``consortium solve FILE -o out.json --no-reasons --gap 0`` in a subprocess
  (start-up, imports, parsing, model, HiGHS, plan, verification, writing);
* HiGHS: the bare set-covering MILP (min c^T x, A x >= 1, x binary) built
  directly with highspy from ``read_scp`` in a subprocess
  (``_highs_runner.py --scp``), solved with the default profile's options and
  gap 0; ``run`` is what is timed there (``load`` = parse + passModel).

Both must reach the published optimum (``ORLIB_OPTIMA``). Arms alternate and
repeat (``--repeat``, default 3); medians are printed per instance, with the
ratio ours wall / HiGHS run (and / HiGHS process wall, and CPU / CPU), and
the median ratio over the instances (target: median <= 1.3).

    python benchmarks/bench_orlib.py                 # scp41..scp410, 3 repeats
    python benchmarks/bench_orlib.py --quick         # scp41..scp45, 1 repeat
    python benchmarks/bench_orlib.py --all           # all 45 (long: sets C and D take minutes each)
    python benchmarks/bench_orlib.py --names scp51,scpa1 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    consortium_exe, fmt, log, machine, machine_line, median, python_exe, run_child, save_json, table,
)

HERE = Path(__file__).resolve().parent
TARGET = 1.3
SET4 = [f"scp4{i}" for i in range(1, 11)]


def main() -> None:
    from consortium.orlib import ORLIB_OPTIMA, orlib_path, scp_to_instance

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--all", action="store_true", help="all 45 instances")
    ap.add_argument("--names", help="comma-separated instance names")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="scp41..scp45, one repeat")
    ap.add_argument("--profile", default="default")
    ap.add_argument("--time-limit", type=float, default=None, help="per run, both arms (seconds)")
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--keep", type=Path, help="keep the mapped instances and outputs here")
    a = ap.parse_args()
    names = (a.names.split(",") if a.names else list(ORLIB_OPTIMA) if a.all
             else SET4[:5] if a.quick else SET4)
    if a.quick:
        a.repeat = 1
    from consortium import profiles

    prof = profiles.load(a.profile)
    hopts = dict(prof.get("highs", {}))
    hopts["mip_rel_gap"] = 0.0
    if prof.get("threads") is not None:
        hopts["threads"] = int(prof["threads"])
    if a.time_limit is not None:
        hopts["time_limit"] = a.time_limit
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="bench_orlib_"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "options.json").write_text(json.dumps({"highs": hopts}))
    log(machine_line())
    results = []
    try:
        for name in names:
            src = orlib_path(name)
            if src is None:
                log(f"{name}: not found (set CONSORTIUM_ORLIB_DIR); skipped")
                continue
            inst = work / f"{name}.json"
            inst.write_text(json.dumps(scp_to_instance(src, name)))
            opt = ORLIB_OPTIMA[name]
            ours, hig = [], []
            for rep in range(a.repeat):
                for arm in (["ours", "highs"] if rep % 2 == 0 else ["highs", "ours"]):
                    if arm == "ours":
                        out = work / f"{name}.out.json"
                        out.unlink(missing_ok=True)
                        cmd = consortium_exe() + ["solve", str(inst), "-o", str(out), "--no-reasons",
                                                  "--gap", "0", "--profile", a.profile]
                        if a.time_limit is not None:
                            cmd += ["--time-limit", str(a.time_limit)]
                        r = run_child(cmd, cwd=work)
                        d = json.loads(out.read_text()) if out.exists() else {}
                        s = d.get("solver", {})
                        obj = d.get("objective")
                        ours.append({"wall_s": r.wall_s, "cpu_s": r.cpu_s, "rss": r.maxrss_mb,
                                     "highs_s": s.get("time_s"), "build_s": s.get("build_s"),
                                     "status": d.get("status"), "cost": None if obj is None else -obj,
                                     "model": s.get("model"), "rc": r.rc,
                                     "err": r.stderr[-500:] if r.rc else ""})
                    else:
                        cmd = [python_exe(), str(HERE / "_highs_runner.py"), "--scp", str(src),
                               "--options", str(work / "options.json")]
                        r = run_child(cmd, cwd=work)
                        try:
                            d = json.loads(r.stdout.strip().splitlines()[-1])
                        except (IndexError, json.JSONDecodeError):
                            d = {}
                        hig.append({"wall_s": r.wall_s, "cpu_s": r.cpu_s, "rss": r.maxrss_mb,
                                    "run_s": d.get("run_s"), "load_s": d.get("read_s"),
                                    "status": d.get("status"), "cost": d.get("objective"), "rc": r.rc,
                                    "nodes": d.get("nodes"), "err": r.stderr[-500:] if r.rc else ""})
            row = summarise(name, opt, ours, hig)
            results.append(row)
            log(f"{name}: ours {fmt(row['ours_wall'])} s (HiGHS inside {fmt(row['ours_highs'])} s, "
                f"cost {row['ours_cost']}), HiGHS run {fmt(row['highs_run'])} s (cost {row['highs_cost']}), "
                f"ratio {fmt(row['ratio_run'], 2)}; load {machine()['load_avg'][0]}")
        report(results, a)
        save_json(a.json_out, {"machine": machine(), "options": hopts, "results": results})
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


def summarise(name, opt, ours, hig) -> dict:
    def ok(rs):
        return all(r["cost"] is not None and abs(r["cost"] - opt) < 1e-6 and r["status"] in ("optimal", "Optimal")
                   for r in rs)

    m = lambda rs, k: median(r.get(k) for r in rs)  # noqa: E731
    row = {
        "name": name, "optimum": opt, "repeats": len(ours),
        "ours_wall": m(ours, "wall_s"), "ours_cpu": m(ours, "cpu_s"), "ours_highs": m(ours, "highs_s"),
        "ours_build": m(ours, "build_s"), "ours_rss": m(ours, "rss"),
        "ours_cost": sorted({r["cost"] for r in ours if r["cost"] is not None}), "ours_ok": ok(ours),
        "model": ours[0].get("model") if ours else None,
        "highs_run": m(hig, "run_s"), "highs_load": m(hig, "load_s"), "highs_wall": m(hig, "wall_s"),
        "highs_cpu": m(hig, "cpu_s"), "highs_rss": m(hig, "rss"),
        "highs_cost": sorted({r["cost"] for r in hig if r["cost"] is not None}), "highs_ok": ok(hig),
        "highs_nodes": m(hig, "nodes"),
        "errors": [r["err"] for r in ours + hig if r["err"]],
    }
    row["ratio_run"] = row["ours_wall"] / row["highs_run"] if row["highs_run"] else None
    row["ratio_wall"] = row["ours_wall"] / row["highs_wall"] if row["highs_wall"] else None
    row["ratio_cpu"] = row["ours_cpu"] / row["highs_cpu"] if row["highs_cpu"] else None
    # Formulation cost alone: HiGHS inside our process (to_highs + run on the
    # mapped model) against HiGHS on the bare matrix.
    row["ratio_inside"] = row["ours_highs"] / row["highs_run"] if row["highs_run"] and row["ours_highs"] else None
    return row


def report(results, a) -> None:
    print(f"\n## OR-Library set covering: consortium solve vs HiGHS alone ({a.repeat} repeats, medians)\n")
    print(machine_line() + "\n")
    rows = []
    for r in results:
        mdl = r["model"] or {}
        rows.append([r["name"], r["optimum"], f"{mdl.get('columns', '?')}x{mdl.get('rows', '?')}",
                     fmt(r["ours_wall"]), fmt(r["ours_highs"]), fmt(r["ours_cpu"]),
                     fmt(r["highs_run"]), fmt(r["highs_wall"]), fmt(r["highs_cpu"]),
                     fmt(r["ratio_run"]), fmt(r["ratio_wall"]), fmt(r["ratio_cpu"]), fmt(r["ratio_inside"]),
                     "yes" if r["ours_ok"] else "NO " + str(r["ours_cost"]),
                     "yes" if r["highs_ok"] else "NO " + str(r["highs_cost"])])
    print(table(["instance", "optimum", "our model cols x rows", "ours wall s", "ours HiGHS s", "ours CPU s",
                 "HiGHS run s", "HiGHS proc wall s", "HiGHS CPU s", "wall/run", "wall/proc wall", "CPU/CPU",
                 "ours HiGHS/run",
                 "ours optimal", "HiGHS optimal"], rows))
    mr = median(r["ratio_run"] for r in results)
    mw = median(r["ratio_wall"] for r in results)
    mc = median(r["ratio_cpu"] for r in results)
    mi = median(r["ratio_inside"] for r in results)
    print(f"\nmedian ratio ours wall / HiGHS run: {fmt(mr, 3)} "
          f"(target <= {TARGET}: {'met' if mr is not None and mr <= TARGET else 'NOT met'}); "
          f"ours wall / HiGHS process wall: {fmt(mw, 3)}; CPU / CPU: {fmt(mc, 3)}; "
          f"HiGHS inside ours (mapped model) / HiGHS run (bare): {fmt(mi, 3)}")
    n_ok = sum(r["ours_ok"] and r["highs_ok"] for r in results)
    print(f"published optimum reached by both arms on {n_ok} of {len(results)} instances")
    for r in results:
        for e in r["errors"][:1]:
            print(f"{r['name']}: error: {e}")


if __name__ == "__main__":
    main()
