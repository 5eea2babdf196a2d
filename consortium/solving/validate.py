"""``consortium validate``'s findings: pre-solve reasoning, then, for every target
that must be formed, a solve of it alone and (if it cannot be formed) the
rules that have to give."""

from __future__ import annotations

from dataclasses import dataclass

from ..backends.base import SolverOptions, Status
from ..io.instance import Instance
from .build import Built, build
from .diagnose import Finding, elastic, explain_elastic
from .standalone import solve_target_alone


@dataclass
class Validation:
    """What ``validate`` reports: the findings and the model's size."""

    built: Built
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)


def validate_instance(inst: Instance, quick: bool = False) -> Validation:
    """Findings for ``inst``; ``quick`` skips the per-target feasibility solves."""
    b = build(inst, strengthen=False)
    findings = list(b.findings)
    if not quick:
        for v in b.md.views:
            if v.impossible or not b.md.forced(v.index):
                continue
            alone = solve_target_alone(b, v.index, SolverOptions(time_limit=10.0))
            if alone.raw.status == Status.INFEASIBLE:
                why = explain_elastic(elastic(alone.lm, time_limit=5.0))
                detail = "; ".join(f.message.split(": ", 1)[-1] for f in why[:3])
                rules = list(dict.fromkeys(f.rule for f in why[:3])) or ["3"]
                findings.append(Finding("error", v.target.id, rules[0],
                                        "must be formed but no consortium satisfies its own rules"
                                        + (f": {detail}" if detail else ""), rules))
    return Validation(b, findings)
