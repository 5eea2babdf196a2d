"""The interactive figures of ``consortium serve`` (plotly, drawn in the
browser by the plotly.js that Dash serves itself: no map tiles, no CDN).

* :func:`map_figure`: sites and actors by longitude and latitude in a plain
  equirectangular projection (a degree of latitude drawn 1/cos(lat) times a
  degree of longitude), members joined to their consortium's site; every
  point of a consortium carries its target id, so a click selects it, and
  the selected one is drawn over the others faded;
* :func:`network_figure`: one consortium's members around its target, the
  lead's edge thick, prior ties among members dashed;
* :func:`sweep_figure`: a sweep's objective and spend against the swept
  parameter, infeasible points marked, and the consortia formed.

Colours are the HTML report's (:mod:`consortium.report.view`).
"""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

from ..report.view import MULTI, PALETTE, TYPE_COLOURS

GREY = "#c8c8c8"


def _layout(fig: go.Figure, **kw: Any) -> go.Figure:
    fig.update_layout(margin={"l": 50, "r": 10, "t": 30, "b": 40}, plot_bgcolor="white",
                      paper_bgcolor="white", hovermode="closest", **kw)
    return fig


def colours(plan: dict[str, Any]) -> dict[str, str]:
    return {c["target"]: PALETTE[i % len(PALETTE)]
            for i, c in enumerate(plan.get("consortia") or [])}


def map_figure(inst: Any, plan: dict[str, Any] | None, selected: str | None = None) -> go.Figure:
    actors = {a.id: a for a in inst.actors}
    sites = {s.id: s for s in inst.sites}
    cons = (plan or {}).get("consortia") or []
    col = colours(plan or {})
    used = {a for c in cons for a in c.get("members") or []}
    fig = go.Figure()
    others = [a for a in inst.actors if a.id not in used]
    scatter = go.Scattergl if len(inst.actors) > 3000 else go.Scatter
    if others:
        fig.add_trace(scatter(
            x=[a.lon for a in others], y=[a.lat for a in others], mode="markers",
            marker={"size": 6, "color": GREY}, name="actor not in a consortium",
            hovertext=[f"{a.id}: {a.name or a.id}<br>{a.type}, {a.ownership}" for a in others],
            hoverinfo="text", opacity=0.3 if selected else 0.8))
    for c in cons:
        t, s = c["target"], sites[c["site"]]
        on = selected is None or selected == t
        xs: list[float | None] = []
        ys: list[float | None] = []
        for a in c["members"]:
            xs += [actors[a].lon, s.lon, None]
            ys += [actors[a].lat, s.lat, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                 line={"color": col[t], "width": 2.5 if selected == t else 1},
                                 opacity=0.7 if on else 0.12))
        members = c["members"]
        fig.add_trace(go.Scatter(
            x=[actors[a].lon for a in members], y=[actors[a].lat for a in members],
            mode="markers", name=t, customdata=[t] * len(members),
            marker={"size": [14 if a == c["lead"] else 9 for a in members],
                    "symbol": ["diamond" if a == c["lead"] else "circle" for a in members],
                    "color": col[t], "line": {"width": 1, "color": "black"}},
            hovertext=[f"{a}: {actors[a].name or a}<br>{actors[a].type}, {actors[a].ownership}"
                       f"<br>{'lead of' if a == c['lead'] else 'member of'} {t}"
                       for a in members],
            hoverinfo="text", opacity=1.0 if on else 0.15))
    chosen: dict[str, list[str]] = {}
    for c in cons:
        chosen.setdefault(c["site"], []).append(c["target"])
    ss = list(inst.sites)
    fig.add_trace(go.Scatter(
        x=[s.lon for s in ss], y=[s.lat for s in ss], mode="markers", name="site",
        customdata=[(chosen.get(s.id) or [""])[0] for s in ss],
        marker={"symbol": "star", "size": 18,
                "color": ["black" if s.id in chosen else "white" for s in ss],
                "line": {"width": 1.2, "color": "black"}},
        hovertext=[f"site {s.id}: {s.name or s.id}"
                   + (f"<br>consortia: {', '.join(chosen[s.id])}" if s.id in chosen else "")
                   for s in ss], hoverinfo="text"))
    # the first view frames the sites and the members (pan or zoom out for the rest)
    pts = [(s.lon, s.lat) for s in inst.sites] + [(actors[a].lon, actors[a].lat) for a in used]
    if not pts:
        pts = [(a.lon, a.lat) for a in inst.actors] or [(0.0, 0.0)]
    (x0, x1), (y0, y1) = ((min(v), max(v)) for v in zip(*pts, strict=True))
    pad = max(x1 - x0, y1 - y0, 0.2) * 0.08
    lat0 = (y0 + y1) / 2
    _layout(fig, height=520, legend={"orientation": "h", "y": -0.12},
            xaxis={"title": "longitude (°E)", "showgrid": True, "gridcolor": "#eee",
                   "zeroline": False, "range": [x0 - pad, x1 + pad]},
            yaxis={"title": "latitude (°N)", "showgrid": True, "gridcolor": "#eee",
                   "zeroline": False, "scaleanchor": "x", "range": [y0 - pad, y1 + pad],
                   "scaleratio": 1 / max(math.cos(math.radians(lat0)), 0.1)},
            clickmode="event", dragmode="pan", uirevision=inst.display_name)
    return fig


