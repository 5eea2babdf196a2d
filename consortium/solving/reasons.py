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
                                                      total_spent, used, sol)})
    return out


def _reason(b: Built, v: TargetView, opts: SolverOptions, formed: set[str],
            spent_by_sponsor: dict[str, float],
            total_spent: float, used: dict[str, list[str]], sol: Solution) -> str:
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
    if md.programme is not None:
        after = _after_reason(b, v, sol_starts(sol))
        if after:
            return after
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
    if md.programme is not None:
        yearly = _yearly_reason(b, v, c, sol)
        if yearly:
            return yearly
    busy = []
    for a in c.members:
        actor = inst.actors[md.actor_index[a]]
        if md.programme is None and len(used.get(a, [])) >= actor.max_consortia:
            busy.append(f"{a} (in {', '.join(used[a])})")
    if busy:
        return ("its best members are committed to formed consortia at full capacity: "
                + ", ".join(busy[:4]) + (" ..." if len(busy) > 4 else ""))
    return (f"forming it as well would lower the total objective (alone it would add {net:.4g}, "
            "but it competes with formed targets for members and budget)")


def sol_starts(sol: Solution) -> dict[str, tuple[int, int]]:
    """Formed target -> (start, end) years."""
    return {c.target: (c.start, c.end) for c in sol.consortia
            if c.start is not None and c.end is not None}


def _after_reason(b: Built, v: TargetView, starts: dict[str, tuple[int, int]]) -> str | None:
    """Rule 17 in the plan: a target in ``after`` is not formed, or delivers too
    late for any start year left in t's window."""
    t = v.target
    lo, hi = int(v.starts[0]), int(v.starts[-1])
    for u in dict.fromkeys(t.after):
        if u not in starts:
            return f"needs {u} to deliver first, which is not formed"
    ends = [(starts[u][1], u) for u in t.after]
    if ends:
        end, u = max(ends)
        if end + 1 > hi:
            return (f"no start year in {lo}..{hi} leaves room after {u} "
                    f"(it delivers in {end})")
    return None


def _yearly_reason(b: Built, v: TargetView, c, sol: Solution) -> str | None:
    """SPEC 7.3 yearly budgets and capacity: every start year t could take
    meets a year whose budget, or a member's capacity, the plan has used up."""
    md, inst = b.md, b.md.inst
    t = v.target
    d = int(md.duration[v.index])
    pay = c.spend / d
    nd = digits(inst.currency)

    def money(x: float) -> str:
        return fmt(x, nd)

    years = {e["year"]: e for e in sol.kpis.get("by_year", [])}
    sponsor = inst.sponsors[md.sponsor_index[t.sponsor]] if t.sponsor is not None else None
    active_in: dict[tuple[str, int], int] = {}
    for k in sol.consortia:
        if k.start is None or k.end is None:
            continue
        for y in range(k.start, k.end + 1):
            for a in k.members:
                active_in[(a, y)] = active_in.get((a, y), 0) + 1
    blocks: list[str] = []
    for start in v.starts:
        why = None
        for y in range(int(start), int(start) + d):
            e = years.get(y, {})
            cap = (inst.policy.total_budget_by_year or {}).get(str(y))
            if cap is not None and not within_limit(e.get("spend", 0.0) + pay, cap):
                why = (f"the {y} budget (policy.total_budget_by_year) is used up: it would pay "
                       f"{money(pay)} in {y}, {money(max(cap - e.get('spend', 0.0), 0))} of "
                       f"{money(cap)} left")
                break
            if sponsor is not None and sponsor.budget_by_year:
                cap = sponsor.budget_by_year.get(str(y))
                spent = e.get("spend_by_sponsor", {}).get(sponsor.id, 0.0)
                if cap is not None and not within_limit(spent + pay, cap):
                    why = (f"sponsor {sponsor.id}'s {y} budget is used up: it would pay "
                           f"{money(pay)} in {y}, {money(max(cap - spent, 0))} of {money(cap)} "
                           "left")
                    break
            busy = [a for a in c.members
                    if active_in.get((a, y), 0)
                    >= inst.actors[md.actor_index[a]].max_consortia]
            if busy:
                why = (f"its best members are at full capacity in {y}: " + ", ".join(busy[:4])
                       + (" ..." if len(busy) > 4 else ""))
                break
        if why is None:
            return None  # some start year is free of both: not the reason
        blocks.append(why)
    if len(set(blocks)) == 1:
        return blocks[0] if len(blocks) == 1 else (
            f"whichever start year in {int(v.starts[0])}..{int(v.starts[-1])}: {blocks[0]}")
    return f"no start year in {int(v.starts[0])}..{int(v.starts[-1])} is free: " + "; ".join(
        f"from {int(s)}: {w}" for s, w in zip(v.starts, blocks, strict=True))
