"""Workbooks as street offices write them, in the formats they use: Excel 97-2003 (.xls, written by xlwt),
xlsx with formulas Excel never calculated (openpyxl writes no cached value), and the cell notations
of issue 12 (floors as written, numbers with units, dates without a year, ...).

The rows use the same cell types as workbooks.py (Formula, Text, Serial, dates); write_xls is the .xls
counterpart of workbooks.write_xlsx.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import xlwt
from workbooks import Formula, Serial, Sheet, Text


def write_xls(path: Path, sheets: Sequence[Sheet]) -> Path:
    """A real BIFF8 .xls: text, numbers, dates with a date format, merged ranges, hidden sheets.

    A Formula is written as a formula; xlwt stores no cached result, as a .xls saved by a script (not by
    Excel) has none.
    """
    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for spec in sheets:
        ws = wb.add_sheet(spec.name, cell_overwrite_ok=True)
        r0, c0 = spec.origin
        merged = {(r1, c1) for r1, c1, *_ in spec.merges}
        for r, row in enumerate(spec.rows):
            for c, value in enumerate(row):
                if (r0 + r, c0 + c) not in merged:
                    _write_xls_cell(ws, r0 + r, c0 + c, value, date_style)
        for r1, c1, r2, c2, value in spec.merges:
            ws.write_merge(r1, r2, c1, c2, _xls_value(value))
        if spec.hidden:
            ws.visibility = 1
    wb.save(str(path))
    return path


def _xls_value(value: object) -> object:
    if isinstance(value, Text):
        return value.text
    if isinstance(value, Serial):
        return value.value
    return value


def _write_xls_cell(ws, r: int, c: int, value: object, date_style) -> None:
    if value is None:
        return
    if isinstance(value, Formula):
        ws.write(r, c, xlwt.Formula(value.formula.lstrip("=")))
    elif isinstance(value, dt.date):
        ws.write(r, c, dt.datetime.combine(value, dt.time()), date_style)
    elif isinstance(value, bool | int | float | Text | Serial):
        ws.write(r, c, _xls_value(value))
    else:
        ws.write(r, c, str(value))


def write_xlsx_uncalculated(path: Path, rows: Sequence[Sequence[object]], name: str = "Sheet1") -> Path:
    """An xlsx whose Formula cells carry no cached value (as openpyxl and many export scripts write them)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = name
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if isinstance(value, Formula):
                ws.cell(r, c, value.formula if value.formula.startswith("=") else f"={value.formula}")
            elif isinstance(value, Text):
                ws.cell(r, c, value.text)
            elif value is not None:
                ws.cell(r, c, value)
    wb.save(str(path))
    return path
