"""Spreadsheets in and out: instances from workbooks/CSV folders, contracts to Excel.

Planners keep actors, targets and policy in Excel, one sheet per table (or one
CSV file per table in a folder). ``consortium import`` turns such a workbook
into an instance file in three visible steps:

1. read every sheet into rows of typed cells (``_read_xlsx`` / ``_read_csv_dir``
   then ``_cell``): text in a numeric column is an error *here*, named by file,
   sheet, row and column;
2. build the raw instance dict (``_Builder``), remembering for every JSON path
   the cell or row it came from;
3. validate with :func:`consortium.io.instance.from_dict` and translate every
   ``path: message`` back to ``file, sheet, row, column: message`` - the planner
   fixes the workbook, never a JSON file they did not write.

Row numbers are those Excel shows (header = row 1). Nothing heavy is imported
at module level (openpyxl is imported when a workbook is read or written).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io.hints import did_you_mean, nearest
from .tables import _FIXED_KINDS, _POLICY_KINDS, EXAMPLE_MARK, ORDER, TABLES, example_row


class SpreadsheetError(InputError):
    """Invalid workbook. ``errors`` holds one ``file, sheet, row, column: message`` per problem."""


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

    def at(self, column: str | None, cell: Any = None) -> Loc:
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


def _read_xlsx(
               path: Path) -> list[tuple[str, str, str | None, list[Any],
                                         list[tuple[int, list[Any]]]]]:
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


def _read_csv_dir(
                  path: Path) -> list[tuple[str, str, str | None, list[Any],
                                            list[tuple[int, list[Any]]]]]:
    files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    out: list[tuple[str, str, str | None, list[Any], list[tuple[int, list[Any]]]]] = []
    if not files:
        raise SpreadsheetError([f"{path.name}: the folder holds no .csv files"])
    wrong: list[str] = []  # files separated by something else than commas, all of them
    for f in files:
        data = f.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Excel's plain "CSV" on a Chinese Windows saves GB18030/GBK.
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError as e:
                raise SpreadsheetError(
                    [
                        f"{path.name}/{f.name}: neither UTF-8 nor GB18030 text "
                        f"({e.reason} at byte {e.start})"
                    ]
                ) from None
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as e:
            raise SpreadsheetError([f"{path.name}/{f.name}: not valid CSV ({e})"]) from None
        header = rows[0] if rows else []
        sep = next((c for c in (";", "\t") if len(header) == 1 and c in header[0]), None)
        if sep is not None:
            name = "semicolons" if sep == ";" else "tabs"
            wrong.append(f"{path.name}/{f.name}, row 1: the header is one column "
                         f"{header[0][:40]!r}: the file is separated by {name}, not commas "
                         "(Excel saves so where the decimal mark is a comma); save it as "
                         "\"CSV UTF-8 (comma delimited)\"")
            continue
        body = [(i + 2, list(r)) for i, r in enumerate(rows[1:])]
        out.append((f.stem, f"{path.name}/{f.name}", None, header, body))
    if wrong:
        raise SpreadsheetError(wrong)
    return out


def _example_cells(name: str, header: list[Any], cells: list[Any]) -> set[tuple[str, str]]:
    """(column, text) of a row's cells, the example mark taken off: an example
    row as the template wrote it, or as the planner left it."""
    out = set()
    for h, c in zip(header, cells, strict=False):
        if _blank(h) or _blank(c):
            continue
        text = _fmt_cell(c).strip().removeprefix(EXAMPLE_MARK.strip()).strip()
        if isinstance(c, bool):
            text = "TRUE" if c else "FALSE"
        out.add((_canon(_fmt_cell(h)), text.lower()))
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
            raise SpreadsheetError(
                [
                    f"{src.name}: give the folder that holds the CSV files "
                    "(one file per table), not one CSV file"
                ]
            )
        elif src.suffix.lower() in (".xls", ".ods"):
            raise SpreadsheetError(
                [
                    f"{src.name}: only .xlsx workbooks are read; save it as .xlsx "
                    "(Excel Workbook) or as a folder of CSV files"
                ]
            )
        else:
            raise SpreadsheetError(
                [f"{src.name}: expected an .xlsx workbook or a folder of CSV files"]
            )
        for title, file, sheet, header, body in sheets:
            name = _canon(title)
            if name == "readme":
                continue
            if name not in TABLES:
                near = nearest(name, ORDER)
                self.warnings.append(
                    f"{file}{', sheet ' + sheet if sheet else ''}: not a known table "
                    + (f"(did you mean {near!r}?)" if near
                       else f"(expected one of {', '.join(ORDER)})") + "; ignored"
                )
                continue
            if name in self.tables:
                self.errors.append(
                    f"{file}{', sheet ' + sheet if sheet else ''}: table {name} given twice "
                    f"(also {self.tables[name].file})"
                )
                continue
            tab = _Table(name, file, sheet, [], [])
            self._header(tab, header)
            for num, cells in body:
                if all(_blank(c) for c in cells):
                    continue
                first = next((c for c in cells if not _blank(c)), None)
                if isinstance(first, str) and first.strip().startswith("#"):
                    if first.strip().startswith(EXAMPLE_MARK.strip()) \
                            and _example_cells(name, header, cells) != _example_cells(
                                name, header, example_row(name, [_canon(_fmt_cell(h))
                                                                 for h in header]) or []):
                        self.warnings.append(
                            f"{tab.loc(num)}: skipped: its first cell starts with "
                            f"'{EXAMPLE_MARK.strip()}' (the template's example row, edited?); "
                            "remove that mark to import the row")
                    continue  # a comment row (the template's example row among them)
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
            elif tab.name == "sponsors" and text.lower().startswith("budget:"):
                key = "budget:" + text[7:].strip()  # budget_by_year (SPEC 7.3)
            else:
                key = _canon(text)
                if key not in known:
                    near = nearest(key, sorted(known))
                    hint = f"; did you mean {near!r}?" if near else ""
                    self.warnings.append(f"{tab.loc(1, text)}: unknown column (ignored{hint})")
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
        if any(
            c.req and c.name not in tab.cols and not c.name.startswith("cap:") for c in TABLES[name]
        ):
            return  # already reported as a missing column
        kinds = {c.name: c.kind for c in TABLES[name]}
        for num, cells in tab.rows:
            vals: dict[str, Any] = {}
            raws: dict[str, Any] = {}
            for col, idx in tab.cols.items():
                v = cells[idx] if idx < len(cells) else None
                kind = ("int" if col.startswith("cap:") else "float" if col.startswith("budget:")
                        else kinds[col])
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

    def entities(self, name: str,
                 key: str) -> tuple[dict[str, int], list[tuple[int, dict, dict, Loc]]]:
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
                if col.startswith(("cap:", "budget:")):
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
        self.programme()
        for name in ("capabilities", "sites"):
            self.entities(name, name)
        _sponsors, rows = self.entities("sponsors", "sponsors")
        for i, vals, raws, row in rows:
            by_year = {}
            for col, v in vals.items():
                if col.startswith("budget:"):
                    by_year[col[7:]] = v
                    self.put(f"sponsors[{i}].budget_by_year.{col[7:]}", row.at(col, raws[col]))
            if by_year:
                self.raw["sponsors"][i]["budget_by_year"] = by_year
                self.put(f"sponsors[{i}].budget_by_year", row)
        if "sites" not in self.tables:
            what = "sites.csv file" if self.source.is_dir() else "sheet sites"
            self.errors.append(
                f"{self.source.name}: no {what} (at least one candidate site is required)"
            )
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
            for j, _s in enumerate(vals.get("after", [])):
                self.put(f"targets[{i}].after[{j}]", row.at("after", raws.get("after")))
        self.long_capabilities(actors)
        self.bids(actors)
        self.requirements(targets)
        self.pairs("ties")
        self.pairs("conflicts")
        self.exclusive()
        self.composition(targets)
        self.fixed()
        return self.raw

    def programme(self) -> None:
        """The ``programme`` sheet (one row: start, years, discount_rate) and the
        ``milestones`` sheet (year, min_formed) -> ``programme`` (SPEC 7.3)."""
        pr: dict[str, Any] | None = None
        for tab, num, vals, raws in self.rows("programme"):
            if pr is not None:
                self.errors.append(
                    f"{tab.loc(num)}: programme has one data row (start, years, discount_rate); "
                    "found more")
                continue
            pr = dict(vals)
            self.put("programme", tab.loc(num))
            for col in vals:
                self.put(f"programme.{col}", tab.loc(num).at(col, raws[col]))
        ms: list[dict[str, Any]] = []
        for tab, num, vals, raws in self.rows("milestones"):
            p = f"programme.milestones[{len(ms)}]"
            self.put(p, tab.loc(num))
            for col in vals:
                self.put(f"{p}.{col}", tab.loc(num).at(col, raws[col]))
            ms.append(vals)
        if ms and pr is None:
            tab = self.tables["milestones"]
            self.errors.append(f"{tab.loc()}: milestones need the programme sheet (start, years)")
            return
        if pr is not None:
            if "milestones" in self.tables:
                pr["milestones"] = ms
            self.raw["programme"] = pr

    def composition(self, targets: dict[str, int]) -> None:
        """The ``composition`` sheet: rows without a target are the policy's rules
        (rule 15), rows naming a target that target's own list (SPEC 7.1)."""
        policy: list[dict[str, Any]] = []
        own: dict[int, list[dict[str, Any]]] = {}
        for tab, num, vals, raws in self.rows("composition"):
            t = vals.pop("target", None)
            if t is None:
                lst, p = policy, f"policy.composition[{len(policy)}]"
            elif t not in targets:
                self.errors.append(f"{tab.loc(num, 'target')}: unknown target {t!r}"
                                   f"{did_you_mean(t, targets)}")
                continue
            else:
                ti = targets[t]
                lst = own.setdefault(ti, [])
                self.put(f"targets[{ti}].composition", tab.loc(num, "target"))
                if not vals:
                    continue  # the target alone: no composition rule there
                p = f"targets[{ti}].composition[{len(lst)}]"
            self.put(p, tab.loc(num))
            for col in vals:
                self.put(f"{p}.{col}", tab.loc(num).at(col, raws[col]))
            lst.append(vals)
        if policy:
            self.raw.setdefault("policy", {})["composition"] = policy
            self.put("policy.composition", self.tables["composition"].loc())
        for ti, lst in own.items():
            self.raw["targets"][ti]["composition"] = lst

    def meta(self) -> None:
        tab = self.tables.get("meta")
        if tab is None:
            return
        n = 0
        for tab, num, vals, _raws in self.rows("meta"):
            n += 1
            if n > 1:
                self.errors.append(
                    f"{tab.loc(num)}: meta has one data row (name, currency); found more"
                )
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
                self.errors.append(
                    f"{tab.loc(num, 'key')}: policy key {key!r} given twice (also row {seen[key]})"
                )
                continue
            seen[key] = num
            if "value" not in raws:
                continue  # blank = the default
            parts = key.split(".")
            if (
                parts[0] in ("lead_types",)
                or parts[-1] == "instruments"
                and parts[0] == "incentives"
            ):
                kind = "list"
            elif (parts[0] in ("weights", "total_budget_by_year")
                  or parts[-1] == "bonus_rate"):
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
                    self.errors.append(
                        f"{tab.loc(num, 'key')}: {key!r} conflicts with the key {p!r}"
                    )
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
                self.errors.append(f"{tab.loc(num, 'actor')}: unknown actor {a!r}"
                                   f"{did_you_mean(a, actors)}")
                continue
            caps = self.raw["actors"][actors[a]].setdefault("capabilities", {})
            if k in caps:
                other = seen.get((a, k))
                where = f"row {other}" if other else "a cap: column of actors"
                self.errors.append(
                    f"{tab.loc(num, 'capability')}: actor {a!r} already holds {k!r} ({where})"
                )
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
                self.errors.append(f"{tab.loc(num, 'actor')}: unknown actor {a!r}"
                                   f"{did_you_mean(a, actors)}")
                continue
            if (a, t) in seen:
                self.errors.append(
                    f"{tab.loc(num, 'target')}: second bid of {a!r} for {t!r} "
                    f"(also row {seen[(a, t)]})"
                )
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
                self.errors.append(f"{tab.loc(num, 'target')}: unknown target {t!r}"
                                   f"{did_you_mean(t, targets)}")
                continue
            ti = targets[t]
            reqs = self.raw["targets"][ti].setdefault("requirements", [])
            p = f"targets[{ti}].requirements[{len(reqs)}]"
            self.put(p, tab.loc(num))
            for col in vals:
                self.put(f"{p}.{col}", tab.loc(num).at(col, raws[col]))
            reqs.append(vals)

    def pairs(self, name: str) -> None:
        out: list[dict[str, Any]] = []
        for tab, num, vals, raws in self.rows(name):
            p = f"{name}[{len(out)}]"
            self.put(p, tab.loc(num))
            for col in vals:
                self.put(f"{p}.{col}", tab.loc(num).at(col, raws[col]))
            out.append(vals)
        if name in self.tables:
            self.raw[name] = out

    def exclusive(self) -> None:
        groups: dict[str, int] = {}
        out: list[list[str]] = []
        for tab, num, vals, _raws in self.rows("exclusive"):
            g, t = vals.get("group"), vals.get("target")
            if g is None or t is None:
                self.errors.append(
                    f"{tab.loc(num, 'group' if g is None else 'target')}: required field is missing"
                )
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
        for tab, num, vals, _raws in self.rows("fixed"):
            kind_text, t, a = vals.get("kind"), vals.get("target"), vals.get("actor")
            kind = _FIXED_KINDS.get(_canon(kind_text)) if kind_text else None
            if kind is None:
                self.errors.append(
                    f"{tab.loc(num, 'kind')}: kind {kind_text!r} is not one of "
                    "lead, member, forbidden, forbidden_actor, start"
                )
                continue
            if kind == "start":
                year = vals.get("year")
                if t is None or year is None:
                    miss = "target" if t is None else "year"
                    self.errors.append(f"{tab.loc(num, miss)}: a fixed start needs a target and "
                                       "a year")
                    continue
                starts = fx.setdefault("starts", {})
                if t in starts:
                    self.errors.append(f"{tab.loc(num, 'target')}: target {t!r} has a fixed start "
                                       "already")
                    continue
                starts[t] = year
                loc = tab.loc(num).at("year", _raws.get("year"))
                loc.key_column = "target"
                self.put(f"fixed.starts.{t}", loc)
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
                    self.errors.append(
                        f"{tab.loc(num, 'target')}: target {t!r} has a fixed lead already "
                        f"(row {lead_rows[str(t)]})"
                    )
                    continue
                leads[t] = a
                lead_rows[str(t)] = num
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

    The dict has passed :func:`consortium.io.instance.from_dict`; every error names
    file, sheet, row and column.
    """
    from ..io.instance import InstanceError, from_dict, unknown_keys

    b = _Builder(Path(source))
    b.load()
    if not b.errors:
        b.build()
    if b.errors:
        raise SpreadsheetError(b.errors, b.warnings)
    if not any(b.raw.get(k) for k in ("sites", "actors", "targets")):
        b.warnings.append(
            f"{b.source.name}: no sites, actors or targets: the sheets hold no data rows (the "
            f"template's example rows start with '{EXAMPLE_MARK.strip()}' and are skipped); "
            "the instance is empty")
    try:
        inst = from_dict(json.loads(json.dumps(b.raw)))
    except InstanceError as e:
        raise SpreadsheetError([b.locate(line) for line in e.errors], b.warnings) from None
    # A misspelt policy key ("weigths.cost") loads but does nothing: say so.
    for w in unknown_keys(inst):
        path = w.split(": ", 1)[0]
        leaf = path.rsplit(".", 1)[-1]
        b.warnings.append(
            b.locate(f"{path}: unknown setting {leaf!r}, ignored (check the spelling)")
        )
    order = ["name", "currency", *_TOP_ORDER]
    raw = {k: b.raw[k] for k in order if k in b.raw}
    return raw, b.warnings


_TOP_ORDER = [
    "capabilities",
    "sites",
    "sponsors",
    "actors",
    "targets",
    "ties",
    "conflicts",
    "exclusive",
    "policy",
    "fixed",
    "programme",
]
