"""The decomposition's pricing on a dask.distributed cluster (``consortium
solve --scheduler ADDRESS``, or ``--workers N`` on a local cluster).

The decomposition by target (``consortium.backends.decompose``) prices every
target's block under the master's prices; here those block solves run on the
workers of a cluster, through the one connection code of
:mod:`consortium.solving.runner` (:func:`~consortium.solving.runner.connect`,
:func:`~consortium.solving.runner.local_cluster`). The master, the plans and
the bound stay in the calling process.

* **What crosses the network.** Each target's block (its columns, rows and
  use of the rows across targets: a :class:`~consortium.backends.decompose.
  pricing.Block`) goes to the cluster once, in groups (group ``g`` holds the
  targets ``k`` with ``k mod G == g``, ``G`` twice the number of workers), and
  every worker takes every group once (:func:`_install`): its pricer keeps
  the blocks and their HiGHS objects between steps, in :data:`PRICERS`, keyed
  by the run and the worker. Each pricing step deals its targets out to the
  workers, longest first to the least loaded (by each target's last solve
  time: a fixed split leaves the step waiting for the worker that drew the
  slow targets), and sends each worker its share in shrinking chunks, two
  queued at a time; a worker done with its share takes the last chunk of the
  busiest one (the estimates are last step's times: on the national preset
  a step the estimates split evenly ran 0.9 s on one worker, 1.4 s on the
  other). A task carries only the prices, its
  targets' last plans (their warm starts) and which targets need no
  tightening (this process has their use of the rows); it gets back bounds
  and candidate plans. A worker that joins later takes the blocks at the
  next step.
* **A lost worker.** A step's task whose worker dies (or no longer holds the
  blocks) is submitted again to another worker that holds them; after
  RETRIES, or with none left, this process prices those targets itself. No
  target is ever left without its answer: the bound stays honest.
* **The same result.** A block's answer depends on the block, the prices and
  its warm start only (each solve starts from a cleared HiGHS solver,
  ``pricing.Pricer``), and the answers of a step are taken in a fixed order,
  never in the order the workers finish: plan and bound are those of the
  run in one process.
"""

from __future__ import annotations

import os
import time
import uuid
import warnings
from collections.abc import Callable
from concurrent.futures import CancelledError
from dataclasses import replace
from typing import Any

import numpy as np

from ..backends.decompose.blocks import Blocks
from ..backends.decompose.pricing import Answers, Priced, Pricer, block_of
from .runner import WorkerCache, call_worker_hook, connect, local_cluster
from .runner import _pack as pack
from .runner import _unpack as unpack

GROUPS_PER_WORKER = 2
RETRIES = 2  # a step's task submitted again this many times before this process prices it
INSTALL_TIMEOUT = 600.0  # seconds for a worker to take every block (else it is left out)
RESULT_TIMEOUT = 60.0  # seconds to fetch a finished task's (small) result
NO_WORKER_WAIT = 60.0  # seconds without any worker before this process prices a group itself
IN_FLIGHT = 2  # chunks queued on each worker at once (it starts the next without a round trip)
CHUNK_SHARE = 3  # a chunk is a third of what is left of the worker's share (at least one target)
FRESH = 1.25  # a target costs this much more on a worker that has not priced it yet
LATE = 2.0  # seconds past the time limit's deadline before a group's task is given up
# A worker's pricer (every block of the run and its HiGHS objects), by (run, worker). Dropped at
# the end of a run (:meth:`ClusterPricing.close`); the oldest go first beyond this.
PRICERS = WorkerCache(keep=256)


class ClusterError(RuntimeError):
    """The cluster cannot price (no worker joined in time)."""


