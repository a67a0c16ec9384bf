"""Who sees which page, enforced in one place.

Every page is declared once in PAGES with the permission it needs (pipelines.auth holds which role has
which permission). streamlit_app.py builds the navigation from PAGES for the logged-in user only, and
ui.common.guarded checks the same table again before any page body runs, so a direct URL or a page run
on its own cannot get round it. Actions call require(permission) before they write. A street user's
street is forced by scope_street(); query results are masked and street-filtered by protect().

To add a page: one line in PAGES. tests/test_access_matrix.py then covers it for every role.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from pipelines import auth, privacy
from pipelines.auth import Forbidden, Principal
from pipelines.errors import UserError

from . import data

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageSpec:
    file: str  # relative to the repository root, as st.Page takes it
    title: str
    icon: str
    permission: str  # one of pipelines.auth.PERMISSIONS
    default: bool = False  # the landing page of users who may see it
    kiosk: bool = False  # the big-screen page: shown in the kiosk route (?kiosk=1) and to the screen role
    section: str = ""  # navigation group ("" = the main group)


# -- the registry: every page and the permission it needs ---------------------------------------
PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/overview.py", "态势总览", ":material/dashboard:", auth.VIEW, default=True),
    PageSpec("app_pages/upload.py", "数据上传", ":material/upload_file:", auth.UPLOAD),
    PageSpec("app_pages/risk.py", "风险分级", ":material/traffic:", auth.VIEW),
    PageSpec("app_pages/map.py", "楼宇地图", ":material/map:", auth.VIEW),
    PageSpec("app_pages/curves.py", "复工曲线", ":material/show_chart:", auth.VIEW),
    PageSpec("app_pages/building.py", "楼宇详情", ":material/apartment:", auth.VIEW),
    PageSpec("app_pages/requests.py", "企业诉求", ":material/assignment:", auth.VIEW),
    PageSpec("app_pages/feed.py", "实时播报", ":material/campaign:", auth.VIEW),
    PageSpec("app_pages/kiosk.py", "大屏", ":material/tv:", auth.KIOSK, kiosk=True),
    PageSpec("app_pages/admin.py", "用户与审计", ":material/admin_panel_settings:", auth.USERS, section="管理"),
)
# -----------------------------------------------------------------------------------------------

PAGE_BY_FILE = {p.file: p for p in PAGES}

# Session keys. Only this module writes them; no widget uses these keys.
USER_KEY = "auth_user"
VIA_KEY = "auth_via"
SEEN_KEY = "auth_seen"
NOTICE_KEY = "auth_notice"
TOKEN_AUDITED_KEY = "auth_token_audited"
OIDC_REFUSED_KEY = "auth_oidc_refused"


# -- who is this --------------------------------------------------------------------------------

def oidc_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section: st.login is then offered. Never required."""
    try:
        return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)
    except Exception:  # no secrets file, or one that does not parse: built-in login only
        return False


def kiosk_requested() -> bool:
    return st.query_params.get("kiosk") in ("1", "true", "yes")


def _token() -> str | None:
    token = st.query_params.get("token")
    return token if isinstance(token, str) and token else None


def current_user() -> Principal | None:
    """The user of this session as the database has them now, or None (not logged in, timed out, disabled).

    A screen token in the URL identifies a kiosk. Otherwise the session's username is looked up again on
    every run, so a disabled user or a changed role or street takes effect at the next click.
    """
    store = data.store()
    token = _token()
    if token is not None:
        with data.cursor() as cur:
            principal = auth.token_principal(cur, token)
        audited = st.session_state.get(TOKEN_AUDITED_KEY)
        marker = "ok" if principal else "bad"
        if audited != marker:
            st.session_state[TOKEN_AUDITED_KEY] = marker
            auth.audit_token_login(store, principal)
        return principal
    username = st.session_state.get(USER_KEY)
    if username is None and oidc_configured() and getattr(st.user, "is_logged_in", False):
        email = str(st.user.get("email") or "")
        if st.session_state.get(OIDC_REFUSED_KEY) == email:  # refused once: not again (and again audited) per click
            return None
        try:
            principal = auth.login_oidc(store, email)
        except UserError as exc:
            st.session_state[NOTICE_KEY] = exc
            st.session_state[OIDC_REFUSED_KEY] = email
            return None
        _start_session(principal)
        return principal
    if username is None:
        return None
    now = time.time()
    seen = st.session_state.get(SEEN_KEY, now)
    idle = auth.settings().idle_minutes
    if now - seen > idle * 60:
        logout(UserError(f"超过 {idle} 分钟未操作，已自动退出", "请重新登录"))
        return None
    with data.cursor() as cur:
        principal = auth.load_user(cur, username, st.session_state.get(VIA_KEY, "password"))
    if principal is None:
        logout(UserError("账号已停用或不存在，已退出", "请联系管理员"))
        return None
    st.session_state[SEEN_KEY] = now
    return principal


def _start_session(principal: Principal) -> None:
    st.session_state[USER_KEY] = principal.username
    st.session_state[VIA_KEY] = principal.via
    st.session_state[SEEN_KEY] = time.time()
    st.session_state.pop(NOTICE_KEY, None)


def login(username: str, password: str) -> Principal:
    """Built-in login: raises LoginFailed (a UserError) with the reason in Chinese."""
    principal = auth.authenticate(data.store(), username, password)
    _start_session(principal)
    return principal


