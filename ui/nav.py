"""The page registry and the gate: who sees which page, enforced in one place.

Every page is declared once in PAGES with the permission it needs (pipelines.auth.accounts holds which role
has which permission). app() — all streamlit_app.py calls — builds the navigation from PAGES for the
logged-in user only, and guard_page() (run by ui.widgets.guarded before any page body) checks the same table
again, so a direct URL or a page run on its own cannot get round it.

To add a page: one line in PAGES. tests/test_access_matrix.py then covers it for every role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import streamlit as st

from pipelines.auth import accounts
from pipelines.auth.accounts import Forbidden, Principal
from pipelines.core.errors import UserError
from pipelines.core.settings import ROOT
from ui.connection import explained
from ui.feedback import show_error
from ui.login import login_page
from ui.session import current_user, kiosk_requested, logout, token_in_url


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
    PageSpec("app_pages/overview.py", "态势总览", ":material/dashboard:", accounts.VIEW, default=True),
    PageSpec("app_pages/upload.py", "数据上传", ":material/upload_file:", accounts.UPLOAD),
    PageSpec("app_pages/risk.py", "风险分级", ":material/traffic:", accounts.VIEW),
    PageSpec("app_pages/map.py", "楼宇地图", ":material/map:", accounts.VIEW),
    PageSpec("app_pages/curves.py", "复工曲线", ":material/show_chart:", accounts.VIEW),
    PageSpec("app_pages/building.py", "楼宇详情", ":material/apartment:", accounts.VIEW),
    PageSpec("app_pages/requests.py", "企业诉求", ":material/assignment:", accounts.VIEW),
    PageSpec("app_pages/feed.py", "实时播报", ":material/campaign:", accounts.VIEW),
    PageSpec("app_pages/epidemic.py", "防疫专项", ":material/coronavirus:", accounts.VIEW),
    PageSpec("app_pages/kiosk.py", "大屏", ":material/tv:", accounts.KIOSK, kiosk=True),
    PageSpec("app_pages/admin.py", "用户与审计", ":material/admin_panel_settings:", accounts.USERS, section="管理"),
)
# -----------------------------------------------------------------------------------------------

PAGE_BY_FILE = {p.file: p for p in PAGES}



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
        st.warning("请先登录", icon="🔒")
        login_page()
        st.stop()
    try:
        accounts.require(user, spec.permission)
    except Forbidden as exc:
        show_error(exc)
        st.stop()
    return user


# -- the app --------------------------------------------------------------------------------------

def app() -> None:
    """Login gate, kiosk switch and navigation; streamlit_app.py calls only this."""
    try:
        user = current_user()
    except UserError as exc:
        show_error(exc)
        return
    except duckdb.Error as exc:  # a lake's catalog or shared directory gone: said in Chinese, no traceback
        described = explained(exc)
        if described is None:
            raise
        show_error(described)
        return
    if user is None:
        if token_in_url() is not None:
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
