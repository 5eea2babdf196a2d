"""The report's figures: one ``plot_*`` function per figure, each drawing on a
matplotlib ``Axes`` (so a figure can be reused or tested alone), and a
``figure_*`` function that lays it out and returns it as inline SVG. Heavy
imports live inside the functions."""

from __future__ import annotations

import io
import math
import re
from typing import TYPE_CHECKING, Any

from ..result.money import fmt as money_fmt
from .view import MULTI, TYPE_COLOURS, Plan

if TYPE_CHECKING:
    from ..sweep.store import SweepResults


def _svg(fig: Any, salt: str) -> str:
    """A matplotlib figure as an inline ``<svg>`` element (no XML prolog, no metadata)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    s = buf.getvalue()
    s = s[s.index("<svg") :]
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


def _cells(points: list[tuple[float, float, str]], bbox: tuple[float, float, float, float],
           n: int = 45) -> dict[tuple[int, int, str], list[tuple[float, float]]]:
    """Points (lon, lat, key) binned into an ``n``-wide grid over ``bbox``, by key."""
    w = max(bbox[1] - bbox[0], 1e-9) / n
    out: dict[tuple[int, int, str], list[tuple[float, float]]] = {}
    for lon, lat, key in points:
        out.setdefault((int((lon - bbox[0]) // w), int((lat - bbox[2]) // w), key),
                       []).append((lon, lat))
    return out


_CLASSES = (1, 2, 4, 10, 30, 100)  # bubble size classes: counts from each of these up


def _bubbles(ax: Any, cells: dict[tuple[int, int, str], list[tuple[float, float]]],
             colour: dict[str, str], scale: float, **kw: Any) -> None:
    """One marker per cell, at its points' mean, its area growing with their
    count in a few size classes (a class's markers share one SVG path: the
    page stays light)."""
    by: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for (_i, _j, key), pts in sorted(cells.items()):
        k = max(i for i, lo in enumerate(_CLASSES) if len(pts) >= lo)
        by.setdefault((key, k), []).append((sum(p[0] for p in pts) / len(pts),
                                            sum(p[1] for p in pts) / len(pts)))
    for (key, k), rows in sorted(by.items()):
        ax.scatter([r[0] for r in rows], [r[1] for r in rows],
                   s=scale * (1 + 3 * math.sqrt(_CLASSES[k] - 1)), color=colour[key], **kw)


def plot_map_aggregated(plan: Plan, ax: Any,
                        bbox: tuple[float, float, float, float] | None = None,
                        labels: bool = True) -> None:
    """The map of a large plan: actors and members binned on a grid (bubbles
    sized by count, members coloured by sponsor or mode), every chosen site a
    star sized by its members, the busiest sites labelled with their counts."""
    inst = plan.inst
    actors = {a.id: a for a in inst.actors}
    box = bbox or _bounds([(s.lon, s.lat) for s in inst.sites]
                          + [(a.lon, a.lat) for a in inst.actors], 0.04)
    inside = [a for a in inst.actors
              if box[0] <= a.lon <= box[1] and box[2] <= a.lat <= box[3]]
    others = [(a.lon, a.lat, "other") for a in inside if a.id not in plan.joins]
    _bubbles(ax, _cells(others, box), {"other": "#cfcfcf"}, 3.0, lw=0, zorder=1)
    members = [(actors[a].lon, actors[a].lat, plan.group_of[c.target])
               for c in plan.consortia for a in c.members]
    _bubbles(ax, _cells(members, box), plan.groups, 5.0, lw=0.3, edgecolor="white", alpha=0.8,
             zorder=3)
    per_site: dict[str, list[int]] = {}
    for c in plan.consortia:
        n = per_site.setdefault(c.site, [0, 0])
        n[0] += 1
        n[1] += len(c.members)
    chosen = set(per_site)
    sites = [s for s in inst.sites if box[0] <= s.lon <= box[1] and box[2] <= s.lat <= box[3]]
    on = [s for s in sites if s.id in chosen]
    off = [s for s in sites if s.id not in chosen]
    if off:
        ax.scatter([s.lon for s in off], [s.lat for s in off], marker="*", s=90, color="white",
                   edgecolor="black", lw=0.7, zorder=6)
    if on:
        ax.scatter([s.lon for s in on], [s.lat for s in on], marker="*",
                   s=[120 + 12 * per_site[s.id][1] ** 0.75 for s in on], color="black",
                   edgecolor="white", lw=0.6, zorder=6)
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    lat0 = sum(ax.get_ylim()) / 2
    ax.set_aspect(1 / max(math.cos(math.radians(lat0)), 0.1))
    if labels:
        top = sorted(on, key=lambda s: (-per_site[s.id][1], s.id))[:14]
        _place_labels(ax, [((s.lon, s.lat), "{}: {} consortia, {} members".format(
            s.id, *per_site[s.id])) for s in top], fontsize=7)
    ax.set_xlabel("longitude (°E)", fontsize=8)
    ax.set_ylabel("latitude (°N)", fontsize=8)
    ax.grid(True, color="#eeeeee", lw=0.6)
    _style(ax)


def _place_labels(ax: Any, items: list[tuple[tuple[float, float], str]],
                  fontsize: float) -> None:
    """Annotate each point with its text where the label overlaps no label
    placed before it (eight positions tried around the point, nearest first);
    a label that fits nowhere is left out (the tables list every site)."""
    ax.apply_aspect()
    fig = ax.figure
    to_px = ax.transData.transform
    pt = fig.dpi / 72
    taken: list[tuple[float, float, float, float]] = []
    x0a, y0a, x1a, y1a = ax.bbox.extents
    for (x, y), text in items:
        px, py = to_px((x, y))
        w, h = 0.56 * fontsize * len(text) * pt, 1.5 * fontsize * pt
        for dx, dy, ha, va in ((7, 5, "left", "bottom"), (7, -5, "left", "top"),
                               (-7, 5, "right", "bottom"), (-7, -5, "right", "top"),
                               (7, 15, "left", "bottom"), (7, -15, "left", "top"),
                               (-7, 15, "right", "bottom"), (-7, -15, "right", "top")):
            bx0 = px + dx * pt - (w if ha == "right" else 0)
            by0 = py + dy * pt - (h if va == "top" else 0)
            box = (bx0, by0, bx0 + w, by0 + h)
            inside = box[0] >= x0a - 40 and box[2] <= x1a + 200 and box[1] >= y0a and \
                box[3] <= y1a
            if inside and not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3]
                                  and b[1] < box[3] for b in taken):
                taken.append(box)
                ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha,
                            va=va, fontsize=fontsize, zorder=7,
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                                  "alpha": 0.8})
                break


def plot_map(plan: Plan, ax: Any, bbox: tuple[float, float, float, float] | None = None,
             labels: bool = True) -> None:
    """Sites (stars), members (dots coloured by consortium) and lines member -> site."""
    if plan.large:
        plot_map_aggregated(plan, ax, bbox, labels)
        return
    inst = plan.inst
    actors = {a.id: a for a in inst.actors}
    sites = {s.id: s for s in inst.sites}
    used = set(plan.joins)
    others = [a for a in inst.actors if a.id not in used]
    if others:
        many = len(others) > 400
        ax.scatter([a.lon for a in others], [a.lat for a in others], s=4 if many else 9,
                   c="#c8c8c8", lw=0, alpha=0.6 if many else 1.0, zorder=1,
                   label="actor not in a consortium")
    for c in plan.consortia:
        s = sites[c.site]
        col = plan.colour[c.target]
        for a_id in c.members:
            a = actors[a_id]
            ax.plot([a.lon, s.lon], [a.lat, s.lat], color=col, lw=0.9, alpha=0.55, zorder=2)
        ms = [actors[a] for a in c.members if a != c.lead]
        ax.scatter([a.lon for a in ms], [a.lat for a in ms], s=26, color=col, edgecolor="white",
                   lw=0.6, zorder=3, label=f"{c.target}")
        lead = actors[c.lead]
        ax.scatter([lead.lon], [lead.lat], s=60, color=col, marker="D", edgecolor="black", lw=0.7,
                   zorder=4)
    multi = [actors[a] for a in plan.multi]
    if multi:
        ax.scatter([a.lon for a in multi], [a.lat for a in multi], s=110, facecolor="none",
                   edgecolor=MULTI, lw=1.4, zorder=5, label="in several consortia")
    chosen = {c.site for c in plan.consortia}
    for s in inst.sites:
        on = s.id in chosen
        ax.scatter([s.lon], [s.lat], marker="*", s=240 if on else 120,
                   color="black" if on else "white", edgecolor="black", lw=0.8, zorder=6)
        if labels and (
            bbox is None or (bbox[0] <= s.lon <= bbox[1] and bbox[2] <= s.lat <= bbox[3])
        ):
            ax.annotate(
                s.id,
                (s.lon, s.lat),
                xytext=(6, 5),
                textcoords="offset points",
                fontsize=8,
                fontweight="bold" if on else "normal",
                zorder=7,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
            )
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
    return _svg(map_figure(plan), "map")


def map_figure(plan: Plan) -> Any:
    """The map as a matplotlib figure (:func:`figure_map` is its SVG)."""
    from matplotlib.lines import Line2D

    inst = plan.inst
    actors = {a.id: a for a in inst.actors}
    pts = [(s.lon, s.lat) for s in inst.sites] + [
        (actors[a].lon, actors[a].lat) for a in plan.joins
    ]
    full = _bounds(pts, 0.06)
    # A second panel around the chosen sites when members spread far beyond them:
    # the clusters where consortia sit are otherwise a blot.
    chosen = {c.site for c in plan.consortia}
    near = _bounds([(s.lon, s.lat) for s in inst.sites if s.id in chosen], 0.0)
    pad = max(0.35 * max(near[1] - near[0], near[3] - near[2]), 0.12)
    near = (near[0] - pad, near[1] + pad, near[2] - pad, near[3] + pad)
    zoom = (full[1] - full[0]) > 2.5 * (near[1] - near[0]) or (full[3] - full[2]) > 2.5 * (
        near[3] - near[2]
    )
    # the legend's rows are known now: the figure gets its final size before
    # anything is drawn (the site labels are placed in its pixels)
    n_handles = (len(plan.groups) + 5 if plan.large
                 else len(plan.consortia) + 5 + (1 if plan.multi else 0))
    fig = _figure(11, (5.6 if zoom else 6.5) + 0.22 * -(-n_handles // 5))
    if zoom:
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
        plot_map(plan, ax1, full, labels=False)
        ax1.set_title("all members", fontsize=10)
        plot_map(plan, ax2, near)
        ax2.set_title("around the chosen sites", fontsize=10)
        from matplotlib.patches import Rectangle

        ax1.add_patch(
            Rectangle((near[0], near[2]), near[1] - near[0], near[3] - near[2], fill=False,
                      ec="#555555", lw=0.8, ls=":", zorder=8)
        )
    else:
        ax = fig.subplots()
        plot_map(plan, ax, full)
    if plan.large:
        handles = [Line2D([], [], marker="o", ls="", color=col, markersize=7,
                          label=f"members, {plan.colour_by} {g}")
                   for g, col in plan.groups.items()]
        handles.append(Line2D([], [], marker="o", ls="", color="#888888", markersize=4,
                              label="bubble area: actors in a grid cell"))
    else:
        handles = [
            Line2D([], [], marker="o", ls="-", lw=0.9, color=plan.colour[c.target],
                   markersize=5, label=c.target)
            for c in plan.consortia
        ]
        handles.append(Line2D([], [], marker="D", ls="", color="#888888",
                              markeredgecolor="black", markersize=6, label="lead"))
    handles += [
        Line2D([], [], marker="*", ls="", color="black", markersize=11, label="chosen site"),
        Line2D([], [], marker="*", ls="", color="white", markeredgecolor="black", markersize=9,
               label="candidate site not chosen"),
        Line2D([], [], marker="o", ls="", color="#c8c8c8", markersize=4,
               label="actor not in a consortium"),
    ]
    if plan.multi and not plan.large:
        handles.append(
            Line2D([], [], marker="o", ls="", markerfacecolor="none", markeredgecolor=MULTI,
                   markersize=9, label="in several consortia")
        )
    # The legend sits below the axes, in rows of at most 5: it never covers them.
    ncol = min(len(handles), 5)
    fig.legend(handles=handles, loc="upper center", ncol=ncol, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    fig.subplots_adjust(wspace=0.25)
    return fig


def plot_network(plan: Plan, ax: Any) -> None:
    """Actors joined to the consortia they are in; ties dashed; multi-consortium actors in red."""
    import networkx as nx

    inst = plan.inst
    actors = {a.id: a for a in inst.actors}
    g = nx.Graph()
    for c in plan.consortia:
        g.add_node(("t", c.target))
        for a in c.members:
            g.add_node(("a", a))
            g.add_edge(("t", c.target), ("a", a), kind="lead" if a == c.lead else "member",
                       target=c.target)
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
    nx.draw_networkx_edges(g, pos, edgelist=lead_edges, edge_color=ecol(lead_edges), width=3.0,
                           ax=ax)
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
    nx.draw_networkx_nodes(
        g,
        pos,
        nodelist=anodes,
        node_size=[170 if n[1] in multi else 90 for n in anodes],
        node_color=[TYPE_COLOURS.get(actors[n[1]].type, "#999999") for n in anodes],
        edgecolors=[MULTI if n[1] in multi else "white" for n in anodes],
        linewidths=[2.2 if n[1] in multi else 0.6 for n in anodes],
        ax=ax,
    )
    if not many:
        nx.draw_networkx_labels(
            g,
            pos,
            labels={n: n[1] for n in tnodes},
            font_size=7,
            font_weight="bold",
            ax=ax,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
        )
        for n in anodes:
            x, y = pos[n]
            ax.annotate(n[1], (x, y), xytext=(0, -9), textcoords="offset points", ha="center",
                        va="top", fontsize=6.5, color=MULTI if n[1] in multi else "#333333",
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
    best = min((pack(w) for w in candidates),
               key=lambda r: abs(math.log((r[1] / max(r[2], 1e-9)) / 1.5)))
    return best[0]


TOP_NETWORKS = 12  # consortia drawn one by one in the network of a large plan


def top_consortia(plan: Plan, n: int = TOP_NETWORKS) -> list[Any]:
    """The ``n`` consortia of the highest value (ties by id)."""
    value = {t.id: t.value for t in plan.inst.targets}
    return sorted(plan.consortia, key=lambda c: (-value[c.target], c.target))[:n]


def plot_consortium(plan: Plan, c: Any, ax: Any) -> None:
    """One consortium as a star: the target in the middle, its members around
    it (the lead first, joined by a thick line), prior ties between members
    dashed, actors in other consortia too ringed in red; every node labelled."""
    inst = plan.inst
    actors = {a.id: a for a in inst.actors}
    col = plan.colour[c.target]
    ms = [c.lead] + [a for a in c.members if a != c.lead]
    n = len(ms)
    pos = {a: (math.cos(math.pi / 2 - 2 * math.pi * i / n), math.sin(math.pi / 2 - 2 * math.pi
                                                                    * i / n))
           for i, a in enumerate(ms)}
    inside = set(ms)
    for tie in inst.ties:
        if tie.a in inside and tie.b in inside:
            (x0, y0), (x1, y1) = pos[tie.a], pos[tie.b]
            ax.plot([x0, x1], [y0, y1], ls="--", color="#777777", lw=0.6 + 0.4 * tie.weight,
                    zorder=1)
    for a in ms:
        x, y = pos[a]
        ax.plot([0, x], [0, y], color=col, lw=3.0 if a == c.lead else 1.0, zorder=2)
    multi = plan.multi
    ax.scatter([pos[a][0] for a in ms], [pos[a][1] for a in ms],
               s=[120 if a in multi else 70 for a in ms],
               color=[TYPE_COLOURS.get(actors[a].type, "#999999") for a in ms],
               edgecolor=[MULTI if a in multi else "white" for a in ms],
               linewidths=[2.0 if a in multi else 0.6 for a in ms], zorder=3)
    ax.scatter([0], [0], marker="s", s=260, color=col, edgecolor="black", lw=0.8, zorder=4)
    for a in ms:
        x, y = pos[a]
        ax.annotate(a, (x, y), xytext=(8 * x, 8 * y - 2), textcoords="offset points",
                    ha="left" if x > 0.2 else "right" if x < -0.2 else "center",
                    va="bottom" if y > 0.2 else "top" if y < -0.2 else "center", fontsize=6,
                    color=MULTI if a in multi else "#333333",
                    fontweight="bold" if a == c.lead else "normal", zorder=5)
    value = next(t.value for t in inst.targets if t.id == c.target)
    ax.set_title(f"{c.target}\nvalue {value:,.0f}, {n} members", fontsize=7.5)
    ax.set_xlim(-1.9, 1.9)
    ax.set_ylim(-1.6, 1.6)
    ax.set_aspect("equal")
    ax.set_axis_off()


def figure_network(plan: Plan) -> str:
    return _svg(network_figure(plan), "network")


def network_figure(plan: Plan) -> Any:
    """The network as a matplotlib figure (:func:`figure_network` is its SVG)."""
    from matplotlib.lines import Line2D

    if plan.large:
        return _figure_networks(plan)
    fig = _figure(11, 7)
    ax = fig.subplots()
    plot_network(plan, ax)
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    ratio = (y1 - y0) / max(x1 - x0, 1e-9)
    fig.set_size_inches(11, min(max(8.6 * ratio, 3.5), 11))
    present = {
        plan.inst.actors[i].type
        for i in range(len(plan.inst.actors))
        if plan.inst.actors[i].id in plan.joins
    }
    handles = [
        Line2D([], [], marker="s", ls="", color="#bbbbbb", markeredgecolor="black", markersize=9,
               label="consortium (target)")
    ]
    handles += [
        Line2D([], [], marker="o", ls="", color=c, markersize=7, label=t)
        for t, c in TYPE_COLOURS.items()
        if t in present
    ]
    handles += [
        Line2D([], [], color="#777777", lw=3, label="lead"),
        Line2D([], [], color="#777777", lw=1, label="member"),
        Line2D([], [], color="#666666", lw=1, ls="--", label="prior tie"),
    ]
    if plan.multi:
        handles.append(
            Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor=MULTI,
                   markeredgewidth=2, markersize=9, label="in several consortia")
        )
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
              frameon=False)
    return fig


def _type_handles(plan: Plan) -> list[Any]:
    from matplotlib.lines import Line2D

    present = {a.type for a in plan.inst.actors if a.id in plan.joins}
    return [Line2D([], [], marker="o", ls="", color=c, markersize=7, label=t)
            for t, c in TYPE_COLOURS.items() if t in present]


def _figure_networks(plan: Plan) -> str:
    """A large plan's network: the top consortia by value, one labelled panel each."""
    from matplotlib.lines import Line2D

    top = top_consortia(plan)
    cols = 4
    rows = -(-len(top) // cols)
    fig = _figure(11, 2.9 * rows + 0.6)
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < len(top):
            plot_consortium(plan, top[i], ax)
        else:
            ax.set_axis_off()
    handles = _type_handles(plan) + [
        Line2D([], [], color="#777777", lw=3, label="lead"),
        Line2D([], [], color="#777777", lw=1, label="member"),
        Line2D([], [], color="#666666", lw=1, ls="--", label="prior tie"),
        Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor=MULTI,
               markeredgewidth=2, markersize=9, label="also in another consortium"),
    ]
    handles += [Line2D([], [], marker="s", ls="", color=col, markeredgecolor="black",
                       markersize=8, label=f"{plan.colour_by} {g}")
                for g, col in plan.groups.items()]
    fig.legend(handles=handles, loc="upper center", ncol=5, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    fig.subplots_adjust(hspace=0.35, wspace=0.1)
    return fig


def budget_rows(plan: Plan) -> list[dict[str, Any]]:
    """Spend per sponsor (and in total) against its budget, split by formed target."""
    inst = plan.inst
    tmap = {t.id: t for t in inst.targets}
    rows: list[dict[str, Any]] = []
    by: dict[str | None, list[tuple[str, float]]] = {}
    for c in plan.consortia:
        by.setdefault(tmap[c.target].sponsor, []).append((c.target, float(c.spend or 0.0)))
    for s in inst.sponsors:
        parts = by.get(s.id, [])
        rows.append(
            {
                "id": s.id,
                "name": s.name,
                "budget": s.budget,
                "parts": parts,
                "spend": sum(v for _t, v in parts),
            }
        )
    if by.get(None):
        parts = by[None]
        rows.append(
            {
                "id": "(no sponsor)",
                "name": None,
                "budget": None,
                "parts": parts,
                "spend": sum(v for _t, v in parts),
            }
        )
    allparts = [p for r in rows for p in r["parts"]]
    rows.append(
        {
            "id": "total",
            "name": "all targets",
            "budget": inst.policy.total_budget,
            "parts": allparts,
            "spend": sum(v for _t, v in allparts),
        }
    )
    return rows


def plot_budgets(plan: Plan, ax: Any, rows: list[dict[str, Any]]) -> None:
    """One bar per sponsor (and the total): its budget as a grey box, its spend
    split by formed target (coloured as on the map), every bar labelled with
    the sponsor's name and spend / budget, segments with their target where
    they are wide enough (else the bar says how many targets it holds)."""
    import textwrap

    labels = [r["id"] if not r.get("name") or r["name"] == r["id"]
              else "\n".join(textwrap.wrap(f"{r['id']} ({r['name']})", 34)) for r in rows]
    y = list(range(len(rows)))[::-1]
    top = max([r["spend"] for r in rows] + [r["budget"] or 0 for r in rows] + [1e-9])
    for yi, r in zip(y, rows, strict=False):
        if r["budget"] is not None:
            ax.barh(yi, r["budget"], height=0.72, color="#f1f1f1", edgecolor="#888888", lw=0.8,
                    zorder=1)
        left = 0.0
        parts = r["parts"]
        if plan.large:  # one segment per colour group: hundreds of slivers say nothing
            merged: dict[str, float] = {}
            for t, v in parts:
                merged[plan.group_of[t]] = merged.get(plan.group_of[t], 0.0) + v
            segs = [(g, v, plan.groups[g]) for g, v in merged.items()]
        else:
            segs = [(t, v, plan.colour[t]) for t, v in parts]
        for t, v, col in segs:
            ax.barh(yi, v, left=left, height=0.5, color=col, edgecolor="white", lw=0.5,
                    zorder=2)
            if v > max(0.06, 0.012 * len(t)) * top:  # the label fits inside the segment
                ax.text(left + v / 2, yi, t, ha="center", va="center", fontsize=6.5, color="white",
                        zorder=3)
            left += v
        use = f" ({r['spend'] / r['budget']:.0%})" if r["budget"] else ""
        n = f", {len(parts)} targets" if plan.large or len(parts) > 3 else ""
        cap = (
            f"{money_fmt(r['spend'])} / {money_fmt(r['budget'])}{use}{n}"
            if r["budget"] is not None
            else f"{money_fmt(r['spend'])} (no cap){n}"
        )
        ax.text(max(r["spend"], r["budget"] or 0) + top * 0.01, yi, cap, va="center", fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, top * 1.28)
    cur = plan.inst.currency
    ax.set_xlabel(f"spend{f' ({cur})' if cur else ''}; grey box = budget", fontsize=8)
    ax.grid(True, axis="x", color="#eeeeee", lw=0.6)
    ax.set_axisbelow(True)
    _style(ax)


def figure_budgets(plan: Plan, rows: list[dict[str, Any]]) -> str:
    return _svg(budgets_figure(plan, rows), "budgets")


def budgets_figure(plan: Plan, rows: list[dict[str, Any]]) -> Any:
    """The budgets as a matplotlib figure (:func:`figure_budgets` is its SVG)."""
    if not plan.large:
        fig = _figure(10, 0.55 * len(rows) + 1.2)
        plot_budgets(plan, fig.subplots(), rows)
        return fig
    # Many sponsors: the total would dwarf them on one scale; it gets its own axes.
    from matplotlib.lines import Line2D

    h = 0.42 * (len(rows) - 1) + 0.4
    fig = _figure(10, h + 1.9)
    ax1, ax2 = fig.subplots(2, 1, gridspec_kw={"height_ratios": [h, 0.55]})
    plot_budgets(plan, ax1, rows[:-1])
    plot_budgets(plan, ax2, rows[-1:])
    ax1.set_xlabel("")
    ax1.legend(handles=[Line2D([], [], marker="s", ls="", color=col, markersize=8,
                               label=f"{plan.colour_by} {g}")
                        for g, col in plan.groups.items()],
               loc="lower center", ncol=5, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 1.0))
    fig.subplots_adjust(hspace=0.9 / (h + 1.9) * 4)
    return fig


def figure_sweep(sw: SweepResults) -> str | None:
    """The sweep's figure (as ``consortium plot`` draws it) against the swept
    path with the most values, the other paths as curves; None if there is
    nothing to draw (``sw.note`` then says why, or a note is added)."""
    import json

    from ..sweep import SweepError
    from ..sweep.plots import plot_sweep

    if not sw.params or not sw.rows or sw.note:
        return None
    distinct = {
        p: len({json.dumps(r.get(p), sort_keys=True, default=str) for r in sw.rows})
        for p in sw.params
    }
    xp = max(sw.params, key=lambda p: (distinct[p], -sw.params.index(p)))
    try:
        fig, _desc = plot_sweep(sw, x=xp, heat_map=False)
    except SweepError as e:
        sw.note = e.message if ": " in str(e) else str(e)
        return None
    return _svg(fig, "sweep")
