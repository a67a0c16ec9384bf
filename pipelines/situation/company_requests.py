"""企业诉求: the companies' requests list (企业诉求清单), its counts, and the closed ones (问题解决清单)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from pipelines.core.contract import REQUEST_CATEGORIES, REQUEST_STATUSES
from pipelines.core.store import read_sql


def as_of(cur: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The latest day the requests know of: the last request or closing day."""
    return cur.execute("select max(greatest(request_date, coalesce(closed_on, request_date))) "
                       "from request_state").fetchall()[0][0]


def request_list(cur: duckdb.DuckDBPyConnection, day: dt.date, street: str | None = None,
                 building_id: str | None = None) -> pd.DataFrame:
    """Every request made by `day` in scope, open ones first (longest open first), with days open / to close."""
    params = {"as_of": day, "street": street, "building_id": building_id}
    return cur.execute(read_sql("queries/requests_list.sql"), params).df()


def counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Requests by category (rows, in the contract's order) and status (columns), with totals."""
    table = pd.crosstab(frame["category"], frame["status"]) if len(frame) else pd.DataFrame()
    table = table.reindex(index=[c for c in REQUEST_CATEGORIES if c in table.index] +
                          sorted(c for c in table.index if c not in REQUEST_CATEGORIES),
                          columns=list(REQUEST_STATUSES), fill_value=0)
    table["合计"] = table.sum(axis=1)
    table.index.name = "类别"
    return table.reset_index()


def closed(frame: pd.DataFrame) -> pd.DataFrame:
    """The 问题解决清单: closed requests, most recently closed first, with the days they took."""
    done = frame[frame["status"] == "已办结"]
    return done.sort_values(["closed_on", "request_id"], ascending=[False, True]).reset_index(drop=True)


def time_to_close(frame: pd.DataFrame) -> pd.DataFrame:
    """Closed requests per category with the mean and median days to close."""
    done = closed(frame)
    if done.empty:
        return pd.DataFrame(columns=["类别", "已办结", "平均办结天数", "办结天数中位数"])
    grouped = done.groupby("category")["days_to_close"]
    table = pd.DataFrame({"已办结": grouped.size(), "平均办结天数": grouped.mean().round(1),
                          "办结天数中位数": grouped.median()})
    table.index.name = "类别"
    return table.reset_index()
