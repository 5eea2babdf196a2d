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
    "explain": ("explain", "explain_command"),
    "frontier": ("explain", "frontier_command"),
    "serve": ("serve", "serve_command"),
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
        except MemoryError:
            from .common import EXIT_OUT_OF_MEMORY, OUT_OF_MEMORY, fail

            fail(OUT_OF_MEMORY, EXIT_OUT_OF_MEMORY)


@click.group(cls=LazyGroup, lazy_commands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="consortium")
def cli() -> None:
    """Form innovation consortia by optimisation (MILP solved with HiGHS).

    Every FILE argument and -o option takes - for standard input or output;
    results go to stdout, messages, logs and progress to stderr (README,
    "Conventions").
    """
    from ..io.jsonfile import forget_stdin

    forget_stdin()
    new_command()


# What the dynamic loader says when a shared library does not fit in the
# address space left (``ulimit -v``).
_NO_MEMORY_TO_LOAD = ("failed to map segment from shared object", "Cannot allocate memory",
                      "cannot allocate memory")


def _out_of_memory() -> None:
    from .common import EXIT_OUT_OF_MEMORY, OUT_OF_MEMORY

    try:
        sys.stderr.write(f"error: {OUT_OF_MEMORY}\n")
        sys.stderr.flush()
    finally:
        os._exit(EXIT_OUT_OF_MEMORY)  # no clean-up that could itself need memory


def _terminated(signum: int, frame: Any) -> None:
    raise Terminated()


SUPERVISED_ENV = "CONSORTIUM_SUPERVISED"


def _supervise() -> None:
    """Under an address-space limit (``ulimit -v``, ``RLIMIT_AS``), run the
    command in a forked child and watch it. Running out of memory is mostly a
    MemoryError (handled in the command), but a thread that cannot get its
    thread-local data makes the C loader abort the process ("cannot allocate
    memory for thread-local data", exit 127), which no Python code can catch:
    the parent turns that death into the out-of-memory line and exit 5.
    Without such a limit there is no child and no cost."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or os.environ.get(SUPERVISED_ENV):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.environ[SUPERVISED_ENV] = "1"
        return  # the child runs the command
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the child itself
    signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGTERM))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    from .common import EXIT_OUT_OF_MEMORY, OUT_OF_MEMORY

    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS):
            sys.stderr.write(f"error: {OUT_OF_MEMORY} (the process died of "
                             f"{signal.Signals(sig).name})\n")
            os._exit(EXIT_OUT_OF_MEMORY)
        sys.stderr.write(f"error: killed by {signal.Signals(sig).name}\n")
        os._exit(128 + sig)
    code = os.WEXITSTATUS(status)
    if code == 127:  # the loader's fatal error (never one of ours)
        sys.stderr.write(f"error: {OUT_OF_MEMORY}\n")
        os._exit(EXIT_OUT_OF_MEMORY)
    os._exit(code)


def main() -> None:
    process_start()
    _supervise()
    # SIGTERM stops a command as Ctrl-C does: the search stops, the best plan
    # so far is written (a solve), the finished scenarios are kept (a sweep).
    signal.signal(signal.SIGTERM, _terminated)
    try:
        try:
            cli(prog_name="consortium")
        except MemoryError:
            _out_of_memory()
        except RuntimeError as e:
            # a thread's stack that did not fit, or a MemoryError that highspy's
            # bindings (pybind11) turned into "Could not allocate list object!"
            if "can't start new thread" not in str(e) and "Could not allocate" not in str(e) \
                    and not isinstance(e.__cause__, MemoryError):
                raise
            _out_of_memory()
        except ImportError as e:
            # a module imported on the way (scipy's, at the engine's first
            # solve) whose shared library the loader could not map
            if not any(m in str(e) for m in _NO_MEMORY_TO_LOAD):
                raise
            _out_of_memory()
    except SystemExit as e:
        # A HiGHS run abandoned at its deadline (see backends.runs) still runs
        # in a daemon thread: exit at once rather than wait for it. Only a
        # command that imported the back end can have one (importing it here
        # would load highspy on the way out of every command).
        runs = sys.modules.get("consortium.backends.runs")
        from .common import is_time_limited

        # a HiGHS run left going, or a command on the clock (the interpreter's
        # teardown of the model's arrays and HiGHS objects takes a while):
        # every output is written and flushed already
        if is_time_limited() or (runs is not None and runs.ABANDONED.any_running()):
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(e.code if isinstance(e.code, int) else 1)
        _leave(e)
        raise


def _leave(e: SystemExit) -> None:
    """Exit at once, as the interpreter would but without its teardown, when
    the command said its files are written and closed
    (:func:`~consortium.cli.common.outputs_closed`), no other thread is left,
    no profiler or tracer watches (``python -m cProfile -o``, coverage, a
    debugger: they write their results after the command returns), and the
    exit status is a number: the exit handlers run, stdout and stderr are
    flushed, then ``os._exit``. Otherwise (or if flushing fails, as on a
    closed pipe) it returns and the interpreter exits as usual."""
    import threading

    from .common import may_skip_teardown

    code = 0 if e.code is None else e.code
    if not may_skip_teardown() or not isinstance(code, int) or threading.active_count() > 1 \
            or sys.getprofile() is not None or sys.gettrace() is not None:
        return
    import atexit

    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code)


if __name__ == "__main__":
    main()
