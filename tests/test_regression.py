"""The regression set: `consortium check` over instances/, expected values
cross-checked by brute force, and `check` catching what it must catch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from bruteforce import brute_force
from click.testing import CliRunner
from conftest import ROOT

from consortium import check as chk
from consortium.cli import cli

REGRESSION = ROOT / "instances" / "regression"
FILES = sorted(p for p in REGRESSION.glob("*.json") if not p.name.endswith(".expected.json"))


def test_regression_set_is_large_enough():
    assert len(FILES) >= 12
    for p in FILES:
        assert chk.expected_path(p).exists(), f"{p.name} has no expected result"


def test_check_passes_on_shipped_instances(tmp_path):
    junit = tmp_path / "report.xml"
    r = CliRunner().invoke(cli, ["check", str(ROOT / "instances"), "--junit", str(junit)])
    assert r.exit_code == 0, r.output
    assert "0 failed" in r.output
    assert 'failures="0"' in junit.read_text()


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_expected_optimum_agrees_with_brute_force(path):
    expected = json.loads(chk.expected_path(path).read_text())
    bf = brute_force(json.loads(path.read_text()))
    if expected["status"] == "infeasible":
        assert bf.objective is None
    else:
        assert expected["status"] == "optimal"
        assert bf.objective == pytest.approx(expected["objective"], rel=1e-6, abs=1e-6)


def _copy(tmp_path: Path, name: str) -> Path:
    src = REGRESSION / f"{name}.json"
    shutil.copy(src, tmp_path / src.name)
    shutil.copy(chk.expected_path(src), chk.expected_path(tmp_path / src.name))
    return tmp_path / src.name


def test_check_catches_a_changed_expected_value(tmp_path):
    p = _copy(tmp_path, "r02-redundancy")
    e = chk.expected_path(p)
    data = json.loads(e.read_text())
    data["objective"] += 0.5
    e.write_text(json.dumps(data))
    r = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert r.exit_code == 1
    assert "DIFF" in r.output and "objective: expected" in r.output


def test_check_catches_a_broken_plan(tmp_path, monkeypatch):
    import consortium.solving.solve as solve_mod

    real = solve_mod.solve_instance

    def broken(*a, **k):
        sol = real(*a, **k)
        sol.consortia[0].contracts[0].reward += 1.0  # arithmetic no longer adds up
        return sol

    monkeypatch.setattr(solve_mod, "solve_instance", broken)
    _copy(tmp_path, "r02-redundancy")
    r = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert r.exit_code == 1
    assert "PLAN FAILS VERIFY" in r.output


def test_update_writes_only_proven_results(tmp_path):
    src = REGRESSION / "r07-conflicts.json"
    shutil.copy(src, tmp_path / src.name)
    r = CliRunner().invoke(cli, ["check", str(tmp_path), "--update"])
    assert r.exit_code == 0, r.output
    written = json.loads(chk.expected_path(tmp_path / src.name).read_text())
    assert written == {"status": "optimal", "objective": pytest.approx(
        json.loads(chk.expected_path(src).read_text())["objective"])}
    # A time-limited run that is not proven optimal is never written.
    o = chk.Outcome(str(tmp_path / "x.json"), None, {"status": "feasible", "proven": False}, 0.1,
                    "NEW")
    assert "not updated" in chk.update([o])[0]
    assert not (tmp_path / "x.expected.json").exists()


def test_parallel_check_matches_sequential():
    seq = chk.run(FILES[:6], workers=0)
    par = chk.run(FILES[:6], workers=2)
    assert [(o.path, o.verdict, o.got["objective"]) for o in seq] == \
           [(o.path, o.verdict, o.got["objective"]) for o in par]
