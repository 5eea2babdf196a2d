"""The rules of a multi-year programme (SPEC 7.3), one function per rule family.

Variables beyond those of :mod:`.rules`:

- ``start[t,k]``: t starts in year ``v.starts[k]`` (the ``y[t]`` column itself
  when t has one possible start year); their sum is ``y[t]``;
- ``spend_at[t,k]`` (continuous): t's spend if it starts in ``v.starts[k]``,
  else 0. Only for targets with several possible start years, and only when
  the year money is paid in matters (yearly budgets, or a discounted cost);
  ``0 <= spend_at[t,k] <= M_t * start[t,k]`` and ``sum_k spend_at[t,k] =
  spend(t)`` make it exact (one start year is chosen);
- ``busy[a,t,Y]`` (continuous in [0, 1]): a sits in t and t is active in year
  Y; ``busy >= m[a,t] - idle(t,Y)`` with ``idle`` the start columns of t that
  do not cover Y (``m[a,t] <= y[t]`` makes it ``m + active - y``), made only for actors whose yearly
  capacity can bind and targets whose activity in Y depends on the start.

A target is *active* in Y when it started in one of the years that cover Y;
``active(t,Y)`` is the sum of those ``start`` columns (``y[t]`` when every
possible start covers Y).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

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
    """(description, cap, year, targets or None for all) of every yearly budget
    (worked out once per instance: stand-alone models ask for each target)."""
    cached = md.__dict__.get("_yearly_caps")
    if cached is None:
        cached = md.__dict__["_yearly_caps"] = _yearly_caps_of(md)
    return cached


def _yearly_caps_of(md: ModelData) -> list[tuple[str, float, int, set[int] | None]]:
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
                   -INF, 0.0, v.index, _fixed_text(f"{tid}: spend only from its start"),
                   elastic=False)


def rule12_least_spend(b: Builder, md: ModelData, V: Vars, least: Mapping[int, float]) -> None:
    """Rule 12, strengthened: a formed target spends at least ``least[t]``, a
    lower bound on the spend of any consortium its own rules allow (the LP
    relaxation of its stand-alone model, :func:`consortium.solving.build.least_spends`).

    Valid, so no plan is lost; what it adds is strength: paid by start year
    (``spend_at[t,k] >= least * start[t,k]``), it turns the yearly budgets into
    knapsacks over start years that the LP relaxation cannot dodge by paying
    a fractional target's spend in whichever year has room (on the programme
    preset, seed 1, the LP bound falls from 938.4 to 914.6).
    """
    for v in V.views:
        m = float(least.get(v.index, 0.0))
        if m <= 0.0 or v.impossible:
            continue
        tid = v.target.id
        what = _fixed_text(f"{tid}: spends at least {m:.6g} if formed (its cheapest consortium)")
        if v.index in V.spend_at:
            q, st = V.spend_at[v.index], V.start[v.index]
            n = len(q)
            b.add_rows("12", "least spend by start year", n, np.concatenate([np.arange(n)] * 2),
                       np.concatenate([q, st]), np.concatenate([np.ones(n), np.full(n, -m)]),
                       0.0, INF, v.index, what, elastic=False)
        else:
            cols, vals = spend_entries(md, V, v)
            b.add_rows("12", "least spend", 1, np.zeros(len(cols) + 1),
                       np.concatenate([cols, [V.y[v.index]]]), np.concatenate([vals, [-m]]),
                       0.0, INF, v.index, what, elastic=False)


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
    consortia and leads at most max_lead of them."""
    pr = md.programme
    assert pr is not None
    ids = md.actor_ids
    for year in pr.year_list:
        for what, limit in (("max_consortia", md.max_consortia), ("max_lead", md.max_lead)):
            _capacity_year(b, md, V, year, what, limit, ids)


def _capacity_year(b: Builder, md: ModelData, V: Vars, year: int, what: str,
                   limit: np.ndarray, ids: list[str]) -> None:
    lead = what == "max_lead"
    per_target = []  # (view, local actors, their columns per local actor, cover)
    count = np.zeros(md.n_actors, np.int64)
    for v in V.views:
        cover = _cover(md, v, year)
        if not cover.any():
            continue
        local = V.lead_local[v.index] if lead else np.arange(v.n)
        per_target.append((v, local, cover))
        np.add.at(count, v.actors[local], 1)
    binding = np.nonzero(count > limit)[0]
    if len(binding) == 0:
        return
    row_of = np.full(md.n_actors, -1, np.int64)
    row_of[binding] = np.arange(len(binding))
    rows, cols = [], []
    for v, local, cover in per_target:
        hit = local[row_of[v.actors[local]] >= 0]
        if len(hit) == 0:
            continue
        r = row_of[v.actors[hit]]
        if lead:
            pos = np.searchsorted(V.lead_local[v.index], hit)
            own = [V.lead[v.index][pos]]
            own_rows = [np.arange(len(hit))]
        else:
            counts = v.ptr[hit + 1] - v.ptr[hit]
            starts = v.ptr[hit]
            idx = np.concatenate([np.arange(s, s + c) for s, c in zip(starts, counts, strict=True)])
            own = [V.x[v.index][idx]]
            own_rows = [np.repeat(np.arange(len(hit)), counts)]
        if cover.all():  # active in this year whenever formed: the membership itself
            rows.append(r[own_rows[0]])
            cols.append(own[0])
            continue
        # busy >= member - (formed, not active): one column per actor, linked
        # here. Formed and not active is the sum of the start columns that do
        # not cover the year (a member is only in a formed target), so this is
        # busy >= member + active - formed: at least as tight as the textbook
        # busy >= member + active - 1 (formed <= 1), and much tighter in the
        # LP relaxation, where formed is fractional.
        n = len(hit)
        busy = b.add_cols(f"busy[{v.target.id},{year}]", n, integer=False)
        V.busy.append((v.index, year, v.actors[hit], busy, lead))
        idle = V.start[v.index][~cover]
        lr = np.concatenate([np.arange(n), own_rows[0], np.repeat(np.arange(n), len(idle))])
        lc = np.concatenate([busy, own[0], np.tile(idle, n)])
        lv = np.concatenate([np.ones(n), -np.ones(len(own[0])), np.ones(n * len(idle))])
        tid = v.target.id
        b.add_rows("11", f"{what} by year link", n, lr, lc, lv, 0.0, INF, v.index,
                   _busy_text(tid, [ids[a] for a in v.actors[hit]], year), elastic=False)
        rows.append(r)
        cols.append(busy)
    b.add_rows("11", f"{what} in {year}", len(binding), np.concatenate(rows),
               np.concatenate(cols), 1.0, -INF, limit[binding].astype(float), -1,
               _capacity_year_rows(ids, binding, what, limit, year))


def _busy_text(tid: str, who: list[str], year: int) -> Callable[[int], str]:
    return lambda i: f"{tid}: {who[i]} busy in {year} if a member and active"


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
