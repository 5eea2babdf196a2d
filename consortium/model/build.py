"""Assemble the MILP: variables, then every rule family, then the objective."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import programme, rules
from .data import ModelData
from .linear import Builder, LinearModel
from .rules import Vars


def build_model(md: ModelData, *, only: set[int] | None = None, coupling: bool = True,
                least_spend: Mapping[int, float] | None = None) -> tuple[LinearModel, Vars]:
    """The whole model; ``only`` restricts it to some targets and ``coupling=False``
    drops the rules that tie targets together (sponsor and total budgets,
    exclusive groups): together they give a target's stand-alone model.
    ``least_spend`` (a programme's, by target index): lower bounds on what a
    formed target spends, added as valid rows (:func:`programme.rule12_least_spend`)."""
    b = Builder()
    V = rules.add_variables(b, md, only)
    for v in md.views:
        if v.impossible and md.forced(v.index) and (only is None or v.index in only):
            b.set_bounds([V.y[v.index]], lb=1.0)  # infeasible; diagnosed before solving
    for v in V.views:
        for rule in rules.PER_TARGET_RULES:
            rule(b, md, V, v)
    if md.inst.conflicts:
        pairs = (
            np.array([md.actor_index[c.a] for c in md.inst.conflicts]),
            np.array([md.actor_index[c.b] for c in md.inst.conflicts]),
        )
        for v in V.views:
            rules.rule10_conflicts(b, md, V, v, pairs)
    staged = md.programme is not None
    if staged:
        programme.spend_by_start(b, md, V)
        if least_spend:
            programme.rule12_least_spend(b, md, V, least_spend)
    if not staged:
        rules.rule11_capacity(b, md, V)
    elif coupling:
        programme.rule11_capacity_by_year(b, md, V)
    if coupling:
        rules.rule12_budgets(b, md, V)
        rules.rule13_exclusive(b, md, V)
        if staged:
            programme.rule12_by_year(b, md, V)
            programme.rule17_after(b, md, V)
            programme.rule18_milestones(b, md, V)
    else:
        rules.rule12_target_budgets(b, md, V)
    (programme.objective if staged else rules.objective)(b, md, V)
    rules.ties(b, md, V)
    return b.build(), V
