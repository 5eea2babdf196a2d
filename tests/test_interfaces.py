"""What a planner sees first (issue 16): the terminal report at 80 columns and
redirected, standard streams, logs on stderr, progress phases, money as
written, and messages that point at the cause."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from consortium.backends.base import Progress, SolverOptions
from consortium.cli import cli
from consortium.cli.progress import PhaseLine
from consortium.io.instance import InstanceError, load
from consortium.io.jsonfile import parse
from consortium.report.terminal import VERBOSE, print_report
from consortium.result.money import clean, digits, fmt, rounded
from consortium.solving.verified import solve_verified

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
DEMO = ROOT / "instances" / "demo" / "suzhou.json"
EXE = [sys.executable, "-m", "consortium"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def demo():
    inst = load(DEMO)
    return inst, solve_verified(inst, SolverOptions())


def cli_run(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None):
    return subprocess.run([*EXE, *args], capture_output=True, input=stdin, cwd=ROOT, timeout=300,
                          env={**os.environ, **(env or {})})


def report_text(inst, sol, width: int, **kw) -> str:
    buf = io.StringIO()
    print_report(inst, sol, Console(file=buf, width=width, force_terminal=True,
                                    color_system=None), **kw)
    return buf.getvalue()


# ---------------------------------------------------------------- the terminal report


def _unwrapped(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("width", [80, 100])
def test_terminal_report_keeps_every_contract_at_80_columns(demo, width):
    inst, sol = demo
    out = report_text(inst, sol, width)
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= width
    flat = _unwrapped(out)
    names = {a.id: a for a in inst.actors}
    for c in sol.consortia:
        assert f"spend {fmt(c.spend)}" in flat
        for k in c.contracts:
            assert k.actor in out
            for word in (names[k.actor].name or "").split():
                assert word in out, (k.actor, word)
            for d in k.deliverables:
                assert d["capability"] in out, d  # never folded at 80 columns in the demo
            for x in (k.base, k.lead_fee, k.bonus, k.reward):
                assert fmt(x) in out
    # the instruments once per actor type, not once per contract
    for k in (k for c in sol.consortia for k in c.contracts):
        for ins in k.instruments:
            assert flat.count(ins) == 1, ins
    for u in sol.unformed:
        assert u["target"] in out


def test_readme_shows_the_80_column_report(demo):
    """README's "What you get" is this report at 80 columns (timings aside)."""
    inst, sol = demo
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("$ consortium solve instances/demo/suzhou.json\n", 1)[1].split("```")[0]
    shown = [ln for ln in block.splitlines() if not ln.startswith("... (")]
    out = [ln.rstrip() for ln in report_text(inst, sol, 80).splitlines()]
    times = re.compile(r"\d+\.\d\d s")
    head = shown[: shown.index("")]
    assert [times.sub("T", x) for x in head] == [times.sub("T", x) for x in out[: len(head)]]
    assert all(len(x) <= 80 for x in shown)
    body = [x for x in shown[len(head):] if x]
    assert all(x in out for x in body), [x for x in body if x not in out]


