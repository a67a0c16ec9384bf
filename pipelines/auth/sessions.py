"""Logins that survive reload and new tabs, and bearer tokens for the read-only data API.

A login makes a web session: a random id goes into an HttpOnly cookie, only its SHA-256 is stored, with
the user, when it began and was last used, when it ends, and where from. Every request checks it again
here: revoked, past its absolute end, idle too long or its user disabled or gone, and it is refused. An
API token is the same idea for scripts: named, scoped to a street or the district, expiring, revocable,
hashed; made and revoked with an audit row. Nothing here is ever deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

import duckdb
import pandas as pd

from pipelines.auth import accounts
from pipelines.core import settings
from pipelines.core.errors import UserError
from pipelines.core.store import Store, read_sql

SESSION_COOKIE = "fugong_session"
API_TOKEN_PREFIX = "fga_"
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{32,64}")
TOUCH_SECONDS = 30  # last_seen_at is written at most this often per session (a write per click is waste)


def _hash(secret: str) -> str:
    # Session ids and tokens are 256 random bits: a fast hash is enough, and keeps the per-request check cheap.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- web sessions --------------------------------------------------------------------------------

@dataclass(frozen=True)
class WebSession:
    session_id: int
    principal: accounts.Principal
    expires_at: dt.datetime


def start_session(store: Store, principal: accounts.Principal, source_address: str | None,
                  user_agent: str | None, now: dt.datetime | None = None) -> tuple[str, WebSession]:
    """A new session for a user who just logged in. Returns the id for the cookie (shown nowhere else)."""
    now = now or _now()
    session_key = secrets.token_urlsafe(32)
    expires = now + dt.timedelta(hours=settings.get().session_hours)
    with store.transaction() as cur:
        session_id = store.next_id(cur, "web_session_id_seq", "web_sessions", "session_id")
        cur.execute(
            "insert into web_sessions (session_id, id_hash, username, via, created_at, last_seen_at, expires_at, "
            "source_address, user_agent) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [session_id, _hash(session_key), principal.username, principal.via, now, now, expires,
             (source_address or "")[:64] or None, (user_agent or "")[:300] or None],
        )
    return session_key, WebSession(session_id, principal, expires)


def session_user(store: Store, session_key: str | None, now: dt.datetime | None = None,
                 touch: bool = True) -> WebSession | None:
    """The live session of this cookie value and its user as the database has them now, or None.

    Refused: unknown, revoked, past its end, idle longer than the idle timeout, user disabled or gone.
    A session found idle or of a disabled user is marked ended, so the admin list says why.
    """
    if not session_key or not _SESSION_ID.fullmatch(session_key):
        return None
    now = now or _now()
    idle = dt.timedelta(minutes=settings.get().idle_minutes)
    cur = store.cursor()
    try:
        rows = cur.execute(
            "select session_id, username, via, last_seen_at, expires_at from web_sessions "
            "where id_hash = ? and revoked_at is null", [_hash(session_key)]).fetchall()
        if not rows:
            return None
        session_id, username, via, last_seen, expires = rows[0]
        principal = accounts.load_user(cur, username, via)
    finally:
        cur.close()
    if expires <= now:
        return None
    if now - last_seen > idle:
        _end(store, [session_id], "系统", "idle", now)
        return None
    if principal is None:
        _end(store, [session_id], "系统", "disabled", now)
        return None
    if touch and (now - last_seen).total_seconds() >= TOUCH_SECONDS:
        with store.transaction() as wcur:
            wcur.execute("update web_sessions set last_seen_at = ? where session_id = ?", [now, session_id])
    return WebSession(session_id, principal, expires)


def _end(store: Store, session_ids: list[int], actor: str, reason: str, now: dt.datetime | None = None) -> int:
    if not session_ids:
        return 0
    live = "session_id in (select unnest(?::integer[])) and revoked_at is null"  # no RETURNING on a lake
    with store.transaction() as cur:
        ended = cur.execute(f"select count(*) from web_sessions where {live}", [session_ids]).fetchall()[0][0]
        cur.execute(f"update web_sessions set revoked_at = ?, revoked_by = ?, revoke_reason = ? where {live}",
                    [now or _now(), actor, reason, session_ids])
    return int(ended)


def end_session(store: Store, session_key: str | None) -> bool:
    """Logout: the cookie's session ends for every tab at once. True if there was a live one."""
    if not session_key or not _SESSION_ID.fullmatch(session_key):
        return False
    cur = store.cursor()
    try:
        rows = cur.execute("select session_id, username from web_sessions where id_hash = ? and revoked_at is null",
                           [_hash(session_key)]).fetchall()
    finally:
        cur.close()
    if not rows:
        return False
    session_id, username = rows[0]
    _end(store, [session_id], username, "logout")
    with store.transaction() as cur:
        store.audit(cur, username, "logout", username, None, {"session_id": session_id})
    return True


