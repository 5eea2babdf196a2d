"""``consortium schema`` and ``consortium profiles``: what the formats and profiles are."""

from __future__ import annotations

import json

import click


@click.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the instance format."""
    from ..io.instance import json_schema

    click.echo(json.dumps(json_schema(), indent=1))


@click.command("profiles")
def profiles_command() -> None:
    """List the solver profiles in solvers/."""
    from ..solving import profiles

    for name, desc in profiles.available().items():
        click.echo(f"{name:10s} {desc}")
