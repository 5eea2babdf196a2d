"""Pre-solve findings name every rule their message gives (issue 18): a fixed
member who can deliver nothing and may not lead is rule 14 (fixed decisions)
and rule 4 (no free riders), not rule 1; a message joining several causes
carries each cause's rule."""

from __future__ import annotations

import copy
import json

from click.testing import CliRunner
from conftest import DATA

from consortium.cli import cli
from consortium.io.instance import from_dict
from consortium.solving.build import build
from consortium.solving.diagnose import rules_of


def tiny():
    return json.loads((DATA / "valid" / "tiny.json").read_text())


def findings_of(raw):
    return [f for f in build(from_dict(copy.deepcopy(raw))).findings if f.target == "t1"]


def test_fixed_member_who_delivers_nothing_is_rule_14_and_4(tmp_path):
    raw = tiny()
    raw["actors"].append({"id": "idle", "type": "university", "ownership": "state",
                          "region": "JS", "lat": 31.3, "lon": 120.7, "capabilities": {},
                          "cost": 1.0})
    raw["fixed"] = {"members": [["t1", "idle"]]}
    [f] = findings_of(raw)
    assert f.severity == "error"
    assert f.rules == ["14", "4"] and f.rule == "14", f
    text = str(f)
    assert "rule 14: fixed decisions" in text and "rule 4: no free riders" in text
    assert "rule 1:" not in text
    p = tmp_path / "i.json"
    p.write_text(json.dumps(raw))
    r = CliRunner().invoke(cli, ["validate", str(p)])
    assert r.exit_code == 1 and "rule 14: fixed decisions; rule 4: no free riders" in r.output


def test_several_causes_carry_every_rule():
    raw = tiny()
    raw["targets"][0]["mandatory"] = True
    raw["targets"][0]["requirements"][0]["redundancy"] = 3  # one holder of sic at level 5
    raw["targets"][0]["min_members"] = 5  # three actors in all
    raw["sites"].append({"id": "far", "lat": 45.0, "lon": 90.0})
    raw["targets"][0]["sites"].append("far")
    raw["targets"][0]["max_distance_km"] = 200
    fs = findings_of(raw)
    assert len(fs) == 2, fs  # one per site, each joining its causes
    sip = next(f for f in fs if "at sip" in f.message)
    assert sip.rules == ["3", "6"], sip
    assert "rule 3: redundancy; rule 6: size bounds" in str(sip)
    far = next(f for f in fs if "at far" in f.message)
    assert far.rules[0] == "1" and {"3", "5", "6"} <= set(far.rules), far


def test_rules_of_reads_each_cause_and_site():
    msg = ("at s1: no eligible lead within 50 km (lead types: institute, lab); "
           "redundancy 2 for 'sic' (level 5) but only 1 eligible holder(s) within reach; "
           "at s2: fixed lead 'x' is not eligible here (120 km from the site, limit 50 km); "
           "no market-end actor within reach (both ends required)")
    assert rules_of(msg) == ["1", "3", "14", "2", "5"]
    assert rules_of("its cheapest possible consortium spends at least 9, above its budget 5") \
        == ["12"]
    assert rules_of("fixed member 'y' is not eligible here (max_consortia is 0)") == ["14", "11"]
