"""The results file of a sweep (SQLite): writing it scenario by scenario, and the
one reader of it (``consortium plot``, ``report --sweep``, the Python API).

Three tables: ``scenarios`` (one row per scenario: its overrides, one column
per swept path, status, objective, bound, gap, spend, formed, formed_targets,
leads, solve_time_s, worker, error), ``plans`` (scenario -> the solution
JSON) and ``meta`` (instance, grid and solver options). Every finished
scenario is one transaction, so a file is never half written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..io.jsonfile import atomic_path
from .paths import SweepError

if TYPE_CHECKING:
    import pandas as pd

RESULTS_FORMAT = "consortium-sweep/1"
RESULT_COLUMNS = ["status", "objective", "bound", "gap", "spend", "formed", "formed_targets",
                  "leads", "solve_time_s", "worker", "error"]
PLAN_STATUSES = ("optimal", "feasible")  # a row with a plan; every other status has none


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cell(v: Any) -> Any:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, int) and not isinstance(v, bool) and not -(2**63) <= v < 2**63:
        # beyond SQLite's INTEGER: a REAL if a float holds it, else its digits
        try:
            return float(v)
        except OverflowError:
            return str(v)
    return v


class Store:
    """The results file. Only the parent process writes to it."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.con = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("PRAGMA synchronous=FULL")
        self.paths: list[str] = []

    # ------------------------------------------------------------ lifecycle

    def create(self, paths: list[str], meta: dict[str, Any]) -> None:
        self.paths = list(paths)
        cols = ", ".join([_q(p) for p in paths])
        c = self.con
        c.execute("BEGIN IMMEDIATE")
        try:
            c.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            c.execute(
                "CREATE TABLE scenarios (scenario INTEGER PRIMARY KEY, overrides TEXT NOT NULL, "
                + (cols + ", " if cols else "")
                + "status TEXT NOT NULL, objective REAL, bound REAL, gap REAL, spend REAL, "
                "formed INTEGER, "
                "formed_targets TEXT, leads TEXT, solve_time_s REAL, worker TEXT, error TEXT)"
            )
            c.execute(
                "CREATE TABLE plans (scenario INTEGER PRIMARY KEY REFERENCES scenarios(scenario), "
                "solution TEXT NOT NULL)"
            )
            c.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in meta.items()],
            )
            c.execute("COMMIT")
        except BaseException:
            _rollback(c)
            raise

    def tables(self) -> set[str]:
        return {
            r[0] for r in self.con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }

    def meta(self) -> dict[str, str]:
        try:
            return dict(self.con.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError:
            return {}

    def done(self) -> set[int]:
        return {r[0] for r in self.con.execute("SELECT scenario FROM scenarios")}

    def failed(self) -> set[int]:
        return {
            r[0] for r in self.con.execute("SELECT scenario FROM scenarios WHERE status = 'failed'")
        }

    def forget(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        c = self.con
        c.execute("BEGIN IMMEDIATE")
        c.executemany("DELETE FROM plans WHERE scenario = ?", [(i,) for i in ids])
        c.executemany("DELETE FROM scenarios WHERE scenario = ?", [(i,) for i in ids])
        c.execute("COMMIT")

    def commit(self, res: dict[str, Any]) -> None:
        """One finished scenario: its row and its plan, in one transaction."""
        row = res["row"]
        cols = ["scenario", "overrides"] + self.paths + RESULT_COLUMNS
        vals = [res["scenario"], json.dumps(row["overrides"], ensure_ascii=False)]
        vals += [_cell(row["overrides"].get(p)) for p in self.paths]
        vals += [_cell(row.get(k)) for k in RESULT_COLUMNS]
        c = self.con
        c.execute("BEGIN IMMEDIATE")
        try:
            c.execute(
                f"INSERT INTO scenarios ({', '.join(map(_q, cols))}) "
                f"VALUES ({', '.join('?' * len(cols))})",
                vals,
            )
            if res.get("plan") is not None:
                c.execute("INSERT INTO plans VALUES (?, ?)", (res["scenario"], res["plan"]))
            c.execute("COMMIT")
        except BaseException:
            _rollback(c)
            raise

    def close(self) -> None:
        self.con.close()


def _rollback(c: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already (it rolls back by
    itself on a full disk): the error that got here is the one to report."""
    if c.in_transaction:
        try:
            c.execute("ROLLBACK")
        except sqlite3.DatabaseError:
            pass


def remove_results(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


# ===================================================================== reading


@dataclass
class SweepResults:
    """The scenarios of a results file. Each row holds every swept path's exact
    value (from its overrides); ``note`` says why there is nothing to show."""

    path: str
    meta: dict[str, Any]
    params: list[str]
    rows: list[dict[str, Any]]
    note: str | None = None

    @property
    def currency(self) -> str:
        return str(self.meta.get("currency") or "")

    @property
    def name(self) -> str:
        return str(
            self.meta.get("instance_name") or Path(self.meta.get("instance", "instance")).stem
        )

    def table(self) -> pd.DataFrame:
        """The ``scenarios`` table as stored (JSON text in list and object columns)."""
        import pandas as pd

        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            return pd.read_sql("SELECT * FROM scenarios ORDER BY scenario", con)
        finally:
            con.close()

    def frame(self) -> pd.DataFrame:
        """One row per scenario: the swept paths (exact values), status, metrics
        (objective, spend, bound, gap, formed: empty without a plan), formed
        targets and leads as lists, time, worker, error."""
        import pandas as pd

        out = []
        for r in self.rows:
            has = r.get("status") in PLAN_STATUSES
            d: dict[str, Any] = {"scenario": r.get("scenario")}
            for p in self.params:
                d[p] = r.get(p)
            d["status"] = r.get("status")
            for m in ("objective", "bound", "gap", "spend", "formed"):
                d[m] = r.get(m) if has else None
            for m in ("formed_targets", "leads"):
                v = r.get(m)
                d[m] = json.loads(v) if isinstance(v, str) else v
            for m in ("solve_time_s", "worker", "error"):
                d[m] = r.get(m)
            out.append(d)
        return pd.DataFrame(out, columns=["scenario", *self.params, *RESULT_COLUMNS])


def read_results(path: str | Path, *, strict: bool = True) -> SweepResults:
    """The results file at ``path``. ``strict``: it must be a consortium sweep file
    (its ``meta`` says so); otherwise any SQLite file with a ``scenarios`` table
    laid out as a sweep writes it is read (a missing or empty table gives a note)."""
    p = Path(path)
    if not p.is_file():
        raise SweepError(f"{p}: no such file")
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            tables = {
                r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            meta = dict(con.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
            if strict and meta.get("format") != RESULTS_FORMAT:
                raise SweepError(f"{p}: not a consortium sweep results file")
            if "scenarios" not in tables:
                return SweepResults(str(p), meta, [], [],
                                    "the file has no scenarios table (no sweep results yet)")
            cur = con.execute("SELECT * FROM scenarios ORDER BY scenario")
            cols = [d[0] for d in cur.description]
            stored = [dict(zip(cols, r, strict=False)) for r in cur.fetchall()]
        finally:
            con.close()
    except sqlite3.DatabaseError as e:
        raise SweepError(f"{p}: not a sweep results file ({e})") from None
    if "paths" in meta:
        meta["paths"] = json.loads(meta["paths"])
    params = list(
        meta.get("paths")
        or [c for c in cols if c not in RESULT_COLUMNS and c not in ("scenario", "overrides")]
    )
    rows = []
    for r in stored:
        row = dict(r)
        try:
            ov = json.loads(r.get("overrides") or "{}")
        except (TypeError, ValueError):
            ov = {}
        for k, v in ov.items() if isinstance(ov, dict) else []:
            row[k] = v  # the exact value swept (a column holds JSON text for lists)
            if k not in params and "paths" not in meta and k not in cols:
                params.append(k)  # an older layout: the overrides JSON only
        rows.append(row)
    note = None
    if not rows:
        note = "the scenarios table is empty"
    elif "objective" not in cols:
        note = "the scenarios table has no objective column"
    return SweepResults(str(p), meta, params, rows, note)


def export_parquet(results: str | Path, out: str | Path) -> int:
    """Write the ``scenarios`` table as Parquet (the meta as schema metadata)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    res = read_results(results)
    df, meta = res.table(), res.meta
    for c in df.columns:
        if df[c].dtype == object:
            kinds = {type(v) for v in df[c] if v is not None}
            if len(kinds) > 1:  # mixed types (e.g. a number and a string): keep as JSON text
                df[c] = [None if v is None else json.dumps(v) for v in df[c]]
    table = pa.Table.from_pandas(df, preserve_index=False)
    md = dict(table.schema.metadata or {})
    md[b"consortium_sweep"] = json.dumps(meta).encode()
    table = table.replace_schema_metadata(md)
    with atomic_path(out) as tmp:
        pq.write_table(table, tmp)
    return len(df)
