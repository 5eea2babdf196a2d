"""A solution as plain tables: contracts, consortia and KPIs (numbers stay numbers).

The one layout the spreadsheet export writes (``--contracts``) and the
``Solution.*_frame`` methods return. ``inst`` adds names, types and budgets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..io.instance import Instance
    from .solution import Solution

Table = tuple[list[str], list[list[Any]]]  # (header, rows)


def _money_head(label: str, currency: str | None) -> str:
    return f"{label} ({currency})" if currency else label


def solution_tables(sol: Solution, inst: Instance | None = None) -> dict[str, Table]:
    """``contracts`` (one row per contract), ``consortia`` (one row per target)
    and ``kpis`` (one row per key, nested keys dotted). With a programme (SPEC
    7.3) contracts and consortia carry the start and end years, and ``by_year``
    has one row per programme year (spend in total and per sponsor, consortia
    started and active)."""
    years = (inst is not None and inst.programme is not None) or any(
        c.start is not None for c in sol.consortia)
    cur = inst.currency if inst is not None else None
    actors = {a.id: a for a in inst.actors} if inst is not None else {}
    targets = {t.id: t for t in inst.targets} if inst is not None else {}
    sites = {s.id: s for s in inst.sites} if inst is not None else {}

    def m(s: str) -> str:
        return _money_head(s, cur)

    head = ["target", "target name", "site", "actor", "actor name", "type", "ownership", "role",
            "deliverables (capability>=level)", m("base"), m("lead fee"), m("bonus"), m("reward"),
            "instruments"]
    if years:
        head[3:3] = ["start", "end"]
    rows = []
    crow: list[list[Any]] = []
    for c in sol.consortia:
        t = targets.get(c.target)
        for k in c.contracts:
            a = actors.get(k.actor)
            row = [
                c.target, t.name if t else None, c.site, k.actor, a.name if a else None,
                a.type if a else None, a.ownership if a else None, k.role,
                "; ".join(f"{d['capability']}>={d['level']}" for d in k.deliverables),
                k.base, k.lead_fee, k.bonus, k.reward,
                "; ".join(k.instruments),
            ]
            if years:
                row[3:3] = [c.start, c.end]
            rows.append(row)
        s = sites.get(c.site)
        lead = actors.get(c.lead)
        crow.append([
            c.target, t.name if t else None, t.mode if t else None, t.sponsor if t else None,
            c.site, s.name if s else None, c.lead, lead.name if lead else None,
            len(c.members), "; ".join(c.members), t.value if t else None, c.spend,
            t.budget if t else None, "formed",
        ] + ([c.start, c.end] if years else []))
    for u in sol.unformed:
        t = targets.get(u["target"])
        crow.append([
            u["target"], t.name if t else None, t.mode if t else None, t.sponsor if t else None,
            None, None, None, None, 0, None, t.value if t else None, 0.0, t.budget if t else None,
            f"not formed: {u.get('reason', '')}",
        ] + ([None, None] if years else []))
    chead = ["target", "target name", "mode", "sponsor", "site", "site name", "lead", "lead name",
             "members", "member ids", m("value"), m("spend"), m("budget"), "note"]
    if years:
        chead += ["start", "end"]
    krows: list[list[Any]] = [
        ["instance", sol.instance],
        ["status", sol.status.value],
        ["objective", sol.objective],  # weighted: not a sum of money
        ["bound", sol.bound],
        ["gap", sol.gap],
    ]

    def flat(prefix: str, v: Any) -> None:
        if isinstance(v, dict):
            for k2, v2 in v.items():
                if k2 == "by_consortium":  # the objective's terms per consortium: its own rows
                    continue
                flat(f"{prefix}.{k2}" if prefix else str(k2), v2)
        elif isinstance(v, list):
            krows.append([prefix, "; ".join(map(str, v))])
        else:
            krows.append([prefix, v])

    by_year = sol.kpis.get("by_year")
    flat("", {k: v for k, v in sol.kpis.items() if k != "by_year"})
    out = {
        "contracts": (head, rows),
        "consortia": (chead, crow),
        "kpis": (["kpi", "value"], krows),
    }
    if years:
        out["by_year"] = _by_year_table(by_year or [], inst, m)
    return out


def _by_year_table(by_year: list[dict[str, Any]], inst: Instance | None, m: Any) -> Table:
    """``kpis.by_year`` as one row per programme year, a spend column per sponsor."""
    sponsors: list[str] = [s.id for s in inst.sponsors] if inst is not None else []
    for e in by_year:
        sponsors += [s for s in e.get("spend_by_sponsor", {}) if s not in sponsors]
    head = ["year", m("spend")] + [m(f"spend {s}") for s in sponsors] + [
        "started", "active", "started ids", "active ids"]
    rows = [[e["year"], e.get("spend")]
            + [e.get("spend_by_sponsor", {}).get(s, 0.0) for s in sponsors]
            + [len(e.get("started", [])), len(e.get("active", [])),
               "; ".join(e.get("started", [])), "; ".join(e.get("active", []))]
            for e in by_year]
    return head, rows


def frame(table: Table) -> pd.DataFrame:
    """A table as a pandas DataFrame (pandas is imported here, not at start-up)."""
    import pandas as pd

    header, rows = table
    return pd.DataFrame(rows, columns=header)
