"""Why an instance, or a target, cannot be planned: pre-solve reasoning first,
then an elastic relaxation that says which rule has to give and by how much."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..backends import highs
from ..backends.base import SolverOptions
from ..model.data import ModelData, within_limit
from ..model.linear import Csc, LinearModel
from ..spec import RULE_NAMES


@dataclass
class Finding:
    severity: str  # "error" (makes the instance infeasible) or "warning"
    target: str | None
    rule: str  # the first (main) rule; ``rules`` has every rule the message names
    message: str
    rules: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        where = f"target {self.target}: " if self.target else ""
        labels = "; ".join(f"rule {r}: {RULE_NAMES.get(r, r)}"
                           for r in (self.rules or [self.rule]))
        return f"{self.severity}: {where}{self.message} ({labels})"


# The causes data.ModelData writes (one per rule), by how each begins; a fixed
# lead or member out of reach is rule 14 plus the rule that bars it.
_CAUSES: tuple[tuple[str, str], ...] = (
    ("no eligible lead", "1"),
    ("redundancy ", "3"),
    ("no research-end", "5"),
    ("no market-end", "5"),
    ("min_members", "6"),
    ("min_private_members", "8"),
    ("min_outside_members", "9"),
    ("fixed lead", "14"),
    ("fixed member", "14"),
    ("its cheapest possible consortium", "12"),
    # SPEC section 7
    ("composition: ", "15"),
    ("min_regions ", "16"),
    ("needs ", "17"),  # "needs t-x to deliver first, which cannot be formed"
    ("no start year in ", "17"),
    ("fixed start ", "17"),
)
# Why a fixed actor is not eligible (data.ModelData._why_not_member).
_FIXED_WHY: tuple[tuple[str, str], ...] = (
    ("forbidden", "14"),
    ("max_consortia is 0", "11"),
    ("km from the site", "2"),
    ("no free riders", "4"),
)


def rules_of(text: str) -> list[str]:
    """Every rule a pre-solve message names, in order, each once: the message
    may join several causes with "; " (and several sites, "at s1: ...")."""
    import re

    out: list[str] = []
    for part in text.split("; "):
        part = re.sub(r"^at [^:]+: ", "", part.strip())
        for head, rule in _CAUSES:
            if part.startswith(head):
                out.append(rule)
                if rule == "14":
                    out += [r for key, r in _FIXED_WHY if key in part]
                break
    return list(dict.fromkeys(out)) or ["2"]


def _finding(severity: str, target: str | None, text: str, message: str) -> Finding:
    rules = rules_of(text)
    return Finding(severity, target, rules[0], message, rules)


def presolve_findings(md: ModelData) -> list[Finding]:
    """Targets that cannot be formed at all, found without any solver.

    Errors for targets that must be formed (mandatory, or with fixed decisions),
    warnings for the others.
    """
    out: list[Finding] = []
    inst = md.inst
    for v in md.views:
        t = v.target
        sev = "error" if md.forced(v.index) else "warning"
        for why in v.impossible:
            out.append(_finding(sev, t.id, why, f"cannot be formed: {why}"))
        if not v.impossible and sev == "warning":
            for sid, whys in v.dropped_sites.items():
                out.append(
                    _finding("note", t.id, "; ".join(whys),
                             f"site {sid} is unusable: {'; '.join(whys)}")
                )
    forced = [v for v in md.views if md.forced(v.index) and not v.impossible]
    # Two forced targets in one exclusive group.
    for g, group in enumerate(inst.exclusive):
        f = [t for t in group if md.forced(md.target_index[t])]
        if len(f) > 1:
            out.append(
                Finding("error", f[0], "13",
                        f"targets {', '.join(f)} must all be formed but exclusive[{g}] allows one")
            )
    # Forced targets' cheapest spends against the shared budgets.
    groups = [
        (f"sponsor {s.id}", s.budget, [v for v in forced if v.target.sponsor == s.id])
        for s in inst.sponsors
        if s.budget is not None
    ]
    if inst.policy.total_budget is not None:
        groups.append(("the total budget", inst.policy.total_budget, forced))
    for name, cap, vs in groups:
        need = sum(md.min_spend(v) for v in vs)
        if vs and not within_limit(need, cap):
            out.append(
                Finding(
                    "error",
                    ", ".join(v.target.id for v in vs),
                    "12",
                    f"the targets that must be formed need at least {need:.4g} but "
                    f"{name} is {cap:g} (short by {need - cap:.4g})",
                )
            )
    if md.programme is not None:
        out += _programme_findings(md, forced)
    # Fixed leads: more targets than max_lead allows.
    by_actor: dict[int, list[str]] = {}
    for ti, a in md.fixed_lead.items():
        by_actor.setdefault(a, []).append(inst.targets[ti].id)
    for a, ts in by_actor.items():
        if len(ts) > md.max_lead[a]:
            out.append(
                Finding(
                    "error",
                    ", ".join(ts),
                    "11",
                    f"actor {md.actor_ids[a]} is the fixed lead of {len(ts)} targets "
                    f"but max_lead is {md.max_lead[a]}",
                )
            )
    return out


def _programme_findings(md: ModelData, forced: list) -> list[Finding]:
    """SPEC 7.3 before solving: milestones no plan can reach, and years whose
    budget cannot pay what the targets that must be formed need in that year."""
    inst, pr = md.inst, md.programme
    assert pr is not None
    out: list[Finding] = []
    for m in pr.milestones:
        able = [v.target.id for v in md.views if not v.impossible and v.starts[0] <= m.year]
        if len(able) < m.min_formed:
            out.append(Finding(
                "error", None, "18",
                f"milestone {m.year} needs {m.min_formed} target(s) formed with a start by "
                f"{m.year}, but only {len(able)} can start by then"
                + (f" ({', '.join(able[:8])}{' ...' if len(able) > 8 else ''})" if able else "")))
    caps: list[tuple[str, str, float, str | None]] = [
        (f"sponsor {s.id}'s {key} budget", key, cap, s.id) for s in inst.sponsors
        for key, cap in (s.budget_by_year or {}).items()]
    caps += [(f"policy.total_budget_by_year for {key}", key, cap, None)
             for key, cap in (inst.policy.total_budget_by_year or {}).items()]
    for name, key, cap, sponsor in caps:
        year = int(key)
        need, who = 0.0, []
        for v in forced:
            if sponsor is not None and v.target.sponsor != sponsor:
                continue
            d = int(md.duration[v.index])
            if len(v.starts) and all(st <= year < st + d for st in v.starts):
                need += md.min_spend(v) / d
                who.append(v.target.id)
        if who and not within_limit(need, cap):
            out.append(Finding(
                "error", ", ".join(who), "12",
                f"the targets that must be formed and are active in {year} need at least "
                f"{need:.4g} that year but {name} is {cap:g} (short by {need - cap:.4g})"))
    return out


def elastic(lm: LinearModel, time_limit: float = 30.0) -> list[tuple[str, str, float]]:
    """Relax every elastic row with a penalised slack; minimise the total.

    Returns (rule, description, amount) for each row that had to give. Budget
    slacks are weighed relative to the budget, counts per unit, so that the
    diagnosis names the smallest change a planner would make.
    """
    rows, signs, weights = [], [], []
    for blk in lm.row_blocks:
        if not blk.elastic:
            continue
        idx = np.arange(blk.start, blk.stop)
        for sign, finite in (
            (1.0, np.isfinite(lm.row_lo[idx])),
            (-1.0, np.isfinite(lm.row_hi[idx])),
        ):
            sel = idx[finite]
            rows.append(sel)
            signs.append(np.full(len(sel), sign))
            scale = np.maximum(1.0, np.abs(np.where(sign > 0, lm.row_lo[sel], lm.row_hi[sel])))
            weights.append(1.0 / scale if blk.rule == "12" else np.ones(len(sel)))
    rows_a = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    signs_a = np.concatenate(signs) if signs else np.zeros(0)
    w = np.concatenate(weights) if weights else np.zeros(0)
    k = len(rows_a)
    import scipy.sparse as sp  # here, not at start-up: see model.linear.Csc

    S = sp.csc_matrix((signs_a, (rows_a, np.arange(k))), shape=(lm.n_rows, k))
    relaxed = LinearModel(lb=np.concatenate([lm.lb, np.zeros(k)]),
                          ub=np.concatenate([lm.ub, np.full(k, np.inf)]),
                          obj=np.concatenate([np.zeros(lm.n_cols), -w]),
                          integer=np.concatenate([lm.integer, np.zeros(k, bool)]),
                          A=Csc.of(sp.hstack([lm.A.scipy(), S], format="csc")), row_lo=lm.row_lo,
                          row_hi=lm.row_hi, col_blocks=lm.col_blocks, row_blocks=lm.row_blocks)
    r = highs.run_highs(relaxed, SolverOptions(time_limit=time_limit, gap=1e-6))
    if r.x is None:
        return []
    slack = r.x[lm.n_cols :]
    x = r.x[: lm.n_cols]
    starts = np.array([b.start for b in lm.col_blocks])
    R = lm.A.tocsr()
    out = []
    for j in np.nonzero(slack > 1e-6)[0]:
        row = int(rows_a[j])
        blk = lm.row_block_of(row)
        text = blk.describe(row - blk.start)
        if blk.target[row - blk.start] < 0:
            # A rule across targets: say which targets compete in it.
            cols = R.indices[R.indptr[row] : R.indptr[row + 1]]
            used = cols[x[cols] > 0.5]
            names = sorted(
                {
                    lm.col_blocks[k].name.partition("[")[2].rstrip("]")
                    for k in np.searchsorted(starts, used, side="right") - 1
                }
                - {""}
            )
            if names:
                text += f" (needed by {', '.join(names)})"
        out.append((blk.rule, text, float(slack[j])))
    return out


def explain_elastic(items: list[tuple[str, str, float]]) -> list[Finding]:
    out = []
    for rule, text, amount in items:
        target = (
            text.split(":", 1)[0]
            if ":" in text and not text.startswith(("actor", "sponsor", "total", "at most"))
            else None
        )
        out.append(
            Finding("error", target, rule,
                    f"cannot hold together with the others: {text} — has to give by {amount:.4g}")
        )
    return out
