"""The live progress line of ``consortium solve`` on stderr.

One line says which phase the command is in (reading, building, presolve,
root, search, reasons, verify), the time since the command started, ticking
every second whether or not HiGHS calls back, and HiGHS's incumbent, bound
and gap once it has them. HiGHS is in its presolve from the start of a solve
until its first MIP callback, at the root while the node count is 0, and in
the search after; the library announces its own phases through
``SolverOptions.on_phase``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from rich.text import Text

_LABEL = {"solving": "presolve"}


class PhaseLine:
    """A rich renderable: re-rendered by ``rich.live.Live`` at every refresh,
    so the elapsed time ticks without any event."""

    def __init__(self, started: float):
        self.started = started
        self.phase = "reading"
        self.incumbent: float | None = None
        self.bound: float | None = None
        self.gap: float | None = None
        self._lock = threading.Lock()

    def on_phase(self, name: str) -> None:
        with self._lock:
            self.phase = _LABEL.get(name, name)

    def on_progress(self, p: Any) -> None:
        """A report from the solve of the plan. A solve may run several HiGHS
        problems (the exact engine's rounds, the decomposition's blocks): every
        plan any of them finds is a plan of the whole model and every bound
        they report holds for it, so the line keeps the best of each."""
        with self._lock:
            if self.phase in ("presolve", "root", "search", "solving"):
                self.phase = ("solving" if p.nodes is None else
                              "root" if p.nodes == 0 else "search")
                if p.incumbent is not None:
                    self.incumbent = (p.incumbent if self.incumbent is None
                                      else max(self.incumbent, p.incumbent))
                if p.bound is not None and p.bound < 1e20:
                    self.bound = p.bound if self.bound is None else min(self.bound, p.bound)
                if self.incumbent is not None and self.bound is not None:
                    self.gap = max(self.bound - self.incumbent, 0.0) / max(abs(self.incumbent),
                                                                          1e-9)
                else:
                    self.gap = p.gap

    def text(self, now: float | None = None) -> Text:
        with self._lock:
            elapsed = (time.monotonic() if now is None else now) - self.started
            t = Text.assemble((f"{self.phase:<9}", "cyan"), f" {int(elapsed):5d} s")
            if self.incumbent is not None or self.bound is not None:
                inc = "-" if self.incumbent is None else f"{self.incumbent:,.4f}"
                bnd = "-" if self.bound is None else f"{self.bound:,.4f}"
                gap = "-" if self.gap is None or self.gap > 1e20 else f"{self.gap:.2%}"
                t.append(f"   incumbent {inc}   bound {bnd}   gap {gap}")
            if self.phase in ("presolve", "root", "search", "solving"):
                t.append("   (Ctrl-C returns the best plan so far)", "dim")
        return t

    def __rich__(self) -> Text:
        return self.text()
