"""Clarke pivot (VCG) rewards: each member's reward plus its marginal value in money,
and what the programme costs under that rule against the budgets."""

from __future__ import annotations

from typing import Any

from ..io.instance import Instance
from ..result.solution import Solution

ABS_TOL = 1e-9

VCG_RULE = (
    "Clarke pivot (VCG): each member is paid its contract reward plus its marginal value in money, "
    "i.e. how much the programme's objective falls, divided by weights.cost, when the whole plan "
    "is "
    "re-optimised with that member barred from its consortium.",
    "Because that premium depends only on what the other actors could achieve without it, no actor "
    "can raise its own payment by overstating its cost, so truthful bids are each actor's best "
    "strategy; the price is a programme cost above the plain rewards, shown against the budgets.",
)


def vcg_rewards(inst: Instance, solution: Solution | dict[str, Any],
                marginal: list[dict[str, Any]]) -> dict[str, Any]:
    """Clarke pivot rewards from the marginal values, and the programme cost under them."""
    sol = Solution.coerce(solution)
    wc = float(inst.policy.weights.cost)
    defined = wc > 0
    reason = None
    if wc == 0:
        reason = (
            "weights.cost is 0: the objective puts no price on money, so marginal values "
            "cannot be turned into payments (VCG rewards undefined)"
        )
    elif wc < 0:
        reason = (
            "weights.cost is negative: spending raises the objective, so VCG rewards are undefined"
        )
    mv = {(m["target"], m["actor"]): m for m in marginal}
    tsp = {t.id: t.sponsor for t in inst.targets}
    tbud = {t.id: t.budget for t in inst.targets}
    contracts: list[dict[str, Any]] = []
    for c in sol.consortia:
        for k in c.contracts:
            m = mv.get((c.target, k.actor))
            row: dict[str, Any] = {
                "target": c.target,
                "actor": k.actor,
                "role": k.role,
                "reward": k.reward,
                "marginal_value": m["marginal_value"] if m else None,
                "premium": None,
                "vcg_reward": None,
                "reason": None,
            }
            if not defined:
                row["reason"] = "weights.cost <= 0"
            elif m is None:
                row["reason"] = "no marginal value computed"
            elif m["marginal_value"] is None:
                row["reason"] = (
                    "indispensable: no plan exists without it, the pivot payment is unbounded"
                    if m["outcome"] == "infeasible"
                    else f"re-solve found no plan ({m['status']})"
                )
            else:
                row["premium"] = m["marginal_value"] / wc
                row["vcg_reward"] = k.reward + row["premium"]
            contracts.append(row)

    def tally(rows: list[dict[str, Any]], budget: float | None) -> dict[str, Any]:
        spend = float(sum(r["reward"] for r in rows))
        undefined = sum(r["vcg_reward"] is None for r in rows)
        vcg = None if undefined else float(sum(r["vcg_reward"] for r in rows))
        within = (
            None if vcg is None or budget is None else bool(vcg <= budget * (1 + 1e-6) + ABS_TOL)
        )
        return {
            "spend": spend,
            "vcg": vcg,
            "budget": budget,
            "within_budget": within,
            "overrun": None if vcg is None or budget is None else max(0.0, vcg - budget),
            "undefined": undefined,
        }

    sponsors = {
        s.id: tally([r for r in contracts if tsp[r["target"]] == s.id], s.budget)
        for s in inst.sponsors
    }
    if any(tsp[r["target"]] is None for r in contracts):
        sponsors["(no sponsor)"] = tally([r for r in contracts if tsp[r["target"]] is None], None)
    targets = {
        c.target: tally([r for r in contracts if r["target"] == c.target], tbud[c.target])
        for c in sol.consortia
    }
    return {
        "rule": "clarke-pivot",
        "explanation": list(VCG_RULE),
        "defined": defined,
        "reason": reason,
        "money_per_unit": (1.0 / wc) if defined else None,
        "contracts": contracts,
        "total": tally(contracts, inst.policy.total_budget),
        "sponsors": sponsors,
        "targets": targets,
    }


def with_vcg_rewards(data: dict[str, Any], vcg: dict[str, Any]) -> dict[str, Any]:
    """The solution JSON with each contract's ``vcg_reward`` beside its ``reward``."""
    by = {(c["target"], c["actor"]): c["vcg_reward"] for c in vcg["contracts"]}
    out = dict(data)
    out["consortia"] = [
        {
            **c,
            "contracts": [
                {**k, "vcg_reward": by.get((c["target"], k["actor"]))} for k in c["contracts"]
            ],
        }
        for c in data["consortia"]
    ]
    return out
