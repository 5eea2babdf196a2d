"""Instances written as workbooks or CSV folders (importing one gives back the
same instance), and the empty template with its README sheet."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from ..io.jsonfile import atomic_path, write_atomic
from .reader import _fmt_cell
from .tables import _POLICY_HELP, _POLICY_KINDS, EXAMPLE_MARK, ORDER, TABLES, dropdown, example_row

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
    years = sorted({y for sp in d["sponsors"] for y in (sp.get("budget_by_year") or {})}, key=int)
    s_head = [c.name for c in TABLES["sponsors"] if ":" not in c.name]
    out["sponsors"] = (
        s_head + [f"budget:{y}" for y in years],
        [[sp.get(h) for h in s_head] + [(sp.get("budget_by_year") or {}).get(y) for y in years]
         for sp in d["sponsors"]],
    )
    pr = d.get("programme")
    if pr is not None:
        out["programme"] = (["start", "years", "discount_rate"],
                            [[pr["start"], pr["years"], pr["discount_rate"]]])
        out["milestones"] = (["year", "min_formed"],
                             [[m["year"], m["min_formed"]] for m in pr["milestones"]])
    comp: list[list[Any]] = [_rule_row(None, r) for r in d["policy"].get("composition") or []]
    for t in d["targets"]:
        if t.get("composition") is not None:
            comp += [_rule_row(t["id"], r) for r in t["composition"]] or [[t["id"]]]
    out["composition"] = ([c.name for c in TABLES["composition"]], comp)
    a_head = [c.name for c in TABLES["actors"] if not c.name.startswith("cap:")]
    out["actors"] = (
        a_head + [f"cap:{k}" for k in caps],
        [
            [a.get(h) for h in a_head] + [a["capabilities"].get(k) for k in caps]
            for a in d["actors"]
        ],
    )
    out["bids"] = (
        ["actor", "target", "bid"],
        [[a["id"], t, b] for a in d["actors"] for t, b in a["bids"].items()],
    )
    t_head = [c.name for c in TABLES["targets"]]
    out["targets"] = (
        t_head,
        [
            [("; ".join(t[h]) if h in ("sites", "after") else t.get(h)) for h in t_head]
            for t in d["targets"]
        ],
    )
    out["requirements"] = (
        ["target", "capability", "level", "redundancy"],
        [
            [t["id"], r["capability"], r["level"], r["redundancy"]]
            for t in d["targets"]
            for r in t["requirements"]
        ],
    )
    simple("ties", d["ties"])
    simple("conflicts", d["conflicts"])
    out["exclusive"] = (
        ["group", "target"],
        [[f"g{i + 1}", t] for i, g in enumerate(d["exclusive"]) for t in g],
    )
    fx = d["fixed"]
    rows = [["lead", t, a] for t, a in fx["leads"].items()]
    rows += [["member", t, a] for t, a in fx["members"]]
    rows += [["forbidden", t, a] for t, a in fx["forbidden"]]
    rows += [["forbidden_actor", None, a] for a in fx["forbidden_actors"]]
    rows += [["start", t, None, y] for t, y in fx["starts"].items()]
    out["fixed"] = (["kind", "target", "actor", "year"], rows)
    return out


def _rule_row(target: str | None, r: dict[str, Any]) -> list[Any]:
    """A composition rule as a row of the composition sheet."""
    return [target, r.get("types"), r.get("ownership"), r.get("min"), r.get("max")]


def _policy_rows(p: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for k in _POLICY_KINDS:
        rows.append([k, p.get(k)])
    for mode, types in p.get("lead_types", {}).items():
        rows.append([f"lead_types.{mode}", "; ".join(types)])
    for y, v in (p.get("total_budget_by_year") or {}).items():
        rows.append([f"total_budget_by_year.{y}", v])
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
    "consortium workbook: one sheet per table (or one CSV file per table in a folder, "
    "named <sheet>.csv).",
    "Row 1 of every sheet is the header; column names are case-insensitive; rows that are "
    "blank or start with # are skipped.",
    "Only the sites sheet is required; the other sheets may be left out or empty.",
    "Capabilities of actors: columns cap:<capability id> in the actors sheet, or the "
    "actor_capabilities sheet (actor, capability, level).",
    "Convert with: consortium import WORKBOOK.xlsx -o instance.json  (errors name the file, "
    "sheet, row and column).",
    f"Row 2 of the template's sheets is an example (grey; its first cell starts with "
    f"'{EXAMPLE_MARK.strip()}', so import skips it): overwrite it, first cell included, or "
    "write below it.",
    "Cells with a fixed set of values (type, ownership, mode, TRUE/FALSE, kind) and cells "
    "naming an id of another sheet (capability, actor, target, sponsor) have a dropdown.",
]


_DROPDOWN_ROWS = 1000  # data rows a dropdown covers beyond those written


def _add_dropdowns(ws: Any, name: str, header: list[str], nrows: int,
                   sizes: dict[str, int]) -> None:
    """Data validation lists on the columns that have one (:func:`.tables.dropdown`):
    a fixed set of values must be one of them; an id of another sheet gets that
    sheet's ids as the list, and a warning (not a refusal) for one not listed yet."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    last = nrows + _DROPDOWN_ROWS
    for i, h in enumerate(header):
        what = dropdown(name, h)
        if what is None:
            continue
        col = get_column_letter(i + 1)
        if isinstance(what, tuple):
            dv = DataValidation(type="list", formula1='"' + ",".join(what) + '"',
                                allow_blank=True, showErrorMessage=True, errorTitle=h,
                                error=f"{h}: one of {', '.join(what)}")
        else:
            if what not in sizes:
                continue
            end = sizes[what] + _DROPDOWN_ROWS
            dv = DataValidation(type="list", formula1=f"={what}!$A$2:$A${end}",
                                allow_blank=True, showErrorMessage=True, errorStyle="warning",
                                errorTitle=h, error=f"{h}: not an id of the {what} sheet (yet)")
        ws.add_data_validation(dv)
        dv.add(f"{col}2:{col}{last}")


