"""Sweeps survive faults (issue 18, point 5).

* a dask worker process of a real ``LocalCluster`` killed mid-sweep: its
  scenarios are retried (each stored once) or recorded as failed with the
  reason, and ``--resume --retry-failed`` completes them;
* two sweeps on one results file: the second refuses (a lock file);
* a full disk (a small tmpfs where the test may mount one; else a simulated
  "database or disk is full"): the sweep stops with a clear message, every
  committed row intact, and ``--resume`` completes the file;
* readers (pandas, ``read_results``) read the file while a sweep writes it.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from faults import FAULT_DIR_ENV, FAULT_ENV

from consortium.cli import cli
from consortium.sweep import apply_overrides, read_results
from consortium.verify import verify_solution

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "instances" / "demo" / "suzhou.json"
CONSORTIUM = Path(sys.executable).with_name("consortium")


def run(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)


def rows(path) -> list[dict]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM scenarios ORDER BY scenario")]
    finally:
        con.close()


def check_intact(path) -> list[dict]:
    """Every stored row has its plan, and every plan verifies against its variant."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        got = {i: json.loads(s) for i, s in con.execute("SELECT scenario, solution FROM plans")}
    finally:
        con.close()
    rs = rows(path)
    raw = json.loads(DEMO.read_text())
    for r in rs:
        if r["status"] in ("optimal", "feasible"):
            plan = got[r["scenario"]]
            assert verify_solution(apply_overrides(raw, json.loads(r["overrides"])), plan).ok
            assert plan["objective"] == pytest.approx(r["objective"], rel=1e-9)
    return rs


