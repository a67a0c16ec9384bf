"""Tiny real workbooks for the situation-page tests, written with xlsxwriter and uploaded through the pipeline."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import xlsxwriter

from pipelines.auth.accounts import add_user
from pipelines.batches.commit import commit_upload
from pipelines.core.contract import BUILDINGS, COMPANIES, DAILY_RETURNS, REQUESTS, SheetSpec, credit_check_char
from pipelines.core.store import Store
from pipelines.ingest.read import read_upload

EVIL_NAME = "<img src=x onerror=alert(1)>"


def credit_code(n: int) -> str:
    body = f"91310105{n:09d}"
    return body + credit_check_char(body)


def workbook(sheets: list[tuple[SheetSpec, list[str], list[list]]]) -> bytes:
    """One sheet per spec, canonical Chinese headers in row 1."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    for spec, columns, rows in sheets:
        labels = {f.name: f.label for f in spec.fields}
        ws = wb.add_worksheet(spec.label)
        ws.write_row(0, 0, [labels[c] for c in columns])
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
    wb.close()
    return buffer.getvalue()


def upload(store: Store, name: str, content: bytes, actor: str = "测试员") -> int:
    return commit_upload(store, read_upload(name, content), actor, confirm_warnings=True, today=dt.date(2020, 4, 1))


def one_building_store(path: Path, name: str = EVIL_NAME, days: int = 3) -> Store:
    """A store with one building (named `name`), two companies, a few days of returns and one request, and
    the users the pages are run as (leader, analyst, admin)."""
    store = Store(path)
    for username, role in (("leader", "leader"), ("analyst", "analyst"), ("admin", "admin")):
        add_user(store, "测试", username, username, role, None, f"test-{username[::-1]}-passphrase")
    directory = workbook([
        (BUILDINGS, ["building_id", "building_name", "street", "lon", "lat", "crs", "floor_area"],
         [["T-001", name, "测试街道", 121.4305, 31.2200, "GCJ02", 20000]]),
        (COMPANIES, ["credit_code", "company_name", "building_id", "industry", "employees", "contact_person",
                     "contact_phone"],
         [[credit_code(1), "上海甲科技有限公司", "T-001", "信息传输、软件和信息技术服务业", 40, "王小明", "13912341234"],
          [credit_code(2), "=HYPERLINK(\"http://evil\")", "T-001", "餐饮", 10, "李四", "13800001111"]]),
    ])
    upload(store, "directory.xlsx", directory)
    rows = []
    for d in range(days):
        day = dt.date(2020, 2, 10) + dt.timedelta(days=d)
        rows.append([day.isoformat(), credit_code(1), 20 + d, 0, 0, 0, 0])
        rows.append([day.isoformat(), credit_code(2), d, 0, 1, 1, 1 if d == 2 else 0])
    upload(store, "returns.xlsx", workbook([(DAILY_RETURNS, ["report_date", "credit_code", "on_site", "from_key_areas",
                                                             "from_abroad", "home_observation", "fever"], rows)]))
    upload(store, "requests.xlsx", workbook([(REQUESTS, ["request_id", "request_date", "credit_code", "category",
                                                         "content", "status"],
                                              [["T-SQ1", "2020-02-11", credit_code(1), "租金减免", "申请减免2月租金",
                                                "待办"]])]))
    return store
