"""What every back end takes and returns: no solver object leaks past here."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np


class Status(str, Enum):  # noqa: UP042 (StrEnum would change str(status))
    """The four statuses of SPEC section 4, plus ``error``: the solver failed
    (HiGHS reported a load, model, presolve, solve or postsolve error). An
    error is not ``no_solution`` (a limit reached before any plan): it says
    nothing about the instance, and the command line exits with status 4."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"
    ERROR = "error"

    @property
    def has_plan(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass
class Progress:
    """One progress report from a running solve."""

    elapsed: float
    incumbent: float | None  # best plan's objective (maximised)
    bound: float | None
    gap: float | None
    nodes: int | None = None  # branch-and-bound nodes so far (0: still at the root)


@dataclass
class SolverOptions:
    time_limit: float | None = None
    gap: float = 0.0
    threads: int | None = None
    highs: dict[str, Any] = field(default_factory=dict)  # raw HiGHS options (profiles)
    log: bool = False  # HiGHS's own log to stderr
    on_progress: Callable[[Progress], None] | None = None
    # Told the phase a solve enters ("building", "solving", "reasons",
    # "verify"), for the command line's progress line.
    on_phase: Callable[[str], None] | None = None
    # Absolute time.monotonic() by which the whole command must have returned;
    # set from --time-limit by the CLI so that start-up and post-processing
    # count against the limit too.
    deadline: float | None = None
    # "mip": one MILP for the whole plan; "decompose": by target (column
    # generation with Lagrangian bounds, consortium.backends.decompose); "auto":
    # the latter for models too large for the former (see
    # consortium.solving.dispatch.AUTO_DECOMPOSE_COLUMNS).
    method: str = "auto"
    # Where the decomposition prices its targets: a dask scheduler (an address
    # or a distributed.Client), else a local dask cluster of ``workers``
    # single-threaded worker processes; neither: threads of this process
    # (consortium.solving.cluster). The result is the same.
    scheduler: Any = None
    workers: int | None = None

    def phase(self, name: str) -> None:
        if self.on_phase is not None:
            self.on_phase(name)

    def remaining(self, reserve: float = 0.0) -> float | None:
        """Seconds left for a solver call, keeping ``reserve`` for what follows."""
        import time

        left = None if self.deadline is None else self.deadline - time.monotonic() - reserve
        if self.time_limit is not None:
            left = self.time_limit if left is None else min(left, self.time_limit)
        return None if left is None else max(left, 0.05)


@dataclass
class RawResult:
    status: Status
    x: np.ndarray | None  # column values of the best plan
    objective: float | None  # solver's objective (maximised)
    bound: float | None
    gap: float | None
    time_s: float
    solver: str
    version: str
    message: str = ""
    interrupted: bool = False  # Ctrl-C or SIGTERM stopped it
    # What stopped the search before it finished: "time limit", "gap" (the gap
    # asked for reached), "Ctrl-C", "SIGTERM"; None: it ran to its end.
    stopped: str | None = None


def default_parallelism() -> int:
    """Threads or worker processes used when the user names none: two (the
    machines this is measured on have two cores), one on a one-core machine."""
    return min(2, os.cpu_count() or 1)
