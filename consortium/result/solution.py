"""The result of a solve: consortia with contracts, unformed targets, KPIs (SPEC 4).

A :class:`Solution` is what ``consortium.solve`` returns, what the analyses,
the report and the spreadsheet export read, and what ``to_dict`` writes as
the solution file (``consortium-solution/1``). ``Solution.from_dict`` reads
one back; the ``*_frame`` methods give pandas DataFrames.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from ..backends.base import Status
from ..spec import SOLUTION_FORMAT
from .money import clean

if TYPE_CHECKING:
    import pandas as pd

    from ..io.instance import Instance


def _known(cls: type, d: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``d`` into the dataclass's fields and the rest (kept as ``extra``)."""
    names = {f.name for f in fields(cls)} - {"extra"}
    return {k: v for k, v in d.items() if k in names}, {
        k: v for k, v in d.items() if k not in names
    }


@dataclass
class Contract:
    """One member's contract: deliverables (capability >= level) and its reward."""

    actor: str
    role: str  # "lead" or "member"
    deliverables: list[dict[str, Any]]
    base: float
    lead_fee: float
    bonus: float
    reward: float
    instruments: list[str]
    extra: dict[str, Any] = field(default_factory=dict)  # fields added by analyses (vcg_reward)

    def to_dict(self) -> dict[str, Any]:
        d = {
            "actor": self.actor,
            "role": self.role,
            "deliverables": self.deliverables,
            "base": self.base,
            "lead_fee": self.lead_fee,
            "bonus": self.bonus,
            "reward": self.reward,
            "instruments": self.instruments,
        }
        d.update(self.extra)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Contract:
        known, extra = _known(cls, d)
        known.setdefault("deliverables", [])
        known.setdefault("instruments", [])
        for k in ("base", "lead_fee", "bonus", "reward"):
            known.setdefault(k, 0.0)
        return cls(**known, extra=extra)


@dataclass
class Consortium:
    """A formed target: its site, lead, members, spend and one contract per member."""

    target: str
    site: str
    lead: str
    members: list[str]
    spend: float
    contracts: list[Contract]
    extra: dict[str, Any] = field(default_factory=dict)
    start: int | None = None  # first and last active year (SPEC 7.3, with a programme)
    end: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "target": self.target,
            "site": self.site,
            "lead": self.lead,
            "members": self.members,
            "spend": self.spend,
        }
        if self.start is not None:
            d["start"], d["end"] = self.start, self.end
        d["contracts"] = [c.to_dict() for c in self.contracts]
        d.update(self.extra)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Consortium:
        known, extra = _known(cls, d)
        known["contracts"] = [Contract.from_dict(k) for k in known.get("contracts") or []]
        known.setdefault("spend", 0.0)
        return cls(**known, extra=extra)

    def deliverers(self) -> dict[str, list[str]]:
        """Capability -> the members who deliver it."""
        out: dict[str, list[str]] = {}
        for k in self.contracts:
            for d in k.deliverables:
                out.setdefault(d["capability"], []).append(k.actor)
        return out


@dataclass
class Solution:
    """A plan (or its absence) with everything a planner reads about it."""

    instance: str
    status: Status
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    solver: dict[str, Any] = field(default_factory=dict)
    consortia: list[Consortium] = field(default_factory=list)
    unformed: list[dict[str, str]] = field(default_factory=list)
    kpis: dict[str, Any] = field(default_factory=dict)
    diagnosis: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # analyses add their fields here
    # The instance solved (not written out): names and types for the tables.
    inst: Instance | None = field(default=None, repr=False, compare=False)

    @property
    def has_plan(self) -> bool:
        return self.status.has_plan

    def consortium(self, target: str) -> Consortium | None:
        return next((c for c in self.consortia if c.target == target), None)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "format": SOLUTION_FORMAT,
            "instance": self.instance,
            "status": self.status.value,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "solver": self.solver,
            "consortia": [c.to_dict() for c in self.consortia],
            "unformed": self.unformed,
            "kpis": self.kpis,
        }
        if self.diagnosis:
            d["diagnosis"] = self.diagnosis
        d.update(self.extra)
        return clean(d)

    @classmethod
    def from_dict(cls, d: dict[str, Any], inst: Instance | None = None) -> Solution:
        """A solution file's content as a :class:`Solution` (checked by the caller:
        the verifier, or the report's own reading)."""
        known, extra = _known(cls, d)
        extra.pop("format", None)
        known.pop("inst", None)
        known["status"] = Status(known.get("status", "no_solution"))
        known["consortia"] = [Consortium.from_dict(c) for c in known.get("consortia") or []]
        for k in ("solver", "kpis"):
            known[k] = known.get(k) or {}
        for k in ("unformed", "diagnosis"):
            known[k] = known.get(k) or []
        known.setdefault("instance", "instance")
        return cls(**known, extra=extra, inst=inst)

    @classmethod
    def coerce(cls, x: Solution | dict[str, Any], inst: Instance | None = None) -> Solution:
        """``x`` itself, or read from its dict."""
        if isinstance(x, Solution):
            if x.inst is None and inst is not None:
                x.inst = inst
            return x
        return cls.from_dict(x, inst)

    # ------------------------------------------------------------ tables

    def contracts_frame(self) -> pd.DataFrame:
        """One row per contract (target, site, actor, role, deliverables, money, instruments)."""
        from .tables import frame, solution_tables

        return frame(solution_tables(self, self.inst)["contracts"])

    def consortia_frame(self) -> pd.DataFrame:
        """One row per target: formed (site, lead, members, spend) or not (the reason)."""
        from .tables import frame, solution_tables

        return frame(solution_tables(self, self.inst)["consortia"])

    def kpis_frame(self) -> pd.DataFrame:
        """The status, objective, bound, gap and every KPI, one row each (kpi, value)."""
        from .tables import frame, solution_tables

        return frame(solution_tables(self, self.inst)["kpis"])
