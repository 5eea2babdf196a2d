"""Random draws and rounding for the generator (seeded ``numpy`` generators only)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _ceil2(x: float) -> float:
    return math.ceil(x * 100.0 - 1e-9) / 100.0


def _r2(x: float) -> float:
    return float(round(float(x), 2))


def _quota(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder apportionment of ``total`` by ``weights``."""
    w = np.asarray(weights, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return [0] * len(weights)
    exact = w / w.sum() * total
    base = np.floor(exact).astype(int)
    rem = total - int(base.sum())
    order = np.argsort(-(exact - base), kind="stable")
    for i in order[:rem]:
        base[i] += 1
    return [int(v) for v in base]


def _slug(s: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in s)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def _pick(rng: np.random.Generator, values: Any, probs: Any) -> Any:
    """One draw from ``values`` with (unnormalised) ``probs``."""
    u = rng.random() * float(sum(probs))
    acc = 0.0
    for v, p in zip(values, probs, strict=False):
        acc += p
        if u < acc:
            return v
    return values[-1]


def _pick_many(rng: np.random.Generator, values: Any, probs: Any, n: int) -> np.ndarray:
    """``n`` independent draws from ``values`` with (unnormalised) ``probs``."""
    p = np.asarray(probs, dtype=float)
    cum = np.cumsum(p / p.sum())
    idx = np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(values) - 1)
    return np.asarray(values, dtype=object)[idx] if n else np.asarray([], dtype=object)
