"""The budget frontier, exactly: every budget at which the optimal value changes.

The optimum ``G(B)`` as a budget ``B`` (``policy.total_budget``,
``sponsors[id].budget``, ``targets[id].budget``) grows is a step function:
it rises only where a better plan first fits. From a budget ``B`` with its
proven optimum ``G(B)``, the next step is the least spend of any plan worth
more than ``G(B)`` (the budget itself removed: :func:`.need.least_need` with
that floor), and ``G`` there is proven by a re-solve. So the steps are found
one by one, each exact: no grid, nothing between two steps is missed (a
better plan there would have a smaller spend than the next step).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ..io.instance import from_dict
from ..io.jsonfile import atomic_path
from ..model.rules import spend_entries
from ..solving.build import build
from ..sweep.paths import parse_path
from .need import least_need
from .probe import Probe, tol
from .repairs import _plan_vector, _tidy

if TYPE_CHECKING:
    import pandas as pd

# A work limit on the steps of one frontier (each is two exact solves).
MAX_STEPS = 500


@dataclass
class Step:
    budget: float  # from this budget on (up to the next step) the optimum is
    objective: float
    spend: float  # the spend the budget caps, in the plan at this step
    formed: list[str]
    added: list[str]
    removed: list[str]
    # targets formed at both steps whose start year moved (a programme, SPEC 7.3)
    restarted: list[str] = field(default_factory=list)


@dataclass
class Frontier:
    path: str
    start: float
    stop: float | None
    steps: list[Step] = field(default_factory=list)
    complete: bool = True  # no better plan at any budget past the last step (within stop)
    solves: int = 0
    time_s: float = 0.0

    def objective_at(self, budget: float) -> float | None:
        """The optimum at ``budget`` (between ``start`` and ``stop``)."""
        val = None
        for s in self.steps:
            if s.budget <= budget + tol(budget):
                val = s.objective
        return val

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "from": self.start, "to": self.stop,
                "complete": self.complete, "solves": self.solves,
                "time_s": round(self.time_s, 3),
                "steps": [s.__dict__ for s in self.steps]}

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        rows = [{**s.__dict__, "formed": ", ".join(s.formed), "added": ", ".join(s.added),
                 "removed": ", ".join(s.removed), "restarted": ", ".join(s.restarted)}
                for s in self.steps]
        return pd.DataFrame(rows, columns=["budget", "objective", "spend", "formed", "added",
                                           "removed", "restarted"])


def budget_targets(probe: Probe, path: str) -> list[str]:
    """The targets whose spend the budget at ``path`` caps."""
    inst = probe.inst
    steps = parse_path(path)
    keys = [s.value for s in steps]
    if keys == ["policy", "total_budget"]:
        return [t.id for t in inst.targets]
    if len(steps) == 3 and keys[0] in ("sponsors", "targets") and steps[1].kind == "sel" \
            and keys[2] == "budget" and isinstance(steps[1].value, tuple):
        ident = steps[1].value[1]
        if keys[0] == "sponsors":
            if ident not in {s.id for s in inst.sponsors}:
                raise InputError(f"--path {path}: no sponsor {ident!r}")
            return [t.id for t in inst.targets if t.sponsor == ident]
        if ident not in {t.id for t in inst.targets}:
            raise InputError(f"--path {path}: no target {ident!r}")
        return [ident]
    raise InputError(f"--path {path}: the frontier follows a budget: policy.total_budget, "
                     "sponsors[ID].budget or targets[ID].budget")


def frontier(probe: Probe, path: str = "policy.total_budget", start: float = 0.0,
             stop: float | None = None) -> Frontier:
    """Every step of the optimum as the budget at ``path`` goes from ``start``
    to ``stop`` (None: as far as the optimum still grows)."""
    t0 = time.perf_counter()
    if start < 0 or (stop is not None and stop < start):
        raise InputError("--from/--to: need 0 <= FROM <= TO")
    who = budget_targets(probe, path)
    relaxed = build(from_dict(probe.variant({path: None})))
    md, V = relaxed.md, relaxed.V
    want = {md.target_index[t] for t in who}
    parts = [spend_entries(md, V, v) for v in V.views if v.index in want]
    cols = np.concatenate([p[0] for p in parts]).astype(np.int64) if parts else np.zeros(0, int)
    coef = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
    out = Frontier(path, start, stop)
    n0 = probe.solves
    budget = float(start)
    prev: list[str] = []
    starts: dict[str, int | None] = {}
    for _ in range(MAX_STEPS):
        ans = probe.solve({path: budget})
        if not ans.has_plan or ans.objective is None:
            # no plan at this budget (a mandatory target does not fit): the first
            # budget that has one is the least spend of any plan at all
            x = least_need(relaxed, cols, coef, False, -np.inf, probe.opts, None)
        else:
            formed = [c.target for c in ans.solution.consortia]
            spend = float(sum(c.spend for c in ans.solution.consortia if c.target in set(who)))
            now = {c.target: c.start for c in ans.solution.consortia}
            out.steps.append(Step(budget, ans.objective, spend, formed,
                                  [t for t in formed if t not in prev],
                                  [t for t in prev if t not in formed],
                                  [t for t in formed if t in starts and starts[t] != now[t]]))
            prev, starts = formed, now
            floor = ans.objective + 2 * tol(ans.objective)
            x = least_need(relaxed, cols, coef, False, floor, probe.opts,
                           _plan_vector(relaxed, ans))
        if x is None:
            break  # no better plan at any budget
        nxt = _tidy(float(coef @ x[cols]))
        if nxt <= budget:  # (float noise at a step: the next representable budget up)
            nxt = float(np.nextafter(budget, np.inf))
        if stop is not None and nxt > stop:
            break
        budget = nxt
    else:
        out.complete = False
    out.solves = probe.solves - n0
    out.time_s = time.perf_counter() - t0
    return out


def plot_frontier(fr: Frontier, path: str | Path, currency: str | None = None) -> Path:
    """The optimum against the budget (a step line, each step labelled with the
    targets it adds) to a .png/.svg/.pdf file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..sweep.plots import param_label

    cur = currency or "money units"
    fig, ax = plt.subplots(figsize=(9, 5))
    xs = [s.budget for s in fr.steps]
    ys = [s.objective for s in fr.steps]
    if xs:
        end = fr.stop if fr.stop is not None else xs[-1] + max(0.1 * (xs[-1] - xs[0]), 1.0)
        ax.step(xs + [end], ys + [ys[-1]], where="post", color="#1f77b4")
        ax.plot(xs, ys, "o", color="#1f77b4", markersize=4)
        for s in fr.steps:
            if s.added or s.removed or s.restarted:
                text = " ".join([f"+{t}" for t in s.added] + [f"-{t}" for t in s.removed]
                                + [f"~{t}" for t in s.restarted])
                ax.annotate(text, (s.budget, s.objective), textcoords="offset points",
                            xytext=(4, -10), fontsize=7, rotation=-30)
    ax.set_xlabel(param_label(fr.path, cur))
    ax.set_ylabel(f"optimal objective ({cur})")
    ax.set_title(f"Budget frontier: {len(fr.steps)} step(s), exact")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    p = Path(path)
    with atomic_path(p) as tmp:
        fig.savefig(tmp, format=p.suffix.lstrip(".").lower() or "png")
    plt.close(fig)
    return p
