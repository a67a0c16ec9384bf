"""The data behind a chart or table as files people open in Excel: xlsx and UTF-8-with-BOM CSV.

Text cells that start with = + - @ (or a tab / carriage return) would run as formulas in Excel or WPS:
they are neutralised by a leading apostrophe. Numbers stay numbers.
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [str(neutralise(str(c))) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so that Excel on a Chinese Windows opens it without mojibake."""
    return _safe(frame).to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8-sig")


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "数据") -> bytes:
    import xlsxwriter

    safe = _safe(frame)
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(sheet[:31])
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, list(safe.columns), head)
    for r, row in enumerate(safe.itertuples(index=False), start=1):
        for c, value in enumerate(row):
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            if isinstance(value, pd.Timestamp):
                value = value.to_pydatetime()
            if isinstance(value, (dt.date, dt.datetime)):
                if isinstance(value, dt.datetime) and value.tzinfo is not None:
                    value = value.replace(tzinfo=None)
                ws.write_datetime(r, c, value if isinstance(value, dt.datetime)
                                  else dt.datetime.combine(value, dt.time()), date_format)
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif isinstance(value, (int, float)):
                ws.write_number(r, c, value)
            elif hasattr(value, "item"):  # numpy scalars
                ws.write(r, c, value.item())
            else:
                ws.write_string(r, c, str(value))
    ws.set_column(0, max(0, len(safe.columns) - 1), 14)
    ws.freeze_panes(1, 0)
    wb.close()
    return buffer.getvalue()
