"""The findings as a workbook: a copy of the upload with every bad cell coloured and commented, plus 问题清单.

Errors are red, warnings yellow, and cells read from another notation (已按…理解) blue.

The analyst fixes the copy (or the original, cell by cell) and uploads again. Everything written comes
from the upload, so every cell is written as text and any text Excel or WPS could take for a formula
(= + - @ tab CR at the start) is neutralised with a leading apostrophe.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
import xlsxwriter

from pipelines.ingest.findings import SEVERITY_LABELS, column_letter, rule_label
from pipelines.ingest.read import Grid, Upload

LIST_SHEET = "问题清单"
MAX_COMMENTS = 20_000  # beyond this Excel slows to a crawl; further cells are coloured only
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_DAY_AT_MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2}) 00:00:00")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\']")


def neutralise(value: object) -> str:
    """Text safe to put in a spreadsheet cell: a leading = + - @ tab or CR cannot start a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}  # a cell takes the colour of its worst finding


@dataclass
class _Mark:
    severity: str
    messages: list[str]


def findings_workbook(upload: Upload, findings: pd.DataFrame) -> bytes:
    """The upload's sheets as read, bad cells highlighted with a comment each, and the list of findings."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                      "strings_to_urls": False})
    fmt = {
        "header": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
        "error": wb.add_format({"bg_color": "#F8CBAD", "border": 2, "border_color": "#C00000"}),
        "warning": wb.add_format({"bg_color": "#FFE699", "border": 1, "border_color": "#BF8F00"}),
        "info": wb.add_format({"bg_color": "#DDEBF7", "border": 1, "border_color": "#2F75B5"}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "link": wb.add_format({"font_color": "#0563C1", "underline": 1, "valign": "top"}),
    }
    listing = wb.add_worksheet(LIST_SHEET)
    names = _sheet_names(upload.grids)
    cells = _locate(upload, findings)
    marks = _marks(findings, cells)
    _write_listing(listing, fmt, findings, cells, names)
    comments = 0
    for grid in upload.grids:
        ws = wb.add_worksheet(names[grid.name])
        _write_grid(ws, grid)
        for (r, c), mark in sorted(marks.get(grid.name, {}).items()):
            ws.write_string(r, c, neutralise(_cell(grid, r, c)), fmt[mark.severity])
            if comments < MAX_COMMENTS:
                ws.write_comment(r, c, "\n".join(mark.messages)[:30_000], {"x_scale": 3, "y_scale": 2})
                comments += 1
        ws.freeze_panes(_header_row(upload, grid.name) or 0, 0)
        if grid.hidden:
            ws.hide()  # as in the upload: a hidden sheet stays hidden
    listing.activate()
    wb.close()
    return buffer.getvalue()


def _sheet_names(grids: list[Grid]) -> dict[str, str]:
    """Excel sheet names: at most 31 characters, none of []:*?/\\', unique, never the list's own name."""
    used = {LIST_SHEET}
    names = {}
    for grid in grids:
        base = _BAD_SHEET_CHARS.sub("_", grid.name).strip() or "Sheet"
        name, n = base[:31], 1
        while name in used:
            n += 1
            name = f"{base[:27]}({n})"
        used.add(name)
        names[grid.name] = name
    return names


def _cell(grid: Grid, r: int, c: int) -> str | None:
    """The text of the cell at 0-based Excel row r, column c, as read."""
    i, j = r - (grid.first_row - 1), c - grid.first_col
    if 0 <= j < len(grid.columns) and 0 <= i < grid.height:
        return _shown(grid.columns[j][i].as_py())
    return None


def _shown(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    day = _DAY_AT_MIDNIGHT.fullmatch(text)  # a date cell, as fastexcel gives it
    return day.group(1) if day else text


def _write_grid(ws, grid: Grid) -> None:
    top = grid.first_row - 1
    columns = [col.to_pylist() for col in grid.columns]
    for c, values in enumerate(columns):
        ws.set_column(grid.first_col + c, grid.first_col + c, 14)
        for i, value in enumerate(values):
            text = _shown(value)
            if text is not None:
                ws.write_string(top + i, grid.first_col + c, neutralise(text))


def _header_row(upload: Upload, sheet: str) -> int | None:
    for staged in upload.sheets.values():
        if sheet in staged.header_rows:
            return staged.header_rows[sheet]
    return None


def _header_columns(upload: Upload, grid: Grid) -> dict[str, list[int]]:
    """Header text -> 0-based Excel columns with that header (a header merged over two rows counts too)."""
    row = _header_row(upload, grid.name)
    found: dict[str, list[int]] = defaultdict(list)
    if row is None:
        return found
    i = row - grid.first_row
    for j, col in enumerate(grid.columns):
        texts = [col[k].as_py() for k in (i, i - 1) if 0 <= k < grid.height]
        text = next((t.strip() for t in texts if isinstance(t, str) and t.strip()), None)
        if text:
            found[text].append(grid.first_col + j)
    return found


def _locate(upload: Upload, findings: pd.DataFrame) -> list[tuple[int, int] | None]:
    """For each finding, the 0-based cell it is about: its column in its row, or the row's first cell when
    it names no column found in the header; None for a finding about a whole sheet or file."""
    grids = {g.name: g for g in upload.grids}
    headers = {name: _header_columns(upload, g) for name, g in grids.items()}
    cells: list[tuple[int, int] | None] = []
    for f in findings.itertuples(index=False):
        grid = grids.get(f.sheet)
        if grid is None or pd.isna(f.row):
            cells.append(None)
            continue
        columns = headers[f.sheet].get(f.column, []) if isinstance(f.column, str) else []
        columns = columns or [grid.first_col]
        cells.append((int(f.row) - 1, columns[-1] if f.rule == "duplicate_column" else columns[0]))
    return cells


def _marks(findings: pd.DataFrame, cells: list[tuple[int, int] | None]) -> dict[str, dict[tuple[int, int], _Mark]]:
    """Per sheet and cell: the worst severity and every message about it."""
    marks: dict[str, dict[tuple[int, int], _Mark]] = defaultdict(dict)
    for f, cell in zip(findings.itertuples(index=False), cells, strict=True):
        if cell is None:
            continue
        mark = marks[f.sheet].setdefault(cell, _Mark(f.severity, []))
        mark.messages.append(f"【{SEVERITY_LABELS.get(f.severity, f.severity)}】{f.message}")
        if SEVERITY_RANK[f.severity] < SEVERITY_RANK[mark.severity]:
            mark.severity = f.severity
    return marks


def _write_listing(ws, fmt: dict, findings: pd.DataFrame, cells: list[tuple[int, int] | None],
                   names: dict[str, str]) -> None:
    headers = ["级别", "工作表", "单元格", "列", "值", "说明", "规则"]
    widths = [6, 16, 8, 16, 18, 70, 14]
    for c, (h, w) in enumerate(zip(headers, widths, strict=True)):
        ws.write_string(0, c, h, fmt["header"])
        ws.set_column(c, c, w)
    ws.freeze_panes(1, 0)
    for i, (f, cell) in enumerate(zip(findings.itertuples(index=False), cells, strict=True), start=1):
        ws.write_string(i, 0, SEVERITY_LABELS.get(f.severity, str(f.severity)), fmt.get(f.severity))
        ws.write_string(i, 1, neutralise(f.sheet))
        if cell is not None:
            ref = f"{column_letter(cell[1])}{cell[0] + 1}"
            ws.write_url(i, 2, f"internal:'{names[f.sheet]}'!{ref}", fmt["link"], ref)
        elif not pd.isna(f.row):
            ws.write_string(i, 2, f"第{int(f.row)}行")
        ws.write_string(i, 3, neutralise(f.column) if isinstance(f.column, str) else "")
        ws.write_string(i, 4, neutralise(f.value) if isinstance(f.value, str) else "")
        ws.write_string(i, 5, neutralise(f.message), fmt["wrap"])
        ws.write_string(i, 6, rule_label(f.rule))
    if len(findings):
        ws.autofilter(0, 0, len(findings), len(headers) - 1)
