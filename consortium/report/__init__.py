"""Presenting a plan: the HTML report (:mod:`.page`, its figures in
:mod:`.figures`, the solution read against its instance in :mod:`.view`) and
the terminal report of ``consortium solve`` (:mod:`.terminal`)."""

from __future__ import annotations

from typing import Any

__all__ = ["ReportError", "read_sweep", "render_report"]


def __getattr__(name: str) -> Any:  # PEP 562: the terminal report must not load matplotlib
    if name == "render_report":
        from .page import render_report

        return render_report
    if name == "ReportError":
        from .view import ReportError

        return ReportError
    if name == "read_sweep":
        return read_sweep
    raise AttributeError(name)


def read_sweep(path: Any) -> Any:
    """A sweep's results file for ``render_report(sweep=...)`` (see
    :func:`consortium.sweep.read_results`; a file without a sweep's meta table
    is read too)."""
    from pathlib import Path

    from ..sweep.store import read_results
    from .view import ReportError

    if not Path(path).is_file():
        raise ReportError(f"{path}: no such file "
                          "(--sweep expects the SQLite file of `consortium sweep`)")
    return read_results(path, strict=False)
