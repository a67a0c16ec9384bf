"""Real spreadsheet files for the tests: xlsx written by xlsxwriter, CSV in the encodings Excel and WPS use.

A sheet is described by its rows as the analyst would type them; special cell values say how a cell is
stored (a formula with its cached value, a real Excel date, an Excel serial, text that looks like a number).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from pipelines.core.contract import credit_check_char

FIXED_TIME = dt.datetime(2020, 4, 1, 9, 0, 0)


@dataclass(frozen=True)
class Formula:
    """A formula cell with the value Excel cached when it last calculated the workbook."""

    formula: str
    value: object


@dataclass(frozen=True)
class Text:
    """A cell stored as text even if it looks like a number (Excel's 'number stored as text')."""

    text: str


@dataclass(frozen=True)
class Serial:
    """A date stored as a bare Excel serial number, without a date format."""

    value: float


@dataclass
class Sheet:
    name: str
    rows: Sequence[Sequence[object]]
    origin: tuple[int, int] = (0, 0)  # 0-based (row, col) of rows[0][0]: (2, 2) is C3
    merges: Sequence[tuple[int, int, int, int, object]] = ()  # absolute 0-based (r1, c1, r2, c2, value)
    hidden: bool = False
    trailing_formatted: tuple[int, int] = (0, 0)  # empty but formatted rows/cols after the data
    formatted_blanks: Sequence[tuple[int, int]] = ()  # absolute 0-based cells: empty, with a border


def write_xlsx(path: Path, sheets: Sequence[Sheet]) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    wb.set_properties({"created": FIXED_TIME, "author": "tests"})
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    boxed = wb.add_format({"border": 1})
    for spec in sheets:
        ws = wb.add_worksheet(spec.name)
        r0, c0 = spec.origin
        for r, row in enumerate(spec.rows):
            for c, value in enumerate(row):
                _write_cell(ws, r0 + r, c0 + c, value, date_format)
        for r1, c1, r2, c2, value in spec.merges:
            ws.merge_range(r1, c1, r2, c2, value)
        for r, c in spec.formatted_blanks:
            ws.write_blank(r, c, None, boxed)
        extra_rows, extra_cols = spec.trailing_formatted
        if extra_rows or extra_cols:
            width = max((len(r) for r in spec.rows), default=0)
            last_row = r0 + len(spec.rows)
            for r in range(last_row, last_row + extra_rows):
                ws.write_blank(r, c0, None, boxed)
            for c in range(c0 + width, c0 + width + extra_cols):
                ws.write_blank(r0, c, None, boxed)
        if spec.hidden:
            ws.hide()
    wb.close()
    return path


def _write_cell(ws, r: int, c: int, value: object, date_format) -> None:
    if value is None:
        return
    if isinstance(value, Formula):
        ws.write_formula(r, c, value.formula, None, value.value)
    elif isinstance(value, Text):
        ws.write_string(r, c, value.text)
    elif isinstance(value, Serial):
        ws.write_number(r, c, value.value)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value)
    else:
        ws.write_string(r, c, str(value))


