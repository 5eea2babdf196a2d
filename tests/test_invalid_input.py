"""Every kind of invalid input: one line naming the JSON path, exit 2, no
traceback, nothing written. One parametrised test over the broken files."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import DATA

from consortium.cli import cli

INVALID = DATA / "invalid"
EXPECTED: dict[str, str] = json.loads((INVALID / "EXPECTED.json").read_text())


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("command", ["solve", "validate"])
def test_invalid_file_is_rejected(name, command, tmp_path):
    out = tmp_path / "plan.json"
    args = [command, str(INVALID / f"{name}.json")] + (["-o", str(out)] if command == "solve"
                                                       else [])
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "Traceback" not in r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert EXPECTED[name] in lines[0], lines
    if command == "solve":
        assert len(lines) == 1, lines  # one clear line
        assert not out.exists()  # nothing half-written


def test_every_invalid_file_has_an_expectation():
    files = {p.stem for p in INVALID.glob("*.json")} - {"EXPECTED"}
    assert files == set(EXPECTED)


def test_missing_file():
    r = CliRunner().invoke(cli, ["solve", "no/such/file.json"])
    assert r.exit_code == 2
    assert "no such file" in r.output


def test_directory_instead_of_file(tmp_path):
    r = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert r.exit_code == 2


def test_verify_with_broken_solution(tmp_path):
    bad = tmp_path / "sol.json"
    bad.write_text('{"format": "consortium-solution/1", "status": ')
    r = CliRunner().invoke(cli, ["verify", str(DATA / "valid" / "tiny.json"), str(bad)])
    assert r.exit_code == 2
    assert "truncated JSON" in r.output


def test_usage_errors_exit_2():
    r = CliRunner().invoke(cli, ["solve", str(DATA / "valid" / "tiny.json"), "--gap", "-1"])
    assert r.exit_code == 2
    r = CliRunner().invoke(cli, ["solve", str(DATA / "valid" / "tiny.json"), "--profile", "nope"])
    assert r.exit_code == 2
    assert "unknown profile" in r.output


@pytest.mark.parametrize(("field", "value", "shown"), [
    ("max_consortia", -1.0, "-1.0: input should be greater than or equal to 0"),
    ("max_consortia", -1, "-1: input should be greater than or equal to 0"),
    ("capabilities", {"c": 10.0}, "10.0: input should be less than or equal to 9"),
    ("capabilities", {"c": 1e300}, "1e+300: input should be less than or equal to 9"),
    ("max_consortia", 3.5, "expected an integer, got 3.5"),
    ("max_consortia", True, "expected an integer, got a boolean"),
    ("max_consortia", "3", "input should be a valid integer"),
])
def test_integer_fields_show_the_value_as_written(field, value, shown):
    """Integral floats are accepted as integers (3.0 is 3); a bounds error
    shows the value as the file has it, never a converted one."""
    from consortium.io.instance import InstanceError, from_dict

    actor = {"id": "a", "type": "sme", "ownership": "state", "region": "r", "lat": 1, "lon": 1,
             "cost": 1,
             field: value}
    with pytest.raises(InstanceError) as e:
        from_dict({"sites": [{"id": "s", "lat": 1, "lon": 2}], "actors": [actor]})
    assert e.value.errors[0].startswith(f"actors[0].{field}"), e.value.errors
    assert shown in e.value.errors[0], e.value.errors
