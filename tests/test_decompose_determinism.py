"""The decomposition by target does not depend on the machine's speed or load.

Without a time limit, every plan search and every pricing solve of the
decomposition stops on a work limit (nodes), never on the clock, so a run on
a slowed, loaded machine ends at the same candidates, plan, objective and
bound as a run on an idle one (README, "Determinism").
"""

from __future__ import annotations

import threading
import time

import highspy
import numpy as np
import pytest

from consortium.backends.base import SolverOptions
from consortium.backends.decompose import decompose
from consortium.backends.decompose.master import Master
from consortium.generate.generator import generate
from consortium.io.instance import from_dict
from consortium.solving.build import build

SLOWDOWN = 1000.0  # the slowed machine: every second of work takes this many


def _run(b, monkeypatch):
    """One decomposition without a time limit: its result and the candidate
    columns in the order the master received them."""
    added: list[tuple[int, bytes]] = []
    real_add = Master.add

    def spy(self, col):
        added.append((col.block, np.round(col.x, 9).tobytes()))
        return real_add(self, col)

    monkeypatch.setattr(Master, "add", spy)
    raw = decompose(b.lm, b.V, len(b.md.views), SolverOptions(gap=0.0, threads=2))
    monkeypatch.setattr(Master, "add", real_add)
    return raw, added


def _slow_machine(monkeypatch) -> threading.Event:
    """Make the machine look SLOWDOWN times slower to everything that reads a
    clock: Python's clocks run SLOWDOWN times fast, and a HiGHS time limit of
    s seconds (HiGHS reads its own clock) is worth s / SLOWDOWN seconds here.
    A busy thread competes for the GIL and a core meanwhile. Returns the event
    that stops the busy thread."""
    for name in ("monotonic", "perf_counter"):
        real = getattr(time, name)
        start = real()
        monkeypatch.setattr(time, name,
                            lambda real=real, start=start: start + SLOWDOWN * (real() - start))
    real_set = highspy.Highs.setOptionValue

    def set_option(self, key, value):
        if key == "time_limit" and np.isfinite(value):
            value = value / SLOWDOWN
        return real_set(self, key, value)

    monkeypatch.setattr(highspy.Highs, "setOptionValue", set_option)
    stop = threading.Event()

    def busy() -> None:
        n = 0
        while not stop.is_set():
            n += 1

    threading.Thread(target=busy, daemon=True).start()
    return stop


@pytest.fixture(scope="module")
def built():
    # 25 targets x 750 actors of the national preset: about 1.5 s a run, with
    # pricing solves and master MIPs of a few hundredths of a second each
    return build(from_dict(generate(preset="national", targets=25, actors=750, seed=1)))


def test_same_plan_and_bound_on_a_slowed_loaded_machine(built, monkeypatch):
    idle, idle_cols = _run(built, monkeypatch)
    stop = _slow_machine(monkeypatch)
    try:
        slowed, slowed_cols = _run(built, monkeypatch)
    finally:
        stop.set()
        monkeypatch.undo()
    assert idle.x is not None and built.lm.is_feasible(idle.x)
    assert (slowed.objective, slowed.bound, slowed.gap) == (idle.objective, idle.bound, idle.gap)
    assert np.array_equal(slowed.x, idle.x)  # the same plan
    assert slowed_cols == idle_cols  # the same candidates, in the same order
    assert slowed.status == idle.status and slowed.message == idle.message
