"""Nothing half-written (issue 18, point 6): every output goes through
``consortium.io.jsonfile.atomic_path`` (a temporary file renamed over the
output), so a process killed while it writes leaves the old file or the new
one, never a mix.

Two kinds of kill: at the last moment before the rename of each output of
each command (``tests/atomic_probe.py``: the old file must be intact, byte
for byte; a command writing some other way would change it first), and at
random moments of a large write (the file is always the old or the new one).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from consortium.io.jsonfile import atomic_path, write_atomic

PROBE = Path(__file__).resolve().parent / "atomic_probe.py"
DEMO = ROOT / "instances" / "demo" / "suzhou.json"
BOOK = ROOT / "instances" / "workbook" / "suzhou.xlsx"
OLD = b"the old file, which must survive\n"


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory):
    p = tmp_path_factory.mktemp("plan") / "plan.json"
    r = subprocess.run([sys.executable, "-m", "consortium", "solve", str(DEMO), "-o", str(p)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return p


@pytest.fixture(scope="module")
def demo_sweep(tmp_path_factory):
    p = tmp_path_factory.mktemp("sweep") / "s.sqlite"
    r = subprocess.run([sys.executable, "-m", "consortium", "sweep", str(DEMO), "--set",
                        "policy.total_budget=150,170", "-o", str(p), "--workers", "0"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return p


def commands(tmp: Path, plan: Path, sweep: Path) -> list[tuple[str, list[str], list[Path]]]:
    """(name, arguments, the outputs it writes in order)."""
    c = tmp / "contracts.csv"
    return [
        ("solve -o", ["solve", str(DEMO), "--no-reasons", "-o", str(tmp / "p.json")],
         [tmp / "p.json"]),
        ("solve --contracts xlsx", ["solve", str(DEMO), "--no-reasons", "-o", str(tmp / "q.json"),
                                    "--contracts", str(tmp / "c.xlsx")],
         [tmp / "q.json", tmp / "c.xlsx"]),
        ("solve --contracts csv", ["solve", str(DEMO), "--no-reasons", "-o", str(tmp / "r.json"),
                                   "--contracts", str(c)],
         [tmp / "r.json", c, tmp / "contracts.consortia.csv", tmp / "contracts.kpis.csv"]),
        ("report", ["report", str(DEMO), str(plan), "-o", str(tmp / "r.html")],
         [tmp / "r.html"]),
        ("import", ["import", str(BOOK), "-o", str(tmp / "i.json")], [tmp / "i.json"]),
        ("import --from-instance", ["import", "--from-instance", str(DEMO), "-o",
                                    str(tmp / "b.xlsx")], [tmp / "b.xlsx"]),
        ("generate", ["generate", "--preset", "small", "-o", str(tmp / "g.json")],
         [tmp / "g.json"]),
        ("plot", ["plot", str(sweep), "-o", str(tmp / "f.png")], [tmp / "f.png"]),
        ("stress --table", ["stress", str(DEMO), "--drop-foreign", "-o", str(tmp / "s.json"),
                            "--table", str(tmp / "s.csv"), "--workers", "1"],
         [tmp / "s.json", tmp / "s.csv"]),
    ]


def digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


NAMES = [c[0] for c in commands(Path("."), Path("."), Path("."))]


# the default run: one command per kind of writer (JSON, csv, html, xlsx, png)
QUICK = ["solve --contracts csv", "report", "import --from-instance", "plot", "stress --table"]


@pytest.mark.parametrize("name,every", [(n, False) for n in QUICK]
                         + [pytest.param(n, True, marks=pytest.mark.slow) for n in NAMES])
def test_killed_before_the_rename_leaves_every_old_file(tmp_path, demo_plan, demo_sweep, name,
                                                         every):
    """The default run kills each command at its last output's rename (every
    output before it already renamed); ``-m slow`` at each output in turn."""
    [(_, args, outs)] = [c for c in commands(tmp_path, demo_plan, demo_sweep) if c[0] == name]
    for n, out in enumerate(outs, start=1):
        if not every and n < len(outs):
            continue
        for o in outs:
            o.write_bytes(OLD)
        before = {o: digest(o) for o in outs}
        p = subprocess.Popen([sys.executable, str(PROBE), str(n), *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        line = p.stdout.readline()
        try:
            assert line.startswith("ready "), (line, p.stderr.read() if p.poll() is not None
                                               else "")
            _, tmp, dest = line.split()
            assert Path(dest).resolve() == out.resolve()
            assert Path(tmp).stat().st_size > 0
            # the outputs not yet renamed are the old files, byte for byte
            for o in outs[n - 1:]:
                assert digest(o) == before[o], f"{o} changed before its rename"
        finally:
            p.kill()
            p.wait(10)
        for o in outs[n - 1:]:
            assert o.read_bytes() == OLD, f"{o} damaged by a kill during the write"


@pytest.mark.slow
def test_random_kills_during_a_large_write(tmp_path):
    """``consortium generate --preset provincial`` writes about 2 MB; killed at
    random moments (seeded), the output is always the old or the new file."""
    out = tmp_path / "p.json"
    ref = tmp_path / "ref.json"
    args = ["generate", "--preset", "provincial", "--seed", "3"]
    r = subprocess.run([sys.executable, "-m", "consortium", *args, "-o", str(ref)],
                       capture_output=True, text=True)
    assert r.returncode == 0
    new = ref.read_bytes()
    rng = random.Random(18)
    outcomes = {"old": 0, "new": 0}
    for _ in range(8):
        out.write_bytes(OLD)
        p = subprocess.Popen([sys.executable, "-m", "consortium", *args, "-o", str(out)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.6))
        p.send_signal(signal.SIGKILL)
        p.wait(10)
        got = out.read_bytes()
        assert got in (OLD, new), f"a half-written file: {len(got)} bytes"
        outcomes["old" if got == OLD else "new"] += 1
    print(outcomes)


def test_atomic_path_removes_its_temporary_file_on_error(tmp_path):
    out = tmp_path / "x.json"
    out.write_bytes(OLD)
    with pytest.raises(RuntimeError), atomic_path(out) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk trouble")
    assert out.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]
    write_atomic(out, json.dumps({"a": 1}))
    assert json.loads(out.read_text()) == {"a": 1}
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m
