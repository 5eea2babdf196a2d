"""Fault injection for the sweep tests, plugged into the workers through
``consortium.solving.runner.HOOK_ENV`` (conftest sets it): with
``CONSORTIUM_SWEEP_FAULT=kill@3,raise@5,busy@2`` a worker kills itself at
scenario 3, raises at scenario 5 and, at scenario 2, acts as if a runaway
HiGHS run blocked the first local worker. ``killonce@3`` kills the worker at
scenario 3 only the first time (a marker file in ``CONSORTIUM_SWEEP_FAULT_DIR``),
so that a retry of the scenario succeeds."""

from __future__ import annotations

import os
import signal

from consortium.solving.runner import WorkerBlocked

FAULT_ENV = "CONSORTIUM_SWEEP_FAULT"
FAULT_DIR_ENV = "CONSORTIUM_SWEEP_FAULT_DIR"


def inject(sid: int, worker: str = "") -> None:
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    for item in spec.split(","):
        what, _, at = item.partition("@")
        if at.strip() == str(sid):
            if what == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if what == "killonce":
                marker = os.path.join(os.environ[FAULT_DIR_ENV], f"killed-{sid}")
                try:
                    os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
                except FileExistsError:
                    continue
                os.kill(os.getpid(), signal.SIGKILL)
            if what == "busy":
                if worker.startswith("local-0:"):
                    raise WorkerBlocked("injected busy solver")
                continue
            raise RuntimeError(f"injected fault at scenario {sid}")
