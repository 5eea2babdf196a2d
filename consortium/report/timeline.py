"""A programme's years in the HTML report (SPEC 7.3): the consortia on a
timeline with their ``after`` chains, and what each sponsor pays per year
against its yearly budget."""

from __future__ import annotations

from typing import Any

from .figures import _figure, _style, _svg
from .view import Plan

# Above this many consortia one row each would make the page very tall: the
# timeline then shows how many consortia of each colour group are active.
ROWS = 60


def figure_timeline(plan: Plan) -> str | None:
    """The timeline as inline SVG (None without a programme or a dated plan)."""
    fig = timeline_figure(plan)
    return None if fig is None else _svg(fig, "timeline")


def timeline_figure(plan: Plan) -> Any:
    pr = plan.inst.programme
    dated = [c for c in plan.consortia if c.start is not None and c.end is not None]
    if pr is None or not dated:
        return None
    years = pr.year_list
    if len(dated) > ROWS:
        return _active_by_group(plan, dated, years)
    dated.sort(key=lambda c: (c.start, c.end, c.target))
    row = {c.target: i for i, c in enumerate(dated)}
    fig = _figure(10, 0.28 * len(dated) + 1.2)
    ax = fig.subplots()
    for c in dated:
        assert c.start is not None and c.end is not None
        ax.barh(row[c.target], c.end - c.start + 1, left=c.start, height=0.6,
                color=plan.colour.get(c.target, "#4477aa"), edgecolor="white")
    # after chains: an arrow from the end of u to the start of t
    tmap = {t.id: t for t in plan.inst.targets}
    for c in dated:
        for u in tmap[c.target].after:
            if u in row:
                cu = dated[row[u]]
                assert cu.end is not None and c.start is not None
                ax.annotate("", xy=(c.start, row[c.target]), xytext=(cu.end + 1, row[u]),
                            arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 0.8})
    ax.set_yticks(range(len(dated)), [c.target for c in dated], fontsize=7)
    ax.invert_yaxis()
    ax.set_xticks([y + 0.5 for y in years], [str(y) for y in years])
    ax.set_xlim(years[0], years[-1] + 1)
    for y in years[1:]:
        ax.axvline(y, color="#dddddd", lw=0.6, zorder=0)
    for m in pr.milestones:
        ax.axvline(m.year + 1, color="#cc3311", lw=1, ls="--")
        ax.text(m.year + 1, -0.8, f"milestone: {m.min_formed} by {m.year}", fontsize=7,
                color="#cc3311", ha="right")
    ax.set_xlabel("programme year (a bar covers the consortium's active years)")
    _style(ax)
    return fig


def _active_by_group(plan: Plan, dated: list, years: list[int]) -> Any:
    """Many consortia: active consortia per year, stacked by colour group."""
    fig = _figure(10, 3.6)
    ax = fig.subplots()
    groups = list(plan.groups) or ["consortia"]
    bottom = [0] * len(years)
    for g in groups:
        counts = [sum(1 for c in dated if plan.group_of.get(c.target, groups[0]) == g
                      and c.start <= y <= c.end) for y in years]
        if not any(counts):
            continue
        ax.bar([str(y) for y in years], counts, bottom=bottom, label=f"{plan.colour_by} {g}",
               color=plan.groups.get(g, "#4477aa"))
        bottom = [b + n for b, n in zip(bottom, counts, strict=True)]
    for i, n in enumerate(bottom):
        ax.text(i, n, str(n), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("consortia active")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=5, fontsize=7,
              frameon=False)
    _style(ax)
    return fig


def figure_spend_by_year(plan: Plan) -> str | None:
    """Paid per year by each sponsor (stacked), with each yearly cap marked."""
    rows = plan.sol.kpis.get("by_year") if plan.sol.kpis else None
    if not rows:
        return None
    inst = plan.inst
    sponsors = [s.id for s in inst.sponsors
                if any(r["spend_by_sponsor"].get(s.id) for r in rows) or s.budget_by_year]
    years = [str(r["year"]) for r in rows]
    n = max(1, len(sponsors))
    fig = _figure(10, 3.8)
    ax = fig.subplots()
    width = 0.8 / n
    from .view import PALETTE

    for i, sid in enumerate(sponsors):
        xs = [k - 0.4 + width * (i + 0.5) for k in range(len(years))]
        paid = [r["spend_by_sponsor"].get(sid, 0.0) for r in rows]
        ax.bar(xs, paid, width=width * 0.9, color=PALETTE[i % len(PALETTE)], label=sid)
        caps = next(s for s in inst.sponsors if s.id == sid).budget_by_year or {}
        for x, y in zip(xs, years, strict=True):
            if y in caps:
                ax.hlines(caps[y], x - width / 2, x + width / 2, colors="black", lw=1.5)
    total_caps = inst.policy.total_budget_by_year or {}
    for k, y in enumerate(years):
        total = rows[k]["spend"]
        label = f"{total:,.1f}" + (f" / {total_caps[y]:,.1f}" if y in total_caps else "")
        top = max([r["spend_by_sponsor"].get(s, 0.0) for r in rows[k:k + 1] for s in sponsors]
                  + [0.0])
        ax.text(k, top, f"year total {label}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(years)), years)
    cur = inst.currency or "money units"
    ax.set_ylabel(f"paid in the year ({cur})")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=6, fontsize=7,
              frameon=False, title="sponsor (black bar: its yearly budget)", title_fontsize=7)
    _style(ax)
    return _svg(fig, "spend-by-year")
