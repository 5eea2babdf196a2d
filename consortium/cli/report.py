"""``consortium report``: a self-contained HTML report of a plan."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("report")
@click.argument("instance", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("solution", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="HTML file to write (- for stdout). Default: the solution's name with .html, "
                   "beside it (plan.json -> plan.html); report.html when the solution is read "
                   "from stdin.")
@click.option("--sweep", "sweep_path", type=click.Path(dir_okay=False),
              help="Results of `consortium sweep` (SQLite): add objective/spend against the swept "
                   "parameter.")
@click.option("--title", help="Page title (default: the instance name).")
@click.option("--explain", "with_explain", is_flag=True,
              help="Add what would form each unformed target (`consortium explain`, re-solves).")
def report_command(instance: str, solution: str, output: str | None, sweep_path: str | None,
                   title: str | None, with_explain: bool) -> None:
    """Write a self-contained HTML report of SOLUTION for INSTANCE (either may be -).

    Summary KPIs, contracts per consortium, a map of sites and members, the
    network of formed consortia, budget use per sponsor, targets not formed
    and, with --sweep, the trade-off curves. Inline SVG, no external resources.
    """
    from ..io.jsonfile import write_atomic
    from ..report import read_sweep
    from ..report.page import render_report
    from . import common

    if instance == solution == "-":
        common.fail("INSTANCE and SOLUTION cannot both be standard input")
    inst = common.load_instance(instance)
    sol = common.read_json_or_fail(solution)
    raw = common.read_json_or_fail(instance)
    sweep = read_sweep(sweep_path) if sweep_path else None
    if sweep is not None and sweep.note:
        click.echo(f"warning: {sweep_path}: {sweep.note}; the sweep section says so", err=True)
    explained = None
    if with_explain:
        from ..errors import InputError
        from ..result.solution import Solution
        from ..solving.verified import check_plan
        from ..whatif import explain

        if not isinstance(sol, dict) or sol.get("status") not in ("optimal", "feasible"):
            common.fail(f"--explain: {solution} holds no plan to explain")
        try:
            check_plan(raw, sol)
        except Exception as e:  # the report itself shows the verifier's findings
            raise InputError(f"--explain: {solution} is not a valid plan of {instance}") from e
        explained = explain(inst, Solution.from_dict(sol, inst), raw=raw).to_dict()
    page = render_report(inst, sol, sweep=sweep, verify_raw=raw, title=title, explain=explained)
    if output is None:
        output = default_output(solution)
    write_atomic(output, page)
    where = "the page to stdout" if output == "-" else output
    click.echo(f"wrote {where} ({len(page.encode()) / 1024:,.0f} KiB)", err=True)
    sys.exit(0)


def default_output(solution: str) -> str:
    """Where ``report`` writes without ``-o``: beside the solution, its name
    with ``.html`` (never the solution itself); ``report.html`` for stdin."""
    if solution == "-":
        return "report.html"
    p = Path(solution)
    out = p.with_suffix(".html")
    return str(out if out != p else p.with_name(p.name + ".report.html"))
