"""HiGHS options of the decomposition's block pricing, side by side (issue 19).

Builds one instance's model, splits it by target and prices the first
``--blocks`` blocks at zero prices and at random prices (``uniform(0,
0.05)`` per coupling row, seed 0), once with the pricing options as shipped
(``consortium.backends.decompose.pricing.BLOCK_HIGHS``) and once with
``--option`` changes on top (or taken off: ``--drop``), alternating, in
one process, one thread. Every block's proven bound must be the same in
both arms (the options may change the time, never the answer); the table
gives the median seconds of each arm and their ratio.

    python benchmarks/bench_block_options.py --preset national --blocks 150
    python benchmarks/bench_block_options.py --preset national-dense --blocks 60
    python benchmarks/bench_block_options.py --preset provincial --drop mip_root_presolve_only
    python benchmarks/bench_block_options.py --instance my.json --option mip_heuristic_effort=0
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import consortium_exe, fmt, log, machine_line, median, run_child, table  # noqa: E402


def _value(text: str) -> bool | int | float | str:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--preset", default="national", help="consortium generate --preset")
    src.add_argument("--instance", help="an instance file instead of a preset")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--blocks", type=int, default=150, help="blocks priced (the first N)")
    ap.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                    help="a HiGHS option changed in the second arm")
    ap.add_argument("--drop", action="append", default=[], metavar="KEY",
                    help="a shipped option left out of the second arm")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    from consortium.backends.decompose import pricing
    from consortium.backends.decompose.blocks import split
    from consortium.cli.common import load_instance
    from consortium.solving.session import build

    log(machine_line())
    path = a.instance
    if path is None:
        path = str(Path(tempfile.mkdtemp(prefix="bench-blocks-")) / f"{a.preset}.json")
        r = run_child([*consortium_exe(), "generate", "--preset", a.preset, "--seed",
                       str(a.seed), "-o", path])
        assert r.rc == 0, r.stderr
    inst = load_instance(path)
    t = time.perf_counter()
    b = build(inst)
    log(f"{path}: {b.lm.n_cols:,} columns, built in {time.perf_counter() - t:.1f} s")
    B = split(b.lm, b.V, len(inst.targets))
    ks = list(range(min(a.blocks, len(B.cols))))
    shipped = dict(pricing.BLOCK_HIGHS)
    changed = {k: v for k, v in shipped.items() if k not in a.drop}
    for kv in a.option:
        k, _, v = kv.partition("=")
        changed[k] = _value(v)
    arms = {"shipped": shipped, "changed": changed}
    rng = np.random.default_rng(0)
    prices = [np.zeros(len(B.coupling)), rng.uniform(0.0, 0.05, len(B.coupling))]
    times: dict[str, list[float]] = {n: [] for n in arms}
    bounds: dict[str, np.ndarray] = {}
    try:
        for rep in range(a.repeat):
            for name, opts in arms.items():
                pricing.BLOCK_HIGHS.clear()
                pricing.BLOCK_HIGHS.update(opts)
                pr = pricing.Pricer({k: pricing.block_of(B, k) for k in ks})
                pr.tight = set(ks)  # (the tightening LPs are not what is compared)
                t = time.perf_counter()
                ub = np.array([pr.price(k, lam, None, None).ub for lam in prices for k in ks])
                times[name].append(time.perf_counter() - t)
                log(f"  run {rep + 1} {name}: {times[name][-1]:.2f} s")
                if name in bounds and not np.allclose(bounds[name], ub, rtol=0, atol=1e-6):
                    raise SystemExit(f"{name}: the bounds differ between runs")
                bounds[name] = ub
    finally:
        pricing.BLOCK_HIGHS.clear()
        pricing.BLOCK_HIGHS.update(shipped)
    worst = float(np.max(np.abs(bounds["shipped"] - bounds["changed"])))
    diff = {k: (shipped.get(k), changed.get(k)) for k in set(shipped) | set(changed)
            if shipped.get(k) != changed.get(k)}
    ms, mc = median(times["shipped"]), median(times["changed"])
    print(f"\nblocks {len(ks)} x {len(prices)} prices; changed options {diff}\n")
    print(table(["arm", "median s", "runs s", "over shipped"],
                [["shipped", fmt(ms), " ".join(fmt(x) for x in times["shipped"]), "1.00"],
                 ["changed", fmt(mc), " ".join(fmt(x) for x in times["changed"]),
                  fmt(mc / ms if ms else None)]]))
    print(f"\nlargest difference of a block's proven bound between the arms: {worst:.2e}")
    if worst > 1e-6 * max(1.0, float(np.max(np.abs(bounds["shipped"])))):
        raise SystemExit("the arms prove different bounds")


if __name__ == "__main__":
    main()
