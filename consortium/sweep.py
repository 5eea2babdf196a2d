"""Parameter sweeps: solve many variants of one instance, keep every result.

``consortium sweep INSTANCE --set PATH=VALUES [--set ...] -o RESULTS.sqlite``

*Paths* point into the raw instance JSON: ``policy.total_budget``,
``policy.weights.cost``, ``sponsors[suzhou].budget`` (a list item by id),
``targets[3].value`` (by index), ``targets[*].max_distance_km`` (every item),
``actors[a1].bids.t1`` (a key of a mapping). *Values* are a list
(``0.4,0.6,0.8``; ``null`` removes a cap, ``true``/``false`` are booleans) or a
range ``START:STOP:STEP`` computed in decimal arithmetic (``0.1:0.5:0.1`` gives
five points; STOP is included when it lies on the grid). Several ``--set``
make the full grid (the last one varies fastest); ``--zip`` pairs them
instead. ``--scenarios FILE`` takes the scenarios from a CSV file (one column
per path, an empty cell keeps the instance's value) or a JSON list of
``{path: value}`` objects. Every scenario is applied to the raw JSON and
validated like an instance file before anything is solved.

Storage: one SQLite file (standard library, WAL journal) with three tables:

* ``scenarios``: one row per scenario -- ``scenario`` (its index in the
  grid, the primary key), ``overrides`` (JSON), one column per swept path,
  ``status``, ``objective``, ``bound``, ``gap``, ``spend``, ``formed``,
  ``formed_targets`` and ``leads`` (JSON), ``solve_time_s``, ``worker``,
  ``error``;
* ``plans``: ``scenario`` -> the full solution JSON of that scenario;
* ``meta``: the instance path and its sha256, the grid specification, the
  scenario list's sha256 and the solver options.

Why SQLite rather than Parquet or CSV: a sweep runs for minutes to hours and
must lose nothing when it is killed. SQLite commits every finished scenario
(its row and its plan) as one transaction; a committed transaction survives
``kill -9`` of the sweep and even a power cut (``synchronous=FULL``), while an
interrupted transaction simply never happened, so a file is never half
written. The primary key makes ``--resume`` exact: it solves the scenarios
that have no row, and a scenario can never be stored twice. Parquet files are
immutable column chunks with a footer written at close: they cannot be
appended to row by row safely, and a killed writer leaves an unreadable file.
SQLite is read directly by ``pandas.read_sql("select * from scenarios",
sqlite3.connect(path))``; ``--export FILE.parquet`` writes the table as
Parquet after the sweep for those who prefer it.

Speed: every worker process builds the model once (a
:class:`consortium.resolve.Session`, one HiGHS thread) and re-solves each of
its scenarios by updating the loaded HiGHS model in place, warm-started from
the previous plan of its chunk (a scenario that the method -- ``--method``,
the profile's ``method``, or ``auto`` by model size -- decomposes by target is
solved by the decomposition, as ``consortium solve`` would, starting from that
plan). Scenarios are dealt out in contiguous chunks
of consecutive grid points; the warm start restarts at each chunk, so a
scenario's result depends only on the grid and never on which worker ran it
or how many there were. Workers are local processes (``--workers N``) or the
workers of a dask.distributed cluster (``--scheduler ADDRESS``), where each
worker caches its Session by the instance's sha256; only the instance text
(scattered once to every worker), the overrides and the results (rows and
zlib-compressed plans) cross the network.

A HiGHS run cut off at a time limit that does not stop at once (its presolve
checks the clock rarely) is left running by the back end, and highspy runs one
solve per process at a time: the next scenario waits for it, and a local
worker still blocked after a few seconds is replaced by a fresh process.

Nothing is lost: the parent process commits each result the moment it
arrives. A scenario that raises, that the solver fails on, or whose worker
process dies is stored with status ``failed`` and the message; a dead local
worker is replaced for the rest of its chunk and the sweep goes on.
``--workers 0`` solves in the sweep process itself (debugging).

Exit status of ``consortium sweep``: 0 every scenario has a result
(``infeasible`` and ``no_solution`` are results, not failures); 1 some
scenarios failed (``--resume --retry-failed`` solves them again); 2 invalid
input, before anything is solved; 130 interrupted (the finished scenarios are
kept; ``--resume`` completes the file).

``consortium plot RESULTS --x PATH [--y METRIC] [--by PATH2] -o FILE`` draws
objective and spend against a swept path (twin axes), the consortia formed as
a step chart and which targets are formed; with two swept paths (or ``--by``)
a heat map of the metric.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import math
import os
import queue
import re
import sqlite3
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click

RESULTS_FORMAT = "consortium-sweep/1"
MAX_POINTS = 1_000_000
RESULT_COLUMNS = ["status", "objective", "bound", "gap", "spend", "formed", "formed_targets",
                  "leads", "solve_time_s", "worker", "error"]
METRICS = ["objective", "spend", "formed", "gap", "bound", "solve_time_s"]
FAULT_ENV = "CONSORTIUM_SWEEP_FAULT"  # test hook: "kill@3,raise@5" (scenario ids)


class SweepError(Exception):
    """Invalid sweep input (bad path, value, grid, results file): exit status 2."""


# ====================================================================== values


_INT = re.compile(r"^[+-]?\d+$")


def parse_scalar(tok: str) -> Any:
    """One value from the command line: number, true/false, null, or text."""
    s = tok.strip()
    low = s.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "none"):
        return None
    if _INT.match(s):
        return int(s)
    try:
        v = float(s)
    except ValueError:
        if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
            return s[1:-1]
        return s
    if not math.isfinite(v):
        raise SweepError(f"{tok!r}: not a finite number")
    return v


def _decimal(tok: str) -> Decimal | None:
    try:
        d = Decimal(tok.strip())
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def parse_range(text: str) -> list[Any]:
    """``START:STOP[:STEP]`` -> the grid points, computed in decimal (no float drift).

    STOP is included when it lies on the grid. Integers stay integers when
    START, STOP and STEP are all integers.
    """
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise SweepError(f"{text!r}: a range is START:STOP:STEP")
    nums = [_decimal(p) for p in parts]
    if any(n is None for n in nums):
        raise SweepError(f"{text!r}: a range needs numbers (START:STOP:STEP)")
    start, stop = nums[0], nums[1]
    step = nums[2] if len(nums) == 3 else Decimal(1)
    if step == 0:
        raise SweepError(f"{text!r}: the step must not be 0")
    span = (stop - start) / step
    if span < 0:
        raise SweepError(f"{text!r}: the step goes away from STOP (use a {'negative' if step > 0 else 'positive'} step)")
    n = int(span.to_integral_value(rounding="ROUND_FLOOR")) + 1
    if n > MAX_POINTS:
        raise SweepError(f"{text!r}: {n} points is too many (at most {MAX_POINTS})")
    integral = all(_INT.match(p.strip()) for p in parts)
    out: list[Any] = []
    for i in range(n):
        v = start + step * i
        out.append(int(v) if integral else float(v))
    return out


def parse_values(text: str) -> list[Any]:
    """A ``--set`` value list: ``a,b,c``, ``START:STOP:STEP`` or a JSON list."""
    s = text.strip()
    if not s:
        raise SweepError("no values given")
    if s.startswith("["):
        try:
            vals = json.loads(s)
        except json.JSONDecodeError as e:
            raise SweepError(f"{text!r}: not a valid JSON list ({e.msg})") from None
        if not isinstance(vals, list) or not vals:
            raise SweepError(f"{text!r}: expected a non-empty JSON list")
        return vals
    if ":" in s and "," not in s:
        parts = s.split(":")
        if len(parts) in (2, 3) and all(_decimal(p) is not None for p in parts):
            return parse_range(s)
    vals = []
    for tok in s.split(","):
        if not tok.strip():
            raise SweepError(f"{text!r}: empty value in the list")
        vals.append(parse_scalar(tok))
    return vals


# ======================================================================= paths


@dataclass(frozen=True)
class Step:
    kind: str  # "key" (a field or mapping key) or "sel" (a list selection)
    value: Any  # key name; for "sel": "*", an int index, or ("id", str)


def parse_path(path: str) -> list[Step]:
    """``sponsors[suzhou].budget`` -> [key sponsors, sel id suzhou, key budget]."""
    steps: list[Step] = []
    i, n = 0, len(path)
    if not path.strip():
        raise SweepError("empty path")
    expect_name = True
    while i < n:
        c = path[i]
        if c == ".":
            if expect_name:
                raise SweepError(f"{path}: empty name at character {i + 1}")
            expect_name = True
            i += 1
        elif c == "[":
            if not steps:
                raise SweepError(f"{path}: a path starts with a field name")
            j = path.find("]", i)
            if j < 0:
                raise SweepError(f"{path}: unclosed '['")
            inner = path[i + 1:j].strip()
            if not inner:
                raise SweepError(f"{path}: empty selector '[]' (use [id], [index] or [*])")
            if inner == "*":
                steps.append(Step("sel", "*"))
            elif len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                steps.append(Step("sel", ("id", inner[1:-1])))
            elif _INT.match(inner):
                steps.append(Step("sel", int(inner)))
            else:
                steps.append(Step("sel", ("id", inner)))
            i = j + 1
            if i < n and path[i] not in ".[":
                raise SweepError(f"{path}: expected '.' or '[' after ']' at character {i + 1}")
            expect_name = False
        elif c == "]":
            raise SweepError(f"{path}: unmatched ']' at character {i + 1}")
        else:
            if not expect_name:
                raise SweepError(f"{path}: expected '.' at character {i + 1}")
            j = i
            while j < n and path[j] not in ".[]":
                j += 1
            steps.append(Step("key", path[i:j].strip()))
            i = j
            expect_name = False
    if expect_name:
        raise SweepError(f"{path}: ends with '.'")
    return steps


def _kind(tp: Any) -> tuple[str, Any]:
    """A pydantic annotation -> ("model", cls) | ("list", item) | ("dict", value) | ("scalar", None)."""
    import types
    import typing

    from pydantic import BaseModel

    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return ("scalar", None)
            tp = args[0]
            continue
        break
    if origin in (list, tuple):
        args = typing.get_args(tp)
        return ("list", args[0] if args else Any)
    if origin is dict:
        args = typing.get_args(tp)
        return ("dict", args[1] if len(args) == 2 else Any)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return ("model", tp)
    if tp is Any:
        return ("any", None)
    return ("scalar", None)


def _prefix(steps: list[Step], k: int) -> str:
    out = ""
    for s in steps[:k]:
        if s.kind == "key":
            out += ("." if out else "") + str(s.value)
        elif s.value == "*":
            out += "[*]"
        elif isinstance(s.value, int):
            out += f"[{s.value}]"
        else:
            out += f"[{s.value[1]}]"
    return out or "(top level)"


def set_path(raw: dict[str, Any], path: str, value: Any, steps: list[Step] | None = None) -> dict[str, Any]:
    """A copy of ``raw`` with ``path`` set to ``value`` (``raw`` is not modified;
    only the containers along the path are copied). Raises :class:`SweepError`
    for a path the instance format does not have or that selects nothing."""
    from .instance import Instance

    steps = steps if steps is not None else parse_path(path)
    root = {"": dict(raw)}
    # a slot: (container, key, kind, type); its value is container[key]
    slots: list[tuple[Any, Any, str, Any]] = [(root, "", "model", Instance)]
    for k, st in enumerate(steps):
        where = _prefix(steps, k)
        new: list[tuple[Any, Any, str, Any]] = []
        for cont, key, kind, tp in slots:
            cur = cont[key] if (isinstance(cont, dict) and key in cont) or isinstance(cont, list) else None
            if st.kind == "key":
                name = st.value
                if kind == "model":
                    fields = tp.model_fields
                    if name not in fields:
                        import difflib

                        close = difflib.get_close_matches(name, list(fields), n=1)
                        hint = f" (did you mean {close[0]!r}?)" if close else f" (fields: {', '.join(fields)})"
                        raise SweepError(f"{path}: unknown field {name!r} in {where}{hint}")
                    ckind, ctp = _kind(fields[name].annotation)
                elif kind in ("dict", "any"):
                    ckind, ctp = _kind(tp) if kind == "dict" else ("any", None)
                elif kind == "list":
                    raise SweepError(f"{path}: {where} is a list: select items with [id], [index] or [*]")
                else:
                    raise SweepError(f"{path}: {where} is a value, it has no field {name!r}")
                if cur is None:
                    cur = {}
                elif not isinstance(cur, dict):
                    raise SweepError(f"{path}: {where} is not an object in the instance")
                cur = dict(cur)
                cont[key] = cur
                new.append((cur, name, ckind, ctp))
            else:
                sel = st.value
                if kind == "dict" and not sel == "*":
                    k2 = str(sel) if isinstance(sel, int) else sel[1]
                    cur = dict(cur) if isinstance(cur, dict) else {}
                    cont[key] = cur
                    new.append((cur, k2, *_kind(tp)))
                    continue
                if kind not in ("list", "any"):
                    raise SweepError(f"{path}: {where} is not a list; [..] selects list items")
                items = list(cur) if isinstance(cur, list) else []
                cont[key] = items
                ikind, itp = _kind(tp) if kind == "list" else ("any", None)
                if sel == "*":
                    idx = list(range(len(items)))
                    if not idx:
                        raise SweepError(f"{path}: {where} is empty, [*] selects nothing")
                elif isinstance(sel, int):
                    if not -len(items) <= sel < len(items):
                        raise SweepError(f"{path}: {where}[{sel}]: index out of range "
                                         f"({where} has {len(items)} item(s))")
                    idx = [sel % len(items)]
                else:
                    idx = [i for i, it in enumerate(items) if isinstance(it, dict) and it.get("id") == sel[1]]
                    if not idx:
                        ids = [str(it.get("id")) for it in items if isinstance(it, dict) and "id" in it]
                        shown = ", ".join(ids[:8]) + (" ..." if len(ids) > 8 else "")
                        raise SweepError(f"{path}: no item with id {sel[1]!r} in {where}"
                                         + (f" (ids: {shown})" if ids else ""))
                for i in idx:
                    new.append((items, i, ikind, itp))
        slots = new
    for cont, key, _kind_, _tp in slots:
        cont[key] = json.loads(json.dumps(value)) if isinstance(value, (dict, list)) else value
    return root[""]


def apply_overrides(raw: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = raw
    for p, v in overrides.items():
        out = set_path(out, p, v)
    return out


# ================================================================== scenarios


@dataclass
class Grid:
    """The scenarios of a sweep and how they were specified."""

    paths: list[str]
    scenarios: list[dict[str, Any]]  # path -> value, in ``paths`` order
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        text = json.dumps([list(s.items()) for s in self.scenarios], separators=(",", ":"), sort_keys=False)
        return hashlib.sha256(text.encode()).hexdigest()


def parse_set(opt: str) -> tuple[str, list[Any]]:
    if "=" not in opt:
        raise SweepError(f"--set {opt}: expected PATH=VALUES (e.g. policy.total_budget=100:300:50)")
    path, values = opt.split("=", 1)
    path = path.strip()
    parse_path(path)
    try:
        return path, parse_values(values)
    except SweepError as e:
        raise SweepError(f"--set {path}: {e}") from None


def expand(sets: list[tuple[str, list[Any]]], zipped: bool = False) -> Grid:
    """Full grid (last path fastest) or, with ``zipped``, the paths side by side."""
    if not sets:
        raise SweepError("nothing to sweep: give --set PATH=VALUES or --scenarios FILE")
    paths = [p for p, _ in sets]
    dup = sorted({p for p in paths if paths.count(p) > 1})
    if dup:
        raise SweepError(f"--set {dup[0]}: the path is given twice")
    lists = [v for _, v in sets]
    if zipped:
        lens = {len(v) for v in lists}
        if len(lens) > 1:
            detail = ", ".join(f"{p} has {len(v)}" for p, v in sets)
            raise SweepError(f"--zip: the value lists differ in length ({detail})")
        combos: Iterable[tuple[Any, ...]] = zip(*lists)
    else:
        total = math.prod(len(v) for v in lists)
        if total > MAX_POINTS:
            raise SweepError(f"the grid has {total} scenarios (at most {MAX_POINTS})")
        combos = itertools.product(*lists)
    scen = [dict(zip(paths, c)) for c in combos]
    spec = {"mode": "zip" if zipped else "grid", "sets": [[p, v] for p, v in sets]}
    return Grid(paths, scen, spec)


def load_scenarios(path: str) -> Grid:
    """A CSV file (header = paths; empty cell = keep) or a JSON list of {path: value}."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise SweepError(f"--scenarios {path}: cannot read ({e.strerror or e})") from None
    scen: list[dict[str, Any]] = []
    if p.suffix.lower() == ".json" or text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise SweepError(f"--scenarios {path}: not valid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise SweepError(f"--scenarios {path}: expected a JSON list of {{path: value}} objects")
        scen = [dict(d) for d in data]
    else:
        rows = list(csv.reader(text.splitlines()))
        if not rows or not any(h.strip() for h in rows[0]):
            raise SweepError(f"--scenarios {path}: no header row of paths")
        head = [h.strip() for h in rows[0]]
        for r, row in enumerate(rows[1:], start=2):
            if not any(c.strip() for c in row):
                continue
            if len(row) > len(head):
                raise SweepError(f"--scenarios {path}: line {r}: {len(row)} cells for {len(head)} columns")
            d = {}
            for h, c in zip(head, row):
                if h in ("", "scenario") or not c.strip():
                    continue
                try:
                    d[h] = parse_scalar(c)
                except SweepError as e:
                    raise SweepError(f"--scenarios {path}: line {r}, column {h}: {e}") from None
            scen.append(d)
    if not scen:
        raise SweepError(f"--scenarios {path}: no scenarios in the file")
    paths: list[str] = []
    for d in scen:
        for k in d:
            if k not in paths:
                paths.append(k)
    for k in paths:
        parse_path(k)
    ordered = [{k: d[k] for k in paths if k in d} for d in scen]
    return Grid(paths, ordered, {"mode": "file", "file": str(path)})


def describe(overrides: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in overrides.items())


def validate(raw: dict[str, Any], grid: Grid, on_step: Callable[[], None] | None = None) -> None:
    """Every path resolves and every scenario is a valid instance, or SweepError."""
    from .instance import InstanceError, from_dict

    for p in grid.paths:
        steps = parse_path(p)
        probe = next(s[p] for s in grid.scenarios if p in s)
        set_path(raw, p, probe, steps)
    for i, ov in enumerate(grid.scenarios):
        try:
            from_dict(apply_overrides(raw, ov))
        except InstanceError as e:
            raise SweepError(f"scenario {i} ({describe(ov)}): {e.errors[0]}") from None
        if on_step:
            on_step()


def chunked(ids: list[int], size: int) -> list[list[int]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def default_chunk(n: int) -> int:
    """Chunk size from the grid size alone (never from the worker count), so the
    warm-start chains, hence the rows, are the same however the sweep is run."""
    return max(1, min(8, n // 12))


# ===================================================================== storage


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cell(v: Any) -> Any:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return v


class Store:
    """The results file. Only the parent process writes to it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.con = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("PRAGMA synchronous=FULL")
        self.paths: list[str] = []

    # ------------------------------------------------------------ lifecycle

    def create(self, paths: list[str], meta: dict[str, Any]) -> None:
        self.paths = list(paths)
        cols = ", ".join([_q(p) for p in paths])
        c = self.con
        c.execute("BEGIN IMMEDIATE")
        try:
            c.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            c.execute(
                "CREATE TABLE scenarios (scenario INTEGER PRIMARY KEY, overrides TEXT NOT NULL, "
                + (cols + ", " if cols else "")
                + "status TEXT NOT NULL, objective REAL, bound REAL, gap REAL, spend REAL, formed INTEGER, "
                "formed_targets TEXT, leads TEXT, solve_time_s REAL, worker TEXT, error TEXT)")
            c.execute("CREATE TABLE plans (scenario INTEGER PRIMARY KEY REFERENCES scenarios(scenario), "
                      "solution TEXT NOT NULL)")
            c.executemany("INSERT INTO meta VALUES (?, ?)",
                          [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in meta.items()])
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def tables(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def meta(self) -> dict[str, str]:
        try:
            return dict(self.con.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError:
            return {}

    def done(self) -> set[int]:
        return {r[0] for r in self.con.execute("SELECT scenario FROM scenarios")}

    def failed(self) -> set[int]:
        return {r[0] for r in self.con.execute("SELECT scenario FROM scenarios WHERE status = 'failed'")}

    def forget(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        c = self.con
        c.execute("BEGIN IMMEDIATE")
        c.executemany("DELETE FROM plans WHERE scenario = ?", [(i,) for i in ids])
        c.executemany("DELETE FROM scenarios WHERE scenario = ?", [(i,) for i in ids])
        c.execute("COMMIT")

    def commit(self, res: dict[str, Any]) -> None:
        """One finished scenario: its row and its plan, in one transaction."""
        row = res["row"]
        cols = ["scenario", "overrides"] + self.paths + RESULT_COLUMNS
        vals = [res["scenario"], json.dumps(row["overrides"], ensure_ascii=False)]
        vals += [_cell(row["overrides"].get(p)) for p in self.paths]
        vals += [_cell(row.get(k)) for k in RESULT_COLUMNS]
        c = self.con
        c.execute("BEGIN IMMEDIATE")
        try:
            c.execute(f"INSERT INTO scenarios ({', '.join(map(_q, cols))}) VALUES ({', '.join('?' * len(cols))})",
                      vals)
            if res.get("plan") is not None:
                c.execute("INSERT INTO plans VALUES (?, ?)", (res["scenario"], res["plan"]))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.con.close()


def remove_results(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


# ===================================================================== workers


_SESSIONS: dict[str, Any] = {}  # instance sha256 -> {"raw", "opts_key", "opts", "session"}


def _opts(d: dict[str, Any]):
    from .backends.base import SolverOptions

    return SolverOptions(time_limit=d.get("time_limit"), gap=float(d.get("gap") or 0.0),
                         threads=d.get("threads") or 1, highs=dict(d.get("highs") or {}),
                         method=d.get("method") or "auto")


def _state(sha: str, raw: dict[str, Any] | str, opts: dict[str, Any]) -> dict[str, Any]:
    """This process's cached state for an instance: its raw JSON and its Session."""
    st = _SESSIONS.get(sha)
    key = json.dumps({k: v for k, v in opts.items() if k != "fault"}, sort_keys=True)
    if st is None or st["opts_key"] != key:
        if len(_SESSIONS) >= 2:  # long-lived dask workers: keep the cache small
            _SESSIONS.clear()
        st = {"raw": json.loads(raw) if isinstance(raw, str) else raw, "opts_key": key,
              "opts": _opts(opts), "session": None}
        _SESSIONS[sha] = st
    return st


def _fault(sid: int, spec: str | None, worker: str = "") -> None:
    """Fault injection for tests (``CONSORTIUM_SWEEP_FAULT=kill@3,raise@5,busy@2``):
    read by the sweep process and handed to its workers with the solver options."""
    if not spec:
        return
    for item in spec.split(","):
        what, _, at = item.partition("@")
        if at.strip() == str(sid):
            if what == "kill":
                import signal

                os.kill(os.getpid(), signal.SIGKILL)
            if what == "busy":  # as if a runaway HiGHS run blocked the first local worker
                if worker.startswith("local-0:"):
                    raise _Busy("injected busy solver")
                continue
            raise RuntimeError(f"injected fault at scenario {sid}")


_SESSION_CLASS: Any = None
# How long a scenario waits for a HiGHS run abandoned at an earlier scenario's
# time limit (highspy runs one solve per process at a time). Local workers wait
# briefly and are then replaced by a fresh process; dask workers and in-process
# runs cannot be replaced, so they wait longer.
SETTLE_S = {"local": 5.0, "other": 120.0}
_MODE = "other"


class _Busy(Exception):
    pass


def _settle() -> None:
    """Wait for HiGHS runs abandoned at a time limit to stop (they do, at HiGHS's
    own next clock check) and drop them; raise :class:`_Busy` if they do not."""
    from .backends import highs

    end = time.monotonic() + SETTLE_S[_MODE]
    for r in list(highs.ABANDONED):
        done, _ = r.wait(max(0.0, end - time.monotonic()))
        if not done:
            raise _Busy("an earlier solve cut off at its time limit is still running in this process")
        try:
            highs.ABANDONED.remove(r)
        except ValueError:
            pass


def _session_class():
    """:class:`consortium.resolve.Session` as a sweep needs it:

    * a scenario with targets that must be formed, and no earlier plan to start
      from, starts from :func:`consortium.solve.initial_plan` as a separate
      ``solve`` does (so a time-limited scenario has a plan whenever ``solve``
      would have one);
    * when the time limit made HiGHS abandon its object (left running in the
      background), the next scenario gets a fresh HiGHS object with the model.
    """
    global _SESSION_CLASS
    if _SESSION_CLASS is None:
        from .backends import highs
        from .resolve import Session
        from .solve import initial_plan

        class SweepSession(Session):
            def start_for(self, lm):
                # called after the variant is built and loaded, right before HiGHS
                # runs: the build overlaps with a runaway run's last seconds
                _settle()
                x = super().start_for(lm)
                if x is None:
                    x = initial_plan(self.b, self.opts)
                    _settle()
                return x

            def solve(self, inst=None, **kw):
                try:
                    return super().solve(inst, **kw)
                finally:
                    if self.loaded and highs.abandoned(self.h):
                        self.h = highs.to_highs(self.b.lm)
                        self.reloads += 1

        _SESSION_CLASS = SweepSession
    return _SESSION_CLASS


def start_chain(sha: str) -> None:
    """A new chunk: forget the warm start and what earlier chunks proved, so
    results (plans too, where several are optimal) depend on the grid alone."""
    st = _SESSIONS.get(sha)
    if st and st["session"] is not None:
        st["session"].last_x = None
        st["session"].proven = []


def run_scenario(sha: str, raw: dict[str, Any] | str, opts: dict[str, Any], sid: int,
                 overrides: dict[str, Any], worker: str, verify: bool = True) -> dict[str, Any]:
    """Solve one scenario; never raises for a scenario's own failure (it becomes a
    ``failed`` row). Returns ``{"scenario", "row", "plan"}`` (plan: JSON text)."""
    t0 = time.perf_counter()
    row: dict[str, Any] = {"overrides": overrides, "worker": worker}
    try:
        st = _state(sha, raw, opts)
        _fault(sid, opts.get("fault"), worker)
        from .instance import from_dict

        variant = apply_overrides(st["raw"], overrides)
        inst = from_dict(variant)
        if st["session"] is None:
            st["session"] = sess = _session_class()(inst, st["opts"])
            sol = sess.solve()
        else:
            sess = st["session"]
            sol = sess.solve(inst)
        if sol.solver.get("interrupted"):
            raise KeyboardInterrupt
        data = sol.to_dict()
        if not sol.status.has_plan and sol.status.value == "infeasible":
            errs = [str(f) for f in sess.b.findings if f.severity == "error"]
            data["diagnosis"] = errs or ["no plan satisfies every rule in this scenario "
                                         "(`consortium solve` on the variant gives the smallest relaxation)"]
        data["sweep"] = {"scenario": sid, "overrides": overrides}
        status, error = sol.status.value, None
        message = str(sol.solver.get("message", ""))
        if not sol.status.has_plan and message.lower().endswith("error"):
            status, error = "failed", f"solver: {message}"
        elif sol.status.has_plan and verify:
            from .verify import verify_solution

            chk = verify_solution(variant, data)
            if not chk.ok:
                v = chk.violations[0]
                status, error = "failed", f"plan fails rule {v.rule}: {v.message}"
        row.update(
            status=status, objective=sol.objective, bound=sol.bound, gap=sol.gap,
            spend=float(sol.kpis.get("spend", 0.0)) if sol.status.has_plan else None,
            formed=len(sol.consortia) if sol.status.has_plan else None,
            formed_targets=[c.target for c in sol.consortia] if sol.status.has_plan else None,
            leads={c.target: c.lead for c in sol.consortia} if sol.status.has_plan else None,
            error=error,
        )
        row["solve_time_s"] = time.perf_counter() - t0
        return {"scenario": sid, "row": row, "plan": json.dumps(data, ensure_ascii=False, allow_nan=False)}
    except KeyboardInterrupt:
        raise
    except _Busy as e:
        if _MODE == "local":  # this worker process is replaced; the scenario is solved again
            return {"scenario": sid, "retire": True}
        return {"scenario": sid, "row": failed_row(overrides, str(e), worker, time.perf_counter() - t0),
                "plan": None}
    except Exception as e:  # the scenario fails, the sweep goes on
        st = _SESSIONS.get(sha)
        if st is not None:
            st["session"] = None  # the model may be half updated: rebuild it for the next one
        msg = f"{type(e).__name__}: {e}".splitlines()[0]
        return {"scenario": sid, "row": failed_row(overrides, msg, worker, time.perf_counter() - t0),
                "plan": None}


def failed_row(overrides: dict[str, Any], message: str, worker: str | None, dt: float | None = None) -> dict[str, Any]:
    return {"overrides": overrides, "status": "failed", "objective": None, "bound": None, "gap": None,
            "spend": None, "formed": None, "formed_targets": None, "leads": None, "solve_time_s": dt,
            "worker": worker, "error": message}


def _die_with_parent() -> None:
    try:  # Linux: a worker gets SIGKILL when the sweep process dies (kill -9 included)
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _worker_main(conn, wid: int, sha: str, raw_text: str, opts: dict[str, Any], verify: bool,
                 scenarios: dict[int, dict[str, Any]]) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    _die_with_parent()
    global _MODE
    _MODE = "local"
    label = f"local-{wid}:pid{os.getpid()}"
    raw = json.loads(raw_text)
    while True:
        try:
            chunk = conn.recv()
        except (EOFError, OSError):
            return
        if chunk is None:
            return
        start_chain(sha)
        for sid in chunk:
            conn.send(("start", sid))
            res = run_scenario(sha, raw, opts, sid, scenarios[sid], label, verify)
            if res.get("retire"):
                # a runaway HiGHS thread blocks this process: hand the rest back and exit
                conn.send(("retire", sid))
                conn.close()
                os._exit(0)
            conn.send(("done", sid, res))
        conn.send(("idle",))


def _exit_text(code: int | None) -> str:
    if code is None:
        return "unknown exit status"
    if code < 0:
        import signal

        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _Proc:
    def __init__(self, ctx, wid: int, args: tuple):
        self.wid = wid
        a, b = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(b, wid, *args), name=f"sweep-worker-{wid}",
                                daemon=True)
        self.proc.start()
        b.close()
        self.conn = a
        self.items: list[int] = []
        self.current: int | None = None
        self.busy = False
        self.retired = False


def _mp_context():
    # spawn: fresh interpreters, safe whatever threads this process runs (the
    # progress bar, dask), and the workers stay children of the sweep process.
    import multiprocessing as mp

    return mp.get_context("spawn")


def run_local(chunks: list[list[int]], workers: int, sha: str, raw_text: str, opts: dict[str, Any],
              verify: bool, scenarios: dict[int, dict[str, Any]], on_result: Callable[[dict], None],
              on_event: Callable[[str], None] | None = None) -> None:
    """Solve the chunks on ``workers`` processes; ``on_result`` runs in this process."""
    from multiprocessing.connection import wait

    ctx = _mp_context()
    pending = deque(chunks)
    procs: dict[int, _Proc] = {}
    next_wid = 0
    idle_deaths = 0
    retired_on: dict[int, int] = {}
    args = (sha, raw_text, opts, verify, scenarios)

    def spawn() -> None:
        nonlocal next_wid
        w = _Proc(ctx, next_wid, args)
        procs[w.wid] = w
        next_wid += 1

    def handle(w: _Proc, msg: tuple) -> None:
        nonlocal idle_deaths
        if msg[0] == "start":
            w.current = msg[1]
        elif msg[0] == "done":
            w.current = None
            if msg[1] in w.items:
                w.items.remove(msg[1])
            idle_deaths = 0
            on_result(msg[2])
        elif msg[0] == "idle":
            w.busy, w.items, w.current = False, [], None
        elif msg[0] == "retire":
            w.retired, w.current = True, None
            sid = msg[1]
            retired_on[sid] = retired_on.get(sid, 0) + 1
            if retired_on[sid] >= 2 and sid in w.items:  # do not loop on one scenario
                w.items.remove(sid)
                on_result({"scenario": sid, "row": failed_row(
                    scenarios[sid], "a solve cut off at its time limit kept running; two fresh workers "
                    "could not start this scenario", f"local-{w.wid}:pid{w.proc.pid}"), "plan": None})

    def retire(w: _Proc) -> None:
        procs.pop(w.wid, None)
        w.proc.join(5)
        w.conn.close()
        if w.items:
            pending.appendleft(list(w.items))
        if pending and len(procs) < workers:
            spawn()

    def died(w: _Proc) -> None:
        nonlocal idle_deaths
        try:  # whatever it sent before dying is still in the pipe
            while w.conn.poll():
                handle(w, w.conn.recv())
        except (EOFError, OSError):
            pass
        if w.retired:
            return retire(w)
        w.proc.join(5)
        why = f"worker process died ({_exit_text(w.proc.exitcode)})"
        procs.pop(w.wid, None)
        w.conn.close()
        if w.current is not None:
            sid = w.current
            if sid in w.items:
                w.items.remove(sid)
            on_result({"scenario": sid, "row": failed_row(scenarios[sid], why + " while solving this scenario",
                                                           f"local-{w.wid}:pid{w.proc.pid}"), "plan": None})
        else:
            idle_deaths += 1
            if idle_deaths > 3:
                raise RuntimeError(f"sweep workers keep dying before solving anything: {why}")
        if w.items:
            pending.appendleft(list(w.items))
        if on_event:
            on_event(why + ("; restarting it for the remaining scenarios" if pending else ""))
        if pending and len(procs) < workers:
            spawn()

    finished = False
    try:
        for _ in range(min(workers, len(pending))):
            spawn()
        while pending or any(w.busy for w in procs.values()):
            for w in list(procs.values()):
                if not w.busy and pending:
                    chunk = pending.popleft()
                    w.items, w.busy, w.current = list(chunk), True, None
                    try:
                        w.conn.send(chunk)
                    except (BrokenPipeError, OSError):
                        died(w)
            if not procs and pending:
                spawn()
                continue
            live = list(procs.values())
            ready = set(wait([w.conn for w in live] + [w.proc.sentinel for w in live], timeout=1.0))
            for w in live:
                if w.conn in ready:
                    try:
                        while w.conn.poll() and not w.retired:
                            handle(w, w.conn.recv())
                    except (EOFError, OSError):
                        died(w)
                        continue
                    if w.retired:
                        retire(w)
                        continue
                if w.proc.sentinel in ready and w.wid in procs:
                    died(w)
        finished = True
    finally:
        for w in procs.values():
            try:
                if finished:
                    w.conn.send(None)
                else:  # interrupted: do not wait for the solves under way
                    w.proc.kill()
            except (BrokenPipeError, OSError):
                pass
        deadline = time.monotonic() + 5
        for w in procs.values():
            w.proc.join(max(0.0, deadline - time.monotonic()))
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join(1)
            w.conn.close()


def run_inprocess(chunks: list[list[int]], sha: str, raw: dict[str, Any], opts: dict[str, Any], verify: bool,
                  scenarios: dict[int, dict[str, Any]], on_result: Callable[[dict], None]) -> None:
    label = f"inprocess:pid{os.getpid()}"
    _SESSIONS.pop(sha, None)
    for chunk in chunks:
        start_chain(sha)
        for sid in chunk:
            on_result(run_scenario(sha, raw, opts, sid, scenarios[sid], label, verify))


# ------------------------------------------------------------------ dask


def _dask_chunk(raw_text: str, sha: str, opts: dict[str, Any], chunk: list[tuple[int, dict[str, Any]]],
                topic: str, verify: bool) -> list[dict[str, Any]]:
    """A chunk on a dask worker: the Session is built once per worker (cached by
    sha256) and every result is streamed back as an event as soon as it exists."""
    from distributed import get_worker

    try:
        w = get_worker()
        label = str(w.address)
    except ValueError:
        w, label = None, f"dask:pid{os.getpid()}"
    import zlib

    _state(sha, raw_text, opts)
    start_chain(sha)
    out = []
    for sid, ov in chunk:
        res = run_scenario(sha, raw_text, opts, sid, ov, label, verify)
        if res.get("plan") is not None:  # the scheduler keeps events: keep them small
            res["plan"] = zlib.compress(res["plan"].encode(), 6)
        if w is not None:
            try:
                w.log_event(topic, res)
            except Exception:
                pass
        out.append(res)
    return out


def run_dask(address: str, chunks: list[list[int]], sha: str, raw_text: str, opts: dict[str, Any], verify: bool,
             scenarios: dict[int, dict[str, Any]], on_result: Callable[[dict], None],
             is_done: Callable[[int], bool], on_event: Callable[[str], None] | None = None) -> None:
    from distributed import Client

    try:
        client = Client(address, timeout="20s")
    except Exception as e:
        raise SweepError(f"--scheduler {address}: cannot connect ({type(e).__name__}: {e})") from None
    import zlib

    topic = f"consortium-sweep-{uuid.uuid4().hex}"
    inbox: queue.Queue = queue.Queue()
    futures: dict[Any, list[int]] = {}
    store_result = on_result

    def on_result(res: dict[str, Any]) -> None:
        if isinstance(res.get("plan"), bytes):
            res = dict(res, plan=zlib.decompress(res["plan"]).decode())
        store_result(res)

    try:
        client.subscribe_topic(topic, lambda ev: inbox.put(ev[1]))
        raw_f = client.scatter(raw_text, broadcast=True, hash=False)
        for chunk in chunks:
            f = client.submit(_dask_chunk, raw_f, sha, opts, [(sid, scenarios[sid]) for sid in chunk], topic,
                              verify, pure=False)
            futures[f] = chunk

        def drain(timeout: float) -> None:
            try:
                res = inbox.get(timeout=timeout)
            except queue.Empty:
                return
            while True:
                if not is_done(res["scenario"]):
                    on_result(res)
                try:
                    res = inbox.get_nowait()
                except queue.Empty:
                    return

        while futures:
            drain(0.2)
            for f in [f for f in futures if f.done()]:
                chunk = futures.pop(f)
                if f.status == "finished":
                    for res in f.result():
                        if not is_done(res["scenario"]):
                            on_result(res)
                else:
                    try:
                        exc = f.exception()
                        why = f"{type(exc).__name__}: {exc}".splitlines()[0]
                    except Exception as e:
                        why = f"{type(e).__name__}: {e}"
                    drain(0.5)
                    if on_event:
                        why_short = why[:200]
                        on_event(f"dask task failed: {why_short}")
                    for sid in chunk:
                        if not is_done(sid):
                            on_result({"scenario": sid, "row": failed_row(scenarios[sid], why, None), "plan": None})
        drain(0.0)
    finally:
        for f in futures:
            f.cancel()
        try:
            client.unsubscribe_topic(topic)
        except Exception:
            pass
        client.close()


# ===================================================================== driver


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
    return {"time_limit": opts.get("time_limit"), "gap": opts.get("gap"), "highs": opts.get("highs") or {},
            "method": opts.get("method") or "auto"}


def run_sweep(instance: str | Path, grid: Grid, results: str | Path, *, opts: dict[str, Any] | None = None,
              workers: int = 2, scheduler: str | None = None, resume: bool = False, overwrite: bool = False,
              retry_failed: bool = False, chunk: int | None = None, verify: bool = True,
              progress: bool = False, on_event: Callable[[str], None] | None = None,
              validated: bool = False) -> Summary:
    """Run (or complete) a sweep; every result is committed to ``results`` at once."""
    from .instance import InstanceError, from_dict, parse, read_text

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
        raise SweepError(f"{res_path} exists: use --resume to complete it or --overwrite to start again")
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
                raise SweepError(f"cannot resume {res_path}: it was made from a different instance "
                                 f"({old.get('instance', '?')}, sha256 {old.get('instance_sha256', '?')[:12]}; "
                                 f"this one is {sha[:12]})")
            if old.get("scenarios_sha256") != grid.sha256:
                raise SweepError(f"cannot resume {res_path}: it was made from a different grid "
                                 f"({_grid_text(old.get('grid'))}; this one is {_grid_text(json.dumps(grid.spec))})")
            made = json.loads(old.get("solver", "{}"))
            made.setdefault("method", "mip")  # files from before --method: every scenario was one MILP
            if made != json.loads(json.dumps(meta["solver"])):
                raise SweepError(f"cannot resume {res_path}: it was made with other solver options "
                                 f"({json.dumps(made)}; now {json.dumps(meta['solver'])})")
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
        bar = task = None
        n_failed = 0

        def on_result(res: dict[str, Any]) -> None:
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
                bar.update(task, advance=1, failed=n_failed)

        if os.environ.get(FAULT_ENV):
            opts = dict(opts, fault=os.environ[FAULT_ENV])
        scen = {i: grid.scenarios[i] for i in todo}
        raw_text = json.dumps(raw, ensure_ascii=False)
        interrupted = False
        ctx_bar = _progress_bar() if progress and todo else None
        try:
            if ctx_bar is not None:
                bar = ctx_bar.__enter__()
                task = bar.add_task("sweep", total=len(grid.scenarios), completed=len(grid.scenarios) - len(todo),
                                    failed=0)
            if not todo:
                pass
            elif scheduler:
                run_dask(scheduler, chunks, sha, raw_text, opts, verify, scen, on_result, lambda s: s in done,
                         on_event)
            elif workers <= 0:
                run_inprocess(chunks, sha, raw, opts, verify, scen, on_result)
            else:
                run_local(chunks, min(workers, len(chunks)), sha, raw_text, opts, verify, scen, on_result, on_event)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            if ctx_bar is not None:
                ctx_bar.__exit__(None, None, None)
        return Summary(len(grid.scenarios), len(grid.scenarios) - len(todo), sum(statuses.values()), statuses,
                       time.perf_counter() - t0, interrupted)
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
        for p, vals in sets) or "?"


def _progress_bar():
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    return Progress(
        TextColumn("[cyan]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("scenarios  [red]{task.fields[failed]} failed"), TimeElapsedColumn(),
        TextColumn("left"), TimeRemainingColumn(),
        console=Console(stderr=True), transient=True,
    )


# ================================================================== reading


def read_results(path: str | Path):
    """(scenarios DataFrame, meta dict) of a results file."""
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise SweepError(f"{p}: no such file")
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            meta = dict(con.execute("SELECT key, value FROM meta"))
            df = pd.read_sql("SELECT * FROM scenarios ORDER BY scenario", con)
        finally:
            con.close()
    except sqlite3.DatabaseError as e:
        raise SweepError(f"{p}: not a sweep results file ({e})") from None
    if meta.get("format") != RESULTS_FORMAT:
        raise SweepError(f"{p}: not a consortium sweep results file")
    meta["paths"] = json.loads(meta.get("paths", "[]"))
    return df, meta


def export_parquet(results: str | Path, out: str | Path) -> int:
    """Write the ``scenarios`` table as Parquet (the meta as schema metadata)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    df, meta = read_results(results)
    for c in df.columns:
        if df[c].dtype == object:
            kinds = {type(v) for v in df[c] if v is not None}
            if len(kinds) > 1:  # mixed types (e.g. a number and a string): keep as JSON text
                df[c] = [None if v is None else json.dumps(v) for v in df[c]]
    table = pa.Table.from_pandas(df, preserve_index=False)
    md = dict(table.schema.metadata or {})
    md[b"consortium_sweep"] = json.dumps(meta).encode()
    table = table.replace_schema_metadata(md)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(str(out) + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, out)
    return len(df)


# ==================================================================== plots


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
        order = sorted(set(vals))
        return True, order, {v: float(v) for v in order}
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


def plot_results(results: str | Path, out: str | Path, x: str | None = None, y: str | None = None,
                 by: str | None = None) -> str:
    """Draw a sweep; returns a short description of what was drawn."""
    ext = Path(out).suffix.lower()
    if ext not in (".png", ".svg", ".pdf"):
        raise SweepError(f"{out}: the plot file must end in .png, .svg or .pdf")
    df, meta = read_results(results)
    paths: list[str] = meta["paths"]
    if not paths:
        raise SweepError(f"{results}: the sweep has no swept path")
    x = x or paths[0]
    for opt, p in (("--x", x), ("--by", by)):
        if p is not None and p not in paths:
            raise SweepError(f"{opt} {p}: not a swept path of {results} (swept: {', '.join(paths)})")
    if by is not None and by == x:
        raise SweepError("--by must differ from --x")
    if y is not None and y not in METRICS:
        raise SweepError(f"--y {y}: unknown metric (choose from {', '.join(METRICS)})")
    if df.empty:
        raise SweepError(f"{results}: no finished scenario to plot")
    if by is None and len(paths) == 2:
        by = paths[1] if x == paths[0] else paths[0]
    # the stored columns hold JSON text for lists/objects; overrides keeps exact values
    ov = [json.loads(s) for s in df["overrides"]]
    for p in paths:
        df[p] = [o.get(p) for o in ov]
    has_plan = df["status"].isin(["optimal", "feasible"])
    for m in ("objective", "spend", "bound", "gap", "formed"):
        df[m] = df[m].where(has_plan)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    plt.rcParams["svg.fonttype"] = "none"  # keep text as text in SVG files
    cur = meta.get("currency") or ""
    name = meta.get("instance_name") or Path(meta.get("instance", "instance")).stem
    try:
        if by is not None:
            desc = _heatmap(df, x, by, y or "objective", cur, name, plt, np)
        else:
            desc = _lines(df, x, y, [p for p in paths if p != x], cur, name, plt, np)
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        plt.savefig(out, dpi=150, bbox_inches="tight")
    finally:
        plt.close("all")
    return desc


def _lines(df, x, y, others, cur, name, plt, np) -> str:
    numeric, order, pos = _axis_values(df[x])
    groups = [((), df)] if not others else list(df.groupby(others, sort=False, dropna=False))
    if len(groups) > 12:
        raise SweepError(f"{len(groups)} curves (other swept paths {', '.join(others)}): "
                         "use --by to draw a heat map instead")
    formed_lists = [json.loads(v) if isinstance(v, str) else [] for v in df["formed_targets"]]
    targets: list[str] = []
    for v in sorted(range(len(df)), key=lambda i: pos[df[x].iloc[i]]):
        for t in formed_lists[v]:
            if t not in targets:
                targets.append(t)
    matrix = len(groups) == 1 and targets and len(targets) <= 60
    heights = [3.2, 1.8] + ([0.45 + 0.2 * len(targets)] if matrix else [])
    fig, axes = plt.subplots(len(heights), 1, sharex=True, figsize=(8, sum(heights) + 1.0),
                             gridspec_kw={"height_ratios": heights})
    ax1, ax2 = axes[0], axes[1]
    xl = param_label(x, cur)

    def xs_of(g):
        g = g.assign(_pos=[pos[v] for v in g[x]]).sort_values("_pos")
        return g, g["_pos"].to_numpy(dtype=float)

    def glabel(key) -> str:
        key = key if isinstance(key, tuple) else (key,)
        return ", ".join(f"{p}={_fmt(v)}" for p, v in zip(others, key))

    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    if y in (None, "objective", "spend"):
        ax1b = ax1.twinx() if y is None else None
        handles = []
        for gi, (key, g) in enumerate(groups):
            g, xs = xs_of(g)
            lab = glabel(key) if others else None
            if y in (None, "objective"):
                c = colors[gi % len(colors)] if others else "C0"
                h, = ax1.plot(xs, g["objective"].to_numpy(dtype=float), "o-", color=c, ms=3.5,
                              label=(lab + " objective") if lab else "objective")
                handles.append(h)
            if y in (None, "spend"):
                c = colors[gi % len(colors)] if others else "C1"
                target_ax = ax1b if y is None else ax1
                h, = target_ax.plot(xs, g["spend"].to_numpy(dtype=float), "s--", color=c, ms=3.0,
                                    label=(lab + " spend") if lab else "spend")
                handles.append(h)
        if y is None:
            ax1.set_ylabel(metric_label("objective", cur), color="C0" if not others else None)
            ax1b.set_ylabel(metric_label("spend", cur), color="C1" if not others else None)
        else:
            ax1.set_ylabel(metric_label(y, cur))
        ax1.legend(handles=handles, loc="best", fontsize=7)
    else:
        for gi, (key, g) in enumerate(groups):
            g, xs = xs_of(g)
            ax1.plot(xs, g[y].to_numpy(dtype=float), "o-", ms=3.5, label=glabel(key) if others else y)
        ax1.set_ylabel(metric_label(y, cur))
        if others:
            ax1.legend(fontsize=7)
    bad = df[~df["status"].isin(["optimal", "feasible"])]
    if len(bad):
        for st, mk, col in (("infeasible", "x", "red"), ("no_solution", "x", "orange"), ("failed", "X", "black")):
            b = bad[bad["status"] == st]
            if len(b):
                ax1.plot([pos[v] for v in b[x]], [0.02] * len(b), mk, color=col, transform=ax1.get_xaxis_transform(),
                         clip_on=False, label=st)
        ax1.legend(fontsize=7, loc="best")
    ax1.grid(alpha=0.3)
    for gi, (key, g) in enumerate(groups):
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
        fl = [json.loads(v) if isinstance(v, str) else [] for v in g["formed_targets"]]
        for ti, t in enumerate(targets):
            on = [xx for xx, f in zip(xs, fl) if t in f]
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
    return f"{len(groups)} curve(s) against {x}"


def _heatmap(df, x, by, metric, cur, name, plt, np) -> str:
    nx, xorder, _ = _axis_values(df[x])
    ny, yorder, _ = _axis_values(df[by])
    xi = {v: i for i, v in enumerate(xorder)}
    yi = {v: i for i, v in enumerate(yorder)}
    grid = np.full((len(yorder), len(xorder)), np.nan)
    count = np.zeros_like(grid)
    for xv, yv, m in zip(df[x], df[by], df[metric].to_numpy(dtype=float)):
        i, j = yi[yv], xi[xv]
        if np.isfinite(m):
            grid[i, j] = m if count[i, j] == 0 else grid[i, j] + m
            count[i, j] += 1
    with np.errstate(invalid="ignore"):
        grid = np.where(count > 0, grid / np.maximum(count, 1), np.nan)
    averaged = bool((count > 1).any())
    fig, ax = plt.subplots(figsize=(max(5.0, 1.0 + 0.55 * len(xorder)), max(3.5, 1.2 + 0.4 * len(yorder))))
    cmap = plt.get_cmap("viridis").with_extremes(bad="#cccccc")
    im = ax.imshow(np.ma.masked_invalid(grid), origin="lower", aspect="auto", cmap=cmap)
    cb = fig.colorbar(im, ax=ax)
    cb.set_label(metric_label(metric, cur) + ("  (grey: no plan)" if np.isnan(grid).any() else ""))
    ax.set_xticks(range(len(xorder)))
    ax.set_xticklabels([_fmt(v) for v in xorder], rotation=45 if len(xorder) > 8 else 0, ha="right"
                       if len(xorder) > 8 else "center")
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
                    txt = f"{v:.0f}" if metric == "formed" else (f"{v:.2%}" if metric == "gap" else f"{v:.4g}")
                    ax.text(j, i, txt, ha="center", va="center", fontsize=7,
                            color="white" if v < mid else "black")
    ax.set_title(f"{name}: {metric_label(metric, cur)} ({len(df)} scenarios)"
                 + ("\nmean over the other swept paths" if averaged else ""))
    fig.tight_layout()
    return f"heat map of {metric} over {x} x {by}"


# ====================================================================== CLI


def _fail(msg: str) -> None:
    from .cli import fail

    fail(msg)


@click.command("sweep")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUES",
              help="Swept path and its values: a,b,c or START:STOP:STEP. Repeat for a grid.")
@click.option("--zip", "zipped", is_flag=True, help="Pair the --set lists (equal lengths) instead of a full grid.")
@click.option("--scenarios", "scenarios_file", type=click.Path(dir_okay=False),
              help="Scenarios from a CSV (columns = paths) or JSON list of {path: value}.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Results file (SQLite).")
@click.option("--resume", is_flag=True, help="Complete an interrupted sweep: solve only the missing scenarios.")
@click.option("--retry-failed", is_flag=True, help="With --resume: solve the failed scenarios again too.")
@click.option("--overwrite", is_flag=True, help="Replace an existing results file.")
@click.option("--workers", type=click.IntRange(min=0),
              help="Local worker processes (default min(2, CPUs)); 0 solves in this process.")
@click.option("--scheduler", metavar="ADDRESS", help="Run on a dask.distributed cluster (tcp://host:8786).")
@click.option("--chunk", type=click.IntRange(min=1), help="Scenarios per task (default from the grid size).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds per scenario.")
@click.option("--gap", type=click.FloatRange(min=0), help="Relative MIP gap accepted as optimal.")
@click.option("--profile", default="default", show_default=True, help="Solver profile (solvers/*.toml).")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="HiGHS threads per worker.")
@click.option("--method", type=click.Choice(["auto", "mip", "exact", "decompose"]), default=None,
              help="Per scenario: one MILP, or decomposition by target (as `consortium solve --method`; "
                   "default from the profile, else auto).")
@click.option("--no-verify", is_flag=True, help="Skip the independent check of every plan.")
@click.option("--export", "export", type=click.Path(dir_okay=False),
              help="Also write the scenarios table as Parquet (FILE.parquet).")
@click.option("--dry-run", is_flag=True, help="Validate and list the scenarios, solve nothing.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
def sweep_command(instance, sets, zipped, scenarios_file, output, resume, retry_failed, overwrite, workers,
                  scheduler, chunk, time_limit, gap, profile, threads, method, no_verify, export, dry_run,
                  progress):
    """Solve INSTANCE for every scenario of a parameter grid; keep every row and plan.

    \b
    Examples:
      consortium sweep inst.json --set policy.total_budget=100:300:25 -o budget.sqlite
      consortium sweep inst.json --set sponsors[suzhou].budget=40,60,80 \\
          --set policy.weights.cost=0.8,1,1.2 -o grid.sqlite --workers 2
      consortium sweep inst.json --scenarios cases.csv -o cases.sqlite --resume

    Results are an SQLite file (tables scenarios, plans, meta): read it with
    pandas.read_sql("select * from scenarios", sqlite3.connect(FILE)).
    """
    from . import profiles
    from .cli import load_instance

    load_instance(instance)  # exit 2 with the instance's own message
    if export and not export.lower().endswith(".parquet"):
        _fail(f"--export {export}: the export file must end in .parquet")
    if retry_failed and not resume:
        _fail("--retry-failed needs --resume")
    if scheduler and workers is not None:
        _fail("--workers is for local runs; a --scheduler run uses the cluster's workers")
    try:
        st = profiles.settings(profile, time_limit, gap, method=method)
    except profiles.ProfileError as e:
        _fail(str(e))
    # one HiGHS thread per worker unless --threads says otherwise
    opts = {k: st[k] for k in ("time_limit", "gap", "highs", "method")} | {"threads": threads}
    from .instance import parse, read_text

    try:
        if scenarios_file and sets:
            raise SweepError("give either --set or --scenarios, not both")
        if scenarios_file:
            if zipped:
                raise SweepError("--zip applies to --set lists, not to --scenarios")
            grid = load_scenarios(scenarios_file)
        else:
            grid = expand([parse_set(s) for s in sets], zipped)
        raw = parse(read_text(instance), instance)
        validate(raw, grid)
    except SweepError as e:
        _fail(str(e))
    n = len(grid.scenarios)
    if dry_run:
        for i, ov in enumerate(grid.scenarios):
            click.echo(f"{i}\t{describe(ov)}")
        click.echo(f"{n} scenario(s), all valid", err=True)
        return
    nworkers = workers if workers is not None else min(2, os.cpu_count() or 1)
    show = progress if progress is not None else sys.stderr.isatty()

    def event(msg: str) -> None:
        click.echo(f"warning: {msg}", err=True)

    try:
        s = run_sweep(instance, grid, output, opts=opts, workers=nworkers, scheduler=scheduler, resume=resume,
                      overwrite=overwrite, retry_failed=retry_failed, chunk=chunk, verify=not no_verify,
                      progress=show, on_event=event, validated=True)
    except SweepError as e:
        _fail(str(e))
    counts = ", ".join(f"{v} {k}" for k, v in sorted(s.statuses.items())) or "nothing to solve"
    head = f"{output}: {s.done_before + s.solved} of {s.total} scenarios"
    if s.done_before:
        head += f" ({s.done_before} from before)"
    click.echo(f"{head}; this run: {counts} in {s.seconds:.1f} s", err=True)
    if s.interrupted:
        click.echo(f"interrupted: the finished scenarios are saved; run again with --resume to complete {output}",
                   err=True)
        sys.exit(130)
    if export:
        try:
            rows = export_parquet(output, export)
        except SweepError as e:
            _fail(str(e))
        click.echo(f"wrote {export}: {rows} rows", err=True)
    failed = s.statuses.get("failed", 0)
    if failed:
        click.echo(f"{failed} scenario(s) failed (status 'failed', message in the error column); "
                   "--resume --retry-failed solves them again", err=True)
        sys.exit(1)


@click.command("plot")
@click.argument("results", type=click.Path(dir_okay=False))
@click.option("--x", "x", metavar="PATH", help="Swept path on the x axis (default: the first one).")
@click.option("--y", "y", type=click.Choice(METRICS),
              help="Metric (default: objective and spend; the heat map's colour: objective).")
@click.option("--by", "by", metavar="PATH2", help="Second swept path: draws a heat map of the metric.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="FILE.png, .svg or .pdf")
def plot_command(results, x, y, by, output):
    """Plot a sweep: objective and spend against a swept parameter, consortia formed
    as a step chart, or a heat map over two swept parameters."""
    try:
        desc = plot_results(results, output, x=x, y=y, by=by)
    except SweepError as e:
        _fail(str(e))
    click.echo(f"wrote {output}: {desc}", err=True)
