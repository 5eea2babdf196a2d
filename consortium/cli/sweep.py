"""``consortium sweep`` (solve a parameter grid, keep every row and plan) and
``consortium plot`` (draw a sweep)."""

from __future__ import annotations

import sys

import click

from ..sweep.plots import METRICS
from .common import WORKERS_HELP, fail, load_instance


@click.command("sweep")
@click.argument("instance", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUES",
              help="Swept path and its values: a,b,c or START:STOP:STEP. Repeat for a grid.")
@click.option("--zip", "zipped", is_flag=True,
              help="Pair the --set lists (equal lengths) instead of a full grid.")
@click.option("--scenarios", "scenarios_file", type=click.Path(dir_okay=False, allow_dash=True),
              help="Scenarios from a CSV (columns = paths) or JSON list of {path: value}.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Results file (SQLite).")
@click.option("--resume", is_flag=True,
              help="Complete an interrupted sweep: solve only the missing scenarios.")
@click.option("--retry-failed", is_flag=True,
              help="With --resume: solve the failed scenarios again too.")
@click.option("--overwrite", is_flag=True, help="Replace an existing results file.")
@click.option("--workers", type=click.IntRange(min=0),
              help=f"Local {WORKERS_HELP} Default min(2, CPUs).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on a dask.distributed cluster (tcp://host:8786).")
@click.option("--chunk", type=click.IntRange(min=1),
              help="Scenarios per task (default from the grid size).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help="Seconds per scenario.")
@click.option("--gap", type=click.FloatRange(min=0), help="Relative MIP gap accepted as optimal.")
@click.option("--profile", default="default", show_default=True,
              help="Solver profile (solvers/*.toml).")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="HiGHS threads per worker.")
@click.option("--method", type=click.Choice(["auto", "mip", "exact", "decompose"]), default=None,
              help="Per scenario: one MILP, or decomposition by target (as `consortium solve "
                   "--method`; "
                   "default from the profile, else auto).")
@click.option("--no-verify", is_flag=True, help="Skip the independent check of every plan.")
@click.option("--table", "export", type=click.Path(dir_okay=False),
              help="Also write the scenarios table as Parquet (FILE.parquet).")