def network_figure(inst: Any, plan: dict[str, Any], target: str | None) -> go.Figure:
    import networkx as nx

    fig = go.Figure()
    c = next((c for c in plan.get("consortia") or [] if c["target"] == target), None)
    if c is None:
        return _layout(fig, height=420, xaxis={"visible": False}, yaxis={"visible": False},
                       annotations=[{"text": "click a consortium on the map (or pick one)",
                                     "showarrow": False, "font": {"size": 14}}])
    actors = {a.id: a for a in inst.actors}
    joins: dict[str, int] = {}
    for k in plan.get("consortia") or []:
        for a in k["members"]:
            joins[a] = joins.get(a, 0) + 1
    g = nx.Graph()
    g.add_node(("t", target))
    for a in c["members"]:
        g.add_edge(("t", target), ("a", a))
    members = set(c["members"])
    ties = [(t.a, t.b, t.weight) for t in inst.ties if t.a in members and t.b in members]
    for a, b, _w in ties:
        g.add_edge(("a", a), ("a", b))
    pos = nx.spring_layout(g, seed=1, k=1.2 / max(1, len(g)) ** 0.5)
    col = colours(plan)[c["target"]]
    for a in c["members"]:
        (x0, y0), (x1, y1) = pos[("t", target)], pos[("a", a)]
        fig.add_trace(go.Scatter(x=[x0, x1], y=[y0, y1], mode="lines", hoverinfo="skip",
                                 showlegend=False,
                                 line={"color": col, "width": 4 if a == c["lead"] else 1.5}))
    for a, b, w in ties:
        (x0, y0), (x1, y1) = pos[("a", a)], pos[("a", b)]
        fig.add_trace(go.Scatter(x=[x0, x1], y=[y0, y1], mode="lines", hoverinfo="skip",
                                 showlegend=False, line={"color": "#666", "width": 0.6 + 0.5 * w,
                                                         "dash": "dash"}))
    contracts = {k["actor"]: k for k in c.get("contracts") or []}
    ms = c["members"]
    fig.add_trace(go.Scatter(
        x=[pos[("a", a)][0] for a in ms], y=[pos[("a", a)][1] for a in ms],
        mode="markers+text", text=ms, textposition="top center", showlegend=False,
        marker={"size": [22 if a == c["lead"] else 15 for a in ms],
                "color": [TYPE_COLOURS.get(actors[a].type, "#999") for a in ms],
                "line": {"width": [3 if joins.get(a, 0) > 1 else 1 for a in ms],
                         "color": [MULTI if joins.get(a, 0) > 1 else "white" for a in ms]}},
        hovertext=[_actor_hover(actors[a], contracts.get(a), joins.get(a, 0)) for a in ms],
        hoverinfo="text"))
    tx, ty = pos[("t", target)]
    fig.add_trace(go.Scatter(x=[tx], y=[ty], mode="markers+text", text=[target],
                             textposition="bottom center", showlegend=False,
                             marker={"symbol": "square", "size": 26, "color": col,
                                     "line": {"width": 1, "color": "black"}},
                             hovertext=[f"target {target}, site {c['site']}"], hoverinfo="text"))
    for t, colour in TYPE_COLOURS.items():  # the legend of actor types
        if any(actors[a].type == t for a in ms):
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=t,
                                     marker={"size": 10, "color": colour}))
    return _layout(fig, height=420, xaxis={"visible": False}, yaxis={"visible": False},
                   title={"text": f"{target}: lead {c['lead']}, {len(ms)} members"
                                  + (" (dashed: prior ties; red ring: in several consortia)"),
                          "font": {"size": 13}},
                   legend={"orientation": "h", "y": -0.05})


def _actor_hover(a: Any, k: dict[str, Any] | None, joins: int) -> str:
    lines = [f"{a.id}: {a.name or a.id}", f"{a.type}, {a.ownership}, region {a.region or '-'}"]
    if k:
        dels = ", ".join(f"{d['capability']} ≥ {d['level']}" for d in k.get("deliverables") or [])
        lines.append(f"{k.get('role', 'member')}: {dels or 'leads'}")
        lines.append(f"reward {k.get('reward', 0):,.2f}")
    if joins > 1:
        lines.append(f"in {joins} consortia")
    return "<br>".join(lines)


def sweep_figure(rows: list[dict[str, Any]], path: str) -> go.Figure:
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35],
                        vertical_spacing=0.06)
    pts = sorted((r for r in rows if isinstance(r.get(path), (int, float))),
                 key=lambda r: r[path])
    ok = [r for r in pts if r.get("status") in ("optimal", "feasible")]
    bad = [r for r in pts if r.get("status") not in ("optimal", "feasible")]
    fig.add_trace(go.Scatter(x=[r[path] for r in ok], y=[r["objective"] for r in ok],
                             mode="lines+markers", name="objective"), row=1, col=1)
    fig.add_trace(go.Scatter(x=[r[path] for r in ok], y=[r["spend"] for r in ok],
                             mode="lines+markers", name="spend", line={"dash": "dot"}),
                  row=1, col=1)
    if bad:
        fig.add_trace(go.Scatter(x=[r[path] for r in bad], y=[0] * len(bad), mode="markers",
                                 name="no plan (" + ", ".join(sorted({str(r.get('status'))
                                                                     for r in bad})) + ")",
                                 marker={"symbol": "x", "size": 10, "color": "#C0392B"},
                                 hovertext=[str(r.get("error") or r.get("status"))
                                            for r in bad]), row=1, col=1)
    fig.add_trace(go.Scatter(x=[r[path] for r in ok], y=[r["formed"] for r in ok],
                             mode="lines+markers", line={"shape": "hv"}, name="consortia formed",
                             hovertext=[", ".join(r.get("formed_targets") or []) for r in ok]),
                  row=2, col=1)
    fig.update_xaxes(title_text=path, row=2, col=1)
    fig.update_yaxes(title_text="objective / spend", row=1, col=1)
    fig.update_yaxes(title_text="formed", row=2, col=1)
    return _layout(fig, height=480, legend={"orientation": "h", "y": 1.08})
