"""Fault injection for the sweep tests, plugged into the workers through
``consortium.solving.runner.HOOK_ENV`` (conftest sets it): with
``CONSORTIUM_SWEEP_FAULT=kill@3,raise@5,busy@2`` a worker kills itself at
scenario 3, raises at scenario 5 and, at scenario 2, acts as if a runaway
HiGHS run blocked the first local worker."""

from __future__ import annotations

import os
import signal

from consortium.solving.runner import WorkerBlocked

FAULT_ENV = "CONSORTIUM_SWEEP_FAULT"


def inject(sid: int, worker: str = "") -> None:
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    for item in spec.split(","):
        what, _, at = item.partition("@")
        if at.strip() == str(sid):
            if what == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if what == "busy":
                if worker.startswith("local-0:"):
                    raise WorkerBlocked("injected busy solver")
                continue
            raise RuntimeError(f"injected fault at scenario {sid}")
