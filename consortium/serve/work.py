"""What the workers of ``consortium serve`` run: each function takes plain data
(picklable: it crosses to a worker process or a dask worker) and the job's
:class:`~.jobs.Emitter` last, and returns plain data.

* :func:`open_instance`: an uploaded file (instance JSON or workbook)
  validated as the command line validates it, with its messages;
* :func:`solve_scenario`: a scenario solved and verified. The instance as
  opened is solved as ``consortium solve`` solves it; a what-if scenario (the
  instance with overrides at sweep paths) is re-solved on the model this
  worker built for the instance before, as a sweep worker does
  (:class:`~consortium.sweep.scenario.SweepSession`, cached by the instance's
  sha256 in :data:`consortium.solving.runner.CACHE`);
* :func:`run_sweep_job`: a sweep into a results file;
* :func:`render_report_job`: the static HTML report;
* :func:`explain_job`: the repairs of issue 15's what-if engine, where
  ``consortium.api.explain`` exists.
"""

from __future__ import annotations

import copy
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InputError

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


class UploadError(InputError):
    """An upload that is not a valid instance: ``errors`` are the lines the
    command line prints for the same file (each ``error: ...``)."""


def open_instance(name: str, data: bytes, emit: Any = None) -> dict[str, Any]:
    """``{"raw", "name", "warnings"}`` of an instance file (JSON) or workbook
    (``.xlsx``) given as its bytes; :class:`UploadError` with the command
    line's lines (``consortium solve FILE`` for JSON, ``consortium import
    FILE`` for a workbook) when it is not valid."""
    from ..cli.common import error_lines
    from ..io.instance import InstanceError, from_dict, unknown_keys
    from ..io.jsonfile import parse

    base = Path(name.replace("\\", "/")).name or "upload.json"
    warnings: list[str] = []
    if Path(base).suffix.lower() in WORKBOOK_SUFFIXES:
        from ..spec import INSTANCE_FORMAT
        from ..spreadsheet import SpreadsheetError, read_workbook

        with tempfile.TemporaryDirectory(prefix="consortium-upload-") as d:
            p = Path(d) / base
            p.write_bytes(data)
            try:
                raw, warnings = read_workbook(p)
            except SpreadsheetError as e:
                raise UploadError([f"error: {line}" for line in e.errors],
                                  [f"warning: {w}" for w in e.warnings]) from None
        raw = {"format": INSTANCE_FORMAT, **raw}
        if raw.get("name") is None:
            raw["name"] = Path(base).stem
        inst = from_dict(copy.deepcopy(raw))
    else:
        try:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as e:
                raise InstanceError([f"{base}: not UTF-8 text ({e.reason} at byte {e.start})"]
                                    ) from None
            raw = parse(text, base)
            inst = from_dict(copy.deepcopy(raw))
        except InstanceError as e:
            lines = error_lines(e.errors or [str(e)], f"consortium validate {base}")
            raise UploadError(lines) from None
        if not isinstance(raw, dict):  # (from_dict refused it already)
            raise UploadError([f"error: {base}: (top level): must be a JSON object"])
        if raw.get("name") is None:
            raw = dict(raw, name=Path(base).stem)
        warnings = unknown_keys(inst)
    return {"raw": raw, "name": raw.get("name") or inst.display_name,
            "warnings": [f"warning: {w}" for w in warnings]}


def _options(settings: dict[str, Any]) -> Any:
    from ..backends.base import SolverOptions

    return SolverOptions(time_limit=settings.get("time_limit"), gap=settings.get("gap") or 0.0,
                         threads=settings.get("threads") or 1, highs=dict(settings.get("highs")
                                                                          or {}),
                         method=settings.get("method") or "auto")


def solve_scenario(raw_text: str, sha: str, overrides: dict[str, Any], settings: dict[str, Any],
                   fresh: bool, emit: Any) -> dict[str, Any]:
    """A scenario's verified plan (the solution file's JSON, with ``diagnosis``
    when infeasible). ``settings``: the profile's settings with the page's time
    limit (:func:`consortium.solving.profiles.settings`). ``fresh``: solve as
    ``consortium solve`` does (the instance as opened); otherwise re-solve this
    worker's loaded model of the instance with the overrides."""
    from ..io.instance import from_dict
    from ..solving.runner import CACHE
    from ..solving.verified import resolve_verified, solve_verified
    from ..sweep.paths import apply_overrides
    from ..sweep.scenario import SweepSession, SweepTask

    t0 = time.monotonic()
    emit.phase("reading")
    raw = json.loads(raw_text)
    variant = apply_overrides(raw, overrides) if overrides else raw
    inst = from_dict(copy.deepcopy(variant))
    base = _options(settings)
    opts = replace(base, on_phase=emit.phase, on_progress=emit.progress)
    if opts.time_limit is not None:
        opts.deadline = t0 + opts.time_limit
    if fresh:
        sol = solve_verified(inst, opts, raw=variant)
    else:
        # the sweep's per-worker state for this instance and these options
        task = SweepTask(sha, raw_text, {k: settings.get(k) for k in
                                         ("time_limit", "gap", "highs", "method", "threads")})
        st = task.state()
        first = st.session is None
        emit.phase("building" if first else "updating the model")
        if first:
            st.session = SweepSession(inst, st.opts)
        sess = st.session
        assert sess is not None
        # a scenario's plan depends on the scenario alone, not on the ones
        # asked before it (as a sweep forgets at each chunk)
        sess.forget()
        emit.phase("solving")
        try:
            sol = resolve_verified(sess, None if first else inst, variant, reasons=True,
                                   opts=opts)
        except Exception:
            CACHE.drop(task.key)  # the model may be half updated: build it anew next time
            raise
        if not sol.status.has_plan:  # the command line's diagnosis of the variant
            emit.phase("diagnosis")
            sol = solve_verified(inst, opts, raw=variant, reasons=False)
        sol.solver["reused_model"] = not first
    emit.phase("done")
    return sol.to_dict()


