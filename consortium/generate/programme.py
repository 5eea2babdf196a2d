"""The generator's programme: sponsors, targets with requirements the nearby
actors can meet, a checked witness consortium for each, and the mandatory
targets. A base of :class:`consortium.generate.generator._Gen`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..model.eligibility import may_deliver
from .draws import _ceil2, _pick, _r2, _slug
from .population import _Population
from .presets import (
    CITY_SPONSORS,
    MINISTRIES,
    MUNICIPALITIES,
    PROVINCES,
    RESEARCH,
)


class _Programme(_Population):
    """Sponsors, targets, witnesses and mandatory targets, drawn on a population."""

    T: int

    def make_sponsor_candidates(self) -> None:
        self.sponsor_defs: dict[str, dict[str, Any]] = {}
        for s in self.sites:
            city, prov = s[2], s[3]
            if city in CITY_SPONSORS:
                sid = _slug(city)
                self.sponsor_defs.setdefault(
                    sid, {"id": sid, "name": f"{city} Municipal Government", "region": prov}
                )
            pid = _slug(PROVINCES[prov])
            kind = "Municipal" if prov in MUNICIPALITIES else "Provincial"
            self.sponsor_defs.setdefault(
                pid, {"id": pid, "name": f"{PROVINCES[prov]} {kind} Government", "region": prov}
            )
        for m in self.cfg["ministries"]:
            self.sponsor_defs[m] = {"id": m, "name": MINISTRIES[m]}

    def pick_sponsor(self, site: int) -> str | None:
        s = self.sites[site]
        opts: list[str | None] = []
        w: list[float] = []
        if s[2] in CITY_SPONSORS:
            opts.append(_slug(s[2]))
            w.append(0.45)
        opts.append(_slug(PROVINCES[s[3]]))
        w.append(0.35 if len(opts) == 2 else 0.8)
        for m in self.cfg["ministries"]:
            opts.append(m)
            w.append(0.17 / len(self.cfg["ministries"]))
        if self.cfg["ministries"]:
            opts.append(None)
            w.append(0.03)
        return _pick(self.rng, opts, w)

    # -- targets -------------------------------------------------------------
    def _requirements(self, tinfo, pool, dup_caps):
        """Pick requirements that the pool can meet.  Returns list of (c, L, r)."""
        rng = self.rng
        j, mode, flagship = tinfo["sector"], tinfo["mode"], tinfo["flagship"]
        scaps = self.scaps[j]
        if len(pool) == 0 or len(scaps) == 0:
            return None
        able, able_sp = self._able(j)
        inpool = np.zeros(self.N)
        inpool[pool] = 1.0
        # holders in the pool of each capability (a sparse product: exact counts)
        supply = np.rint(able_sp.T @ inpool).astype(np.int64)
        avail = np.flatnonzero(supply > 0)
        if len(avail) == 0:
            return None
        if flagship:
            n_req = int(_pick(rng, [5, 6], [0.5, 0.5]))
        elif mode == "research":
            n_req = int(_pick(rng, [3, 4, 5, 6], [0.3, 0.35, 0.25, 0.1]))
        else:
            n_req = int(_pick(rng, [2, 3, 4, 5], [0.25, 0.35, 0.25, 0.15]))
        n_req = min(n_req, len(avail))
        stage_w = np.array([3.0, 1.0]) if mode == "research" else np.array([1.0, 3.0])
        w = stage_w[self.cap_stage[scaps[avail]]] * np.sqrt(supply[avail])
        if dup_caps:
            w = w * np.array([10.0 if int(scaps[a]) in dup_caps else 1.0 for a in avail])
        # a chokepoint with domestic holders nearby is a natural agenda item
        ch = [a for a in avail if self.choke[scaps[a]]]
        first: list[int] = []
        if ch and rng.random() < (0.5 if mode == "research" else 0.3):
            first = [ch[int(rng.integers(len(ch)))]]
        rest = [a for a in avail if a not in first]
        at = {int(a): i for i, a in enumerate(avail)}
        wr = np.array([w[at[int(a)]] for a in rest])
        n_more = min(len(rest), n_req - len(first))
        more = list(rng.choice(rest, size=n_more, replace=False, p=wr / wr.sum())) if n_more else []
        reqs = []
        for a in first + more:
            c = int(scaps[a])
            col = self.lev_sec[j][pool, a][able[pool, a]]
            lv = np.sort(col)[::-1]
            if flagship:
                r = int(_pick(rng, [1, 2, 3], [0.3, 0.5, 0.2]))
            else:
                r = int(_pick(rng, [1, 2, 3], [0.6, 0.32, 0.08]))
            if self.choke[c]:
                r = 1
            r = max(1, min(r, len(lv)))
            slack = int(rng.integers(0, 3))
            cap_lv = int(lv[min(len(lv) - 1, r - 1 + slack)])
            if self.cap_stage[c] == RESEARCH:
                want = int(rng.integers(4, 8))
            else:
                want = int(rng.integers(5, 9))
            L = int(min(8, max(4, min(want, cap_lv))))
            reqs.append((c, L, r))
        return reqs

    def _blocked_req(self, j):
        fo = np.flatnonzero((self.cap_sector == j) & self.foreign_only)
        if len(fo) == 0:
            return None
        return (int(fo[int(self.rng.integers(len(fo)))]), int(self.rng.integers(5, 8)), 1)

    def _able(self, j: int) -> tuple[np.ndarray, Any]:
        """Actors x sector ``j``'s capabilities: may deliver it at level 4 (the
        floor of a requirement), dense and as a sparse matrix, computed once
        per sector."""
        cache = self.__dict__.setdefault("_able_cache", {})
        if j not in cache:
            import scipy.sparse as sp

            scaps = self.scaps[j]
            ok = may_deliver(self.lev_sec[j], 4, self.choke[scaps][None, :], self.foreign, True)
            cache[j] = (ok, sp.csr_matrix(ok, dtype=np.float64))
        return cache[j]

    def _elig(self, reqs, pool):
        if "_levT" not in self.__dict__:  # capabilities x actors: one row per capability
            self._levT = np.ascontiguousarray(self.lev.T)
        out = []
        for c, L, _ in reqs:
            out.append(
                pool[may_deliver(self._levT[c][pool], L, self.choke[c], self.foreign[pool], True)]
            )
        return out

    def _witness(self, tinfo, reqs, elig, pool, sponsor_region, ec):
        """Cheapest consortium around the primary site meeting every rule; or None."""
        rng = self.rng
        pol = self.policy
        mode = tinfo["mode"]
        leads = pool[self.may_lead[mode][pool]]
        if len(leads) == 0:
            return None
        req_caps = [c for c, _, _ in reqs]
        deliv = np.zeros(len(leads))
        for e in elig:
            deliv += np.isin(leads, e)
        insector = (self.lev[np.ix_(leads, req_caps)] > 0).any(axis=1) if req_caps else 0
        score = 3.0 * deliv + 2.0 * insector + rng.gumbel(0.0, 1.0, size=len(leads))
        lead = int(leads[int(np.argmax(score))])
        members = [lead]
        mset = {lead}
        eset = [set(int(a) for a in e) for e in elig]
        by_cost = [sorted((int(a) for a in e), key=lambda a: (ec[a], a)) for e in elig]
        assign: list[list[int]] = [[] for _ in reqs]
        for k in sorted(range(len(reqs)), key=lambda k: (len(elig[k]), k)):
            r = reqs[k][2]
            chosen = [a for a in members if a in eset[k]][:r]
            for a in by_cost[k]:
                if len(chosen) >= r:
                    break
                if a not in mset:
                    chosen.append(a)
                    members.append(a)
                    mset.add(a)
            if len(chosen) < r:
                return None
            assign[k] = chosen
        union = sorted({a for e in eset for a in e}, key=lambda a: (ec[a], a))

        def add(pred) -> bool:
            for a in union:
                if a not in mset and pred(a):
                    members.append(a)
                    mset.add(a)
                    k = next(k for k in range(len(reqs)) if a in eset[k])
                    assign[k].append(a)
                    return True
            return False

        share = pol["max_state_share"]

        def share_ok(extra_state: int = 0, extra: int = 0) -> bool:
            n_state = sum(1 for a in members if self.state_ent[a]) + extra_state
            return n_state <= share * (len(members) + extra) + 1e-9

        if not any(self.is_R[a] for a in members) and not add(lambda a: self.is_R[a]):
            return None
        if (
            not any(self.is_E[a] for a in members)
            and not add(lambda a: self.is_E[a] and not self.state_ent[a])
            and not add(lambda a: self.is_E[a])
        ):
            return None
        while sum(1 for a in members if self.private[a]) < pol["min_private_members"]:
            if not add(lambda a: self.private[a]):
                return None
        if sponsor_region is not None:
            while (
                sum(1 for a in members if self.region[a] != sponsor_region)
                < pol["min_outside_members"]
            ):
                if not add(
                    lambda a: self.region[a] != sponsor_region and not self.state_ent[a]
                ) and not add(lambda a: self.region[a] != sponsor_region):
                    return None
        while not share_ok():
            if not add(lambda a: not self.state_ent[a]):
                return None
        # size
        if tinfo["flagship"]:
            min_m = int(rng.integers(12, 19))
        else:
            min_m = int(_pick(rng, [0, 2, 3, 3, 4, 5], [0.1, 0.2, 0.3, 0.15, 0.15, 0.1]))
        while len(members) < min_m:
            if not add(lambda a: share_ok(int(self.state_ent[a]), 1)):
                break
        min_m = min(min_m, len(members))
        spend = float(sum(ec[a] for a in members))
        spend += (1.0 + self.rate[lead]) * self.lead_cost[lead]
        return {
            "lead": lead,
            "members": members,
            "assign": assign,
            "spend": float(spend),
            "min_members": min_m,
            "site": tinfo["primary"],
        }

    def make_targets(self) -> None:
        rng, cfg = self.rng, self.cfg
        T = self.T
        K = len(self.sectors)
        dvals, dprobs = cfg["distances"]
        dvals = list(dvals)
        finite = sorted(v for v in dvals if v is not None)
        ladder = finite + ([None] if None in dvals else [])
        n_dup = cfg["duplicates"]
        if n_dup is None:
            n_dup = int(round(0.06 * T))
        n_dup = min(n_dup, T // 2) if T >= 3 else 0
        dup_slots = set(
            int(x)
            for x in (rng.choice(np.arange(1, T), size=n_dup, replace=False) if n_dup else [])
        )
        n_block = int(round(cfg["blocked_share"] * T))
        block_slots = set(
            int(x) for x in (rng.choice(T, size=n_block, replace=False) if n_block else [])
        )
        n_res = int(round(cfg["research_share"] * T))
        research_slots = set(int(x) for x in rng.permutation(T)[:n_res])
        self.targets: list[dict[str, Any]] = []
        self.bids: dict[int, dict[str, float]] = {}
        self.exclusive: list[list[int]] = []
        width = max(3, len(str(T)))
        for ti in range(T):
            tid = f"t{ti + 1:0{width}d}"
            dup_of = None
            if ti in dup_slots:
                cands = [
                    u
                    for u in range(ti)
                    if self.targets[u]["witness"] is not None and not self.targets[u]["blocked"]
                ]
                if cands:
                    dup_of = cands[int(rng.integers(len(cands)))]
            if dup_of is not None:
                src = self.targets[dup_of]
                j, mode, flagship = src["sector"], src["mode"], False
            else:
                j = int(rng.choice(K, p=self.sector_w / self.sector_w.sum()))
                mode = "research" if ti in research_slots else "economic"
                flagship = mode == "research" and rng.random() < cfg["flagship_share"]
            sw = self.site_w * self.site_sec[:, j]
            if sw.sum() <= 0:
                sw = self.site_w.copy()
            if dup_of is not None and (sw > 0).sum() > 1:
                sw = sw.copy()
                sw[self.targets[dup_of]["primary"]] = 0.0
            primary = int(rng.choice(self.S, p=sw / sw.sum()))
            sponsor = self.pick_sponsor(primary)
            if dup_of is not None and sponsor == self.targets[dup_of]["sponsor"]:
                sponsor = self.pick_sponsor(primary)
            sreg = self.sponsor_defs[sponsor].get("region") if sponsor else None
            D = _pick(rng, dvals, dprobs)
            tinfo = {
                "id": tid,
                "sector": j,
                "mode": mode,
                "flagship": flagship,
                "primary": primary,
                "sponsor": sponsor,
                "dup_of": dup_of,
                "blocked": ti in block_slots,
            }
            dup_caps = (
                set(c for c, _, _ in self.targets[dup_of]["reqs"]) if dup_of is not None else set()
            )
            open_call = rng.random() < cfg["open_share"]
            result = None
            cap = cfg["pool_cap"]

            def attempt(D, capped, primary=primary, tinfo=tinfo, dup_caps=dup_caps, cap=cap,
                        mode=mode, open_call=open_call, sreg=sreg):
                """Build the target at radius D: ("ok", result), ("over", None) or
                ("fail", None). (Called in this iteration only; the defaults bind
                its values.)"""
                pool = (
                    np.arange(self.N)
                    if D is None
                    else np.flatnonzero(self.dist[primary] <= D - 0.01)
                )
                reqs = self._requirements(tinfo, pool, dup_caps)
                if reqs is None:
                    return "fail", None
                elig = self._elig(reqs, pool)
                reach = set().union(*[set(e.tolist()) for e in elig])
                if capped and cap is not None:
                    n_any = len(reach | set(pool[self.may_lead[mode][pool]].tolist()))
                    if n_any > cap:
                        return "over", None
                bids = {}
                if open_call:
                    bidders = sorted(reach)
                    u_b = rng.random(len(bidders))
                    for a, u in zip(bidders, u_b, strict=False):
                        if u < 0.3 and self.types[a] != "university" and len(bids) < 12:
                            bids[a] = max(0.1, _r2(self.cost[a] * rng.uniform(0.8, 0.97)))
                base = self.cost.copy()
                for a, b in bids.items():
                    base[a] = b
                ec = (1.0 + self.rate) * base
                wit = self._witness(tinfo, reqs, elig, pool, sreg, ec)
                if wit is None:
                    return "fail", None
                return "ok", (D, reqs, wit, bids)

            # shrink the radius while too many actors are in reach, widen it when
            # no witness exists; as a last resort accept the smallest over-cap radius
            tried: set[Any] = set()
            over: list[Any] = []
            for _attempt in range(8):
                tried.add(D)
                status, res = attempt(D, True)
                pos = ladder.index(D)
                if status == "ok":
                    result = res
                    break
                if status == "over":
                    over.append(D)
                    nxt = [v for v in ladder[:pos][::-1] if v not in tried][:1]
                else:
                    nxt = [v for v in ladder[pos + 1 :] if v not in tried][:1]
                if not nxt:
                    break
                D = nxt[0]
            if result is None and over:
                D = min(over, key=lambda v: math.inf if v is None else v)
                status, res = attempt(D, False)
                if status == "ok":
                    result = res
            if result is None:
                # unformable fallback target: requirements from the sector catalogue
                scaps = np.flatnonzero(self.cap_sector == j)
                n = min(len(scaps), int(rng.integers(2, 5)))
                chosen: Any = rng.choice(scaps, size=n, replace=False) if n else []
                reqs = [(int(c), int(rng.integers(4, 9)), 1) for c in chosen]
                wit, bids = None, {}
            else:
                D, reqs, wit, bids = result
            if tinfo["blocked"]:
                br = self._blocked_req(j)
                if br is not None and br[0] not in [c for c, _, _ in reqs]:
                    reqs = reqs + [br]
                else:
                    tinfo["blocked"] = False
            for a, b in bids.items():
                self.bids.setdefault(a, {})[tid] = b
            # candidate sites
            n_sites = int(_pick(rng, [1, 2, 3], [0.45, 0.35, 0.2]))
            others = [s for s in range(self.S) if s != primary and self.site_sec[s, j] > 0]
            sites = [primary]
            if others and n_sites > 1:
                w = np.array(
                    [
                        self.site_w[s]
                        * self.site_sec[s, j]
                        * (3.0 if self.sites[s][3] == self.sites[primary][3] else 1.0)
                        for s in others
                    ]
                )
                extra = rng.choice(others, size=min(len(others), n_sites - 1), replace=False,
                                   p=w / w.sum())
                sites += [int(s) for s in extra]
            tinfo.update(
                {"reqs": reqs, "witness": wit, "D": D, "sites": sites, "blocked": tinfo["blocked"]}
            )
            if dup_of is not None:
                grp = next((g for g in self.exclusive if dup_of in g), None)
                if grp is None:
                    self.exclusive.append([dup_of, ti])
                else:
                    grp.append(ti)
            self.targets.append(tinfo)
        # every ministry of the preset sponsors something (dropping a sponsor
        # region only relaxes min_outside_members, so witnesses stay valid)
        used = {t["sponsor"] for t in self.targets}
        for m in self.cfg["ministries"]:
            regional = [
                i
                for i, t in enumerate(self.targets)
                if t["sponsor"] is not None and t["sponsor"] not in MINISTRIES
            ]
            if m not in used and len(regional) > 1:
                self.targets[regional[int(rng.integers(len(regional)))]]["sponsor"] = m
                used.add(m)
        # value, budget, size bounds
        spends = [t["witness"]["spend"] for t in self.targets if t["witness"] is not None]
        typical = float(np.median(spends)) if spends else 30.0
        for t in self.targets:
            w = t["witness"]
            base_spend = w["spend"] if w is not None else typical
            factor = math.exp(rng.normal(0.3, 0.35))
            if t["flagship"]:
                factor *= 1.15
            t["value"] = _r2(base_spend * factor)
            t["budget"] = (
                _ceil2(base_spend * rng.uniform(1.05, 1.5)) if rng.random() < 0.4 else None
            )
            size = len(w["members"]) if w is not None else 1
            min_m = w["min_members"] if w is not None else 2
            if t["flagship"]:
                max_m = max(25, size)
            elif rng.random() < 0.85:
                max_m = max(size, min_m) + int(rng.integers(2, 11))
            else:
                max_m = None
            t["min_members"] = min_m
            t["max_members"] = max_m

    # -- mandatory, ties, conflicts, fixed --------------------------------
    def make_mandatory(self) -> None:
        rng = self.rng
        in_excl = {u for g in self.exclusive for u in g}
        cands = [
            i
            for i, t in enumerate(self.targets)
            if t["witness"] is not None and not t["blocked"] and i not in in_excl
        ]
        cands = [cands[int(k)] for k in rng.permutation(len(cands))]
        chosen: list[int] = []
        used: set[int] = set()
        for i in cands:
            if len(chosen) >= self.cfg["mandatory"]:
                break
            mem = set(self.targets[i]["witness"]["members"])
            if mem & used:
                continue
            chosen.append(i)
            used |= mem
        self.mandatory = chosen
        for i in chosen:
            self.targets[i]["mandatory"] = True
