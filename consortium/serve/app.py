"""The Dash app of ``consortium serve``: one page, its state on the server.

Every action of the page (open, solve, re-solve, click on the map, pick a
scenario, run a sweep) goes to one callback, :func:`act`, which changes the
session's state (:mod:`.state`) or hands a job to the workers (:mod:`.jobs`),
then renders the whole page from that state (:func:`render`): the page is a
view of the session, never a second copy of it. While a job runs, a timer
shows its progress and hands the result to the session when it is done.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import traceback
from pathlib import Path
from typing import Any

import dash_ag_grid as dag
from dash import ALL, Dash, Input, Output, State, callback_context, dcc, html, no_update

from ..errors import InputError
from ..result.money import digits, rounded
from . import figures, work
from .jobs import Jobs
from .state import (
    MAX_SCENARIOS,
    Opened,
    Scenario,
    Sessions,
    UserSession,
    compare,
    controls,
    describe,
    overrides_from,
)

# An upload larger than this is refused by the page and by the server.
MAX_UPLOAD_MB = 50
# Sweeps from the page: at most this many points.
MAX_SWEEP_POINTS = 60
TIME_LIMIT_MAX_S = 3600.0
REPO = Path(__file__).resolve().parents[2]


def examples() -> list[dict[str, str]]:
    """The instances shipped in ``instances/`` (demo, workbooks, regression set)."""
    root = REPO / "instances"
    out = []
    for sub, pattern in (("demo", "*.json"), ("workbook", "*.xlsx"), ("regression", "*.json")):
        for p in sorted((root / sub).glob(pattern)):
            if not p.name.endswith(".expected.json"):
                out.append({"label": f"{sub}/{p.name}", "value": str(p)})
    return out


# ====================================================================== layout


def _section(title: str, *children: Any, **kw: Any) -> html.Div:
    return html.Div([html.H3(title), *children], className="section", **kw)


def layout(server: Server) -> html.Div:
    sid = server.sessions.new()
    if server.initial is not None:
        server.sessions.get(sid).open(server.initial)
    from ..solving import profiles

    profs = [{"label": f"{k}: {v}" if v else k, "value": k}
             for k, v in profiles.available().items()]
    open_box = _section(
        "Open",
        dcc.Upload(id="upload", children=html.Div(["Drop an instance (.json) or a workbook "
                                                   "(.xlsx) here, or ", html.A("choose a file")]),
                   className="upload", max_size=MAX_UPLOAD_MB * 1024 * 1024, multiple=False),
        html.Div([dcc.Dropdown(id="example", options=examples(), placeholder="a shipped example",
                               className="grow"),
                  html.Button("Open example", id="open-example")], className="row"),
    )
    solve_box = _section(
        "Solve",
        html.Div([html.Label("profile"),
                  dcc.Dropdown(id="profile", options=profs, value="default", clearable=False,
                               className="grow"),
                  html.Label("time limit (s)"),
                  dcc.Input(id="time-limit", type="number", min=1, max=TIME_LIMIT_MAX_S,
                            value=60, className="num"),
                  html.Button("Solve", id="solve", className="primary")], className="row"),
        html.Div(id="progress", className="progress"),
    )
    plan_tab = dcc.Tab(label="Plan", value="plan", id="tab-plan", children=[
        html.Div([html.Label("scenario"),
                  dcc.Dropdown(id="shown", clearable=False, className="grow"),
                  html.Button("Remove scenario", id="remove-scenario")], className="row"),
        html.Div(id="kpis", className="kpis"),
        html.Div([
            html.Div([html.H4("Map"), dcc.Graph(id="map", config={"displaylogo": False,
                                                                   "scrollZoom": True})],
                     className="half"),
            html.Div([html.H4("Network of one consortium"),
                      dcc.Dropdown(id="consortium", placeholder="a consortium"),
                      dcc.Graph(id="network", config={"displaylogo": False})],
                     className="half"),
        ], className="cols"),
        html.H4(id="contracts-title", children="Contracts"),
        html.Div([html.Button("Download CSV", id="contracts-csv"),
                  html.Button("Download XLSX", id="contracts-xlsx"),
                  html.Span("(the rows as filtered and sorted)", className="hint")],
                 className="row"),
        dag.AgGrid(id="contracts", rowData=[], columnDefs=[],
                   defaultColDef={"sortable": True, "filter": True, "floatingFilter": True,
                                  "resizable": True, "minWidth": 90},
                   dashGridOptions={"domLayout": "autoHeight", "pagination": True,
                                    "paginationPageSize": 20},
                   style={"width": "100%"}, className="ag-theme-quartz"),
    ])
    unformed_tab = dcc.Tab(label="Not formed", value="unformed", id="tab-unformed", children=[
        html.Div(id="unformed"),
        html.Div([html.Button("What would form them? (repairs)", id="repairs")],
                 className="row"),
        html.Div(id="repairs-out"),
    ])
    whatif_tab = dcc.Tab(label="What-if", value="whatif", id="tab-whatif", children=[
        html.P("Change budgets, weights or policy rules and re-solve: the workers re-solve the "
               "model they built for this instance (as a sweep does). Up to "
               f"{MAX_SCENARIOS} scenarios are kept; compare them on the next tab.",
               className="hint"),
        html.Div(id="whatif-form"),
        html.Div([html.Label("other change: path"),
                  dcc.Input(id="custom-path", type="text", placeholder="targets[t-wear].value",
                            className="grow"),
                  html.Label("value"),
                  dcc.Input(id="custom-value", type="text", placeholder="150", className="num")],
                 className="row"),
        html.Div([html.Button("Re-solve", id="resolve", className="primary")], className="row"),
    ])
    compare_tab = dcc.Tab(label="Compare", value="compare", id="tab-compare",
                          children=[html.Div(id="compare")])
    sweep_tab = dcc.Tab(label="Sweep", value="sweep", id="tab-sweep", children=[
        html.Div([html.Label("path"), dcc.Dropdown(id="sweep-path", className="grow"),
                  html.Label("values"),
                  dcc.Input(id="sweep-values", type="text", placeholder="80:240:20",
                            className="grow"),
                  html.Button("Run sweep", id="run-sweep", className="primary")],
                 className="row"),
        html.Div(id="sweep-status", className="hint"),
        dcc.Graph(id="sweep-graph", config={"displaylogo": False}),
    ])
    downloads_tab = dcc.Tab(label="Downloads", value="downloads", id="tab-downloads", children=[
        html.P("The scenario shown on the Plan tab:", className="hint"),
        html.Div([html.Button("Plan (JSON)", id="dl-plan"),
                  html.Button("Contracts workbook (XLSX)", id="dl-workbook"),
                  html.Button("Report (HTML)", id="dl-report")], className="row"),
    ])
    return html.Div([
        dcc.Store(id="sid", data=sid),
        dcc.Interval(id="tick", interval=400, disabled=True),
        dcc.Download(id="download"),
        html.Div([html.H1("consortium"), html.Span(id="title", className="title"),
                  html.Span(f"solves on {server.jobs.mode}", className="hint right")],
                 className="header"),
        html.Div([open_box, solve_box], className="cols top"),
        html.Pre(id="message", className="message"),
        dcc.Tabs(id="tabs", value="plan", children=[plan_tab, unformed_tab, whatif_tab,
                                                    compare_tab, sweep_tab, downloads_tab]),
    ], className="page")


# ====================================================================== the server


class Server:
    """The app and what it serves from: the sessions and the job runner."""

    def __init__(self, jobs: Jobs, initial: Opened | None = None):
        self.jobs = jobs
        self.initial = initial
        self.sessions = Sessions()
        self.locks: dict[str, threading.Lock] = {}
        self.app = Dash(__name__, title="consortium", update_title=None,  # type: ignore[arg-type]
                        serve_locally=True,
                        assets_folder=str(Path(__file__).parent / "assets"),
                        suppress_callback_exceptions=True)
        self.app.server.config["MAX_CONTENT_LENGTH"] = (2 * MAX_UPLOAD_MB + 1) * 1024 * 1024
        self.app.layout = lambda: layout(self)
        _callbacks(self)

    def lock(self, sid: str) -> threading.Lock:
        with self.sessions.lock():
            return self.locks.setdefault(sid, threading.Lock())


OUTPUTS = [
    ("title", "children"), ("message", "children"), ("tick", "disabled"),
    ("shown", "options"), ("shown", "value"), ("kpis", "children"), ("map", "figure"),
    ("map", "clickData"), ("consortium", "options"), ("consortium", "value"),
    ("network", "figure"), ("contracts-title", "children"), ("contracts", "rowData"),
    ("contracts", "columnDefs"), ("unformed", "children"), ("repairs", "disabled"),
    ("repairs-out", "children"), ("whatif-form", "children"), ("compare", "children"),
    ("sweep-path", "options"), ("sweep-status", "children"), ("sweep-graph", "figure"),
    ("upload", "contents"), ("custom-path", "value"), ("custom-value", "value"),
    ("progress", "children"),
]


def _callbacks(server: Server) -> None:
    app = server.app
    inputs = [Input("upload", "contents"), Input("open-example", "n_clicks"),
              Input("solve", "n_clicks"), Input("resolve", "n_clicks"),
              Input("tick", "n_intervals"), Input("shown", "value"), Input("map", "clickData"),
              Input("consortium", "value"), Input("run-sweep", "n_clicks"),
              Input("remove-scenario", "n_clicks"), Input("repairs", "n_clicks"),
              Input({"type": "apply-repair", "index": ALL}, "n_clicks")]
    states = [State("sid", "data"), State("upload", "filename"), State("example", "value"),
              State("profile", "value"), State("time-limit", "value"),
              State({"type": "wi", "path": ALL}, "value"), State("custom-path", "value"),
              State("custom-value", "value"), State("sweep-path", "value"),
              State("sweep-values", "value")]

    @app.callback([Output(c, p) for c, p in OUTPUTS], inputs, states)
    def _act(*args: Any) -> list[Any]:
        return act(server, callback_context, *args)

    @app.callback(Output("download", "data"),
                  [Input("contracts-csv", "n_clicks"), Input("contracts-xlsx", "n_clicks"),
                   Input("dl-plan", "n_clicks"), Input("dl-workbook", "n_clicks"),
                   Input("dl-report", "n_clicks")],
                  [State("contracts", "virtualRowData"), State("contracts", "columnDefs"),
                   State("sid", "data")], prevent_initial_call=True)
    def _download(*args: Any) -> Any:
        try:
            return download(server, callback_context.triggered_id, *args[5:])
        except Exception:  # the page stays as it is
            traceback.print_exc()
            return no_update


# ====================================================================== actions


def act(server: Server, ctx: Any, contents: Any, _ex: Any, _solve: Any, _resolve: Any,
        _tick: Any, shown: Any, click: Any, consortium: Any, _sweep: Any, _remove: Any,
        _repairs: Any, _apply: Any, sid: str, filename: Any, example: Any, profile: Any,
        time_limit: Any, wi_values: list[Any], custom_path: Any, custom_value: Any,
        sweep_path: Any, sweep_values: Any) -> list[Any]:
    s = server.sessions.get(sid)
    trig = ctx.triggered_id
    with server.lock(s.id):
        try:
            if trig == "tick":
                if not _collect(server, s):  # under way: the progress line only
                    busy: list[Any] = [no_update] * len(OUTPUTS)
                    busy[-1] = progress_line(server, s)
                    return busy
            elif trig == "upload" and contents:
                _open_upload(server, s, filename or "upload.json", contents)
            elif trig == "open-example" and example:
                p = Path(example)
                if str(p) not in {e["value"] for e in examples()}:
                    s.message = "error: not a shipped example"
                else:
                    _submit_open(server, s, p.name, p.read_bytes(), f"example {p.name}")
            elif trig == "solve":
                _submit_solve(server, s, {}, profile, time_limit, fresh=True)
            elif trig == "resolve":
                ids = [i["id"]["path"] for i in ctx.states_list[5]]
                values = dict(zip(ids, wi_values, strict=True))
                _whatif(server, s, values, custom_path, custom_value, profile, time_limit)
            elif trig == "shown" and shown is not None:
                names = [sc.name for sc in s.scenarios]
                if shown in names and names.index(shown) != s.shown:
                    s.shown, s.selected = names.index(shown), None
            elif trig == "map" and click:
                pts = click.get("points") or []
                t = pts[0].get("customdata") if pts else None
                if isinstance(t, list):
                    t = t[0] if t else None
                if t:
                    s.selected = None if s.selected == t else t
            elif trig == "consortium":
                s.selected = consortium
            elif trig == "run-sweep":
                _submit_sweep(server, s, sweep_path, sweep_values, profile, time_limit)
            elif trig == "remove-scenario":
                if len(s.scenarios) > 1:
                    gone = s.scenarios.pop(s.shown)
                    s.repairs.pop(gone.name, None)
                    s.shown, s.selected = max(0, s.shown - 1), None
            elif trig == "repairs":
                _submit_repairs(server, s)
            elif isinstance(trig, dict) and trig.get("type") == "apply-repair":
                fired = [v for v in (ctx.triggered or []) if v.get("value")]
                if fired:
                    return _apply_repair(server, s, int(trig["index"]), profile, time_limit)
            return render(server, s)
        except InputError as e:  # a bad path, value or option: the command line's line
            from ..cli.common import error_lines

            s.message = "\n".join(error_lines(e.errors or [str(e)]))
        except Exception as e:  # never a broken page: say what happened
            s.message = f"error: {type(e).__name__}: {e}".splitlines()[0]
            traceback.print_exc()
        out: list[Any] = [no_update] * len(OUTPUTS)
        out[1] = s.message
        return out


def _busy(server: Server, s: UserSession) -> bool:
    job = server.jobs.get(s.job)
    if job is not None and not job.over:
        s.message = f"wait: a {s.job_kind} is under way in this session"
        return True
    return False


def _open_upload(server: Server, s: UserSession, filename: str, contents: str) -> None:
    try:
        _head, b64 = contents.split(",", 1)
        data = base64.b64decode(b64, validate=False)
    except (ValueError, TypeError):
        s.message = f"error: {filename}: the upload could not be read"
        return
    _submit_open(server, s, filename, data, f"upload {Path(filename).name}")


def _submit_open(server: Server, s: UserSession, name: str, data: bytes, source: str) -> None:
    if _busy(server, s):
        return
    s.job = server.jobs.submit("open", work.open_instance, name, data)
    s.job_kind, s.job_meta = "validation", {"source": source}
    s.message = ""


def _settings(profile: Any, time_limit: Any) -> dict[str, Any]:
    from ..solving import profiles

    tl = None
    if time_limit not in (None, ""):
        tl = float(time_limit)
        if not (math.isfinite(tl) and tl > 0):
            raise ValueError("time limit: a positive number of seconds")
        tl = min(tl, TIME_LIMIT_MAX_S)
    st = profiles.settings(profile or "default", tl, None, 1, None)
    return st


def _submit_solve(server: Server, s: UserSession, overrides: dict[str, Any], profile: Any,
                  time_limit: Any, *, fresh: bool, name: str | None = None) -> None:
    if s.opened is None:
        s.message = "error: open an instance first"
        return
    if _busy(server, s):
        return
    st = _settings(profile, time_limit)
    if not fresh:
        s.opened.variant(overrides)  # a bad path is refused here, before any job
    o = s.opened
    s.job = server.jobs.submit("solve", work.solve_scenario, o.text, o.sha, overrides, st, fresh,
                               affinity=o.sha)
    label = name or ("plan as opened" if fresh else s.next_name())
    s.job_kind = "solve"
    s.job_meta = {"name": label, "overrides": overrides, "settings": st, "fresh": fresh}
    s.message = ""


def _whatif(server: Server, s: UserSession, values: dict[str, Any], custom_path: Any,
            custom_value: Any, profile: Any, time_limit: Any) -> None:
    if s.opened is None:
        s.message = "error: open an instance first"
        return
    from ..sweep.paths import parse_path, parse_scalar

    raw = s.opened.raw
    ov = overrides_from(raw, values)
    if custom_path:
        parse_path(custom_path)
        ov[str(custom_path).strip()] = parse_scalar(str(custom_value or "").strip())
    if not ov:
        s.message = "nothing changed: edit a value on the What-if tab first"
        return
    _check_variant(s, ov)
    if s.message:
        return
    _submit_solve(server, s, ov, profile, time_limit, fresh=False)


def _check_variant(s: UserSession, ov: dict[str, Any]) -> None:
    """The variant validated as a sweep scenario is, with the same messages."""
    from ..errors import InputError
    from ..io.instance import from_dict

    assert s.opened is not None
    try:
        from_dict(json.loads(json.dumps(s.opened.variant(ov))))
    except InputError as e:
        from ..cli.common import error_lines

        s.message = "\n".join(line.replace("error: ", "error: what-if: ", 1)
                              for line in error_lines(e.errors or [str(e)]))
        return
    s.message = ""


def _submit_sweep(server: Server, s: UserSession, path: Any, values: Any, profile: Any,
                  time_limit: Any) -> None:
    from ..sweep.paths import parse_path, parse_values

    if s.opened is None:
        s.message = "error: open an instance first"
        return
    if not path or not values:
        s.message = "error: sweep: give a path and its values (80:240:20, or 0.4,0.6,0.8)"
        return
    parse_path(path)
    vals = parse_values(str(values))
    if len(vals) > MAX_SWEEP_POINTS:
        s.message = (f"error: sweep: {len(vals)} points; the page runs at most "
                     f"{MAX_SWEEP_POINTS} (use `consortium sweep` for more)")
        return
    from ..sweep import expand, validate

    validate(json.loads(json.dumps(s.opened.raw)), expand([(path, vals)], False))  # as `sweep`
    if _busy(server, s):
        return
    st = _settings(profile, time_limit)
    results = str(s.folder / "sweep.sqlite")
    args = (s.opened.text, [(path, vals)], results, st)
    if server.jobs.scheduler is not None:  # the sweep itself hands its scenarios to dask
        s.job = server.jobs.submit_thread("sweep", work.run_sweep_job, *args,
                                          server.jobs.scheduler)
    else:
        s.job = server.jobs.submit("sweep", work.run_sweep_job, *args, None)
    s.job_kind, s.job_meta = "sweep", {"path": path, "n": len(vals), "results": results}
    s.message = ""


def _submit_repairs(server: Server, s: UserSession) -> None:
    sc = s.scenario()
    if s.opened is None or sc is None or not sc.has_plan:
        s.message = "error: solve first: repairs are for the targets a plan leaves unformed"
        return
    if not work.explain_available():
        s.message = ("repairs need the what-if engine (`consortium explain`, issue 15), which "
                     "is not installed in this version; the reasons above are shown meanwhile")
        return
    if _busy(server, s):
        return
    targets = [u["target"] for u in sc.plan.get("unformed") or []]
    s.job = server.jobs.submit("explain", work.explain_job, s.opened.variant(sc.overrides),
                               sc.plan, targets)
    s.job_kind, s.job_meta = "repairs", {"scenario": sc.name}
    s.message = ""


def _apply_repair(server: Server, s: UserSession, index: int, profile: Any,
                  time_limit: Any) -> list[Any]:
    sc = s.scenario()
    opts = work.repair_options(s.repairs.get(sc.name if sc else "", []))
    if sc is not None and 0 <= index < len(opts):
        ov = {**sc.overrides, **opts[index]["changes"]}
        _check_variant(s, ov)
        if not s.message:
            _submit_solve(server, s, ov, profile, time_limit, fresh=False)
    return render(server, s)


def _collect(server: Server, s: UserSession) -> bool:
    """A finished job's result into the session. False: nothing to show yet."""
    job = server.jobs.get(s.job)
    if job is None:
        s.job = None
        return True
    if not job.over:
        return False
    kind, meta = s.job_kind, s.job_meta
    s.job, s.last_job = None, s.job
    if job.state == "failed":
        why = job.error or "the job failed"
        s.message = why if why.startswith(("error:", "warning:")) else f"error: {why}"
        if kind == "validation":
            s.message = f"{meta['source']}: not opened\n{s.message}"
        return True
    if kind == "validation":
        r = job.result
        s.open(Opened(r["raw"], r["name"], meta["source"], r["warnings"]))
        s.message = "\n".join(r["warnings"])
    elif kind == "solve":
        assert s.opened is not None
        sc = Scenario(meta["name"], meta["overrides"], job.result, meta["settings"])
        note = s.add(sc)
        lines = [note] if note else []
        if not sc.has_plan:
            lines += [f"{sc.name}: {sc.plan.get('status')}"] + list(sc.plan.get("diagnosis")
                                                                      or [])
        s.message = "\n".join(lines)
    elif kind == "sweep":
        s.sweep = {**job.result, "path": meta["path"]}
    elif kind == "repairs":
        s.repairs[meta["scenario"]] = job.result
    return True