def write_csv(path: Path, rows: Sequence[Sequence[object]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    """encoding: utf-8, utf-8-sig (WPS), gbk (Chinese Excel), utf-16 with tabs (Excel's Unicode text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", delimiter=delimiter)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def credit_code(n: int, prefix: str = "91310105") -> str:
    """A valid 统一社会信用代码 (GB 32100-2015), different for every n."""
    body = f"{prefix}{n:09d}"
    return body + credit_check_char(body)


def bad_check_char(code: str) -> str:
    """The same code with a wrong check character."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    wrong = alphabet[(alphabet.index(code[-1]) + 1) % len(alphabet)]
    return code[:-1] + wrong


# -- the contract's sheets with good rows, for tests that spoil one cell -----------------------

BUILDING_HEADER = ["楼宇编号", "楼宇名称", "所属街道", "地址", "经度", "纬度", "坐标系", "建筑面积", "楼层数", "物业公司",
                   "楼长"]
COMPANY_HEADER = ["统一社会信用代码", "企业名称", "楼宇编号", "楼层", "行业", "员工总数", "企业类型", "重点企业",
                  "计划复工日期", "防控联系人", "联系电话"]
RETURN_HEADER = ["日期", "统一社会信用代码", "企业名称", "在岗人数", "居家办公人数", "重点地区返沪人数", "境外返沪人数",
                 "居家观察人数", "体温异常人数"]
CHECK_HEADER = ["日期", "楼宇编号", "封闭管理", "排摸登记", "应对预案", "卫生消毒", "组织动员", "企业服务", "物业履责评分",
                "发现问题", "检查人"]
REQUEST_HEADER = ["诉求编号", "日期", "统一社会信用代码", "类别", "内容", "状态", "办结日期"]

C1, C2, C3 = credit_code(1), credit_code(2), credit_code(3)


AUTO = "〈按编号〉"  # building_row's default name: one per code


def building_row(bid: str = "T-001", name: str | None = AUTO, lon: object = 121.4305, lat: object = 31.2200,
                 **over: object) -> list[object]:
    """A good 楼宇名录 row; the name defaults to one per code (two codes with one name are a warning)."""
    row = dict(zip(BUILDING_HEADER, [bid, f"测试大厦{bid}" if name == AUTO else name, "江苏路街道", "愚园路1号", lon, lat, "GCJ02", 20000, 20, "测试物业",
                                     "王伟"], strict=True))
    row.update(over)
    return list(row.values())


def company_row(code: str = C1, bid: str = "T-001", employees: object = 100, **over: object) -> list[object]:
    row = dict(zip(COMPANY_HEADER, [code, f"上海测试{code[-3:]}有限公司", bid, 5, "信息传输、软件和信息技术服务业", employees, "内资",
                                    "否", "2020-02-10", "李娜", "13800000000"], strict=True))
    row.update(over)
    return list(row.values())


def return_row(day: object = "2020-02-17", code: str = C1, on_site: object = 50, remote: object = 20,
               **over: object) -> list[object]:
    row = dict(zip(RETURN_HEADER, [day, code, "测试公司", on_site, remote, 0, 0, 0, 0], strict=True))
    row.update(over)
    return list(row.values())


def check_row(day: object = "2020-02-17", bid: str = "T-001", **over: object) -> list[object]:
    row = dict(zip(CHECK_HEADER, [day, bid, 5, 4, 3, 4, 3, 3, 90, None, "张强"], strict=True))
    row.update(over)
    return list(row.values())


def request_row(rid: str = "SQ-1", day: object = "2020-02-12", code: str = C1, status: str = "待办",
                closed: object = None, **over: object) -> list[object]:
    row = dict(zip(REQUEST_HEADER, [rid, day, code, "融资", "申请贷款贴息", status, closed], strict=True))
    row.update(over)
    return list(row.values())


def directory_sheets(buildings: Sequence[Sequence[object]] = (), companies: Sequence[Sequence[object]] = ()
                     ) -> list[Sheet]:
    sheets = []
    if buildings:
        sheets.append(Sheet("楼宇名录", [BUILDING_HEADER, *buildings]))
    if companies:
        sheets.append(Sheet("企业名录", [COMPANY_HEADER, *companies]))
    return sheets


# -- reading findings back ---------------------------------------------------------------------

TODAY = dt.date(2020, 3, 1)  # "today" for validation in the tests: dates after it are in the future


def findings_rows(frame) -> list[tuple]:
    """A findings frame as plain tuples (sheet, row, column, value, rule, message, severity); NA -> None."""
    rows = []
    for record in frame.itertuples(index=False):
        rows.append(tuple(None if _is_na(v) else (int(v) if k == "row" else v)
                          for k, v in zip(frame.columns, record, strict=True)))
    return rows


def _is_na(value: object) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def read_file(path: Path):
    from pipelines.ingest.read import read_upload

    return read_upload(path.name, path.read_bytes())


def check_file(store, path: Path, today: dt.date = TODAY) -> list[tuple]:
    """Every finding of one file checked against the store's current state, as tuples."""
    from pipelines.batches.commit import check_upload

    return findings_rows(check_upload(store, read_file(path), today=today).findings)


def commit_file(store, path: Path, today: dt.date = TODAY, actor: str = "测试员", **kw) -> int:
    from pipelines.batches.commit import commit_upload

    return commit_upload(store, read_file(path), actor, today=today, **kw)
