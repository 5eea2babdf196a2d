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
  slow targets), and sends each worker only the prices and its targets' last
  plans (their warm starts); it gets back bounds and candidate plans. A
  worker that joins later takes the blocks at the next step.
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
                 budget: float | None, tag: str) -> bytes:
    """Price targets ``ks`` on this worker, in that order, with its pricer (its
    HiGHS objects are used by its own thread only)."""
    worker = _worker_label()
    call_worker_hook(tag, worker)  # the tests' fault injection (a killed worker)
    pricer = PRICERS.peek((run, worker))
    if pricer is None:
        raise NotInstalled(f"{worker} holds no blocks of this run")
    end = None if budget is None else time.monotonic() + budget
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

    def _submit(self, w: str, ks: list[int], lam: np.ndarray, budget: float | None,
                tag: str) -> Any:
        """Targets ``ks`` priced on worker ``w``."""
        last = {k: self.last[k] for k in ks if k in self.last}
        return self.client.submit(_price_group, self.run, ks, lam, last, budget, tag,
                                  pure=False, workers=[w], allow_other_workers=False)

    def deal(self, blocks: list[int]) -> list[list[int]]:
        """A step's targets dealt out to the workers, longest first to the
        least loaded (by each target's last solve time). Where a target is
        priced does not change its answer, only when the step ends: with a
        fixed split (target k on worker k mod n) the step waits for the worker
        that drew the slow targets."""
        n = len(self.addrs)
        load = [0.0] * n
        out: list[list[int]] = [[] for _ in range(n)]
        for k in sorted(blocks, key=lambda k: (-self.cost[k], k)):
            w = min(range(n), key=lambda i: (load[i], i))
            out[w].append(k)
            load[w] += float(self.cost[k])
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
        budget = None if deadline is None else deadline - time.monotonic()
        subs = []
        dealt = self.deal(blocks) if self.addrs else [list(blocks)]
        for i, ks in enumerate(dealt):
            if not ks:
                continue
            self.tasks += 1
            tag = f"pricing-{self.tasks}"
            w = self.addrs[i] if self.addrs else None
            f = self._submit(w, ks, lam, budget, tag) if w is not None else None
            subs.append((w, ks, tag, f))
        self.futures = [f for *_, f in subs if f is not None]
        answers: dict[int, Priced | None] = {}
        for w, ks, tag, f in subs:  # in a fixed order, whichever worker finishes first
            answers.update(zip(ks, self._answers(w, ks, tag, f, lam, deadline), strict=True))
        self.futures = []
        for k in blocks:
            r = answers[k]
            if r is None:
                yield k, None, [], False
            else:
                yield k, *self.accept(r), True

    def _answers(self, w: str | None, ks: list[int], tag: str, f: Any, lam: np.ndarray,
                 deadline: float | None) -> list[Priced | None]:
        """The answers of one task (worker ``w``'s targets of the step). A task
        whose worker died (or lost the blocks), or that failed, is submitted
        again to another worker holding the blocks; after RETRIES, or with no
        such worker, this process prices them."""
        from distributed import wait

        why = "no worker holds the blocks"
        tried: list[str] = []
        for attempt in range(RETRIES + 1):
            if attempt or f is None:
                others = [a for a in self.addrs if a not in tried]
                if not others:
                    break
                w = others[0]
                budget = None if deadline is None else deadline - time.monotonic()
                f = self._submit(w, ks, lam, budget, tag)
                self.futures.append(f)
            assert w is not None
            tried.append(w)
            try:
                alone = None  # since when the cluster has had no worker
                while f.status not in ("finished", "error", "cancelled", "lost"):
                    try:
                        wait([f], timeout=1.0)
                    except TimeoutError:  # still running (or its worker gone: see below)
                        if deadline is not None and time.monotonic() > deadline + LATE:
                            f.cancel()  # the user's time limit: these targets stay unpriced
                            return [None] * len(ks)
                        workers = self.client.scheduler_info()["workers"]
                        if w not in workers:
                            f.cancel()  # its worker died: the task would wait for it forever
                            break
                        if workers:
                            alone = None
                        elif alone is None:
                            alone = time.monotonic()
                        elif time.monotonic() - alone > NO_WORKER_WAIT:
                            raise ClusterError(f"no worker for {NO_WORKER_WAIT:g} s") from None
                if f.status == "finished":
                    return list(unpack(f.result(timeout=RESULT_TIMEOUT)))
                why = "its worker left" if f.status == "cancelled" else f.status
                if f.status == "error":
                    e = f.exception()
                    why = f"{type(e).__name__}: {str(e)[:120]}"
            except Exception as e:  # lost on the way, or the connection
                why = f"{type(e).__name__}: {str(e)[:120]}"
            if w in self.addrs and ("NotInstalled" in why or "left" in why):
                self.addrs.remove(w)
            more = attempt < RETRIES and any(a not in tried for a in self.addrs)
            if self.say is not None:
                self.say(f"decomposition: pricing {len(ks)} targets on the cluster: {why}"
                         + ("; again" if more else "; priced here"))
            if not more:
                break
        # failed for good: this process prices them, with the same answers
        return self._price_here(ks, lam, deadline)

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
