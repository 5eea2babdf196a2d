"""Who may do what (SPEC 3), as numpy masks: distances, limits, leading, delivering.

The one place the model, the analyses and the generator take eligibility
from. (The independent verifier, ``consortium.verify``, and the tests' brute
force keep their own readings of the specification on purpose.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..spec import EARTH_RADIUS_KM, MARKET_END, REL_TOL, RESEARCH_END


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance (SPEC 3), broadcasting over numpy arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def within_limit(amount: Any, limit: Any) -> Any:
    """``amount <= limit`` with the spec's relative tolerance."""
    return amount <= limit * (1 + REL_TOL) + 1e-12


def research_end(types: np.ndarray) -> np.ndarray:
    """Actors at the research end of the chain (institutes, universities, labs)."""
    return np.isin(types, list(RESEARCH_END)) if len(types) else np.zeros(0, bool)


def market_end(types: np.ndarray) -> np.ndarray:
    """Actors at the market end of the chain (enterprises, smes)."""
    return np.isin(types, list(MARKET_END)) if len(types) else np.zeros(0, bool)


def may_lead(types: np.ndarray, has_lead_cost: np.ndarray, foreign: np.ndarray,
             lead_types: Iterable[str], foreign_can_lead: bool) -> np.ndarray:
    """Rule 1: a lead has a lead_cost, a type allowed for the target's mode, and is
    domestic unless foreign actors may lead."""
    allowed = np.isin(types, list(lead_types)) if len(types) else np.zeros(0, bool)
    return allowed & has_lead_cost & (~foreign | foreign_can_lead)


def may_deliver(levels: np.ndarray, level: Any, chokepoint: Any, foreign: np.ndarray,
                domestic_only: bool) -> np.ndarray:
    """Rule 3: holds the capability at the level, and no foreign deliverer of a
    chokepoint when ``chokepoints_domestic_only``. ``levels`` is actors x
    requirements (or one column); ``level`` and ``chokepoint`` broadcast over it."""
    ok = levels >= level
    if domestic_only:
        choke = np.asarray(chokepoint, bool)
        f = foreign[:, None] if ok.ndim == 2 else foreign
        ok = ok & ~(choke & f)
    return ok
