"""Spreadsheets in and out: instances from workbooks or CSV folders
(:mod:`.reader`, the tables in :mod:`.tables`), instances and templates to
workbooks (:mod:`.writer`), contracts to Excel or CSV (:mod:`.contracts`)."""

from __future__ import annotations

from .contracts import export_contracts
from .reader import SpreadsheetError, read_workbook
from .tables import TABLES
from .writer import instance_to_workbook, write_template

__all__ = ["TABLES", "SpreadsheetError", "export_contracts", "instance_to_workbook",
           "read_workbook",
           "write_template"]
