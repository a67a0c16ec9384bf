"""一网统管 防疫专项: 疫情发展 by scope, the 重要工作模块 and the 重要点位, as the page, the big screen and the
briefing show them. A street user sees 全国, 全市, 全区 and their own street (the street argument)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from pipelines.core.contract import WORK_ITEMS
from pipelines.core.store import read_sql
from pipelines.situation.geo import with_wgs84

STALE_DAYS = 3  # a work item not reported for this many days is marked stale
TREND_DAYS = 21


def as_of(cur: duckdb.DuckDBPyConnection, street: str | None = None) -> dt.date | None:
    """The latest day with a 疫情发展 or 工作进度 report in scope."""
    day = cur.execute(read_sql("queries/epidemic_as_of.sql"), {"street": street}).fetchall()[0][0]
    return day


def board(cur: duckdb.DuckDBPyConnection, day: dt.date, street: str | None = None) -> pd.DataFrame:
    """One row per visible scope: its latest report on or before `day`, with 新增 since the one before."""
    frame = cur.execute(read_sql("queries/epidemic_board.sql"), {"day": day, "street": street}).df()
    return _dates(frame, "report_date", "previous_date")


def trend(cur: duckdb.DuckDBPyConnection, day: dt.date, street: str | None = None,
          days: int = TREND_DAYS) -> pd.DataFrame:
    """累计确诊 and 新增确诊 per visible scope over the `days` days up to `day`."""
    frame = cur.execute(read_sql("queries/epidemic_trend.sql"), {"day": day, "street": street, "days": days}).df()
    return _dates(frame, "report_date")


def work_modules(cur: duckdb.DuckDBPyConnection, day: dt.date, street: str | None = None) -> pd.DataFrame:
    """The 重要工作模块 on `day`: the eight items of the seeds first, then any other item reported."""
    frame = cur.execute(read_sql("queries/work_modules.sql"),
                        {"day": day, "street": street, "items": list(WORK_ITEMS)}).df()
    frame = _dates(frame, "last_report")
    frame["stale"] = frame["days_since"] >= STALE_DAYS
    return frame


def key_points(cur: duckdb.DuckDBPyConnection, street: str | None = None) -> pd.DataFrame:
    """The current key points in scope with their WGS-84 position (lon_wgs, lat_wgs)."""
    return with_wgs84(cur.execute(read_sql("queries/key_points.sql"), {"street": street}).df())


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in frame[column]]
    return frame