def _write_xlsx(path: Path, tables: dict[str, tuple[list[str], list[list[Any]]]],
                readme: bool, examples: bool = False) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE6F0")
    grey = Font(italic=True, color="808080")
    sizes = {n: len(rows) for n, (_h, rows) in tables.items()}

    def sheet(name: str, header: list[str], rows: list[list[Any]], widths: list[int] | None = None):
        ws = wb.create_sheet(name)
        ws.append(header)
        for c in ws[1]:
            c.font, c.fill = bold, fill
        for r in rows:
            ws.append([_xl(v) for v in r])
        ws.freeze_panes = "A2"
        if examples and rows and any(isinstance(v, str) and v.startswith(EXAMPLE_MARK)
                                     for v in rows[0]):
            for c in ws[2]:
                c.font = grey
        _add_dropdowns(ws, name, header, len(rows), sizes)
        for i, h in enumerate(header):
            w = (
                widths[i]
                if widths
                else max(
                    [len(str(h))]
                    + [len(_fmt_cell(r[i])) for r in rows[:200] if i < len(r) and r[i] is not None]
                )
            )
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
        for col, w in zip("ABCDE", (20, 34, 9, 90, 18), strict=False):
            ws.column_dimensions[col].width = w
        for row in ws.iter_rows(min_row=start + 1):
            row[3].alignment = Alignment(wrap_text=True, vertical="top")
    for name in ORDER:
        if name in tables:
            sheet(name, *tables[name])
    with atomic_path(path) as tmp:
        wb.save(tmp)


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


def _write_csv(path: Path, header: list[str], rows: list[list[Any]],
               digits: int | None = None) -> None:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow([_csv_text(v, digits) for v in r])
    # utf-8-sig: Excel opens UTF-8 CSV correctly only with the byte-order mark.
    write_atomic(path, buf.getvalue(), encoding="utf-8-sig", newline="")


def _write_csv_dir(folder: Path, tables: dict[str, tuple[list[str], list[list[Any]]]],
                   readme: bool) -> None:
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
    from ..io.instance import Instance, from_dict, load

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
    """Empty workbook and CSV folder: headers, an example row per sheet (a
    comment row, which import skips), the policy keys, dropdowns (the
    workbook) and a README."""
    d = Path(folder)
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {}
    for name in ORDER:
        header = [c.name for c in TABLES[name] if ":" not in c.name]
        example = example_row(name, header)
        tables[name] = (header, [example] if example else [])
    tables["policy"] = (
        ["key", "value"],
        [[k, None] for k in _POLICY_HELP if "<" not in k]
        + [
            [f"incentives.{t}.{f}", None]
            for t in ("enterprise", "sme", "institute", "university", "lab")
            for f in ("bonus_rate", "instruments")
        ],
    )
    xlsx = d / "template.xlsx"
    _write_xlsx(xlsx, tables, readme=True, examples=True)
    _write_csv_dir(d / "template-csv", tables, readme=True)
    return [xlsx, d / "template-csv"]
