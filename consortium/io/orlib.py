"""OR-Library set-covering instances (Beasley) as consortium instances.

The OR-Library weighted set-covering benchmarks have proven optima. They are an
external check on the MILP: a set-covering problem maps onto a one-target
consortium instance whose best plan spends exactly the set-covering optimum.

The data files are not part of this repository. They live in
``../shared/data/orlib-scp`` beside the project checkout (see its README), or
in the folder named by the environment variable ``CONSORTIUM_ORLIB_DIR``.

This module uses only the standard library and imports nothing else from
``consortium``.

Mapping (``scp_to_instance``)
-----------------------------
* row ``i`` (1-based)    -> capability ``r<i>`` and one requirement of the
  single target ``cover`` with level 1 and redundancy 1;
* column ``j`` (1-based) -> actor ``c<j>``: ``cost`` = column cost,
  ``capabilities`` = ``{r<i>: 1}`` for every row ``i`` that column ``j`` covers,
  type ``enterprise``, ownership ``private``, ``max_consortia`` 1;
* the target is ``mandatory``, mode ``economic``, value 0, one site (every
  actor stands on it), no distance limit, no budget, ``min_members`` 1, no
  ``max_members``;
* policy: ``require_both_ends`` false, ``no_free_riders`` false, no budgets,
  weights value 1, cost 1, distance 0, ties 0, no incentives (bonus rate 0).

Who leads comes in two forms (keyword ``coordinator``):

* ``coordinator=False`` (the default, the original mapping): every column
  actor has ``lead_cost`` 0 and ``max_lead`` 1, so any chosen column may be
  named the lead at no extra cost;
* ``coordinator=True`` (the compact mapping, used by the benchmark and the
  optimum tests): the columns have no ``lead_cost`` (absent = may not lead,
  SPEC 3), and one extra actor ``coordinator`` leads: type ``enterprise``,
  ownership ``private``, ``cost`` 0, ``lead_cost`` 0, no capabilities.

A plan is then a set of columns that covers every row, plus a lead that adds
nothing to the spend: in the default form one of the chosen columns, in the
compact form the zero-cost coordinator. Either way the spend is the total
cost of the chosen columns, the objective is ``-spend``, and the optimal
objective is ``-ORLIB_OPTIMA[name]``.

Model size. The MILP has a lead column ``l[a,t]`` and a row "lead is a
member" (``l[a,t] <= m[a,t]``) for every actor that may lead. In the default
form that doubles the set-covering matrix: on scp41 2,001 columns x 1,202
rows against the bare 1,000 x 200. In the compact form exactly one actor may
lead, so the model is the bare matrix plus the coordinator's membership
column, one lead column, the target column ``y`` (fixed to 1: the target is
mandatory) and three rows (exactly one lead, lead is a member, members only
if formed): 1,003 x 203 on scp41, which HiGHS's presolve reduces to the bare
matrix. The coordinator delivers nothing and costs nothing, so the feasible
plans and the covers still match one to one (cover + coordinator as lead).

Why ``no_free_riders`` is false: with it true, every member except the lead
must deliver at least one requirement. Redundancy is a lower bound ("at least
r deliverers"), so a column that covers at least one row can always be named
a deliverer of that row. Only a column that covers no row would be kept out,
and such a column never belongs to a minimum cover, since every OR-Library
cost is positive. The optimum is therefore the same either way. False is used
for three reasons:

* feasible plans and covers then match exactly, not just at the optimum;
* it matches the README's "rules switched off";
* in the default form the model does not have to turn each "lead is a
  member" row of a column that delivers nothing into an equality (in the
  compact form the coordinator is the only such actor and it leads anyway).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Union, cast

__all__ = [
    "COORDINATOR_ID",
    "ORLIB_ENV",
    "ORLIB_OPTIMA",
    "orlib_dir",
    "orlib_path",
    "read_scp",
    "scp_to_instance",
]

#: Actor id of the zero-cost lead of the compact mapping (``coordinator=True``).
COORDINATOR_ID = "coordinator"

#: Environment variable that overrides where the OR-Library files are looked up.
ORLIB_ENV = "CONSORTIUM_ORLIB_DIR"

#: Published optimal costs (Caprara, Fischetti and Toth 1999), as listed in
#: ``shared/data/orlib-scp/README.md``: all 45 instances of sets 4, 5, 6, A-D.
ORLIB_OPTIMA: dict[str, int] = {
    # set 4: 200 rows x 1000 columns
    "scp41": 429,
    "scp42": 512,
    "scp43": 516,
    "scp44": 494,
    "scp45": 512,
    "scp46": 560,
    "scp47": 430,
    "scp48": 492,
    "scp49": 641,
    "scp410": 514,
    # set 5: 200 rows x 2000 columns
    "scp51": 253,
    "scp52": 302,
    "scp53": 226,
    "scp54": 242,
    "scp55": 211,
    "scp56": 213,
    "scp57": 293,
    "scp58": 288,
    "scp59": 279,
    "scp510": 265,
    # set 6: 200 rows x 1000 columns
    "scp61": 138,
    "scp62": 146,
    "scp63": 145,
    "scp64": 131,
    "scp65": 161,
    # set A: 300 rows x 3000 columns
    "scpa1": 253,
    "scpa2": 252,
    "scpa3": 232,
    "scpa4": 234,
    "scpa5": 236,
    # set B: 300 rows x 3000 columns
    "scpb1": 69,
    "scpb2": 76,
    "scpb3": 80,
    "scpb4": 79,
    "scpb5": 72,
    # set C: 400 rows x 4000 columns
    "scpc1": 227,
    "scpc2": 219,
    "scpc3": 243,
    "scpc4": 219,
    "scpc5": 215,
    # set D: 400 rows x 4000 columns
    "scpd1": 60,
    "scpd2": 66,
    "scpd3": 72,
    "scpd4": 62,
    "scpd5": 61,
}

PathLike = Union[str, "os.PathLike[str]"]
Parsed = tuple[list[int], list[list[int]]]


def orlib_dir() -> Path | None:
    """Return the folder holding the OR-Library ``scp*.txt`` files, or ``None``.

    If ``CONSORTIUM_ORLIB_DIR`` is set, only that folder is tried, so an
    explicit setting is never silently replaced by another folder. Otherwise
    the function tries ``shared/data/orlib-scp`` beside the project checkout
    (``<checkout>/../shared/data/orlib-scp``, worked out from this file),
    then the same path relative to the working directory's parent.
    """
    env = os.environ.get(ORLIB_ENV)
    if env:
        p = Path(env).expanduser()
        return p if p.is_dir() else None
    candidates: list[Path] = []
    parents = Path(__file__).resolve().parents  # consortium/io/orlib.py
    if len(parents) > 3:
        candidates.append(parents[3] / "shared" / "data" / "orlib-scp")
    candidates.append(Path.cwd().resolve().parent / "shared" / "data" / "orlib-scp")
    for p in candidates:
        if p.is_dir():
            return p
    return None


def orlib_path(name: str) -> Path | None:
    """Path of instance ``name`` (e.g. ``"scp41"``) in :func:`orlib_dir`, or ``None``."""
    d = orlib_dir()
    if d is None:
        return None
    stem = name[:-4] if name.endswith(".txt") else name
    p = d / f"{stem}.txt"
    return p if p.is_file() else None


def _to_int(tok: str, what: str, path: object) -> int:
    try:
        return int(tok)
    except ValueError:
        pass
    try:
        x = float(tok)
    except ValueError:
        raise ValueError(f"{path}: {what}: not a number: {tok!r}") from None
    if not x.is_integer():
        raise ValueError(f"{path}: {what}: not an integer: {tok!r}")
    return int(x)


def read_scp(path: PathLike) -> Parsed:
    """Parse a set-covering file in Beasley's OR-Library format.

    The format is whitespace-separated integers, with line breaks anywhere:
    ``m n``, then the ``n`` column costs, then for each of the ``m`` rows a
    count ``k`` followed by ``k`` column indices (1-based) that cover it.

    Returns ``(costs, rows)``:

    * ``costs[j - 1]`` is the cost of column ``j``;
    * ``rows[i - 1]`` lists the 1-based column indices covering row ``i``,
      in file order.

    Raises ``ValueError`` if the file is truncated, has extra tokens or
    holds an index out of range.
    """
    text = Path(path).read_text()
    toks = text.split()
    pos = 0

    def nxt(what: str) -> int:
        nonlocal pos
        if pos >= len(toks):
            raise ValueError(f"{path}: unexpected end of file while reading {what}")
        v = _to_int(toks[pos], what, path)
        pos += 1
        return v

    m = nxt("row count m")
    n = nxt("column count n")
    if m < 0 or n < 0:
        raise ValueError(f"{path}: negative size m={m} n={n}")
    costs = [nxt(f"cost of column {j + 1}") for j in range(n)]
    rows: list[list[int]] = []
    for i in range(m):
        k = nxt(f"count of row {i + 1}")
        if k < 0:
            raise ValueError(f"{path}: row {i + 1}: negative count {k}")
        row = []
        for _ in range(k):
            j = nxt(f"column index in row {i + 1}")
            if not 1 <= j <= n:
                raise ValueError(f"{path}: row {i + 1}: column index {j} outside 1..{n}")
            row.append(j)
        rows.append(row)
    if pos != len(toks):
        raise ValueError(f"{path}: {len(toks) - pos} unexpected tokens after row {m}")
    return costs, rows


def scp_to_instance(path_or_parsed: PathLike | Parsed | Sequence, name: str | None = None, *,
                    coordinator: bool = False) -> dict:
    """Build the single-target ``consortium-instance/1`` dict of a set-covering problem.

    ``path_or_parsed`` is a path to an OR-Library file or a ``(costs, rows)``
    pair as returned by :func:`read_scp` (1-based column indices). ``name``
    defaults to the file stem (``"scp41"``) or ``"scp"``. See the module
    docstring for the mapping. ``coordinator=True`` gives the compact form:
    one zero-cost ``coordinator`` actor is the only one who may lead, so the
    model has one lead column instead of one per column. The optimal
    objective of the result is minus the set-covering optimum in both forms.
    """
    if isinstance(path_or_parsed, (str, os.PathLike)):
        p = Path(path_or_parsed)
        costs, rows = read_scp(p)
        if name is None:
            name = p.stem
    else:
        costs, rows = cast(Parsed, path_or_parsed)
        costs, rows = list(costs), [list(r) for r in rows]
    if name is None:
        name = "scp"
    n = len(costs)

    covers: list[dict[str, int]] = [{} for _ in range(n)]
    for i, row in enumerate(rows, start=1):
        for j in row:
            if not 1 <= j <= n:
                raise ValueError(f"row {i}: column index {j} outside 1..{n}")
            covers[j - 1][f"r{i}"] = 1

    site = {"id": "s", "name": "single site", "lat": 0.0, "lon": 0.0}
    lead_fields = {} if coordinator else {"lead_cost": 0, "max_lead": 1}
    actors = [
        {
            "id": f"c{j}",
            "type": "enterprise",
            "ownership": "private",
            "region": "OR",
            "lat": 0.0,
            "lon": 0.0,
            "capabilities": covers[j - 1],
            "cost": costs[j - 1],
            **lead_fields,
            "max_consortia": 1,
        }
        for j in range(1, n + 1)
    ]
    if coordinator:
        actors.append(
            {
                "id": COORDINATOR_ID,
                "name": "coordinator (leads, delivers nothing, costs nothing)",
                "type": "enterprise",
                "ownership": "private",
                "region": "OR",
                "lat": 0.0,
                "lon": 0.0,
                "capabilities": {},
                "cost": 0,
                "lead_cost": 0,
                "max_consortia": 1,
                "max_lead": 1,
            }
        )
    target = {
        "id": "cover",
        "name": f"set cover {name}",
        "mode": "economic",
        "value": 0,
        "mandatory": True,
        "sites": ["s"],
        "min_members": 1,
        "requirements": [
            {"capability": f"r{i}", "level": 1, "redundancy": 1} for i in range(1, len(rows) + 1)
        ],
    }
    return {
        "format": "consortium-instance/1",
        "name": name,
        "currency": "cost units",
        "capabilities": [{"id": f"r{i}"} for i in range(1, len(rows) + 1)],
        "sites": [site],
        "sponsors": [],
        "actors": actors,
        "targets": [target],
        "ties": [],
        "conflicts": [],
        "exclusive": [],
        "policy": {
            "require_both_ends": False,
            "no_free_riders": False,
            "max_state_share": 1.0,
            "min_private_members": 0,
            "min_outside_members": 0,
            "chokepoints_domestic_only": True,
            "foreign_can_lead": False,
            "lead_types": {"research": ["institute", "lab"], "economic": ["enterprise"]},
            "weights": {"value": 1.0, "cost": 1.0, "distance": 0.0, "ties": 0.0},
            "incentives": {},
        },
    }