def test_report_on_a_real_80_column_terminal():
    """`consortium solve` on a pseudo-terminal 80 columns wide: no line wider, nothing cut."""
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 80, 0, 0))
    env = {**os.environ, "COLUMNS": "80", "TERM": "xterm"}
    p = subprocess.Popen([*EXE, "solve", str(DEMO), "--no-progress"], stdout=slave,
                         stderr=subprocess.PIPE, cwd=ROOT, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    assert p.wait(timeout=300) == 0
    os.close(master)
    out = ANSI.sub("", b"".join(chunks).decode("utf-8")).replace("\r", "")
    assert "t-sic" in out and "Totals" in out
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_redirected_report_is_plain_full_width_text(demo):
    inst, sol = demo
    r = cli_run("solve", str(DEMO), env={"COLUMNS": "80"})
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode("utf-8")
    assert "…" not in out and "\x1b[" not in out
    lines = out.splitlines()
    for c in sol.consortia:
        for k in c.contracts:
            name = next(a.name for a in inst.actors if a.id == k.actor)
            # one line per contract: id, name, kind, role, deliverables and money together
            dl = "; ".join(f"{d['capability']} ≥ {d['level']}" for d in k.deliverables)
            assert any(ln.startswith(k.actor + " ") and name in ln and f" {k.role} " in ln
                       and dl in ln and ln.rstrip().endswith(" " + fmt(k.reward))
                       for ln in lines), (c.target, k.actor)
    assert max(len(line) for line in lines) > 80  # not squeezed into 80 columns


def test_tsv_quiet_and_verbose(demo):
    inst, sol = demo
    r = CliRunner().invoke(cli, ["solve", str(DEMO), "--tsv"])
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.stdout), delimiter="\t"))
    assert rows[0][:4] == ["target", "target name", "site", "actor"]
    assert len(rows) - 1 == sum(len(c.contracts) for c in sol.consortia)
    assert "3.4000000000000004" not in r.stdout and "\t3.40\t" in r.stdout
    q = report_text(inst, sol, 80, verbosity=0)
    assert "Totals" in q and "deliverable" not in q and "t-sic" not in q
    v = report_text(inst, sol, 80, verbosity=VERBOSE)
    assert "solver message" in v and len(v) > len(report_text(inst, sol, 80))
    r = CliRunner().invoke(cli, ["solve", str(DEMO), "-q", "-v"])
    assert r.exit_code == 2


# ---------------------------------------------------------------- streams and logs


def test_log_goes_to_stderr_and_json_to_stdout():
    r = cli_run("solve", str(DEMO), "--log", "--json")
    assert r.returncode == 0
    sol = json.loads(r.stdout)  # `solve --log --json | jq` works
    assert sol["status"] == "optimal"
    err = r.stderr.decode()
    assert "Coefficient ranges" in err and "Running HiGHS" not in r.stdout.decode()


def test_dash_is_stdin_and_stdout(tmp_path):
    text = DEMO.read_bytes()
    r = cli_run("solve", "-", "-o", "-", stdin=text)
    assert r.returncode == 0, r.stderr
    sol = json.loads(r.stdout)
    assert sol["status"] == "optimal" and not (ROOT / "-").exists()
    (tmp_path / "plan.json").write_bytes(r.stdout)
    r = cli_run("verify", "-", str(tmp_path / "plan.json"), stdin=text)
    assert r.returncode == 0 and r.stdout.startswith(b"OK")
    r = cli_run("report", str(DEMO), "-", "-o", "-", stdin=(tmp_path / "plan.json").read_bytes())
    assert r.returncode == 0 and r.stdout.startswith(b"<!DOCTYPE html>")
    r = cli_run("validate", "-", "--quick", stdin=text)
    assert r.returncode == 0, r.stderr
    r = cli_run("verify", "-", "-", stdin=text)
    assert r.returncode == 2


def test_scenarios_from_stdin(tmp_path):
    scen = '[{"policy.total_budget": 150}, {"policy.total_budget": 170}]'
    r = CliRunner().invoke(cli, ["sweep", str(DEMO), "--scenarios", "-", "--dry-run", "-o",
                                 str(tmp_path / "s.sqlite")], input=scen)
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == ["0\tpolicy.total_budget=150", "1\tpolicy.total_budget=170"]
    r = CliRunner().invoke(cli, ["stress", str(DEMO), "--scenarios", "-", "--workers", "0",
                                 "--json", "--no-progress"], input='[{"drop_foreign": true}]')
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)["stress"]) == 1
    r = CliRunner().invoke(cli, ["stress", "-", "--scenarios", "-"], input="{}")
    assert r.exit_code == 2


def test_pyomo_log_goes_to_stderr_too():
    r = cli_run("solve", str(DEMO), "--backend", "pyomo", "--log", "--json", "--no-reasons")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["status"] == "optimal" and r.stderr.strip()


