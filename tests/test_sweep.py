"""``consortium sweep`` and ``consortium plot`` (issue 4).

Every kept plan is checked by the independent verifier against its own
variant instance, and every row is compared with a separate solve of that
variant. The kill test kills a real sweep process with SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from faults import FAULT_ENV

from consortium.backends.base import SolverOptions
from consortium.cli import cli
from consortium.io.instance import from_dict
from consortium.solving.solve import solve_instance as solve
from consortium.sweep import (
    SweepError,
    apply_overrides,
    expand,
    parse_path,
    parse_range,
    parse_values,
    set_path,
)
from consortium.verify import verify_solution

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "instances" / "demo" / "suzhou.json"
CONSORTIUM = Path(sys.executable).with_name("consortium")

GRID = ["--set", "policy.total_budget=100:200:50", "--set", "policy.weights.cost=0.8,1.2"]


def raw_demo() -> dict:
    return json.loads(DEMO.read_text())


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


def rows(path) -> list[dict]:
    con = sqlite3.connect(str(path))
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM scenarios ORDER BY scenario")]
    finally:
        con.close()


def plans(path) -> dict[int, dict]:
    con = sqlite3.connect(str(path))
    try:
        return {i: json.loads(s) for i, s in con.execute("SELECT scenario, solution FROM plans")}
    finally:
        con.close()


def essential(r: dict) -> dict:
    """A row without what may differ between runs (times, worker)."""
    out = {k: v for k, v in r.items() if k not in ("solve_time_s", "worker")}
    for k in ("objective", "bound", "spend"):
        if out[k] is not None:
            out[k] = round(out[k], 6)
    out["gap"] = None if out["gap"] is None else round(out["gap"], 9)
    return out


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    """The 3 x 2 grid on the demo instance, 2 local worker processes."""
    out = tmp_path_factory.mktemp("sweep") / "grid.sqlite"
    r = run("sweep", DEMO, *GRID, "-o", out, "--workers", "2")
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def budget_run(tmp_path_factory):
    """A 1-D budget sweep whose lowest budget cannot pay for the mandatory target."""
    out = tmp_path_factory.mktemp("sweep") / "budget.sqlite"
    r = run("sweep", DEMO, "--set", "policy.total_budget=40,100,130,160,190", "-o", out,
            "--workers", "1")
    assert r.exit_code == 0, r.output
    return out


# ------------------------------------------------------------ values, grids


def test_range_parsing():
    assert parse_range("100:1000:50") == list(range(100, 1001, 50))
    assert parse_range("100:1000:50")[-1] == 1000 and all(isinstance(v, int)
                                                          for v in parse_range("1:5:2"))
    # decimal steps: no float drift, the end included when it lies on the grid
    assert parse_range("0.1:0.5:0.1") == [0.1, 0.2, 0.3, 0.4, 0.5]
    assert parse_range("0:1:0.3") == [0.0, 0.3, 0.6, 0.9]  # 1.0 is not on the grid
    assert parse_range("5:1:-2") == [5, 3, 1]
    assert parse_range("0.4:0.4:0.1") == [0.4]
    for bad in ("1:5:0", "5:1:1", "1:x:1", "1:2:3:4"):
        with pytest.raises(SweepError):
            parse_range(bad)
    assert parse_values("0.4,0.6,0.8") == [0.4, 0.6, 0.8]
    assert parse_values("10,null,true") == [10, None, True]
    assert parse_values("[1, 2.5]") == [1, 2.5]
    assert parse_values("100:300:100") == [100, 200, 300]
    with pytest.raises(SweepError):
        parse_values("1,,2")
    with pytest.raises(SweepError):
        parse_values("nan")


def test_grid_and_zip_expansion():
    g = expand([("a", [1, 2]), ("b", [3, 4, 5])])
    assert g.paths == ["a", "b"]
    assert g.scenarios == [{"a": a, "b": b} for a in (1, 2) for b in (3, 4, 5)]  # last fastest
    z = expand([("a", [1, 2, 3]), ("b", [4, 5, 6])], zipped=True)
    assert z.scenarios == [{"a": 1, "b": 4}, {"a": 2, "b": 5}, {"a": 3, "b": 6}]
    assert g.sha256 != z.sha256 and g.sha256 == expand([("a", [1, 2]), ("b", [3, 4, 5])]).sha256
    with pytest.raises(SweepError, match="differ in length"):
        expand([("a", [1, 2]), ("b", [3])], zipped=True)
    with pytest.raises(SweepError, match="twice"):
        expand([("a", [1]), ("a", [2])])


def test_paths_select_by_id_index_and_all():
    raw = raw_demo()
    before = json.dumps(raw)
    r = set_path(raw, "sponsors[suzhou].budget", 99.0)
    assert r["sponsors"][0]["budget"] == 99.0
    r = set_path(raw, "targets[*].max_distance_km", 500)
    assert {t["max_distance_km"] for t in r["targets"]} == {500}
    r = set_path(raw, "targets[3].value", 1.5)
    assert r["targets"][3]["value"] == 1.5
    r = apply_overrides(raw, {"policy.weights.cost": 2.0, "policy.max_state_share": 0.3,
                              "actors[0].bids.t-sic": 4.0})
    assert r["policy"]["weights"]["cost"] == 2.0 and r["policy"]["max_state_share"] == 0.3
    assert r["actors"][0]["bids"] == {"t-sic": 4.0}
    from_dict(r)
    assert json.dumps(raw) == before  # the base instance is never modified
    kinds = [s.kind for s in parse_path("targets['t-sic'].requirements[0].level")]
    assert kinds == ["key", "sel", "key", "sel", "key"]
    for bad, msg in [("policy.total_budgett", "did you mean 'total_budget'"),
                     ("sponsors[nowhere].budget", "no item with id 'nowhere'"),
                     ("targets[42].value", "out of range"),
                     ("targets.value", "is a list"),
                     ("policy.weights.speed", "unknown field 'speed'"),
                     ("policy.total_budget.x", "is a value")]:
        with pytest.raises(SweepError, match=msg):
            set_path(raw, bad, 1)


# --------------------------------------------------------- errors before solving


def _no_solving(monkeypatch):
    import consortium.solving.runner
    import consortium.solving.session

    def boom(*a, **k):
        raise AssertionError("solved although the input is invalid")

    monkeypatch.setattr(consortium.solving.session.Session, "resolve", boom)
    monkeypatch.setattr(consortium.solving.runner, "run_local", boom)


@pytest.mark.parametrize("args, needle", [
    (["--set", "policy.total_budgett=100,200"], "policy.total_budgett"),
    (["--set", "sponsors[atlantis].budget=10"], "sponsors[atlantis].budget"),
    (["--set", "policy.total_budget=100,200", "--set", "policy.max_state_share=0.5,-1"],
     "policy.max_state_share"),
    (["--set", "targets[*].min_members=20"], "min_members"),
    (["--set", "policy.total_budget=1:5:0"], "policy.total_budget"),
    (["--set", "policy.total_budget=1,2", "--set", "policy.weights.cost=1,2,3", "--zip"],
     "differ in length"),
    (["--set", "policy.total_budget"], "PATH=VALUES"),
    ([], "nothing to sweep"),
])
def test_invalid_sweep_is_exit_2_before_solving(tmp_path, monkeypatch, args, needle):
    _no_solving(monkeypatch)
    out = tmp_path / "r.sqlite"
    r = run("sweep", DEMO, *args, "-o", out, "--workers", "0")
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], r.output
    assert "Traceback" not in r.output and not out.exists()


def test_scenario_file_csv_and_json(tmp_path):
    csv_file = tmp_path / "cases.csv"
    csv_file.write_text("policy.total_budget,sponsors[suzhou].budget\n120,50\n160,\n")
    r = run("sweep", DEMO, "--scenarios", csv_file, "-o", tmp_path / "c.sqlite", "--dry-run")
    assert r.exit_code == 0, r.output
    assert 'policy.total_budget=120, sponsors[suzhou].budget=50' in r.output
    assert '1\tpolicy.total_budget=160' in r.output and "2 scenario(s)" in r.output
    js = tmp_path / "cases.json"
    js.write_text(json.dumps([{"policy.weights.cost": 1.1}, {"policy.weights.nope": 1}]))
    r = run("sweep", DEMO, "--scenarios", js, "-o", tmp_path / "j.sqlite")
    assert r.exit_code == 2 and "policy.weights.nope" in r.output


# ------------------------------------------------------------ results


def test_rows_equal_separate_solves_and_plans_verify(grid_run):
    raw = raw_demo()
    got = rows(grid_run)
    kept = plans(grid_run)
    assert [r["scenario"] for r in got] == list(range(6))
    assert all(r["worker"].startswith("local-") for r in got)
    for r in got:
        ov = json.loads(r["overrides"])
        assert ov == {"policy.total_budget": r["policy.total_budget"],
                      "policy.weights.cost": r["policy.weights.cost"]}
        variant = apply_overrides(raw, ov)
        ref = solve(from_dict(variant), SolverOptions(threads=1), reasons=False)
        assert r["status"] == ref.status.value == "optimal"
        assert r["objective"] == pytest.approx(ref.objective, rel=1e-6, abs=1e-6)
        assert r["spend"] == pytest.approx(ref.kpis["spend"], rel=1e-6)
        assert r["formed"] == len(json.loads(r["formed_targets"])) == len(json.loads(r["leads"]))
        plan = kept[r["scenario"]]
        assert plan["sweep"]["overrides"] == ov
        res = verify_solution(variant, plan)
        assert res.ok, [v.message for v in res.violations]
        assert res.objective == pytest.approx(r["objective"], rel=1e-6)
    # a higher budget never lowers the objective; a higher cost weight lowers it
    by = {(r["policy.total_budget"], r["policy.weights.cost"]): r["objective"] for r in got}
    assert by[(100, 0.8)] <= by[(150, 0.8)] <= by[(200, 0.8)]
    assert by[(150, 1.2)] < by[(150, 0.8)]
    con = sqlite3.connect(str(grid_run))
    meta = dict(con.execute("SELECT key, value FROM meta"))
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    import hashlib

    assert meta["instance_sha256"] == hashlib.sha256(DEMO.read_bytes()).hexdigest()
    assert json.loads(meta["paths"]) == ["policy.total_budget", "policy.weights.cost"]


def test_deterministic_across_worker_counts(grid_run, tmp_path):
    out = tmp_path / "one.sqlite"
    r = run("sweep", DEMO, *GRID, "-o", out, "--workers", "1", "--export", tmp_path / "one.parquet")
    assert r.exit_code == 0, r.output
    assert [essential(x) for x in rows(out)] == [essential(x) for x in rows(grid_run)]
    import pandas as pd

    df = pd.read_parquet(tmp_path / "one.parquet")
    assert len(df) == 6 and "policy.total_budget" in df.columns


def test_infeasible_scenario_is_a_status_not_a_failure(tmp_path):
    out = tmp_path / "inf.sqlite"
    r = run("sweep", DEMO, "--set", "targets[t-sic].max_distance_km=1,1100", "-o", out, "--workers",
            "0")
    assert r.exit_code == 0, r.output
    a, b = rows(out)
    assert a["status"] == "infeasible" and a["error"] is None and a["objective"] is None
    assert b["status"] == "optimal"
    assert plans(out)[0]["status"] == "infeasible" and plans(out)[0]["diagnosis"]


def test_exception_recorded_as_failed_inprocess(tmp_path, monkeypatch):
    import consortium.solving.session

    real = consortium.solving.session.Session.resolve

    def flaky(self, inst=None, **kw):
        target = inst if inst is not None else self.inst
        if target.policy.total_budget == 150:
            raise RuntimeError("solver exploded on purpose")
        return real(self, inst, **kw)

    monkeypatch.setattr(consortium.solving.session.Session, "resolve", flaky)
    out = tmp_path / "f.sqlite"
    r = run("sweep", DEMO, "--set", "policy.total_budget=100,150,200", "-o", out, "--workers", "0")
    assert r.exit_code == 1, r.output
    got = rows(out)
    assert [x["status"] for x in got] == ["optimal", "failed", "optimal"]
    assert "solver exploded on purpose" in got[1]["error"]
    assert 1 not in plans(out)
    # --resume --retry-failed solves the failed scenario again (now without the fault)
    monkeypatch.setattr(consortium.solving.session.Session, "resolve", real)
    r = run("sweep", DEMO, "--set", "policy.total_budget=100,150,200", "-o", out, "--workers", "0",
            "--resume", "--retry-failed")
    assert r.exit_code == 0, r.output
    assert [x["status"] for x in rows(out)] == ["optimal"] * 3


def test_worker_death_recorded_and_pool_restarted(tmp_path):
    out = tmp_path / "death.sqlite"
    r = run("sweep", DEMO, "--set", "policy.total_budget=100:200:20", "-o", out, "--workers", "2",
            "--chunk", "3", env={FAULT_ENV: "kill@1,raise@4"})
    assert r.exit_code == 1, r.output
    got = rows(out)
    assert [x["scenario"] for x in got] == list(range(6))
    st = {x["scenario"]: x for x in got}
    assert st[1]["status"] == "failed"
    assert "worker process died (killed by SIGKILL)" in st[1]["error"]
    assert st[4]["status"] == "failed" and "injected fault" in st[4]["error"]
    assert all(st[i]["status"] == "optimal" for i in (0, 2, 3, 5))
    assert "restarting" in r.output


def test_worker_blocked_by_a_runaway_solve_is_replaced(tmp_path):
    # "busy": as if a HiGHS run abandoned at a time limit still held the first
    # worker; that worker hands its chunk back and a fresh process solves it.
    # (a weight: solved in grid order, where a budget sweep goes loosest first)
    out = tmp_path / "busy.sqlite"
    r = run("sweep", DEMO, "--set", "policy.weights.cost=0.8,0.9,1.0,1.1", "-o", out,
            "--workers", "1", "--chunk", "2", env={FAULT_ENV: "busy@1"})
    assert r.exit_code == 0, r.output
    got = rows(out)
    assert [x["status"] for x in got] == ["optimal"] * 4
    assert got[0]["worker"].startswith("local-0:") and got[1]["worker"].startswith("local-1:")


# ------------------------------------------------------------ resume


def test_method_decompose_per_scenario(tmp_path):
    """``--method decompose``: every scenario is solved by the decomposition by
    target (as ``consortium solve --method decompose`` would), each plan passes
    the verifier, its bound holds against the exact optimum of its variant, and
    resuming with another method is refused."""
    out = tmp_path / "dec.sqlite"
    r = run("sweep", DEMO, "--set", "policy.total_budget=100,200", "-o", out, "--workers", "0",
            "--method", "decompose", "--gap", "0.01")
    assert r.exit_code == 0, r.output
    from consortium.solving.runner import CACHE

    sessions = [st.session for st in CACHE.values() if getattr(st, "session", None) is not None]
    assert sessions and not any(s.loaded for s in sessions)  # the whole model never went to HiGHS
    raw = raw_demo()
    kept = plans(out)
    for row in rows(out):
        plan = kept[row["scenario"]]
        assert plan["solver"]["message"].startswith("decomposition by target"), plan["solver"]
        variant = apply_overrides(raw, json.loads(row["overrides"]))
        res = verify_solution(variant, plan)
        assert res.ok, [v.message for v in res.violations]
        exact = solve(from_dict(variant), SolverOptions(threads=1, method="mip"), reasons=False)
        assert row["objective"] <= exact.objective + 1e-6
        assert row["bound"] >= exact.objective - 1e-6
        assert row["gap"] <= 0.01 + 1e-9
    r = run("sweep", DEMO, "--set", "policy.total_budget=100,200", "-o", out, "--workers", "0",
            "--gap", "0.01", "--resume")
    assert r.exit_code == 2 and "other solver options" in r.output, r.output


def test_resume_of_a_file_from_before_method(tmp_path):
    """Results files written before ``--method`` existed have no method in
    their solver options: every scenario was then one MILP, so they resume
    with ``--method mip`` and not with a method that might decompose."""
    out = tmp_path / "old.sqlite"
    args = ["sweep", DEMO, "--set", "policy.total_budget=100,200", "-o", out, "--workers", "0"]
    assert run(*args, "--method", "mip").exit_code == 0
    con = sqlite3.connect(str(out))
    solver = json.loads(con.execute("SELECT value FROM meta WHERE key = 'solver'").fetchone()[0])
    assert solver["method"] == "mip"
    del solver["method"]
    con.execute("UPDATE meta SET value = ? WHERE key = 'solver'", (json.dumps(solver),))
    con.commit()
    con.close()
    r = run(*args, "--resume")
    assert r.exit_code == 2 and "other solver options" in r.output, r.output
    r = run(*args, "--resume", "--method", "mip")
    assert r.exit_code == 0 and "2 of 2" in r.output, r.output
    assert [x["status"]
            for x in rows(out)] == ["optimal", "optimal"]  # every plan verified by the sweep
    raw = raw_demo()
    for row in rows(out):
        res = verify_solution(apply_overrides(raw, json.loads(row["overrides"])),
                              plans(out)[row["scenario"]])
        assert res.ok, [v.message for v in res.violations]


def test_refuses_to_resume_a_different_instance_or_grid(grid_run, tmp_path):
    r = run("sweep", DEMO, *GRID, "-o", grid_run)
    assert r.exit_code == 2 and "--resume" in r.output and "--overwrite" in r.output
    r = run("sweep", DEMO, "--set", "policy.total_budget=100,150", "-o", grid_run, "--resume")
    assert r.exit_code == 2 and "different grid" in r.output, r.output
    other = tmp_path / "other.json"
    raw = raw_demo()
    raw["targets"][1]["value"] = 71.0
    other.write_text(json.dumps(raw))
    r = run("sweep", other, *GRID, "-o", grid_run, "--resume")
    assert r.exit_code == 2 and "different instance" in r.output, r.output
    r = run("sweep", DEMO, *GRID, "-o", grid_run, "--resume", "--time-limit", "5")
    assert r.exit_code == 2 and "other solver options" in r.output, r.output
    before = rows(grid_run)
    r = run("sweep", DEMO, *GRID, "-o", grid_run, "--resume")  # complete already: nothing to do
    assert r.exit_code == 0 and "6 of 6" in r.output
    assert rows(grid_run) == before


def test_kill_9_then_resume(tmp_path):
    out = tmp_path / "kill.sqlite"
    grid = ["--set", "policy.total_budget=100:210:10", "--set",
            "policy.weights.cost=0.9,1.1"]  # 24 scenarios
    n = 24
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    p = subprocess.Popen([str(CONSORTIUM), "sweep", str(DEMO), *grid, "-o", str(out), "--workers",
                          "2",
                          "--chunk", "4", "--no-progress"], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline and p.poll() is None:
        if out.exists():
            try:
                con = sqlite3.connect(str(out), timeout=1)
                done = con.execute("SELECT count(*) FROM scenarios").fetchone()[0]
                con.close()
            except sqlite3.OperationalError:
                done = 0
            if done >= 3:
                break
        time.sleep(0.05)
    assert p.poll() is None, (f"the sweep ended before it could be killed: "
                              f"{p.stderr.read().decode()}")
    os.kill(p.pid, signal.SIGKILL)
    p.wait(10)
    p.stderr.close()
    killed_at = len(rows(out))
    assert 3 <= killed_at < n
    r = run("sweep", DEMO, *grid, "-o", out, "--resume", "--workers", "2", "--chunk", "4")
    assert r.exit_code == 0, r.output
    got = rows(out)
    assert [x["scenario"] for x in got] == list(range(n))  # every scenario exactly once
    assert sorted(plans(out)) == list(range(n))
    clean = tmp_path / "clean.sqlite"
    r = run("sweep", DEMO, *grid, "-o", clean, "--workers", "2", "--chunk", "4")
    assert r.exit_code == 0, r.output
    ref = rows(clean)
    for a, b in zip(got, ref, strict=False):
        assert a["status"] == b["status"] == "optimal"
        assert a["objective"] == pytest.approx(b["objective"], rel=1e-6, abs=1e-6)


# ------------------------------------------------------------ dask


def test_dask_cluster_gives_the_local_rows(grid_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    out = tmp_path / "dask.sqlite"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        r = run("sweep", DEMO, *GRID, "-o", out, "--scheduler", cluster.scheduler_address)
    assert r.exit_code == 0, r.output
    got = rows(out)
    assert [essential(x) for x in got] == [essential(x) for x in rows(grid_run)]
    assert all(x["worker"].startswith("tcp://") for x in got)
    raw = raw_demo()
    for sid, plan in plans(out).items():
        assert verify_solution(apply_overrides(raw, json.loads(got[sid]["overrides"])), plan).ok


# ------------------------------------------------------------ plots


def test_plot_line_png_and_svg(budget_run, tmp_path):
    st = [x["status"] for x in rows(budget_run)]
    assert st[0] == "infeasible" and st[1:] == ["optimal"] * 4
    png = tmp_path / "b.png"
    r = run("plot", budget_run, "--x", "policy.total_budget", "-o", png)
    assert r.exit_code == 0, r.output
    assert png.stat().st_size > 5000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "b.svg"
    r = run("plot", budget_run, "-o", svg)
    assert r.exit_code == 0, r.output
    text = svg.read_text()
    assert "policy.total_budget (CNY million)" in text
    assert "objective (CNY million)" in text and "spend (CNY million)" in text
    assert "consortia formed" in text and "suzhou-demo" in text and "t-sic" in text


def test_plot_heatmap_and_errors(grid_run, tmp_path):
    svg = tmp_path / "h.svg"
    r = run("plot", grid_run, "--x", "policy.total_budget", "--by", "policy.weights.cost", "--y",
            "spend",
            "-o", svg)
    assert r.exit_code == 0, r.output
    text = svg.read_text()
    assert "heat map" in r.output
    assert "policy.weights.cost (weight)" in text and "spend (CNY million)" in text
    r = run("plot", grid_run, "--x", "policy.nothing", "-o", tmp_path / "x.png")
    assert r.exit_code == 2 and "not a swept path" in r.output
    r = run("plot", grid_run, "-o", tmp_path / "x.jpg")
    assert r.exit_code == 2 and ".png, .svg" in r.output


# ------------------------------------------------------------ solve order


def test_solve_order_is_loosest_first_for_limits_only():
    from consortium.sweep.grid import looser_when_larger, solve_order

    assert looser_when_larger("policy.total_budget") == 1
    assert looser_when_larger("policy.total_budget_by_year.2027") == 1
    assert looser_when_larger("sponsors[suzhou].budget") == 1
    assert looser_when_larger("sponsors[suzhou].budget_by_year.2027") == 1
    assert looser_when_larger("actors[*].max_consortia") == 1
    assert looser_when_larger("programme.milestones[0].min_formed") == -1
    # rules that rewrite coefficients or rows, but only ever loosen one way
    assert looser_when_larger("policy.max_state_share") == 1
    assert looser_when_larger("policy.min_private_members") == -1
    assert looser_when_larger("policy.min_outside_members") == -1
    # other columns or another objective: nothing proven carries over
    assert looser_when_larger("targets[*].max_distance_km") == 0
    assert looser_when_larger("targets[t1].budget") == 0
    assert looser_when_larger("policy.weights.cost") == 0
    assert looser_when_larger("targets[t1].value") == 0
    assert looser_when_larger("actors[a1].bids.max_x") == 0  # a target id, not a field
    g = expand([("policy.total_budget", [100, 150, 200])])
    assert solve_order(g, [0, 1, 2]) == [2, 1, 0]
    g = expand([("programme.milestones[0].min_formed", [0, 1, 2]),
                ("sponsors[s1].budget", [50, 100])])
    # the loosest of the first path first, then of the second
    assert solve_order(g, list(range(6))) == [1, 0, 3, 2, 5, 4]
    g = expand([("policy.total_budget", [100, 200]), ("policy.weights.cost", [0.8, 1.2])])
    assert solve_order(g, [0, 1, 2, 3]) == [0, 1, 2, 3]  # a weight: kept as given


def test_chunks_of_a_loosening_grid_are_neighbours_in_looseness():
    from consortium.sweep.grid import chunks_of, default_chunk

    # a state-share grid given out of order: chunks of neighbours in
    # looseness (a quarter of the grid each), each loosest first
    vals = [0.5, 0.3, 0.9, 0.4, 1.0, 0.6, 0.8, 0.7]
    g = expand([("policy.max_state_share", vals)])
    chunks = chunks_of(g, list(range(len(vals))))
    assert [[vals[i] for i in ch] for ch in chunks] == [[1.0, 0.9], [0.8, 0.7], [0.6, 0.5],
                                                         [0.4, 0.3]]
    assert chunks_of(g, [0, 1, 2], size=2) == [[2, 0], [1]]  # --chunk, and resumed rows
    # other paths: a quarter of the grid, in the grid's order
    g = expand([("policy.weights.cost", vals)])
    assert chunks_of(g, list(range(8))) == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert default_chunk(20) == 5 and default_chunk(200) == 8 and default_chunk(1) == 1


def test_budget_sweep_answers_looser_budgets_from_the_loosest_plan(tmp_path):
    """Grid order from tight to loose; the sweep solves the loosest first, and
    every budget its plan still fits is answered without a solve; every row is
    what a separate solve proves, every plan verifies."""
    raw = raw_demo()
    budgets = [130, 160, 190, 250, 400, 1000]
    out = tmp_path / "b.sqlite"
    r = run("sweep", DEMO, "--set", "policy.total_budget=" + ",".join(map(str, budgets)),
            "-o", out, "--workers", "0", "--chunk", str(len(budgets)))
    assert r.exit_code == 0, r.output
    got, kept = rows(out), plans(out)
    loosest = kept[len(budgets) - 1]
    spend = loosest["kpis"]["spend"]
    # (the loosest is the grid's anchor: the worker proves it before the first
    # chunk, and its own row is then answered from that proof too)
    answered = rows_as_separate_solves(raw, got, kept,
                                       lambda row: row["policy.total_budget"] >= spend + 1e-6)
    assert answered >= 1


def rows_as_separate_solves(raw: dict, got: list, kept: dict, carried) -> int:
    """Every row is what a separate solve of its variant proves and its plan
    verifies; the rows ``carried(row)`` says a looser proof answers are
    answered without a solve. Returns how many those were."""
    answered = 0
    for row in got:
        variant = apply_overrides(raw, json.loads(row["overrides"]))
        ref = solve(from_dict(variant), SolverOptions(threads=1), reasons=False)
        assert row["status"] == ref.status.value
        if ref.status.has_plan:
            assert row["objective"] == pytest.approx(ref.objective, rel=1e-6, abs=1e-6)
            res = verify_solution(variant, kept[row["scenario"]])
            assert res.ok, [v.message for v in res.violations]
        if carried(row):
            assert "no solve needed" in kept[row["scenario"]]["solver"]["message"]
            answered += 1
    return answered


def test_state_share_sweep_answers_looser_shares_from_the_loosest_plan(tmp_path):
    """The state share rewrites rule 7's coefficients (and at 1 drops its
    rows), yet a tighter share only tightens: the sweep solves the loosest
    first and answers every share the loosest plan keeps within from that
    proof; every row is what a separate solve proves, every plan verifies."""
    raw = raw_demo()
    shares = [0.2, 0.4, 0.6, 0.8, 1.0]
    out = tmp_path / "s.sqlite"
    r = run("sweep", DEMO, "--set", "policy.max_state_share=" + ",".join(map(str, shares)),
            "-o", out, "--workers", "0", "--chunk", str(len(shares)))
    assert r.exit_code == 0, r.output
    got, kept = rows(out), plans(out)
    loosest = kept[len(shares) - 1]  # (the anchor, proven before the first chunk)
    kinds = {a["id"]: (a["type"], a.get("ownership")) for a in raw["actors"]}

    def state_share(plan: dict) -> float:
        worst = 0.0
        for c in plan["consortia"]:
            state = sum(kinds[m][0] == "enterprise" and kinds[m][1] == "state"
                        for m in c["members"])
            worst = max(worst, state / max(1, len(c["members"])))
        return worst

    within = state_share(loosest)
    answered = rows_as_separate_solves(raw, got, kept,
                                       lambda row: row["policy.max_state_share"] >= within)
    assert answered >= 1


def test_every_chunk_starts_from_the_anchor_and_rows_do_not_depend_on_chunks(tmp_path):
    """The grid's loosest scenario (its anchor) is proven once per worker and
    every chunk starts from that proof: with chunks of one scenario each, the
    looser budgets are still answered without a solve, and the rows are the
    same as with one chunk for the whole grid."""
    from consortium.sweep.grid import anchor, expand

    budgets = [130, 160, 190, 250, 400, 1000]
    g = expand([("policy.total_budget", budgets)])
    assert anchor(g) == {"policy.total_budget": 1000}
    assert anchor(expand([("policy.total_budget", budgets), ("policy.weights.cost", [1, 2])])) \
        is None  # a weight: no scenario is the loosest
    two = expand([("policy.total_budget", [100, 200]), ("policy.max_state_share", [0.5, 0.8])])
    assert anchor(two) == {"policy.total_budget": 200, "policy.max_state_share": 0.8}
    out = {}
    for chunk in (1, len(budgets)):
        out[chunk] = tmp_path / f"c{chunk}.sqlite"
        r = run("sweep", DEMO, "--set", "policy.total_budget=" + ",".join(map(str, budgets)),
                "-o", out[chunk], "--workers", "0", "--chunk", str(chunk))
        assert r.exit_code == 0, r.output
    one, whole = plans(out[1]), plans(out[len(budgets)])
    spend = whole[len(budgets) - 1]["kpis"]["spend"]
    answered = 0
    raw = raw_demo()
    for sid, plan in one.items():
        assert plan["objective"] == pytest.approx(whole[sid]["objective"], rel=1e-9, abs=1e-9)
        variant = apply_overrides(raw, {"policy.total_budget": budgets[sid]})
        res = verify_solution(variant, plan)
        assert res.ok, [v.message for v in res.violations]
        if budgets[sid] >= spend + 1e-6:
            assert "no solve needed" in plan["solver"]["message"]
            answered += 1
    assert answered >= 2


def test_ctrl_c_while_the_anchor_is_proven_stops_the_sweep(tmp_path, monkeypatch):
    """Ctrl-C reaches the anchor's solve as any other: the engine stops and
    says so, and the sweep stops there (nothing committed) instead of going
    on without the anchor."""
    from consortium.sweep.scenario import SweepSession

    original = SweepSession.resolve
    calls = []

    def stopped(self, *a, **kw):
        sol = original(self, *a, **kw)
        calls.append(kw.get("looseness"))
        if len(calls) == 1:  # the anchor's solve, the first of the worker
            sol.solver["interrupted"] = True  # as if Ctrl-C had stopped HiGHS
        return sol

    monkeypatch.setattr(SweepSession, "resolve", stopped)
    out = tmp_path / "i.sqlite"
    grid = expand([("policy.total_budget", [130, 250, 1000])])
    from consortium.sweep.runner import run_sweep

    summary = run_sweep(DEMO, grid, out, workers=0)
    assert calls[0] == (("policy.total_budget", 1000.0),)  # (the loosest budget)
    assert summary.interrupted
    assert summary.solved == 0


def test_scenarios_that_set_different_paths_carry_no_proof_to_each_other(tmp_path):
    """A scenarios file may leave a path blank in some rows (the instance's own
    value there). A row that sets only the total budget and one that sets only
    the state share are not comparable: neither's proof may answer the other,
    and the sweep must not fail on them."""
    raw = raw_demo()
    tight = round(raw["policy"]["total_budget"] * 0.6, 2)  # (binds: a lower optimum)
    csv = tmp_path / "s.csv"
    csv.write_text(f"policy.total_budget,policy.max_state_share\n{tight},\n,0.9\n,0.5\n"
                   f"{raw['policy']['total_budget']},0.8\n")
    out = tmp_path / "s.sqlite"
    r = run("sweep", DEMO, "--scenarios", csv, "-o", out, "--workers", "0", "--chunk", "3")
    assert r.exit_code == 0, r.output
    got, kept = rows(out), plans(out)
    assert len(got) == 4
    rows_as_separate_solves(raw, got, kept, lambda row: False)


def test_distance_sweep_solves_every_limit_on_the_loosest_model(tmp_path):
    """A distance sweep solves every scenario on the model of the grid's
    loosest limits, its own limits as column bounds: the loosest first, and
    every limit its plan keeps within is answered from that proof; the
    tighter ones re-plan the consortia beyond reach, and one with no plan
    gets its own model's diagnosis. Every row is what a separate solve of the
    scenario proves, every plan verifies."""
    from bruteforce import haversine_km

    from consortium.sweep.grid import expand, reach_envelope, solve_order

    raw = raw_demo()
    kms = [40, 60, 80, 120, 400]
    g = expand([("targets[*].max_distance_km", kms)])
    assert reach_envelope(raw, g) == [400] * len(raw["targets"])
    assert solve_order(g, list(range(5)), lifted=True) == [4, 3, 2, 1, 0]
    assert solve_order(g, list(range(5))) == [0, 1, 2, 3, 4]
    assert reach_envelope(raw, expand([("policy.total_budget", [100, 200])])) is None
    # (t-sic keeps its own limit: its fixed member is 189 km from its site)
    ids = ["t-gan-sz", "t-laser", "t-mab", "t-wear", "t-euv"]
    sets = [a for t in ids for a in ("--set", f"targets[{t}].max_distance_km="
                                     + ",".join(map(str, kms)))]
    out = tmp_path / "d.sqlite"
    r = run("sweep", DEMO, "--zip", *sets, "-o", out, "--workers", "0", "--chunk", str(len(kms)))
    assert r.exit_code == 0, r.output
    got, kept = rows(out), plans(out)
    where = {s["id"]: (s["lat"], s["lon"]) for s in raw["sites"]}
    at = {a["id"]: (a["lat"], a["lon"]) for a in raw["actors"]}

    def reach(plan: dict) -> float:
        return max((haversine_km(*at[m], *where[c["site"]]) for c in plan["consortia"]
                    if c["target"] in ids for m in c["members"]), default=0.0)

    within = reach(kept[len(kms) - 1])
    answered = rows_as_separate_solves(
        raw, got, kept, lambda row: row["targets[t-laser].max_distance_km"] >= within + 1e-6)
    assert answered >= 1
    solved = [row for row in got if row["status"] == "optimal"]
    assert all("distance_limits" in kept[row["scenario"]]["solver"] for row in solved)
    assert len({round(row["objective"], 6) for row in solved}) >= 2  # the limits bind
    infeasible = [row for row in got if row["status"] == "infeasible"]
    assert infeasible and all("t-laser" in " ".join(kept[row["scenario"]]["diagnosis"])
                              for row in infeasible)
