"""A plan as the solver chose it: which site, lead and members per formed target.

A :class:`Choice` holds indices into the instance; :func:`extract` reads the
choices from the solver's column values and :func:`start_vector` turns
choices back into column values (a starting point for a solve).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model.data import ModelData
from ..model.rules import Vars, spend_entries


@dataclass
class Choice:
    """A formed target as the solver chose it (indices into the instance)."""

    target: int
    site: int
    lead: int
    members: list[int]
    start: int | None = None  # the start year (SPEC 7.3; None without a programme)


def extract(md: ModelData, V: Vars, x: np.ndarray) -> list[Choice]:
    """Read the chosen site, lead and members of every formed target."""
    out = []
    for v in md.views:
        ti = v.index
        if x[V.y[ti]] < 0.5 or v.impossible:
            continue
        sj = int(np.argmax(x[V.site[ti]])) if len(V.site[ti]) else 0
        on = (x[V.x[ti]] > 0.5) & (v.tri_site == sj)
        members = v.actors[v.tri_actor[on]]
        leads = v.actors[V.lead_local[ti][x[V.lead[ti]] > 0.5]]
        start = int(v.starts[int(np.argmax(x[V.start[ti]]))]) if len(v.starts) else None
        out.append(Choice(ti, int(v.sites[sj]), int(leads[0]) if len(leads) else -1,
                          [int(a) for a in members], start))
    return out


def choices_from_plan(md: ModelData, consortia: list[dict[str, Any]]) -> list[Choice]:
    """Choices from a solution file's consortia (for warm starts and analysis)."""
    out = []
    for c in consortia:
        out.append(Choice(
            md.target_index[c["target"]], md.site_index[c["site"]], md.actor_index[c["lead"]],
            [md.actor_index[a] for a in c["members"]], c.get("start"),
        ))
    return out


def start_vector(md: ModelData, V: Vars, n_cols: int, choices: list[Choice]) -> np.ndarray:
    """Column values of a plan, for a solver's starting point (ties at their value)."""
    x = np.zeros(n_cols)
    member_sets = {}
    for ch in choices:
        v = md.views[ch.target]
        x[V.y[ch.target]] = 1
        sj = int(np.nonzero(v.sites == ch.site)[0][0])
        if len(V.site[ch.target]) > 1:
            x[V.site[ch.target][sj]] = 1
        local = {int(a): i for i, a in enumerate(v.actors)}
        for a in ch.members:
            i = local[a]
            tri = np.arange(v.ptr[i], v.ptr[i + 1])
            x[V.x[ch.target][tri[v.tri_site[tri] == sj]]] = 1
        pos = np.nonzero(V.lead_local[ch.target] == local[ch.lead])[0]
        x[V.lead[ch.target][pos]] = 1
        member_sets[ch.target] = set(ch.members)
        if len(v.starts):
            k = np.nonzero(v.starts == ch.start)[0]
            k = k if len(k) else np.zeros(1, np.int64)  # a plan without start years
            x[V.start[ch.target][k[0]]] = 1
    _programme_columns(md, V, x, choices)
    for ti, a, b, _w, col in V.ties:
        s = member_sets.get(ti, ())
        x[col] = 1.0 if (a in s and b in s) else 0.0
    return x




def _programme_columns(md: ModelData, V: Vars, x: np.ndarray, choices: list[Choice]) -> None:
    """The continuous columns of rule 16 and SPEC 7.3 at their values in the plan."""
    by_target = {ch.target: ch for ch in choices}
    for ti, q in V.spend_at.items():
        x[q] = 0.0
        ch = by_target.get(ti)
        if ch is not None:
            v = md.views[ti]
            k = int(np.argmax(v.starts == ch.start))
            cols, vals = spend_entries(md, V, v)  # the one definition of a spend
            x[q[k]] = float(vals @ x[cols])
    for ti, cols, names in V.regions:
        ch = by_target.get(ti)
        have = {str(md.region[a]) for a in ch.members} if ch else set()
        x[cols] = [1.0 if g in have else 0.0 for g in names]
    for ti, year, actors, cols, lead in V.busy:
        ch = by_target.get(ti)
        on = ch is not None and ch.start is not None and (
            ch.start <= year < ch.start + int(md.duration[ti]))
        if not on:
            x[cols] = 0.0
            continue
        assert ch is not None
        who = {ch.lead} if lead else set(ch.members)
        x[cols] = [1.0 if int(a) in who else 0.0 for a in actors]
