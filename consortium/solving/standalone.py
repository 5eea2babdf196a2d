"""One target alone: its own rules only (no budgets shared with others, no
exclusive groups), solved small and exact. Used to explain unformed targets,
to diagnose targets that must be formed, and to build a starting plan."""

from __future__ import annotations

from dataclasses import dataclass

from ..backends import highs
from ..backends.base import RawResult, SolverOptions
from ..model.build import build_model
from ..model.linear import LinearModel
from ..model.rules import Vars
from .build import Built

# One target's model is small; HiGHS's presolve costs more than it saves there
# (measured: 0.82 s -> 0.11 s on a provincial target of 800 columns).
STANDALONE_HIGHS = {"presolve": "off"}


@dataclass
class TargetAlone:
    """The solve of one target alone, with the model it was solved on."""

    raw: RawResult
    lm: LinearModel
    V: Vars


def solve_target_alone(b: Built, ti: int, opts: SolverOptions, force: bool = True) -> TargetAlone:
    """Target ``ti`` alone: its own rules only, formed if ``force``."""
    lm, V = build_model(b.md, only={ti}, coupling=False)
    if force:
        lm.lb[V.y[ti]] = 1.0
    o = SolverOptions(time_limit=min(opts.remaining() or 10.0, 10.0), gap=1e-6, threads=1,
                      highs=STANDALONE_HIGHS)
    return TargetAlone(highs.run_highs(lm, o), lm, V)
