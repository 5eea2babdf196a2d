"""JSON files in and out: strict parsing with one-line messages; every output
file written atomically (:func:`atomic_path`)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


_replace = os.replace  # the one rename of every output (tests/test_atomic.py stops here)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary file beside ``path`` to write to; when the block ends
    without an error it is flushed to disk and renamed over ``path`` in one
    step (``os.replace``), else removed. A reader -- or a process killed in the
    middle -- never sees half a file: ``path`` is the old file or the new one.

    The one way every output of the package is written (plans, instances,
    contracts, reports, tables, figures, exports); writers that want a file
    name (openpyxl, pandas, matplotlib, pyarrow) write to the path yielded,
    which keeps ``path``'s extension."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=p.parent, prefix=f".{p.stem}.", suffix=f".tmp{p.suffix}")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as f:  # on disk before the rename: a power cut keeps one of them
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are for sharing
        _replace(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, text: str | bytes, encoding: str = "utf-8",
                 newline: str | None = None) -> None:
    """Write ``text`` (or bytes) to ``path`` through :func:`atomic_path`."""
    with atomic_path(path) as tmp:
        if isinstance(text, bytes):
            tmp.write_bytes(text)
        else:
            with open(tmp, "w", encoding=encoding, newline=newline) as f:
                f.write(text)


def read_json(path: str | Path) -> Any:
    """A JSON file as a value (raises :class:`InstanceError` with one line)."""
    return parse(read_text(path), str(path))
