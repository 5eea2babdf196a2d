"""What every command shares: exit codes, the one-line error, the start time.

Only the command line exits the process. The library raises
:class:`consortium.errors.InputError` (exit 2) or
:class:`consortium.errors.InternalError` (exit 3); :func:`fail` and
:func:`exit_for` turn them into the one line and the status.
"""

from __future__ import annotations

import sys
import time
from typing import Any, NoReturn

import click

from ..errors import InputError, InternalError

# --workers means the same in every command (README, "Conventions").
WORKERS_HELP = "worker processes solving at once; 0 solves in this process."

EXIT_OK, EXIT_NO_PLAN, EXIT_INVALID, EXIT_INTERNAL, EXIT_SOLVER_ERROR = 0, 1, 2, 3, 4
EXIT_OUT_OF_MEMORY = 5

OUT_OF_MEMORY = ("out of memory: the command needs more memory than this process may use "
                 "(ulimit -v, a container's limit); no output is left half-written. Try "
                 "fewer --threads, --method decompose for a large model, or more memory")

# --time-limit counts from here: start-up included (see ``started``).
_STARTED = time.monotonic()
_FROM_IMPORT = False


def process_start() -> None:
    """The console script starts: its command counts from the process's own
    start (the interpreter's start-up and the imports included), read from
    /proc where there is one, else from the import of this module."""
    global _FROM_IMPORT, _STARTED
    _FROM_IMPORT = True
    age = _process_age()
    if age is not None and 0.0 <= age < 60.0:
        _STARTED = min(_STARTED, time.monotonic() - age)


def _process_age() -> float | None:
    """Seconds since this process started (Linux), or None."""
    import os

    try:
        with open("/proc/self/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        with open("/proc/uptime", "rb") as f:
            uptime = float(f.read().split()[0])
        return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


_LIMITED = False  # a command with --time-limit ran: exit without the interpreter's teardown
_DONE = False  # a command wrote and closed all it writes: the teardown may be skipped


def time_limited() -> None:
    global _LIMITED
    _LIMITED = True


def is_time_limited() -> bool:
    return _LIMITED


def outputs_closed() -> None:
    """The running command has written and closed every file it writes (what
    is left is on stdout and stderr): the console script may then leave
    without the interpreter's teardown of the modules, the model's arrays and
    the HiGHS objects (0.05-0.1 s of a small solve), once the exit handlers
    have run (see ``consortium.cli.main``)."""
    global _DONE
    _DONE = True


def may_skip_teardown() -> bool:
    return _DONE


def new_command() -> None:
    """A command starts. The console script's counts from the process's start;
    any other (click's CliRunner, a notebook, a second command in a process)
    from its own start, however long ago the package was imported."""
    global _STARTED, _FROM_IMPORT, _DONE
    _DONE = False
    if not _FROM_IMPORT:
        _STARTED = time.monotonic()
    _FROM_IMPORT = False


def started() -> float:
    """``time.monotonic()`` when the running command started."""
    return _STARTED


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    click.echo(f"error: {with_hint(message)}", err=True)
    sys.exit(code)


def with_hint(message: str) -> str:
    """``message`` with a hint where the value differs from an allowed one only
    in case or spacing ('University' for 'university'), or is close to one
    (:func:`consortium.io.hints.choice_hint`)."""
    from ..io.hints import choice_hint

    return choice_hint(message)


SHOWN_ERRORS = 5  # input errors a command other than validate prints before the count


def error_lines(errors: list[str], validate_hint: str | None = None,
                limit: int | None = SHOWN_ERRORS) -> list[str]:
    """The lines a command prints for input errors: one ``error:`` line each,
    the first ``limit`` of them and then how many more (``validate_hint``:
    the command that lists them all); ``limit`` None gives every one, and
    their count. ``consortium serve`` shows an upload the same lines."""
    errors = errors or ["invalid input"]
    shown = errors if limit is None else errors[:limit]
    out = [f"error: {with_hint(line)}" for line in shown]
    rest = len(errors) - len(shown)
    if rest:
        where = f"; `{validate_hint}` lists them all" if validate_hint else ""
        out.append(f"... and {rest} more input error(s), {len(errors)} in all{where}")
    elif limit is None and len(errors) > 1:
        out.append(f"{len(errors)} input errors in all")
    return out


def fail_all(errors: list[str], validate_hint: str | None = None,
             limit: int | None = SHOWN_ERRORS) -> NoReturn:
    """Exit 2 on input errors, printing :func:`error_lines`."""
    for line in error_lines(errors, validate_hint, limit):
        click.echo(line, err=True)
    sys.exit(EXIT_INVALID)


def exit_for(e: InputError | InternalError) -> NoReturn:
    """The exit of a command that met a library error."""
    if isinstance(e, InternalError):
        for line in e.lines:
            click.echo(line, err=True)
        sys.exit(EXIT_INTERNAL)
    for w in e.warnings:
        click.echo(f"warning: {w}", err=True)
    fail_all(e.errors or [str(e)])


def load_instance(path: str, *, with_raw: bool = False, strict: bool = False) -> Any:
    """The validated instance (and, ``with_raw``, the parsed JSON as read);
    exit 2 with one line on bad input. Unknown fields are warned about on
    stderr (``strict``: they are errors, exit 2)."""
    from ..io.instance import InstanceError, load_raw, region_warnings, unknown_keys

    try:
        inst, raw = load_raw(path)
    except InstanceError as e:
        fail_all(e.errors, f"consortium validate {path}")
    if path == "-" and inst.name == "-":
        inst.name = "stdin"
    unknown = unknown_keys(inst)
    if unknown and strict:
        fail(unknown[0].replace("(ignored", "(--strict") + (
            f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""))
    for w in unknown + region_warnings(inst):
        click.echo(f"warning: {w}", err=True)
    return (inst, raw) if with_raw else inst


def read_json_or_fail(path: str) -> Any:
    """A JSON file (a solution, an instance as read); exit 2 with one line."""
    from ..io.jsonfile import read_json

    try:
        return read_json(path)
    except InputError as e:
        fail(e.errors[0])
