"""A time limit keeps the best plan (issue 18, point 1).

``consortium solve --time-limit S`` must return within S + 10 % (start-up
included), with a plan never worse than the best one HiGHS had reported by
the time the solve handed its result on, read here from HiGHS's own
improving-solution callback by an independent recorder
(``tests/limit_probe.py``), and say truthfully what stopped the search.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from consortium.backends import highs as hb
from consortium.backends.base import SolverOptions, Status
from consortium.backends.runs import TIME_LIMIT
from consortium.generate import generate, write_instance
from consortium.io.instance import load
from consortium.solving.build import build
from consortium.verify import verify_solution

PROBE = Path(__file__).resolve().parent / "limit_probe.py"
DEMO = ROOT / "instances" / "demo" / "suzhou.json"


@pytest.fixture(scope="module")
def instances(tmp_path_factory):
    made: dict[int, Path] = {}

    def get(seed: int) -> Path:
        if seed not in made:
            p = tmp_path_factory.mktemp(f"prov{seed}") / "prov.json"
            write_instance(generate(preset="provincial", seed=seed), p)
            made[seed] = p
        return made[seed]

    return get


def solve_limited(path: Path, limit: float, method: str, tmp: Path, slack: float = 0.0) -> dict:
    """One limited solve under the probe; the checks every run must pass.
    ``slack``: seconds allowed beyond S + 10 % for a machine loaded by the
    rest of the test suite (the slow test, run alone, allows none)."""
    rec, out = tmp / f"rec-{method}-{limit}.txt", tmp / f"plan-{method}-{limit}.json"
    cmd = [sys.executable, str(PROBE), str(rec), "solve", str(path), "--time-limit", str(limit),
           "--method", method, "--no-reasons", "-o", str(out)]
    t = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=3 * limit + 60)
    elapsed = time.monotonic() - t
    assert p.returncode == 0, p.stderr[-2000:]
    assert "Traceback" not in p.stderr
    assert elapsed <= 1.1 * limit + slack, f"{elapsed:.2f} s for --time-limit {limit}"
    data = json.loads(out.read_text())
    raw = json.loads(path.read_text())
    res = verify_solution(raw, data)
    assert res.ok, [v.message for v in res.violations]
    n = data["solver"]["model"]["columns"]
    lines = [ln.split() for ln in rec.read_text().splitlines()]
    returned = max(float(ln[1]) for ln in lines if ln[0] == "returned")
    found = [float(ln[2]) for ln in lines
             if ln[0] == "found" and int(ln[1]) == n and float(ln[3]) <= returned]
    best = max(found, default=None)
    if best is not None:
        assert data["objective"] >= best - 1e-6 * max(1.0, abs(best)), (best, data["objective"])
    # what stopped it, truthfully: nobody pressed Ctrl-C
    s = data["solver"]
    assert not s.get("interrupted")
    assert "Ctrl-C" not in s["message"] and "Interrupted" not in s["message"]
    if data["status"] == "feasible":
        assert s["stopped_by"] == TIME_LIMIT
        assert "time limit" in s["message"].lower()
    else:
        assert data["status"] == "optimal" and s.get("stopped_by") in (None, "gap")
    return {"elapsed": elapsed, "objective": data["objective"], "best_seen": best,
            "status": data["status"], "incumbents": len(found)}


def test_time_limit_keeps_the_best_plan_and_returns_on_time(instances, tmp_path):
    # HiGHS alone needs 25-60 s on a provincial instance: the limit binds
    # the default run shares 2 cores with the rest of the suite: 1.5 s of slack
    # for being starved of CPU (the slow test below holds S + 10 % exactly)
    r = solve_limited(instances(1), 5.0, "mip", tmp_path, slack=1.5)
    assert r["status"] == "feasible"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("method", ["mip", "auto"])
def test_limits_3_10_30_on_provincial_seeds(instances, tmp_path, seed, method):
    worst = 0.0
    for limit in (3.0, 10.0, 30.0):
        r = solve_limited(instances(seed), limit, method, tmp_path)
        worst = max(worst, r["elapsed"] / limit - 1.0)
        print(f"seed {seed} {method} limit {limit}: {r}")
    print(f"worst overrun {worst:+.1%}")


def test_a_run_that_does_not_stop_returns_its_best_incumbent(monkeypatch):
    """HiGHS finds plans, then does not stop at the deadline (as in its
    presolve): the answer is the best plan its callback reported, not the
    starting plan. Simulated: HiGHS runs to its end, then the guard says it
    did not finish."""
    import consortium.backends.highs as mod

    b = build(load(DEMO))
    lm = b.lm

    def never_stops(h, limit):
        h.run()
        return False, TIME_LIMIT

    monkeypatch.setattr(mod, "run_guarded", never_stops)
    start = np.zeros(lm.n_cols)  # forming nothing is a plan of the demo? only if nothing forced
    if not lm.is_feasible(start):
        from consortium.solving.solve import initial_plan

        start = initial_plan(b, SolverOptions(time_limit=10))
    assert start is not None and lm.is_feasible(start)
    r = hb.run_highs(lm, SolverOptions(time_limit=5.0), start)
    exact = hb.run_highs(lm, SolverOptions())
    assert r.status == Status.FEASIBLE and r.stopped == TIME_LIMIT and not r.interrupted
    assert r.objective == pytest.approx(exact.objective, rel=1e-9)
    assert r.objective > float(lm.obj @ start + lm.obj_offset) + 1.0
    assert lm.is_feasible(r.x)
    assert "best plan HiGHS had found" in r.message


def test_gap_reached_is_said(tmp_path):
    from click.testing import CliRunner

    from consortium.cli import cli

    out = tmp_path / "plan.json"
    r = CliRunner().invoke(cli, ["solve", str(DEMO), "--gap", "0.5", "--method", "mip",
                                 "--no-reasons", "-o", str(out)])
    assert r.exit_code == 0, r.output
    s = json.loads(out.read_text())["solver"]
    # HiGHS may prove the optimum before it reaches the gap; either is said as it is
    assert s.get("stopped_by") in (None, "gap")
    if s.get("stopped_by") == "gap":
        assert "gap asked for" in s["message"]
