"""JSON files in and out: strict parsing with one-line messages; every output
file written atomically (:func:`atomic_path`)."""

from __future__ import annotations

import json
import os
import sys
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
        raise InstanceError([f"{source}: {_syntax_error(text, e)}"]) from None
    except ValueError as e:  # duplicate keys, or numbers json cannot represent
        raise InstanceError([f"{source}: {e}"]) from None
    except RecursionError:
        raise InstanceError([f"{source}: JSON nested too deeply"]) from None


STDIO = "-"  # the file name of standard input (to read) and standard output (to write)
_stdin_text: str | None = None


def _read_stdin() -> str:
    """Standard input, read once: a command may read its instance twice (to
    validate it, then as raw JSON for the verifier)."""
    global _stdin_text
    if _stdin_text is None:
        data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError as e:
                raise InstanceError(
                    [f"standard input: not UTF-8 text ({e.reason} at byte {e.start})"]) from None
        _stdin_text = data
    return _stdin_text


def forget_stdin() -> None:
    """A new command starts (tests run several in one process): read stdin afresh."""
    global _stdin_text
    _stdin_text = None


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    return f"line {line} column {pos - (text.rfind(chr(10), 0, pos) + 1) + 1}"


def _syntax_error(text: str, e: json.JSONDecodeError) -> str:
    """The message of a JSON syntax error, pointing at its cause where it is a
    common one: a trailing comma (named at the comma, not at the bracket after
    it), a missing comma, single quotes, a comment."""
    if e.pos >= len(text.rstrip()):
        return f"truncated JSON at {_where(text, e.pos)}: {e.msg} (a bracket or brace not closed?)"
    here = text[e.pos]
    before = text[: e.pos].rstrip()
    if here in "]}" and before.endswith(","):
        return (f"not valid JSON: trailing comma at {_where(text, len(before) - 1)} before "
                f"'{here}' (JSON allows no comma after the last item)")
    if here == "'":
        return (f"not valid JSON at {_where(text, e.pos)}: strings and keys take double quotes "
                "(\"...\"), not single quotes")
    if text.startswith(("//", "/*", "#"), e.pos):
        return f"not valid JSON at {_where(text, e.pos)}: JSON has no comments"
    if e.msg.startswith("Expecting ',' delimiter") and before:
        return (f"not valid JSON at {_where(text, e.pos)}: {e.msg}: a comma missing after "
                f"{_where(text, len(before) - 1)}?")
    return f"not valid JSON at {_where(text, e.pos)}: {e.msg}"


def read_text(path: str | Path) -> str:
    """A text file's content; ``-`` is standard input."""
    if str(path) == STDIO:
        return _read_stdin()
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
    """Write ``text`` (or bytes) to ``path`` through :func:`atomic_path`;
    ``-`` is standard output."""
    if str(path) == STDIO:
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text)
        sys.stdout.flush()
        return
    with atomic_path(path) as tmp:
        if isinstance(text, bytes):
            tmp.write_bytes(text)
        else:
            with open(tmp, "w", encoding=encoding, newline=newline) as f:
                f.write(text)


def read_json(path: str | Path) -> Any:
    """A JSON file as a value (raises :class:`InstanceError` with one line)."""
    return parse(read_text(path), str(path))
