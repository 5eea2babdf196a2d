"""The generator's multi-year layer (SPEC section 7) for the ``programme`` and
``national-programme`` presets, a base of :class:`consortium.generate.generator._Gen`.

On top of a drawn instance (population, targets, witnesses, budgets) it adds:

* innovation chains: within a sector, a research target (the *material*), at
  times a second research target (the *device*) and an economics-driven
  target (the *application*), linked by ``after`` (seed 002: the innovation
  chain runs from research at one end to products at the other);
* durations of 1-3 years (a chain fits inside the programme); each target
  outside a chain, and each chain's first stage, is published in a call
  for proposals with a start window of two years (``earliest``/``latest``;
  the first stages in the programme's first call), the later stages start
  when their chain allows;
* composition rules (rule 15): the policy asks every consortium for at least
  two enterprises or smes and at most one foreign member (a scaled Qingdao
  rule); targets whose witness consortium meets Qingdao's full 2025 rule (at
  least three enterprises or smes and two universities or institutes) carry
  it as their own list; a target whose witness cannot meet the policy's list
  gets the part it meets;
* distinct regions (rule 16): a share of targets whose reachable deliverers
  come from two or more provinces ask for two regions;
* yearly budgets: each sponsor with a budget may pay in a year only 1.1-1.35
  times the even share of its programme budget, the programme 0.85-1.05
  times the even share of the total budget, so the early years, which every
  target would like to start in, bind;
* a feasible *witness schedule*: targets whose witnesses share no actor,
  scheduled greedily (mandatory first, then along the chains) within every
  budget and window; its counts give the milestones (Zhejiang: 50 consortia
  by 2027, so a milestone in the programme's second year), and the first
  mandatory target's start in it is fixed (``fixed.starts``). The schedule is
  checked against every row of the model before the instance is returned; if
  it fails, milestones and fixed starts are dropped (never an infeasible file).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model.eligibility import may_deliver
from .draws import _pick, _r2

QINGDAO: list[dict[str, Any]] = [{"types": ["enterprise", "sme"], "min": 3},
                                 {"types": ["university", "institute"], "min": 2}]
SCALED: list[dict[str, Any]] = [{"types": ["enterprise", "sme"], "min": 2},
                                {"ownership": ["foreign"], "max": 1}]
STAGE_NAMES = {2: ("material", "application"), 3: ("material", "device", "application")}


def _matches(rule: dict[str, Any], typ: str, own: str) -> bool:
    return (("types" not in rule or typ in rule["types"])
            and ("ownership" not in rule or own in rule["ownership"]))


class _Staging:
    """Mixin: the programme layer, applied by :meth:`stage` to an assembled instance."""

    cfg: dict[str, Any]
    rng: np.random.Generator
    targets: list[dict[str, Any]]
    mandatory: list[int]
    exclusive: list[list[int]]
    aid: list[str]
    types: np.ndarray
    own: np.ndarray
    region: np.ndarray
    dist: np.ndarray
    lev: np.ndarray
    choke: np.ndarray
    foreign: np.ndarray
    sponsor_budget: dict[str, float | None]
    policy: dict[str, Any]
    witness_schedule: list[dict[str, Any]]
    stage_errors: list[str]

    def stage(self, inst: dict[str, Any]) -> dict[str, Any]:
        pc = self.cfg["programme"]
        rng = self.rng
        start, years = int(pc["start"]), int(pc["years"])
        inst["programme"] = {"start": start, "years": years,
                             "discount_rate": float(pc["discount_rate"])}
        td = inst["targets"]
        T = len(td)
        ok = [t["witness"] is not None and not t["blocked"] for t in self.targets]
        mand = set(self.mandatory)
        # -- chains: material -> (device ->) application, inside a sector
        chains: list[list[int]] = []
        sectors = sorted({t["sector"] for t in self.targets})
        for j in sectors:
            free = [i for i in range(T)
                    if ok[i] and i not in mand and self.targets[i]["sector"] == j]
            res = [i for i in free if self.targets[i]["mode"] == "research"]
            eco = [i for i in free if self.targets[i]["mode"] == "economic"]
            res = [res[int(k)] for k in rng.permutation(len(res))]
            eco = [eco[int(k)] for k in rng.permutation(len(eco))]
            while res and eco and rng.random() < pc["chain_share"]:
                chain = [res.pop()]
                if res and rng.random() < 0.5:
                    chain.append(res.pop())
                chain.append(eco.pop())
                chains.append(chain)
        in_chain: dict[int, tuple[int, int]] = {}
        for c, chain in enumerate(chains):
            for k, i in enumerate(chain):
                in_chain[i] = (c, k)
        dvals, dprobs = pc["durations"]
        dur = [int(_pick(rng, dvals, dprobs)) for _ in range(T)]
        for i in range(T):
            if self.targets[i]["flagship"]:
                dur[i] = max(dur[i], 2)
        for chain in chains:
            while sum(dur[i] for i in chain) > years:
                longest = max(chain, key=lambda i: dur[i])
                dur[longest] -= 1
            names = STAGE_NAMES[len(chain)]
            for k, i in enumerate(chain):
                td[i]["name"] = f"{td[i]['name']} - {names[k]} stage"
                if k:
                    td[i]["after"] = [td[chain[k - 1]]["id"]]
        for i in range(T):
            if dur[i] > 1:
                td[i]["duration"] = dur[i]
        window: dict[int, tuple[int, int]] = {i: (start, start + years - dur[i]) for i in range(T)}
        call = int(pc["call_years"])
        for i in range(T):
            if i in mand or in_chain.get(i, (0, 0))[1] > 0:
                continue  # downstream stages start when their chain allows
            lo, hi = window[i]
            if hi - lo + 1 <= call:
                continue
            # the call for proposals it is published in: a window of call years
            first = lo if i in in_chain else int(rng.integers(lo, hi - call + 2))
            if first > lo:
                td[i]["earliest"] = first
            td[i]["latest"] = first + call - 1
            window[i] = (first, first + call - 1)
        # -- composition (rule 15)
        inst["policy"]["composition"] = [dict(r) for r in SCALED]
        for i in range(T):
            w = self.targets[i]["witness"]
            if w is None:
                continue
            members = w["members"]

            def count(rule: dict[str, Any], members: list[int] = members) -> int:
                return sum(_matches(rule, str(self.types[a]), str(self.own[a])) for a in members)

            if all(count(r) >= r["min"] for r in QINGDAO) and (
                    self.targets[i]["flagship"] or rng.random() < 0.6):
                td[i]["composition"] = [dict(r) for r in QINGDAO]
                continue
            fit = []
            for r in SCALED:
                n = count(r)
                if n >= r.get("min", 0) and n <= r.get("max", n):
                    fit.append(dict(r))
                elif "min" in r and n >= 1:
                    fit.append({**r, "min": n})
            if len(fit) < len(SCALED) or any(a != b for a, b in zip(fit, SCALED, strict=False)):
                td[i]["composition"] = fit
        # -- distinct regions (rule 16)
        regions_of: dict[int, int] = {}
        for i in range(T):
            t = self.targets[i]
            if not ok[i] or i in mand:
                continue
            near = np.zeros(len(self.region), bool)
            for s in t["sites"]:
                near |= True if t["D"] is None else self.dist[s] <= t["D"] - 0.01
            can = np.zeros(len(self.region), bool)
            for c, L, _ in t["reqs"]:
                can |= may_deliver(self.lev[:, c], L, self.choke[c], self.foreign, True)
            regions_of[i] = len(set(self.region[near & can].tolist()))
        for i, n in regions_of.items():
            if n >= 2 and rng.random() < pc["regions_share"]:
                td[i]["min_regions"] = 2
        # -- yearly budgets
        lo_f, hi_f = pc["year_frac"]
        by_year: dict[str, dict[str, float]] = {}
        for sp in inst["sponsors"]:
            b = sp.get("budget")
            if b is None:
                continue
            by_year[sp["id"]] = {str(y): _r2(b * rng.uniform(lo_f, hi_f) / years)
                                 for y in range(start, start + years)}
        tb = inst["policy"].get("total_budget")
        lo_t, hi_t = pc["total_year_frac"]
        total_by_year = ({str(y): _r2(tb * rng.uniform(lo_t, hi_t) / years)
                          for y in range(start, start + years)} if tb is not None else {})
        # the mandatory targets, started as early as possible, always fit
        need: dict[tuple[str | None, int], float] = {}
        for i in sorted(mand):
            sp = self.targets[i]["sponsor"]
            for y in range(start, start + dur[i]):
                per = self.targets[i]["witness"]["spend"] / dur[i]
                need[(sp, y)] = need.get((sp, y), 0.0) + per
                need[(None, y)] = need.get((None, y), 0.0) + per
        for (sp, y), v in need.items():
            caps = total_by_year if sp is None else by_year.get(sp)
            if caps is not None and str(y) in caps:
                caps[str(y)] = max(caps[str(y)], _r2(1.05 * v + 0.01))
        for sp in inst["sponsors"]:
            if sp["id"] in by_year:
                sp["budget_by_year"] = by_year[sp["id"]]
        if total_by_year:
            inst["policy"]["total_budget_by_year"] = total_by_year
        # -- the witness schedule, milestones, fixed starts
        sched = self._schedule(inst, ok, dur, window, in_chain, chains)
        by2 = sum(1 for p in sched if p["start"] <= start + 1)
        ms = []
        m1 = int(pc["milestone_frac"] * by2)
        m2 = int(pc["milestone_frac"] * len(sched))
        if m1 >= 1:  # Zhejiang: N consortia by 2027, the programme's second year
            ms.append({"year": start + 1, "min_formed": m1})
        if m2 > m1:
            ms.append({"year": start + years - 1, "min_formed": m2})
        inst["programme"]["milestones"] = ms
        fixed_start = next((p for p in sched if p["index"] in mand), None)
        if fixed_start is not None:
            inst.setdefault("fixed", {})["starts"] = {fixed_start["target"]: fixed_start["start"]}
        from ..solving.plan_check import plan_violations

        plan = [{k: p[k] for k in ("target", "site", "lead", "members", "start")} for p in sched]
        errors = plan_violations(inst, plan)
        if errors:  # should not happen; keep the file feasible
            inst["programme"]["milestones"] = []
            if "fixed" in inst:
                inst["fixed"].pop("starts", None)
        self.witness_schedule = sched
        self.stage_errors = errors
        return inst

    def _schedule(self, inst: dict[str, Any], ok: list[bool], dur: list[int],
                  window: dict[int, tuple[int, int]], in_chain: dict[int, tuple[int, int]],
                  chains: list[list[int]]) -> list[dict[str, Any]]:
        """Witnesses that share no actor, started greedily within every budget."""
        td = inst["targets"]
        pr = inst["programme"]
        start, years = pr["start"], pr["years"]
        sp_caps = {s["id"]: s for s in inst["sponsors"]}
        total = inst["policy"].get("total_budget")
        total_y = inst["policy"].get("total_budget_by_year", {})
        paid: dict[tuple[str | None, int], float] = {}
        spent: dict[str | None, float] = {}
        used: set[int] = set()
        excl_used: set[int] = set()
        ends: dict[int, int] = {}
        order = sorted(self.mandatory) + [
            i for i in sorted(range(len(td)), key=lambda i: (
                in_chain.get(i, (len(chains) + i, 0))[1],
                -td[i]["value"] / max(1e-9, self.targets[i]["witness"]["spend"])
                if self.targets[i]["witness"] is not None else 0.0))
            if i not in self.mandatory]
        site_ids = [s["id"] for s in inst["sites"]]
        out: list[dict[str, Any]] = []
        for i in order:
            t, w = self.targets[i], self.targets[i]["witness"]
            if not ok[i] or w is None:
                continue
            mem = set(w["members"])
            if mem & used:
                continue
            groups = {g for g, grp in enumerate(self.exclusive) if i in grp}
            if groups & excl_used:
                continue
            if td[i].get("min_regions", 1) > len({str(self.region[a]) for a in mem}):
                continue
            if any(u not in ends for u in [self._index(td, u) for u in td[i].get("after", [])]):
                continue
            lo, hi = window[i]
            for u in td[i].get("after", []):
                lo = max(lo, ends[self._index(td, u)] + 1)
            spend, sp = float(w["spend"]), t["sponsor"]
            spb = sp_caps[sp].get("budget") if sp in sp_caps else None
            if spb is not None and spent.get(sp, 0.0) + spend > spb:
                continue
            if total is not None and spent.get(None, 0.0) + spend > total:
                continue
            chosen = None
            for s in range(lo, hi + 1):
                years_on = range(s, s + dur[i])
                per = spend / dur[i]
                fits = all(
                    paid.get((None, y), 0.0) + per <= total_y.get(str(y), float("inf"))
                    and paid.get((sp, y), 0.0) + per
                    <= (sp_caps[sp].get("budget_by_year", {}) if sp in sp_caps else {}).get(
                        str(y), float("inf"))
                    for y in years_on)
                if fits:
                    chosen = s
                    break
            if chosen is None:
                continue
            for y in range(chosen, chosen + dur[i]):
                paid[(None, y)] = paid.get((None, y), 0.0) + spend / dur[i]
                if sp is not None:
                    paid[(sp, y)] = paid.get((sp, y), 0.0) + spend / dur[i]
            spent[None] = spent.get(None, 0.0) + spend
            if sp is not None:
                spent[sp] = spent.get(sp, 0.0) + spend
            used |= mem
            excl_used |= groups
            ends[i] = chosen + dur[i] - 1
            out.append({"index": i, "target": td[i]["id"], "site": site_ids[w["site"]],
                        "lead": self.aid[w["lead"]], "members": [self.aid[a] for a in w["members"]],
                        "start": chosen})
        assert all(start <= p["start"] <= start + years - 1 for p in out)
        return out

    @staticmethod
    def _index(td: list[dict[str, Any]], tid: str) -> int:
        return next(i for i, t in enumerate(td) if t["id"] == tid)
