"""Page parts more than one situation page draws (overview, map, big screen): the map and the main curve."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pydeck as pdk

from pipelines import geo, metrics, risk
from pipelines.settings import map_style_url

from . import data
from .maps import BLANK_STYLE_URL, building_deck, building_points


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
    style = map_style_url() if tiles else None
    outlines = street_outlines()
    if street is not None:
        outlines = {"type": "FeatureCollection",
                    "features": [f for f in outlines["features"] if f["properties"]["street"] == street]}
    return building_deck(points, geo.district_geojson(), outlines, style or BLANK_STYLE_URL, pitch=pitch,
                         dark=dark, width=width, height=height), points


def main_curve(street: str | None, end: dt.date) -> pd.DataFrame:
    """企业复工率 and 人员返岗率 of the scope as two groups of one frame, for charts.rate_chart(metric='value')."""
    curve = data.query(metrics.curve, "all", street, None, end)
    parts = []
    for metric, label in (("company_rate", "企业复工率"), ("staff_rate", "人员返岗率")):
        parts.append(pd.DataFrame({"day": curve["day"], "group_label": label, "value": curve[metric],
                                   "value_7d": curve[f"{metric}_7d"]}))
    return pd.concat(parts, ignore_index=True)
