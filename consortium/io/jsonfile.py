"""JSON files in and out: strict parsing with one-line messages, atomic writes."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import InstanceError


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):  # rare: find the first repeated key for the message
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise ValueError(f"duplicate key {k!r} in one JSON object")
            seen.add(k)
    return out


def parse(text: str, source: str = "instance") -> Any:
    """Raw text -> JSON value, with a one-line message for every kind of bad file."""
    if not text.strip():
        raise InstanceError([f"{source}: the file is empty"])
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as e:
        what = "truncated JSON" if e.pos >= len(text.rstrip()) else "not valid JSON"
        raise InstanceError(
            [f"{source}: {what} at line {e.lineno} column {e.colno}: {e.msg}"]
        ) from None
    except ValueError as e:  # duplicate keys, or numbers json cannot represent
        raise InstanceError([f"{source}: {e}"]) from None
    except RecursionError:
        raise InstanceError([f"{source}: JSON nested too deeply"]) from None


def read_text(path: str | Path) -> str:
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstanceError([f"{p}: no such file"]) from None
    except IsADirectoryError:
        raise InstanceError([f"{p}: is a directory, not an instance file"]) from None
    except UnicodeDecodeError as e:
        raise InstanceError([f"{p}: not UTF-8 text ({e.reason} at byte {e.start})"]) from None
    except OSError as e:
        raise InstanceError([f"{p}: cannot read ({e.strerror})"]) from None


def dumps(data: Any) -> str:
    """The JSON text every output file uses: indent 1, UTF-8, no NaN, final newline."""
    return json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def write_atomic(path: str | Path, text: str) -> None:
    """Write via a temporary file and rename: a reader never sees half a file."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are for sharing
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: str | Path) -> Any:
    """A JSON file as a value (raises :class:`InstanceError` with one line)."""
    return parse(read_text(path), str(path))
