"""The upload page with files as offices write them (issue 12): an .xls register shows how each cell was read,
a WPS .et file is refused with what to do, and a refused file leaves no parsed data in the session."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from auth_support import page_as
from office_books import write_xls
from test_office_sheets import REGISTER_BUILDINGS, REGISTER_COMPANIES
from upload_helpers import copy_db
from workbooks import Sheet

from pipelines.core.errors import Refusal, UserError
from pipelines.core.store import open_store

ROOT = Path(__file__).resolve().parent.parent
XLS = "application/vnd.ms-excel"


@pytest.fixture
def db(sample_db, tmp_path, monkeypatch):
    path = copy_db(sample_db, tmp_path)
    monkeypatch.setenv("FUGONG_DB", str(path))
    return path


def test_xls_register_shows_each_reading_and_commits(db, tmp_path):
    path = write_xls(tmp_path / "台账.xls", [Sheet("楼宇", REGISTER_BUILDINGS), Sheet("企业", REGISTER_COMPANIES)])
    at = page_as("app_pages/upload.py", "analyst").run()
    at.file_uploader[0].set_value([("台账.xls", path.read_bytes(), XLS)])
    at.run()
    assert not at.exception, at.exception
    assert [s.label for s in at.status] == ["处理完成：1 个文件，错误 0 个，警告 6 个"]
    assert any("已按其他写法理解 34" in m.value for m in at.markdown)
    findings = next(d.value for d in at.dataframe if "说明" in d.value.columns)
    read = findings[findings["级别"] == "已理解"]
    assert len(read) == 34
    assert "D2的“18F”已按“第18层”理解" in read["说明"].tolist()
    at.checkbox(key="confirm_warnings").check().run()
    at.button(key="commit").click().run()
    assert not at.exception, at.exception
    cur = open_store(db).cursor()
    assert cur.execute("select floor, floor_text, industry from companies where floor_text = '十八层'").fetchall() == [
        (18, "十八层", "教育")]


def test_wps_et_is_refused_on_the_page(db):
    at = page_as("app_pages/upload.py", "analyst").run()
    at.file_uploader[0].set_value([("台账.et", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "application/octet-stream")])
    at.run()
    assert "台账.et 是 WPS 表格（.et）文件，无法直接读取" in at.error[0].value
    assert "另存为”Excel 工作簿（.xlsx）" in at.error[0].value


def test_refusal_keeps_words_only():
    try:
        raise UserError("有 3 行", "请拆分")
    except UserError as exc:
        refusal = Refusal.of("x.csv", exc)
    assert refusal == Refusal("x.csv", "有 3 行", "请拆分")
    assert refusal.error().__traceback__ is None and str(refusal.error()) == "有 3 行；请拆分"


HOLD = r"""
import gc, json, sys, tracemalloc
import pyarrow as pa
sys.path.insert(0, {root!r})
from pipelines.core.errors import Refusal, UserError
from pipelines.ingest.read import Limits, read_upload

def held_mb():
    # what stays allocated, not what the allocator keeps for later: Arrow's pool and Python's objects
    return (pa.total_allocated_bytes() + tracemalloc.get_traced_memory()[0]) / 2**20

tracemalloc.start()

kept = []
gc.collect()
before = held_mb()
for n in range(3):
    # 200,000 rows parsed, then refused for having more than 1,000: the refusal comes after the parse
    content = "".join(f"JSL-{{n}}-{{i:06d}},大厦{{i}},江苏路街道,121.43,31.22,{{i}}\n" for i in range(200_000)).encode()
    try:
        read_upload(f"长表{{n}}.csv", content, Limits(max_rows=1_000))
    except UserError as exc:
        kept.append(exc if {mode!r} == "exception" else Refusal.of(f"长表{{n}}.csv", exc))
    del content
gc.collect()
print(json.dumps({{"held_mb": held_mb() - before, "refused": len(kept)}}))
"""


def _held(mode: str) -> dict:
    code = HOLD.format(root=str(ROOT), mode=mode)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_refused_uploads_keep_no_parsed_data_alive():
    """Three refused 200,000-row files: kept as exceptions (as the page once did) their tracebacks hold every
    parsed table; kept as Refusal (as the page does) nothing of them stays."""
    as_exceptions, as_refusals = _held("exception"), _held("refusal")
    print(f"held after 3 refusals: exceptions {as_exceptions['held_mb']:.0f} MB, "
          f"Refusal {as_refusals['held_mb']:.0f} MB")
    assert as_exceptions["refused"] == as_refusals["refused"] == 3
    assert as_exceptions["held_mb"] > 50  # the measurement can tell: what the page used to keep
    assert as_refusals["held_mb"] < 1
