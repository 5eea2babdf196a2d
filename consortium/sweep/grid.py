"""The scenarios of a sweep: a full grid or zipped lists of ``--set`` values, or
a CSV/JSON file of scenarios; every scenario is validated before anything is
solved; chunks of consecutive scenarios are the warm-start chains."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..solving.session import Looseness, at_least_as_loose
from .paths import (
    MAX_POINTS,
    SweepError,
    apply_overrides,
    parse_path,
    parse_scalar,
    parse_values,
    set_path,
)


@dataclass
class Grid:
    """The scenarios of a sweep and how they were specified."""

    paths: list[str]
    scenarios: list[dict[str, Any]]  # path -> value, in ``paths`` order
    spec: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        text = json.dumps([list(s.items()) for s in self.scenarios], separators=(",", ":"),
                          sort_keys=False)
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
        combos: Iterable[tuple[Any, ...]] = zip(*lists, strict=False)
    else:
        total = math.prod(len(v) for v in lists)
        if total > MAX_POINTS:
            raise SweepError(f"the grid has {total} scenarios (at most {MAX_POINTS})")
        combos = itertools.product(*lists)
    scen = [dict(zip(paths, c, strict=False)) for c in combos]
    spec = {"mode": "zip" if zipped else "grid", "sets": [[p, v] for p, v in sets]}
    return Grid(paths, scen, spec)


def load_scenarios(path: str) -> Grid:
    """A CSV file (header = paths; empty cell = keep) or a JSON list of {path: value}."""
    p = Path(path)
    try:
        if str(path) == "-":  # standard input
            from ..io.jsonfile import read_text

            text = read_text("-").removeprefix("\ufeff")
        else:
            text = p.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise SweepError(f"--scenarios {path}: cannot read ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise SweepError(f"--scenarios {path}: not UTF-8 text ({e.reason} at byte {e.start})"
                         ) from None
    scen: list[dict[str, Any]] = []
    if p.suffix.lower() == ".json" or text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise SweepError(
                f"--scenarios {path}: not valid JSON at line {e.lineno} column {e.colno}: {e.msg}"
            ) from None
        except (ValueError, RecursionError) as e:  # numbers beyond floats, deep nesting
            raise SweepError(f"--scenarios {path}: not usable JSON ({type(e).__name__})"
                             ) from None
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
                raise SweepError(
                    f"--scenarios {path}: line {r}: {len(row)} cells for {len(head)} columns"
                )
            d = {}
            for h, c in zip(head, row, strict=False):
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
        try:
            parse_path(k)
        except SweepError as e:
            raise SweepError(f"--scenarios {path}: {e}") from None
    ordered = [{k: d[k] for k in paths if k in d} for d in scen]
    return Grid(paths, ordered, {"mode": "file", "file": str(path)})


def describe(overrides: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in overrides.items())


def validate(raw: dict[str, Any], grid: Grid, on_step: Callable[[], None] | None = None) -> None:
    """Every path resolves and every scenario is a valid instance, or SweepError."""
    from ..io.instance import InstanceError, from_dict

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
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def chunks_of(grid: Grid, todo: list[int], lifted: bool = False,
              size: int | None = None) -> list[list[int]]:
    """The scenarios ``todo`` in chunks (``size`` each, default
    :func:`default_chunk`), each in the order it is solved (:func:`solve_order`).
    Along paths that loosen one way, a chunk holds neighbours in looseness,
    whatever the order of the grid's values."""
    size = size or default_chunk(len(grid.scenarios))
    return chunked(solve_order(grid, todo, lifted), size)


# Paths along which the rules only loosen one way, by their field names
# (selectors left out; YEAR: a year): +1 if a larger value loosens them, -1 if
# a smaller one does. Every plan of a tighter value is then a plan of a looser
# one, on the same columns and with the same objective, so a sweep solves the
# loosest first and a looser scenario's proof carries over to the tighter
# ones (consortium.solving.session, the scenario's looseness key). The first
# ones only move a row's limit (budgets, actors' capacities, a milestone's
# count); the policy's state share rewrites rule 7's coefficients, and its
# member minimums add or drop rules 8 and 9's rows at 0, which the session
# cannot see from the matrix. Other paths (a target's budget, member counts,
# distances: other columns; weights: another objective) keep the grid's order
# (tight to loose: each plan a start for the next) and carry nothing over.
_LOOSENING: dict[tuple[str, ...], int] = {
    ("policy", "total_budget"): 1,
    ("policy", "total_budget_by_year", "YEAR"): 1,
    ("sponsors", "budget"): 1,
    ("sponsors", "budget_by_year", "YEAR"): 1,
    ("actors", "max_consortia"): 1,
    ("actors", "max_lead"): 1,
    ("programme", "milestones", "min_formed"): -1,
    ("policy", "max_state_share"): 1,
    ("policy", "min_private_members"): -1,
    ("policy", "min_outside_members"): -1,
}


# Paths whose tighter values only remove (actor, site) triples from the model:
# a sweep along them solves every scenario on the model of the grid's
# loosest values, with the triples beyond the scenario's own limits held at 0
# (consortium.solving.session.Session.resolve_reach): the session then sees
# from the column bounds alone which scenarios lie within which.
_REACH: set[tuple[str, ...]] = {("targets", "max_distance_km")}


def _fields(path: str) -> tuple[str, ...]:
    """The field names of a path (selectors left out; YEAR: a year)."""
    return tuple("YEAR" if isinstance(s.value, str) and s.value.isdigit() else str(s.value)
                 for s in parse_path(path) if s.kind == "key")


