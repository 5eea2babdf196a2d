"""``consortium validate``: input validation and the pre-solve diagnosis."""

from __future__ import annotations

import sys

import click

from .common import EXIT_INVALID, EXIT_NO_PLAN, EXIT_OK, fail_all


@click.command("validate")
@click.argument("instance", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--quick", is_flag=True, help="Skip the per-target feasibility solves.")
@click.option("--strict", is_flag=True, help="Unknown fields are errors (exit 2), not warnings.")
def validate_command(instance: str, quick: bool, strict: bool) -> None:
    """Validate INSTANCE and diagnose targets that cannot be formed."""
    from ..io.instance import InstanceError, load, region_warnings, unknown_keys

    try:
        inst = load(instance)
    except InstanceError as e:
        fail_all(e.errors, limit=None)  # every problem, one line each, and their count
    from ..solving.validate import validate_instance

    unknown = unknown_keys(inst)
    regions = region_warnings(inst)
    for w in unknown + regions:
        click.echo(f"warning: {w}")
    if unknown and strict:
        sys.exit(EXIT_INVALID)
    report = validate_instance(inst, quick)
    for f in report.findings:
        click.echo(str(f))
    st = report.built.lm.stats()
    warned = report.warnings + len(unknown) + len(regions)
    click.echo(
        f"{instance}: valid; {len(inst.targets)} targets, {len(inst.actors)} actors, "
        f"{len(inst.sites)} sites; model {st['columns']} columns ({st['integer']} integer), "
        f"{st['rows']} rows; {report.errors} error(s), {warned} warning(s)"
    )
    sys.exit(EXIT_NO_PLAN if report.errors else EXIT_OK)
