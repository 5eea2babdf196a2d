"""``consortium report``: one self-contained HTML page about a plan.

The page holds summary KPIs, one table of contracts per consortium, a map of
sites and members, the network of formed consortia, budget use per sponsor,
the targets not formed with their reasons and, given a sweep's results file,
objective and spend against the swept parameter. Figures are matplotlib SVG
written inline; there is no script, no web font, no map tile and no other
external resource, so the file can be mailed or archived and opens offline.

One ``plot_*`` function per figure (as in PyVRP's ``plotting``), each taking a
matplotlib ``Axes`` so the figures can be reused or tested alone. Heavy
imports live inside the functions: the CLI imports this module at every start.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

__all__ = ["render_report", "report_command", "ReportError", "read_sweep"]

# Colour-blind friendly qualitative palette (Okabe-Ito, then Tableau).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#76B7B2", "#EDC948", "#FF9DA7"]
TYPE_COLOURS = {"institute": "#4E79A7", "university": "#76B7B2", "lab": "#59A14F",
                "enterprise": "#F28E2B", "sme": "#EDC948"}
MULTI = "#C0392B"  # actors in several consortia


class ReportError(Exception):
    """Invalid input for a report (one line)."""


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x))


def _money(x: Any, digits: int = 2) -> str:
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


# ---------------------------------------------------------------- the plan, checked


@dataclass
class Plan:
    """The solution read against its instance (ids resolved, nothing recomputed)."""

    inst: Any
    sol: dict[str, Any]
    consortia: list[dict[str, Any]]
    colour: dict[str, str] = field(default_factory=dict)  # target -> colour
    joins: dict[str, list[str]] = field(default_factory=dict)  # actor -> targets

    @property
    def multi(self) -> set[str]:
        return {a for a, ts in self.joins.items() if len(ts) > 1}


def read_plan(inst: Any, sol: Any, source: str = "solution") -> Plan:
    """Check that the solution belongs to the instance (every id known); ReportError if not."""
    if not isinstance(sol, dict):
        raise ReportError(f"{source}: (top level): must be a JSON object")
    fmt = sol.get("format", "consortium-solution/1")
    if fmt != "consortium-solution/1":
        raise ReportError(f"{source}: format: unknown format {fmt!r} (expected 'consortium-solution/1')")
    targets = {t.id for t in inst.targets}
    actors = {a.id for a in inst.actors}
    sites = {s.id for s in inst.sites}
    cons = sol.get("consortia") or []
    if not isinstance(cons, list):
        raise ReportError(f"{source}: consortia: must be a list")
    for i, c in enumerate(cons):
        p = f"{source}: consortia[{i}]"
        if not isinstance(c, dict):
            raise ReportError(f"{p}: must be an object")
        for key, known, what in (("target", targets, "target"), ("site", sites, "site"), ("lead", actors, "actor")):
            if c.get(key) not in known:
                raise ReportError(f"{p}.{key}: unknown {what} {c.get(key)!r} (not in the instance)")
        members = c.get("members")
        if not isinstance(members, list):
            raise ReportError(f"{p}.members: must be a list of actor ids")
        for j, a in enumerate(members):
            if a not in actors:
                raise ReportError(f"{p}.members[{j}]: unknown actor {a!r} (not in the instance)")
        contracts = c.get("contracts") or []
        if not isinstance(contracts, list):
            raise ReportError(f"{p}.contracts: must be a list")
        for j, k in enumerate(contracts):
            if not isinstance(k, dict) or k.get("actor") not in actors:
                raise ReportError(f"{p}.contracts[{j}].actor: unknown actor "
                                  f"{k.get('actor') if isinstance(k, dict) else k!r}")
            for num in ("base", "lead_fee", "bonus", "reward"):
                v = k.get(num, 0)
                if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                    raise ReportError(f"{p}.contracts[{j}].{num}: not a finite number ({v!r})")
        if not isinstance(c.get("spend", 0), (int, float)):
            raise ReportError(f"{p}.spend: not a number")
    for i, u in enumerate(sol.get("unformed") or []):
        if not isinstance(u, dict) or u.get("target") not in targets:
            raise ReportError(f"{source}: unformed[{i}].target: unknown target "
                              f"{u.get('target') if isinstance(u, dict) else u!r}")
    plan = Plan(inst, sol, cons)
    for i, c in enumerate(cons):
        plan.colour[c["target"]] = PALETTE[i % len(PALETTE)]
        for a in c["members"]:
            plan.joins.setdefault(a, []).append(c["target"])
    return plan


# ---------------------------------------------------------------- figures


def _svg(fig: Any, salt: str) -> str:
    """A matplotlib figure as an inline ``<svg>`` element (no XML prolog, no metadata)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    s = buf.getvalue()
    s = s[s.index("<svg"):]
    s = re.sub(r"<metadata>.*?</metadata>", "", s, flags=re.S)
    # Namespaces are implied for <svg> inside HTML; dropping them leaves no URL at all.
    s = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", s)
    m = re.match(r'<svg([^>]*?)\swidth="([\d.]+)pt"\s+height="([\d.]+)pt"', s)
    if m:
        w = float(m.group(2)) * 4 / 3  # pt -> CSS px
        s = s.replace(m.group(0), f'<svg{m.group(1)} class="fig" style="max-width:{w:.0f}px"', 1)
    return s


