"""大屏: the operations centre's wall view. Read-only, no chrome, refreshes itself, panels rotate.

URL: ?kiosk=1&token=…[&street=虹桥街道][&rotate=20][&refresh=30][&stale_hours=26][&panel=防疫专项]
The whole board is one fragment on a timer: a new batch shows within one interval, the rotation position
follows the clock (so a refresh never resets it), and cached queries are keyed by the data version.
"""

import datetime as dt
import time

import streamlit as st

from pipelines.situation import feed
from pipelines.grading import grade
from pipelines.situation import metrics
from pipelines.core import settings
from ui import charts, data, kiosk, situation
from ui.session import scope_street
from ui.widgets import guarded

EPIDEMIC_PANEL = kiosk.PANELS.index("防疫专项")


def pinned_panel() -> int | None:
    """?panel=防疫专项 keeps one panel on (a wall given to the 防疫专项); None: the panels rotate."""
    name = st.query_params.get("panel")
    return kiosk.PANELS.index(name) if name in kiosk.PANELS else None


def _int_param(name: str, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(st.query_params.get(name, default))))
    except ValueError:
        return default


def read_settings() -> kiosk.KioskSettings:
    requested = st.query_params.get("street") or None
    conf = settings.get()
    return kiosk.KioskSettings(
        street=scope_street(requested if requested in data.streets() else None),
        rotate_seconds=_int_param("rotate", conf.kiosk_rotate_seconds, 0, 3600),
        refresh_seconds=_int_param("refresh", conf.kiosk_refresh_seconds, 5, 3600),
        stale_hours=float(_int_param("stale_hours", int(conf.kiosk_stale_hours), 1, 24 * 30)),
    )


def map_panel(day: dt.date, street: str | None, height: int) -> None:
    deck, _ = situation.deck(day, street, pitch=45.0, dark=True, height=height)
    st.pydeck_chart(deck, height=height, width="stretch")


def curve_panel(day: dt.date, street: str | None, height: int) -> None:
    curve = situation.main_curve(street, day)
    chart = charts.rate_chart(curve, metric="value", target=0.8, title="企业复工率与人员返岗率（7日均值）",
                              height=height - 60, daily=False, dark=True)
    st.altair_chart(kiosk_theme(chart), width="stretch")


# The wall's panels, in rotation order: (name, draw(day, street, height)). A new panel is one entry here.
ROTATION: list[tuple[str, object]] = [("楼宇风险地图", map_panel), ("复工曲线", curve_panel)]


def kiosk_theme(chart):
    """Large, light-on-dark text for a wall screen seen from 5 m."""
    return (chart.configure(background=kiosk.PANEL)
            .configure_axis(labelFontSize=20, titleFontSize=20, labelColor=kiosk.TEXT, titleColor=kiosk.MUTED,
                            gridColor="#22304a", domainColor="#3a4a66", tickColor="#3a4a66")
            .configure_legend(labelFontSize=22, titleFontSize=20, labelColor=kiosk.TEXT, titleColor=kiosk.MUTED)
            .configure_title(fontSize=26, color=kiosk.TEXT, anchor="start")
            .configure_text(color=kiosk.TEXT, fontSize=18)
            .configure_view(stroke=None))


def board(config: kiosk.KioskSettings) -> None:
    now = dt.datetime.now(settings.TZ)
    day = data.latest_day()
    scope = config.street or "全部街道"
    updated = data.query(_last_change)
    st.html(kiosk.header_html(scope, day, updated, now, config.stale_hours, data.store().is_sample(),
                              metrics.comparison_text(day) if day else ""))
    if day is None:
        st.html('<div class="k-panel"><h3>还没有返岗日报数据</h3></div>')
        return
    today, before = data.query(metrics.headline, config.street, day)
    graded_day = data.query(grade.latest_graded_day)
    grades = data.query(grade.grades_on, graded_day, config.street) if graded_day else None
    counts = _counts(grades)
    previous = (data.query(grade.grades_on, metrics.comparison_day(graded_day)[0], config.street) if graded_day
                else None)
    st.html(kiosk.tiles_html(today, before, counts, _counts(previous) if previous is not None and len(previous)
                             else None, _short_comparison(day)))
    high = grades[grades["grade"] == "高"] if grades is not None else _empty_high()
    now_s = time.time()
    page = kiosk.panel_index(config.rotate_seconds or config.refresh_seconds, now_s, kiosk.page_count(len(high)))
    pinned = pinned_panel()
    current = pinned if pinned is not None else kiosk.panel_index(config.rotate_seconds, now_s, len(kiosk.PANELS))
    if current == EPIDEMIC_PANEL and (pinned is not None or config.rotate_seconds > 0):
        situation.epidemic_wall(config.street, 720)  # the 防疫专项 panel takes the whole width
        st.html(kiosk.dots_html(list(kiosk.PANELS), EPIDEMIC_PANEL))
    elif pinned is not None or config.rotate_seconds > 0:
        left, right = st.columns([3, 2], gap="small")
        with left:
            ROTATION[current][1](day, config.street, 680)
            st.html(kiosk.dots_html(list(kiosk.PANELS), current))
        with right:
            st.html(kiosk.high_list_html(high, page))
    else:
        columns = st.columns([5] * len(ROTATION) + [4], gap="small")
        for column, (_, draw) in zip(columns, ROTATION, strict=False):
            with column:
                draw(day, config.street, 716)
        with columns[-1]:
            st.html(kiosk.high_list_html(high, page))
    events = data.query(feed.events, 20, config.street)
    st.html(kiosk.ticker_html(events))


def _short_comparison(day: dt.date) -> str:
    """'较3月27日' on a tile; the header names the kind of day (前一工作日 / 上周同日)."""
    before, _ = metrics.comparison_day(day)
    return f"较{before.month}月{before.day}日"


def _last_change(cur) -> dt.datetime | None:
    return data.store().last_batch_change(cur)


def _counts(frame) -> dict[str, int]:
    if frame is None:
        return {}
    return {g: int((frame["grade"] == g).sum()) for g in ("高", "中", "低")}


def _empty_high():
    import pandas as pd

    return pd.DataFrame(columns=["building_name", "street", "score", "main_reason"])


@guarded
def page() -> None:
    config = read_settings()
    st.html(kiosk.CSS)
    tick = min(config.refresh_seconds, config.rotate_seconds) if config.rotate_seconds else config.refresh_seconds

    @st.fragment(run_every=tick)
    def refreshing_board() -> None:
        board(config)

    refreshing_board()


page()
