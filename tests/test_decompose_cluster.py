"""The decomposition's pricing on a dask cluster (``solve --scheduler``,
``--workers N``) gives the plan and bound of the run in one process
(issue 19): on a LocalCluster of threads, through the command line, and when
a worker process is killed in the middle of the run (its targets are priced
again elsewhere, the bound stays honest). Every plan goes through the
verifier."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import solve_verified
from faults import FAULT_DIR_ENV, FAULT_ENV

from consortium.backends.base import SolverOptions
from consortium.backends.decompose import decompose
from consortium.cli import cli
from consortium.generate.generator import generate
from consortium.io.instance import from_dict
from consortium.solving.build import build
from consortium.solving.cluster import cluster_pool
from consortium.solving.solve import solution_from_raw
from consortium.verify import verify_solution

distributed = pytest.importorskip("distributed")

# 25 targets x 750 actors of the national preset: 10 pricing rounds, about
# 100 target solves, 1.5 s in one process
INSTANCE = generate(preset="national", targets=25, actors=750, seed=1)


@pytest.fixture(scope="module")
def built():
    return build(from_dict(json.loads(json.dumps(INSTANCE))))


@pytest.fixture(scope="module")
def alone(built):
    """The run in one process (threads), the reference."""
    return decompose(built.lm, built.V, len(built.md.views), SolverOptions(gap=0.0, threads=2))


@pytest.fixture(scope="module")
def threads_cluster():
    from consortium.solving.runner import local_cluster

    with local_cluster(3, processes=False) as c, distributed.Client(c) as client:
        yield client


def same(raw, ref, b) -> None:
    assert raw.x is not None and b.lm.is_feasible(raw.x)
    assert np.array_equal(raw.x, ref.x)  # the same plan
    assert (raw.objective, raw.bound, raw.gap, raw.status) == (ref.objective, ref.bound,
                                                               ref.gap, ref.status)
    assert raw.message == ref.message  # the same rounds, candidates and target solves
    res = verify_solution(INSTANCE, solution_from_raw(b, raw, 0.0).to_dict())
    assert res.ok, [v.message for v in res.violations]


def test_cluster_of_threads_gives_the_plan_and_bound_of_one_process(built, alone,
                                                                     threads_cluster):
    messages: list[str] = []
    raw = decompose(built.lm, built.V, len(built.md.views), SolverOptions(gap=0.0, threads=2),
                    pool=cluster_pool(threads_cluster, say=messages.append))
    same(raw, alone, built)
    assert any("pricing on 3 dask workers" in m for m in messages), messages
    # and through solve(), with the verifier: the proven optimum of this cut
    sol = solve_verified(INSTANCE, reasons=False, method="decompose", gap=0.0,
                         scheduler=threads_cluster)
    assert sol.objective == pytest.approx(alone.objective, abs=1e-9)
    assert sol.bound == pytest.approx(alone.bound, abs=1e-9)


def test_solve_scheduler_on_the_command_line(tmp_path, threads_cluster):
    f = tmp_path / "n25.json"
    f.write_text(json.dumps(INSTANCE))
    outs = []
    for extra in ([], ["--scheduler", threads_cluster.scheduler.address]):
        out = tmp_path / f"plan{len(outs)}.json"
        r = CliRunner().invoke(cli, ["solve", str(f), "--method", "decompose", "--gap", "0",
                                     "--no-reasons", "-q", "-o", str(out), *extra])
        assert r.exit_code == 0, r.output
        outs.append(json.loads(out.read_text()))
        assert verify_solution(INSTANCE, outs[-1]).ok
    a, b = outs
    assert (a["objective"], a["bound"], a["consortia"]) == (b["objective"], b["bound"],
                                                            b["consortia"])
    r = CliRunner().invoke(cli, ["solve", str(f), "--scheduler", "tcp://127.0.0.1:9",
                                 "--workers", "2"])
    assert r.exit_code == 2 and "--workers is for local runs" in r.output


def test_a_worker_killed_mid_run_changes_nothing(built, alone, monkeypatch, tmp_path):
    # a real LocalCluster of 2 worker processes; one kills itself (SIGKILL) as it
    # starts the 5th pricing task (the second step), once (tests/faults.py)
    monkeypatch.setenv(FAULT_ENV, "killonce@pricing-5")
    monkeypatch.setenv(FAULT_DIR_ENV, str(tmp_path))
    messages: list[str] = []
    raw = decompose(built.lm, built.V, len(built.md.views), SolverOptions(gap=0.0, threads=2),
                    pool=cluster_pool(workers=2, say=messages.append))
    assert (tmp_path / "killed-pricing-5").exists()  # a worker process really died
    same(raw, alone, built)


@pytest.mark.slow
def test_a_task_that_kills_every_worker_is_priced_here(built, alone, monkeypatch):
    # the 5th pricing task kills whichever worker runs it, every time: dask
    # gives up on it (KilledWorker), it is submitted again, then this process
    # prices its targets; the result is still the one-process run's
    import dask

    monkeypatch.setenv(FAULT_ENV, "kill@pricing-5")
    messages: list[str] = []
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        raw = decompose(built.lm, built.V, len(built.md.views), SolverOptions(gap=0.0, threads=2),
                        pool=cluster_pool(workers=2, say=messages.append))
    assert any("priced here" in m for m in messages), messages
    same(raw, alone, built)


def test_a_step_is_dealt_out_longest_first_to_the_least_loaded_worker():
    """Where a target is priced does not change its answer (the tests above),
    only how long the step takes: the targets go longest first (by their last
    solve time) to the least loaded worker, ties to the lower index."""
    from consortium.solving.cluster import ClusterPricing

    cp = object.__new__(ClusterPricing)
    cp.addrs = ["tcp://a", "tcp://b"]
    cp.have = {}
    cp.cost = np.array([5.0, 1.0, 4.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    dealt = cp.deal(list(range(8)))
    assert dealt == [[0, 3, 5, 7], [2, 1, 4, 6]]
    loads = sorted(float(cp.cost[d].sum()) for d in dealt)
    assert loads == [7.0, 8.0]  # k mod 2 would give 4 against 11
    assert sorted(sum(dealt, [])) == list(range(8))
    # a step of some targets only: each target once, none lost
    assert sorted(sum(cp.deal([7, 3, 0]), [])) == [0, 3, 7]
    # a worker that has priced a target before builds no solver for it: it
    # counts it at its cost, another worker at FRESH times it
    cp.cost = np.array([1.0, 1.0, 1.0])
    cp.have = {k: {"tcp://b"} for k in range(3)}
    # 0: a 1.25, b 1 -> b; 1: a 1.25, b 2 -> a; 2: a 2.5, b 2 -> b
    assert cp.deal([0, 1, 2]) == [[1], [0, 2]]
    cp.have = {}
    assert cp.deal([0, 1, 2]) == [[0, 2], [1]]


def test_a_chunk_keeps_the_users_deadline_as_wall_clock_time(built):
    """A chunk queued behind another on its worker starts late: it is sent
    the deadline itself (wall-clock), not the time left when it was sent, so
    it never runs past the user's time limit."""
    import time

    from consortium.backends.decompose.blocks import split
    from consortium.backends.decompose.pricing import Pricer, block_of
    from consortium.solving import cluster as cl
    from consortium.solving.runner import _unpack

    B = split(built.lm, built.V, len(built.md.views))
    ks = [k for k in range(len(B.cols)) if len(B.cols[k])][:3]
    run = "deadline-test"
    cl.PRICERS.put((run, cl._worker_label()), Pricer({k: block_of(B, k, B.U[k]) for k in ks}))
    try:
        lam = np.zeros(len(B.coupling))
        past = _unpack(cl._price_group(run, ks, lam, {}, time.time() - 1.0, "t-past"))
        assert past == [None] * len(ks)  # the deadline has passed: nothing priced
        later = _unpack(cl._price_group(run, ks, lam, {}, time.time() + 600.0, "t-later", ks))
        assert all(r is not None and r.U is None for r in later)  # priced; known: not tightened
    finally:
        cl._forget(run)
