"""Spreadsheets in and out: instances from workbooks/CSV folders, contracts to Excel.

Planners keep actors, targets and policy in Excel, one sheet per table (or one
CSV file per table in a folder). ``consortium import`` turns such a workbook
into an instance file in three visible steps:

1. read every sheet into rows of typed cells (``_read_xlsx`` / ``_read_csv_dir``
   then ``_cell``): text in a numeric column is an error *here*, named by file,
   sheet, row and column;
2. build the raw instance dict (``_Builder``), remembering for every JSON path
   the cell or row it came from;
3. validate with :func:`consortium.instance.from_dict` and translate every
   ``path: message`` back to ``file, sheet, row, column: message`` - the planner
   fixes the workbook, never a JSON file they did not write.

Row numbers are those Excel shows (header = row 1). Nothing heavy is imported
at module level: the CLI imports this module at every start.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import click

__all__ = [
    "SpreadsheetError",
    "read_workbook",
    "instance_to_workbook",
    "write_template",
    "export_contracts",
    "import_command",
    "TABLES",
]


class SpreadsheetError(Exception):
    """Invalid workbook. ``errors`` holds one ``file, sheet, row, column: message`` per problem."""

    def __init__(self, errors: list[str], warnings: list[str] | None = None):
        super().__init__(errors[0] if errors else "invalid workbook")
        self.errors = errors
        self.warnings = warnings or []


# ---------------------------------------------------------------- the tables

# kind of a column: str, float, int, bool, list (";"-separated text), any
# (policy values: typed by key). ``req`` = the column must exist in a non-empty
# table. The texts are the README sheet of the template.
@dataclass(frozen=True)
class Col:
    name: str
    kind: str
    req: bool
    help: str
    default: str = ""


TABLES: dict[str, list[Col]] = {
    "meta": [
        Col("name", "str", False, "name of the instance (shown in reports)", "the output file name"),
        Col("currency", "str", False, "money unit of every cost, budget and reward, e.g. CNY million", "none"),
    ],
    "policy": [
        Col("key", "str", True, "policy setting; nested keys with dots: weights.cost, "
            "incentives.sme.bonus_rate, incentives.sme.instruments, lead_types.research "
            "(see the policy rows below)"),
        Col("value", "any", True, "its value; lists (instruments, lead_types) as text separated by ';'; "
            "blank = the default", "the default"),
    ],
    "capabilities": [
        Col("id", "str", True, "capability id (unique), used in cap:<id> columns and requirements"),
        Col("name", "str", False, "readable name", "none"),
        Col("chokepoint", "bool", False, "TRUE if the technology is under foreign chokehold", "FALSE"),
    ],
    "sites": [
        Col("id", "str", True, "site id (unique): an industrial park or cluster"),
        Col("name", "str", False, "readable name", "none"),
        Col("lat", "float", True, "latitude, degrees in [-90, 90]"),
        Col("lon", "float", True, "longitude, degrees in [-180, 180]"),
    ],
    "sponsors": [
        Col("id", "str", True, "sponsor id (unique): a province, city or ministry"),
        Col("name", "str", False, "readable name", "none"),
        Col("budget", "float", False, "cap on the spend of all its targets (>= 0)", "no cap"),
        Col("region", "str", False, "home region code, for policy min_outside_members", "none"),
    ],
    "actors": [
        Col("id", "str", True, "actor id (unique)"),
        Col("name", "str", False, "readable name", "none"),
        Col("type", "str", True, "enterprise, sme, institute, university or lab"),
        Col("ownership", "str", True, "state, private or foreign"),
        Col("region", "str", True, "region code (province), e.g. JS"),
        Col("lat", "float", True, "latitude, degrees in [-90, 90]"),
        Col("lon", "float", True, "longitude, degrees in [-180, 180]"),
        Col("cost", "float", True, "what it must be paid to join one consortium (>= 0)"),
        Col("lead_cost", "float", False, "extra coordination fee if it leads; blank = cannot lead", "cannot lead"),
        Col("max_consortia", "int", False, "how many consortia it can join (leading one counts)", "1"),
        Col("max_lead", "int", False, "how many it can lead", "1"),
        Col("cap:<id>", "int", False, "one column per capability: the level (1..9) the actor holds; "
            "blank or 0 = does not hold it. Alternatively use the actor_capabilities sheet", "none"),
    ],
    "actor_capabilities": [
        Col("actor", "str", True, "actor id (long form of the cap:<id> columns of actors)"),
        Col("capability", "str", True, "capability id"),
        Col("level", "int", True, "level held, 1..9"),
    ],
    "bids": [
        Col("actor", "str", True, "actor id"),
        Col("target", "str", True, "target id"),
        Col("bid", "float", True, "its cost for that target (replaces the actor's cost there)"),
    ],
    "targets": [
        Col("id", "str", True, "target id (unique)"),
        Col("name", "str", False, "readable name", "none"),
        Col("mode", "str", True, "research (research-driven) or economic (economics-driven)"),
        Col("sponsor", "str", False, "sponsor id", "none"),
        Col("value", "float", False, "value of forming this consortium", "0"),
        Col("mandatory", "bool", False, "TRUE = must be formed", "FALSE"),
        Col("budget", "float", False, "cap on this target's spend", "no cap"),
        Col("sites", "list", True, "candidate site ids, separated by ';' (at least one)"),
        Col("max_distance_km", "float", False, "every member within this distance of the chosen site", "no limit"),
        Col("min_members", "int", False, "fewest members, the lead included", "1"),
        Col("max_members", "int", False, "most members, the lead included", "no cap"),
    ],
    "requirements": [
        Col("target", "str", True, "target id"),
        Col("capability", "str", True, "capability id (one row per target and capability)"),
        Col("level", "int", False, "minimum level the deliverer must hold, 1..9", "1"),
        Col("redundancy", "int", False, "how many distinct members must deliver it (>= 1)", "1"),
    ],
    "ties": [
        Col("a", "str", True, "actor id"),
        Col("b", "str", True, "actor id: a and b collaborated before (undirected)"),
        Col("weight", "float", False, "strength of the tie (> 0)", "1"),
    ],
    "conflicts": [
        Col("a", "str", True, "actor id"),
        Col("b", "str", True, "actor id: a and b may not sit in the same consortium"),
    ],
    "exclusive": [
        Col("group", "str", True, "group label: of the targets sharing a label at most one is formed"),
        Col("target", "str", True, "target id"),
    ],
    "fixed": [
        Col("kind", "str", True, "lead (actor must lead target), member (actor must join target), "
            "forbidden (actor may not join target) or forbidden_actor (actor joins nothing; "
            "target blank)"),
        Col("target", "str", False, "target id"),
        Col("actor", "str", True, "actor id"),
    ],
}

# Sheet order in written workbooks (README first).
ORDER = ["meta", "policy", "capabilities", "sites", "sponsors", "actors", "actor_capabilities",
         "bids", "targets", "requirements", "ties", "conflicts", "exclusive", "fixed"]

_POLICY_KINDS = {
    "total_budget": "float",
    "require_both_ends": "bool",
    "no_free_riders": "bool",
    "max_state_share": "float",
    "min_private_members": "int",
    "min_outside_members": "int",
    "chokepoints_domestic_only": "bool",
    "foreign_can_lead": "bool",
}
_POLICY_HELP = {
    "total_budget": ("cap on the total spend", "no cap"),
    "require_both_ends": ("every consortium has a research-end and a market-end member", "TRUE"),
    "no_free_riders": ("every member other than the lead delivers something", "TRUE"),
    "max_state_share": ("most state enterprises per consortium, as a share of its members (0..1)", "1"),
    "min_private_members": ("fewest private members per consortium", "0"),
    "min_outside_members": ("fewest members from outside the sponsor's region", "0"),
    "chokepoints_domestic_only": ("foreign actors may not deliver chokepoint capabilities", "TRUE"),
    "foreign_can_lead": ("foreign actors may lead", "FALSE"),
    "lead_types.research": ("actor types that may lead research targets, ';'-separated", "institute; lab"),
    "lead_types.economic": ("actor types that may lead economic targets, ';'-separated", "enterprise"),
    "weights.value": ("objective weight of the value of formed targets", "1"),
    "weights.cost": ("objective weight of the total spend", "1"),
    "weights.distance": ("objective weight of member-to-site kilometres", "0"),
    "weights.ties": ("objective weight of prior ties inside consortia", "0"),
    "incentives.<type>.bonus_rate": ("bonus on base + lead fee for actors of that type (>= 0)", "0"),
    "incentives.<type>.instruments": ("incentive instruments for that type, ';'-separated", "none"),
}
_FIXED_KINDS = {
    "lead": "lead", "leads": "lead",
    "member": "member", "members": "member",
    "forbidden": "forbidden",
    "forbidden_actor": "forbidden_actor", "forbidden_actors": "forbidden_actor",
}
_TRUE = {"true", "yes", "y", "1", "t", "x"}
_FALSE = {"false", "no", "n", "0", "f"}
_MISSING = object()


# ---------------------------------------------------------------- locations


@dataclass
class Loc:
    """Where a value came from, as the planner sees it."""

    file: str
    sheet: str | None
    row: int | None = None
    column: str | None = None
    cell: Any = None  # the value as read (for messages: "95", not "95.0")
    key_column: str | None = None  # the column naming the key (bids: target), for "unknown ..."

    def at(self, column: str | None, cell: Any = None) -> "Loc":
        return Loc(self.file, self.sheet, self.row, column, cell)

    def __str__(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)


@dataclass
class _Table:
    name: str  # canonical table name
    file: str
    sheet: str | None
    header: list[str]  # as written (stripped)
    rows: list[tuple[int, list[Any]]]  # (row number, cells)
    cols: dict[str, int] = field(default_factory=dict)  # canonical column -> index

    def loc(self, row: int | None = None, column: str | None = None) -> Loc:
        return Loc(self.file, self.sheet, row, column)


def _canon(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


def _fmt_cell(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# ---------------------------------------------------------------- reading files


def _read_xlsx(path: Path) -> list[tuple[str, str, str | None, list[Any], list[tuple[int, list[Any]]]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        # data_only: formulas give the value Excel last computed (and saved).
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise SpreadsheetError([f"{path.name}: not a readable .xlsx workbook ({e})"]) from None
    out = []
    try:
        for ws in wb.worksheets:
            rows = list(ws.iter_rows(values_only=True))
            header = list(rows[0]) if rows else []
            body = [(i + 2, list(r)) for i, r in enumerate(rows[1:])]
            out.append((ws.title, path.name, ws.title, header, body))
    finally:
        wb.close()
    return out


def _read_csv_dir(path: Path) -> list[tuple[str, str, str | None, list[Any], list[tuple[int, list[Any]]]]]:
    files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    if not files:
        raise SpreadsheetError([f"{path.name}: the folder holds no .csv files"])
    out = []
    for f in files:
        data = f.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Excel's plain "CSV" on a Chinese Windows saves GB18030/GBK.
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError as e:
                raise SpreadsheetError([f"{path.name}/{f.name}: neither UTF-8 nor GB18030 text "
                                        f"({e.reason} at byte {e.start})"]) from None
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as e:
            raise SpreadsheetError([f"{path.name}/{f.name}: not valid CSV ({e})"]) from None
        header = rows[0] if rows else []
        body = [(i + 2, list(r)) for i, r in enumerate(rows[1:])]
        out.append((f.stem, f"{path.name}/{f.name}", None, header, body))
    return out


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _cell(v: Any, kind: str) -> tuple[Any, str | None]:
    """One cell -> (typed value or _MISSING, error message)."""
    if _blank(v):
        return _MISSING, None
    if isinstance(v, str):
        v = v.strip()
    if kind == "str":
        if isinstance(v, float) and v.is_integer():
            return str(int(v)), None  # an id typed as a number
        if isinstance(v, (int, float, str)):
            return str(v), None
        return None, f"{v!r} is not text"
    if kind == "list":
        if not isinstance(v, str):
            v = _fmt_cell(v)
        return [p.strip() for p in v.split(";") if p.strip()], None
    if kind == "bool":
        if isinstance(v, bool):
            return v, None
        if isinstance(v, (int, float)) and v in (0, 1):
            return bool(v), None
        s = str(v).strip().lower()
        if s in _TRUE:
            return True, None
        if s in _FALSE:
            return False, None
        return None, f"{_fmt_cell(v)!r} is not TRUE or FALSE"
    if kind in ("float", "int"):
        if isinstance(v, bool):
            return None, f"{v!r} is not a number"
        if isinstance(v, (int, float)):
            x = float(v)
        elif isinstance(v, str):
            s = v.replace("\u00a0", "").replace(" ", "")
            try:
                x = float(s[:-1]) / 100 if s.endswith("%") else float(s)
            except ValueError:
                return None, f"{v!r} is not a number"
        else:
            return None, f"{v!r} ({type(v).__name__}) is not a number"
        if kind == "int" and math.isfinite(x) and x.is_integer():
            return int(x), None
        return x, None  # a non-integral "int" is named by the validator
    if kind == "any":
        if isinstance(v, str):
            low = v.lower()
            if low in ("true", "false"):
                return low == "true", None
            try:
                return float(v), None
            except ValueError:
                return v, None
        return v, None
    raise AssertionError(kind)


# ---------------------------------------------------------------- building the dict


class _Builder:
    def __init__(self, source: Path):
        self.source = source
        self.raw: dict[str, Any] = {}
        self.where: dict[str, Loc] = {}
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.tables: dict[str, _Table] = {}

    # ------------------------------------------------------------ tables

    def load(self) -> None:
        src = self.source
        if not src.exists():
            raise SpreadsheetError([f"{src}: no such file or folder"])
        if src.is_dir():
            sheets = _read_csv_dir(src)
        elif src.suffix.lower() in (".xlsx", ".xlsm"):
            sheets = _read_xlsx(src)
        elif src.suffix.lower() == ".csv":
            raise SpreadsheetError([f"{src.name}: give the folder that holds the CSV files "
                                    "(one file per table), not one CSV file"])
        elif src.suffix.lower() in (".xls", ".ods"):
            raise SpreadsheetError([f"{src.name}: only .xlsx workbooks are read; save it as .xlsx "
                                    "(Excel Workbook) or as a folder of CSV files"])
        else:
            raise SpreadsheetError([f"{src.name}: expected an .xlsx workbook or a folder of CSV files"])
        for title, file, sheet, header, body in sheets:
            name = _canon(title)
            if name == "readme":
                continue
            if name not in TABLES:
                self.warnings.append(f"{file}{', sheet ' + sheet if sheet else ''}: not a known table "
                                     f"(expected one of {', '.join(ORDER)}); ignored")
                continue
            if name in self.tables:
                self.errors.append(f"{file}{', sheet ' + sheet if sheet else ''}: table {name} given twice "
                                   f"(also {self.tables[name].file})")
                continue
            tab = _Table(name, file, sheet, [], [])
            self._header(tab, header)
            for num, cells in body:
                if all(_blank(c) for c in cells):
                    continue
                first = next((c for c in cells if not _blank(c)), None)
                if isinstance(first, str) and first.strip().startswith("#"):
                    continue  # a comment row
                tab.rows.append((num, cells))
            self.tables[name] = tab

    def _header(self, tab: _Table, header: list[Any]) -> None:
        known = {c.name for c in TABLES[tab.name]}
        for i, h in enumerate(header):
            if _blank(h):
                continue
            text = _fmt_cell(h).strip()
            tab.header.append(text)
            if tab.name == "actors" and text.lower().startswith("cap:"):
                key = "cap:" + text[4:].strip()
            else:
                key = _canon(text)
                if key not in known:
                    self.warnings.append(f"{tab.loc(1, text)}: unknown column (ignored)")
                    continue
            if key in tab.cols:
                self.errors.append(f"{tab.loc(1, text)}: column given twice")
                continue
            tab.cols[key] = i
        if not tab.cols and not tab.header:
            return
        for c in TABLES[tab.name]:
            if c.req and c.name not in tab.cols and not c.name.startswith("cap:"):
                self.errors.append(f"{tab.loc()}: column {c.name} is missing (required)")

    def rows(self, name: str) -> Iterable[tuple[_Table, int, dict[str, Any], dict[str, Any]]]:
        """Typed rows of a table: (table, row number, values, raw cells); bad cells are errors."""
        tab = self.tables.get(name)
        if tab is None:
            return
        if any(c.req and c.name not in tab.cols and not c.name.startswith("cap:") for c in TABLES[name]):
            return  # already reported as a missing column
        kinds = {c.name: c.kind for c in TABLES[name]}
        for num, cells in tab.rows:
            vals: dict[str, Any] = {}
            raws: dict[str, Any] = {}
            for col, idx in tab.cols.items():
                v = cells[idx] if idx < len(cells) else None
                kind = "int" if col.startswith("cap:") else kinds[col]
                val, err = _cell(v, kind)
                if err:
                    self.errors.append(f"{tab.loc(num, col)}: {err}")
                    continue
                if val is not _MISSING:
                    vals[col] = val
                    raws[col] = v
            yield tab, num, vals, raws

    def put(self, path: str, loc: Loc) -> None:
        self.where.setdefault(path, loc)

    # ------------------------------------------------------------ entity tables

    def entities(self, name: str, key: str) -> tuple[dict[str, int], list[tuple[int, dict, dict, Loc]]]:
        """A table with an ``id`` column -> list of dicts at raw[key].

        Returns id -> index and, per row, (index, values, raw cells, row location)
        for the columns that are not plain fields (cap:<id>, sites).
        """
        out: list[dict[str, Any]] = []
        index: dict[str, int] = {}
        rows = []
        for tab, num, vals, raws in self.rows(name):
            i = len(out)
            row = tab.loc(num)
            self.put(f"{key}[{i}]", row)
            obj: dict[str, Any] = {}
            for col, v in vals.items():
                if col.startswith("cap:"):
                    continue
                obj[col] = v
                self.put(f"{key}[{i}].{col}", row.at(col, raws[col]))
            out.append(obj)
            if "id" in obj:
                index.setdefault(obj["id"], i)
            rows.append((i, vals, raws, row))
        if name in self.tables:
            self.raw[key] = out
        return index, rows

    def build(self) -> dict[str, Any]:
        self.meta()
        self.policy()
        for name in ("capabilities", "sites", "sponsors"):
            self.entities(name, name)
        if "sites" not in self.tables:
            what = "sites.csv file" if self.source.is_dir() else "sheet sites"
            self.errors.append(f"{self.source.name}: no {what} (at least one candidate site is required)")
        actors, rows = self.entities("actors", "actors")
        for i, vals, raws, row in rows:
            caps = {}
            for col, v in vals.items():
                if col.startswith("cap:") and v != 0:  # blank or 0 = does not hold it
                    caps[col[4:]] = v
                    self.put(f"actors[{i}].capabilities.{col[4:]}", row.at(col, raws[col]))
            if caps:
                self.raw["actors"][i]["capabilities"] = caps
        targets, rows = self.entities("targets", "targets")
        for i, vals, raws, row in rows:
            for j, _s in enumerate(vals.get("sites", [])):
                self.put(f"targets[{i}].sites[{j}]", row.at("sites", raws.get("sites")))
        self.long_capabilities(actors)
        self.bids(actors)
        self.requirements(targets)
        self.pairs("ties")
        self.pairs("conflicts")
        self.exclusive()
        self.fixed()
        return self.raw

    def meta(self) -> None:
        tab = self.tables.get("meta")
        if tab is None:
            return
        n = 0
        for tab, num, vals, raws in self.rows("meta"):
            n += 1
            if n > 1:
                self.errors.append(f"{tab.loc(num)}: meta has one data row (name, currency); found more")
                continue
            for col, v in vals.items():
                self.raw[col] = v
                self.put(col, tab.loc(num, col))

    def policy(self) -> None:
        pol: dict[str, Any] = {}
        seen: dict[str, int] = {}
        for tab, num, vals, raws in self.rows("policy"):
            key = vals.get("key")
            if key is None:
                self.errors.append(f"{tab.loc(num, 'key')}: the key is blank")
                continue
            key = re.sub(r"\s*\.\s*", ".", key.strip())
            if key in seen:
                self.errors.append(f"{tab.loc(num, 'key')}: policy key {key!r} given twice (also row {seen[key]})")
                continue
            seen[key] = num
            if "value" not in raws:
                continue  # blank = the default
            parts = key.split(".")
            if parts[0] in ("lead_types",) or parts[-1] == "instruments" and parts[0] == "incentives":
                kind = "list"
            elif parts[0] in ("weights",) or parts[-1] == "bonus_rate":
                kind = "float"
            else:
                kind = _POLICY_KINDS.get(key, "any")
            val, err = _cell(raws["value"], kind)
            if err:
                self.errors.append(f"{tab.loc(num, 'value')}: {key}: {err}")
                continue
            node = pol
            path = "policy"
            for p in parts[:-1]:
                path += f".{p}"
                self.put(path, tab.loc(num, "key"))
                nxt = node.setdefault(p, {})
                if not isinstance(nxt, dict):
                    self.errors.append(f"{tab.loc(num, 'key')}: {key!r} conflicts with the key {p!r}")
                    break
                node = nxt
            else:
                node[parts[-1]] = val
                loc = tab.loc(num).at("value", raws["value"])
                loc.key_column = "key"  # "unknown weight 'costs'" is about the key
                self.put(f"{path}.{parts[-1]}", loc)
        if "policy" in self.tables:
            self.raw["policy"] = pol

    def long_capabilities(self, actors: dict[str, int]) -> None:
        seen: dict[tuple[str, str], int] = {}
        for tab, num, vals, raws in self.rows("actor_capabilities"):
            a, k, lvl = vals.get("actor"), vals.get("capability"), vals.get("level")
            if a is None or k is None or lvl is None:
                miss = "actor" if a is None else "capability" if k is None else "level"
                self.errors.append(f"{tab.loc(num, miss)}: required field is missing")
                continue
            if a not in actors:
                self.errors.append(f"{tab.loc(num, 'actor')}: unknown actor {a!r}")
                continue
            caps = self.raw["actors"][actors[a]].setdefault("capabilities", {})
            if k in caps:
                other = seen.get((a, k))
                where = f"row {other}" if other else "a cap: column of actors"
                self.errors.append(f"{tab.loc(num, 'capability')}: actor {a!r} already holds {k!r} ({where})")
                continue
            seen[(a, k)] = num
            if lvl == 0:
                continue
            caps[k] = lvl
            loc = tab.loc(num).at("level", raws["level"])
            loc.key_column = "capability"
            self.put(f"actors[{actors[a]}].capabilities.{k}", loc)

    def bids(self, actors: dict[str, int]) -> None:
        seen: dict[tuple[str, str], int] = {}
        for tab, num, vals, raws in self.rows("bids"):
            a, t, b = vals.get("actor"), vals.get("target"), vals.get("bid")
            if a is None or t is None or b is None:
                miss = "actor" if a is None else "target" if t is None else "bid"
                self.errors.append(f"{tab.loc(num, miss)}: required field is missing")
                continue
            if a not in actors:
                self.errors.append(f"{tab.loc(num, 'actor')}: unknown actor {a!r}")
                continue
            if (a, t) in seen:
                self.errors.append(f"{tab.loc(num, 'target')}: second bid of {a!r} for {t!r} "
                                   f"(also row {seen[(a, t)]})")
                continue
            seen[(a, t)] = num
            self.raw["actors"][actors[a]].setdefault("bids", {})[t] = b
            loc = tab.loc(num).at("bid", raws["bid"])
            loc.key_column = "target"
            self.put(f"actors[{actors[a]}].bids.{t}", loc)

    def requirements(self, targets: dict[str, int]) -> None:
        for tab, num, vals, raws in self.rows("requirements"):
            t = vals.pop("target", None)
            if t is None:
                self.errors.append(f"{tab.loc(num, 'target')}: required field is missing")
                continue
            if t not in targets:
                self.errors.append(f"{tab.loc(num, 'target')}: unknown target {t!r}")
                continue
            ti = targets[t]
            reqs = self.raw["targets"][ti].setdefault("requirements", [])
            p = f"targets[{ti}].requirements[{len(reqs)}]"
            self.put(p, tab.loc(num))
            for col, v in vals.items():
                self.put(f"{p}.{col}", tab.loc(num).at(col, raws[col]))
            reqs.append(vals)

    def pairs(self, name: str) -> None:
        out = []
        for tab, num, vals, raws in self.rows(name):
            p = f"{name}[{len(out)}]"
            self.put(p, tab.loc(num))
            for col, v in vals.items():
                self.put(f"{p}.{col}", tab.loc(num).at(col, raws[col]))
            out.append(vals)
        if name in self.tables:
            self.raw[name] = out

    def exclusive(self) -> None:
        groups: dict[str, int] = {}
        out: list[list[str]] = []
        for tab, num, vals, raws in self.rows("exclusive"):
            g, t = vals.get("group"), vals.get("target")
            if g is None or t is None:
                self.errors.append(f"{tab.loc(num, 'group' if g is None else 'target')}: required field is missing")
                continue
            if g not in groups:
                groups[g] = len(out)
                out.append([])
                self.put(f"exclusive[{groups[g]}]", tab.loc(num, "group"))
            gi = groups[g]
            self.put(f"exclusive[{gi}][{len(out[gi])}]", tab.loc(num, "target"))
            out[gi].append(t)
        if "exclusive" in self.tables:
            self.raw["exclusive"] = out

    def fixed(self) -> None:
        fx: dict[str, Any] = {}
        lead_rows: dict[str, int] = {}
        for tab, num, vals, raws in self.rows("fixed"):
            kind_text, t, a = vals.get("kind"), vals.get("target"), vals.get("actor")
            kind = _FIXED_KINDS.get(_canon(kind_text)) if kind_text else None
            if kind is None:
                self.errors.append(f"{tab.loc(num, 'kind')}: kind {kind_text!r} is not one of "
                                   "lead, member, forbidden, forbidden_actor")
                continue
            if a is None:
                self.errors.append(f"{tab.loc(num, 'actor')}: required field is missing")
                continue
            if t is None and kind != "forbidden_actor":
                self.errors.append(f"{tab.loc(num, 'target')}: a fixed {kind} needs a target")
                continue
            if kind == "lead":
                leads = fx.setdefault("leads", {})
                if t in leads:
                    self.errors.append(f"{tab.loc(num, 'target')}: target {t!r} has a fixed lead already "
                                       f"(row {lead_rows[t]})")
                    continue
                leads[t] = a
                lead_rows[t] = num
                loc = tab.loc(num, "actor")
                loc.key_column = "target"
                self.put(f"fixed.leads.{t}", loc)
            elif kind in ("member", "forbidden"):
                lst = fx.setdefault("members" if kind == "member" else "forbidden", [])
                p = f"fixed.{'members' if kind == 'member' else 'forbidden'}[{len(lst)}]"
                self.put(p, tab.loc(num))
                self.put(f"{p}[0]", tab.loc(num, "target"))
                self.put(f"{p}[1]", tab.loc(num, "actor"))
                lst.append([t, a])
            else:
                lst = fx.setdefault("forbidden_actors", [])
                self.put(f"fixed.forbidden_actors[{len(lst)}]", tab.loc(num, "actor"))
                lst.append(a)
        if "fixed" in self.tables:
            self.raw["fixed"] = fx

    # ------------------------------------------------------------ errors back to cells

    def locate(self, line: str) -> str:
        """``path: message`` from the validator -> ``file, sheet, row, column: message``."""
        path, sep, msg = line.partition(": ")
        if not sep:
            return f"{self.source.name}: {line}"
        path = path.removesuffix(" (key)")
        probe, below = path, None
        loc = self.where.get(probe)
        while loc is None:
            m = re.match(r"^(.+?)(\.[^.\[\]]+|\[\d+\])$", probe)
            if not m:
                return f"{self.source.name}: {path}: {msg}"
            probe, below = m.group(1), m.group(2)
            loc = self.where.get(probe)
        if probe != path and loc.column is None and below and below.startswith("."):
            loc = loc.at(below[1:])  # a blank cell of a row: name its column
        elif probe == path and loc.key_column:
            m = re.match(r"^unknown \w+ '(.*?)'", msg)
            if m and path.endswith("." + m.group(1)):
                loc = loc.at(loc.key_column)  # "unknown target 't9'": the cell naming t9
        return f"{loc}: {self._refs(_nicer(msg, path, loc), path, loc)}"

    def _refs(self, msg: str, path: str, here: Loc) -> str:
        """JSON paths inside a message ("also actors[0]") -> the rows they came from."""

        def repl(m: re.Match[str]) -> str:
            ref = m.group(0)
            scope = path
            while True:  # "requirements[0]" is relative to the target it sits in
                cand = f"{scope}.{ref}" if scope else ref
                loc = self.where.get(cand)
                if loc is not None and loc.row is not None:
                    if (loc.file, loc.sheet) == (here.file, here.sheet):
                        return f"row {loc.row}"
                    return f"{loc.file}{', sheet ' + loc.sheet if loc.sheet else ''}, row {loc.row}"
                if not scope:
                    return ref
                parent = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", scope)
                scope = parent if parent != scope else ""

        return re.sub(r"\b[a-z_]+(?:\.[a-z_]+)*(?:\[\d+\])+", repl, msg)


_RANGES = {"lat": "[-90, 90]", "lon": "[-180, 180]"}


def _nicer(msg: str, path: str, loc: Loc) -> str:
    """Pydantic's range messages in a planner's words, with the value as typed."""
    m = re.match(r"^(.*?): input should be (greater|less) than( or equal to)? (.+)$", msg)
    if not m:
        return msg
    shown = _fmt_cell(loc.cell) if loc.cell is not None else m.group(1)
    leaf = path.rsplit(".", 1)[-1]
    if leaf in _RANGES:
        return f"{shown} is outside {_RANGES[leaf]}"
    if leaf == "level" or ".capabilities." in path:
        return f"{shown} is outside the levels 1..9"
    op = (">" if m.group(2) == "greater" else "<") + ("=" if m.group(3) else "")
    return f"{shown} is not {op} {m.group(4)}"


def read_workbook(source: str | Path) -> tuple[dict[str, Any], list[str]]:
    """Workbook or CSV folder -> (raw instance dict, warnings); raises :class:`SpreadsheetError`.

    The dict has passed :func:`consortium.instance.from_dict`; every error names
    file, sheet, row and column.
    """
    from .instance import InstanceError, from_dict, unknown_keys

    b = _Builder(Path(source))
    b.load()
    if not b.errors:
        b.build()
    if b.errors:
        raise SpreadsheetError(b.errors, b.warnings)
    try:
        inst = from_dict(json.loads(json.dumps(b.raw)))
    except InstanceError as e:
        raise SpreadsheetError([b.locate(line) for line in e.errors], b.warnings) from None
    # A misspelt policy key ("weigths.cost") loads but does nothing: say so.
    for w in unknown_keys(inst):
        path = w.split(": ", 1)[0]
        leaf = path.rsplit(".", 1)[-1]
        b.warnings.append(b.locate(f"{path}: unknown setting {leaf!r}, ignored (check the spelling)"))
    order = ["name", "currency", *_TOP_ORDER]
    raw = {k: b.raw[k] for k in order if k in b.raw}
    return raw, b.warnings


_TOP_ORDER = ["capabilities", "sites", "sponsors", "actors", "targets", "ties", "conflicts", "exclusive",
              "policy", "fixed"]


# ---------------------------------------------------------------- writing workbooks


def _tables_of(inst: Any) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Instance -> table name -> (header, rows), cells as Python values (None = blank)."""
    d = inst.model_dump()
    caps = [c["id"] for c in d["capabilities"]]
    held = {k for a in d["actors"] for k in a["capabilities"]}
    caps += sorted(held - set(caps))  # unknown ids cannot occur in a valid instance
    out: dict[str, tuple[list[str], list[list[Any]]]] = {}

    def simple(name: str, items: list[dict[str, Any]]) -> None:
        header = [c.name for c in TABLES[name]]
        out[name] = (header, [[it.get(h) for h in header] for it in items])

    out["meta"] = (["name", "currency"], [[d.get("name"), d.get("currency")]])
    out["policy"] = (["key", "value"], _policy_rows(d["policy"]))
    simple("capabilities", d["capabilities"])
    simple("sites", d["sites"])
    simple("sponsors", d["sponsors"])
    a_head = [c.name for c in TABLES["actors"] if not c.name.startswith("cap:")]
    out["actors"] = (a_head + [f"cap:{k}" for k in caps],
                     [[a.get(h) for h in a_head] + [a["capabilities"].get(k) for k in caps]
                      for a in d["actors"]])
    out["bids"] = (["actor", "target", "bid"],
                   [[a["id"], t, b] for a in d["actors"] for t, b in a["bids"].items()])
    t_head = [c.name for c in TABLES["targets"]]
    out["targets"] = (t_head, [[("; ".join(t["sites"]) if h == "sites" else t.get(h)) for h in t_head]
                               for t in d["targets"]])
    out["requirements"] = (["target", "capability", "level", "redundancy"],
                           [[t["id"], r["capability"], r["level"], r["redundancy"]]
                            for t in d["targets"] for r in t["requirements"]])
    simple("ties", d["ties"])
    simple("conflicts", d["conflicts"])
    out["exclusive"] = (["group", "target"],
                        [[f"g{i + 1}", t] for i, g in enumerate(d["exclusive"]) for t in g])
    fx = d["fixed"]
    rows = [["lead", t, a] for t, a in fx["leads"].items()]
    rows += [["member", t, a] for t, a in fx["members"]]
    rows += [["forbidden", t, a] for t, a in fx["forbidden"]]
    rows += [["forbidden_actor", None, a] for a in fx["forbidden_actors"]]
    out["fixed"] = (["kind", "target", "actor"], rows)
    return out


