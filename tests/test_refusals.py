"""Bad input is refused cheaply: each refusal runs in a child interpreter that builds the file itself, reads it
the way an upload is read, and reports its peak memory (VmHWM) and time. The memory bound is asserted
(300 MB for the whole interpreter, libraries included); the time is printed and kept in docs/NOTES.md
(speed goals belong in the benchmark, never in a timed assert).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
PEAK_MB = 300

CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
from pipelines.core.errors import UserError
from pipelines.ingest.read import read_upload
name = {name!r}
{build}
def high_water_kb():
    # VmHWM belongs to this process's own address space; ru_maxrss would start at the forking parent's
    # peak (Linux keeps it across fork and exec), which under pytest is the whole suite's
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
before = high_water_kb()
start = time.perf_counter()
try:
    read_upload(name, content)
    message = None
except UserError as exc:
    message = exc.message
elapsed = time.perf_counter() - start
peak = high_water_kb()
print(json.dumps({{"message": message, "seconds": elapsed, "peak_mb": peak / 1024, "before_mb": before / 1024,
                   "size_mb": len(content) / 1e6}}))
"""

WIDE_XLSX = """
import io, xlsxwriter
buffer = io.BytesIO()
book = xlsxwriter.Workbook(buffer, {"in_memory": True})
book.add_worksheet("宽表").write_row(0, 0, [f"列{i}" for i in range(5000)])
book.close()
content = buffer.getvalue()
"""

CASES = {
    # a header of 25 million one-letter columns: 50 MB, the upload limit (it used to abort with std::bad_alloc)
    "csv_25m_columns": ("宽表.csv", 'content = b"a," * 25_000_000', "有 25000001 列，超过上限 200 列，已拒绝"),
    # a million named columns, in GBK as Chinese Excel writes CSV
    "csv_1m_columns_gbk": ("宽表.csv", 'content = ",".join(f"列{i}" for i in range(1_000_000)).encode("gbk")',
                           "有 1000000 列，超过上限 200 列，已拒绝"),
    # a narrow header, then one row of a million fields further down
    "csv_wide_row_below": ("宽行.csv", 'content = "楼宇编号,楼宇名称\\n".encode() + b"x," * 1_000_000',
                           "第2行有 1000001 列，超过上限"),
    "xlsx_5000_columns": ("宽表.xlsx", WIDE_XLSX, "× 5000 列，超过上限"),
    "wps_et": ("台账.et", 'content = b"\\xd0\\xcf\\x11\\xe0\\xa1\\xb1\\x1a\\xe1" + bytes(4096)', "WPS 表格"),
}


def run_child(name: str, build: str) -> dict:
    code = CHILD.format(root=str(ROOT), name=name, build=build)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", list(CASES))
def test_refusal_is_cheap(case):
    name, build, message = CASES[case]
    result = run_child(name, build)
    print(f"{case}: {result['size_mb']:.1f} MB refused in {result['seconds']:.2f} s, "
          f"peak {result['peak_mb']:.0f} MB (imports {result['before_mb']:.0f} MB)")
    assert result["message"] is not None and message in result["message"]
    assert result["peak_mb"] < PEAK_MB
