"""楼宇详情: one building — its grade and the factors behind it, tenant companies (contacts masked), its
curves, checklist history by area, returnees and fever, and its companies' requests.
Opened from the map and lists with ?building=<楼宇编号>."""

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from pipelines.situation import buildings
from pipelines.situation import company_requests
from pipelines.situation import metrics
from pipelines.grading import risk
from pipelines.core.contract import CHECK_AREAS, CHECK_ITEMS_TOTAL
from ui import charts, data
from ui.widgets import building_label, change_metric, cn_date, day_picker, downloads, grade_badge, guarded, md, page_header, pct, short_date, street_filter


def pick_building():
    """The building from ?building=… when a link brings one, else the one chosen here; the choice is written
    back to the URL so that the page can be bookmarked or shared."""
    wanted = st.query_params.get("building")
    everything = data.query(buildings.building_list, None)
    if everything.empty:
        return None
    if wanted != st.session_state.get("building-linked"):  # a new link (from the map or a list)
        st.session_state["building-linked"] = wanted
        if wanted in set(everything["building_id"]):  # the user's own buildings only (street-scoped)
            st.session_state["building-pick"] = wanted
            st.session_state["street"] = everything.set_index("building_id").loc[wanted, "street"]
        elif wanted is not None:  # never silently another building instead
            st.session_state.pop("building-pick", None)
            st.session_state["building-refused"] = wanted
    refused = wanted is not None and st.session_state.get("building-refused") == wanted
    if refused:
        st.warning(f"楼宇 {md(wanted)} 不存在或无权查看。请在下方选择楼宇。")
    left, right, last = st.columns([1, 2, 1])
    with left:
        street = street_filter(key="street")
    listed = data.query(buildings.building_list, street)
    ids = list(listed["building_id"])
    if st.session_state.get("building-pick") not in ids:
        st.session_state.pop("building-pick", None)
    names = building_label(listed)
    with right:
        choice = st.selectbox("楼宇", ids, format_func=lambda b: names.get(b, b), key="building-pick",
                              index=None if refused else 0, placeholder="选择楼宇")
    if choice is not None and wanted != choice:
        st.query_params["building"] = choice
        st.session_state["building-linked"] = choice
    return choice, last


