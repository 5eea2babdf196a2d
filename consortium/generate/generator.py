"""The seeded generator: a :class:`_Gen` draws the population
(:mod:`.population`) and the programme (:mod:`.programme`), then ties,
conflicts, fixed decisions and budgets, and assembles the instance; the
joint plan of the mandatory targets is checked against every rule of the
model before the instance is returned."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..io.jsonfile import write_atomic
from ..model.eligibility import haversine_km, may_deliver, may_lead, within_limit
from ..spec import DEFAULT_LEAD_TYPES
from .draws import _ceil2
from .presets import (
    FORMAT,
    PRESETS,
    SECTORS,
    SITES,
)
from .programme import _Programme
from .staging import _Staging


class _Gen(_Staging, _Programme):
    def __init__(self, preset: str, cfg: dict[str, Any], seed: int, name: str):
        self.preset = preset
        self.cfg = cfg
        self.rng = np.random.default_rng(seed)
        self.name = name
        self.T = int(cfg["targets"])
        self.N = int(cfg["actors"])
        self.C = int(cfg["capabilities"])
        self.S = int(cfg["sites"])

    # -- sites, sectors, capabilities ------------------------------------
    def make_ties(self) -> None:
        rng, N = self.rng, self.N
        self.ties: list[tuple[int, int, float]] = []
        if N < 2:
            return
        n_ties = int(round(1.2 * N))
        by_site: dict[int, np.ndarray] = {s: np.flatnonzero(self.home == s) for s in range(self.S)}
        by_site_sec: dict[tuple[int, int], np.ndarray] = {}
        for s in range(self.S):
            for j in range(len(self.sectors)):
                by_site_sec[(s, j)] = by_site[s][self.sector[by_site[s]] == j]
        by_sec = {j: np.flatnonzero(self.sector == j) for j in range(len(self.sectors))}
        M = 3 * n_ties
        A = rng.integers(0, N, size=M)
        U = rng.random(M)
        V = rng.random(M)
        W = np.round(rng.uniform(0.5, 3.0, size=M), 1)
        seen: set[tuple[int, int]] = set()
        for m in range(M):
            if len(self.ties) >= n_ties:
                break
            a = int(A[m])
            if U[m] < 0.55:
                grp = by_site_sec[(int(self.home[a]), int(self.sector[a]))]
            elif U[m] < 0.85:
                grp = by_site[int(self.home[a])]
            else:
                grp = by_sec[int(self.sector[a])]
            if len(grp) < 2:
                continue
            b = int(grp[int(V[m] * len(grp))])
            if a == b:
                continue
            key = (min(a, b), max(a, b))
            if key in seen:
                continue
            seen.add(key)
            self.ties.append((a, b, float(W[m])))
        self.tie_pairs = seen

    def _witness_pairs_ok(self, a: int, b: int) -> bool:
        return not (self.in_wit.get(a, set()) & self.in_wit.get(b, set()))

    def make_conflicts(self) -> None:
        rng, N = self.rng, self.N
        self.in_wit: dict[int, set[int]] = {}
        for i, t in enumerate(self.targets):
            if t["witness"] is not None:
                for a in t["witness"]["members"]:
                    self.in_wit.setdefault(a, set()).add(i)
        self.conflicts: list[tuple[int, int]] = []
        if N < 2:
            return
        n_conf = max(2, int(round(0.004 * N)))
        seen: set[tuple[int, int]] = set()
        for _ in range(60 * n_conf):
            if len(self.conflicts) >= n_conf:
                break
            a = int(rng.integers(N))
            grp = np.flatnonzero((self.home == self.home[a]) & (self.sector == self.sector[a]))
            if len(grp) < 2:
                grp = np.arange(N)
            b = int(grp[int(rng.integers(len(grp)))])
            key = (min(a, b), max(a, b))
            if a == b or key in seen or key in self.tie_pairs:
                continue
            if not self._witness_pairs_ok(a, b):
                continue
            seen.add(key)
            self.conflicts.append((a, b))

    def make_fixed(self) -> None:
        rng = self.rng
        mode = self.cfg["fixed"]
        self.fixed: dict[str, Any] | None = None
        if not mode:
            return
        fixed: dict[str, Any] = {}
        if mode == "full" and self.mandatory:
            t = self.targets[self.mandatory[0]]
            w = t["witness"]
            fixed["leads"] = {t["id"]: w["lead"]}
            others = [a for a in w["members"] if a != w["lead"]]
            if others:
                fixed["members"] = [[t["id"], others[0]]]
        # forbidden pairs: an eligible actor kept out of a target (not its witness)
        forb: list[list[str]] = []
        n_forb = 2 if mode == "full" else 3
        order = [int(i) for i in rng.permutation(len(self.targets))]
        for i in order:
            if len(forb) >= n_forb:
                break
            t = self.targets[i]
            if t["witness"] is None:
                continue
            pool = (
                np.arange(self.N)
                if t["D"] is None
                else np.flatnonzero(self.dist[t["primary"]] <= t["D"])
            )
            elig = set().union(*[set(e.tolist()) for e in self._elig(t["reqs"], pool)])
            cand = sorted(elig - set(t["witness"]["members"]))
            if cand:
                forb.append([t["id"], cand[int(rng.integers(len(cand)))]])
        fixed["forbidden"] = forb
        outside = [a for a in range(self.N) if a not in self.in_wit]
        fa = []
        if mode != "full" or self.N > 20:
            # an actor in no witness, ideally one that holds something useful
            useful = [a for a in outside if self.lev[a].max() >= 5]
            src = useful or outside
            if src:
                fa.append(src[int(rng.integers(len(src)))])
        fixed["forbidden_actors"] = fa
        self.fixed = fixed

    # -- budgets and assembly --------------------------------------------
    def make_budgets(self) -> None:
        rng = self.rng
        lo, hi = self.cfg["sponsor_frac"]
        by_sp: dict[str, list[int]] = {}
        for i, t in enumerate(self.targets):
            if t["sponsor"] is not None:
                by_sp.setdefault(t["sponsor"], []).append(i)
        first_ministry = self.cfg["ministries"][0] if self.cfg["ministries"] else None
        self.sponsor_budget: dict[str, float | None] = {}
        for sp, idx in by_sp.items():
            if sp == first_ministry:
                self.sponsor_budget[sp] = None
                continue
            sp_sp = [
                self.targets[i]["witness"]["spend"]
                for i in idx
                if self.targets[i]["witness"] is not None
            ]
            mand = sum(self.targets[i]["witness"]["spend"] for i in idx if i in self.mandatory)
            tot = sum(sp_sp)
            b = max(rng.uniform(lo, hi) * tot, 1.02 * max(sp_sp, default=0.0), 1.02 * mand, 1.0)
            self.sponsor_budget[sp] = _ceil2(b)
        all_sp = [t["witness"]["spend"] for t in self.targets if t["witness"] is not None]
        mand = sum(self.targets[i]["witness"]["spend"] for i in self.mandatory)
        tb = max(self.cfg["total_frac"] * sum(all_sp), 1.02 * max(all_sp, default=0.0), 1.02 * mand,
                 1.0)
        self.policy["total_budget"] = _ceil2(tb)

    def assemble(self) -> dict[str, Any]:
        aw = max(3, len(str(self.N)))
        aid = [f"a{i + 1:0{aw}d}" for i in range(self.N)]
        site_ids = [s[0] for s in self.sites]
        caps = []
        for c, (cid, cname, _stage, _prior, _sec) in enumerate(self.caps):
            caps.append({"id": cid, "name": cname, "chokepoint": bool(self.choke[c])})
        sites = [{"id": s[0], "name": s[1], "lat": s[4], "lon": s[5]} for s in self.sites]
        used_sp = []
        for t in self.targets:
            if t["sponsor"] is not None and t["sponsor"] not in used_sp:
                used_sp.append(t["sponsor"])
        sponsors = []
        for sid in self.sponsor_defs:  # stable definition order
            if sid not in used_sp:
                continue
            d = self.sponsor_defs[sid]
            sp: dict[str, Any] = {"id": sid, "name": d["name"]}
            if self.sponsor_budget.get(sid) is not None:
                sp["budget"] = self.sponsor_budget[sid]
            if d.get("region"):
                sp["region"] = d["region"]
            sponsors.append(sp)
        tid = [t["id"] for t in self.targets]
        actors = []
        cap_ids = [c[0] for c in self.caps]
        for i in range(self.N):
            held = np.flatnonzero(self.lev[i])
            a: dict[str, Any] = {
                "id": aid[i],
                "name": self.names[i],
                "type": str(self.types[i]),
                "ownership": str(self.own[i]),
                "region": str(self.region[i]),
                "lat": float(self.lat[i]),
                "lon": float(self.lon[i]),
                "capabilities": {cap_ids[c]: int(self.lev[i, c]) for c in held},
                "cost": float(self.cost[i]),
                "lead_cost": None if np.isnan(self.lead_cost[i]) else float(self.lead_cost[i]),
                "max_consortia": int(self.maxc[i]),
            }
            if not np.isnan(self.lead_cost[i]):
                a["max_lead"] = int(self.maxl[i])
            if i in self.bids:
                a["bids"] = {t: float(b) for t, b in sorted(self.bids[i].items())}
            actors.append(a)
        targets = []
        for t in self.targets:
            sec = SECTORS[self.sectors[t["sector"]]]
            city = self.sites[t["primary"]][2]
            main_cap = self.caps[t["reqs"][0][0]][1] if t["reqs"] else sec["title"]
            if t["flagship"]:
                name = f"{sec['title']} innovation consortium ({city})"
            elif t["mode"] == "research":
                name = f"{main_cap} breakthrough ({city})"
            else:
                name = f"{main_cap} industrialisation ({city})"
            td: dict[str, Any] = {"id": t["id"], "name": name, "mode": t["mode"]}
            if t["sponsor"] is not None:
                td["sponsor"] = t["sponsor"]
            td["value"] = t["value"]
            td["mandatory"] = bool(t.get("mandatory", False))
            if t["budget"] is not None:
                td["budget"] = t["budget"]
            td["sites"] = [site_ids[s] for s in t["sites"]]
            if t["D"] is not None:
                td["max_distance_km"] = int(t["D"])
            if t["min_members"] > 1:
                td["min_members"] = int(t["min_members"])
            if t["max_members"] is not None:
                td["max_members"] = int(t["max_members"])
            td["requirements"] = [
                {"capability": cap_ids[c], "level": int(L), "redundancy": int(r)}
                for c, L, r in t["reqs"]
            ]
            targets.append(td)
        ties = [{"a": aid[a], "b": aid[b], "weight": w} for a, b, w in self.ties]
        conflicts = [{"a": aid[a], "b": aid[b]} for a, b in self.conflicts]
        exclusive = [[tid[u] for u in g] for g in self.exclusive]
        inst: dict[str, Any] = {
            "format": FORMAT,
            "name": self.name,
            "currency": "CNY million",
            "capabilities": caps,
            "sites": sites,
            "sponsors": sponsors,
            "actors": actors,
            "targets": targets,
            "ties": ties,
            "conflicts": conflicts,
            "exclusive": exclusive,
            "policy": self.policy,
        }
        if self.fixed is not None:
            fx: dict[str, Any] = {}
            if "leads" in self.fixed:
                fx["leads"] = {t: aid[a] for t, a in self.fixed["leads"].items()}
            if "members" in self.fixed:
                fx["members"] = [[t, aid[a]] for t, a in self.fixed["members"]]
            fx["forbidden"] = [[t, aid[a]] for t, a in self.fixed["forbidden"]]
            fx["forbidden_actors"] = [aid[a] for a in self.fixed["forbidden_actors"]]
            inst["fixed"] = fx
        self.aid = aid
        return inst

    def witnesses(self) -> dict[str, dict[str, Any]]:
        """Witness consortia per target id (instance ids), for checks and tests."""
        out = {}
        site_ids = [s[0] for s in self.sites]
        cap_ids = [c[0] for c in self.caps]
        for t in self.targets:
            w = t["witness"]
            if w is None or t["blocked"]:
                continue
            out[t["id"]] = {
                "site": site_ids[w["site"]],
                "lead": self.aid[w["lead"]],
                "members": [self.aid[a] for a in w["members"]],
                "deliveries": {
                    cap_ids[c]: [self.aid[a] for a in w["assign"][k]]
                    for k, (c, _, _) in enumerate(t["reqs"])
                    if k < len(w["assign"])
                },
                "spend": w["spend"],
            }
        return out

    def run(self) -> dict[str, Any]:
        self.make_sites()
        self.make_sectors()
        self.make_capabilities()
        self.make_actors()
        self.make_policy()
        self.make_sponsor_candidates()
        self.make_targets()
        self.make_mandatory()
        self.make_ties()
        self.make_conflicts()
        self.make_fixed()
        self.make_budgets()
        inst = self.assemble()
        # The joint mandatory plan (with the fixed decisions) must satisfy SPEC section 3.
        wits = self.witnesses()
        plan = [
            dict(target=self.targets[i]["id"], **wits[self.targets[i]["id"]])
            for i in self.mandatory
        ]
        from ..solving.plan_check import plan_violations

        errors = plan_violations(_only_targets(inst, {p["target"] for p in plan}), plan)
        if errors:  # should not happen; degrade gracefully rather than emit an infeasible file
            mand = {p["target"] for p in plan}
            for t in inst["targets"]:
                if t["id"] in mand:
                    t["mandatory"] = False
            if "fixed" in inst:
                inst["fixed"].pop("leads", None)
                inst["fixed"].pop("members", None)
            self.mandatory = []
        self.plan_errors = errors
        if self.cfg.get("programme"):  # SPEC section 7: chains, years, composition
            inst = self.stage(inst)
        return inst


def _only_targets(inst: dict[str, Any], keep: set[str]) -> dict[str, Any]:
    """``inst`` with only the targets in ``keep`` (and what refers to them).
    A plan that forms only those targets breaks a rule of ``inst`` exactly
    when it breaks one of this instance: the rules across targets (budgets,
    capacities, exclusive groups) count formed targets only. Checking the
    mandatory plan on it spares the model of every other target (most of the
    generation time of a 2,000-target instance)."""
    out = dict(inst, targets=[t for t in inst["targets"] if t["id"] in keep])
    out["exclusive"] = [g for g in ([t for t in grp if t in keep] for grp in inst["exclusive"])
                        if len(g) > 1]
    if "fixed" in inst:
        fx = dict(inst["fixed"])
        if "leads" in fx:
            fx["leads"] = {t: a for t, a in fx["leads"].items() if t in keep}
        for key in ("members", "forbidden"):
            if key in fx:
                fx[key] = [p for p in fx[key] if p[0] in keep]
        out["fixed"] = fx
    out["actors"] = [
        dict(a, bids={t: v for t, v in a["bids"].items() if t in keep}) if "bids" in a else a
        for a in inst["actors"]
    ]
    used = {t.get("sponsor") for t in out["targets"]}
    out["sponsors"] = [s for s in inst["sponsors"] if s["id"] in used]
    return out


def _resolve(preset: str, targets, actors, capabilities, sites, seed) -> tuple[dict, str]:
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r} (choose from {', '.join(PRESETS)})")
    cfg = dict(PRESETS[preset])
    over = {"targets": targets, "actors": actors, "capabilities": capabilities, "sites": sites}
    tags = []
    for key, val in over.items():
        if val is None:
            continue
        val = int(val)
        lo = 0 if key == "targets" else 1
        if val < lo:
            raise ValueError(f"{key} must be >= {lo}, got {val}")
        if key == "sites" and val > len(SITES):
            raise ValueError(f"sites must be <= {len(SITES)} (the built-in site table), got {val}")
        if val != cfg[key]:
            tags.append(f"{key[0]}{val}")
        cfg[key] = val
    if int(seed) < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    name = "-".join([preset] + tags + [f"seed{int(seed)}"])
    return cfg, name


def _generate(*, preset: str = "small", targets: int | None = None, actors: int | None = None,
              capabilities: int | None = None, sites: int | None = None,
              seed: int = 0) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Like :func:`generate`, also returning the witness consortium of every
    formable target (target id -> site, lead, members, deliveries, spend)."""
    cfg, name = _resolve(preset, targets, actors, capabilities, sites, seed)
    g = _Gen(preset, cfg, int(seed), name)
    inst = g.run()
    return inst, g.witnesses()


