"""Exact optima of variants of one instance, on one loaded model.

A :class:`Probe` holds the instance JSON and a
:class:`~consortium.solving.session.Session`. A *variant* is a set of changes
``{dotted path: value}`` (the paths of ``consortium sweep``,
:mod:`consortium.sweep.paths`) applied to a copy of the JSON; the probe solves
it to proven optimality (gap 0), optionally with one target held formed
(``mandatory``: the best plan that forms it), and remembers every answer, so
the searches of :mod:`.repairs` never solve the same variant twice.

Everything a what-if answers rests on two numbers per variant: ``G``, the
optimum, and ``F(t)``, the optimum with target ``t`` formed. ``t`` is formed
in an optimal plan exactly when ``F(t) >= G`` (within :func:`tol`).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from ..backends.base import SolverOptions, Status
from ..errors import InputError
from ..io.instance import Instance, from_dict
from ..result.solution import Solution
from ..solving.session import Session
from ..solving.verified import check_plan
from ..sweep.paths import set_path

Changes = dict[str, Any]

# Objectives closer than this (relative, at least 1e-6 absolute) are equal: the
# MILP's own optimality tolerance (consortium.solving.engine.exact._tol).
REL_TOL = 1e-6


def tol(z: float) -> float:
    return REL_TOL * max(1.0, abs(z))


def at_least(a: float | None, b: float | None) -> bool:
    """``a >= b`` within the tolerance of optima (None: no plan, below everything)."""
    if a is None:
        return b is None
    if b is None:
        return True
    return a >= b - 2 * tol(b)


def apply_changes(raw: dict[str, Any], changes: Changes) -> dict[str, Any]:
    out = raw
    for p, v in changes.items():
        out = set_path(out, p, v)
    return out


def target_path(tid: str, field: str) -> str:
    """The sweep path of a target's field (ids with dots or brackets quoted)."""
    return f"targets[{_sel(tid)}].{field}"


def _sel(ident: str) -> str:
    return f'"{ident}"' if any(c in ident for c in ".[]'\"") else ident


@dataclass
class Answer:
    """A variant solved: its status, proven optimum and plan."""

    status: Status
    objective: float | None
    solution: Solution
    changes: Changes
    forced: str | None

    @property
    def has_plan(self) -> bool:
        return self.status.has_plan and self.objective is not None

    def forms(self, target: str) -> bool:
        return self.has_plan and self.solution.consortium(target) is not None


class Probe:
    """Proven optima of variants of one instance (memoised)."""

    def __init__(self, inst: Instance, raw: dict[str, Any] | None = None,
                 opts: SolverOptions | None = None, session: Session | None = None):
        self.raw = copy.deepcopy(raw) if raw is not None else inst.model_dump(mode="json")
        self.inst = inst
        o = opts or SolverOptions()
        self.opts = SolverOptions(gap=0.0, threads=1, highs=dict(o.highs), method=o.method)
        self.session = session or Session(inst, self.opts)
        self._memo: dict[str, Answer] = {}
        self.solves = 0
        self._loaded = "base"  # the variant the session holds
        self._loaded_inst: Instance | None = None  # ... when below() loaded it unsolved
        # the bounds alternatives price the base model with, kept for its other
        # targets: (the model they are of, its LP bound, its bound by target)
        self.bounds: tuple[Any, Any, Any] | None = None

    def base_loaded(self) -> Session:
        """The session with the instance as given loaded (after variants)."""
        if self._loaded != "base":
            self.session.resolve(self.inst)
            self._loaded, self._loaded_inst = "base", None
        return self.session

    def variant(self, changes: Changes, forced: str | None = None) -> dict[str, Any]:
        raw = apply_changes(self.raw, changes)
        if forced is not None:
            raw = set_path(raw, target_path(forced, "mandatory"), True)
        return raw

    def solve(self, changes: Changes | None = None, forced: str | None = None) -> Answer:
        """The proven optimum of the variant (with ``forced`` held formed)."""
        changes = dict(changes or {})
        key = self._key(changes, forced)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        raw = self.variant(changes, forced)
        if self._loaded == key and self._loaded_inst is not None:
            inst = self._loaded_inst  # (loaded by below(): not parsed and built again)
            sol = self.session.resolve()
        else:
            try:
                inst = from_dict(copy.deepcopy(raw))
            except InputError:
                # (a relaxation the format does not allow: treated as no plan)
                ans = Answer(Status.INFEASIBLE, None, Solution(self.inst.display_name,
                                                               Status.INFEASIBLE), changes, forced)
                self._memo[key] = ans
                return ans
            sol = self.session.resolve(inst)
        self._loaded = "base" if not changes and forced is None else key
        self._loaded_inst = None
        self.solves += 1
        if sol.status not in (Status.OPTIMAL, Status.INFEASIBLE):
            raise RuntimeError(f"what-if re-solve ended {sol.status.value} "
                               f"({sol.solver.get('message', '')}): no exact answer")
        if sol.status.has_plan:
            check_plan(raw, sol)  # every plan a what-if reports passes the verifier
        sol.inst = inst
        ans = Answer(sol.status, sol.objective if sol.status.has_plan else None, sol, changes,
                     forced)
        self._memo[key] = ans
        return ans

    def below(self, changes: Changes | None, forced: str | None, floor: float | None) -> bool:
        """Is the variant's optimum proven below ``floor`` (``at_least`` fails)
        without a MILP: by its LP relaxation, or by the bound by target? True
        also when the variant has no plan at all. False: not proven (solve it),
        or a model small enough for HiGHS alone, whose MILP costs less than
        the bounds."""
        from ..solving.dispatch import method_for

        if floor is None or method_for(self.session.b, self.opts) != "exact":
            return False  # (a floor of no plan: every variant reaches it)
        changes = dict(changes or {})
        key = self._key(changes, forced)
        hit = self._memo.get(key)
        if hit is not None:
            return not at_least(hit.objective, floor)
        raw = self.variant(changes, forced)
        try:
            inst = from_dict(copy.deepcopy(raw))
        except InputError:
            return True  # (as solve: a relaxation the format does not allow has no plan)
        self.session.load(inst)
        self._loaded, self._loaded_inst = key, inst
        cut = floor - 2 * tol(floor)
        return self.session.upper_bound(below=cut) < cut

    def reaching(self, changes: Changes | None, forced: str | None,
                 floor: float | None) -> Answer | None:
        """The variant's proven optimum when it reaches ``floor``
        (``at_least``), else None: ruled out by its bounds (:meth:`below`)
        where they prove it, without a MILP, else by :meth:`solve`."""
        if self.below(changes, forced, floor):
            return None
        ans = self.solve(changes, forced)
        return ans if ans.has_plan and at_least(ans.objective, floor) else None

    @staticmethod
    def _key(changes: Changes, forced: str | None) -> str:
        return json.dumps([sorted(changes.items(), key=lambda kv: kv[0]), forced], default=str)

    def formed_optimally(self, target: str, changes: Changes | None = None
                         ) -> tuple[bool, Answer, Answer]:
        """Is ``target`` formed in an optimal plan of the variant? (and G, F)"""
        g = self.solve(changes)
        if g.forms(target):
            return True, g, g
        f = self.solve(changes, forced=target)
        return (f.has_plan and at_least(f.objective, g.objective)), g, f
