"""``consortium serve``: the local web app (see :mod:`consortium.serve`)."""

from __future__ import annotations

import click


@click.command("serve")
@click.argument("instance", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--port", type=click.IntRange(0, 65535), default=8050, show_default=True,
              help="Port to listen on (0: any free port; the address is printed).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 serves other machines too: there is no "
                   "login).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Worker processes running solves, uploads and reports at once (at least "
                   "1: the server itself never solves).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Solve on this dask.distributed cluster instead of local workers.")
def serve_command(instance: str | None, port: int, host: str, workers: int,
                  scheduler: str | None) -> None:
    """A local web app: open INSTANCE (an instance file or workbook; or upload one in the
    page), solve it, explore the plan, ask what-if questions, compare scenarios.

    Open the printed address in a browser. Everything is served from this machine
    (no CDN, no map tiles). Solves run in worker processes; each browser session
    keeps its own scenarios. Ctrl-C stops the server.
    """
    import sys

    from ..serve import serve
    from ..serve.work import UploadError
    from ..solving.runner import SchedulerUnreachable

    try:
        serve(instance, host=host, port=port, workers=workers, scheduler=scheduler)
    except UploadError as e:  # the lines `solve` (or `import`, a workbook) prints for it
        for line in e.warnings + e.errors:
            click.echo(line, err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    except (SchedulerUnreachable, OSError) as e:
        from .common import fail

        fail(f"cannot serve: {e}")
