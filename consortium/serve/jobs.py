"""Solves off the web server's process: a pool of worker processes, or a dask cluster.

The web server never solves, parses an upload or draws a report itself: each
of those is a *job* handed to a worker (:mod:`.work` holds what they run). A
job's live progress (phase, incumbent, bound, gap) comes back while it runs:
from local workers through a multiprocessing queue, from dask workers as
events on a topic. A worker that dies (a solve killed by the kernel, a
crashing parser) fails its job with the reason and the pool is made anew;
the server goes on.

Local workers are ``spawn``-ed processes, each a ``ProcessPoolExecutor`` of
one process. Each keeps what it builds in the one per-worker cache of the
project (:data:`consortium.solving.runner.CACHE`): a what-if scenario
re-solves the model the worker built for the instance before, as sweep
workers do. A job with an ``affinity`` (the instance's sha256) goes to the
worker that ran the last job of that key when that worker is free, else to
the least busy one.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

# Local workers: the queue their progress goes to (set in each worker process
# by the pool's initializer).
_QUEUE: Any = None
# Progress reports per job and second, at most (HiGHS calls back far more often).
EVENTS_PER_S = 4.0


def _init_worker(q: Any) -> None:
    import signal

    global _QUEUE
    _QUEUE = q
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's business
    from ..solving.runner import _die_with_parent

    _die_with_parent()


class Emitter:
    """A job's progress, sent from the worker that runs it (picklable: it
    travels with the job)."""

    def __init__(self, job: str, topic: str | None = None,
                 sink: Callable[[dict[str, Any]], None] | None = None):
        self.job, self.topic = job, topic
        self.sink = sink  # a job run in a thread of the server reports here
        self._last = 0.0

    def __call__(self, event: dict[str, Any], force: bool = True) -> None:
        now = time.monotonic()
        if not force and now - self._last < 1.0 / EVENTS_PER_S:
            return
        self._last = now
        msg = {"job": self.job, **event}
        try:
            if self.sink is not None:
                self.sink(msg)
            elif _QUEUE is not None:
                _QUEUE.put(msg)
            elif self.topic is not None:
                from distributed import get_worker

                get_worker().log_event(self.topic, msg)
        except Exception:  # progress is a courtesy: never fail a solve for it
            pass

    def phase(self, name: str) -> None:
        self({"phase": name})

    def progress(self, p: Any) -> None:
        self({"incumbent": p.incumbent, "bound": p.bound if p.bound is None or p.bound < 1e20
              else None, "gap": p.gap, "nodes": p.nodes}, force=False)


@dataclass
class Job:
    """A job as the pages see it."""

    id: str
    kind: str
    state: str = "queued"  # queued, running, done, failed
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    phase: str = "queued"
    incumbent: float | None = None
    bound: float | None = None
    gap: float | None = None
    info: dict[str, Any] = field(default_factory=dict)  # anything else a job reports
    result: Any = None
    error: str | None = None

    @property
    def elapsed(self) -> float:
        end = self.finished if self.finished is not None else time.monotonic()
        return end - (self.started if self.started is not None else self.submitted)

    @property
    def over(self) -> bool:
        return self.state in ("done", "failed")


class Jobs:
    """Jobs run by ``workers`` local processes, or on the dask cluster at
    ``scheduler``. ``submit`` returns at once; ``get`` is the job's state."""

    KEEP_S = 3600.0  # a finished job is forgotten after this long

    def __init__(self, workers: int = 2, scheduler: str | None = None):
        self.workers = max(1, workers)
        self.scheduler = scheduler
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._closed = False
        self._pools: list[ProcessPoolExecutor | None] = [None] * self.workers
        self._load = [0] * self.workers  # jobs queued or running on each local worker
        self._home: dict[str, int] = {}  # affinity key -> the worker of its last job
        self._client: Any = None
        self._topic = f"consortium-serve-{uuid.uuid4().hex}"
        if scheduler is not None:
            from distributed import Client

            self._client = Client(scheduler, timeout="20s")
            self._client.subscribe_topic(self._topic, lambda ev: self._event(ev[1]))
        else:
            import multiprocessing as mp

            self._ctx = mp.get_context("spawn")
            self._queue = self._ctx.Queue()
            self._reader = threading.Thread(target=self._read, name="serve-progress",
                                            daemon=True)
            self._reader.start()

    @property
    def mode(self) -> str:
        return (f"dask cluster at {self.scheduler}" if self._client is not None
                else f"{self.workers} worker process{'es' if self.workers > 1 else ''}")

    # ------------------------------------------------------------ submitting

    def submit(self, kind: str, fn: Callable[..., Any], *args: Any,
               affinity: str | None = None) -> str:
        """Run ``fn(*args, emit)`` in a worker; ``emit`` is the job's :class:`Emitter`."""
        jid = f"{kind}-{next(self._ids)}-{uuid.uuid4().hex[:8]}"
        job = Job(jid, kind)
        with self._lock:
            self._forget_old()
            self._jobs[jid] = job
        emit = Emitter(jid, self._topic if self._client is not None else None)
        fut: Any
        if self._client is not None:
            try:
                fut = self._client.submit(_run, fn, args, emit, pure=False)
            except Exception as e:
                self._fail(job, f"the job could not be started ({type(e).__name__}: {e})")
                return jid
            fut.add_done_callback(lambda f: self._done(job, f))
            return jid
        with self._lock:
            home = self._home.get(affinity) if affinity is not None else None
            if home is not None and self._load[home] == 0:
                i = home
            else:
                i = min(range(self.workers), key=lambda k: (self._load[k], k != home, k))
            self._load[i] += 1
            if affinity is not None:
                self._home[affinity] = i
        try:
            fut = self._executor(i).submit(_run, fn, args, emit)
        except Exception as e:  # a pool broken under us: make it anew once
            self._reset_pool(i)
            try:
                fut = self._executor(i).submit(_run, fn, args, emit)
            except Exception:
                with self._lock:
                    self._load[i] -= 1
                self._fail(job, f"the job could not be started ({type(e).__name__}: {e})")
                return jid

        def done(f: Any) -> None:
            with self._lock:
                self._load[i] -= 1
            self._done(job, f, i)

        fut.add_done_callback(done)
        return jid

    def submit_thread(self, kind: str, fn: Callable[..., Any], *args: Any) -> str:
        """Run ``fn(*args, emit)`` in a thread of this process: for a job that
        itself hands its work out (a sweep on the dask cluster)."""
        jid = f"{kind}-{next(self._ids)}-{uuid.uuid4().hex[:8]}"
        job = Job(jid, kind)
        with self._lock:
            self._jobs[jid] = job
        emit = Emitter(jid, sink=self._event)
        fut: Future[Any] = Future()

        def go() -> None:
            fut.set_result(_run(fn, args, emit))

        fut.add_done_callback(lambda f: self._done(job, f))
        threading.Thread(target=go, name=f"serve-{kind}", daemon=True).start()
        return jid

    def run(self, kind: str, fn: Callable[..., Any], *args: Any, timeout: float = 120.0) -> Any:
        """Submit and wait for the result (raises RuntimeError with the job's error)."""
        jid = self.submit(kind, fn, *args)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            job = self.get(jid)
            if job is not None and job.over:
                if job.state == "failed":
                    raise RuntimeError(job.error or "the job failed")
                return job.result
            time.sleep(0.05)
        raise RuntimeError(f"no result within {timeout:.0f} s")

    def get(self, jid: str | None) -> Job | None:
        if jid is None:
            return None
        with self._lock:
            return self._jobs.get(jid)

    def running(self) -> int:
        with self._lock:
            return sum(1 for j in self._jobs.values() if not j.over)

    def close(self) -> None:
        self._closed = True
        if self._client is not None:
            try:
                self._client.unsubscribe_topic(self._topic)
            except Exception:
                pass
            self._client.close()
        for pool in self._pools:
            if pool is not None:
                procs = list((getattr(pool, "_processes", None) or {}).values())
                pool.shutdown(wait=False, cancel_futures=True)
                for p in procs:
                    p.kill()  # solves under way are not waited for
        if self._client is None:
            self._queue.put(None)

    # ------------------------------------------------------------ internals

    def _executor(self, i: int) -> ProcessPoolExecutor:
        with self._lock:
            pool = self._pools[i]
            if pool is None:
                pool = self._pools[i] = ProcessPoolExecutor(
                    1, mp_context=self._ctx, initializer=_init_worker, initargs=(self._queue,))
            return pool

    def _reset_pool(self, i: int) -> None:
        with self._lock:
            old, self._pools[i] = self._pools[i], None
            self._home = {k: v for k, v in self._home.items() if v != i}
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)

    def _done(self, job: Job, fut: Future[Any] | Any, worker: int | None = None) -> None:
        try:
            if getattr(fut, "status", "finished") == "cancelled":
                raise RuntimeError("cancelled")
            ok, value = fut.result()
        except BrokenProcessPool:
            if worker is not None:
                self._reset_pool(worker)
            self._fail(job, "the worker process died while running this job (the server "
                            "goes on; try again, or a smaller instance)")
            return
        except Exception as e:
            self._fail(job, f"{type(e).__name__}: {e}".splitlines()[0])
            return
        with self._lock:
            job.finished = time.monotonic()
            if ok:
                job.state, job.phase, job.result = "done", "done", value
            else:
                job.state, job.phase, job.error = "failed", "failed", value

    def _fail(self, job: Job, why: str) -> None:
        with self._lock:
            job.state, job.phase, job.error = "failed", "failed", why
            job.finished = time.monotonic()

    def _event(self, msg: dict[str, Any]) -> None:
        with self._lock:
            job = self._jobs.get(msg.get("job", ""))
            if job is None or job.over:
                return
            if job.started is None:
                job.started = time.monotonic()
            job.state = "running"
            for key in ("phase", "incumbent", "bound", "gap"):
                if key in msg and key != "phase":
                    setattr(job, key, msg[key])
            if "phase" in msg:
                job.phase = msg["phase"]
            elif msg.get("nodes") is not None:
                job.phase = "root" if msg["nodes"] == 0 else "search"
            for k, v in msg.items():
                if k not in ("job", "phase", "incumbent", "bound", "gap", "nodes"):
                    job.info[k] = v

    def _read(self) -> None:
        while True:
            try:
                msg = self._queue.get()
            except (EOFError, OSError):
                return
            except queue.Empty:  # pragma: no cover (get() blocks)
                continue
            if msg is None:
                return
            self._event(msg)

    def _forget_old(self) -> None:
        now = time.monotonic()
        for jid in [j.id for j in self._jobs.values()
                    if j.over and j.finished is not None and now - j.finished > self.KEEP_S]:
            del self._jobs[jid]


def _run(fn: Callable[..., Any], args: tuple[Any, ...], emit: Emitter) -> tuple[bool, Any]:
    """A job in a worker: ``(True, result)`` or ``(False, the one-line reason)``;
    a job's own failure never escapes as an exception (the worker lives on)."""
    emit.phase("started")
    try:
        return True, fn(*args, emit)
    except Exception as e:
        from ..errors import InputError

        if isinstance(e, InputError) and e.errors:
            if e.errors[0].startswith("error: "):  # the lines as the command line prints them
                return False, "\n".join(e.warnings + e.errors)
            return False, e.errors[0]
        return False, f"{type(e).__name__}: {e}".splitlines()[0]
