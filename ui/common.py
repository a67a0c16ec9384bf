"""Page parts every page shares: the header with the as-of date, the sample-data mark, error rendering."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

import streamlit as st

from pipelines.errors import UserError

from . import data

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


def show_error(error: UserError) -> None:
    """The one place a UserError becomes something on screen."""
    st.error(f"{error.message}" + (f"\n\n{error.hint}" if error.hint else ""), icon="⚠️")


def guarded(page: Callable[[], T]) -> Callable[[], T | None]:
    """Run a page body; a UserError is shown in Chinese, never as a traceback."""

    @wraps(page)
    def run() -> T | None:
        try:
            return page()
        except UserError as exc:
            show_error(exc)
            return None

    return run


def street_filter(key: str = "street") -> str | None:
    """Street selector shared by pages; None means all streets."""
    options = [ALL_STREETS, *data.streets()]
    choice = st.selectbox("街道", options, key=key)
    return None if choice == ALL_STREETS else choice


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def delta_pct(today: float | None, before: float | None) -> str | None:
    if today is None or before is None:
        return None
    return f"{(today - before) * 100:+.1f} 个百分点"


def delta_int(today: int, before: int) -> str:
    return f"{today - before:+,}"


def current_user() -> str:
    """Who is acting, for the audit. The login (roles issue) puts the signed-in user here."""
    return str(st.session_state.get("user_name", "演示用户"))
