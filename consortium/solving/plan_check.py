"""Does a partial plan satisfy every rule? Checked against the model itself.

A plan here is a list of consortia (target, site, lead, members, as ids, and
with a programme the start year); every target not in it is unformed. The
plan becomes column values of the model
(:func:`~consortium.result.plan.start_vector`) and every row is checked, so
the answer is the model's (the generator uses it for the joint plan of
the mandatory targets it builds instances around).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..io.instance import InstanceError, from_dict
from ..model.build import build_model
from ..model.data import ModelData
from ..result.plan import Choice, start_vector


def plan_violations(raw: dict[str, Any], plan: list[dict[str, Any]]) -> list[str]:
    """The rules ``plan`` breaks in the instance ``raw`` (empty: it satisfies them all)."""
    try:
        inst = from_dict(raw)
    except InstanceError as e:
        return e.errors
    md = ModelData(inst)
    errs: list[str] = []
    choices = []
    for p in plan:
        tid = p["target"]
        ti = md.target_index[tid]
        v = md.views[ti]
        if v.impossible:
            errs.append(f"{tid}: cannot be formed: {'; '.join(v.impossible)}")
            continue
        site = md.site_index[p["site"]]
        sj = np.nonzero(v.sites == site)[0]
        if not len(sj):
            errs.append(f"{tid}: site {p['site']} is not a usable candidate site")
            continue
        local = {int(a): i for i, a in enumerate(v.actors)}
        members = [md.actor_index[a] for a in p["members"]]
        for a_id, a in zip(p["members"], members, strict=False):
            if a not in local or not v.within[local[a], sj[0]]:
                errs.append(
                    f"{tid}: {a_id} may not be a member at {p['site']} (distance, eligibility or "
                    "forbidden)"
                )
        lead = md.actor_index[p["lead"]]
        if lead not in members or lead not in local or not v.lead[local[lead]]:
            errs.append(f"{tid}: {p['lead']} may not lead it")
        choices.append(Choice(ti, site, lead, members, p.get("start")))
    if errs:
        return errs
    only = {c.target for c in choices} | {i for i in range(len(md.views)) if md.forced(i)}
    lm, V = build_model(md, only=only)
    return lm.violations(start_vector(md, V, lm.n_cols, choices))
