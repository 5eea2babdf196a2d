"""``consortium report``: one self-contained HTML page (content, figures, no external
resources, invalid inputs exit 2) and a headless-browser check that it renders."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from consortium.cli import cli
from consortium.io.instance import from_dict, load
from consortium.report import read_sweep, render_report
from consortium.result.money import fmt
from consortium.solving.solve import solve_instance as solve
from consortium.verify import verify_solution

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "instances" / "demo" / "suzhou.json"


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo instance, its verified optimal plan, and the report written by the CLI."""
    d = tmp_path_factory.mktemp("report")
    raw = json.loads(DEMO.read_text())
    sol = solve(load(DEMO)).to_dict()
    assert verify_solution(raw, sol).ok
    (d / "plan.json").write_text(json.dumps(sol))
    sweep = d / "sweep.sqlite"
    make_sweep(sweep)
    r = run("report", str(DEMO), str(d / "plan.json"), "-o", str(d / "report.html"), "--sweep",
            str(sweep))
    assert r.exit_code == 0, r.output
    return {"dir": d, "raw": raw, "sol": sol,
            "html": (d / "report.html").read_text(encoding="utf-8")}


def make_sweep(path: Path, with_rows: bool = True) -> None:
    """A results file laid out as `consortium sweep` writes it (one column per swept path)."""
    con = sqlite3.connect(path)
    con.execute('CREATE TABLE scenarios (scenario INTEGER PRIMARY KEY, overrides TEXT NOT NULL, '
                '"policy.total_budget" REAL, status TEXT NOT NULL, objective REAL, bound REAL, gap '
                'REAL, '
                "spend REAL, formed INTEGER, formed_targets TEXT, leads TEXT, solve_time_s REAL, "
                "worker TEXT, "
                "error TEXT)")
    if with_rows:
        for i, (b, obj, sp, st) in enumerate([(100, None, None, "infeasible"),
                                              (120, 142.04, 109.82, "optimal"),
                                              (140, 192.27, 133.69, "optimal"),
                                              (180, 204.99, 165.57, "optimal")]):
            con.execute("INSERT INTO scenarios (scenario, overrides, \"policy.total_budget\", "
                        "status, objective, "
                        "spend, formed) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (i, json.dumps({"policy.total_budget": b}), b, st, obj, sp, None
                         if obj is None else 4))
    con.commit()
    con.close()


class Outline(HTMLParser):
    """Headings, tag counts and every URL-bearing attribute of a page."""

    def __init__(self):
        super().__init__()
        self.tags: dict[str, int] = {}
        self.urls: list[str] = []
        self.headings: list[str] = []
        self._in_h = False

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag in ("h1", "h2", "h3"):
            self._in_h = True
            self.headings.append("")
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "action", "data", "poster") and v:
                self.urls.append(v)

    def handle_endtag(self, tag):
        if tag in ("h1", "h2", "h3"):
            self._in_h = False

    def handle_data(self, data):
        if self._in_h:
            self.headings[-1] += data


def outline(page: str) -> Outline:
    o = Outline()
    o.feed(page)
    return o


# ---------------------------------------------------------------- content


def test_every_consortium_member_and_unformed_target_appears(demo):
    page, sol = demo["html"], demo["sol"]
    inst = load(DEMO)
    names = {a.id: a.name for a in inst.actors}
    heads = outline(page).headings
    for c in sol["consortia"]:
        assert any(h.startswith(f"{c['target']} — ") for h in heads), c["target"]
        assert f'id="c-{c["target"]}"' in page
        section = page.split(f'id="c-{c["target"]}"')[1].split("</section>")[0]
        for a in c["members"]:
            assert f">{a}<" in section, (c["target"], a)
            assert names[a].replace("&", "&amp;") in section
        assert f"<b>{c['lead']}</b>" in section  # the lead, in bold
        assert f"{c['spend']:,.2f}" in section  # its total row
    for u in sol["unformed"]:
        assert f">{u['target']}<" in page and u["reason"].split(" (")[0] in page
    for h in ("Summary", "Consortia", "Map of sites and members", "Network of formed consortia",
              "Budget use per sponsor", "Targets not formed", "Sweep"):
        assert h in heads
    assert "Checked by the independent verifier" in page


def test_figures_are_inline_svg_and_nothing_is_external(demo):
    page = demo["html"]
    o = outline(page)
    assert o.tags.get("svg", 0) == 4  # map, network, budgets, sweep
    assert page.count("<figure>") == 4
    assert o.tags.get("script", 0) == 0 and o.tags.get("link", 0) == 0 and o.tags.get("img", 0) == 0
    assert o.tags.get("iframe", 0) == 0
    # Every URL-bearing attribute is a fragment inside the page.
    assert o.urls and all(u.startswith("#") for u in o.urls), [u for u in o.urls
                                                               if not u.startswith("#")]
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    assert "@import" not in page
    # "http" may appear only in visible text (none here): not in any tag.
    assert not re.search(r"<[^>]*https?:", page)
    # Sizes of the figures for the map: members are joined to their site by lines.
    assert page.count("<svg") == 4 and "<?xml" not in page and "<!DOCTYPE svg" not in page