def _policy_rows(p: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for k in _POLICY_KINDS:
        rows.append([k, p.get(k)])
    for mode, types in p.get("lead_types", {}).items():
        rows.append([f"lead_types.{mode}", "; ".join(types)])
    for w, v in p.get("weights", {}).items():
        rows.append([f"weights.{w}", v])
    for typ, inc in p.get("incentives", {}).items():
        rows.append([f"incentives.{typ}.bonus_rate", inc.get("bonus_rate")])
        rows.append([f"incentives.{typ}.instruments", "; ".join(inc.get("instruments", []))])
    return rows


def _readme_rows() -> list[list[str]]:
    rows = [["sheet", "column", "required", "meaning", "if blank"]]
    for name in ORDER:
        for c in TABLES[name]:
            rows.append([name, c.name, "yes" if c.req else "", c.help, c.default])
        if name == "policy":
            for k, (h, dflt) in _POLICY_HELP.items():
                rows.append(["policy", f"key = {k}", "", h, dflt])
    return rows


_README_INTRO = [
    "consortium workbook: one sheet per table (or one CSV file per table in a folder, named <sheet>.csv).",
    "Row 1 of every sheet is the header; column names are case-insensitive; rows that are blank or start with # are skipped.",
    "Only the sites sheet is required; the other sheets may be left out or empty.",
    "Capabilities of actors: columns cap:<capability id> in the actors sheet, or the actor_capabilities sheet (actor, capability, level).",
    "Convert with: consortium import WORKBOOK.xlsx -o instance.json  (errors name the file, sheet, row and column).",
]


def _write_xlsx(path: Path, tables: dict[str, tuple[list[str], list[list[Any]]]], readme: bool) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE6F0")

    def sheet(name: str, header: list[str], rows: list[list[Any]], widths: list[int] | None = None):
        ws = wb.create_sheet(name)
        ws.append(header)
        for c in ws[1]:
            c.font, c.fill = bold, fill
        for r in rows:
            ws.append([_xl(v) for v in r])
        ws.freeze_panes = "A2"
        for i, h in enumerate(header):
            w = widths[i] if widths else max([len(str(h))] + [len(_fmt_cell(r[i])) for r in rows[:200]
                                                                 if i < len(r) and r[i] is not None])
            ws.column_dimensions[get_column_letter(i + 1)].width = min(max(w + 2, 8), 60)
        return ws

    if readme:
        ws = wb.create_sheet("README")
        for line in _README_INTRO:
            ws.append([line])
        ws.append([])
        start = ws.max_row + 1
        for r in _readme_rows():
            ws.append(r)
        for c in ws[start]:
            c.font, c.fill = bold, fill
        for col, w in zip("ABCDE", (20, 34, 9, 90, 18)):
            ws.column_dimensions[col].width = w
        for row in ws.iter_rows(min_row=start + 1):
            row[3].alignment = Alignment(wrap_text=True, vertical="top")
    for name in ORDER:
        if name in tables:
            sheet(name, *tables[name])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _xl(v: Any) -> Any:
    if isinstance(v, list):
        return "; ".join(map(str, v))
    if isinstance(v, float) and math.isfinite(v) and float(f"{v:.16g}") != v:
        # openpyxl writes 16 significant digits: 0.1 + 0.2 would come back as 0.3.
        # The exact decimal as text reads back identically (and is rare).
        return repr(v)
    return v


def _csv_text(v: Any, digits: int | None = None) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        # repr is exact (instances round-trip); reports round off float noise.
        return repr(v) if digits is None else f"{v:.{digits}g}"
    if isinstance(v, list):
        return "; ".join(map(str, v))
    return str(v)


def _write_csv(path: Path, header: list[str], rows: list[list[Any]], digits: int | None = None) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow([_csv_text(v, digits) for v in r])
    path.parent.mkdir(parents=True, exist_ok=True)
    # utf-8-sig: Excel opens UTF-8 CSV correctly only with the byte-order mark.
    path.write_text(buf.getvalue(), encoding="utf-8-sig", newline="")


def _write_csv_dir(folder: Path, tables: dict[str, tuple[list[str], list[list[Any]]]], readme: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ORDER:
        if name in tables:
            _write_csv(folder / f"{name}.csv", *tables[name])
    if readme:
        rows = _readme_rows()
        _write_csv(folder / "README.csv", rows[0], rows[1:])


def instance_to_workbook(instance: Any, path: str | Path) -> Path:
    """Write an instance (an :class:`Instance`, a dict or a JSON path) as ``.xlsx`` or a CSV folder.

    A path ending in ``.xlsx`` gives a workbook, anything else a folder of CSV
    files. Importing the result gives back the same instance.
    """
    from .instance import Instance, from_dict, load

    if isinstance(instance, (str, Path)):
        instance = load(instance)
    elif isinstance(instance, dict):
        instance = from_dict(json.loads(json.dumps(instance)))
    assert isinstance(instance, Instance)
    p = Path(path)
    tables = _tables_of(instance)
    if p.suffix.lower() == ".xlsx":
        _write_xlsx(p, tables, readme=True)
    else:
        _write_csv_dir(p, tables, readme=True)
    return p


def write_template(folder: str | Path) -> list[Path]:
    """Empty workbook and CSV folder with headers, default policy rows and a README."""
    d = Path(folder)
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {}
    for name in ORDER:
        header = [c.name for c in TABLES[name] if not c.name.startswith("cap:")]
        tables[name] = (header, [])
    tables["policy"] = (["key", "value"], [[k, None] for k in _POLICY_HELP if "<type>" not in k]
                        + [[f"incentives.{t}.{f}", None] for t in ("enterprise", "sme", "institute",
                                                                    "university", "lab")
                           for f in ("bonus_rate", "instruments")])
    xlsx = d / "template.xlsx"
    _write_xlsx(xlsx, tables, readme=True)
    _write_csv_dir(d / "template-csv", tables, readme=True)
    return [xlsx, d / "template-csv"]


# ---------------------------------------------------------------- contracts export


def _money_head(label: str, currency: str | None) -> str:
    return f"{label} ({currency})" if currency else label


def contract_tables(instance: Any, solution: dict[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Contracts, consortia and KPIs of a solution as plain tables (numbers stay numbers)."""
    cur = instance.currency
    actors = {a.id: a for a in instance.actors}
    targets = {t.id: t for t in instance.targets}
    sites = {s.id: s for s in instance.sites}
    m = lambda s: _money_head(s, cur)  # noqa: E731
    head = ["target", "target name", "site", "actor", "actor name", "type", "ownership", "role",
            "deliverables (capability>=level)", m("base"), m("lead fee"), m("bonus"), m("reward"),
            "instruments"]
    rows = []
    crow = []
    for c in solution.get("consortia") or []:
        t = targets.get(c["target"])
        for k in c.get("contracts", []):
            a = actors.get(k["actor"])
            rows.append([
                c["target"], t.name if t else None, c["site"], k["actor"], a.name if a else None,
                a.type if a else None, a.ownership if a else None, k["role"],
                "; ".join(f"{d['capability']}>={d['level']}" for d in k.get("deliverables", [])),
                k.get("base"), k.get("lead_fee"), k.get("bonus"), k.get("reward"),
                "; ".join(k.get("instruments", [])),
            ])
        s = sites.get(c["site"])
        lead = actors.get(c["lead"])
        crow.append([
            c["target"], t.name if t else None, t.mode if t else None, t.sponsor if t else None,
            c["site"], s.name if s else None, c["lead"], lead.name if lead else None,
            len(c["members"]), "; ".join(c["members"]), t.value if t else None, c.get("spend"),
            t.budget if t else None, "formed",
        ])
    for u in solution.get("unformed") or []:
        t = targets.get(u["target"])
        crow.append([
            u["target"], t.name if t else None, t.mode if t else None, t.sponsor if t else None,
            None, None, None, None, 0, None, t.value if t else None, 0.0, t.budget if t else None,
            f"not formed: {u.get('reason', '')}",
        ])
    chead = ["target", "target name", "mode", "sponsor", "site", "site name", "lead", "lead name",
             "members", "member ids", m("value"), m("spend"), m("budget"), "note"]
    krows: list[list[Any]] = [
        ["instance", solution.get("instance")],
        ["status", solution.get("status")],
        ["objective", solution.get("objective")],  # weighted: not a sum of money
        ["bound", solution.get("bound")],
        ["gap", solution.get("gap")],
    ]

    def flat(prefix: str, v: Any) -> None:
        if isinstance(v, dict):
            for k2, v2 in v.items():
                flat(f"{prefix}.{k2}" if prefix else str(k2), v2)
        elif isinstance(v, list):
            krows.append([prefix, "; ".join(map(str, v))])
        else:
            krows.append([prefix, v])

    flat("", solution.get("kpis") or {})
    return {
        "contracts": (head, rows),
        "consortia": (chead, crow),
        "kpis": (["kpi", "value"], krows),
    }


def export_contracts(instance: Any, solution: dict[str, Any], path: str | Path) -> list[Path]:
    """Write the contracts of a solution to ``.xlsx`` (sheets contracts, consortia, kpis)
    or ``.csv`` (contracts; plus ``<stem>.consortia.csv`` and ``<stem>.kpis.csv``).

    ``instance`` is an :class:`Instance` (a raw dict is validated first). One row
    per contract; money columns carry the instance's currency in their header.
    Returns the files written.
    """
    from .instance import from_dict

    if isinstance(instance, dict):
        instance = from_dict(json.loads(json.dumps(instance)))
    p = Path(path)
    tabs = contract_tables(instance, solution)
    if p.suffix.lower() == ".xlsx":
        _write_contracts_xlsx(p, tabs)
        return [p]
    if p.suffix.lower() != ".csv":
        raise ValueError(f"{p.name}: contracts are written as .xlsx or .csv")
    files = [p, p.with_name(f"{p.stem}.consortia.csv"), p.with_name(f"{p.stem}.kpis.csv")]
    for f, name in zip(files, ("contracts", "consortia", "kpis")):
        _write_csv(f, *tabs[name], digits=12)
    return files


def _write_contracts_xlsx(path: Path, tabs: dict[str, tuple[list[str], list[list[Any]]]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, (header, rows) in tabs.items():
        ws = wb.create_sheet(name)
        ws.append(header)
        for c in ws[1]:
            c.font = Font(bold=True)
            c.fill = PatternFill("solid", fgColor="DDE6F0")
        for r in rows:
            ws.append(r)
        ws.freeze_panes = "A2"
        money = [i for i, h in enumerate(header) if "(" in h and h.split(" (")[0] in
                 ("base", "lead fee", "bonus", "reward", "value", "spend", "budget", "objective", "bound")]
        for i in money:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i + 1, max_col=i + 1):
                cell.number_format = "#,##0.000"
        for i, h in enumerate(header):
            w = max([len(h)] + [len(_fmt_cell(r[i])) for r in rows[:500] if r[i] is not None])
            ws.column_dimensions[get_column_letter(i + 1)].width = min(max(w + 2, 8), 50)
        if rows:
            ws.auto_filter.ref = ws.dimensions
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


# ---------------------------------------------------------------- the command


@click.command("import")
@click.argument("source", required=False, type=click.Path())
@click.option("-o", "--output", type=click.Path(),
              help="Instance JSON to write (default: stdout); with --from-instance: an .xlsx or a CSV folder.")
@click.option("--template", "template_dir", type=click.Path(file_okay=False),
              help="Write empty template.xlsx and template-csv/ (headers and README) into this folder.")
@click.option("--from-instance", "from_instance", type=click.Path(dir_okay=False),
              help="The reverse: write this instance JSON as a workbook (-o book.xlsx) or CSV folder (-o DIR).")
def import_command(source, output, template_dir, from_instance):
    """Build an instance from SOURCE: an .xlsx workbook or a folder of CSV files.

    One sheet (or CSV file) per table: meta, policy, capabilities, sites,
    sponsors, actors (capabilities as cap:<id> columns or an actor_capabilities
    sheet), bids, targets, requirements, ties, conflicts, exclusive, fixed.
    Errors name the file, sheet, row and column; exit 2.
    """
    from .cli import dumps, fail, load_instance, write_atomic

    modes = sum(x is not None for x in (source, template_dir, from_instance))
    if modes != 1:
        fail("give exactly one of SOURCE, --template DIR or --from-instance FILE")
    if template_dir:
        for p in write_template(template_dir):
            click.echo(f"wrote {p}", err=True)
        return
    if from_instance:
        if not output:
            fail("--from-instance needs -o BOOK.xlsx (or -o FOLDER for CSV files)")
        inst = load_instance(from_instance)
        out = Path(output)
        if out.suffix.lower() not in ("", ".xlsx") and not out.is_dir():
            fail(f"{output}: write a workbook (.xlsx) or a folder of CSV files (no extension)")
        instance_to_workbook(inst, out)
        click.echo(f"wrote {out}", err=True)
        return
    try:
        raw, warnings = read_workbook(source)
    except SpreadsheetError as e:
        for w in e.warnings:
            click.echo(f"warning: {w}", err=True)
        for line in e.errors:
            click.echo(f"error: {line}", err=True)
        sys.exit(2)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    from .instance import FORMAT

    raw = {"format": FORMAT, **raw}
    text = dumps(raw)
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}: {len(raw.get('targets', []))} targets, "
                   f"{len(raw.get('actors', []))} actors, {len(raw.get('sites', []))} sites", err=True)
    else:
        click.echo(text, nl=False)
