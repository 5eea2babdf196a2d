"""Marginal values, incentive-compatible (VCG) rewards and stress tests.

Everything here is many re-solves of nearly the same model. Each worker builds
one :class:`consortium.resolve.Session` (the model loaded once in HiGHS) and
re-solves it with some columns barred (fixed to 0): an actor barred from one
consortium (marginal values) or from every consortium (stress scenarios).
Work runs in-process (``workers=1``), in local processes (default: 2, one
HiGHS thread each, every process builds its session once in its initializer)
or on a dask.distributed cluster (``scheduler=``; every dask worker caches its
session keyed by a hash of the instance, options and base plan).

Commands (registered by ``consortium.cli``)::

    consortium analyse INSTANCE [-o FILE.json] [--table FILE.csv|.parquet] [--workers N] [--scheduler ADDR]
    consortium stress INSTANCE [--drop-actor ID ...] [--drop-foreign] [--drop-region CODE ...]
                               [--drop-each] [--scenarios FILE] [-o FILE.json] [--table FILE]
                               [--workers N] [--scheduler ADDR]

JSON output: the base solution (``consortium-solution/1``) plus these fields.

``analysis``
    ``{"kind": "marginal"|"stress", "workers", "scheduler", "solves", "time_s",
    "solver_options": {...}, "exact": bool}``. ``exact`` is true when the base
    plan and every re-solve were proven optimal at gap 0.

``marginal`` (``analyse``): one record per member of every formed consortium.
    ``target``, ``actor``, ``role``, ``reward`` (its contract reward),
    ``deliverables`` (capabilities it delivers), ``status`` (of the re-solve with
    the actor barred from that consortium), ``objective_without`` (``null`` if no
    plan), ``bound_without``, ``gap_without``, ``marginal_value`` = base objective
    minus ``objective_without`` (``null`` = infinite: no plan exists without it),
    ``critical`` (the target is unformed in the re-solved plan, or there is no
    plan at all), ``outcome``: ``absorbed`` (formed again with no new actor),
    ``replaced`` (formed with new actors), ``unformed``, ``infeasible``, or
    ``unknown`` (no plan within the limits); ``replacement`` (actors in the
    re-solved consortium of that target that were not in the original one),
    ``lead_after``, ``members_after``, ``deliverers_after`` (capability -> who
    delivers it now), ``formable_without`` (for an unformed target: can it be
    formed at all without the actor, alongside the other rules; ``null`` when
    not asked), ``if_forced`` (when it can: ``objective``, ``marginal_value``,
    ``replacement``, ``lead`` of the best plan that still forms it), ``note``.

``vcg`` (``analyse``): Clarke pivot rewards. ``defined`` (false when
    ``weights.cost`` <= 0, with ``reason``), ``money_per_unit`` (1 /
    ``weights.cost``), ``contracts`` (``target``, ``actor``, ``role``, ``reward``,
    ``premium`` = marginal value / ``weights.cost``, ``vcg_reward`` = reward +
    premium, ``null`` with ``reason`` when undefined), ``total``, ``sponsors``
    (id -> ...), ``targets`` (id -> ...): each ``{"spend", "vcg", "budget",
    "within_budget", "overrun", "undefined"}`` where ``vcg`` is ``null`` when a
    contract's VCG reward is undefined (``undefined`` counts them). Each
    contract in ``consortia`` also gets ``vcg_reward`` beside its ``reward``.

``stress`` (``stress``): one record per scenario. ``name``, ``drop`` (actor
    ids), ``dropped_in_plan``, ``solved`` (false when no dropped actor is in the
    plan: the plan stands), ``status``, ``objective_before``/``_after``/
    ``_change``, ``value_before``/``_after``/``_change``, ``spend_before``/
    ``_after``/``_change`` (after - before), ``lost_targets`` (formed before,
    not after), ``new_targets``, ``changed`` (per target formed before and after
    whose lead, members or site changed: before/after, ``joined``, ``left``),
    ``uncovered`` (per lost target and requirement with fewer remaining eligible
    domestic holders than its redundancy: ``target``, ``capability``, ``level``,
    ``redundancy``, ``holders_left``, ``chokepoint``), ``note``.

``early_warning`` (``stress --drop-each``): every actor of the plan ranked by
    the objective lost without it, most critical first (no plan at all ranks
    first): ``rank``, ``actor``, ``objective_lost`` (``null`` = no plan),
    ``status``, ``lost_targets``, ``uncovered`` (capability ids), ``targets``
    (the consortia it sits in).

Re-solves use the solver options of the base solve with one HiGHS thread;
``--time-limit``/``--gap``/``--profile`` apply to every solve (status and gap
of each re-solve are reported, so inexact values can be told apart).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import click

ABS_TOL = 1e-9

# --------------------------------------------------------------------------
# Jobs and their results
# --------------------------------------------------------------------------


@dataclass
class Job:
    """One re-solve: these (target index, actor index) pairs barred (t = -1: all)."""

    key: str
    pairs: list[tuple[int, int]]
    check_target: int | None = None  # if unformed after, can it be formed at all?
    conflict: str | None = None  # barring breaks a fixed decision: infeasible, no solve


@dataclass
class _Payload:
    inst: Any  # Instance (pickled)
    opts: Any  # SolverOptions
    base: list[dict[str, Any]]  # base consortia (target, site, lead, members)
    keep_plans: bool = False

    def key(self) -> str:
        h = hashlib.sha256()
        h.update(self.inst.model_dump_json().encode())
        o = self.opts
        h.update(repr((o.time_limit, o.gap, o.threads, sorted(o.highs.items()))).encode())
        h.update(json.dumps(self.base, sort_keys=True).encode())
        h.update(b"1" if self.keep_plans else b"0")
        return h.hexdigest()


class _Worker:
    """A session built once, and the base plan to start re-solves from."""

    def __init__(self, payload: _Payload, session=None):
        from .plan import choices_from_plan
        from .resolve import Session

        self.p = payload
        self.sess = session if session is not None else Session(payload.inst, payload.opts)
        md = self.sess.b.md
        self.choices = choices_from_plan(md, payload.base)
        self.rebuilt = 0

    def _start_for(self, pairs, targets: set[int], force: int | None = None):
        """A feasible plan to start the re-solve from, or None.

        The base plan minus the affected consortia (always feasible unless one
        of them must be formed); otherwise (or when target ``force`` is held
        formed) the base plan with the barred actors taken out of those
        consortia, if that still satisfies every row.
        """
        from .plan import Choice, start_vector

        b = self.sess.b
        if force is None and not any(b.md.forced(t) for t in targets):
            keep = [ch for ch in self.choices if ch.target not in targets]
            return start_vector(b.md, b.V, b.lm.n_cols, keep)
        out = []
        for ch in self.choices:
            gone = {a for t, a in pairs if t < 0 or t == ch.target}
            if ch.lead in gone:
                if b.md.forced(ch.target) or ch.target == force:
                    return None
                continue
            out.append(Choice(ch.target, ch.site, ch.lead, [a for a in ch.members if a not in gone]))
        x = start_vector(b.md, b.V, b.lm.n_cols, out)
        if force is not None and x[b.V.y[force]] < 0.5:
            return None
        return x if b.lm.is_feasible(x) else None

    def _affected(self, pairs) -> set[int]:
        out = set()
        for t, a in pairs:
            for ch in self.choices:
                if (t < 0 or ch.target == t) and a in ch.members:
                    out.add(ch.target)
        return out

    def _solve(self, pairs, force: int | None = None):
        from .solve import solution_from_raw

        sess = self.sess
        cols = sess.barred_columns(pairs)
        affected = self._affected(pairs)
        if force is not None:
            affected.add(force)
        sess.last_x = self._start_for(pairs, affected, force)
        ycol = None
        if force is not None:
            import numpy as np

            ycol = np.array([sess.b.V.y[force]], np.int32)
        t0 = time.perf_counter()
        _drain_abandoned()
        raw = sess.solve_barred(cols, formed=ycol, affected=affected)
        sol = solution_from_raw(sess.b, raw, time.perf_counter() - t0)
        if self._abandoned():
            # HiGHS did not stop and still runs in its thread (backends.highs; only
            # on an interrupt with the options above): wait for it, and build the
            # session anew, as its model was changed under the running solver.
            from .resolve import Session

            _drain_abandoned()
            self.sess = Session(self.p.inst, self.p.opts)
            self.rebuilt += 1
        return sol

    def _abandoned(self) -> bool:
        from .backends import highs

        return highs.abandoned(self.sess.h)

    def run(self, job: Job) -> dict[str, Any]:
        t0 = time.perf_counter()
        if job.conflict is not None:
            return {"key": job.key, "status": "infeasible", "objective": None, "bound": None,
                    "gap": None, "consortia": [], "value": None, "spend": None,
                    "time_s": 0.0, "note": job.conflict, "forced": None, "plan": None, "solves": 0}
        sol = self._solve(job.pairs)
        out = _summary(sol)
        out["key"] = job.key
        out["note"] = ""
        out["forced"] = None
        out["solves"] = 1
        out["plan"] = sol.to_dict() if self.p.keep_plans and sol.status.has_plan else None
        ti = job.check_target
        if ti is not None and sol.status.has_plan and ti not in {self.sess.b.md.target_index[c.target]
                                                                 for c in sol.consortia}:
            forced = self._solve(job.pairs, force=ti)
            out["forced"] = _summary(forced)
            out["solves"] = 2
            if self.p.keep_plans and forced.status.has_plan:
                out["forced"]["plan"] = forced.to_dict()
        out["time_s"] = time.perf_counter() - t0
        return out

    def run_chunk(self, jobs: list[Job]) -> list[dict[str, Any]]:
        return [self.run(j) for j in jobs]


def _summary(sol) -> dict[str, Any]:
    cons = []
    for c in sol.consortia:
        deliv: dict[str, list[str]] = {}
        for k in c.contracts:
            for d in k.deliverables:
                deliv.setdefault(d["capability"], []).append(k.actor)
        cons.append({"target": c.target, "site": c.site, "lead": c.lead, "members": list(c.members),
                     "spend": c.spend, "deliverers": deliv})
    has = sol.status.has_plan
    return {
        "status": sol.status.value,
        "objective": sol.objective if has else None,
        "bound": sol.bound,
        "gap": sol.gap,
        "consortia": cons,
        "value": sol.kpis.get("value") if has else None,
        "spend": sol.kpis.get("spend") if has else None,
    }


# ---- local processes

_PROC_WORKER: _Worker | None = None


def _proc_init(payload: _Payload) -> None:
    global _PROC_WORKER
    _PROC_WORKER = _Worker(payload)


def _proc_chunk(jobs: list[Job]) -> list[dict[str, Any]]:
    assert _PROC_WORKER is not None
    return _PROC_WORKER.run_chunk(jobs)


# ---- dask workers: one session per payload hash, a few kept per process.
# highspy's "solver running" lock is shared by all Highs objects of a process,
# so solves in one worker process are serialised (run workers with one thread).

_DASK_CACHE: dict[str, _Worker] = {}
_DASK_LOCK = threading.Lock()
_DASK_KEEP = 4


def _dask_chunk(key: str, payload: _Payload, jobs: list[Job]) -> dict[str, Any]:
    with _DASK_LOCK:
        w = _DASK_CACHE.get(key)
        built = w is None
        if w is None:
            while len(_DASK_CACHE) >= _DASK_KEEP:
                _DASK_CACHE.pop(next(iter(_DASK_CACHE)))
            w = _DASK_CACHE[key] = _Worker(payload)
        return {"results": w.run_chunk(jobs), "built": built, "pid": os.getpid()}


def _chunks(jobs: list[Job], n_workers: int, per_worker: int = 4) -> list[list[Job]]:
    if not jobs:
        return []
    size = max(1, math.ceil(len(jobs) / (max(1, n_workers) * per_worker)))
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def run_jobs(
    payload: _Payload,
    jobs: list[Job],
    *,
    workers: int = 2,
    scheduler: Any = None,
    progress: Callable[[int], None] | None = None,
    session=None,
    stats: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Run the jobs; results in job order. ``progress(n)`` is called as n jobs finish."""
    stats = stats if stats is not None else {}
    done = progress or (lambda n: None)
    by_key: dict[str, dict[str, Any]] = {}
    if scheduler is not None:
        from distributed import Client, as_completed

        client = scheduler if isinstance(scheduler, Client) else Client(scheduler, timeout="20s")
        try:
            n = max(1, len(client.scheduler_info().get("workers", {})))
            key = payload.key()
            [pf] = client.scatter([payload], broadcast=True, hash=False)
            futs = [client.submit(_dask_chunk, key, pf, ch, pure=False) for ch in _chunks(jobs, n)]
            built = 0
            pids = set()
            for f in as_completed(futs):
                r = f.result()
                built += r["built"]
                pids.add(r["pid"])
                for x in r["results"]:
                    by_key[x["key"]] = x
                done(len(r["results"]))
            stats.update(mode="dask", sessions_built=built, processes=len(pids))
        finally:
            if client is not scheduler:
                client.close()
    elif workers <= 1 or len(jobs) <= 1:
        w = _Worker(payload, session)
        for j in jobs:
            by_key[j.key] = w.run(j)
            done(1)
        stats.update(mode="in-process", sessions_built=0 if session is not None else 1, processes=1)
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        n = min(workers, len(jobs))
        # spawn: never fork a process whose HiGHS may hold threads
        with ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("spawn"),
                                 initializer=_proc_init, initargs=(payload,)) as ex:
            futs = [ex.submit(_proc_chunk, ch) for ch in _chunks(jobs, n)]
            for f in as_completed(futs):
                res = f.result()
                for x in res:
                    by_key[x["key"]] = x
                done(len(res))
        stats.update(mode="processes", sessions_built=n, processes=n)
    stats["solves"] = sum(r.get("solves", 0) for r in by_key.values())
    return [by_key[j.key] for j in jobs]


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def analysis_options(opts=None):
    """Options for re-solves: as given, but one HiGHS thread, no callbacks, no deadline.

    A time limit is per solve and is handed to HiGHS itself (its ``time_limit``
    option) rather than to the guard in ``backends.highs``: a guarded run that
    overruns is abandoned while still running, and highspy's "solver running"
    lock is shared by every Highs object of a process, so one abandoned run
    would stop all later re-solves of the worker.
    """
    from dataclasses import replace

    from .backends.base import SolverOptions

    o = opts or SolverOptions()
    h = dict(o.highs)
    if o.time_limit is not None:
        h["time_limit"] = float(o.time_limit)
    return replace(o, time_limit=None, threads=1, on_progress=None, log=False, highs=h, deadline=None)


