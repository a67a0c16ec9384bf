"""The login cookie as the Streamlit script sees it (served by `python -m server`, see server/web.py).

st.context.cookies holds the cookies the browser sent when this tab connected; the session they name is
looked up in the store again on every run, so a session ended anywhere (logout in another tab, an admin,
a disabled user, the idle timeout) ends here at the next click. AppTest and a bare `streamlit run` have no
cookie: the built-in login form (ui/login.py) keeps working there.
"""

from __future__ import annotations

import os
from urllib.parse import quote, urlencode, urlsplit

import streamlit as st

from pipelines import web_sessions
from pipelines.auth import Principal

from . import data


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
    session = web_sessions.session_user(data.store(), key)
    return (session.principal if session is not None else None), True


def end_cookie_session() -> bool:
    """Logout: the session ends in the store, so every tab of this browser is logged out at its next run."""
    return web_sessions.end_session(data.store(), session_key())


def current_path() -> str:
    """This page's path and query, for /login?next= (so the login lands back here, filters and all)."""
    path = urlsplit(st.context.url or "/").path or "/"
    query = {k: v for k, v in st.query_params.to_dict().items() if k not in ("token",)}
    return path + (f"?{urlencode(query)}" if query else "")


def login_url(why: str | None = None) -> str:
    return f"/login?next={quote(current_path(), safe='')}" + (f"&why={why}" if why else "")


def login_link(text: str = "登录", why: str | None = None) -> None:
    """A link to the login form in this tab (a markdown link would open a new tab)."""
    st.markdown(f'<a href="{login_url(why)}" target="_self">{text}</a>', unsafe_allow_html=True)