def test_generate_writes_stdout_by_default(tmp_path):
    r = cli_run("generate", "--preset", "small", "--seed", "4")
    assert r.returncode == 0
    inst = json.loads(r.stdout)
    assert inst["targets"] and b"wrote" in r.stderr
    out = tmp_path / "g.json"
    assert cli_run("generate", "--preset", "small", "--seed", "4", "-o", str(out)).returncode == 0
    assert out.read_bytes() == r.stdout  # the same bytes either way


# ---------------------------------------------------------------- progress


def test_progress_line_ticks_and_follows_the_phases():
    line = PhaseLine(started=100.0)
    assert line.text(now=101.2).plain.startswith("reading")
    assert "    1 s" in line.text(now=101.2).plain and "    7 s" in line.text(now=107.9).plain
    line.on_phase("building")
    line.on_phase("solving")
    assert line.text(now=110).plain.startswith("presolve")
    line.on_progress(Progress(3.0, None, 250.0, None, 0))
    t = line.text(now=111).plain
    assert t.startswith("root") and "bound 250.0000" in t
    line.on_progress(Progress(4.0, 200.0, 210.0, 0.05, 12))
    t = line.text(now=112).plain
    assert t.startswith("search") and "incumbent 200.0000" in t and "gap 5.00%" in t
    # a later round's own incumbent and bound: the line keeps the best of each
    line.on_progress(Progress(5.0, 150.0, 230.0, 0.5, 40))
    t = line.text(now=112).plain
    assert "incumbent 200.0000" in t and "bound 210.0000" in t and "gap 5.00%" in t
    line.on_phase("reasons")
    assert line.text(now=113).plain.startswith("reasons")
    line.on_progress(Progress(1.0, 1.0, 1.0, 0.0, 0))  # a reason's own solve: not the plan's
    assert line.text(now=113).plain.startswith("reasons")


def test_solve_announces_its_phases(demo):
    inst, _ = demo
    seen: list[str] = []
    progress: list[Progress] = []
    solve_verified(inst, SolverOptions(on_phase=seen.append, on_progress=progress.append))
    assert seen == ["building", "solving", "reasons", "verify"]
    assert progress and all(p.nodes is None or p.nodes >= 0 for p in progress)


def test_progress_runs_while_nothing_calls_back():
    """The line is a renderable read at each refresh: time moves without events."""
    line = PhaseLine(started=time.monotonic() - 5)
    assert int(line.text().plain.split()[1]) >= 5


# ---------------------------------------------------------------- money


def test_money_is_rounded_once_and_the_same_everywhere(demo):
    assert rounded(85.525) == 85.53 and rounded(85.52499999999999) == 85.53
    assert fmt(85.525) == fmt(85.52499999999999) == "85.53"
    assert rounded(2.675) == 2.68  # half-up, not the binary 2.67499...
    assert digits("CNY million") == 2 and digits("JPY") == 0 and digits("KWD") == 3
    assert digits(None) == 2 and fmt(1234.5, 0) == "1,235" and fmt(None) == "-"
    assert clean({"a": [3.4000000000000004, 0.1 + 0.2]}) == {"a": [3.4, 0.3]}
    import numpy as np

    assert fmt(np.float64(85.525)) == "85.53" and type(clean(np.float64(0.1))) is float
    inst, sol = demo
    from consortium.report.page import money

    spend = sol.kpis["budget_use"]["sponsors"]["jiangsu"]["spend"]
    assert money(spend) == fmt(spend) == "85.53"
    assert "85.53 / 110.00" in report_text(inst, sol, 80)


def test_solution_json_has_no_float_noise(demo):
    _, sol = demo
    text = json.dumps(sol.to_dict())
    floats = [float(x) for x in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text)]
    assert floats and all(float(f"{x:.12g}") == x for x in floats)
    assert "3.4000000000000004" not in text and '"bonus": 3.4' in text


# ---------------------------------------------------------------- messages


def test_trailing_comma_is_named_where_it_is():
    text = '{\n "name": "x",\n "actors": [\n  {"id": "a"},\n ],\n "targets": []\n}'
    with pytest.raises(InstanceError) as e:
        parse(text, "x.json")
    msg = e.value.errors[0]
    assert "trailing comma at line 4 column 14" in msg, msg
    for bad, want in (("{'a': 1}", "double quotes"), ('{"a": 1 "b": 2}', "comma missing"),
                      ('{"a": [1', "truncated JSON"), ('{"a": 1} // note', "no comments")):
        with pytest.raises(InstanceError) as e:
            parse(bad, "x.json")
        assert want in e.value.errors[0], (bad, e.value.errors[0])


