"""实时播报: the latest events, newest first — uploads and rollbacks, grade changes and overrides, new and
closed requests, fever reports. The big screen shows the same list (pipelines.feed.events) as a ticker."""

import pandas as pd
import streamlit as st

from pipelines.core.settings import TZ
from pipelines.situation import feed
from ui import data
from ui.widgets import guarded, md, page_header, short_date, street_filter

LEVEL_COLOUR = {"alert": "red", "warn": "orange", "info": "blue"}


@guarded
def page() -> None:
    page_header("实时播报", data.latest_day())
    c1, c2, c3 = st.columns([1, 3, 1])
    with c1:
        street = street_filter(key="street")
    with c2:
        labels = {k: v[0] for k, v in feed.KINDS.items() if k != "other"}
        kinds = st.multiselect("类型", list(labels), format_func=labels.get, placeholder="全部类型", key="kinds", bind="query-params")
    with c3:
        limit = st.selectbox("条数", [30, 50, 100, 200], index=0, key="feed-limit")
    events = data.query(feed.events, limit, street, tuple(kinds) if kinds else None)
    if events.empty:
        st.info("还没有任何事件。")
        return
    st.caption("按入库时间排列，最新的在前；同一批次入库的事件按数据日期排列。")
    lines = []
    for row in events.itertuples(index=False):
        colour = LEVEL_COLOUR.get(row.level, "blue")
        detail = f"　{md(row.detail)}" if row.detail else ""
        lines.append(f"{row.icon} :{colour}-badge[{row.kind_label}]　**{md(row.title)}**{detail}　"
                     f":gray[{_when(row.recorded_at, row.day)}]")
    st.markdown("\n\n".join(lines))


def _when(recorded_at, day) -> str:
    parts = []
    if day is not None and not pd.isna(day):
        parts.append(f"数据日期 {short_date(pd.Timestamp(day).date())}")
    if recorded_at is not None and not pd.isna(recorded_at):
        stamp = pd.Timestamp(recorded_at).tz_convert(TZ) if pd.Timestamp(recorded_at).tzinfo else \
            pd.Timestamp(recorded_at)
        parts.append(f"入库 {stamp.month}月{stamp.day}日 {stamp:%H:%M}")
    return "　".join(parts)


page()
