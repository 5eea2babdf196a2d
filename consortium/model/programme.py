"""The rules of a multi-year programme (SPEC 7.3), one function per rule family.

Variables beyond those of :mod:`.rules`:

- ``start[t,k]``: t starts in year ``v.starts[k]`` (the ``y[t]`` column itself
  when t has one possible start year); their sum is ``y[t]``;
- ``busy[a,t,k]`` (continuous in [0, 1]): a sits in (or leads) t and t starts
  in ``v.starts[k]``; ``busy <= start[t,k]``, ``sum_k busy = m[a,t]`` (or
  ``l[a,t]``), exact since one start year is chosen. For every member and lead
  where the year money is paid in matters (then t's spend in each start year
  is a linear expression of them, with no big-M), else only for actors whose
  yearly capacity can bind in a year whose activity depends on t's start.

A target is *active* in Y when it started in one of the years that cover Y;
``active(t,Y)`` is the sum of those ``start`` columns (``y[t]`` when every
possible start covers Y).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .data import ModelData, TargetView
from .linear import INF, Builder
from .rules import Vars, _capacity_rows, _fixed_text, spend_entries


def _cover(md: ModelData, v: TargetView, year: int) -> np.ndarray:
    """Which of t's possible starts make it active in ``year``."""
    d = int(md.duration[v.index])
    return (v.starts <= year) & (year < v.starts + d)


def rule17_after(b: Builder, md: ModelData, V: Vars) -> None:
    """Rule 17: t starts only once every target in its ``after`` has delivered.

    For each start year k of t: (t starts by k) <= (u ended before k). At t's
    last start year this also says t formed => u formed.
    """
    for v in V.views:
        t = v.target
        st = V.start[v.index]
        for uid in dict.fromkeys(t.after):
            u = md.views[md.target_index[uid]]
            su = V.start[u.index]
            du = int(md.duration[u.index])
            n = len(v.starts)
            rows, cols, vals = [], [], []
            for i, k in enumerate(v.starts):
                mine = np.nonzero(v.starts <= k)[0]
                done = np.nonzero(u.starts + du <= k)[0]
                rows += [np.full(len(mine), i), np.full(len(done), i)]
                cols += [st[mine], su[done]]
                vals += [np.ones(len(mine)), -np.ones(len(done))]
            b.add_rows("17", "after", n, np.concatenate(rows), np.concatenate(cols),
                       np.concatenate(vals), -INF, 0.0, v.index,
                       _after_text(t.id, uid, v.starts), elastic=False)


def _after_text(tid: str, uid: str, starts: np.ndarray):
    return lambda i: f"{tid}: starts by {int(starts[i])} only if {uid} has delivered by then"


def rule18_milestones(b: Builder, md: ModelData, V: Vars) -> None:
    """Rule 18: at least ``min_formed`` targets formed with a start by ``year``."""
    assert md.programme is not None
    for m in md.programme.milestones:
        cols = [V.start[v.index][v.starts <= m.year] for v in V.views]
        c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        # A milestone nothing can meet is still a row (the solver then proves
        # the instance infeasible, and the diagnosis names the milestone).
        # Written as -sum <= -min_formed: every row across targets is then of
        # the form row <= limit, which the decomposition by target prices.
        b.add_rows("18", "milestone", 1, np.zeros(len(c)), c, -1.0, -INF, -float(m.min_formed), -1,
                   _fixed_text(f"milestone {m.year}: at least {m.min_formed} target(s) formed "
                               f"with a start by {m.year}"))


def _yearly_caps(md: ModelData) -> list[tuple[str, float, int, set[int] | None]]:
    """(description, cap, year, targets or None for all) of every yearly budget."""
    inst = md.inst
    out: list[tuple[str, float, int, set[int] | None]] = []
    for s in inst.sponsors:
        ts = {md.target_index[t.id] for t in inst.targets if t.sponsor == s.id}
        for key, cap in (s.budget_by_year or {}).items():
            out.append((f"sponsor {s.id}: pays at most {cap:g} in {key}", cap, int(key), ts))
    for key, cap in (inst.policy.total_budget_by_year or {}).items():
        out.append((f"total paid in {key} within policy.total_budget_by_year {cap:g}", cap,
                    int(key), None))
    return out


def _binding(md: ModelData, V: Vars, lead: bool) -> dict[int, np.ndarray]:
    """Per programme year, the actors whose capacity (rule 11) can bind in it:
    more targets they may join (or lead) could be active than their limit."""
    pr = md.programme
    assert pr is not None
    limit = md.max_lead if lead else md.max_consortia
    out = {}
    for year in pr.year_list:
        count = np.zeros(md.n_actors, np.int64)
        for v in V.views:
            if _cover(md, v, year).any():
                local = V.lead_local[v.index] if lead else np.arange(v.n)
                np.add.at(count, v.actors[local], 1)
        out[year] = count > limit
    return out


