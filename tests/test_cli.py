"""The CLI as an analyst runs it: python -m pipelines in a real process on a real database file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from workbooks import (
    BUILDING_HEADER,
    C1,
    C2,
    C3,
    Sheet,
    bad_check_char,
    building_row,
    company_row,
    directory_sheets,
    write_xlsx,
)

from pipelines.core.store import Store

pytestmark = pytest.mark.slow  # the CLI in child processes

ROOT = Path(__file__).resolve().parent.parent


def cli(db: Path, *args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines", "--db", str(db), *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def snapshot(db: Path) -> tuple[int, int, int]:
    """data_version, batches, stored rows: what an ingest may not change when it refuses."""
    store = Store(db, read_only=True)
    try:
        cur = store.cursor()
        batches = cur.execute("select count(*) from batches").fetchall()[0][0]
        rows = cur.execute("select (select count(*) from raw_buildings) + (select count(*) from raw_companies)") \
            .fetchall()[0][0]
        return store.data_version(cur), batches, rows
    finally:
        store.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    return {
        "good": write_xlsx(d / "名录.xlsx", directory_sheets([building_row("T-001")],
                                                           [company_row(C1), company_row(C2)])),
        "broken": write_xlsx(d / "broken.xlsx", directory_sheets(
            [building_row("T-002", lon=31.22, lat=121.43)],
            [company_row(bad_check_char(C3), "T-404"), ["合计"]])),
        "warned": write_xlsx(d / "warned.xlsx", [Sheet("楼宇名录", [[*BUILDING_HEADER, "备注"], building_row("T-003")])]),
    }


def test_ingest_of_a_broken_workbook_prints_chinese_findings_and_changes_nothing(tmp_path, files):
    db = tmp_path / "cli.duckdb"
    first = cli(db, "ingest", files["good"])
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout == ("名录.xlsx: {'buildings': 1, 'companies': 2}，错误 0 个，警告 0 个，已按其他写法理解 0 处\n"
                            "  已入库：批次 1\n")
    before = snapshot(db)
    assert before == (1, 1, 3)

    done = cli(db, "ingest", files["broken"])
    assert done.returncode == 1
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0] == "broken.xlsx: {'buildings': 1, 'companies': 1}，错误 3 个，警告 1 个，已按其他写法理解 0 处"
    assert lines[1].split() == ["工作表", "行", "列", "值", "规则", "说明", "级别"]
    assert [line.split() for line in lines[2:6]] == [
        ["企业名录", "2", "楼宇编号", "T-404", "unknown_building",
         "C2的楼宇编号“T-404”不在楼宇名录中（本次上传和已入库的都没有）：请先上传该楼宇，或核对编号", "错误"],
        ["企业名录", "2", "统一社会信用代码", bad_check_char(C3), "credit_code",
         f"A2的“{bad_check_char(C3)}”不是有效的统一社会信用代码（应为18位，末位校验码须符合GB", "32100-2015）：请核对", "错误"],
        ["楼宇名录", "2", "经度", "31.22", "swapped_coordinates",
         "E2：经纬度(31.22,", "121.43)像是填反了（经度约121，纬度约31）：请交换两列", "错误"],
        ["企业名录", "3", "total_row", "第3行是合计行，已跳过（合计由系统计算）", "警告"],
    ]
    assert lines[6:] == ["  有错误，未入库：请按上表修改后重新导入"]
    assert snapshot(db) == before


def test_ingest_warnings_check_only_and_duplicates(tmp_path, files):
    db = tmp_path / "cli.duckdb"
    warned = cli(db, "ingest", files["warned"])
    assert warned.returncode == 1
    assert warned.stdout.splitlines()[-1] == "  有警告，未入库：核对后加 --accept-warnings 再次导入"
    checked = cli(db, "ingest", "--check-only", files["good"])
    assert checked.returncode == 0
    assert "已入库" not in checked.stdout
    assert snapshot(db) == (0, 0, 0)
    accepted = cli(db, "ingest", "--accept-warnings", "--user", "分析员甲", files["warned"], files["good"])
    assert accepted.returncode == 0
    assert [line for line in accepted.stdout.splitlines() if "已入库" in line] == ["  已入库：批次 1", "  已入库：批次 2"]
    again = cli(db, "ingest", files["good"])
    assert again.returncode == 0
    assert again.stdout.splitlines()[-1] == "  这个文件已经上传过（批次 2），未重复入库"
    assert snapshot(db) == (2, 2, 4)


def test_status_and_rollback(tmp_path, files):
    db = tmp_path / "cli.duckdb"
    missing = cli(db, "status")
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == f"错误：数据库文件不存在：{db}；请先运行 python -m pipelines init 或 make run\n"
    assert cli(db, "init").stdout == f"数据库已就绪：{db}\n"
    assert cli(db, "status").stdout == "还没有批次\n"
    assert cli(db, "ingest", "--user", "分析员甲", files["good"]).returncode == 0

    status = cli(db, "status")
    assert status.returncode == 0
    lines = status.stdout.splitlines()
    assert lines[0].split() == ["batch_id", "file_name", "uploaded_by", "uploaded_at", "status", "sheets"]
    assert lines[1].split()[:3] == ["1", "名录.xlsx", "分析员甲"]
    assert lines[1].split()[5] == "committed"

    rolled = cli(db, "rollback", "1", "--user", "组长")
    assert (rolled.returncode, rolled.stdout, rolled.stderr) == (0, "批次 1 已撤销（数据保留，可追溯）\n", "")
    assert cli(db, "status").stdout.splitlines()[1].split()[5] == "reverted"
    assert snapshot(db) == (2, 1, 3)  # a new audit row; the rows stay

    twice = cli(db, "rollback", "1")
    assert (twice.returncode, twice.stderr) == (2, "错误：批次 1（名录.xlsx）已经撤销过\n")


def test_ingest_of_a_missing_file_is_a_message_not_a_traceback(tmp_path):
    db = tmp_path / "cli.duckdb"
    done = cli(db, "ingest", tmp_path / "没有这个文件.xlsx")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"错误：找不到文件：{tmp_path / '没有这个文件.xlsx'}；请检查路径和文件名\n"
    assert not db.exists()  # nothing created either
