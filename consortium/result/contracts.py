"""The contracts of a formed consortium: deliverables, base, lead fee, bonus, reward."""

from __future__ import annotations

import numpy as np

from ..io.instance import Instance
from ..model.data import ModelData
from .plan import Choice
from .solution import Consortium, Contract


def _deliverables(inst: Instance, md: ModelData, ch: Choice) -> dict[int, list[int]]:
    """Assign requirements to members: exactly the redundancy where possible.

    Non-lead members are preferred (the lead coordinates), then those with the
    fewest deliverables so far; every non-lead member then gets at least one
    requirement it may deliver (no free riders). Ties break by actor order, so
    the assignment is deterministic.
    """
    v = md.views[ch.target]
    local = {int(a): i for i, a in enumerate(v.actors)}
    given: dict[int, list[int]] = {a: [] for a in ch.members}
    for j, req in enumerate(v.target.requirements):
        able = [a for a in ch.members if v.deliver[local[a], j]]
        able.sort(key=lambda a: (a == ch.lead, len(given[a]), a))
        for a in able[: req.redundancy]:
            given[a].append(j)
    for a in ch.members:
        if a != ch.lead and not given[a]:
            js = np.nonzero(v.deliver[local[a]])[0]
            if len(js):
                given[a].append(int(js[0]))
    return {a: sorted(js) for a, js in given.items()}


def contracts_for(inst: Instance, md: ModelData, ch: Choice) -> Consortium:
    t = inst.targets[ch.target]
    pol = inst.policy
    given = _deliverables(inst, md, ch)
    order = [ch.lead] + sorted(a for a in ch.members if a != ch.lead)
    contracts = []
    for a in order:
        actor = inst.actors[a]
        base = inst.base(actor, t.id)
        fee = float(actor.lead_cost or 0.0) if a == ch.lead else 0.0
        rate = pol.rate(actor.type)
        bonus = rate * (base + fee)
        contracts.append(
            Contract(
                actor=actor.id,
                role="lead" if a == ch.lead else "member",
                deliverables=[
                    {"capability": t.requirements[j].capability, "level": t.requirements[j].level}
                    for j in given[a]
                ],
                base=base,
                lead_fee=fee,
                bonus=bonus,
                reward=base + fee + bonus,
                instruments=pol.instruments(actor.type),
            )
        )
    return Consortium(target=t.id, site=inst.sites[ch.site].id, lead=inst.actors[ch.lead].id,
                      members=[inst.actors[a].id for a in order],
                      spend=float(sum(c.reward for c in contracts)), contracts=contracts,
                      start=ch.start,
                      end=None if ch.start is None else ch.start + inst.duration_of(t) - 1)
