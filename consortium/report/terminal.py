"""The readable terminal report of ``consortium solve`` (rich tables)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..io.instance import Instance
from ..result.solution import Solution


def _money(x: float | None) -> str:
    return "-" if x is None else f"{x:,.2f}"


def print_report(inst: Instance, sol: Solution, console: Console | None = None) -> None:
    con = console or Console()
    cur = inst.currency or "money units"
    names = {a.id: a for a in inst.actors}
    tnames = {t.id: t for t in inst.targets}
    head = f"[bold]{sol.instance}[/bold]: {sol.status.value}"
    if sol.objective is not None:
        head += f", objective {sol.objective:,.4f}"
        if sol.bound is not None and sol.gap:
            head += f" (bound {sol.bound:,.4f}, gap {sol.gap:.2%})"
    s = sol.solver
    head += (
        f"  [dim]solver {s.get('name')} {s.get('version')}, {s.get('time_s', 0):.2f} s solve, "
        f"{s.get('total_s', 0):.2f} s total[/dim]"
    )
    con.print(head)
    for d in sol.diagnosis:
        con.print(f"[red]{d}[/red]")
    for c in sol.consortia:
        t = tnames[c.target]
        title = (
            f"{c.target} — {t.name or ''} ({t.mode}); site {c.site}; lead {c.lead}; "
            f"{len(c.members)} members; spend {_money(c.spend)} {cur}"
        )
        tab = Table(title=title, title_justify="left", show_lines=False, pad_edge=False)
        tab.add_column("actor", no_wrap=True)
        tab.add_column("kind")
        tab.add_column("role")
        tab.add_column("deliverables (≥ level)")
        tab.add_column("base", justify="right")
        tab.add_column("fee", justify="right")
        tab.add_column("bonus", justify="right")
        tab.add_column("reward", justify="right")
        tab.add_column("instruments")
        for k in c.contracts:
            a = names[k.actor]
            tab.add_row(k.actor, f"{a.type}/{a.ownership}", k.role,
                        ", ".join(f"{d['capability']}≥{d['level']}" for d in k.deliverables) or "-",
                        _money(k.base), _money(k.lead_fee), _money(k.bonus), _money(k.reward),
                        ", ".join(k.instruments) or "-")
        con.print(tab)
    if sol.unformed:
        tab = Table(title="Targets not formed", title_justify="left")
        tab.add_column("target")
        tab.add_column("reason")
        for u in sol.unformed:
            tab.add_row(u["target"], u["reason"])
        con.print(tab)
    kp = sol.kpis
    if kp:
        tab = Table(title="Totals", title_justify="left", show_header=False)
        tab.add_column("kpi")
        tab.add_column("value", justify="right")
        tab.add_row("formed targets", f"{kp['formed']} of {kp['targets']}")
        tab.add_row("value of formed targets", _money(kp["value"]))
        tab.add_row(f"spend ({cur})", _money(kp["spend"]))
        bu = kp["budget_use"]
        if bu["total"]["budget"] is not None:
            tab.add_row("total budget use",
                        f"{_money(bu['total']['spend'])} / {_money(bu['total']['budget'])}")
        for sid, u in bu["sponsors"].items():
            b = f" / {_money(u['budget'])} ({u['use']:.0%})" if u["budget"] else ""
            tab.add_row(f"sponsor {sid}", f"{_money(u['spend'])}{b}")
        tab.add_row("members (distinct actors)", f"{kp['members']} ({kp['distinct_actors']})")
        tab.add_row("state-enterprise share", f"{kp['state_share']:.1%}")
        tab.add_row("private members", str(kp["private_members"]))
        if kp["outside_region_share"] is not None:
            tab.add_row("outside-region share", f"{kp['outside_region_share']:.1%}")
        if kp["mean_distance_km"] is not None:
            tab.add_row("mean member-site distance", f"{kp['mean_distance_km']:.1f} km")
        tab.add_row("ties realised", f"{kp['ties_realised']} (weight {kp['ties_weight']:g})")
        con.print(tab)
    print_by_year(inst, sol, con)


def print_by_year(inst: Instance, sol: Solution, con: Console) -> None:
    """SPEC 7.3: spend per sponsor and in total, consortia started and active, by year."""
    rows = sol.kpis.get("by_year") if sol.kpis else None
    if not rows:
        return
    cur = inst.currency or "money units"
    caps = inst.policy.total_budget_by_year or {}
    sponsors = [s for s in inst.sponsors if any(r["spend_by_sponsor"].get(s.id) for r in rows)
                or s.budget_by_year]
    tab = Table(title=f"By year ({cur})", title_justify="left")
    tab.add_column("year")
    tab.add_column("spend", justify="right")
    for s in sponsors:
        tab.add_column(s.id, justify="right")
    tab.add_column("started")
    tab.add_column("active", justify="right")
    for r in rows:
        key = str(r["year"])
        total = _money(r["spend"]) + (f" / {_money(caps[key])}" if key in caps else "")
        cells = []
        for s in sponsors:
            cap = (s.budget_by_year or {}).get(key)
            cells.append(_money(r["spend_by_sponsor"].get(s.id, 0.0))
                         + (f" / {_money(cap)}" if cap is not None else ""))
        tab.add_row(key, total, *cells, ", ".join(r["started"]) or "-", str(len(r["active"])))
    con.print(tab)


def progress_bar(counted: str | None = None, left: str | None = None) -> Progress:
    """The progress bar of long runs (sweeps, analyses) on stderr: label, bar,
    done of total, ``counted`` (a column template), time spent, ``left``, time left."""
    cols: list[ProgressColumn] = [TextColumn("[cyan]{task.description}"), BarColumn(),
                                  MofNCompleteColumn()]
    if counted:
        cols.append(TextColumn(counted))
    cols.append(TimeElapsedColumn())
    if left:
        cols.append(TextColumn(left))
    cols.append(TimeRemainingColumn())
    return Progress(*cols, console=Console(stderr=True), transient=True)
