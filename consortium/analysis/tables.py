"""The analyses as tables (pandas DataFrames), and writing them as CSV or Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..io.jsonfile import atomic_path

if TYPE_CHECKING:
    import pandas as pd

    from ..io.instance import Instance


def _join(x: list[str] | None) -> str:
    return ";".join(x) if x else ""


def names_of(inst: Instance | None) -> dict[str, dict[str, str]]:
    """``{"actors": id -> name, "targets": id -> name}`` (the id where there is
    no name), for the name columns beside the ids."""
    if inst is None:
        return {"actors": {}, "targets": {}}
    return {"actors": {a.id: a.name or a.id for a in inst.actors},
            "targets": {t.id: t.name or t.id for t in inst.targets}}


def marginal_table(records: list[dict[str, Any]], vcg: dict[str, Any] | None = None,
                   inst: Instance | None = None) -> pd.DataFrame:
    """One row per marginal-value record, with its VCG reward (and, given the
    instance, the target's and the actor's names beside their ids)."""
    import pandas as pd

    v = {(c["target"], c["actor"]): c for c in (vcg or {}).get("contracts", [])}
    names = names_of(inst)
    rows = []
    for m in records:
        c = v.get((m["target"], m["actor"]), {})
        rows.append({
            "target": m["target"], "target_name": names["targets"].get(m["target"], m["target"]),
            "actor": m["actor"], "actor_name": names["actors"].get(m["actor"], m["actor"]),
            "role": m["role"], "reward": m["reward"],
            "marginal_value": m["marginal_value"], "vcg_reward": c.get("vcg_reward"),
            "critical": m["critical"], "outcome": m["outcome"],
            "replacement": _join(m["replacement"]),
            "lead_after": m["lead_after"], "status": m["status"],
            "objective_without": m["objective_without"], "note": m["note"],
        })
    return pd.DataFrame(rows, columns=["target", "target_name", "actor", "actor_name", "role",
                                       "reward", "marginal_value",
                                       "vcg_reward",
                                       "critical", "outcome", "replacement", "lead_after", "status",
                                       "objective_without", "note"])


def stress_table(records: list[dict[str, Any]], ranking: list[dict[str, Any]] | None = None,
                 inst: Instance | None = None) -> pd.DataFrame:
    """One row per stress scenario, with its early-warning rank (and, given the
    instance, the names of the actors dropped and the targets lost)."""
    import pandas as pd

    rank = {r["actor"]: r["rank"] for r in ranking or []}
    names = names_of(inst)

    def named(kind: str, ids: list[str]) -> str:
        return _join([names[kind].get(i, i) for i in ids])

    rows = []
    for r in records:
        rows.append({
            "scenario": r["name"], "drop": _join(r["drop"]),
            "drop_names": named("actors", r["drop"]),
            "dropped_in_plan": _join(r["dropped_in_plan"]),
            "rank": rank.get(r["drop"][0]) if len(r["drop"]) == 1 and r["drop"][0] in rank
            else None,
            "status": r["status"], "objective_before": r["objective_before"],
            "objective_after": r["objective_after"], "objective_change": r["objective_change"],
            "value_change": r["value_change"], "spend_change": r["spend_change"],
            "lost_targets": _join(r["lost_targets"]),
            "lost_target_names": named("targets", r["lost_targets"]),
            "new_targets": _join(r["new_targets"]),
            "changed_targets": _join([c["target"] for c in r["changed"]]),
            "lead_changes": _join([f"{c['target']}:{c['lead_before']}->{c['lead_after']}"
                                   for c in r["changed"] if c["lead_before"] != c["lead_after"]]),
            "uncovered": _join(sorted({u["capability"] for u in r["uncovered"]})),
            "note": r["note"],
        })
    df = pd.DataFrame(rows, columns=["scenario", "drop", "drop_names", "dropped_in_plan", "rank",
                                     "status", "objective_before", "objective_after",
                                     "objective_change", "value_change", "spend_change",
                                     "lost_targets", "lost_target_names", "new_targets",
                                     "changed_targets", "lead_changes", "uncovered", "note"])
    df["rank"] = df["rank"].astype("Int64")
    return df


TABLE_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """CSV or Parquet by extension, written atomically."""
    p = Path(path)
    kind = TABLE_SUFFIXES.get(p.suffix.lower())
    if kind is None:
        raise ValueError(f"--table: {p}: unknown extension (use .csv or .parquet)")
    with atomic_path(p) as tmp:
        if kind == "csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)
