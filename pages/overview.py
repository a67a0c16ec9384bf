"""态势总览: the day's headline figures for all streets or one."""

import streamlit as st

from pipelines import metrics
from ui import data
from ui.common import cn_date, delta_int, delta_pct, guarded, page_header, pct, street_filter


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
        day = st.date_input("日期", value=as_of, max_value=as_of, format="YYYY/MM/DD")
    today, before = data.query(metrics.headline, street, day)
    if not today.reported:
        st.warning(f"{cn_date(day)} 没有返岗日报，以下人数为 0。")
    scope = street or "全部街道"
    st.caption(f"{scope} · {cn_date(day)} · 变化均与前一日（{cn_date(before.day)}）相比")
    row1 = st.columns(3)
    row1[0].metric("楼宇", f"{today.buildings:,}")
    row1[1].metric("企业", f"{today.companies:,}")
    row1[2].metric("员工总数", f"{today.staff:,}")
    row2 = st.columns(3)
    row2[0].metric("企业复工率", pct(today.company_rate), delta_pct(today.company_rate, before.company_rate),
                   help="当日有人在岗的企业 ÷ 企业总数")
    row2[1].metric("人员返岗率", pct(today.staff_rate), delta_pct(today.staff_rate, before.staff_rate),
                   help="当日在岗人数 ÷ 员工总数")
    row2[2].metric("在岗人数", f"{today.on_site:,}", delta_int(today.on_site, before.on_site))
    row3 = st.columns(3)
    row3[0].metric("复工企业", f"{today.companies_back:,}", delta_int(today.companies_back, before.companies_back))
    row3[1].metric("居家观察人数", f"{today.home_observation:,}",
                   delta_int(today.home_observation, before.home_observation), delta_color="inverse")
    row3[2].metric("体温异常人数", f"{today.fever:,}", delta_int(today.fever, before.fever), delta_color="inverse")


page()
