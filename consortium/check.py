"""``consortium check``: re-run a set of instances against their expected results.

Each instance ``NAME.json`` may have ``NAME.expected.json`` beside it::

    {"status": "optimal", "objective": 47.86,
     "formed": ["t01", "t02"],            # optional
     "leads": {"t01": "a009"}}            # optional

Every plan is also passed through the independent verifier. ``--update``
writes expected files, but only from results proven optimal (gap 0, no time
limit hit) or proven infeasible.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .io.jsonfile import atomic_path, write_atomic

SKIP_SUFFIXES = (".expected.json", ".solution.json", ".sol.json")


@dataclass
class Outcome:
    path: str
    expected: dict[str, Any] | None
    got: dict[str, Any]
    time_s: float
    verdict: str  # "ok", "DIFF", "NEW", "INVALID", "PLAN FAILS VERIFY", "ERROR"
    details: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.verdict == "ok"


def find_instances(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*.json")
        if not p.name.endswith(SKIP_SUFFIXES)
        and not p.name.startswith(".")
        and p.name != "EXPECTED.json"
    )


def expected_path(p: Path) -> Path:
    return p.with_name(p.name[: -len(".json")] + ".expected.json")


def run_one(path: str, tolerance: float, time_limit: float | None, compare_plans: bool,
            settings: dict[str, Any] | None = None) -> Outcome:
    """Solve one instance (verified) and compare it with its expected result.
    ``settings``: solver settings (``profiles.settings``: gap, threads, HiGHS
    options, method); default exact. A result is proven only at gap 0."""
    from .backends.base import SolverOptions
    from .io.instance import InstanceError, load_raw
    from .solving.verified import PlanFailsVerifier, solve_verified

    p = Path(path)
    exp_p = expected_path(p)
    expected = json.loads(exp_p.read_text()) if exp_p.exists() else None
    t0 = time.perf_counter()
    got: dict[str, Any]
    try:
        inst, raw = load_raw(p)
    except InstanceError as e:
        got = {"status": "invalid", "message": e.errors[0]}
        verdict = "ok" if expected and expected.get("status") == "invalid" else "INVALID"
        return Outcome(path, expected, got, time.perf_counter() - t0, verdict, [e.errors[0]])
    failed: list[str] = []
    try:
        st = dict(settings or {}) | {"time_limit": time_limit}
        st.setdefault("gap", 0.0)
        sol = solve_verified(inst, SolverOptions(**st), raw=raw, reasons=False)
    except PlanFailsVerifier as e:
        failed = [f"rule {v.rule}: {v.message}" for v in e.violations]
        assert e.solution is not None  # solve_verified hands the refused plan over
        sol = e.solution
    except Exception as e:  # a crash is a result to report, not a reason to stop the run
        return Outcome(path, expected, {"status": "error"}, time.perf_counter() - t0, "ERROR",
                       [repr(e)])
    dt = time.perf_counter() - t0
    got = {"status": sol.status.value, "objective": sol.objective}
    if sol.status.has_plan:
        got["formed"] = sorted(c.target for c in sol.consortia)
        got["leads"] = {c.target: c.lead for c in sol.consortia}
        got["proven"] = (sol.status.value == "optimal" and not sol.solver.get("interrupted")
                         and not st["gap"])
    else:
        got["proven"] = sol.status.value == "infeasible"
    if failed:
        return Outcome(path, expected, got, dt, "PLAN FAILS VERIFY", failed)
    if expected is None:
        return Outcome(path, None, got, dt, "NEW")
    diffs = compare(expected, got, tolerance, compare_plans)
    return Outcome(path, expected, got, dt, "DIFF" if diffs else "ok", diffs)


def compare(expected: dict[str, Any], got: dict[str, Any], tol: float, plans: bool) -> list[str]:
    diffs = []
    if expected.get("status") != got.get("status"):
        diffs.append(f"status: expected {expected.get('status')}, got {got.get('status')}")
    eo, go = expected.get("objective"), got.get("objective")
    if eo is not None or go is not None:
        if eo is None or go is None or abs(eo - go) > tol * max(1.0, abs(eo)):
            diffs.append(f"objective: expected {eo}, got {go}")
    if plans:
        for key in ("formed", "leads"):
            if key in expected and expected[key] != got.get(key):
                diffs.append(f"{key}: expected {expected[key]}, got {got.get(key)}")
    return diffs


class CheckTask:
    """The runner's task: one regression instance solved and compared."""

    def __init__(self, tolerance: float, time_limit: float | None, compare_plans: bool,
                 settings: dict[str, Any] | None = None):
        self.tolerance, self.time_limit, self.compare_plans = tolerance, time_limit, compare_plans
        self.settings = settings

    def start_chunk(self) -> None:
        pass

    def run(self, path: str, worker: str) -> Outcome:
        return run_one(path, self.tolerance, self.time_limit, self.compare_plans, self.settings)


