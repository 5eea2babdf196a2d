"""The rules of SPEC section 3, one function per rule family.

Variables (all binary unless noted), created only where eligible:

- ``y[t]``: target t is formed;
- ``z[t,s]``: t sits at site s (only for targets with several viable sites;
  a single-site target uses ``y[t]`` as its site variable);
- ``x[a,t,s]``: actor a is a member of t sitting at s, for a within
  ``max_distance_km`` of s (rule 2 holds by construction). ``m[a,t]``, the
  membership of a in t, is the sum of ``x[a,t,s]`` over s;
- ``l[a,t]``: a leads t, for actors who may lead t;
- ``w[t,a,b]`` (continuous in [0, 1]): tie (a, b) realised in t, only when
  the ties weight is not 0.

Who delivers which requirement needs no variable: a requirement may be
delivered by any number of members beyond its redundancy, so rule 3 holds iff
at least ``r`` members may deliver it, and rule 4 (no free riders) holds iff
every non-lead member may deliver at least one requirement. The first is a
row below; the second is enforced by eligibility (an actor who can neither
deliver nor lead has no variable) and by ``m[a,t] = l[a,t]`` for actors who
may only lead. The contracts' deliverables are assigned after the solve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .data import ModelData, TargetView
from .linear import INF, Builder


@dataclass
class Vars:
    y: np.ndarray
    site: list[np.ndarray] = field(default_factory=list)  # per target: col per viable site
    x: list[np.ndarray] = field(default_factory=list)  # per target: col per triple
    lead_local: list[np.ndarray] = field(default_factory=list)  # per target: local actors
    lead: list[np.ndarray] = field(default_factory=list)  # per target: col per lead_local
    ties: list[tuple[int, int, int, float, int]] = field(default_factory=list)  # (t, a, b, w, col)
    views: list[TargetView] = field(default_factory=list)  # targets that have variables
    # SPEC 7.3, per target: a column per start year in ``v.starts`` (the y
    # column itself when there is one start year; empty without a programme).
    start: list[np.ndarray] = field(default_factory=list)
    # Per target: the spend if it starts in each of ``v.starts`` (continuous),
    # only where the year of the spend matters and the start is not known.
    spend_at: dict[int, np.ndarray] = field(default_factory=dict)
    # Rule 16, per target with min_regions > 1: (target, columns, region names).
    regions: list[tuple[int, np.ndarray, np.ndarray]] = field(default_factory=list)
    # SPEC 7.3 capacity by year: (target, year, global actors, columns, lead?).
    busy: list[tuple[int, int, np.ndarray, np.ndarray, bool]] = field(default_factory=list)

    def column_targets(self, n_cols: int) -> np.ndarray:
        """The target each column was made for (-1: none)."""
        out = np.full(n_cols, -1, np.int64)
        for t in range(len(self.y)):
            out[self.y[t]] = t
        for v in self.views:
            t = v.index
            for cols in (self.site[t], self.x[t], self.lead[t]):
                out[cols] = t
        for t, _a, _b, _w, c in self.ties:
            out[c] = t
        for t, cols in enumerate(self.start):
            out[cols] = t
        for t, cols in self.spend_at.items():
            out[cols] = t
        for t, cols, _ in self.regions:
            out[cols] = t
        for ti, _year, _actors, cols, _lead in self.busy:
            out[cols] = ti
        return out


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + c)`` for each pair, without a Python loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    shift = starts - (np.cumsum(counts) - counts)
    return np.arange(total, dtype=np.int64) + np.repeat(shift, counts)


def members_of(v: TargetView, V: Vars, local: np.ndarray, row_ids: np.ndarray, coef=1.0):
    """Row entries for ``coef * m[a,t]`` of the given local actors (one row each)."""
    local = np.asarray(local, np.int64)
    counts = v.ptr[local + 1] - v.ptr[local]
    idx = _ranges(v.ptr[local], counts)
    rows = np.repeat(np.asarray(row_ids, np.int64), counts)
    vals = np.repeat(np.broadcast_to(np.asarray(coef, float), local.shape), counts)
    return rows, V.x[v.index][idx], vals


def member_sum(v: TargetView, V: Vars, coef: np.ndarray):
    """Entries of ``sum_a coef[a] * m[a,t]`` (one row) over all members."""
    vals = np.asarray(coef, float)[v.tri_actor]
    nz = vals != 0
    return V.x[v.index][nz], vals[nz]


def _one_row(b: Builder, V: Vars, rule: str, name: str, v: TargetView, cols: np.ndarray,
             vals: np.ndarray, y_coef: float, lo: float, hi: float, describe: str,
             elastic: bool = True) -> None:
    """One row of target ``v``: ``lo <= vals . x[cols] + y_coef * y[t] <= hi``."""
    cols = np.append(cols, V.y[v.index])
    vals = np.append(vals, y_coef)
    b.add_rows(rule, name, 1, np.zeros(len(cols)), cols, vals, lo, hi, v.index, lambda _i: describe,
               elastic)


# ------------------------------------------------------------------ variables


def add_variables(b: Builder, md: ModelData, only: set[int] | None = None) -> Vars:
    """Columns for every target (``only``: just these targets, the others unformed)."""
    nt = len(md.views)
    y = b.add_cols("y", nt)
    V = Vars(y=y)
    empty = np.zeros(0, np.int64)
    for v in md.views:
        if v.impossible or (only is not None and v.index not in only):
            b.set_bounds([y[v.index]], ub=0.0)
            V.site.append(empty)
            V.x.append(empty)
            V.lead_local.append(empty)
            V.lead.append(empty)
            V.start.append(empty)
            continue
        V.views.append(v)
        if len(v.sites) > 1:
            V.site.append(b.add_cols(f"z[{v.target.id}]", len(v.sites)))
        else:
            V.site.append(np.full(len(v.sites), y[v.index]))
        V.x.append(b.add_cols(f"x[{v.target.id}]", len(v.tri_actor)))
        local = np.nonzero(v.lead)[0]
        V.lead_local.append(local)
        V.lead.append(b.add_cols(f"l[{v.target.id}]", len(local)))
        if len(v.starts) > 1:
            V.start.append(b.add_cols(f"start[{v.target.id}]", len(v.starts)))
        else:
            V.start.append(np.full(len(v.starts), y[v.index]))
    return V


# ------------------------------------------------------------------ rules 1, 2


def rule1_one_lead(b: Builder, md: ModelData, V: Vars, v: TargetView) -> None:
    """Rule 1: a formed target has exactly one lead, who is one of its members."""
    t, ti = v.target, v.index
    _one_row(b, V, "1", "one lead", v, V.lead[ti], np.ones(len(V.lead[ti])), -1.0, 0.0, 0.0,
             f"{t.id}: exactly one lead who may lead it")
    local = V.lead_local[ti]
    if len(local) == 0:
        return
    n = len(local)
    rows, cols, vals = members_of(v, V, local, np.arange(n), -1.0)
    rows = np.concatenate([np.arange(n), rows])
    cols = np.concatenate([V.lead[ti], cols])
    vals = np.concatenate([np.ones(n), vals])
    # Rule 4: an actor who may lead but delivers nothing can only be the lead.
    only_lead = (
        ~v.deliver[local].any(axis=1) if md.inst.policy.no_free_riders else np.zeros(n, bool)
    )
    lo = np.where(only_lead, 0.0, -INF)
    ids = md.actor_ids
    b.add_rows("1", "lead is a member", n, rows, cols, vals, lo, 0.0, ti,
               lambda i: f"{t.id}: lead {ids[v.actors[local[i]]]} must be a member", elastic=False)


def rule2_site(b: Builder, md: ModelData, V: Vars, v: TargetView) -> None:
    """Rule 2 (with the site choice): one site; members only at the chosen site.

    Distance limits hold by construction: x[a,t,s] exists only within reach.
    """
    t, ti = v.target, v.index
    if len(v.sites) <= 1:
        return
    z = V.site[ti]
    _one_row(b, V, "2", "one site", v, z, np.ones(len(z)), -1.0, 0.0, 0.0,
             f"{t.id}: exactly one site", elastic=False)
    n = len(v.tri_actor)
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([V.x[ti], z[v.tri_site]])
    vals = np.concatenate([np.ones(n), -np.ones(n)])
    b.add_rows("2", "member at chosen site", n, rows, cols, vals, -INF, 0.0, ti,
               lambda i: f"{t.id}: member at the chosen site", elastic=False)


# ------------------------------------------------------------------ rules 3-10


def rule3_redundancy(b: Builder, md: ModelData, V: Vars, v: TargetView) -> None:
    """Rule 3: each requirement delivered by >= redundancy distinct eligible members."""
    t, ti = v.target, v.index
    reqs = t.requirements
    n = len(reqs)
    if n == 0:
        return
    # One row per requirement, all in one block (a target may have hundreds):
    # sum of the members who may deliver it >= redundancy * y.
    k, j = np.nonzero(v.deliver[v.tri_actor])
    rows = np.concatenate([j, np.arange(n)])
    cols = np.concatenate([V.x[ti][k], np.full(n, V.y[ti])])
    vals = np.concatenate([np.ones(len(k)), [-float(r.redundancy) for r in reqs]])

    def describe(i: int) -> str:
        req = reqs[i]
        return (
            f"{t.id}: requirement {req.capability!r} (level {req.level}) needs "
            f"{req.redundancy} distinct member(s) who may deliver it"
        )

    b.add_rows("3", "redundancy", n, rows, cols, vals, 0.0, INF, ti, describe)


def rule5_both_ends(b: Builder, md: ModelData, V: Vars, v: TargetView) -> None:
    """Rule 5: at least one research-end and one market-end member."""
    if not md.inst.policy.require_both_ends:
        return
    for end, mask in (("research", md.is_R), ("market", md.is_E)):
        cols, vals = member_sum(v, V, mask[v.actors].astype(float))
        _one_row(b, V, "5", "both ends", v, cols, vals, -1.0, 0.0, INF,
                 f"{v.target.id}: at least one {end}-end member (both ends)")


def rule6_size(b: Builder, md: ModelData, V: Vars, v: TargetView) -> None:
    """Rule 6: min_members <= |members| <= max_members (also links x to y)."""
    t = v.target
    cols, vals = member_sum(v, V, np.ones(v.n))
    cap = v.n if t.max_members is None else min(t.max_members, v.n)
    _one_row(
        b,
        V,
        "6",
        "max members",
        v,
        cols,
        vals,
        -float(cap),
        -INF,
        0.0,
        f"{t.id}: at most {cap} members"
        if t.max_members is not None
        else f"{t.id}: members only if formed",
        elastic=t.max_members is not None,
    )
    if t.min_members > 1:
        _one_row(b, V, "6", "min members", v, cols, vals, -float(t.min_members), 0.0, INF,
                 f"{t.id}: at least {t.min_members} members")


def rule7_state_share(b: Builder, md: ModelData, V: Vars, v: TargetView) -> None:
    """Rule 7: state enterprises <= max_state_share * |members|."""
    share = md.inst.policy.max_state_share
    se = md.is_state_ent[v.actors]
    if share >= 1 or not se.any():
        return
    cols, vals = member_sum(v, V, se.astype(float) - share)
    _one_row(b, V, "7", "state share", v, cols, vals, 0.0, -INF, 0.0,
             f"{v.target.id}: state enterprises at most {share:g} of the members")


def rule8_private(b: Builder, md: ModelData, V: Vars, v: TargetView) -> None:
    """Rule 8: at least min_private_members private members."""
    k = md.inst.policy.min_private_members
    if k <= 0:
        return
    cols, vals = member_sum(v, V, md.is_private[v.actors].astype(float))
    _one_row(b, V, "8", "private members", v, cols, vals, -float(k), 0.0, INF,
             f"{v.target.id}: at least {k} private member(s)")


def rule9_outside(b: Builder, md: ModelData, V: Vars, v: TargetView) -> None:
    """Rule 9: at least min_outside_members from outside the sponsor's region."""
    k = md.inst.policy.min_outside_members
    region = md.sponsor_region(v.target)
    if k <= 0 or region is None:
        return
    cols, vals = member_sum(v, V, (md.region[v.actors] != region).astype(float))
    _one_row(b, V, "9", "outside members", v, cols, vals, -float(k), 0.0, INF,
             f"{v.target.id}: at least {k} member(s) from outside {region}")


