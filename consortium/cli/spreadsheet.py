"""``consortium import``: an instance from a workbook or CSV folder (and back)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import fail, load_instance


@click.command("import")
@click.argument("source", required=False, type=click.Path())
@click.option("-o", "--output", type=click.Path(allow_dash=True),
              help="Instance JSON to write (default: stdout); with --from-instance: an .xlsx or a "
                   "CSV "
                   "folder.")
@click.option("--template", "template_dir", type=click.Path(file_okay=False),
              help="Write empty template.xlsx and template-csv/ (headers and README) into this "
                   "folder.")
@click.option("--from-instance", "from_instance", type=click.Path(dir_okay=False, allow_dash=True),
              help="The reverse: write this instance JSON as a workbook (-o book.xlsx) or CSV "
                   "folder "
                   "(-o DIR).")
def import_command(source: str | None, output: str | None, template_dir: str | None,
                   from_instance: str | None) -> None:
    """Build an instance from SOURCE: an .xlsx workbook or a folder of CSV files.

    One sheet (or CSV file) per table: meta, policy, capabilities, sites,
    sponsors, actors (capabilities as cap:<id> columns or an actor_capabilities
    sheet), bids, targets, requirements, ties, conflicts, exclusive, fixed.
    Errors name the file, sheet, row and column; exit 2.
    """
    from ..io.jsonfile import dumps, write_atomic
    from ..spec import INSTANCE_FORMAT
    from ..spreadsheet import SpreadsheetError, instance_to_workbook, read_workbook, write_template

    modes = sum(x is not None for x in (source, template_dir, from_instance))
    if modes != 1:
        fail("give exactly one of SOURCE, --template DIR or --from-instance FILE")
    if template_dir:
        for p in write_template(template_dir):
            click.echo(f"wrote {p}", err=True)
        return
    if from_instance:
        if not output or output == "-":
            fail("--from-instance needs -o BOOK.xlsx (or -o FOLDER for CSV files): a workbook "
                 "cannot go to stdout")
        inst = load_instance(from_instance)
        out = Path(output)
        if out.suffix.lower() not in ("", ".xlsx") and not out.is_dir():
            fail(f"{output}: write a workbook (.xlsx) or a folder of CSV files (no extension)")
        instance_to_workbook(inst, out)
        click.echo(f"wrote {out}", err=True)
        return
    try:
        assert source is not None  # exactly one of the three was given
        raw, warnings = read_workbook(source)
    except SpreadsheetError as e:
        for w in e.warnings:
            click.echo(f"warning: {w}", err=True)
        for line in e.errors:
            click.echo(f"error: {line}", err=True)
        sys.exit(2)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    raw = {"format": INSTANCE_FORMAT, **raw}
    text = dumps(raw)
    if output and output != "-":
        write_atomic(output, text)
        click.echo(
            f"wrote {output}: {len(raw.get('targets', []))} targets, "
            f"{len(raw.get('actors', []))} actors, {len(raw.get('sites', []))} sites",
            err=True,
        )
    else:
        click.echo(text, nl=False)
