"""态势总览: the day's headline figures for all streets or one, with the map, the main curve and the
high-risk buildings with their main reason."""

import streamlit as st

from pipelines.situation import metrics
from pipelines.grading import risk
from ui import briefing, charts, data, situation
from ui.widgets import (building_link, change_metric, cn_date, day_picker, guarded, md, page_header,
                        pct, short_date, street_filter)


@guarded
def page() -> None:
    as_of = data.latest_day()
    page_header("态势总览", as_of)
    if as_of is None:
        st.info("还没有返岗日报数据。请先在“数据上传”页上传楼宇名录、企业名录和返岗日报，"
                "或用 `python -m pipelines ingest 文件` 导入。")
        return
    left, right = st.columns([1, 1])
    with left:
        street = street_filter()
    with right:
        day = day_picker(as_of)
    today, before = data.query(metrics.headline, street, day)
    known = before.reported  # no report on the day compared with: no change to show
    if not today.reported:
        st.warning(f"{cn_date(day)} 没有返岗日报，以下人数为 0。")
    scope = street or "全部街道"
    compared = metrics.comparison_text(day)
    st.caption(f"{md(scope)} · {cn_date(day)} · 变化{compared}；未办结诉求较前一日")
    row1 = st.columns(4)
    row1[0].metric("楼宇", f"{today.buildings:,}")
    row1[1].metric("企业", f"{today.companies:,}")
    row1[2].metric("员工总数", f"{today.staff:,}")
    requests_now, requests_before = data.query(metrics.requests_open, street, day)
    change_metric(row1[3], "未办结诉求", f"{requests_now.open_requests:,}", requests_now.open_requests,
                  requests_before.open_requests, inverse=True, compared="较前一日",
                  help=f"当日新增 {requests_now.new_requests} 件，办结 {requests_now.closed_requests} 件")
    row2 = st.columns(4)
    change_metric(row2[0], "企业复工率", pct(today.company_rate), today.company_rate, before.company_rate if known else None, rate=True,
                  help="当日有人在岗的企业 ÷ 企业总数", compared=compared)
    change_metric(row2[1], "人员返岗率", pct(today.staff_rate), today.staff_rate, before.staff_rate if known else None, rate=True,
                  help="当日在岗人数 ÷ 员工总数", compared=compared)
    change_metric(row2[2], "在岗人数", f"{today.on_site:,}", today.on_site, before.on_site if known else None, compared=compared)
    change_metric(row2[3], "复工企业", f"{today.companies_back:,}", today.companies_back,
                  before.companies_back if known else None,
                  compared=compared)
    row3 = st.columns(5)
    counts = data.query(risk.grade_counts, day, street)
    for column, grade in zip(row3, risk.GRADES, strict=False):
        style = risk.style(grade)
        label = f"{style['shape']} {style['label']}楼宇"
        if counts is None:
            column.metric(label, "—", help="当日尚无风险评级")
        else:
            now = counts[0][grade]
            change_metric(column, label, f"{now:,}", now, counts[1][grade] if counts[1] else None,
                          inverse=grade in ("高", "中"), compared=compared)
    change_metric(row3[3], "居家观察人数", f"{today.home_observation:,}", today.home_observation,
                  before.home_observation if known else None, inverse=True, compared=compared)
    change_metric(row3[4], "体温异常人数", f"{today.fever:,}", today.fever, before.fever if known else None, inverse=True,
                  compared=compared)

    map_column, list_column = st.columns([1, 1])
    with map_column:
        st.subheader("楼宇地图")
        deck, points = situation.deck(day, street, width=480, height=380)
        st.pydeck_chart(deck, height=420, key="overview-map")
        st.caption("柱高 = 当日在岗人数；颜色与符号 = 风险等级（▲ 高 ◆ 中 ● 低，○ 未评级）。详见“楼宇地图”页。")
    with list_column:
        st.subheader("高风险楼宇")
        high = data.query(risk.top_high, day, street, None)
        if counts is None:
            st.info("当日尚无风险评级。")
        elif high.empty:
            st.success(f"{short_date(day)} 没有高风险楼宇。")
        else:
            st.caption(f"共 {len(high)} 栋，全部列出（可滚动），按评分从高到低；主要原因为触发的硬性规则，或对评分贡献最大的因素。")
            with st.container(height=360, border=False):
                for n, row in enumerate(high.itertuples(index=False), start=1):
                    change = ""
                    if isinstance(row.previous_grade, str) and row.previous_grade != row.grade:
                        change = f"　:gray[较前一日 {row.previous_grade}→{row.grade}]"
                    st.markdown(f"{n}\\. :red[▲] **{md(row.building_name)}**　:gray[{md(row.street)}]　"
                                f"评分 **{row.score:.1f}**{change}  \n{md(row.main_reason)}")
            pick = st.selectbox("查看详情", list(high["building_id"]), index=None, placeholder="选择楼宇查看详情",
                                format_func=dict(zip(high["building_id"], high["building_name"], strict=True)).get,
                                key="overview-high", label_visibility="collapsed")
            if pick is not None:
                building_link(pick, f"打开 {high.set_index('building_id').loc[pick, 'building_name']} 的楼宇详情")

    st.subheader(f"复工曲线 · {md(scope)}")
    curve = situation.main_curve(street, day)
    if curve.empty:
        st.info("所选范围没有返岗数据。")
    else:
        st.altair_chart(charts.rate_chart(curve, "value", target=0.8, title="企业复工率与人员返岗率（细线为当日，粗线为7日均值）",
                                          height=300), width="stretch")
    briefing_export(day, street)


def briefing_export(day, street) -> None:
    """The big screen's content as a one-page PNG/PDF, for leaders who are not in the room."""
    st.divider()
    key = f"briefing:{data.data_version()}:{street}:{day}"
    cols = st.columns([2, 2, 2, 4])
    if cols[0].button("生成简报（PNG / PDF）", key="make_briefing"):
        with st.spinner("正在生成简报…"):
            made = situation.briefing(day, street)
            st.session_state["briefing"] = (key, made.file_stem, briefing.to_png(made), briefing.to_pdf(made))
    ready = st.session_state.get("briefing")
    if ready and ready[0] == key:
        _, stem, png, pdf = ready
        cols[1].download_button("下载 PNG", png, file_name=f"{stem}.png", mime="image/png")
        cols[2].download_button("下载 PDF", pdf, file_name=f"{stem}.pdf", mime="application/pdf")
    else:
        cols[3].caption("简报与大屏内容一致：关键指标、风险地图、复工曲线、高风险楼宇及原因；按街道和日期命名。")


page()
