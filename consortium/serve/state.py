"""What the server keeps per browser session: the instance opened, its
scenarios (at most :data:`MAX_SCENARIOS`), the job under way, the last sweep.

A session is its own: its id is a random token the page holds, and nothing
of one session is reachable from another. Sessions idle for
:data:`IDLE_S` are dropped.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import InputError

MAX_SCENARIOS = 3
IDLE_S = 6 * 3600.0
MAX_SESSIONS = 200


@dataclass
class Scenario:
    """One solved scenario: the overrides (sweep paths -> values) against the
    instance as opened, and its verified plan (the solution file's JSON)."""

    name: str
    overrides: dict[str, Any]
    plan: dict[str, Any]
    settings: dict[str, Any]

    @property
    def has_plan(self) -> bool:
        return self.plan.get("status") in ("optimal", "feasible")


@dataclass
class Opened:
    """An instance as opened: its JSON (validated), where it came from."""

    raw: dict[str, Any]
    name: str
    source: str
    warnings: list[str] = field(default_factory=list)
    _inst: Any = None

    @cached_property
    def text(self) -> str:
        return json.dumps(self.raw, ensure_ascii=False, allow_nan=False, sort_keys=True)

    @cached_property
    def sha(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def inst(self) -> Any:
        """The validated :class:`~consortium.io.instance.Instance` (it passed
        validation in a worker already)."""
        if self._inst is None:
            from ..io.instance import from_dict

            self._inst = from_dict(copy.deepcopy(self.raw))
            if self._inst.name is None:
                self._inst.name = self.name
        return self._inst

    def variant(self, overrides: dict[str, Any]) -> dict[str, Any]:
        from ..sweep.paths import apply_overrides

        return apply_overrides(self.raw, overrides) if overrides else self.raw


@dataclass
class UserSession:
    id: str
    opened: Opened | None = None
    scenarios: list[Scenario] = field(default_factory=list)
    shown: int = 0  # the scenario the plan pages show
    selected: str | None = None  # the consortium (target id) highlighted
    job: str | None = None  # the job under way (open, solve, sweep)
    last_job: str | None = None  # the last one finished (its line stays on the page)
    job_kind: str | None = None
    job_meta: dict[str, Any] = field(default_factory=dict)
    message: str = ""  # the last error or notice (one block of lines)
    sweep: dict[str, Any] | None = None  # the last sweep's results
    repairs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by scenario name
    counter: int = 0
    touched: float = field(default_factory=time.monotonic)
    _dir: Path | None = None

    @property
    def folder(self) -> Path:
        """A scratch folder of this session's own (sweep results)."""
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="consortium-serve-"))
        return self._dir

    def scenario(self) -> Scenario | None:
        if not self.scenarios:
            return None
        self.shown = min(max(self.shown, 0), len(self.scenarios) - 1)
        return self.scenarios[self.shown]

    def open(self, opened: Opened) -> None:
        self.opened = opened
        self.scenarios, self.shown, self.selected = [], 0, None
        self.sweep, self.repairs, self.counter = None, {}, 0

    def add(self, sc: Scenario) -> str:
        """Keep ``sc`` (and show it); beyond :data:`MAX_SCENARIOS` the oldest
        what-if (never the first, the plan as opened) is dropped."""
        note = ""
        same = [i for i, s in enumerate(self.scenarios) if s.name == sc.name]
        if same:
            self.scenarios[same[0]] = sc
            self.shown = same[0]
        else:
            if len(self.scenarios) >= MAX_SCENARIOS:
                drop = 1 if len(self.scenarios) > 1 else 0
                note = (f"kept {MAX_SCENARIOS} scenarios: dropped "
                        f"{self.scenarios[drop].name!r}")
                self.repairs.pop(self.scenarios[drop].name, None)
                del self.scenarios[drop]
            self.scenarios.append(sc)
            self.shown = len(self.scenarios) - 1
        self.selected = None
        return note

    def next_name(self) -> str:
        self.counter += 1
        return f"what-if {self.counter}"

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)


class Sessions:
    """Every browser session's state, by its id (thread-safe)."""

    def __init__(self) -> None:
        self._items: dict[str, UserSession] = {}
        self._lock = threading.RLock()

    def new(self) -> str:
        sid = uuid.uuid4().hex
        with self._lock:
            self._expire()
            self._items[sid] = UserSession(sid)
        return sid

    def get(self, sid: str | None) -> UserSession:
        """The session ``sid`` (a new one under that id if it expired: the
        page then opens from scratch)."""
        with self._lock:
            s = self._items.get(sid or "")
            if s is None:
                s = UserSession(sid or uuid.uuid4().hex)
                self._expire()
                self._items[s.id] = s
            s.touched = time.monotonic()
            return s

    def close(self) -> None:
        """Every session's scratch folder removed (the server stops)."""
        with self._lock:
            for s in self._items.values():
                s.close()
            self._items.clear()

    def lock(self) -> threading.RLock:
        return self._lock

    def __len__(self) -> int:
        return len(self._items)

    def _expire(self) -> None:
        now = time.monotonic()
        old = [k for k, s in self._items.items() if now - s.touched > IDLE_S]
        if len(self._items) - len(old) >= MAX_SESSIONS:
            old += sorted((k for k in self._items if k not in old),
                          key=lambda k: self._items[k].touched)[: len(self._items) - MAX_SESSIONS
                                                                 + 1]
        for k in old:
            self._items.pop(k).close()


# ---------------------------------------------------------------- what-if controls


@dataclass
class Control:
    """One what-if input: a sweep path, its label, its value in the instance."""

    path: str
    label: str
    kind: str  # "number", "integer", "share", "bool"
    value: Any
    group: str


