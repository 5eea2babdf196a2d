"""Where ``consortium solve`` spends its time, stage by stage, in one process.

Runs the real command (``consortium.cli.main``) with timers wrapped around
the functions it calls, so what is timed is what the command does. Stages
whose function no longer exists are skipped (the code moves on; the table
says what was found). Writes a JSON report to ``--json-out``.

    python _breakdown.py --json-out b.json [--cprofile prof.out] \
        -- solve FILE -o out.json --no-reasons
"""

from __future__ import annotations

T0 = __import__("time").perf_counter()

import argparse  # noqa: E402
import functools  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

# (module, attribute, label). Class methods as "Class.method".
STAGES = [
    ("consortium.cli.common", "load_instance", "parse+validate (load_instance)"),
    ("consortium.solving.profiles", "load", "profile"),
    ("consortium.solving.solve", "build", "build"),
    ("consortium.solving.build", "ModelData", "ModelData"),
    ("consortium.solving.build", "presolve_findings", "presolve findings"),
    ("consortium.solving.build", "build_model", "build_model"),
    ("consortium.solving.solve", "initial_plan", "starting plan (initial_plan)"),
    ("consortium.solving.solve", "run_backend", "backend (run_backend)"),
    ("consortium.backends.highs", "to_highs", "to_highs"),
    ("consortium.backends.highs", "apply_options", "apply_options"),
    ("consortium.backends.highs", "run_guarded", "HiGHS run"),
    ("consortium.solving.solve", "solution_from_raw", "plan (solution_from_raw)"),
    ("consortium.solving.solve", "unformed_reasons", "reasons (unformed_reasons)"),
    ("consortium.result.solution", "Solution.to_dict", "to_dict"),
    ("consortium.verify", "verify_solution", "verify"),
    ("consortium.io.jsonfile", "dumps", "dumps (JSON text)"),
    ("consortium.io.jsonfile", "write_atomic", "write file"),
]
IMPORTS = ["consortium.cli", "consortium.cli.common", "consortium.io.instance",
           "consortium.io.jsonfile",
           "consortium.solving.profiles", "consortium.solving.build", "consortium.solving.solve",
           "consortium.backends.highs", "consortium.result.solution", "consortium.verify"]

records: dict[tuple[str, ...], list[float]] = {}
stack: list[str] = []


def wrap(fn, label):
    @functools.wraps(fn)
    def w(*a, **k):
        stack.append(label)
        key = tuple(stack)
        t = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            records.setdefault(key, []).append(time.perf_counter() - t)
            stack.pop()

    return w


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json-out", required=True)
    ap.add_argument("--cprofile",
                    help="also profile with cProfile into this file (inflates Python stages)")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    args = a.args[1:] if a.args and a.args[0] == "--" else a.args

    t = time.perf_counter()
    import_s = {}
    for m in IMPORTS:
        t1 = time.perf_counter()
        importlib.import_module(m)
        import_s[m] = time.perf_counter() - t1
    imports = time.perf_counter() - t
    missing = []
    for mod, attr, label in STAGES:
        m = sys.modules[mod]
        if "." in attr:
            cls, meth = attr.split(".")
            c = getattr(m, cls, None)
            if c is None or not hasattr(c, meth):
                missing.append(f"{mod}.{attr}")
                continue
            setattr(c, meth, wrap(getattr(c, meth), label))
        elif hasattr(m, attr):
            setattr(m, attr, wrap(getattr(m, attr), label))
        else:
            missing.append(f"{mod}.{attr}")
    cli = sys.modules["consortium.cli"]
    sys.argv = ["consortium", *args]
    prof = None
    if a.cprofile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t_main = time.perf_counter()
    code = 0
    try:
        # cli.cli, not cli.main: main() leaves with os._exit when a HiGHS run
        # was abandoned at its deadline, which would skip the report below.
        cli.cli(prog_name="consortium")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    main_s = time.perf_counter() - t_main
    if prof:
        prof.disable()
        prof.dump_stats(a.cprofile)
    out = {
        "exit_code": code,
        "before_imports_s": t - T0,
        "imports_s": imports,
        "imports_by_module_s": import_s,
        "main_s": main_s,
        "in_process_s": time.perf_counter() - T0,
        "stages": [{"path": list(k), "calls": len(v), "s": sum(v)} for k, v in records.items()],
        "missing": missing,
    }
    with open(a.json_out, "w") as f:
        json.dump(out, f, indent=1)
    sys.stdout.flush()
    sys.stderr.flush()
    runs = sys.modules.get("consortium.backends.runs")
    if runs is not None and runs.ABANDONED.any_running():
        os._exit(code)  # as cli.main does: do not wait for the abandoned HiGHS thread
    sys.exit(code)


if __name__ == "__main__":
    main()
