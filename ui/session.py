"""Who is logged in, what they may do, and which street they see — for this Streamlit session.

Served as the web application (`python -m server`, see server/web.py), the login is a cookie holding a web
session id: st.context.cookies has the cookies the browser sent when this tab connected, and the session is
checked in the store on every run, so reload, a new tab, a bookmark and Ctrl-click stay logged in, and a
session ended anywhere (logout in another tab, an admin, a disabled user, the idle timeout) ends here at the
next click. AppTest and a bare `streamlit run streamlit_app.py` have no cookie: there the built-in form logs
in this Streamlit session only (session_state), as before.

The session's username (or the kiosk token in the URL) is checked against the store on every run, so a
disabled user or a changed role takes effect at the next click. Actions call require(permission) before
they write; a street user's street is forced by scope_street(); query results pass through protect().
"""

from __future__ import annotations

import os
import time
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pandas as pd
import streamlit as st

from pipelines.auth import accounts
from pipelines.auth import sessions as web_sessions
from pipelines.auth.accounts import Forbidden, Principal
from pipelines.core import privacy, settings
from pipelines.core.errors import UserError
from ui import connection, feedback

# Session keys. Only this module writes them; no widget uses these keys.
USER_KEY = "auth_user"
VIA_KEY = "auth_via"
SEEN_KEY = "auth_seen"
TOKEN_AUDITED_KEY = "auth_token_audited"
OIDC_REFUSED_KEY = "auth_oidc_refused"
LOGIN_SLOT = "login"  # feedback slot: why the session ended, shown on the login page


# -- who is this --------------------------------------------------------------------------------

