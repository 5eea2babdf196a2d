"""Money as it is written: exact in the arithmetic, rounded once, the same way everywhere.

Every figure a planner reads (the terminal, the HTML report, the contract
spreadsheet, the analyses) goes through :func:`fmt` or :func:`rounded`, so a
consortium's spend is the same number in the totals, in ``--marginal`` and in
the report. Rounding is half-up at the currency's precision (two decimals
unless the currency's ISO code has none or three), after the float noise of
the arithmetic is removed: 85.52499999999999 and 85.525 both give 85.53.

The solution file keeps the exact figures (SPEC 4 asks that rewards are
``base + lead_fee + bonus`` and sum to the spend to 1e-6, which figures
rounded one by one to cents would break); :func:`clean` removes only the
float noise (``3.4000000000000004`` is written ``3.4``).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# ISO 4217 currencies without minor units, and with three decimals.
_NO_DECIMALS = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                          "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"})
_THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


def digits(currency: str | None) -> int:
    """Decimals of ``currency`` ("CNY million", "EUR", "JPY"): its first word as an ISO code."""
    code = (currency or "").split()[0].upper() if (currency or "").split() else ""
    if code in _NO_DECIMALS:
        return 0
    if code in _THREE_DECIMALS:
        return 3
    return 2


def rounded(x: float, nd: int = 2) -> float:
    """``x`` rounded half-up to ``nd`` decimals, float noise removed first."""
    x = float(x)  # numpy floats too
    if not math.isfinite(x) or abs(x) >= 1e15:  # beyond cents a float cannot hold
        return x
    d = Decimal(repr(round(x, 9))).quantize(Decimal(1).scaleb(-nd), rounding=ROUND_HALF_UP)
    return float(d) + 0.0  # + 0.0: no "-0.00"


def fmt(x: float | None, nd: int = 2, *, sign: bool = False) -> str:
    """``x`` as written: thousands separators, ``nd`` decimals; ``-`` for none."""
    if x is None:
        return "-"
    return format(rounded(x, nd), f"{'+' if sign else ''},.{nd}f")


def clean(data: Any) -> Any:
    """``data`` with every float written with 12 significant digits (no float
    noise; 5e-13 relative at most, far inside the spec's 1e-6)."""
    if isinstance(data, float):  # numpy's float64 is a float; written as a plain one
        return float(f"{data:.12g}") if math.isfinite(data) else float(data)
    if isinstance(data, dict):
        return {k: clean(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [clean(v) for v in data]
    return data