def start_sweep(out: Path, budgets: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([str(CONSORTIUM), "sweep", str(DEMO), "--set",
                             f"policy.total_budget={budgets}", "-o", str(out), "--no-progress",
                             *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def wait_rows(out: Path, n: int, p: subprocess.Popen, timeout: float = 120) -> int:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert p.poll() is None, f"the sweep ended early: {p.stderr.read()}"
        try:
            k = len(rows(out)) if out.exists() else 0
        except sqlite3.OperationalError:
            k = 0
        if k >= n:
            return k
        time.sleep(0.05)
    raise AssertionError("the sweep did not get going")


# ------------------------------------------------------------ a second sweep


def test_a_second_sweep_on_the_same_file_refuses(tmp_path):
    out = tmp_path / "one.sqlite"
    p = start_sweep(out, "100:190:10", "--workers", "1")  # 10 scenarios
    try:
        wait_rows(out, 1, p)
        for how in (["--resume"], ["--overwrite"], []):
            r = run("sweep", DEMO, "--set", "policy.total_budget=100:190:10", "-o", out, *how)
            assert r.exit_code == 2, r.output
            assert "is being written by another sweep (pid" in r.output, r.output
            assert f"pid {p.pid}" in r.output
            assert "Traceback" not in r.output
        assert p.wait(180) == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
    got = check_intact(out)
    assert [r["scenario"] for r in got] == list(range(10))
    # the lock went with the process: the file may be resumed now
    r = run("sweep", DEMO, "--set", "policy.total_budget=100:190:10", "-o", out, "--resume")
    assert r.exit_code == 0 and "10 of 10" in r.output


# ------------------------------------------------------------ a full disk


class FullAfter:
    """Store.commit that fails like SQLite on a full disk after ``n`` commits."""

    def __init__(self, n: int):
        self.n = n

    def install(self, monkeypatch):
        from consortium.sweep.store import Store

        real = Store.commit

        def commit(store, res):
            if self.n <= 0:
                raise sqlite3.OperationalError("database or disk is full")
            self.n -= 1
            real(store, res)

        monkeypatch.setattr(Store, "commit", commit)


def test_full_disk_simulated_stops_cleanly_and_resumes(tmp_path, monkeypatch):
    out = tmp_path / "full.sqlite"
    # a weight: solved in grid order (a budget sweep goes loosest first)
    grid = ["--set", "policy.weights.cost=0.5:1.0:0.1"]  # 6 scenarios
    with monkeypatch.context() as m:
        FullAfter(3).install(m)
        r = run("sweep", DEMO, *grid, "-o", out, "--workers", "1", "--chunk", "2")
    assert r.exit_code == 1, r.output
    assert "cannot write" in r.output and "disk is full" in r.output
    assert "3 of 6 scenarios committed, all intact" in r.output
    assert "Traceback" not in r.output
    got = check_intact(out)
    assert [x["scenario"] for x in got] == [0, 1, 2]
    r = run("sweep", DEMO, *grid, "-o", out, "--resume", "--workers", "1")
    assert r.exit_code == 0, r.output
    assert [x["scenario"] for x in check_intact(out)] == list(range(6))


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                       capture_output=True)
    return r.returncode == 0


@pytest.mark.slow
def test_full_disk_on_a_small_tmpfs(tmp_path):
    mnt = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    if not _mount_tmpfs(mnt, "96k"):
        pytest.skip("cannot mount a tmpfs here (the simulated full disk covers it)")
    try:
        out = mnt / "r.sqlite"
        grid = ["--set", "policy.weights.cost=0.5:1.5:0.05"]  # 21 scenarios: more than fits
        r = run("sweep", DEMO, *grid, "-o", out, "--workers", "1")
        assert r.exit_code in (1, 2), r.output
        assert "cannot write" in r.output and "Traceback" not in r.output
        if r.exit_code == 1:  # stopped after some commits
            assert "all intact" in r.output and "--resume" in r.output
            got = check_intact(out)
            assert [x["scenario"] for x in got] == list(range(len(got)))
            subprocess.run(["mount", "-o", "remount,size=16m", str(mnt)], check=True)
            r = run("sweep", DEMO, *grid, "-o", out, "--resume", "--workers", "1")
            assert r.exit_code == 0, r.output
            assert [x["scenario"] for x in check_intact(out)] == list(range(21))
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


# ------------------------------------------------------------ readers


def test_readers_read_while_a_sweep_writes(tmp_path):
    import pandas as pd

    out = tmp_path / "live.sqlite"
    p = start_sweep(out, "100:190:10", "--workers", "1")  # 10 scenarios
    seen = []
    try:
        wait_rows(out, 1, p)
        while p.poll() is None:
            con = sqlite3.connect(str(out), timeout=5)
            try:
                df = pd.read_sql("select * from scenarios", con)
            finally:
                con.close()
            res = read_results(out)
            assert len(res.rows) >= len(df) >= (seen[-1] if seen else 0)
            seen.append(len(df))
            time.sleep(0.02)
        assert p.returncode == 0, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
    assert len(seen) >= 3 and seen[0] < 10  # read while it was being written
    assert len(read_results(out).rows) == 10


# ------------------------------------------------------------ dask


def cluster(monkeypatch, **env):
    """A LocalCluster of 2 worker processes that see ``env`` (faults.py)."""
    distributed = pytest.importorskip("distributed")
    import dask

    for k, v in env.items():
        monkeypatch.setenv(k, v)  # before the workers (and their restarts) start
    # one retry of a task whose worker died, then it is lost (keeps the test short)
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        return distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                        dashboard_address=None)


# a weight: solved in grid order (a budget sweep goes loosest first)
GRID = ["--set", "policy.weights.cost=0.5:1.0:0.1"]  # 6 scenarios


def test_dask_worker_killed_once_its_scenarios_are_retried(monkeypatch, tmp_path):
    out = tmp_path / "retry.sqlite"
    with cluster(monkeypatch, **{FAULT_ENV: "killonce@2", FAULT_DIR_ENV: str(tmp_path)}) as c:
        r = run("sweep", DEMO, *GRID, "-o", out, "--scheduler", c.scheduler_address,
                "--chunk", "3")
    assert (tmp_path / "killed-2").exists()  # a worker process really died
    assert r.exit_code == 0, r.output
    got = check_intact(out)
    assert [x["scenario"] for x in got] == list(range(6))  # each once, none lost
    assert all(x["status"] == "optimal" for x in got)


@pytest.mark.slow
def test_dask_worker_killed_every_time_is_recorded_then_resumed(monkeypatch, tmp_path):
    out = tmp_path / "lost.sqlite"
    with cluster(monkeypatch, **{FAULT_ENV: "kill@4"}) as c:
        r = run("sweep", DEMO, *GRID, "-o", out, "--scheduler", c.scheduler_address,
                "--chunk", "3")
    monkeypatch.delenv(FAULT_ENV)
    assert r.exit_code == 1, r.output
    got = check_intact(out)
    assert [x["scenario"] for x in got] == list(range(6))  # none lost, none twice
    st = {x["scenario"]: x for x in got}
    assert all(st[i]["status"] == "optimal" for i in (0, 1, 2))  # the other chunk
    # scenario 3 was solved before the kill: stored as solved if its result
    # reached the client before the worker died, else failed like 4 and 5
    for i in (3, 4, 5):
        if i < 4 and st[i]["status"] == "optimal":
            continue
        assert st[i]["status"] == "failed"
        assert "KilledWorker" in st[i]["error"] or "died" in st[i]["error"], st[i]["error"]
    r = run("sweep", DEMO, *GRID, "-o", out, "--resume", "--retry-failed", "--workers", "1")
    assert r.exit_code == 0, r.output
    assert [x["status"] for x in check_intact(out)] == ["optimal"] * 6
