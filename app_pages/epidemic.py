"""防疫专项: the street operations centre's 一网统管 page — 疫情发展 for the country, the city, the district and the
street side by side, the 重要工作模块 as progress bars, the map with buildings and 重要点位, and the 实时播报.
A street user sees 全国, 全市, 全区 and their own street."""

import streamlit as st

from pipelines.situation import epidemic, feed
from ui import data, situation
from ui.epidemic import css, legend_html, modules_html, scopes_html
from ui.widgets import cn_date, guarded, md, page_header, street_filter


@guarded
def page() -> None:
    as_of = data.query(epidemic.as_of, None)
    page_header("防疫专项", as_of)
    if as_of is None:
        st.info("还没有疫情发展或工作进度数据。请在“数据上传”页用模板上传“疫情发展”“工作进度”“重要点位”三张表。")
        return
    left, right = st.columns([1, 1])
    with left:
        street = street_filter(key="epidemic-street")
    with right:
        day = st.date_input("日期", value=as_of, max_value=as_of, format="YYYY/MM/DD", key="epidemic-day")
    st.html(css(dark=False))
    st.subheader("疫情发展")
    board = data.query(epidemic.board, day, street)
    trend = data.query(epidemic.trend, day, street)
    st.caption(f"{cn_date(day)} · 各范围最近一次报告；新增为与前一次报告相比；柱为近 {epidemic.TREND_DAYS} 天每日新增确诊")
    st.html(scopes_html(board, trend))
    modules_column, map_column = st.columns([1, 1], gap="medium")
    with modules_column:
        st.subheader("重要工作模块")
        modules = data.query(epidemic.work_modules, day, street)
        st.caption(f"{street or '全部街道'} · 累计完成 / 目标；超过 {epidemic.STALE_DAYS} 天未更新的标为 ⚠（斜纹）")
        st.html(modules_html(modules))
        notes = modules.dropna(subset=["note"]) if len(modules) else modules
        for row in notes.itertuples(index=False):
            st.markdown(f"**{md(row.work_item)}**：{md(row.note)}")
    with map_column:
        st.subheader("区域地图和重要点位")
        deck, points = situation.epidemic_deck(min(day, data.latest_day() or day), street, width=560, height=330)
        st.pydeck_chart(deck, height=430, width="stretch")
        st.html(legend_html())
        st.caption(f"重要点位 {len(points)} 个；鼠标移到柱体或圆点上查看详情。")
    st.subheader("实时播报")
    events = data.query(feed.events, 12, street, tuple(k for k in feed.KINDS if k not in ("other",)))
    if events.empty:
        st.info("还没有任何事件。")
    else:
        st.markdown("\n\n".join(f"{row.icon} **{md(row.kind_label)}**　{md(row.title)}"
                                + (f"　:gray[{md(row.detail)}]" if row.detail else "")
                                for row in events.itertuples(index=False)))



page()
