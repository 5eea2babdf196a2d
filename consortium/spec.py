"""The constants of the specification (SPEC sections 2-4), in one place.

The instance reader, the model, the analyses and the generator take them from
here. The independent verifier (``consortium.verify``) and the tests' brute
force keep copies of their own on purpose: they are second readings of the
specification and must not share the model's.
"""

from __future__ import annotations

INSTANCE_FORMAT = "consortium-instance/1"
SOLUTION_FORMAT = "consortium-solution/1"

ACTOR_TYPES = ("enterprise", "sme", "institute", "university", "lab")
OWNERSHIPS = ("state", "private", "foreign")
MODES = ("research", "economic")
# The two ends of the innovation chain (rule 5: a consortium needs both).
RESEARCH_END = frozenset({"institute", "university", "lab"})
MARKET_END = frozenset({"enterprise", "sme"})
# Who may lead a target of each mode when policy.lead_types does not say.
DEFAULT_LEAD_TYPES: dict[str, tuple[str, ...]] = {
    "research": ("institute", "lab"),
    "economic": ("enterprise",),
}
# Limits (budgets, distances) are compared with this relative tolerance (SPEC 3).
REL_TOL = 1e-6
# Mean Earth radius for great-circle distances (SPEC 3).
EARTH_RADIUS_KM = 6371.0088

# The rules of SPEC section 3, by number.
RULE_NAMES = {
    "1": "one lead who may lead",
    "2": "site and distance",
    "3": "redundancy",
    "4": "no free riders",
    "5": "both ends",
    "6": "size bounds",
    "7": "state share",
    "8": "private members",
    "9": "outside-region members",
    "10": "conflicts",
    "11": "capacity",
    "12": "budget",
    "13": "exclusive group",
    "14": "fixed decisions",
    # SPEC section 7 (v1.1)
    "15": "composition",
    "16": "distinct regions",
    "17": "start years and after",
    "18": "milestones",
}