def _figure(w: float, h: float) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h))
    fig.patch.set_facecolor("white")
    return fig


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=8)


def plot_map(plan: Plan, ax: Any, bbox: tuple[float, float, float, float] | None = None,
             labels: bool = True) -> None:
    """Sites (stars), members (dots coloured by consortium) and lines member -> site."""
    inst = plan.inst
    actors = {a.id: a for a in inst.actors}
    sites = {s.id: s for s in inst.sites}
    used = set(plan.joins)
    others = [a for a in inst.actors if a.id not in used]
    if others:
        many = len(others) > 400
        ax.scatter([a.lon for a in others], [a.lat for a in others], s=4 if many else 9, c="#c8c8c8", lw=0,
                   alpha=0.6 if many else 1.0, zorder=1, label="actor not in a consortium")
    for c in plan.consortia:
        s = sites[c["site"]]
        col = plan.colour[c["target"]]
        for a_id in c["members"]:
            a = actors[a_id]
            ax.plot([a.lon, s.lon], [a.lat, s.lat], color=col, lw=0.9, alpha=0.55, zorder=2)
        ms = [actors[a] for a in c["members"] if a != c["lead"]]
        ax.scatter([a.lon for a in ms], [a.lat for a in ms], s=26, color=col, edgecolor="white",
                   lw=0.6, zorder=3, label=f"{c['target']}")
        lead = actors[c["lead"]]
        ax.scatter([lead.lon], [lead.lat], s=60, color=col, marker="D", edgecolor="black", lw=0.7, zorder=4)
    multi = [actors[a] for a in plan.multi]
    if multi:
        ax.scatter([a.lon for a in multi], [a.lat for a in multi], s=110, facecolor="none",
                   edgecolor=MULTI, lw=1.4, zorder=5, label="in several consortia")
    chosen = {c["site"] for c in plan.consortia}
    for s in inst.sites:
        on = s.id in chosen
        ax.scatter([s.lon], [s.lat], marker="*", s=240 if on else 120, color="black" if on else "white",
                   edgecolor="black", lw=0.8, zorder=6)
        if labels and (bbox is None or (bbox[0] <= s.lon <= bbox[1] and bbox[2] <= s.lat <= bbox[3])):
            ax.annotate(s.id, (s.lon, s.lat), xytext=(6, 5), textcoords="offset points", fontsize=8,
                        fontweight="bold" if on else "normal", zorder=7,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
    if bbox is not None:
        ax.set_xlim(bbox[0], bbox[1])
        ax.set_ylim(bbox[2], bbox[3])
    lat0 = sum(ax.get_ylim()) / 2
    ax.set_aspect(1 / max(math.cos(math.radians(lat0)), 0.1))
    ax.set_xlabel("longitude (°E)", fontsize=8)
    ax.set_ylabel("latitude (°N)", fontsize=8)
    ax.grid(True, color="#eeeeee", lw=0.6)
    _style(ax)


def _bounds(points: list[tuple[float, float]], pad: float) -> tuple[float, float, float, float]:
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    w = max(max(lons) - min(lons), 0.05)
    h = max(max(lats) - min(lats), 0.05)
    return (min(lons) - pad * w, max(lons) + pad * w, min(lats) - pad * h, max(lats) + pad * h)


def figure_map(plan: Plan) -> str:
    from matplotlib.lines import Line2D

    inst = plan.inst
    actors = {a.id: a for a in inst.actors}
    pts = [(s.lon, s.lat) for s in inst.sites] + [(actors[a].lon, actors[a].lat) for a in plan.joins]
    full = _bounds(pts, 0.06)
    # A second panel around the chosen sites when members spread far beyond them:
    # the clusters where consortia sit are otherwise a blot.
    chosen = {c["site"] for c in plan.consortia}
    near = _bounds([(s.lon, s.lat) for s in inst.sites if s.id in chosen], 0.0)
    pad = max(0.35 * max(near[1] - near[0], near[3] - near[2]), 0.12)
    near = (near[0] - pad, near[1] + pad, near[2] - pad, near[3] + pad)
    zoom = (full[1] - full[0]) > 2.5 * (near[1] - near[0]) or (full[3] - full[2]) > 2.5 * (near[3] - near[2])
    fig = _figure(11, 5.6 if zoom else 6.5)
    if zoom:
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
        plot_map(plan, ax1, full, labels=False)
        ax1.set_title("all members", fontsize=10)
        plot_map(plan, ax2, near)
        ax2.set_title("around the chosen sites", fontsize=10)
        from matplotlib.patches import Rectangle

        ax1.add_patch(Rectangle((near[0], near[2]), near[1] - near[0], near[3] - near[2], fill=False,
                                ec="#555555", lw=0.8, ls=":", zorder=8))
    else:
        ax = fig.subplots()
        plot_map(plan, ax, full)
    handles = [Line2D([], [], marker="o", ls="-", lw=0.9, color=plan.colour[c["target"]], markersize=5,
                      label=c["target"]) for c in plan.consortia]
    handles += [
        Line2D([], [], marker="D", ls="", color="#888888", markeredgecolor="black", markersize=6, label="lead"),
        Line2D([], [], marker="*", ls="", color="black", markersize=11, label="chosen site"),
        Line2D([], [], marker="*", ls="", color="white", markeredgecolor="black", markersize=9,
               label="candidate site not chosen"),
        Line2D([], [], marker="o", ls="", color="#c8c8c8", markersize=4, label="actor not in a consortium"),
    ]
    if plan.multi:
        handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="none", markeredgecolor=MULTI,
                              markersize=9, label="in several consortia"))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, -0.02))
    fig.subplots_adjust(bottom=0.2, wspace=0.25)
    return _svg(fig, "map")


