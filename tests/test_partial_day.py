"""A day that only a few companies have reported is not the as-of day yet, and the upload says so."""

from __future__ import annotations

import datetime as dt

from upload_helpers import copy_db, xlsx_bytes

from pipelines.batches.commit import check_upload, commit_upload
from pipelines.core.store import Store
from pipelines.grading import grade
from pipelines.ingest.read import read_upload
from pipelines.situation import metrics

TODAY = dt.date(2020, 12, 31)


def _returns(day: dt.date, codes: list[str]) -> bytes:
    return xlsx_bytes({"返岗日报": [["日期", "统一社会信用代码", "在岗人数"]] + [[day.isoformat(), c, 0] for c in codes]})


def test_a_partial_day_warns_and_waits_until_half_the_companies_reported(sample_db, tmp_path):
    store = Store(copy_db(sample_db, tmp_path))
    cur = store.cursor()
    codes = [c for (c,) in cur.execute("select credit_code from companies order by 1").fetchall()]
    as_of = metrics.latest_day(cur)
    graded = grade.latest_graded_day(cur)
    new_day = as_of + dt.timedelta(days=1)

    first = read_upload("早报.xlsx", _returns(new_day, codes[:1]))
    findings = check_upload(store, first, TODAY).findings
    assert findings[["sheet", "row", "column", "value", "rule", "severity"]].values.tolist() == [
        ["返岗日报", 2, "日期", new_day.isoformat(), "partial_day", "warning"]]
    assert f"只有 1/{len(codes)} 家企业报送" in findings["message"][0]
    commit_upload(store, first, "analyst", confirm_warnings=True, today=TODAY)
    assert metrics.latest_day(cur) == as_of  # still the last complete day
    assert grade.latest_graded_day(cur) == graded

    half = len(codes) // 2 + 1
    rest = read_upload("补报.xlsx", _returns(new_day, codes[1:half]))
    assert check_upload(store, rest, TODAY).findings.empty  # with these, more than half have reported
    commit_upload(store, rest, "analyst", today=TODAY)
    assert metrics.latest_day(cur) == new_day
    assert grade.latest_graded_day(cur) == new_day
    store.close()
