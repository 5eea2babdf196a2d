"""The readable terminal report of ``consortium solve`` (rich tables).

Every cell wraps or folds instead of being cut (no ``…``), so a contract's
deliverables, criteria and rewards survive an 80-column terminal: a member's
name and kind are stacked under its id, deliverables one per line, and the
instruments, which depend only on the actor type, are listed once per type
after the consortia. On a terminal the tables fit its width; redirected
(``> plan.txt``, ``| less``) the same report is plain text at its natural
width (see :func:`plain_console`); ``--tsv`` gives the contracts as one TSV
table instead (:func:`print_tsv`).
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich import box
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
from rich.text import Text

from ..io.instance import Instance
from ..result.money import digits, fmt
from ..result.solution import Solution

QUIET, NORMAL, VERBOSE = 0, 1, 2
WIDE = 160  # from this width on, one line per contract (the plain, redirected report)


def plain_console(file: TextIO | None = None) -> Console:
    """A console for output that is not a terminal: no colour, no control codes,
    wide enough that nothing wraps (each table at its natural width)."""
    return Console(file=file or sys.stdout, width=100_000, color_system=None, force_terminal=False,
                   highlight=False, emoji=False, soft_wrap=True)


def _table(*cols: tuple[str, str]) -> Table:
    tab = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    for name, how in cols:
        right = how == "money"
        tab.add_column(name, justify="right" if right else "left", overflow="fold",
                       no_wrap=right, min_width=len(name) if right else None)
    return tab


def print_report(inst: Instance, sol: Solution, console: Console | None = None,
                 verbosity: int = NORMAL) -> None:
    """The plan: a head line, each consortium's contracts, the instruments by
    actor type, the targets not formed with their reasons, and the totals.
    ``verbosity`` QUIET: head line and totals; VERBOSE: the solver's details too."""
    con = console or Console()
    cur = inst.currency or "money units"
    nd = digits(inst.currency)
    actors = {a.id: a for a in inst.actors}
    targets = {t.id: t for t in inst.targets}
    sites = {s.id: s for s in inst.sites}

    def m(x: float | None) -> str:
        return fmt(x, nd)

    def named(kind: dict, i: str) -> str:
        n = getattr(kind.get(i), "name", None)
        return f"{i} ({n})" if n and n != i else i

    head = Text.assemble((sol.instance, "bold"), f": {sol.status.value}")
    if sol.objective is not None:
        head.append(f", objective {sol.objective:,.4f}")
        if sol.bound is not None and sol.gap:
            head.append(f" (bound {sol.bound:,.4f}, gap {sol.gap:.2%})")
    s = sol.solver
    head.append(f"; solver {s.get('name')} {s.get('version')}, {s.get('time_s', 0):.2f} s solve, "
                f"{s.get('total_s', 0):.2f} s total", "dim")
    con.print(head)
    if verbosity >= VERBOSE:
        md = s.get("model") or {}
        con.print(Text(
            f"solver message: {s.get('message', '-')}; model {md.get('columns', '?')} columns "
            f"({md.get('integer', '?')} integer), {md.get('rows', '?')} rows; "
            f"build {s.get('build_s', 0):.2f} s" + (f"; method {s['method']}" if s.get("method")
                                                   else ""), "dim"))
    for d in sol.diagnosis:
        con.print(Text(d, "red"))
    if verbosity >= NORMAL:
        types: dict[str, list[str]] = {}
        for c in sol.consortia:
            t = targets[c.target]
            con.print()
            con.print(Text.assemble((f"{c.target} — {t.name or c.target}", "bold"),
                                    f" ({t.mode}, sponsor {t.sponsor})"))
            years = "" if c.start is None else (
                f"{c.start}" if c.end == c.start else f"{c.start}-{c.end}") + "; "
            con.print(f"{years}site {named(sites, c.site)}; lead {named(actors, c.lead)}; "
                      f"{len(c.members)} members; spend {m(c.spend)} {cur}")
            wide = con.width >= WIDE
            if wide:  # one line per contract: grep and cut read it
                tab = _table(("member", "text"), ("name", "text"), ("kind", "text"),
                             ("role", "text"), ("deliverables ≥ level", "text"),
                             ("base", "money"), ("lead fee", "money"), ("bonus", "money"),
                             ("reward", "money"))
            else:  # stacked: name and kind under the id, deliverables one per line
                tab = _table(("member", "text"), ("deliverable ≥ level", "text"),
                             ("base", "money"), ("lead fee", "money"), ("bonus", "money"),
                             ("reward", "money"))
            for k in c.contracts:
                a = actors[k.actor]
                types.setdefault(a.type, list(k.instruments))
                dls = [f"{d['capability']} ≥ {d['level']}" for d in k.deliverables] or ["-"]
                if verbosity >= VERBOSE and k.instruments:
                    dls.append("; ".join(k.instruments))
                money = (m(k.base), m(k.lead_fee), m(k.bonus), m(k.reward))
                if wide:
                    tab.add_row(k.actor, a.name or "", f"{a.type}, {a.ownership}", k.role,
                                "; ".join(dls), *money)
                    continue
                who = Text(k.actor, "bold")
                if k.role == "lead":
                    who.append(" (lead)")
                if a.name and a.name != k.actor:
                    who.append(f"\n{a.name}")
                who.append(f"\n{a.type}, {a.ownership}", "dim")
                tab.add_row(who, "\n".join(dls), *money)
            blank = [""] * (len(tab.columns) - 2)
            tab.add_row("total", *blank, m(c.spend), style="bold")
            con.print(tab)
        if any(types.values()):
            con.print()
            con.print(Text("Incentive instruments by actor type", "bold"))
            tab = _table(("actor type", "text"), ("instruments", "text"))
            for typ in sorted(types):
                tab.add_row(typ, "; ".join(types[typ]) or "-")
            con.print(tab)
        if sol.unformed:
            con.print()
            con.print(Text("Targets not formed", "bold"))
            tab = _table(("target", "text"), ("reason", "text"))
            for u in sol.unformed:
                tab.add_row(named(targets, u["target"]), u["reason"])
            con.print(tab)
    print_changes(sol, con)
    kp = sol.kpis
    if kp:
        con.print()
        con.print(Text("Totals", "bold"))
        tab = Table(box=None, show_header=False, pad_edge=False)
        tab.add_column("kpi", overflow="fold")
        tab.add_column("value", justify="right", overflow="fold")
        tab.add_row("formed targets", f"{kp['formed']} of {kp['targets']}")
        tab.add_row("value of formed targets", f"{kp['value']:,.2f}")
        tab.add_row(f"spend ({cur})", m(kp["spend"]))
        bu = kp["budget_use"]
        if bu["total"]["budget"] is not None:
            tot = bu["total"]
            tab.add_row("total budget use", f"{m(tot['spend'])} / {m(tot['budget'])}")
        for sid, u in bu["sponsors"].items():
            b = f" / {m(u['budget'])} ({u['use']:.0%})" if u["budget"] else ""
            tab.add_row(f"sponsor {sid}", f"{m(u['spend'])}{b}")
        tab.add_row("members (distinct actors)", f"{kp['members']} ({kp['distinct_actors']})")
        tab.add_row("state-enterprise share", f"{kp['state_share']:.1%}")
        tab.add_row("private members", str(kp["private_members"]))
        if kp["outside_region_share"] is not None:
            tab.add_row("outside-region share", f"{kp['outside_region_share']:.1%}")
        if kp["mean_distance_km"] is not None:
            tab.add_row("mean member-site distance", f"{kp['mean_distance_km']:.1f} km")
        tab.add_row("ties realised", f"{kp['ties_realised']} (weight {kp['ties_weight']:g})")
        con.print(tab)
        print_objective_terms(kp.get("objective_terms"), con, verbosity)
    print_by_year(inst, sol, con)


