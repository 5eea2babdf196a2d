"""Running a sweep: the results file created or resumed, the scenarios still to
solve dealt out in chunks to the one runner (local processes, this process,
or a dask cluster), every result committed the moment it arrives."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..solving import runner
from ..solving.runner import CACHE
from .grid import Grid, chunked, default_chunk, validate
from .paths import SweepError
from .scenario import SweepTask, failed_row
from .store import RESULTS_FORMAT, Store, remove_results


@dataclass
class Summary:
    total: int
    done_before: int
    solved: int
    statuses: dict[str, int]
    seconds: float
    interrupted: bool = False


def instance_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def solver_meta(opts: dict[str, Any]) -> dict[str, Any]:
    """The solver options that change results (checked on --resume)."""
    return {
        "time_limit": opts.get("time_limit"),
        "gap": opts.get("gap"),
        "highs": opts.get("highs") or {},
        "method": opts.get("method") or "auto",
    }


def run_sweep(instance: str | Path, grid: Grid, results: str | Path, *,
              opts: dict[str, Any] | None = None, workers: int = 2, scheduler: str | None = None,
              resume: bool = False, overwrite: bool = False, retry_failed: bool = False,
              chunk: int | None = None, verify: bool = True, progress: bool = False,
              on_event: Callable[[str], None] | None = None, validated: bool = False) -> Summary:
    """Run (or complete) a sweep; every result is committed to ``results`` at once."""
    from ..io.instance import InstanceError, from_dict, parse, read_text

    opts = dict(opts or {})
    opts.setdefault("threads", 1)
    inst_path = Path(instance)
    try:
        text = read_text(inst_path)
        raw = parse(text, str(inst_path))
        base = from_dict(raw)
    except InstanceError as e:
        raise SweepError(e.errors[0]) from None
    if raw.get("name") is None:
        raw = dict(raw, name=inst_path.stem)
    sha = instance_sha256(inst_path)
    if not validated:
        validate(raw, grid)
    res_path = Path(results)
    if resume and overwrite:
        raise SweepError("--resume and --overwrite contradict each other")
    meta = {
        "format": RESULTS_FORMAT,
        "instance": str(inst_path),
        "instance_sha256": sha,
        "instance_name": raw.get("name"),
        "currency": base.currency or "",
        "paths": grid.paths,
        "grid": grid.spec,
        "scenarios_sha256": grid.sha256,
        "n_scenarios": len(grid.scenarios),
        "solver": solver_meta(opts),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    exists = res_path.exists()
    if exists and not resume and not overwrite:
        raise SweepError(
            f"{res_path} exists: use --resume to complete it or --overwrite to start again"
        )
    if exists and overwrite:
        remove_results(res_path)
        exists = False
    res_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        store = Store(res_path)
    except sqlite3.DatabaseError as e:
        raise SweepError(f"{res_path}: not a sweep results file ({e})") from None
    try:
        if exists and not store.tables():
            exists = False  # killed before its first transaction: an empty database
        if exists:
            old = store.meta()
            if old.get("format") != RESULTS_FORMAT:
                raise SweepError(f"{res_path}: not a consortium sweep results file")
            if old.get("instance_sha256") != sha:
                raise SweepError(
                    f"cannot resume {res_path}: it was made from a different instance "
                    f"({old.get('instance', '?')}, sha256 {old.get('instance_sha256', '?')[:12]}; "
                    f"this one is {sha[:12]})"
                )
            if old.get("scenarios_sha256") != grid.sha256:
                raise SweepError(
                    f"cannot resume {res_path}: it was made from a different grid "
                    f"({_grid_text(old.get('grid'))}; "
                    f"this one is {_grid_text(json.dumps(grid.spec))})"
                )
            made = json.loads(old.get("solver", "{}"))
            made.setdefault("method",
                            "mip")  # files from before --method: every scenario was one MILP
            if made != json.loads(json.dumps(meta["solver"])):
                raise SweepError(
                    f"cannot resume {res_path}: it was made with other solver options "
                    f"({json.dumps(made)}; now {json.dumps(meta['solver'])})"
                )
            store.paths = json.loads(old["paths"])
            if retry_failed:
                store.forget(store.failed())
        else:
            store.create(grid.paths, meta)
        done = store.done()
        todo = [i for i in range(len(grid.scenarios)) if i not in done]
        size = chunk or default_chunk(len(grid.scenarios))
        chunks = chunked(todo, size)
        statuses: dict[str, int] = {}
        t0 = time.perf_counter()
        bar = task_id = None
        n_failed = 0

        def on_result(res: dict[str, Any]) -> None:
            """A finished scenario: committed to the file at once."""
            nonlocal n_failed
            sid = res["scenario"]
            if sid in done:
                return
            store.commit(res)
            done.add(sid)
            st = res["row"]["status"]
            statuses[st] = statuses.get(st, 0) + 1
            n_failed += st == "failed"
            if bar is not None:
                bar.update(task_id, advance=1, failed=n_failed)

        items = [(i, grid.scenarios[i]) for i in todo]
        task = SweepTask(sha, json.dumps(raw, ensure_ascii=False), opts, verify)

        def on_lost(item: tuple[int, dict[str, Any]], why: str, worker: str | None) -> None:
            on_result({"scenario": item[0], "row": failed_row(item[1], why, worker), "plan": None})

        interrupted = False
        ctx_bar = _progress_bar() if progress and todo else None
        try:
            if ctx_bar is not None:
                bar = ctx_bar.__enter__()
                task_id = bar.add_task("sweep", total=len(grid.scenarios),
                                       completed=len(grid.scenarios) - len(todo), failed=0)
            by_sid = dict(items)
            item_chunks = [[(sid, by_sid[sid]) for sid in ch] for ch in chunks]
            if workers <= 0 and not scheduler:
                CACHE.drop(task.key)  # solved in this process: start from a fresh session
            try:
                runner.run_tasks(task, item_chunks, lambda _item, res: on_result(res),
                                 workers=0 if workers <= 0 else min(workers, len(chunks)),
                                 scheduler=scheduler, on_lost=on_lost,
                                 is_done=lambda item: item[0] in done, on_event=on_event)
            except runner.SchedulerUnreachable as e:
                raise SweepError(
                    f"--scheduler {scheduler}: cannot connect "
                    f"({type(e.original).__name__}: {e.original})"
                ) from None
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if ctx_bar is not None:
                ctx_bar.__exit__(None, None, None)
        return Summary(len(grid.scenarios), len(grid.scenarios) - len(todo), sum(statuses.values()),
                       statuses, time.perf_counter() - t0, interrupted)
    finally:
        store.close()


def _grid_text(spec_json: str | None) -> str:
    try:
        spec = json.loads(spec_json or "{}")
    except json.JSONDecodeError:
        return "?"
    if spec.get("mode") == "file":
        return f"scenarios from {spec.get('file')}"
    sets = spec.get("sets") or []
    return (" --zip " if spec.get("mode") == "zip" else " ").join(
        f"--set {p}={','.join(json.dumps(v) for v in vals[:6])}{',...' if len(vals) > 6 else ''}"
        for p, vals in sets
    ) or "?"


def _progress_bar() -> Any:
    from ..report.terminal import progress_bar

    return progress_bar(counted="scenarios  [red]{task.fields[failed]} failed", left="left")