def rule10_conflicts(b: Builder, md: ModelData, V: Vars, v: TargetView, pairs) -> None:
    """Rule 10: no two members in conflict."""
    local = np.full(md.n_actors, -1, np.int64)
    local[v.actors] = np.arange(v.n)
    la, lb = local[pairs[0]], local[pairs[1]]
    keep = (la >= 0) & (lb >= 0)
    la, lb = la[keep], lb[keep]
    n = len(la)
    if n == 0:
        return
    r1, c1, v1 = members_of(v, V, la, np.arange(n))
    r2, c2, v2 = members_of(v, V, lb, np.arange(n))
    ids, t = md.actor_ids, v.target
    b.add_rows(
        "10",
        "conflicts",
        n,
        np.concatenate([r1, r2]),
        np.concatenate([c1, c2]),
        np.concatenate([v1, v2]),
        -INF,
        1.0,
        v.index,
        lambda i: f"{t.id}: {ids[v.actors[la[i]]]} and {ids[v.actors[lb[i]]]} are in conflict",
    )


def rule14_fixed(b: Builder, md: ModelData, V: Vars, v: TargetView) -> None:
    """Rule 14 (and mandatory targets): fixed leads and members form the target."""
    ti, t = v.index, v.target
    if md.forced(ti):
        b.set_bounds([V.y[ti]], lb=1.0)
    local = np.full(md.n_actors, -1, np.int64)
    local[v.actors] = np.arange(v.n)
    if ti in md.fixed_lead:
        pos = np.nonzero(V.lead_local[ti] == local[md.fixed_lead[ti]])[0]
        b.set_bounds(V.lead[ti][pos], lb=1.0)
    members = [a for a in md.fixed_members.get(ti, []) if local[a] >= 0]
    if members:
        la = local[np.array(members)]
        n = len(la)
        rows, cols, vals = members_of(v, V, la, np.arange(n))
        ids = md.actor_ids
        b.add_rows("14", "fixed members", n, rows, cols, vals, 1.0, INF, ti,
                   lambda i: f"{t.id}: fixed member {ids[v.actors[la[i]]]}", elastic=False)


