"""``consortium serve`` in a real headless browser.

The real server (``consortium serve`` as a subprocess, on a free port, two
worker processes) driven by the system's Chromium through playwright: open
the demo, solve, click a consortium on the map, change a sponsor's budget and
re-solve, compare the two scenarios, download the plan (verified), upload a
broken file and see the command line's message, check that a second
browser session sees none of the first one's scenarios (and solves its own)
and that nothing was fetched from anywhere but the server; where issue 15's
``consortium.api.explain`` exists, ask for the repairs and try one.

``CONSORTIUM_SCREENSHOT=1`` also writes the README's screenshot, docs/img/serve.png.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, ROOT, solve_verified

from consortium.cli import cli
from consortium.serve import work
from consortium.verify import verify_solution

DEMO = ROOT / "instances" / "demo" / "suzhou.json"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover (the test extra installs it)
    sync_playwright = None


def _why_skip() -> str | None:
    if sync_playwright is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if CHROMIUM is None:
        return ("no browser: chromium is not installed (.ci/run installs it: apt-get install "
                "chromium)")
    return None


pytestmark = pytest.mark.skipif(_why_skip() is not None, reason=_why_skip() or "")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real server on a free port (``--port 0``: it prints the address)."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "consortium", "serve", str(DEMO),
                                 "--port", "0", "--workers", "2"], stdout=subprocess.DEVNULL,
                                stderr=err, env=env, cwd=ROOT)
    url = None
    end = time.monotonic() + 60
    while time.monotonic() < end and url is None:
        m = re.search(r"(http://127\.0\.0\.1:\d+/)", log.read_text())
        url = m.group(1) if m else None
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    assert url, log.read_text()
    yield url, proc, log
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()
        pytest.fail("the server did not stop on SIGTERM")


def _click_point(page, trace_name: str) -> None:
    """A real mouse click on a marker of the map's trace ``trace_name``: the one
    farthest from any other trace's marker (plotly picks the nearest point)."""
    box = page.evaluate(
        """(name) => {
            const gd = document.querySelector('#map .js-plotly-plot');
            const traces = [...gd.querySelectorAll('.scatterlayer .trace')];
            const centre = el => { const r = el.getBoundingClientRect();
                                   return {x: r.x + r.width / 2, y: r.y + r.height / 2}; };
            const i = gd._fullData.findIndex(t => t.name === name && t.mode === 'markers');
            const mine = [...traces[i].querySelectorAll('path.point')].map(centre);
            const others = traces.filter((_, k) => k !== i)
                .flatMap(t => [...t.querySelectorAll('path.point')].map(centre));
            const room = p => Math.min(...others.map(q => Math.hypot(p.x - q.x, p.y - q.y)));
            return mine.reduce((a, b) => room(b) > room(a) ? b : a);
        }""", trace_name)
    page.mouse.move(box["x"], box["y"])
    page.wait_for_timeout(150)  # plotly settles its hover (throttled) before the click
    page.mouse.click(box["x"], box["y"])


def _cli_error(path: Path) -> str:
    """The line ``consortium solve FILE`` prints for a broken file, run where it lies."""
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        r = CliRunner().invoke(cli, ["solve", path.name])
    finally:
        os.chdir(here)
    assert r.exit_code == 2
    return r.stderr.strip()


