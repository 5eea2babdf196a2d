"""Memory exhaustion (issue 18, point 2): ``consortium solve`` on a provincial
instance in a child whose address space is capped by ``resource.setrlimit``
(as ``ulimit -v`` does) ends with a verified plan (exit 0) or with the one
out-of-memory line and exit status 5 -- never a traceback or a bare crash."""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import pytest

from consortium.generate import generate, write_instance
from consortium.verify import verify_solution

MB = 2**20


@pytest.fixture(scope="module")
def provincial(tmp_path_factory):
    p = tmp_path_factory.mktemp("mem") / "prov.json"
    write_instance(generate(preset="provincial", seed=1), p)
    return p


def solve_capped(path, out, limit_mb: int, method: str) -> subprocess.CompletedProcess:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb * MB, limit_mb * MB))

    return subprocess.run([sys.executable, "-m", "consortium", "solve", str(path), "--method",
                           method, "--time-limit", "8", "--no-reasons", "-o", str(out)],
                          preexec_fn=cap, capture_output=True, text=True, timeout=120)


def check(r: subprocess.CompletedProcess, instance, out) -> str:
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    assert r.returncode in (0, 5), (r.returncode, r.stderr[-2000:])
    if r.returncode == 5:
        last = r.stderr.strip().splitlines()[-1]
        assert last.startswith("error: out of memory:"), r.stderr[-2000:]
        return "out of memory"
    data = json.loads(out.read_text())
    assert data["status"] in ("optimal", "feasible")
    res = verify_solution(json.loads(instance.read_text()), data)
    assert res.ok, [v.message for v in res.violations]
    return data["solver"].get("stopped_by") or "finished"


@pytest.mark.parametrize("limit_mb", [300])
def test_solve_under_a_memory_limit(provincial, tmp_path, limit_mb):
    out = tmp_path / "plan.json"
    check(solve_capped(provincial, out, limit_mb, "auto"), provincial, out)


@pytest.mark.slow
def test_solve_under_many_memory_limits(provincial, tmp_path):
    seen = {}
    for limit_mb in (280, 300, 320, 340, 360, 390, 420, 480, 600):
        for method in ("mip", "auto"):
            out = tmp_path / f"plan-{limit_mb}-{method}.json"
            out.unlink(missing_ok=True)
            seen[(limit_mb, method)] = check(solve_capped(provincial, out, limit_mb, method),
                                             provincial, out)
    print(seen)
    assert "out of memory" in seen.values()  # the limits do bite
