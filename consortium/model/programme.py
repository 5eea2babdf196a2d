"""The rules of a multi-year programme (SPEC 7.3), one function per rule family.

Variables beyond those of :mod:`.rules`:

- ``start[t,k]``: t starts in year ``v.starts[k]`` (the ``y[t]`` column itself
  when t has one possible start year); their sum is ``y[t]``;
- ``spend_at[t,k]`` (continuous): t's spend if it starts in ``v.starts[k]``,
  else 0. Only for targets with several possible start years, and only when
  the year money is paid in matters (yearly budgets, or a discounted cost);
  ``0 <= spend_at[t,k] <= M_t * start[t,k]`` and ``sum_k spend_at[t,k] =
  spend(t)`` make it exact (one start year is chosen);
- ``busy[a,t,k]`` (continuous in [0, 1]): a sits in (or leads) t and t starts
  in ``v.starts[k]``; ``busy <= start[t,k]``, ``sum_k busy = m[a,t]``. Made
  only for actors whose yearly capacity can bind in a year whose activity
  depends on t's start.

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


def _spend_cap(md: ModelData, V: Vars, v: TargetView, vals: np.ndarray) -> float:
    """An upper bound on t's spend (one site, one lead)."""
    n_x = len(V.x[v.index])
    x_vals, l_vals = vals[:n_x], vals[n_x:]
    per_actor = np.zeros(v.n)
    np.maximum.at(per_actor, v.tri_actor, x_vals)
    cap = float(per_actor.sum() + (l_vals.max() if len(l_vals) else 0.0))
    inst = md.inst
    limits = [v.target.budget, inst.policy.total_budget]
    if v.target.sponsor is not None:
        limits.append(inst.sponsors[md.sponsor_index[v.target.sponsor]].budget)
    for lim in limits:
        if lim is not None:
            cap = min(cap, float(lim) * (1 + 1e-6) + 1e-9)
    return cap


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


def spend_by_start(b: Builder, md: ModelData, V: Vars) -> None:
    """The ``spend_at`` columns, where the year of the spend matters."""
    pr = md.programme
    assert pr is not None
    w = md.inst.policy.weights
    caps = _yearly_caps(md)
    discounted = pr.discount_rate > 0 and w.cost != 0
    for v in V.views:
        if len(v.starts) <= 1:
            continue
        if not discounted and not any(ts is None or v.index in ts for _, _, _, ts in caps):
            continue
        cols, vals = spend_entries(md, V, v)
        n = len(v.starts)
        cap = _spend_cap(md, V, v, vals)
        q = b.add_cols(f"spend_at[{v.target.id}]", n, ub=cap, integer=False)
        V.spend_at[v.index] = q
        tid = v.target.id
        b.add_rows("12", "spend by start year", 1, np.zeros(n + len(cols)),
                   np.concatenate([q, cols]), np.concatenate([np.ones(n), -vals]), 0.0, 0.0,
                   v.index, _fixed_text(f"{tid}: its spend, paid from its start year"),
                   elastic=False)
        st = V.start[v.index]
        b.add_rows("12", "spend in its start year", n, np.concatenate([np.arange(n)] * 2),
                   np.concatenate([q, st]), np.concatenate([np.ones(n), np.full(n, -cap)]),
                   -INF, 0.0, v.index, _fixed_text(f"{tid}: spend only from its start year"),
                   elastic=False)