def reaches(path: str) -> bool:
    """Does the path set a distance limit (``_REACH``)?"""
    return _fields(path) in _REACH


def looseness(overrides: dict[str, Any], lifted: bool = False) -> Looseness | None:
    """A scenario's looseness key, when every path it sets loosens one way
    (``_LOOSENING``) and every value is a number; else None. The key names
    its paths, sorted, each with its value times the path's direction (larger:
    looser): two keys compare only over the same paths (a scenario that
    leaves a path at the instance's value is not comparable with one that
    sets it). ``lifted``: the sweep solves distance limits as column bounds
    (``_REACH``), which the session sees itself; the key leaves them out."""
    return _key(overrides, lifted, False)


def _key(overrides: dict[str, Any], lifted: bool, with_reach: bool) -> Looseness | None:
    """:func:`looseness`; ``with_reach``: the distance limits in it too, with
    larger values looser (what orders the scenarios and picks the anchor)."""
    key = []
    for p, v in sorted(overrides.items()):
        if lifted and not with_reach and reaches(p):
            continue
        d = looser_when_larger(p, lifted and with_reach)
        if d == 0 or isinstance(v, bool) or not isinstance(v, int | float):
            return None
        key.append((p, d * float(v)))
    return tuple(key) if key else None


def anchor(grid: Grid, lifted: bool = False) -> dict[str, Any] | None:
    """The scenario at least as loose as every other in every path (the
    largest budget of a budget sweep), when the grid has one: every chunk of
    the sweep starts from its proof (consortium.sweep.scenario), so each
    chunk's loosest scenario no longer needs a solve of its own when the
    anchor's plan fits it. None when a path does not loosen one way or no
    scenario is the loosest in all of them. ``lifted``: distance limits count
    (they loosen with larger values; see ``_REACH``)."""
    keys = [_key(s, lifted, True) for s in grid.scenarios]
    if len(keys) < 2:
        return None
    best = max(range(len(keys)), key=lambda i: [v for _, v in keys[i] or ()])
    if all(at_least_as_loose(keys[best], k) for k in keys):
        return dict(grid.scenarios[best])
    return None


def looser_when_larger(path: str, lifted: bool = False) -> int:
    """+1 if a larger value of the path only loosens the rules (a budget, an
    actor's capacity, the state share), -1 if a smaller one does (a
    milestone's count, a member minimum), 0 otherwise (see ``_LOOSENING``);
    with ``lifted``, +1 for a distance limit too (``_REACH``)."""
    keys = _fields(path)
    if lifted and keys in _REACH:
        return 1
    return _LOOSENING.get(keys, 0)


def reach_envelope(raw: dict[str, Any], grid: Grid) -> list[float | None] | None:
    """Per target (in the instance's order), its loosest distance limit over
    the grid's scenarios (None: no limit in some scenario), when the grid
    sweeps a distance limit and every scenario keeps the instance's targets;
    else None (the scenarios are solved on models of their own)."""
    if not any(reaches(p) for p in grid.paths):
        return None
    ids = [t.get("id") for t in raw.get("targets", [])]
    env: list[float | None] | None = None
    for ov in grid.scenarios:
        targets = apply_overrides(raw, ov).get("targets", [])
        if [t.get("id") for t in targets] != ids:
            return None
        km = [t.get("max_distance_km") for t in targets]
        if any(k is not None and (isinstance(k, bool) or not isinstance(k, int | float))
               for k in km):
            return None
        env = km if env is None else [None if a is None or b is None else max(a, b)
                                      for a, b in zip(env, km, strict=True)]
    return env


def solve_order(grid: Grid, ids: list[int], lifted: bool = False) -> list[int]:
    """The scenarios of a chunk in the order they are solved: the loosest first
    when every swept path loosens one way (a budget sweep from the largest
    budget down; ``_LOOSENING``; with ``lifted``, distance limits too), else as
    given. A looser scenario's proven bound holds for every tighter one, and
    its plan, where it still fits, answers them without a solve
    (consortium.solving.session); the other way round a plan only gives a
    start. The order depends on the grid alone, so the plans do not depend on
    how the sweep is run."""
    if not loosens(grid, lifted):
        return list(ids)
    dirs = [looser_when_larger(p, lifted) for p in grid.paths]

    def key(i: int) -> tuple[float, ...]:
        s = grid.scenarios[i]
        return tuple(-d * float(s[p]) for p, d in zip(grid.paths, dirs, strict=True))
    try:
        return sorted(ids, key=key)
    except (TypeError, ValueError, KeyError):  # a value that is not a number
        return list(ids)


def loosens(grid: Grid, lifted: bool = False) -> bool:
    """Does every swept path loosen one way (``_LOOSENING``; with ``lifted``,
    distance limits too)? Then the scenarios are solved loosest first."""
    dirs = [looser_when_larger(p, lifted) for p in grid.paths]
    return bool(dirs) and 0 not in dirs


def default_chunk(n: int) -> int:
    """Chunk size from the grid size alone (never from the worker count), so the
    warm-start chains, hence the rows, are the same however the sweep is run.
    A chunk is also how far a scenario reuses what the ones before it proved
    (consortium.solving.session), so chunks are as long as keeps two workers
    busy: a quarter of the grid, at most 8. (Half the grid along paths that
    loosen one way saved one solve of the provincial state-share sweep on one
    worker, but put every binding point of a budget sweep into one chunk,
    which two workers could then not share.)"""
    return max(1, min(8, n // 4))
