"""Exports (CSV and xlsx) that a spreadsheet cannot mistake for formulas.

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


def to_xlsx_bytes(frame: pd.DataFrame, sheet_name: str = "导出") -> bytes:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                      "strings_to_urls": False, "remove_timezone": True})
    ws = wb.add_worksheet(sheet_name[:31])
    header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    safe = neutralise_frame(frame)
    for c, name in enumerate(safe.columns):
        ws.write_string(0, c, str(name), header)
    for r, row in enumerate(safe.itertuples(index=False), start=1):
        for c, value in enumerate(row):
            _write_cell(ws, r, c, value, stamp, day)
    ws.set_column(0, max(0, len(safe.columns) - 1), 16)
    wb.close()
    return buffer.getvalue()


def _write_cell(ws, r: int, c: int, value: object, stamp, day) -> None:
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return
    if isinstance(value, (bool, np.bool_)):
        ws.write_boolean(r, c, bool(value))
    elif isinstance(value, numbers.Real):
        ws.write_number(r, c, value)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(r, c, value.replace(tzinfo=None), stamp)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), day)
    else:
        ws.write_string(r, c, str(value))
