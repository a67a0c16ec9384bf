"""用户与审计 → 登录会话 and 数据接口令牌 (AppTest), and the CLI for API tokens and sessions."""

from __future__ import annotations

import re

import pytest
from auth_support import page_as

from pipelines.__main__ import main
from pipelines.auth import accounts
from pipelines.auth import sessions as web_sessions
from pipelines.core.store import Store, open_store

PASSWORD = "correct horse battery"


@pytest.fixture
def admin_db(tmp_path, monkeypatch):
    path = tmp_path / "street.duckdb"
    Store(path).close()
    monkeypatch.setenv("FUGONG_DB", str(path))
    store = open_store(path)
    accounts.add_user(store, "cli:root", "boss", "赵管理员", "admin", None, PASSWORD)
    accounts.add_user(store, "cli:root", "wang", "王领导", "leader", None, PASSWORD)
    return path


def _session(path, username: str) -> str:
    store = open_store(path)
    with store.cursor() as cur:
        principal = accounts.load_user(cur, username)
    return web_sessions.start_session(store, principal, "10.1.2.3", "Firefox 140")[0]


def test_admin_sees_and_ends_sessions(admin_db):
    wang_first, wang_second, boss = _session(admin_db, "wang"), _session(admin_db, "wang"), _session(admin_db, "boss")
    at = page_as("app_pages/admin.py", "boss").run()
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs] == ["用户", "登录会话", "大屏链接", "数据接口令牌", "审计日志"]
    listed = at.dataframe[1].value
    assert sorted(listed["用户名"]) == ["boss", "wang", "wang"] and set(listed["来源地址"]) == {"10.1.2.3"}
    assert not any(key in listed.to_string() for key in (wang_first, wang_second, boss))
    at.selectbox(key="admin_session_user").select("wang").run()
    at.button(key="admin_session_end_user").click().run()
    assert not at.exception, at.exception
    assert any("已结束 wang 的 2 个会话" in s.value for s in at.success)
    store = open_store(admin_db)
    assert web_sessions.session_user(store, wang_first) is None and web_sessions.session_user(store, wang_second) is None
    assert web_sessions.session_user(store, boss) is not None
    assert at.dataframe[1].value["用户名"].tolist() == ["boss"]


def test_admin_makes_and_revokes_an_api_token(admin_db):
    at = page_as("app_pages/admin.py", "boss").run()
    next(t for t in at.text_input if t.label == "名称").input("一网统管平台")
    next(b for b in at.button if b.label == "生成").click()
    at.run()
    assert not at.exception, at.exception
    token = next(c.value for c in at.code if c.value.startswith(web_sessions.API_TOKEN_PREFIX))
    store = open_store(admin_db)
    principal = web_sessions.api_principal(store, token)
    assert principal is not None and principal.street is None
    at.run()  # shown once
    assert not any(c.value == token for c in at.code)
    at.button(key="api_token_revoke").click().run()
    assert web_sessions.api_principal(store, token) is None
    actions = [a for (a,) in store.cursor().execute("select action from audit where action like 'api_token.%' "
                                                    "order by audit_id").fetchall()]
    assert actions == ["api_token.create", "api_token.revoke"]


def test_cli_api_tokens_and_sessions(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    store = Store(db)
    accounts.add_user(store, "cli:root", "wang", "王领导", "leader", None, PASSWORD)
    with store.cursor() as cur:
        principal = accounts.load_user(cur, "wang")
    key, _ = web_sessions.start_session(store, principal, None, None)
    store.close()
    assert main(["--db", str(db), "api-tokens", "create", "一网统管平台", "--days", "30"]) == 0
    token = re.search(r"fga_[A-Za-z0-9_-]+", capsys.readouterr().out).group(0)
    assert main(["--db", str(db), "api-tokens", "list"]) == 0
    listed = capsys.readouterr().out
    assert "一网统管平台" in listed and "有效" in listed and token not in listed
    assert main(["--db", str(db), "sessions", "end", "wang"]) == 0
    assert "已结束 wang 的 1 个会话" in capsys.readouterr().out
    assert main(["--db", str(db), "api-tokens", "revoke", "1"]) == 0
    store = Store(db)
    try:
        assert web_sessions.api_principal(store, token) is None and web_sessions.session_user(store, key) is None
    finally:
        store.close()
