"""``consortium serve``: a local web app to open, solve and question plans.

One page (Dash, on the waitress WSGI server): open an instance (an instance
file or a workbook, uploaded, or a shipped example), solve it with a profile
and a time limit with live progress, read its KPIs, map, contracts and
network, see why targets are not formed, re-solve what-if scenarios (budgets,
weights, policy rules), compare up to three side by side, run a sweep and
plot it, and download the plan, the contracts workbook and the HTML report.

Modules: :mod:`.app` (the page and its callbacks), :mod:`.state` (each
browser session's instance and scenarios), :mod:`.jobs` (worker processes
or a dask cluster, with live progress), :mod:`.work` (what the workers run),
:mod:`.figures` (the plotly figures).

Why Dash: it serves its own JavaScript (React, plotly.js, the AG Grid of
``dash-ag-grid``) from the Python packages, so the page works offline with
no CDN, and it brings the interactive pieces the page needs (zoomable
figures with click events, a sortable and filterable grid, uploads,
downloads) without JavaScript of our own.
"""

from __future__ import annotations

import sys
from typing import Any


def serve(instance: str | None = None, *, host: str = "127.0.0.1", port: int = 8050,
          workers: int = 2, scheduler: str | None = None, threads: int = 8,
          on_ready: Any = None) -> None:
    """Validate ``instance`` (if given; raises InputError like the command
    line), start the workers and serve the app until interrupted."""
    from pathlib import Path

    from waitress import create_server

    from .app import Server
    from .jobs import Jobs
    from .state import Opened
    from .work import open_instance

    initial = None
    if instance is not None:
        p = Path(instance)
        if instance == "-":  # standard input, as every command takes it
            r = open_instance("-", sys.stdin.buffer.read())  # messages name it "-", as solve's
            if r["name"] == "-":
                r["raw"]["name"] = r["name"] = "stdin"
            initial = Opened(r["raw"], r["name"], "standard input", r["warnings"])
        elif p.is_dir():
            from ..errors import InputError

            raise InputError(f"{instance}: give an instance file (.json) or a workbook (.xlsx)")
        else:
            try:
                data = p.read_bytes()
            except OSError as e:
                from ..errors import InputError

                raise InputError(f"{instance}: "
                                 f"{'no such file' if not p.exists() else e.strerror}") from None
            r = open_instance(p.name, data)
            initial = Opened(r["raw"], r["name"], p.name, r["warnings"])
        for w in initial.warnings:
            print(w, file=sys.stderr)
    jobs = Jobs(workers=workers, scheduler=scheduler)
    srv = None
    try:
        srv = Server(jobs, initial)
        wsgi = create_server(srv.app.server, host=host, port=port, threads=threads,
                             ident="consortium")
        url = f"http://{wsgi.effective_host}:{wsgi.effective_port}/"  # type: ignore[union-attr]
        print(f"consortium serve: {url} (solves on {jobs.mode}; Ctrl-C stops)",
              file=sys.stderr, flush=True)
        if on_ready is not None:
            on_ready(url)
        wsgi.run()
    finally:
        jobs.close()
        if srv is not None:
            srv.sessions.close()
