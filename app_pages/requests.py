"""企业诉求: the companies' requests (企业诉求清单) with category, status and days open; counts by category and
status; the closed ones (问题解决清单) with the time they took. Filter by street and building."""

import pandas as pd
import streamlit as st

from pipelines.situation import buildings
from pipelines.situation import company_requests
from pipelines.core.contract import REQUEST_CATEGORIES, REQUEST_STATUSES
from ui import charts, data
from ui.widgets import building_label, cn_date, downloads, guarded, md, page_header, street_filter

ALL_BUILDINGS = "全部楼宇"
LIST_COLUMNS = {
    "request_id": "诉求编号", "status": "状态", "days_open": "已办天数", "category": "类别", "request_date": "提出日期",
    "street": "街道", "building_name": "楼宇", "company_name": "企业", "content": "诉求内容",
}
CLOSED_COLUMNS = {
    "request_id": "诉求编号", "category": "类别", "request_date": "提出日期", "closed_on": "办结日期",
    "days_to_close": "办结用时(天)", "street": "街道", "building_name": "楼宇", "company_name": "企业", "content": "诉求内容",
}
DATE = {c: st.column_config.DateColumn(format="M月D日") for c in ("提出日期", "办结日期")}


@guarded
def page() -> None:
    as_of = data.query(company_requests.as_of)
    page_header("企业诉求", as_of)
    if as_of is None:
        st.info("还没有企业诉求数据。请上传“企业诉求”表（诉求编号、日期、统一社会信用代码、类别、内容、状态、办结日期）。")
        return
    wanted = st.query_params.get("building")  # ?building=JSL-001: a link from a building's page
    if wanted != st.session_state.get("requests-linked"):
        st.session_state["requests-linked"] = wanted
        everything = data.query(buildings.building_list, None).set_index("building_id")
        if wanted in everything.index:
            st.session_state["street"] = everything.loc[wanted, "street"]
            st.session_state["requests-building"] = wanted
    c1, c2, c3, c4 = st.columns([1, 2, 2, 2])
    with c1:
        street = street_filter(key="street")
    listed = data.query(buildings.building_list, street)
    names = building_label(listed)
    if st.session_state.get("requests-building") not in (ALL_BUILDINGS, *names):
        st.session_state.pop("requests-building", None)
    with c2:
        building = st.selectbox("楼宇", [ALL_BUILDINGS, *names], format_func=lambda b: names.get(b, b),
                                key="requests-building")
    building_id = None if building == ALL_BUILDINGS else building
    with c3:
        categories = st.multiselect("类别", list(REQUEST_CATEGORIES), placeholder="全部类别", key="category", bind="query-params")
    with c4:
        statuses = st.multiselect("状态", list(REQUEST_STATUSES), placeholder="全部状态", key="status", bind="query-params")
    frame = data.query(company_requests.request_list, as_of, street, building_id)
    if categories:
        frame = frame[frame["category"].isin(categories)]
    if statuses:
        frame = frame[frame["status"].isin(statuses)]
    scope = names.get(building_id) if building_id else (street or "全部街道")
    open_ = frame[frame["status"] != "已办结"]
    done = company_requests.closed(frame)
    cols = st.columns(4)
    cols[0].metric("诉求总数", f"{len(frame):,}")
    cols[1].metric("未办结", f"{len(open_):,}")
    cols[2].metric("已办结", f"{len(done):,}")
    cols[3].metric("未办结平均已办天数", "—" if open_.empty else f"{open_['days_open'].mean():.1f} 天")
    st.caption(f"{md(scope)} · 截至 {cn_date(as_of)} · 已办天数 = 截至日 − 提出日期")
    if frame.empty:
        st.info("所选范围没有诉求。")
        return

    left, right = st.columns([3, 2])
    counts = company_requests.counts(frame)
    with left:
        st.subheader("按类别和状态")
        st.altair_chart(charts.request_bars(counts), width="stretch", height=44 * len(counts) + 80)
    with right:
        st.subheader("件数")
        st.dataframe(counts, hide_index=True)
        downloads(counts, f"诉求统计_{scope}_{as_of.isoformat()}", key="requests-counts")

    st.subheader("企业诉求清单")
    st.caption("未办结的在前，已办天数多的在前。")
    listing = frame[list(LIST_COLUMNS)].rename(columns=LIST_COLUMNS)
    st.dataframe(listing.assign(已办天数=pd.to_numeric(listing["已办天数"], errors="coerce")), hide_index=True,
                 column_config={**DATE, "已办天数": st.column_config.NumberColumn(format="%d 天")})
    downloads(listing, f"企业诉求清单_{scope}_{as_of.isoformat()}", key="requests-list")

    st.subheader("问题解决清单")
    if done.empty:
        st.info("所选范围还没有办结的诉求。")
        return
    st.dataframe(company_requests.time_to_close(frame), hide_index=True)
    closed_table = done[list(CLOSED_COLUMNS)].rename(columns=CLOSED_COLUMNS)
    st.dataframe(closed_table, hide_index=True, column_config=DATE)
    downloads(closed_table, f"问题解决清单_{scope}_{as_of.isoformat()}", key="requests-closed")


page()
