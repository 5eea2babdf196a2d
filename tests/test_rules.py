"""The rule functions of ``consortium.model.rules`` read alone."""

from __future__ import annotations

import copy
import json

from conftest import ROOT

from consortium.io.instance import from_dict
from consortium.model.build import build_model
from consortium.model.data import ModelData

DEMO = ROOT / "instances" / "demo" / "suzhou.json"


def test_every_tie_row_describes_its_own_target():
    """Tie rows are made in a loop over targets: each row's description names
    the target the row belongs to (a closure over the loop variable named the
    last target for all of them)."""
    raw = copy.deepcopy(json.loads(DEMO.read_text()))
    raw["policy"].setdefault("weights", {})["ties"] = 1.0
    md = ModelData(from_dict(raw))
    lm, _V = build_model(md)
    blocks = [blk for blk in lm.row_blocks if blk.rule == "ties"]
    targets = {int(blk.target[0]) for blk in blocks}
    assert len(targets) >= 2, "the demo's ties should reach several targets"
    for blk in blocks:
        tid = md.inst.targets[int(blk.target[0])].id
        for i in range(blk.stop - blk.start):
            assert blk.describe(i).startswith(f"{tid}: tie"), (tid, blk.describe(i))
