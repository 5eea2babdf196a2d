"""The instance format described from its models: one source of truth.

Every field of the models in :mod:`.instance` carries its meaning (and, where
the value says nothing, its default in words, an example value, the SPEC
section of a programme extension and the list its ids refer to). From them:

- ``consortium schema``: the JSON Schema's descriptions (pydantic);
- docs/FORMAT.md's field tables (:func:`markdown_blocks`, written by
  ``consortium schema --markdown`` and checked by ``tests/test_interfaces.py``);
- the spreadsheet's columns, its README sheet, the template's example row and
  dropdowns (``consortium.spreadsheet.tables``).
"""

from __future__ import annotations

import json
import re
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

# The part of docs/FORMAT.md that is generated: between these two lines.
_BEGIN = "<!-- fields: {name} (generated from consortium/io/instance.py by `consortium schema " \
         "--markdown --update docs/FORMAT.md`; edit the descriptions there) -->"
_END = "<!-- end of fields: {name} -->"


@dataclass(frozen=True)
class FieldDoc:
    """One field of the format, as the documents show it."""

    path: str  # targets[].requirements[].level
    name: str  # level
    kind: str  # str, float, int, bool, list (of values), pairs (of lists), dict, model, models
    required: bool
    description: str
    default: Any  # the Python default (None: absent; [] / {} for the factories)
    shown: str | None  # the default in words ("no cap"), where the value says nothing
    example: Any
    section: str | None  # SPEC 7.x for a programme extension
    ref: str | None  # the top-level list whose ids it names
    choices: tuple[str, ...]  # the allowed values (a choice, or every item of a list)
    model: type[BaseModel] | None  # the model of a nested object, or of a list's items

    def default_text(self, *, spreadsheet: bool = False) -> str:
        """The default as the documents write it: ``required``, the words, or the value."""
        if self.required:
            return "required"
        if self.shown is not None:
            return self.shown
        v = self.default
        if spreadsheet:
            if isinstance(v, bool):
                return "TRUE" if v else "FALSE"
            if isinstance(v, float) and v.is_integer():
                return str(int(v))
            return "none" if v in (None, [], {}) else str(v)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return f"`{json.dumps(v)}`"


def _unoptional(tp: Any) -> Any:
    args = typing.get_args(tp)
    if type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0] if len(rest) == 1 else tp
    return tp


def _bare(tp: Any) -> Any:
    tp = _unoptional(tp)
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _kind(tp: Any) -> tuple[str, tuple[str, ...], type[BaseModel] | None]:
    tp = _bare(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Literal:
        return "str", tuple(map(str, args)), None
    if _is_model(tp):
        return "model", (), tp
    if origin is list:
        item = _bare(args[0])
        if _is_model(item):
            return "models", (), item
        if typing.get_origin(item) is list:
            return "pairs", (), None
        choices = typing.get_args(item) if typing.get_origin(item) is Literal else ()
        return "list", tuple(map(str, choices)), None
    if origin is dict:
        value = _bare(args[1])
        return ("models" if _is_model(value) else "dict"), (), value if _is_model(value) else None
    for t, name in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if tp is t:
            return name, (), None
    raise TypeError(f"no document kind for {tp!r}")


def field_doc(model: type[BaseModel], name: str, path: str = "") -> FieldDoc:
    """The :class:`FieldDoc` of ``model``'s field ``name`` (at ``path``)."""
    f: FieldInfo = model.model_fields[name]
    extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
    kind, choices, sub = _kind(f.annotation)
    default = None if f.is_required() else f.get_default(call_default_factory=True)
    if isinstance(default, BaseModel):
        default = None
    return FieldDoc(
        path=path or name, name=name, kind=kind, required=f.is_required(),
        description=f.description or "", default=default,
        shown=typing.cast("str | None", extra.get("x-default")),
        example=f.examples[0] if f.examples else None,
        section=typing.cast("str | None", extra.get("x-spec")),
        ref=typing.cast("str | None", extra.get("x-ref")), choices=choices, model=sub)


def fields_of(model: type[BaseModel]) -> list[FieldDoc]:
    """Every field of ``model``, in its order."""
    return [field_doc(model, n) for n in model.model_fields]


def walk(root: type[BaseModel]) -> list[FieldDoc]:
    """Every field of the format, depth first, each nested model once (where
    it first appears; a later field of the same model says where)."""
    out: list[FieldDoc] = []
    seen: dict[type[BaseModel], str] = {}

    def go(model: type[BaseModel], prefix: str) -> None:
        for name in model.model_fields:
            d = field_doc(model, name, prefix + name)
            sub = d.model
            if sub is not None and sub in seen:
                d = FieldDoc(**{**d.__dict__,
                                "description": f"{d.description} (fields as `{seen[sub]}`)"})
            out.append(d)
            if sub is None or sub in seen:
                continue
            f = model.model_fields[name]
            is_dict = typing.get_origin(_bare(f.annotation)) is dict
            here = d.path + ("[]" if d.kind == "models" and not is_dict else "")
            if is_dict:
                here += ".<" + _KEYS.get(name, "key") + ">"
            seen[sub] = here
            go(sub, here + ".")

    go(root, "")
    return out


_KEYS = {"incentives": "type"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _meaning(d: FieldDoc) -> str:
    """The description with field names and values in code style."""
    return _cell(d.description)


def markdown_table(rows: list[FieldDoc]) -> str:
    lines = ["| field | meaning | default |", "|---|---|---|"]
    for d in rows:
        lines.append(f"| `{d.path}` | {_meaning(d)} | {_cell(d.default_text())} |")
    return "\n".join(lines)


def markdown_blocks(root: type[BaseModel]) -> dict[str, str]:
    """docs/FORMAT.md's generated tables, by block name: ``instance`` (SPEC
    section 2) and ``programme`` (the section-7 extensions)."""
    rows = walk(root)
    return {
        "instance": markdown_table([d for d in rows if d.section is None]),
        "programme": markdown_table([d for d in rows if d.section is not None]),
    }


def with_blocks(text: str, blocks: dict[str, str]) -> str:
    """``text`` (docs/FORMAT.md) with each generated block replaced by ``blocks``'.

    Raises ``ValueError`` when a block's marker lines are missing."""
    for name, table in blocks.items():
        begin, end = _BEGIN.format(name=name), _END.format(name=name)
        pat = re.compile(re.escape(begin) + r"\n.*?\n" + re.escape(end), re.DOTALL)
        if not pat.search(text):
            raise ValueError(f"no generated block {name!r} (the line {begin!r} ... {end!r})")
        block = f"{begin}\n{table}\n{end}"
        text = pat.sub(lambda _m: block, text, count=1)  # noqa: B023 (used at once)
    return text


def marked(blocks: dict[str, str]) -> str:
    """The blocks with their marker lines, as ``consortium schema --markdown`` prints them."""
    return "\n\n".join(f"{_BEGIN.format(name=n)}\n{t}\n{_END.format(name=n)}"
                       for n, t in blocks.items()) + "\n"
