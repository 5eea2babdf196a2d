"""What-if for planners: the least change that would form a target
(:mod:`.explain`, :mod:`.repairs`), ranked alternatives for a formed target's
lead and members (:mod:`.alternatives`), re-planning from a plan in force at
the least change (:mod:`.incumbent`) and the exact budget frontier
(:mod:`.frontier`).

Every answer is a proven optimum of the instance or of a changed copy of it,
solved on one loaded model (:class:`.probe.Probe`, a
:class:`~consortium.solving.session.Session`), and every plan it reports
passes the independent verifier.
"""

from __future__ import annotations

from .explain import ExplainResult, TargetExplained, explain
from .probe import Probe
from .repairs import Repair

__all__ = ["ExplainResult", "Probe", "Repair", "TargetExplained", "explain"]
