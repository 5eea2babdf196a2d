"""One sweep scenario solved in a worker: the variant built and validated, solved
on this worker's session (the model kept loaded in HiGHS, warm-started along
a chunk), verified, and turned into a results row and a plan.

The session lives in the worker's cache (``consortium.solving.runner.CACHE``)
keyed by the instance's sha256 and the solver options.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from ..backends.base import SolverOptions, Status
from ..io.instance import Instance, from_dict
from ..model.linear import LinearModel
from ..result.solution import Solution
from ..solving.runner import CACHE, WorkerBlocked, call_worker_hook, worker_mode
from ..solving.session import Proven, Session, wait_for_abandoned
from ..solving.solve import initial_plan
from ..solving.verified import PlanFailsVerifier, resolve_reach_verified, resolve_verified
from .grid import looseness, reaches
from .paths import apply_overrides

# How long a scenario waits for a HiGHS run abandoned at an earlier scenario's
# time limit (highspy runs one solve per process at a time). Local workers wait
# briefly and are then replaced by a fresh process; dask workers and in-process
# runs cannot be replaced, so they wait longer.
SETTLE_S = {"local": 5.0, "other": 120.0}


def _settle() -> None:
    """Wait for HiGHS runs abandoned at a time limit to stop (they do, at HiGHS's
    own next clock check); raise :class:`WorkerBlocked` if they do not."""
    if not wait_for_abandoned(SETTLE_S[worker_mode()]):
        raise WorkerBlocked(
            "an earlier solve cut off at its time limit is still running in this process"
        )


class SweepSession(Session):
    """A :class:`Session` as a sweep needs it:

    * a scenario with targets that must be formed, and no earlier plan to start
      from, starts from :func:`consortium.solving.solve.initial_plan` as a
      separate solve does (so a time-limited scenario has a plan whenever
      ``solve`` would have one);
    * when the time limit made HiGHS abandon its object (left running in the
      background), the next scenario gets a fresh HiGHS object with the model.
    """

    def before_solve(self) -> None:
        _settle()

    def start_for(self, lm: LinearModel) -> Any:
        # called after the variant is built and loaded, right before HiGHS
        # runs: the build overlaps with a runaway run's last seconds
        _settle()
        x = super().start_for(lm)
        if x is None:
            x = initial_plan(self.b, self.opts)
            _settle()
        return x

    def resolve(self, inst: Instance | None = None, **kw: Any) -> Solution:
        try:
            return super().resolve(inst, **kw)
        finally:
            self.refresh()


def solver_options(d: dict[str, Any]) -> SolverOptions:
    return SolverOptions(time_limit=d.get("time_limit"), gap=float(d.get("gap") or 0.0),
                         threads=d.get("threads") or 1, highs=dict(d.get("highs") or {}),
                         method=d.get("method") or "auto")


@dataclass
class SweepState:
    """A worker's state for one instance: the raw instance, the solver options
    (as given) and the session."""

    raw: dict[str, Any]
    opts_key: str
    opts: SolverOptions
    session: SweepSession | None = None
    # the proof of the grid's loosest scenario, solved once per worker
    # (SweepTask.start_chunk): (its overrides, the proof or None)
    anchor: tuple[dict[str, Any], Proven | None] | None = None
    # with distance limits as column bounds (SweepTask.reach): the overrides
    # other than distance limits of the model the session has loaded, when it
    # is a model of the loosest limits (None: another model, or none)
    lifted: tuple[tuple[str, str], ...] | None = None


def failed_row(overrides: dict[str, Any], message: str, worker: str | None,
               dt: float | None = None) -> dict[str, Any]:
    return {
        "overrides": overrides,
        "status": "failed",
        "objective": None,
        "bound": None,
        "gap": None,
        "spend": None,
        "formed": None,
        "formed_targets": None,
        "leads": None,
        "solve_time_s": dt,
        "worker": worker,
        "error": message,
    }


class SweepTask:
    """The runner's task: the scenarios ``(id, overrides)`` of one sweep."""

    def __init__(self, sha: str, raw_text: str, opts: dict[str, Any], verify: bool = True,
                 anchor: dict[str, Any] | None = None, reach: list[float | None] | None = None):
        self.sha, self.raw_text, self.opts, self.verify = sha, raw_text, opts, verify
        # the grid's loosest scenario (consortium.sweep.grid.anchor), if it has one
        self.anchor = anchor
        # the grid's loosest distance limit per target (grid.reach_envelope)
        # when it sweeps distance limits: every scenario is then solved on the
        # model of these limits, its own held as column bounds
        self.reach = reach

    @property
    def key(self) -> tuple[str, str]:
        return ("sweep", self.sha)

    def state(self) -> SweepState:
        """This worker's state for the instance (one per instance: other solver
        options replace it)."""
        opts_key = json.dumps(self.opts, sort_keys=True)
        st = CACHE.peek(self.key)
        if st is None or st.opts_key != opts_key:
            st = CACHE.put(
                self.key, SweepState(json.loads(self.raw_text), opts_key, solver_options(self.opts))
            )
        return st

    def start_chunk(self) -> None:
        """A new chunk: forget the warm start and what earlier chunks proved, so
        results (plans too, where several are optimal) depend on the grid alone;
        keep only the proof of the grid's loosest scenario (the anchor), which
        this worker solves once, from a fresh start, as every worker does."""
        st = CACHE.peek(self.key) if self.anchor is None else self.state()
        if st is None:
            return
        if st.session is not None:
            st.session.forget()
        if self.anchor is None:
            return
        if st.anchor is None or st.anchor[0] != self.anchor:
            st.anchor = (self.anchor, self._solve_anchor(st))
        proof = st.anchor[1]
        if st.session is not None and proof is not None:
            st.session.proven = [proof]

    def _solve_anchor(self, st: SweepState) -> Proven | None:
        """The anchor's proof (None if it has none: no plan, a failure)."""
        assert self.anchor is not None
        try:
            sol = solve_on_session(self, st, self.anchor, apply_overrides(st.raw, self.anchor),
                                   verify=False)
        except KeyboardInterrupt:
            raise
        except Exception:  # the chunks go on without it, each from its own start
            st.session, st.lifted = None, None
            return None
        if sol.solver.get("interrupted"):  # Ctrl-C or SIGTERM while proving it
            raise KeyboardInterrupt
        sess = st.session
        assert sess is not None
        proof = sess.proven[-1] if sess.proven else None
        sess.forget()
        return proof

    def run(self, item: tuple[int, dict[str, Any]], worker: str) -> dict[str, Any]:
        sid, overrides = item
        return run_scenario(self, sid, overrides, worker)