def plot_network(plan: Plan, ax: Any) -> None:
    """Actors joined to the consortia they are in; ties dashed; multi-consortium actors in red."""
    import networkx as nx

    inst = plan.inst
    actors = {a.id: a for a in inst.actors}
    g = nx.Graph()
    for c in plan.consortia:
        g.add_node(("t", c["target"]))
        for a in c["members"]:
            g.add_node(("a", a))
            g.add_edge(("t", c["target"]), ("a", a), kind="lead" if a == c["lead"] else "member",
                       target=c["target"])
    ties = []
    for tie in inst.ties:
        if ("a", tie.a) in g and ("a", tie.b) in g:
            ties.append((("a", tie.a), ("a", tie.b), tie.weight))
    pos = _network_layout(g)
    many = len(g) > 160
    member_edges = [(u, v) for u, v, d in g.edges(data=True) if d["kind"] == "member"]
    lead_edges = [(u, v) for u, v, d in g.edges(data=True) if d["kind"] == "lead"]
    ecol = lambda es: [plan.colour[(u if u[0] == "t" else v)[1]] for u, v in es]  # noqa: E731
    nx.draw_networkx_edges(g, pos, edgelist=member_edges, edge_color=ecol(member_edges), width=1.0,
                           alpha=0.7, ax=ax)
    nx.draw_networkx_edges(g, pos, edgelist=lead_edges, edge_color=ecol(lead_edges), width=3.0, ax=ax)
    if ties:
        tg = nx.Graph()
        tg.add_edges_from([(a, b) for a, b, _w in ties])
        nx.draw_networkx_edges(tg, pos, style="dashed", edge_color="#666666",
                               width=[0.6 + 0.5 * w for _a, _b, w in ties], ax=ax)
    tnodes = [n for n in g if n[0] == "t"]
    nx.draw_networkx_nodes(g, pos, nodelist=tnodes, node_shape="s", node_size=520,
                           node_color=[plan.colour[n[1]] for n in tnodes], edgecolors="black",
                           linewidths=0.8, ax=ax)
    anodes = [n for n in g if n[0] == "a"]
    multi = plan.multi
    nx.draw_networkx_nodes(g, pos, nodelist=anodes, node_size=[170 if n[1] in multi else 90 for n in anodes],
                           node_color=[TYPE_COLOURS.get(actors[n[1]].type, "#999999") for n in anodes],
                           edgecolors=[MULTI if n[1] in multi else "white" for n in anodes],
                           linewidths=[2.2 if n[1] in multi else 0.6 for n in anodes], ax=ax)
    if not many:
        nx.draw_networkx_labels(g, pos, labels={n: n[1] for n in tnodes}, font_size=7, font_weight="bold",
                                ax=ax, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none",
                                             "alpha": 0.85})
        for n in anodes:
            x, y = pos[n]
            ax.annotate(n[1], (x, y), xytext=(0, -9), textcoords="offset points", ha="center", va="top",
                        fontsize=6.5, color=MULTI if n[1] in multi else "#333333",
                        fontweight="bold" if n[1] in multi else "normal")
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.margins(0.04)