def cluster_pool(scheduler: Any = None, workers: int | None = None,
                 say: Callable[[str], None] | None = None,
                 processes: bool = True) -> Callable[[Blocks], ClusterPricing]:
    """What ``decompose(..., pool=)`` takes: a cluster for the blocks, made
    when the decomposition starts. ``scheduler``: an address or a
    ``distributed.Client``; else a local cluster of ``workers`` single-threaded
    workers (processes, unless ``processes`` is false)."""

    def make(B: Blocks) -> ClusterPricing:
        cluster = None
        if scheduler is None:
            cluster = local_cluster(workers or 1, processes=processes)
            target: Any = cluster
        else:
            target = scheduler
        try:
            client, own = connect(target)
        except BaseException:
            if cluster is not None:
                cluster.close()
            raise
        try:
            return ClusterPricing(B, client, own, cluster, say)
        except BaseException:
            if own:
                client.close()
            if cluster is not None:
                cluster.close()
            raise

    return make


# ---------------------------------------------------------------- on a worker


class NotInstalled(RuntimeError):
    """This worker holds no blocks of the run (it joined, or restarted, since)."""


def _blocks(packed: bytes) -> dict[int, Any]:
    """A group's blocks, kept in the cluster's memory as this task's result."""
    return dict(unpack(packed))


def _install(run: str, *groups: dict[int, Any]) -> str:
    """Give this worker every block of the run: one pricer, kept in
    :data:`PRICERS` (outside dask's memory manager, which would trim copies of
    the groups between steps) until the run ends."""
    worker = _worker_label()
    blocks: dict[int, Any] = {}
    for g in groups:
        blocks.update(g)
    PRICERS.put((run, worker), Pricer(blocks))
    return worker


def _price_group(run: str, ks: list[int], lam: np.ndarray, last: dict[int, np.ndarray],
                 until: float | None, tag: str, known: tuple[int, ...] | list[int] = ()) -> bytes:
    """Price targets ``ks`` on this worker, in that order, with its pricer (its
    HiGHS objects are used by its own thread only). ``until``: the user's
    deadline as wall-clock time (``time.time()``; a chunk may wait behind
    another on this worker, so a time left would start too late); ``known``:
    the targets whose tightened use of the rows the caller holds already (not
    tightened again here)."""
    worker = _worker_label()
    call_worker_hook(tag, worker)  # the tests' fault injection (a killed worker)
    pricer = PRICERS.peek((run, worker))
    if pricer is None:
        raise NotInstalled(f"{worker} holds no blocks of this run")
    pricer.tight.update(known)
    end = None if until is None else time.monotonic() + (until - time.time())
    out: list[Priced | None] = []
    for k in ks:
        rem = None if end is None else end - time.monotonic()
        if rem is not None and rem <= 0.25:
            out.append(None)
            continue
        out.append(pricer.price(k, lam, last.get(k), rem))
    return pack(out)


def _forget(run: str) -> int:
    """Drop a finished run's pricers on this worker."""
    n = 0
    for key in [k for k in list(PRICERS._items) if isinstance(k, tuple) and k[0] == run]:
        PRICERS.drop(key)
        n += 1
    return n


def _worker_label() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except ValueError:
        return f"dask:pid{os.getpid()}"


# ---------------------------------------------------------------- the caller


