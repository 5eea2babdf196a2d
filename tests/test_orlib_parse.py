"""Parsing of OR-Library set-covering files and their mapping to consortium instances."""

from __future__ import annotations

import pytest

from consortium.io.orlib import (
    ORLIB_ENV,
    ORLIB_OPTIMA,
    orlib_dir,
    orlib_path,
    read_scp,
    scp_to_instance,
)

needs_data = pytest.mark.skipif(orlib_dir() is None, reason="OR-Library data folder not found")

# 3 rows, 4 columns; numbers wrap across lines arbitrarily, as in Beasley's files.
TINY = """ 3
4 5 1
  2
3 2 1 2
 1 3
   3 2 3 4
"""


def test_read_scp_arbitrary_wrapping(tmp_path):
    p = tmp_path / "tiny.txt"
    p.write_text(TINY)
    costs, rows = read_scp(p)
    assert costs == [5, 1, 2, 3]
    assert rows == [[1, 2], [3], [2, 3, 4]]


@pytest.mark.parametrize(
    "text",
    [
        "2 2\n1 1\n1 1\n",  # truncated: row 2 missing
        "1 2\n1 1\n1 3\n",  # column index out of range
        "1 2\n1 1\n1 2\n7\n",  # trailing token
        "1 2\n1 x\n1 1\n",  # not a number
    ],
)
def test_read_scp_rejects_malformed(tmp_path, text):
    p = tmp_path / "bad.txt"
    p.write_text(text)
    with pytest.raises(ValueError):
        read_scp(p)


def test_scp_to_instance_mapping_from_parsed():
    costs, rows = [5, 1, 2, 3], [[1, 2], [3], [2, 3, 4]]
    inst = scp_to_instance((costs, rows), "tiny")
    assert inst["format"] == "consortium-instance/1"
    assert inst["name"] == "tiny"
    assert [c["id"] for c in inst["capabilities"]] == ["r1", "r2", "r3"]
    actors = {a["id"]: a for a in inst["actors"]}
    assert list(actors) == ["c1", "c2", "c3", "c4"]
    assert actors["c1"]["capabilities"] == {"r1": 1}
    assert actors["c2"]["capabilities"] == {"r1": 1, "r3": 1}
    assert actors["c3"]["capabilities"] == {"r2": 1, "r3": 1}
    assert actors["c4"]["capabilities"] == {"r3": 1}
    for a in inst["actors"]:
        assert a["type"] == "enterprise" and a["ownership"] == "private"
        assert a["lead_cost"] == 0 and a["max_consortia"] == 1
    assert [a["cost"] for a in inst["actors"]] == costs
    (t,) = inst["targets"]
    assert t["mandatory"] is True and t["mode"] == "economic" and t["value"] == 0
    assert t["min_members"] == 1 and "max_members" not in t
    assert "max_distance_km" not in t and "budget" not in t
    assert t["sites"] == [inst["sites"][0]["id"]]
    assert t["requirements"] == [
        {"capability": f"r{i}", "level": 1, "redundancy": 1} for i in (1, 2, 3)
    ]
    pol = inst["policy"]
    assert pol["require_both_ends"] is False and pol["no_free_riders"] is False
    assert "total_budget" not in pol and pol["incentives"] == {}
    assert pol["weights"] == {"value": 1.0, "cost": 1.0, "distance": 0.0, "ties": 0.0}
    assert "enterprise" in pol["lead_types"]["economic"]
    assert inst["sponsors"] == []


def test_optima_table_complete():
    assert len(ORLIB_OPTIMA) == 45
    assert ORLIB_OPTIMA["scp41"] == 429
    assert ORLIB_OPTIMA["scp65"] == 161
    assert ORLIB_OPTIMA["scpa1"] == 253
    assert ORLIB_OPTIMA["scpd5"] == 61
    assert all(isinstance(v, int) and v > 0 for v in ORLIB_OPTIMA.values())


def test_orlib_dir_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv(ORLIB_ENV, str(tmp_path))
    assert orlib_dir() == tmp_path
    monkeypatch.setenv(ORLIB_ENV, str(tmp_path / "missing"))
    assert orlib_dir() is None


@needs_data
def test_read_scp41():
    path = orlib_path("scp41")
    assert path is not None
    costs, rows = read_scp(path)
    assert len(rows) == 200
    assert len(costs) == 1000
    assert all(len(r) > 0 for r in rows)
    assert all(c > 0 for c in costs)
    assert all(1 <= j <= 1000 for r in rows for j in r)


@needs_data
def test_scp41_instance():
    inst = scp_to_instance(orlib_path("scp41"))
    assert inst["name"] == "scp41"
    assert len(inst["targets"]) == 1
    assert len(inst["targets"][0]["requirements"]) == 200
    assert len(inst["actors"]) == 1000
    assert len(inst["capabilities"]) == 200
    # every row is coverable by some column
    covered = set()
    for a in inst["actors"]:
        covered.update(a["capabilities"])
    assert covered == {f"r{i}" for i in range(1, 201)}


@needs_data
def test_every_data_file_has_a_published_optimum():
    names = {p.stem for p in orlib_dir().glob("scp*.txt")}
    assert names <= set(ORLIB_OPTIMA)