# ------------------------------------------------------------------ rules 15, 16 (SPEC 7)


def rule15_composition(b: Builder, md: ModelData, V: Vars, v: TargetView) -> None:
    """Rule 15: for each composition rule, min <= matching members <= max."""
    t = v.target
    for rule, mask in md.composition_masks(t):
        match = mask[v.actors]
        n = int(match.sum())
        cols, vals = member_sum(v, V, match.astype(float))
        who = rule.describe()
        if rule.min > 0:
            _one_row(b, V, "15", "composition min", v, cols, vals, -float(rule.min), 0.0, INF,
                     f"{t.id}: composition: at least {rule.min} {who}")
        if rule.max is not None and rule.max < n:
            _one_row(b, V, "15", "composition max", v, cols, vals, -float(rule.max), -INF, 0.0,
                     f"{t.id}: composition: at most {rule.max} {who}")


def rule16_regions(b: Builder, md: ModelData, V: Vars, v: TargetView) -> None:
    """Rule 16: members from at least min_regions distinct regions.

    ``r[t,g]`` in [0, 1] may be 1 only if a member comes from region g; their
    sum is at least ``min_regions * y``. (Continuous is exact: the member
    counts are integers.)
    """
    t, ti = v.target, v.index
    k = md.inst.min_regions_of(t)
    if k <= 1:
        return  # a formed target has a lead, so one region
    regions, local_region = np.unique(md.region[v.actors].astype(str), return_inverse=True)
    g = len(regions)
    r = b.add_cols(f"regions[{t.id}]", g, integer=False)
    V.regions.append((ti, r, regions))
    rows, cols, vals = members_of(v, V, np.arange(v.n), local_region, -1.0)
    b.add_rows("16", "region present", g, np.concatenate([np.arange(g), rows]),
               np.concatenate([r, cols]), np.concatenate([np.ones(g), vals]), -INF, 0.0, ti,
               lambda i: f"{t.id}: a member from region {regions[i]}", elastic=False)
    _one_row(b, V, "16", "min regions", v, r, np.ones(g), -float(k), 0.0, INF,
             f"{t.id}: members from at least {k} distinct regions")


