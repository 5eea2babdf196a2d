"""No traceback from any input (issue 18, point 3).

Property tests (hypothesis, derandomized: the same examples every run) over
every command that reads a file: ``solve``, ``validate``, ``verify`` (and,
exhaustively, every field of a solution replaced by every JSON type),
``import`` (mutated workbooks and CSV folders), ``sweep --scenarios``,
``report`` and ``stress --solution``. Every run must end with exit 0, 1 or 2;
a 2 with one ``error: PLACE: problem`` line; never an exception.

The default run keeps each property at a few dozen examples; ``-m slow``
runs them at ten times as many (``FUZZ_SCALE``).
"""

from __future__ import annotations

import copy
import csv
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consortium.cli import cli
from consortium.verify import format_result, verify_solution

DEMO = ROOT / "instances" / "demo" / "suzhou.json"
BOOK = ROOT / "instances" / "workbook" / "suzhou.xlsx"
CSVS = ROOT / "instances" / "workbook" / "suzhou-csv"
TINY = Path(__file__).resolve().parent / "data" / "valid" / "tiny.json"

COUNT: dict[str, int] = {"runs": 0}  # runs in this session, and by exit status (-s prints)


def fuzz(n: int, slow: bool = False):
    # CONSORTIUM_FUZZ_RANDOM=1: fresh random examples (to hunt), else the fixed ones
    fresh = bool(os.environ.get("CONSORTIUM_FUZZ_RANDOM"))
    return settings(max_examples=n * (10 if slow else 1), deadline=None, derandomize=not fresh,
                    database=None, suppress_health_check=list(HealthCheck))


# ------------------------------------------------------------ JSON mutations

EDGE_NUMBERS = [0, -1, 1, 10**30, -(10**30), 10**400, 1e308, -1e308, 1e-320, -0.0, 0.5, 1e9,
                1e-6, 2**53 + 1]
json_scalars = st.one_of(
    st.none(), st.booleans(), st.sampled_from(EDGE_NUMBERS),
    st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8), st.sampled_from(["", "sip", "t-sic", "a1", "NaN", "optimal", "☃", "\0"]),
)
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6)


