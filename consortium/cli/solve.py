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
    fail,
    load_instance,
    started,
    time_limited,
)


@click.command("solve")
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the solution JSON here.")
@click.option("--json", "as_json", is_flag=True, help="Print the solution JSON to stdout.")
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
              help="Live incumbent/bound/gap (default: on a terminal).")
@click.option("--no-reasons", is_flag=True,
              help="Skip the per-target analysis of unformed targets.")
@click.option("--no-verify", is_flag=True,
              help="Skip the independent check of the plan before writing it.")
@click.option("--contracts", "contracts_path", type=click.Path(dir_okay=False),
              help="Also write the contracts to FILE.xlsx or FILE.csv.")
@click.option("--marginal", is_flag=True,
              help="Marginal value of every member, critical actors and VCG rewards (re-solves).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Processes for --marginal.")
def solve_command(instance: str, output: str | None, as_json: bool, time_limit: float | None,
                  gap: float | None,
                  threads: int | None, profile: str, backend: str, method: str | None, log: bool,
                  progress: bool | None, no_reasons: bool, no_verify: bool,
                  contracts_path: str | None,
                  marginal: bool, workers: int) -> None:
    """Solve INSTANCE and report the plan (contracts, incentives, KPIs)."""
    from ..backends.base import SolverOptions, Status
    from ..io.jsonfile import dumps, write_atomic
    from ..solving import profiles

    inst, raw = load_instance(instance, with_raw=True)
    st = profiles.settings(profile, time_limit, gap, threads, method)
    if contracts_path and not contracts_path.lower().endswith((".xlsx", ".csv")):
        fail(f"--contracts: {contracts_path}: expected a .xlsx or .csv file name")
    opts = SolverOptions(**st, log=log)
    if opts.time_limit is not None:
        opts.deadline = started() + opts.time_limit
        time_limited()
    show_progress = progress if progress is not None else (sys.stderr.isatty() and not as_json)
    sol = _solve_with_progress(inst, raw, opts, backend, not no_reasons, not no_verify,
                               show_progress)
    if marginal and sol.status.has_plan:
        from ..analysis import marginal_values, vcg_rewards

        records = marginal_values(inst, sol, SolverOptions(gap=opts.gap, threads=1,
                                                           highs=opts.highs),
                                  workers=workers)
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
    elif not output or sys.stdout.isatty():
        from ..report.terminal import print_report

        print_report(inst, sol)
        if marginal and sol.status.has_plan:
            from ..analysis import print_marginal

            print_marginal(inst, sol, sol.extra["marginal"], sol.extra["vcg"])
    if output and not as_json:
        click.echo(f"wrote {output}: {sol.status.value}"
                   + (f", objective {sol.objective:.6g}" if sol.objective is not None else ""),
                   err=True)
    code = EXIT_OK
    if not sol.status.has_plan:
        if output or as_json:  # the terminal report already shows the diagnosis
            for d in sol.diagnosis or [f"no plan: {sol.status.value}"]:
                click.echo(d, err=True)
        code = EXIT_SOLVER_ERROR if sol.status == Status.ERROR else EXIT_NO_PLAN
        if sol.solver.get("stopped_by") == "memory limit":
            click.echo(f"error: {OUT_OF_MEMORY}", err=True)
            code = EXIT_OUT_OF_MEMORY
    sys.exit(code)


def _solve_with_progress(inst: Any, raw: Any, opts: Any, backend: str, reasons: bool, verify: bool,
                         show: bool) -> Any:
    from ..solving.verified import solve_verified

    def run() -> Any:
        return solve_verified(inst, opts, raw=raw, backend=backend, reasons=reasons, verify=verify)

    if not show:
        return run()
    from rich.console import Console
    from rich.live import Live

    con = Console(stderr=True)
    with Live(console=con, refresh_per_second=4, transient=True) as live:
        def on_progress(p: Any) -> None:
            inc = "-" if p.incumbent is None else f"{p.incumbent:,.4f}"
            bnd = "-" if p.bound is None else f"{p.bound:,.4f}"
            gap = "-" if p.gap is None or p.gap > 1e20 else f"{p.gap:.2%}"
            live.update(f"[cyan]solving[/cyan] {p.elapsed:6.1f} s   incumbent {inc}   bound {bnd}  "
                        f" gap {gap}"
                        "   [dim](Ctrl-C returns the best plan so far)[/dim]")

        opts.on_progress = on_progress
        live.update("[cyan]building the model...[/cyan]")
        return run()