def revoke_session(store: Store, actor: str, session_id: int) -> None:
    """An admin ends one session (the user must log in again there)."""
    cur = store.cursor()
    try:
        rows = cur.execute("select username from web_sessions where session_id = ? and revoked_at is null",
                           [session_id]).fetchall()
    finally:
        cur.close()
    if not rows:
        raise UserError(f"会话 {session_id} 不存在或已结束")
    _end(store, [session_id], actor, "admin")
    with store.transaction() as cur:
        store.audit(cur, actor, "session.revoke", rows[0][0], None, {"session_id": session_id})


def end_user_sessions(store: Store, actor: str, username: str, reason: str) -> int:
    """Every live session of a user ends (disabled, or an admin's 全部下线). Returns how many."""
    cur = store.cursor()
    try:
        ids = [r[0] for r in cur.execute("select session_id from web_sessions where username = ? "
                                         "and revoked_at is null", [accounts.normalise_username(username)]).fetchall()]
    finally:
        cur.close()
    ended = _end(store, ids, actor, reason)
    if ended and reason == "admin":
        with store.transaction() as cur:
            store.audit(cur, actor, "session.revoke", accounts.normalise_username(username), None,
                        {"session_ids": ids})
    return ended


def list_sessions(cur: duckdb.DuckDBPyConnection, now: dt.datetime | None = None) -> pd.DataFrame:
    """Live sessions (not revoked, not past their end, not idle too long), newest first."""
    return cur.execute(read_sql("queries/web_sessions.sql"),
                       {"now": now or _now(), "idle_minutes": settings.get().idle_minutes}).df()


# -- API tokens ----------------------------------------------------------------------------------

def make_api_token(store: Store, actor: str, name: str, street: str | None = None,
                   days: int | None = None) -> str:
    """A new API token. Returns the token: show it once, it is stored only as a hash."""
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise UserError("请填写令牌名称（1–40 个字）", "如：一网统管平台")
    days = days or settings.get().api_token_days
    if not 1 <= days <= 366:
        raise UserError(f"有效期须在 1–366 天之间，收到 {days}")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = _now() + dt.timedelta(days=days)
    with store.transaction() as cur:
        street = accounts._check_street(cur, street)
        token_id = store.next_id(cur, "api_token_id_seq", "api_tokens", "token_id")
        cur.execute("insert into api_tokens (token_id, name, token_hash, street, created_by, expires_at) "
                    "values (?, ?, ?, ?, ?, ?)", [token_id, name, _hash(token), street, actor, expires])
        store.audit(cur, actor, "api_token.create", name, None,
                    {"token_id": token_id, "street": street, "expires_at": expires.isoformat()})
    return token


def revoke_api_token(store: Store, actor: str, token_id: int) -> None:
    with store.transaction() as cur:
        rows = cur.execute("select name from api_tokens where token_id = ? and revoked_at is null",
                           [token_id]).fetchall()
        if not rows:
            raise UserError(f"API 令牌 {token_id} 不存在或已吊销")
        cur.execute("update api_tokens set revoked_at = current_timestamp, revoked_by = ? "
                    "where token_id = ? and revoked_at is null", [actor, token_id])
        store.audit(cur, actor, "api_token.revoke", rows[0][0], {"token_id": token_id}, {"revoked": True})


def api_principal(store: Store, token: str | None, now: dt.datetime | None = None) -> accounts.Principal | None:
    """The API client a live token belongs to, or None. Its first use of each hour is recorded (last_used_at)
    and audited, like a big-screen token's session."""
    if not token or not token.startswith(API_TOKEN_PREFIX) or len(token) > 200:
        return None
    now = now or _now()
    cur = store.cursor()
    try:
        rows = cur.execute("select token_id, name, street, last_used_at from api_tokens where token_hash = ? "
                           "and revoked_at is null and expires_at > ?", [_hash(token), now]).fetchall()
    finally:
        cur.close()
    if not rows:
        return None
    token_id, name, street, last_used = rows[0]
    principal = accounts.Principal(f"api:{name}", f"API（{name}）", "api", street, "api")
    if last_used is None or now - last_used >= dt.timedelta(hours=1):
        with store.transaction() as wcur:
            wcur.execute("update api_tokens set last_used_at = ? where token_id = ?", [now, token_id])
            store.audit(wcur, principal.actor, "login.success", principal.username, None,
                        {"via": "api", "token_id": token_id, "street": street})
    return principal


def list_api_tokens(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return cur.execute(read_sql("queries/api_tokens.sql"), {"now": _now()}).df()
