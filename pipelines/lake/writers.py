"""Several writer processes on one store: what the tests and the benchmark use to show that uploads committed
from different servers at the same time each land exactly once, with consistent derived tables.

A writer commits `batches` daily-returns files (CSV, one day of every company of the store, figures that
differ per writer and batch so that no two files are the same) for days that overlap with the other
writers': their derived-table rewrites touch the same days.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pipelines.core.store import Store

ROOT = Path(__file__).resolve().parents[2]
HEADER = "日期,统一社会信用代码,企业名称,在岗人数,居家办公人数,重点地区返沪人数,境外返沪人数,居家观察人数,体温异常人数"


def returns_csv(companies: list[tuple[str, str, int]], day: dt.date, writer: int, batch: int) -> bytes:
    """One day's returns of these (code, name, employees): on site at most half the staff, varying by writer
    and batch."""
    out = io.StringIO()
    out.write(HEADER + "\n")
    for i, (code, name, employees) in enumerate(companies):
        half = max(employees // 2, 1)
        on_site = (i + writer * 7 + batch * 3) % half
        out.write(f"{day.isoformat()},{code},{name},{on_site},0,0,0,0,0\n")
    return out.getvalue().encode("utf-8")


@dataclass(frozen=True)
class WriterResult:
    writer: int
    batch_ids: list[int]
    seconds: float
    errors: list[str]


def write_batches(address: str, lake_data: str | None, writer: int, batches: int, days: int = 3,
                  start: dt.date | None = None) -> WriterResult:
    """One writer: `batches` commits, each a day of returns (cycling over `days` days after the data's last)."""
    from pipelines.batches.commit import commit_upload
    from pipelines.core.errors import UserError
    from pipelines.ingest.read import read_upload

    store = Store(address, lake_data=lake_data)
    try:
        cur = store.cursor()
        companies = [(c, n or "企业", int(e or 0)) for c, n, e in cur.execute(
            "select credit_code, company_name, employees from companies order by credit_code").fetchall()]
        last = start or cur.execute("select max(report_date) from daily_returns").fetchall()[0][0]
        cur.close()
        ids, errors = [], []
        started = time.perf_counter()
        for b in range(batches):
            day = last + dt.timedelta(days=1 + b % days)
            upload = read_upload(f"返岗日报_w{writer}_b{b}.csv", returns_csv(companies, day, writer, b))
            try:
                ids.append(commit_upload(store, upload, f"writer{writer}", confirm_warnings=True))
            except UserError as exc:
                errors.append(str(exc))
        return WriterResult(writer, ids, time.perf_counter() - started, errors)
    finally:
        store.close()


def run_writers(address: str, lake_data: str | None, writers: int, batches: int, days: int = 3
                ) -> list[WriterResult]:
    """`writers` separate processes (as separate app servers would be) committing at the same time.
    Plain subprocesses, so that a daemonic process (a benchmark group) can start them too."""
    procs = [subprocess.Popen([sys.executable, "-m", "pipelines.lake.writers", address, lake_data or "", str(w),
                               str(batches), str(days)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for w in range(writers)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=3600)
        if proc.returncode != 0:
            raise RuntimeError(f"writer failed: {err[-2000:]}")
        results.append(WriterResult(**json.loads(out.strip().splitlines()[-1])))
    return results


def consistency_problems(store: Store) -> list[str]:
    """What is wrong with the derived state after concurrent writes: ids that repeat, current-state tables
    unequal to a rebuild from the raw rows, daily sums unequal to a recomputation, grades unequal to a full
    regrade (done in a dry run: nothing written)."""
    from pipelines.core.contract import SHEETS
    from pipelines.core.store import latest_rows_sql, read_sql
    from pipelines.grading import grade

    problems: list[str] = []
    cur = store.cursor()

    def differs(left: str, right: str, params: dict | None = None) -> int:
        return sum(int(cur.execute(f"select count(*) from (select * from ({a}) except all select * from ({b}))",
                                   params or {}).fetchall()[0][0]) for a, b in ((left, right), (right, left)))

    try:
        for table, key in (("batches", "batch_id"), ("audit", "audit_id"),
                           ("building_grades", "day, building_id"), ("building_factors", "day, building_id, factor")):
            dup = cur.execute(f"select count(*) from (select {key} from {table} group by all having count(*) > 1)"
                              ).fetchall()[0][0]
            if dup:
                problems.append(f"{table}: {dup} keys appear more than once")
        for spec in SHEETS:
            if n := differs(f"select * from latest_{spec.kind}", latest_rows_sql(spec)):
                problems.append(f"latest_{spec.kind}: {n} rows differ from a rebuild")
        rebuilt = read_sql("derived/returns_by_building.sql")
        if n := differs("select * from returns_by_building", rebuilt, {"days": None}):
            problems.append(f"returns_by_building: {n} rows differ from a recomputation")
        stored = "select day, building_id, score, computed_grade from building_grades"
        before = cur.execute(f"select * from ({stored}) order by day, building_id").fetchall()
    finally:
        cur.close()
    with store.dry_run() as tx:
        grade.regrade(tx, None)
        after = tx.execute(f"select * from ({stored}) order by day, building_id").fetchall()
    if [(d, b, round(s, 9), g) for d, b, s, g in before] != [(d, b, round(s, 9), g) for d, b, s, g in after]:
        problems.append("building_grades differ from a full regrade")
    return problems


if __name__ == "__main__":
    _address, _data, _writer, _batches, _days = sys.argv[1:6]
    _result = write_batches(_address, _data or None, int(_writer), int(_batches), int(_days))
    print(json.dumps(dataclasses.asdict(_result), ensure_ascii=False))
