"""The analyses' results as objects with DataFrames (the Python API's view)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..io.instance import Instance
from ..result.solution import Solution
from .tables import marginal_table, stress_table

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class MarginalAnalysis:
    """Marginal values (one record per member) and VCG rewards of a base plan."""

    base: Solution
    records: list[dict[str, Any]]
    vcg: dict[str, Any]
    stats: dict[str, Any] = field(default_factory=dict)
    instance: Instance | None = None  # for the names beside the ids

    def frame(self) -> pd.DataFrame:
        """One row per member: target and actor (id and name), reward, marginal
        value, VCG reward, critical, outcome, ..."""
        return marginal_table(self.records, self.vcg, self.instance)


@dataclass
class StressAnalysis:
    """Stress scenarios (one record each) of a base plan, and the early-warning ranking."""

    base: Solution
    records: list[dict[str, Any]]
    ranking: list[dict[str, Any]] | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    instance: Instance | None = None  # for the names beside the ids

    def frame(self) -> pd.DataFrame:
        """One row per scenario: actors dropped (ids and names), objective change,
        lost targets, changed leads, uncovered, ..."""
        return stress_table(self.records, self.ranking, self.instance)