def _network_layout(g: Any) -> dict[Any, tuple[float, float]]:
    """Each connected group of consortia laid out alone, the groups packed in rows.

    A spring layout of the whole graph flings unconnected consortia to the
    corners and squeezes each into a dot; laying out components separately
    keeps every consortium legible.
    """
    import networkx as nx

    comps = sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: (-len(c), c))
    boxes = []
    for comp in comps:
        sub = g.subgraph(comp)
        if len(comp) == 1:
            lay = {comp[0]: (0.0, 0.0)}
        elif len(comp) <= 120:
            # scale by the diameter: about the same edge length in every group
            lay = nx.kamada_kawai_layout(sub, scale=0.55 * nx.diameter(sub))
        else:
            lay = nx.spring_layout(sub, seed=7, scale=0.55 * math.sqrt(len(comp)))
        xs = [p[0] for p in lay.values()]
        ys = [p[1] for p in lay.values()]
        boxes.append((lay, min(xs), max(xs), min(ys), max(ys)))

    def pack(row_w: float) -> tuple[dict[Any, tuple[float, float]], float, float]:
        pos: dict[Any, tuple[float, float]] = {}
        x = y = row_h = width = 0.0
        for lay, x0, x1, y0, y1 in boxes:
            w, h = x1 - x0 + 1.2, y1 - y0 + 1.2
            if x > 0 and x + w > row_w + 1e-9:
                x, y, row_h = 0.0, y - row_h, 0.0
            for n, (px, py) in lay.items():
                pos[n] = (x + (px - x0) + 0.6, y - (y1 - py) - 0.6)
            x += w
            width = max(width, x)
            row_h = max(row_h, h)
        return pos, width, -y + row_h

    # Shelf packing; of the possible row widths keep the one giving a landscape
    # page (about 1.5 : 1), which suits the report's width.
    widths = [b[2] - b[1] + 1.2 for b in boxes]
    prefix = [sum(widths[:j]) for j in range(1, len(widths) + 1)]  # the first row is a prefix
    step = max(1, len(prefix) // 60)
    candidates = prefix[::step] + [prefix[-1]]
    best = min((pack(w) for w in candidates), key=lambda r: abs(math.log((r[1] / max(r[2], 1e-9)) / 1.5)))
    return best[0]


def figure_network(plan: Plan) -> str:
    from matplotlib.lines import Line2D

    fig = _figure(11, 7)
    ax = fig.subplots()
    plot_network(plan, ax)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    ratio = (y1 - y0) / max(x1 - x0, 1e-9)
    fig.set_size_inches(11, min(max(8.6 * ratio, 3.5), 11))
    present = {plan.inst.actors[i].type for i in range(len(plan.inst.actors))
               if plan.inst.actors[i].id in plan.joins}
    handles = [Line2D([], [], marker="s", ls="", color="#bbbbbb", markeredgecolor="black", markersize=9,
                      label="consortium (target)")]
    handles += [Line2D([], [], marker="o", ls="", color=c, markersize=7, label=t)
                for t, c in TYPE_COLOURS.items() if t in present]
    handles += [Line2D([], [], color="#777777", lw=3, label="lead"),
                Line2D([], [], color="#777777", lw=1, label="member"),
                Line2D([], [], color="#666666", lw=1, ls="--", label="prior tie")]
    if plan.multi:
        handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor=MULTI,
                              markeredgewidth=2, markersize=9, label="in several consortia"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    return _svg(fig, "network")


def budget_rows(plan: Plan) -> list[dict[str, Any]]:
    """Spend per sponsor (and in total) against its budget, split by formed target."""
    inst = plan.inst
    tmap = {t.id: t for t in inst.targets}
    rows: list[dict[str, Any]] = []
    by: dict[str | None, list[tuple[str, float]]] = {}
    for c in plan.consortia:
        by.setdefault(tmap[c["target"]].sponsor, []).append((c["target"], float(c.get("spend") or 0.0)))
    for s in inst.sponsors:
        parts = by.get(s.id, [])
        rows.append({"id": s.id, "name": s.name, "budget": s.budget, "parts": parts,
                     "spend": sum(v for _t, v in parts)})
    if by.get(None):
        parts = by[None]
        rows.append({"id": "(no sponsor)", "name": None, "budget": None, "parts": parts,
                     "spend": sum(v for _t, v in parts)})
    allparts = [p for r in rows for p in r["parts"]]
    rows.append({"id": "total", "name": "all targets", "budget": inst.policy.total_budget,
                 "parts": allparts, "spend": sum(v for _t, v in allparts)})
    return rows


def plot_budgets(plan: Plan, ax: Any, rows: list[dict[str, Any]]) -> None:
    labels = [r["id"] for r in rows]
    y = list(range(len(rows)))[::-1]
    top = max([r["spend"] for r in rows] + [r["budget"] or 0 for r in rows] + [1e-9])
    for yi, r in zip(y, rows):
        if r["budget"] is not None:
            ax.barh(yi, r["budget"], height=0.72, color="#f1f1f1", edgecolor="#888888", lw=0.8, zorder=1)
        left = 0.0
        for t, v in r["parts"]:
            ax.barh(yi, v, left=left, height=0.5, color=plan.colour[t], edgecolor="white", lw=0.5, zorder=2)
            if v > 0.06 * top:
                ax.text(left + v / 2, yi, t, ha="center", va="center", fontsize=6.5, color="white", zorder=3)
            left += v
        use = f" ({r['spend'] / r['budget']:.0%})" if r["budget"] else ""
        cap = f"{r['spend']:,.1f} / {r['budget']:,.1f}{use}" if r["budget"] is not None else \
            f"{r['spend']:,.1f} (no cap)"
        ax.text(max(r["spend"], r["budget"] or 0) + top * 0.01, yi, cap, va="center", fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, top * 1.28)
    cur = plan.inst.currency
    ax.set_xlabel(f"spend{f' ({cur})' if cur else ''}; grey box = budget", fontsize=8)
    ax.grid(True, axis="x", color="#eeeeee", lw=0.6)
    ax.set_axisbelow(True)
    _style(ax)


def figure_budgets(plan: Plan, rows: list[dict[str, Any]]) -> str:
    fig = _figure(10, 0.55 * len(rows) + 1.2)
    plot_budgets(plan, fig.subplots(), rows)
    return _svg(fig, "budgets")


# ---------------------------------------------------------------- sweeps

_RESULT_COLUMNS = {"scenario", "overrides", "status", "objective", "bound", "gap", "spend", "formed",
                   "formed_targets", "leads", "solve_time_s", "worker", "error"}


@dataclass
class Sweep:
    path: str
    params: list[str]
    rows: list[dict[str, Any]]
    note: str | None = None


def read_sweep(path: str | Path) -> Sweep:
    """The ``scenarios`` table of a ``consortium sweep`` results file.

    A missing table (a sweep that never started) gives an empty :class:`Sweep`
    with a note; a file that is not SQLite is a :class:`ReportError`.
    """
    p = Path(path)
    if not p.is_file():
        raise ReportError(f"{p}: no such file (--sweep expects the SQLite file of `consortium sweep`)")
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "scenarios" not in tables:
                return Sweep(str(p), [], [], "the file has no scenarios table (no sweep results yet)")
            cur = con.execute("SELECT * FROM scenarios ORDER BY 1")
            cols = [d[0] for d in cur.description]
            rows = [dict(zip(cols, r)) for r in cur.fetchall()]
        finally:
            con.close()
    except sqlite3.DatabaseError as e:
        raise ReportError(f"{p}: not a sweep results file ({e})") from None
    params = [c for c in cols if c not in _RESULT_COLUMNS]
    if not params and rows and "overrides" in cols:  # older layout: the overrides JSON only
        keys: list[str] = []
        for r in rows:
            try:
                ov = json.loads(r["overrides"] or "{}")
            except (TypeError, ValueError):
                ov = {}
            for k, v in (ov.items() if isinstance(ov, dict) else []):
                r.setdefault(k, v)
                if k not in keys:
                    keys.append(k)
        params = keys
    note = None
    if not rows:
        note = "the scenarios table is empty"
    elif "objective" not in cols:
        note = "the scenarios table has no objective column"
    return Sweep(str(p), params, rows, note)


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)) and math.isfinite(v):
        return float(v)
    return None


