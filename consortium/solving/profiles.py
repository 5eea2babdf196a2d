"""Solver option profiles: TOML files in the top-level ``solvers/`` folder.

A profile has an optional ``description``, ``gap``, ``threads``,
``time_limit`` and a ``[highs]`` table of raw HiGHS options. ``--profile`` takes
a profile name (``default``, ``fast``, ``national``, ``exact``) or a path to a
TOML file of the same form. Command-line options override the profile.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import InputError

KEYS = {"description", "gap", "threads", "time_limit", "method", "highs"}


class ProfileError(InputError):
    """An unknown profile or an invalid one (exit status 2)."""


def available() -> dict[str, str]:
    out = {}
    for f in sorted(resources.files("consortium.solver_profiles").iterdir(), key=lambda p: p.name):
        if f.name.endswith(".toml"):
            out[f.name[:-5]] = tomllib.loads(f.read_text()).get("description", "")
    return out


def load(name_or_path: str | None) -> dict[str, Any]:
    name = name_or_path or "default"
    p = Path(name)
    try:
        if p.suffix == ".toml" and p.exists():
            text, where = p.read_text(), str(p)
        else:
            f = resources.files("consortium.solver_profiles").joinpath(f"{name}.toml")
            if not f.is_file():
                raise ProfileError(
                    f"--profile: unknown profile {name!r} (available: {', '.join(available())})"
                )
            text, where = f.read_text(), f"profile {name}"
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ProfileError(f"--profile: {name}: invalid TOML ({e})") from None
    unknown = set(data) - KEYS
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if data.get("method", "auto") not in ("auto", "mip", "exact", "decompose"):
        raise ProfileError(f"{where}: method: expected auto, mip, exact or decompose, "
                           f"got {data['method']!r}")
    from ..backends.highs import invalid_option

    bad = invalid_option(data.get("highs", {}))
    if bad is not None:
        raise ProfileError(f"{where}: highs.{bad}: not a valid HiGHS option value "
                           f"({data['highs'][bad]!r})")
    return data


def settings(name_or_path: str | None, time_limit: float | None = None, gap: float | None = None,
             threads: int | None = None, method: str | None = None) -> dict[str, Any]:
    """The solver settings of a profile with the command line's overrides
    (``None``: the profile's value): time_limit, gap, threads, highs, method."""
    prof = load(name_or_path)
    return {
        "time_limit": time_limit if time_limit is not None else prof.get("time_limit"),
        "gap": gap if gap is not None else float(prof.get("gap", 0.0)),
        "threads": threads if threads is not None else prof.get("threads"),
        "highs": dict(prof.get("highs", {})),
        "method": method if method is not None else prof.get("method", "auto"),
    }
