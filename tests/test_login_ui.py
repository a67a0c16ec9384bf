"""The login page, sessions (timeout, disabled users), the kiosk token route and OIDC, through AppTest."""

from __future__ import annotations

import importlib.util
import json
import time

import pytest
from auth_support import APP, DEMO_BY_ROLE, app_as, page_as
from streamlit.testing.v1 import AppTest

from pipelines.auth import accounts
from pipelines.core.store import Store, open_store

PASSWORD = "correct horse battery"


@pytest.fixture
def real_db(tmp_path, monkeypatch):
    """A real (not sample) database with no data, pointed to by FUGONG_DB."""
    path = tmp_path / "street.duckdb"
    Store(path).close()
    monkeypatch.setenv("FUGONG_DB", str(path))
    return path


def store_of(path) -> Store:
    return open_store(path)  # the same store the app in this process uses


def audit(path) -> list[tuple]:
    return store_of(path).cursor().execute(
        "select actor, action, target, cast(after as varchar) from audit order by audit_id").fetchall()


def submit_login(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == "登录").click()
    return at.run()


def test_a_real_database_starts_with_no_users_and_explains_the_first_admin(real_db):
    at = app_as(None).run()
    assert not at.exception
    assert at.info[0].value == "这个数据库还没有任何用户，需要先在命令行创建第一个管理员（没有默认密码）。"
    codes = [c.value for c in at.code]
    assert codes[0].endswith(f"-m pipelines --db {real_db} users add admin --role admin --name 管理员")
    assert not at.text_input  # no login form, no demo accounts
    assert "示例" not in " ".join(m.value for m in at.markdown)


def test_login_throttle_and_audit(real_db):
    accounts.add_user(store_of(real_db), "cli:root", "leader1", "刘领导", "leader", None, PASSWORD)
    at = app_as(None).run()
    for n in range(4):
        submit_login(at, "leader1", f"wrong password {n}")
        assert [e.value for e in at.error] == ["用户名或密码错误\n\n连续输错后每次须多等一会儿再试"]
    submit_login(at, "leader1", "wrong password 5")
    assert at.error[0].value == "用户名或密码错误\n\n尝试过于频繁，请 2 秒后再试"
    submit_login(at, "leader1", PASSWORD)  # within the delay: refused, with the same words
    assert at.error[0].value.startswith("用户名或密码错误\n\n尝试过于频繁，请 ")
    assert "auth_user" not in at.session_state
    accounts.unlock(store_of(real_db), "admin", "leader1")  # the 用户与审计 page's 解锁
    submit_login(at, "leader1", PASSWORD)
    assert at.session_state["auth_user"] == "leader1"
    assert [(a, b) for a, b, _, _ in audit(real_db)] == [
        ("cli:root", "user.add"), *[("leader1", "login.failed")] * 5, ("（未知用户）", "login.failed"),
        ("admin", "user.unlock"), ("leader1", "login.success")]
    # the password never reaches the audit or the session
    assert all("wrong password" not in json.dumps(row, ensure_ascii=False) for row in audit(real_db))
    assert "wrong password" not in json.dumps({k: str(v) for k, v in at.session_state.to_dict().items()})


def test_login_then_logout(real_db):
    accounts.add_user(store_of(real_db), "cli:root", "leader1", "刘领导", "leader", "江苏路街道", PASSWORD)
    at = app_as(None).run()
    submit_login(at, "Leader1", PASSWORD)
    assert not at.exception
    assert [t.value for t in at.title] == ["态势总览"]
    assert at.sidebar.caption[0].value == "👤 刘领导\n\n领导 · 江苏路街道"
    assert audit(real_db)[-1][:3] == ("leader1", "login.success", "leader1")
    next(b for b in at.sidebar.button if b.label == "退出登录").click()
    at.run()
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert "auth_user" not in at.session_state


def test_idle_timeout(real_db, monkeypatch):
    monkeypatch.setenv("FUGONG_IDLE_MINUTES", "30")
    accounts.add_user(store_of(real_db), "cli:root", "leader1", "刘领导", "leader", None, PASSWORD)
    at = app_as("leader1")
    at.session_state["auth_seen"] = time.time() - 29 * 60
    at.run()
    assert [t.value for t in at.title] == ["态势总览"]
    at.session_state["auth_seen"] = time.time() - 31 * 60
    at.run()
    assert [e.value for e in at.error] == ["超过 30 分钟未操作，已自动退出\n\n请重新登录"]
    assert [t.label for t in at.text_input] == ["用户名", "密码"]


def test_a_disabled_user_is_logged_out_at_the_next_click(real_db):
    store = store_of(real_db)
    accounts.add_user(store, "cli:root", "leader1", "刘领导", "leader", None, PASSWORD)
    at = app_as("leader1").run()
    assert [t.value for t in at.title] == ["态势总览"]
    accounts.set_disabled(store, "cli:root", "leader1", True)
    at.run()
    assert [e.value for e in at.error] == ["账号已停用或不存在，已退出\n\n请联系管理员"]


def test_a_role_change_applies_at_the_next_click(real_db):
    store = store_of(real_db)
    accounts.add_user(store, "cli:root", "u1", "甲", "admin", None, PASSWORD)
    at = app_as("u1").run()
    at.switch_page("app_pages/admin.py").run()
    assert [t.value for t in at.title] == ["用户与审计"]
    accounts.update_user(store, "cli:root", "u1", role="leader")
    at.run()  # at the next click the admin page is gone from the navigation
    assert [t.value for t in at.title] == ["态势总览"]
    assert not at.text_input
    with pytest.raises(ValueError):
        at.switch_page("app_pages/admin.py")


