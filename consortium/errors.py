"""The exceptions the library raises; the command line turns them into exit codes.

Nothing below the command line prints an error or exits the process: it
raises one of these, and ``consortium.cli`` writes the one-line ``error: ...``
(exit 2) or the internal error (exit 3).
"""

from __future__ import annotations


class ConsortiumError(Exception):
    """Base class of the errors the library raises on purpose."""


class InputError(ConsortiumError):
    """Invalid input or usage (exit status 2).

    ``errors`` holds one line per problem, each ``where: message`` where
    ``where`` is the JSON path (``targets[3].requirements[0].capability``), the
    file, or the option at fault. ``path`` and ``message`` split the first one.
    ``warnings`` are lines worth showing before the errors.
    """

    def __init__(self, errors: str | list[str], warnings: list[str] | None = None):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        self.warnings = list(warnings or [])
        super().__init__(self.errors[0] if self.errors else "invalid input")

    @classmethod
    def at(cls, path: str, message: str) -> InputError:
        """The error ``path: message``."""
        return cls([f"{path}: {message}"])

    @property
    def path(self) -> str | None:
        first = self.errors[0] if self.errors else ""
        return first.split(": ", 1)[0] if ": " in first else None

    @property
    def message(self) -> str:
        first = self.errors[0] if self.errors else "invalid input"
        return first.split(": ", 1)[1] if ": " in first else first


class InternalError(ConsortiumError):
    """Something that must never happen did (exit status 3): a plan that fails
    the independent verifier. ``lines`` are the messages to print."""

    def __init__(self, lines: str | list[str]):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__(self.lines[0] if self.lines else "internal error")


class InstanceError(InputError):
    """An invalid instance (or JSON) file. ``errors`` holds one ``path: message``
    line per problem, the JSON path first (``targets[3].sites[0]: ...``)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, delivered the way Ctrl-C is: the command stops the search and
    returns the best plan so far (see ``consortium.cli.main``). A subclass of
    :class:`KeyboardInterrupt`, so every place that handles Ctrl-C handles it."""


def interrupt_name(e: BaseException) -> str:
    """What an interrupt was, for messages: ``"SIGTERM"`` or ``"Ctrl-C"``."""
    return "SIGTERM" if isinstance(e, Terminated) else "Ctrl-C"