def test_budget_and_kpi_numbers(demo):
    page, sol = demo["html"], demo["sol"]
    k = sol["kpis"]
    for s, v in k["budget_use"]["sponsors"].items():
        assert fmt(v["spend"]) in page, s  # rounded as every output rounds it
    assert fmt(k["budget_use"]["total"]["spend"]) in page
    assert f"{len(sol['consortia'])} of 7" in page
    assert "(CNY million)" in page
    # the actors in two consortia are flagged
    multi = {a for a, n in _joins(sol).items() if n > 1}
    assert multi
    for a in multi:
        assert re.search(rf">{re.escape(a)}<span class=\"badge multi\"", page)


def _joins(sol):
    out = {}
    for c in sol["consortia"]:
        for a in c["members"]:
            out[a] = out.get(a, 0) + 1
    return out


def test_sweep_section(demo):
    page = demo["html"]
    sweep = page.split('id="sweep"')[1]
    assert "policy.total_budget" in sweep and "<svg" in sweep
    assert "infeasible" in sweep  # the row without a plan is listed


def test_sweep_missing_table_is_skipped(tmp_path, demo):
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    sw = read_sweep(empty)
    assert sw.note and not sw.rows
    page = render_report(load(DEMO), demo["sol"], sweep=sw)
    assert "no scenarios table" in page and page.count("<svg") == 3


def test_no_plan_and_no_budget_render(tmp_path):
    """An infeasible plan (no consortia) still gives a page, with its diagnosis."""
    raw = json.loads(DEMO.read_text())
    inst = from_dict(raw)
    sol = {"format": "consortium-solution/1", "instance": "suzhou-demo", "status": "infeasible",
           "objective": None, "bound": None, "gap": None, "solver": {}, "consortia": [],
           "unformed": [{"target": t.id, "reason": "no plan"} for t in inst.targets], "kpis": {},
           "diagnosis": ["targets t-sic: nobody may lead it"]}
    page = render_report(inst, sol)
    assert "No consortium is formed" in page and "nobody may lead it" in page
    assert page.count("<svg") == 1  # budgets only


# ---------------------------------------------------------------- invalid input


@pytest.mark.parametrize("mutate,needle", [
    (lambda s: s["consortia"][0].update(target="t-nowhere"),
     "consortia[0].target: unknown target 't-nowhere'"),
    (lambda s: s["consortia"][1]["members"].append("ghost"),
     "consortia[1].members[3]: unknown actor 'ghost'"),
    (lambda s: s.update(format="other/1"), "format: unknown format 'other/1'"),
    (lambda s: s["consortia"][0]["contracts"][0].update(reward="a lot"),
     "reward: not a finite number"),
])
def test_invalid_solution_exit_2_one_line(tmp_path, demo, mutate, needle):
    sol = json.loads(json.dumps(demo["sol"]))
    mutate(sol)
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(sol))
    out = tmp_path / "r.html"
    r = run("report", str(DEMO), str(p), "-o", str(out))
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], r.stderr
    assert not out.exists()


def test_invalid_files_exit_2(tmp_path, demo):
    good = demo["dir"] / "plan.json"
    (tmp_path / "trunc.json").write_text('{"format": ')
    (tmp_path / "notdb.sqlite").write_text("hello, I am not SQLite" * 100)
    bad_inst = tmp_path / "inst.json"
    raw = json.loads(DEMO.read_text())
    raw["sites"][0]["lat"] = 95
    bad_inst.write_text(json.dumps(raw))
    cases = [
        (str(DEMO), str(tmp_path / "trunc.json"), []),
        (str(DEMO), str(tmp_path / "missing.json"), []),
        (str(bad_inst), str(good), []),
        (str(DEMO), str(good), ["--sweep", str(tmp_path / "notdb.sqlite")]),
        (str(DEMO), str(good), ["--sweep", str(tmp_path / "absent.sqlite")]),
    ]
    for inst, sol, extra in cases:
        r = run("report", inst, sol, "-o", str(tmp_path / "r.html"), *extra)
        assert r.exit_code == 2, (inst, sol, extra, r.output)
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert not (tmp_path / "r.html").exists()


def test_a_plan_breaking_rules_is_reported_not_hidden(tmp_path, demo):
    sol = json.loads(json.dumps(demo["sol"]))
    sol["consortia"][0]["spend"] += 1.0
    page = render_report(load(DEMO), sol, verify_raw=demo["raw"])
    assert "This plan breaks" in page


# ---------------------------------------------------------------- a real browser


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None,
                    reason="chromium is not installed (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(demo, tmp_path):
    url = (demo["dir"] / "report.html").resolve().as_uri()
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr", "--v=0"]
    png = tmp_path / "report.png"
    shot = subprocess.run(base + [f"--screenshot={png}", "--window-size=1280,2000", url],
                          capture_output=True, text=True, timeout=120)
    assert png.exists() and png.stat().st_size > 20_000, shot.stderr[-2000:]
    dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    o = outline(dom.stdout)
    assert o.tags.get("svg", 0) == 4
    assert o.tags.get("table", 0) >= len(demo["sol"]["consortia"]) + 2
    assert "Network of formed consortia" in o.headings and demo["raw"]["name"] in o.headings
    for log in (shot.stderr, dom.stderr):
        assert "Uncaught" not in log
        assert not re.search(r"CONSOLE\(\d+\)|Failed to load resource|net::ERR_", log), log[-2000:]
    # keep the screenshot next to the report for a human to look at
    shutil.copy(png, demo["dir"] / "report.png")
