"""The one parallel runner: many solves in local worker processes or on a
dask.distributed cluster, with one cache per worker of what they build.

Sweeps, analyses and ``consortium check`` hand it a :class:`Task` (picklable:
what every item needs, such as the instance text and the solver options) and
the items in chunks. Each worker runs the items of a chunk in order
(:meth:`Task.start_chunk` first: a chunk is a warm-start chain) and the
results come back to the calling process one by one, as soon as each exists,
through ``on_result``. What a task builds once per worker (a
:class:`~consortium.solving.session.Session` with the model loaded in HiGHS)
lives in :data:`CACHE`, keyed by what it was built from, so a long-lived dask
worker reuses it for the next task of the same instance.

Local workers are ``spawn``-ed processes (fresh interpreters, safe whatever
threads the caller runs). Nothing is lost when one dies: the item it was
solving is reported to ``on_lost`` with the reason, the rest of its chunk
goes to a fresh process. A worker whose process a runaway HiGHS run blocks
(see ``backends.runs``) raises :class:`WorkerBlocked`: it hands the rest of
its chunk back and a fresh process takes over.
"""

from __future__ import annotations

import os
import pickle
import queue
import threading
import time
import uuid
import zlib
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

T = TypeVar("T")


class SchedulerUnreachable(OSError):
    """The dask scheduler could not be reached; ``original`` is why."""

    def __init__(self, original: BaseException):
        self.original = original
        super().__init__(str(original))


class WorkerBlocked(Exception):
    """This worker process cannot go on (a runaway solve holds it): replace it."""


class Task(Protocol):
    """What the workers run. ``run`` never raises for an item's own failure
    (that is a result); it may raise :class:`WorkerBlocked`."""

    def start_chunk(self) -> None: ...

    def run(self, item: Any, worker: str) -> Any: ...


# ====================================================================== cache


class WorkerCache:
    """What a worker process keeps between items and tasks: the states (sessions,
    models) built for an instance, by key; the oldest go first beyond ``keep``."""

    def __init__(self, keep: int = 4):
        self.keep = keep
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0  # states built in this process (for statistics)

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The state for ``key``, made by ``make()`` if not cached."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return cast(T, self._items[key])
        state = make()
        with self._lock:
            while len(self._items) >= self.keep:
                self._items.popitem(last=False)
            self._items[key] = state
            self.builds += 1
        return state

    def put(self, key: Hashable, state: Any) -> Any:
        """Keep ``state`` for ``key`` (replacing what was there)."""
        with self._lock:
            self._items.pop(key, None)
            while len(self._items) >= self.keep:
                self._items.popitem(last=False)
            self._items[key] = state
            self.builds += 1
        return state

    def peek(self, key: Hashable) -> Any:
        return self._items.get(key)

    def drop(self, key: Hashable) -> None:
        with self._lock:
            self._items.pop(key, None)

    def values(self) -> list[Any]:
        return list(self._items.values())


CACHE = WorkerCache()

# "local" in the runner's own worker processes (replaceable when blocked),
# "other" in the calling process and on dask workers (not replaceable).
MODE = "other"


def worker_mode() -> str:
    return MODE


# A hook every item calls first, named "module:function" in this environment
# variable (the tests' fault injection: kill a worker, raise, block it).
HOOK_ENV = "CONSORTIUM_WORKER_HOOK"


def call_worker_hook(item: Any, worker: str) -> None:
    """Call the hook named in :data:`HOOK_ENV`, if any, with the item's id and the worker."""
    spec = os.environ.get(HOOK_ENV)
    if not spec:
        return
    import importlib

    mod, _, fn = spec.partition(":")
    getattr(importlib.import_module(mod), fn)(item, worker)


# ====================================================================== results


@dataclass
class RunStats:
    """How a run went: ``mode`` (in-process, processes, dask), states built,
    worker processes used."""

    mode: str = "in-process"
    built: int = 0
    processes: set[int] = field(default_factory=set)


def _pack(x: Any) -> bytes:
    """A result as compact bytes (the dask scheduler keeps events: keep them small)."""
    return zlib.compress(pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL), 6)


def _unpack(b: bytes) -> Any:
    return pickle.loads(zlib.decompress(b))


