"""``consortium check``: re-solve a regression set and compare with the expected results."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .common import EXIT_NO_PLAN, EXIT_OK, WORKERS_HELP, fail


@click.command("check")
@click.argument("directory", type=click.Path(exists=True))
@click.option("--update", is_flag=True, help="Write/refresh expected files from proven results.")
@click.option("--tolerance", type=click.FloatRange(min=0), default=1e-6, show_default=True,
              help="Relative tolerance on the objective.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False),
              help="Write a JUnit XML report.")
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True,
              help=WORKERS_HELP)
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True),
              help="Seconds per instance.")
@click.option("--gap", type=click.FloatRange(min=0),
              help="Relative MIP gap per instance (default: the profile's; results are proven "
                   "for --update only at 0).")
@click.option("--profile", default="default", show_default=True,
              help="Solver profile name (solvers/*.toml) or a .toml path.")
@click.option("--objective-only", is_flag=True, help="Do not compare formed targets and leads.")
def check_command(directory: str, update: bool, tolerance: float, junit_path: str | None,
                  workers: int, time_limit: float | None, gap: float | None, profile: str,
                  objective_only: bool) -> None:
    """Solve every instance under DIRECTORY and compare with its expected result."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from .. import check as chk
    from ..solving import profiles

    settings = profiles.settings(profile, None, gap)
    settings.pop("time_limit")

    paths = chk.find_instances(Path(directory))
    if not paths:
        fail(f"{directory}: no instance files found")
    con = Console()
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("checking", total=len(paths))
        outcomes = chk.run(paths, tolerance=tolerance, time_limit=time_limit, workers=workers,
                           compare_plans=not objective_only, on_done=lambda o: bar.advance(task),
                           settings=settings)
    tab = Table(title=f"{len(paths)} instance(s) under {directory}", title_justify="left")
    tab.add_column("instance", overflow="fold")
    tab.add_column("expected")
    tab.add_column("got")
    tab.add_column("time (s)", justify="right")
    tab.add_column("verdict", no_wrap=True, min_width=17)

    def fmt(d: dict[str, Any] | None) -> str:
        if not d:
            return "-"
        o = d.get("objective")
        return f"{d.get('status')}" + (f" {o:.6g}" if isinstance(o, (int, float)) else "")

    for o in outcomes:
        style = "green" if o.passed else ("yellow" if o.verdict == "NEW" else "red")
        tab.add_row(str(Path(o.path).relative_to(directory) if Path(directory).is_dir()
                        else o.path),
                    fmt(o.expected), fmt(o.got), f"{o.time_s:.2f}",
                    f"[{style}]{o.verdict}[/{style}]")
    con.print(tab)
    for o in outcomes:
        for d in o.details:
            con.print(f"  {o.path}: {d}")
    if junit_path:
        chk.junit(outcomes, junit_path)
    if update:
        for line in chk.update(outcomes, plans=not objective_only) or ["nothing to update"]:
            con.print(line)
        bad = [o for o in outcomes if o.verdict not in ("ok", "NEW", "DIFF")]
    else:
        bad = [o for o in outcomes if not o.passed]
    n_ok = sum(o.passed for o in outcomes)
    con.print(f"{n_ok} passed, {len(outcomes) - n_ok} failed")
    sys.exit(EXIT_NO_PLAN if bad else EXIT_OK)

