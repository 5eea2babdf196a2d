"""Running HiGHS in a thread of its own, and the runs left going after a deadline.

HiGHS's presolve does not always look at the clock or at a cancel request, so a
run may go on after its time limit. The command must still return on time:
such a run is left in its daemon thread and recorded in :data:`ABANDONED`, the
one registry of them in the process (a highspy object may not be destroyed or
re-run while its thread still runs). Code above the back ends asks this
registry whether it may go on (:meth:`AbandonedRuns.settle`,
:meth:`AbandonedRuns.holds`) and never touches a run itself.
"""

from __future__ import annotations

import threading
import time

import highspy

from ..errors import interrupt_name

# What stopped a run early (RawResult.stopped): the time limit, or an interrupt.
TIME_LIMIT = "time limit"
INTERRUPTS = ("Ctrl-C", "SIGTERM")
GAP = "gap"  # HiGHS stopped at the gap asked for (status optimal)
MEMORY_LIMIT = "memory limit"  # HiGHS ran out of memory (its kMemoryLimit)

GRACE_INTERRUPT_S = 2.0  # how long to wait for HiGHS after Ctrl-C


class Run:
    """One HiGHS run in a daemon thread of its own.

    highspy's ``startSolve``/``wait`` keep their locks on the *class*, so one
    run left going after its deadline would block every later run in the
    process ("Solver is already running"). ``Highs.run`` releases the GIL, so
    a plain thread per run does the same job without that coupling."""

    def __init__(self, h: highspy.Highs):
        self.h = h
        self.done = threading.Event()
        self.stop = False
        self.error: BaseException | None = None
        # HiGHS asks these callbacks whether to stop (simplex, IPM, MIP search).
        self._hooks = (h.cbSimplexInterrupt, h.cbIpmInterrupt, h.cbMipInterrupt)
        for hook in self._hooks:
            hook.subscribe(self._interrupt)
        self.thread = threading.Thread(target=self._work, daemon=True, name="highs-run")
        self.thread.start()

    def _interrupt(self, e) -> None:
        if self.stop:
            e.interrupt()

    def cancel(self) -> None:
        """Ask HiGHS to stop at its next check (presolve does not check)."""
        self.stop = True

    def _work(self) -> None:
        try:
            self.h.run()
        except BaseException as e:  # reported by solve(), never lost
            self.error = e
        finally:
            for hook in self._hooks:
                try:
                    hook.unsubscribe(self._interrupt)
                except Exception:
                    pass
            self.done.set()

    def wait(self, timeout: float | None = None) -> tuple[bool, None]:
        """Like highspy's ``Highs.wait``: (finished, None)."""
        return self.done.wait(timeout), None


class AbandonedRuns:
    """The HiGHS runs of this process still going after their deadline; kept
    referenced so their Highs objects are not destroyed under the running thread."""

    def __init__(self) -> None:
        self._runs: list[Run] = []
        self._lock = threading.Lock()

    def add(self, run: Run) -> None:
        with self._lock:
            self._runs.append(run)

    def any_running(self) -> bool:
        return any(not r.done.is_set() for r in list(self._runs))

    def holds(self, h: highspy.Highs) -> bool:
        """Is this Highs object still busy with an abandoned run?"""
        return any(r.h is h and not r.done.is_set() for r in list(self._runs))

    def settle(self, timeout: float | None = None) -> bool:
        """Wait (up to ``timeout`` seconds in all, None: as long as it takes) for
        the abandoned runs to stop, and forget those that did. True if none is left."""
        end = None if timeout is None else time.monotonic() + timeout
        for r in list(self._runs):
            done, _ = r.wait(None if end is None else max(0.0, end - time.monotonic()))
            if not done:
                return False
            with self._lock:
                if r in self._runs:
                    self._runs.remove(r)
        return True


ABANDONED = AbandonedRuns()


def run_to_end(h: highspy.Highs, grace: float = 5 * GRACE_INTERRUPT_S) -> None:
    """Run HiGHS on a thread of its own until it finishes (HiGHS keeps one task
    scheduler per calling thread, sized by the first run on it, and refuses a
    later run with another thread count on the same thread). Ctrl-C stops the
    run, and is passed on once HiGHS has stopped (or after ``grace`` seconds,
    leaving the run to :data:`ABANDONED`)."""
    r = Run(h)
    try:
        while not r.done.wait(0.05):
            pass
    except KeyboardInterrupt:
        r.cancel()
        if not r.done.wait(grace):
            ABANDONED.add(r)  # the entry point exits without waiting for it
        raise
    if r.error is not None:
        raise r.error


def run_guarded(h: highspy.Highs, time_limit: float | None) -> tuple[bool, str | None]:
    """Run HiGHS in its thread; cancel it at the time limit or on Ctrl-C (or
    SIGTERM, raised as :class:`~consortium.errors.Terminated`).

    Returns (finished, stopped): ``stopped`` is what cancelled the run --
    :data:`TIME_LIMIT`, ``"Ctrl-C"`` or ``"SIGTERM"`` -- or None if nothing
    did (HiGHS may still have stopped at its own ``time_limit`` option). A run
    that does not stop after being cancelled is left to :data:`ABANDONED`; its
    best plan is what HiGHS's improving-solution callback last delivered.
    """
    # HiGHS stops itself at its time_limit option when it looks at the clock;
    # this is for when it does not.
    deadline = None if time_limit is None else time.monotonic() + time_limit + 0.02
    # After cancelling at the time limit, wait a little for HiGHS to stop.
    grace = GRACE_INTERRUPT_S if time_limit is None else min(0.5, 0.02 * time_limit + 0.05)
    cancelled_at = None
    stopped: str | None = None
    run = Run(h)
    while True:
        try:
            done = run.done.wait(0.05)
        except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM (Terminated)
            stopped = interrupt_name(e)
            run.cancel()
            cancelled_at = cancelled_at or time.monotonic()
            # the plan in hand is kept either way: no need to wait long for HiGHS
            grace = max(grace, min(GRACE_INTERRUPT_S, 0.5 if time_limit is not None else 2.0))
            continue
        if done:
            if run.error is not None:
                raise run.error
            return True, stopped
        now = time.monotonic()
        if cancelled_at is None and deadline is not None and now > deadline:
            run.cancel()
            cancelled_at = now
            stopped = TIME_LIMIT
        if cancelled_at is not None and now - cancelled_at > grace:
            ABANDONED.add(run)
            return False, stopped
