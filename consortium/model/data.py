"""Arrays over a validated instance, and who is eligible for what.

Everything the model builder needs is computed here once, with numpy, before
any variable exists: variables are created only for eligible
(actor, target, site) combinations, and targets or sites that cannot host a
consortium at all are found (and explained) here rather than by the solver.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..io.instance import Instance, Target
from .eligibility import haversine_km, market_end, may_deliver, may_lead, research_end, within_limit

__all__ = ["ModelData", "TargetView", "haversine_km", "within_limit"]


@dataclass
class TargetView:
    """One target's eligible actors, viable sites and (actor, site) triples.

    Local actor ``i`` is global actor ``actors[i]``; triples are sorted by local
    actor, so the triples of actor ``i`` are ``ptr[i]:ptr[i+1]``.
    """

    index: int
    target: Target
    actors: np.ndarray  # global actor indices, eligible at >= 1 viable site
    sites: np.ndarray  # global site indices of the viable candidate sites
    within: np.ndarray  # bool [len(actors), len(sites)]
    deliver: np.ndarray  # bool [len(actors), n_requirements]
    lead: np.ndarray  # bool [len(actors)]: may lead this target
    base: np.ndarray  # base(a, t) per local actor
    # set by ``finish``: the local actor and local site of each triple
    tri_actor: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    tri_site: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    # Why the target cannot be formed at all (empty if it may be).
    impossible: list[str] = field(default_factory=list)
    # Per dropped candidate site, why no consortium can sit there.
    dropped_sites: dict[str, list[str]] = field(default_factory=dict)
    # a lower bound on the spend of any consortium: ModelData.min_spend (None
    # until that worked it out; only budgets need it)
    min_spend: float | None = None
    # SPEC 7.3 (empty without a programme): the start years the target may take.
    starts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def n(self) -> int:
        return len(self.actors)

    def finish(self) -> None:
        ia, js = np.nonzero(self.within)  # row-major: sorted by actor
        self.tri_actor, self.tri_site = ia.astype(np.int64), js.astype(np.int64)
        self.ptr = np.searchsorted(ia, np.arange(self.n + 1)).astype(np.int64)


class ModelData:
    """Instance as arrays, with every target's eligibility worked out."""

    @functools.cached_property
    def tie_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ties as actor indices (a, b) and weights, once (a target's
        stand-alone model is built for each of hundreds of targets)."""
        ties = self.inst.ties
        return (np.array([self.actor_index[t.a] for t in ties], np.int64),
                np.array([self.actor_index[t.b] for t in ties], np.int64),
                np.array([t.weight for t in ties], float))

    @functools.cached_property
    def ties_from(self) -> dict[str, list[int]]:
        """Actor id a -> the indices of its ties (a, b) in the instance's list."""
        out: dict[str, list[int]] = {}
        for i, t in enumerate(self.inst.ties):
            out.setdefault(t.a, []).append(i)
        return out

    def tie_hits(self, members: set[str]) -> list[int]:
        """The indices of the ties with both ends among ``members``, in the
        instance's order (what a scan of every tie finds, without the scan)."""
        ties = self.inst.ties
        return sorted(i for a in members for i in self.ties_from.get(a, ())
                      if ties[i].b in members)

    def tie_weight(self, members: set[str]) -> float:
        """The weight of the ties with both ends among ``members``, summed in
        the instance's order (the same number as a scan of every tie)."""
        ties = self.inst.ties
        return sum(ties[i].weight for i in self.tie_hits(members))

    def __init__(self, inst: Instance):
        self.inst = inst
        pol = inst.policy
        A = inst.actors
        self.actor_ids = [a.id for a in A]
        self.actor_index = {a.id: i for i, a in enumerate(A)}
        self.target_index = {t.id: i for i, t in enumerate(inst.targets)}
        self.site_index = {s.id: i for i, s in enumerate(inst.sites)}
        self.cap_index = {c.id: i for i, c in enumerate(inst.capabilities)}
        self.sponsor_index = {s.id: i for i, s in enumerate(inst.sponsors)}
        n = len(A)
        self.n_actors = n
        self.lat = np.array([a.lat for a in A], dtype=float)
        self.lon = np.array([a.lon for a in A], dtype=float)
        types = np.array([a.type for a in A], dtype=object)
        own = np.array([a.ownership for a in A], dtype=object)
        self.type = types
        self.is_R = research_end(types)
        self.is_E = market_end(types)
        self.is_foreign = own == "foreign"
        self.is_private = own == "private"
        self.is_state_ent = (own == "state") & self.is_E
        self.region = np.array([a.region for a in A], dtype=object)
        self.ownership = own
        self.cost = np.array([a.cost for a in A], dtype=float)
        self.lead_cost = np.array([np.nan if a.lead_cost is None else a.lead_cost for a in A],
                                  dtype=float)
        rate_of = {typ: pol.rate(typ) for typ in set(types.tolist())}
        self.rate = np.array([rate_of[a.type] for a in A], dtype=float)
        self.max_consortia = np.array([a.max_consortia for a in A], dtype=np.int64)
        self.max_lead = np.array([a.max_lead for a in A], dtype=np.int64)
        # Capability levels as a dense (actors x capabilities) matrix: 0 = not held.
        self.levels = np.zeros((n, len(inst.capabilities)), dtype=np.int8)
        held: tuple[list[int], list[int], list[int]] = ([], [], [])  # actor, capability, level
        for i, a in enumerate(A):
            if a.capabilities:
                held[0].extend([i] * len(a.capabilities))
                held[1].extend([self.cap_index[k] for k in a.capabilities])
                held[2].extend(a.capabilities.values())
        self.levels[held[0], held[1]] = held[2]
        self.chokepoint = np.array([c.chokepoint for c in inst.capabilities], dtype=bool)
        site_lat = np.array([s.lat for s in inst.sites], dtype=float)
        site_lon = np.array([s.lon for s in inst.sites], dtype=float)
        self.dist = haversine_km(self.lat[:, None], self.lon[:, None], site_lat[None, :],
                                 site_lon[None, :])
        self.forbidden_actor = np.zeros(n, dtype=bool)
        for aid in inst.fixed.forbidden_actors:
            self.forbidden_actor[self.actor_index[aid]] = True
        self.forbidden_pairs: dict[int, list[int]] = {}
        for tid, aid in inst.fixed.forbidden:
            ti = self.target_index[tid]
            self.forbidden_pairs.setdefault(ti, []).append(self.actor_index[aid])
        self.fixed_members: dict[int, list[int]] = {}
        for tid, aid in inst.fixed.members:
            self.fixed_members.setdefault(self.target_index[tid], []).append(self.actor_index[aid])
        self.fixed_lead = {
            self.target_index[t]: self.actor_index[a] for t, a in inst.fixed.leads.items()
        }
        has_lead_cost = ~np.isnan(self.lead_cost)
        self._can_lead_mode = {
            mode: may_lead(types, has_lead_cost, self.is_foreign, pol.lead_types_for(mode),
                           pol.foreign_can_lead)
            & (self.max_lead > 0)
            for mode in ("research", "economic")
        }
        self.bids: dict[int, list[tuple[int, float]]] = {}
        for i, a in enumerate(A):
            for t_id, bid in a.bids.items():
                self.bids.setdefault(self.target_index[t_id], []).append((i, bid))
        self.programme = inst.programme
        self.duration = np.array([inst.duration_of(t) for t in inst.targets], dtype=np.int64)
        self.fixed_start = {self.target_index[t]: y for t, y in inst.fixed.starts.items()}
        self.views = [self._view(ti, t) for ti, t in enumerate(inst.targets)]
        if self.programme is not None:
            self._start_windows()

    # ------------------------------------------------------------------

    def forced(self, ti: int) -> bool:
        """Must this target be formed (mandatory, a fixed lead, member or start)?"""
        return (self.inst.targets[ti].mandatory or ti in self.fixed_lead
                or ti in self.fixed_members or ti in self.fixed_start)

    def composition_masks(self, t: Target) -> list[tuple[Any, np.ndarray]]:
        """Rule 15: each composition rule of ``t`` and who matches it (all actors)."""
        out = []
        for rule in self.inst.composition_of(t):
            m = np.ones(self.n_actors, bool)
            if rule.types is not None:
                m &= np.isin(self.type, rule.types)
            if rule.ownership is not None:
                m &= np.isin(self.ownership, rule.ownership)
            out.append((rule, m))
        return out

    # ------------------------------------------------------------ SPEC 7.3

    def active(self, ti: int, start: int) -> range:
        """The years a consortium of target ``ti`` starting in ``start`` is active."""
        return range(start, start + int(self.duration[ti]))

    def _start_windows(self) -> None:
        """Each target's possible start years: its window, late enough for its
        ``after`` chain (rule 17) and its fixed start. A target left with none,
        or after a target that cannot be formed, cannot be formed."""
        import networkx as nx

        inst = self.inst
        g = nx.DiGraph()
        g.add_nodes_from(range(len(inst.targets)))
        g.add_edges_from((self.target_index[u], ti) for ti, t in enumerate(inst.targets)
                         for u in t.after)
        chain: dict[int, list[str]] = {}  # the after chain that sets each earliest start
        for ti in nx.lexicographical_topological_sort(g):
            v, t = self.views[ti], inst.targets[ti]
            chain[ti] = [t.id]
            lo, hi = inst.window(t)
            if v.impossible:
                continue
            why, late = "", ""
            for u in sorted(set(t.after), key=lambda u: self.target_index[u]):
                vu = self.views[self.target_index[u]]
                if vu.impossible:
                    why = f"needs {u} to deliver first, which cannot be formed"
                    break
                ready = int(vu.starts[0]) + int(self.duration[vu.index])
                if ready > lo:
                    lo, late = ready, u
                    chain[ti] = chain[vu.index] + [t.id]
            if not why and lo > hi:
                why = (f"no start year in {inst.window(t)[0]}..{hi} leaves room after {late} "
                       f"(it ends in {lo - 1} at the earliest; chain "
                       f"{' -> '.join(chain[ti])})")
            if not why and ti in self.fixed_start:
                fy = self.fixed_start[ti]
                if not lo <= fy <= hi:
                    why = (f"fixed start {fy} is outside the years it may start "
                           f"({lo}..{hi}" + (", after its after chain)" if t.after else ")"))
                lo = hi = fy
            if why:
                self._make_impossible(v, [why])
            else:
                v.starts = np.arange(lo, hi + 1, dtype=np.int64)

    def _make_impossible(self, v: TargetView, why: list[str]) -> None:
        v.impossible = why
        v.actors = np.zeros(0, np.int64)
        v.within = np.zeros((0, len(v.sites)), bool)
        v.deliver = np.zeros((0, v.deliver.shape[1]), bool)
        v.lead = np.zeros(0, bool)
        v.base = np.zeros(0)
        v.finish()

    def _view(self, ti: int, t: Target) -> TargetView:
        pol = self.inst.policy
        n = self.n_actors
        reqs = t.requirements
        if reqs:
            k = np.array([self.cap_index[r.capability] for r in reqs])
            lv = np.array([r.level for r in reqs])
            deliver = may_deliver(self.levels[:, k], lv[None, :], self.chokepoint[k][None, :],
                                  self.is_foreign, pol.chokepoints_domestic_only)
        else:
            deliver = np.zeros((n, 0), dtype=bool)
        lead = self._can_lead_mode[t.mode].copy()
        allowed = ~self.forbidden_actor & (self.max_consortia > 0)
        for a in self.forbidden_pairs.get(ti, []):
            allowed[a] = False
        # No free riders: a non-lead member must be able to deliver something, so
        # an actor who can neither deliver nor lead has no place in the target.
        useful = deliver.any(axis=1) | lead if pol.no_free_riders else np.ones(n, bool)
        cand = allowed & useful
        sites = np.array([self.site_index[s] for s in t.sites], dtype=np.int64)
        if t.max_distance_km is None:
            within = np.repeat(cand[:, None], len(sites), axis=1)
        else:
            within = cand[:, None] & within_limit(self.dist[:, sites], t.max_distance_km)
        view = TargetView(ti, t, np.arange(n), sites, within, deliver, lead & cand,
                          self.cost.copy())
        for a, bid in self.bids.get(ti, ()):
            view.base[a] = bid
        self._prune_sites(view)
        if view.impossible:  # no variables at all for a target that cannot be formed
            view.within[:] = False
        keep = view.within.any(axis=1)
        view.actors = np.nonzero(keep)[0]
        view.within = view.within[keep]
        view.deliver = deliver[keep]
        view.lead = view.lead[keep]
        view.base = view.base[keep]
        view.finish()
        return view

    def _prune_sites(self, v: TargetView) -> None:
        """Drop candidate sites where rules 1-9 and 14 cannot hold; explain why."""
        t, pol = v.target, self.inst.policy
        ti = v.index
        fixed = [(self.fixed_lead[ti], "fixed lead")] if ti in self.fixed_lead else []
        fixed += [(a, "fixed member") for a in self.fixed_members.get(ti, [])]
        keep = []
        for j, s in enumerate(v.sites):
            at = v.within[:, j]
            why = []
            if not (v.lead & at).any():
                reach = f" within {t.max_distance_km:g} km" if t.max_distance_km is not None else ""
                why.append(
                    f"no eligible lead{reach} (lead types: {', '.join(pol.lead_types_for(t.mode))})"
                )
            for r, req in enumerate(t.requirements):
                have = int((v.deliver[:, r] & at).sum())
                if have < req.redundancy:
                    why.append(
                        f"redundancy {req.redundancy} for {req.capability!r} (level {req.level}) "
                        f"but only {have} eligible holder(s) within reach"
                    )
            if pol.require_both_ends:
                for end, mask in (("research", self.is_R), ("market", self.is_E)):
                    if not (mask & at).any():
                        why.append(f"no {end}-end actor within reach (both ends required)")
            cap = int(at.sum())
            if cap < t.min_members:
                why.append(
                    f"min_members {t.min_members} but only {cap} eligible actor(s) within reach"
                )
            if (
                pol.min_private_members > 0
                and (self.is_private & at).sum() < pol.min_private_members
            ):
                why.append(
                    f"min_private_members {pol.min_private_members} but only "
                    f"{int((self.is_private & at).sum())} private actor(s) within reach"
                )
            sp = self.sponsor_region(t)
            if pol.min_outside_members > 0 and sp is not None:
                outside = int(((self.region != sp) & at).sum())
                if outside < pol.min_outside_members:
                    why.append(
                        f"min_outside_members {pol.min_outside_members} but only {outside} "
                        f"actor(s) from outside {sp} within reach"
                    )
            for rule, mask in self.composition_masks(t):
                have = int((mask & at).sum())
                if have < rule.min:
                    why.append(f"composition: {rule.min} {rule.describe()} needed, "
                               f"{have} within reach")
            k = self.inst.min_regions_of(t)
            if k > 1:
                have = len(set(self.region[at]))
                if have < k:
                    why.append(f"min_regions {k} but only {have} region(s) within reach")
            for a, what in fixed:
                if not at[a]:
                    why.append(
                        f"{what} {self.actor_ids[a]!r} is not eligible here "
                        f"({self._why_not_member(v, a, s)})"
                    )
            if why:
                v.dropped_sites[self.inst.sites[s].id] = why
            else:
                keep.append(j)
        if not keep:
            if len(v.sites) == 1:
                v.impossible = next(iter(v.dropped_sites.values()))
            else:
                v.impossible = [f"at {sid}: {'; '.join(w)}" for sid, w in v.dropped_sites.items()]
        v.sites = v.sites[keep]
        v.within = v.within[:, keep]
        t = v.target
        if not v.impossible and t.budget is not None:
            least = self.min_spend(v)
            if not within_limit(least, t.budget):
                v.impossible = [f"its cheapest possible consortium spends at least {least:.4g}, "
                                f"above its budget {t.budget:g}"]

    def _why_not_member(self, v: TargetView, a: int, s: int) -> str:
        t = v.target
        if self.forbidden_actor[a]:
            return "forbidden actor"
        if a in self.forbidden_pairs.get(v.index, []):
            return "forbidden for this target"
        if self.max_consortia[a] < 1:
            return "max_consortia is 0"
        if t.max_distance_km is not None and not within_limit(self.dist[a, s], t.max_distance_km):
            return f"{self.dist[a, s]:.0f} km from the site, limit {t.max_distance_km:g} km"
        return "delivers no requirement and may not lead (no free riders)"

    def sponsor_region(self, t: Target) -> str | None:
        if t.sponsor is None:
            return None
        return self.inst.sponsors[self.sponsor_index[t.sponsor]].region

    def min_spend(self, v: TargetView) -> float:
        """A lower bound on the spend of any consortium of ``v`` at its viable
        sites (worked out once, when a budget asks for it)."""
        if v.min_spend is None:
            v.min_spend = self._budget_bound(v)
        return v.min_spend

    def _budget_bound(self, v: TargetView) -> float:
        t = v.target
        spend = (1 + self.rate[v.actors]) * v.base
        lead_extra = (1 + self.rate[v.actors]) * np.nan_to_num(self.lead_cost[v.actors])
        best = np.inf
        for j in range(len(v.sites)):
            at = v.within[:, j]
            lb = float(np.min(np.where(v.lead & at, spend + lead_extra, np.inf)))
            for r, req in enumerate(v.target.requirements):
                c = np.sort(spend[v.deliver[:, r] & at])[: req.redundancy]
                lb = max(lb, float(c.sum()))
            if t.min_members > 0:
                c = np.sort(spend[at])[: t.min_members]
                lb = max(lb, float(c.sum()))
            best = min(best, lb)
        return float(best)
