"""The HTML report of large plans (issue 16): a provincial plan (40 consortia)
and, with ``-m slow``, a national one (hundreds): coloured by sponsor or mode,
members aggregated per site, the top consortia's networks labelled, budget
bars labelled, legends and labels that overlap nothing, a light page with no
remote assets, rendered by headless Chromium where it is installed."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from itertools import combinations
from pathlib import Path

import pytest

from consortium.backends.base import SolverOptions
from consortium.generate import generate
from consortium.io.instance import from_dict
from consortium.report import render_report
from consortium.report.figures import (
    TOP_NETWORKS,
    budget_rows,
    budgets_figure,
    map_figure,
    network_figure,
    top_consortia,
)
from consortium.report.view import SCALE, read_plan
from consortium.solving.verified import solve_verified

MB = 1024 * 1024
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _plan(preset: str, seed: int, opts: SolverOptions):
    raw = generate(preset=preset, seed=seed)
    inst = from_dict(copy.deepcopy(raw))
    sol = solve_verified(inst, opts, raw=raw, reasons=False)
    assert sol.status.has_plan
    return raw, inst, sol.to_dict()


@pytest.fixture(scope="module")
def provincial():
    return _plan("provincial", 1, SolverOptions(gap=0.01))


def _boxes(fig, artists):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    r = canvas.get_renderer()
    return [a.get_window_extent(r) for a in artists]


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 - 0.5 and b.x0 < a.x1 - 0.5 and a.y0 < b.y1 - 0.5 and b.y0 < a.y1 - 0.5


def check_figures(inst, sol) -> None:
    """Labels and legends overlap no other label and no axes."""
    plan = read_plan(inst, sol)
    assert plan.large and plan.colour_by in ("sponsor", "mode")
    assert len(set(plan.colour.values())) == len(plan.groups) <= 14
    for fig in (map_figure(plan), network_figure(plan), budgets_figure(plan, budget_rows(plan))):
        legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
        axes = [ax for ax in fig.axes if ax.axison]
        assert legends
        for leg in _boxes(fig, legends):
            for ax in _boxes(fig, axes):
                assert not _overlap(leg, ax), "a legend covers the axes"
        texts = [t for ax in fig.axes for t in ax.texts if t.get_text()]
        for a, b in combinations(_boxes(fig, texts), 2):
            assert not _overlap(a, b), "two labels overlap"
    m = map_figure(plan)
    labels = [t.get_text() for t in m.axes[-1].texts]
    assert labels and all(re.fullmatch(r"\S+: \d+ consortia, \d+ members", t) for t in labels)
    net = network_figure(plan)
    panels = [ax for ax in net.axes if ax.get_title()]
    assert len(panels) == min(TOP_NETWORKS, len(plan.consortia))
    top = top_consortia(plan)
    for ax, c in zip(panels, top, strict=True):
        assert ax.get_title().startswith(c.target + "\n")
        assert {t.get_text() for t in ax.texts} == set(c.members)  # every member labelled
    bud = budgets_figure(plan, budget_rows(plan))
    caps = [t.get_text() for ax in bud.axes for t in ax.texts if " / " in t.get_text()
            or "no cap" in t.get_text()]
    assert len(caps) == len(budget_rows(plan))  # every bar labelled


def check_page(tmp_path: Path, raw, inst, sol, limit: float) -> str:
    page = render_report(inst, sol, verify_raw=raw)
    size = len(page.encode("utf-8"))
    assert size < limit, f"{size / MB:.2f} MB"
    assert "Checked by the independent verifier" in page
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert not re.search(r"""(?:href|src)=["'](?!#)""", page)
    assert not re.search(r"url\(\s*['\"]?(?!#)|@import|https?://", page)  # only #fragments
    for c in sol["consortia"]:
        assert f'id="c-{c["target"]}"' in page
    assert page.count("<svg") == 3
    assert "Incentive instruments by actor type" in page
    out = tmp_path / "report.html"
    out.write_text(page, encoding="utf-8")
    if CHROMIUM:
        _render(out, tmp_path)
    return page


def _render(html: Path, tmp_path: Path) -> None:
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-dev-shm-usage",
            f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    png = tmp_path / "report.png"
    shot = subprocess.run(base + [f"--screenshot={png}", "--window-size=1280,4000",
                                  html.as_uri()], capture_output=True, text=True, timeout=180)
    assert png.exists() and png.stat().st_size > 20_000, shot.stderr[-2000:]
    assert not re.search(r"Failed to load resource|net::ERR_", shot.stderr), shot.stderr[-2000:]
    dom = subprocess.run(base + ["--dump-dom", html.as_uri()], capture_output=True, text=True,
                         timeout=180)
    assert dom.returncode == 0 and dom.stdout.count("<svg") == 3


def test_provincial_plan_report(provincial, tmp_path):
    raw, inst, sol = provincial
    assert len(sol["consortia"]) > SCALE
    check_figures(inst, sol)
    page = check_page(tmp_path, raw, inst, sol, 1 * MB)
    assert "coloured by sponsor" in page
    assert f"The {TOP_NETWORKS} consortia of the highest value of {len(sol['consortia'])}" in page


def test_report_cli_writes_the_page_to_stdout(provincial, tmp_path):
    from click.testing import CliRunner

    from consortium.cli import cli

    raw, _inst, sol = provincial
    (tmp_path / "i.json").write_text(json.dumps(raw))
    (tmp_path / "p.json").write_text(json.dumps(sol))
    r = CliRunner().invoke(cli, ["report", str(tmp_path / "i.json"), str(tmp_path / "p.json"),
                                 "-o", "-"])
    assert r.exit_code == 0 and r.stdout.startswith("<!DOCTYPE html>")


@pytest.mark.slow
def test_national_plan_report_under_2_mb(tmp_path):
    """The national preset (500 targets, 15,000 actors), planned by the
    decomposition within a time limit: whatever plan it returns is large."""
    raw, inst, sol = _plan("national", 1, SolverOptions(gap=0.01, time_limit=240,
                                                        method="decompose"))
    assert len(sol["consortia"]) > 100
    check_figures(inst, sol)
    page = check_page(tmp_path, raw, inst, sol, 2 * MB)
    assert "coloured by mode" in page
