"""A commit killed with SIGKILL half-way leaves the database at the state before it, readable and writable."""

from __future__ import annotations

import csv
import datetime as dt
import io
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from upload_helpers import copy_db

from pipelines.batches.commit import commit_upload
from pipelines.core.store import Store
from pipelines.ingest.read import read_upload

pytestmark = pytest.mark.slow  # a child process killed mid-commit

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 1, 1)
DAYS = 760  # x ~200 companies: more rows than a DuckDB row group, so the dying commit has written to the file

CHILD = """
import datetime, os, signal, sys
sys.path.insert(0, {root!r})
from pipelines.batches import commit
from pipelines.core import hooks
from pipelines.ingest.read import read_upload
from pipelines.core.store import Store


def die(cur, days):
    # Every row of the batch is inserted, the transaction is not committed: the process dies here.
    count = cur.execute("select count(*) from raw_daily_returns").fetchall()[0][0]
    print("inserted", count, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


store = Store({db!r})
upload = read_upload("返岗日报.csv", open({file!r}, "rb").read())
hooks.after_write(order=99)(die)
commit.commit_upload(store, upload, "分析员", confirm_warnings=True, today=datetime.date(2026, 1, 1))
print("committed", flush=True)
"""


def _state(store: Store) -> tuple:
    cur = store.cursor()
    return (
        store.data_version(cur),
        cur.execute("select count(*), max(batch_id) from batches").fetchall()[0],
        cur.execute("select count(*) from raw_daily_returns").fetchall()[0][0],
        cur.execute("select count(*), sum(on_site) from daily_returns").fetchall()[0],
        cur.execute("select count(*) from audit").fetchall()[0][0],
    )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_commit_leaves_previous_state(sample_db, tmp_path):
    db = copy_db(sample_db, tmp_path)
    store = Store(db)
    codes = [c for (c,) in store.cursor().execute("select credit_code from companies order by 1").fetchall()]
    before = _state(store)
    store.close()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["日期", "统一社会信用代码", "在岗人数"])
    start = dt.date(2020, 1, 1)
    writer.writerows([(start + dt.timedelta(d)).isoformat(), code, 0] for d in range(DAYS) for code in codes)
    upload_file = tmp_path / "returns.csv"
    upload_file.write_text(out.getvalue(), encoding="utf-8")
    rows = DAYS * len(codes)
    assert rows > 122_880

    child = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT), db=str(db), file=str(upload_file))],
        capture_output=True, text=True, timeout=300,
    )

    assert child.returncode == -signal.SIGKILL, child.stderr
    assert child.stdout.split() == ["inserted", str(before[2] + rows)]
    store = Store(db)  # replays the write-ahead log, if any
    try:
        assert _state(store) == before
        # Still a working database: a commit goes through normally afterwards.
        head = "\n".join(out.getvalue().splitlines()[:11]).encode()
        # 10 of many companies: a partial day, so the warning is confirmed as an analyst would
        batch_id = commit_upload(store, read_upload("返岗日报.csv", head), "分析员", confirm_warnings=True,
                                 today=TODAY)
        assert batch_id == before[1][1] + 1
        assert _state(store)[2] == before[2] + 10
    finally:
        store.close()