def _drain_abandoned() -> None:
    """Wait for HiGHS runs abandoned by ``backends.highs`` (they block every solve)."""
    from .backends import highs

    for r in list(highs.ABANDONED):
        r.wait()  # blocks until the abandoned run has stopped
        highs.ABANDONED.remove(r)


def _as_dict(solution) -> dict[str, Any]:
    return solution if isinstance(solution, dict) else solution.to_dict()


def _base_consortia(sol: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"target": c["target"], "site": c["site"], "lead": c["lead"], "members": list(c["members"])}
            for c in sol.get("consortia", [])]


def _fixed_conflict(inst, target_id: str | None, actor_id: str) -> str | None:
    """Barring this actor (from target_id, or from all if None) breaks a fixed decision?"""
    fx = inst.fixed
    for t, a in fx.leads.items():
        if a == actor_id and (target_id is None or t == target_id):
            return (f"{actor_id} is the fixed lead of {t} (fixed.leads): no plan honours the fixed "
                    "decisions without it")
    for t, a in fx.members:
        if a == actor_id and (target_id is None or t == target_id):
            return (f"{actor_id} is a fixed member of {t} (fixed.members): no plan honours the fixed "
                    "decisions without it")
    return None


def _payload(inst, sol: dict[str, Any], opts, keep_plans: bool) -> _Payload:
    return _Payload(inst, analysis_options(opts), _base_consortia(sol), keep_plans)