def figure_sweep(sw: Sweep, currency: str | None) -> str | None:
    """Objective and spend against the swept parameter with the most values; others as series."""
    if not sw.params or not sw.rows or sw.note:
        return None
    distinct = {p: len({json.dumps(r.get(p), sort_keys=True, default=str) for r in sw.rows}) for p in sw.params}
    xp = max(sw.params, key=lambda p: (distinct[p], -sw.params.index(p)))
    others = [p for p in sw.params if p != xp and distinct[p] > 1]
    xs_raw = [r.get(xp) for r in sw.rows]
    numeric = all(_num(v) is not None for v in xs_raw)
    cats: list[str] = []
    if not numeric:
        for v in xs_raw:
            s = "none" if v is None else str(v)
            if s not in cats:
                cats.append(s)

    def xval(v: Any) -> float:
        if numeric:
            return _num(v)  # type: ignore[return-value]
        return float(cats.index("none" if v is None else str(v)))

    series: dict[str, list[dict[str, Any]]] = {}
    for r in sw.rows:
        key = ", ".join(f"{p}={r.get(p)}" for p in others) or "all scenarios"
        series.setdefault(key, []).append(r)
    fig = _figure(10, 6.2)
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    for i, (key, rs) in enumerate(list(series.items())[:12]):
        col = PALETTE[i % len(PALETTE)]
        rs = sorted(rs, key=lambda r: xval(r.get(xp)))
        for ax, yk in ((ax1, "objective"), (ax2, "spend")):
            pts = [(xval(r.get(xp)), _num(r.get(yk))) for r in rs
                   if r.get("status") in ("optimal", "feasible") and _num(r.get(yk)) is not None]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=4, lw=1.4, color=col,
                        label=key if ax is ax1 else None)
            bad = [xval(r.get(xp)) for r in rs if r.get("status") not in ("optimal", "feasible")]
            if bad:
                ax.scatter(bad, [0] * len(bad), marker="x", color=col, s=30,
                           label=("no plan (infeasible/failed)" if ax is ax1 and i == 0 else None))
    cur = f" ({currency})" if currency else ""
    ax1.set_ylabel("objective", fontsize=8)
    ax2.set_ylabel(f"spend{cur}", fontsize=8)
    ax2.set_xlabel(xp, fontsize=9)
    if not numeric:
        ax2.set_xticks(range(len(cats)), cats)
    for ax in (ax1, ax2):
        ax.grid(True, color="#eeeeee", lw=0.6)
        _style(ax)
    if len(series) > 1 or any(r.get("status") not in ("optimal", "feasible") for r in sw.rows):
        ax1.legend(fontsize=7, frameon=False, loc="best")
    return _svg(fig, "sweep")


# ---------------------------------------------------------------- the page

CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f7f9fb; --accent:#0b5394; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       "Noto Sans", "Liberation Sans", sans-serif; color:var(--ink); background:#fff; }
main { max-width:1180px; margin:0 auto; padding:28px 32px 60px; }
header.top { border-bottom:3px solid var(--accent); padding-bottom:12px; margin-bottom:18px; }
h1 { font-size:26px; margin:0 0 4px; }
h2 { font-size:19px; margin:34px 0 10px; padding-bottom:4px; border-bottom:1px solid var(--line); }
h3 { font-size:15.5px; margin:22px 0 4px; }
.sub { color:var(--muted); margin:0; }
nav { font-size:13px; margin:8px 0 0; }
nav a { color:var(--accent); text-decoration:none; margin-right:14px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(165px, 1fr)); gap:10px; margin:14px 0; }
.card { background:var(--bg); border:1px solid var(--line); border-radius:6px; padding:9px 12px; }
.card .k { font-size:11.5px; color:var(--muted); text-transform:uppercase; letter-spacing:.03em; }
.card .v { font-size:20px; font-weight:600; font-variant-numeric:tabular-nums; }
.card .d { font-size:11.5px; color:var(--muted); }
table { border-collapse:collapse; width:100%; margin:6px 0 10px; font-size:12.5px; }
th, td { padding:5px 7px; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
th { background:var(--bg); font-weight:600; }
td.n, th.n { text-align:right; font-variant-numeric:tabular-nums; }
td.n { white-space:nowrap; }
tr.total td { font-weight:600; border-top:2px solid #cbd2d9; background:#fbfcfd; }
.meta { color:var(--muted); font-size:12.5px; margin:0 0 4px; }
.swatch { display:inline-block; width:11px; height:11px; border-radius:2px; margin-right:6px;
          vertical-align:-1px; }
.badge { display:inline-block; font-size:11px; padding:1px 7px; border-radius:9px; background:#e8eef6;
         color:var(--accent); margin-left:6px; font-weight:600; }
.badge.multi { background:#fbe9e7; color:#b03a2e; display:table; margin:2px 0 0; }
td:first-child, th:first-child { white-space:nowrap; }
td.small { font-size:11.5px; color:#3e4c59; min-width:110px; }
.scroll { overflow-x:auto; }
.ok { background:#e6f4ea; border:1px solid #b7dfc2; color:#1e6b34; padding:8px 12px; border-radius:6px; }
.warn { background:#fdecea; border:1px solid #f5c2bd; color:#8a1f11; padding:8px 12px; border-radius:6px; }
.note { color:var(--muted); font-style:italic; }
figure { margin:10px 0 4px; }
figure svg.fig { width:100%; height:auto; display:block; }
figcaption { color:var(--muted); font-size:12.5px; margin-top:4px; }
footer { margin-top:40px; color:var(--muted); font-size:12px; border-top:1px solid var(--line); padding-top:8px; }
@media print { main { max-width:none; padding:0; } h2 { break-before:auto; } .consortium { break-inside:avoid; } }
"""


def _card(k: str, v: str, d: str = "") -> str:
    return f'<div class="card"><div class="k">{_e(k)}</div><div class="v">{_e(v)}</div>' + \
        (f'<div class="d">{_e(d)}</div>' if d else "") + "</div>"


def _table(head: list[str], rows: list[list[Any]], numeric: set[int] = frozenset(),  # type: ignore[assignment]
           total: list[Any] | None = None, raw: set[int] = frozenset(),  # type: ignore[assignment]
           small: set[int] = frozenset()) -> str:  # type: ignore[assignment]
    cls = lambda i: ' class="n"' if i in numeric else ' class="small"' if i in small else ""  # noqa: E731
    out = ['<div class="scroll"><table><thead><tr>' + "".join(f"<th{cls(i)}>{_e(h)}</th>" for i, h in enumerate(head))
           + "</tr></thead><tbody>"]
    for r in rows:
        out.append("<tr>" + "".join(f"<td{cls(i)}>{v if i in raw else _e(v)}</td>" for i, v in enumerate(r))
                   + "</tr>")
    if total:
        out.append('<tr class="total">' + "".join(f"<td{cls(i)}>{_e(v)}</td>" for i, v in enumerate(total))
                   + "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def render_report(inst: Any, solution: dict[str, Any], sweep: Sweep | None = None,
                  verify_raw: dict[str, Any] | None = None, title: str | None = None) -> str:
    """The report as one HTML string. ``verify_raw``: the raw instance, to re-check the plan."""
    plan = read_plan(inst, solution)
    sol = solution
    cur = inst.currency
    cur_s = f" ({cur})" if cur else ""
    actors = {a.id: a for a in inst.actors}
    tmap = {t.id: t for t in inst.targets}
    smap = {s.id: s for s in inst.sites}
    name = title or sol.get("instance") or inst.display_name
    kp = sol.get("kpis") or {}
    status = sol.get("status", "?")
    parts: list[str] = []
    sections = [("summary", "Summary"), ("consortia", "Consortia"), ("map", "Map"), ("network", "Network"),
                ("budgets", "Budgets"), ("unformed", "Targets not formed")]
    if sweep is not None:
        sections.append(("sweep", "Sweep"))
    parts.append(f'<header class="top"><h1>{_e(name)}</h1>')
    obj = sol.get("objective")
    solver = sol.get("solver") or {}
    sub = f"Plan status <b>{_e(status)}</b>"
    if isinstance(obj, (int, float)):
        sub += f", objective <b>{obj:,.4f}</b>"
        if sol.get("gap"):
            sub += f" (bound {sol.get('bound'):,.4f}, gap {sol['gap']:.2%})"
    if solver.get("name"):
        sub += f" &middot; solver {_e(solver.get('name'))} {_e(solver.get('version', ''))}"
        if isinstance(solver.get("time_s"), (int, float)):
            sub += f", {solver['time_s']:.2f} s"
    parts.append(f'<p class="sub">{sub}</p>')
    parts.append("<nav>" + "".join(f'<a href="#{k}">{_e(v)}</a>' for k, v in sections) + "</nav></header>")

    # ---- verification
    if verify_raw is not None:
        from .verify import verify_solution

        res = verify_solution(verify_raw, sol)
        if res.ok:
            parts.append('<p class="ok">Checked by the independent verifier: the plan satisfies every rule'
                         + (f"; recomputed objective {res.objective:,.4f}." if res.objective is not None else ".")
                         + "</p>")
        else:
            items = "".join(f"<li>rule {_e(v.rule)}{' (' + _e(v.target) + ')' if v.target else ''}: "
                            f"{_e(v.message)}</li>" for v in res.violations[:30])
            more = f"<li>… and {len(res.violations) - 30} more</li>" if len(res.violations) > 30 else ""
            parts.append(f'<div class="warn"><b>This plan breaks {len(res.violations)} rule(s)</b> '
                         f"(independent verifier):<ul>{items}{more}</ul></div>")
    if inst.name and sol.get("instance") and sol.get("instance") != inst.name:
        parts.append(f'<p class="warn">The solution names instance {_e(sol.get("instance"))!s}, '
                     f"the instance file is {_e(inst.name)}.</p>")
    for d in sol.get("diagnosis") or []:
        parts.append(f'<p class="warn">{_e(d)}</p>')

    # ---- summary
    brows = budget_rows(plan)
    total = brows[-1]
    members = sum(len(c["members"]) for c in plan.consortia)
    parts.append('<h2 id="summary">Summary</h2><div class="cards">')
    parts.append(_card("targets formed", f"{len(plan.consortia)} of {len(inst.targets)}",
                       f"value {_money(sum(tmap[c['target']].value for c in plan.consortia), 1)}{cur_s}"))
    parts.append(_card("objective", _money(obj, 2) if isinstance(obj, (int, float)) else "–", status))
    parts.append(_card(f"total spend{cur_s}", _money(total["spend"], 2),
                       f"of {_money(total['budget'], 1)} ({total['spend'] / total['budget']:.0%})"
                       if total["budget"] else "no total cap"))
    parts.append(_card("members", str(members), f"{len(plan.joins)} distinct actors"))
    parts.append(_card("in several consortia", str(len(plan.multi)), ", ".join(sorted(plan.multi))[:60]))
    for key, label, fmt in (("state_share", "state-enterprise share", _pct),
                            ("private_members", "private members", lambda v: str(v)),
                            ("outside_region_share", "outside-region share", _pct),
                            ("mean_distance_km", "mean distance to site", lambda v: f"{v:,.0f} km"),
                            ("ties_realised", "prior ties inside", lambda v: str(v))):
        if kp.get(key) is not None:
            parts.append(_card(label, fmt(kp[key])))
    parts.append("</div>")

    # ---- consortia
    parts.append('<h2 id="consortia">Consortia</h2>')
    if not plan.consortia:
        parts.append('<p class="note">No consortium is formed in this plan.</p>')
    from .verify import haversine_km

    for c in plan.consortia:
        t = tmap[c["target"]]
        s = smap[c["site"]]
        lead = actors[c["lead"]]
        sw = f'<span class="swatch" style="background:{plan.colour[t.id]}"></span>'
        parts.append(f'<section class="consortium" id="c-{_e(t.id)}"><h3>{sw}{_e(t.id)} — {_e(t.name or "")}'
                     f'<span class="badge">{_e(t.mode)}</span>'
                     + ('<span class="badge">mandatory</span>' if t.mandatory else "") + "</h3>")
        spend = float(c.get("spend") or 0.0)
        bud = f" of budget {_money(t.budget)}" if t.budget is not None else ""
        parts.append(
            f'<p class="meta">Lead <b>{_e(lead.id)}</b> ({_e(lead.name or "")}) · site <b>{_e(s.id)}</b> '
            f'({_e(s.name or "")}) · sponsor {_e(t.sponsor or "none")} · {len(c["members"])} members · '
            f"value {_money(t.value)} · spend {_money(spend)}{bud}{_e(cur_s)}</p>")
        rows = []
        tot = [0.0, 0.0, 0.0, 0.0]
        for k in c.get("contracts") or []:
            a = actors[k["actor"]]
            dist = haversine_km(a.lat, a.lon, s.lat, s.lon)
            actor_cell = f"<b>{_e(a.id)}</b>" if k.get("role") == "lead" else _e(a.id)
            if a.id in plan.multi:
                others = [x for x in plan.joins[a.id] if x != t.id]
                actor_cell += f'<span class="badge multi" title="also in {_e(", ".join(others))}">' \
                              f'+{_e(", ".join(others))}</span>'
            vals = [float(k.get(x) or 0.0) for x in ("base", "lead_fee", "bonus", "reward")]
            tot = [p + q for p, q in zip(tot, vals)]
            rows.append([actor_cell, _e(a.name or ""), _e(f"{a.type}, {a.ownership}, {a.region}"),
                         _e(k.get("role", "")),
                         _e("; ".join(f"{d['capability']} ≥ {d['level']}" for d in k.get("deliverables") or [])
                            or "–"),
                         f"{dist:,.0f}", _money(vals[0]), _money(vals[1]), _money(vals[2]), _money(vals[3]),
                         _e("; ".join(k.get("instruments") or []) or "–")])
        parts.append(_table(
            ["actor", "name", "type, ownership, region", "role", "deliverables (capability ≥ level)",
             "km to site", f"base{cur_s}", "lead fee", "bonus", "reward", "instruments"],
            rows, numeric={5, 6, 7, 8, 9}, raw=set(range(11)), small={1, 10},
            total=["total", "", "", "", "", "", _money(tot[0]), _money(tot[1]), _money(tot[2]),
                   _money(tot[3]), ""]))
        parts.append("</section>")

    # ---- figures
    parts.append('<h2 id="map">Map of sites and members</h2>')
    if plan.consortia:
        parts.append(f"<figure>{figure_map(plan)}<figcaption>Members (dots; leads as diamonds) joined to "
                     "the site of their consortium; stars are candidate sites (black = chosen). Longitude "
                     "and latitude in degrees, scaled for the latitude; no map tiles.</figcaption></figure>")
    else:
        parts.append('<p class="note">No consortium to map.</p>')
    parts.append('<h2 id="network">Network of formed consortia</h2>')
    if plan.consortia:
        parts.append(f"<figure>{figure_network(plan)}<figcaption>Squares are consortia, circles actors "
                     "(colour = type); thick lines join a consortium to its lead, dashed lines are prior "
                     "ties between members; actors in several consortia are ringed in red."
                     "</figcaption></figure>")
    else:
        parts.append('<p class="note">No consortium formed.</p>')
    parts.append('<h2 id="budgets">Budget use per sponsor</h2>')
    parts.append(f"<figure>{figure_budgets(plan, brows)}<figcaption>Spend of the formed targets "
                 "(coloured by consortium) against each sponsor's budget and the total budget."
                 "</figcaption></figure>")
    parts.append(_table(
        ["sponsor", "name", "formed targets", f"spend{cur_s}", f"budget{cur_s}", "use"],
        [[r["id"], r["name"] or "", ", ".join(t for t, _v in r["parts"]) or "–", _money(r["spend"]),
          _money(r["budget"]) if r["budget"] is not None else "no cap",
          f"{r['spend'] / r['budget']:.1%}" if r["budget"] else "–"] for r in brows],
        numeric={3, 4, 5}))

    # ---- unformed
    parts.append('<h2 id="unformed">Targets not formed</h2>')
    unformed = sol.get("unformed") or []
    if unformed:
        parts.append(_table(
            ["target", "name", "mode", "sponsor", f"value{cur_s}", "reason"],
            [[u["target"], tmap[u["target"]].name or "", tmap[u["target"]].mode,
              tmap[u["target"]].sponsor or "–", _money(tmap[u["target"]].value), u.get("reason", "")]
             for u in unformed], numeric={4}))
    else:
        parts.append('<p class="note">Every target is formed.</p>')

    # ---- sweep
    if sweep is not None:
        parts.append('<h2 id="sweep">Sweep</h2>')
        parts.append(f'<p class="meta">{_e(Path(sweep.path).name)}: {len(sweep.rows)} scenario(s); '
                     f"swept: {_e(', '.join(sweep.params) or 'nothing found')}</p>")
        svg = figure_sweep(sweep, cur)
        if svg:
            parts.append(f"<figure>{svg}<figcaption>Objective and spend of each scenario against the swept "
                         "parameter; crosses mark scenarios without a plan.</figcaption></figure>")
            head = ["scenario"] + sweep.params + ["status", "objective", f"spend{cur_s}", "formed"]
            rows = [[r.get("scenario", i)] + [r.get(p) for p in sweep.params]
                    + [r.get("status"), _money(r.get("objective"), 3) if _num(r.get("objective")) is not None
                       else "–", _money(r.get("spend")) if _num(r.get("spend")) is not None else "–",
                       r.get("formed")] for i, r in enumerate(sweep.rows[:300])]
            n = len(head)
            parts.append(_table(head, rows, numeric={n - 3, n - 2, n - 1}))
            if len(sweep.rows) > 300:
                parts.append(f'<p class="note">First 300 of {len(sweep.rows)} scenarios shown.</p>')
        else:
            parts.append(f'<p class="note">No sweep plot: {_e(sweep.note or "no swept parameter found")}.</p>')

    parts.append(f"<footer>Generated by consortium report from instance {_e(inst.display_name)}; "
                 "figures are inline SVG, the page needs no network access.</footer>")
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(name)} — consortium report</title>\n<style>{CSS}</style>\n</head>\n"
            f"<body><main>\n{body}\n</main></body>\n</html>\n")


# ---------------------------------------------------------------- the command


@click.command("report")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.argument("solution", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="HTML file to write.")
@click.option("--sweep", "sweep_path", type=click.Path(dir_okay=False),
              help="Results of `consortium sweep` (SQLite): add objective/spend against the swept parameter.")
@click.option("--title", help="Page title (default: the instance name).")
def report_command(instance, solution, output, sweep_path, title):
    """Write a self-contained HTML report of SOLUTION for INSTANCE.

    Summary KPIs, contracts per consortium, a map of sites and members, the
    network of formed consortia, budget use per sponsor, targets not formed
    and, with --sweep, the trade-off curves. Inline SVG, no external resources.
    """
    from .cli import fail, load_instance, write_atomic
    from .instance import InstanceError, parse, read_text

    inst = load_instance(instance)
    try:
        sol = parse(read_text(solution), solution)
        raw = parse(read_text(instance), instance)
    except InstanceError as e:
        fail(e.errors[0])
    try:
        sweep = read_sweep(sweep_path) if sweep_path else None
        if sweep is not None and sweep.note:
            click.echo(f"warning: {sweep_path}: {sweep.note}; the sweep section says so", err=True)
        page = render_report(inst, sol, sweep=sweep, verify_raw=raw, title=title)
    except ReportError as e:
        fail(str(e))
    write_atomic(output, page)
    click.echo(f"wrote {output} ({len(page) / 1024:,.0f} KiB)", err=True)
    sys.exit(0)
