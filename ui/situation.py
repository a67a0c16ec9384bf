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
    return Briefing(street or "全部街道", day, dt.datetime.now(settings.TZ), today, before, grades,
                    main_curve(street, day), map_points(day, street), geo.district_geojson(),
                    data.store().is_sample())
