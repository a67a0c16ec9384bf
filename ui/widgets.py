"""Page parts every page shares: the header with the as-of date, the sample-data mark, the page guard, filters,
formatting, the Markdown escape md(), downloads and building links."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from functools import wraps
from typing import TypeVar
from urllib.parse import quote

import duckdb
import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from pipelines.core import export
from pipelines.core.errors import UserError
from pipelines.grading import risk
from ui import data, grades
from ui.connection import explained
from ui.feedback import show_error
from ui.nav import guard_page
from ui.session import actor, scope_street, served

T = TypeVar("T")
ALL_STREETS = "全部街道"


def cn_date(day: dt.date | None) -> str:
    return "—" if day is None else f"{day.year}年{day.month}月{day.day}日"


def page_header(title: str, as_of: dt.date | None) -> None:
    st.title(title)
    marks = []
    if data.store().is_sample():
        marks.append(":orange-badge[示例数据]")
    marks.append(f"数据截至 **{cn_date(as_of)}**")
    st.markdown("　".join(marks))


def guarded(page: Callable[[], T]) -> Callable[[], T | None]:
    """Run a page body; a UserError is shown in Chinese, never as a traceback.

    Before the body runs, the page's permission (ui/nav.py PAGES) is checked for the session's user.
    """

    @wraps(page)
    def run() -> T | None:
        guard_page(page)
        try:
            return page()
        except UserError as exc:
            show_error(exc)
            return None
        except duckdb.Error as exc:  # a lake's catalog or shared directory gone: said in Chinese, no traceback
            described = explained(exc)
            if described is None:
                raise
            show_error(described)
            return None

    return run


def street_filter(key: str = "street") -> str | None:
    """Street selector shared by pages; None means all streets. A street user gets their street, fixed."""
    forced = scope_street()
    if forced is not None:
        st.selectbox("街道", [forced], key=key, disabled=True)
        return forced
    options = [ALL_STREETS, *data.streets()]
    choice = st.selectbox("街道", options, key=key, bind="query-params")  # in the URL: a reload keeps it
    return None if choice == ALL_STREETS else choice


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def delta_pct(today: float | None, before: float | None) -> str | None:
    if today is None or before is None:
        return None
    return f"{(today - before) * 100:+.1f} 个百分点"


def delta_int(today: int, before: int) -> str:
    return f"{today - before:+,}"


# -- shared parts of the situation pages -----------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md(text: object) -> str:
    """Text from uploads (names, contents) made safe for st.markdown: no markup, links or images."""
    return _MD_SPECIAL.sub(r"\\\1", "" if text is None else str(text))


def short_date(day: dt.date | None) -> str:
    return "—" if day is None else f"{day.month}月{day.day}日"


def day_picker(as_of: dt.date, key: str = "day", label: str = "日期") -> dt.date:
    """The as-of date (default: the latest in the data), never after it."""
    first = data.first_day() or as_of
    return st.date_input(label, value=as_of, min_value=first, max_value=as_of, format="YYYY/MM/DD", key=key,
                         bind="query-params")  # in the URL: a reload keeps it


def grade_badge(grade: object) -> str:
    """A grade as a coloured markdown badge with its shape and label (:red-badge[▲ 高风险]); grey 未评级."""
    if isinstance(grade, str) and grade in risk.GRADE_STYLE:
        return grades.grade_badge(grade)
    return f":gray-badge[{risk.shown(None)}]"


def downloads(frame: pd.DataFrame, name: str, key: str) -> None:
    """The data behind a chart or table as xlsx and UTF-8-BOM CSV (formula-like cells neutralised)."""
    row = st.container(horizontal=True)
    row.download_button("下载 Excel", export.to_xlsx_bytes(frame, name[:31]), file_name=f"{name}.xlsx",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         key=f"{key}-xlsx", icon=":material/download:", on_click="ignore")
    row.download_button("下载 CSV", export.to_csv_bytes(frame), file_name=f"{name}.csv", mime="text/csv",
                          key=f"{key}-csv", icon=":material/download:", on_click="ignore")


def building_label(frame: pd.DataFrame) -> dict[str, str]:
    return {b: f"{n}（{b}）" for b, n in zip(frame["building_id"], frame["building_name"], strict=True)}


BUILDING_PAGE = "app_pages/building.py"


def building_link(building_id: str, label: str, key: str | None = None) -> None:
    """A link that opens the building's detail page (楼宇详情?building=ID).

    Served as the web application (cookie login), a real link: a click loads the page in this tab, Ctrl-click
    or the middle button opens a new tab that is still logged in (st.page_link always navigates in place).
    Otherwise, under st.navigation, a page link; a page run on its own (tests) gets a plain URL.
    """
    if served():
        href = f"/building?building={quote(building_id)}"
        st.markdown(f'<a href="{html.escape(href)}" target="_self">🏢 {html.escape(label)}</a>', unsafe_allow_html=True)
        return
    try:
        st.page_link(BUILDING_PAGE, label=label, icon=":material/apartment:", query_params={"building": building_id})
    except StreamlitPageNotFoundError:
        st.markdown(f"[{md(label)}](/building?building={quote(building_id)})")


def current_user() -> str:
    """Who is acting, for the audit: the logged-in user (ui.session). Actions check their permission with
    ui.session.require(...) first."""
    return actor()
