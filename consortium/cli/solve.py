"""``consortium solve``: the plan of one instance, verified, on the terminal or in files."""

from __future__ import annotations

import sys
from typing import Any

import click

from .common import (
    EXIT_NO_PLAN,
    EXIT_OK,
    EXIT_OUT_OF_MEMORY,
    EXIT_SOLVER_ERROR,
    OUT_OF_MEMORY,
    WORKERS_HELP,
    fail,
    load_instance,
    outputs_closed,
    started,
    time_limited,
)


@click.command("solve")
@click.argument("instance", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the solution JSON here (- for stdout).")
@click.option("--json", "as_json", is_flag=True, help="Print the solution JSON to stdout.")
@click.option("--tsv", is_flag=True, help="Print the contracts as one TSV table to stdout.")
@click.option("-q", "--quiet", is_flag=True, help="Report only the status line and the totals.")
@click.option("-v", "--verbose", is_flag=True,
              help="Report the solver's details and every contract's instruments too.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help="Seconds; returns the best plan found.")
@click.option("--gap", type=click.FloatRange(min=0),
              help="Relative MIP gap accepted as optimal (0 = exact).")
@click.option("--threads", type=click.IntRange(min=1), help="HiGHS threads.")
@click.option("--profile", default="default", show_default=True,
              help="Solver profile name (solvers/*.toml) or a .toml path.")
@click.option("--backend", type=click.Choice(["highs", "pyomo"]), default="highs",
              show_default=True,
              help="highs: matrix to highspy in memory; pyomo: the same rows as a Pyomo model.")
@click.option("--method", type=click.Choice(["auto", "mip", "exact", "decompose"]), default=None,
              help="mip: HiGHS on the one MILP; exact: the same MILP by LP-dual fixing and "
                   "restricted MILPs (same optimum, faster on large models); decompose: by target "
                   "with Lagrangian bounds (auto: by model size; default from the profile, else "
                   "auto).")
@click.option("--log", is_flag=True, help="Show HiGHS's own log on stderr.")
@click.option("--progress/--no-progress", default=None,
              help="Live phase, elapsed time, incumbent/bound/gap on stderr (default: on a "
                   "terminal, without --log).")
@click.option("--no-reasons", is_flag=True,
              help="Skip the per-target analysis of unformed targets.")
@click.option("--no-verify", is_flag=True,
              help="Skip the independent check of the plan before writing it.")
@click.option("--table", "contracts_path", type=click.Path(dir_okay=False),
              help="Also write the contracts to FILE.xlsx or FILE.csv (with the consortia and "
                   "KPIs beside them).")
@click.option("--contracts", "contracts_old", type=click.Path(dir_okay=False), hidden=True)
@click.option("--strict", is_flag=True, help="Unknown fields in INSTANCE are errors (exit 2).")
@click.option("--marginal", is_flag=True,
              help="Marginal value of every member, critical actors and VCG rewards (re-solves).")
@click.option("--workers", type=click.IntRange(min=0),
              help="Worker processes: the decomposition by target prices its targets on a local "
                   "dask cluster of N single-threaded workers (default: threads of this process); "
                   f"--marginal: {WORKERS_HELP} (default 2).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Price the decomposition's targets (and --marginal's re-solves) on this "
                   "dask.distributed cluster (tcp://host:8786); the plan is the one a local run "
                   "finds.")
@click.option("--incumbent", "incumbent_path", type=click.Path(dir_okay=False, allow_dash=True),
              help="The plan in force (a solution file): re-plan from it, changing as little "
                   "as needed; the solution lists the changes.")
@click.option("--change-penalty", type=click.FloatRange(min=0),
              help="With --incumbent: each member removed or added, lead or site changed costs "
                   "this much in the objective (default: nothing changes without need).")
def solve_command(instance: str, output: str | None, as_json: bool, tsv: bool, quiet: bool,
                  verbose: bool, time_limit: float | None, gap: float | None,
                  threads: int | None, profile: str, backend: str, method: str | None, log: bool,
                  progress: bool | None, no_reasons: bool, no_verify: bool,
                  contracts_path: str | None, contracts_old: str | None,
                  marginal: bool, workers: int | None, scheduler: str | None,
                  strict: bool, incumbent_path: str | None, change_penalty: float | None) -> None:
    """Solve INSTANCE (- for stdin) and report the plan (contracts, incentives, KPIs).

    On a terminal the report fits its width; redirected, it is plain text at
    full width (--tsv: the contracts as TSV; --json: the solution file).
    """
    from ..io.jsonfile import STDIO

    contracts_path = contracts_path or contracts_old  # --contracts: its name before --table
    if quiet and verbose:
        fail("give -q or -v, not both")
    if sum((as_json, tsv, output == STDIO)) > 1:
        fail("one result on stdout: give one of --json, --tsv and -o -")
    if contracts_path and not contracts_path.lower().endswith((".xlsx", ".csv")):
        fail(f"--table: {contracts_path}: expected a .xlsx or .csv file name (it writes a "
             "workbook or three CSV files; --tsv prints the contracts on stdout)")
    if scheduler and workers is not None:
        fail("--workers is for local runs; a --scheduler run uses the cluster's workers")
    if change_penalty is not None and not incumbent_path:
        fail("--change-penalty needs --incumbent PLAN.json")
    incumbent = None
    if incumbent_path:
        from .common import read_json_or_fail

        incumbent = read_json_or_fail(incumbent_path)
        if backend != "highs":
            fail("--incumbent solves with the highs back end")
    to_stdout = as_json or output == STDIO
    client = None
    if scheduler:  # reached before anything is built: a wrong address fails at once
        from ..solving.runner import SchedulerUnreachable, connect

        try:
            client, _own = connect(scheduler)
        except SchedulerUnreachable as e:
            fail(f"--scheduler {scheduler}: cannot connect "
                 f"({type(e.original).__name__}: {e.original})")
    try:
        code = _solve(instance, output, as_json, tsv, quiet, verbose, time_limit, gap, threads,
                      profile, backend, method, log, progress, no_reasons, no_verify,
                      contracts_path, marginal, workers, client, strict, to_stdout,
                      incumbent, change_penalty)
    finally:
        if client is not None:
            client.close()
    sys.exit(code)


def _solve(instance: str, output: str | None, as_json: bool, tsv: bool, quiet: bool,
           verbose: bool, time_limit: float | None, gap: float | None, threads: int | None,
           profile: str, backend: str, method: str | None, log: bool, progress: bool | None,
           no_reasons: bool, no_verify: bool, contracts_path: str | None, marginal: bool,
           workers: int | None, client: Any, strict: bool, to_stdout: bool,
           incumbent: Any = None, change_penalty: float | None = None) -> int:
    from ..backends.base import SolverOptions, Status
    from ..io.jsonfile import STDIO, dumps, write_atomic
    from ..solving import profiles

    show_progress = progress if progress is not None else (sys.stderr.isatty() and not log)
    with _progress(show_progress) as line:
        inst, raw = load_instance(instance, with_raw=True, strict=strict)
        st = profiles.settings(profile, time_limit, gap, threads, method)
        opts = SolverOptions(**st, log=log, scheduler=client, workers=workers or None)
        if opts.time_limit is not None:
            opts.deadline = started() + opts.time_limit
            time_limited()
        if line is not None:
            opts.on_phase, opts.on_progress = line.on_phase, line.on_progress
        from ..solving.verified import solve_verified

        if incumbent is not None:
            from ..whatif.incumbent import replan

            sol = replan(inst, incumbent, change_penalty, opts, raw, reasons=not no_reasons,
                         verify=not no_verify)
        else:
            sol = solve_verified(inst, opts, raw=raw, backend=backend, reasons=not no_reasons,
                                 verify=not no_verify)
        opts.on_phase = opts.on_progress = None
        if marginal and sol.status.has_plan:
            from ..analysis import marginal_values, vcg_rewards

            if line is not None:
                line.on_phase("marginal")
            records = marginal_values(inst, sol, SolverOptions(gap=opts.gap, threads=1,
                                                               highs=opts.highs),
                                      workers=2 if workers is None else workers,
                                      scheduler=client)
            sol.extra["marginal"] = records
            sol.extra["vcg"] = vcg_rewards(inst, sol, records)
    data = sol.to_dict()
    if output:
        write_atomic(output, dumps(data))
    if contracts_path and sol.status.has_plan:
        from ..spreadsheet import export_contracts

        for p in export_contracts(inst, sol, contracts_path):
            click.echo(f"wrote {p}", err=True)
    if as_json:
        click.echo(dumps(data), nl=False)
    elif tsv:
        from ..report.terminal import print_tsv

        print_tsv(inst, sol)
    elif not to_stdout and (not output or sys.stdout.isatty()):
        _print_report(inst, sol, marginal, 0 if quiet else 2 if verbose else 1)
    if output and output != STDIO:
        click.echo(f"wrote {output}: {sol.status.value}"
                   + (f", objective {sol.objective:.6g}" if sol.objective is not None else ""),
                   err=True)
    code = EXIT_OK
    if not sol.status.has_plan:
        if output or as_json or tsv:  # the terminal report already shows the diagnosis
            for d in sol.diagnosis or [f"no plan: {sol.status.value}"]:
                click.echo(d, err=True)
        code = EXIT_SOLVER_ERROR if sol.status == Status.ERROR else EXIT_NO_PLAN
        if sol.solver.get("stopped_by") == "memory limit":
            click.echo(f"error: {OUT_OF_MEMORY}", err=True)
            code = EXIT_OUT_OF_MEMORY
    outputs_closed()
    return code


def _print_report(inst: Any, sol: Any, marginal: bool, verbosity: int) -> None:
    from rich.console import Console

    from ..report.terminal import plain_console, print_report

    con = Console() if sys.stdout.isatty() else plain_console()
    print_report(inst, sol, con, verbosity)
    if marginal and sol.status.has_plan:
        from ..analysis import print_marginal

        print_marginal(inst, sol, sol.extra["marginal"], sol.extra["vcg"], console=con)


class _progress:
    """The live phase line on stderr while the command works (or nothing)."""

    def __init__(self, show: bool):
        self.show = show
        self.live: Any = None

    def __enter__(self) -> Any:
        if not self.show:
            return None
        from rich.console import Console
        from rich.live import Live

        from .progress import PhaseLine

        line = PhaseLine(started())
        self.live = Live(line, console=Console(stderr=True), refresh_per_second=2,
                         transient=True)
        self.live.__enter__()
        return line

    def __exit__(self, *exc: Any) -> None:
        if self.live is not None:
            self.live.__exit__(*exc)
