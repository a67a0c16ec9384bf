"""复工态势台: entry point. Navigation over app_pages/; the store is opened once per process.

Pages and the permission each needs are declared in ui/nav.py (PAGES); nav.app() is the login gate, the
kiosk switch (?kiosk=1&token=...) and the navigation built for the logged-in user only.
"""

import streamlit as st

st.set_page_config(page_title="复工态势台", page_icon="🏢", layout="wide")

from ui import nav  # noqa: E402  (after set_page_config)

nav.app()