def test_capitalised_type_gets_a_hint(tmp_path):
    raw = json.loads(DEMO.read_text())
    raw["actors"][3]["type"] = "University"
    p = tmp_path / "u.json"
    p.write_text(json.dumps(raw))
    for cmd in ("solve", "validate"):
        r = CliRunner().invoke(cli, [cmd, str(p)])
        assert r.exit_code == 2
        assert "did you mean 'university'? (these names are lowercase" in r.stderr, r.stderr


def test_semicolon_csv_gets_a_delimiter_hint(tmp_path):
    import shutil

    src = ROOT / "instances" / "workbook" / "suzhou-csv"
    d = tmp_path / "book"
    shutil.copytree(src, d)
    for name in ("actors.csv", "targets.csv"):
        rows = list(csv.reader((d / name).open(encoding="utf-8-sig")))
        with (d / name).open("w", newline="", encoding="utf-8") as f:
            csv.writer(f, delimiter=";").writerows(rows)
    r = CliRunner().invoke(cli, ["import", str(d)])
    assert r.exit_code == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 2  # both files, at once
    assert all("separated by semicolons, not commas" in ln for ln in lines)
    assert "column id is missing" not in r.stderr


# ---------------------------------------------------------------- options


def test_workers_mean_the_same_everywhere():
    for cmd in ("sweep", "analyse", "stress", "check", "solve"):
        r = CliRunner().invoke(cli, [cmd, "--help"])
        assert "0 solves in this process" in _unwrapped(r.output), cmd
    r = CliRunner().invoke(cli, ["check", "--help"])
    assert "--gap" in r.output and "--profile" in r.output
    for cmd, old, new in (("solve", "--contracts", "--table"), ("sweep", "--export", "--table")):
        h = CliRunner().invoke(cli, [cmd, "--help"]).output
        assert new in h and old not in h  # the old name is a hidden alias


def test_solve_table_and_its_old_name(tmp_path):
    for opt in ("--table", "--contracts"):
        out = tmp_path / f"c{opt.strip('-')}.csv"
        r = CliRunner().invoke(cli, ["solve", str(DEMO), opt, str(out), "-o",
                                     str(tmp_path / "p.json")])
        assert r.exit_code == 0, r.output
        assert out.exists()


def test_check_takes_gap_and_profile(tmp_path):
    import shutil

    reg = ROOT / "instances" / "regression"
    first = sorted(reg.glob("*.json"))
    inst = next(p for p in first if not p.name.endswith(".expected.json"))
    shutil.copy(inst, tmp_path / inst.name)
    exp = inst.with_name(inst.name.removesuffix(".json") + ".expected.json")
    if exp.exists():
        shutil.copy(exp, tmp_path / exp.name)
    r = CliRunner().invoke(cli, ["check", str(tmp_path), "--gap", "0", "--profile", "exact",
                                 "--workers", "0"])
    assert r.exit_code == 0, r.output
    assert "1 passed" in r.output