def start_year(b: Builder, md: ModelData, V: Vars, v: TargetView) -> None:
    """SPEC 7.3: a formed target starts in exactly one of its possible years."""
    cols = V.start[v.index]
    if len(cols) > 1:
        _one_row(b, V, "17", "one start year", v, cols, np.ones(len(cols)), -1.0, 0.0, 0.0,
                 f"{v.target.id}: exactly one start year", elastic=False)


# ------------------------------------------------------------------ rules 11-13


def rule11_capacity(b: Builder, md: ModelData, V: Vars) -> None:
    """Rule 11: each actor joins at most max_consortia and leads at most max_lead."""
    ids = md.actor_ids
    empty = np.zeros(0, np.int64)
    # (actor per column, columns, how many targets each actor could join/lead)
    joins = (
        np.concatenate([v.actors[v.tri_actor] for v in V.views] or [empty]),
        np.concatenate([V.x[v.index] for v in V.views] or [empty]),
        # pairs, not triples: the sites of one (actor, target) pair are exclusive
        np.bincount(np.concatenate([v.actors for v in V.views] or [empty]), minlength=md.n_actors),
    )
    lead_actors = np.concatenate([v.actors[V.lead_local[v.index]] for v in V.views] or [empty])
    leads = (
        lead_actors,
        np.concatenate([V.lead[v.index] for v in V.views] or [empty]),
        np.bincount(lead_actors, minlength=md.n_actors),
    )
    for what, (actors, cols, n_pairs), limit in (
        ("max_consortia", joins, md.max_consortia),
        ("max_lead", leads, md.max_lead),
    ):
        binding = np.nonzero(n_pairs > limit)[0]
        if len(binding) == 0:
            continue
        row_of = np.full(md.n_actors, -1, np.int64)
        row_of[binding] = np.arange(len(binding))
        keep = row_of[actors] >= 0
        b.add_rows("11", what, len(binding), row_of[actors[keep]], cols[keep], 1.0, -INF,
                   limit[binding].astype(float), -1, _capacity_rows(ids, binding, what, limit))


