"""复工曲线: 企业复工率 and 人员返岗率 by day per street / building / industry / company type, with 7-day
means, a target line, milestones, a projection of when each curve reaches the target, and small multiples
by industry. The data behind every chart can be downloaded."""

import streamlit as st

from pipelines.situation import metrics
from pipelines.situation import projection
from ui import charts, data
from ui.widgets import building_label, cn_date, day_picker, downloads, guarded, md, page_header, street_filter

GROUPINGS = {"街道": "street", "楼宇": "building", "行业": "industry", "企业类型": "company_type", "合计": "all"}
DOWNLOAD_COLUMNS = {
    "day": "日期", "group_label": "分组", "companies": "企业数", "staff": "员工总数", "companies_reported": "报送企业数",
    "companies_back": "复工企业数", "on_site": "在岗人数", "company_rate": "企业复工率", "staff_rate": "人员返岗率",
    "company_rate_7d": "企业复工率7日均值", "staff_rate_7d": "人员返岗率7日均值",
}


def for_download(curve):
    return curve[list(DOWNLOAD_COLUMNS)].rename(columns=DOWNLOAD_COLUMNS)


@guarded
def page() -> None:
    as_of = data.latest_day()
    page_header("复工曲线", as_of)
    if as_of is None:
        st.info("还没有返岗日报数据。")
        return
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        street = street_filter(key="street")
    with c2:
        grouping = st.selectbox("分组", list(GROUPINGS), index=0 if street is None else 1, key="group", bind="query-params")
    with c3:
        end = day_picker(as_of, key="day", label="截至日期")
    with c4:
        target = st.number_input("目标（%）", min_value=10, max_value=100, value=80, step=5, key="curves-target") / 100
    dim = GROUPINGS[grouping]
    curve = data.query(metrics.curve, dim, street, None, end)
    if curve.empty:
        st.info("所选范围没有返岗数据。")
        return
    if dim == "building":
        latest = curve[curve["day"] == curve["day"].max()].sort_values("staff", ascending=False)
        names = building_label(latest.rename(columns={"group_key": "building_id", "group_label": "building_name"}))
        chosen = st.multiselect("楼宇", list(names), default=list(latest["group_key"].head(5)),
                                format_func=lambda b: names.get(b, b), key="curves-buildings",
                                help="默认显示员工最多的 5 栋楼宇")
        curve = curve[curve["group_key"].isin(chosen)]
        if curve.empty:
            st.info("请至少选择一栋楼宇。")
            return
    groups = curve["group_label"].nunique()
    show_projection = st.toggle("在图上画出预计达标时间", value=groups <= 4, key="curves-projection",
                                help="虚线为按近期趋势的直线外推，粗横条为区间")
    scope = street or "全部街道"
    st.caption(f"{md(scope)} · 按{grouping} · 截至 {cn_date(end)} · 细线为当日数值（周末明显回落），粗线为 7 日均值；"
               "竖虚线为 2月10日首个复工日、2月17日复工高峰")
    for metric, label in (("company_rate", "企业复工率"), ("staff_rate", "人员返岗率")):
        projections = projection.project_groups(curve, metric, target, end) if show_projection else None
        st.altair_chart(charts.rate_chart(curve, metric, target=target, title=f"{label}（按{grouping}）",
                                          projections=projections), width="stretch")
    downloads(for_download(curve), f"复工曲线_{scope}_按{grouping}_{end.isoformat()}", key="curves-data")

    st.subheader(f"何时达到 {target * 100:.0f}%")
    table = projection.table(curve, target, end)
    st.dataframe(table, hide_index=True,
                 column_order=["分组", "指标", "说明", "最近工作日数值", "7日均值", "近14天每周变化(百分点)"],
                 column_config={"最近工作日数值": st.column_config.NumberColumn(format="percent"),
                                "7日均值": st.column_config.NumberColumn(format="percent"),
                                "说明": st.column_config.TextColumn(width="large")})
    st.caption(projection.CAVEAT)
    downloads(table, f"预计达标_{scope}_按{grouping}_{end.isoformat()}", key="curves-projection-data")

    st.subheader("分行业")
    metric = st.radio("指标", ["人员返岗率", "企业复工率"], horizontal=True, key="curves-multiples-metric")
    industry = data.query(metrics.curve, "industry", street, None, end)
    column = "staff_rate" if metric == "人员返岗率" else "company_rate"
    st.altair_chart(charts.small_multiples(industry, column, target=target), width="content")
    downloads(for_download(industry), f"分行业复工曲线_{scope}_{end.isoformat()}", key="curves-industry-data")


page()