def paths_of(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths_of(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths_of(v, prefix + (i,))
    return out


def get(doc: Any, path: tuple) -> Any:
    for k in path:
        doc = doc[k]
    return doc


def mutate(doc: Any, draw) -> Any:
    """One to three edits anywhere in ``doc``: replace a value by any JSON
    value, delete it, or add an unknown key."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        paths = paths_of(doc)
        path = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if not path:
            if kind == "replace":
                doc = draw(json_values)
            continue
        parent, key = get(doc, path[:-1]), path[-1]
        old = parent[key]
        if isinstance(old, (int, float)) and not isinstance(old, bool) and draw(st.booleans()):
            # a number for a number: variants that still validate, and get solved
            parent[key] = draw(st.one_of(st.sampled_from(EDGE_NUMBERS),
                                         st.floats(-1e3, 1e9, allow_nan=False)))
        elif kind == "replace":
            parent[key] = draw(json_values)
        elif kind == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=6))] = draw(json_values)
        else:
            parent.append(draw(json_values))
    return doc


def text_mutate(text: str, draw) -> str:
    """Damage the text itself: truncate, splice in bytes JSON does not allow."""
    kind = draw(st.sampled_from(["none", "none", "truncate", "splice"]))
    if kind == "truncate":
        return text[: draw(st.integers(0, max(0, len(text) - 1)))]
    if kind == "splice":
        at = draw(st.integers(0, len(text)))
        bit = draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "\ufeff", "}", "[",
                                    ",", '"', "\\", "\x00", "\ud800"]))
        return text[:at] + bit + text[at:]
    return text


@st.composite
def mutated_json(draw, base: Any) -> str:
    doc = mutate(base, draw)
    try:
        text = json.dumps(doc, ensure_ascii=False)
    except (ValueError, OverflowError):
        text = "{}"
    return text_mutate(text, draw)


# ------------------------------------------------------------ the invariant


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    return path


def check(args: list[str], one_line: bool = True) -> Any:
    """Run the command; it must end with 0, 1 or 2 and no exception; bad input
    gives one line per problem: every one (``validate``: ``one_line=False``),
    else at most the first five and a line counting the rest."""
    COUNT["runs"] += 1
    r = CliRunner().invoke(cli, [str(a) for a in args])
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(r.exception))
        raise AssertionError(f"{args[0]} raised:\n{tb}")
    assert r.exit_code in (0, 1, 2), (r.exit_code, r.output[-2000:])
    COUNT[f"exit {r.exit_code}"] = COUNT.get(f"exit {r.exit_code}", 0) + 1
    assert "Traceback" not in r.output
    if r.exit_code == 2:
        errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error: ")]
        assert errors, r.stderr
        if one_line and len(errors) > 1:
            from consortium.cli.common import SHOWN_ERRORS

            assert len(errors) <= SHOWN_ERRORS, r.stderr
        # "error: PLACE: problem" -- the place (file, sheet, JSON path, option) first
        assert all(": " in e[len("error: "):] for e in errors), errors
    return r


@pytest.fixture(scope="module")
def demo_plan(tmp_path_factory) -> dict:
    p = tmp_path_factory.mktemp("plan") / "plan.json"
    r = CliRunner().invoke(cli, ["solve", str(DEMO), "-o", str(p)])
    assert r.exit_code == 0, r.output
    return json.loads(p.read_text())


DEMO_RAW = json.loads(DEMO.read_text())
TINY_RAW = json.loads(TINY.read_text())


# ------------------------------------------------------------ solve, validate


@pytest.mark.parametrize("slow", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_solve_any_instance(tmp_path_factory, slow):
    @fuzz(30, slow)
    @given(text=mutated_json(TINY_RAW))
    def prop(text):
        p = write(tmp_path_factory.mktemp("s") / "i.json", text)
        check(["solve", p, "-o", p.with_name("plan.json")])

    prop()


@pytest.mark.parametrize("slow", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_solve_and_validate_any_demo_variant(tmp_path_factory, slow):
    @fuzz(15, slow)
    @given(text=mutated_json(DEMO_RAW))
    def prop(text):
        p = write(tmp_path_factory.mktemp("v") / "i.json", text)
        check(["validate", p], one_line=False)
        check(["solve", p, "--no-reasons", "--json"])

    prop()


# ------------------------------------------------------------ verify, report, stress


def test_verify_every_field_of_a_solution_as_every_json_type(demo_plan, tmp_path):
    """Exhaustive: every field of the plan (at most two items of each list)
    replaced by a value of each JSON type; the verifier reports, never raises."""
    one_of_each = [None, True, 7, -2.5, 10**400, "x", [], [1, "a"], {}, {"k": None}]
    plan = copy.deepcopy(demo_plan)
    for c in plan["consortia"]:
        del c["contracts"][2:]
    del plan["consortia"][2:]
    del plan["unformed"][2:]
    n = 0
    for path in paths_of(plan):
        for v in one_of_each:
            doc = copy.deepcopy(plan)
            if path:
                get(doc, path[:-1])[path[-1]] = v
            else:
                doc = v
            res = verify_solution(DEMO_RAW, doc)
            text = format_result(res)
            assert isinstance(text, str) and text
            n += 1
    # and through the command line, a sample
    for path in paths_of(plan)[::40]:
        for v in one_of_each:
            doc = copy.deepcopy(demo_plan)
            if path:
                get(doc, path[:-1])[path[-1]] = v
            else:
                doc = v
            p = write(tmp_path / "sol.json", json.dumps(doc))
            check(["verify", DEMO, p])
    COUNT["runs"] += n
    assert n > 1000


@pytest.mark.parametrize("slow", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_verify_report_stress_any_solution(tmp_path_factory, demo_plan, slow):
    @fuzz(20, slow)
    @given(text=mutated_json(demo_plan), which=st.sampled_from(["verify", "report", "stress"]))
    def prop(text, which):
        d = tmp_path_factory.mktemp("sol")
        p = write(d / "sol.json", text)
        if which == "verify":
            check(["verify", DEMO, p])
        elif which == "report":
            check(["report", DEMO, p, "-o", d / "r.html"])
        else:
            check(["stress", DEMO, "--solution", p, "--drop-foreign", "--workers", "1",
                   "-o", d / "s.json"])

    prop()


# ------------------------------------------------------------ sweep --scenarios


SCENARIOS = [{"policy.total_budget": 150}, {"sponsors[suzhou].budget": 60,
                                            "policy.weights.cost": 1.1}]


@pytest.mark.parametrize("slow", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_sweep_any_scenario_file(tmp_path_factory, slow):
    @fuzz(20, slow)
    @given(text=mutated_json(SCENARIOS), as_csv=st.booleans(), solve=st.booleans())
    def prop(text, as_csv, solve):
        d = tmp_path_factory.mktemp("sw")
        if as_csv:
            try:
                rows = json.loads(text)
            except ValueError:
                rows = None
            if isinstance(rows, list) and all(isinstance(r, dict) for r in rows):
                keys = list(dict.fromkeys(k for r in rows for k in r))
                with open(d / "s.csv", "w", newline="", encoding="utf-8",
                          errors="surrogatepass") as f:
                    w = csv.writer(f)
                    w.writerow(keys)
                    for r in rows:
                        w.writerow(["" if r.get(k) is None else r.get(k) for k in keys])
                p = d / "s.csv"
            else:
                p = write(d / "s.csv", text)
        else:
            p = write(d / "s.json", text)
        args = ["sweep", DEMO, "--scenarios", p, "-o", d / "r.sqlite", "--workers", "0",
                "--no-progress"]
        check(args + ([] if solve else ["--dry-run"]))

    prop()


# ------------------------------------------------------------ import


cell_values = st.one_of(
    st.none(), st.booleans(), st.sampled_from(EDGE_NUMBERS[:3] + EDGE_NUMBERS[4:]),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 100),
    st.text(max_size=8), st.sampled_from(["=1/0", "#N/A", "TRUE", "cap:sic", "1e999", "nan",
                                          " ", "-", "0x10", "1,5"]),
)


@pytest.mark.parametrize("slow", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_import_any_workbook(tmp_path_factory, slow):
    import openpyxl

    @fuzz(15, slow)
    @given(data=st.data())
    def prop(data):
        wb = openpyxl.load_workbook(BOOK)
        for _ in range(data.draw(st.integers(1, 3))):
            ws = wb[data.draw(st.sampled_from(wb.sheetnames))]
            kind = data.draw(st.sampled_from(["cell", "cell", "cell", "header", "drop-sheet",
                                              "drop-row"]))
            if kind == "drop-sheet" and len(wb.sheetnames) > 1:
                del wb[ws.title]
            elif kind == "drop-row" and ws.max_row > 1:
                ws.delete_rows(data.draw(st.integers(1, ws.max_row)))
            else:
                row = 1 if kind == "header" else data.draw(st.integers(1, ws.max_row + 1))
                col = data.draw(st.integers(1, ws.max_column + 1))
                v = data.draw(cell_values)
                try:
                    ws.cell(row=row, column=col).value = v
                except Exception:  # openpyxl refuses it: no workbook can hold it
                    ws.cell(row=row, column=col).value = "?"
        d = tmp_path_factory.mktemp("wb")
        try:
            wb.save(d / "b.xlsx")
        except Exception:  # (a value openpyxl took but cannot write)
            return
        check(["import", d / "b.xlsx", "-o", d / "i.json"], one_line=False)

    prop()


@pytest.mark.parametrize("slow", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_import_any_csv_folder(tmp_path_factory, slow):
    files = sorted(p.name for p in CSVS.iterdir())

    @fuzz(20, slow)
    @given(data=st.data())
    def prop(data):
        d = tmp_path_factory.mktemp("csv") / "book"
        shutil.copytree(CSVS, d)
        for _ in range(data.draw(st.integers(1, 3))):
            name = data.draw(st.sampled_from(files))
            f = d / name
            if not f.exists():
                continue
            kind = data.draw(st.sampled_from(["cell", "cell", "cell", "delete", "bytes",
                                              "ragged"]))
            if kind == "delete":
                f.unlink()
                continue
            if kind == "bytes":
                raw = f.read_bytes()
                at = data.draw(st.integers(0, len(raw)))
                f.write_bytes(raw[:at] + data.draw(st.sampled_from(
                    [b"\xff\xfe", b"\x00", b'"', b"\r", b",,,", b"\n\n"])) + raw[at:])
                continue
            text = f.read_text(encoding="utf-8-sig", errors="surrogateescape")
            rows = list(csv.reader(text.splitlines()))
            if not rows:
                continue
            r = data.draw(st.integers(0, len(rows) - 1))
            if kind == "ragged":
                rows[r] = rows[r][: data.draw(st.integers(0, len(rows[r])))]
            else:
                c = data.draw(st.integers(0, max(0, len(rows[r]))))
                v = data.draw(cell_values)
                cell = "" if v is None else str(v)
                if c < len(rows[r]):
                    rows[r][c] = cell
                else:
                    rows[r].append(cell)
            with open(f, "w", newline="", encoding="utf-8", errors="surrogateescape") as out:
                csv.writer(out).writerows(rows)
        check(["import", d, "-o", d.with_name("i.json")], one_line=False)

    prop()


def test_count_is_reported():
    print(f"fuzzed runs in this session (this worker): {COUNT}")


@pytest.mark.parametrize("objective", ["204.99", [204.99], {"value": 204.99}, True, None,
                                       10**400, -1e308])
def test_verify_objective_of_any_type_is_a_violation_not_a_traceback(demo_plan, tmp_path,
                                                                     objective):
    """The issue's case: ``verify`` raised TypeError in ``_fmt`` for these."""
    doc = dict(demo_plan, objective=objective)
    p = write(tmp_path / "sol.json", json.dumps(doc))
    r = check(["verify", DEMO, p])
    assert r.exit_code == 1
    assert "objective" in r.output
