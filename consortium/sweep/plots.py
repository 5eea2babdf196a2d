"""Plots of a sweep: one figure against a swept path (lines) or over two (a heat
map). ``consortium plot`` writes it to a file; ``consortium report --sweep``
puts the same figure in the page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..io.jsonfile import atomic_path
from .paths import SweepError, parse_path
from .store import SweepResults, read_results

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

METRICS = ["objective", "spend", "formed", "gap", "bound", "solve_time_s"]


_MONEY_KEYS = {"budget", "total_budget", "cost", "lead_cost", "value"}


def param_label(path: str, currency: str) -> str:
    steps = [s for s in parse_path(path) if s.kind == "key"]
    keys = [str(s.value) for s in steps]
    last = keys[-1] if keys else path
    cur = currency or "money units"
    if len(keys) >= 2 and keys[-2] == "weights":
        unit = "weight"
    elif "bids" in keys[:-1] or last in _MONEY_KEYS:
        unit = cur
    elif last.endswith("_km"):
        unit = "km"
    elif last in ("max_state_share",):
        unit = "share of members"
    elif last == "bonus_rate":
        unit = "rate"
    elif last in ("min_members", "max_members", "min_private_members", "min_outside_members"):
        unit = "members"
    else:
        unit = ""
    return f"{path} ({unit})" if unit else path


def metric_label(metric: str, currency: str) -> str:
    cur = currency or "money units"
    return {
        "objective": f"objective ({cur})",
        "spend": f"spend ({cur})",
        "bound": f"bound ({cur})",
        "gap": "relative gap",
        "formed": "consortia formed",
        "solve_time_s": "solve time (s)",
    }.get(metric, metric)


def _axis_values(series) -> tuple[bool, list[Any], dict[Any, float]]:
    """(numeric?, ordered distinct values, value -> position)."""
    vals = [None if isinstance(v, float) and v != v else v for v in series]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) and v == v for v in vals)
    if numeric:
        nums = sorted({float(v) if isinstance(v, float) else v for v in vals if v is not None})
        return True, nums, {v: float(v) for v in nums}
    order = []
    for v in vals:
        if v not in order:
            order.append(v)
    return False, order, {v: float(i) for i, v in enumerate(order)}


def _fmt(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def plot_results(results: str | Path | SweepResults, out: str | Path, x: str | None = None,
                 y: str | None = None, by: str | None = None) -> str:
    """Draw a sweep to ``out`` (.png, .svg or .pdf); returns what was drawn."""
    ext = Path(out).suffix.lower()
    if ext not in (".png", ".svg", ".pdf"):
        raise SweepError(f"{out}: the plot file must end in .png, .svg or .pdf")
    res = results if isinstance(results, SweepResults) else read_results(results)
    fig, desc = plot_sweep(res, x=x, y=y, by=by)
    import matplotlib

    with atomic_path(out) as tmp, matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(tmp, dpi=150, bbox_inches="tight")  # (text kept as text in SVG files)
    return desc


def plot_sweep(res: SweepResults, x: str | None = None, y: str | None = None, by: str | None = None,
               heat_map: bool = True) -> tuple[Figure, str]:
    """The figure of a sweep: objective and spend (twin axes, or the metric ``y``)
    against the swept path ``x``, the consortia formed as a step chart and which
    targets are formed; with two swept paths (or ``by``) a heat map of the
    metric (``heat_map=False``: curves, one per value of the other paths).
    Scenarios without a plan are marked on the x axis (red crosses:
    infeasible, orange: no plan within the limits, black: failed)."""
    paths = res.params
    where = res.path
    if not paths:
        raise SweepError(f"{where}: the sweep has no swept path")
    x = x or paths[0]
    for opt, pth in (("--x", x), ("--by", by)):
        if pth is not None and pth not in paths:
            raise SweepError(
                f"{opt} {pth}: not a swept path of {where} (swept: {', '.join(paths)})"
            )
    if by is not None and by == x:
        raise SweepError("--by must differ from --x")
    if y is not None and y not in METRICS:
        raise SweepError(f"--y {y}: unknown metric (choose from {', '.join(METRICS)})")
    df = res.frame()
    if df.empty:
        raise SweepError(f"{where}: no finished scenario to plot")
    if by is None and len(paths) == 2 and heat_map:
        by = paths[1] if x == paths[0] else paths[0]
    import numpy as np
    from matplotlib.figure import Figure

    cur, name = res.currency, res.name
    if by is not None:
        return _heatmap(df, x, by, y or "objective", cur, name, Figure, np)
    return _lines(df, x, y, [q for q in paths if q != x], cur, name, Figure, np)


def _lines(df: pd.DataFrame, x: str, y: str | None, others: list[str], cur: str, name: str,
           Figure: type[Figure], np: Any) -> tuple[Figure, str]:
    numeric, order, pos = _axis_values(df[x])
    groups = [((), df)] if not others else list(df.groupby(others, sort=False, dropna=False))
    if len(groups) > 12:
        raise SweepError(
            f"{len(groups)} curves (other swept paths {', '.join(others)}): "
            "use --by to draw a heat map instead"
        )
    formed_lists = [v if isinstance(v, list) else [] for v in df["formed_targets"]]
    targets: list[str] = []
    for v in sorted(range(len(df)), key=lambda i: pos[df[x].iloc[i]]):
        for t in formed_lists[v]:
            if t not in targets:
                targets.append(t)
    matrix = len(groups) == 1 and targets and len(targets) <= 60
    heights = [3.2, 1.8] + ([0.45 + 0.2 * len(targets)] if matrix else [])
    fig = Figure(figsize=(8, sum(heights) + 1.0))
    axes = fig.subplots(len(heights), 1, sharex=True, gridspec_kw={"height_ratios": heights})
    ax1, ax2 = axes[0], axes[1]
    xl = param_label(x, cur)

    def xs_of(g: pd.DataFrame) -> tuple[pd.DataFrame, Any]:
        g = g.assign(_pos=[pos[v] for v in g[x]]).sort_values("_pos")
        return g, g["_pos"].to_numpy(dtype=float)

    def glabel(key: Any) -> str:
        key = key if isinstance(key, tuple) else (key,)
        return ", ".join(f"{p}={_fmt(v)}" for p, v in zip(others, key, strict=False))

    import matplotlib

    colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    if y in (None, "objective", "spend"):
        ax1b = ax1.twinx() if y is None else None
        handles = []
        for gi, (key, g) in enumerate(groups):
            g, xs = xs_of(g)
            lab = glabel(key) if others else None
            if y in (None, "objective"):
                c = colors[gi % len(colors)] if others else "C0"
                (h,) = ax1.plot(xs, g["objective"].to_numpy(dtype=float), "o-", color=c, ms=3.5,
                                label=(lab + " objective") if lab else "objective")
                handles.append(h)
            if y in (None, "spend"):
                c = colors[gi % len(colors)] if others else "C1"
                target_ax = ax1 if ax1b is None else ax1b
                (h,) = target_ax.plot(xs, g["spend"].to_numpy(dtype=float), "s--", color=c, ms=3.0,
                                      label=(lab + " spend") if lab else "spend")
                handles.append(h)
        if ax1b is not None:
            ax1.set_ylabel(metric_label("objective", cur), color="C0" if not others else None)
            ax1b.set_ylabel(metric_label("spend", cur), color="C1" if not others else None)
        else:
            ax1.set_ylabel(metric_label(y or "objective", cur))
        ax1.legend(handles=handles, loc="best", fontsize=7)
    else:
        for key, g in groups:
            g, xs = xs_of(g)
            ax1.plot(xs, g[y].to_numpy(dtype=float), "o-", ms=3.5,
                     label=glabel(key) if others else y)
        ax1.set_ylabel(metric_label(y, cur))
        if others:
            ax1.legend(fontsize=7)
    bad = df[~df["status"].isin(["optimal", "feasible"])]
    if len(bad):
        for st, mk, col in (
            ("infeasible", "x", "red"),
            ("no_solution", "x", "orange"),
            ("failed", "X", "black"),
        ):
            b = bad[bad["status"] == st]
            if len(b):
                ax1.plot([pos[v] for v in b[x]], [0.02] * len(b), mk, color=col,
                         transform=ax1.get_xaxis_transform(), clip_on=False, label=st)
        ax1.legend(fontsize=7, loc="best")
    ax1.grid(alpha=0.3)
    for key, g in groups:
        g, xs = xs_of(g)
        ax2.step(xs, g["formed"].to_numpy(dtype=float), "-", where="post", marker="o", ms=3,
                 label=glabel(key) if others else None)
    ax2.set_ylabel("consortia formed")
    ax2.yaxis.get_major_locator().set_params(integer=True)
    ax2.grid(alpha=0.3)
    last = ax2
    if matrix:
        ax3 = axes[2]
        g, xs = xs_of(df)
        fl = [v if isinstance(v, list) else [] for v in g["formed_targets"]]
        for ti, t in enumerate(targets):
            on = [xx for xx, f in zip(xs, fl, strict=False) if t in f]
            ax3.plot(on, [ti] * len(on), "s", color="C2", ms=4)
        ax3.set_yticks(range(len(targets)))
        ax3.set_yticklabels(targets, fontsize=7 if len(targets) > 15 else 8)
        ax3.set_ylim(-0.6, len(targets) - 0.4)
        ax3.invert_yaxis()
        ax3.set_ylabel("formed targets")
        ax3.grid(alpha=0.3, axis="x")
        last = ax3
    last.set_xlabel(xl)
    if not numeric:
        last.set_xticks([pos[v] for v in order])
        last.set_xticklabels([_fmt(v) for v in order])
    fig.suptitle(f"{name}: sweep of {x} ({len(df)} scenarios)")
    fig.tight_layout()
    return fig, f"{len(groups)} curve(s) against {x}"


def _heatmap(df: pd.DataFrame, x: str, by: str, metric: str, cur: str, name: str,
             Figure: type[Figure], np: Any) -> tuple[Figure, str]:
    nx, xorder, _ = _axis_values(df[x])
    ny, yorder, _ = _axis_values(df[by])
    xi = {v: i for i, v in enumerate(xorder)}
    yi = {v: i for i, v in enumerate(yorder)}
    grid = np.full((len(yorder), len(xorder)), np.nan)
    count = np.zeros_like(grid)
    for xv, yv, m in zip(df[x], df[by], df[metric].to_numpy(dtype=float), strict=False):
        i, j = yi[yv], xi[xv]
        if np.isfinite(m):
            grid[i, j] = m if count[i, j] == 0 else grid[i, j] + m
            count[i, j] += 1
    with np.errstate(invalid="ignore"):
        grid = np.where(count > 0, grid / np.maximum(count, 1), np.nan)
    averaged = bool((count > 1).any())
    import matplotlib

    fig = Figure(figsize=(max(5.0, 1.0 + 0.55 * len(xorder)), max(3.5, 1.2 + 0.4 * len(yorder))))
    ax = fig.subplots()
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#cccccc")
    im = ax.imshow(np.ma.masked_invalid(grid), origin="lower", aspect="auto", cmap=cmap)
    cb = fig.colorbar(im, ax=ax)
    cb.set_label(metric_label(metric, cur) + ("  (grey: no plan)" if np.isnan(grid).any() else ""))
    ax.set_xticks(range(len(xorder)))
    ax.set_xticklabels([_fmt(v) for v in xorder], rotation=45 if len(xorder) > 8 else 0,
                       ha="right" if len(xorder) > 8 else "center")
    ax.set_yticks(range(len(yorder)))
    ax.set_yticklabels([_fmt(v) for v in yorder])
    ax.set_xlabel(param_label(x, cur))
    ax.set_ylabel(param_label(by, cur))
    if grid.size <= 225:
        finite = grid[np.isfinite(grid)]
        mid = (finite.min() + finite.max()) / 2 if finite.size else 0
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                if np.isfinite(grid[i, j]):
                    v = grid[i, j]
                    txt = (
                        f"{v:.0f}"
                        if metric == "formed"
                        else (f"{v:.2%}" if metric == "gap" else f"{v:.4g}")
                    )
                    ax.text(j, i, txt, ha="center", va="center", fontsize=7,
                            color="white" if v < mid else "black")
    ax.set_title(
        f"{name}: {metric_label(metric, cur)} ({len(df)} scenarios)"
        + ("\nmean over the other swept paths" if averaged else "")
    )
    fig.tight_layout()
    return fig, f"heat map of {metric} over {x} x {by}"
