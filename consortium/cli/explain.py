"""``consortium explain`` (what would form each unformed target; alternatives for
a formed one) and ``consortium frontier`` (the exact budget frontier)."""

from __future__ import annotations

import sys
from typing import Any

import click

from .common import EXIT_NO_PLAN, fail, load_instance, read_json_or_fail


def _plan(instance: str, inst: Any, raw: Any, plan: str | None) -> Any:
    """The plan to explain: PLAN verified against INSTANCE (exit 2 if it is not a
    valid plan of it), or None (the optimum is solved)."""
    if plan is None:
        return None
    from ..result.solution import Solution
    from ..verify import verify_solution

    data = read_json_or_fail(plan)
    if not isinstance(data, dict):
        fail(f"{plan}: (top level): must be a JSON object")
    if data.get("status") not in ("optimal", "feasible"):
        fail(f"{plan}: status {data.get('status')!r}: no plan to explain", EXIT_NO_PLAN)
    check = verify_solution(raw, data)
    if not check.ok:
        v = check.violations[0]
        fail(f"{plan}: not a valid plan of {instance}: rule {v.rule}: {v.message}")
    return Solution.from_dict(data, inst)


@click.command("explain")
@click.argument("instance", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("plan", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--target", "targets", multiple=True, metavar="ID",
              help="Explain this target (repeatable; default: every unformed target).")
@click.option("--alternatives", "alt_target", metavar="TARGET",
              help="For a formed target: every alternative lead and member, ranked by the "
                   "exact optimum with it fixed.")
@click.option("--top", type=click.IntRange(min=1),
              help="With --alternatives: the best N exact, every other proven below them "
                   "(default: 10).")
@click.option("--all", "all_", is_flag=True,
              help="With --alternatives: every alternative exact (one solve each: slow on "
                   "large instances).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON to stdout.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the result JSON here.")
@click.option("--no-sets", is_flag=True,
              help="Do not look for a set of changes when no single change forms a target.")
def explain_command(instance: str, plan: str | None, targets: tuple[str, ...],
                    alt_target: str | None, top: int | None, all_: bool, as_json: bool,
                    output: str | None, no_sets: bool) -> None:
    """For each target PLAN (default: the optimum) leaves unformed, the least
    change of each kind that forms it in an optimal plan, each confirmed by a
    re-solve; or --alternatives TARGET for a formed one."""
    from ..io.jsonfile import dumps, write_atomic
    from ..whatif import Probe, explain
    from ..whatif.alternatives import DEFAULT_TOP, alternatives

    inst, raw = load_instance(instance, with_raw=True)
    base = _plan(instance, inst, raw, plan)
    probe = Probe(inst, raw)
    if alt_target is not None:
        if targets:
            fail("give --target or --alternatives, not both")
        if top is not None and all_:
            fail("give --top or --all, not both")
        if probe.solve().status.value == "infeasible":
            fail("the instance is infeasible: no plan to find alternatives in", EXIT_NO_PLAN)
        res: Any = alternatives(probe, alt_target, base,
                                None if all_ else (top or DEFAULT_TOP))
    else:
        if top is not None or all_:
            fail("--top and --all go with --alternatives")
        res = explain(inst, base, list(targets) or None, raw=raw, probe=probe, sets=not no_sets)
    data = res.to_dict()
    if output:
        write_atomic(output, dumps(data))
    if as_json:
        click.echo(dumps(data), nl=False)
    elif not output or sys.stdout.isatty():
        from rich.console import Console

        from ..report.terminal import plain_console
        from ..report.whatif import print_alternatives, print_explain

        con = Console() if sys.stdout.isatty() else plain_console()
        if alt_target is not None:
            print_alternatives(inst, data, con)
        else:
            print_explain(inst, data, con)
    if output and output != "-":
        click.echo(f"wrote {output}", err=True)
    if alt_target is None and data.get("objective") is None:
        sys.exit(EXIT_NO_PLAN)


@click.command("frontier")
@click.argument("instance", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--path", "path", default="policy.total_budget", show_default=True,
              help="The budget to follow: policy.total_budget, sponsors[ID].budget or "
                   "targets[ID].budget.")
@click.option("--from", "start", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="The first budget.")
@click.option("--to", "stop", type=click.FloatRange(min=0),
              help="The last budget (default: as far as the optimum still grows).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False),
              help="Write the frontier figure here (.png, .svg or .pdf).")
@click.option("--json", "as_json", is_flag=True, help="Print the frontier as JSON to stdout.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the frontier JSON here.")
@click.option("--table", "table_path", type=click.Path(dir_okay=False),
              help="Write the steps as a table (.csv or .parquet).")
def frontier_command(instance: str, path: str, start: float, stop: float | None,
                     plot_path: str | None, as_json: bool, output: str | None,
                     table_path: str | None) -> None:
    """The exact budget frontier of INSTANCE: every budget at which the optimal
    value steps up (each found from proven optima, not a grid), and the targets
    each step adds."""
    from ..io.jsonfile import atomic_path, dumps, write_atomic
    from ..sweep.paths import SweepError, parse_path
    from ..whatif import Probe
    from ..whatif.frontier import frontier, plot_frontier

    if stop is not None and stop < start:
        fail(f"--to {stop:g} is below --from {start:g}")
    if plot_path and not plot_path.lower().endswith((".png", ".svg", ".pdf")):
        fail(f"--plot: {plot_path}: expected a .png, .svg or .pdf file name")
    if table_path and not table_path.lower().endswith((".csv", ".parquet")):
        fail(f"--table: {table_path}: expected a .csv or .parquet file name")
    try:
        parse_path(path)
    except SweepError as e:
        fail(str(e))
    inst, raw = load_instance(instance, with_raw=True)
    fr = frontier(Probe(inst, raw), path, start, stop)
    data = fr.to_dict()
    if output:
        write_atomic(output, dumps(data))
    if table_path:
        df = fr.to_frame()
        with atomic_path(table_path) as tmp:
            if table_path.lower().endswith(".csv"):
                df.to_csv(tmp, index=False)
            else:
                df.to_parquet(tmp, index=False)
        click.echo(f"wrote {table_path}", err=True)
    if plot_path:
        plot_frontier(fr, plot_path, inst.currency)
        click.echo(f"wrote {plot_path}", err=True)
    if as_json:
        click.echo(dumps(data), nl=False)
    elif not output or sys.stdout.isatty():
        from rich.console import Console

        from ..report.terminal import plain_console
        from ..report.whatif import print_frontier

        print_frontier(inst, data, Console() if sys.stdout.isatty() else plain_console())
    if not fr.steps:
        click.echo(f"no plan at any {path} from {start:g}" + (f" to {stop:g}" if stop else ""),
                   err=True)
        sys.exit(EXIT_NO_PLAN)
