"""The command line (``consortium ...``): the top layer, the only one that
prints errors and exits. See :mod:`.main` for the commands and exit codes."""

import os

# pydantic looks for plugins in every installed package's metadata the first
# time a model is built (30-40 ms of each command's start-up); a command line
# has none to take. A user who wants theirs sets PYDANTIC_DISABLE_PLUGINS
# (an empty value: all of them).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from .main import cli, main  # noqa: E402

__all__ = ["cli", "main"]