@click.option("--export", "export_old", type=click.Path(dir_okay=False), hidden=True)
@click.option("--dry-run", is_flag=True, help="Validate and list the scenarios, solve nothing.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: on a terminal).")
def sweep_command(instance: str, sets: tuple[str, ...], zipped: bool, scenarios_file: str | None,
                  output: str,
                  resume: bool, retry_failed: bool, overwrite: bool, workers: int | None,
                  scheduler: str | None,
                  chunk: int | None, time_limit: float | None, gap: float | None, profile: str,
                  threads: int,
                  method: str | None, no_verify: bool, export: str | None,
                  export_old: str | None, dry_run: bool, progress: bool | None) -> None:
    """Solve INSTANCE for every scenario of a parameter grid; keep every row and plan.

    \b
    Examples:
      consortium sweep inst.json --set policy.total_budget=100:300:25 -o budget.sqlite
      consortium sweep inst.json --set sponsors[suzhou].budget=40,60,80 \\
          --set policy.weights.cost=0.8,1,1.2 -o grid.sqlite --workers 2
      consortium sweep inst.json --scenarios cases.csv -o cases.sqlite --resume

    Results are an SQLite file (tables scenarios, plans, meta): read it with
    pandas.read_sql("select * from scenarios", sqlite3.connect(FILE)).
    """
    from ..io.jsonfile import read_json
    from ..solving import profiles
    from ..sweep import (
        describe,
        expand,
        export_parquet,
        load_scenarios,
        parse_set,
        run_sweep,
        validate,
    )

    load_instance(instance)  # exit 2 with the instance's own message
    export = export or export_old  # --export: the option's name before --table
    if export and not export.lower().endswith(".parquet"):
        fail(f"--table {export}: the table file must end in .parquet")
    if output == "-":
        fail("-o: the results are an SQLite file and need a file name, not -")
    if retry_failed and not resume:
        fail("--retry-failed needs --resume")
    if scheduler and workers is not None:
        fail("--workers is for local runs; a --scheduler run uses the cluster's workers")
    st = profiles.settings(profile, time_limit, gap, method=method)
    # one HiGHS thread per worker unless --threads says otherwise
    opts = {k: st[k] for k in ("time_limit", "gap", "highs", "method")} | {"threads": threads}
    if instance == scenarios_file == "-":
        fail("INSTANCE and --scenarios cannot both be standard input")
    if scenarios_file and sets:
        fail("give either --set or --scenarios, not both")
    if scenarios_file:
        if zipped:
            fail("--zip applies to --set lists, not to --scenarios")
        grid = load_scenarios(scenarios_file)
    else:
        grid = expand([parse_set(s) for s in sets], zipped)
    raw = read_json(instance)
    validate(raw, grid)
    n = len(grid.scenarios)
    if dry_run:
        for i, ov in enumerate(grid.scenarios):
            click.echo(f"{i}\t{describe(ov)}")
        click.echo(f"{n} scenario(s), all valid", err=True)
        return
    from ..backends.base import default_parallelism

    nworkers = workers if workers is not None else default_parallelism()
    show = progress if progress is not None else sys.stderr.isatty()

    def event(msg: str) -> None:  # a worker died, a dask task failed
        click.echo(f"warning: {msg}", err=True)

    s = run_sweep(instance, grid, output, opts=opts, workers=nworkers, scheduler=scheduler,
                  resume=resume,
                  overwrite=overwrite, retry_failed=retry_failed, chunk=chunk, verify=not no_verify,
                  progress=show, on_event=event, validated=True)
    counts = ", ".join(f"{v} {k}" for k, v in sorted(s.statuses.items())) or "nothing to solve"
    head = f"{output}: {s.done_before + s.solved} of {s.total} scenarios"
    if s.done_before:
        head += f" ({s.done_before} from before)"
    click.echo(f"{head}; this run: {counts} in {s.seconds:.1f} s", err=True)
    if s.unwritable:
        click.echo(f"error: {s.unwritable}", err=True)
        sys.exit(1)
    if s.interrupted:
        click.echo("interrupted: the finished scenarios are saved; run again with --resume to "
                   f"complete {output}",
                   err=True)
        sys.exit(130)
    if export:
        rows = export_parquet(output, export)
        click.echo(f"wrote {export}: {rows} rows", err=True)
    failed = s.statuses.get("failed", 0)
    if failed:
        click.echo(f"{failed} scenario(s) failed (status 'failed', message in the error column); "
                   "--resume --retry-failed solves them again", err=True)
        sys.exit(1)


@click.command("plot")
@click.argument("results", type=click.Path(dir_okay=False))
@click.option("--x", "x", metavar="PATH", help="Swept path on the x axis (default: the first one).")
@click.option("--y", "y", type=click.Choice(METRICS),
              help="Metric (default: objective and spend; the heat map's colour: objective).")
@click.option("--by", "by", metavar="PATH2",
              help="Second swept path: draws a heat map of the metric.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, allow_dash=True),
              help="FILE.png, .svg or .pdf; - writes SVG to stdout")
def plot_command(results: str, x: str | None, y: str | None, by: str | None, output: str) -> None:
    """Plot a sweep: objective and spend against a swept parameter, consortia formed
    as a step chart, or a heat map over two swept parameters."""
    from ..sweep import plot_results

    if output == "-":
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d) / "plot.svg"
            desc = plot_results(results, str(tmp), x=x, y=y, by=by)
            sys.stdout.write(tmp.read_text(encoding="utf-8"))
        click.echo(f"wrote the SVG to stdout: {desc}", err=True)
        return
    desc = plot_results(results, output, x=x, y=y, by=by)
    click.echo(f"wrote {output}: {desc}", err=True)
