"""用户与审计 (app_pages/admin.py) driven through AppTest: every change it makes is audited with its author."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest
from auth_support import page_as

from pipelines.auth import accounts, audit
from pipelines.core import export
from pipelines.core.store import Store, open_store

PASSWORD = "correct horse battery"


@pytest.fixture
def admin_db(tmp_path, monkeypatch):
    path = tmp_path / "street.duckdb"
    Store(path).close()
    monkeypatch.setenv("FUGONG_DB", str(path))
    store = open_store(path)
    accounts.add_user(store, "cli:root", "boss", "赵管理员", "admin", None, PASSWORD)
    return path


def audit_rows(path) -> list[tuple]:
    return open_store(path).cursor().execute(
        "select actor, action, target, cast(before as varchar), cast(after as varchar) from audit "
        "order by audit_id").fetchall()


def by_label(elements, label):
    return next(e for e in elements if e.label == label)


def admin_page():
    return page_as("app_pages/admin.py", "boss").run()


def test_lists_users(admin_db):
    at = admin_page()
    assert not at.exception, at.exception
    users = at.dataframe[0].value
    assert users[["用户名", "姓名", "角色", "范围", "状态", "创建人"]].values.tolist() == [
        ["boss", "赵管理员", "管理员", "全区", "正常", "cli:root"]]


def test_add_user_through_the_form(admin_db):
    at = admin_page()
    by_label(at.text_input, "用户名").input("Wang.Li")
    by_label(at.text_input, "姓名").input("王丽")
    by_label(at.selectbox, "角色").select("analyst")
    by_label(at.text_input, "初始密码").input("a long enough password")
    by_label(at.text_input, "再次输入密码").input("a long enough password")
    by_label(at.button, "新增").click()
    at.run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["已新增用户 wang.li"]
    assert at.dataframe[0].value["用户名"].tolist() == ["boss", "wang.li"]
    actor, action, target, _, after = audit_rows(admin_db)[-1]
    assert (actor, action, target) == ("boss", "user.add", "wang.li")
    assert json.loads(after)["role"] == "analyst" and "a long enough password" not in after


def test_mismatched_passwords_are_refused(admin_db):
    at = admin_page()
    by_label(at.text_input, "用户名").input("wang")
    by_label(at.text_input, "初始密码").input("a long enough password")
    by_label(at.text_input, "再次输入密码").input("another long password")
    by_label(at.button, "新增").click()
    at.run()
    assert [e.value for e in at.error] == ["两次输入的密码不一致"]
    assert accounts.user_count(open_store(admin_db).cursor()) == 1


def test_disable_and_reset(admin_db):
    store = open_store(admin_db)
    accounts.add_user(store, "boss", "li", "李", "leader", None, PASSWORD)
    at = admin_page()
    by_label(at.selectbox, "用户").select("li")
    at.run()
    by_label(at.button, "停用").click()
    at.run()
    assert [s.value for s in at.success] == ["已停用 li"]
    by_label(at.text_input, "新密码").input("brand new password")
    by_label(at.text_input, "再次输入新密码").input("brand new password")
    by_label(at.button, "重置密码（同时解锁）").click()
    at.run()
    assert [s.value for s in at.success] == ["已重置 li 的密码"]
    assert [(a, b, c) for a, b, c, _, _ in audit_rows(admin_db)][-2:] == [
        ("boss", "user.disable", "li"), ("boss", "user.reset_password", "li")]
    with pytest.raises(accounts.LoginFailed, match="已停用"):
        accounts.authenticate(store, "li", "brand new password")


def test_unlock_a_throttled_account_from_the_page(admin_db):
    """An admin always gets a throttled user back in from 用户与审计 (issue 13, finding 3)."""
    store = open_store(admin_db)
    accounts.add_user(store, "boss", "li", "李", "leader", None, PASSWORD)
    # a stranger guessing patiently, each time the last delay has run out: the delay grows to minutes
    now = dt.datetime.now(dt.UTC)
    for n in range(12):
        with pytest.raises(accounts.LoginFailed):
            accounts.check_login(store, "li", f"guess number {n}", "elsewhere", now)
        now += dt.timedelta(seconds=2 ** max(n - 3, 0) + 1)
    with pytest.raises(accounts.LoginFailed, match="尝试过于频繁"):
        accounts.check_login(store, "li", PASSWORD, "elsewhere")
    at = admin_page()
    by_label(at.selectbox, "用户").select("li")
    at.run()
    unlock = by_label(at.button, "解锁（清除登录限制）")
    assert not unlock.disabled
    unlock.click()
    at.run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["已解锁 li"]
    assert by_label(at.button, "解锁（清除登录限制）").disabled
    assert accounts.check_login(store, "li", PASSWORD, "elsewhere").username == "li"
    assert ("boss", "user.unlock", "li") in [(a, b, c) for a, b, c, _, _ in audit_rows(admin_db)]


def test_admin_cannot_disable_themselves(admin_db):
    at = admin_page()
    by_label(at.button, "停用").click()  # the first user in the list is boss
    at.run()
    assert [e.value for e in at.error] == ["不能停用自己的账号\n\n请由另一位管理员操作"]


def test_token_url_is_shown_once(admin_db):
    at = admin_page()
    by_label(at.text_input, "大屏名称").input("城运中心大屏")
    by_label(at.button, "生成新链接").click()
    at.run()
    assert not at.exception, at.exception
    urls = [c.value for c in at.code if "?kiosk=1&token=" in c.value]
    assert len(urls) == 1 and urls[0].startswith("http://localhost:8501/?kiosk=1&token=fgs_")
    token = urls[0].split("token=")[1]
    assert accounts.token_principal(open_store(admin_db).cursor(), token).display_name == "大屏（城运中心大屏）"
    at.run()
    assert not [c for c in at.code if "?kiosk=1&token=" in c.value]  # gone at the next click
    assert token not in json.dumps(audit_rows(admin_db), ensure_ascii=False)
    assert audit_rows(admin_db)[-1][:3] == ("boss", "token.rotate", "城运中心大屏")


def test_audit_list_filters_and_exports(admin_db):
    store = open_store(admin_db)
    accounts.add_user(store, "boss", "li", "李", "leader", None, PASSWORD)
    with pytest.raises(accounts.LoginFailed):
        accounts.authenticate(store, "=HYPERLINK(\"http://evil\")", "whatever password")
    at = admin_page()
    table = at.dataframe[-1].value
    assert table["操作"].tolist() == ["登录失败", "新增用户", "新增用户"]
    # what was typed is never stored (it may be a password or a formula): people by name, each row a sentence
    assert table["操作人"].tolist() == ["（未知用户）", "赵管理员", "cli:root"]
    assert table["说明"].tolist()[1:] == ["赵管理员 新增用户 李（li），角色 领导",
                                        "cli:root 新增用户 赵管理员（boss），角色 管理员"]
    assert "hyperlink" not in table["说明"].iloc[0].lower()
    by_label(at.selectbox, "操作人").select("boss")
    at.run()
    assert at.dataframe[-1].value[["操作人", "操作"]].values.tolist() == [["赵管理员", "新增用户"]]
    by_label(at.selectbox, "操作人").select("全部")
    by_label(at.multiselect, "操作").select("login.failed")
    at.run()
    shown = at.dataframe[-1].value
    assert shown["操作"].tolist() == ["登录失败"]
    # The export of what is shown: a formula-like cell is neutralised in both formats.
    frame = audit.list_readable(store.cursor(), None, ("login.failed",))
    frame["操作人"] = "=hyperlink(\"http://evil\")"
    csv_text = export.to_csv_bytes(frame).decode("utf-8-sig")
    assert "'=hyperlink" in csv_text and ",=hyperlink" not in csv_text
    ws = openpyxl.load_workbook(io.BytesIO(export.to_xlsx_bytes(frame, "审计日志"))).active
    assert ws["B3"].value == "'=hyperlink(\"http://evil\")" and ws["B3"].data_type == "s"
    assert ws["A3"].value.microsecond == 0  # exported to the second
    assert [b.label for b in at.get("download_button")] == ["导出 Excel", "导出 CSV"]


def test_audit_date_filter(admin_db):
    store = open_store(admin_db)
    frame = audit.list_audit(store.cursor())
    today = frame["done_at"].iloc[0].date()
    assert len(audit.list_audit(store.cursor(), since=today, until=today)) == 1
    assert audit.list_audit(store.cursor(), since=today + dt.timedelta(1)).empty
    assert audit.list_audit(store.cursor(), until=today - dt.timedelta(1)).empty
