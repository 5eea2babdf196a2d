"""The contracts of a solution as a spreadsheet: ``.xlsx`` (sheets contracts,
consortia, kpis) or ``.csv`` (three files), in the layout of
:func:`consortium.result.tables.solution_tables`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..io.jsonfile import atomic_path
from ..result.money import digits
from ..result.solution import Solution
from ..result.tables import solution_tables
from .reader import _fmt_cell
from .writer import _write_csv


def export_contracts(instance: Any, solution: Solution | dict[str, Any],
                     path: str | Path) -> list[Path]:
    """Write the contracts of a solution to ``.xlsx`` (sheets contracts, consortia, kpis)
    or ``.csv`` (contracts; plus ``<stem>.consortia.csv`` and ``<stem>.kpis.csv``).
    With a programme (SPEC 7.3) contracts and consortia carry start and end
    years, and a ``by_year`` sheet (``<stem>.by_year.csv``) the spend per year.

    ``instance`` is an :class:`Instance` (a raw dict is validated first). One row
    per contract; money columns carry the instance's currency in their header.
    Returns the files written.
    """
    import json

    from ..io.instance import from_dict

    if isinstance(instance, dict):
        instance = from_dict(json.loads(json.dumps(instance)))
    p = Path(path)
    tabs = solution_tables(Solution.coerce(solution), instance)
    if p.suffix.lower() == ".xlsx":
        _write_contracts_xlsx(p, tabs, digits(instance.currency))
        return [p]
    if p.suffix.lower() != ".csv":
        raise ValueError(f"{p.name}: contracts are written as .xlsx or .csv")
    names = [n for n in ("contracts", "consortia", "kpis", "by_year") if n in tabs]
    files = [p] + [p.with_name(f"{p.stem}.{n}.csv") for n in names[1:]]
    for f, name in zip(files, names, strict=True):
        _write_csv(f, *tabs[name], digits=12)
    return files


def _write_contracts_xlsx(path: Path, tabs: dict[str, tuple[list[str], list[list[Any]]]],
                          nd: int = 2) -> None:
    """Cells keep the exact figures (the rewards of a consortium still sum to
    its spend); money shows at the currency's precision (``nd`` decimals)."""
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
        money = [
            i
            for i, h in enumerate(header)
            if "(" in h
            and h.split(" (")[0]
            in (
                "base",
                "lead fee",
                "bonus",
                "reward",
                "value",
                "spend",
                "budget",
                "objective",
                "bound",
            )
        ]
        for i in money:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i + 1, max_col=i + 1):
                cell.number_format = "#,##0" + ("." + "0" * nd if nd else "")
        for i, h in enumerate(header):
            w = max([len(h)] + [len(_fmt_cell(r[i])) for r in rows[:500] if r[i] is not None])
            ws.column_dimensions[get_column_letter(i + 1)].width = min(max(w + 2, 8), 50)
        if rows:
            ws.auto_filter.ref = ws.dimensions
    with atomic_path(path) as tmp:
        wb.save(tmp)
