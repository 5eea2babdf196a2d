"""The analyses on the terminal: marginal values and VCG rewards, stress scenarios."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ..io.instance import Instance
from ..result.money import digits, fmt
from ..result.solution import Solution
from .vcg import VCG_RULE

if TYPE_CHECKING:
    from rich.console import Console, JustifyMethod


def _n(x: float | None, spec: str = ",.4f", nd: int = 2) -> str:
    """A figure: objective changes to 4 decimals; money (``,.2f``) as every
    output writes it, at the currency's ``nd`` decimals
    (:func:`consortium.result.money.fmt`: half-up)."""
    if x is None:
        return "-"
    if spec in (",.2f", "+,.2f"):
        return fmt(x, nd, sign=spec.startswith("+"))
    return format(x, spec)


class _Names:
    """Names beside ids: ``t-sic (8-inch SiC ...)`` in a line, the name under
    the id in a table cell (the way the solve report shows members)."""

    def __init__(self, inst: Instance):
        self.of = {a.id: a.name for a in inst.actors} | {t.id: t.name for t in inst.targets}

    def inline(self, i: str) -> str:
        n = self.of.get(i)
        return f"{i} ({n})" if n and n != i else i

    def cell(self, i: str) -> str:
        from rich.markup import escape

        n = self.of.get(i)
        return f"{i}\n[dim]{escape(n)}[/dim]" if n and n != i else i

    def many(self, ids: list[str]) -> str:
        return ", ".join(self.inline(i) for i in ids)


def print_marginal(inst: Instance, solution: Solution | dict[str, Any],
                   records: list[dict[str, Any]], vcg: dict[str, Any],
                   console: Console | None = None) -> None:
    """The marginal values and VCG rewards as terminal tables."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    sol = Solution.coerce(solution)
    con = console or Console()
    cur = inst.currency or "money units"
    nd = digits(inst.currency)
    names = _Names(inst)

    def n(x: float | None, spec: str = ",.4f") -> str:
        return _n(x, spec, nd)

    con.print(
        f"[bold]{sol.instance}[/bold]: {sol.status.value}, objective {sol.objective:,.4f}; "
        f"marginal value of each of its {len(records)} memberships"
    )
    v = {(c["target"], c["actor"]): c for c in vcg["contracts"]}
    by_t: dict[str, list] = {}
    for m in records:
        by_t.setdefault(m["target"], []).append(m)
    for tid, rows in by_t.items():
        c = sol.consortium(tid)
        assert c is not None
        tab = Table(title=escape(f"{names.inline(tid)}; lead {names.inline(c.lead)}; "
                                 f"spend {n(c.spend, ',.2f')} {cur}"),
                    title_justify="left")
        for col, j in (
            ("actor", "left"),
            ("role", "left"),
            ("reward", "right"),
            ("marginal value", "right"),
            ("VCG reward", "right"),
            ("critical", "left"),
            ("without it", "left"),
        ):
            no_wrap = col in ("role", "critical")
            tab.add_column(col, justify=cast("JustifyMethod", j), no_wrap=no_wrap,
                           overflow="fold")
        for m in rows:
            vc = v.get((tid, m["actor"]), {})
            crit = "[red]yes[/red]" if m["critical"] else "no"
            if m["outcome"] == "replaced":
                what = "replaced by " + ", ".join(m["replacement"])
                if m["lead_after"] and m["lead_after"] != c.lead:
                    what += f" (lead {m['lead_after']})"
            elif m["outcome"] == "absorbed":
                what = "others cover it" + (
                    f" (lead {m['lead_after']})"
                    if m["lead_after"] and m["lead_after"] != c.lead
                    else ""
                )
            elif m["outcome"] == "unformed":
                what = f"{tid} not formed"
                if m["formable_without"] is False:
                    what += ": no replacement exists"
                elif m["if_forced"]:
                    f = m["if_forced"]
                    what += (
                        f" (forced: +{', '.join(f['replacement']) or 'no new member'}, "
                        f"loses {n(f['marginal_value'], ',.2f')})"
                    )
            elif m["outcome"] == "infeasible":
                what = (
                    "no plan: breaks a fixed decision"
                    if "(fixed." in m["note"]
                    else "no plan: a target that must be formed cannot be"
                )
            else:
                what = m["note"]
            mvs = "∞" if m["outcome"] == "infeasible" else n(m["marginal_value"])
            tab.add_row(
                names.cell(m["actor"]),
                m["role"],
                n(m["reward"], ",.2f"),
                mvs,
                n(vc.get("vcg_reward"), ",.2f")
                if vc.get("vcg_reward") is not None
                else ("-" if not vcg["defined"] else "∞" if m["outcome"] == "infeasible" else "-"),
                crit,
                what,
            )
        con.print(tab)
    tab = Table(title="Programme cost: contract rewards vs Clarke pivot (VCG) rewards",
                title_justify="left")
    for col in ("", "rewards", "VCG", "budget", "within budget"):
        tab.add_column(col, justify="left" if not col else "right", overflow="fold")

    def row(label: str, t: dict[str, Any]) -> None:
        vcgs = (
            n(t["vcg"], ",.2f")
            if t["vcg"] is not None
            else (f"undefined ({t['undefined']} unbounded)" if t["undefined"] else "-")
        )
        ok = (
            "-"
            if t["within_budget"] is None
            else ("yes" if t["within_budget"] else f"[red]no (+{n(t['overrun'], ',.2f')})[/red]")
        )
        tab.add_row(label, n(t["spend"], ",.2f"), vcgs, n(t["budget"], ",.2f"), ok)

    row("total", vcg["total"])
    for sid, t in vcg["sponsors"].items():
        row(f"sponsor {sid}", t)
    con.print(tab)
    if not vcg["defined"]:
        con.print(f"[yellow]{vcg['reason']}[/yellow]")
    _caveat(con, [m["status"] for m in records if m["status"] != "infeasible" or m["time_s"]])
    for s in VCG_RULE:
        con.print(f"[dim]{s}[/dim]")


