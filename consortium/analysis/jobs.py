"""Re-solves of one plan with actors barred, and running many of them.

A :class:`Job` bars (target, actor) pairs; a :class:`ReSolver` holds one
:class:`~consortium.solving.session.Session` (the model loaded once in HiGHS)
and the base plan to start each re-solve from. :func:`run_jobs` runs jobs in
this process, in local worker processes or on a dask cluster through the one
runner of ``consortium.solving.runner``; every worker builds its ReSolver once
(cached by a hash of the instance, the options and the base plan).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..backends.base import SolverOptions
from ..io.instance import Instance
from ..result.plan import Choice, choices_from_plan, start_vector
from ..result.solution import Solution
from ..solving.runner import CACHE, RunStats, chunk_evenly, run_tasks
from ..solving.session import Session, wait_for_abandoned
from ..solving.solve import solution_from_raw


@dataclass
class Job:
    """One re-solve: these (target index, actor index) pairs barred (t = -1: all)."""

    key: str
    pairs: list[tuple[int, int]]
    check_target: int | None = None  # if unformed after, can it be formed at all?
    conflict: str | None = None  # barring breaks a fixed decision: infeasible, no solve


@dataclass
class Payload:
    """What every worker needs: the instance, the options, the base plan."""

    inst: Instance
    opts: SolverOptions
    base: list[dict[str, Any]]  # base consortia (target, site, lead, members)
    keep_plans: bool = False
    _key: str | None = field(default=None, repr=False)

    def key(self) -> str:
        if self._key is None:
            h = hashlib.sha256()
            h.update(self.inst.model_dump_json().encode())
            o = self.opts
            h.update(repr((o.time_limit, o.gap, o.threads, sorted(o.highs.items()))).encode())
            h.update(json.dumps(self.base, sort_keys=True).encode())
            h.update(b"1" if self.keep_plans else b"0")
            self._key = h.hexdigest()
        return self._key


def analysis_options(opts: SolverOptions | None = None) -> SolverOptions:
    """Options for re-solves: as given, but one HiGHS thread, no callbacks, no deadline.

    A time limit is per solve and is handed to HiGHS itself (its ``time_limit``
    option) rather than to the guard in ``backends.runs``: a guarded run that
    overruns is abandoned while still running, and highspy's "solver running"
    lock is shared by every Highs object of a process, so one abandoned run
    would stop all later re-solves of the worker.
    """
    o = opts or SolverOptions()
    h = dict(o.highs)
    if o.time_limit is not None:
        h["time_limit"] = float(o.time_limit)
    return replace(o, time_limit=None, threads=1, on_progress=None, on_phase=None, log=False,
                   highs=h,
                   deadline=None)


def payload(inst: Instance, sol: Solution, opts: SolverOptions | None, keep_plans: bool) -> Payload:
    base = [{"target": c.target, "site": c.site, "lead": c.lead, "members": list(c.members)}
            for c in sol.consortia]
    return Payload(inst, analysis_options(opts), base, keep_plans)


def summary(sol: Solution) -> dict[str, Any]:
    """A re-solved plan in brief (what the records compare with the base plan)."""
    cons = [{"target": c.target, "site": c.site, "lead": c.lead, "members": list(c.members),
             "spend": c.spend, "deliverers": c.deliverers()} for c in sol.consortia]
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


class ReSolver:
    """A session built once, and the base plan to start re-solves from."""

    def __init__(self, payload: Payload, session: Session | None = None):
        self.p = payload
        self.sess = session if session is not None else Session(payload.inst, payload.opts)
        self.choices = choices_from_plan(self.sess.b.md, payload.base)
        self.rebuilt = 0

    def _start_for(self, pairs: list[tuple[int, int]], targets: set[int], force: int | None = None
                   ) -> np.ndarray | None:
        """A feasible plan to start the re-solve from, or None.

        The base plan minus the affected consortia (always feasible unless one
        of them must be formed); otherwise (or when target ``force`` is held
        formed) the base plan with the barred actors taken out of those
        consortia, if that still satisfies every row.
        """
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
            out.append(Choice(ch.target, ch.site, ch.lead, [a for a in ch.members
                                                            if a not in gone], ch.start))
        x = start_vector(b.md, b.V, b.lm.n_cols, out)
        if force is not None and x[b.V.y[force]] < 0.5:
            return None
        return x if b.lm.is_feasible(x) else None

    def _affected(self, pairs: list[tuple[int, int]]) -> set[int]:
        out = set()
        for t, a in pairs:
            for ch in self.choices:
                if (t < 0 or ch.target == t) and a in ch.members:
                    out.add(ch.target)
        return out

    def _solve(self, pairs: list[tuple[int, int]], force: int | None = None) -> Solution:
        sess = self.sess
        cols = sess.barred_columns(pairs)
        affected = self._affected(pairs)
        if force is not None:
            affected.add(force)
        sess.last_x = self._start_for(pairs, affected, force)
        t0 = time.perf_counter()
        wait_for_abandoned()
        raw = sess.solve_barred(cols, formed=force, affected=affected)
        sol = solution_from_raw(sess.b, raw, time.perf_counter() - t0)
        if sess.busy:
            # HiGHS did not stop and still runs in its thread (backends.runs; only
            # on an interrupt with the options above): wait for it, and build the
            # session anew, as its model was changed under the running solver.
            wait_for_abandoned()
            self.sess = Session(self.p.inst, self.p.opts)
            self.rebuilt += 1
        return sol

    def run(self, job: Job) -> dict[str, Any]:
        t0 = time.perf_counter()
        if job.conflict is not None:
            return {"key": job.key, "status": "infeasible", "objective": None, "bound": None,
                    "gap": None, "consortia": [], "value": None, "spend": None,
                    "time_s": 0.0, "note": job.conflict, "forced": None, "plan": None, "solves": 0}
        sol = self._solve(job.pairs)
        out = summary(sol)
        out["key"] = job.key
        out["note"] = ""
        out["forced"] = None
        out["solves"] = 1
        out["plan"] = sol.to_dict() if self.p.keep_plans and sol.status.has_plan else None
        ti = job.check_target
        formed = {self.sess.b.md.target_index[c.target] for c in sol.consortia}
        if ti is not None and sol.status.has_plan and ti not in formed:
            forced = self._solve(job.pairs, force=ti)
            out["forced"] = summary(forced)
            out["solves"] = 2
            if self.p.keep_plans and forced.status.has_plan:
                out["forced"]["plan"] = forced.to_dict()
        out["time_s"] = time.perf_counter() - t0
        return out


class AnalysisTask:
    """The runner's task: a job on this worker's ReSolver (built once, cached)."""

    def __init__(self, payload: Payload, local: ReSolver | None = None):
        self.payload = payload
        self.local = local  # in this process only: never sent to a worker

    def __getstate__(self) -> dict[str, Any]:
        return {"payload": self.payload, "local": None}

    def resolver(self) -> ReSolver:
        if self.local is not None:
            return self.local
        return CACHE.get(("analysis", self.payload.key()), lambda: ReSolver(self.payload))

    def start_chunk(self) -> None:
        pass

    def run(self, item: Job, worker: str) -> dict[str, Any]:
        return self.resolver().run(item)


def run_jobs(
    payload: Payload,
    jobs: list[Job],
    *,
    workers: int = 2,
    scheduler: Any = None,
    progress: Callable[[int], None] | None = None,
    session: Session | None = None,
    stats: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Run the jobs; results in job order. ``progress(n)`` is called as n jobs finish."""
    stats = stats if stats is not None else {}
    done = progress or (lambda n: None)
    by_key: dict[str, dict[str, Any]] = {}

    def on_result(job: Job, res: dict[str, Any]) -> None:
        by_key[job.key] = res
        done(1)

    rs = RunStats()
    if scheduler is not None:
        run_tasks(AnalysisTask(payload), chunk_evenly(jobs, 8), on_result, scheduler=scheduler,
                  stats=rs)
        stats.update(mode="dask", sessions_built=rs.built, processes=len(rs.processes))
    elif workers <= 0 or len(jobs) <= 1:
        run_tasks(AnalysisTask(payload, ReSolver(payload, session)), [jobs], on_result, workers=0,
                  stats=rs)
        stats.update(mode="in-process", sessions_built=0 if session is not None else 1, processes=1)
    else:
        n = min(workers, len(jobs))
        run_tasks(AnalysisTask(payload), chunk_evenly(jobs, n), on_result, workers=n, stats=rs)
        stats.update(mode="processes", sessions_built=rs.built, processes=len(rs.processes))
    stats["solves"] = sum(r.get("solves", 0) for r in by_key.values())
    return [by_key[j.key] for j in jobs]
