"""The store: batches, the same file twice, rollback that deletes nothing, all-or-nothing commits, the lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from workbooks import (
    BUILDING_HEADER,
    C1,
    C2,
    COMPANY_HEADER,
    RETURN_HEADER,
    Sheet,
    bad_check_char,
    building_row,
    check_file,
    commit_file,
    company_row,
    directory_sheets,
    findings_rows,
    read_file,
    return_row,
    write_xlsx,
)

from pipelines.batches.commit import check_upload, rollback_batch
from pipelines.core import hooks
from pipelines.core.contract import SHEETS
from pipelines.core.errors import RejectedUpload, StaleState, UserError
from pipelines.core.store import open_store

ROOT = Path(__file__).resolve().parent.parent
RAW_TABLES = [f"raw_{spec.kind}" for spec in SHEETS]


def raw_counts(store) -> dict[str, int]:
    cur = store.cursor()
    return {t: cur.execute(f"select count(*) from {t}").fetchall()[0][0] for t in RAW_TABLES}


def scalar(store, sql: str, params: list | None = None):
    return store.cursor().execute(sql, params or []).fetchall()[0][0]


def audit_rows(store) -> list[tuple]:
    return store.cursor().execute(
        "select actor, action, target, before, after from audit order by audit_id").fetchall()


def kept_files(store) -> list[str]:
    return sorted(p.name for p in store.raw_dir.iterdir()) if store.raw_dir.exists() else []


def directory_file(tmp_path, name="名录.xlsx", employees=100):
    return write_xlsx(tmp_path / name, directory_sheets(
        [building_row("T-001")], [company_row(C1, employees=employees), company_row(C2, employees=50)]))


# -- the same file twice ------------------------------------------------------------------------------

@pytest.mark.both_backends
def test_the_same_file_twice_is_recognised(store, tmp_path):
    path = directory_file(tmp_path)
    assert commit_file(store, path) == 1
    upload = read_file(path)
    again = check_upload(store, upload)
    assert (again.duplicate_of, again.blocked, again.errors) == (1, True, 0)
    with pytest.raises(UserError) as refused:
        commit_file(store, path)
    assert str(refused.value) == "这个文件已经上传过（批次 1，名录.xlsx），未重复入库"
    # Recognised by content, not by name.
    renamed = tmp_path / "名录(1).xlsx"
    renamed.write_bytes(path.read_bytes())
    with pytest.raises(UserError, match="已经上传过（批次 1，名录.xlsx）"):
        commit_file(store, renamed)
    assert scalar(store, "select count(*) from batches") == 1
    assert raw_counts(store)["raw_companies"] == 2
    # The raw file is kept once, byte for byte, named by its hash.
    assert kept_files(store) == [f"{upload.sha256}.xlsx"]
    assert (store.raw_dir / f"{upload.sha256}.xlsx").read_bytes() == path.read_bytes()
    assert scalar(store, "select stored_as from batches") == f"{upload.sha256}.xlsx"


# -- rollback -------------------------------------------------------------------------------------------

@pytest.mark.both_backends
def test_rollback_restores_the_previous_state_and_deletes_nothing(store, tmp_path):
    v1 = write_xlsx(tmp_path / "v1.xlsx", directory_sheets(
        [building_row("T-001")], [company_row(C1, employees=100), company_row(C2, employees=50)],
    ) + [Sheet("返岗日报", [RETURN_HEADER, return_row("2020-02-17", C1, on_site=10)])])
    v2 = write_xlsx(tmp_path / "v2.xlsx", [
        Sheet("企业名录", [COMPANY_HEADER, company_row(C1, employees=120)]),
        Sheet("返岗日报", [RETURN_HEADER, return_row("2020-02-17", C1, on_site=30)]),
    ])
    cur = store.cursor()

    def state():
        return (cur.execute("select credit_code, employees from companies order by 1").fetchall(),
                cur.execute("select report_date::varchar, credit_code, on_site from daily_returns").fetchall())

    assert commit_file(store, v1, actor="分析员甲") == 1
    before = state()
    assert before == ([(C1, 100), (C2, 50)], [("2020-02-17", C1, 10)])
    assert commit_file(store, v2, actor="分析员乙") == 2
    assert state() == ([(C1, 120), (C2, 50)], [("2020-02-17", C1, 30)])
    counts = raw_counts(store)
    assert counts == {"raw_buildings": 1, "raw_companies": 3, "raw_daily_returns": 2, "raw_checks": 0,
                      "raw_requests": 0, "raw_epidemic": 0, "raw_work_progress": 0, "raw_key_points": 0}
    version = store.data_version()

    tagged = cur.execute("select batch_id, sheet, row_no, credit_code, employees from raw_companies "
                         "order by batch_id, row_no").fetchall()
    assert tagged == [(1, "企业名录", 2, C1, 100), (1, "企业名录", 3, C2, 50), (2, "企业名录", 2, C1, 120)]

    rollback_batch(store, 2, "组长")
    assert state() == before
    assert raw_counts(store) == counts  # nothing deleted
    assert cur.execute("select batch_id, sheet, row_no, credit_code, employees from raw_companies "
                       "order by batch_id, row_no").fetchall() == tagged
    assert store.data_version() == version + 1
    assert cur.execute("select batch_id, status, reverted_by from batches order by 1").fetchall() == [
        (1, "committed", None), (2, "reverted", "组长")]
    assert len(kept_files(store)) == 2  # both raw files stay

    with pytest.raises(UserError) as twice:
        rollback_batch(store, 2, "组长")
    assert str(twice.value) == "批次 2（v2.xlsx）已经撤销过"
    with pytest.raises(UserError) as missing:
        rollback_batch(store, 99, "组长")
    assert str(missing.value) == "批次 99 不存在；用 python -m pipelines status 查看批次列表"
    assert store.data_version() == version + 1  # refused rollbacks write nothing

    # A reverted file may be uploaded again: it is a new batch, and the state follows it.
    assert check_upload(store, read_file(v2)).duplicate_of is None
    assert commit_file(store, v2, actor="分析员乙") == 3
    assert state() == ([(C1, 120), (C2, 50)], [("2020-02-17", C1, 30)])
    rollback_batch(store, 1, "组长")
    assert state() == ([(C1, 120)], [("2020-02-17", C1, 30)])
    assert raw_counts(store) == {**counts, "raw_companies": 4, "raw_daily_returns": 3}


@pytest.mark.both_backends
def test_every_commit_and_rollback_is_audited(store, tmp_path):
    path = directory_file(tmp_path)
    upload = read_file(path)
    assert store.data_version() == 0
    commit_file(store, path, actor="分析员甲")
    rollback_batch(store, 1, "组长")
    rows = audit_rows(store)
    assert [(actor, action, target, before) for actor, action, target, before, _ in rows] == [
        ("分析员甲", "batch.commit", "1", None),
        ("组长", "batch.rollback", "1", json.dumps({"status": "committed", "file": "名录.xlsx"}, ensure_ascii=False)),
    ]
    assert json.loads(rows[0][4]) == {"file": "名录.xlsx", "sha256": upload.sha256,
                                      "rows": {"buildings": 1, "companies": 2}}
    assert json.loads(rows[1][4]) == {"status": "reverted"}
    assert store.data_version() == 2
    batch = store.batches().iloc[0]
    assert (batch["file_name"], batch["uploaded_by"], batch["status"], batch["reverted_by"]) == (
        "名录.xlsx", "分析员甲", "reverted", "组长")
    assert json.loads(batch["sheets"]) == {"buildings": {"rows": 1, "sheets": ["楼宇名录"]},
                                           "companies": {"rows": 2, "sheets": ["企业名录"]}}


# -- all or nothing -------------------------------------------------------------------------------------

def assert_nothing_stored(store, refused: str | None = None) -> None:
    """No batch, no rows, no kept file, the data version untouched; the audit holds at most the refusal itself
    (who tried which file: issue 13), which is not a data write."""
    assert scalar(store, "select count(*) from batches") == 0
    assert raw_counts(store) == dict.fromkeys(RAW_TABLES, 0)
    assert [(action, target) for _, action, target, _, _ in audit_rows(store)] == (
        [("upload.rejected", refused)] if refused else [])
    assert store.data_version() == 0
    assert kept_files(store) == []


@pytest.mark.both_backends
def test_a_rejected_upload_stores_nothing(store, tmp_path):
    path = write_xlsx(tmp_path / "坏.xlsx", [
        Sheet("楼宇名录", [BUILDING_HEADER, building_row("T-001"), building_row("T-002", lon=31.22, lat=121.43)]),
        Sheet("企业名录", [COMPANY_HEADER, company_row(C1), company_row(bad_check_char(C2))]),
    ])
    expected = check_file(store, path)
    assert [r[4] for r in expected] == ["credit_code", "swapped_coordinates"]
    with pytest.raises(RejectedUpload) as rejected:
        commit_file(store, path, confirm_warnings=True)
    assert str(rejected.value) == "坏.xlsx 有 2 个错误，未入库；请按问题清单逐条修改后重新上传"
    assert findings_rows(rejected.value.findings) == expected
    assert_nothing_stored(store, refused="坏.xlsx")


@pytest.mark.both_backends
def test_unconfirmed_warnings_store_nothing(store, tmp_path):
    path = write_xlsx(tmp_path / "警告.xlsx", [Sheet("楼宇名录", [[*BUILDING_HEADER, "备注"], building_row()])])
    with pytest.raises(UserError, match="有 1 个警告"):
        commit_file(store, path)
    assert_nothing_stored(store)


@pytest.mark.both_backends
def test_a_failure_during_the_commit_leaves_no_trace(store, tmp_path, monkeypatch):
    """Something fails after the rows are written (a derived table, say): the whole batch goes."""

    def broken_hook(cur, days):
        raise RuntimeError("grading failed")

    monkeypatch.setattr(hooks, "DERIVED_MODULES", ())
    monkeypatch.setattr(hooks, "AFTER_WRITE", [(0, broken_hook)])
    path = directory_file(tmp_path)
    with pytest.raises(RuntimeError, match="grading failed"):
        commit_file(store, path)
    assert_nothing_stored(store)
    monkeypatch.setattr(hooks, "AFTER_WRITE", [])
    batch_id = commit_file(store, path)  # and the same file can then be committed (ids may skip one)
    assert store.cursor().execute("select batch_id, status from batches").fetchall() == [(batch_id, "committed")]
    assert kept_files(store) == [f"{read_file(path).sha256}.xlsx"]


@pytest.mark.both_backends
def test_a_stale_preview_is_refused(store, tmp_path):
    first, second = directory_file(tmp_path, "a.xlsx"), directory_file(tmp_path, "b.xlsx", employees=80)
    preview = check_upload(store, read_file(second))
    commit_file(store, first)
    with pytest.raises(StaleState):
        commit_file(store, second, expected_version=preview.data_version)
    assert scalar(store, "select count(*) from batches") == 1
    assert commit_file(store, second, expected_version=store.data_version()) == 2


def test_one_store_per_process_and_file(tmp_path):
    a = open_store(tmp_path / "x.duckdb")
    assert open_store(str(tmp_path / "." / "x.duckdb")) is a
    a.close()


# -- the lock ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["status"], ["ingest", "{file}"], ["rollback", "1"]])
def test_a_second_process_meets_the_lock_with_a_clear_message(store, tmp_path, command):
    path = directory_file(tmp_path)
    commit_file(store, path)  # this test process holds the file read-write
    args = [a.replace("{file}", str(path)) for a in command]
    done = subprocess.run([sys.executable, "-m", "pipelines", "--db", str(store.path), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"错误：数据库 test.duckdb 正被另一个程序占用（进程 {os.getpid()}），通常是正在运行的控制台；"
        "请在控制台的“数据上传”页操作，或先停止控制台（Ctrl+C）后再运行命令\n")
    assert scalar(store, "select count(*) from batches") == 1
