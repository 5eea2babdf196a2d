"""The generator's population: sites, sectors, capabilities (chokepoints among
them), actors (type, ownership, location, capability levels, costs, who may
lead) and the policy. The base of :class:`consortium.generate.generator._Gen`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model.eligibility import haversine_km, may_lead, research_end
from ..spec import DEFAULT_LEAD_TYPES
from .draws import _pick_many, _quota
from .presets import (
    _BRANDS,
    _COST,
    _FOREIGN,
    _INCENTIVES,
    _LEVEL_MEAN,
    _MAX_CONSORTIA,
    _NCAPS,
    _OWNERSHIP,
    _STAGE_PREF,
    _STATE_PREFIX,
    _TYPE_SHARES,
    E_TYPES,
    PROVINCES,
    R_TYPES,
    SECTORS,
    SITES,
    TYPES,
)


class _Population:
    """Sites, sectors, capabilities, actors and policy (state on ``self``)."""

    rng: np.random.Generator
    cfg: dict[str, Any]
    N: int
    C: int
    S: int

    def make_sites(self) -> None:
        order = list(self.cfg["site_order"]) + [s[0] for s in SITES]
        seen: list[str] = []
        for sid in order:
            if sid not in seen:
                seen.append(sid)
        by_id = {s[0]: s for s in SITES}
        self.sites = [by_id[sid] for sid in seen[: self.S]]
        self.site_w = np.array([s[6] for s in self.sites], dtype=float)
        self.site_lat = np.array([s[4] for s in self.sites])
        self.site_lon = np.array([s[5] for s in self.sites])

    def make_sectors(self) -> None:
        if self.cfg.get("sectors"):
            cand = list(self.cfg["sectors"])
        else:
            tot = {k: 0.0 for k in SECTORS}
            for s in self.sites:
                for k, w in s[7].items():
                    tot[k] += s[6] * w
            cand = [
                k
                for k in sorted(SECTORS, key=lambda k: (-tot[k], list(SECTORS).index(k)))
                if tot[k] > 0
            ]
        n = max(1, min(len(cand), self.C // 5))
        self.sectors = cand[:n]
        # per-site sector weights restricted to active sectors (uniform fallback)
        K = len(self.sectors)
        self.site_sec = np.zeros((self.S, K))
        for i, s in enumerate(self.sites):
            for j, k in enumerate(self.sectors):
                self.site_sec[i, j] = s[7].get(k, 0.0)
            if self.site_sec[i].sum() <= 0:
                self.site_sec[i] = 0.3
        self.sector_w = (self.site_sec * self.site_w[:, None]).sum(axis=0)

    def make_capabilities(self) -> None:
        rng = self.rng
        K = len(self.sectors)
        counts = _quota(self.C, list(np.sqrt(self.sector_w)))
        if self.C >= 2 * K:  # at least two capabilities per sector
            while min(counts) < 2:
                i, j = int(np.argmin(counts)), int(np.argmax(counts))
                counts[i] += 1
                counts[j] -= 1
        caps: list[tuple[str, str, int, bool, int]] = []  # id, name, stage, prior, sector
        for j, k in enumerate(self.sectors):
            table = SECTORS[k]["caps"]
            # the first three entries are the sector's signature technologies
            # (SiC substrate, mAb cell line, high-power laser, ...): always kept
            head = min(3, len(table))
            perm = np.concatenate([np.arange(head), head + rng.permutation(len(table) - head)])
            for m in range(counts[j]):
                cid, cname, stage, prior = table[int(perm[m % len(table)])]
                gen = m // len(table) + 1
                if gen > 1:
                    cid, cname = f"{cid}-{gen}", f"{cname}, variant {gen}"
                caps.append((cid, cname, stage, prior, j))
        self.caps = caps
        C = len(caps)
        self.cap_sector = np.array([c[4] for c in caps], dtype=int)
        self.cap_stage = np.array([c[2] for c in caps], dtype=int)
        self.cap_pop = rng.gamma(2.0, 1.0, size=C) + 0.2
        # chokepoints: 15-20 %, preferring the historically chokepoint-prone ones
        n_ch = int(round(rng.uniform(0.15, 0.20) * C)) if C >= 3 else 0
        w = np.array([20.0 if c[3] else 1.0 for c in caps])
        self.choke = np.zeros(C, dtype=bool)
        self.foreign_only = np.zeros(C, dtype=bool)
        if n_ch:
            ch = rng.choice(C, size=n_ch, replace=False, p=w / w.sum())
            self.choke[ch] = True
            for c in ch:
                self.foreign_only[c] = rng.random() < 0.35

    # -- actors ------------------------------------------------------------
    def make_actors(self) -> None:
        d: Any  # numpy arrays and scalars reuse these names below
        c: Any
        a: Any
        rng, N = self.rng, self.N
        site_counts = _quota(N, list(self.site_w))
        home = np.repeat(np.arange(self.S), site_counts)
        types = np.array(
            sum(
                (
                    [t] * n
                    for t, n in zip(_TYPE_SHARES, _quota(N, list(_TYPE_SHARES.values())),
                                    strict=True)
                ),
                [],
            ),
            dtype=object,
        )
        rng.shuffle(types)
        # every site with 3+ actors gets both ends of the chain
        for s in range(self.S):
            idx = np.flatnonzero(home == s)
            if len(idx) < 3:
                continue
            for want in (R_TYPES, E_TYPES):
                if not any(types[i] in want for i in idx):
                    donors = [i for i in range(N) if home[i] != s and types[i] in want]
                    if donors:
                        d = donors[int(rng.integers(len(donors)))]
                        j = idx[int(rng.integers(len(idx)))]
                        types[d], types[j] = types[j], types[d]
        perm = rng.permutation(N)
        home, types = home[perm], types[perm]
        self.home, self.types = home, types
        own = np.empty(N, dtype=object)
        for t in TYPES:
            idx = np.flatnonzero(types == t)
            own[idx] = _pick_many(rng, ["state", "private", "foreign"], _OWNERSHIP[t], len(idx))
        self.own = own
        self.foreign = own == "foreign"
        self.is_R = research_end(types)
        self.is_E = ~self.is_R
        self.state_ent = self.is_E & (own == "state")
        self.private = own == "private"
        self.region = np.array([self.sites[h][3] for h in home], dtype=object)
        # location: lognormal distance from the home site, bigger clusters spread wider
        med = 8.0 + 1.2 * self.site_w[home]
        d = np.clip(med * np.exp(rng.normal(0.0, 0.7, size=N)), 1.0, 80.0)
        bearing = rng.uniform(0.0, 2.0 * np.pi, size=N)
        lat0, lon0 = self.site_lat[home], self.site_lon[home]
        self.lat = np.round(lat0 + d * np.cos(bearing) / 111.2, 4)
        self.lon = np.round(lon0 + d * np.sin(bearing) / (111.2 * np.cos(np.radians(lat0))), 4)
        # sector and capabilities
        K = len(self.sectors)
        C = len(self.caps)
        sec = np.empty(N, dtype=int)
        for s in range(self.S):
            idx = np.flatnonzero(home == s)
            sec[idx] = _pick_many(rng, list(range(K)), self.site_sec[s], len(idx)).astype(int)
        self.sector = sec
        ncap = np.empty(N, dtype=int)
        for t in TYPES:
            idx = np.flatnonzero(types == t)
            ncap[idx] = _pick_many(rng, *_NCAPS[t], len(idx)).astype(int)
        second = rng.random(N) < 0.15  # one capability from a second sector
        other_sec = _pick_many(rng, list(range(K)), self.sector_w, N).astype(int)
        noise = rng.normal(0.0, 1.1, size=(N, 6))
        lev = np.zeros((N, C), dtype=np.int8)
        caps_of_sector = [np.flatnonzero(self.cap_sector == j) for j in range(K)]
        # per (type, sector) sampling weights of capabilities
        prefs = {}
        for t in TYPES:
            for j in range(K):
                pool = caps_of_sector[j]
                p = self.cap_pop[pool] * np.array(_STAGE_PREF[t])[self.cap_stage[pool]]
                prefs[(t, j)] = np.log(p) if len(pool) else p
        for i in range(N):
            t = types[i]
            pool = caps_of_sector[sec[i]]
            if len(pool) == 0:
                continue
            k = min(len(pool), int(ncap[i]))
            # weighted sampling without replacement (Gumbel top-k)
            keys = prefs[(t, sec[i])] + rng.gumbel(size=len(pool))
            chosen = [int(c) for c in pool[np.argsort(-keys, kind="stable")[:k]]]
            if K > 1 and second[i] and other_sec[i] != sec[i]:
                opool = [int(c) for c in caps_of_sector[other_sec[i]] if c not in chosen]
                if opool:
                    chosen[-1] = opool[int(rng.integers(len(opool)))]
            bonus = 0.8 if self.foreign[i] else 0.0
            for m, c in enumerate(chosen):
                mu = _LEVEL_MEAN[(t, int(self.cap_stage[c]))] + bonus
                lev[i, c] = min(9, max(1, int(round(mu + noise[i, m]))))
        # chokepoints: few strong domestic holders (or none), foreign holders strong
        foreign_idx = np.flatnonzero(self.foreign)
        for c in np.flatnonzero(self.choke):
            dom = np.flatnonzero((lev[:, c] > 0) & ~self.foreign)
            keep: set[int] = set()
            if not self.foreign_only[c] and len(dom):
                n_keep = min(len(dom), int(rng.integers(1, 4)) + N // 5000)
                order = dom[np.argsort(-lev[dom, c], kind="stable")]
                keep = set(int(a) for a in order[:n_keep])
                for a in keep:
                    lev[a, c] = max(int(lev[a, c]), int(rng.integers(6, 8)))
            for a in dom:
                if int(a) not in keep:
                    lev[a, c] = min(int(lev[a, c]), int(rng.integers(2, 4)))
            if len(foreign_idx):
                room = foreign_idx[(lev[foreign_idx] > 0).sum(axis=1) < 6]  # keep 2-6 each
                same = room[sec[room] == self.cap_sector[c]]
                src = same if len(same) else room
                nf = min(len(src), int(rng.integers(1, 4)))
                for a in rng.choice(src, size=nf, replace=False):
                    lev[a, c] = max(int(lev[a, c]), int(rng.integers(7, 10)))
        self.lev = lev
        self.scaps = [np.flatnonzero(self.cap_sector == j) for j in range(K)]
        self.lev_sec = [np.ascontiguousarray(lev[:, sc]) for sc in self.scaps]
        # costs and capacities
        med = np.array([_COST[t][0] for t in types])
        sig = np.array([_COST[t][1] for t in types])
        z = rng.normal(0.0, 1.0, size=N)
        cost = np.maximum(0.3,
                          np.round(med * np.exp(sig * z) * np.where(self.foreign, 1.3, 1.0), 2))
        # only strong actors may lead: all labs, some institutes, the larger
        # ("chain master") enterprises, a few universities
        p_lead = np.zeros(N)
        p_lead[types == "lab"] = 1.0
        p_lead[types == "institute"] = 0.4
        p_lead[types == "university"] = 0.1
        ent = types == "enterprise"
        for o, p in (("state", 0.5), ("private", 0.35), ("foreign", 0.25)):
            p_lead[ent & (own == o)] = p
        can = rng.random(N) < p_lead
        frac = rng.uniform(0.3, 0.6, size=N)
        lead_cost = np.where(can, np.maximum(0.1, np.round(cost * frac, 2)), np.nan)
        two = rng.random(N) < 0.4
        maxc = np.empty(N, dtype=int)
        for t in TYPES:
            idx = np.flatnonzero(types == t)
            maxc[idx] = _pick_many(rng, *_MAX_CONSORTIA[t], len(idx)).astype(int)
        maxl = np.where(can & np.isin(types, ["enterprise", "lab"]) & two, 2, 1)
        maxl = np.minimum(maxl, maxc)
        self.cost, self.lead_cost, self.maxc, self.maxl = cost, lead_cost, maxc, maxl
        self.names = [self._actor_name(i) for i in range(N)]
        self.dist = haversine_km(self.site_lat[:, None], self.site_lon[:, None], self.lat[None, :],
                                 self.lon[None, :])  # S x N

    def _actor_name(self, i: int) -> str:
        rng = self.rng
        city = self.sites[self.home[i]][2]
        prov = PROVINCES[self.sites[self.home[i]][3]]
        sec = SECTORS[self.sectors[self.sector[i]]]
        word = sec["words"][int(rng.integers(len(sec["words"])))]
        brand = _BRANDS[int(rng.integers(len(_BRANDS)))]
        t, o = self.types[i], self.own[i]
        if o == "foreign":
            f = _FOREIGN[int(rng.integers(len(_FOREIGN)))]
            return f"{f} {word} ({city}) Co., Ltd."
        if t == "enterprise":
            if o == "state":
                pre = _STATE_PREFIX[int(rng.integers(len(_STATE_PREFIX)))]
                return f"{pre} {word} Group ({city}) Co."
            return f"{brand} {word} Co., Ltd."
        if t == "sme":
            return f"{city} {brand} {word} Technology Co., Ltd."
        field = sec["field"]
        if t == "institute":
            form = int(rng.integers(3))
            if form == 0:
                return f"{city} Institute of {field}"
            if form == 1:
                return f"CAS {city} Institute of {field}"
            return f"{prov} Academy of {field}"
        if t == "university":
            if int(rng.integers(2)):
                return f"{city} University ({field} school)"
            return f"{city} University of Science and Technology"
        return f"{field} National Laboratory ({city} base)"

    # -- policy --------------------------------------------------------------
    def make_policy(self) -> None:
        p = self.cfg["policy"]
        scale = p.get("incentive_scale", 1.0)
        self.incentives = {
            t: {"bonus_rate": round(r * scale, 3), "instruments": list(ins)}
            for t, (r, ins) in _INCENTIVES.items()
        }
        self.rate = np.array([self.incentives[t]["bonus_rate"] for t in self.types])
        lt: dict[str, Any] = {m: list(v) for m, v in DEFAULT_LEAD_TYPES.items()}
        lt.update(p["lead_types"])
        has = ~np.isnan(self.lead_cost)
        fcl = bool(p["foreign_can_lead"])
        self.may_lead = {m: may_lead(self.types, has, self.foreign, lt[m], fcl) for m in lt}
        self.policy = {
            "total_budget": None,  # filled in later
            "require_both_ends": True,
            "no_free_riders": True,
            "max_state_share": p["max_state_share"],
            "min_private_members": p["min_private_members"],
            "min_outside_members": p["min_outside_members"],
            "chokepoints_domestic_only": True,
            "foreign_can_lead": fcl,
            "lead_types": {m: list(v) for m, v in p["lead_types"].items()},
            "weights": {"value": 1.0, "cost": 1.0, "distance": 0.001, "ties": 0.1},
            "incentives": self.incentives,
        }

    # -- sponsors ----------------------------------------------------------