def _close(a: float, b: float, tol: float = 1e-6) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


# --------------------------------------------------------------------------
# Marginal values
# --------------------------------------------------------------------------


def marginal_values(
    inst,
    solution,
    opts=None,
    workers: int = 2,
    *,
    scheduler: Any = None,
    progress: Callable[[int], None] | None = None,
    keep_plans: bool = False,
    session=None,
    stats: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One record per member of every formed consortium of ``solution``.

    ``solution`` is the base plan (a :class:`Solution` or its dict) of ``inst``.
    Each member is barred from its consortium and the whole plan re-optimised;
    see the module docstring for the fields. ``keep_plans`` adds the re-solved
    plan (``plan``) and, for a target checked with force, ``if_forced.plan``.
    ``session``: a Session of ``inst`` to reuse when running in-process.
    """
    sol = _as_dict(solution)
    if sol.get("status") not in ("optimal", "feasible"):
        raise ValueError("marginal values need a base plan (status optimal or feasible)")
    from .model.data import ModelData

    md = ModelData(inst) if session is None else session.b.md
    jobs, meta = [], []
    for c in sol["consortia"]:
        ti = md.target_index[c["target"]]
        for k in c["contracts"]:
            ai = md.actor_index[k["actor"]]
            key = f"{c['target']}\x00{k['actor']}"
            jobs.append(Job(key, [(ti, ai)], check_target=ti,
                            conflict=_fixed_conflict(inst, c["target"], k["actor"])))
            meta.append((c, k))
    res = run_jobs(_payload(inst, sol, opts, keep_plans), jobs, workers=workers, scheduler=scheduler,
                   progress=progress, session=session, stats=stats)
    base_obj = float(sol["objective"])
    out = []
    for (c, k), r in zip(meta, res):
        out.append(_marginal_record(c, k, r, base_obj, keep_plans))
    return out


def _marginal_record(c, k, r, base_obj, keep_plans) -> dict[str, Any]:
    tid, aid = c["target"], k["actor"]
    caps = [d["capability"] for d in k["deliverables"]]
    rec: dict[str, Any] = {
        "target": tid, "actor": aid, "role": k["role"], "reward": k["reward"],
        "deliverables": caps, "status": r["status"],
        "objective_without": r["objective"], "bound_without": r["bound"], "gap_without": r["gap"],
        "marginal_value": None, "critical": False, "outcome": "unknown",
        "replacement": [], "lead_after": None, "members_after": None, "deliverers_after": {},
        "formable_without": None, "if_forced": None, "note": r.get("note", ""),
        "time_s": round(r["time_s"], 4),
    }
    if r["status"] == "infeasible":
        rec.update(critical=True, outcome="infeasible", formable_without=False)
        if not rec["note"]:
            rec["note"] = ("without it no plan satisfies the rules (a mandatory or fixed target "
                           "cannot be formed): the actor is indispensable")
    elif r["objective"] is None:
        rec["note"] = rec["note"] or f"no plan found within the limits ({r['status']})"
    else:
        rec["marginal_value"] = base_obj - r["objective"]
        after = next((x for x in r["consortia"] if x["target"] == tid), None)
        if after is None:
            rec.update(critical=True, outcome="unformed")
            f = r.get("forced")
            if f is not None:
                if f["status"] == "infeasible":
                    rec["formable_without"] = False
                    rec["note"] = f"{tid} cannot be formed at all without {aid}"
                elif f["objective"] is not None:
                    fa = next((x for x in f["consortia"] if x["target"] == tid), None)
                    rec["formable_without"] = True
                    rec["if_forced"] = {
                        "status": f["status"],
                        "objective": f["objective"],
                        "marginal_value": base_obj - f["objective"],
                        "lead": fa["lead"] if fa else None,
                        "members": fa["members"] if fa else None,
                        "replacement": sorted(set(fa["members"]) - set(c["members"])) if fa else [],
                    }
                    if keep_plans:
                        rec["if_forced"]["plan"] = f.get("plan")
                    rec["note"] = (f"{tid} could still be formed without {aid}, but forming it is "
                                   "then worth less than leaving it out")
        else:
            repl = sorted(set(after["members"]) - set(c["members"]))
            rec.update(outcome="replaced" if repl else "absorbed", replacement=repl,
                       lead_after=after["lead"], members_after=after["members"],
                       deliverers_after={cap: after["deliverers"].get(cap, []) for cap in caps})
    if keep_plans:
        rec["plan"] = r.get("plan")
    return rec


# --------------------------------------------------------------------------
# VCG (Clarke pivot) rewards
# --------------------------------------------------------------------------

VCG_RULE = (
    "Clarke pivot (VCG): each member is paid its contract reward plus its marginal value in money, "
    "i.e. how much the programme's objective falls, divided by weights.cost, when the whole plan is "
    "re-optimised with that member barred from its consortium.",
    "Because that premium depends only on what the other actors could achieve without it, no actor "
    "can raise its own payment by overstating its cost, so truthful bids are each actor's best "
    "strategy; the price is a programme cost above the plain rewards, shown against the budgets.",
)


def vcg_rewards(inst, solution, marginal: list[dict[str, Any]]) -> dict[str, Any]:
    """Clarke pivot rewards from the marginal values, and the programme cost under them."""
    sol = _as_dict(solution)
    wc = float(inst.policy.weights.cost)
    defined = wc > 0
    reason = None
    if wc == 0:
        reason = ("weights.cost is 0: the objective puts no price on money, so marginal values "
                  "cannot be turned into payments (VCG rewards undefined)")
    elif wc < 0:
        reason = "weights.cost is negative: spending raises the objective, so VCG rewards are undefined"
    mv = {(m["target"], m["actor"]): m for m in marginal}
    tsp = {t.id: t.sponsor for t in inst.targets}
    tbud = {t.id: t.budget for t in inst.targets}
    contracts = []
    for c in sol["consortia"]:
        for k in c["contracts"]:
            m = mv.get((c["target"], k["actor"]))
            row = {"target": c["target"], "actor": k["actor"], "role": k["role"], "reward": k["reward"],
                   "marginal_value": m["marginal_value"] if m else None, "premium": None,
                   "vcg_reward": None, "reason": None}
            if not defined:
                row["reason"] = "weights.cost <= 0"
            elif m is None:
                row["reason"] = "no marginal value computed"
            elif m["marginal_value"] is None:
                row["reason"] = ("indispensable: no plan exists without it, the pivot payment is "
                                 "unbounded" if m["outcome"] == "infeasible"
                                 else f"re-solve found no plan ({m['status']})")
            else:
                row["premium"] = m["marginal_value"] / wc
                row["vcg_reward"] = k["reward"] + row["premium"]
            contracts.append(row)

    def tally(rows, budget):
        spend = float(sum(r["reward"] for r in rows))
        undefined = sum(r["vcg_reward"] is None for r in rows)
        vcg = None if undefined else float(sum(r["vcg_reward"] for r in rows))
        within = None if vcg is None or budget is None else bool(vcg <= budget * (1 + 1e-6) + ABS_TOL)
        return {"spend": spend, "vcg": vcg, "budget": budget, "within_budget": within,
                "overrun": None if vcg is None or budget is None else max(0.0, vcg - budget),
                "undefined": undefined}

    sponsors = {s.id: tally([r for r in contracts if tsp[r["target"]] == s.id], s.budget)
                for s in inst.sponsors}
    if any(tsp[r["target"]] is None for r in contracts):
        sponsors["(no sponsor)"] = tally([r for r in contracts if tsp[r["target"]] is None], None)
    targets = {c["target"]: tally([r for r in contracts if r["target"] == c["target"]], tbud[c["target"]])
               for c in sol["consortia"]}
    return {
        "rule": "clarke-pivot",
        "explanation": list(VCG_RULE),
        "defined": defined,
        "reason": reason,
        "money_per_unit": (1.0 / wc) if defined else None,
        "contracts": contracts,
        "total": tally(contracts, inst.policy.total_budget),
        "sponsors": sponsors,
        "targets": targets,
    }


# --------------------------------------------------------------------------
# Stress tests
# --------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    drop: list[str]
    each: bool = False  # part of --drop-each
    spec: dict[str, Any] = field(default_factory=dict)


class ScenarioError(ValueError):
    pass


def scenario_from_spec(inst, spec: Any, where: str) -> Scenario:
    """``{"name", "drop": [ids], "drop_region": code|[codes], "drop_foreign": bool,
    "drop_type": type|[types]}``: the union of what is named is dropped."""
    if not isinstance(spec, dict):
        raise ScenarioError(f"{where}: must be an object")
    known = {"name", "drop", "drop_region", "drop_foreign", "drop_type"}
    bad = sorted(set(spec) - known)
    if bad:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(bad)} (known: {', '.join(sorted(known))})")
    ids = {a.id for a in inst.actors}
    drop: list[str] = []

    def lst(key):
        v = spec.get(key, [])
        v = [v] if isinstance(v, str) else v
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ScenarioError(f"{where}.{key}: must be a string or a list of strings")
        return v

    for i, a in enumerate(lst("drop")):
        if a not in ids:
            raise ScenarioError(f"{where}.drop[{i}]: unknown actor {a!r}")
        drop.append(a)
    regions = lst("drop_region")
    have = {a.region for a in inst.actors}
    for i, r in enumerate(regions):
        if r not in have:
            raise ScenarioError(f"{where}.drop_region[{i}]: no actor in region {r!r}")
    types = lst("drop_type")
    for i, t in enumerate(types):
        if t not in ("enterprise", "sme", "institute", "university", "lab"):
            raise ScenarioError(f"{where}.drop_type[{i}]: unknown actor type {t!r}")
    foreign = spec.get("drop_foreign", False)
    if not isinstance(foreign, bool):
        raise ScenarioError(f"{where}.drop_foreign: must be true or false")
    for a in inst.actors:
        if a.region in regions or a.type in types or (foreign and a.ownership == "foreign"):
            drop.append(a.id)
    drop = list(dict.fromkeys(drop))
    if not drop and not (foreign or regions or types):
        raise ScenarioError(f"{where}: drops nothing (give drop, drop_region, drop_foreign or drop_type)")
    name = spec.get("name")
    if name is not None and not isinstance(name, str):
        raise ScenarioError(f"{where}.name: must be a string")
    if name is None:
        parts = []
        if spec.get("drop"):
            parts.append("drop " + ",".join(lst("drop")))
        if regions:
            parts.append("region " + ",".join(regions))
        if types:
            parts.append("type " + ",".join(types))
        if foreign:
            parts.append("foreign")
        name = "; ".join(parts)
    return Scenario(name, drop, spec=spec)


def scenarios_from_file(inst, path: str | Path) -> list[Scenario]:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        raise ScenarioError(f"{p}: cannot read ({e.strerror})") from None
    except json.JSONDecodeError as e:
        raise ScenarioError(f"{p}: not valid JSON ({e.msg} at line {e.lineno})") from None
    if isinstance(data, dict) and "scenarios" in data:
        data = data["scenarios"]
    if not isinstance(data, list):
        raise ScenarioError(f"{p}: must be a JSON list of scenarios")
    return [scenario_from_spec(inst, s, f"{p.name}[{i}]") for i, s in enumerate(data)]


def drop_each_scenarios(solution) -> list[Scenario]:
    sol = _as_dict(solution)
    actors = list(dict.fromkeys(a for c in sol.get("consortia", []) for a in c["members"]))
    return [Scenario(f"without {a}", [a], each=True) for a in actors]


def stress_test(
    inst,
    solution,
    scenarios: list[Scenario],
    opts=None,
    workers: int = 2,
    *,
    scheduler: Any = None,
    progress: Callable[[int], None] | None = None,
    keep_plans: bool = False,
    session=None,
    stats: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Re-plan after the actors of each scenario disappear (all their columns barred)."""
    sol = _as_dict(solution)
    if sol.get("status") not in ("optimal", "feasible"):
        raise ValueError("stress tests need a base plan (status optimal or feasible)")
    from .model.data import ModelData

    md = ModelData(inst) if session is None else session.b.md
    in_plan = {a for c in sol["consortia"] for a in c["members"]}
    jobs = []
    keys = []
    for i, s in enumerate(scenarios):
        key = f"{i}\x00{s.name}"
        keys.append(key)
        if not in_plan.intersection(s.drop):
            continue  # the plan stands: removing unused actors cannot improve or break it
        conflict = next((m for m in (_fixed_conflict(inst, None, a) for a in s.drop) if m), None)
        jobs.append(Job(key, [(-1, md.actor_index[a]) for a in s.drop], conflict=conflict))
    res = run_jobs(_payload(inst, sol, opts, keep_plans), jobs, workers=workers, scheduler=scheduler,
                   progress=progress, session=session, stats=stats)
    by_key = {r["key"]: r for r in res}
    out = []
    for key, s in zip(keys, scenarios):
        out.append(_stress_record(inst, md, sol, s, by_key.get(key), keep_plans))
    return out


def _stress_record(inst, md, sol, s: Scenario, r, keep_plans) -> dict[str, Any]:
    before = {c["target"]: c for c in sol["consortia"]}
    tval = {t.id: t.value for t in inst.targets}
    kp = {"value": float(sum(tval[c["target"]] for c in sol["consortia"])),
          "spend": float(sum(c["spend"] for c in sol["consortia"]))}
    in_plan = [a for a in dict.fromkeys(a for c in sol["consortia"] for a in c["members"]) if a in set(s.drop)]
    rec: dict[str, Any] = {
        "name": s.name, "kind": "each" if s.each else "scenario", "drop": list(s.drop), "dropped_in_plan": in_plan, "solved": r is not None,
        "status": sol["status"], "objective_before": sol["objective"], "objective_after": sol["objective"],
        "objective_change": 0.0, "value_before": kp.get("value"), "value_after": kp.get("value"),
        "value_change": 0.0, "spend_before": kp.get("spend"), "spend_after": kp.get("spend"),
        "spend_change": 0.0, "lost_targets": [], "new_targets": [], "changed": [], "uncovered": [],
        "note": "" if r is not None else "no dropped actor is in the plan: the plan stands",
        "time_s": round(r["time_s"], 4) if r else 0.0,
    }
    if r is None:
        return rec
    rec["status"] = r["status"]
    rec["note"] = r.get("note", "")
    if r["objective"] is None:
        rec.update(objective_after=None, objective_change=None, value_after=None, value_change=None,
                   spend_after=None, spend_change=None)
        if r["status"] == "infeasible":
            rec["lost_targets"] = list(before)
            rec["note"] = rec["note"] or ("no plan satisfies the rules without these actors (a mandatory "
                                          "or fixed target cannot be formed)")
        else:
            rec["note"] = rec["note"] or f"no plan found within the limits ({r['status']})"
            return rec
    else:
        rec["objective_after"] = r["objective"]
        rec["objective_change"] = r["objective"] - sol["objective"]
        rec["value_after"] = r["value"]
        rec["value_change"] = r["value"] - kp["value"]
        rec["spend_after"] = r["spend"]
        rec["spend_change"] = r["spend"] - kp["spend"]
        after = {c["target"]: c for c in r["consortia"]}
        rec["lost_targets"] = [t for t in before if t not in after]
        rec["new_targets"] = [t for t in after if t not in before]
        for t, b in before.items():
            a = after.get(t)
            if a is None:
                continue
            if a["lead"] != b["lead"] or set(a["members"]) != set(b["members"]) or a["site"] != b["site"]:
                rec["changed"].append({
                    "target": t, "lead_before": b["lead"], "lead_after": a["lead"],
                    "site_before": b["site"], "site_after": a["site"],
                    "members_before": b["members"], "members_after": a["members"],
                    "joined": sorted(set(a["members"]) - set(b["members"])),
                    "left": sorted(set(b["members"]) - set(a["members"])),
                })
        if keep_plans:
            rec["plan"] = r.get("plan")
    rec["uncovered"] = uncovered_capabilities(inst, md, rec["lost_targets"], set(s.drop))
    return rec


def uncovered_capabilities(inst, md, targets: list[str], dropped: set[str]) -> list[dict[str, Any]]:
    """Requirements of these targets with fewer remaining eligible domestic holders than
    their redundancy: not dropped or forbidden, able to join, level high enough, domestic,
    and within reach of at least one candidate site of the target."""
    from .model.data import within_limit

    n = md.n_actors
    alive = ~md.forbidden_actor & (md.max_consortia > 0) & ~md.is_foreign
    for a in dropped:
        alive[md.actor_index[a]] = False
    choke = {c.id: c.chokepoint for c in inst.capabilities}
    out = []
    for tid in targets:
        ti = md.target_index[tid]
        t = inst.targets[ti]
        ok = alive.copy()
        for a in md.forbidden_pairs.get(ti, []):
            ok[a] = False
        if t.max_distance_km is not None:
            sites = [md.site_index[s] for s in t.sites]
            ok &= within_limit(md.dist[:, sites], t.max_distance_km).any(axis=1) if n else ok
        for req in t.requirements:
            k = md.cap_index[req.capability]
            have = int((ok & (md.levels[:, k] >= req.level)).sum()) if n else 0
            if have < req.redundancy:
                out.append({"target": tid, "capability": req.capability, "level": req.level,
                            "redundancy": req.redundancy, "holders_left": have,
                            "chokepoint": bool(choke.get(req.capability, False))})
    return out


def early_warning(records: list[dict[str, Any]], solution) -> list[dict[str, Any]]:
    """Rank the single-actor (``--drop-each``) scenarios by objective lost, worst first."""
    sol = _as_dict(solution)
    where: dict[str, list[str]] = {}
    for c in sol.get("consortia", []):
        for a in c["members"]:
            where.setdefault(a, []).append(c["target"])
    rows = []
    for r in records:
        if len(r["drop"]) != 1:
            continue
        a = r["drop"][0]
        lost = None if r["objective_after"] is None else sol["objective"] - r["objective_after"]
        rows.append({"actor": a, "objective_lost": lost, "status": r["status"],
                     "lost_targets": r["lost_targets"],
                     "uncovered": sorted({u["capability"] for u in r["uncovered"]}),
                     "targets": where.get(a, [])})
    known = {"infeasible"}
    rows.sort(key=lambda x: (0 if x["objective_lost"] is None and x["status"] in known else
                             1 if x["objective_lost"] is not None else 2,
                             -(x["objective_lost"] or 0.0), x["actor"]))
    for i, x in enumerate(rows, 1):
        x["rank"] = i
    return [{"rank": x.pop("rank"), **x} for x in rows]


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def _join(x) -> str:
    return ";".join(x) if x else ""


def marginal_table(records: list[dict[str, Any]], vcg: dict[str, Any] | None = None):
    import pandas as pd

    v = {(c["target"], c["actor"]): c for c in (vcg or {}).get("contracts", [])}
    rows = []
    for m in records:
        c = v.get((m["target"], m["actor"]), {})
        rows.append({
            "target": m["target"], "actor": m["actor"], "role": m["role"], "reward": m["reward"],
            "marginal_value": m["marginal_value"], "vcg_reward": c.get("vcg_reward"),
            "critical": m["critical"], "outcome": m["outcome"], "replacement": _join(m["replacement"]),
            "lead_after": m["lead_after"], "status": m["status"],
            "objective_without": m["objective_without"], "note": m["note"],
        })
    return pd.DataFrame(rows, columns=["target", "actor", "role", "reward", "marginal_value", "vcg_reward",
                                       "critical", "outcome", "replacement", "lead_after", "status",
                                       "objective_without", "note"])


def stress_table(records: list[dict[str, Any]], ranking: list[dict[str, Any]] | None = None):
    import pandas as pd

    rank = {r["actor"]: r["rank"] for r in ranking or []}
    rows = []
    for r in records:
        rows.append({
            "scenario": r["name"], "drop": _join(r["drop"]), "dropped_in_plan": _join(r["dropped_in_plan"]),
            "rank": rank.get(r["drop"][0]) if len(r["drop"]) == 1 and r["drop"][0] in rank else None,
            "status": r["status"], "objective_before": r["objective_before"],
            "objective_after": r["objective_after"], "objective_change": r["objective_change"],
            "value_change": r["value_change"], "spend_change": r["spend_change"],
            "lost_targets": _join(r["lost_targets"]), "new_targets": _join(r["new_targets"]),
            "changed_targets": _join([c["target"] for c in r["changed"]]),
            "lead_changes": _join([f"{c['target']}:{c['lead_before']}->{c['lead_after']}"
                                   for c in r["changed"] if c["lead_before"] != c["lead_after"]]),
            "uncovered": _join(sorted({u["capability"] for u in r["uncovered"]})),
            "note": r["note"],
        })
    df = pd.DataFrame(rows, columns=["scenario", "drop", "dropped_in_plan", "rank", "status",
                                     "objective_before", "objective_after", "objective_change",
                                     "value_change", "spend_change", "lost_targets", "new_targets",
                                     "changed_targets", "lead_changes", "uncovered", "note"])
    df["rank"] = df["rank"].astype("Int64")
    return df


TABLE_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def write_table(df, path: str | Path) -> None:
    """CSV or Parquet by extension, written atomically."""
    p = Path(path)
    kind = TABLE_SUFFIXES.get(p.suffix.lower())
    if kind is None:
        raise ValueError(f"--table: {p}: unknown extension (use .csv or .parquet)")
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if kind == "csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------
# Terminal reports
# --------------------------------------------------------------------------


def _n(x, spec: str = ",.4f") -> str:
    if x is None:
        return "-"
    return format(x, spec)


def print_marginal(inst, sol: dict[str, Any], records, vcg, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    con = console or Console()
    cur = inst.currency or "money units"
    con.print(f"[bold]{sol['instance']}[/bold]: {sol['status']}, objective {sol['objective']:,.4f}; "
              f"marginal value of each of its {len(records)} memberships")
    v = {(c["target"], c["actor"]): c for c in vcg["contracts"]}
    by_t: dict[str, list] = {}
    for m in records:
        by_t.setdefault(m["target"], []).append(m)
    for tid, rows in by_t.items():
        c = next(x for x in sol["consortia"] if x["target"] == tid)
        tab = Table(title=f"{tid}; lead {c['lead']}; spend {c['spend']:,.2f} {cur}", title_justify="left")
        for col, j in (("actor", "left"), ("role", "left"), ("reward", "right"), ("marginal value", "right"),
                       ("VCG reward", "right"), ("critical", "left"), ("without it", "left")):
            tab.add_column(col, justify=j, no_wrap=col in ("actor", "role", "critical"))
        for m in rows:
            vc = v.get((tid, m["actor"]), {})
            crit = "[red]yes[/red]" if m["critical"] else "no"
            if m["outcome"] == "replaced":
                what = "replaced by " + ", ".join(m["replacement"])
                if m["lead_after"] and m["lead_after"] != c["lead"]:
                    what += f" (lead {m['lead_after']})"
            elif m["outcome"] == "absorbed":
                what = "others cover it" + (f" (lead {m['lead_after']})"
                                            if m["lead_after"] and m["lead_after"] != c["lead"] else "")
            elif m["outcome"] == "unformed":
                what = f"{tid} not formed"
                if m["formable_without"] is False:
                    what += ": no replacement exists"
                elif m["if_forced"]:
                    f = m["if_forced"]
                    what += f" (forced: +{', '.join(f['replacement']) or 'no new member'}, " \
                            f"loses {_n(f['marginal_value'], ',.2f')})"
            elif m["outcome"] == "infeasible":
                what = ("no plan: breaks a fixed decision" if "(fixed." in m["note"]
                        else "no plan: a target that must be formed cannot be")
            else:
                what = m["note"]
            mvs = "∞" if m["outcome"] == "infeasible" else _n(m["marginal_value"])
            tab.add_row(m["actor"], m["role"], _n(m["reward"], ",.2f"), mvs,
                        _n(vc.get("vcg_reward"), ",.2f") if vc.get("vcg_reward") is not None
                        else ("-" if not vcg["defined"] else "∞" if m["outcome"] == "infeasible" else "-"),
                        crit, what)
        con.print(tab)
    tab = Table(title="Programme cost: contract rewards vs Clarke pivot (VCG) rewards", title_justify="left")
    for col in ("", "rewards", "VCG", "budget", "within budget"):
        tab.add_column(col, justify="left" if not col else "right")

    def row(label, t):
        vcgs = _n(t["vcg"], ",.2f") if t["vcg"] is not None else (
            f"undefined ({t['undefined']} unbounded)" if t["undefined"] else "-")
        ok = "-" if t["within_budget"] is None else ("yes" if t["within_budget"] else
                                                       f"[red]no (+{t['overrun']:,.2f})[/red]")
        tab.add_row(label, _n(t["spend"], ",.2f"), vcgs, _n(t["budget"], ",.2f"), ok)

    row("total", vcg["total"])
    for sid, t in vcg["sponsors"].items():
        row(f"sponsor {sid}", t)
    con.print(tab)
    if not vcg["defined"]:
        con.print(f"[yellow]{vcg['reason']}[/yellow]")
    _caveat(con, [m["status"] for m in records if m["status"] != "infeasible" or m["time_s"]])
    for s in VCG_RULE:
        con.print(f"[dim]{s}[/dim]")


def _caveat(con, statuses) -> None:
    n = sum(s not in ("optimal", "infeasible") for s in statuses)
    if n:
        con.print(f"[yellow]{n} re-solve(s) stopped at the time limit or gap without a proof "
                  "(status feasible / no_solution): their objectives are lower bounds, so the losses "
                  "shown are upper bounds.[/yellow]")


def print_stress(inst, sol: dict[str, Any], records, ranking, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    con = console or Console()
    con.print(f"[bold]{sol['instance']}[/bold]: {sol['status']}, objective {sol['objective']:,.4f}; "
              f"{len(records)} stress scenario(s)")
    listed = [r for r in records if r.get("kind") != "each"]
    for r in listed:
        head = (f"[bold]{r['name']}[/bold]: drops {len(r['drop'])} actor(s), "
                f"{len(r['dropped_in_plan'])} in the plan; {r['status']}")
        if r["objective_after"] is not None:
            head += (f"; objective {r['objective_before']:,.4f} -> {r['objective_after']:,.4f} "
                     f"({r['objective_change']:+,.4f}); value {r['value_change']:+,.2f}; "
                     f"spend {r['spend_change']:+,.2f}")
        con.print(head)
        if r["note"]:
            con.print(f"  [dim]{r['note']}[/dim]")
        if r["lost_targets"]:
            con.print(f"  [red]lost targets[/red]: {', '.join(r['lost_targets'])}")
        if r["new_targets"]:
            con.print(f"  new targets: {', '.join(r['new_targets'])}")
        if r["changed"]:
            tab = Table(title="  changed consortia", title_justify="left")
            for col in ("target", "lead before", "lead after", "left", "joined"):
                tab.add_column(col)
            for c in r["changed"]:
                tab.add_row(c["target"], c["lead_before"], c["lead_after"] if c["lead_after"] != c["lead_before"]
                            else "(same)", ", ".join(c["left"]) or "-", ", ".join(c["joined"]) or "-")
            con.print(tab)
        if r["uncovered"]:
            tab = Table(title="  uncovered capabilities (no domestic backup left)", title_justify="left")
            for col in ("target", "capability", "level", "needed", "holders left", "chokepoint"):
                tab.add_column(col)
            for u in r["uncovered"]:
                tab.add_row(u["target"], u["capability"], str(u["level"]), str(u["redundancy"]),
                            str(u["holders_left"]), "[red]yes[/red]" if u["chokepoint"] else "no")
            con.print(tab)
    if ranking:
        tab = Table(title="Early warning: actors of the plan ranked by the objective lost without them",
                    title_justify="left")
        for col, j in (("#", "right"), ("actor", "left"), ("in", "left"), ("objective lost", "right"),
                       ("lost targets", "left"), ("uncovered", "left")):
            tab.add_column(col, justify=j)
        for x in ranking:
            lost = ("[red]no plan[/red]" if x["status"] == "infeasible" else "-") \
                if x["objective_lost"] is None else _n(x["objective_lost"])
            tab.add_row(str(x["rank"]), x["actor"], ", ".join(x["targets"]), lost,
                        ", ".join(x["lost_targets"]) or "-", ", ".join(x["uncovered"]) or "-")
        con.print(tab)
    _caveat(con, [r["status"] for r in records if r["solved"]])


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def _common(f):
    opts = [
        click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the JSON here."),
        click.option("--json", "as_json", is_flag=True, help="Print the JSON to stdout."),
        click.option("--table", "table", type=click.Path(dir_okay=False),
                     help="Write a table: .csv, or .parquet (via pandas/pyarrow)."),
        click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
                     help="Local worker processes (1 = in this process)."),
        click.option("--scheduler", help="dask.distributed scheduler address: run the re-solves there."),
        click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
                     help="Seconds per solve (base and each re-solve)."),
        click.option("--gap", type=click.FloatRange(min=0), help="Relative MIP gap per solve (0 = exact)."),
        click.option("--profile", default="default", show_default=True, help="Solver profile name or .toml."),
        click.option("--solution", "solution_path", type=click.Path(dir_okay=False),
                     help="Analyse this plan (a solution file of INSTANCE, verified first) instead of solving."),
        click.option("--plans", is_flag=True, help="Include every re-solved plan in the JSON."),
        click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _prepare(instance, table, time_limit, gap, profile):
    from . import profiles
    from .backends.base import SolverOptions
    from .cli import fail, load_instance

    if table and Path(table).suffix.lower() not in TABLE_SUFFIXES:
        fail(f"--table: {table}: unknown extension (use .csv or .parquet)")
    inst = load_instance(instance)
    try:
        st = profiles.settings(profile, time_limit, gap)
    except profiles.ProfileError as e:
        fail(str(e))
    opts = SolverOptions(**(st | {"threads": 1}))
    return inst, opts


def _base_solve(instance, inst, opts, con, solution_path=None):
    """Solve (or read) and verify the base plan; exit 1 without one."""
    from .cli import EXIT_NO_PLAN, fail
    from .verify import verify_solution

    raw = json.loads(Path(instance).read_text(encoding="utf-8"))
    if solution_path:
        from .instance import InstanceError, parse, read_text

        try:
            data = parse(read_text(solution_path), solution_path)
        except InstanceError as e:
            fail(e.errors[0])
        if not isinstance(data, dict):
            fail(f"{solution_path}: (top level): must be a JSON object")
        check = verify_solution(raw, data)
        if data.get("status") not in ("optimal", "feasible"):
            click.echo(f"{solution_path}: status {data.get('status')!r}: no base plan to analyse", err=True)
            sys.exit(EXIT_NO_PLAN)
        if not check.ok:
            v = check.violations[0]
            fail(f"{solution_path}: not a valid plan of {instance}: rule {v.rule}: {v.message}"
                 + (f" (and {len(check.violations) - 1} more)" if len(check.violations) > 1 else ""))
        return data
    from .solve import solve

    with con.status("solving the base plan...") if con is not None else _Null():
        sol = solve(inst, analysis_options(opts), reasons=True)
    _drain_abandoned()
    data = sol.to_dict()
    if not sol.status.has_plan:
        for d in sol.diagnosis or [f"no plan: {sol.status.value}"]:
            click.echo(d, err=True)
        click.echo("no base plan to analyse", err=True)
        sys.exit(EXIT_NO_PLAN)
    check = verify_solution(raw, data)
    if not check.ok:
        for v in check.violations:
            click.echo(f"internal error: plan fails rule {v.rule}: {v.message}", err=True)
        sys.exit(3)
    return data


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def _run_with_bar(show: bool, label: str, total: int, fn):
    if not show or total == 0:
        return fn(None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
        TimeRemainingColumn

    with Progress(TextColumn("[cyan]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True),
                  transient=True) as bar:
        task = bar.add_task(label, total=total)
        return fn(lambda n: bar.advance(task, n))


def _finish(data, output, as_json, table_df, table, report, kind):
    from .cli import dumps, fail, write_atomic

    if output:
        write_atomic(output, dumps(data))
    if table:
        try:
            write_table(table_df, table)
        except (ImportError, ValueError) as e:
            fail(f"--table: {e}")
    if as_json:
        click.echo(dumps(data), nl=False)
    elif not output or sys.stdout.isatty():
        report()
    if output and not as_json:
        click.echo(f"wrote {output}: {kind}", err=True)
    if table and not as_json:
        click.echo(f"wrote {table}", err=True)


def _analysis_meta(kind, workers, scheduler, stats, t0, opts, base, results_status):
    exact = (base["status"] == "optimal" and (base.get("gap") or 0.0) <= 1e-9 and opts.gap == 0
             and all(s in ("optimal", "infeasible") for s in results_status))
    return {
        "kind": kind,
        "workers": workers if scheduler is None else None,
        "scheduler": scheduler,
        "mode": stats.get("mode"),
        "solves": stats.get("solves", 0),
        "sessions_built": stats.get("sessions_built"),
        "time_s": round(time.perf_counter() - t0, 3),
        "solver_options": {"time_limit": opts.time_limit, "gap": opts.gap, "threads": opts.threads},
        "exact": exact,
    }


@click.command("analyse")
@click.argument("instance", type=click.Path(dir_okay=False))
@_common
def analyse_command(instance, output, as_json, table, workers, scheduler, time_limit, gap, profile,
                    solution_path, plans, progress):
    """Marginal value of every member of the optimal plan, and VCG rewards.

    Each member is barred from its consortium and the whole plan re-optimised:
    its marginal value is the objective lost; it is critical when its
    consortium is then not formed (or no plan exists); a replacement is named
    when another actor takes its place. The Clarke pivot (VCG) reward pays each
    member its reward plus its marginal value in money; the programme cost
    under that rule is set against the budgets.
    """
    from rich.console import Console

    t0 = time.perf_counter()
    inst, opts = _prepare(instance, table, time_limit, gap, profile)
    show = progress if progress is not None else (sys.stderr.isatty() and not as_json)
    data = _base_solve(instance, inst, opts, Console(stderr=True) if show else None, solution_path)
    n = sum(len(c["contracts"]) for c in data["consortia"])
    stats: dict[str, Any] = {}
    try:
        recs = _run_with_bar(show, "marginal values", n, lambda cb: marginal_values(
            inst, data, opts, workers, scheduler=scheduler, progress=cb, keep_plans=plans,
            stats=stats))
    except OSError as e:
        from .cli import fail

        fail(f"--scheduler {scheduler}: cannot connect ({e})")
    vcg = vcg_rewards(inst, data, recs)
    out = dict(data)
    by = {(c["target"], c["actor"]): c["vcg_reward"] for c in vcg["contracts"]}
    out["consortia"] = [
        {**c, "contracts": [{**k, "vcg_reward": by.get((c["target"], k["actor"]))} for k in c["contracts"]]}
        for c in data["consortia"]
    ]
    out["analysis"] = _analysis_meta("marginal", workers, scheduler, stats, t0, opts, data,
                                     [r["status"] for r in recs])
    out["marginal"] = recs
    out["vcg"] = vcg
    _finish(out, output, as_json, marginal_table(recs, vcg) if table else None, table,
            lambda: print_marginal(inst, data, recs, vcg), "marginal values")


@click.command("stress")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option("--drop-actor", "drop_actor", multiple=True, metavar="ID",
              help="Drop this actor (repeatable: one scenario dropping them all).")
@click.option("--drop-foreign", is_flag=True, help="Scenario: every foreign actor disappears.")
@click.option("--drop-region", "drop_region", multiple=True, metavar="CODE",
              help="Drop every actor of this region (repeatable: one scenario dropping them all).")
@click.option("--drop-each", is_flag=True,
              help="One scenario per actor of the plan; rank them (early-warning list).")
@click.option("--scenarios", "scenarios_file", type=click.Path(dir_okay=False),
              help='JSON list of {"name": ..., "drop": [ids]} / {"drop_region": "JS"} / '
                   '{"drop_foreign": true} / {"drop_type": "sme"}.')
@_common
def stress_command(instance, drop_actor, drop_foreign, drop_region, drop_each, scenarios_file, output, as_json,
                   table, workers, scheduler, time_limit, gap, profile, solution_path, plans, progress):
    """Re-plan after actors disappear: lost targets, changed consortia, chokepoints.

    Per scenario: which targets are lost, which consortia change lead or
    members, the change in value, spend and objective, and the capabilities of
    lost targets left without an eligible domestic holder. --drop-each ranks
    every actor of the plan by the objective lost without it.
    """
    from rich.console import Console

    from .cli import fail

    t0 = time.perf_counter()
    if not (drop_actor or drop_foreign or drop_region or drop_each or scenarios_file):
        fail("stress: give at least one of --drop-actor, --drop-foreign, --drop-region, --drop-each, --scenarios")
    inst, opts = _prepare(instance, table, time_limit, gap, profile)
    scen: list[Scenario] = []
    try:
        if drop_actor:
            scen.append(scenario_from_spec(inst, {"drop": list(drop_actor)}, "--drop-actor"))
        if drop_region:
            scen.append(scenario_from_spec(inst, {"drop_region": list(drop_region)}, "--drop-region"))
        if drop_foreign:
            if not any(a.ownership == "foreign" for a in inst.actors):
                raise ScenarioError("--drop-foreign: the instance has no foreign actor")
            scen.append(scenario_from_spec(inst, {"name": "foreign actors withdraw", "drop_foreign": True},
                                           "--drop-foreign"))
        if scenarios_file:
            scen.extend(scenarios_from_file(inst, scenarios_file))
    except ScenarioError as e:
        fail(str(e))
    show = progress if progress is not None else (sys.stderr.isatty() and not as_json)
    data = _base_solve(instance, inst, opts, Console(stderr=True) if show else None, solution_path)
    if drop_each:
        scen.extend(drop_each_scenarios(data))
    in_plan = {a for c in data["consortia"] for a in c["members"]}
    n = sum(bool(in_plan.intersection(s.drop)) for s in scen)
    stats: dict[str, Any] = {}
    try:
        recs = _run_with_bar(show, "stress scenarios", n, lambda cb: stress_test(
            inst, data, scen, opts, workers, scheduler=scheduler, progress=cb, keep_plans=plans,
            stats=stats))
    except OSError as e:
        fail(f"--scheduler {scheduler}: cannot connect ({e})")
    ranking = early_warning([r for r, s in zip(recs, scen) if s.each], data) if drop_each else None
    out = dict(data)
    out["analysis"] = _analysis_meta("stress", workers, scheduler, stats, t0, opts, data,
                                     [r["status"] for r in recs if r["solved"]])
    out["stress"] = recs
    if ranking is not None:
        out["early_warning"] = ranking
    _finish(out, output, as_json, stress_table(recs, ranking) if table else None, table,
            lambda: print_stress(inst, data, recs, ranking), f"{len(recs)} stress scenario(s)")
