"""The findings workbook: a copy of the upload, bad cells coloured and commented, formulas neutralised."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from upload_helpers import xlsx_bytes

from pipelines.core.contract import BUILDINGS
from pipelines.core.store import Store, refresh_current
from pipelines.ingest.findings_workbook import LIST_SHEET, findings_workbook, neutralise
from pipelines.ingest.read import read_upload
from pipelines.ingest.validate import validate

TODAY = dt.date(2020, 3, 31)
RED, YELLOW, BLUE = "FFF8CBAD", "FFFFE699", "FFDDEBF7"


@pytest.mark.parametrize(("text", "safe"), [
    ("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
    ("@SUM(1)", "'@SUM(1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("-5", "-5"), ("+3.5", "+3.5"), ("1e3", "1e3"), ("正常文字", "正常文字"), (None, ""),
])
def test_neutralise(text, safe):
    assert neutralise(text) == safe


def test_copy_marks_each_bad_cell_and_lists_every_finding(store: Store):
    header = ["统一社会信用代码", "企业名称", "楼宇编号", "行业", "员工总数", "备注"]
    content = xlsx_bytes({"企业": [
        ["江苏路街道企业名录"],
        [],
        [None, *header],
        [None, "91310105MA1FKT7W0X", "=HYPERLINK()", "JSL-001", "软件", -5, "@备注"],
        [None, "91310105MA1XY70K06", "+甲公司", "JSL-001", "软件", "十二", None],
    ]})
    upload = read_upload("企业.xlsx", content)
    store.cursor().execute("insert into raw_buildings (batch_id, row_no, building_id) values (0, 1, 'JSL-001')")
    store.cursor().execute("insert into batches (batch_id, file_name, sha256, stored_as, sheets, uploaded_by) "
                           "values (0, 'seed', '', '', '{}', 'test')")
    refresh_current(store.cursor(), BUILDINGS, 0, committed=True)  # the current state, as a commit keeps it
    findings = validate(store.cursor(), upload, TODAY)
    assert sorted(findings["rule"]) == ["credit_code", "credit_code", "negative", "normalised", "normalised", "type",
                                        "unknown_column"]

    wb = openpyxl.load_workbook(io.BytesIO(findings_workbook(upload, findings)))
    assert wb.sheetnames == [LIST_SHEET, "企业"]
    listing = [row for row in wb[LIST_SHEET].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[2], r[3], r[6]) for r in listing] == [
        ("错误", "F4", "员工总数", "出现负数"),
        ("错误", "B4", "统一社会信用代码", "信用代码无效"),
        ("错误", "F5", "员工总数", "格式不对"),
        ("错误", "B5", "统一社会信用代码", "信用代码无效"),
        ("警告", "G3", "备注", "多余的列"),
        ("已理解", "E4", "行业", "按其他写法理解"),  # 软件 -> 信息传输、软件和信息技术服务业
        ("已理解", "E5", "行业", "按其他写法理解"),
    ]
    assert [r[5] for r in listing] == findings["message"].tolist()
    ws = wb["企业"]
    marked = {c.coordinate: (c.fill.fgColor.rgb, c.comment.text) for row in ws.iter_rows() for c in row
              if c.comment is not None}
    assert {k: v[0] for k, v in marked.items()} == {"B4": RED, "F4": RED, "B5": RED, "F5": RED, "G3": YELLOW,
                                                    "E4": BLUE, "E5": BLUE}
    assert marked["F5"][1] == "【错误】" + findings.loc[findings["rule"] == "type", "message"].item()
    # The copy holds the cells as read, text from the upload neutralised.
    assert ws["A1"].value == "江苏路街道企业名录" and ws["C3"].value == "企业名称"
    assert ws["C5"].value == "'+甲公司" and ws["G4"].value == "'@备注" and ws["F4"].value == "-5"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