class ClusterPricing(Answers):
    """The pricing pool of the decomposition on a dask cluster (see the module text)."""

    def __init__(self, B: Blocks, client: Any, own: bool, cluster: Any,
                 say: Callable[[str], None] | None):
        super().__init__(B)
        self.U0 = list(B.U)  # the blocks' use of the coupling rows before any tightening
        self.client, self.own, self.cluster, self.say = client, own, cluster, say
        try:
            client.wait_for_workers(1, timeout=60)
        except Exception as e:
            raise ClusterError(f"no dask worker joined the cluster within 60 s ({e})") from None
        info = client.scheduler_info()["workers"]
        addrs = sorted(info)
        self.n = max(1, len(addrs))  # one pricing task per worker and step
        nb = len(B.cols)
        self.G = max(1, min(nb, GROUPS_PER_WORKER * len(addrs)))
        self.run = uuid.uuid4().hex
        self.tasks = 0
        self.local: Pricer | None = None
        self.addrs: list[str] = []  # workers holding every block (see _install)
        self.refused: set[str] = set()  # workers that did not take them (not asked again)
        self.data = [self._blocks_future(g, addrs[g % len(addrs)]) for g in range(self.G)]
        self.futures: list[Any] = []
        self.u_taken: set[int] = set()  # targets whose tightened use of the rows is in B.U
        self.have: dict[int, set[str]] = {}  # the workers that have priced each target
        # each target's cost, for dealing them out: its last solve's seconds
        # (before its first, a guess from its size)
        self.cost = np.array([1e-5 * len(c) for c in B.cols])
        self._install_on(addrs)
        if not self.addrs:
            raise ClusterError("no dask worker took the targets' blocks")
        if say is not None:
            say(f"decomposition: pricing on {len(self.addrs)} dask workers, "
                f"{nb} targets in {self.G} groups")

    def _blocks_future(self, g: int, where: str | None = None) -> Any:
        """Group ``g``'s blocks, sent to the cluster (``where``: to that worker,
        to spread them)."""
        nb = len(self.B.cols)
        # B.U as first found (the workers tighten it themselves, always alike)
        packed = pack({k: block_of(self.B, k, self.U0[k]) for k in range(g, nb, self.G)})
        with warnings.catch_warnings():
            # the blocks are meant to travel inside this task (so that the
            # scheduler can remake them): dask's "large graph" advice is not for it
            warnings.filterwarnings("ignore", message="Sending large graph")
            return self.client.submit(
                _blocks, packed, key=f"consortium-blocks-{g}-{uuid.uuid4().hex}", pure=False,
                **({"workers": [where], "allow_other_workers": True} if where else {}),
            )

    def _install_on(self, addrs: list[str]) -> None:
        """Every block to each of ``addrs`` (a worker that fails to take them,
        or does not answer within INSTALL_TIMEOUT, is left out)."""
        from distributed import wait

        for g, d in enumerate(self.data):
            if d.status in ("lost", "error", "cancelled"):
                self.data[g] = self._blocks_future(g)
        subs = [(a, self.client.submit(_install, self.run, *self.data, workers=[a],
                                       allow_other_workers=False, pure=False,
                                       key=f"consortium-install-{uuid.uuid4().hex}"))
                for a in addrs]
        try:
            wait([f for _a, f in subs], timeout=INSTALL_TIMEOUT)
        except TimeoutError:
            pass
        for a, f in subs:
            if f.status == "finished":
                self.addrs.append(a)
            else:
                f.cancel()
                self.refused.add(a)
                if self.say is not None:
                    self.say(f"decomposition: worker {a} did not take the blocks ({f.status})")
        self.addrs.sort()

    def _refresh(self) -> None:
        """Workers that left are dropped; workers that joined get the blocks."""
        try:
            live = set(self.client.scheduler_info()["workers"])
        except Exception:
            return
        self.addrs = [a for a in self.addrs if a in live]
        new = sorted(live - set(self.addrs) - self.refused)
        if new:
            self._install_on(new)

    def _submit(self, w: str, ks: list[int], lam: np.ndarray, until: float | None,
                tag: str) -> Any:
        """Targets ``ks`` priced on worker ``w``. The targets whose tightened
        use of the rows this process already holds are not tightened again
        there (the worker would only compute what :meth:`accept` drops)."""
        last = {k: self.last[k] for k in ks if k in self.last}
        known = [k for k in ks if k in self.u_taken]
        return self.client.submit(_price_group, self.run, ks, lam, last, until, tag, known,
                                  pure=False, workers=[w], allow_other_workers=False)

    def deal(self, blocks: list[int]) -> list[list[int]]:
        """A step's targets dealt out to the workers, longest first (by each
        target's last solve time) to the least loaded, where a worker that
        has not priced a target yet counts it a quarter longer (it builds the
        target's solver first). Where a target is priced does not change its
        answer, only when the step ends; the chunks of :meth:`_run_step` then
        even out what the estimates missed."""
        n = len(self.addrs)
        load = [0.0] * n
        out: list[list[int]] = [[] for _ in range(n)]
        for k in sorted(blocks, key=lambda k: (-self.cost[k], k)):
            c = float(self.cost[k])
            have = self.have.get(k, ())

            def after(i: int, c: float = c, have: Any = have) -> tuple[float, int]:
                return (load[i] + (c if self.addrs[i] in have else FRESH * c), i)

            w = min(range(n), key=after)
            out[w].append(k)
            load[w] = after(w)[0]
        return out

    def accept(self, r: Priced) -> tuple[float, list[np.ndarray]]:
        if r.solved:
            self.cost[r.k] = r.seconds
        if r.U is not None:
            # a target's first pricing on each worker tightens its use of the
            # rows (alike everywhere): B.U takes the first, as in one process
            if r.k in self.u_taken:
                r = replace(r, U=None)
            else:
                self.u_taken.add(r.k)
        return super().accept(r)

    def price_all(self, blocks: list[int], lam: np.ndarray, deadline: float | None):
        self._refresh()
        answers = self._run_step(list(blocks), lam, deadline)
        for k in blocks:
            r = answers[k]  # (every target has its answer, None when unpriced)
            if r is None:
                yield k, None, [], False
            else:
                yield k, *self.accept(r), True

    def _run_step(self, blocks: list[int], lam: np.ndarray,
                  deadline: float | None) -> dict[int, Priced | None]:
        """One step's answers. Each worker's share (:meth:`deal`) goes out in
        shrinking chunks, longest targets first (each a third of what is left
        of the share), with up to IN_FLIGHT chunks queued on each worker so that it
        never waits for a round trip; a worker done with its share takes the
        last unsent chunk of the worker with the most left. A chunk whose
        worker died (or lost the blocks), or that failed, goes to another
        worker holding the blocks; after RETRIES, or with none left, this
        process prices it. Answers never depend on where a target ran."""
        from distributed import wait

        answers: dict[int, Priced | None] = {}
        if not self.addrs:
            answers.update(zip(blocks, self._price_here(blocks, lam, deadline), strict=True))
            return answers
        left = {w: list(ks) for w, ks in zip(self.addrs, self.deal(blocks), strict=True)}
        # future: (worker, targets, tag, workers tried)
        running: dict[Any, tuple[str, list[int], str, list[str]]] = {}
        retry: list[tuple[list[int], str, list[str]]] = []
        alone: float | None = None  # since when the cluster has had no worker

        # the deadline as wall-clock time, for the workers (see _price_group)
        until = None if deadline is None else time.time() + (deadline - time.monotonic())

        def send(w: str, ks: list[int], tag: str, tried: list[str]) -> None:
            f = self._submit(w, ks, lam, until, tag)
            running[f] = (w, ks, tag, tried + [w])
            self.futures.append(f)

        def fill() -> None:
            for w in list(self.addrs):
                while sum(1 for v in running.values() if v[0] == w) < IN_FLIGHT:
                    mine = left.get(w)
                    if mine:
                        ks = mine[:max(1, -(-len(mine) // CHUNK_SHARE))]
                        del mine[:len(ks)]
                    else:  # the last chunk of the share with the most left
                        rich = max((v for v in self.addrs if left.get(v)),
                                   key=lambda v: (sum(float(self.cost[k]) for k in left[v]), v),
                                   default=None)
                        if rich is None:
                            break
                        theirs = left[rich]
                        ks = theirs[-max(1, len(theirs) // (2 * CHUNK_SHARE)):]
                        del theirs[-len(ks):]
                    self.tasks += 1
                    send(w, ks, f"pricing-{self.tasks}", [])

        def failed(w: str, ks: list[int], tag: str, tried: list[str], why: str) -> None:
            if w in self.addrs and ("NotInstalled" in why or "left" in why):
                self.addrs.remove(w)
                rest = left.pop(w, [])
                if rest and self.addrs:  # its unsent share dealt to the others
                    for i, k in enumerate(rest):
                        left.setdefault(self.addrs[i % len(self.addrs)], []).append(k)
                elif rest:
                    retry.append((rest, f"{tag}-rest", []))
            more = len(tried) <= RETRIES and any(a not in tried for a in self.addrs)
            if self.say is not None:
                self.say(f"decomposition: pricing {len(ks)} targets on the cluster: {why}"
                         + ("; again" if more else "; priced here"))
            if more:
                retry.append((ks, tag, tried))
            else:
                answers.update(zip(ks, self._price_here(ks, lam, deadline), strict=True))

        fill()
        while running or retry or any(left.values()):
            while retry:
                ks, tag, tried = retry.pop(0)
                others = [a for a in self.addrs if a not in tried]
                if not others:
                    answers.update(zip(ks, self._price_here(ks, lam, deadline), strict=True))
                    continue
                send(others[0], ks, tag, tried)
            if not running:
                if not self.addrs:  # every worker gone: the rest is priced here
                    rest = [k for w in list(left) for k in left.pop(w)]
                    answers.update(zip(rest, self._price_here(rest, lam, deadline), strict=True))
                    break
                fill()
                continue
            try:
                done = wait(list(running), timeout=1.0, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = set()
            except CancelledError:  # (a future cancelled, e.g. the connection dropped)
                done = {f for f in running if f.status != "pending"}
            for f in [f for f in running if f in done]:
                w, ks, tag, tried = running.pop(f)
                self.futures.remove(f)
                if f.status == "finished":
                    try:
                        answers.update(zip(ks, unpack(f.result(timeout=RESULT_TIMEOUT)),
                                           strict=True))
                        for k in ks:
                            self.have.setdefault(k, set()).add(w)
                        continue
                    except Exception as e:  # lost on the way, or the connection
                        why = f"{type(e).__name__}: {str(e)[:120]}"
                elif f.status == "error":
                    exc = f.exception()
                    why = f"{type(exc).__name__}: {str(exc)[:120]}"
                else:  # cancelled (not by this process) or lost: the worker may be fine
                    why = f.status
                failed(w, ks, tag, tried, why)
            if done:
                fill()
                continue
            # nothing finished within a second: the user's time limit, or workers gone
            if deadline is not None and time.monotonic() > deadline + LATE:
                for f, (_w, ks, _t, _tr) in running.items():
                    f.cancel()  # the user's time limit: these targets stay unpriced
                    answers.update((k, None) for k in ks)
                for ks in left.values():
                    answers.update((k, None) for k in ks)
                running.clear()
                self.futures = []
                break
            try:
                workers = self.client.scheduler_info()["workers"]
            except Exception:
                continue
            for f in [f for f, v in running.items() if v[0] not in workers]:
                f.cancel()  # its worker died: the task would wait for it forever
                w, ks, tag, tried = running.pop(f)
                self.futures.remove(f)
                failed(w, ks, tag, tried, "its worker left")
            if workers:
                alone = None
            elif alone is None:
                alone = time.monotonic()
            elif time.monotonic() - alone > NO_WORKER_WAIT:
                raise ClusterError(f"no worker for {NO_WORKER_WAIT:g} s") from None
        self.futures = []
        return answers

    def _price_here(self, ks: list[int], lam: np.ndarray,
                    deadline: float | None) -> list[Priced | None]:
        if self.local is None:
            self.local = Pricer({})
        out: list[Priced | None] = []
        for k in ks:
            if k not in self.local.blocks:
                self.local.blocks[k] = block_of(self.B, k, self.U0[k])
            rem = None if deadline is None else deadline - time.monotonic()
            if rem is not None and rem <= 0.25:
                out.append(None)
                continue
            out.append(self.local.price(k, lam, self.last.get(k), rem))
        return out

    def cancel(self) -> None:
        for f in self.futures:
            f.cancel()
        if self.local is not None:
            self.local.stop = True

    def close(self) -> None:
        try:
            for f in self.futures + self.data:
                f.release()
            self.client.run(_forget, self.run)
        except Exception:
            pass  # a cluster going away: nothing more to drop
        finally:
            if self.own:
                self.client.close()
            if self.cluster is not None:
                self.cluster.close()