def spend_entries(md: ModelData, V: Vars, v: TargetView):
    """Columns and coefficients of a target's spend (rule 12)."""
    mult = 1.0 + md.rate[v.actors]
    x_coef = (mult * v.base)[v.tri_actor]
    lead_local = V.lead_local[v.index]
    l_coef = (mult * np.nan_to_num(md.lead_cost[v.actors]))[lead_local]
    return (np.concatenate([V.x[v.index], V.lead[v.index]]), np.concatenate([x_coef, l_coef]))


def rule12_budgets(b: Builder, md: ModelData, V: Vars) -> None:
    """Rule 12: spend within the target's, the sponsor's and the total budget."""
    spends = rule12_target_budgets(b, md, V)
    rule12_shared_budgets(b, md, V, spends)


def rule12_target_budgets(b: Builder, md: ModelData, V: Vars) -> dict:
    """Rule 12, per target: its spend within its own budget."""
    spends = {v.index: spend_entries(md, V, v) for v in V.views}
    for v in V.views:
        cols, vals = spends[v.index]
        t = v.target
        if t.budget is None or vals.sum() <= t.budget:
            continue
        _one_row(b, V, "12", "target budget", v, cols, vals, -t.budget, -INF, 0.0,
                 f"{t.id}: spend within its budget {t.budget:g}")
    return spends


def rule12_shared_budgets(b: Builder, md: ModelData, V: Vars, spends: dict) -> None:
    """Rule 12, across targets: sponsors' budgets and the total budget."""
    inst = md.inst
    groups: list[tuple[str, float, list[int]]] = []
    for s in inst.sponsors:
        if s.budget is not None:
            groups.append(
                (
                    f"sponsor {s.id}: spend within its budget {s.budget:g}",
                    s.budget,
                    [v.index for v in V.views if v.target.sponsor == s.id],
                )
            )
    if inst.policy.total_budget is not None:
        groups.append(
            (
                f"total spend within policy.total_budget {inst.policy.total_budget:g}",
                inst.policy.total_budget,
                list(spends),
            )
        )
    for text, cap, members in groups:
        cols = np.concatenate([spends[i][0] for i in members]) if members else np.zeros(0, np.int64)
        vals = np.concatenate([spends[i][1] for i in members]) if members else np.zeros(0)
        if vals.sum() <= cap:
            continue
        b.add_rows("12", "budget", 1, np.zeros(len(cols)), cols, vals, -INF, cap, -1,
                   _fixed_text(text))


