"""Which streets a batch belongs to, and who may see and roll it back.

A batch's streets are kept when it is written (batches.streets, from queries/batch_streets.sql). A street user
sees and rolls back only batches wholly within their street; a batch spanning streets (or naming a building
not known) needs district scope. Uploads are checked row by row (sql/checks/outside_street.sql).
"""

from __future__ import annotations

import duckdb

from pipelines.auth.accounts import DISTRICT, Forbidden
from pipelines.core.store import keep_batch_streets


def keep_streets(cur: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Record the batch's streets, inside the transaction that writes it."""
    keep_batch_streets(cur, batch_id)


def within(streets: list[str | None] | None, street: str | None) -> bool:
    """True if a user of `street` (None: the district) may act on a batch of these streets."""
    return street is None or (streets is not None and list(streets) == [street])


def require_within(cur: duckdb.DuckDBPyConnection, batch_id: int, street: str | None) -> None:
    """Raise Forbidden unless the batch lies wholly within the street (a district user may act on any)."""
    if street is None:
        return
    rows = cur.execute("select streets from batches where batch_id = ?", [batch_id]).fetchall()
    if not rows:
        return  # the caller says "批次 N 不存在"
    streets = rows[0][0]
    if not within(streets, street):
        named = "、".join(s or "未知楼宇" for s in (streets or [])) or "未知"
        raise Forbidden(f"无权限：批次 {batch_id} 涉及{named}，不全在{street}内",
                        f"跨街道的批次须由{DISTRICT}范围的用户查看和撤销")
