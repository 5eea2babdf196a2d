"""SPEC section 7 through the rest of the product: the programme presets of
``consortium generate``, workbooks and CSV folders, contracts exports, sweeps,
stress tests and marginal values, the JSON Schema. Every plan is verified."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from consortium.cli import cli
from consortium.io.instance import from_dict
from consortium.spreadsheet import (
    SpreadsheetError,
    export_contracts,
    instance_to_workbook,
    read_workbook,
    write_template,
)
from consortium.verify import verify_solution

ROOT = Path(__file__).resolve().parents[1]
REGRESSION = ROOT / "instances" / "regression"
PROGRAMME_FILES = sorted(p for p in REGRESSION.glob("r*.json")
                         if not p.name.endswith(".expected.json")
                         and int(p.name[1:3]) >= 25)


def _raw(name: str) -> dict:
    return json.loads((REGRESSION / f"{name}.json").read_text())


def _same(a: dict, b: dict) -> bool:
    return from_dict(json.loads(json.dumps(a))).model_dump() == from_dict(
        json.loads(json.dumps(b))).model_dump()


def test_programme_regression_files_exist():
    assert len(PROGRAMME_FILES) >= 8
    for p in PROGRAMME_FILES:
        assert p.with_name(p.stem + ".expected.json").exists()


# ---------------------------------------------------------------- workbooks


@pytest.mark.parametrize("suffix", ["book.xlsx", "book-csv"])
@pytest.mark.parametrize("path", PROGRAMME_FILES, ids=[p.stem for p in PROGRAMME_FILES])
def test_programme_fields_round_trip_workbook(tmp_path, path, suffix):
    raw = json.loads(path.read_text())
    back, warnings = read_workbook(instance_to_workbook(raw, tmp_path / suffix))
    assert warnings == []
    assert _same(back, raw)


def test_round_trip_of_every_section_7_field(tmp_path):
    """A target's empty composition, ownership-only rules, max without min,
    several milestones, fixed starts, yearly caps of sponsors and programme."""
    raw = _raw("r34-programme-combined")
    raw["targets"][3]["composition"] = []
    raw["targets"][0]["composition"] = [{"ownership": ["private"], "max": 3},
                                        {"types": ["sme"], "ownership": ["state", "private"],
                                         "min": 1}]
    raw["targets"][0]["earliest"], raw["targets"][0]["latest"] = 2026, 2027
    raw["policy"]["min_regions"] = 1
    raw["programme"]["milestones"].append({"year": 2029, "min_formed": 1})
    raw["fixed"] = {"starts": {"t-free": 2027}}
    for suffix in ("all.xlsx", "all-csv"):
        back, _ = read_workbook(instance_to_workbook(raw, tmp_path / suffix))
        assert _same(back, raw), suffix
        assert back["targets"][3]["composition"] == []
        assert back["fixed"]["starts"] == {"t-free": 2027}


def test_workbook_programme_sheets_as_a_planner_writes_them(tmp_path):
    book = instance_to_workbook(_raw("r34-programme-combined"), tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(book)
    assert [c.value for c in wb["programme"][1]] == ["start", "years", "discount_rate"]
    assert [c.value for c in wb["milestones"][2]] == [2027, 2]
    assert "budget:2026" in [c.value for c in wb["sponsors"][1]]
    head = [c.value for c in wb["targets"][1]]
    for col in ("duration", "earliest", "latest", "after", "min_regions"):
        assert col in head
    after = [r[head.index("after")] for r in wb["targets"].iter_rows(min_row=2, values_only=True)]
    assert "t-mat" in after
    policy = dict(wb["policy"].iter_rows(min_row=2, values_only=True))
    assert policy["total_budget_by_year.2028"] == 5.0
    comp = list(wb["composition"].iter_rows(values_only=True))
    assert comp[0] == ("target", "types", "ownership", "min", "max")
    assert comp[1][:4] == (None, "enterprise; sme", None, 1)


def _csv_book(tmp_path, name="r34-programme-combined") -> Path:
    return instance_to_workbook(_raw(name), tmp_path / "book-csv")


def _edit(folder: Path, table: str, row: int, column: str, value: str) -> None:
    f = folder / f"{table}.csv"
    rows = list(csv.reader(f.open(encoding="utf-8-sig", newline="")))
    if column not in rows[0]:
        rows[0].append(column)
        for r in rows[1:]:
            r.append("")
    while len(rows) < row:
        rows.append([""] * len(rows[0]))
    rows[row - 1] += [""] * (len(rows[0]) - len(rows[row - 1]))
    rows[row - 1][rows[0].index(column)] = value
    with f.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)


@pytest.mark.parametrize("table, row, column, value, expected", [
    ("targets", 3, "after", "t-nope",
     "targets.csv, row 3, column after: unknown target 't-nope'"),
    ("sponsors", 2, "budget:2035", "4",
     "sponsors.csv, row 2, column budget:2035: year 2035 is outside the programme"),
    ("milestones", 2, "year", "2040",
     "milestones.csv, row 2, column year: year 2040 is outside the programme"),
    ("targets", 2, "duration", "0", "targets.csv, row 2, column duration: 0 is not >= 1"),
    ("programme", 2, "discount_rate", "-0.1",
     "programme.csv, row 2, column discount_rate: -0.1 is not >= 0"),
    ("composition", 2, "types", "giant",
     "composition.csv, row 2, column types"),
    ("targets", 3, "earliest", "2029",
     "targets.csv, row 3, column earliest: no start year"),
])
def test_programme_workbook_errors_name_the_cell(tmp_path, table, row, column, value, expected):
    folder = _csv_book(tmp_path)
    _edit(folder, table, row, column, value)
    with pytest.raises(SpreadsheetError) as e:
        read_workbook(folder)
    assert any(expected in line for line in e.value.errors), e.value.errors


def test_programme_fields_without_a_programme_sheet(tmp_path):
    folder = _csv_book(tmp_path)
    (folder / "programme.csv").unlink()
    (folder / "milestones.csv").unlink()
    with pytest.raises(SpreadsheetError) as e:
        read_workbook(folder)
    assert any("targets.csv, row 3, column duration: needs a programme" in line
               or "needs a programme" in line for line in e.value.errors), e.value.errors


def test_fixed_start_rows(tmp_path):
    folder = _csv_book(tmp_path)
    _edit(folder, "fixed", 2, "kind", "start")
    _edit(folder, "fixed", 2, "target", "t-free")
    _edit(folder, "fixed", 2, "year", "2027")
    raw, _ = read_workbook(folder)
    assert raw["fixed"]["starts"] == {"t-free": 2027}
    _edit(folder, "fixed", 2, "year", "")
    with pytest.raises(SpreadsheetError) as e:
        read_workbook(folder)
    assert any("fixed.csv, row 2, column year: a fixed start needs a target and a year" in line
               for line in e.value.errors), e.value.errors


def test_template_covers_the_programme(tmp_path):
    xlsx, folder = write_template(tmp_path)
    wb = openpyxl.load_workbook(xlsx)
    for sheet in ("programme", "milestones", "composition"):
        assert sheet in wb.sheetnames
    readme = "\n".join(str(c) for row in wb["README"].iter_rows(values_only=True) for c in row if c)
    for text in ("budget:<year>", "total_budget_by_year.<year>", "min_regions", "after",
                 "duration", "earliest", "latest", "discount_rate", "min_formed",
                 "start (target starts in year"):
        assert text in readme, text
    for src in (xlsx, folder):
        raw, _ = read_workbook(src)
        assert "programme" not in raw
        from_dict(raw)


# ---------------------------------------------------------------- contracts


def _solve(raw: dict):
    from consortium.solving.solve import solve_instance

    sol = solve_instance(from_dict(copy.deepcopy(raw))).to_dict()
    assert verify_solution(raw, sol).ok
    return sol


def test_contracts_export_carries_years(tmp_path):
    raw = _raw("r34-programme-combined")
    sol = _solve(raw)
    export_contracts(from_dict(raw), sol, tmp_path / "c.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "c.xlsx")
    assert wb.sheetnames == ["contracts", "consortia", "kpis", "by_year"]
    rows = list(wb["contracts"].iter_rows(values_only=True))
    col = {h: i for i, h in enumerate(rows[0])}
    starts = {c["target"]: (c["start"], c["end"]) for c in sol["consortia"]}
    assert starts
    for r in rows[1:]:
        assert (r[col["start"]], r[col["end"]]) == starts[r[col["target"]]]
    by_year = list(wb["by_year"].iter_rows(values_only=True))
    assert [r[0] for r in by_year[1:]] == [2026, 2027, 2028, 2029]
    head = by_year[0]
    assert sum(r[head.index("spend (CNY million)")] for r in by_year[1:]) == pytest.approx(
        sol["kpis"]["spend"])
    files = export_contracts(from_dict(raw), sol, tmp_path / "c.csv")
    assert [f.name for f in files] == ["c.csv", "c.consortia.csv", "c.kpis.csv", "c.by_year.csv"]
    kpis = (tmp_path / "c.kpis.csv").read_text(encoding="utf-8-sig")
    assert "by_year" not in kpis
