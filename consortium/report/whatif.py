"""The terminal reports of ``consortium explain`` and ``consortium frontier``
(from their JSON: the same dicts ``--json`` prints)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ..io.instance import Instance
from .terminal import _table


def _v(x: Any) -> str:
    if x is None:
        return "no limit"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        return f"{x:,.6g}"
    if isinstance(x, list):
        return "[" + ", ".join(map(str, x)) + "]"
    return str(x)


def _obj(z: float | None, now: float | None) -> str:
    if z is None:
        return "-"
    d = "" if now is None else f" ({z - now:+,.4f})"
    return f"{z:,.4f}{d}"


def explain_lines(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per target: its reason and the repairs as text (for the HTML report)."""
    out = []
    now = data.get("objective")
    for t in data.get("targets", []):
        reps = [f"{r['label'] or r['path']}: {r['path']} {_v(r['from'])} -> {_v(r['to'])} "
                f"(objective {_obj(r['objective'], now)})" for r in t.get("repairs", [])]
        rs = t.get("repair_set")
        if rs:
            reps.append("together: " + "; ".join(
                f"{c['path']} {_v(c['from'])} -> {_v(c['to'])}" for c in rs["changes"])
                + f" (objective {_obj(rs['objective'], now)})")
        out.append({"target": t["target"], "reason": t.get("reason", ""),
                    "status": t.get("status"), "repairs": reps, "note": t.get("note", "")})
    return out


def print_explain(inst: Instance, data: dict[str, Any], con: Console) -> None:
    now = data.get("objective")
    head = Text.assemble((data.get("instance", ""), "bold"), ": what would form each target")
    if now is not None:
        head.append(f" (optimum now {now:,.4f})")
    con.print(head)
    names = {t.id: t.name for t in inst.targets}
    for t in data.get("targets", []):
        con.print()
        nm = names.get(t["target"])
        con.print(Text.assemble((t["target"] + (f" — {nm}" if nm else ""), "bold"),
                                f" ({t['status']})"))
        if t.get("reason"):
            con.print(Text(f"reason: {t['reason']}"))
        if t.get("repairs"):
            tab = _table(("change", "text"), ("path", "text"), ("now", "money"),
                         ("needed", "money"), ("objective after", "money"))
            for r in t["repairs"]:
                tab.add_row(escape(r.get("label") or r["kind"]), escape(r["path"]),
                            escape(_v(r["from"])), escape(_v(r["to"])), _obj(r["objective"], now))
            con.print(tab)
        rs = t.get("repair_set")
        if rs:
            con.print(Text("no single change forms it; together these do:", "yellow"))
            tab = _table(("change", "text"), ("path", "text"), ("now", "money"),
                         ("needed", "money"))
            for c in rs["changes"]:
                tab.add_row(escape(c.get("label") or c["kind"]), escape(c["path"]),
                            escape(_v(c["from"])), escape(_v(c["to"])))
            con.print(tab)
            con.print(f"objective after: {_obj(rs['objective'], now)}")
        if t.get("note"):
            con.print(Text(t["note"], "dim"))


def print_alternatives(inst: Instance, data: dict[str, Any], con: Console) -> None:
    now = data.get("objective")
    con.print(Text.assemble((f"{data['target']}", "bold"),
                            f": lead {data['lead']}, members {', '.join(data['members'])}; "
                            f"objective now {now:,.4f}" if now is not None else ""))
    n = len(data["alternatives"])
    done = sum(1 for a in data["alternatives"] if a["status"] != "bounded")
    top = data.get("top")
    con.print(Text(f"{n} alternative(s), {done} exact ({data['solves']} solves, "
                   f"{data.get('certificates', 0)} certificate(s), {data['time_s']:.2f} s)"
                   + ("" if data["exact"] else
                      f"; the others are proven at most the {top}th best (--all: every one "
                      "exact)"), "dim"))
    tab = _table(("rank", "text"), ("choice", "text"), ("objective", "money"),
                 ("difference", "money"), ("lead / members then", "text"))
    for i, a in enumerate(data["alternatives"], 1):
        what = (f"{a['actor']} leads" if a["kind"] == "lead"
                else f"{a['actor']} for {a['replaces']}" + (f" at {a['site']}" if a["site"]
                                                            else ""))
        if a["status"] == "optimal":
            z, diff = f"{a['objective']:,.4f}", f"{a['difference']:+,.4f}"
            then = f"{a['lead']}; {', '.join(a['members'])}"
        elif a["status"] == "infeasible":
            z, diff, then = "no plan", "-", "-"
        else:
            z, diff, then = f"<= {a['bound']:,.4f}", "-", "(below the top: at most this)"
        tab.add_row(str(i), escape(what), z, diff, escape(then))
    con.print(tab)


def print_frontier(inst: Instance, data: dict[str, Any], con: Console) -> None:
    con.print(Text.assemble((f"Budget frontier of {data['path']}", "bold"),
                            f": {len(data['steps'])} step(s), exact "
                            f"({data['solves']} solves, {data['time_s']:.2f} s)"))
    tab = _table(("from budget", "money"), ("objective", "money"), ("spend", "money"),
                 ("added", "text"), ("removed", "text"), ("start moved", "text"))
    for s in data["steps"]:
        tab.add_row(f"{s['budget']:,.6g}", f"{s['objective']:,.4f}", f"{s['spend']:,.4f}",
                    escape(", ".join(s["added"]) or "-"), escape(", ".join(s["removed"]) or "-"),
                    escape(", ".join(s.get("restarted", [])) or "-"))
    con.print(tab)
    if not data.get("complete", True):
        con.print(Text("stopped at the step limit: the frontier goes on", "yellow"))
