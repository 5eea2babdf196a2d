"""Every input error at once: after the field errors, the cross-reference checks
still run on a *repaired* copy of the file.

Pydantic reports every field error of a file in one pass; the checks that
follow (unknown ids, duplicates, SPEC 7.3's years) need a validated model. To
run them anyway, :func:`repair` takes the file and the field errors and
returns a copy that validates: a field in error is dropped where it has a
default and given a stand-in value where it is required; an item of a
top-level list (an actor, a target) is kept in its place (with its id, so
references to it are not reported as unknown) and only its bad field is
replaced. The caller then drops every cross-reference error about a repaired
place (its path, a path under it or above it): those follow from the first
error and would only repeat it.
"""

from __future__ import annotations

import typing
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

_ROUNDS = 4  # stand-ins of a stand-in: give up after this many passes


def clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A pydantic error location without the names pydantic gives the branch of
    a union or an annotated type (``function-before[...]``)."""
    return tuple(p for p in loc if not (isinstance(p, str) and "[" in p and p != "[key]"))


def path_of(loc: tuple[Any, ...]) -> str:
    """``("targets", 3, "sites", 0)`` -> ``targets[3].sites[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            out += " (key)"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def related(path: str, repaired: set[str]) -> bool:
    """``path`` is a repaired place, lies under one or above one."""
    path = path.removesuffix(" (key)")
    for r in repaired:
        if path == r:
            return True
        for a, b in ((path, r), (r, path)):
            if a.startswith(b) and a[len(b)] in ".[":
                return True
    return False


def repair(model: type[BaseModel], data: dict[str, Any],
           errors: list[ErrorDetails]) -> tuple[BaseModel, dict[str, Any], set[str]] | None:
    """``data`` (which fails ``model`` with ``errors``) made valid: the model,
    the repaired copy and the paths of the places repaired; None when it
    cannot be done in a few passes."""
    work = dict(data)
    done: set[tuple[Any, ...]] = set()  # containers already copied (top-level keys, items)
    repaired: set[str] = set()
    for _ in range(_ROUNDS):
        for e in errors:
            loc = clean_loc(tuple(e["loc"]))
            if not loc:  # the file as a whole: nothing to repair
                return None
            where = _fix(work, model, loc, (), done)
            repaired.add(path_of(where))
        try:
            return model.model_validate(work), work, repaired
        except ValidationError as again:
            errors = again.errors()
    return None


def _own(node: Any, key: Any, at: tuple[Any, ...], done: set[tuple[Any, ...]]) -> Any:
    """``node[key]``, copied (shallowly) the first time it is changed: the
    caller's file stays as read, and a list of 15,000 actors is copied once."""
    sub = node[key]
    if at + (key,) not in done and isinstance(sub, dict | list):
        sub = dict(sub) if isinstance(sub, dict) else list(sub)
        node[key] = sub
        done.add(at + (key,))
    return sub


def _fix(node: dict[str, Any], model: type[BaseModel], loc: tuple[Any, ...], at: tuple[Any, ...],
         done: set[tuple[Any, ...]]) -> tuple[Any, ...]:
    """Repair the error at ``loc`` inside ``node`` (an object of ``model`` at
    ``at``); returns the location repaired."""
    name, rest = loc[0], loc[1:]
    fields = model.model_fields
    if not isinstance(name, str) or name not in fields:  # a key the model forbids
        node.pop(name, None)
        return at + (name,)
    field = fields[name]
    ann = _unoptional(field.annotation)
    here = at + (name,)
    if rest and name in node:
        sub = _own(node, name, at, done)
        origin, args = typing.get_origin(ann), typing.get_args(ann)
        if _is_model(ann) and isinstance(sub, dict):
            return _fix(sub, ann, rest, here, done)
        if origin is list and args and isinstance(sub, list) and isinstance(rest[0], int) \
                and 0 <= rest[0] < len(sub):
            i, item_type = rest[0], args[0]
            item = _own(sub, i, here, done)
            if _is_model(item_type) and isinstance(item, dict) and rest[1:]:
                return _fix(item, item_type, rest[1:], here + (i,), done)
            stand_in = _stand_in(item_type, item, path_of(here + (i,)))
            if stand_in is not _NONE:
                sub[i] = stand_in  # the item keeps its place (and its index in messages)
                return here + (i,)
        elif origin is dict and len(args) == 2 and isinstance(sub, dict) and rest[0] in sub:
            value_type = args[1]
            if _is_model(value_type) and isinstance(sub[rest[0]], dict) and rest[1:] \
                    and rest[1] != "[key]":
                _own(sub, rest[0], here, done)
                return _fix(sub[rest[0]], value_type, rest[1:], here + (rest[0],), done)
            del sub[rest[0]]
            return here + (rest[0],)
    if not field.is_required():
        node.pop(name, None)  # its default applies
        return here
    node[name] = _stand_in(field.rebuild_annotation(), node.get(name), path_of(here), required=True)
    return here


_NONE = object()


def _stand_in(tp: Any, old: Any, where: str, required: bool = False) -> Any:
    """A value of type ``tp`` that no reference can name (``<invalid ...>``);
    an object keeps its ``id`` when that was valid. ``_NONE`` if none is found."""
    tag = f"<invalid {where}>"
    base = _unoptional(_unannotated(tp))
    if _is_model(base):
        obj: dict[str, Any] = {}
        for k, f in base.model_fields.items():
            if f.is_required():
                obj[k] = _stand_in(f.rebuild_annotation(), None, f"{where}.{k}", required=True)
        if isinstance(old, dict) and isinstance(old.get("id"), str) and old["id"] \
                and "id" in base.model_fields:
            obj["id"] = old["id"]
        candidates: list[Any] = [obj]
    elif typing.get_origin(base) is Literal:
        candidates = list(typing.get_args(base))
    else:
        candidates = [tag, 0, 1, 0.0, [tag], [tag, f"{tag}'"], [], {}, False]
    adapter = TypeAdapter(tp)
    for c in candidates:
        try:
            adapter.validate_python(c)
            return c
        except ValidationError:
            continue
    return None if required else _NONE


def _unannotated(tp: Any) -> Any:
    return typing.get_args(tp)[0] if typing.get_origin(tp) is typing.Annotated else tp


def _unoptional(tp: Any) -> Any:
    args = typing.get_args(tp)
    if args and type(None) in args and typing.get_origin(tp) in (typing.Union, _UnionType):
        rest = [a for a in args if a is not type(None)]
        return rest[0] if len(rest) == 1 else tp
    return tp


_UnionType = type(int | None)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)
