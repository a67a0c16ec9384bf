"""Whatever cells and headers arrive, ingest and validation end in a clean load, findings, or a UserError."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import random
import unicodedata

import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.batches.commit import commit_upload
from pipelines.batches.write import write_batch
from pipelines.core.contract import EXAMPLE_IDS, SHEETS
from pipelines.core.errors import UserError
from pipelines.core.store import Store
from pipelines.ingest.findings import COLUMNS, RULE_LABELS, has_errors
from pipelines.ingest.read import read_upload
from pipelines.ingest.template import template_bytes
from pipelines.ingest.validate import validate

TODAY = dt.date(2020, 3, 31)
EXAMPLES = int(os.environ.get("FUGONG_PROPERTY_EXAMPLES", "120"))
LABELS = sorted({a for spec in SHEETS for f in spec.fields for a in (f.label, *f.aliases)})
TYPICAL = ["是", "否", "Y", "内资", "日资", "GCJ02", "wgs-84", "待办", "已办结", "融资", "2020-02-17", "2020/2/17",
           "2020年2月17日", "20200217", "43878", "43878.0", "１２３", "1,200", "12.0", "-3", " 12 ", "合计", "（人）",
           "单位：人", "=1+1", "@x", "JSL-001", "江苏路街道", "121.43", "31.22", "\t", "\n", "　", *EXAMPLE_IDS.values()]


def _fold(text: str) -> str:
    """A header as people type it: full-width, with spaces or a line break."""
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    return random.Random(text).choice([wide, f" {text} ", text[:1] + "\n" + text[1:], f"{text}(人)", f"*{text}"])


header_cells = st.one_of(
    st.sampled_from(LABELS), st.sampled_from(LABELS).map(_fold), st.text(max_size=10), st.none(),
)
cells = st.one_of(
    st.none(), st.sampled_from(TYPICAL), st.text(max_size=16),
    st.integers(-(10**12), 10**12), st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2200, 1, 1)), st.booleans(),
)
sheets = st.fixed_dictionaries({
    "title_rows": st.integers(0, 2),
    "first_col": st.integers(0, 2),
    "headers": st.lists(header_cells, min_size=1, max_size=9),
    "rows": st.lists(st.lists(cells, max_size=10), max_size=8),
    "hidden": st.booleans(),
})
workbooks = st.tuples(st.sampled_from(["xlsx", "xlsx", "csv-utf8", "csv-bom", "csv-gbk"]),
                      st.lists(sheets, min_size=1, max_size=3))


def _xlsx(layout: list[dict]) -> bytes:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                      "strings_to_urls": False})
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    for i, sheet in enumerate(layout):
        ws = wb.add_worksheet(f"表{i + 1}")
        top, left = sheet["title_rows"], sheet["first_col"]
        if top:
            ws.write_string(0, left, "江苏路街道楼宇复工情况统计表")
        for c, header in enumerate(sheet["headers"]):
            if header is not None:
                ws.write_string(top, left + c, header)
        for r, row in enumerate(sheet["rows"], start=top + 1):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    ws.write_datetime(r, left + c, dt.datetime.combine(value, dt.time()), date_format)
                elif isinstance(value, str):
                    ws.write_string(r, left + c, value)
                elif value is not None:
                    ws.write(r, left + c, value)
        if sheet["hidden"] and i:
            ws.hide()
    wb.close()
    return buffer.getvalue()


def _csv(sheet: dict, encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for _ in range(sheet["title_rows"]):
        writer.writerow(["江苏路街道楼宇复工情况统计表"])
    writer.writerow(["" if h is None else h for h in sheet["headers"]])
    writer.writerows([["" if v is None else str(v) for v in row] for row in sheet["rows"]])
    return out.getvalue().encode(encoding, errors="replace")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    """A store holding the template's example building and company, so rows can name something known."""
    s = Store(tmp_path_factory.mktemp("property") / "property.duckdb")
    commit_upload(s, read_upload("模板.xlsx", template_bytes(), skip_examples=False), "test", today=TODAY)
    yield s
    s.close()


def _check(store: Store, name: str, content: bytes) -> None:
    try:
        upload = read_upload(name, content)
    except UserError as exc:
        assert exc.message and "Traceback" not in exc.message
        return
    cur = store.cursor()
    try:
        findings = validate(cur, upload, TODAY)
    finally:
        cur.close()
    assert list(findings.columns) == COLUMNS
    assert set(findings["severity"]) <= {"error", "warning", "info"}
    assert set(findings["rule"]) <= set(RULE_LABELS)
    assert not findings["message"].str.contains(r"\{[a-z_]+\}", regex=True).any()
    if upload.sheets and not has_errors(findings):
        # A clean load really loads: the write that a commit would do succeeds (and is rolled back).
        with store.dry_run() as dry:
            validate(dry, upload, TODAY)
            write_batch(store, dry, upload, "test", "property")


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(workbooks)
def test_any_cells_and_headers_load_cleanly_or_give_findings(store, workbook):
    kind, layout = workbooks_to_file(workbook)
    _check(store, kind, layout)


def workbooks_to_file(workbook: tuple[str, list[dict]]) -> tuple[str, bytes]:
    kind, layout = workbook
    if kind == "xlsx":
        return "随机.xlsx", _xlsx(layout)
    encoding = {"csv-utf8": "utf-8", "csv-bom": "utf-8-sig", "csv-gbk": "gbk"}[kind]
    return "随机.csv", _csv(layout[0], encoding)


@settings(max_examples=max(20, EXAMPLES // 3), deadline=None, database=None)
@given(st.sampled_from(["随机.xlsx", "随机.csv"]), st.binary(max_size=3000))
def test_any_bytes_are_read_or_refused_with_a_user_error(store, name, content):
    _check(store, name, content)


@settings(max_examples=max(20, EXAMPLES // 3), deadline=None, database=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8))
def test_damaged_workbooks_are_read_or_refused_with_a_user_error(store, damage):
    content = bytearray(_xlsx([{"title_rows": 1, "first_col": 0, "headers": ["楼宇编号", "楼宇名称", "所属街道"],
                                "rows": [["示例-001", "大厦", "江苏路街道"]], "hidden": False}]))
    for position, value in damage:
        content[position % len(content)] = value
    _check(store, "损坏.xlsx", bytes(content))


def test_header_folding_helper_is_recognised():
    from pipelines.core.contract import match_header
    assert match_header("companies", _fold("员工总数")) == "employees"
    assert unicodedata.normalize("NFKC", _fold("uscc")).strip().lower().replace("*", "").startswith("u")
