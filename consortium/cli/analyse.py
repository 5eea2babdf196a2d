"""``consortium analyse`` (marginal values, VCG rewards) and ``consortium stress``."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .common import EXIT_NO_PLAN, WORKERS_HELP, fail, load_instance

F = TypeVar("F", bound=Callable[..., Any])


def _common(f: F) -> F:
    opts = [
        click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
                     help="Write the JSON here (- for stdout)."),
        click.option("--json", "as_json", is_flag=True, help="Print the JSON to stdout."),
        click.option("--table", "table", type=click.Path(dir_okay=False, allow_dash=True),
                     help="Write a table: .csv, or .parquet (via pandas/pyarrow); - : CSV on "
                          "stdout."),
        click.option("--workers", type=click.IntRange(min=0), default=2, show_default=True,
                     help=f"Local {WORKERS_HELP}"),
        click.option("--scheduler",
                     help="dask.distributed scheduler address: run the re-solves there."),
        click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
                     help="Seconds per solve (base and each re-solve)."),
        click.option("--gap", type=click.FloatRange(min=0),
                     help="Relative MIP gap per solve (0 = exact)."),
        click.option("--profile", default="default", show_default=True,
                     help="Solver profile name or .toml."),
        click.option(
            "--solution",
            "solution_path",
            type=click.Path(dir_okay=False, allow_dash=True),
            help="Analyse this plan (a solution file of INSTANCE, verified first) "
            "instead of solving.",
        ),
        click.option("--plans", is_flag=True, help="Include every re-solved plan in the JSON."),
        click.option("--progress/--no-progress", default=None,
                     help="Progress bar (default: on a terminal)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def _prepare(instance: str, table: str | None, time_limit: float | None, gap: float | None,
             profile: str) -> tuple[Any, Any]:
    from ..analysis import TABLE_SUFFIXES
    from ..backends.base import SolverOptions
    from ..solving import profiles

    if table and table != "-" and Path(table).suffix.lower() not in TABLE_SUFFIXES:
        fail(f"--table: {table}: unknown extension (use .csv or .parquet)")
    inst = load_instance(instance)
    st = profiles.settings(profile, time_limit, gap)
    return inst, SolverOptions(**(st | {"threads": 1}))


def _base(instance: str, inst: Any, opts: Any, show: bool, solution_path: str | None) -> Any:
    """The verified base plan; exit 1 without one."""
    from ..analysis import NoBasePlan, base_plan

    try:
        if show:
            from rich.console import Console

            with Console(stderr=True).status("solving the base plan..."):
                return base_plan(instance, inst, opts, solution_path)
        return base_plan(instance, inst, opts, solution_path)
    except NoBasePlan as e:
        for line in e.lines:
            click.echo(line, err=True)
        sys.exit(EXIT_NO_PLAN)


def _run_with_bar(show: bool, label: str, total: int, scheduler: str | None,
                  fn: Callable[[Callable[[int], None] | None], Any]) -> Any:
    """``fn(progress)`` under a progress bar (when shown); a cluster that cannot
    be reached is exit 2."""
    try:
        if not show or total == 0:
            return fn(None)
        from ..report.terminal import progress_bar

        with progress_bar() as bar:
            task = bar.add_task(label, total=total)
            return fn(lambda n: bar.advance(task, n))
    except OSError as e:
        fail(f"--scheduler {scheduler}: cannot connect ({e})")


def _finish(data: dict[str, Any], output: str | None, as_json: bool, table_df: Any,
            table: str | None, report: Callable[[], None], kind: str) -> None:
    from ..analysis import write_table
    from ..io.jsonfile import STDIO, dumps, write_atomic
    from ..result.money import clean

    if sum((as_json, output == STDIO, table == STDIO)) > 1:
        fail("one result on stdout: give one of --json, -o - and --table -")
    data = clean(data)
    if output:
        write_atomic(output, dumps(data))
    if table == STDIO:
        table_df.to_csv(sys.stdout, index=False)
    elif table:
        try:
            write_table(table_df, table)
        except (ImportError, ValueError) as e:
            fail(f"--table: {e}")
    if as_json:
        click.echo(dumps(data), nl=False)
    elif STDIO not in (output, table) and (not output or sys.stdout.isatty()):
        report()
    if output and output != STDIO and not as_json:
        click.echo(f"wrote {output}: {kind}", err=True)
    if table and table != STDIO and not as_json:
        click.echo(f"wrote {table}", err=True)


@click.command("analyse")
@click.argument("instance", type=click.Path(dir_okay=False, allow_dash=True))
@_common
def analyse_command(instance: str, output: str | None, as_json: bool, table: str | None,
                    workers: int, scheduler: str | None, time_limit: float | None,
                    gap: float | None, profile: str, solution_path: str | None, plans: bool,
                    progress: bool | None) -> None:
    """Marginal value of every member of the optimal plan, and VCG rewards.

    Each member is barred from its consortium and the whole plan re-optimised:
    its marginal value is the objective lost; it is critical when its
    consortium is then not formed (or no plan exists); a replacement is named
    when another actor takes its place. The Clarke pivot (VCG) reward pays each
    member its reward plus its marginal value in money; the programme cost
    under that rule is set against the budgets.
    """
    from ..analysis import (
        analysis_meta,
        marginal_table,
        marginal_values,
        print_marginal,
        vcg_rewards,
        with_vcg_rewards,
    )

    t0 = time.perf_counter()
    inst, opts = _prepare(instance, table, time_limit, gap, profile)
    show = progress if progress is not None else sys.stderr.isatty()
    base = _base(instance, inst, opts, show, solution_path)
    n = sum(len(c.contracts) for c in base.consortia)
    stats: dict[str, Any] = {}
    recs = _run_with_bar(show, "marginal values", n, scheduler, lambda cb: marginal_values(
        inst, base, opts, workers, scheduler=scheduler, progress=cb, keep_plans=plans, stats=stats))
    vcg = vcg_rewards(inst, base, recs)
    out = with_vcg_rewards(base.to_dict(), vcg)
    out["analysis"] = analysis_meta("marginal", workers, scheduler, stats, t0, opts, base,
                                    [r["status"] for r in recs])
    out["marginal"] = recs
    out["vcg"] = vcg
    _finish(out, output, as_json, marginal_table(recs, vcg, inst) if table else None, table,
            lambda: print_marginal(inst, base, recs, vcg), "marginal values")


@click.command("stress")
@click.argument("instance", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--drop-actor", "drop_actor", multiple=True, metavar="ID",
              help="Drop this actor (repeatable: one scenario dropping them all).")
@click.option("--drop-foreign", is_flag=True, help="Scenario: every foreign actor disappears.")
@click.option("--drop-region", "drop_region", multiple=True, metavar="CODE",
              help="Drop every actor of this region (repeatable: one scenario dropping them all).")
@click.option("--drop-each", is_flag=True,
              help="One scenario per actor of the plan; rank them (early-warning list).")
@click.option("--scenarios", "scenarios_file", type=click.Path(dir_okay=False, allow_dash=True),
              help='JSON list of {"name": ..., "drop": [ids]} / {"drop_region": "JS"} / '
                   '{"drop_foreign": true} / {"drop_type": "sme"}.')
@click.option("--incumbent", "incumbent_path", type=click.Path(dir_okay=False, allow_dash=True),
              help="The plan in force (a solution file; the base plan): also report each "
                   "scenario's least-change repair of it beside the re-optimised plan.")
@_common
def stress_command(instance: str, drop_actor: tuple[str, ...], drop_foreign: bool,
                   drop_region: tuple[str, ...], drop_each: bool, scenarios_file: str | None,
                   output: str | None, as_json: bool, table: str | None, workers: int,
                   scheduler: str | None, time_limit: float | None, gap: float | None, profile: str,
                   solution_path: str | None, plans: bool, progress: bool | None,
                   incumbent_path: str | None = None) -> None:
    """Re-plan after actors disappear: lost targets, changed consortia, chokepoints.

    Per scenario: which targets are lost, which consortia change lead or
    members, the change in value, spend and objective, and the capabilities of
    lost targets left without an eligible domestic holder. --drop-each ranks
    every actor of the plan by the objective lost without it.
    """
    from ..analysis import (
        Scenario,
        ScenarioError,
        analysis_meta,
        drop_each_scenarios,
        early_warning,
        scenario_from_spec,
        scenarios_from_file,
        stress_table,
        stress_test,
    )

    t0 = time.perf_counter()
    if not (drop_actor or drop_foreign or drop_region or drop_each or scenarios_file):
        fail(
            "stress: give at least one of --drop-actor, --drop-foreign, --drop-region, "
            "--drop-each, --scenarios"
        )
    if instance == scenarios_file == "-":
        fail("INSTANCE and --scenarios cannot both be standard input")
    inst, opts = _prepare(instance, table, time_limit, gap, profile)
    scen: list[Scenario] = []
    if drop_actor:
        scen.append(scenario_from_spec(inst, {"drop": list(drop_actor)}, "--drop-actor"))
    if drop_region:
        scen.append(scenario_from_spec(inst, {"drop_region": list(drop_region)}, "--drop-region"))
    if drop_foreign:
        if not any(a.ownership == "foreign" for a in inst.actors):
            raise ScenarioError("--drop-foreign: the instance has no foreign actor")
        scen.append(
            scenario_from_spec(inst, {"name": "foreign actors withdraw", "drop_foreign": True},
                               "--drop-foreign")
        )
    if scenarios_file:
        scen.extend(scenarios_from_file(inst, scenarios_file))
    show = progress if progress is not None else sys.stderr.isatty()
    if incumbent_path and solution_path and incumbent_path != solution_path:
        fail("--incumbent is the base plan: give it or --solution, not both")
    base = _base(instance, inst, opts, show, incumbent_path or solution_path)
    if drop_each:
        scen.extend(drop_each_scenarios(base))
    in_plan = {a for c in base.consortia for a in c.members}
    n = sum(bool(in_plan.intersection(s.drop)) for s in scen)
    stats: dict[str, Any] = {}
    recs = _run_with_bar(show, "stress scenarios", n, scheduler, lambda cb: stress_test(
        inst, base, scen, opts, workers, scheduler=scheduler, progress=cb, keep_plans=plans,
        stats=stats))
    if incumbent_path:
        from ..whatif.incumbent import least_change_repairs

        least_change_repairs(inst, base, recs, opts)
    each = [r for r, s in zip(recs, scen, strict=True) if s.each]
    ranking = early_warning(each, base) if drop_each else None
    out = base.to_dict()
    out["analysis"] = analysis_meta("stress", workers, scheduler, stats, t0, opts, base,
                                    [r["status"] for r in recs if r["solved"]])
    out["stress"] = recs
    if ranking is not None:
        out["early_warning"] = ranking
    _finish(out, output, as_json, stress_table(recs, ranking, inst) if table else None, table,
            lambda: _print_stress(inst, base, recs, ranking, bool(incumbent_path)),
            f"{len(recs)} stress scenario(s)")


def _print_stress(inst: Any, base: Any, recs: list[dict[str, Any]], ranking: Any,
                  least: bool) -> None:
    from ..analysis import print_stress

    print_stress(inst, base, recs, ranking)
    if least:
        from rich.console import Console
        from rich.markup import escape

        from ..report.terminal import _table, plain_console

        con = Console() if sys.stdout.isatty() else plain_console()
        con.print()
        con.print("[bold]Least-change repair of the plan in force, beside the re-optimised plan"
                  "[/bold]")
        tab = _table(("scenario", "text"), ("re-optimised", "money"), ("least change", "money"),
                     ("changes", "money"), ("what changes", "text"))
        for r in recs:
            lc = r.get("least_change") or {}
            fmt = lambda z: "-" if z is None else f"{z:,.4f}"  # noqa: E731
            what = "; ".join(f"{c['target']} {c['kind'].replace('_', ' ')}"
                             + (f" {c['actor']}" if c.get("actor") else "")
                             for c in lc.get("list", [])[:6])
            tab.add_row(escape(r["name"]), fmt(r["objective_after"]), fmt(lc.get("objective")),
                        str(lc.get("changes", "-")), escape(what or "none"))
        con.print(tab)
