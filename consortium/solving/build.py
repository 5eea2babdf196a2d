"""From a validated instance to a model ready to solve.

Arrays and eligibility (:class:`~consortium.model.data.ModelData`), the
pre-solve findings (targets that cannot be formed, found without a solver),
then the MILP (:func:`~consortium.model.build.build_model`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..io.instance import Instance
from ..model.build import build_model
from ..model.data import ModelData
from ..model.linear import LinearModel
from ..model.rules import Vars
from .diagnose import Finding, presolve_findings


@dataclass
class Built:
    """A model ready to solve, and what is needed to read its solutions."""

    md: ModelData
    lm: LinearModel
    V: Vars
    build_s: float = 0.0
    findings: list[Finding] = field(default_factory=list)


def build(inst: Instance) -> Built:
    """The model of ``inst`` and the pre-solve findings, timed."""
    t0 = time.perf_counter()
    md = ModelData(inst)
    findings = presolve_findings(md)
    lm, V = build_model(md)
    return Built(md, lm, V, time.perf_counter() - t0, findings)
