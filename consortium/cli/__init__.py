"""The command line (``consortium ...``): the top layer, the only one that
prints errors and exits. See :mod:`.main` for the commands and exit codes."""

import os

# pydantic looks for plugins in every installed package's metadata the first
# time a model is built (30-40 ms of each command's start-up); a command line
# has none to take. A user who wants theirs sets PYDANTIC_DISABLE_PLUGINS
# (an empty value: all of them).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def _no_plugin_scan() -> None:
    """With every plugin disabled, pydantic's plugin loader still imports
    importlib.metadata (email, zipfile, csv: 12-20 ms of each command's
    start-up) only to return no plugins. Its one function then has a stand-in
    with the same answer; a user's own setting (specific plugins, or none
    disabled) keeps pydantic's loader."""
    import sys
    import types

    name = "pydantic.plugin._loader"
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") in ("__all__", "1", "true") \
            and name not in sys.modules:
        stub = types.ModuleType(name, "no plugins: PYDANTIC_DISABLE_PLUGINS disables them all")
        stub.get_plugins = lambda: ()  # type: ignore[attr-defined]
        sys.modules[name] = stub


_no_plugin_scan()

from .main import cli, main  # noqa: E402

__all__ = ["cli", "main"]