def test_typos_are_warned_about_by_solve_and_strict_makes_them_errors(tmp_path):
    """Issue 16: an unknown field is a warning on every command that reads an
    instance (with a did-you-mean), an error under --strict; `$schema` is fine."""
    import json as _json

    from click.testing import CliRunner as _Runner

    from consortium.cli import cli as _cli

    inst = _json.loads((ROOT / "instances" / "demo" / "suzhou.json").read_text())
    inst["$schema"] = "https://example.org/consortium-instance.json"
    inst["policy"]["wieghts"] = {"value": 2.0}
    src = tmp_path / "typo.json"
    src.write_text(_json.dumps(inst))
    out = tmp_path / "plan.json"
    r = _Runner().invoke(_cli, ["solve", str(src), "-q", "--no-reasons", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "warning: policy.wieghts: unknown field (ignored; did you mean 'weights'?)" in r.output
    assert "$schema" not in r.output
    r = _Runner().invoke(_cli, ["solve", str(src), "--strict", "-o", str(tmp_path / "x.json")])
    assert r.exit_code == 2 and not (tmp_path / "x.json").exists()
    assert "policy.wieghts: unknown field (--strict; did you mean 'weights'?)" in r.output
    r = _Runner().invoke(_cli, ["validate", str(src), "--quick"])
    assert r.exit_code == 0 and "1 warning(s)" in r.output
    r = _Runner().invoke(_cli, ["validate", str(src), "--quick", "--strict"])
    assert r.exit_code == 2


# ---------------------------------------------------------------- every input error at once


def _demo_with_errors() -> dict:
    """The demo with seven mistakes: three field errors and four references."""
    raw = json.loads(DEMO.read_text())
    raw["actors"][0]["type"] = "Universty"
    raw["actors"][1]["lat"] = 95
    del raw["actors"][2]["ownership"]
    raw["targets"][0]["sites"][0] = "sipp"
    raw["targets"][1]["sponsor"] = "jiangsuu"
    raw["ties"][0]["a"] = raw["actors"][5]["id"] + "x"
    raw["targets"][2]["requirements"][0]["capability"] = "sic-epii"
    return raw


SEVEN = [
    "actors[0].type: input should be 'enterprise', 'sme', 'institute', 'university' or 'lab' "
    "(got 'Universty'): did you mean 'university'?",
    "actors[1].lat: 95: input should be less than or equal to 90",
    "actors[2].ownership: required field is missing",
    "targets[0].sites[0]: unknown site 'sipp' (did you mean 'sip'?)",
    "targets[1].sponsor: unknown sponsor 'jiangsuu' (did you mean 'jiangsu'?)",
    "targets[2].requirements[0].capability: unknown capability 'sic-epii' "
    "(did you mean 'sic-epi'?)",
    "ties[0].a: unknown actor 'seux' (did you mean 'seu'?)",
]


def test_validate_lists_every_error_and_solve_the_first_few(tmp_path):
    """Issue 16: the field errors and the cross-references in one run, each one
    line with its JSON path; validate all of them, solve the first five and
    the count; exit 2 and nothing written."""
    from consortium.io.instance import from_dict

    raw = _demo_with_errors()
    before = json.dumps(raw)
    with pytest.raises(InstanceError) as e:
        from_dict(raw)
    assert e.value.errors == SEVEN
    assert json.dumps(raw) == before  # the repair works on a copy
    src = tmp_path / "seven.json"
    src.write_text(json.dumps(raw))
    r = CliRunner().invoke(cli, ["validate", str(src)])
    assert r.exit_code == 2
    assert [ln.removeprefix("error: ") for ln in r.stderr.splitlines()[:-1]] == SEVEN
    assert r.stderr.splitlines()[-1] == "7 input errors in all"
    out = tmp_path / "plan.json"
    r = CliRunner().invoke(cli, ["solve", str(src), "-o", str(out)])
    assert r.exit_code == 2 and not out.exists()
    lines = r.stderr.splitlines()
    assert [ln.removeprefix("error: ") for ln in lines[:5]] == SEVEN[:5]
    assert lines[5:] == [f"... and 2 more input error(s), 7 in all; `consortium validate {src}` "
                         "lists them all"]


def test_an_error_is_not_repeated_by_the_references_to_it():
    """A broken actor is still known by its id (no 'unknown actor' for the tie
    and the fixed lead naming it, no 'may not lead' about its stand-in type);
    a missing sites list makes no site reference unknown."""
    from consortium.io.instance import from_dict

    raw = json.loads(DEMO.read_text())
    aid, tid = raw["actors"][0]["id"], raw["targets"][0]["id"]
    raw["actors"][0]["type"] = "boss"
    tied = {frozenset((t["a"], t["b"])) for t in raw["ties"]}
    other = next(a["id"] for a in raw["actors"][1:] if frozenset((aid, a["id"])) not in tied)
    raw["ties"].append({"a": aid, "b": other})
    raw["fixed"] = {"leads": {tid: aid}, "members": [[tid, "nobody"]]}
    with pytest.raises(InstanceError) as e:
        from_dict(raw)
    assert [m.split(":")[0] for m in e.value.errors] == ["actors[0].type", "fixed.members[0][1]"]
    del raw["sites"]
    raw["actors"][0]["type"] = "lab"
    with pytest.raises(InstanceError) as e:
        from_dict(raw)
    assert [m.split(":")[0] for m in e.value.errors] == ["sites", "fixed.members[0][1]"]


def test_did_you_mean_for_ids_types_and_regions(tmp_path):
    from consortium.io.instance import from_dict, region_warnings

    raw = json.loads(DEMO.read_text())
    tid = raw["targets"][0]["id"]
    raw["exclusive"] = [[tid + "s"]]
    raw["fixed"] = {"forbidden_actors": ["zju_"], "starts": {}}
    raw["policy"]["incentives"]["Lab"] = {"bonus_rate": 0.1}
    raw["policy"]["lead_types"] = {"reserch": ["lab"]}
    raw["actors"][3]["capabilities"] = {"sic-substrat": 5}
    with pytest.raises(InstanceError) as e:
        from_dict(raw)
    got = "\n".join(e.value.errors)
    for want in (f"exclusive[0][0]: unknown target '{tid}s' (did you mean '{tid}'?)",
                 "fixed.forbidden_actors[0]: unknown actor 'zju_' (did you mean 'zju'?)",
                 "policy.incentives.Lab: unknown actor type 'Lab' (did you mean 'lab'?)",
                 "policy.lead_types.reserch: unknown mode 'reserch' (did you mean 'research'?)",
                 "capabilities.sic-substrat: unknown capability 'sic-substrat' (did you mean "
                 "'sic-substrate'?)"):
        assert want in got, got
    raw = json.loads(DEMO.read_text())
    region = raw["actors"][0]["region"]
    raw["sponsors"][0]["region"] = region.lower()
    assert region_warnings(from_dict(raw)) == [
        f"sponsors[0].region: no actor is in region {region.lower()!r} (did you mean {region!r}?); "
        "every member counts as outside it (rule 9)"]
    src = tmp_path / "typo.json"
    src.write_text(json.dumps(raw))
    r = CliRunner().invoke(cli, ["validate", str(src), "--quick"])
    assert r.exit_code == 0 and "no actor is in region" in r.output and "1 warning(s)" in r.output
    r = CliRunner().invoke(cli, ["stress", str(DEMO), "--drop-actor", "zju_", "--workers", "0"])
    assert r.exit_code == 2 and "unknown actor 'zju_' (did you mean 'zju'?)" in r.stderr
    r = CliRunner().invoke(cli, ["stress", str(DEMO), "--drop-region", region.lower(),
                                 "--workers", "0"])
    assert r.exit_code == 2 and f"(did you mean {region!r}?)" in r.stderr, r.stderr


# ---------------------------------------------------------------- report, verify, analyses


def test_report_without_o_writes_beside_the_solution(demo, tmp_path):
    from consortium.cli.report import default_output

    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(demo[1].to_dict()))
    r = CliRunner().invoke(cli, ["report", str(DEMO), str(plan)])
    assert r.exit_code == 0, r.output
    page = tmp_path / "plan.html"
    assert page.read_text().startswith("<!DOCTYPE html>") and f"wrote {page}" in r.stderr
    assert r.stdout == ""
    assert default_output("-") == "report.html"  # the solution read from stdin
    assert default_output("out/plan.html") == "out/plan.html.report.html"  # never itself


def test_verify_prints_money_at_the_currency_precision(demo, tmp_path):
    inst, sol = demo
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(sol.to_dict()))
    r = CliRunner().invoke(cli, ["verify", str(DEMO), str(plan)])
    assert r.exit_code == 0, r.output
    spend = sum(c.spend for c in sol.consortia)
    assert f"recomputed total spend: {rounded(spend, 2):,.2f} CNY million" in r.output
    assert f"recomputed objective: {sol.objective:,.4f} (reported {sol.objective:,.4f})" in r.output
    raw = json.loads(DEMO.read_text())
    raw["currency"] = "JPY million"  # no minor unit: whole numbers
    yen = tmp_path / "yen.json"
    yen.write_text(json.dumps(raw))
    r = CliRunner().invoke(cli, ["verify", str(yen), str(plan)])
    assert r.exit_code == 0, r.output
    assert f"recomputed total spend: {rounded(spend, 0):,.0f} JPY million" in r.output


