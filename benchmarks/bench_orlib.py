"""OR-Library set covering: ``consortium solve`` against HiGHS alone on the bare matrix.

For each instance (scp41..scp410 by default, all 45 with ``--all``):

* ours: the instance is mapped with ``consortium.io.orlib.scp_to_instance``
  (the compact mapping, ``coordinator=True``, unless ``--mapping default``)
  and written to a temporary folder (never into the repository), then solved
  by ``consortium solve FILE -o out.json --no-reasons --gap 0 --profile P``
  in a subprocess (start-up, imports, parsing, model, HiGHS, plan,
  verification, writing);
* HiGHS: the bare set-covering MILP (min c^T x, A x >= 1, x binary) built
  directly with highspy from ``read_scp`` in a subprocess
  (``_highs_runner.py --scp``): Python start-up, highspy + numpy import,
  parse, ``passModel``, ``run``; the same HiGHS options (the profile's
  ``[highs]`` table, ``mip_rel_gap`` 0).

Two ratios per instance, each a median over the repeats:

(a) end to end: our process wall / HiGHS-alone process wall;
(b) in process: our ``solver.total_s`` from the solution JSON (build of the
    model + HiGHS (passModel and run) + reading the plan; *not* the
    verification, the JSON writing, the imports or the parsing) / HiGHS
    ``run`` on the bare matrix.

Both arms must reach the published optimum (``ORLIB_OPTIMA``). The report
gives the medians of (a) and (b) over the instances (target: median <= 1.3),
also per OR-Library set.

``--time-limit T`` limits every run of both arms to T seconds of HiGHS time:
HiGHS's own ``time_limit`` option, passed to ours through a generated profile
(``[highs] time_limit``), *not* through ``--time-limit``, which would make
``consortium solve`` compute a starting plan first (it does so only under a
time limit) and so measure something else. A run stopped by the limit is
reported as not optimal. Each child is also killed after ``2 T + 60`` s.

Arms alternate and repeat (``--repeat``, default 3). ``--json-out`` saves
every run; ``--report A.json B.json ...`` prints the tables again from saved
files (a later file's instance replaces an earlier file's, so a 3-repeat run
on some instances can be laid over a 1-repeat run on all).

    python benchmarks/bench_orlib.py                      # scp41..scp410, 3 repeats
    python benchmarks/bench_orlib.py --quick              # scp41..scp45, 1 repeat
    python benchmarks/bench_orlib.py --all --repeat 1 --time-limit 120 --json-out all.json
    python benchmarks/bench_orlib.py --names scp51,scpa1 --repeat 5
    python benchmarks/bench_orlib.py --report all.json rep3.json
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
    ROOT, consortium_exe, fmt, log, machine, machine_line, median, precompile, python_exe,
    run_child, save_json, table,
)

HERE = Path(__file__).resolve().parent
TARGET = 1.3
SET4 = [f"scp4{i}" for i in range(1, 11)]


def set_of(name: str) -> str:
    """OR-Library set of an instance: '4', '5', '6', 'A'..'D'."""
    s = name[3:4]
    return s.upper() if s.isalpha() else s


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--all", action="store_true", help="all 45 instances")
    ap.add_argument("--names", help="comma-separated instance names")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="scp41..scp45, one repeat")
    ap.add_argument("--profile", default="default", help="base profile (name or .toml)")
    ap.add_argument("--mapping", choices=["compact", "default"], default="compact",
                    help="compact: one zero-cost coordinator leads (coordinator=True); "
                         "default: every column may lead")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="HiGHS time limit per run, both arms (seconds); see the module docstring")
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--keep", type=Path, help="keep the mapped instances and outputs here")
    ap.add_argument("--report", nargs="+", type=Path, metavar="JSON",
                    help="only print the report from saved --json-out files")
    a = ap.parse_args()
    if a.report:
        reprint(a.report)
        return

    from consortium.io.orlib import ORLIB_OPTIMA, orlib_path, scp_to_instance
    from consortium.solving import profiles

    names = (a.names.split(",") if a.names else list(ORLIB_OPTIMA) if a.all
             else SET4[:5] if a.quick else SET4)
    if a.quick:
        a.repeat = 1
    prof = profiles.load(a.profile)
    hopts = dict(prof.get("highs", {}))
    hopts["mip_rel_gap"] = 0.0
    if prof.get("threads") is not None:
        hopts["threads"] = int(prof["threads"])
    if a.time_limit is not None:
        hopts["time_limit"] = float(a.time_limit)
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="bench_orlib_"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "options.json").write_text(json.dumps({"highs": hopts}))
    # Our profile: the base profile's keys, with HiGHS's time limit in [highs].
    ours_highs = dict(prof.get("highs", {}))
    if a.time_limit is not None:
        ours_highs["time_limit"] = float(a.time_limit)
    prof_lines = [f"{k} = {toml_value(v)}" for k, v in prof.items()
                  if k in ("description", "gap", "threads")]
    prof_lines += ["", "[highs]"] + [f"{k} = {toml_value(v)}" for k, v in ours_highs.items()]
    ours_profile = work / "bench_profile.toml"
    ours_profile.write_text("\n".join(prof_lines) + "\n")
    timeout = None if a.time_limit is None else 2 * a.time_limit + 60
    precompile(ROOT / "consortium", ROOT / "solvers")
    log(machine_line())
    meta = {"machine_start": machine(), "options": hopts, "ours_profile": ours_profile.read_text(),
            "mapping": a.mapping, "time_limit": a.time_limit, "repeat": a.repeat,
            "argv": sys.argv[1:]}
    results = []
    try:
        for name in names:
            src = orlib_path(name)
            if src is None:
                log(f"{name}: not found (set CONSORTIUM_ORLIB_DIR); skipped")
                continue
            inst = work / f"{name}.json"
            mapped = scp_to_instance(src, name, coordinator=a.mapping == "compact")
            inst.write_text(json.dumps(mapped))
            opt = ORLIB_OPTIMA[name]
            ours, hig = [], []
            for rep in range(a.repeat):
                for arm in (["ours", "highs"] if rep % 2 == 0 else ["highs", "ours"]):
                    if arm == "ours":
                        ours.append(run_ours(inst, work, name, ours_profile, timeout))
                    else:
                        hig.append(run_highs(src, work, timeout))
            row = summarise(name, opt, ours, hig)
            results.append(row)
            log(f"{name}: ours {fmt(row['ours_wall'])} s (total_s {fmt(row['ours_total'], 3)}, "
                f"cost {row['ours_cost']}), HiGHS {fmt(row['highs_wall'])} s (run "
                f"{fmt(row['highs_run'], 3)}, "
                f"cost {row['highs_cost']}); (a) {fmt(row['ratio_e2e'])} (b) "
                f"{fmt(row['ratio_inproc'])}; "
                f"load {row['load']}")
            # Save as we go: a long --all run keeps what it measured.
            save_json(a.json_out, {**meta, "machine_end": machine(), "results": results})
        meta["machine_end"] = machine()
        report(results, meta)
        save_json(a.json_out, {**meta, "results": results})
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


def run_ours(inst: Path, work: Path, name: str, profile: Path, timeout) -> dict:
    out = work / f"{name}.out.json"
    out.unlink(missing_ok=True)
    cmd = consortium_exe() + ["solve", str(inst), "-o", str(out), "--no-reasons", "--gap", "0",
                              "--profile", str(profile)]
    r = run_child(cmd, cwd=work, timeout=timeout)
    try:
        d = json.loads(out.read_text()) if out.exists() else {}
    except json.JSONDecodeError:
        d = {}
    s = d.get("solver", {})
    obj = d.get("objective")
    return {"wall_s": r.wall_s, "cpu_s": r.cpu_s, "rss": r.maxrss_mb, "load": r.load_before,
            "total_s": s.get("total_s"), "highs_s": s.get("time_s"), "build_s": s.get("build_s"),
            "status": d.get("status"), "cost": None if obj is None else -obj,
            "model": s.get("model"), "rc": r.rc, "err": r.stderr[-500:] if r.rc else ""}


def run_highs(src: Path, work: Path, timeout) -> dict:
    cmd = [python_exe(), str(HERE / "_highs_runner.py"), "--scp", str(src),
           "--options", str(work / "options.json")]
    r = run_child(cmd, cwd=work, timeout=timeout)
    try:  # HiGHS 1.16 prints a banner on stdout first: the JSON is the last line
        d = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        d = {}
    return {"wall_s": r.wall_s, "cpu_s": r.cpu_s, "rss": r.maxrss_mb, "load": r.load_before,
            "run_s": d.get("run_s"), "load_s": d.get("read_s"), "import_s": d.get("import_s"),
            "status": d.get("status"), "cost": d.get("objective"), "rc": r.rc,
            "nodes": d.get("nodes"), "lp_iterations": d.get("lp_iterations"),
            "err": r.stderr[-500:] if r.rc else ""}


def summarise(name, opt, ours, hig) -> dict:
    def ok(rs):
        return bool(rs) and all(
            r["cost"] is not None and abs(r["cost"] - opt) < 1e-6
            and r["status"] in ("optimal", "Optimal")
            for r in rs)

    m = lambda rs, k: median(r.get(k) for r in rs)  # noqa: E731
    row = {
        "name": name, "set": set_of(name), "optimum": opt, "repeats": len(ours),
        "ours_wall": m(ours, "wall_s"), "ours_cpu": m(ours, "cpu_s"),
        "ours_total": m(ours, "total_s"),
        "ours_highs": m(ours, "highs_s"), "ours_build": m(ours, "build_s"),
        "ours_rss": m(ours, "rss"),
        "ours_cost": sorted({r["cost"] for r in ours if r["cost"] is not None}),
        "ours_ok": ok(ours),
        "model": ours[0].get("model") if ours else None,
        "highs_run": m(hig, "run_s"), "highs_load": m(hig, "load_s"),
        "highs_import": m(hig, "import_s"),
        "highs_wall": m(hig, "wall_s"), "highs_cpu": m(hig, "cpu_s"), "highs_rss": m(hig, "rss"),
        "highs_cost": sorted({r["cost"] for r in hig if r["cost"] is not None}),
        "highs_ok": ok(hig),
        "highs_nodes": m(hig, "nodes"),
        "load": round(median(r["load"] for r in ours + hig) or 0.0, 2),
        "errors": [r["err"] for r in ours + hig if r["err"]],
        "runs": {"ours": ours, "highs": hig},
    }
    add_ratios(row)
    return row


def add_ratios(row: dict) -> None:
    def ratio(x, y):
        return x / y if x is not None and y else None

    row["ratio_e2e"] = ratio(row["ours_wall"], row["highs_wall"])  # (a)
    row["ratio_inproc"] = ratio(row["ours_total"], row["highs_run"])  # (b)
    row["ratio_cpu"] = ratio(row["ours_cpu"], row["highs_cpu"])
    row["ratio_highs"] = ratio(row["ours_highs"], row["highs_run"])  # HiGHS inside ours / bare
    row["ratio_wall_run"] = ratio(row["ours_wall"], row["highs_run"])  # the old headline figure


def verdict(x) -> str:
    return "-" if x is None else ("met" if x <= TARGET else "NOT met")


def report(results: list[dict], meta: dict) -> None:
    rep = sorted({r["repeats"] for r in results})
    print(f"\n## OR-Library set covering: consortium solve vs HiGHS alone "
          f"(mapping {meta.get('mapping')}, repeats {rep}, medians; HiGHS time limit "
          f"{meta.get('time_limit') or 'none'})\n")
    ms, me = meta.get("machine_start") or {}, meta.get("machine_end") or {}
    print(f"machine: {ms.get('nproc')} cores, {ms.get('cpu')}, Python {ms.get('python')}, HiGHS "
          f"{ms.get('highs')}; "
          f"load average at start {ms.get('load_avg')}, at end {me.get('load_avg')}\n")
    rows = []
    for r in results:
        mdl = r["model"] or {}
        rows.append([r["name"], r["optimum"], f"{mdl.get('columns', '?')}x{mdl.get('rows', '?')}",
                     r["repeats"],
                     fmt(r["ours_wall"]), fmt(r["highs_wall"]), fmt(r["ratio_e2e"]),
                     fmt(r["ours_total"], 3), fmt(r["ours_highs"], 3), fmt(r["highs_run"], 3),
                     fmt(r["ratio_inproc"]), fmt(r["ratio_cpu"]),
                     "yes" if r["ours_ok"] else "NO " + str(r["ours_cost"]),
                     "yes" if r["highs_ok"] else "NO " + str(r["highs_cost"]), fmt(r["load"], 1)])
    print(table(["instance", "optimum", "our model cols x rows", "reps", "ours wall s",
                 "HiGHS proc wall s",
                 "(a) wall/wall", "ours total_s", "ours HiGHS s", "HiGHS run s", "(b) total_s/run",
                 "CPU/CPU", "ours optimal", "HiGHS optimal", "load"], rows))

    def med(rs, k):
        return median(r[k] for r in rs)

    print("\nmedians over instances")
    sets = sorted({r["set"] for r in results}, key=lambda s: (not s.isdigit(), s))
    groups = [("all", results)] + [(f"set {s}", [r for r in results if r["set"] == s])
                                   for s in sets]
    srows = []
    for label, rs in groups:
        n_ok = sum(r["ours_ok"] and r["highs_ok"] for r in rs)
        srows.append([label, len(rs), f"{n_ok}/{len(rs)}", fmt(med(rs, "ratio_e2e"), 3),
                      fmt(med(rs, "ratio_inproc"), 3), fmt(med(rs, "ratio_cpu"), 3),
                      fmt(med(rs, "ratio_highs"), 3), fmt(med(rs, "ratio_wall_run"), 2)])
    print(table(["instances", "n", "both optimal", "(a) wall/wall", "(b) total_s/run", "CPU/CPU",
                 "ours HiGHS s / HiGHS run", "ours wall / HiGHS run"], srows))
    ma, mb = med(results, "ratio_e2e"), med(results, "ratio_inproc")
    print(f"\n(a) median ours wall / HiGHS process wall: {fmt(ma, 3)} "
          f"(target <= {TARGET}: {verdict(ma)})")
    print(f"(b) median ours total_s / HiGHS run: {fmt(mb, 3)} (target <= {TARGET}: {verdict(mb)})")
    n_ok = sum(r["ours_ok"] and r["highs_ok"] for r in results)
    print(f"published optimum reached by both arms on {n_ok} of {len(results)} instances")
    for r in results:
        for e in r["errors"][:1]:
            print(f"{r['name']}: error: {e}")


def reprint(paths: list[Path]) -> None:
    by_name: dict[str, dict] = {}
    meta: dict = {}
    for p in paths:
        d = json.loads(p.read_text())
        meta = {k: v for k, v in d.items() if k != "results"} if not meta else meta
        meta["machine_end"] = d.get("machine_end", meta.get("machine_end"))
        for r in d["results"]:
            add_ratios(r)
            by_name[r["name"]] = r
    from consortium.io.orlib import ORLIB_OPTIMA

    order = {n: i for i, n in enumerate(ORLIB_OPTIMA)}
    report(sorted(by_name.values(), key=lambda r: order.get(r["name"], 999)), meta)


if __name__ == "__main__":
    main()
