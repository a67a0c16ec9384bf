"""用户与审计: users, their login sessions, screen tokens, data-API tokens and the audit list. Every change here is
itself an audit row."""

import datetime as dt

import pandas as pd
import streamlit as st

from pipelines.auth import audit
from pipelines.auth import accounts
from pipelines.core import export
from pipelines.situation import metrics
from pipelines.core.errors import UserError
from pipelines.core.settings import TZ
from ui import data, session, web_admin
from ui.widgets import cn_date, guarded, md, page_header
from ui.feedback import flash, show_error, show_flash
from ui.login import kiosk_url

NEW_TOKEN_KEY = "admin_new_token"
SHOWN_ROWS = 2000


def _flash(message: str) -> None:
    flash(message)
    st.rerun()


def _scope_options() -> list[str]:
    return [accounts.DISTRICT, *data.query(metrics.streets)]


def _users() -> None:
    if not session.can(accounts.USERS):
        st.info("您没有“管理用户”权限。")
        return
    with data.cursor() as cur:  # not cached: login delays change no data version, and must show at once
        frame = accounts.list_users(cur)
    status = [("已停用" if d else f"登录受限至 {u:%H:%M}" if lk else "正常")
              for d, lk, u in zip(frame["disabled"], frame["locked"], frame["locked_until"], strict=True)]
    shown = pd.DataFrame({
        "用户名": frame["username"], "姓名": frame["display_name"], "角色": frame["role"].map(accounts.ROLES),
        "范围": frame["street"].fillna(accounts.DISTRICT), "邮箱": frame["email"], "状态": status,
        "最近登录": frame["last_login_at"], "创建时间": frame["created_at"], "创建人": frame["created_by"],
    })
    st.dataframe(shown, hide_index=True, width="stretch")

    left, right = st.columns(2)
    with left, st.form("user_add", clear_on_submit=True):
        st.markdown("**新增用户**")
        username = st.text_input("用户名", help="字母、数字和 _ . @ -，如 wang.li")
        display = st.text_input("姓名")
        role = st.selectbox("角色", list(accounts.ROLES), format_func=lambda r: accounts.ROLES[r])
        scope = st.selectbox("范围", _scope_options(), help="街道用户只能看到本街道的楼宇、数据和导出")
        email = st.text_input("邮箱（可选，用于统一身份认证登录）")
        password = st.text_input("初始密码", type="password", help="至少 10 个字符")
        confirm = st.text_input("再次输入密码", type="password")
        if st.form_submit_button("新增", type="primary"):
            session.require(accounts.USERS)
            if password != confirm:
                raise UserError("两次输入的密码不一致")
            name = accounts.add_user(data.store(), session.actor(), username, display, role,
                                 None if scope == accounts.DISTRICT else scope, password or None, email or None)
            _flash(f"已新增用户 {name}")
    with right:
        st.markdown("**管理账号**")
        if frame.empty:
            st.caption("还没有用户。")
            return
        who = st.selectbox("用户", frame["username"].tolist(), key="admin_user_pick")
        row = frame[frame["username"] == who].iloc[0]
        buttons = st.columns(2)
        if row["disabled"]:
            if buttons[0].button("启用", key="admin_enable"):
                session.require(accounts.USERS)
                accounts.set_disabled(data.store(), session.actor(), who, False)
                _flash(f"已启用 {who}")
        elif buttons[0].button("停用", key="admin_disable"):
            session.require(accounts.USERS)
            accounts.set_disabled(data.store(), session.actor(), who, True)
            _flash(f"已停用 {who}")
        if buttons[1].button("解锁（清除登录限制）", key="admin_unlock", disabled=not row["locked"]):
            session.require(accounts.USERS)
            accounts.unlock(data.store(), session.actor(), who)
            _flash(f"已解锁 {who}")
        with st.form("user_reset", clear_on_submit=True):
            new = st.text_input("新密码", type="password")
            again = st.text_input("再次输入新密码", type="password")
            if st.form_submit_button("重置密码（同时解锁）"):
                session.require(accounts.USERS)
                if new != again:
                    raise UserError("两次输入的密码不一致")
                accounts.reset_password(data.store(), session.actor(), who, new)
                _flash(f"已重置 {who} 的密码")


def _tokens() -> None:
    if not session.can(accounts.TOKENS):
        st.info("您没有“管理大屏令牌”权限。")
        return
    fresh = st.session_state.pop(NEW_TOKEN_KEY, None)
    if fresh:
        name, url = fresh
        st.warning(f"“{md(name)}”的新链接只显示这一次：请现在复制到大屏浏览器的书签。旧链接已失效。", icon="🔑")
        st.code(url, language=None)
    frame = data.query(accounts.list_tokens)
    shown = pd.DataFrame({
        "编号": frame["token_id"], "名称": frame["name"], "范围": frame["street"].fillna(accounts.DISTRICT),
        "状态": frame["live"].map({True: "有效", False: "已吊销"}), "生成时间": frame["created_at"],
        "生成人": frame["created_by"], "吊销时间": frame["revoked_at"], "吊销人": frame["revoked_by"],
    })
    st.dataframe(shown, hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left, st.form("token_rotate"):
        st.markdown("**生成或轮换大屏链接**")
        name = st.text_input("大屏名称", value="城运中心大屏", help="同名大屏的旧链接会同时失效")
        scope = st.selectbox("范围", _scope_options(), key="token_scope")
        if st.form_submit_button("生成新链接", type="primary"):
            session.require(accounts.TOKENS)
            token = accounts.rotate_token(data.store(), session.actor(), name, None if scope == accounts.DISTRICT else scope)
            st.session_state[NEW_TOKEN_KEY] = (name.strip(), kiosk_url(token))
            st.rerun()
    with right:
        live = frame.loc[frame["live"], "name"].tolist()
        if live:
            st.markdown("**吊销大屏链接**")
            target = st.selectbox("大屏", live, key="token_revoke_pick")
            if st.button("吊销", key="token_revoke"):
                session.require(accounts.TOKENS)
                accounts.revoke_token(data.store(), session.actor(), target)
                _flash(f"已吊销“{target}”的链接")


def _audit() -> None:
    if not session.can(accounts.AUDIT):
        st.info("您没有“查看审计日志”权限。")
        return
    with data.cursor() as cur:
        facets = audit.facets(cur)
    cols = st.columns([1, 2, 1, 1])
    actor = cols[0].selectbox("操作人", ["全部", *facets["actor"]], key="audit_actor")
    actions = cols[1].multiselect("操作", facets["action"], format_func=audit.action_label, key="audit_actions",
                                  placeholder="全部操作")
    since = cols[2].date_input("起始日期", value=None, format="YYYY/MM/DD", key="audit_since")
    until = cols[3].date_input("截止日期", value=None, format="YYYY/MM/DD", key="audit_until")
    with data.cursor() as cur:  # not cached: logins are audited without changing the data version
        shown = session.protect(audit.list_readable(cur, None if actor == "全部" else actor, tuple(actions) or None,
                                                    since, until))
    period = f"{cn_date(since)}至{cn_date(until)}" if since or until else "全部日期"
    st.caption(f"共 {len(shown):,} 条（{period}）" + (f"，下表显示最近 {SHOWN_ROWS:,} 条，导出包含全部"
                                                    if len(shown) > SHOWN_ROWS else ""))
    st.dataframe(shown.head(SHOWN_ROWS), hide_index=True, width="stretch",
                 column_config={"时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
                                "说明": st.column_config.TextColumn(width="large")})
    stamp = dt.datetime.now(TZ).strftime("%Y%m%d")
    left, right = st.columns(2)
    left.download_button("导出 Excel", export.to_xlsx_bytes(shown, "审计日志", title=f"审计日志 · {period}"), file_name=f"审计日志_{stamp}.xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="audit_xlsx")
    right.download_button("导出 CSV", export.to_csv_bytes(shown), file_name=f"审计日志_{stamp}.csv",
                          mime="text/csv", key="audit_csv")


@guarded
def page() -> None:
    page_header("用户与审计", data.latest_day())
    show_flash()
    tabs = st.tabs(["用户", "登录会话", "大屏链接", "数据接口令牌", "审计日志"])
    sections = (_users, lambda: web_admin.sessions(_flash), _tokens,
                lambda: web_admin.api_tokens(_flash, _scope_options()), _audit)
    for tab, section in zip(tabs, sections, strict=True):
        with tab:
            try:
                section()
            except UserError as exc:
                show_error(exc)


page()
