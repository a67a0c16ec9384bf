"""Page parts more than one situation page draws (overview, map, big screen): the map and the main curve."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pydeck as pdk

from pipelines.core import settings
from pipelines.grading import risk
from pipelines.situation import geo, metrics
from ui import data
from ui.maps import BLANK_DARK_STYLE_URL, BLANK_STYLE_URL, building_deck, building_points


def map_points(day: dt.date, street: str | None) -> pd.DataFrame:
    buildings = data.query(metrics.building_day, day, street)
    grades = data.query(risk.grades_on, day, street)
    return building_points(buildings, grades)


def street_outlines() -> dict:
    return data.query(geo.street_outlines)


def deck(day: dt.date, street: str | None, tiles: bool = False, pitch: float = 40.0, dark: bool = False,
         width: int = 800, height: int = 450) -> tuple[pdk.Deck, pd.DataFrame]:
    """The buildings map for a day and scope; `tiles` uses the configured tile basemap if there is one."""
    points = map_points(day, street)
    style = settings.get().map_style if tiles else None
    outlines = street_outlines()
    if street is not None:
        outlines = {"type": "FeatureCollection",
                    "features": [f for f in outlines["features"] if f["properties"]["street"] == street]}
    return building_deck(points, geo.district_geojson(), outlines,
                         style or (BLANK_DARK_STYLE_URL if dark else BLANK_STYLE_URL), pitch=pitch,
                         dark=dark, width=width, height=height), points


def epidemic_deck(day: dt.date, street: str | None, dark: bool = False, pitch: float = 30.0, width: int = 800,
                  height: int = 450) -> tuple[pdk.Deck, pd.DataFrame]:
    """The buildings map with the 重要点位 as a separate layer on top (the 防疫专项 page and the big screen)."""
    from pipelines.situation import epidemic
    from ui.epidemic import POINT_COLOURS, POINT_GLYPHS
    from ui.maps import key_point_layers, key_point_points

    built, _ = deck(day, street, pitch=pitch, dark=dark, width=width, height=height)
    points = key_point_points(data.query(epidemic.key_points, street), POINT_COLOURS, POINT_GLYPHS)
    built.layers.extend(key_point_layers(points, dark))
    return built, points


def epidemic_wall(street: str | None, height: int) -> None:
    """The big screen's 防疫专项 panel: 疫情发展 by scope across the top; the 重要工作模块 and the map with the key
    points below. Sized in CSS pixels for 1920×1080 (kiosk.CSS zooms larger screens)."""
    import streamlit as st

    from pipelines.situation import epidemic
    from ui.epidemic import css, legend_html, modules_html, scopes_html

    day = data.query(epidemic.as_of, street)
    st.html(css(dark=True))
    if day is None:
        st.html(f'<div class="k-panel" style="height: {height}px"><h3>防疫专项</h3>'
                '<div class="ep-none">还没有疫情发展或工作进度数据</div></div>')
        return
    board = data.query(epidemic.board, day, street)
    st.html(f'<div class="ep-wall-scopes">{scopes_html(board, data.query(epidemic.trend, day, street))}</div>')
    lower = height - 294
    left, right = st.columns([3, 2], gap="small")
    with left:
        modules = data.query(epidemic.work_modules, day, street)
        st.html(f'<div class="k-panel" style="height: {lower}px"><h3>重要工作模块 · {day.month}月{day.day}日</h3>'
                f'{modules_html(modules, columns=2)}</div>')
    with right:
        # The view is fitted to a smaller box than the chart: a margin round the buildings and key points.
        built, _ = epidemic_deck(min(day, data.latest_day() or day), street, dark=True, pitch=0.0, width=500,
                                 height=lower - 170)
        st.pydeck_chart(built, height=lower - 70, width="stretch")
        st.html(f'<div class="ep-wall-legend">{legend_html()}</div>')


def main_curve(street: str | None, end: dt.date) -> pd.DataFrame:
    """企业复工率 and 人员返岗率 of the scope as two groups of one frame, for charts.rate_chart(metric='value')."""
    curve = data.query(metrics.curve, "all", street, None, end)
    parts = []
    for metric, label in (("company_rate", "企业复工率"), ("staff_rate", "人员返岗率")):
        parts.append(pd.DataFrame({"day": curve["day"], "group_label": label, "value": curve[metric],
                                   "value_7d": curve[f"{metric}_7d"]}))
    return pd.concat(parts, ignore_index=True)


def briefing(day: dt.date, street: str | None):
    """The one-page briefing of a scope and day, from the same cached queries as the pages."""
    from pipelines.grading import grade
    from ui.briefing import Briefing

    today, before = data.query(metrics.headline, street, day)
    graded = data.query(grade.latest_graded_day)
    grades = data.query(grade.grades_on, min(day, graded), street) if graded else pd.DataFrame(
        columns=["grade", "building_name", "street", "score", "main_reason"])
    from pipelines.situation import epidemic
    from ui.epidemic import POINT_COLOURS, POINT_GLYPHS
    from ui.maps import key_point_points

    epidemic_day = data.query(epidemic.as_of, street)
    on = min(day, epidemic_day) if epidemic_day else None
    return Briefing(street or "全部街道", day, dt.datetime.now(settings.TZ), today, before, grades,
                    main_curve(street, day), map_points(day, street), geo.district_geojson(),
                    data.store().is_sample(),
                    epidemic=data.query(epidemic.board, on, street) if on else None,
                    modules=data.query(epidemic.work_modules, on, street) if on else None,
                    key_points=key_point_points(data.query(epidemic.key_points, street), POINT_COLOURS, POINT_GLYPHS))
