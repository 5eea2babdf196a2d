"""A revision against the working tree: ``consortium solve`` end to end, side by side.

For start-up work (imports, parsing, validation, verification): the package
of ``--rev`` is exported with ``git archive`` to a temporary folder and put
first on ``PYTHONPATH`` for the "before" arm; the "after" arm is the working
tree (the venv's install). Both run in the same venv, alternating, each run
in its own process (wall, CPU and peak memory from ``wait4``); the table
gives medians.

    python benchmarks/bench_startup.py --rev a808527 instances/demo/suzhou.json
    python benchmarks/bench_startup.py --rev HEAD~3 --repeat 10 a.json b.json \
        --args="--no-reasons --gap 0"
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402  # isort: skip
    ROOT, fmt, log, machine_line, median, precompile, python_exe, run_child, save_json, table,
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instances", nargs="+", help="instance files")
    ap.add_argument("--rev", required=True, help="the 'before' revision (git)")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--args", default="", help="extra arguments of consortium solve")
    ap.add_argument("--json-out")
    a = ap.parse_args()
    log(machine_line())
    out_rows, saved = [], []
    with tempfile.TemporaryDirectory() as tmp:
        before = Path(tmp) / "before"
        before.mkdir()
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", a.rev, "consortium", "solvers"],
                             check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(before)], input=tar, check=True)
        precompile(before, ROOT / "consortium", ROOT / "solvers")
        for inst in a.instances:
            cmd = [python_exe(), "-m", "consortium", "solve", str(Path(inst).resolve()),
                   "-o", str(Path(tmp) / "out.json"), *shlex.split(a.args)]
            runs: dict[str, list] = {"before": [], "after": []}
            for i in range(a.repeat):
                for arm in (("before", "after") if i % 2 == 0 else ("after", "before")):
                    env = dict(__import__("os").environ)
                    if arm == "before":
                        env["PYTHONPATH"] = str(before)
                    r = run_child(cmd, cwd=tmp, env=env)
                    if r.rc != 0:
                        sys.exit(f"{arm} failed on {inst} (exit {r.rc}): {r.stderr.strip()[-300:]}")
                    runs[arm].append(r)
            m = {arm: (median(r.wall_s for r in rs), median(r.cpu_s for r in rs),
                       median(r.maxrss_mb for r in rs))
                 for arm, rs in runs.items()}
            out_rows.append([Path(inst).name, fmt(m["before"][0], 3), fmt(m["after"][0], 3),
                             fmt(m["after"][0] / m["before"][0], 3), fmt(m["before"][1], 3),
                             fmt(m["after"][1], 3),
                             fmt(m["before"][2], 0), fmt(m["after"][2], 0),
                             fmt(median(r.load_before for rs in runs.values() for r in rs), 1)])
            saved.append({"instance": inst, "rev": a.rev,
                          "runs": {arm: [r.__dict__ | {"stdout": "", "stderr": ""} for r in rs]
                                   for arm, rs in runs.items()}})
            log(f"{inst}: done")
    print(f"\n{a.rev} ('before') against the working tree ('after'), "
          f"{a.repeat} alternating runs each, medians\n")
    print(table(["instance", "wall before s", "wall after s", "after/before", "CPU before s",
                 "CPU after s",
                 "peak MB before", "peak MB after", "load"], out_rows))
    save_json(a.json_out, saved)


if __name__ == "__main__":
    main()
