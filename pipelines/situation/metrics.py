"""Resumption figures: 企业复工率 (companies with staff on site / companies) and 人员返岗率 (staff on site / staff)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from pipelines.core.hooks import after_write
from pipelines.core.store import read_sql
from pipelines.core.vocabulary import INDUSTRIES, OTHER_INDUSTRY
from pipelines.situation.geo import with_wgs84


@dataclass(frozen=True)
class Headline:
    day: dt.date
    buildings: int
    companies: int
    staff: int
    companies_back: int
    on_site: int
    home_observation: int
    fever: int
    company_rate: float | None
    staff_rate: float | None
    reported: bool


@after_write(order=10)  # before the regrade, which reads it
def refresh_returns_by_building(cur: duckdb.DuckDBPyConnection, touched_days: list[dt.date] | None = None) -> None:
    """Bring returns_by_building up to date inside the caller's transaction: the touched days, or every day
    (None: after a directory change or a rollback)."""
    if touched_days is not None and not touched_days:
        return
    params = {"days": touched_days}
    cur.execute("delete from returns_by_building where $days is null or list_contains($days, day)", params)
    cur.execute(f"insert into returns_by_building {read_sql('derived/returns_by_building.sql')}", params)


def latest_day(cur: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The as-of date: the latest day at least half of the companies reported (not the machine's clock)."""
    return cur.execute("select day from as_of_day").fetchall()[0][0]


def first_day(cur: duckdb.DuckDBPyConnection) -> dt.date | None:
    return cur.execute("select min(report_date) from daily_returns").fetchall()[0][0]


def streets(cur: duckdb.DuckDBPyConnection) -> list[str]:
    return [s for (s,) in cur.execute("select distinct street from buildings order by street").fetchall()]


def comparison_day(day: dt.date) -> tuple[dt.date, str]:
    """The day a day's figures are compared with, and what to call it: a working day with the working day
    before it (a Monday with the Friday), a weekend day with the same weekday a week before (offices close
    at weekends: a Saturday against a Friday would show a fall of half the staff that means nothing)."""
    if day.weekday() >= 5:
        return day - dt.timedelta(days=7), "上周同日"
    before = day - dt.timedelta(days=1)
    while before.weekday() >= 5:
        before -= dt.timedelta(days=1)
    return before, "前一工作日"


def comparison_text(day: dt.date) -> str:
    """'较前一工作日（3月27日）': what a change beside a figure of `day` is measured against."""
    before, label = comparison_day(day)
    return f"较{label}（{before.month}月{before.day}日）"


def headline(cur: duckdb.DuckDBPyConnection, street: str | None, as_of: dt.date) -> tuple[Headline, Headline]:
    """Figures for the as-of day and the day it is compared with (comparison_day), for one street or all
    streets (None)."""
    result = cur.execute(read_sql("queries/headline.sql"),
                         {"street": street, "as_of": as_of, "before": comparison_day(as_of)[0]})
    names = [d[0] for d in result.description]
    today, yesterday = (Headline(**{n: _plain(v) for n, v in zip(names, row, strict=True)})
                        for row in result.fetchall())
    return today, yesterday


def _plain(value: object) -> object:
    # DuckDB returns sums as HUGEINT/Decimal; pages want plain numbers.
    if value is None or isinstance(value, (bool, int, float, dt.date, str)):
        return value
    return float(value) if "." in str(value) else int(value)


# -- curves and per-building figures ------------------------------------------------------------

DIMENSIONS = {"all": "合计", "street": "街道", "building": "楼宇", "industry": "行业", "company_type": "企业类型"}
MILESTONES = ((dt.date(2020, 2, 10), "首个复工日"), (dt.date(2020, 2, 17), "复工高峰"))


def curve(cur: duckdb.DuckDBPyConnection, dim: str = "all", street: str | None = None,
          building_id: str | None = None, end: dt.date | None = None) -> pd.DataFrame:
    """企业复工率 / 人员返岗率 by day per group (dim), with 7-day means: one row per group and reported day."""
    if dim not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dim!r}")
    params = {"dim": dim, "street": street, "building_id": building_id, "end": end, "industries": list(INDUSTRIES),
              "other": OTHER_INDUSTRY}
    frame = cur.execute(read_sql("queries/curve.sql"), params).df()
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


def building_day(cur: duckdb.DuckDBPyConnection, day: dt.date, street: str | None = None) -> pd.DataFrame:
    """Every building in scope with its figures on `day` and its position in WGS-84 (lon_wgs, lat_wgs)."""
    return with_wgs84(cur.execute(read_sql("queries/building_day.sql"), {"day": day, "street": street}).df())


@dataclass(frozen=True)
class RequestCounts:
    day: dt.date
    open_requests: int
    new_requests: int
    closed_requests: int


def requests_open(cur: duckdb.DuckDBPyConnection, street: str | None, as_of: dt.date
                  ) -> tuple[RequestCounts, RequestCounts]:
    """Open requests at the end of the as-of day and the day before, with the day's new and closed ones."""
    rows = cur.execute(read_sql("queries/requests_open.sql"), {"street": street, "as_of": as_of}).fetchall()
    today, yesterday = (RequestCounts(*(int(v) if i else v for i, v in enumerate(row))) for row in rows)
    return today, yesterday