def paid_in(md: ModelData, V: Vars, v: TargetView, year: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns and coefficients of what t pays in ``year`` (its spend over its
    duration in each active year)."""
    d = float(md.duration[v.index])
    cover = _cover(md, v, year)
    if not cover.any():
        return np.zeros(0, np.int64), np.zeros(0)
    if v.index in V.spend_at:
        q = V.spend_at[v.index][cover]
        return q, np.full(len(q), 1.0 / d)
    cols, vals = spend_entries(md, V, v)
    return cols, vals / d  # one possible start year


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
    consortia and leads at most max_lead of them.

    Where an actor's capacity can bind in a year that a target may or may not
    be active in (its start is not known), its membership is split by start
    year: ``busy[a,t,k] <= start[t,k]`` and ``sum_k busy[a,t,k] = m[a,t]`` (or
    ``l[a,t]``), continuous and exact since one start year is chosen, and as
    tight as the start columns themselves in the LP."""
    pr = md.programme
    assert pr is not None
    ids = md.actor_ids
    for what, limit in (("max_consortia", md.max_consortia), ("max_lead", md.max_lead)):
        lead = what == "max_lead"
        # Which actors can bind in which year: more possible targets than the limit.
        binding: dict[int, np.ndarray] = {}
        for year in pr.year_list:
            count = np.zeros(md.n_actors, np.int64)
            for v in V.views:
                if _cover(md, v, year).any():
                    local = V.lead_local[v.index] if lead else np.arange(v.n)
                    np.add.at(count, v.actors[local], 1)
            binding[year] = count > limit
        rows: dict[int, list[np.ndarray]] = {y: [] for y in pr.year_list}
        cols: dict[int, list[np.ndarray]] = {y: [] for y in pr.year_list}
        for v in V.views:
            covers = {y: _cover(md, v, y) for y in pr.year_list}
            years = [y for y in pr.year_list if covers[y].any()]
            local = V.lead_local[v.index] if lead else np.arange(v.n)
            anywhere = np.zeros(len(local), bool)
            for y in years:
                anywhere |= binding[y][v.actors[local]]
            hit = local[anywhere]
            if len(hit) == 0:
                continue
            own_cols, own_rows = _own(V, v, hit, lead)
            certain = [y for y in years if covers[y].all()]
            for y in certain:  # active in this year whenever formed: the membership itself
                on = binding[y][v.actors[hit]]
                keep = on[own_rows]
                rows[y].append(v.actors[hit][own_rows[keep]])
                cols[y].append(own_cols[keep])
            uncertain = [y for y in years if not covers[y].all()]
            need = np.zeros(len(hit), bool)
            for y in uncertain:
                need |= binding[y][v.actors[hit]]
            if not need.any():
                continue
            sel = np.nonzero(need)[0]
            n, w = len(sel), len(v.starts)
            busy = b.add_cols(f"busy[{v.target.id}]", n * w, integer=False).reshape(n, w)
            V.busy.append((v.index, lead, v.actors[hit[sel]], busy))
            # sum_k busy[i, k] - own(i) = 0
            mine = np.isin(own_rows, sel)
            pos = np.searchsorted(sel, own_rows[mine])
            b.add_rows("11", f"{what} by start year", n,
                       np.concatenate([np.repeat(np.arange(n), w), pos]),
                       np.concatenate([busy.ravel(), own_cols[mine]]),
                       np.concatenate([np.ones(n * w), -np.ones(len(pos))]), 0.0, 0.0, v.index,
                       _busy_rows(v.target.id, [ids[a] for a in v.actors[hit[sel]]]),
                       elastic=False)
            # busy[i, k] <= start[k]
            st = V.start[v.index]
            b.add_rows("11", f"{what} only from its start", n * w,
                       np.concatenate([np.arange(n * w)] * 2),
                       np.concatenate([busy.ravel(), np.tile(st, n)]),
                       np.concatenate([np.ones(n * w), -np.ones(n * w)]), -INF, 0.0, v.index,
                       _fixed_text(f"{v.target.id}: busy only in its start year's years"),
                       elastic=False)
            for y in uncertain:
                on = binding[y][v.actors[hit[sel]]]
                if not on.any():
                    continue
                k = np.nonzero(covers[y])[0]
                rows[y].append(np.repeat(v.actors[hit[sel]][on], len(k)))
                cols[y].append(busy[on][:, k].ravel())
        for y in pr.year_list:
            actors = np.nonzero(binding[y])[0]
            if len(actors) == 0 or not rows[y]:
                continue
            row_of = np.full(md.n_actors, -1, np.int64)
            row_of[actors] = np.arange(len(actors))
            b.add_rows("11", f"{what} in {y}", len(actors), row_of[np.concatenate(rows[y])],
                       np.concatenate(cols[y]), 1.0, -INF, limit[actors].astype(float), -1,
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


def _busy_rows(tid: str, names: list[str]) -> Callable[[int], str]:
    return lambda i: f"{tid}: {names[i]}'s membership split by start year"


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
        if ti in V.spend_at:
            b.set_obj(V.spend_at[ti], -w.cost * mean)
        else:
            cols, vals = spend_entries(md, V, v)
            # one possible start year, or no discount (then every mean is 1)
            b.set_obj(cols, -w.cost * float(mean[0] if len(v.starts) == 1 else 1.0) * vals)
        if w.distance != 0 and len(v.tri_actor):
            km = md.dist[v.actors[v.tri_actor], v.sites[v.tri_site]]
            b.set_obj(V.x[ti], -w.distance * km)
