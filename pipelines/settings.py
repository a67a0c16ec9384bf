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


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


# The big screen: panel rotation, data refresh and when data counts as stale. The kiosk URL can override
# each (?rotate=20&refresh=30&stale_hours=26); rotate=0 keeps every panel on screen at once.
KIOSK_ROTATE_SECONDS = int(_env_number("FUGONG_KIOSK_ROTATE", 20))
KIOSK_REFRESH_SECONDS = int(_env_number("FUGONG_KIOSK_REFRESH", 30))
KIOSK_STALE_HOURS = _env_number("FUGONG_KIOSK_STALE_HOURS", 26)


def map_style_url() -> str | None:
    """A tile basemap (MapLibre/Mapbox style JSON URL) reachable on this network, or None: the map then
    draws on a blank local style and asks nothing from outside the app. Set FUGONG_MAP_STYLE to enable."""
    value = os.environ.get("FUGONG_MAP_STYLE", "").strip()
    return value or None
