"""Helpers for the upload-flow tests: workbooks written by the test, private copies of the sample database."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import xlsxwriter


def xlsx_bytes(sheets: dict[str, list[list]], hidden: tuple[str, ...] = ()) -> bytes:
    """A workbook with these sheets, each a list of rows written from A1 (None leaves a cell empty)."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
        if name in hidden:
            ws.hide()
    wb.close()
    return buffer.getvalue()


def copy_db(source: Path, target_dir: Path) -> Path:
    """A private copy of a database file (and its WAL, if the source is open somewhere) to write into."""
    target = target_dir / "work.duckdb"
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return target
