"""用户与审计, the web parts: who is logged in where (and ending their sessions), and data-API tokens."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from pipelines.auth import accounts
from pipelines.auth import sessions as web_sessions
from pipelines.core import settings
from ui import connection, session

NEW_API_TOKEN_KEY = "admin_new_api_token"
VIA = {"password": "密码", "oidc": "统一身份认证"}


def sessions(flash: Callable[[str], None]) -> None:
    """Live login sessions (read fresh on every run: a login or a logout elsewhere shows at once)."""
    if not session.can(accounts.USERS):
        st.info("您没有“管理用户”权限。")
        return
    with connection.cursor() as cur:
        frame = web_sessions.list_sessions(cur)
    idle = settings.get().idle_minutes
    st.caption(f"当前有效的登录：共 {len(frame)} 个。{idle} 分钟未操作或登录满 {settings.get().session_hours} "
               "小时自动结束；停用账号时其全部会话立即结束。")
    if frame.empty:
        return
    shown = pd.DataFrame({
        "编号": frame["session_id"], "用户名": frame["username"], "姓名": frame["display_name"],
        "方式": frame["via"].map(VIA).fillna(frame["via"]), "登录时间": frame["created_at"],
        "最近操作": frame["last_seen_at"], "到期": frame["expires_at"], "来源地址": frame["source_address"],
        "浏览器": frame["user_agent"],
    })
    st.dataframe(shown, hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        labels = {int(r.session_id): f"{r.session_id} · {r.username} · {r.source_address or '—'} · "
                                     f"{r.created_at:%m-%d %H:%M}" for r in frame.itertuples(index=False)}
        chosen = st.selectbox("会话", list(labels), format_func=labels.get, key="admin_session_pick")
        if st.button("结束这个会话", key="admin_session_end"):
            session.require(accounts.USERS)
            web_sessions.revoke_session(connection.store(), session.actor(), int(chosen))
            flash(f"已结束会话 {chosen}")
    with right:
        who = st.selectbox("用户", sorted(frame["username"].unique()), key="admin_session_user")
        if st.button("结束该用户的全部会话", key="admin_session_end_user"):
            session.require(accounts.USERS)
            ended = web_sessions.end_user_sessions(connection.store(), session.actor(), who, "admin")
            flash(f"已结束 {who} 的 {ended} 个会话")


def api_tokens(flash: Callable[[str], None], scope_options: list[str]) -> None:
    """Tokens for /api/v1/: named, scoped, expiring; shown once when made."""
    if not session.can(accounts.TOKENS):
        st.info("您没有“管理令牌”权限。")
        return
    fresh = st.session_state.pop(NEW_API_TOKEN_KEY, None)
    if fresh:
        name, token = fresh
        st.warning(f"“{name}”的 API 令牌只显示这一次：请现在复制，交给对接方保存。", icon="🔑")
        st.code(token, language=None)
        st.caption("用法：curl -H 'Authorization: Bearer 令牌' 控制台地址/api/v1/headline；接口说明见 /api/v1/openapi.json")
    with connection.cursor() as cur:
        frame = web_sessions.list_api_tokens(cur)
    if not frame.empty:
        shown = pd.DataFrame({
            "编号": frame["token_id"], "名称": frame["name"], "范围": frame["street"].fillna(accounts.DISTRICT),
            "状态": frame["live"].map({True: "有效", False: "已失效"}), "生成时间": frame["created_at"],
            "生成人": frame["created_by"], "到期": frame["expires_at"], "最近使用": frame["last_used_at"],
            "吊销时间": frame["revoked_at"], "吊销人": frame["revoked_by"],
        })
        st.dataframe(shown, hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left, st.form("api_token_make", clear_on_submit=True):
        st.markdown("**生成 API 令牌**")
        name = st.text_input("名称", placeholder="如：一网统管平台")
        scope = st.selectbox("范围", scope_options, key="api_token_scope")
        days = st.number_input("有效天数", min_value=1, max_value=366, value=settings.get().api_token_days)
        if st.form_submit_button("生成", type="primary"):
            session.require(accounts.TOKENS)
            token = web_sessions.make_api_token(connection.store(), session.actor(), name,
                                                None if scope == accounts.DISTRICT else scope, int(days))
            st.session_state[NEW_API_TOKEN_KEY] = (name.strip(), token)
            st.rerun()
    with right:
        live = frame.loc[frame["live"]] if not frame.empty else frame
        if not live.empty:
            st.markdown("**吊销 API 令牌**")
            labels = {int(r.token_id): f"{r.token_id} · {r.name}" for r in live.itertuples(index=False)}
            target = st.selectbox("令牌", list(labels), format_func=labels.get, key="api_token_revoke_pick")
            if st.button("吊销", key="api_token_revoke"):
                session.require(accounts.TOKENS)
                web_sessions.revoke_api_token(connection.store(), session.actor(), int(target))
                flash(f"已吊销 API 令牌“{labels[target]}”")
