"""``consortium schema`` and ``consortium profiles``: what the formats and profiles are."""

from __future__ import annotations

import json

import click

from .common import fail


@click.command("schema")
@click.option("--markdown", is_flag=True,
              help="Print the field tables of docs/FORMAT.md instead (generated from the same "
                   "descriptions as the schema).")
@click.option("--update", "update", type=click.Path(dir_okay=False, exists=True),
              help="With --markdown: rewrite the generated tables inside this file "
                   "(docs/FORMAT.md) in place.")
def schema_command(markdown: bool, update: str | None) -> None:
    """Print the JSON Schema of the instance format (every field described)."""
    from ..io.instance import json_schema

    if not markdown:
        if update:
            fail("--update needs --markdown")
        click.echo(json.dumps(json_schema(), indent=1))
        return
    from ..io.docs import markdown_blocks, marked, with_blocks
    from ..io.instance import Instance
    from ..io.jsonfile import write_atomic

    blocks = markdown_blocks(Instance)
    if update is None:
        click.echo(marked(blocks), nl=False)
        return
    with open(update, encoding="utf-8") as f:
        text = f.read()
    try:
        new = with_blocks(text, blocks)
    except ValueError as e:
        fail(f"{update}: {e}")
    if new != text:
        write_atomic(update, new)
    click.echo(f"{update}: {'updated' if new != text else 'up to date'}", err=True)


@click.command("profiles")
def profiles_command() -> None:
    """List the solver profiles in solvers/."""
    from ..solving import profiles

    for name, desc in profiles.available().items():
        click.echo(f"{name:10s} {desc}")
