"""Pricing a programme block one start year at a time against pricing it whole
(issue 14): the decomposition's pricing problems of a programme preset, side
by side in one process.

For the ``--blocks`` largest blocks with several possible start years (by
columns) of ``consortium generate --preset PRESET --seed S``, at zero prices
and at a price vector drawn once per block (``--scale`` times a uniform draw
on the coupling rows), each block is priced ``--repeat`` times both ways,
alternating: as the shipped pricer does (``Pricer.price``: one solve per start
year, the other years' start columns at 0) and whole (the same block with
its start open, one MILP). Both use the same HiGHS options
(``pricing.BLOCK_HIGHS``) and must give the same bound; the script checks it
and reports the time per block (median of the repeats), the totals, the
ratio whole / by year, and the peak memory of the process.

    python benchmarks/bench_pricing_years.py          # national-programme, 20 blocks
    python benchmarks/bench_pricing_years.py --preset programme --blocks 15 --repeat 3
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt, log, machine_line, save_json, table  # noqa: E402  # isort: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", default="national-programme")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--blocks", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale", type=float, default=0.05,
                    help="the non-zero prices: this times a uniform draw (default 0.05)")
    ap.add_argument("--json-out", type=Path)
    a = ap.parse_args()

    from consortium.backends.decompose.blocks import split
    from consortium.backends.decompose.pricing import Pricer, block_of
    from consortium.generate import generate
    from consortium.io.instance import from_dict
    from consortium.solving.build import build

    log(machine_line())
    t0 = time.perf_counter()
    b = build(from_dict(generate(preset=a.preset, seed=a.seed)))
    B = split(b.lm, b.V, len(b.V.y))
    staged = [k for k in range(len(B.cols)) if B.by_start[k]]
    log(f"{a.preset} seed {a.seed}: {len(B.cols)} blocks, {len(staged)} with several start "
        f"years; built and split in {time.perf_counter() - t0:.1f} s")
    pick = sorted(staged, key=lambda k: (-len(B.cols[k]), k))[: a.blocks]
    rng = np.random.default_rng(0)
    rows, out = [], []
    totals = {"zero": [0.0, 0.0], "priced": [0.0, 0.0]}
    for k in pick:
        lam_p = rng.random(len(B.coupling)) * a.scale
        for label, lam in (("zero", np.zeros(len(B.coupling))), ("priced", lam_p)):
            ty, tw, uy, uw = [], [], None, None
            for rep in range(a.repeat):
                # fresh pricers: no warm start or tightened bounds carried over
                by_year = Pricer({k: block_of(B, k)})
                whole = Pricer({k: replace(block_of(B, k), by_start=[])})
                for arm in (("year", "whole") if rep % 2 == 0 else ("whole", "year")):
                    p = by_year if arm == "year" else whole
                    p.tight.add(k)  # time the solves, not the one-off bound tightening
                    r = p.price(k, lam, None, None)
                    if arm == "year":
                        ty.append(r.seconds)
                        uy = r.ub
                    else:
                        tw.append(r.seconds)
                        uw = r.ub
            assert uy is not None and uw is not None
            same = abs(uy - uw) <= 1e-6 * max(1.0, abs(uw))
            my, mw = statistics.median(ty), statistics.median(tw)
            totals[label][0] += mw
            totals[label][1] += my
            rec = {"block": k, "columns": len(B.cols[k]), "starts": len(B.by_start[k]),
                   "prices": label, "whole_s": mw, "by_year_s": my, "bound_whole": uw,
                   "bound_by_year": uy, "same_bound": same}
            out.append(rec)
            rows.append([k, len(B.cols[k]), len(B.by_start[k]), label, fmt(mw, 3), fmt(my, 3),
                         fmt(mw / my if my > 0 else float("nan")), "yes" if same else "NO"])
            log(f"block {k} ({label}): whole {mw:.3f} s, by year {my:.3f} s, "
                f"bounds {uw:.6f} / {uy:.6f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(table(["block", "columns", "start years", "prices", "whole s", "by year s",
                 "whole / by year", "same bound"], rows))
    for label, (w, y) in totals.items():
        print(f"{label} prices: whole {w:.1f} s, by year {y:.1f} s, ratio {w / y:.2f} "
              f"(sums of medians over {len(pick)} blocks)")
    print(f"peak memory {peak:.0f} MB")
    save_json(a.json_out, {"preset": a.preset, "seed": a.seed, "repeat": a.repeat,
                           "machine": machine_line(), "blocks": out, "peak_mb": peak,
                           "totals": totals})
    if not all(r["same_bound"] for r in out):
        sys.exit(1)


if __name__ == "__main__":
    main()