def kiosk(token: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params["kiosk"] = "1"
    at.query_params["token"] = token
    return at


def test_kiosk_token(real_db):
    store = store_of(real_db)
    token = accounts.rotate_token(store, "admin", "城运中心大屏", None)
    at = kiosk(token).run()
    assert not at.exception
    assert not at.error and not at.text_input  # no login form, no refusal
    assert not at.sidebar.button  # kiosk: no sidebar, no logout
    at.run()
    logins = [(a, b) for a, b, _, _ in audit(real_db) if b.startswith("login")]
    assert logins == [("token:城运中心大屏", "login.success")]  # once per session, not per refresh
    accounts.rotate_token(store, "admin", "城运中心大屏", None)  # the old link stops at the next refresh
    at.run()
    assert [e.value for e in at.error] == ["大屏链接无效或已失效"]
    at.run()
    logins = [(a, b, json.loads(c)) for a, b, _, c in audit(real_db) if b.startswith("login")]
    assert logins[1:] == [("（大屏令牌）", "login.failed", {"via": "token", "reason": "bad_token"})]


def test_kiosk_token_never_opens_other_pages(real_db):
    token = accounts.rotate_token(store_of(real_db), "admin", "城运中心大屏", None)
    at = kiosk(token).run()
    for file in ("app_pages/overview.py", "app_pages/admin.py"):
        with pytest.raises(ValueError):
            at.switch_page(file)


def test_sample_login_page_shows_demo_accounts(sample_db, monkeypatch):
    monkeypatch.setenv("FUGONG_DB", str(sample_db))
    at = app_as(None).run()
    assert "示例数据" in at.markdown[0].value
    demo = at.dataframe[0].value
    assert demo[["用户名", "密码", "角色"]].values.tolist() == [
        [u, p, accounts.ROLES[r]] for u, _, r, _, p in accounts.DEMO_USERS]
    assert at.code[0].value.startswith("http://localhost:8501/?kiosk=1&token=fgs_")
    submit_login(at, DEMO_BY_ROLE["analyst"], "sample-zhang-2020")
    assert [t.value for t in at.title] == ["态势总览"]


def test_oidc_is_optional_and_maps_by_email(real_db):
    store = store_of(real_db)
    accounts.add_user(store, "admin", "li", "李", "leader", None, None, email="li@example.gov.cn")
    plain = app_as(None)
    plain.user = {"is_logged_in": True, "email": "li@example.gov.cn"}  # ignored: no [auth] configured
    plain.run()
    assert [t.label for t in plain.text_input] == ["用户名", "密码"]
    assert not [b for b in plain.button if b.label == "使用统一身份认证登录"]
    configured = app_as(None)
    configured.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                                  "client_id": "id", "client_secret": "s",
                                  "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}
    configured.user = {"is_logged_in": False}
    configured.run()
    offered = [b.label for b in configured.button if b.label == "使用统一身份认证登录"]
    missing = [c.value for c in configured.caption if "未安装 Authlib" in c.value]
    if importlib.util.find_spec("authlib"):
        assert (offered, missing) == (["使用统一身份认证登录"], [])
    else:  # st.login needs Authlib, which is not a requirement: the page says so instead of a broken button
        assert offered == [] and len(missing) == 1
    stranger = app_as(None)
    stranger.secrets["auth"] = dict(configured.secrets["auth"])
    stranger.user = {"is_logged_in": True, "email": "stranger@example.com", "email_verified": True}
    stranger.run()
    assert stranger.error[0].value.startswith("统一身份认证账号 stranger@example.com 未开通或已停用")
    stranger.run()
    refused = [r for r in audit(real_db) if r[1] == "login.failed"]
    assert [(a, b) for a, b, _, _ in refused] == [("stranger@example.com", "login.failed")]  # once, not per click
    configured.user = {"is_logged_in": True, "email": "li@example.gov.cn", "email_verified": True}
    configured.run()
    assert [t.value for t in configured.title] == ["态势总览"]
    assert configured.sidebar.caption[0].value == "👤 李\n\n领导 · 全区"
    assert audit(real_db)[-1][:2] == ("li", "login.success")


def test_page_guard_uses_the_same_session(real_db):
    accounts.add_user(store_of(real_db), "cli:root", "a1", "甲", "analyst", None, PASSWORD)
    at = page_as("app_pages/admin.py", "a1").run()
    assert at.error[0].value == "无权限：“管理用户”需要管理员角色，您当前的角色是分析员\n\n如确需此权限，请联系管理员"


def test_an_older_sample_without_users_gets_its_demo_accounts(tmp_path, monkeypatch):
    path = tmp_path / "old-sample.duckdb"
    store = Store(path)
    store.set_meta("sample", "1")
    store.close()
    monkeypatch.setenv("FUGONG_DB", str(path))
    at = app_as(None).run()
    assert not at.exception and [t.label for t in at.text_input] == ["用户名", "密码"]
    assert at.dataframe[0].value["用户名"].tolist() == [u for u, *_ in accounts.DEMO_USERS]
    assert accounts.user_count(store_of(path).cursor()) == len(accounts.DEMO_USERS)
