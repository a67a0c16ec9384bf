"""复工态势台: entry point. Navigation over pages/; the store is opened once per process."""

import streamlit as st

st.set_page_config(page_title="复工态势台", page_icon=":material/apartment:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="态势总览", icon=":material/dashboard:", default=True),
    st.Page("pages/upload.py", title="数据上传", icon=":material/upload_file:"),
    st.Page("pages/risk.py", title="风险分级", icon=":material/traffic:"),
]

st.navigation(PAGES).run()
