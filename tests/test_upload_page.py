"""数据上传 through AppTest: upload -> findings -> preview -> commit -> duplicate -> rollback, and a stale preview."""

from __future__ import annotations

import re

import pytest
from auth_support import page_as, refused, rendered_bytes
from streamlit.testing.v1 import AppTest
from upload_helpers import copy_db, xlsx_bytes

from pipelines.batches.commit import commit_upload
from pipelines.core.contract import COMPANIES, credit_check_char
from pipelines.core.privacy import mask_phone
from pipelines.core.store import open_store
from pipelines.ingest.read import read_upload
from ui.grades import grade_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NEW_CODE = "91310105MA1XY70K0" + credit_check_char("91310105MA1XY70K0")
BUILDING_HEADER = ["楼宇编号", "楼宇名称", "所属街道", "经度", "纬度", "建筑面积"]
COMPANY_HEADER = [f.label for f in COMPANIES.fields]


@pytest.fixture
def db(sample_db, tmp_path, monkeypatch):
    path = copy_db(sample_db, tmp_path)
    monkeypatch.setenv("FUGONG_DB", str(path))
    return path


def _app(username: str = "analyst") -> AppTest:
    """The page run as the demo analyst of the sample database (a direct URL reaches it the same way)."""
    return page_as("app_pages/upload.py", username)


def _frame(at: AppTest, column: str):
    """The dataframe on the page that has this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _company(db) -> dict:
    result = open_store(db).cursor().execute(
        "select * from companies where company_type is not null order by credit_code limit 1")
    return dict(zip([d[0] for d in result.description], result.fetchall()[0], strict=True))


def _row(company: dict, **changes) -> list:
    values = {**company, **changes}
    return [str(values[f.name]) if hasattr(values[f.name], "isoformat") else values[f.name] for f in COMPANIES.fields]


def _plain(markdown: str) -> str:
    """What a Markdown source reads as on the page: user text is escaped (企业\\.xlsx), the reader sees 企业.xlsx."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _texts(elements) -> list[str]:
    return [_plain(e.value) for e in elements]


def test_bad_file_shows_filterable_findings_and_cannot_be_committed(db):
    at = _app().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "数据上传"
    assert [b.label for b in at.download_button] == ["下载数据模板（.xlsx）"]
    assert _frame(at, "批次")["批次"].tolist()[0] == 15

    bad = xlsx_bytes({"楼宇": [BUILDING_HEADER + ["备注"],
                              ["JSL-900", "新建大厦", "江苏路街道", 31.22, 121.43, 20000, "新楼"],
                              ["JSL-901", "又一大厦", "江苏路街道", 121.43, 31.22, 15000, None]]})
    at.file_uploader[0].set_value(("楼宇.xlsx", bad, XLSX))
    at.run()
    assert not at.exception, at.exception
    assert [s.label for s in at.status] == ["处理完成：1 个文件，错误 1 个，警告 1 个"]
    findings = _frame(at, "说明")
    assert findings[["级别", "工作表", "行", "列", "规则"]].values.tolist() == [
        ["错误", "楼宇", 2, "经度", "经纬度填反"],
        ["警告", "楼宇", 1, "备注", "多余的列"],
    ]
    assert "D2：经纬度(31.22, 121.43)像是填反了" in findings["说明"][0]
    assert _frame(at, "条数").values.tolist() == [["错误", "经纬度填反", 1], ["警告", "多余的列", 1]]
    assert at.button(key="commit_disabled").disabled
    assert any("有 1 个错误，不能入库" in e for e in _texts(at.error))
    assert [b.label for b in at.download_button][1] == "下载问题标注文件：楼宇.xlsx"

    at.multiselect(key="findings_severity").set_value(["警告"]).run()
    assert _frame(at, "说明")["规则"].tolist() == ["多余的列"]

    good = xlsx_bytes({"楼宇": [BUILDING_HEADER, ["JSL-901", "又一大厦", "江苏路街道", 121.43, 31.22, 15000]]})
    at.file_uploader[0].set_value([("坏.xlsx", b"not a zip", XLSX), ("好.xlsx", good, XLSX)])
    at.run()
    assert [s.label for s in at.status] == ["处理完成：1 个文件，错误 0 个，警告 0 个，1 个文件无法读取"]
    assert _texts(at.error) == [
        "无法读取 坏.xlsx：不是有效的 .xlsx 文件\n\n请在 Excel 中打开并重新保存为 .xlsx",
        "坏.xlsx 无法读取，不能入库：请从上传框中移除它（或修好后重新选择），其余文件才能入库。",
    ]
    assert at.button(key="commit_disabled").disabled
    assert open_store(db).cursor().execute("select count(*) from batches").fetchall() == [(15,)]