def logout(notice: UserError | None = None) -> None:
    """End the session (also the logout button's callback: it runs before whatever script runs next)."""
    via = st.session_state.get(VIA_KEY)
    for key in (USER_KEY, VIA_KEY, SEEN_KEY):
        st.session_state.pop(key, None)
    if notice is not None:
        st.session_state[NOTICE_KEY] = notice
    if via == "oidc" and oidc_configured():
        st.logout()


# -- what may they do -----------------------------------------------------------------------------

def can(permission: str) -> bool:
    """For showing or hiding controls only; enforcement is require()."""
    user = current_user()
    return user is not None and user.can(permission)


def require(permission: str) -> Principal:
    """Call before every action: raises Forbidden (无权限…) unless the session's user may do it."""
    return auth.require(current_user(), permission)


def actor() -> str:
    """The current user's name for audit rows and batches."""
    user = current_user()
    if user is None:
        raise Forbidden("请先登录")
    return user.actor


def scope_street(requested: str | None = None) -> str | None:
    """The street every query of this page must use: a street user's own street, whatever the page asked."""
    return auth.scoped_street(current_user(), requested)


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
    if not user.can(auth.PERSONAL):
        frame = privacy.mask_frame(frame)
    return frame


def visible_pages(user: Principal | None, kiosk: bool = False) -> list[PageSpec]:
    """The pages this user may open, in registry order; the kiosk route and the screen role get only the
    big-screen page."""
    if user is None:
        return []
    kiosk = kiosk or user.role == "screen"
    return [p for p in PAGES if user.can(p.permission) and (p.kiosk or not kiosk) and (ROOT / p.file).exists()]


def _page_key(page: Callable[..., Any] | str) -> str:
    path = Path(page if isinstance(page, str) else page.__code__.co_filename).resolve()
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


def guard_page(page: Callable[..., Any] | str) -> Principal:
    """Stop the page unless the session's user may see it. Pages not in PAGES are refused (deny by default)."""
    spec = PAGE_BY_FILE.get(_page_key(page))
    user = current_user()
    if spec is None:
        st.error(f"页面 {_page_key(page)} 未登记访问权限，已拒绝", icon="⛔")
        st.stop()
    if user is None:
        # Reached without the entry script's gate (a page run on its own, as AppTest does): log in here.
        # The pages live in app_pages/, not pages/, so Streamlit never runs one directly for a URL.
        from .login import login_page

        st.warning("请先登录", icon="🔒")
        login_page()
        st.stop()
    try:
        auth.require(user, spec.permission)
    except Forbidden as exc:
        st.error(f"{exc.message}\n\n{exc.hint}", icon="⛔")
        st.stop()
    return user


# -- the app --------------------------------------------------------------------------------------

def app() -> None:
    """Login gate, kiosk switch and navigation; streamlit_app.py calls only this."""
    try:
        user = current_user()
    except UserError as exc:
        from .common import show_error

        show_error(exc)
        return
    if user is None:
        from .login import login_page

        if _token() is not None:
            st.navigation([st.Page(_bad_token_page, title="大屏", url_path="kiosk")], position="hidden").run()
            return
        # Every page's address shows the login form too, so a bookmarked /risk logs in and lands on 风险分级
        # instead of Streamlit's "Page not found".
        pages = [st.Page(login_page, title="登录", icon="🔒", url_path="login", default=True)]
        pages += [st.Page(_login_at(Path(spec.file).stem), title=spec.title, url_path=Path(spec.file).stem)
                  for spec in PAGES]
        st.navigation(pages, position="hidden").run()
        return
    kiosk = kiosk_requested() or user.role == "screen"
    specs = visible_pages(user, kiosk)
    if not specs:
        st.navigation([st.Page(_no_pages, title="复工态势台", url_path="none")], position="hidden").run()
        return
    default = next((s for s in specs if s.default), specs[0])
    pages: dict[str, list[Any]] = {}
    for spec in specs:
        pages.setdefault(spec.section, []).append(
            st.Page(spec.file, title=spec.title, icon=spec.icon, default=spec is default))
    navigation = st.navigation(pages if len(pages) > 1 else next(iter(pages.values())),
                               position="hidden" if kiosk else "sidebar")
    if not kiosk:
        _user_box(user)
    navigation.run()


def _login_at(name: str) -> Callable[[], None]:
    from .login import login_page

    def show_login() -> None:
        login_page()

    show_login.__name__ = f"login_{name}"  # st.Page tells callables apart by name
    return show_login


def _user_box(user: Principal) -> None:
    with st.sidebar:
        st.caption(f"👤 {user.display_name}\n\n{user.role_label} · {user.scope_label}")
        if user.via != "token":
            st.button("退出登录", key="auth_logout_button", on_click=logout)


def _bad_token_page() -> None:
    st.error("大屏链接无效或已失效", icon="⛔")
    st.caption("请管理员在“用户与审计”页重新生成大屏链接。")


def _no_pages() -> None:
    user = current_user()
    st.title("复工态势台")
    st.info("您的角色目前没有可打开的页面（大屏页面尚未安装）。" if user and user.role == "screen"
            else "您的角色目前没有可打开的页面，请联系管理员。")
    if user is not None and user.via != "token":
        st.button("退出登录", key="auth_logout_button", on_click=logout)