def print_changes(sol: Solution, con: Console) -> None:
    """``solve --incumbent``: the changes from the plan in force."""
    changes = sol.extra.get("changes")
    if changes is None:
        return
    info = sol.extra.get("incumbent") or {}
    con.print()
    pen = info.get("penalty")
    how = "least change" if pen is None else f"each at {pen:g}"
    con.print(Text(f"Changes from the plan in force ({info.get('changes', len(changes))}; "
                   f"{how})", "bold"))
    if not changes:
        con.print("none: the plan in force stands")
        return
    tab = _table(("target", "text"), ("change", "text"), ("before", "text"), ("after", "text"))
    for c in changes:
        tab.add_row(c["target"], c["kind"].replace("_", " "), c["before"] or "-",
                    c["after"] or "-")
    con.print(tab)


def print_objective_terms(terms: dict | None, con: Console, verbosity: int = NORMAL) -> None:
    """Where the objective comes from: its value, cost, distance and ties terms
    (weighted, signed: they add up to the objective), per consortium and in total."""
    if not terms:
        return
    con.print()
    con.print(Text("Objective by term (weighted; value - cost - distance + ties)", "bold"))
    tab = _table(("consortium", "text"), ("value", "money"), ("cost", "money"),
                 ("distance", "money"), ("ties", "money"), ("total", "money"))
    if verbosity >= NORMAL:
        for r in terms.get("by_consortium", []):
            tab.add_row(r["target"], *(f"{r[k]:,.4f}" for k in OBJECTIVE_TERMS))
    tab.add_row("total", *(f"{terms[k]:,.4f}" for k in OBJECTIVE_TERMS), style="bold")
    con.print(tab)


