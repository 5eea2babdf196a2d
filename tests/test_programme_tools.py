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


# ---------------------------------------------------------------- sweeps


def _rows(path) -> list[dict]:
    import sqlite3

    con = sqlite3.connect(str(path))
    con.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in con.execute("SELECT * FROM scenarios ORDER BY scenario")]
        kept = {i: json.loads(s) for i, s in con.execute("SELECT scenario, solution FROM plans")}
    finally:
        con.close()
    return [dict(r, plan=kept.get(r["scenario"])) for r in rows]


def _check_rows_against_separate_solves(raw: dict, out: Path, n: int) -> list[dict]:
    from consortium.backends.base import SolverOptions
    from consortium.solving.solve import solve_instance
    from consortium.sweep import apply_overrides

    got = _rows(out)
    assert len(got) == n
    for r in got:
        variant = apply_overrides(raw, json.loads(r["overrides"]))
        ref = solve_instance(from_dict(copy.deepcopy(variant)), SolverOptions(threads=1),
                             reasons=False)
        assert r["status"] == ref.status.value, r["overrides"]
        if ref.objective is None:
            assert r["objective"] is None
            continue
        assert r["objective"] == pytest.approx(ref.objective, rel=1e-6, abs=1e-6)
        res = verify_solution(variant, r["plan"])
        assert res.ok, [v.message for v in res.violations]
        assert res.objective == pytest.approx(r["objective"], rel=1e-6, abs=1e-6)
        assert len(r["plan"]["kpis"]["by_year"]) == variant["programme"]["years"]
    return got


