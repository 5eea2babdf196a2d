"""The command line (``consortium ...``): the top layer, the only one that
prints errors and exits. See :mod:`.main` for the commands and exit codes."""

from .main import cli, main

__all__ = ["cli", "main"]