OBJECTIVE_TERMS = ("value", "cost", "distance", "ties", "total")


def print_by_year(inst: Instance, sol: Solution, con: Console) -> None:
    """SPEC 7.3: what is paid in each year (in total and by the sponsors with a
    yearly budget or spend, at most four; each against its yearly cap), the
    consortia started and how many are active."""
    rows = sol.kpis.get("by_year") if sol.kpis else None
    if not rows:
        return
    nd = digits(inst.currency)
    caps = inst.policy.total_budget_by_year or {}
    capped = [sp for sp in inst.sponsors if sp.budget_by_year]
    spending = [sp for sp in inst.sponsors if not sp.budget_by_year
                and any(r["spend_by_sponsor"].get(sp.id) for r in rows)]
    sponsors = (capped + spending)[:4]

    def paid(x: float, cap: float | None) -> str:
        return fmt(x, nd) + (f" / {fmt(cap, nd)}" if cap is not None else "")

    con.print(Text(f"By year ({inst.currency or 'money units'}; paid / yearly cap)", "bold"))
    tab = _table(("year", "text"), ("paid", "money"), *((sp.id, "money") for sp in sponsors),
                 ("started", "text"), ("active", "money"))
    for r in rows:
        key = str(r["year"])
        cells = [paid(r["spend_by_sponsor"].get(sp.id, 0.0), (sp.budget_by_year or {}).get(key))
                 for sp in sponsors]
        tab.add_row(key, paid(r["spend"], caps.get(key)), *cells,
                    ", ".join(r["started"]) or "-", str(len(r["active"])))
    con.print(tab)


def print_tsv(inst: Instance, sol: Solution, file: TextIO | None = None) -> None:
    """The contracts as one TSV table (header first; money at the currency's precision)."""
    from ..result.tables import solution_tables

    out = file or sys.stdout
    nd = digits(inst.currency)
    head, rows = solution_tables(sol, inst)["contracts"]

    def cell(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return fmt(v, nd).replace(",", "")
        return str(v).replace("\t", " ").replace("\n", " ")

    out.write("\t".join(head) + "\n")
    for r in rows:
        out.write("\t".join(cell(v) for v in r) + "\n")


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