def run_sweep_job(raw_text: str, sets: list[tuple[str, list[Any]]], results: str,
                  settings: dict[str, Any], scheduler: str | None, emit: Any) -> dict[str, Any]:
    """A sweep of the instance over ``sets`` (path, values) into ``results``
    (SQLite), solved in this process (a local worker) or on the dask cluster."""
    from ..sweep import expand, read_results, run_sweep

    emit.phase("sweeping")
    folder = Path(results).parent
    folder.mkdir(parents=True, exist_ok=True)
    inst_path = folder / "instance.json"
    inst_path.write_text(raw_text, encoding="utf-8")
    opts = {k: settings.get(k) for k in ("time_limit", "gap", "highs", "method")} | {"threads": 1}
    summary = run_sweep(inst_path, expand(sets, False), results, opts=opts, workers=0,
                        scheduler=scheduler, overwrite=True)
    frame = read_results(results).frame()
    return {"rows": json.loads(frame.to_json(orient="records")), "paths": [p for p, _ in sets],
            "seconds": summary.seconds, "statuses": summary.statuses}


def render_report_job(raw: dict[str, Any], plan: dict[str, Any], title: str | None,
                      emit: Any) -> str:
    """The static HTML report of ``consortium report`` for a scenario's plan."""
    from ..io.instance import from_dict
    from ..report.page import render_report

    return render_report(from_dict(copy.deepcopy(raw)), plan, verify_raw=raw, title=title)


def contracts_workbook_job(raw: dict[str, Any], plan: dict[str, Any], emit: Any) -> bytes:
    """The contracts workbook of ``consortium solve --table FILE.xlsx``, as bytes."""
    from ..io.instance import from_dict
    from ..spreadsheet import export_contracts

    with tempfile.TemporaryDirectory(prefix="consortium-contracts-") as d:
        p = Path(d) / "contracts.xlsx"
        export_contracts(from_dict(copy.deepcopy(raw)), plan, p)
        return p.read_bytes()


def explain_available() -> bool:
    """Is issue 15's what-if engine (``consortium.api.explain``) installed?"""
    from .. import api

    return callable(getattr(api, "explain", None))


def explain_job(raw: dict[str, Any], plan: dict[str, Any], targets: list[str],
                emit: Any) -> list[dict[str, Any]]:
    """The repairs of the unformed ``targets`` from ``consortium.api.explain``
    (issue 15), as :func:`normalise_repairs` gives them."""
    from .. import api

    explain = getattr(api, "explain", None)
    if not callable(explain):
        raise InputError("the what-if engine (consortium explain) is not installed")
    emit.phase("explaining")
    result = explain(copy.deepcopy(raw), plan, targets=targets or None)
    return normalise_repairs(result)


def normalise_repairs(result: Any) -> list[dict[str, Any]]:
    """``explain``'s result as plain records: its ``--json`` form
    ``{"targets": [...]}``, an object with ``to_dict()``, or one with ``.targets``."""

    def plain(x: Any) -> Any:
        if hasattr(x, "to_dict") and not isinstance(x, dict):
            return plain(x.to_dict())
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [plain(v) for v in x]
        if hasattr(x, "__dataclass_fields__"):
            return {k: plain(getattr(x, k)) for k in x.__dataclass_fields__}
        return x

    data = plain(result)
    if isinstance(data, dict) and "targets" in data:
        data = data["targets"]
    elif not isinstance(data, list) and hasattr(result, "targets"):
        data = plain(result.targets)
    keys = ("kind", "path", "from", "to", "objective", "formed", "label")
    out = []
    for t in data if isinstance(data, list) else []:
        if not isinstance(t, dict) or "target" not in t:
            continue
        reps = [r for r in (t.get("repairs") or []) if isinstance(r, dict) and r.get("path")]
        rs = t.get("repair_set")
        rs = rs if isinstance(rs, dict) else {}
        changes = [c for c in (rs.get("changes") or []) if isinstance(c, dict) and c.get("path")]
        out.append({"target": t["target"], "reason": t.get("reason", ""),
                    "repairs": [{k: r.get(k) for k in keys} for r in reps],
                    "repair_set": {"changes": [{k: c.get(k) for k in ("path", "from", "to",
                                                                      "label")}
                                               for c in changes],
                                   "objective": rs.get("objective")} if changes else None})
    return out


def repair_options(targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every repair of :func:`normalise_repairs`' targets as one list of
    options, each ``{"target", "changes": {path: to}, "text", "objective"}``:
    the single changes, then each target's set of changes."""
    opts = []
    for t in targets:
        for r in t["repairs"]:
            opts.append({"target": t["target"], "changes": {r["path"]: r["to"]},
                         "text": _change_text(r),
                         "objective": r.get("objective")})
        rs = t.get("repair_set")
        if rs:
            opts.append({"target": t["target"],
                         "changes": {c["path"]: c["to"] for c in rs["changes"]},
                         "text": "together: " + "; ".join(_change_text(c)
                                                          for c in rs["changes"]),
                         "objective": rs.get("objective")})
    return opts


def _change_text(c: dict[str, Any]) -> str:
    """``sponsor suzhou's budget (sponsors[suzhou].budget): 65 → 70.605``"""

    def fmt(v: Any) -> str:
        return f"{v:.6g}" if isinstance(v, float) else json.dumps(v)

    where = f"{c['label']} ({c['path']})" if c.get("label") else c["path"]
    return f"{where}: {fmt(c.get('from'))} → {fmt(c.get('to'))}"
