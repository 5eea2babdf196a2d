"""``consortium generate``: a seeded, realistic instance file."""

from __future__ import annotations

import click

from ..generate.presets import PRESETS, SITES


@click.command("generate")
@click.option("--preset", type=click.Choice(list(PRESETS)), default="small", show_default=True,
              help="Size and flavour: small (Suzhou-style city), provincial (Zhejiang-style), "
                   "national, programme (a Zhejiang-style five-year programme, SPEC section 7), "
                   "national-programme.")
@click.option("--targets", type=click.IntRange(min=0), default=None,
              help="Number of targets (overrides the preset).")
@click.option("--actors", type=click.IntRange(min=1), default=None,
              help="Number of actors (overrides the preset).")
@click.option("--capabilities", type=click.IntRange(min=1), default=None,
              help="Number of capabilities (overrides the preset).")
@click.option("--sites", type=click.IntRange(min=1, max=len(SITES)), default=None,
              help="Number of sites (overrides the preset).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random seed; same arguments give a byte-identical file.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, allow_dash=True),
              default="-", help="Instance file to write (JSON; default: stdout, as `import`).")
def generate_command(preset: str, targets: int | None, actors: int | None, capabilities: int | None,
                     sites: int | None, seed: int, output: str) -> None:
    """Generate a realistic, seeded innovation-consortium instance."""
    from ..generate import generate
    from ..generate.generator import dumps_instance
    from ..io.jsonfile import write_atomic

    try:
        inst = generate(preset=preset, targets=targets, actors=actors, capabilities=capabilities,
                        sites=sites, seed=seed)
    except ValueError as exc:  # pragma: no cover - click ranges catch most of it
        raise click.UsageError(str(exc)) from exc
    write_atomic(output, dumps_instance(inst))
    n_mand = sum(1 for t in inst["targets"] if t.get("mandatory"))
    click.echo(
        f"wrote {'the instance to stdout' if output == '-' else output}: {inst['name']}: "
        f"{len(inst['targets'])} targets "
        f"({n_mand} mandatory), {len(inst['actors'])} actors, "
        f"{len(inst['capabilities'])} capabilities, {len(inst['sites'])} sites, "
        f"{len(inst['sponsors'])} sponsors, {len(inst['ties'])} ties", err=True
    )
