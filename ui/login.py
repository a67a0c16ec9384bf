"""The login page: built-in (works offline), st.login when an identity provider is configured.

The sample database shows its demo accounts here; a real database with no users explains how to create
the first administrator from the command line (there is no default password).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from pipelines.auth import accounts
from pipelines.core import settings
from pipelines.core.errors import UserError
from pipelines.core.settings import ROOT
from ui import data, feedback, session


def kiosk_url(token: str) -> str:
    """The app's root URL as the browser sees it (not the current page's) with the kiosk token."""
    parts = urlsplit(st.context.url or "http://localhost:8501/")
    base_path = str(st.get_option("server.baseUrlPath") or "").strip("/")
    root = f"{parts.scheme}://{parts.netloc}/" + (f"{base_path}/" if base_path else "")
    return f"{root}?kiosk=1&token={token}"


def _db_label(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def login_page() -> None:
    store = data.store()
    sample = store.is_sample()
    st.title("复工态势台")
    st.markdown((":orange-badge[示例数据]　" if sample else "") + "请登录")
    feedback.show_flash(session.LOGIN_SLOT)
    with data.cursor() as cur:
        users = accounts.user_count(cur)
    if users == 0 and sample:  # a sample built before logins existed: give it its demo accounts now
        accounts.add_demo_users(store)
        users = len(accounts.DEMO_USERS)
    if users == 0:
        db = _db_label(store.path)
        st.info("这个数据库还没有任何用户，需要先在命令行创建第一个管理员（没有默认密码）。")
        st.markdown("1. 停止控制台（在运行它的终端按 Ctrl+C）——控制台运行时占用数据库，命令行无法写入；\n"
                    "2. 创建管理员（命令会请您输入两次密码，至少 10 个字符）：")
        st.code(f".venv/bin/python -m pipelines --db {db} users add admin --role admin --name 管理员", language="bash")
        st.markdown("3. 重新启动控制台，用这个账号登录，再在“用户与审计”页为同事开通账号。")
        st.code(f"make run DB={db}", language="bash")
        return
    if session.served():
        # Served as the web application: the login is the console's own form (/login), which sets the cookie
        # that keeps this browser logged in across reloads and tabs. Streamlit cannot set a cookie.
        session.login_link("登录")
        if session.oidc_configured():
            _oidc_button()
        return
    with st.form("login_form", clear_on_submit=True):
        username = st.text_input("用户名", key="login_username", autocomplete="username")
        password = st.text_input("密码", type="password", key="login_password", autocomplete="current-password")
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        try:
            session.login(username, password)
        except UserError as exc:
            feedback.show_error(exc)
        else:
            st.rerun()
    if session.oidc_configured():
        _oidc_button()
    conf = settings.get()
    st.caption(f"连续输错 {conf.max_failures} 次密码后，每次再试须多等一会儿；"
               f"{conf.idle_minutes} 分钟未操作自动退出。")
    if sample:
        _demo_accounts(store)


def _oidc_button() -> None:
    if importlib.util.find_spec("authlib") is None:  # st.login needs it; it is not a requirement
        st.caption("已配置统一身份认证，但未安装 Authlib：请运行 .venv/bin/pip install Authlib 后重启。")
    else:
        st.button("使用统一身份认证登录", on_click=st.login, key="login_oidc")


def _demo_accounts(store) -> None:
    with st.expander("示例账号（仅示例数据库提供）", expanded=True):
        rows = [{"用户名": u, "密码": p, "角色": accounts.ROLES[r], "范围": s or accounts.DISTRICT, "姓名": d}
                for u, d, r, s, p in accounts.DEMO_USERS]
        st.dataframe(pd.DataFrame(rows), hide_index=True)
        token = store.meta(accounts.DEMO_TOKEN_META)
        if token:
            st.caption("示例大屏链接（无需登录，只读）：")
            st.code(kiosk_url(token), language=None)