@guarded
def page() -> None:
    as_of = data.latest_day()
    page_header("楼宇详情", as_of)
    picked = pick_building()
    if picked is None:
        st.info("还没有楼宇名录。请先上传楼宇名录和企业名录。")
        return
    if picked[0] is None:  # a link to a building this user may not see: said above, nothing shown
        return
    building_id, date_column = picked
    if as_of is None:
        st.info("还没有返岗日报数据。")
        return
    with date_column:
        day = day_picker(as_of, key="day")
    found = data.query(buildings.info, building_id)  # masked and street-scoped for the user
    if found.empty:
        st.warning(f"楼宇 {md(building_id)} 不存在或无权查看。")
        return
    info = found.iloc[0].to_dict()
    st.subheader(f"{md(info['building_name'])}（{md(building_id)}）")
    st.caption(" · ".join(md(x) for x in (info["street"], info["address"], info["property_company"]) if x)
               + f" · 建筑面积 {info['floor_area']:,.0f} ㎡ · {info['floors'] or '—'} 层 · 楼长 {md(info['building_manager'] or '') or '—'}"
               + f" · 入驻企业 {info['companies'] or 0} 家，员工 {info['staff']:,} 人，{info['industries'] or 0} 个行业")

    # -- grade and factors ------------------------------------------------------------------------
    grades = data.query(risk.grades_on, day, info["street"])
    mine = grades[grades["building_id"] == building_id] if not grades.empty else grades
    if mine.empty:
        st.markdown(f"{grade_badge(None)}　{short_date(day)} 尚无风险评级。")
    else:
        g = mine.iloc[0]
        change = ""
        if isinstance(g.get("previous_grade"), str) and g["previous_grade"] != g["grade"]:
            change = f"　较前一日：{g['previous_grade']} → {g['grade']}"
        override = "　（人工调整）" if bool(g.get("override")) else ""
        st.markdown(f"{grade_badge(g['grade'])}　评分 **{g['score']:.1f}**{override}{change}")
        st.markdown(f"主要原因：{md(g['main_reason'])}")
        factors = data.query(risk.factors, building_id, day)
        if not factors.empty:
            shown = factors[["label", "shown_value", "points", "weight", "contribution"]].rename(columns={
                "label": "因素", "shown_value": "数值", "points": "得分(0-100)", "weight": "权重", "contribution": "贡献分"})
            st.dataframe(shown, hide_index=True, column_config={
                "得分(0-100)": st.column_config.NumberColumn(format="%.1f"),
                "权重": st.column_config.NumberColumn(format="%.2f"),
                "贡献分": st.column_config.NumberColumn(format="%.1f")})
        history = data.query(risk.history, building_id)
        if not history.empty:
            st.altair_chart(charts.grade_history_chart(history), width="stretch")

    # -- today's figures and curves ------------------------------------------------------------------
    curve = data.query(metrics.curve, "all", None, building_id, day)
    today = curve[curve["day"] == day]
    before = curve[curve["day"] == metrics.comparison_day(day)[0]]
    compared = metrics.comparison_text(day)
    cols = st.columns(4)
    if today.empty:
        st.warning(f"{cn_date(day)} 本楼宇没有返岗日报。")
    else:
        t = today.iloc[0]
        b = before.iloc[0] if not before.empty else None
        change_metric(cols[0], "企业复工率", pct(t["company_rate"]), t["company_rate"],
                      None if b is None else b["company_rate"], rate=True, compared=compared)
        change_metric(cols[1], "人员返岗率", pct(t["staff_rate"]), t["staff_rate"],
                      None if b is None else b["staff_rate"], rate=True, compared=compared)
        change_metric(cols[2], "在岗人数", f"{int(t['on_site']):,}", int(t["on_site"]),
                      None if b is None else int(b["on_site"]), compared=compared)
        cols[3].metric("复工企业", f"{int(t['companies_back'])} / {int(t['companies'])}")
    if not curve.empty:
        both = pd.concat([pd.DataFrame({"day": curve["day"], "group_label": label, "value": curve[m],
                                        "value_7d": curve[f"{m}_7d"]})
                          for m, label in (("company_rate", "企业复工率"), ("staff_rate", "人员返岗率"))])
        st.altair_chart(charts.rate_chart(both, "value", title="本楼宇复工曲线（细线为当日，粗线为7日均值）", height=260),
                        width="stretch")

    tabs = st.tabs(["入驻企业", "检查记录", "返沪与健康", "企业诉求"])
    with tabs[0]:
        tenants = data.query(buildings.tenants, building_id, day)
        table = tenants.drop(columns=["credit_code"]).rename(columns={
            "company_name": "企业名称", "floor": "楼层", "industry": "行业", "company_type": "企业类型",
            "key_company": "重点企业", "employees": "员工总数", "planned_date": "计划复工日期",
            "on_site": f"{short_date(day)}在岗", "remote": "居家办公", "home_observation": "居家观察", "fever": "体温异常",
            "contact_person": "防控联系人", "contact_phone": "联系电话"})
        st.caption(f"{len(tenants)} 家企业；联系人与电话仅管理员可见全文。空白的在岗人数表示当日未报送。")
        st.dataframe(table, hide_index=True, column_config={
            "计划复工日期": st.column_config.DateColumn(format="M月D日")})
        downloads(table, f"入驻企业_{building_id}_{day.isoformat()}", key="building-tenants")
    with tabs[1]:
        checks = data.query(buildings.checks, building_id)
        if checks.empty:
            st.info("没有检查记录。")
        else:
            latest = checks.iloc[0]
            st.markdown(f"最近一次检查：**{short_date(latest['check_date'])}**，{CHECK_ITEMS_TOTAL} 项通过 **{int(latest['items_passed'])}** 项"
                        f"（{pct(latest['pass_rate'])}），物业履责评分 **{latest['duty_score']}**")
            st.altair_chart(charts.checklist_heatmap(buildings.checks_by_area(checks)), width="stretch")
            labels = {k: f"{label}({n})" for k, (label, n) in CHECK_AREAS.items()}
            table = checks.rename(columns={"check_date": "日期", **labels, "items_passed": "通过项数",
                                           "pass_rate": "通过率", "duty_score": "物业履责评分",
                                           "issues_found": "发现问题", "inspector": "检查人"})
            st.dataframe(table, hide_index=True, column_config={
                "日期": st.column_config.DateColumn(format="M月D日"),
                "通过率": st.column_config.NumberColumn(format="percent")})
            downloads(table, f"检查记录_{building_id}", key="building-checks")
    with tabs[2]:
        returnees = data.query(buildings.returnees, building_id)
        shown = returnees[returnees["day"] <= day]
        if shown.empty:
            st.info("没有返岗日报。")
        else:
            last14 = shown[shown["day"] > day - pd.Timedelta(days=14)]
            now = shown.iloc[-1]
            cols = st.columns(4)
            cols[0].metric("近14天重点地区返沪", f"{int(last14['from_key_areas'].sum())} 人")
            cols[1].metric("近14天境外返沪", f"{int(last14['from_abroad'].sum())} 人")
            cols[2].metric(f"{short_date(now['day'])}居家观察", f"{int(now['home_observation'])} 人")
            cols[3].metric("近14天体温异常", f"{int(last14['fever'].sum())} 人")
            st.altair_chart(charts.returnees_chart(shown), width="stretch")
            downloads(shown.rename(columns={"day": "日期", **charts.RETURNEE_LABELS}), f"返沪与健康_{building_id}",
                      key="building-returnees")
    with tabs[3]:
        latest_request = data.query(company_requests.as_of) or day
        ask_day = max(day, latest_request) if day == as_of else day  # the latest day: every request known
        asks = data.query(company_requests.request_list, ask_day, None, building_id)
        if asks.empty:
            st.info("本楼宇企业没有诉求记录。")
        else:
            open_count = int((asks["status"] != "已办结").sum())
            st.markdown(f"共 **{len(asks)}** 件，未办结 **{open_count}** 件。")
            try:
                st.page_link("app_pages/requests.py", label="在“企业诉求”页查看", query_params={"building": building_id})
            except StreamlitPageNotFoundError:
                pass  # a page run on its own (tests) has no navigation
            st.dataframe(asks[["request_id", "request_date", "company_name", "category", "content", "status",
                               "days_open", "days_to_close"]].rename(columns={
                "request_id": "诉求编号", "request_date": "日期", "company_name": "企业", "category": "类别",
                "content": "内容", "status": "状态", "days_open": "已办天数", "days_to_close": "办结用时(天)"}),
                hide_index=True, column_config={"日期": st.column_config.DateColumn(format="M月D日")})


page()
