"""``consortium verify``: the independent check of a plan against an instance."""

from __future__ import annotations

import sys

import click

from .common import EXIT_NO_PLAN, EXIT_OK, fail, load_instance, read_json_or_fail


@click.command("verify")
@click.argument("instance", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("solution", type=click.Path(dir_okay=False, allow_dash=True))
def verify_command(instance: str, solution: str) -> None:
    """Check SOLUTION against INSTANCE by the rules of the spec alone."""
    from ..result.money import digits, fmt
    from ..verify import format_result, verify_solution

    if instance == solution == "-":
        fail("INSTANCE and SOLUTION cannot both be standard input")
    inst = load_instance(instance)  # invalid instances are exit 2, as everywhere
    sol = read_json_or_fail(solution)
    raw = read_json_or_fail(instance)
    if not isinstance(sol, dict):
        fail(f"{solution}: (top level): must be a JSON object")
    res = verify_solution(raw, sol)
    # The reported objective as the verifier read it; money at the currency's
    # precision (half-up, as in every output), the objective as solve shows it.
    nd = digits(inst.currency)
    unit = f" {inst.currency}" if inst.currency else ""
    click.echo(format_result(res, money=lambda x: f"{fmt(x, nd)}{unit}",
                             objective=lambda x: f"{x:,.4f}"))
    sys.exit(EXIT_OK if res.ok else EXIT_NO_PLAN)
