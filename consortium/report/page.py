"""``consortium report``'s page: one self-contained HTML file about a plan.

The page holds summary KPIs and the independent verifier's verdict, one table
of contracts per consortium, a map of sites and members, the network of
formed consortia, budget use per sponsor, the targets not formed with their
reasons and, given a sweep's results file, the sweep's figure. The HTML is
the Jinja2 template ``templates/report.html.j2`` (autoescaped); this module
works out what goes in it. Figures are matplotlib SVG written inline
(:mod:`.figures`); there is no script, no web font, no map tile and no other
external resource, so the file can be mailed or archived and opens offline.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..io.instance import Instance
from ..model.eligibility import haversine_km
from ..result.money import fmt as fmt_money
from ..result.solution import Solution
from .figures import (
    budget_rows,
    figure_budgets,
    figure_map,
    figure_network,
    figure_sweep,
    top_consortia,
)
from .timeline import figure_spend_by_year, figure_timeline
from .view import read_plan

if TYPE_CHECKING:
    import jinja2

    from ..sweep.store import SweepResults


def money(x: Any, digits: int = 2) -> str:
    """Money as every output writes it (half-up, float noise removed: see
    :mod:`consortium.result.money`)."""
    return "–" if x is None else fmt_money(float(x), digits)


def pct(x: Any, digits: int = 1) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def num(x: Any, digits: int = 4) -> str:
    return f"{x:,.{digits}f}"


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("consortium.report", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
                             finalize=lambda v: "" if v is None else v)
    env.filters.update(money=money, pct=pct, num=num)
    return env


def _css() -> str:
    return (
        resources.files("consortium.report")
        .joinpath("templates", "report.css")
        .read_text(encoding="utf-8")
    )


def _markup(svg: str | None) -> Any:
    from markupsafe import Markup

    return None if svg is None else Markup(svg)


def render_report(inst: Instance, solution: Solution | dict[str, Any],
                  sweep: SweepResults | None = None, verify_raw: dict[str, Any] | None = None,
                  title: str | None = None, explain: dict[str, Any] | None = None) -> str:
    """The report as one HTML string. ``verify_raw``: the raw instance, to re-check the plan.
    ``explain``: the result of ``consortium explain`` (its JSON) for the plan: the
    table of unformed targets gets a column "what would form it"."""
    from markupsafe import Markup

    data = solution.to_dict() if isinstance(solution, Solution) else solution
    plan = read_plan(inst, data)
    sol = plan.sol
    cur = inst.currency
    cur_s = f" ({cur})" if cur else ""
    actors = {a.id: a for a in inst.actors}
    tmap = {t.id: t for t in inst.targets}
    smap = {s.id: s for s in inst.sites}
    name = title or data.get("instance") or inst.display_name
    kp = sol.kpis
    sections = [
        ("summary", "Summary"),
        ("consortia", "Consortia"),
        ("map", "Map"),
        ("network", "Network"),
        ("budgets", "Budgets"),
        ("unformed", "Targets not formed"),
    ]
    if inst.programme is not None:
        sections.insert(5, ("years", "Years"))
    if sweep is not None:
        sections.append(("sweep", "Sweep"))
    solver = sol.solver
    obj = sol.objective if isinstance(sol.objective, (int, float)) else None

    verified = None
    if verify_raw is not None:
        from ..verify import verify_solution

        verified = verify_solution(verify_raw, data)

    # ---- summary cards
    brows = budget_rows(plan)
    total = brows[-1]
    members = sum(len(c.members) for c in plan.consortia)
    cards = [
        (
            "targets formed",
            f"{len(plan.consortia)} of {len(inst.targets)}",
            f"value {money(sum(tmap[c.target].value for c in plan.consortia), 1)}{cur_s}",
        ),
        ("objective", money(obj, 2) if obj is not None else "–", sol.status.value),
        (
            f"total spend{cur_s}",
            money(total["spend"], 2),
            f"of {money(total['budget'], 1)} ({total['spend'] / total['budget']:.0%})"
            if total["budget"]
            else "no total cap",
        ),
        ("members", str(members), f"{len(plan.joins)} distinct actors"),
        ("in several consortia", str(len(plan.multi)), ", ".join(sorted(plan.multi))[:60]),
    ]
    for key, label, fmt in (
        ("state_share", "state-enterprise share", pct),
        ("private_members", "private members", str),
        ("outside_region_share", "outside-region share", pct),
        ("mean_distance_km", "mean distance to site", lambda v: f"{v:,.0f} km"),
        ("ties_realised", "prior ties inside", str),
    ):
        if kp.get(key) is not None:
            cards.append((label, fmt(kp[key]), ""))

    # ---- one table of contracts per consortium; the instruments (which depend
    # on the actor type alone) once, in a table of their own
    consortia = []
    instruments: dict[str, str] = {}
    for c in plan.consortia:
        t = tmap[c.target]
        s = smap[c.site]
        lead = actors[c.lead]
        rows = []
        tot = [0.0, 0.0, 0.0, 0.0]
        for k in c.contracts:
            a = actors[k.actor]
            dist = haversine_km(a.lat, a.lon, s.lat, s.lon)
            cell = Markup("<b>{}</b>").format(a.id) if k.role == "lead" else a.id
            if a.id in plan.multi:
                others = ", ".join(x for x in plan.joins[a.id] if x != t.id)
                cell = Markup('{}<span class="badge multi" title="also in {}">+{}</span>').format(
                    cell, others, others
                )
            vals = [float(x or 0.0) for x in (k.base, k.lead_fee, k.bonus, k.reward)]
            tot = [p + q for p, q in zip(tot, vals, strict=False)]
            rows.append(
                [
                    cell,
                    a.name or "",
                    f"{a.type}, {a.ownership}, {a.region}",
                    k.role,
                    "; ".join(f"{d['capability']} ≥ {d['level']}" for d in k.deliverables) or "–",
                    f"{dist:,.0f}",
                    money(vals[0]),
                    money(vals[1]),
                    money(vals[2]),
                    money(vals[3]),
                ]
            )
            instruments.setdefault(a.type, "; ".join(k.instruments) or "–")
        consortia.append(
            {
                "id": t.id,
                "name": t.name or "",
                "mode": t.mode,
                "mandatory": t.mandatory,
                "colour": plan.colour[t.id],
                "lead": lead.id,
                "lead_name": lead.name or "",
                "site": s.id,
                "site_name": s.name or "",
                "sponsor": t.sponsor or "none",
                "n_members": len(c.members),
                "value": t.value,
                "spend": float(c.spend or 0.0),
                "budget": t.budget,
                "rows": rows,
                "total": [
                    "total",
                    "",
                    "",
                    "",
                    "",
                    "",
                    money(tot[0]),
                    money(tot[1]),
                    money(tot[2]),
                    money(tot[3]),
                ],
            }
        )

    budget_table = [
        [
            r["id"],
            r["name"] or "",
            ", ".join(t for t, _v in r["parts"]) or "–",
            money(r["spend"]),
            money(r["budget"]) if r["budget"] is not None else "no cap",
            f"{r['spend'] / r['budget']:.1%}" if r["budget"] else "–",
        ]
        for r in brows
    ]
    unformed = [
        [
            u["target"],
            tmap[u["target"]].name or "",
            tmap[u["target"]].mode,
            tmap[u["target"]].sponsor or "–",
            money(tmap[u["target"]].value),
            u.get("reason", ""),
        ]
        for u in sol.unformed
    ]
    explain = explain if explain is not None else data.get("explain")
    if explain:
        from .whatif import explain_lines

        forms = {e["target"]: "; ".join(e["repairs"]) or e["note"] or "–"
                 for e in explain_lines(explain)}
        for row in unformed:
            row.append(forms.get(row[0], "–"))

    sweep_ctx = None
    if sweep is not None:
        svg = figure_sweep(sweep)
        head = ["scenario", *sweep.params, "status", "objective", f"spend{cur_s}", "formed"]
        has = {"optimal", "feasible"}

        def metric(r: dict[str, Any], key: str, digits: int) -> str:
            v = r.get(key)
            ok = (
                isinstance(v, (int, float))
                and not isinstance(v, bool)
                and v == v
                and r.get("status") in has
            )
            return money(v, digits) if ok else "–"

        srows = [
            [
                r.get("scenario", i),
                *[r.get(p) for p in sweep.params],
                r.get("status"),
                metric(r, "objective", 3),
                metric(r, "spend", 2),
                r.get("formed"),
            ]
            for i, r in enumerate(sweep.rows[:300])
        ]
        n = len(head)
        sweep_ctx = {
            "file": Path(sweep.path).name,
            "n": len(sweep.rows),
            "params": ", ".join(sweep.params),
            "svg": Markup(svg) if svg else None,
            "head": head,
            "rows": srows,
            "numeric": (n - 3, n - 2, n - 1),
            "more": len(sweep.rows) > 300,
            "note": sweep.note,
        }

    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            name=name,
            css=Markup(_css()),
            status=sol.status.value,
            objective=obj,
            bound=sol.bound,
            gap=sol.gap,
            solver={
                "name": solver.get("name"),
                "version": solver.get("version", ""),
                "time_s": solver.get("time_s")
                if isinstance(solver.get("time_s"), (int, float))
                else None,
            },
            sections=sections,
            verified=verified,
            other_instance=data.get("instance")
            if inst.name and data.get("instance") and data.get("instance") != inst.name
            else None,
            inst_name=inst.name,
            diagnosis=sol.diagnosis,
            cards=cards,
            consortia=consortia,
            cur_s=cur_s,
            map_svg=Markup(figure_map(plan)) if plan.consortia else None,
            network_svg=Markup(figure_network(plan)) if plan.consortia else None,
            budgets_svg=Markup(figure_budgets(plan, brows)),
            timeline_svg=_markup(figure_timeline(plan)),
            spend_by_year_svg=_markup(figure_spend_by_year(plan)),
            programme=inst.programme,
            budget_table=budget_table,
            instruments=sorted(instruments.items()),
            colour_by=plan.colour_by,
            groups=list(plan.groups.items()) if plan.large else [],
            top_networks=len(top_consortia(plan)) if plan.large else 0,
            unformed=unformed,
            explained=bool(explain),
            sweep=sweep_ctx,
            inst_name_display=inst.display_name,
        )
    )
