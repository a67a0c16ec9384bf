"""Personal data masking and exports that cannot run as formulas."""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd
import pytest

from pipelines.core import export, privacy
from pipelines.core.contract import SHEETS


@pytest.mark.parametrize("value, masked", [
    ("王小明", "王**"), ("欧阳娜娜", "欧***"), ("李", "*"), ("Li Wei", "L*****"), ("", ""), (None, None),
])
def test_mask_name(value, masked):
    assert privacy.mask_name(value) == masked


@pytest.mark.parametrize("value, masked", [
    ("13912341234", "139****1234"), ("021-62345678", "021-****5678"), ("+86 139 1234 1234", "+86 1** **** 1234"),
    ("12345", "*****"), (None, None),
])
def test_mask_phone(value, masked):
    assert privacy.mask_phone(value) == masked


def test_mask_id():
    assert privacy.mask_id("31010519900101123X") == "3****************X"
    assert privacy.mask_id("12") == "**"


def test_every_personal_field_of_the_contract_is_covered():
    personal = {f.name for spec in SHEETS for f in spec.fields if f.personal}
    assert personal == {"building_manager", "contact_person", "contact_phone", "inspector"}
    assert all(name in privacy.PERSONAL_COLUMNS for name in personal)


def test_mask_frame_by_store_name_and_by_chinese_label():
    frame = pd.DataFrame({
        "company_name": ["上海华信信息技术有限公司", "上海达远贸易有限公司"],
        "contact_person": ["王小明", None],
        "联系电话": ["13912341234", "021-62345678"],
        "楼长": ["欧阳娜娜", "李"],
        "employees": [12, 30],
    })
    masked = privacy.mask_frame(frame)
    assert masked["contact_person"].isna().tolist() == [False, True]
    assert masked.fillna({"contact_person": "—"}).to_dict("list") == {
        "company_name": ["上海华信信息技术有限公司", "上海达远贸易有限公司"],
        "contact_person": ["王**", "—"],
        "联系电话": ["139****1234", "021-****5678"],
        "楼长": ["欧***", "*"],
        "employees": [12, 30],
    }
    assert frame["contact_person"].fillna("—").tolist() == ["王小明", "—"]  # the input (maybe a cached frame) is untouched
    assert privacy.personal_columns(frame) == ["contact_person", "联系电话", "楼长"]


DANGEROUS = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "=cmd|' /C calc'!A0"]


def frame_with_danger() -> pd.DataFrame:
    return pd.DataFrame({
        "text": DANGEROUS,
        "number": [-1, 2, -3, 4, 5, 6, 7],
        "plain": ["安全", "a=b", "1-2", "x@y", "ok", "中文", "—"],
        "=header": ["h"] * 7,
    })


def test_neutralise():
    assert [export.neutralise(v) for v in DANGEROUS] == ["'" + v for v in DANGEROUS]
    assert export.neutralise("a=b") == "a=b" and export.neutralise(-5) == -5 and export.neutralise(None) is None


def test_csv_export_neutralises_formulas():
    data = export.to_csv_bytes(frame_with_danger())
    assert data.startswith("\ufeff".encode())  # BOM: Excel opens the Chinese correctly
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["text", "number", "plain", "'=header"]
    assert [r[0] for r in rows[1:]] == ["'" + v for v in DANGEROUS]
    assert [r[1] for r in rows[1:]] == ["-1", "2", "-3", "4", "5", "6", "7"]  # numbers stay numbers
    assert [r[2] for r in rows[1:]] == ["安全", "a=b", "1-2", "x@y", "ok", "中文", "—"]


def test_xlsx_export_has_no_formulas():
    data = export.to_xlsx_bytes(frame_with_danger(), "审计日志")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["审计日志"]
    # xlsx stores a carriage return as _x000D_ (Excel shows it as one); openpyxl does not decode it
    values = [[c.value.replace("_x000D_", "\r") if isinstance(c.value, str) else c.value for c in row]
              for row in ws.iter_rows()]
    assert values[0][0] == "审计日志"  # the title row
    assert values[1] == ["text", "number", "plain", "'=header"]
    assert [r[0] for r in values[2:]] == ["'" + v for v in DANGEROUS]
    assert [r[1] for r in values[2:]] == [-1, 2, -3, 4, 5, 6, 7]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)  # not one formula cell


def test_xlsx_export_types():
    frame = pd.DataFrame({"when": pd.to_datetime(["2020-02-17 09:30:00"]), "flag": [True], "n": [1.5],
                          "missing": [None]})
    ws = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(frame))).active
    row = [c.value for c in ws[3]]  # title, header, then the data
    assert row[0].isoformat() == "2020-02-17T09:30:00" and row[1] is True and row[2] == 1.5 and row[3] is None


def test_xlsx_export_is_ready_to_hand_over():
    """A title row with scope and as-of day (示例数据 on the sample), the header frozen under it, rates as
    percentages, dates as dates, columns as wide as their content."""
    frame = pd.DataFrame({"日期": [pd.Timestamp("2020-03-31").date()], "所属街道": ["虹桥街道"],
                          "人员返岗率": [0.7752], "company_rate": [0.988], "在岗人数": [12825],
                          "楼宇名称": ["上海虹桥临空经济示范区管理委员会综合服务大楼"]})
    ws = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(
        frame, "复工曲线", title="复工曲线 · 虹桥街道 · 2020-03-31", sample=True))).active
    assert ws["A1"].value == "复工曲线 · 虹桥街道 · 2020-03-31（示例数据）"
    assert [c.value for c in ws[2]] == list(frame.columns)
    assert ws.freeze_panes == "A3"
    assert ws["C3"].value == 0.7752 and ws["C3"].number_format == "0.0%"
    assert ws["D3"].number_format == "0.0%" and ws["E3"].number_format == "General"
    assert ws["A3"].is_date and ws["A3"].number_format == "yyyy-mm-dd"
    assert ws.column_dimensions["F"].width >= 40 > ws.column_dimensions["E"].width