# ====================================================================== rendering


def progress_line(server: Server, s: UserSession) -> Any:
    job = server.jobs.get(s.job or s.last_job)
    if job is None:
        return ""
    what = s.job_kind or job.kind
    parts: list[Any] = [html.B(f"{what}: {job.phase}"), f" {job.elapsed:5.1f} s"]
    plan = job.result if job.state == "done" and isinstance(job.result, dict) else None
    if plan is not None and "status" in plan:  # the plan's own figures, not the last report
        gap = plan.get("gap")
        parts.append(f"   {plan['status']}, objective {_fmt(plan.get('objective'), 4)}"
                     + ("" if gap is None else f", gap {gap:.2%}"))
    elif job.incumbent is not None or job.bound is not None:
        inc = "-" if job.incumbent is None else f"{job.incumbent:,.4f}"
        bnd = "-" if job.bound is None else f"{job.bound:,.4f}"
        gap = "-" if job.gap is None or job.gap > 1e20 else f"{job.gap:.2%}"
        parts.append(f"   incumbent {inc}   bound {bnd}   gap {gap}")
    if what == "sweep" and not job.over:
        done = _sweep_done(s.job_meta.get("results"))
        parts.append(f"   {done} of {s.job_meta.get('n')} scenarios")
    if job.state == "queued":
        parts.append(f"   (queued: {server.jobs.running()} job(s) under way)")
    return html.Span(parts, id="progress-line", className=f"job-{job.state}")


