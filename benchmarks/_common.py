"""Shared helpers of the benchmark scripts (not part of the package).

Every measured run is a child process started with :func:`run_child`, which
reaps it with ``os.wait4`` so that the wall time, the CPU time (user + sys,
all threads) and the peak resident memory are that child's own figures (the
``RUSAGE_CHILDREN`` counter of ``getrusage`` is a running maximum over all
children, so it cannot tell two arms apart).

The machine is shared and noisy: every script repeats its measurements,
reports medians, and samples the load average so that a reader can see how
busy the machine was.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"


def python_exe() -> str:
    p = VENV_BIN / "python"
    return str(p) if p.exists() else sys.executable


def consortium_exe() -> list[str]:
    p = VENV_BIN / "consortium"
    return [str(p)] if p.exists() else [python_exe(), "-m", "consortium"]


@dataclass
class ChildRun:
    cmd: list[str]
    rc: int
    wall_s: float
    cpu_s: float  # user + sys of the child and its threads
    maxrss_mb: float
    load_before: float  # 1-minute load average when it started
    stdout: str = ""
    stderr: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def run_child(cmd: list[str], *, cwd: str | Path | None = None, timeout: float | None = None,
              env: dict[str, str] | None = None) -> ChildRun:
    """Run ``cmd``; its own wall time, CPU time and peak RSS (via ``wait4``).

    Output goes to temporary files (no pipes to drain), so a ``timeout`` can
    kill the child while it is still writing.
    """
    import tempfile

    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL)
        deadline = None if timeout is None else t0 + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG if deadline else 0)
            if pid == p.pid:
                break
            if deadline and time.perf_counter() > deadline:
                p.kill()
                deadline = None
            time.sleep(0.01)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
    return ChildRun(cmd=[str(c) for c in cmd], rc=p.returncode, wall_s=wall,
                    cpu_s=ru.ru_utime + ru.ru_stime, maxrss_mb=ru.ru_maxrss / 1024.0,
                    load_before=load, stdout=out.decode(errors="replace"),
                    stderr=err.decode(errors="replace"))


def median(xs: Iterable[float | None]) -> float | None:
    v = [x for x in xs if x is not None]
    return statistics.median(v) if v else None


def fmt(x: float | None, nd: int = 2) -> str:
    return "-" if x is None else f"{x:.{nd}f}"


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A GitHub-markdown table (also readable in a terminal)."""
    cells = [[str(c) for c in r] for r in rows]
    w = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i,
         h in enumerate(headers)]
    line = lambda r: "| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (x + 2) for x in w) + "|"]
                     + [line(r) for r in cells])


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for ln in Path("/proc/cpuinfo").read_text().splitlines():
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for ln in Path("/proc/meminfo").read_text().splitlines():
            if ln.startswith("MemTotal"):
                mem_gb = round(int(ln.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        import highspy

        hv = ".".join(str(v) for v in (highspy.HIGHS_VERSION_MAJOR, highspy.HIGHS_VERSION_MINOR,
                                        highspy.HIGHS_VERSION_PATCH))
    except Exception:  # pragma: no cover
        hv = "?"
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gb": mem_gb,
            "python": platform.python_version(),
            "highs": hv, "load_avg": [round(x, 2) for x in os.getloadavg()]}


def machine_line() -> str:
    m = machine()
    return (f"machine: {m['nproc']} cores, {m['cpu']}, {m['ram_gb']} GB RAM; Python {m['python']}, "
            f"HiGHS {m['highs']}; load average now {m['load_avg']}")


def save_json(path: str | Path | None, data: Any) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=1, default=lambda o: asdict(o)
                                         if hasattr(o, "__dataclass_fields__") else str(o)))


def precompile(*folders: str | Path) -> None:
    """Byte-compile the packages the measured commands import from source
    folders (the working tree, an exported revision). An installed package
    has its ``.pyc`` files; a source tree gets them at its first import, or
    never where ``PYTHONDONTWRITEBYTECODE`` is set, and then every run would
    compile every module again (about 0.2 s of a small solve)."""
    import compileall

    for f in folders:
        compileall.compile_dir(str(f), quiet=1, workers=1)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_highs_log(text: str) -> dict[str, Any]:
    """Milestones of a HiGHS MIP log: presolve time, root bound, incumbents.

    ``incumbents`` lists (source letter, objective, time s) of every line of
    the branch-and-bound table that starts with a source letter (a new
    incumbent); ``presolve_s``/``solve_s`` come from the closing report.
    """
    out: dict[str, Any] = {"incumbents": [], "presolve_s": None, "solve_s": None,
                           "root_bound": None,
                           "first_bound_s": None}
    in_table = False
    lines = text.splitlines()
    for i, ln in enumerate(lines):
        s = ln.strip()
        if s.startswith("Src  Proc."):
            in_table = True
            continue
        if in_table:
            if not s or s.startswith(("Solving report", "Restarting", "Nodes")):
                if s.startswith("Solving report"):
                    in_table = False
                continue
            tok = s.split()
            if not tok or not tok[-1].endswith("s"):
                continue
            src = tok[0] if len(tok[0]) == 1 and tok[0].isalpha() else None
            rest = tok[1:] if src else tok
            try:
                t = float(tok[-1][:-1])
                bound = float(rest[4]) if rest[4] not in ("inf", "-inf") else None
                sol = float(rest[5]) if rest[5] not in ("inf", "-inf") else None
            except (ValueError, IndexError):
                continue
            try:
                lp_iters = int(rest[-2])
            except ValueError:
                lp_iters = 0
            # Root LP bound: the first bound once an LP has been solved (the
            # line before it carries a bound from propagation alone).
            if bound is not None and out["root_bound"] is None and lp_iters > 0:
                out["root_bound"], out["first_bound_s"] = bound, t
            if src and sol is not None:
                out["incumbents"].append((src, sol, t))
        if s.startswith("Timing") and i + 2 < len(lines):
            for nxt in lines[i + 1:i + 12]:
                n = nxt.split()
                if len(n) >= 2 and n[1] == "(Presolve)":
                    out["presolve_s"] = float(n[0])
                if len(n) >= 2 and n[1] == "(Solve)":
                    out["solve_s"] = float(n[0])
    return out
