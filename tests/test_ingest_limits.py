"""Limits: what would exhaust the machine is refused before it is read, with a message that says why."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import xlsxwriter
from upload_helpers import xlsx_bytes

from pipelines.core.errors import UserError
from pipelines.ingest import read
from pipelines.ingest.read import Limits, read_upload

HEADER = ["楼宇编号", "楼宇名称", "所属街道", "经度", "纬度", "建筑面积"]
ROW = ["JSL-001", "大厦", "江苏路街道", 121.43, 31.22, 1000]
ZEROS = bytes(1 << 20)


@pytest.fixture
def no_excel_reader(monkeypatch):
    """Refusing cheaply means the workbook reader is never reached."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("fastexcel was asked to read a file that should have been refused")

    monkeypatch.setattr(read.fastexcel, "read_excel", refuse)


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """The peak of Python allocations inside the block (appended to the yielded list on exit)."""
    result: list[int] = []
    tracemalloc.start()
    try:
        yield result
    finally:
        result.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


def _with_extra_part(content: bytes, name: str, megabytes: int) -> bytes:
    """A copy of an xlsx with one more part: `megabytes` of zeros, deflated (about 1 KB per MB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(info, "w", force_zip64=True) as part:
            for _ in range(megabytes):
                part.write(ZEROS)
    return out.getvalue()


def _understate(content: bytes, name: str, declared: int) -> bytes:
    """Rewrite the zip's local and central headers of one part to declare `declared` bytes unpacked."""
    data = bytearray(content)
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(name)
    crc = zlib.crc32(bytes(declared))
    struct.pack_into("<II", data, info.header_offset + 14, crc, info.compress_size)  # local: crc, sizes
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46:pos + 46 + name_len]) == name.encode():
            struct.pack_into("<III", data, pos + 16, crc, info.compress_size, declared)
        pos = data.find(b"PK\x01\x02", pos + 4)
    return bytes(data)


def test_zip_bomb_is_refused_from_the_zip_directory(no_excel_reader):
    bomb = _with_extra_part(xlsx_bytes({"楼宇": [HEADER, ROW]}), "xl/media/image1.bin", 64)
    assert len(bomb) < 100_000  # 64 MB of zeros packs into about 70 KB
    with peak_memory() as peak, pytest.raises(UserError, match=r"解压后有 67 MB（压缩比 \d{3,}），超过上限，已拒绝"):
        read_upload("bomb.xlsx", bomb)
    assert peak[0] < 5 * len(bomb)  # never unpacked: memory stays the size of the file


def test_zip_part_that_unpacks_to_more_than_declared_is_refused_early(no_excel_reader):
    # Passes the directory check (it declares 1 KB) and is then caught while streaming, after ~1 MB of output.
    honest = _with_extra_part(xlsx_bytes({"楼宇": [HEADER, ROW]}), "xl/media/image1.bin", 32)
    liar = _understate(honest, "xl/media/image1.bin", 1024)
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(liar)).infolist()) < 20_000
    with peak_memory() as peak, pytest.raises(UserError, match="解压后的大小与文件中声明的不符"):
        read_upload("liar.xlsx", liar)
    assert peak[0] < 5 * len(liar) + 4 * (1 << 20)


def test_one_far_away_cell_is_refused_before_the_sheet_is_loaded(no_excel_reader):
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = wb.add_worksheet("楼宇")
    ws.write_row(0, 0, HEADER)
    ws.write(1_048_575, 16_383, "x")  # XFD1048576: a 17-billion-cell range in a 6 KB file
    wb.close()
    with pytest.raises(UserError, match=r"工作表“楼宇”有 1048576 行 × 16384 列，超过上限"):
        read_upload("far.xlsx", buffer.getvalue())


def test_too_many_columns_rows_sheets_and_bytes():
    wide = xlsx_bytes({"宽表": [[f"列{i}" for i in range(201)]]})
    with pytest.raises(UserError, match="× 201 列，超过上限"):
        read_upload("wide.xlsx", wide)
    csv = ("楼宇编号,楼宇名称,所属街道\n" + "JSL-001,大厦,江苏路街道\n" * 20).encode()
    with pytest.raises(UserError, match="有 21 行 × 3 列，超过上限（10 行"):
        read_upload("long.csv", csv, Limits(max_rows=10))
    three = xlsx_bytes({"一": [["a"]], "二": [["b"]], "三": [["c"]]})
    with pytest.raises(UserError, match="有 3 个工作表，超过上限 2 个"):
        read_upload("sheets.xlsx", three, Limits(max_sheets=2))
    with pytest.raises(UserError, match=r"文件 big.csv 有 0.0 MB，超过上限"):
        read_upload("big.csv", csv, Limits(max_file_bytes=100))


def test_files_that_are_not_xlsx_say_what_they_are():
    with pytest.raises(UserError, match="旧版 Excel 文件或设置了打开密码"):
        read_upload("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    good = xlsx_bytes({"楼宇": [HEADER, ROW]})
    with pytest.raises(UserError, match="不是有效的 .xlsx 文件"):
        read_upload("cut.xlsx", good[: len(good) // 2])
    with pytest.raises(UserError, match="请上传 .xlsx、.xls 或 .csv 文件"):
        read_upload("photo.jpg", b"\xff\xd8")