def oidc_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section: st.login is then offered. Never required."""
    try:
        return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)
    except Exception:  # no secrets file, or one that does not parse: built-in login only
        return False


def kiosk_requested() -> bool:
    return st.query_params.get("kiosk") in ("1", "true", "yes")


def token_in_url() -> str | None:
    token = st.query_params.get("token")
    return token if isinstance(token, str) and token else None


def current_user() -> Principal | None:
    """The user of this session as the database has them now, or None (not logged in, timed out, disabled).

    A screen token in the URL identifies a kiosk. Otherwise the session's username is looked up again on
    every run, so a disabled user or a changed role or street takes effect at the next click.
    """
    store = connection.store()
    token = token_in_url()
    if token is not None:
        with connection.cursor() as cur:
            principal = accounts.token_principal(cur, token)
        audited = st.session_state.get(TOKEN_AUDITED_KEY)
        marker = "ok" if principal else "bad"
        if audited != marker:
            st.session_state[TOKEN_AUDITED_KEY] = marker
            accounts.audit_token_login(store, principal)
        return principal
    cookie_principal, had_cookie = cookie_user()
    if cookie_principal is not None:
        return cookie_principal
    if had_cookie and st.session_state.get(USER_KEY) is None:
        if not feedback.has_flash(LOGIN_SLOT):
            feedback.flash(UserError("登录已失效（超时、已在别处退出或被管理员结束）", "请重新登录"), slot=LOGIN_SLOT)
        return None
    username = st.session_state.get(USER_KEY)
    if username is None and oidc_configured() and getattr(st.user, "is_logged_in", False):
        email = str(st.user.get("email") or "")
        if st.session_state.get(OIDC_REFUSED_KEY) == email:  # refused once: not again (and again audited) per click
            return None
        try:
            principal = accounts.login_oidc(store, email, st.user.get("email_verified"))
        except UserError as exc:
            feedback.flash(exc, slot=LOGIN_SLOT)
            st.session_state[OIDC_REFUSED_KEY] = email
            return None
        _start_session(principal)
        return principal
    if username is None:
        return None
    now = time.time()
    seen = st.session_state.get(SEEN_KEY, now)
    idle = settings.get().idle_minutes
    if now - seen > idle * 60:
        logout(UserError(f"超过 {idle} 分钟未操作，已自动退出", "请重新登录"))
        return None
    with connection.cursor() as cur:
        principal = accounts.load_user(cur, username, st.session_state.get(VIA_KEY, "password"))
    if principal is None:
        logout(UserError("账号已停用或不存在，已退出", "请联系管理员"))
        return None
    if not _fragment_run():  # the big screen's timer is not someone at the keyboard
        st.session_state[SEEN_KEY] = now
    return principal


def _fragment_run() -> bool:
    """True when only a fragment runs (the 大屏's timer refresh), not the page after a person's click."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def _start_session(principal: Principal) -> None:
    st.session_state[USER_KEY] = principal.username
    st.session_state[VIA_KEY] = principal.via
    st.session_state[SEEN_KEY] = time.time()
    feedback.discard(LOGIN_SLOT)


def login(username: str, password: str) -> Principal:
    """Built-in login: raises LoginFailed (a UserError) with the reason in Chinese."""
    principal = accounts.check_login(connection.store(), username, password, login_source())
    _start_session(principal)
    return principal


def login_source() -> str:
    """Where a login comes from, for the throttle: the browser's address (None on localhost)."""
    try:
        address = st.context.ip_address
    except Exception:  # no script run context
        return "local"
    return address if isinstance(address, str) and address else "local"


def logout(notice: UserError | None = None) -> None:
    """End the session (also the logout button's callback: it runs before whatever script runs next).
    A cookie session ends in the store: every tab of that browser is logged out at its next click."""
    if end_cookie_session() and notice is None:
        feedback.flash("已退出登录", kind="info", slot=LOGIN_SLOT)
    via = st.session_state.get(VIA_KEY)
    for key in (USER_KEY, VIA_KEY, SEEN_KEY):
        st.session_state.pop(key, None)
    if notice is not None:
        feedback.flash(notice, slot=LOGIN_SLOT)
    if via == "oidc" and oidc_configured():
        st.logout()


# -- the login cookie (served as the web application) ----------------------------------------------

def served() -> bool:
    """True when the console runs as the web application (login through /login, cookie sessions)."""
    return os.environ.get("FUGONG_WEB_LOGIN") == "1"


def session_key() -> str | None:
    try:
        value = st.context.cookies.get(web_sessions.SESSION_COOKIE)
    except Exception:  # no script-run context (a thread, a bare import): no cookie
        return None
    return value if isinstance(value, str) and value else None


def cookie_user() -> tuple[Principal | None, bool]:
    """(the cookie session's user, whether a cookie was sent). (None, True): the session has ended."""
    key = session_key()
    if key is None:
        return None, False
    found = web_sessions.session_user(connection.store(), key)
    return (found.principal if found is not None else None), True


def end_cookie_session() -> bool:
    """Logout: the session ends in the store, so every tab of this browser is logged out at its next run."""
    return web_sessions.end_session(connection.store(), session_key())


def current_path() -> str:
    """This page's path and query, for /login?next= (so the login lands back here, filters and all)."""
    path = urlsplit(st.context.url or "/").path or "/"
    query = {k: v for k, v in st.query_params.to_dict().items() if k != "token"}
    return path + (f"?{urlencode(query)}" if query else "")


def login_link(text: str = "登录") -> None:
    """A link to the login form in this tab (a markdown link would open a new tab)."""
    href = f"/login?next={quote(current_path(), safe='')}"
    st.markdown(f'<a href="{href}" target="_self">{text}</a>', unsafe_allow_html=True)


# -- what may they do -----------------------------------------------------------------------------

def can(permission: str) -> bool:
    """For showing or hiding controls only; enforcement is require()."""
    user = current_user()
    return user is not None and user.can(permission)


def require(permission: str) -> Principal:
    """Call before every action: raises Forbidden (无权限…) unless the session's user may do it."""
    return accounts.require(current_user(), permission)


def actor() -> str:
    """The current user's name for audit rows and batches."""
    user = current_user()
    if user is None:
        raise Forbidden("请先登录")
    return user.actor


def scope_street(requested: str | None = None) -> str | None:
    """The street every query of this page must use: a street user's own street, whatever the page asked."""
    return accounts.scoped_street(current_user(), requested)


def protect(result: Any, user: Principal | None = None) -> Any:
    """Query results as this user may see them: personal columns masked (all but admin), and for a
    street user only the rows of their street where the frame has a street column (a safety net: pages
    still pass scope_street() to pipelines functions)."""
    user = user or current_user()
    if user is None:  # no session, no data: whatever page or fragment asked
        raise Forbidden("请先登录", "登录后才能查看数据")
    if not isinstance(result, pd.DataFrame):
        return result
    frame = result
    if user is not None and user.street is not None:
        for column in ("street", "所属街道", "街道"):
            if column in frame.columns:
                frame = frame[frame[column] == user.street]
    if not user.can(accounts.PERSONAL):
        frame = privacy.mask_frame(frame)
    return frame
