"""Running a sweep: the results file created or resumed, the scenarios still to
solve dealt out in chunks to the one runner (local processes, this process,
or a dask cluster), every result committed the moment it arrives."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..solving import runner
from ..solving.runner import CACHE
from .grid import Grid, chunks_of, reach_envelope, validate
from .grid import anchor as grid_anchor
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
    # why the sweep stopped before its end though nothing failed: the results
    # file could not be written (a full disk); the committed rows are intact
    unwritable: str | None = None


class Unwritable(Exception):
    """A result could not be committed to the results file (disk full, I/O error)."""


class ResultsLock:
    """One sweep at a time per results file: an exclusive ``flock`` on
    ``RESULTS.lock``, held while the sweep runs. The kernel drops it when the
    process ends however it ends (``kill -9`` too), so a lock is never stale;
    the file itself stays (removing it would let a third sweep lock a
    different file of the same name)."""

    def __init__(self, results: Path):
        import fcntl

        self.path = Path(str(results) + ".lock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(self.fd, 200, 0).decode("utf-8", "replace").strip()
            os.close(self.fd)
            raise SweepError(
                f"{results} is being written by another sweep ({holder or 'a running process'}; "
                f"lock {self.path}): wait for it to finish, or write to another file"
            ) from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"pid {os.getpid()}, since {time.strftime('%H:%M:%S')}".encode(), 0)

    def release(self) -> None:
        os.close(self.fd)  # closing the descriptor drops the lock


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
    lock = ResultsLock(res_path)  # before anything looks at the file: one writer at a time
    try:
        return _run_locked(res_path, inst_path, raw, base, sha, grid, meta, opts, workers,
                           scheduler, resume, overwrite, retry_failed, chunk, verify, progress,
                           on_event)
    finally:
        lock.release()


def _run_locked(res_path: Path, inst_path: Path, raw: dict[str, Any], base: Any, sha: str,
                grid: Grid, meta: dict[str, Any], opts: dict[str, Any], workers: int,
                scheduler: str | None, resume: bool, overwrite: bool, retry_failed: bool,
                chunk: int | None, verify: bool, progress: bool,
                on_event: Callable[[str], None] | None) -> Summary:
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
            try:
                store.create(grid.paths, meta)
            except (sqlite3.DatabaseError, OSError) as e:
                raise SweepError(f"cannot write {res_path} ({type(e).__name__}: {e})") from None
        done = store.done()
        todo = [i for i in range(len(grid.scenarios)) if i not in done]
        # distance limits swept: every scenario on the model of the loosest ones
        reach = reach_envelope(raw, grid)
        lifted = reach is not None
        chunks = chunks_of(grid, todo, lifted, chunk)
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
            try:
                store.commit(res)  # one transaction: rolled back whole if it fails
            except (sqlite3.DatabaseError, OSError) as e:
                raise Unwritable(f"{type(e).__name__}: {e}") from None
            done.add(sid)
            st = res["row"]["status"]
            statuses[st] = statuses.get(st, 0) + 1
            n_failed += st == "failed"
            if bar is not None:
                bar.update(task_id, advance=1, failed=n_failed)

        items = [(i, grid.scenarios[i]) for i in todo]
        task = SweepTask(sha, json.dumps(raw, ensure_ascii=False), opts, verify,
                         anchor=grid_anchor(grid, lifted), reach=reach)

        def on_lost(item: tuple[int, dict[str, Any]], why: str, worker: str | None) -> None:
            on_result({"scenario": item[0], "row": failed_row(item[1], why, worker), "plan": None})

        interrupted = False
        unwritable = None
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
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM
            interrupted = True
        except Unwritable as e:
            # the workers are stopped (run_tasks cleans up on the way out); what
            # was committed stays, and --resume completes the file
            hint = "" if "full" in str(e) else "; is the disk full?"
            unwritable = (f"cannot write {res_path} ({e}{hint}): the sweep stopped "
                          f"with {len(done)} of {len(grid.scenarios)} scenarios committed, all "
                          "intact; make room and run again with --resume")
        finally:
            if ctx_bar is not None:
                ctx_bar.__exit__(None, None, None)
        return Summary(len(grid.scenarios), len(grid.scenarios) - len(todo), sum(statuses.values()),
                       statuses, time.perf_counter() - t0, interrupted, unwritable)
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