def run_scenario(task: SweepTask, sid: int, overrides: dict[str, Any],
                 worker: str) -> dict[str, Any]:
    """Solve one scenario; never raises for a scenario's own failure (it becomes a
    ``failed`` row). Returns ``{"scenario", "row", "plan"}`` (plan: JSON text)."""
    t0 = time.perf_counter()
    row: dict[str, Any] = {"overrides": overrides, "worker": worker}
    try:
        st = task.state()
        call_worker_hook(sid, worker)  # tests inject faults here
        variant = apply_overrides(st.raw, overrides)
        failure = None
        try:
            sol = solve_on_session(task, st, overrides, variant, verify=task.verify)
        except PlanFailsVerifier as e:  # kept as a failed row, with its plan
            assert e.solution is not None
            sol, v = e.solution, e.violations[0]
            failure = f"plan fails rule {v.rule}: {v.message}"
        if sol.solver.get("interrupted"):
            raise KeyboardInterrupt
        sess = st.session
        assert sess is not None
        data = sol.to_dict()
        if not sol.status.has_plan and sol.status == Status.INFEASIBLE:
            errs = [str(f) for f in sess.b.findings if f.severity == "error"]
            data["diagnosis"] = errs or [
                "no plan satisfies every rule in this scenario "
                "(`consortium solve` on the variant gives the smallest relaxation)"
            ]
        data["sweep"] = {"scenario": sid, "overrides": overrides}
        status, error = sol.status.value, None
        if sol.status == Status.ERROR:
            status, error = "failed", f"solver: {sol.solver.get('message', '')}"
        elif failure is not None:
            status, error = "failed", failure
        row.update(
            status=status,
            objective=sol.objective,
            bound=sol.bound,
            gap=sol.gap,
            spend=float(sol.kpis.get("spend", 0.0)) if sol.status.has_plan else None,
            formed=len(sol.consortia) if sol.status.has_plan else None,
            formed_targets=[c.target for c in sol.consortia] if sol.status.has_plan else None,
            leads={c.target: c.lead for c in sol.consortia} if sol.status.has_plan else None,
            error=error,
        )
        row["solve_time_s"] = time.perf_counter() - t0
        return {
            "scenario": sid,
            "row": row,
            "plan": json.dumps(data, ensure_ascii=False, allow_nan=False),
        }
    except KeyboardInterrupt:
        raise
    except WorkerBlocked as e:
        if (
            worker_mode() == "local"
        ):  # this worker process is replaced; the scenario is solved again
            raise
        return {
            "scenario": sid,
            "row": failed_row(overrides, str(e), worker, time.perf_counter() - t0),
            "plan": None,
        }
    except Exception as e:  # the scenario fails, the sweep goes on
        st = CACHE.peek(task.key)
        if st is not None:  # the model may be half updated: rebuild it for the next one
            st.session, st.lifted = None, None
        msg = f"{type(e).__name__}: {e}".splitlines()[0]
        return {
            "scenario": sid,
            "row": failed_row(overrides, msg, worker, time.perf_counter() - t0),
            "plan": None,
        }


def solve_on_session(task: SweepTask, st: SweepState, overrides: dict[str, Any],
                     variant: dict[str, Any], *, verify: bool) -> Solution:
    """One scenario (``variant``: its JSON) on the worker's session, its plan
    verified against ``variant``. With distance limits swept (``task.reach``),
    on the model of the grid's loosest limits (loaded when the session has
    another), the scenario's own limits as column bounds; the scenario's own
    model only when that cannot answer it (no plan there: the scenario's own
    model says why)."""
    lifted = task.reach is not None and len(variant.get("targets", [])) == len(task.reach)
    if lifted:
        assert task.reach is not None
        reach = [t.get("max_distance_km") for t in variant["targets"]]
        rest = tuple((p, json.dumps(v)) for p, v in sorted(overrides.items()) if not reaches(p))
        if st.session is None or st.lifted != rest:
            loose = dict(variant, targets=[dict(t, max_distance_km=k) for t, k in
                                           zip(variant["targets"], task.reach, strict=True)])
            inst = from_dict(loose)
            if st.session is None:
                st.session = SweepSession(inst, st.opts)
            else:
                st.session.load(inst)
            st.lifted = rest
        sol = resolve_reach_verified(st.session, variant, reach, verify=verify,
                                     looseness=looseness(overrides, lifted=True))
        if sol is not None:
            return sol
    inst = from_dict(variant)
    first = st.session is None
    if st.session is None:
        st.session = SweepSession(inst, st.opts)
    st.lifted = None
    return resolve_verified(st.session, None if first else inst, variant, verify=verify,
                            looseness=looseness(overrides))
