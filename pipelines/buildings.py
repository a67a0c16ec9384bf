"""One building in detail: directory row, tenants (contacts masked), checklist history, returnees."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from .contract import CHECK_AREAS
from .errors import UserError
from .privacy import mask_name, mask_phone
from .store import read_sql


def building_list(cur: duckdb.DuckDBPyConnection, street: str | None = None) -> pd.DataFrame:
    return cur.execute(read_sql("queries/building_list.sql"), {"street": street}).df()


def info(cur: duckdb.DuckDBPyConnection, building_id: str) -> dict[str, object]:
    """The building's directory row with tenant totals; 楼长 (a person's name) masked."""
    frame = cur.execute(read_sql("queries/building_info.sql"), {"building_id": building_id}).df()
    if frame.empty:
        raise UserError(f"楼宇 {building_id} 不存在", "请从列表中选择楼宇")
    row = frame.iloc[0].to_dict()
    row["building_manager"] = mask_name(row.get("building_manager"))
    return row


def tenants(cur: duckdb.DuckDBPyConnection, building_id: str, day: dt.date) -> pd.DataFrame:
    """The building's companies with their report on `day`; contact names and phones masked."""
    frame = cur.execute(read_sql("queries/building_tenants.sql"), {"building_id": building_id, "day": day}).df()
    frame["contact_person"] = frame["contact_person"].map(mask_name)
    frame["contact_phone"] = frame["contact_phone"].map(mask_phone)
    return frame


def checks(cur: duckdb.DuckDBPyConnection, building_id: str) -> pd.DataFrame:
    """Inspection history, newest first; the inspector's name masked."""
    frame = cur.execute(read_sql("queries/building_checks.sql"), {"building_id": building_id}).df()
    frame["inspector"] = frame["inspector"].map(mask_name)
    return frame


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
