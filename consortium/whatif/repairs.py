"""Repairs: the least single change of each kind that forms an unformed target.

A *lever* is one field of the instance (a dotted path) and the direction that
relaxes it: a budget or a distance limit up, a policy rule down, a chokepoint
opened, a target taken out of an exclusive group, an actor's capacity up, the
target's value up. For each lever the search finds the least value at which
the target is formed in an optimal plan (``F(p) >= G(p)``, :mod:`.probe`),
exactly:

* limits (budgets, ``max_distance_km``): :func:`.need.least_need` gives the
  least ``p`` with ``F(p) >= floor`` (``floor`` = the optimum at the current
  value); if the optimum at ``p`` has grown past ``F(p)`` (the extra room served
  other targets better), the floor rises to it and the search goes on from
  there. No ``p`` in between can form the target: ``F`` there is below the old
  floor, which ``G`` never falls under.
* counts, shares, switches: the same rounds over the finite list of values
  the lever can take, each round a bisection on ``F`` (which only grows as
  the lever relaxes).
* the value: ``F`` grows by exactly ``weights.value`` per unit of value, while
  the best plan without the target does not change, so the threshold is
  ``value + (G - F) / weights.value`` (with a programme, where the value is
  discounted by the start year, a bisection on ``F`` snapped to plans' own
  thresholds).

Every repair is confirmed by solving the changed instance (and the changed
instance with the target held formed): ``objective`` is that optimum and the
plan that forms the target is kept. When no single change forms the target,
the smallest set of levers (each at its least given the others) that does.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..io.instance import Instance, from_dict
from ..model.rules import spend_entries
from ..solving.build import Built, build
from .need import least_need
from .probe import Answer, Changes, Probe, _sel, at_least, target_path, tol

# Rounds of a search whose floor keeps rising (each round is a proven optimum
# strictly higher than the last: a work limit, never reached on the presets).
MAX_ROUNDS = 12
# At most this many actors at full capacity are tried as max_consortia levers
# (a work limit: every member of a stand-alone consortium on the presets), and
# sets of at most this many levers when no single change forms a target.
MAX_ACTORS = 40
MAX_SET = 3


@dataclass
class Lever:
    kind: str
    path: str
    current: Any
    relaxed: Any  # the most relaxed value (None: no limit)
    values: list[Any] | None = None  # discrete levers: the values past ``current``, in order
    need: str | None = None  # limits: "spend" (of need_targets), "year" (paid then), "distance"
    need_targets: list[str] = field(default_factory=list)
    label: str = ""
    year: int | None = None  # the year of a yearly budget (SPEC 7.3)


@dataclass
class Repair:
    kind: str
    path: str
    current: Any
    to: Any
    objective: float | None
    formed: bool
    label: str = ""
    plan: Answer | None = None
    changes: Changes = field(default_factory=dict)  # for a set: every change of it

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "from": self.current, "to": self.to,
                "objective": self.objective, "formed": self.formed, "label": self.label}


# ------------------------------------------------------------------ levers


def levers_for(inst: Instance, b: Built, target: str, base: Answer) -> list[Lever]:
    """Every lever that may form ``target`` (of the base instance ``inst``)."""
    md = b.md
    ti = md.target_index[target]
    t = inst.targets[ti]
    md.views[ti]
    pol = inst.policy
    out: list[Lever] = []
    tp = lambda f: target_path(t.id, f)  # noqa: E731
    if t.sponsor is not None:
        s = inst.sponsors[md.sponsor_index[t.sponsor]]
        if s.budget is not None:
            out.append(Lever("sponsor_budget", f"sponsors[{_sel(s.id)}].budget", s.budget, None,
                             need="spend", label=f"sponsor {s.id}'s budget",
                             need_targets=[x.id for x in inst.targets if x.sponsor == s.id]))
    if pol.total_budget is not None:
        out.append(Lever("total_budget", "policy.total_budget", pol.total_budget, None,
                         need="spend", need_targets=[x.id for x in inst.targets],
                         label="the total budget"))
    out.extend(_yearly_levers(inst, md, t))
    if t.budget is not None:
        out.append(Lever("target_budget", tp("budget"), t.budget, None, need="spend",
                         need_targets=[t.id], label=f"{t.id}'s own budget"))
    if t.max_distance_km is not None:
        out.append(Lever("max_distance_km", tp("max_distance_km"), t.max_distance_km, None,
                         need="distance", need_targets=[t.id], label=f"{t.id}'s max_distance_km"))
    size = t.max_members if t.max_members is not None else max(len(inst.actors), 1)
    size = min(size, max(len(inst.actors), 1), 40)
    if pol.max_state_share < 1 and md.is_state_ent.any():
        shares = sorted({k / n for n in range(1, size + 1) for k in range(n + 1)
                         if k / n > pol.max_state_share + 1e-12})
        out.append(Lever("max_state_share", "policy.max_state_share", pol.max_state_share, 1.0,
                         values=shares, label="policy.max_state_share"))
    if pol.min_private_members > 0:
        k = pol.min_private_members
        out.append(Lever("min_private_members", "policy.min_private_members", k, 0,
                         values=list(range(k - 1, -1, -1)), label="policy.min_private_members"))
    if pol.min_outside_members > 0 and md.sponsor_region(t) is not None:
        k = pol.min_outside_members
        out.append(Lever("min_outside_members", "policy.min_outside_members", k, 0,
                         values=list(range(k - 1, -1, -1)), label="policy.min_outside_members"))
    own = t.composition is not None
    for i, rule in enumerate(inst.composition_of(t)):
        where = tp(f"composition[{i}]") if own else f"policy.composition[{i}]"
        if rule.min > 0:
            out.append(Lever("composition_min", f"{where}.min", rule.min, 0,
                             values=list(range(rule.min - 1, -1, -1)),
                             label=f"composition: at least {rule.min} {rule.describe()}"))
        if rule.max is not None:
            out.append(Lever("composition_max", f"{where}.max", rule.max, None,
                             values=list(range(rule.max + 1, size + 1)) + [None],
                             label=f"composition: at most {rule.max} {rule.describe()}"))
    k = inst.min_regions_of(t)
    if k > 1:
        path = tp("min_regions") if t.min_regions is not None else "policy.min_regions"
        out.append(Lever("min_regions", path, k, 1, values=list(range(k - 1, 0, -1)),
                         label=f"min_regions {k}"))
    if pol.chokepoints_domestic_only:
        foreign = md.is_foreign
        for r in t.requirements:
            ci = md.cap_index[r.capability]
            if md.chokepoint[ci] and bool((foreign & (md.levels[:, ci] >= r.level)).any()):
                out.append(Lever("chokepoint", f"capabilities[{_sel(r.capability)}].chokepoint",
                                 True, False, values=[False],
                                 label=f"{r.capability} as a chokepoint (domestic only)"))
    for g, group in enumerate(inst.exclusive):
        if t.id in group:
            rest = [x for x in group if x != t.id]
            out.append(Lever("exclusive", f"exclusive[{g}]", list(group), rest, values=[rest],
                             label=f"exclusive group {g}"))
    out.extend(_capacity_levers(inst, b, target, base))
    return out


# A yearly budget lifted "without limit" (the format wants a number there):
# far above any spend, so the model drops the year's row.
NO_YEARLY_LIMIT = 1e12


def _yearly_levers(inst: Instance, md: Any, t: Any) -> list[Lever]:
    """The yearly budgets (SPEC 7.3) of the years the target could run in: its
    sponsor's and the programme's."""
    if inst.programme is None:
        return []
    lo, hi = inst.window(t)
    years = set(range(int(lo), int(hi) + int(md.duration[md.target_index[t.id]])))
    out: list[Lever] = []
    if t.sponsor is not None:
        s = inst.sponsors[md.sponsor_index[t.sponsor]]
        for key, cap in sorted((s.budget_by_year or {}).items()):
            if int(key) in years:
                out.append(Lever("sponsor_budget_year", f"sponsors[{_sel(s.id)}].budget_by_year."
                                 f"{key}", cap, NO_YEARLY_LIMIT, need="year", year=int(key),
                                 need_targets=[x.id for x in inst.targets if x.sponsor == s.id],
                                 label=f"sponsor {s.id}'s {key} budget"))
    for key, cap in sorted((inst.policy.total_budget_by_year or {}).items()):
        if int(key) in years:
            out.append(Lever("total_budget_year", f"policy.total_budget_by_year.{key}", cap,
                             NO_YEARLY_LIMIT, need="year", year=int(key),
                             need_targets=[x.id for x in inst.targets],
                             label=f"the programme's {key} budget"))
    return out


def _capacity_levers(inst: Instance, b: Built, target: str, base: Answer) -> list[Lever]:
    """max_consortia of the actors at full capacity in the base plan that the
    target's best consortium alone would use (its stand-alone optimum). In a
    programme (SPEC 7.3) capacity counts the consortia running in one year:
    an actor is at full capacity when some year of the target's window has
    max_consortia of its consortia running."""
    from ..solving.standalone import solve_target_alone

    if not base.has_plan:
        return []
    md = b.md
    ti = md.target_index[target]
    if md.views[ti].impossible:
        return []
    alone = solve_target_alone(b, ti, _opts(b))
    if alone.raw.x is None:
        return []
    from ..result.plan import extract

    ch = extract(md, alone.V, alone.raw.x)
    busy = _busy(inst, md, base, ti)
    out: list[Lever] = []
    for choice in ch[:1]:
        for ai in choice.members:
            act = inst.actors[ai]
            if busy.get(act.id, 0) >= act.max_consortia and len(out) < MAX_ACTORS:
                n = sum(1 for v in md.views if ai in set(v.actors.tolist()))
                vals = list(range(act.max_consortia + 1, max(n, act.max_consortia + 1) + 1))
                out.append(Lever("max_consortia", f"actors[{_sel(act.id)}].max_consortia",
                                 act.max_consortia, vals[-1], values=vals,
                                 label=f"{act.id}'s max_consortia"))
    return out


def _busy(inst: Instance, md: Any, base: Answer, ti: int) -> dict[str, int]:
    """Per actor, the most consortia of the base plan it is in at once (without a
    programme: in all; with one: in any one year the target could run)."""
    cons = base.solution.consortia
    if inst.programme is None:
        used: dict[str, int] = {}
        for c in cons:
            for a in c.members:
                used[a] = used.get(a, 0) + 1
        return used
    lo, hi = inst.window(inst.targets[ti])
    years = range(int(lo), int(hi) + int(md.duration[ti]))
    per: dict[tuple[str, int], int] = {}
    for c in cons:
        if c.start is None:
            continue
        run = md.active(md.target_index[c.target], int(c.start))
        for a in c.members:
            for y in run:
                if y in years:
                    per[(a, y)] = per.get((a, y), 0) + 1
    out: dict[str, int] = {}
    for (a, _y), k in per.items():
        out[a] = max(out.get(a, 0), k)
    return out


def _opts(b: Built) -> Any:
    from ..backends.base import SolverOptions

    return SolverOptions(gap=0.0, threads=1)


# ------------------------------------------------------------------ searches


class Searcher:
    """The least-change searches for one target on one probe."""

    def __init__(self, probe: Probe, target: str):
        self.p = probe
        self.t = target
        self._relaxed: dict[str, Built] = {}

    def formed(self, changes: Changes) -> tuple[bool, Answer, Answer]:
        return self.p.formed_optimally(self.t, changes)

    def repair(self, lever: Lever, fixed: Changes | None = None) -> Repair | None:
        """The least value of ``lever`` (the other changes ``fixed`` held) at which
        the target is formed in an optimal plan, confirmed by re-solves; None if
        no value of it does."""
        fixed = dict(fixed or {})
        if lever.kind == "value":
            return self._value(lever, fixed)
        if lever.need is not None:
            return self._limit(lever, fixed)
        return self._discrete(lever, fixed)

    def _confirm(self, lever: Lever, value: Any, fixed: Changes) -> Repair | None:
        ch = {**fixed, lever.path: value}
        ok, g, f = self.formed(ch)
        if not ok:
            return None
        plan = g if g.forms(self.t) else f
        return Repair(lever.kind, lever.path, lever.current, value, g.objective, True,
                      lever.label, plan, ch)

    def _discrete(self, lever: Lever, fixed: Changes) -> Repair | None:
        vals = list(lever.values or [])
        if not vals:
            return None
        floor = self.p.solve(fixed).objective
        lo = -1  # values[: lo + 1] are known not to form the target
        for _ in range(MAX_ROUNDS):
            if lo >= len(vals) - 1:
                return None
            if self.p.reaching({**fixed, lever.path: vals[-1]}, self.t, floor) is None:
                return None
            a, z = lo, len(vals) - 1  # F(vals[a]) < floor (or a = lo), F(vals[z]) >= floor
            while z - a > 1:
                mid = (a + z) // 2
                if self.p.reaching({**fixed, lever.path: vals[mid]}, self.t, floor) is None:
                    a = mid
                else:
                    z = mid
            rep = self._confirm(lever, vals[z], fixed)
            if rep is not None:
                return rep
            floor = self.p.solve({**fixed, lever.path: vals[z]}).objective
            lo = z
        return None

    def _relaxed_model(self, lever: Lever, fixed: Changes) -> Built:
        key = repr(sorted(fixed.items())) + lever.path
        b = self._relaxed.get(key)
        if b is None:
            raw = self.p.variant({**fixed, lever.path: lever.relaxed}, forced=self.t)
            b = build(from_dict(raw))
            self._relaxed[key] = b
        return b

    def _need_of(self, b: Built, lever: Lever) -> tuple[np.ndarray, np.ndarray, bool]:
        md, V = b.md, b.V
        if lever.need == "distance":
            ti = md.target_index[self.t]
            v = md.views[ti]
            km = md.dist[v.actors[v.tri_actor], v.sites[v.tri_site]] if v.n else np.zeros(0)
            return np.asarray(V.x[ti], np.int64), np.asarray(km, float), True
        cols, coefs = [], []
        want = {md.target_index[x] for x in lever.need_targets}
        for v in V.views:
            if v.index in want:
                if lever.need == "year":
                    from ..model.programme import paid_in

                    assert lever.year is not None
                    c, k = paid_in(md, V, v, lever.year)
                else:
                    c, k = spend_entries(md, V, v)
                cols.append(c)
                coefs.append(k)
        if not cols:
            return np.zeros(0, np.int64), np.zeros(0), False
        return np.concatenate(cols).astype(np.int64), np.concatenate(coefs), False

    def _limit(self, lever: Lever, fixed: Changes) -> Repair | None:
        b = self._relaxed_model(lever, fixed)
        cols, coef, maximum = self._need_of(b, lever)
        floor = self.p.solve(fixed).objective
        if floor is None:
            return None
        start = self.p.reaching({**fixed, lever.path: lever.relaxed}, self.t, floor)
        if start is None:
            return None  # not even without the limit
        x0 = _plan_vector(b, start)
        for _ in range(MAX_ROUNDS):
            x = least_need(b, cols, coef, maximum, floor, self.p.opts, x0)
            if x is None:
                return None
            need = float(np.max(coef * x[cols], initial=0.0)) if maximum \
                else float(coef @ x[cols])
            value = max(need, float(lever.current))
            value = _tidy(value)
            rep = self._confirm(lever, value, fixed)
            if rep is not None:
                return rep
            g = self.p.solve({**fixed, lever.path: value})
            if g.objective is None or g.objective <= floor + tol(floor):
                return None  # (numerically stuck: no exact answer to give)
            floor = g.objective
            x0 = None
        return None

    def _value(self, lever: Lever, fixed: Changes) -> Repair | None:
        inst = self.p.inst
        wv = inst.policy.weights.value
        if wv <= 0:
            return None
        g0 = self.p.solve(fixed)
        f0 = self.p.solve(fixed, forced=self.t)
        if not f0.has_plan or g0.objective is None or f0.objective is None:
            return None
        v0 = float(lever.current)
        if inst.programme is None:
            # every plan that forms t gains wv per unit of value; the best plan
            # without t (worth g0: t is not in it) gains nothing
            value = _tidy(v0 + max(g0.objective - f0.objective, 0.0) / wv)
            rep = self._confirm(lever, value, fixed)
            if rep is None:  # (float rounding at the tie: the next representable value up)
                rep = self._confirm(lever, _tidy(float(np.nextafter(value, np.inf))), fixed)
            return rep
        return self._value_discounted(lever, fixed, g0.objective, f0, v0, wv)

    def _value_discounted(self, lever: Lever, fixed: Changes, g: float, f0: Answer,
                          v0: float, wv: float) -> Repair | None:
        pr = self.p.inst.programme
        assert pr is not None
        t = next(x for x in self.p.inst.targets if x.id == self.t)
        dmax = pr.discount(self.p.inst.window(t)[0])

        def disc(a: Answer) -> float:
            c = a.solution.consortium(self.t)
            return pr.discount(c.start) if c is not None and c.start is not None else dmax

        def safe(v: float, a: Answer) -> float:  # no plan reaches g below this
            return v + max(g - (a.objective or 0.0), 0.0) / (wv * dmax)

        def own(v: float, a: Answer) -> float:  # this plan reaches g here
            return v + (g - (a.objective or 0.0)) / (wv * disc(a))

        lo, hi = safe(v0, f0), own(v0, f0)
        for _ in range(60):
            if hi - lo <= 1e-9 * max(1.0, abs(hi)):
                break
            mid = (lo + hi) / 2
            f = self.p.solve({**fixed, lever.path: mid}, forced=self.t)
            if f.has_plan and at_least(f.objective, g):
                hi = min(hi, own(mid, f))
            else:
                lo = max(lo, safe(mid, f) if f.has_plan else mid)
        return self._confirm(lever, _tidy(hi), fixed)


def _tidy(x: float) -> float:
    """``x`` rounded up at its 10th significant digit (float noise off a plan's
    spend or a threshold; 1e-9 relative, far inside SPEC's 1e-6 on limits). The
    value is confirmed by a re-solve after this."""
    import math

    if x == 0 or not math.isfinite(x):
        return x
    r = float(f"{x:.10g}")
    if r < x:
        r = float(f"{r + 10.0 ** (math.floor(math.log10(abs(x))) - 9):.10g}")
    return r


def _plan_vector(b: Built, a: Answer) -> np.ndarray | None:
    from ..result.plan import choices_from_plan, start_vector

    if not a.has_plan:
        return None
    try:
        ch = choices_from_plan(b.md, [c.to_dict() for c in a.solution.consortia])
        return start_vector(b.md, b.V, b.lm.n_cols, ch)
    except (KeyError, IndexError):
        return None


def value_lever(inst: Instance, target: str) -> Lever:
    t = next(x for x in inst.targets if x.id == target)
    return Lever("value", target_path(t.id, "value"), t.value, None, label=f"{t.id}'s value")


def smallest_set(s: Searcher, levers: list[Lever]) -> list[Repair] | None:
    """The fewest levers (2 to MAX_SET; every smaller set relaxed in full fails)
    that together form the target, each at its least value given the others."""
    plain = [lv for lv in levers if lv.kind != "value"]
    val = next((lv for lv in levers if lv.kind == "value"), None)
    for k in range(2, MAX_SET + 1):
        combos = [list(c) for c in itertools.combinations(plain, k)]
        if val is not None:
            combos += [list(c) + [val] for c in itertools.combinations(plain, k - 1)]
        for combo in combos:
            relaxed = {lv.path: lv.relaxed for lv in combo if lv.kind != "value"}
            if combo[-1].kind == "value":
                got = s.repair(combo[-1], relaxed)
                if got is None:
                    continue
                chosen = {**relaxed, combo[-1].path: got.to}
            else:
                if not s.formed(relaxed)[0]:
                    continue
                chosen = dict(relaxed)
            reps = _tighten(s, combo, chosen)
            if reps is not None:
                return reps
    return None


def _tighten(s: Searcher, combo: list[Lever], chosen: Changes) -> list[Repair] | None:
    """Each lever of a working set in turn at its least value, the others held."""
    reps: list[Repair] = []
    for one in combo:
        others = {p: v for p, v in chosen.items() if p != one.path}
        r = s.repair(one, others)
        if r is None:
            return None
        chosen[one.path] = r.to
        reps.append(r)
    last = combo[-1]
    final = s._confirm(last, chosen[last.path], {p: v for p, v in chosen.items()
                                                 if p != last.path})
    if final is None:
        return None
    for r in reps:
        r.objective, r.plan, r.changes = final.objective, final.plan, dict(chosen)
    return reps
