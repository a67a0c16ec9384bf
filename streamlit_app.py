"""复工态势台: entry point. Navigation over pages/; the store is opened once per process."""

import streamlit as st

st.set_page_config(page_title="复工态势台", page_icon="🏢", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="态势总览", icon="📊", default=True),
    st.Page("pages/map.py", title="楼宇地图", icon="🗺️"),
    st.Page("pages/curves.py", title="复工曲线", icon="📈"),
    st.Page("pages/building.py", title="楼宇详情", icon="🏢"),
    st.Page("pages/requests.py", title="企业诉求", icon="📝"),
    st.Page("pages/feed.py", title="实时播报", icon="📢"),
]

st.navigation(PAGES).run()