def rule13_exclusive(b: Builder, md: ModelData, V: Vars) -> None:
    """Rule 13: at most one target of each exclusive group is formed."""
    if len(V.views) <= 1:
        return
    for group in md.inst.exclusive:
        cols = V.y[[md.target_index[t] for t in group]]
        b.add_rows("13", "exclusive", 1, np.zeros(len(cols)), cols, 1.0, -INF, 1.0, -1,
                   _fixed_text(f"at most one of {', '.join(group)} (exclusive group)"))


# ------------------------------------------------------------------ objective


def objective(b: Builder, md: ModelData, V: Vars) -> None:
    """SPEC 3 objective (maximised): value - cost*spend - distance*km + ties*weight."""
    w = md.inst.policy.weights
    b.set_obj(V.y, w.value * np.array([t.value for t in md.inst.targets]))
    for v in V.views:
        cols, vals = spend_entries(md, V, v)
        b.set_obj(cols, -w.cost * vals)
        if w.distance != 0 and len(v.tri_actor):
            km = md.dist[v.actors[v.tri_actor], v.sites[v.tri_site]]
            b.set_obj(V.x[v.index], -w.distance * km)


def _fixed_text(text: str) -> Callable[[int], str]:
    """A row description that is the same text for every row of the block."""
    return lambda _i: text


def _capacity_rows(ids: list[str], binding: np.ndarray, what: str,
                   limit: np.ndarray) -> Callable[[int], str]:
    """The description of capacity row ``i`` (actor ``binding[i]``)."""
    return lambda i: f"actor {ids[binding[i]]}: {what} {int(limit[binding[i]])}"


def _tie_rows(target: str, ids: list[str], a: np.ndarray, b: np.ndarray) -> Callable[[int], str]:
    """The description of tie row ``i`` of one target, between actors ``a[i]``
    and ``b[i]`` (bound here, per target: a closure in the loop over targets
    would describe the last target only; the ids are looked up when asked)."""
    return lambda i: f"{target}: tie between {ids[a[i]]} and {ids[b[i]]}"


def ties(b: Builder, md: ModelData, V: Vars) -> None:
    """Tie variables w[t,a,b] <= m[a,t], m[b,t] (or >= m_a + m_b - 1 if penalised)."""
    wt = md.inst.policy.weights.ties
    if wt == 0 or not md.inst.ties:
        return
    ta, tb, tw = md.tie_arrays
    for v in V.views:
        local = np.full(md.n_actors, -1, np.int64)
        local[v.actors] = np.arange(v.n)
        la, lb = local[ta], local[tb]
        keep = (la >= 0) & (lb >= 0)
        n = int(keep.sum())
        if n == 0:
            continue
        la, lb, ww = la[keep], lb[keep], tw[keep]
        cols = b.add_cols(f"w[{v.target.id}]", n, lb=0.0, ub=1.0, integer=False)
        b.set_obj(cols, wt * ww)
        ga, gb = v.actors[la], v.actors[lb]
        V.ties.extend(zip([v.index] * n, ga.tolist(), gb.tolist(), ww.tolist(), cols.tolist(),
                          strict=True))
        describe = _tie_rows(v.target.id, md.actor_ids, ga, gb)
        if wt > 0:  # rewarded: w may be 1 only if both are members
            for side in (la, lb):
                rows, xc, xv = members_of(v, V, side, np.arange(n), -1.0)
                b.add_rows("ties", "tie link", n, np.concatenate([np.arange(n), rows]),
                           np.concatenate([cols, xc]), np.concatenate([np.ones(n), xv]), -INF, 0.0,
                           v.index, describe, elastic=False)
        else:  # penalised: w must be 1 when both are members
            r1, c1, v1 = members_of(v, V, la, np.arange(n), -1.0)
            r2, c2, v2 = members_of(v, V, lb, np.arange(n), -1.0)
            b.add_rows("ties", "tie link", n, np.concatenate([np.arange(n), r1, r2]),
                       np.concatenate([cols, c1, c2]), np.concatenate([np.ones(n), v1, v2]), -1.0,
                       INF, v.index, describe, elastic=False)


PER_TARGET_RULES = (
    rule1_one_lead,
    rule2_site,
    rule3_redundancy,
    rule5_both_ends,
    rule6_size,
    rule7_state_share,
    rule8_private,
    rule9_outside,
    rule14_fixed,
    rule15_composition,
    rule16_regions,
    start_year,
)
