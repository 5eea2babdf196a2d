"""Spreadsheet import (workbook / CSV folder -> instance), template, round trip and
contract export. Errors must name file, sheet, row and column as Excel shows them."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from consortium.cli import cli
from consortium.io.instance import from_dict, load
from consortium.solving.solve import solve_instance as solve
from consortium.spreadsheet import (
    SpreadsheetError,
    export_contracts,
    instance_to_workbook,
    read_workbook,
    write_template,
)
from consortium.verify import verify_solution

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "instances" / "demo" / "suzhou.json"
BOOK = ROOT / "instances" / "workbook" / "suzhou.xlsx"
CSVDIR = ROOT / "instances" / "workbook" / "suzhou-csv"


def same(a: dict, b: dict) -> bool:
    def canon(x):
        return from_dict(json.loads(json.dumps(x))).model_dump()

    return canon(a) == canon(b)


@pytest.fixture(scope="module")
def demo_raw() -> dict:
    return json.loads(DEMO.read_text())


@pytest.fixture(scope="module")
def demo_solution(demo_raw) -> dict:
    sol = solve(load(DEMO)).to_dict()
    assert verify_solution(demo_raw, sol).ok
    return sol


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def errors(source) -> list[str]:
    with pytest.raises(SpreadsheetError) as e:
        read_workbook(source)
    return e.value.errors


def edit_csv(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` as Excel shows it (header = row 1)."""
    f = folder / f"{table}.csv"
    rows = list(csv.reader(f.open(encoding="utf-8-sig", newline="")))
    rows[row - 1][rows[0].index(column)] = value
    with f.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)


def edit_xlsx(book: Path, sheet: str, row: int, column: str, value) -> None:
    wb = openpyxl.load_workbook(book)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    ws.cell(row=row, column=header.index(column) + 1, value=value)
    wb.save(book)


@pytest.fixture
def csv_copy(tmp_path) -> Path:
    d = tmp_path / "book-csv"
    shutil.copytree(CSVDIR, d)
    return d


@pytest.fixture
def xlsx_copy(tmp_path) -> Path:
    p = tmp_path / "actors.xlsx"
    shutil.copy(BOOK, p)
    return p


# ---------------------------------------------------------------- shipped examples, round trip


@pytest.mark.parametrize("source", [BOOK, CSVDIR], ids=["xlsx", "csv"])
def test_shipped_examples_are_the_demo(source, demo_raw):
    raw, warnings = read_workbook(source)
    assert warnings == []
    assert same(raw, demo_raw)


@pytest.mark.parametrize("suffix", ["book.xlsx", "book-csv"])
def test_round_trip_instance_workbook_instance(tmp_path, demo_raw, suffix):
    out = instance_to_workbook(load(DEMO), tmp_path / suffix)
    raw, _ = read_workbook(out)
    assert from_dict(raw).model_dump() == from_dict(demo_raw).model_dump()


def test_round_trip_of_defaults_and_awkward_values(tmp_path, tiny):
    """Floats that are not short decimals, absent optionals, fixed decisions, exclusive groups."""
    tiny = json.loads(json.dumps(tiny))
    tiny["actors"][0]["cost"] = 0.1 + 0.2  # 0.30000000000000004 must survive CSV
    tiny["policy"] = {"weights": {"distance": 1 / 3}, "lead_types": {"research": ["institute",
                                                                                  "university"]},
                      "incentives": {"sme": {"bonus_rate": 0.15, "instruments": []}}}
    for suffix in ("t.xlsx", "t-csv"):
        raw, _ = read_workbook(instance_to_workbook(tiny, tmp_path / suffix))
        assert same(raw, tiny), suffix


def test_cli_import_and_from_instance(tmp_path, demo_raw):
    r = run("import", "--from-instance", str(DEMO), "-o", str(tmp_path / "b.xlsx"))
    assert r.exit_code == 0, r.output
    r = run("import", str(tmp_path / "b.xlsx"), "-o", str(tmp_path / "i.json"))
    assert r.exit_code == 0, r.output
    out = json.loads((tmp_path / "i.json").read_text())
    assert out["format"] == "consortium-instance/1"
    assert same(out, demo_raw)
    # stdout without -o
    r = run("import", str(CSVDIR))
    assert r.exit_code == 0 and same(json.loads(r.stdout), demo_raw)


