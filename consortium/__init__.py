"""consortium: form innovation consortia by mixed-integer optimisation.

The Python API (imported lazily: ``import consortium`` loads nothing else)::

    import consortium

    inst = consortium.load("instances/demo/suzhou.json")   # or a dict, or a workbook
    sol = consortium.solve(inst, time_limit=60, gap=0.01)  # verified before it is returned
    sol.status, sol.objective, sol.bound, sol.gap
    sol.consortia_frame(), sol.contracts_frame(), sol.kpis_frame()  # pandas DataFrames

``consortium.run_sweep``, ``consortium.read_sweep``, ``consortium.marginal_values``
and ``consortium.stress`` give sweeps and analyses, each with ``.frame()``.
See the README's "From Python".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> (module, attribute), imported on first use (PEP 562)
_LAZY = {
    "load": ("consortium.api", "load"),
    "solve": ("consortium.api", "solve"),
    "run_sweep": ("consortium.api", "run_sweep"),
    "read_sweep": ("consortium.api", "read_sweep"),
    "marginal_values": ("consortium.api", "marginal_values"),
    "stress": ("consortium.api", "stress"),
    "explain": ("consortium.api", "explain"),
    "alternatives": ("consortium.api", "alternatives"),
    "frontier": ("consortium.api", "frontier"),
    "replan": ("consortium.api", "replan"),
    "Instance": ("consortium.io.instance", "Instance"),
    "Solution": ("consortium.result.solution", "Solution"),
    "Status": ("consortium.backends.base", "Status"),
    "SolverOptions": ("consortium.backends.base", "SolverOptions"),
    "InputError": ("consortium.errors", "InputError"),
    "InternalError": ("consortium.errors", "InternalError"),
    "verify_solution": ("consortium.verify", "verify_solution"),
}

__all__ = [
    "__version__",
    "load",
    "solve",
    "run_sweep",
    "read_sweep",
    "marginal_values",
    "stress",
    "explain",
    "alternatives",
    "frontier",
    "replan",
    "Instance",
    "Solution",
    "Status",
    "SolverOptions",
    "InputError",
    "InternalError",
    "verify_solution",
]

if TYPE_CHECKING:
    from .api import (
        alternatives,
        explain,
        frontier,
        load,
        marginal_values,
        read_sweep,
        replan,
        run_sweep,
        solve,
        stress,
    )
    from .backends.base import SolverOptions, Status
    from .errors import InputError, InternalError
    from .io.instance import Instance
    from .result.solution import Solution
    from .verify import verify_solution


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        value = getattr(importlib.import_module(mod), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'consortium' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