def run(paths: list[Path], *, tolerance: float = 1e-6, time_limit: float | None = None,
        workers: int = 0, compare_plans: bool = True,
        on_done: Callable[[Outcome], None] | None = None,
        settings: dict[str, Any] | None = None) -> list[Outcome]:
    """Check every instance (on ``workers`` processes through the one runner, 0:
    in this process) with the solver ``settings`` (see :func:`run_one`);
    outcomes in the order of ``paths``; ``on_done`` as each finishes."""
    from .solving.runner import run_tasks

    got: dict[str, Outcome] = {}

    def on_result(path: str, outcome: Outcome) -> None:
        got[path] = outcome
        if on_done:
            on_done(outcome)

    def on_lost(path: str, why: str, worker: str | None) -> None:
        on_result(path, Outcome(path, None, {"status": "error"}, 0.0, "ERROR", [why]))

    items = [str(p) for p in paths]
    run_tasks(CheckTask(tolerance, time_limit, compare_plans, settings), [[p] for p in items],
              on_result,
              workers=0 if workers <= 0 else min(workers, len(items)), on_lost=on_lost)
    return [got[p] for p in items]


def update(outcomes: list[Outcome], plans: bool = True) -> list[str]:
    """Write expected files from proven results; return what changed."""
    changes = []
    for o in outcomes:
        if o.verdict not in ("NEW", "DIFF") or not o.got.get("proven"):
            if o.verdict in ("NEW", "DIFF"):
                changes.append(f"{o.path}: not updated (result not proven: {o.got.get('status')})")
            continue
        new: dict[str, Any] = {"status": o.got["status"], "objective": o.got.get("objective")}
        if plans and o.got.get("formed") is not None:
            # Formed targets and leads are kept only when written by hand: an
            # optimum is often not unique, and the objective is the fact to match.
            if o.expected and "formed" in o.expected:
                new["formed"] = o.got["formed"]
            if o.expected and "leads" in o.expected:
                new["leads"] = o.got["leads"]
        old = o.expected
        write_atomic(expected_path(Path(o.path)), json.dumps(new, indent=1) + "\n")
        changes.append(
            f"{o.path}: {'created' if old is None else 'updated'} "
            f"({(old or {}).get('status')} {(old or {}).get('objective')} -> "
            f"{new['status']} {new['objective']})"
        )
    return changes


def junit(outcomes: list[Outcome], path: str | Path) -> None:
    suite = ET.Element("testsuite", name="consortium-check", tests=str(len(outcomes)),
                       failures=str(sum(not o.passed for o in outcomes)),
                       time=f"{sum(o.time_s for o in outcomes):.3f}")
    for o in outcomes:
        case = ET.SubElement(suite, "testcase", classname="consortium.check", name=o.path,
                             time=f"{o.time_s:.3f}")
        if not o.passed:
            f = ET.SubElement(case, "failure", message=o.verdict)
            f.text = "\n".join(o.details) or json.dumps(o.got)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        ET.ElementTree(suite).write(tmp, encoding="utf-8", xml_declaration=True)
