"""复工态势台: entry point. Navigation over pages/; the store is opened once per process."""

import streamlit as st

st.set_page_config(page_title="复工态势台", page_icon="🏢", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="态势总览", icon=":material/dashboard:", default=True),
    st.Page("pages/risk.py", title="风险分级", icon=":material/traffic:"),
    st.Page("pages/map.py", title="楼宇地图", icon=":material/map:"),
    st.Page("pages/curves.py", title="复工曲线", icon=":material/show_chart:"),
    st.Page("pages/building.py", title="楼宇详情", icon=":material/apartment:"),
    st.Page("pages/requests.py", title="企业诉求", icon=":material/assignment:"),
    st.Page("pages/feed.py", title="实时播报", icon=":material/campaign:"),
]

st.navigation(PAGES).run()
