"""Settings that are not data: the data period and the local time zone."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
# Dates before this are typos (2002 for 2020) rather than data; override with FUGONG_PERIOD_START.
PERIOD_START = dt.date.fromisoformat(os.environ.get("FUGONG_PERIOD_START", "2020-01-01"))


def today() -> dt.date:
    """The machine's today in Shanghai: what "in the future" means for validation."""
    return dt.datetime.now(TZ).date()


def map_style_url() -> str | None:
    """A tile basemap (MapLibre/Mapbox style JSON URL) reachable on this network, or None: the map then
    draws on a blank local style and asks nothing from outside the app. Set FUGONG_MAP_STYLE to enable."""
    value = os.environ.get("FUGONG_MAP_STYLE", "").strip()
    return value or None