def generate(*, preset: str = "small", targets: int | None = None, actors: int | None = None,
             capabilities: int | None = None, sites: int | None = None,
             seed: int = 0) -> dict[str, Any]:
    """Generate a valid ``consortium-instance/1`` dict.

    ``preset`` is one of :data:`PRESETS` (``small``, ``provincial``, ``national``);
    ``targets``, ``actors``, ``capabilities`` and ``sites`` override its sizes.
    Same arguments give the same instance.
    """
    return _generate(preset=preset, targets=targets, actors=actors, capabilities=capabilities,
                     sites=sites, seed=seed)[0]


def dumps_instance(inst: dict[str, Any]) -> str:
    """Deterministic JSON text: insertion key order, indent=1, no NaN, final newline."""
    return json.dumps(inst, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def write_instance(inst: dict[str, Any], path) -> None:
    """Write ``inst`` to ``path`` as deterministic JSON (see :func:`dumps_instance`)."""
    write_atomic(path, dumps_instance(inst))


def eligibility_stats(inst: dict[str, Any]) -> dict[str, Any]:
    """Count the eligible (actor, target, site) triples of an instance.

    ``deliver``: actor within the target's distance of the site and able to
    deliver at least one requirement; ``any``: ``deliver`` or able to lead it.
    ``reach_mean`` and ``reach_median``: a target's reachable actors (within
    its distance of one of its sites, and able to deliver a requirement or
    to lead it), over the targets.
    """
    actors = inst["actors"]
    N = len(actors)
    cap_idx = {c["id"]: i for i, c in enumerate(inst.get("capabilities", []))}
    lev = np.zeros((N, max(1, len(cap_idx))), dtype=np.int8)
    for i, a in enumerate(actors):
        for k, v in a.get("capabilities", {}).items():
            lev[i, cap_idx[k]] = v
    lat = np.array([a["lat"] for a in actors], dtype=float)
    lon = np.array([a["lon"] for a in actors], dtype=float)
    foreign = np.array([a["ownership"] == "foreign" for a in actors])
    types = np.array([a["type"] for a in actors], dtype=object)
    has_lead = np.array([a.get("lead_cost") is not None for a in actors])
    pol = inst.get("policy", {})
    lt: dict[str, Any] = {m: list(v) for m, v in DEFAULT_LEAD_TYPES.items()}
    lt.update(pol.get("lead_types", {}))
    fcl = pol.get("foreign_can_lead", False)
    dom_only = pol.get("chokepoints_domestic_only", True)
    choke = {c["id"]: bool(c.get("chokepoint", False)) for c in inst.get("capabilities", [])}
    sites = {s["id"]: s for s in inst["sites"]}
    deliver_total = any_total = 0
    per_target = []
    reach = []
    for t in inst["targets"]:
        can = np.zeros(N, dtype=bool)
        for r in t["requirements"]:
            k = r["capability"]
            can |= may_deliver(lev[:, cap_idx[k]], r.get("level", 1), choke[k], foreign, dom_only)
        lead = may_lead(types, has_lead, foreign, lt[t["mode"]], fcl)
        md = t.get("max_distance_km")
        nd = na = 0
        anywhere = np.zeros(N, dtype=bool)
        for sid in t["sites"]:
            s = sites[sid]
            near = (
                np.ones(N, dtype=bool)
                if md is None
                else within_limit(haversine_km(lat, lon, s["lat"], s["lon"]), md)
            )
            nd += int((near & can).sum())
            na += int((near & (can | lead)).sum())
            anywhere |= near & (can | lead)
        reach.append(int(anywhere.sum()))
        deliver_total += nd
        any_total += na
        per_target.append(nd)
    pt = np.array(per_target) if per_target else np.zeros(1)
    return {
        "targets": len(inst["targets"]),
        "deliver": deliver_total,
        "any": any_total,
        "per_target_median": float(np.median(pt)),
        "per_target_max": int(pt.max()),
        "reach_mean": float(np.mean(reach)) if reach else 0.0,
        "reach_median": float(np.median(reach)) if reach else 0.0,
    }
