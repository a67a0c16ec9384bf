"""The upload template: made from the contract, its example rows valid, and a filled copy uploads cleanly."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from pipelines.core.contract import BUILDINGS, SHEETS, credit_check_char
from pipelines.core.store import Store, refresh_current
from pipelines.core.vocabulary import INDUSTRIES
from pipelines.ingest.read import read_upload
from pipelines.ingest.template import INSTRUCTIONS, LISTS, header_text, template_bytes
from pipelines.ingest.validate import validate

TODAY = dt.date(2020, 3, 31)


@pytest.fixture(scope="module")
def template() -> bytes:
    return template_bytes()


def test_template_has_every_sheet_header_and_drop_down(template):
    wb = openpyxl.load_workbook(io.BytesIO(template))
    assert wb.sheetnames == [INSTRUCTIONS, *(spec.label for spec in SHEETS), LISTS]
    assert wb[LISTS].sheet_state == "hidden"
    assert [c.value for c in wb[LISTS]["A"]] == list(INDUSTRIES)
    for spec in SHEETS:
        ws = wb[spec.label]
        assert [c.value for c in ws[1]] == [header_text(f) for f in spec.fields]
        lists = {next(iter(dv.sqref.ranges)).min_col: dv.formula1 for dv in ws.data_validations.dataValidation
                 if dv.type == "list"}
        expected = {i + 1: '"' + ",".join(f.choices or f.suggestions) + '"' for i, f in enumerate(spec.fields)
                    if f.kind == "enum" or f.suggestions}  # suggestions: a drop-down that allows other text
        expected.update({i + 1: f"'{LISTS}'!$A$1:$A${len(INDUSTRIES)}" for i, f in enumerate(spec.fields)
                         if f.vocabulary == "industry"})  # the industry drop-down: GB/T 4754-2017 sections
        assert lists == expected, spec.label
        assert all(str(dv.sqref).endswith("100001") for dv in ws.data_validations.dataValidation)
        for dv in ws.data_validations.dataValidation:  # other text than a suggestion is allowed; a choice is not
            column = spec.fields[next(iter(dv.sqref.ranges)).min_col - 1]
            if dv.type == "list" and column.suggestions:
                assert (dv.errorStyle, bool(dv.showErrorMessage)) == ("information", False), column.label
            elif dv.type == "list" and column.kind == "enum":
                assert (dv.errorStyle or "stop", bool(dv.showErrorMessage)) == ("stop", True), column.label
        assert ws.max_row == 2  # the header and one example row


def test_instructions_describe_every_column(template):
    ws = openpyxl.load_workbook(io.BytesIO(template))[INSTRUCTIONS]
    rows = [tuple(c.value for c in row) for row in ws.iter_rows()]
    start = rows.index(("工作表", "列名", "必填", "类型", "单位", "可选值", "规则与说明", "也可写作"))
    described = {(r[0], r[1]): r for r in rows[start + 1:] if r[1]}
    for spec in SHEETS:
        for f in spec.fields:
            sheet, label, required, kind, unit, choices, rules, aliases = described[(spec.label, f.label)]
            assert required == ("是" if f.required else None)
            assert (unit or "") == f.unit
            assert (choices or "") == "、".join(f.choices or f.suggestions)
            assert (aliases or "") == "、".join(f.aliases)
            assert rules or f.kind == "text"
    employees = described[("企业名录", "员工总数")]
    assert employees[3:5] == ("整数", "人") and "0～100000人" in employees[6]
    assert "职工人数" in employees[7]


def test_example_rows_pass_every_rule(template, store: Store):
    upload = read_upload("模板.xlsx", template, skip_examples=False)
    assert upload.row_counts() == {spec.kind: 1 for spec in SHEETS}
    findings = validate(store.cursor(), upload, TODAY)
    assert findings.empty, findings.to_dict("records")


def test_untouched_template_is_refused_with_a_clear_message(template):
    upload = read_upload("模板.xlsx", template)
    assert upload.sheets == {}
    assert [(f.rule, f.severity, f.message) for f in upload.findings] == [
        ("no_sheet", "error", "文件中只有模板的示例行，没有数据：请在示例行下方填写数据并删除示例行")]


def _fill(template: bytes, keep_example: bool) -> bytes:
    """What an analyst does: open the template in a spreadsheet program, fill 企业名录, save."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["企业名录"]
    if not keep_example:
        ws.delete_rows(2)
    code = "91310105MA1XY70K0" + credit_check_char("91310105MA1XY70K0")
    ws.append([code, "上海新填科技有限公司", "JSL-001", 7, "信息传输、软件和信息技术服务业", 25, "日资", "是",
               dt.datetime(2020, 2, 24), "赵六", "13900000000"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_filled_template_uploads_cleanly(template, store: Store):
    upload = read_upload("企业.xlsx", _fill(template, keep_example=False))
    assert upload.row_counts() == {"companies": 1}  # the other sheets hold only their example rows
    cur = store.cursor()
    cur.execute("insert into raw_buildings (batch_id, row_no, building_id) values (0, 1, 'JSL-001')")
    cur.execute("insert into batches (batch_id, file_name, sha256, stored_as, sheets, uploaded_by) "
                "values (0, 'seed', '', '', '{}', 'test')")
    refresh_current(cur, BUILDINGS, 0, committed=True)  # the current state, as a commit keeps it
    findings = validate(cur, upload, TODAY)
    assert findings.empty, findings.to_dict("records")


def test_example_row_left_among_real_rows_is_an_error(template):
    upload = read_upload("企业.xlsx", _fill(template, keep_example=True))
    assert [(f.sheet, f.row, f.rule, f.severity) for f in upload.findings] == [
        ("企业名录", 2, "example_row", "error")]


def test_cli_writes_the_same_template(tmp_path, template, capsys):
    from pipelines.__main__ import main

    out = tmp_path / "模板.xlsx"
    assert main(["template", str(out)]) == 0
    assert out.read_bytes() == template
    assert capsys.readouterr().out == f"数据模板已写出：{out}\n"
