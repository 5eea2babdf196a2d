"""The ``consortium`` command group: every command is imported when it runs.

Exit status (SPEC 5, README "Exit status"): 0 a plan was returned (optimal or
feasible); 1 infeasible or no plan found, with a diagnosis; 2 invalid input or
usage, one line naming the JSON path and the problem, no traceback, nothing
written; 3 internal error (a plan failed the independent verifier); 4 the
solver failed (status ``error``).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import click

from ..errors import InputError, InternalError, Terminated
from .common import exit_for, new_command, process_start

# command name -> (module in consortium.cli, click command attribute)
COMMANDS: dict[str, tuple[str, str]] = {
    "solve": ("solve", "solve_command"),
    "verify": ("verify", "verify_command"),
    "validate": ("validate", "validate_command"),
    "check": ("check", "check_command"),
    "schema": ("info", "schema_command"),
    "profiles": ("info", "profiles_command"),
    "generate": ("generate", "generate_command"),
    "sweep": ("sweep", "sweep_command"),
    "plot": ("sweep", "plot_command"),
    "analyse": ("analyse", "analyse_command"),
    "stress": ("analyse", "stress_command"),
    "import": ("spreadsheet", "import_command"),
    "report": ("report", "report_command"),
}


class LazyGroup(click.Group):
    """A click group whose commands are imported only when they are used.

    ``lazy_commands`` maps a command name to ``(module, attribute)`` inside
    ``consortium.cli``. ``consortium solve`` then never imports the generator,
    sweeps, analyses, spreadsheets or report modules (and what they import);
    ``consortium --help`` imports them all to show their help line.

    The library raises :class:`~consortium.errors.InputError` and
    :class:`~consortium.errors.InternalError`; here they become the one-line
    message and exit status 2 or 3.
    """

    def __init__(self, *args: Any, lazy_commands: dict[str, tuple[str, str]] | None = None,
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, tuple[str, str]] = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = self.commands.get(cmd_name)
        if cmd is None and cmd_name in self.lazy_commands:
            import importlib

            mod, attr = self.lazy_commands[cmd_name]
            cmd = getattr(importlib.import_module(f"consortium.cli.{mod}"), attr)
            self.add_command(cmd, cmd_name)
        return cmd

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (InputError, InternalError) as e:
            exit_for(e)


@click.group(cls=LazyGroup, lazy_commands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="consortium")
def cli() -> None:
    """Form innovation consortia by optimisation (MILP solved with HiGHS)."""
    new_command()


def _terminated(signum: int, frame: Any) -> None:
    raise Terminated()


def main() -> None:
    process_start()
    # SIGTERM stops a command as Ctrl-C does: the search stops, the best plan
    # so far is written (a solve), the finished scenarios are kept (a sweep).
    signal.signal(signal.SIGTERM, _terminated)
    try:
        cli(prog_name="consortium")
    except SystemExit as e:
        # A HiGHS run abandoned at its deadline (see backends.runs) still runs
        # in a daemon thread: exit at once rather than wait for it. Only a
        # command that imported the back end can have one (importing it here
        # would load highspy on the way out of every command).
        runs = sys.modules.get("consortium.backends.runs")
        if runs is not None and runs.ABANDONED.any_running():
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(e.code if isinstance(e.code, int) else 1)
        raise


if __name__ == "__main__":
    main()