def test_sweep_over_a_yearly_budget_equals_separate_solves(tmp_path):
    path = REGRESSION / "r29-yearly-budgets.json"
    out = tmp_path / "yearly.sqlite"
    r = CliRunner().invoke(cli, ["sweep", str(path), "--set",
                                 "sponsors[suzhou].budget_by_year.2026=0:8:1", "-o", str(out),
                                 "--workers", "1"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    got = _check_rows_against_separate_solves(json.loads(path.read_text()), out, 9)
    objs = [g["objective"] for g in got]
    assert objs == sorted(objs)  # a larger yearly budget never lowers the objective
    assert objs[0] < objs[-1]  # and it binds


@pytest.mark.parametrize("path, values", [
    ("programme.discount_rate", "0,0.05,0.2"),
    ("policy.total_budget_by_year.2027", "4,8,20"),
    ("targets[*].duration", "1,2"),
    ("policy.min_regions", "1,2"),
    ("sponsors[zhejiang].budget_by_year.2027", "5,11"),
])
def test_sweep_accepts_the_programme_paths(tmp_path, path, values):
    src = REGRESSION / "r34-programme-combined.json"
    out = tmp_path / "s.sqlite"
    r = CliRunner().invoke(cli, ["sweep", str(src), "--set", f"{path}={values}", "-o", str(out),
                                 "--workers", "1"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    _check_rows_against_separate_solves(json.loads(src.read_text()), out, len(values.split(",")))


def test_programme_paths_set_the_instance():
    from consortium.sweep import set_path

    raw = _raw("r34-programme-combined")
    assert set_path(raw, "programme.discount_rate", 0.2)["programme"]["discount_rate"] == 0.2
    v = set_path(raw, "sponsors[zhejiang].budget_by_year.2029", 3.0)
    assert v["sponsors"][0]["budget_by_year"] == {"2026": 3.5, "2027": 11.0, "2029": 3.0}
    assert raw["sponsors"][0]["budget_by_year"] == {"2026": 3.5, "2027": 11.0}  # a copy
    v = set_path(raw, "targets[*].duration", 2)
    assert {t["duration"] for t in v["targets"]} == {2}
    assert set_path(raw, "policy.min_regions", 2)["policy"]["min_regions"] == 2
    assert set_path(raw, "policy.total_budget_by_year.2026", 1.0)["policy"][
        "total_budget_by_year"] == {"2028": 5.0, "2026": 1.0}


# ---------------------------------------------------------------- stress and marginal values


def _forbid(raw: dict, *, pair: tuple[str, str] | None = None, actors=()) -> dict:
    r = copy.deepcopy(raw)
    fx = r.setdefault("fixed", {})
    if pair is not None:
        fx.setdefault("forbidden", []).append(list(pair))
    fa = fx.setdefault("forbidden_actors", [])
    fa.extend(a for a in actors if a not in fa)
    return r


def _close(a, b) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


@pytest.mark.parametrize("name", ["r34-programme-combined", "r28-durations-capacity",
                                  "r31-fixed-starts"])
def test_marginal_values_on_a_programme_match_brute_force(name):
    from bruteforce import brute_force

    from consortium import analysis as an
    from consortium.backends.base import SolverOptions
    from consortium.solving.verified import solve_verified

    raw = _raw(name)
    inst = from_dict(copy.deepcopy(raw))
    sol = solve_verified(inst, SolverOptions(), raw=copy.deepcopy(raw)).to_dict()
    recs = an.marginal_values(inst, sol, SolverOptions(), workers=1, keep_plans=True)
    assert len(recs) == sum(len(c["members"]) for c in sol["consortia"])
    for r in recs:
        mod = _forbid(raw, pair=(r["target"], r["actor"]))
        bf = brute_force(copy.deepcopy(mod))
        if bf.objective is None:
            assert r["objective_without"] is None
            continue
        assert _close(r["objective_without"], bf.objective), (r["target"], r["actor"])
        assert _close(r["marginal_value"], sol["objective"] - bf.objective)
        if r.get("plan") is not None:
            res = verify_solution(mod, r["plan"])
            assert res.ok, [v.message for v in res.violations]
            assert all(c.get("start") is not None for c in r["plan"]["consortia"])


@pytest.mark.parametrize("name", ["r34-programme-combined", "r28-durations-capacity"])
def test_stress_on_a_programme_matches_brute_force(name):
    from bruteforce import brute_force

    from consortium import analysis as an
    from consortium.backends.base import SolverOptions
    from consortium.solving.verified import solve_verified

    raw = _raw(name)
    inst = from_dict(copy.deepcopy(raw))
    sol = solve_verified(inst, SolverOptions(), raw=copy.deepcopy(raw)).to_dict()
    scen = an.drop_each_scenarios(sol) + [an.scenario_from_spec(inst, {"drop_type": "sme"}, "s")]
    recs = an.stress_test(inst, sol, scen, SolverOptions(), workers=1, keep_plans=True)
    assert len(recs) == len(scen)
    for s, r in zip(scen, recs, strict=True):
        mod = _forbid(raw, actors=s.drop)
        bf = brute_force(copy.deepcopy(mod))
        if bf.objective is None:
            assert r["status"] == "infeasible" and r["objective_after"] is None, r["name"]
            continue
        assert _close(r["objective_after"], bf.objective), r["name"]
        if r["solved"]:
            res = verify_solution(mod, r["plan"])
            assert res.ok, [v.message for v in res.violations]


def test_cli_marginal_and_stress_on_a_programme(tmp_path):
    src = REGRESSION / "r34-programme-combined.json"
    raw = json.loads(src.read_text())
    out = tmp_path / "m.json"
    r = CliRunner().invoke(cli, ["solve", str(src), "--marginal", "-o", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["marginal"] and verify_solution(raw, data).ok
    assert all("start" in c and "end" in c for c in data["consortia"])
    out = tmp_path / "s.json"
    r = CliRunner().invoke(cli, ["stress", str(src), "--drop-each", "-o", str(out),
                                 "--workers", "1", "--no-progress"])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert len(data["stress"]) == len({a for c in data["consortia"] for a in c["members"]})


# ---------------------------------------------------------------- schema and invalid input


def _mutated(fn) -> dict:
    raw = _raw("r34-programme-combined")
    fn(raw)
    return raw


def _no_programme(d):
    del d["programme"]


def _cycle(d):
    d["targets"][0]["after"] = ["t-app"]


@pytest.mark.parametrize("mutate, where", [
    (lambda d: d["policy"]["composition"].append({"min": 1}), "policy.composition[2]"),
    (lambda d: d["policy"]["composition"].append({"types": []}), "policy.composition[2]"),
    (lambda d: d["policy"]["composition"].append({"types": ["giant"]}), "policy.composition[2]"),
    (lambda d: d["policy"]["composition"].append({"ownership": ["mixed"]}),
     "policy.composition[2]"),
    (lambda d: d["policy"]["composition"].append({"types": ["sme"], "min": -1}),
     "policy.composition[2].min"),
    (lambda d: d["policy"]["composition"].append({"types": ["sme"], "min": 3, "max": 2}),
     "policy.composition[2]"),
    (lambda d: d["targets"][0].update(composition=[{"types": ["sme"], "min": 1.5}]),
     "targets[0].composition[0].min"),
    (lambda d: d["policy"].update(min_regions=0), "policy.min_regions"),
    (lambda d: d["targets"][1].update(min_regions=0), "targets[1].min_regions"),
    (lambda d: d["programme"].pop("start"), "programme.start"),
    (lambda d: d["programme"].update(years=0), "programme.years"),
    (lambda d: d["programme"].update(discount_rate=-0.1), "programme.discount_rate"),
    (lambda d: d["programme"]["milestones"].append({"year": 2027}),
     "programme.milestones[1].min_formed"),
    (lambda d: d["programme"]["milestones"].append({"year": 2031, "min_formed": 1}),
     "programme.milestones[1].year"),
    (lambda d: d["targets"][0].update(duration=0), "targets[0].duration"),
    (lambda d: d["targets"][0].update(earliest=2025), "targets[0].earliest"),
    (lambda d: d["targets"][0].update(latest=2030), "targets[0].latest"),
    (lambda d: d["targets"][1].update(earliest=2029), "targets[1].earliest"),
    (lambda d: d["targets"][1].update(after=["t-nope"]), "targets[1].after[0]"),
    (lambda d: d["targets"][1].update(after=["t-dev"]), "targets[1].after[0]"),
    (_cycle, "targets[0].after"),
    (lambda d: d["sponsors"][0]["budget_by_year"].update({"y2027": 1.0}),
     "sponsors[0].budget_by_year.y2027"),
    (lambda d: d["sponsors"][0]["budget_by_year"].update({"2035": 1.0}),
     "sponsors[0].budget_by_year.2035"),
    (lambda d: d["sponsors"][0]["budget_by_year"].update({"2027": -1.0}),
     "sponsors[0].budget_by_year.2027"),
    (lambda d: d["policy"]["total_budget_by_year"].update({"2020": 1.0}),
     "policy.total_budget_by_year.2020"),
    (lambda d: d.update(fixed={"starts": {"t-nope": 2027}}), "fixed.starts.t-nope"),
    (lambda d: d.update(fixed={"starts": {"t-mat": 2035}}), "fixed.starts.t-mat"),
    (_no_programme, "targets[1].after: needs a programme"),
    (_no_programme, "sponsors[0].budget_by_year: needs a programme"),
    (_no_programme, "policy.total_budget_by_year: needs a programme"),
])
def test_section_7_invalid_input_names_the_path(mutate, where, tmp_path):
    from consortium.errors import InstanceError

    raw = _mutated(mutate)
    with pytest.raises(InstanceError) as e:
        from_dict(raw)
    assert any(line.startswith(where) for line in e.value.errors), e.value.errors
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(raw))
    r = CliRunner().invoke(cli, ["solve", str(f)])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_schema_documents_every_section_7_field():
    r = CliRunner().invoke(cli, ["schema"])
    assert r.exit_code == 0
    s = json.loads(r.output)
    d = s["$defs"]
    fields = {
        "Policy": ["composition", "min_regions", "total_budget_by_year"],
        "Sponsor": ["budget_by_year"],
        "Target": ["composition", "min_regions", "duration", "earliest", "latest", "after"],
        "Fixed": ["starts"],
        "CompositionRule": ["types", "ownership", "min", "max"],
        "Programme": ["start", "years", "discount_rate", "milestones"],
        "Milestone": ["year", "min_formed"],
    }
    for model, names in fields.items():
        for n in names:
            assert d[model]["properties"][n].get("description"), (model, n)
    assert s["properties"]["programme"]["description"]
    assert d["Programme"]["required"] == ["start", "years"]
    assert d["Policy"]["properties"]["min_regions"]["default"] == 1
    by_year = d["Sponsor"]["properties"]["budget_by_year"]["anyOf"][0]
    assert by_year["propertyNames"] == {"pattern": "^[0-9]+$"}
    text = (ROOT / "docs" / "FORMAT.md").read_text()
    for names in fields.values():
        for n in names:
            assert n in text, n
    for key in ("kpis.by_year", "spend_by_sponsor", "`start` and `end`"):
        assert key in text


# ---------------------------------------------------------------- generate --preset programme


@pytest.fixture(scope="module")
def programme_gen():
    from consortium.generate.generator import _Gen, _resolve

    cfg, name = _resolve("programme", None, None, None, None, 1)
    g = _Gen("programme", cfg, 1, name)
    return g, g.run()


def test_programme_preset_is_valid_and_deterministic(programme_gen, tmp_path):
    from consortium.generate import dumps_instance, generate

    g, inst = programme_gen
    assert inst["name"] == "programme-seed1"
    assert (len(inst["targets"]), len(inst["actors"])) == (50, 2000)
    from_dict(json.loads(json.dumps(inst)))
    assert dumps_instance(inst) == dumps_instance(generate(preset="programme", seed=1))
    out = tmp_path / "p.json"
    r = CliRunner().invoke(cli, ["generate", "--preset", "programme", "--seed", "1", "-o",
                                 str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_text() == dumps_instance(inst)


def test_programme_preset_has_every_section_7_feature(programme_gen):
    from consortium.solving.plan_check import plan_violations

    g, inst = programme_gen
    pr = inst["programme"]
    assert (pr["start"], pr["years"]) == (2026, 5) and pr["discount_rate"] > 0
    assert pr["milestones"] and pr["milestones"][0]["year"] == 2027
    targets = {t["id"]: t for t in inst["targets"]}
    chains = [t for t in inst["targets"] if t.get("after")]
    assert len(chains) >= 5
    assert any(targets[t["after"][0]].get("after") for t in chains)  # a 3-stage chain
    for t in chains:
        u = targets[t["after"][0]]
        assert u["mode"] == "research" and "stage" in t["name"]
        assert u.get("duration", 1) + t.get("duration", 1) <= pr["years"]
        assert not t["mandatory"] and not u["mandatory"]
    assert {t.get("duration", 1) for t in inst["targets"]} == {1, 2, 3}
    assert sum(1 for t in inst["targets"] if "latest" in t) >= 20
    comp = inst["policy"]["composition"]
    assert {"types": ["enterprise", "sme"], "min": 2} in comp
    qingdao = [{"types": ["enterprise", "sme"], "min": 3},
               {"types": ["university", "institute"], "min": 2}]
    assert any(t.get("composition") == qingdao for t in inst["targets"])
    assert sum(1 for t in inst["targets"] if t.get("min_regions") == 2) >= 5
    assert len({a["region"] for a in inst["actors"]}) >= 3
    budgeted = [s for s in inst["sponsors"] if s.get("budget") is not None]
    assert budgeted and all(len(s["budget_by_year"]) == 5 for s in budgeted)
    for s in budgeted:  # a year may pay for only part of the programme budget
        assert max(s["budget_by_year"].values()) < s["budget"] / 2
    assert len(inst["policy"]["total_budget_by_year"]) == 5
    mand = [t["id"] for t in inst["targets"] if t["mandatory"]]
    assert len(mand) == 2 and set(inst["fixed"]["starts"]) <= set(mand)
    # the witness schedule behind the milestones and the fixed start is a plan
    assert g.stage_errors == []
    plan = [{k: p[k] for k in ("target", "site", "lead", "members", "start")}
            for p in g.witness_schedule]
    assert {p["target"] for p in plan} >= set(mand)
    assert plan_violations(inst, plan) == []
    by2027 = sum(1 for p in plan if p["start"] <= 2027)
    assert pr["milestones"][0]["min_formed"] <= by2027


@pytest.mark.slow
def test_national_programme_preset():
    from consortium.generate import generate

    inst = generate(preset="national-programme", seed=1)
    assert (len(inst["targets"]), len(inst["actors"])) == (500, 15000)
    assert inst["programme"]["years"] == 5
    from_dict(json.loads(json.dumps(inst)))
    assert sum(1 for t in inst["targets"] if t.get("after")) >= 50


def test_shipped_programme_workbook_is_the_programme_demo():
    raw, warnings = read_workbook(ROOT / "instances" / "workbook" / "suzhou-programme.xlsx")
    assert warnings == []
    assert _same(raw, json.loads((ROOT / "instances" / "demo" / "suzhou-programme.json")
                                 .read_text()))


def test_infeasible_mandatory_chain_exits_1_naming_the_chain():
    r = CliRunner().invoke(cli, ["solve", str(REGRESSION / "r33-infeasible-mandatory-chain.json")])
    assert r.exit_code == 1, r.output
    assert "t3" in r.output and "t2 to deliver first" in r.output


def test_a_small_generated_programme_solves_and_verifies():
    from consortium.generate import generate
    from consortium.solving.verified import solve_verified

    raw = generate(preset="programme", targets=10, actors=300, seed=2)
    sol = solve_verified(from_dict(copy.deepcopy(raw)), raw=copy.deepcopy(raw))
    assert sol.status.value == "optimal"
    d = sol.to_dict()
    assert verify_solution(raw, d).ok
    assert len(d["kpis"]["by_year"]) == 5 and all("start" in c for c in d["consortia"])