def test_good_files_preview_commit_duplicate_and_rollback(db):
    company = _company(db)
    code, name, employees = company["credit_code"], company["company_name"], company["employees"]
    companies = xlsx_bytes({"企业": [[*COMPANY_HEADER, "备注"], _row(company, employees=employees + 10),
                                    [*_row(company, credit_code=NEW_CODE, building_id="JSL-900"), "新"]]})
    buildings = xlsx_bytes({"楼宇": [BUILDING_HEADER, ["JSL-900", "新建大厦", "江苏路街道", 121.43, 31.22, 20000]]})
    at = _app().run()
    at.file_uploader[0].set_value([("企业.xlsx", companies, XLSX), ("楼宇.xlsx", buildings, XLSX)])
    at.run()
    assert not at.exception, at.exception
    assert [s.label for s in at.status] == ["处理完成：2 个文件，错误 0 个，警告 1 个"]
    assert _frame(at, "新增").values.tolist() == [["楼宇.xlsx", "楼宇名录", 1, 0, 0], ["企业.xlsx", "企业名录", 1, 1, 0]]
    assert [_plain(e.label) for e in at.expander] == ["企业.xlsx · 企业名录：1 条记录有变化"]
    assert _frame(at, "原值").values.tolist() == [[code, name, "员工总数", str(employees), str(employees + 10)]]
    assert _texts(at.info) == ["本次上传将使 1 栋楼宇新增评级（按2020年2月19日的评级）"]
    [graded] = _frame(at, "新等级").to_dict("records")
    assert (graded["楼宇编号"], graded["楼宇名称"], graded["原等级"], graded["变化"]) == ("JSL-900", "新建大厦", "—", "新增评级")
    assert graded["新等级"] in {grade_text(g) for g in ("高", "中", "低")}

    commit = at.button(key="commit")
    assert commit.label == "确认入库（2 个文件，3 行）" and commit.disabled
    at.checkbox(key="confirm_warnings").check().run()
    at.button(key="commit").click().run()
    assert not at.exception, at.exception
    assert _texts(at.success) == ["已入库：批次 16、17。如需撤销，请在下方“批次与撤销”中操作。"]
    assert len(at.status) == 0  # a fresh uploader, nothing selected
    batches = _frame(at, "批次")
    assert batches[["批次", "文件", "上传人", "各表行数", "状态"]].values.tolist()[:2] == [
        [17, "企业.xlsx", "analyst", "企业名录 2 行", "已入库"],
        [16, "楼宇.xlsx", "analyst", "楼宇名录 1 行", "已入库"],
    ]
    cur = open_store(db).cursor()
    assert cur.execute("select employees from companies where credit_code = ?", [code]).fetchall() == [
        (employees + 10,)]

    at.file_uploader[0].set_value(("企业（再次）.xlsx", companies, XLSX))
    at.run()
    assert any("这个文件已经上传过（批次 17），不会重复入库" in i for i in _texts(at.info))
    assert any("所选文件都已上传过" in i for i in _texts(at.info))
    assert not [b for b in at.button if b.key == "commit"]

    at.selectbox(key="rollback_batch").set_value(17).run()
    assert not at.exception, at.exception
    assert _frame(at, "移除").values.tolist() == [["企业名录", 1, 1, 0]]
    assert at.button(key="rollback").disabled
    at.checkbox(key="confirm_rollback_17").check().run()
    at.button(key="rollback").click().run()
    assert not at.exception, at.exception
    assert _texts(at.success) == ["批次 17（企业.xlsx）已撤销：数据保留，可追溯。"]
    assert cur.execute("select employees from companies where credit_code = ?", [code]).fetchall() == [(employees,)]
    assert cur.execute("select status, reverted_by from batches where batch_id = 17").fetchall() == [
        ("reverted", "analyst")]
    assert _frame(at, "批次")["状态"].tolist()[0].startswith("已撤销（analyst，")


def test_a_preview_made_before_someone_else_committed_is_refreshed_not_committed(db):
    company = _company(db)
    code, name, employees = company["credit_code"], company["company_name"], company["employees"]
    mine = xlsx_bytes({"企业": [COMPANY_HEADER, _row(company, employees=employees + 1)]})
    at = _app().run()
    at.file_uploader[0].set_value(("我的.xlsx", mine, XLSX))
    at.run()
    assert _frame(at, "新增").values.tolist() == [["我的.xlsx", "企业名录", 0, 1, 0]]

    theirs = xlsx_bytes({"企业": [COMPANY_HEADER, _row(company, employees=employees + 5)]})
    commit_upload(open_store(db), read_upload("同事的.xlsx", theirs), "另一位分析员")
    at.button(key="commit").click().run()

    assert not at.exception, at.exception
    assert _texts(at.warning)[0] == "数据在您预览之后已被他人更新，本次未入库\n\n预览已按最新数据刷新，请重新核对后再提交"
    cur = open_store(db).cursor()
    assert cur.execute("select file_name from batches order by batch_id desc limit 1").fetchall() == [("同事的.xlsx",)]
    # The refreshed preview compares with the colleague's value.
    assert _frame(at, "原值").values.tolist() == [[code, name, "员工总数", str(employees + 5), str(employees + 1)]]


def test_only_uploaders_see_the_page_and_personal_values_stay_masked(db):
    leader = _app("leader").run()
    assert refused(leader) and not leader.file_uploader

    company = _company(db)
    phone = "13912345678" if company["contact_phone"] != "13912345678" else "13987654321"
    changed = xlsx_bytes({"企业": [COMPANY_HEADER, _row(company, contact_phone=phone)]})
    at = _app().run()
    at.file_uploader[0].set_value(("电话.xlsx", changed, XLSX))
    at.run()
    assert not at.exception, at.exception
    assert _frame(at, "原值").values.tolist() == [[
        company["credit_code"], company["company_name"], "联系电话",
        mask_phone(company["contact_phone"]) if company["contact_phone"] else "（空）", mask_phone(phone)]]
    assert phone not in rendered_bytes(at).decode("utf-8", "ignore")
