"""The base plan an analysis starts from (solved and verified, or read from a
file and verified), and the ``analysis`` field of the JSON it writes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..backends.base import SolverOptions
from ..errors import ConsortiumError, InputError
from ..io.instance import Instance
from ..io.jsonfile import read_json
from ..result.solution import Solution
from ..solving.session import wait_for_abandoned
from ..solving.verified import solve_verified
from .jobs import analysis_options


class NoBasePlan(ConsortiumError):
    """There is no plan to analyse (exit status 1); ``lines`` say why."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__(lines[-1] if lines else "no base plan to analyse")


def base_plan(instance_path: str | Path, inst: Instance, opts: SolverOptions | None,
              solution_path: str | Path | None = None) -> Solution:
    """The plan of ``inst`` to analyse: read from ``solution_path`` (which must
    pass the verifier) or solved (verified). Raises :class:`NoBasePlan` when
    there is none, :class:`~consortium.errors.InputError` for a bad file."""
    from ..verify import verify_solution

    raw = read_json(instance_path)
    if solution_path:
        data = read_json(solution_path)
        if not isinstance(data, dict):
            raise InputError(f"{solution_path}: (top level): must be a JSON object")
        check = verify_solution(raw, data)
        if data.get("status") not in ("optimal", "feasible"):
            raise NoBasePlan([f"{solution_path}: status {data.get('status')!r}: "
                              "no base plan to analyse"])
        if not check.ok:
            v = check.violations[0]
            raise InputError(f"{solution_path}: not a valid plan of {instance_path}: rule "
                             f"{v.rule}: {v.message}"
                             + (f" (and {len(check.violations) - 1} more)"
                                if len(check.violations) > 1 else ""))
        return Solution.from_dict(data, inst)
    sol = solve_verified(inst, analysis_options(opts), raw=raw, reasons=True)
    wait_for_abandoned()
    if not sol.status.has_plan:
        raise NoBasePlan((sol.diagnosis or [f"no plan: {sol.status.value}"])
                         + ["no base plan to analyse"])
    sol.inst = inst
    return sol


def analysis_meta(kind: str, workers: int, scheduler: str | None, stats: dict[str, Any], t0: float,
                  opts: SolverOptions, base: Solution, results_status: list[str]) -> dict[str, Any]:
    """The ``analysis`` field: how the analysis ran, and whether it is exact."""
    exact = (base.status.value == "optimal" and (base.gap or 0.0) <= 1e-9 and opts.gap == 0
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