def _caveat(con: Console, statuses: list[str]) -> None:
    n = sum(s not in ("optimal", "infeasible") for s in statuses)
    if n:
        con.print(
            f"[yellow]{n} re-solve(s) stopped at the time limit or gap without a proof "
            "(status feasible / no_solution): their objectives are lower bounds, so the losses "
            "shown are upper bounds.[/yellow]"
        )


def print_stress(inst: Instance, solution: Solution | dict[str, Any], records: list[dict[str, Any]],
                 ranking: list[dict[str, Any]] | None, console: Console | None = None) -> None:
    """The stress scenarios (and the early-warning list) as terminal tables."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    sol = Solution.coerce(solution)
    con = console or Console()
    nd = digits(inst.currency)
    names = _Names(inst)
    con.print(
        f"[bold]{sol.instance}[/bold]: {sol.status.value}, objective {sol.objective:,.4f}; "
        f"{len(records)} stress scenario(s)"
    )
    listed = [r for r in records if r.get("kind") != "each"]
    for r in listed:
        head = (
            f"[bold]{r['name']}[/bold]: drops {len(r['drop'])} actor(s), "
            f"{len(r['dropped_in_plan'])} in the plan; {r['status']}"
        )
        if r["objective_after"] is not None:
            head += (
                f"; objective {r['objective_before']:,.4f} -> {r['objective_after']:,.4f} "
                f"({r['objective_change']:+,.4f}); value {_n(r['value_change'], '+,.2f', nd)}; "
                f"spend {_n(r['spend_change'], '+,.2f', nd)}"
            )
        con.print(head)
        if r["note"]:
            con.print(f"  [dim]{r['note']}[/dim]")
        if r["lost_targets"]:
            con.print(f"  [red]lost targets[/red]: {escape(names.many(r['lost_targets']))}")
        if r["new_targets"]:
            con.print(f"  new targets: {escape(names.many(r['new_targets']))}")
        if r["changed"]:
            tab = Table(title="  changed consortia", title_justify="left")
            for col in ("target", "lead before", "lead after", "left", "joined"):
                tab.add_column(col, overflow="fold")
            for c in r["changed"]:
                tab.add_row(names.cell(c["target"]), c["lead_before"],
                            c["lead_after"] if c["lead_after"] != c["lead_before"] else "(same)",
                            ", ".join(c["left"]) or "-", ", ".join(c["joined"]) or "-")
            con.print(tab)
        if r["uncovered"]:
            tab = Table(title="  uncovered capabilities (no domestic backup left)",
                        title_justify="left")
            for col in ("target", "capability", "level", "needed", "holders left", "chokepoint"):
                tab.add_column(col, overflow="fold")
            for u in r["uncovered"]:
                tab.add_row(names.cell(u["target"]), u["capability"], str(u["level"]),
                            str(u["redundancy"]),
                            str(u["holders_left"]), "[red]yes[/red]" if u["chokepoint"] else "no")
            con.print(tab)
    if ranking:
        tab = Table(
            title="Early warning: actors of the plan ranked by the objective lost without them",
            title_justify="left",
        )
        for col, j in (
            ("#", "right"),
            ("actor", "left"),
            ("in", "left"),
            ("objective lost", "right"),
            ("lost targets", "left"),
            ("uncovered", "left"),
        ):
            tab.add_column(col, justify=cast("JustifyMethod", j), overflow="fold")
        for x in ranking:
            lost = (
                ("[red]no plan[/red]" if x["status"] == "infeasible" else "-")
                if x["objective_lost"] is None
                else _n(x["objective_lost"])
            )
            tab.add_row(str(x["rank"]), names.cell(x["actor"]), ", ".join(x["targets"]), lost,
                        ", ".join(x["lost_targets"]) or "-", ", ".join(x["uncovered"]) or "-")
        con.print(tab)
    _caveat(con, [r["status"] for r in records if r["solved"]])
