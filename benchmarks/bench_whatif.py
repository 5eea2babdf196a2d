"""Benchmark (issue 15): ranked alternatives of a formed target, exact, on the provincial preset.

Three arms per target, side by side in one run, each a child process,
repeated (medians):

* ``solve``: ``consortium solve INSTANCE --gap 0 --no-reasons`` (one exact solve);
* ``alternatives``: ``consortium explain INSTANCE PLAN --alternatives T --json``
  (top 10 exact, every other choice proven below them); its own figure
  ``time_s`` (the alternatives alone, after the base solve) is reported beside
  the process's wall time;
* ``one choice``: the instance with the best alternative lead fixed
  (``fixed.leads``), solved exactly: what one solve per choice costs for each
  of the target's choices (the naive exact method; ``naive`` below is that
  time times the number of choices).

Every run's ranking must be the same (objectives to 1e-6).

    .venv/bin/python benchmarks/bench_whatif.py                      # t001 t002 t028, 3 runs
    .venv/bin/python benchmarks/bench_whatif.py --targets t001 --repeat 5 --json out.json

Target of the issue: within 5 s per target on the provincial preset.
"""

from __future__ import annotations

import argparse
import copy
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
    run_child,
    save_json,
    table,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--targets", nargs="+", default=["t001", "t002", "t028"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", dest="json_out")
    a = ap.parse_args()
    exe = consortium_exe()
    tmp = Path(tempfile.mkdtemp(prefix="bench-whatif-"))
    inst = tmp / "provincial.json"
    r = run_child([*exe, "generate", "--preset", "provincial", "--seed", str(a.seed),
                   "-o", str(inst)])
    assert r.rc == 0, r.stderr
    plan = tmp / "plan.json"
    solves = []
    for _ in range(a.repeat):
        r = run_child([*exe, "solve", str(inst), "--gap", "0", "--no-reasons", "-q",
                       "-o", str(plan)])
        assert r.rc == 0, r.stderr
        solves.append(r.wall_s)
    log(f"solve: {median(solves):.2f} s")
    raw = json.loads(inst.read_text())
    rows, out = [], {"machine": machine_line(), "seed": a.seed, "solve_s": solves, "targets": {}}
    for t in a.targets:
        walls, own, rss, ranking = [], [], [], None
        res = None
        for _ in range(a.repeat):
            o = tmp / f"alt-{t}.json"
            r = run_child([*exe, "explain", str(inst), str(plan), "--alternatives", t,
                           "--json", "-o", str(o)])
            assert r.rc == 0, r.stderr
            res = json.loads(o.read_text())
            got = [round(x["objective"], 6) for x in res["alternatives"]
                   if x["status"] == "optimal"]
            assert ranking is None or got == ranking, (t, got, ranking)
            ranking = got
            walls.append(r.wall_s)
            own.append(res["time_s"])
            rss.append(r.maxrss_mb)
        assert res is not None
        n_choices = len(res["alternatives"])
        lead = next((x for x in res["alternatives"] if x["kind"] == "lead"
                     and x["status"] == "optimal"), None)
        one = []
        if lead is not None:
            v = copy.deepcopy(raw)
            v.setdefault("fixed", {}).setdefault("leads", {})[t] = lead["actor"]
            vf = tmp / f"fixed-{t}.json"
            vf.write_text(json.dumps(v))
            for _ in range(a.repeat):
                r = run_child([*exe, "solve", str(vf), "--gap", "0", "--no-reasons", "-q",
                               "-o", str(tmp / "fixed-sol.json")])
                assert r.rc == 0, r.stderr
                one.append(r.wall_s)
        naive = None if not one else median(one) * n_choices
        log(f"{t}: alternatives {median(own):.2f} s ({median(walls):.2f} s in all), "
            f"one choice {fmt(median(one))} s x {n_choices}")
        rows.append([t, n_choices, res["certificates"], res["solves"], fmt(median(own)),
                     fmt(median(walls)), fmt(median(rss), 0), fmt(median(one)), fmt(naive, 0),
                     fmt(None if naive is None else naive / median(walls), 0)])
        out["targets"][t] = {"alternatives_s": own, "wall_s": walls, "maxrss_mb": rss,
                             "one_choice_s": one, "choices": n_choices,
                             "certificates": res["certificates"], "solves": res["solves"],
                             "ranking": ranking}
    print(machine_line())
    print(f"provincial seed {a.seed}; one exact solve: {fmt(median(solves))} s (median of "
          f"{a.repeat})")
    print(table(["target", "choices", "certificates", "MILPs", "alternatives s",
                 "process s", "peak MB", "one choice s", "naive s", "naive / ours"], rows))
    save_json(a.json_out, out)


if __name__ == "__main__":
    main()