def test_serve_in_headless_chromium(server, tmp_path):
    url, proc, log = server
    raw = json.loads(DEMO.read_text())
    expected = json.loads((DEMO.parent / "suzhou.expected.json").read_text())
    outside: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1500},
                                      accept_downloads=True)
            page = ctx.new_page()
            page.set_default_timeout(60_000)
            page.on("request", lambda r: outside.append(r.url)
                    if not r.url.startswith((url, "data:", "blob:")) else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            page.wait_for_selector("text=suzhou-demo")

            # ---- solve, with live progress
            page.click("#solve")
            page.wait_for_selector("#progress-line")
            page.wait_for_selector("#kpis .status-optimal")
            kpis = page.inner_text("#kpis")
            assert f"{expected['objective']:.4f}" in kpis and "5 of 7" in kpis
            assert "solve: done" in page.inner_text("#progress")

            # ---- click a consortium on the map: its contracts and its network
            _click_point(page, "t-laser")
            page.wait_for_selector("text=Contracts of t-laser")
            grid = page.inner_text("#contracts")
            assert "huaxin-photonics" in grid and "cass-3g" not in grid
            page.wait_for_function("() => document.querySelector('#network')"
                                   ".innerText.includes('t-laser: lead')")

            # ---- the plan downloaded passes the independent verifier
            with page.expect_download() as dl:
                page.click("#tab-downloads")
                page.click("#dl-plan")
            plan = json.loads(Path(dl.value.path()).read_text())
            assert verify_solution(copy.deepcopy(raw), plan).ok
            assert plan["objective"] == pytest.approx(expected["objective"], abs=1e-6)

            # ---- what-if: the Suzhou budget up to 75, re-solved on the built model
            page.click("#tab-whatif")
            box = page.locator('[id*="sponsors[suzhou].budget"]')
            box.fill("75")
            page.click("#resolve")
            page.click("#tab-plan")
            page.wait_for_function("() => document.querySelector('#shown')"
                                   ".innerText.includes('what-if 1')")
            page.wait_for_selector("#kpis .status-optimal")
            variant = copy.deepcopy(raw)
            variant["sponsors"][0]["budget"] = 75
            fresh = solve_verified(variant)  # the single MILP, solved afresh
            page.wait_for_function(
                f"() => document.querySelector('#kpis').innerText.includes("
                f"'{fresh.objective:.4f}')")
            assert "t-wear" in {c.target for c in fresh.consortia}

            if os.environ.get("CONSORTIUM_SCREENSHOT") == "1":  # the README's picture
                _click_point(page, "t-sic")
                page.wait_for_selector("text=Contracts of t-sic")
                page.mouse.move(5, 5)
                page.wait_for_timeout(800)
                page.screenshot(path=str(ROOT / "docs" / "img" / "serve.png"))

            # ---- the two scenarios side by side
            page.click("#tab-compare")
            page.wait_for_selector("#compare-view")
            kp = page.inner_text(".cmp-kpis")
            assert "plan as opened" in kp and "what-if 1" in kp
            assert f"{expected['objective']:,.2f}" in kp and f"{fresh.objective:,.2f}" in kp
            formed = page.inner_text(".cmp-formed")
            row = next(line for line in formed.splitlines() if line.startswith("t-wear"))
            assert "not formed" in row and "formed: lead" in row
            assert page.locator(".moved tbody tr").count() >= 1

            # ---- repairs, where issue 15's what-if engine is installed: one tried
            if work.explain_available():
                page.click("#tab-plan")
                page.click("#shown")
                page.get_by_text("plan as opened: the instance as opened").click()
                page.wait_for_function("() => document.querySelector('#shown')"
                                       ".innerText.includes('plan as opened')")
                page.click("#tab-unformed")
                page.click("#repairs")
                page.wait_for_selector("#repairs-view li", timeout=120_000)
                page.locator("#repairs-view li", has_text="sponsors[suzhou].budget").locator(
                    "button").first.click()
                page.click("#tab-plan")
                page.wait_for_function("() => document.querySelector('#shown')"
                                       ".innerText.includes('what-if 2')")
                page.click("#tab-unformed")
                page.wait_for_selector("#unformed")
                assert "t-wear" not in page.inner_text("#unformed")

            # ---- a broken upload: the command line's message, the server goes on
            broken = DATA / "invalid" / "not-json.json"
            page.set_input_files("#upload input[type=file]", files=[{
                "name": broken.name, "mimeType": "application/json",
                "buffer": broken.read_bytes()}])
            page.wait_for_selector("text=not opened")
            message = page.inner_text("#message")
            assert _cli_error(broken) in message
            assert "suzhou-demo" in page.inner_text("#title")  # the open instance stays

            # ---- another browser session has its own (no) scenarios
            other = browser.new_context().new_page()
            other.goto(url)
            other.wait_for_selector("text=suzhou-demo")
            other.click("#tab-compare")
            other.wait_for_selector("text=Solve, then re-solve a what-if")
            other.click("#tab-plan")
            assert other.locator("#kpis .status-optimal").count() == 0
            other.click("#solve")  # its own solve, its own scenario
            other.wait_for_selector("#kpis .status-optimal")
            other.click("#tab-compare")
            theirs = other.inner_text(".cmp-kpis")
            assert "plan as opened" in theirs and "what-if" not in theirs
            page.click("#tab-compare")
            assert "what-if 1" in page.inner_text(".cmp-kpis")  # the first session's stay
        finally:
            browser.close()
    assert proc.poll() is None, log.read_text()
    assert not errors, errors
    assert not outside, f"fetched from outside the server: {outside[:5]}"