def split_by_start(b: Builder, md: ModelData, V: Vars, coupling: bool = True) -> None:
    """The ``busy`` columns: memberships (and leads) of targets with several
    possible start years, split by start year.

    Every member and lead is split where the year money is paid in matters
    (yearly budgets that cover the target, or a discounted cost): a start
    year's spend is then an exact linear expression, as tight in the LP as
    the start columns themselves (no big-M). Elsewhere only the actors whose
    yearly capacity can bind are split (``coupling``: the whole plan)."""
    pr = md.programme
    assert pr is not None
    w = md.inst.policy.weights
    caps = _yearly_caps(md)
    discounted = pr.discount_rate > 0 and w.cost != 0
    ids = md.actor_ids
    for lead in (False, True):
        binding = _binding(md, V, lead) if coupling else {}
        for v in V.views:
            if len(v.starts) <= 1:
                continue
            local = V.lead_local[v.index] if lead else np.arange(v.n)
            money = discounted or any(ts is None or v.index in ts for _, _, _, ts in caps)
            if money:
                keep = np.ones(len(local), bool)
            else:
                keep = np.zeros(len(local), bool)
                for y, mask in binding.items():
                    cover = _cover(md, v, y)
                    if cover.any() and not cover.all():
                        keep |= mask[v.actors[local]]
            hit = local[keep]
            if len(hit) == 0:
                continue
            n, k = len(hit), len(v.starts)
            busy = b.add_cols(f"busy[{v.target.id}]", n * k, integer=False).reshape(n, k)
            V.busy.append((v.index, lead, v.actors[hit], busy))
            own_cols, own_rows = _own(V, v, hit, lead)
            what = "lead" if lead else "membership"
            b.add_rows("11", f"{what} by start year", n,
                       np.concatenate([np.repeat(np.arange(n), k), own_rows]),
                       np.concatenate([busy.ravel(), own_cols]),
                       np.concatenate([np.ones(n * k), -np.ones(len(own_rows))]), 0.0, 0.0,
                       v.index, _busy_rows(v.target.id, [ids[a] for a in v.actors[hit]], what),
                       elastic=False)
            st = V.start[v.index]
            b.add_rows("11", f"{what} only from its start", n * k,
                       np.concatenate([np.arange(n * k)] * 2),
                       np.concatenate([busy.ravel(), np.tile(st, n)]),
                       np.concatenate([np.ones(n * k), -np.ones(n * k)]), -INF, 0.0, v.index,
                       _fixed_text(f"{v.target.id}: {what} only in its start year's years"),
                       elastic=False)
            if money:
                V.spend_split.add(v.index)