def controls(raw: dict[str, Any]) -> list[Control]:
    """The what-if inputs of an instance: every sponsor's budget, the total
    budget, the objective's weights and the policy rules."""
    pol = raw.get("policy") or {}
    w = pol.get("weights") or {}
    out = [Control(f"sponsors[{s['id']}].budget", f"{s['id']} budget", "number",
                   s.get("budget"), "budgets") for s in raw.get("sponsors") or []]
    out.append(Control("policy.total_budget", "total budget", "number",
                       pol.get("total_budget"), "budgets"))
    defaults = {"value": 1.0, "cost": 1.0, "distance": 0.0, "ties": 0.0}
    for k, d in defaults.items():
        out.append(Control(f"policy.weights.{k}", f"weight: {k}", "number", w.get(k, d),
                           "weights"))
    rules = [("max_state_share", "max state share (rule 7)", "share", 1.0),
             ("min_private_members", "min private members (rule 8)", "integer", 0),
             ("min_outside_members", "min outside-region members (rule 9)", "integer", 0),
             ("require_both_ends", "both ends (rule 5)", "bool", True),
             ("no_free_riders", "no free riders (rule 4)", "bool", True),
             ("chokepoints_domestic_only", "chokepoints domestic only (rule 3)", "bool", True),
             ("foreign_can_lead", "foreign actors may lead (rule 1)", "bool", False)]
    for k, label, kind, d in rules:
        out.append(Control(f"policy.{k}", label, kind, pol.get(k, d), "policy"))
    return out


def overrides_from(raw: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The inputs that differ from the instance, as sweep overrides
    (an emptied budget removes the cap: ``null``)."""
    base = {c.path: c for c in controls(raw)}
    out: dict[str, Any] = {}
    for path, v in values.items():
        c = base.get(path)
        if c is None:
            continue
        if isinstance(v, str):
            v = v.strip()
            v = None if v == "" else v
        if c.kind == "bool":
            v = bool(v) if v is not None else c.value
        elif v is not None:
            try:
                f = float(v)
            except ValueError:
                raise InputError.at(path, f"{v!r} is not a number") from None
            if c.kind == "integer" and not f.is_integer():
                raise InputError.at(path, f"{v!r} is not a whole number")
            v = int(f) if c.kind == "integer" else f
            if c.kind != "integer" and float(v).is_integer() and isinstance(c.value, int):
                v = int(v)
        if v is None and c.value is None:
            continue
        if v is None and c.kind != "number":
            continue
        if v != c.value:
            out[path] = v
    return out


def describe(overrides: dict[str, Any], raw: dict[str, Any]) -> str:
    """``sponsors[suzhou].budget 65 -> 90; ...``"""
    if not overrides:
        return "the instance as opened"
    base = {c.path: c.value for c in controls(raw)}
    parts = []
    for p, v in overrides.items():
        parts.append(f"{p} {_fmt(base.get(p, '?'))} → {_fmt(v)}")
    return "; ".join(parts)


def _fmt(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v).lower() if isinstance(v, bool) else str(v)


# ---------------------------------------------------------------- comparing


KPI_ROWS = [
    ("status", "status"), ("objective", "objective"), ("formed", "formed targets"),
    ("value", "value of formed targets"), ("spend", "spend"), ("members", "members"),
    ("distinct_actors", "distinct actors"), ("state_share", "state-enterprise share"),
    ("private_members", "private members"), ("outside_region_share", "outside-region share"),
    ("mean_distance_km", "mean member-site distance (km)"), ("ties_realised", "ties realised"),
]


def kpi_value(plan: dict[str, Any], key: str) -> Any:
    k = plan.get("kpis") or {}
    if key in ("status", "objective"):
        return plan.get(key)
    if key == "formed":
        return f"{k.get('formed', 0)} of {k.get('targets', '?')}" if k else None
    return k.get(key)


def memberships(plan: dict[str, Any]) -> dict[str, str]:
    """actor -> ``target (role)``, each consortium it is in, for one plan."""
    out: dict[str, list[str]] = {}
    for c in plan.get("consortia") or []:
        for a in c.get("members") or []:
            out.setdefault(a, []).append(f"{c['target']}{' (lead)' if a == c.get('lead') else ''}")
    return {a: ", ".join(sorted(v)) for a, v in out.items()}


def compare(scenarios: list[Scenario], raw: dict[str, Any]) -> dict[str, Any]:
    """Scenarios side by side: KPI rows, formed targets, and who moved (every
    actor whose consortia differ between the scenarios)."""
    names = [s.name for s in scenarios]
    kpis = [{"kpi": label, **{s.name: kpi_value(s.plan, key) for s in scenarios}}
            for key, label in KPI_ROWS]
    for sp in raw.get("sponsors") or []:
        row: dict[str, Any] = {"kpi": f"spend of sponsor {sp['id']}"}
        for s in scenarios:
            bu = ((s.plan.get("kpis") or {}).get("budget_use") or {}).get("sponsors") or {}
            row[s.name] = (bu.get(sp["id"]) or {}).get("spend")
        kpis.append(row)
    targets = [t["id"] for t in raw.get("targets") or []]
    formed = []
    for t in targets:
        row = {"target": t}
        for s in scenarios:
            c = next((c for c in s.plan.get("consortia") or [] if c["target"] == t), None)
            row[s.name] = (f"formed: lead {c['lead']}, {len(c['members'])} members"
                           if c else "not formed")
        formed.append(row)
    per = [memberships(s.plan) for s in scenarios]
    actors = sorted(set().union(*per)) if per else []
    moved = []
    for a in actors:
        vals = [m.get(a, "—") for m in per]
        if len(set(vals)) > 1:
            moved.append({"actor": a, **dict(zip(names, vals, strict=True))})
    return {"names": names, "kpis": kpis, "formed": formed, "moved": moved}
