"""The ``consortium`` command.

Exit status (SPEC 5): 0 a plan was returned (optimal or feasible); 1 infeasible
or no plan found, with a diagnosis; 2 invalid input or usage, one line naming
the JSON path and the problem, no traceback, nothing written.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

STARTED = time.monotonic()  # --time-limit counts from here: start-up included
_INVOKED = False

EXIT_OK, EXIT_NO_PLAN, EXIT_INVALID = 0, 1, 2


def fail(message: str, code: int = EXIT_INVALID) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def write_atomic(path: str | Path, text: str) -> None:
    """Write via a temporary file and rename: a reader never sees half a file."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are for sharing
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps(data: Any) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def load_instance(path: str, *, with_raw: bool = False):
    """The validated instance (and, ``with_raw``, the parsed JSON as read);
    exit 2 with one line on bad input."""
    from .instance import InstanceError, load_raw

    try:
        inst, raw = load_raw(path)
        return (inst, raw) if with_raw else inst
    except InstanceError as e:
        extra = f" (and {len(e.errors) - 1} more problem(s); see `consortium validate`)" if len(e.errors) > 1 else ""
        fail(e.errors[0] + extra)


class LazyGroup(click.Group):
    """A click group whose plugin commands are imported only when they are used.

    ``lazy_commands`` maps a command name to ``(module, attribute)`` inside the
    ``consortium`` package. ``consortium solve`` then never imports the
    generator, sweeps, analyses, spreadsheets or report modules (and what they
    import); ``consortium --help`` imports them all to show their help line.
    A module that is missing is skipped, as before (optional commands)."""

    def __init__(self, *args: Any, lazy_commands: dict[str, tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_commands: dict[str, tuple[str, str]] = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        import importlib.util

        lazy = {n for n, (mod, _) in self.lazy_commands.items()
                if n not in self.commands and importlib.util.find_spec(f"consortium.{mod}") is not None}
        return sorted(set(self.commands) | lazy)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = self.commands.get(cmd_name)
        if cmd is None and cmd_name in self.lazy_commands:
            import importlib
            import importlib.util

            mod, attr = self.lazy_commands[cmd_name]
            if importlib.util.find_spec(f"consortium.{mod}") is None:
                return None
            cmd = getattr(importlib.import_module(f"consortium.{mod}"), attr, None)
            if cmd is not None:
                self.add_command(cmd, cmd_name)
        return cmd


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="consortium")
def cli() -> None:
    """Form innovation consortia by optimisation (MILP solved with HiGHS)."""
    global STARTED, _INVOKED
    # --time-limit counts from the process's start for the first command; a
    # later command in the same process (click's CliRunner, a notebook)
    # counts from its own start.
    if _INVOKED:
        STARTED = time.monotonic()
    _INVOKED = True


# ------------------------------------------------------------------ solve


@cli.command()
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the solution JSON here.")
@click.option("--json", "as_json", is_flag=True, help="Print the solution JSON to stdout.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds; returns the best plan found.")
@click.option("--gap", type=click.FloatRange(min=0), help="Relative MIP gap accepted as optimal (0 = exact).")
@click.option("--threads", type=click.IntRange(min=1), help="HiGHS threads.")
@click.option("--profile", default="default", show_default=True, help="Solver profile name (solvers/*.toml) or a .toml path.")
@click.option("--backend", type=click.Choice(["highs", "pyomo"]), default="highs", show_default=True,
              help="highs: matrix to highspy in memory; pyomo: the same rows as a Pyomo model.")
@click.option("--method", type=click.Choice(["auto", "mip", "exact", "decompose"]), default=None,
              help="mip: HiGHS on the one MILP; exact: the same MILP by LP-dual fixing and restricted "
                   "MILPs (same optimum, faster on large models); decompose: by target with Lagrangian "
                   "bounds (auto: by model size; default from the profile, else auto).")
@click.option("--log", is_flag=True, help="Show HiGHS's own log on stderr.")
@click.option("--progress/--no-progress", default=None, help="Live incumbent/bound/gap (default: on a terminal).")
@click.option("--no-reasons", is_flag=True, help="Skip the per-target analysis of unformed targets.")
@click.option("--no-verify", is_flag=True, help="Skip the independent check of the plan before writing it.")
@click.option("--contracts", "contracts_path", type=click.Path(dir_okay=False),
              help="Also write the contracts to FILE.xlsx or FILE.csv.")
@click.option("--marginal", is_flag=True,
              help="Marginal value of every member, critical actors and VCG rewards (re-solves).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Processes for --marginal.")
def solve(instance, output, as_json, time_limit, gap, threads, profile, backend, method, log, progress,
          no_reasons, no_verify, contracts_path, marginal, workers):
    """Solve INSTANCE and report the plan (contracts, incentives, KPIs)."""
    from . import profiles
    from .backends.base import SolverOptions

    inst, raw = load_instance(instance, with_raw=True)
    try:
        st = profiles.settings(profile, time_limit, gap, threads, method)
    except profiles.ProfileError as e:
        fail(str(e))
    opts = SolverOptions(**st, log=log)
    if opts.time_limit is not None:
        opts.deadline = STARTED + opts.time_limit
    show_progress = progress if progress is not None else (sys.stderr.isatty() and not as_json)
    sol = _solve_with_progress(inst, opts, backend, not no_reasons, show_progress)
    if contracts_path and not contracts_path.lower().endswith((".xlsx", ".csv")):
        fail(f"--contracts: {contracts_path}: expected a .xlsx or .csv file name")
    if marginal and sol.status.has_plan:
        from .analyse import marginal_values, vcg_rewards

        records = marginal_values(inst, sol, opts.__class__(gap=opts.gap, threads=1, highs=opts.highs),
                                  workers=workers)
        sol.extra["marginal"] = records
        sol.extra["vcg"] = vcg_rewards(inst, sol, records)
    data = sol.to_dict()
    if sol.status.has_plan and not no_verify:
        from .verify import verify_solution

        check = verify_solution(raw, data)
        if not check.ok:  # never hand out a plan that breaks a rule
            for v in check.violations:
                click.echo(f"internal error: plan fails rule {v.rule}: {v.message}", err=True)
            sys.exit(3)
    if output:
        write_atomic(output, dumps(data))
    if contracts_path and sol.status.has_plan:
        from .spreadsheet import export_contracts

        for p in export_contracts(inst, data, contracts_path):
            click.echo(f"wrote {p}", err=True)
    if as_json:
        click.echo(dumps(data), nl=False)
    elif not output or sys.stdout.isatty():
        from .terminal import print_report

        print_report(inst, sol)
        if marginal and sol.status.has_plan:
            from .analyse import print_marginal

            print_marginal(inst, data, sol.extra["marginal"], sol.extra["vcg"])
    if output and not as_json:
        click.echo(f"wrote {output}: {sol.status.value}"
                   + (f", objective {sol.objective:.6g}" if sol.objective is not None else ""), err=True)
    code = EXIT_OK
    if not sol.status.has_plan:
        if output or as_json:  # the terminal report already shows the diagnosis
            for d in sol.diagnosis or [f"no plan: {sol.status.value}"]:
                click.echo(d, err=True)
        code = EXIT_NO_PLAN
    sys.exit(code)


def _solve_with_progress(inst, opts, backend, reasons, show):
    from .solve import solve as run

    if not show:
        return run(inst, opts, backend=backend, reasons=reasons)
    from rich.console import Console
    from rich.live import Live

    con = Console(stderr=True)
    with Live(console=con, refresh_per_second=4, transient=True) as live:
        def on_progress(p):
            inc = "-" if p.incumbent is None else f"{p.incumbent:,.4f}"
            bnd = "-" if p.bound is None else f"{p.bound:,.4f}"
            gap = "-" if p.gap is None or p.gap > 1e20 else f"{p.gap:.2%}"
            live.update(f"[cyan]solving[/cyan] {p.elapsed:6.1f} s   incumbent {inc}   bound {bnd}   gap {gap}"
                        "   [dim](Ctrl-C returns the best plan so far)[/dim]")

        opts.on_progress = on_progress
        live.update("[cyan]building the model...[/cyan]")
        return run(inst, opts, backend=backend, reasons=reasons)


# ------------------------------------------------------------------ verify


@cli.command()
@click.argument("instance", type=click.Path(dir_okay=False))
@click.argument("solution", type=click.Path(dir_okay=False))
def verify(instance, solution):
    """Check SOLUTION against INSTANCE by the rules of the spec alone."""
    from .instance import InstanceError, parse, read_text
    from .verify import format_result, verify_solution

    load_instance(instance)  # invalid instances are exit 2, as everywhere
    try:
        sol = parse(read_text(solution), solution)
        raw = parse(read_text(instance), instance)
    except InstanceError as e:
        fail(e.errors[0])
    if not isinstance(sol, dict):
        fail(f"{solution}: (top level): must be a JSON object")
    res = verify_solution(raw, sol)
    click.echo(format_result(res, sol.get("objective")))
    sys.exit(EXIT_OK if res.ok else EXIT_NO_PLAN)


# ------------------------------------------------------------------ validate


@cli.command()
@click.argument("instance", type=click.Path(dir_okay=False))
@click.option("--quick", is_flag=True, help="Skip the per-target feasibility solves.")
def validate(instance, quick):
    """Validate INSTANCE and diagnose targets that cannot be formed."""
    from .instance import InstanceError, load, unknown_keys

    try:
        inst = load(instance)
    except InstanceError as e:
        for line in e.errors:
            click.echo(f"error: {line}", err=True)
        sys.exit(EXIT_INVALID)
    from .diagnose import Finding
    from .solve import build, standalone
    from .backends.base import SolverOptions, Status
    from .diagnose import elastic, explain_elastic

    for w in unknown_keys(inst):
        click.echo(f"warning: {w}")
    b = build(inst)
    findings = list(b.findings)
    if not quick:
        for v in b.md.views:
            if v.impossible or not b.md.forced(v.index):
                continue
            r = standalone(b, v.index, SolverOptions(time_limit=10.0))
            if r.status == Status.INFEASIBLE:
                lm, _ = r.x_cols
                why = explain_elastic(elastic(lm, time_limit=5.0))
                detail = "; ".join(f.message.split(": ", 1)[-1] for f in why[:3])
                findings.append(Finding("error", v.target.id, why[0].rule if why else "3",
                                        "must be formed but no consortium satisfies its own rules"
                                        + (f": {detail}" if detail else "")))
    for f in findings:
        click.echo(str(f))
    n_err = sum(f.severity == "error" for f in findings)
    n_warn = sum(f.severity == "warning" for f in findings)
    st = b.lm.stats()
    click.echo(
        f"{instance}: valid; {len(inst.targets)} targets, {len(inst.actors)} actors, "
        f"{len(inst.sites)} sites; model {st['columns']} columns ({st['integer']} integer), "
        f"{st['rows']} rows; {n_err} error(s), {n_warn} warning(s)"
    )
    sys.exit(EXIT_NO_PLAN if n_err else EXIT_OK)


# ------------------------------------------------------------------ check


@cli.command()
@click.argument("directory", type=click.Path(exists=True))
@click.option("--update", is_flag=True, help="Write/refresh expected files from proven results.")
@click.option("--tolerance", type=click.FloatRange(min=0), default=1e-6, show_default=True,
              help="Relative tolerance on the objective.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False), help="Write a JUnit XML report.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Seconds per instance.")
@click.option("--objective-only", is_flag=True, help="Do not compare formed targets and leads.")
def check(directory, update, tolerance, junit_path, workers, time_limit, objective_only):
    """Solve every instance under DIRECTORY and compare with its expected result."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from . import check as chk

    paths = chk.find_instances(Path(directory))
    if not paths:
        fail(f"{directory}: no instance files found")
    con = Console()
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("checking", total=len(paths))
        outcomes = chk.run(paths, tolerance=tolerance, time_limit=time_limit, workers=workers,
                           compare_plans=not objective_only, on_done=lambda o: bar.advance(task))
    tab = Table(title=f"{len(paths)} instance(s) under {directory}", title_justify="left")
    tab.add_column("instance", overflow="fold")
    tab.add_column("expected")
    tab.add_column("got")
    tab.add_column("time (s)", justify="right")
    tab.add_column("verdict", no_wrap=True, min_width=17)

    def fmt(d):
        if not d:
            return "-"
        o = d.get("objective")
        return f"{d.get('status')}" + (f" {o:.6g}" if isinstance(o, (int, float)) else "")

    for o in outcomes:
        style = "green" if o.passed else ("yellow" if o.verdict == "NEW" else "red")
        tab.add_row(str(Path(o.path).relative_to(directory) if Path(directory).is_dir() else o.path),
                    fmt(o.expected), fmt(o.got), f"{o.time_s:.2f}", f"[{style}]{o.verdict}[/{style}]")
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


# ------------------------------------------------------------------ schema, profiles


@cli.command()
def schema():
    """Print the JSON Schema of the instance format."""
    from .instance import json_schema

    click.echo(json.dumps(json_schema(), indent=1))


@cli.command("profiles")
def profiles_cmd():
    """List the solver profiles in solvers/."""
    from . import profiles

    for name, desc in profiles.available().items():
        click.echo(f"{name:10s} {desc}")


# Commands that live in their own modules: (command name, module, click command
# attribute). The name must be the one the module's @click.command gives.
PLUGIN_COMMANDS = [
    ("generate", "generate", "generate_command"),
    ("sweep", "sweep", "sweep_command"),
    ("plot", "sweep", "plot_command"),
    ("analyse", "analyse", "analyse_command"),
    ("stress", "analyse", "stress_command"),
    ("import", "spreadsheet", "import_command"),
    ("report", "report", "report_command"),
]


def _register_optional() -> None:
    """Register the plugin commands lazily: nothing is imported here (start-up
    time); ``LazyGroup.get_command`` imports a module when its command runs."""
    for name, mod, attr in PLUGIN_COMMANDS:
        cli.lazy_commands[name] = (mod, attr)  # type: ignore[attr-defined]


_register_optional()


def main() -> None:
    try:
        cli(prog_name="consortium")
    except SystemExit as e:
        # A HiGHS run abandoned at its deadline (see backends.highs) still
        # runs in a daemon thread: exit at once rather than wait for it.
        # Only a command that imported the back end can have one (importing
        # it here would load highspy on the way out of every command).
        highs = sys.modules.get("consortium.backends.highs")

        if highs is not None and highs.ABANDONED:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(e.code if isinstance(e.code, int) else 1)
        raise


if __name__ == "__main__":
    main()