def _split(V: Vars, ti: int, lead: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """The split columns of target ``ti`` (global actors, columns actors x starts)."""
    for t, ld, actors, cols in V.busy:
        if t == ti and ld == lead:
            return actors, cols
    return None


def spend_by_start(md: ModelData, V: Vars, v: TargetView) -> tuple[np.ndarray, np.ndarray]:
    """t's spend if it starts in each of ``v.starts``: columns (starts x n) and
    coefficients (n), from the split memberships and leads."""
    mult = 1.0 + md.rate
    cols, coef = [], []
    for lead in (False, True):
        got = _split(V, v.index, lead)
        if got is None:
            continue
        actors, busy = got
        if lead:
            c = mult[actors] * np.nan_to_num(md.lead_cost[actors])
        else:
            local = np.searchsorted(v.actors, actors)
            c = mult[actors] * v.base[local]
        cols.append(busy.T)
        coef.append(c)
    return np.concatenate(cols, axis=1), np.concatenate(coef)


def paid_in(md: ModelData, V: Vars, v: TargetView, year: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns and coefficients of what t pays in ``year`` (its spend over its
    duration in each active year)."""
    d = float(md.duration[v.index])
    cover = _cover(md, v, year)
    if not cover.any():
        return np.zeros(0, np.int64), np.zeros(0)
    if v.index in V.spend_split:
        cols, coef = spend_by_start(md, V, v)
        sel = cols[cover]
        return sel.ravel(), np.tile(coef, len(sel)) / d
    cols1, vals = spend_entries(md, V, v)
    return cols1, vals / d  # one possible start year


def rule12_by_year(b: Builder, md: ModelData, V: Vars) -> None:
    """Rule 12 by year: what sponsors and the programme pay in a year."""
    for text, cap, year, ts in _yearly_caps(md):
        parts = [paid_in(md, V, v, year) for v in V.views if ts is None or v.index in ts]
        cols = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        vals = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
        if len(cols) == 0 or vals @ b.upper(cols) <= cap:
            continue
        b.add_rows("12", "budget by year", 1, np.zeros(len(cols)), cols, vals, -INF, cap, -1,
                   _fixed_text(text))


def rule11_capacity_by_year(b: Builder, md: ModelData, V: Vars) -> None:
    """Rule 11 in each year: an actor sits in at most max_consortia active
    consortia and leads at most max_lead of them. A target active in the year
    whenever formed counts its membership; one whose activity depends on its
    start counts the memberships split by start year (:func:`split_by_start`)."""
    pr = md.programme
    assert pr is not None
    ids = md.actor_ids
    for what, limit in (("max_consortia", md.max_consortia), ("max_lead", md.max_lead)):
        lead = what == "max_lead"
        binding = _binding(md, V, lead)
        for y in pr.year_list:
            actors = np.nonzero(binding[y])[0]
            if len(actors) == 0:
                continue
            row_of = np.full(md.n_actors, -1, np.int64)
            row_of[actors] = np.arange(len(actors))
            rows, cols = [], []
            for v in V.views:
                cover = _cover(md, v, y)
                if not cover.any():
                    continue
                local = V.lead_local[v.index] if lead else np.arange(v.n)
                hit = local[row_of[v.actors[local]] >= 0]
                if len(hit) == 0:
                    continue
                if cover.all():
                    own_cols, own_rows = _own(V, v, hit, lead)
                    rows.append(row_of[v.actors[hit]][own_rows])
                    cols.append(own_cols)
                    continue
                got = _split(V, v.index, lead)
                assert got is not None
                split_actors, busy = got
                on = row_of[split_actors] >= 0
                k = np.nonzero(cover)[0]
                rows.append(np.repeat(row_of[split_actors[on]], len(k)))
                cols.append(busy[on][:, k].ravel())
            if rows:
                b.add_rows("11", f"{what} in {y}", len(actors), np.concatenate(rows),
                           np.concatenate(cols), 1.0, -INF, limit[actors].astype(float), -1,
                           _capacity_year_rows(ids, actors, what, limit, y))


def _own(V: Vars, v: TargetView, hit: np.ndarray, lead: bool) -> tuple[np.ndarray, np.ndarray]:
    """The membership (or lead) columns of local actors ``hit`` of target v, and
    for each column the position of its actor in ``hit``."""
    if lead:
        pos = np.searchsorted(V.lead_local[v.index], hit)
        return V.lead[v.index][pos], np.arange(len(hit))
    counts = v.ptr[hit + 1] - v.ptr[hit]
    from .rules import _ranges

    idx = _ranges(v.ptr[hit], counts)
    return V.x[v.index][idx], np.repeat(np.arange(len(hit)), counts)


def _busy_rows(tid: str, names: list[str], what: str) -> Callable[[int], str]:
    return lambda i: f"{tid}: {names[i]}'s {what} split by start year"


def _capacity_year_rows(ids, binding, what, limit, year):
    inner = _capacity_rows(ids, binding, what, limit)
    return lambda i: f"{inner(i)} in {year}"


def objective(b: Builder, md: ModelData, V: Vars) -> None:
    """SPEC 7.3 objective: value discounted from the start year, cost from each
    year paid, distance and ties as in section 3."""
    pr = md.programme
    assert pr is not None
    w = md.inst.policy.weights
    for v in V.views:
        t, ti = v.target, v.index
        disc = np.array([pr.discount(int(k)) for k in v.starts])
        b.set_obj(V.start[ti], w.value * t.value * disc)
        d = int(md.duration[ti])
        mean = np.array([np.mean([pr.discount(int(k) + j) for j in range(d)])
                         for k in v.starts])
        if ti in V.spend_split:
            cols, coef = spend_by_start(md, V, v)
            b.set_obj(cols.ravel(), -w.cost * (mean[:, None] * coef[None, :]).ravel())
        else:
            cols, vals = spend_entries(md, V, v)
            # one possible start year, or no discount (then every mean is 1)
            b.set_obj(cols, -w.cost * float(mean[0] if len(v.starts) == 1 else 1.0) * vals)
        if w.distance != 0 and len(v.tri_actor):
            km = md.dist[v.actors[v.tri_actor], v.sites[v.tri_site]]
            b.set_obj(V.x[ti], -w.distance * km)