def test_imported_instance_solves_and_verifies(tmp_path):
    raw, _ = read_workbook(CSVDIR)
    sol = solve(from_dict(json.loads(json.dumps(raw)))).to_dict()
    assert sol["status"] == "optimal"
    assert verify_solution(raw, sol).ok
    assert sol["objective"] == pytest.approx(204.9881516420551, rel=1e-6)


def test_long_capabilities_sheet_equals_cap_columns(csv_copy, demo_raw):
    rows = list(csv.reader((csv_copy / "actors.csv").open(encoding="utf-8-sig", newline="")))
    caps = [i for i, h in enumerate(rows[0]) if h.startswith("cap:")]
    long = [["actor", "capability", "level"]]
    for r in rows[1:]:
        long += [[r[0], rows[0][i][4:], r[i]] for i in caps if r[i]]
    keep = [i for i in range(len(rows[0])) if i not in caps]
    with (csv_copy / "actors.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([[r[i] for i in keep] for r in rows])
    with (csv_copy / "actor_capabilities.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(long)
    raw, _ = read_workbook(csv_copy)
    assert same(raw, demo_raw)


# ---------------------------------------------------------------- errors name file, sheet, row,
# column


def test_xlsx_range_error_names_sheet_row_column(xlsx_copy):
    edit_xlsx(xlsx_copy, "actors", 17, "lat", 95)
    errs = errors(xlsx_copy)
    assert errs == ["actors.xlsx, sheet actors, row 17, column lat: 95 is outside [-90, 90]"]


def test_xlsx_text_in_numeric_column(xlsx_copy):
    edit_xlsx(xlsx_copy, "actors", 5, "cost", "twelve")
    edit_xlsx(xlsx_copy, "targets", 3, "mandatory", "maybe")
    errs = errors(xlsx_copy)
    assert errs == [
        "actors.xlsx, sheet actors, row 5, column cost: 'twelve' is not a number",
        "actors.xlsx, sheet targets, row 3, column mandatory: 'maybe' is not TRUE or FALSE",
    ]


def test_cli_error_lines_exit_2_nothing_written(xlsx_copy, tmp_path):
    edit_xlsx(xlsx_copy, "actors", 17, "lat", 95)
    edit_xlsx(xlsx_copy, "actors", 9, "type", "firm")
    out = tmp_path / "out.json"
    r = run("import", str(xlsx_copy), "-o", str(out))
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert lines[0].startswith("error: actors.xlsx, sheet actors, row 9, column type:")
    assert "error: actors.xlsx, sheet actors, row 17, column lat: 95 is outside [-90, 90]" in lines
    assert "Traceback" not in r.output
    assert not out.exists()


@pytest.mark.parametrize(
    "table,row,column,value,expected",
    [
        ("requirements", 4, "capability", "gan-epix",
         "requirements.csv, row 4, column capability: unknown capability 'gan-epix' "
         "(did you mean 'gan-epi'?)"),
        ("bids", 2, "target", "t-nope", "bids.csv, row 2, column target: unknown target 't-nope'"),
        ("bids", 2, "bid", "-1", "bids.csv, row 2, column bid: -1 is not >= 0"),
        ("bids", 2, "actor", "ghost", "bids.csv, row 2, column actor: unknown actor 'ghost'"),
        ("targets", 3, "sites", "sip; nowhere",
         "targets.csv, row 3, column sites: unknown site 'nowhere'"),
        ("targets", 2, "mode", "", "targets.csv, row 2, column mode: required field is missing"),
        ("actors", 7, "cap:sic-epi", "12",
         "actors.csv, row 7, column cap:sic-epi: 12 is outside the levels 1..9"),
        ("actors", 3, "max_consortia", "1.5",
         "actors.csv, row 3, column max_consortia: expected an integer, got 1.5"),
        ("ties", 3, "weight", "0", "ties.csv, row 3, column weight: 0 is not > 0"),
        ("exclusive", 2, "target", "t-zzz",
         "exclusive.csv, row 2, column target: unknown target 't-zzz'"),
        ("fixed", 2, "actor", "ghost", "fixed.csv, row 2, column actor: unknown actor 'ghost'"),
        ("fixed", 2, "kind", "boss",
         "fixed.csv, row 2, column kind: kind 'boss' is not one of lead, member, "
                                     "forbidden, forbidden_actor, start"),
        ("policy", 12, "key", "weights.costs",
         "policy.csv, row 12, column key: unknown weight 'costs' (expected value, cost, distance, "
         "ties)"),
        ("policy", 5, "value", "lots",
         "policy.csv, row 5, column value: max_state_share: 'lots' is not a number"),
        ("sites", 2, "lon", "181", "sites.csv, row 2, column lon: 181 is outside [-180, 180]"),
        # cross-field rules; JSON paths inside messages become rows too
        ("actors", 4, "id", "cass-3g",
         "actors.csv, row 4, column id: duplicate id 'cass-3g' (also row 2)"),
        ("requirements", 3, "capability", "sic-substrate",
         "requirements.csv, row 3, column capability: "
                                                            "capability 'sic-substrate' already "
                                                            "required by row 2"),
        ("targets", 3, "min_members", "20",
         "targets.csv, row 3, column min_members: min_members 20 > max_members 8"),
        ("ties", 2, "b", "cass-3g", "ties.csv, row 2: self-tie of actor 'cass-3g'"),
        ("fixed", 2, "actor", "nju",
         "fixed.csv, row 2, column actor: actor 'nju' may not lead 't-laser' "
                                     "(it has no lead_cost)"),
    ],
)
def test_csv_errors(csv_copy, table, row, column, value, expected):
    edit_csv(csv_copy, table, row, column, value)
    errs = errors(csv_copy)
    assert errs[0] == f"{csv_copy.name}/{expected}"


def test_every_error_is_reported_once_per_line(csv_copy):
    edit_csv(csv_copy, "actors", 5, "cost", "x")
    edit_csv(csv_copy, "actors", 6, "lat", "north")
    errs = errors(csv_copy)
    assert len(errs) == 2 and all(e.startswith(f"{csv_copy.name}/actors.csv, row ") for e in errs)


def test_missing_required_column_and_duplicates(csv_copy):
    rows = list(csv.reader((csv_copy / "sites.csv").open(encoding="utf-8-sig")))
    with (csv_copy / "sites.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([r[:3] for r in rows])  # drop lon
    assert errors(csv_copy) == [f"{csv_copy.name}/sites.csv: column lon is missing (required)"]


def test_duplicate_policy_key_and_bid(csv_copy):
    with (csv_copy / "policy.csv").open("a", encoding="utf-8", newline="") as f:
        f.write("weights.cost,2\r\n")
    with (csv_copy / "bids.csv").open(encoding="utf-8-sig") as f:
        first_bid = f.read().splitlines()[1]
    with (csv_copy / "bids.csv").open("a", encoding="utf-8", newline="") as f:
        f.write(first_bid + "\r\n")
    errs = errors(csv_copy)
    assert any("policy.csv, row 26, column key: policy key 'weights.cost' given twice "
               "(also row 13)" in e
               for e in errs)
    assert any("bids.csv" in e and "second bid" in e for e in errs)


def test_misspelt_policy_key_warns(csv_copy):
    with (csv_copy / "policy.csv").open("a", encoding="utf-8", newline="") as f:
        f.write("max_state_shares,0.3\r\n")
    _raw, warnings = read_workbook(csv_copy)
    assert warnings == [f"{csv_copy.name}/policy.csv, row 26, column key: unknown setting "
                        "'max_state_shares', ignored (check the spelling)"]


def test_unreadable_sources(tmp_path):
    assert errors(tmp_path / "nope.xlsx")[0].endswith("no such file or folder")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    assert "save it as .xlsx" in errors(tmp_path / "old.xls")[0]
    (tmp_path / "junk.xlsx").write_text("not a zip")
    assert "not a readable .xlsx workbook" in errors(tmp_path / "junk.xlsx")[0]
    (tmp_path / "empty").mkdir()
    assert "no .csv files" in errors(tmp_path / "empty")[0]


def test_gbk_csv_and_excel_conveniences(tmp_path):
    """Excel on a Chinese Windows saves GBK; TRUE/FALSE, 50 %, comment and blank rows are read."""
    d = tmp_path / "gbk"
    d.mkdir()
    sites = "id,name,lat,lon\n# 注释\n\nsip,苏州工业园区,31.3,120.7\n"
    (d / "sites.csv").write_bytes(sites.encode("gbk"))
    (d / "policy.csv").write_text("key,value\nmax_state_share,50%\nno_free_riders,FALSE\n",
                                  encoding="utf-8")
    raw, _ = read_workbook(d)
    assert raw["sites"] == [{"id": "sip", "name": "苏州工业园区", "lat": 31.3, "lon": 120.7}]
    assert raw["policy"] == {"max_state_share": 0.5, "no_free_riders": False}


# ---------------------------------------------------------------- template


def test_template_has_headers_readme_and_imports_empty(tmp_path):
    xlsx, folder = write_template(tmp_path)
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames[0] == "README"
    readme = "\n".join(str(c) for row in wb["README"].iter_rows(values_only=True) for c in row if c)
    for col in ("cap:<id>", "lead_cost", "redundancy", "forbidden_actor",
                "incentives.<type>.instruments"):
        assert col in readme
    assert [c.value for c in wb["actors"][1]][:3] == ["id", "name", "type"]
    assert [c.value for c in wb["requirements"][1]] == ["target", "capability", "level",
                                                        "redundancy"]
    assert (folder / "README.csv").exists() and (folder / "actor_capabilities.csv").exists()
    for src in (xlsx, folder):
        raw, _ = read_workbook(src)
        from_dict(raw)  # empty but valid: blank policy values keep their defaults
        assert raw["policy"] == {}
    r = run("import", "--template", str(tmp_path / "t2"))
    assert r.exit_code == 0 and (tmp_path / "t2" / "template.xlsx").exists()


# ---------------------------------------------------------------- contracts export


def test_export_contracts_xlsx(tmp_path, demo_solution):
    inst = load(DEMO)
    export_contracts(inst, demo_solution, tmp_path / "contracts.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "contracts.xlsx")
    assert wb.sheetnames == ["contracts", "consortia", "kpis"]
    rows = list(wb["contracts"].iter_rows(values_only=True))
    head = list(rows[0])
    for h in ("target", "site", "actor", "actor name", "type", "ownership", "role",
              "reward (CNY million)", "lead fee (CNY million)", "bonus (CNY million)",
              "instruments"):
        assert h in head
    n = sum(len(c["contracts"]) for c in demo_solution["consortia"])
    assert len(rows) == n + 1
    col = {h: i for i, h in enumerate(head)}
    for c in demo_solution["consortia"]:
        mine = [r for r in rows[1:] if r[col["target"]] == c["target"]]
        assert {r[col["actor"]] for r in mine} == set(c["members"])
        assert all(isinstance(r[col["reward (CNY million)"]], (int, float)) for r in mine)
        assert sum(r[col["reward (CNY million)"]] for r in mine) == pytest.approx(c["spend"])
        lead = [r for r in mine if r[col["role"]] == "lead"]
        assert [r[col["actor"]] for r in lead] == [c["lead"]]
    crit = rows[1][col["deliverables (capability>=level)"]]
    assert ">=" in crit
    cons = list(wb["consortia"].iter_rows(values_only=True))
    assert len(cons) == 1 + len(demo_solution["consortia"]) + len(demo_solution["unformed"])
    kpis = dict(list(wb["kpis"].iter_rows(values_only=True))[1:])
    assert kpis["status"] == "optimal"
    assert kpis["objective"] == pytest.approx(demo_solution["objective"])


def test_export_contracts_csv(tmp_path, demo_solution):
    files = export_contracts(load(DEMO), demo_solution, tmp_path / "plan.csv")
    assert [f.name for f in files] == ["plan.csv", "plan.consortia.csv", "plan.kpis.csv"]
    rows = list(csv.DictReader((tmp_path / "plan.csv").open(encoding="utf-8-sig")))
    assert len(rows) == sum(len(c["contracts"]) for c in demo_solution["consortia"])
    total = sum(float(r["reward (CNY million)"]) for r in rows)
    assert total == pytest.approx(demo_solution["kpis"]["spend"], rel=1e-9)
    assert all(float(r["bonus (CNY million)"]) >= 0 for r in rows)


def test_export_without_currency(tmp_path, tiny):
    tiny = {k: v for k, v in tiny.items() if k != "currency"}
    inst = from_dict(tiny)
    sol = solve(inst).to_dict()
    assert verify_solution(tiny, sol).ok
    export_contracts(inst, sol, tmp_path / "c.csv")
    head = (tmp_path / "c.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "reward" in head.split(",") and "(" not in head.split("reward")[1].split(",")[0]
