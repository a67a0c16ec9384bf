"""One building in detail: directory row, tenants, checklist history, returnees.

Personal columns (楼长, 防控联系人, 联系电话, 检查人) come back as stored: the pages read through ui.data.query,
which masks them for every role but admin (ui.session.protect, pipelines.core.privacy)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from pipelines.core.contract import CHECK_AREAS, CHECK_ITEMS_TOTAL
from pipelines.core.errors import UserError
from pipelines.core.store import read_sql


def building_list(cur: duckdb.DuckDBPyConnection, street: str | None = None) -> pd.DataFrame:
    return cur.execute(read_sql("queries/building_list.sql"), {"street": street}).df()


def info(cur: duckdb.DuckDBPyConnection, building_id: str) -> pd.DataFrame:
    """The building's directory row with tenant totals (one row)."""
    frame = cur.execute(read_sql("queries/building_info.sql"), {"building_id": building_id}).df()
    if frame.empty:
        raise UserError(f"楼宇 {building_id} 不存在", "请从列表中选择楼宇")
    return frame


def tenants(cur: duckdb.DuckDBPyConnection, building_id: str, day: dt.date) -> pd.DataFrame:
    """The building's companies with their report on `day` (on_site null: no report that day)."""
    return cur.execute(read_sql("queries/building_tenants.sql"), {"building_id": building_id, "day": day}).df()


def checks(cur: duckdb.DuckDBPyConnection, building_id: str) -> pd.DataFrame:
    """Inspection history, newest first."""
    params = {"building_id": building_id, "check_items_total": CHECK_ITEMS_TOTAL}
    return cur.execute(read_sql("queries/building_checks.sql"), params).df()


def checks_by_area(history: pd.DataFrame) -> pd.DataFrame:
    """Long form of the history for a heat map: one row per check and area with passed / items and the share."""
    rows = []
    for record in history.itertuples(index=False):
        for column, (label, items) in CHECK_AREAS.items():
            passed = getattr(record, column)
            rows.append({"check_date": record.check_date, "area": label, "passed": passed, "items": items,
                         "share": None if pd.isna(passed) else passed / items})
    return pd.DataFrame(rows, columns=["check_date", "area", "passed", "items", "share"])


def returnees(cur: duckdb.DuckDBPyConnection, building_id: str) -> pd.DataFrame:
    """By day: returned from key areas, from abroad, under home observation, fever."""
    frame = cur.execute(read_sql("queries/building_returnees.sql"), {"building_id": building_id}).df()
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame
