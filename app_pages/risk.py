"""风险分级: every building's grade with its reasons; one building's factors, history and override; what-if."""

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from pipelines.auth import accounts
from pipelines.grading import grade, proposals
from ui import session, data
from ui.widgets import cn_date, guarded, md, page_header, street_filter
from ui.feedback import flash, has_flash, show_error, show_flash
from ui.grades import grade_badge, grade_scale, grade_shapes, grade_text, style_grades
from pipelines.core.errors import UserError

CHANGE_TEXT = {"↑": "↑ 上调", "↓": "↓ 下调", "": ""}


@guarded
def page() -> None:
    day = data.query(grade.latest_graded_day)
    page_header("风险分级", day)
    if day is None:
        st.info("还没有评级结果：上传楼宇名录、企业名录和返岗日报后自动评级。")
        return
    filters = st.columns([2, 2, 2, 1])
    with filters[0]:
        street = street_filter("street")  # a street user's own street, fixed
    grades = filters[1].pills("等级", ["高", "中", "低"], selection_mode="multi", default=["高", "中", "低"],
                              format_func=grade_text, key="grades", bind="query-params") or []
    search = filters[2].text_input("搜索楼宇名称", key="search", bind="query-params")
    changed_only = filters[3].toggle("只看变化", key="changed", bind="query-params")
    frame = data.query(grade.grades_on, day, street)
    counts = frame["grade"].value_counts()
    st.markdown("　".join(f"{grade_badge(g)} **{int(counts.get(g, 0))}** 栋" for g in ("高", "中", "低"))
                + f"　·　与前一日相比变化 **{int(frame['changed'].sum())}** 栋")
    shown = frame[frame["grade"].isin(grades)]
    if search:
        shown = shown[shown["building_name"].str.contains(search, regex=False, na=False)]
    if changed_only:
        shown = shown[shown["changed"]]
    table = pd.DataFrame({
        "楼宇": shown["building_name"],
        "街道": shown["street"],
        "风险等级": shown["grade"].map(grade_text),
        "评分": shown["score"].round(1),
        "变化": shown["change"].map(CHANGE_TEXT),
        "前一日": shown["previous_grade"].map(grade_text),
        "主要原因": shown["main_reason"],
        "人工调整": shown["override"].map({True: "✎ 人工", False: ""}),
    })
    # A click on a row opens that building below. The key follows the filters: a new list starts unselected,
    # so a row number of the old list never picks a building of the new one.
    table_key = f"risk_table_{street}_{'-'.join(grades)}_{search}_{changed_only}"
    event = st.dataframe(style_grades(table, ["风险等级", "前一日"]), hide_index=True, width="stretch",
                         on_select="rerun", selection_mode="single-row", key=table_key,
                         column_config={"评分": st.column_config.ProgressColumn("评分", min_value=0, max_value=100,
                                                                               format="%.1f")})
    picked = [r for r in event.selection.rows if r < len(shown)]
    if picked:
        chosen = shown["building_id"].iloc[picked[0]]
        if st.session_state.get("risk_picked") != chosen:  # only a new click moves the selector below
            st.session_state["risk_picked"] = chosen
            st.session_state["risk_building"] = chosen
    st.caption("点击表格中的一行，可在下方查看该楼宇的因子明细、等级历史和人工调整。")
    st.download_button("导出评级清单（Excel）", grade.export_xlsx(shown, day, street, data.store().is_sample()),
                       file_name=f"楼宇风险分级_{street or '全部街道'}_{day.isoformat()}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if shown.empty:
        st.info("没有符合条件的楼宇。")
        return
    st.divider()
    names = dict(zip(shown["building_id"], shown["building_name"], strict=True))
    building_id = st.selectbox("查看楼宇", list(names), format_func=lambda b: f"{names[b]}（{b}）",
                               key="risk_building")
    row = shown[shown["building_id"] == building_id].iloc[0]
    building_detail(row, day)
    what_if(day, street)


def building_detail(row: pd.Series, day: dt.date) -> None:
    st.subheader(md(row["building_name"]))
    cols = st.columns(4)
    cols[0].markdown(f"当前等级　{grade_badge(row['grade'])}")
    cols[1].metric("评分", f"{row['score']:.1f}", None if pd.isna(row["previous_score"])
                   else f"{row['score'] - row['previous_score']:+.1f}", delta_color="inverse")
    cols[2].markdown(f"计算等级　{grade_badge(row['computed_grade'])}")
    cols[3].markdown(f"前一日　{grade_badge(row['previous_grade'])}")
    if row["override"]:
        until = f"，至 {cn_date(row['override_expires'])}" if pd.notna(row["override_expires"]) else "，长期有效"
        st.warning(f"✎ 人工调整为 {grade_text(row['grade'])}（计算结果为 {grade_text(row['computed_grade'])}）："
                   f"{md(row['override_reason'])}　— {md(row['override_by'])}{until}")
    if isinstance(row["damping_note"], str) and row["damping_note"]:
        st.info(f"降级缓冲：{md(row['damping_note'])}", icon=":material/timelapse:")
    if isinstance(row["rule"], str) and row["rule"]:
        st.error(f"硬性规则：{md(row['rule'])}（{md(row['rule_detail'])}），等级至少为 {grade_text(row['computed_grade'])}")
    factors = data.query(grade.building_factors, row["building_id"], day)
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**因子明细**（得分 0–100 × 权重 = 贡献）")
        st.dataframe(pd.DataFrame({
            "因子": factors["label"], "数值": factors["shown_value"], "说明": factors["unit"],
            "得分": factors["points"].round(1), "权重": factors["weight"], "贡献": factors["contribution"].round(2),
        }), hide_index=True, width="stretch")
    with right:
        st.altair_chart(alt.Chart(factors).mark_bar().encode(
            x=alt.X("contribution:Q", title="贡献（分）"),
            y=alt.Y("label:N", sort="-x", title=None),
            tooltip=[alt.Tooltip("label:N", title="因子"), alt.Tooltip("shown_value:N", title="数值"),
                     alt.Tooltip("contribution:Q", title="贡献", format=".2f")],
        ).properties(height=260), width="stretch")
    history = data.query(grade.grade_history, row["building_id"])
    st.markdown("**等级历史**")
    st.altair_chart(alt.Chart(history).mark_point(filled=True, size=90).encode(
        x=alt.X("day:T", title=None, axis=alt.Axis(format="%m月%d日")),
        y=alt.Y("score:Q", title="评分", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("grade:N", scale=grade_scale(), title="等级"),
        shape=alt.Shape("grade:N", scale=grade_shapes(), title="等级"),
        tooltip=[alt.Tooltip("day:T", title="日期", format="%m月%d日"), alt.Tooltip("grade:N", title="等级"),
                 alt.Tooltip("score:Q", title="评分", format=".1f"), alt.Tooltip("rule:N", title="规则")],
    ).properties(height=200), width="stretch")
    override_form(row, day)


def override_form(row: pd.Series, day: dt.date) -> None:
    if not session.can(accounts.OVERRIDE):  # the form is for those who may; the action itself checks again
        return
    with st.expander("人工调整等级", expanded=has_flash("risk_override")):
        show_flash("risk_override")
        st.caption(f"调整 {md(row['building_name'])} 的等级，自 {cn_date(day)} 起生效；到期后自动恢复为计算等级。")
        with st.form(f"override_{row['building_id']}", clear_on_submit=True):
            new_grade = st.radio("调整为", ["高", "中", "低"], format_func=grade_text, horizontal=True)
            reason = st.text_area("理由（必填）", placeholder="如：2月28日现场检查发现电梯未消毒，临时上调")
            has_expiry = st.checkbox("设置到期日", value=True)
            expires = st.date_input("到期日（含当日）", value=day + dt.timedelta(days=7), min_value=day)
            if st.form_submit_button("保存人工调整"):
                try:
                    grade.set_override(data.store(), row["building_id"], new_grade, reason, day,
                                       expires if has_expiry else None, session.require(accounts.OVERRIDE).actor)
                    until = f"至 {cn_date(expires)}" if has_expiry else "长期有效"
                    flash(slot="risk_override", message=f"已将 {md(row['building_name'])} 调整为 {grade_text(new_grade)}（{until}），"
                          "并记入审计日志")
                    st.rerun()
                except UserError as exc:
                    show_error(exc)
        existing = data.query(grade.overrides, row["building_id"])
        active = existing[existing["revoked_at"].isna()]
        for item in active.itertuples(index=False):
            until = cn_date(item.expires) if pd.notna(item.expires) else "长期"
            cols = st.columns([5, 1])
            cols[0].markdown(f"{grade_text(item.grade)} · {md(item.reason)} · {md(item.created_by)} · "
                          f"{cn_date(item.starts)} 至 {until}")
            if cols[1].button("撤销", key=f"revoke_{item.override_id}"):
                try:
                    grade.revoke_override(data.store(), int(item.override_id), session.require(accounts.OVERRIDE).actor)
                    flash(slot="risk_override", message="已撤销该人工调整，并记入审计日志")
                    st.rerun()
                except UserError as exc:
                    show_error(exc)


def what_if(day: dt.date, street: str | None) -> None:
    st.divider()
    with st.expander("试算：调整权重和阈值（不保存）", expanded=has_flash("risk_config")):
        show_flash("risk_config")
        config = data.query(grade.active_config)
        st.caption(f"当前配置：{'版本 ' + str(config.version) if config.version else '默认（grading.toml）'}。"
                   "调整后先看哪些楼宇等级会变，确认后才保存为新版本。")
        weights = {}
        cols = st.columns(4)
        for i, f in enumerate(config.factors.values()):
            weights[f.key] = cols[i % 4].number_input(f.label, 0.0, 1.0, f.weight, 0.01, key=f"w_{f.key}")
        cols = st.columns(3)
        high = cols[0].number_input("高风险阈值（评分 ≥）", 1.0, 100.0, config.high, 1.0, key="w_high")
        medium = cols[1].number_input("中风险阈值（评分 ≥）", 0.0, 99.0, config.medium, 1.0, key="w_medium")
        damping = cols[2].number_input("降级缓冲（连续低于阈值天数）", 1, 14, config.damping_days, 1, key="w_damping",
                                       help="等级上调立即生效；下调须连续这么多天低于阈值（1 = 不缓冲）")
        total = sum(weights.values())
        if abs(total - 1) > 0.001:
            st.warning(f"权重之和为 {total:.2f}，须为 1 才能保存；试算照常进行。")
        trial_config = grade.config_with(config, weights, high, medium, int(damping))
        with data.cursor() as cur:
            trial = grade.what_if(cur, trial_config, day, street)
            undamped, damped = grade.flaps_avoided(cur, trial_config, day, street)
        moved = trial[trial["trial_changed"]]
        up = int((moved["trial_grade"].map(_rank) > moved["computed_grade"].map(_rank)).sum())
        st.markdown(f"按试算配置，**{len(moved)}** 栋楼宇等级会变化（上调 {up}，下调 {len(moved) - up}）。")
        st.markdown(f"近 28 天等级变化 **{damped}** 次；不缓冲为 {undamped} 次，"
                    f"避免来回变化 **{undamped - damped}** 次。")
        if len(moved):
            st.dataframe(style_grades(pd.DataFrame({
                "楼宇": moved["building_name"], "街道": moved["street"],
                "现计算等级": moved["computed_grade"].map(grade_text), "现评分": moved["score"].round(1),
                "试算等级": moved["trial_grade"].map(grade_text), "试算评分": moved["trial_score"].round(1),
            }), ["现计算等级", "试算等级"]), hide_index=True, width="stretch")
        reason = st.text_input("提议理由（必填）", key="w_note", placeholder="如：提高防控措施权重")
        user = session.current_user()
        may_propose = user is not None and (user.can(accounts.CONFIG_EDIT) or user.can(accounts.CONFIG_APPROVE))
        if not may_propose:
            st.caption("提议新配置需要分析员或领导角色；试算不受影响。")
        st.caption("提议不会立即生效：须由另一位全区范围的领导审批，批准后全区所有楼宇按新配置重新评级。")
        unchanged = (trial_config.high == config.high and trial_config.medium == config.medium
                     and trial_config.damping_days == config.damping_days
                     and weights == {k: f.weight for k, f in config.factors.items()})
        if st.button("提交配置提议", disabled=not may_propose or abs(total - 1) > 0.001 or unchanged):
            try:
                who = session.current_user()
                if who is None:
                    raise accounts.Forbidden("请先登录")
                proposal_id = proposals.propose(data.store(), who, grade.config_to_toml(trial_config), reason)
                flash(slot="risk_config", message=f"已提交配置提议 {proposal_id}，等待全区领导审批")
                st.rerun()
            except UserError as exc:
                show_error(exc)
    config_proposals()


def config_proposals() -> None:
    """Pending proposals (diff, every street's moved buildings, approve/reject) and the version list with revert."""
    with st.expander("评分配置：待审批提议与版本记录", expanded=has_flash("risk_proposals")):
        show_flash("risk_proposals")
        user = session.current_user()
        with data.cursor() as cur:
            pending = proposals.proposals(cur, "pending")
            history = proposals.versions(cur)
        if pending.empty:
            st.caption("没有待审批的配置提议。")
        for item in pending.itertuples(index=False):
            pid = int(item.proposal_id)
            st.markdown(f"**提议 {pid}**　{md(item.proposed_by)} · {item.proposed_at:%Y-%m-%d %H:%M}　理由：{md(item.reason)}")
            with data.cursor() as cur:
                changes = proposals.diff(cur, pid)
                moved_all = proposals.impact(cur, pid)
            moved = session.protect(moved_all)
            st.dataframe(changes, hide_index=True, width="stretch")
            st.markdown(f"按此提议，全区 **{len(moved_all)}** 栋楼宇的等级会变化"
                        + ("（下表只列出您所在街道的楼宇）" if user is not None and user.street else "") + "。")
            if len(moved):
                st.dataframe(pd.DataFrame({
                    "楼宇": moved["building_name"], "街道": moved["street"],
                    "现计算等级": moved["computed_grade"].map(grade_text), "提议后等级": moved["trial_grade"].map(grade_text),
                }), hide_index=True, width="stretch")
            refusal = proposals.may_decide(user, item.proposed_by)
            if refusal:
                st.caption(f"审批：{md(refusal)}")
                continue
            note = st.text_input("审批意见", key=f"decision_note_{pid}")
            cols = st.columns(2)
            for col, approve, label in ((cols[0], True, "批准并生效"), (cols[1], False, "驳回")):
                if col.button(label, key=f"decide_{pid}_{approve}"):
                    try:
                        who = session.require(accounts.CONFIG_APPROVE)
                        version = proposals.decide(data.store(), who, pid, approve, note)
                        flash(slot="risk_proposals", message=f"已批准提议 {pid}，生效为版本 {version}" if approve
                              else f"已驳回提议 {pid}")
                        st.rerun()
                    except UserError as exc:
                        show_error(exc)
        st.markdown("**版本记录**")
        if history.empty:
            st.caption("一直使用随程序提供的默认配置（grading.toml）。")
            return
        st.dataframe(pd.DataFrame({
            "版本": history["version"], "提议人": history["proposed_by"], "批准人": history["approved_by"],
            "时间": history["created_at"], "理由": history["reason"], "等级变化（栋）": history["grades_moved"],
        }), hide_index=True, width="stretch")
        may_propose = user is not None and (user.can(accounts.CONFIG_EDIT) or user.can(accounts.CONFIG_APPROVE))
        if may_propose:
            cols = st.columns([2, 3, 1])
            target = cols[0].selectbox("回退到版本", [*history["version"].tolist()[1:], proposals.SHIPPED],
                                       format_func=lambda v: "默认配置" if v == proposals.SHIPPED else f"版本 {v}",
                                       key="revert_version")
            why = cols[1].text_input("回退理由", key="revert_reason")
            if cols[2].button("提议回退", key="revert_propose"):
                try:
                    pid = proposals.propose_revert(data.store(), user, int(target), why)
                    flash(slot="risk_proposals", message=f"已提交回退提议 {pid}，等待全区领导审批")
                    st.rerun()
                except UserError as exc:
                    show_error(exc)


def _rank(g: str) -> int:
    return {"高": 3, "中": 2, "低": 1}.get(g, 0)


page()
