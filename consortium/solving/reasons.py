"""A reason a planner can act on for every target a plan leaves out.

In this order: it cannot be formed at all (pre-solve findings); it is
exclusive with a formed target; alone it breaks its own rules (and which);
its value does not cover its cost; its sponsor's or the total budget is spent
by higher-value targets; its best members are committed elsewhere; or
forming it as well would lower the total.
"""

from __future__ import annotations

from ..backends.base import SolverOptions, Status
from ..model.data import TargetView, within_limit
from ..result.contracts import contracts_for
from ..result.evaluate import objective_of
from ..result.money import digits, fmt
from ..result.plan import extract
from ..result.solution import Solution
from .build import Built
from .diagnose import elastic, explain_elastic
from .standalone import solve_target_alone


def unformed_reasons(b: Built, sol: Solution, opts: SolverOptions) -> list[dict[str, str]]:
    """A reason a planner can act on for every target the plan leaves out."""
    inst, md = b.md.inst, b.md
    formed = {c.target for c in sol.consortia}
    spent_by_sponsor: dict[str, float] = {}
    for c in sol.consortia:
        sp = inst.targets[md.target_index[c.target]].sponsor
        if sp is not None:
            spent_by_sponsor[sp] = spent_by_sponsor.get(sp, 0.0) + c.spend
    total_spent = sum(c.spend for c in sol.consortia)
    used: dict[str, list[str]] = {}
    for c in sol.consortia:
        for a in c.members:
            used.setdefault(a, []).append(c.target)
    out = []
    for v in md.views:
        t = v.target
        if t.id in formed:
            continue
        left = opts.remaining(reserve=0.1) if opts.deadline is not None else None
        if left is not None and left <= 0.2 and not v.impossible:
            out.append({"target": t.id,
                        "reason": "not formed (no time left within --time-limit to analyse why)"})
            continue
        out.append({"target": t.id, "reason": _reason(b, v, opts, formed, spent_by_sponsor,
                                                      total_spent, used)})
    return out


def _reason(b: Built, v: TargetView, opts: SolverOptions, formed: set[str],
            spent_by_sponsor: dict[str, float],
            total_spent: float, used: dict[str, list[str]]) -> str:
    inst, md = b.md.inst, b.md
    t = v.target
    if v.impossible:
        return "cannot be formed: " + "; ".join(v.impossible)
    for g, group in enumerate(inst.exclusive):
        if t.id in group:
            other = [x for x in group if x in formed]
            if other:
                return (f"exclusive with formed target {other[0]} (exclusive[{g}]), "
                        "which adds more value")
    alone = solve_target_alone(b, v.index, opts)
    r = alone.raw
    if r.status == Status.INFEASIBLE:
        why = explain_elastic(elastic(alone.lm, time_limit=5.0))
        detail = "; ".join(f.message.split(": ", 1)[-1] for f in why[:3])
        return "no consortium satisfies all its rules together" + (f" ({detail})" if detail else "")
    if not r.status.has_plan:
        return "no consortium found for it alone within the time limit"
    assert r.x is not None
    choice = extract(md, alone.V, r.x)[0]
    c = contracts_for(inst, md, choice)
    nd = digits(inst.currency)

    def money(x: float) -> str:
        return fmt(x, nd)

    net = objective_of(inst, md, [c])
    if net <= 1e-9:
        return (f"its value does not cover its cost: value {t.value:g} against a spend of at least "
                f"{money(c.spend)} (best net contribution {net:.4g})")
    if t.sponsor is not None:
        s = inst.sponsors[md.sponsor_index[t.sponsor]]
        if s.budget is not None:
            left = s.budget - spent_by_sponsor.get(s.id, 0.0)
            if not within_limit(c.spend, left):
                return (f"sponsor {s.id} budget exhausted by higher-value targets: it needs "
                        f"{money(c.spend)}, {money(max(left, 0))} of {money(s.budget)} left")
    tb = inst.policy.total_budget
    if tb is not None and not within_limit(c.spend, tb - total_spent):
        return (f"total budget exhausted by higher-value targets: it needs {money(c.spend)}, "
                f"{money(max(tb - total_spent, 0))} of {money(tb)} left")
    busy = []
    for a in c.members:
        actor = inst.actors[md.actor_index[a]]
        if len(used.get(a, [])) >= actor.max_consortia:
            busy.append(f"{a} (in {', '.join(used[a])})")
    if busy:
        return ("its best members are committed to formed consortia at full capacity: "
                + ", ".join(busy[:4]) + (" ..." if len(busy) > 4 else ""))
    return (f"forming it as well would lower the total objective (alone it would add {net:.4g}, "
            "but it competes with formed targets for members and budget)")
