"""``error``: the solver failed (HiGHS load, model, presolve, solve or postsolve
error). It is not ``no_solution`` (a limit reached before any plan), and the
command line exits with status 4."""

from __future__ import annotations

import json
import sqlite3

import highspy
from click.testing import CliRunner
from conftest import ROOT

from consortium.backends.base import RawResult, Status
from consortium.backends.highs import STATUS_TABLE
from consortium.cli import cli

DEMO = ROOT / "instances" / "demo" / "suzhou.json"
MS = highspy.HighsModelStatus


def failed_run(*_a, **_k) -> RawResult:
    return RawResult(
        Status.ERROR, None, None, None, None, 0.01, "highs", "test", message="Solve error"
    )


def test_highs_errors_map_to_error():
    for ms in (
        MS.kLoadError,
        MS.kModelError,
        MS.kPresolveError,
        MS.kSolveError,
        MS.kPostsolveError,
    ):
        assert STATUS_TABLE[ms] == (Status.ERROR, Status.ERROR), ms
    assert not Status.ERROR.has_plan
    assert Status.NO_SOLUTION not in {
        v for pair in STATUS_TABLE.values() for v in pair if v == Status.ERROR
    }


def test_solve_exits_4_on_a_solver_error(tmp_path, monkeypatch):
    import consortium.solving.solve as solve_mod

    monkeypatch.setattr(solve_mod, "run_backend", failed_run)
    out = tmp_path / "plan.json"
    r = CliRunner().invoke(cli, ["solve", str(DEMO), "-o", str(out)])
    assert r.exit_code == 4, r.output
    assert "no plan: error" in r.stderr
    data = json.loads(out.read_text())
    assert data["status"] == "error" and data["consortia"] == []
    assert all(u["reason"] == "no plan (error)" for u in data["unformed"])


def test_sweep_records_a_solver_error_as_failed(tmp_path, monkeypatch):
    from consortium.backends.highs import LoadedModel

    monkeypatch.setattr(LoadedModel, "run", failed_run)
    out = tmp_path / "e.sqlite"
    r = CliRunner().invoke(
        cli,
        [
            "sweep",
            str(DEMO),
            "--set",
            "policy.total_budget=150",
            "-o",
            str(out),
            "--workers",
            "0",
            "--method",
            "mip",
        ],
    )
    assert r.exit_code == 1, r.output
    con = sqlite3.connect(out)
    ((status, error),) = con.execute("SELECT status, error FROM scenarios").fetchall()
    con.close()
    assert status == "failed" and error == "solver: Solve error"