def test_analysis_tables_show_names_beside_ids(tmp_path):
    """Issue 16: the analyses' tables (CSV, Parquet, the API's frames) and
    their terminal tables name each actor and target beside its id."""
    import pandas as pd

    raw = json.loads(DEMO.read_text())
    names = {a["id"]: a["name"] for a in raw["actors"]} | {t["id"]: t["name"]
                                                           for t in raw["targets"]}
    out = tmp_path / "stress.csv"
    r = CliRunner().invoke(cli, ["stress", str(DEMO), "--drop-actor", "zju", "--workers", "0",
                                 "--table", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert list(df.columns[:3]) == ["scenario", "drop", "drop_names"]
    assert df["drop_names"][0] == names["zju"]
    # the terminal: the changed consortia carry their target's name
    first_word = names["t-sic"].split()[0]
    assert first_word in r.stdout
    tiny = DATA / "valid" / "tiny.json"
    t = json.loads(tiny.read_text())
    for i, a in enumerate(t["actors"]):
        a["name"] = f"Actor number {i}"
    t["targets"][0]["name"] = "The one target"
    src = tmp_path / "tiny.json"
    src.write_text(json.dumps(t))
    out = tmp_path / "marginal.csv"
    r = CliRunner().invoke(cli, ["analyse", str(src), "--workers", "0", "--table", str(out)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(out)
    assert list(df.columns[:4]) == ["target", "target_name", "actor", "actor_name"]
    assert set(df["target_name"]) == {"The one target"}
    assert all(n.startswith("Actor number") for n in df["actor_name"])
    assert "Actor number" in r.stdout and "The one target" in r.stdout


# ---------------------------------------------------------------- one source of truth


def test_format_md_is_generated_from_the_models():
    """docs/FORMAT.md's field tables are those the model descriptions give
    (`consortium schema --markdown --update docs/FORMAT.md` rewrites them)."""
    from consortium.io.docs import markdown_blocks, walk, with_blocks
    from consortium.io.instance import Instance

    text = (ROOT / "docs" / "FORMAT.md").read_text()
    assert with_blocks(text, markdown_blocks(Instance)) == text, \
        "docs/FORMAT.md is out of date: run consortium schema --markdown --update docs/FORMAT.md"
    fields = walk(Instance)
    assert len(fields) > 90 and all(d.description for d in fields)
    for d in fields:
        assert f"| `{d.path}` | {d.description.replace('|', chr(92) + '|')} |" in text, d.path
    r = CliRunner().invoke(cli, ["schema", "--markdown"])
    assert r.exit_code == 0 and "| `actors[].lead_cost` |" in r.output


def test_schema_describes_every_field():
    r = CliRunner().invoke(cli, ["schema"])
    schema = json.loads(r.output)
    objects = [schema, *schema["$defs"].values()]
    for node in objects:
        for name, prop in node.get("properties", {}).items():
            assert prop.get("description"), name
    actor = schema["$defs"]["Actor"]["properties"]
    assert actor["lead_cost"]["x-default"] == "cannot lead"
    assert actor["type"]["examples"] == ["institute"]


def test_spreadsheet_columns_come_from_the_models():
    from consortium.io.instance import Actor, Requirement, Target
    from consortium.spreadsheet.tables import TABLES

    cols = {c.name: c for c in TABLES["actors"]}
    assert [c.name for c in TABLES["actors"]] == [
        n for n in Actor.model_fields if n not in ("capabilities", "bids")] + ["cap:<id>"]
    assert cols["lead_cost"].help == Actor.model_fields["lead_cost"].description
    assert cols["type"].req and not cols["lead_cost"].req and cols["max_consortia"].kind == "int"
    assert [c.name for c in TABLES["targets"]] == [
        n for n in Target.model_fields if n not in ("requirements", "composition")]
    assert [c.name for c in TABLES["requirements"]] == ["target", *Requirement.model_fields]


def test_template_has_dropdowns_and_an_example_row_import_skips(tmp_path):
    """Issue 16: the template's dropdowns (type, ownership, mode, capability
    ids), its example rows, and an untouched template imports to an empty
    instance with a warning, not a bogus actor."""
    import csv as _csv

    from openpyxl import load_workbook

    from consortium.spreadsheet import read_workbook, write_template

    xlsx, folder = write_template(tmp_path)
    wb = load_workbook(xlsx)

    def lists(sheet: str) -> dict[str, str]:
        ws = wb[sheet]
        head = [c.value for c in ws[1]]
        out = {}
        for dv in ws.data_validations.dataValidation:
            assert dv.type == "list"
            col = str(dv.sqref).split(":")[0].rstrip("0123456789")
            out[head[ord(col) - ord("A")]] = dv.formula1
        return out

    actors = lists("actors")
    assert actors["type"] == '"enterprise,sme,institute,university,lab"'
    assert actors["ownership"] == '"state,private,foreign"'
    assert lists("targets")["mode"] == '"research,economic"'
    assert lists("targets")["mandatory"] == '"TRUE,FALSE"'
    assert lists("requirements")["capability"].startswith("=capabilities!$A$2:$A$")
    assert lists("ties")["a"].startswith("=actors!$A$2")
    row2 = [c.value for c in wb["actors"][2]]
    assert row2[0].startswith("# e.g. ") and row2[2] == "institute"
    assert wb["actors"]["A2"].font.italic
    for source in (xlsx, folder):
        raw, warnings = read_workbook(source)
        assert raw["actors"] == [] and raw["targets"] == [] and raw["sites"] == []
        assert any("no sites, actors or targets" in w for w in warnings), warnings
    # a planner overwrites the example row, first cell included: it is imported
    rows = list(_csv.reader((folder / "actors.csv").open(encoding="utf-8-sig")))
    rows[1][0] = "a1"
    sites = list(_csv.reader((folder / "sites.csv").open(encoding="utf-8-sig")))
    sites[1][0] = "sip"
    for name, data in (("actors.csv", rows), ("sites.csv", sites)):
        with (folder / name).open("w", newline="", encoding="utf-8") as f:
            _csv.writer(f).writerows(data)
    raw, warnings = read_workbook(folder)
    assert [a["id"] for a in raw["actors"]] == ["a1"] and raw["actors"][0]["type"] == "institute"
    assert warnings == []
    # one who edits it but leaves the mark is told the row was skipped
    rows[1][0], rows[1][1] = "# e.g. a1", "Zhejiang University"
    with (folder / "actors.csv").open("w", newline="", encoding="utf-8") as f:
        _csv.writer(f).writerows(rows)
    raw, warnings = read_workbook(folder)
    assert raw["actors"] == []
    assert any("actors.csv, row 2: skipped" in w and "example row, edited?" in w
               for w in warnings), warnings


def test_misspelt_sheet_and_column_get_a_hint(tmp_path):
    import shutil

    from consortium.spreadsheet import read_workbook

    d = tmp_path / "book"
    shutil.copytree(ROOT / "instances" / "workbook" / "suzhou-csv", d)
    (d / "conflicts.csv").rename(d / "conflict.csv")
    text = (d / "ties.csv").read_text(encoding="utf-8-sig")
    (d / "ties.csv").write_text(text.replace("weight", "weigth", 1), encoding="utf-8")
    _raw, warnings = read_workbook(d)
    assert any("conflict.csv: not a known table (did you mean 'conflicts'?)" in w
               for w in warnings), warnings
    assert any("column weigth: unknown column (ignored; did you mean 'weight'?)" in w
               for w in warnings), warnings
