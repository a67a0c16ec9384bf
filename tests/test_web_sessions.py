"""Web sessions and API tokens in a real store: what the cookie and the bearer token are checked against."""

from __future__ import annotations

import datetime as dt

import pytest
from upload_helpers import copy_db

from pipelines.auth import accounts as auth
from pipelines.auth import sessions as web_sessions
from pipelines.core import settings
from pipelines.core.errors import UserError
from pipelines.core.store import Store


@pytest.fixture
def db(sample_db, tmp_path) -> Store:
    store = Store(copy_db(sample_db, tmp_path))
    yield store
    store.close()


def _login(store: Store, username: str = "leader", now: dt.datetime | None = None) -> str:
    principal = auth.authenticate(store, username, dict((u, p) for u, *_, p in auth.DEMO_USERS)[username])
    key, _ = web_sessions.start_session(store, principal, "10.0.0.7", "Chromium 140", now=now)
    return key


def _row(store: Store, key: str) -> dict:
    cur = store.cursor()
    result = cur.execute("select * from web_sessions where id_hash = ?", [web_sessions._hash(key)])
    names = [d[0] for d in result.description]
    return dict(zip(names, result.fetchall()[0], strict=True))


def test_a_session_stores_only_a_hash_and_who_from_where(db):
    key = _login(db)
    row = _row(db, key)
    assert key not in str(row.values()) and row["id_hash"] == web_sessions._hash(key)
    assert (row["username"], row["via"], row["source_address"], row["user_agent"]) == \
        ("leader", "password", "10.0.0.7", "Chromium 140")
    assert row["expires_at"] - row["created_at"] == dt.timedelta(hours=settings.get().session_hours)
    session = web_sessions.session_user(db, key)
    assert session is not None and session.principal.username == "leader"


def test_unknown_malformed_and_empty_ids_are_refused(db):
    _login(db)
    for key in (None, "", "x", "A" * 43, "a b" * 20, "'; drop table users; --" * 3):
        assert web_sessions.session_user(db, key) is None


def test_idle_timeout_is_enforced_and_recorded(db, monkeypatch):
    monkeypatch.setenv("FUGONG_IDLE_MINUTES", "30")
    start = dt.datetime.now(dt.UTC)
    key = _login(db, now=start)
    assert web_sessions.session_user(db, key, now=start + dt.timedelta(minutes=29)) is not None
    # The use at minute 29 counts as activity: 29 minutes after it the session still lives.
    assert web_sessions.session_user(db, key, now=start + dt.timedelta(minutes=58)) is not None
    assert web_sessions.session_user(db, key, now=start + dt.timedelta(minutes=58 + 31)) is None
    assert _row(db, key)["revoke_reason"] == "idle"
    assert web_sessions.session_user(db, key, now=start + dt.timedelta(minutes=58)) is None  # ended for good


def test_absolute_end_whatever_the_activity(db, monkeypatch):
    monkeypatch.setenv("FUGONG_SESSION_HOURS", "2")
    monkeypatch.setenv("FUGONG_IDLE_MINUTES", "60")
    start = dt.datetime.now(dt.UTC)
    key = _login(db, now=start)
    for minutes in range(30, 120, 30):
        assert web_sessions.session_user(db, key, now=start + dt.timedelta(minutes=minutes)) is not None
    assert web_sessions.session_user(db, key, now=start + dt.timedelta(minutes=121)) is None


def test_logout_ends_the_session_for_every_tab_and_is_audited(db):
    key = _login(db)
    assert web_sessions.end_session(db, key) is True
    assert web_sessions.session_user(db, key) is None
    assert _row(db, key)["revoke_reason"] == "logout"
    assert web_sessions.end_session(db, key) is False
    actions = db.cursor().execute("select actor, action from audit order by audit_id desc limit 1").fetchall()
    assert actions == [("leader", "logout")]


def test_a_disabled_users_sessions_end_at_once(db):
    key = _login(db, "analyst")
    other = _login(db, "analyst")
    auth.set_disabled(db, "admin", "analyst", True)
    assert web_sessions.session_user(db, key) is None
    assert _row(db, key)["revoke_reason"] == "disabled"
    auth.set_disabled(db, "admin", "analyst", False)
    assert web_sessions.session_user(db, other) is None  # enabling again does not bring sessions back
    assert _row(db, other)["revoke_reason"] == "disabled"


def test_admin_lists_and_revokes_sessions(db):
    first, second = _login(db, "leader"), _login(db, "jsl-leader")
    listed = web_sessions.list_sessions(db.cursor())
    assert set(listed["username"]) == {"leader", "jsl-leader"}
    assert "id_hash" not in listed.columns and first not in listed.to_string()
    target = int(listed.loc[listed["username"] == "leader", "session_id"].iloc[0])
    web_sessions.revoke_session(db, "admin", target)
    assert web_sessions.session_user(db, first) is None and web_sessions.session_user(db, second) is not None
    with pytest.raises(UserError, match="不存在或已结束"):
        web_sessions.revoke_session(db, "admin", target)
    assert web_sessions.end_user_sessions(db, "admin", "jsl-leader", "admin") == 1
    assert web_sessions.list_sessions(db.cursor()).empty
    audit = db.cursor().execute("select action, target from audit where action = 'session.revoke' "
                                "order by audit_id").fetchall()
    assert audit == [("session.revoke", "leader"), ("session.revoke", "jsl-leader")]


def test_api_tokens_hashed_scoped_expiring_revocable_audited(db):
    token = web_sessions.make_api_token(db, "admin", "一网统管平台", "江苏路街道", days=30)
    assert token.startswith(web_sessions.API_TOKEN_PREFIX)
    stored = db.cursor().execute("select token_hash, street from api_tokens").fetchall()
    assert stored == [(web_sessions._hash(token), "江苏路街道")]
    principal = web_sessions.api_principal(db, token)
    assert principal is not None and principal.street == "江苏路街道" and not principal.can(auth.PERSONAL)
    assert web_sessions.api_principal(db, token, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=31)) is None
    assert web_sessions.api_principal(db, token[:-1] + "x") is None
    assert web_sessions.api_principal(db, "fgs_" + token[4:]) is None  # a screen-token prefix is not an API token
    listed = web_sessions.list_api_tokens(db.cursor())
    assert token not in listed.to_string() and listed["live"].tolist() == [True]
    web_sessions.revoke_api_token(db, "admin", int(listed["token_id"].iloc[0]))
    assert web_sessions.api_principal(db, token) is None
    actions = [a for (a,) in db.cursor().execute(
        "select action from audit where action like 'api_token.%' or target like 'api:%' order by audit_id")
        .fetchall()]
    assert actions == ["api_token.create", "login.success", "api_token.revoke"]
    with pytest.raises(UserError, match="未知街道"):
        web_sessions.make_api_token(db, "admin", "x", "不存在街道")
    with pytest.raises(UserError, match="名称"):
        web_sessions.make_api_token(db, "admin", "  ")
