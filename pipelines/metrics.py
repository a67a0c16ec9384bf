"""Resumption figures: 企业复工率 (companies with staff on site / companies) and 人员返岗率 (staff on site / staff)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

from .store import read_sql


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


def refresh_returns_by_building(cur: duckdb.DuckDBPyConnection, touched_days: list[dt.date] | None = None) -> None:
    """Bring returns_by_building up to date inside the caller's transaction: the touched days, or every day
    (None: after a directory change or a rollback). An AFTER_WRITE hook, run before the regrade."""
    if touched_days is not None and not touched_days:
        return
    params = {"days": touched_days}
    cur.execute("delete from returns_by_building where $days is null or list_contains($days, day)", params)
    cur.execute(f"insert into returns_by_building {read_sql('derived/returns_by_building.sql')}", params)


def latest_day(cur: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The as-of date: the latest day with daily returns (not the machine's clock)."""
    return cur.execute("select max(report_date) from daily_returns").fetchall()[0][0]


def streets(cur: duckdb.DuckDBPyConnection) -> list[str]:
    return [s for (s,) in cur.execute("select distinct street from buildings order by street").fetchall()]


def headline(cur: duckdb.DuckDBPyConnection, street: str | None, as_of: dt.date) -> tuple[Headline, Headline]:
    """Figures for the as-of day and the day before, for one street or all streets (None)."""
    result = cur.execute(read_sql("queries/headline.sql"), {"street": street, "as_of": as_of})
    names = [d[0] for d in result.description]
    today, yesterday = (Headline(**{n: _plain(v) for n, v in zip(names, row, strict=True)})
                        for row in result.fetchall())
    return today, yesterday


def _plain(value: object) -> object:
    # DuckDB returns sums as HUGEINT/Decimal; pages want plain numbers.
    if value is None or isinstance(value, (bool, int, float, dt.date, str)):
        return value
    return float(value) if "." in str(value) else int(value)
