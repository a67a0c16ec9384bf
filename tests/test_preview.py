"""Preview of an upload or a rollback: the real write inside a transaction that is rolled back."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from upload_helpers import copy_db, xlsx_bytes

from pipelines.batches.commit import commit_upload, commit_uploads, rollback_batch
from pipelines.batches.preview import _grade_changes, batch_list, preview_rollback, preview_uploads
from pipelines.core.contract import COMPANIES, DAILY_RETURNS, credit_check_char
from pipelines.core.errors import StaleState, UserError
from pipelines.core.store import Store
from pipelines.grading import grade
from pipelines.ingest.read import read_upload

TODAY = dt.date(2020, 3, 31)
NEW_CODE = "91310105MA1XY70K0" + credit_check_char("91310105MA1XY70K0")


@pytest.fixture
def db(sample_db, tmp_path) -> Store:
    store = Store(copy_db(sample_db, tmp_path))
    yield store
    store.close()


def _companies(store: Store, n: int) -> list[dict]:
    result = store.cursor().execute("select * exclude (batch_id) from companies order by credit_code limit ?", [n])
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _companies_file(rows: list[dict], name: str = "企业名录") -> bytes:
    header = [f.label for f in COMPANIES.fields]

    def cell(value: object) -> object:
        return value.isoformat() if isinstance(value, dt.date) else value

    return xlsx_bytes({name: [header, *([cell(r.get(f.name)) for f in COMPANIES.fields] for r in rows)]})


def _state(store: Store) -> tuple:
    cur = store.cursor()
    counts = tuple(cur.execute(f"select count(*) from raw_{k}").fetchall()[0][0]
                   for k in ("buildings", "companies", "daily_returns", "checks", "requests"))
    batches = cur.execute("select count(*), max(batch_id) from batches").fetchall()[0]
    audit = cur.execute("select count(*), max(audit_id) from audit").fetchall()[0]
    return store.data_version(cur), counts, batches, audit


def test_preview_counts_changes_side_by_side_and_touches_nothing(db):
    same, changed = _companies(db, 2)
    kind = "韩资" if changed["company_type"] != "韩资" else "日资"
    edited = {**changed, "employees": changed["employees"] + 10, "company_type": kind}
    new = {**same, "credit_code": NEW_CODE, "company_name": "上海新填科技有限公司"}
    upload = read_upload("企业.xlsx", _companies_file([same, edited, new]))
    before = _state(db)

    preview = preview_uploads(db, [upload], today=TODAY)

    assert _state(db) == before
    [file] = preview.files
    assert file.findings.empty and not preview.blocked
    [sheet] = file.sheets
    assert (sheet.kind, sheet.new, sheet.changed, sheet.unchanged, sheet.removed) == ("companies", 1, 1, 1, 0)
    assert sheet.changes.values.tolist() == [
        [changed["credit_code"], changed["company_name"], "员工总数", str(changed["employees"]),
         str(changed["employees"] + 10)],
        [changed["credit_code"], changed["company_name"], "企业类型", changed["company_type"] or "（空）", kind],
    ]
    assert sheet.blanked == {} and sheet.missing == []
    assert preview.data_version == before[0]
    # The dry run took no ids: the real commit gets the next batch id and the audit stays gapless.
    [batch_id] = commit_uploads(db, preview.to_commit, "分析员", expected_version=preview.data_version, today=TODAY)
    assert batch_id == before[2][1] + 1
    count, top = db.cursor().execute("select count(*), max(audit_id) from audit").fetchall()[0]
    assert count == top


def test_a_selection_is_checked_and_committed_in_dependency_order(db):
    building = ["楼宇编号", "楼宇名称", "所属街道", "经度", "纬度", "建筑面积"]
    buildings = read_upload("楼宇.xlsx", xlsx_bytes({"楼宇": [building, ["JSL-900", "新建大厦", "江苏路街道",
                                                                        121.43, 31.22, 20000]]}))
    company = {**_companies(db, 1)[0], "credit_code": NEW_CODE, "building_id": "JSL-900"}
    companies = read_upload("企业.xlsx", _companies_file([company]))

    alone = preview_uploads(db, [companies], today=TODAY)
    assert alone.files[0].findings["rule"].tolist() == ["unknown_building"] and alone.blocked

    together = preview_uploads(db, [companies, buildings], today=TODAY)
    assert [f.upload.file_name for f in together.files] == ["楼宇.xlsx", "企业.xlsx"]
    assert together.errors == 0
    assert [(s.kind, s.new) for f in together.files for s in f.sheets] == [("buildings", 1), ("companies", 1)]
    ids = commit_uploads(db, together.to_commit, "分析员", expected_version=together.data_version, today=TODAY)
    assert len(ids) == 2 and ids[1] == ids[0] + 1
    assert db.cursor().execute("select building_id from companies where credit_code = ?",
                               [NEW_CODE]).fetchall() == [("JSL-900",)]


def test_a_preview_made_against_older_data_is_not_committed(db):
    first, second = _companies(db, 2)
    upload = read_upload("企业1.xlsx", _companies_file([{**first, "employees": first["employees"] + 1}]))
    preview = preview_uploads(db, [upload], today=TODAY)
    other = read_upload("企业2.xlsx", _companies_file([{**second, "employees": second["employees"] + 1}]))
    commit_upload(db, other, "另一位分析员", today=TODAY)  # a colleague commits in between
    before = _state(db)
    with pytest.raises(StaleState):
        commit_uploads(db, preview.to_commit, "分析员", expected_version=preview.data_version, today=TODAY)
    assert _state(db) == before


def test_the_same_file_is_recognised_and_not_stored_twice(db):
    row = _companies(db, 1)[0]
    content = _companies_file([{**row, "employees": row["employees"] + 3}])
    batch_id = commit_upload(db, read_upload("a.xlsx", content), "分析员", today=TODAY)
    again = preview_uploads(db, [read_upload("改名了.xlsx", content)], today=TODAY)
    assert again.files[0].duplicate_of == batch_id and again.blocked and again.to_commit == []
    with pytest.raises(UserError, match=f"已经上传过（批次 {batch_id}"):
        commit_upload(db, read_upload("改名了.xlsx", content), "分析员", today=TODAY)
    other = _companies_file([{**row, "employees": row["employees"] + 4}])
    twice = preview_uploads(db, [read_upload("b.xlsx", other), read_upload("b副本.xlsx", other)], today=TODAY)
    assert [(f.upload.file_name, f.same_as) for f in twice.files] == [("b.xlsx", None), ("b副本.xlsx", "b.xlsx")]
    assert [u.file_name for u in twice.to_commit] == ["b.xlsx"]


def test_rollback_preview_then_rollback(db):
    same, changed = _companies(db, 2)
    new = {**same, "credit_code": NEW_CODE}
    upload = read_upload("企业.xlsx", _companies_file([same, {**changed, "employees": 999}, new]))
    batch_id = commit_upload(db, upload, "分析员", today=TODAY)
    before = _state(db)

    rollback = preview_rollback(db, batch_id)

    assert _state(db) == before
    [sheet] = rollback.sheets
    assert (sheet.removed, sheet.changed, sheet.unchanged, sheet.new) == (1, 1, 1, 0)
    assert sheet.changes.values.tolist() == [
        [changed["credit_code"], changed["company_name"], "员工总数", "999", str(changed["employees"])],
        [NEW_CODE, same["company_name"], "（整条记录）", "有", "撤销后没有"],
    ]
    rollback_batch(db, batch_id, "分析员", expected_version=rollback.data_version)
    cur = db.cursor()
    assert cur.execute("select employees from companies where credit_code = ?",
                       [changed["credit_code"]]).fetchall() == [(changed["employees"],)]
    assert cur.execute("select count(*) from companies where credit_code = ?", [NEW_CODE]).fetchall() == [(0,)]
    assert cur.execute("select count(*) from raw_companies where batch_id = ?", [batch_id]).fetchall() == [(3,)]
    listed = batch_list(cur)
    assert listed.loc[0, "批次"] == batch_id and listed.loc[0, "状态"].startswith("已撤销（分析员，")
    assert listed.loc[0, "各表行数"] == "企业名录 3 行"
    with pytest.raises(UserError, match="已经撤销过"):
        preview_rollback(db, batch_id)


def test_columns_missing_from_an_upload_would_empty_stored_values(db):
    row = next(r for r in _companies(db, 20) if r["floor"] is not None)
    header = ["统一社会信用代码", "企业名称", "楼宇编号", "行业", "员工总数"]
    content = xlsx_bytes({"企业": [header, [row["credit_code"], row["company_name"], row["building_id"],
                                            row["industry"], row["employees"]]]})
    [file] = preview_uploads(db, [read_upload("部分列.xlsx", content)], today=TODAY).files
    [sheet] = file.sheets
    assert sheet.missing == ["楼层", "企业类型", "重点企业", "计划复工日期", "防控联系人", "联系电话"]
    assert sheet.blanked["楼层"] == 1 and sheet.changed == 1


def test_grade_changes_are_counted_and_said():
    before = pd.DataFrame({"building_id": ["A", "B", "C", "D", "E"], "building_name": list("甲乙丙丁戊"),
                           "grade": ["低", "中", "低", "高", "中"]})
    after = pd.DataFrame({"building_id": ["A", "B", "C", "D", "E", "F"], "building_name": list("甲乙丙丁戊己"),
                          "grade": ["中", "高", "高", "中", "中", "低"]})
    day = dt.date(2020, 2, 19)
    changes = _grade_changes((day, before), (day, after))
    assert (changes.up, changes.down, changes.new, changes.gone) == (3, 1, 1, 0)
    assert changes.message("本次上传") == "本次上传将使 3 栋楼宇风险等级上调、1 栋下调、1 栋楼宇新增评级"
    assert changes.frame.values.tolist() == [
        ["A", "甲", "低", "中", "上调"], ["B", "乙", "中", "高", "上调"], ["C", "丙", "低", "高", "上调"],
        ["D", "丁", "高", "中", "下调"], ["F", "己", "—", "低", "新增评级"],
    ]
    same = _grade_changes((day, before), (day, before))
    assert same.message("撤销批次 3") == "撤销批次 3不会改变任何楼宇的风险等级"


def test_a_fever_case_raises_the_building_grade_in_the_preview_and_its_rollback_lowers_it(db):
    cur = db.cursor()
    day = grade.latest_graded_day(cur)
    grades = grade.grades_on(cur, day).set_index("building_id")["grade"]
    result = cur.execute(
        "select r.* exclude (batch_id), c.building_id from daily_returns r join companies c using (credit_code) "
        "where r.report_date = ? and r.fever = 0 order by r.credit_code", [day])
    names = [d[0] for d in result.description]
    row = next(r for r in (dict(zip(names, x, strict=True)) for x in result.fetchall())
               if grades[r["building_id"]] != "高")
    header = [f.label for f in DAILY_RETURNS.fields]
    values = [row[f.name].isoformat() if f.name == "report_date" else row[f.name] for f in DAILY_RETURNS.fields]
    values[header.index("体温异常人数")] = 1
    upload = read_upload("发热.xlsx", xlsx_bytes({"返岗日报": [header, values]}))

    preview = preview_uploads(db, [upload], today=TODAY)

    changes = preview.grades
    assert changes.message("本次上传") == "本次上传将使 1 栋楼宇风险等级上调"
    assert changes.frame.values.tolist() == [[row["building_id"], cur.execute(
        "select building_name from buildings where building_id = ?", [row["building_id"]]).fetchall()[0][0],
        grades[row["building_id"]], "高", "上调"]]
    assert changes.day_before == changes.day_after == day
    assert grade.grades_on(cur, day).set_index("building_id")["grade"].equals(grades)  # nothing stored
    batch_id = commit_upload(db, upload, "分析员", today=TODAY)
    assert grade.grades_on(cur, day).set_index("building_id")["grade"][row["building_id"]] == "高"
    assert preview_rollback(db, batch_id).grades.message(f"撤销批次 {batch_id}") == \
        f"撤销批次 {batch_id}将使 1 栋楼宇风险等级下调"
