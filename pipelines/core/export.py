"""Exports (CSV and xlsx) that a spreadsheet cannot mistake for formulas, ready to hand over.

Every xlsx comes from to_xlsx_bytes: a title row (what, scope, as-of day, and 示例数据 on the sample), the
header frozen under it, rates as percentages (a column named …率 or …_rate), dates as dates, and columns as
wide as their content.

A cell beginning with = + - @ (or a tab or carriage return) can run as a formula when the file is opened
(CSV injection). Such text cells are prefixed with an apostrophe; numbers stay numbers. xlsx files are
written with xlsxwriter told never to turn strings into formulas, numbers or links.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import numbers

import numpy as np
import pandas as pd
import xlsxwriter

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell that could start a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(DANGEROUS_START):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_datetime64_any_dtype(out[column])
                or pd.api.types.is_bool_dtype(out[column])):
            out[column] = out[column].map(neutralise).astype(object)
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM: what Excel and WPS in China open without garbling the Chinese."""
    return neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _width(value: object) -> int:
    text = str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)  # CJK characters are two columns wide


def percent_columns(frame: pd.DataFrame) -> list[str]:
    """Rate columns (named …率 or …_rate, numeric): written as percentages."""
    return [c for c in frame.columns if (str(c).endswith("率") or str(c).endswith("_rate"))
            and pd.api.types.is_numeric_dtype(frame[c])]


def to_xlsx_bytes(frame: pd.DataFrame, sheet_name: str = "导出", *, title: str | None = None,
                  sample: bool = False, percent: list[str] | None = None) -> bytes:
    """One sheet: a title row (`title`, default the sheet name; 示例数据 when `sample`), the header frozen under
    it, rates as percentages (`percent`, default percent_columns), dates as dates, columns sized to content."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                      "strings_to_urls": False, "remove_timezone": True})
    ws = wb.add_worksheet(sheet_name[:31])
    heading = wb.add_format({"bold": True, "font_size": 14})
    header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    pct = wb.add_format({"num_format": "0.0%"})
    safe = neutralise_frame(frame)
    rates = {i for i, c in enumerate(frame.columns) if c in (percent_columns(frame) if percent is None else percent)}
    ws.write_string(0, 0, str(neutralise(title or sheet_name)) + ("（示例数据）" if sample else ""), heading)
    for c, name in enumerate(safe.columns):
        ws.write_string(1, c, str(name), header)
    widths = [_width(name) for name in safe.columns]
    for r, row in enumerate(safe.itertuples(index=False), start=2):
        for c, value in enumerate(row):
            _write_cell(ws, r, c, value, stamp, day, pct if c in rates else None)
            if r < 502 and value is not None:
                widths[c] = max(widths[c], 19 if isinstance(value, dt.datetime) else 10 if isinstance(value, dt.date)
                                else _width(value))
    for c, width in enumerate(widths):
        ws.set_column(c, c, min(max(width + 2, 8), 60))
    ws.freeze_panes(2, 0)
    if len(safe.columns):
        ws.autofilter(1, 0, 1 + len(safe), len(safe.columns) - 1)
    wb.close()
    return buffer.getvalue()


def _write_cell(ws, r: int, c: int, value: object, stamp, day, number=None) -> None:
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return
    if isinstance(value, (bool, np.bool_)):
        ws.write_boolean(r, c, bool(value))
    elif isinstance(value, numbers.Real):
        ws.write_number(r, c, value, number)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(r, c, value.replace(tzinfo=None), stamp)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), day)
    else:
        ws.write_string(r, c, str(value))
