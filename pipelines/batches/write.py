"""Inside one write transaction: a batch's rows stored, or a batch reverted, and the derived tables updated.

commit.py runs these in a transaction that commits; preview.py in one that always rolls back.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from pipelines.batches import scope
from pipelines.core.contract import SHEET_BY_KIND
from pipelines.core.hooks import run_after_write
from pipelines.core.store import Store, refresh_current
from pipelines.ingest.read import Upload


def write_batch(store: Store, cur: duckdb.DuckDBPyConnection, upload: Upload, actor: str, stored_as: str) -> int:
    """Insert the staged rows of an upload as a new batch inside the caller's transaction; returns its id.

    Commit calls it in a transaction that commits, preview in one that always rolls back."""
    sheets = {kind: {"rows": s.rows, "sheets": s.source_sheets} for kind, s in upload.sheets.items()}
    batch_id = store.next_id(cur, "batch_id_seq", "batches", "batch_id")
    cur.execute(
        "insert into batches (batch_id, file_name, sha256, stored_as, sheets, uploaded_by) values (?, ?, ?, ?, ?, ?)",
        [batch_id, upload.file_name, upload.sha256, stored_as, json.dumps(sheets, ensure_ascii=False), actor],
    )
    touched: set[dt.date] = set()
    whole = False
    for kind in upload.sheets:
        spec = SHEET_BY_KIND[kind]
        cols = ", ".join(f'"{c}"' for c in spec.stored_columns)
        cur.execute(f"insert into raw_{kind} (batch_id, row_no, sheet, {cols}) "
                    f"select ?, row_no, sheet, {cols} from stg_{kind}", [batch_id])
        refresh_current(cur, spec, batch_id, committed=True)
        date_field = {"daily_returns": "report_date", "checks": "check_date"}.get(kind)
        if date_field:
            touched.update(d for (d,) in cur.execute(f"select distinct {date_field} from stg_{kind}").fetchall())
        elif kind in ("buildings", "companies"):
            whole = True  # a building or company change can touch every day; requests touch no grade
    scope.keep_streets(cur, batch_id)
    store.audit(cur, actor, "batch.commit", str(batch_id), None,
                {"file": upload.file_name, "sha256": upload.sha256, "rows": upload.row_counts()})
    run_after_write(cur, None if whole else sorted(touched))
    return batch_id


def revert_batch(store: Store, cur: duckdb.DuckDBPyConnection, batch_id: int, actor: str) -> None:
    """Revert a batch inside the caller's transaction (deleting nothing) and update what derives from it."""
    store.revert(cur, batch_id, actor)
    run_after_write(cur, None)
