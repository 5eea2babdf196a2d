"""``consortium serve`` without a browser: uploads validated with the command
line's messages, what-if re-solves on the worker's loaded model against fresh
solves, scenarios and their comparison, the repairs hook of issue 15, and
jobs whose worker dies (the server goes on). The page itself is driven in a
real browser by tests/test_serve_browser.py."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, ROOT, solve_verified

from consortium.cli import cli
from consortium.errors import InputError
from consortium.serve import work
from consortium.serve.jobs import Jobs
from consortium.serve.state import Scenario, UserSession, compare, overrides_from
from consortium.verify import verify_solution

DEMO = ROOT / "instances" / "demo" / "suzhou.json"
BOOK = ROOT / "instances" / "workbook" / "suzhou.xlsx"


def _run_in(folder: Path, *args: str):
    here = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(cli, list(args))
    finally:
        os.chdir(here)


@pytest.mark.parametrize("name", ["not-json.json", "empty.json", "level-above-9.json",
                                  "duplicate-key.json", "p7-after-cycle.json"])
def test_a_broken_upload_gets_the_command_lines_message(name):
    path = DATA / "invalid" / name
    r = _run_in(path.parent, "solve", name)
    assert r.exit_code == 2
    with pytest.raises(work.UploadError) as e:
        work.open_instance(name, path.read_bytes())
    assert "\n".join(e.value.errors) == r.stderr.strip()
    with pytest.raises(work.UploadError) as e:
        work.open_instance(name, b"\xff\xfe{")
    assert e.value.errors == [f"error: {name}: not UTF-8 text (invalid start byte at byte 0)"]


def test_a_workbook_upload_reads_as_import_does(tmp_path):
    import openpyxl

    good = work.open_instance("suzhou.xlsx", BOOK.read_bytes())
    r = CliRunner().invoke(cli, ["import", str(BOOK)])
    assert r.exit_code == 0
    assert good["raw"] == json.loads(r.stdout)
    wb = openpyxl.load_workbook(BOOK)
    ws = wb["actors"]
    col = [c.value for c in ws[1]].index("lat") + 1
    ws.cell(row=5, column=col, value=95)
    ws.cell(row=6, column=[c.value for c in ws[1]].index("cost") + 1, value="twelve")
    bad = tmp_path / "broken.xlsx"
    wb.save(bad)
    r = _run_in(tmp_path, "import", "broken.xlsx")
    assert r.exit_code == 2
    with pytest.raises(work.UploadError) as e:
        work.open_instance("broken.xlsx", bad.read_bytes())
    lines = e.value.warnings + e.value.errors
    assert "\n".join(lines) == r.stderr.strip() and "row 6, column cost" in lines[-1]
    with pytest.raises(work.UploadError) as e:
        work.open_instance("junk.xlsx", b"PK\x03\x04 not a zip")
    assert e.value.errors[0].startswith("error: junk.xlsx: not a readable .xlsx workbook")


class _Quiet:
    def __call__(self, *a, **k):
        pass

    phase = progress = __call__


@pytest.fixture
def own_cache():
    """The worker cache of this process as it was: what a test leaves in it
    (a session for its instance) is dropped after (other tests inspect it)."""
    from consortium.solving.runner import CACHE

    before = set(CACHE._items)
    yield CACHE
    for key in set(CACHE._items) - before:
        CACHE.drop(key)


def test_whatif_resolves_reuse_the_model_and_match_fresh_solves(own_cache):
    raw = json.loads(DEMO.read_text())
    text = json.dumps(raw, sort_keys=True)
    st = {"time_limit": None, "gap": 0.0, "highs": {}, "method": "auto", "threads": 1}
    base = work.solve_scenario(text, "sha-demo-test", {}, st, True, _Quiet())
    expected = json.loads((DEMO.parent / "suzhou.expected.json").read_text())
    assert base["objective"] == pytest.approx(expected["objective"], abs=1e-6)
    seen = []
    for budget in (75, 80, 65):
        ov = {"sponsors[suzhou].budget": budget}
        plan = work.solve_scenario(text, "sha-demo-test", ov, st, False, _Quiet())
        variant = copy.deepcopy(raw)
        variant["sponsors"][0]["budget"] = budget
        assert verify_solution(copy.deepcopy(variant), plan).ok
        fresh = solve_verified(variant)  # the single MILP proves the same optimum
        assert plan["objective"] == pytest.approx(fresh.objective, abs=1e-6)
        assert all(u["reason"] != "not formed" for u in plan["unformed"])  # reasons given
        seen.append(plan["solver"]["reused_model"])
    assert seen == [False, True, True]
    assert "t-wear" in plan_targets(work.solve_scenario(
        text, "sha-demo-test", {"sponsors[suzhou].budget": 75}, st, False, _Quiet()))
    # infeasible: the command line's diagnosis
    bad = work.solve_scenario(text, "sha-demo-test", {"policy.total_budget": 50}, st, False,
                              _Quiet())
    assert bad["status"] == "infeasible" and bad["diagnosis"]


def plan_targets(plan):
    return {c["target"] for c in plan["consortia"]}


def test_scenarios_overrides_and_who_moved():
    raw = json.loads(DEMO.read_text())
    assert overrides_from(raw, {"sponsors[suzhou].budget": 75, "policy.total_budget": "170",
                                "policy.require_both_ends": False,
                                "policy.weights.cost": 1.0}) == {
        "sponsors[suzhou].budget": 75, "policy.require_both_ends": False}
    assert overrides_from(raw, {"policy.total_budget": ""}) == {"policy.total_budget": None}
    with pytest.raises(InputError, match=r"policy.min_private_members: 1.5 is not a whole"):
        overrides_from(raw, {"policy.min_private_members": 1.5})
    a = {"status": "optimal", "objective": 10.0, "kpis": {"formed": 1, "targets": 2},
         "consortia": [{"target": "t1", "lead": "x", "members": ["x", "y"]}], "unformed": []}
    b = {"status": "optimal", "objective": 12.0, "kpis": {"formed": 2, "targets": 2},
         "consortia": [{"target": "t1", "lead": "x", "members": ["x", "z"]},
                       {"target": "t2", "lead": "y", "members": ["y"]}], "unformed": []}
    sess = UserSession("s")
    for i, p in enumerate([a, b, b, a]):
        sess.add(Scenario(f"s{i}", {}, p, {}))
    assert [s.name for s in sess.scenarios] == ["s0", "s2", "s3"]  # the oldest what-if went
    cmp = compare(sess.scenarios[:2], {"targets": [{"id": "t1"}, {"id": "t2"}]})
    moved = {r["actor"]: r for r in cmp["moved"]}
    assert set(moved) == {"y", "z"}
    assert moved["y"]["s0"] == "t1" and moved["y"]["s2"] == "t2 (lead)"
    assert moved["z"]["s0"] == "—"
    assert cmp["formed"][1] == {"target": "t2", "s0": "not formed",
                                "s2": "formed: lead y, 1 members"}


def test_repairs_come_from_explain_when_it_exists(monkeypatch):
    import consortium.api as api

    if not hasattr(api, "explain"):
        assert not work.explain_available()
        with pytest.raises(InputError):
            work.explain_job({}, {}, [], _Quiet())
    calls = []

    class Result:  # as issue 15's ExplainResult: .to_dict() is `explain --json`
        def to_dict(self):
            return {"instance": "demo", "targets": [
                {"target": "t-wear", "reason": "budget", "status": "unformed", "repairs": [
                    {"kind": "budget", "path": "sponsors[suzhou].budget", "from": 65,
                     "to": 72.3, "objective": 210.0, "formed": True, "label": "raise it"}],
                 "repair_set": None},
                {"target": "t-gan-sz", "reason": "exclusive", "status": "unformed",
                 "repairs": [], "repair_set": {"changes": [
                     {"kind": "a", "path": "policy.total_budget", "from": 170, "to": 200,
                      "label": None},
                     {"kind": "b", "path": "targets[t-gan-sz].value", "from": 1, "to": 2,
                      "label": None}], "objective": 230.0, "formed": True}}]}

    def fake_explain(instance, plan=None, targets=None, *, sets=True):
        calls.append((instance["name"], targets))
        return Result()

    monkeypatch.setattr(api, "explain", fake_explain, raising=False)
    assert work.explain_available()
    out = work.explain_job({"name": "demo"}, {}, ["t-wear", "t-gan-sz"], _Quiet())
    assert calls == [("demo", ["t-wear", "t-gan-sz"])]
    assert out[0]["repairs"] == [{"kind": "budget", "path": "sponsors[suzhou].budget",
                                  "from": 65, "to": 72.3, "objective": 210.0, "formed": True,
                                  "label": "raise it"}]
    opts = work.repair_options(out)
    assert [o["changes"] for o in opts] == [
        {"sponsors[suzhou].budget": 72.3},
        {"policy.total_budget": 200, "targets[t-gan-sz].value": 2}]
    assert opts[0]["text"] == "raise it (sponsors[suzhou].budget): 65 → 72.3"
    assert opts[1]["text"] == ("together: policy.total_budget: 170 → 200; "
                               "targets[t-gan-sz].value: 1 → 2")
    # the page offers each as a what-if to try
    from consortium.serve.app import repairs_view
    from consortium.serve.state import Opened

    sess = UserSession("r")
    sess.open(Opened(json.loads(DEMO.read_text()), "demo", "test"))
    sc = Scenario("plan as opened", {}, {"status": "optimal", "unformed": []}, {})
    sess.add(sc)
    sess.repairs[sc.name] = out
    view = str(repairs_view(sess, sc))
    assert view.count("'type': 'apply-repair'") == 2 and "raise it" in view


def _die(emit):
    os._exit(3)


def _fail(emit):
    raise InputError("targets[0].value: must be a number")


def _answer(x, emit):
    emit.phase("thinking")
    return x * 2


def test_a_dying_worker_fails_its_job_and_the_rest_goes_on():
    jobs = Jobs(workers=1)
    try:
        with pytest.raises(RuntimeError, match="worker process died"):
            jobs.run("die", _die, timeout=60)
        with pytest.raises(RuntimeError, match=r"targets\[0\]\.value: must be a number"):
            jobs.run("fail", _fail, timeout=60)
        assert jobs.run("ok", _answer, 21, timeout=60) == 42
    finally:
        jobs.close()


def test_serve_refuses_a_bad_instance_before_serving(tmp_path):
    r = CliRunner().invoke(cli, ["serve", str(tmp_path / "missing.json")])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "no such file" in r.stderr
    path = DATA / "invalid" / "level-above-9.json"
    want = _run_in(path.parent, "solve", path.name).stderr
    got = _run_in(path.parent, "serve", path.name)
    assert got.exit_code == 2 and got.stderr == want
    broken = (DATA / "invalid" / "not-json.json").read_bytes()
    want = CliRunner().invoke(cli, ["solve", "-"], input=broken).stderr
    got = CliRunner().invoke(cli, ["serve", "-"], input=broken)
    assert got.exit_code == 2 and got.stderr == want and want.startswith("error: -: ")


def test_a_sweep_from_the_page_and_its_figure(tmp_path, own_cache):
    from consortium.serve.figures import sweep_figure

    text = DEMO.read_text()
    st = {"time_limit": None, "gap": 0.0, "highs": {}, "method": "auto"}
    out = work.run_sweep_job(text, [("policy.total_budget", [80, 90, 170])],
                             str(tmp_path / "s" / "sweep.sqlite"), st, None, _Quiet())
    by = {r["policy.total_budget"]: r for r in out["rows"]}
    assert by[80]["status"] == "infeasible" and by[90]["status"] == "optimal"
    expected = json.loads((DEMO.parent / "suzhou.expected.json").read_text())
    assert by[170]["objective"] == pytest.approx(expected["objective"], abs=1e-6)
    fig = sweep_figure(out["rows"], "policy.total_budget")
    names = [t.name for t in fig.data]
    assert names[:2] == ["objective", "spend"] and "no plan (infeasible)" in names


def test_jobs_on_a_dask_cluster_report_progress(own_cache):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, processes=False, threads_per_worker=1,
                      dashboard_address=None) as cluster:
        jobs = Jobs(scheduler=cluster.scheduler_address)
        try:
            raw = json.loads(DEMO.read_text())
            text = json.dumps(raw, sort_keys=True)
            st = {"time_limit": None, "gap": 0.0, "highs": {}, "method": "auto", "threads": 1}
            jid = jobs.submit("solve", work.solve_scenario, text, "sha-dask", {}, st, True)
            import time

            end = time.monotonic() + 60
            while not jobs.get(jid).over and time.monotonic() < end:
                time.sleep(0.05)
            job = jobs.get(jid)
            assert job.state == "done", job.error
            assert job.phase == "done" and job.started is not None  # events arrived
            assert verify_solution(copy.deepcopy(raw), job.result).ok
        finally:
            jobs.close()


@pytest.mark.parametrize("name", ["r15-infeasible-mandatory.json", "r25-composition-min-max.json"])
def test_the_page_renders_any_plan(name, own_cache):
    """The whole page rendered from a session's state, for an infeasible plan
    (the diagnosis shown) and a regression instance's plan."""
    from consortium.serve.app import OUTPUTS, Server, _collect, render
    from consortium.serve.state import Opened

    path = ROOT / "instances" / "regression" / name
    if not path.exists():
        pytest.skip(f"{name} not in the regression set")
    opened = work.open_instance(name, path.read_bytes())
    st = {"time_limit": None, "gap": 0.0, "highs": {}, "method": "auto", "threads": 1}
    plan = work.solve_scenario(json.dumps(opened["raw"]), "sha-" + name, {}, st, True, _Quiet())

    from consortium.serve.jobs import Job

    done = Job("j", "solve", state="done", phase="done", result=plan, started=0.0, finished=1.0)

    class FakeJobs:  # the runner, its job finished
        mode, scheduler = "test", None

        def get(self, jid):
            return done if jid else None

    server = Server.__new__(Server)
    server.jobs = FakeJobs()
    sess = UserSession("x")
    sess.open(Opened(opened["raw"], opened["name"], name))
    sess.job, sess.job_kind = "j", "solve"
    sess.job_meta = {"name": "plan as opened", "overrides": {}, "settings": st, "fresh": True}
    assert _collect(server, sess)
    out = dict(zip([f"{c}.{p}" for c, p in OUTPUTS], render(server, sess), strict=True))
    assert out["shown.value"] == "plan as opened"
    if plan["status"] == "infeasible":
        assert plan["diagnosis"] and plan["diagnosis"][0] in sess.message
        assert out["contracts.rowData"] == []
    else:
        rows = out["contracts.rowData"]
        assert len(rows) == sum(len(c["contracts"]) for c in plan["consortia"])


def test_bad_page_input_gets_one_line_and_changes_nothing(tmp_path):
    """A what-if or sweep the page cannot run: the command line's line, no job."""
    from types import SimpleNamespace

    from consortium.serve.app import OUTPUTS, Server, act
    from consortium.serve.state import Opened

    server = Server.__new__(Server)
    server.jobs = SimpleNamespace(get=lambda jid: None, mode="test", scheduler=None)
    from consortium.serve.state import Sessions

    server.sessions, server.locks = Sessions(), {}
    sid = server.sessions.new()
    sess = server.sessions.get(sid)
    sess.open(Opened(json.loads(DEMO.read_text()), "demo", "test"))

    def press(trig, **kw):
        args = dict(contents=None, _ex=None, _solve=None, _resolve=None, _tick=None, shown=None,
                    click=None, consortium=None, _sweep=None, _remove=None, _repairs=None,
                    _apply=[], sid=sid, filename=None, example=None, profile="default",
                    time_limit=60, wi_values=[], custom_path=None, custom_value=None,
                    sweep_path=None, sweep_values=None) | kw
        ctx = SimpleNamespace(triggered_id=trig, triggered=[], states_list=[[]] * 10)
        out = act(server, ctx, *args.values())
        return dict(zip([f"{c}.{p}" for c, p in OUTPUTS], out, strict=True))

    r = CliRunner().invoke(cli, ["sweep", str(DEMO), "--set", "policy.total_budget=80:x",
                                 "-o", str(tmp_path / "x.sqlite")])
    out = press("run-sweep", sweep_path="policy.total_budget", sweep_values="80:x")
    assert out["message.children"] == r.stderr.strip() and sess.job is None
    out = press("resolve", custom_path="targets[nope].value", custom_value="3")
    assert out["message.children"].startswith("error: what-if: ") and sess.job is None
    out = press("resolve", custom_path="policy.max_state_share", custom_value="-1")
    assert "policy.max_state_share" in out["message.children"] and sess.job is None
    out = press("solve", profile="no-such-profile")
    assert out["message.children"].startswith("error: --profile: unknown profile")
