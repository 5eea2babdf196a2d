"""Solve, check the plan with the independent verifier, refuse a plan that fails.

Every caller that hands out a plan (``consortium solve``, the analyses'
base plan, ``consortium check``, the Python API) goes through
:func:`solve_verified`, every sweep scenario (a re-solve of a loaded model)
through :func:`resolve_verified`; a plan that breaks a rule is never returned
(:class:`PlanFailsVerifier` carries it, for the caller's report).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..backends.base import SolverOptions
from ..errors import InternalError
from ..io.instance import Instance
from ..result.solution import Solution
from .session import Looseness, Session

if TYPE_CHECKING:
    from ..verify import Verifier


class PlanFailsVerifier(InternalError):
    """The independent verifier found the plan breaks rules (never expected).
    ``violations`` are the verifier's own records (rule, target, message)."""

    def __init__(self, violations: list[Any], solution: Solution | None = None):
        self.violations = list(violations)
        self.solution = solution  # the refused plan, for a report of what went wrong
        super().__init__(
            [f"internal error: plan fails rule {v.rule}: {v.message}" for v in self.violations]
        )


def raw_of(inst: Instance) -> dict[str, Any]:
    """The instance as JSON, for the verifier when the file as read is not at hand."""
    return inst.model_dump(mode="json")


def check_plan(raw: dict[str, Any], solution: Solution | dict[str, Any],
               verifier: Verifier | None = None) -> None:
    """Raise :class:`PlanFailsVerifier` unless the verifier accepts the plan
    (``raw``: the instance JSON the plan is for; ``verifier``: a
    :class:`consortium.verify.Verifier` of ``raw``, for many plans of it)."""
    from ..verify import Verifier  # noqa: F811 (imported when called: the verifier loads lazily)

    data = solution.to_dict() if isinstance(solution, Solution) else solution
    res = (verifier or Verifier(raw)).verify(data)
    if not res.ok:
        raise PlanFailsVerifier(res.violations,
                                solution if isinstance(solution, Solution) else None)


def resolve_verified(session: Session, inst: Instance | None, raw: dict[str, Any], *,
                     verify: bool = True, reasons: bool = False,
                     opts: SolverOptions | None = None,
                     looseness: Looseness | None = None) -> Solution:
    """:meth:`Session.resolve` of a variant (``inst``; None: the loaded one), then
    the verifier against ``raw``, the variant's JSON: the re-solve counterpart of
    :func:`solve_verified` (sweeps; the what-if scenarios of ``consortium serve``,
    with ``reasons`` for the unformed targets and their own ``opts``;
    ``looseness``: see :meth:`Session.resolve`)."""
    sol = session.resolve(inst, reasons=reasons, opts=opts, looseness=looseness)
    return _checked(sol, raw, lambda: inst or session.b.md.inst, opts or session.opts,
                    verify, reasons)


def resolve_reach_verified(session: Session, raw: dict[str, Any], reach: list[float | None], *,
                           verify: bool = True, opts: SolverOptions | None = None,
                           looseness: Looseness | None = None) -> Solution | None:
    """:meth:`Session.resolve_reach` (None when it cannot answer), then the
    verifier against ``raw``, the scenario's own JSON (its own distance limits)."""
    sol = session.resolve_reach(reach, opts=opts, looseness=looseness)
    if sol is None:
        return None
    from ..io.instance import from_dict

    return _checked(sol, raw, lambda: from_dict(raw), opts or session.opts, verify, False)


def _checked(sol: Solution, raw: dict[str, Any], inst: Any, opts: SolverOptions, verify: bool,
             reasons: bool) -> Solution:
    """``sol`` if the verifier accepts its plan against ``raw``, else a fresh,
    tighter solve of ``inst()`` (see :func:`_repair`)."""
    if verify and sol.status.has_plan:
        try:
            check_plan(raw, sol)
        except PlanFailsVerifier as first:
            return _repair(inst(), opts, raw, first, backend="highs", reasons=reasons,
                           diagnose=True)
    return sol


def solve_verified(inst: Instance, opts: SolverOptions | None = None, *,
                   raw: dict[str, Any] | None = None, backend: str = "highs", reasons: bool = True,
                   diagnose: bool = True, verify: bool = True) -> Solution:
    """:func:`~consortium.solving.solve.solve_instance`, then the verifier on the
    plan (if there is one and ``verify``): raises :class:`PlanFailsVerifier`
    rather than return a plan that breaks a rule. ``raw`` is the instance file
    as read (default: the validated instance written out)."""
    from . import solve as solving  # looked up at call time (tests put a broken solver here)

    sol = solving.solve_instance(inst, opts, backend=backend, reasons=reasons, diagnose=diagnose)
    if verify and sol.status.has_plan:
        if opts is not None:
            opts.phase("verify")
        data = raw if raw is not None else raw_of(inst)
        try:
            check_plan(data, sol)
        except PlanFailsVerifier as first:
            return _repair(inst, opts or SolverOptions(), data, first, backend=backend,
                           reasons=reasons, diagnose=diagnose)
    return sol


# HiGHS's own tolerances are absolute (1e-6 on integrality, 1e-7 on rows); on
# rows of large magnitude (budgets of 1e9 with costs of 1e9) a plan within
# them can break a limit by more than the verifier's 1e-6 relative. Such a
# plan is never handed out: solve again with tight tolerances, then with the
# money and share rows pulled inward by the verifier's tolerance.
TIGHT_HIGHS = {"mip_feasibility_tolerance": 1e-9, "primal_feasibility_tolerance": 1e-9}
TIGHTEN_ROWS = 2e-6


def _repair(inst: Instance, opts: SolverOptions, raw: dict[str, Any], first: PlanFailsVerifier,
            **kw: Any) -> Solution:
    from dataclasses import replace

    from . import solve as solving

    why = "; ".join(f"rule {v.rule}: {v.message}" for v in first.violations[:2])
    for step, tighten, note in (
        (replace(opts, highs={**opts.highs, **TIGHT_HIGHS}), 0.0,
         "solved again with HiGHS's tolerances at 1e-9"),
        (replace(opts, highs={**opts.highs, **TIGHT_HIGHS}), TIGHTEN_ROWS,
         f"solved again with budget and share rows tightened by {TIGHTEN_ROWS:g} relative"),
    ):
        if opts.deadline is not None and step.remaining() is not None \
                and (step.remaining() or 0.0) < 0.5:
            break  # no time left: the refusal stands
        sol = solving.solve_instance(inst, step, tighten=tighten, **kw)
        if not sol.status.has_plan:
            continue
        try:
            check_plan(raw, sol)
        except PlanFailsVerifier:
            continue
        sol.solver["message"] = (f"{sol.solver.get('message', '')}; {note}: the first plan, "
                                 f"within HiGHS's tolerances, failed the verifier ({why})")
        sol.solver["repaired"] = True
        return sol
    raise first