def _sweep_done(results: Any) -> int:
    import sqlite3

    try:
        con = sqlite3.connect(f"file:{results}?mode=ro", uri=True, timeout=0.2)
        try:
            return int(con.execute("select count(*) from scenarios").fetchone()[0])
        finally:
            con.close()
    except Exception:
        return 0


def _fmt(x: Any, nd: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    return str(x)


def _pct(x: Any) -> str:
    return f"{x:.1%}" if isinstance(x, (int, float)) and not isinstance(x, bool) else "–"


def _card(label: str, value: str, cls: str = "") -> html.Div:
    return html.Div([html.Div(value, className="kv"), html.Div(label, className="kl")],
                    className=f"card {cls}")


def kpi_cards(plan: dict[str, Any], currency: str) -> list[Any]:
    k = plan.get("kpis") or {}
    cur = f" ({currency})" if currency else ""
    gap = plan.get("gap")
    cards = [_card("status", str(plan.get("status")), f"status-{plan.get('status')}"),
             _card("objective", _fmt(plan.get("objective"), 4)),
             _card("bound, gap", f"{_fmt(plan.get('bound'), 4)}, "
                   f"{'–' if gap is None else f'{gap:.2%}'}")]
    if k:
        bu = k.get("budget_use") or {}
        tot = bu.get("total") or {}
        cards += [_card("formed targets", f"{k.get('formed')} of {k.get('targets')}"),
                  _card(f"value{cur}", _fmt(k.get("value"))),
                  _card(f"spend{cur}", _fmt(k.get("spend"))
                        + (f" / {_fmt(tot.get('budget'))}" if tot.get("budget") is not None
                           else ""))]
        for sp, u in (bu.get("sponsors") or {}).items():
            use = u.get("use")
            cards.append(_card(f"sponsor {sp}", f"{_fmt(u.get('spend'))} / "
                               f"{_fmt(u.get('budget'))}"
                               + (f" ({use:.0%})" if isinstance(use, (int, float)) else "")))
        cards += [_card("members (distinct)", f"{k.get('members')} ({k.get('distinct_actors')})"),
                  _card("state-enterprise share", _pct(k.get("state_share"))),
                  _card("private members", _fmt(k.get("private_members"))),
                  _card("outside-region share", _pct(k.get("outside_region_share"))),
                  _card("mean member-site distance", _fmt(k.get("mean_distance_km"), 1)
                        + " km"),
                  _card("ties realised", f"{k.get('ties_realised')} (weight "
                        f"{_fmt(k.get('ties_weight'), 1)})")]
    msg = (plan.get("solver") or {}).get("message")
    if msg:
        cards.append(html.Div(f"solver: {msg}", className="hint wide"))
    return cards


def _table(rows: list[dict[str, Any]], cols: list[str], cls: str = "") -> html.Table:
    return html.Table([html.Thead(html.Tr([html.Th(c) for c in cols])),
                       html.Tbody([html.Tr([html.Td(_fmt(r.get(c))) for c in cols])
                                   for r in rows])], className=f"table {cls}")


def contracts_grid(s: UserSession, sc: Scenario) -> tuple[list[Any], list[Any], str]:
    from ..result.solution import Solution
    from ..result.tables import solution_tables

    assert s.opened is not None
    inst = s.opened.inst
    heads, rows = solution_tables(Solution.coerce(sc.plan), inst)["contracts"]
    nd = digits(inst.currency)
    keys = [f"c{i}" for i in range(len(heads))]
    money = {i for i, h in enumerate(heads) if "(" in h and h.endswith(")")}
    data = []
    for r in rows:
        if s.selected and r[0] != s.selected:
            continue
        data.append({k: (rounded(v, nd) if i in money and isinstance(v, float) else v)
                     for i, (k, v) in enumerate(zip(keys, r, strict=True))})
    cols = [{"field": k, "headerName": h, **({"type": "numericColumn",
                                               "filter": "agNumberColumnFilter"}
                                              if i in money else {})}
            for i, (k, h) in enumerate(zip(keys, heads, strict=True))]
    title = (f"Contracts of {s.selected}" if s.selected
             else "Contracts of every consortium (click one on the map to narrow)")
    return data, cols, title


def unformed_view(s: UserSession, sc: Scenario) -> Any:
    assert s.opened is not None
    names = {t.id: t.name or t.id for t in s.opened.inst.targets}
    rows = [{"target": u["target"], "name": names.get(u["target"], ""),
             "reason": u.get("reason", "")} for u in sc.plan.get("unformed") or []]
    if not rows:
        return html.P("Every target is formed.")
    return _table(rows, ["target", "name", "reason"], "unformed")


def repairs_view(s: UserSession, sc: Scenario) -> Any:
    if not work.explain_available():
        return html.P("Repairs (\"what would form it\": the least change of a budget, a "
                      "distance, a rule) come from the what-if engine (`consortium explain`, "
                      "issue 15) once it is installed; this page calls it then.",
                      className="hint")
    got = s.repairs.get(sc.name)
    if got is None:
        return html.P("Ask for the repairs with the button above.", className="hint")
    out: list[Any] = []
    opts = work.repair_options(got)
    for t in got:
        out.append(html.H4(f"{t['target']}: {t.get('reason', '')}"))
        mine = [(i, o) for i, o in enumerate(opts) if o["target"] == t["target"]]
        if not mine:
            out.append(html.P("no change found that forms it", className="hint"))
        out.append(html.Ul([html.Li([f"{o['text']} (objective {_fmt(o['objective'], 4)}) ",
                                     html.Button("try it", id={"type": "apply-repair",
                                                               "index": i})])
                            for i, o in mine]))
    return html.Div(out, id="repairs-view")


def whatif_form(s: UserSession, sc: Scenario | None) -> Any:
    assert s.opened is not None
    raw = s.opened.raw
    now = sc.overrides if sc is not None else {}
    groups: dict[str, list[Any]] = {}
    for c in controls(raw):
        v = now.get(c.path, c.value)
        cid = {"type": "wi", "path": c.path}
        if c.kind == "bool":
            box: Any = dcc.Dropdown(id=cid, options=[{"label": "yes", "value": True},
                                                     {"label": "no", "value": False}],
                                    value=bool(v), clearable=False, className="num")
        elif c.kind == "share":
            box = dcc.Slider(id=cid, min=0, max=1, step=0.05, value=v,
                             marks={0: "0", 0.5: "0.5", 1: "1"},
                             tooltip={"always_visible": False, "placement": "bottom"})
        else:
            box = dcc.Input(id=cid, type="number", value=v, debounce=False, className="num",
                            step="any" if c.kind == "number" else 1)
        groups.setdefault(c.group, []).append(
            html.Div([html.Label(c.label, title=c.path), html.Div(box, className="ctl"),
                      html.Span(f"now {_fmt(c.value)}", className="hint")], className="field"))
    titles = {"budgets": "Budgets", "weights": "Objective weights", "policy": "Policy rules"}
    return html.Div([html.Div([html.H4(titles[g]), *items], className="group")
                     for g, items in groups.items()], className="cols")


def compare_view(s: UserSession) -> Any:
    if s.opened is None or not s.scenarios:
        return html.P("Solve, then re-solve a what-if: the scenarios appear here side by side.",
                      className="hint")
    cmp = compare(s.scenarios, s.opened.raw)
    names = cmp["names"]
    heads = html.Div([html.Div([html.B(sc.name), html.Div(describe(sc.overrides, s.opened.raw),
                                                          className="hint")], className="card")
                      for sc in s.scenarios], className="kpis")
    moved = (_table(cmp["moved"], ["actor", *names], "moved") if cmp["moved"]
             else html.P("Nobody moved: every actor is in the same consortia in every scenario."))
    return html.Div([heads, html.H4("KPIs"), _table(cmp["kpis"], ["kpi", *names], "cmp-kpis"),
                     html.H4("Targets"), _table(cmp["formed"], ["target", *names], "cmp-formed"),
                     html.H4("Who moved"), moved], id="compare-view")


def render(server: Server, s: UserSession) -> list[Any]:
    out: dict[str, Any] = {f"{c}.{p}": no_update for c, p in OUTPUTS}
    job = server.jobs.get(s.job)
    out["tick.disabled"] = job is None or job.over
    out["message.children"] = s.message
    out["upload.contents"] = None
    out["map.clickData"] = None
    out["progress.children"] = progress_line(server, s)
    empty = figures.go.Figure()
    figures._layout(empty, height=300, xaxis={"visible": False}, yaxis={"visible": False})
    if s.opened is None:
        out.update({"title.children": "no instance open", "shown.options": [],
                    "shown.value": None, "kpis.children": [], "map.figure": empty,
                    "consortium.options": [], "consortium.value": None,
                    "network.figure": empty, "contracts.rowData": [],
                    "contracts.columnDefs": [], "unformed.children": "",
                    "repairs.disabled": True, "repairs-out.children": "",
                    "whatif-form.children": html.P("Open an instance first.", className="hint"),
                    "compare.children": compare_view(s), "sweep-path.options": [],
                    "sweep-status.children": "", "sweep-graph.figure": empty})
        return [out[f"{c}.{p}"] for c, p in OUTPUTS]
    o = s.opened
    inst = o.inst
    sc = s.scenario()
    out["title.children"] = f"{o.name} ({o.source}): {len(inst.targets)} targets, " \
                            f"{len(inst.actors)} actors, {len(inst.sites)} sites"
    out["shown.options"] = [{"label": f"{x.name}: {describe(x.overrides, o.raw)}",
                             "value": x.name} for x in s.scenarios]
    out["shown.value"] = sc.name if sc else None
    plan = sc.plan if sc else None
    out["map.figure"] = figures.map_figure(inst, plan, s.selected)
    if sc is None or plan is None:
        out.update({"kpis.children": html.P("Not solved yet: press Solve.", className="hint"),
                    "consortium.options": [], "consortium.value": None,
                    "network.figure": empty, "contracts.rowData": [],
                    "contracts.columnDefs": [], "unformed.children": "",
                    "repairs.disabled": True, "repairs-out.children": ""})
    else:
        cons = plan.get("consortia") or []
        out["kpis.children"] = kpi_cards(plan, inst.currency or "")
        out["consortium.options"] = [{"label": f"{c['target']} (lead {c['lead']})",
                                      "value": c["target"]} for c in cons]
        if s.selected not in {c["target"] for c in cons}:
            s.selected = None
        out["consortium.value"] = s.selected
        out["network.figure"] = figures.network_figure(inst, plan, s.selected)
        rows, cols, title = contracts_grid(s, sc)
        out.update({"contracts.rowData": rows, "contracts.columnDefs": cols,
                    "contracts-title.children": title})
        out["unformed.children"] = unformed_view(s, sc)
        out["repairs.disabled"] = not (plan.get("unformed") and work.explain_available())
        out["repairs-out.children"] = repairs_view(s, sc)
    out["whatif-form.children"] = whatif_form(s, sc)
    out["compare.children"] = compare_view(s)
    out["sweep-path.options"] = [{"label": f"{c.path} (now {_fmt(c.value)})", "value": c.path}
                                 for c in controls(o.raw) if c.kind != "bool"]
    if s.sweep is not None:
        n = len(s.sweep["rows"])
        st = ", ".join(f"{v} {k}" for k, v in sorted(s.sweep["statuses"].items()))
        out["sweep-status.children"] = (f"sweep of {s.sweep['path']}: {n} scenarios ({st}) in "
                                        f"{s.sweep['seconds']:.1f} s")
        out["sweep-graph.figure"] = figures.sweep_figure(s.sweep["rows"], s.sweep["path"])
    else:
        out["sweep-status.children"] = ""
        out["sweep-graph.figure"] = empty
    return [out[f"{c}.{p}"] for c, p in OUTPUTS]


# ====================================================================== downloads


def download(server: Server, trig: Any, rows: Any, cols: Any, sid: str) -> Any:
    s = server.sessions.get(sid)
    sc = s.scenario()
    if s.opened is None or sc is None:
        return no_update
    stem = f"{s.opened.name}-{sc.name}".replace(" ", "-")
    if trig in ("contracts-csv", "contracts-xlsx"):
        import pandas as pd

        heads = {c["field"]: c["headerName"] for c in cols or []}
        frame = pd.DataFrame(rows or [], columns=list(heads)).rename(columns=heads)
        if trig == "contracts-csv":
            return {"content": frame.to_csv(index=False), "filename": f"{stem}-contracts.csv"}
        import io

        buf = io.BytesIO()
        frame.to_excel(buf, index=False, sheet_name="contracts")
        return {"content": base64.b64encode(buf.getvalue()).decode(), "base64": True,
                "filename": f"{stem}-contracts.xlsx"}
    raw = s.opened.variant(sc.overrides)
    if trig == "dl-plan":
        from ..io.jsonfile import dumps

        return {"content": dumps(sc.plan), "filename": f"{stem}.json"}
    if not sc.has_plan:
        return no_update
    if trig == "dl-workbook":
        data = server.jobs.run("contracts", work.contracts_workbook_job, raw, sc.plan)
        return {"content": base64.b64encode(data).decode(), "base64": True,
                "filename": f"{stem}-contracts.xlsx"}
    if trig == "dl-report":
        page = server.jobs.run("report", work.render_report_job, raw, sc.plan,
                               f"{s.opened.name}: {sc.name}")
        return {"content": page, "filename": f"{stem}.html"}
    return no_update