def chunk_evenly(items: list[T], n_workers: int, per_worker: int = 4) -> list[list[T]]:
    """About ``per_worker`` chunks per worker, of consecutive items."""
    if not items:
        return []
    size = max(1, -(-len(items) // (max(1, n_workers) * per_worker)))
    return [items[i : i + size] for i in range(0, len(items), size)]


def run_tasks(task: Task, chunks: list[list[Any]], on_result: Callable[[Any, Any], None], *,
              workers: int = 1, scheduler: Any = None,
              on_lost: Callable[[Any, str, str | None], None] | None = None,
              is_done: Callable[[Any], bool] | None = None,
              on_event: Callable[[str], None] | None = None,
              stats: RunStats | None = None) -> RunStats:
    """Run every item of ``chunks``; ``on_result(item, result)`` runs in this
    process as each finishes. ``workers`` local processes (0: in this
    process); ``scheduler`` (an address or a ``distributed.Client``)
    runs on a dask cluster. ``on_lost``: an item whose worker died (default: raise).
    ``is_done(item)``: results already stored (dask may
    deliver one twice: by event and with its task). ``on_lost(item, why, worker)``."""
    stats = stats if stats is not None else RunStats()
    lost = on_lost or _raise_lost
    if not any(chunks):
        return stats
    if scheduler is not None:
        run_dask(task, chunks, on_result, scheduler, lost, is_done or (lambda _i: False), on_event,
                 stats)
    elif workers <= 0:
        run_inprocess(task, chunks, on_result, stats)
    else:
        run_local(task, chunks, min(workers, len(chunks)), on_result, lost, on_event, stats)
    return stats


def _raise_lost(item: Any, why: str, worker: str | None = None) -> None:
    raise RuntimeError(f"lost {item!r}: {why}")


# ====================================================================== in process


def run_inprocess(task: Task, chunks: list[list[Any]], on_result: Callable[[Any, Any], None],
                  stats: RunStats) -> None:
    label = f"inprocess:pid{os.getpid()}"
    before = CACHE.builds
    stats.mode = "in-process"
    stats.processes.add(os.getpid())
    for chunk in chunks:
        task.start_chunk()
        for item in chunk:
            on_result(item, task.run(item, label))
    stats.built += CACHE.builds - before


# ====================================================================== local processes


def _die_with_parent() -> None:
    try:  # Linux: a worker gets SIGKILL when the calling process dies (kill -9 included)
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _worker_main(conn: Any, wid: int, task: Task) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    _die_with_parent()
    global MODE
    MODE = "local"
    label = f"local-{wid}:pid{os.getpid()}"
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        task.start_chunk()
        for pos, item in msg:
            conn.send(("start", pos))
            before = CACHE.builds
            try:
                res = task.run(item, label)
            except WorkerBlocked:
                # a runaway HiGHS thread blocks this process: hand the rest back and exit
                conn.send(("retire", pos))
                conn.close()
                os._exit(0)
            conn.send(("done", pos, res, CACHE.builds - before, os.getpid()))
        conn.send(("idle",))


def _exit_text(code: int | None) -> str:
    if code is None:
        return "unknown exit status"
    if code < 0:
        import signal

        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _Proc:
    def __init__(self, ctx: Any, wid: int, task: Task):
        self.wid = wid
        a, b = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker_main, args=(b, wid, task),
                                name=f"consortium-worker-{wid}", daemon=True)
        self.proc.start()
        b.close()
        self.conn = a
        self.items: list[int] = []  # positions of the items of its chunk not done yet
        self.current: int | None = None
        self.busy = False
        self.retired = False

    @property
    def label(self) -> str:
        return f"local-{self.wid}:pid{self.proc.pid}"


def run_local(task: Task, chunks: list[list[Any]], workers: int,
              on_result: Callable[[Any, Any], None],
              on_lost: Callable[[Any, str, str | None], None],
              on_event: Callable[[str], None] | None, stats: RunStats) -> None:
    """The chunks on ``workers`` spawned processes; ``on_result`` runs in this process."""
    import multiprocessing as mp
    from multiprocessing.connection import wait

    ctx = mp.get_context("spawn")
    items: list[Any] = []
    pending: deque[list[int]] = deque()
    for ch in chunks:
        pending.append(list(range(len(items), len(items) + len(ch))))
        items.extend(ch)
    procs: dict[int, _Proc] = {}
    next_wid = 0
    idle_deaths = 0
    retired_on: dict[int, int] = {}
    stats.mode = "processes"

    def spawn() -> None:
        nonlocal next_wid
        w = _Proc(ctx, next_wid, task)
        procs[w.wid] = w
        next_wid += 1

    def handle(w: _Proc, msg: tuple[Any, ...]) -> None:
        nonlocal idle_deaths
        if msg[0] == "start":
            w.current = msg[1]
        elif msg[0] == "done":
            w.current = None
            if msg[1] in w.items:
                w.items.remove(msg[1])
            idle_deaths = 0
            stats.built += msg[3]
            stats.processes.add(msg[4])
            on_result(items[msg[1]], msg[2])
        elif msg[0] == "idle":
            w.busy, w.items, w.current = False, [], None
        elif msg[0] == "retire":
            w.retired, w.current = True, None
            pos = msg[1]
            retired_on[pos] = retired_on.get(pos, 0) + 1
            if retired_on[pos] >= 2 and pos in w.items:  # do not loop on one item
                w.items.remove(pos)
                on_lost(
                    items[pos],
                    "a solve cut off at its time limit kept running; two fresh workers "
                    "could not start this scenario",
                    w.label,
                )

    def retire(w: _Proc) -> None:
        procs.pop(w.wid, None)
        w.proc.join(5)
        w.conn.close()
        if w.items:
            pending.appendleft(list(w.items))
        if pending and len(procs) < workers:
            spawn()

    def died(w: _Proc) -> None:
        nonlocal idle_deaths
        try:  # whatever it sent before dying is still in the pipe
            while w.conn.poll():
                handle(w, w.conn.recv())
        except (EOFError, OSError):
            pass
        if w.retired:
            return retire(w)
        w.proc.join(5)
        why = f"worker process died ({_exit_text(w.proc.exitcode)})"
        procs.pop(w.wid, None)
        w.conn.close()
        if w.current is not None:
            pos = w.current
            if pos in w.items:
                w.items.remove(pos)
            on_lost(items[pos], why + " while solving this scenario", w.label)
        else:
            idle_deaths += 1
            if idle_deaths > 3:
                raise RuntimeError(f"workers keep dying before solving anything: {why}")
        if w.items:
            pending.appendleft(list(w.items))
        if on_event:
            on_event(why + ("; restarting it for the remaining scenarios" if pending else ""))
        if pending and len(procs) < workers:
            spawn()

    finished = False
    try:
        for _ in range(min(workers, len(pending))):
            spawn()
        while pending or any(w.busy for w in procs.values()):
            for w in list(procs.values()):
                if not w.busy and pending:
                    chunk = pending.popleft()
                    w.items, w.busy, w.current = list(chunk), True, None
                    try:
                        w.conn.send([(pos, items[pos]) for pos in chunk])
                    except (BrokenPipeError, OSError):
                        died(w)
            if not procs and pending:
                spawn()
                continue
            live = list(procs.values())
            ready = set(wait([w.conn for w in live] + [w.proc.sentinel for w in live], timeout=1.0))
            for w in live:
                if w.conn in ready:
                    try:
                        while w.conn.poll() and not w.retired:
                            handle(w, w.conn.recv())
                    except (EOFError, OSError):
                        died(w)
                        continue
                    if w.retired:
                        retire(w)
                        continue
                if w.proc.sentinel in ready and w.wid in procs:
                    died(w)
        finished = True
    finally:
        for w in procs.values():
            try:
                if finished:
                    w.conn.send(None)
                else:  # interrupted: do not wait for the solves under way
                    w.proc.kill()
            except (BrokenPipeError, OSError):
                pass
        deadline = time.monotonic() + 5
        for w in procs.values():
            w.proc.join(max(0.0, deadline - time.monotonic()))
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join(1)
            w.conn.close()


# ====================================================================== dask


def _dask_chunk(task: Task, chunk: list[tuple[int, Any]], topic: str) -> dict[str, Any]:
    """A chunk on a dask worker; every result is also streamed back as an event
    as soon as it exists. highspy's "solver running" lock is shared by all
    Highs objects of a process, so solves in one worker are serialised."""
    from distributed import get_worker

    try:
        w = get_worker()
        label = str(w.address)
    except ValueError:
        w, label = None, f"dask:pid{os.getpid()}"
    before = CACHE.builds
    with _DASK_LOCK:
        task.start_chunk()
        out = []
        for pos, item in chunk:
            res = _pack(task.run(item, label))
            if w is not None:
                try:
                    w.log_event(topic, {"pos": pos, "result": res})
                except Exception:
                    pass
            out.append((pos, res))
    return {"results": out, "built": CACHE.builds - before, "pid": os.getpid()}


_DASK_LOCK = threading.Lock()


def connect(scheduler: Any) -> tuple[Any, bool]:
    """A ``distributed.Client`` of ``scheduler`` (an address; a Client is used
    as it is) and whether it was made here (then the caller closes it).
    :class:`SchedulerUnreachable` if the scheduler cannot be reached."""
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler, False
    try:
        return Client(scheduler, timeout="20s"), True
    except Exception as e:
        raise SchedulerUnreachable(e) from None


def local_cluster(workers: int, processes: bool = True) -> Any:
    """A dask ``LocalCluster`` of ``workers`` single-threaded workers on this
    machine (worker processes unless ``processes`` is false; quiet logs);
    close it when done. Its scheduler's HTTP server (dask starts one even
    without a dashboard) takes a free port of this host only, not 8787, which
    another cluster on the machine may hold."""
    import logging

    from distributed import LocalCluster

    return LocalCluster(n_workers=max(1, int(workers)), threads_per_worker=1,
                        processes=processes, dashboard_address="127.0.0.1:0",
                        silence_logs=logging.ERROR)


def run_dask(task: Task, chunks: list[list[Any]], on_result: Callable[[Any, Any], None],
             scheduler: Any, on_lost: Callable[[Any, str, str | None], None],
             is_done: Callable[[Any], bool], on_event: Callable[[str], None] | None,
             stats: RunStats) -> None:
    client, own = connect(scheduler)
    stats.mode = "dask"
    items: list[Any] = []
    spans: list[list[int]] = []
    for ch in chunks:
        spans.append(list(range(len(items), len(items) + len(ch))))
        items.extend(ch)
    delivered: set[int] = set()

    def deliver(pos: int, packed: bytes) -> None:
        if pos in delivered or is_done(items[pos]):
            return
        delivered.add(pos)
        on_result(items[pos], _unpack(packed))

    topic = f"consortium-run-{uuid.uuid4().hex}"
    inbox: queue.Queue[dict[str, Any]] = queue.Queue()
    futures: dict[Any, list[int]] = {}
    try:
        client.subscribe_topic(topic, lambda ev: inbox.put(ev[1]))
        [task_f] = client.scatter([task], broadcast=True, hash=False)
        for span in spans:
            f = client.submit(_dask_chunk, task_f, [(pos, items[pos]) for pos in span], topic,
                              pure=False)
            futures[f] = span

        def drain(timeout: float) -> None:
            try:
                ev = inbox.get(timeout=timeout)
            except queue.Empty:
                return
            while True:
                deliver(ev["pos"], ev["result"])
                try:
                    ev = inbox.get_nowait()
                except queue.Empty:
                    return

        while futures:
            drain(0.2)
            for f in [f for f in futures if f.done()]:
                span = futures.pop(f)
                if f.status == "finished":
                    r = f.result()
                    stats.built += r["built"]
                    stats.processes.add(r["pid"])
                    for pos, packed in r["results"]:
                        deliver(pos, packed)
                else:
                    try:
                        exc = f.exception()
                        why = f"{type(exc).__name__}: {exc}".splitlines()[0]
                    except Exception as e:
                        why = f"{type(e).__name__}: {e}"
                    drain(0.5)
                    if on_event:
                        on_event(f"dask task failed: {why[:200]}")
                    for pos in span:
                        if pos not in delivered and not is_done(items[pos]):
                            delivered.add(pos)
                            on_lost(items[pos], why, None)
        drain(0.0)
    finally:
        for f in futures:
            f.cancel()
        try:
            client.unsubscribe_topic(topic)
        except Exception:
            pass
        if own:
            client.close()
