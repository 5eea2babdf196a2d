"""``consortium explain``: for each unformed target, the changes that would form it.

:func:`explain` takes the instance (and a plan, or solves one) and returns an
:class:`ExplainResult`: per target its reason (as ``solve`` gives it) and its
repairs, each the least single change of one kind after which the target is
formed in an optimal plan, confirmed by a re-solve (:mod:`.repairs`); or,
when no single change does, the smallest set of changes that does.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..backends.base import SolverOptions
from ..errors import InputError
from ..io.instance import Instance
from ..result.solution import Solution
from .probe import Probe, at_least
from .repairs import Repair, Searcher, levers_for, smallest_set, value_lever

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class TargetExplained:
    target: str
    reason: str
    status: str  # "unformed", "tie" (formed in another optimal plan), "formed"
    repairs: list[Repair] = field(default_factory=list)
    repair_set: list[Repair] | None = None  # when no single change forms it
    note: str = ""
    time_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"target": self.target, "reason": self.reason, "status": self.status,
                             "repairs": [r.to_dict() for r in self.repairs]}
        if self.repair_set is not None:
            d["repair_set"] = {
                "changes": [{"kind": r.kind, "path": r.path, "from": r.current, "to": r.to,
                             "label": r.label} for r in self.repair_set],
                "objective": self.repair_set[-1].objective, "formed": True}
        else:
            d["repair_set"] = None
        d["note"] = self.note
        d["time_s"] = round(self.time_s, 3)
        return d


@dataclass
class ExplainResult:
    """What would form each unformed target (``.to_frame()``: one row per repair)."""

    instance: str
    objective: float | None  # the optimum now
    targets: list[TargetExplained]
    solves: int = 0
    time_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"instance": self.instance, "objective": self.objective,
                "targets": [t.to_dict() for t in self.targets],
                "solves": self.solves, "time_s": round(self.time_s, 3)}

    def target(self, tid: str) -> TargetExplained | None:
        return next((t for t in self.targets if t.target == tid), None)

    def to_frame(self) -> pd.DataFrame:
        """One row per repair (a set's changes share its ``set`` number; a target
        without any repair has one row with empty repair columns)."""
        import pandas as pd

        rows = []
        for t in self.targets:
            base: dict[str, Any] = {"target": t.target, "status": t.status,
                                    "reason": t.reason}
            reps = [(r, None) for r in t.repairs] + [(r, 1) for r in (t.repair_set or [])]
            if not reps:
                rows.append({**base, "kind": None, "path": None, "from": None, "to": None,
                             "objective": None, "objective_change": None, "formed": False,
                             "set": None})
            for r, s in reps:
                rows.append({**base, "kind": r.kind, "path": r.path, "from": _cell(r.current),
                             "to": _cell(r.to), "objective": r.objective,
                             "objective_change": None if r.objective is None
                             or self.objective is None else r.objective - self.objective,
                             "formed": r.formed, "set": s})
        return pd.DataFrame(rows, columns=["target", "status", "reason", "kind", "path", "from",
                                           "to", "objective", "objective_change", "formed",
                                           "set"])


def _cell(v: Any) -> Any:
    return ", ".join(map(str, v)) if isinstance(v, list) else v


def explain(inst: Instance, plan: Solution | None = None, targets: Sequence[str] | None = None,
            *, raw: dict[str, Any] | None = None, opts: SolverOptions | None = None,
            probe: Probe | None = None, sets: bool = True,
            progress: Callable[[str], None] | None = None) -> ExplainResult:
    """The repairs of every target ``plan`` leaves unformed (``targets``: only
    these). ``plan``: a verified plan of ``inst`` (default: its optimum, solved).
    ``sets``: look for the smallest set of changes when no single one forms a
    target."""
    t0 = time.perf_counter()
    pr = probe or Probe(inst, raw, opts)
    base = pr.solve()
    ids = [t.id for t in inst.targets]
    for tid in targets or []:
        if tid not in ids:
            raise InputError(f"--target: unknown target {tid!r}")
    if not base.has_plan:
        return ExplainResult(inst.display_name, None, [
            TargetExplained(tid, "the instance is infeasible", "unformed",
                            note="no plan exists: see `consortium solve` for the diagnosis")
            for tid in (targets or ids)], pr.solves, time.perf_counter() - t0)
    sol = plan if plan is not None else base.solution
    formed = {c.target for c in sol.consortia}
    reasons = {u["target"]: u["reason"] for u in sol.unformed}
    if plan is None or any(r == "not formed" for r in reasons.values()):
        from ..solving.reasons import unformed_reasons

        reasons.update({u["target"]: u["reason"]
                        for u in unformed_reasons(pr.base_loaded().b, sol, pr.opts)
                        if reasons.get(u["target"], "not formed") == "not formed"})
    chosen = list(targets) if targets else [tid for tid in ids if tid not in formed]
    out = []
    for tid in chosen:
        if progress is not None:
            progress(tid)
        out.append(explain_target(pr, tid, reasons.get(tid, ""), tid in formed, sets))
    pr.base_loaded()  # leave the session on the instance as given
    return ExplainResult(inst.display_name, base.objective, out, pr.solves,
                         time.perf_counter() - t0)


def explain_target(pr: Probe, tid: str, reason: str, in_plan: bool,
                   sets: bool = True) -> TargetExplained:
    t0 = time.perf_counter()
    base = pr.solve()
    if in_plan or base.forms(tid):
        return TargetExplained(tid, reason or "formed", "formed",
                               note="formed in the plan: nothing to repair",
                               time_s=time.perf_counter() - t0)
    f0 = pr.solve(forced=tid)
    if f0.has_plan and at_least(f0.objective, base.objective):
        return TargetExplained(tid, reason, "tie", note=(
            f"already formed in another optimal plan (objective {f0.objective:.6g}, "
            "the same): fix it with fixed.leads or fixed.members to have it"),
            time_s=time.perf_counter() - t0)
    s = Searcher(pr, tid)
    levers = levers_for(pr.inst, pr.base_loaded().b, tid, base) + [value_lever(pr.inst, tid)]
    reps = []
    for lv in levers:
        r = s.repair(lv)
        if r is not None:
            reps.append(r)
    res = TargetExplained(tid, reason, "unformed", reps)
    if not reps:
        found = smallest_set(s, levers) if sets else None
        res.repair_set = found
        kinds = ", ".join(dict.fromkeys(lv.kind for lv in levers)) or "none"
        res.note = ("no single change forms it" + (
            "; the smallest set of changes that does is given" if found else
            f"; no set of up to 3 of the changes considered does either ({kinds})"
            if sets else ""))
    res.time_s = time.perf_counter() - t0
    return res
