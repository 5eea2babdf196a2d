"""The sweep's path language: values from the command line, and paths into the
raw instance JSON (``policy.total_budget``, ``sponsors[suzhou].budget``,
``targets[*].max_distance_km``, ``actors[a1].bids.t1``) checked against the
instance format and applied to a copy of it."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from ..errors import InputError

MAX_POINTS = 1_000_000


class SweepError(InputError):
    """Invalid sweep input (bad path, value, grid, results file): exit status 2."""


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
    maybe = [_decimal(p) for p in parts]
    nums = [n for n in maybe if n is not None]
    if len(nums) != len(maybe):
        raise SweepError(f"{text!r}: a range needs numbers (START:STOP:STEP)")
    start, stop = nums[0], nums[1]
    step = nums[2] if len(nums) == 3 else Decimal(1)
    if step == 0:
        raise SweepError(f"{text!r}: the step must not be 0")
    span = (stop - start) / step
    if span < 0:
        raise SweepError(
            f"{text!r}: the step goes away from STOP "
            f"(use a {'negative' if step > 0 else 'positive'} step)"
        )
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


@dataclass(frozen=True)
class Step:
    kind: str  # "key" (a field or mapping key) or "sel" (a list selection)
    value: Any  # key name; for "sel": "*", an int index, or ("id", str)


def parse_path(path: str) -> list[Step]:
    """``sponsors[suzhou].budget`` -> [key sponsors, sel id suzhou, key budget]."""
    steps: list[Step] = []
    i, n = 0, len(path)
    if not path.strip():
        raise SweepError(f"{path!r}: empty path")
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
            inner = path[i + 1 : j].strip()
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
    """A pydantic annotation -> ("model", cls) | ("list", item) | ("dict", value) |
    ("scalar", None)."""
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
        item = typing.get_args(tp)
        return ("list", item[0] if item else Any)
    if origin is dict:
        kv = typing.get_args(tp)
        return ("dict", kv[1] if len(kv) == 2 else Any)
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


def set_path(raw: dict[str, Any], path: str, value: Any,
             steps: list[Step] | None = None) -> dict[str, Any]:
    """A copy of ``raw`` with ``path`` set to ``value`` (``raw`` is not modified;
    only the containers along the path are copied). Raises :class:`SweepError`
    for a path the instance format does not have or that selects nothing."""
    from ..io.instance import Instance

    steps = steps if steps is not None else parse_path(path)
    root = {"": dict(raw)}
    # a slot: (container, key, kind, type); its value is container[key]
    slots: list[tuple[Any, Any, str, Any]] = [(root, "", "model", Instance)]
    for k, st in enumerate(steps):
        where = _prefix(steps, k)
        new: list[tuple[Any, Any, str, Any]] = []
        for cont, key, kind, tp in slots:
            cur = (
                cont[key]
                if (isinstance(cont, dict) and key in cont) or isinstance(cont, list)
                else None
            )
            if st.kind == "key":
                name = st.value
                if kind == "model":
                    fields = tp.model_fields
                    if name not in fields:
                        import difflib

                        close = difflib.get_close_matches(name, list(fields), n=1)
                        hint = (
                            f" (did you mean {close[0]!r}?)"
                            if close
                            else f" (fields: {', '.join(fields)})"
                        )
                        raise SweepError(f"{path}: unknown field {name!r} in {where}{hint}")
                    ckind, ctp = _kind(fields[name].annotation)
                elif kind in ("dict", "any"):
                    ckind, ctp = _kind(tp) if kind == "dict" else ("any", None)
                elif kind == "list":
                    raise SweepError(
                        f"{path}: {where} is a list: select items with [id], [index] or [*]"
                    )
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
                        raise SweepError(
                            f"{path}: {where}[{sel}]: index out of range "
                            f"({where} has {len(items)} item(s))"
                        )
                    idx = [sel % len(items)]
                else:
                    idx = [
                        i
                        for i, it in enumerate(items)
                        if isinstance(it, dict) and it.get("id") == sel[1]
                    ]
                    if not idx:
                        ids = [
                            str(it.get("id")) for it in items if isinstance(it, dict) and "id" in it
                        ]
                        from ..io.hints import nearest

                        near = nearest(sel[1], ids)
                        shown = ", ".join(ids[:8]) + (" ..." if len(ids) > 8 else "")
                        raise SweepError(
                            f"{path}: no item with id {sel[1]!r} in {where}"
                            + (f" (did you mean {near!r}?)" if near
                               else f" (ids: {shown})" if ids else "")
                        )
                for i in idx:
                    new.append((items, i, ikind, itp))
        slots = new
    for cont, key, _k, _t in slots:
        cont[key] = json.loads(json.dumps(value)) if isinstance(value, (dict, list)) else value
    return root[""]


def apply_overrides(raw: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = raw
    for p, v in overrides.items():
        out = set_path(out, p, v)
    return out
