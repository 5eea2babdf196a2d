"""The exact engine's first round under the bound by target, side by side (issue 12).

For each scenario (a provincial instance with its total budget times F),
one child process per run solves it exactly in a fresh session
(``consortium.solving.session.Session``, HiGHS's two threads) with the
engine's ``TB_FIRST_STEP`` as shipped and with it set to ``--other``
(default 0: the round 0.2 % under the bound, as before the 9th session),
arms alternated, ``--repeat`` runs each. Both arms must prove the same
optimum; the table gives the median seconds, the rounds and the free
binaries of each arm's rounds, and the peak memory of its processes.

    python benchmarks/bench_first_step.py                         # seed 1 at 0.55, 0.7, 0.85
    python benchmarks/bench_first_step.py --seeds 1,2 --factors 0.75,1.0 --repeat 3
    python benchmarks/bench_first_step.py --other 0.006
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import consortium_exe, fmt, log, machine_line, median, python_exe, table  # noqa: E402

CHILD = r"""
import json, resource, sys, time
from consortium.backends.base import SolverOptions
from consortium.io.instance import from_dict
from consortium.solving.engine import exact
from consortium.solving.session import Session
from consortium.sweep.paths import apply_overrides
path, factor, step = sys.argv[1], float(sys.argv[2]), sys.argv[3]
if step != "shipped":
    exact.TB_FIRST_STEP = float(step)
raw = json.load(open(path))
raw = apply_overrides(raw, {"policy.total_budget": raw["policy"]["total_budget"] * factor})
sess = Session(from_dict(raw), SolverOptions(gap=0, threads=2))
t = time.perf_counter()
sol = sess.resolve(None)
o = sess.engine.last
print(json.dumps({"s": time.perf_counter() - t, "objective": sol.objective,
                  "status": sol.status.value, "rounds": o.rounds, "free": o.free,
                  "mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1", help="provincial seeds (comma list)")
    ap.add_argument("--factors", default="0.55,0.7,0.85", help="total budget factors")
    ap.add_argument("--other", type=float, default=0.0, help="TB_FIRST_STEP of the other arm")
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    log(machine_line())
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for seed in a.seeds.split(","):
            inst = Path(work) / f"prov{seed}.json"
            subprocess.run(consortium_exe() + ["generate", "--preset", "provincial", "--seed",
                                               seed, "-o", str(inst)], check=True,
                           capture_output=True)
            for f in a.factors.split(","):
                runs: dict[str, list[dict]] = {"shipped": [], str(a.other): []}
                for _ in range(a.repeat):
                    for arm in runs:
                        p = subprocess.run([python_exe(), "-c", CHILD, str(inst), f, arm],
                                           capture_output=True, text=True, cwd=work, check=True)
                        runs[arm].append(json.loads(p.stdout.strip().splitlines()[-1]))
                        log(f"seed {seed} f={f} {arm}: {runs[arm][-1]}")
                objs = {round(r["objective"], 6) for rs in runs.values() for r in rs}
                if len(objs) != 1:
                    raise SystemExit(f"seed {seed} f={f}: the arms disagree: {sorted(objs)}")
                mine, other = runs["shipped"], runs[str(a.other)]
                rows.append([seed, f, objs.pop(), fmt(median(r["s"] for r in other)),
                             f"{other[0]['rounds']} {other[0]['free']}",
                             fmt(median(r["s"] for r in mine)),
                             f"{mine[0]['rounds']} {mine[0]['free']}",
                             f"{max(r['mb'] for r in other):.0f} / "
                             f"{max(r['mb'] for r in mine):.0f}"])
    print(table(["seed", "budget x", "optimum", f"step {a.other} s", "rounds, free",
                 "shipped s", "rounds, free", "peak MB"], rows))


if __name__ == "__main__":
    main()
