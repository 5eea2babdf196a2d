"""Run ``consortium`` with an independent record of every plan HiGHS reports.

``python tests/limit_probe.py RECORD ARGS...`` runs the console script's
``main`` with ARGS, after subscribing a recorder of its own to the
improving-solution callback of every Highs object that holds the model
(``backends.highs.to_highs``). Each line of RECORD is ``found N OBJECTIVE T``
(a plan of N columns worth OBJECTIVE, at time.monotonic() T), or ``returned
T`` (the solve handed its result on). Lines are flushed at once: the process
may leave by ``os._exit`` with a HiGHS run still going.
"""

from __future__ import annotations

import sys
import time

import consortium.backends.highs as hb
import consortium.solving.solve as solve_mod

RECORD = open(sys.argv[1], "a", buffering=1)  # noqa: SIM115 (open for the process's life)
_to_highs = hb.to_highs
_run_backend = solve_mod.run_backend


def to_highs(lm):
    h = _to_highs(lm)

    def found(e):
        out = e.data_out
        RECORD.write(f"found {len(out.mip_solution)} {out.objective_function_value!r} "
                     f"{time.monotonic()!r}\n")

    h.cbMipImprovingSolution.subscribe(found)
    return h


def run_backend(*a, **k):
    r = _run_backend(*a, **k)
    RECORD.write(f"returned {time.monotonic()!r}\n")
    return r


hb.to_highs = to_highs
solve_mod.run_backend = run_backend

if __name__ == "__main__":
    from consortium.cli.main import main

    sys.argv = ["consortium", *sys.argv[2:]]
    main()
