"""Layout that offices give a sheet, read before its cells are typed: merged cells over the data, the year in a
title row, formulas Excel never calculated, and CSV files too wide to be a table.

Everything here works per sheet or per merged range, never per cell: the cells themselves are typed in
the staging SQL (sql/normalise.sql).
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa

from pipelines.core.errors import UserError
from pipelines.ingest.findings import Finding, column_letter
from pipelines.ingest.sheet_xml import Merge

_TITLE_YEAR = re.compile(r"((?:19|20)[0-9]{2})\s*年")
CSV_SNIFF_BYTES = 1 << 20


def title_year(rows: list[list[str | None]]) -> int | None:
    """The year a title row names (…（2020年3月）, 填报日期：2020年2月21日): the year of dates written without one.

    `rows` are the rows above the header; the first year found wins, and none when two title rows disagree.
    """
    years = {int(m.group(1)) for row in rows for cell in row if cell for m in _TITLE_YEAR.finditer(cell)}
    return years.pop() if len(years) == 1 else None


def fill_merges(sheet: str, columns: list[pa.Array], first_row: int, first_col: int, data_row: int,
                merges: set[Merge], fields: dict[int, str], findings: list[Finding]) -> list[pa.Array]:
    """Fill each range merged down over data rows (a 楼宇编号 merged over its companies) with its value.

    `fields` maps the grid columns read as data to their labels; `data_row` is the first data row (1-based).
    Excel keeps the value in the range's first cell only, so every row of the range takes that cell's
    value. One info finding per range says so. Ranges in the title or header rows are left alone.
    """
    if not merges:
        return columns
    height = len(columns[0]) if columns else 0
    out = list(columns)
    for merge in sorted(merges, key=lambda m: (m.first_col, m.first_row)):
        if merge.last_row <= merge.first_row or merge.first_row < data_row:
            continue
        top = merge.first_row - first_row
        bottom = min(merge.last_row - first_row, height - 1)
        for col in range(merge.first_col, merge.last_col + 1):
            j = col - first_col
            if j not in fields or not 0 <= top < bottom:
                continue
            index = np.arange(height)
            index[top + 1:bottom + 1] = top
            out[j] = out[j].take(pa.array(index))
            value = out[j][top].as_py()
            ref = f"{column_letter(col)}{merge.first_row}:{column_letter(col)}{merge.last_row}"
            findings.append(Finding(
                sheet, merge.first_row, fields[j], None if value is None else str(value), "merged_filled",
                f"{ref} 是合并单元格：已按这 {merge.last_row - merge.first_row + 1} 行的{fields[j]}都是"
                f"“{value if value is not None else ''}”理解", "info"))
    return out


def formula_errors(sheet: str, cells: list[tuple[int, int, str]], first_row: int, data_row: int,
                   fields: dict[int, str], first_col: int, last_row: int) -> list[Finding]:
    """One error per formula Excel never calculated in a data cell that is read (its value is unknown)."""
    found = []
    for row, col, ref in cells:
        j = col - first_col
        if row < data_row or row > last_row or j not in fields:
            continue
        found.append(Finding(sheet, row, fields[j], None, "formula_without_value",
                             f"{ref}：该单元格是公式，且没有计算结果：请在 Excel 中打开并保存，或粘贴为数值", "error"))
    return found


def csv_width(file_name: str, body: bytes, encoding: str, delimiter: str, max_columns: int) -> None:
    """Refuse a CSV with a line of more fields than any sheet could use, before it is parsed.

    Counts delimiters per line with bytes.count (a million-column header costs milliseconds); a line with
    too many is checked again with quotes taken into account, so a quoted comma never refuses a file.
    """
    if encoding.startswith("utf-16"):
        text = body[:CSV_SNIFF_BYTES * 4].decode(encoding, errors="ignore")
        lines = text.split("\n")
        count = max((line.count(delimiter) for line in lines), default=0)
        if count < max_columns:
            return
        widest = max(lines, key=lambda line: line.count(delimiter))
        _refuse_if_wide(file_name, widest, delimiter, max_columns)
        return
    sep = delimiter.encode()
    if body.count(sep) < max_columns:
        return  # not even the whole file has that many
    # Only a line at least max_columns bytes long can hold that many delimiters: count those lines only.
    newlines = np.flatnonzero(np.frombuffer(body, np.uint8) == 10)
    starts = np.concatenate(([0], newlines + 1))
    ends = np.concatenate((newlines, [len(body)]))
    for line in np.flatnonzero(ends - starts >= max_columns):
        start, end = int(starts[line]), int(ends[line])
        if body.count(sep, start, end) >= max_columns:
            _refuse_if_wide(file_name, body[start:end].decode(encoding, errors="replace"), delimiter, max_columns,
                            int(line) + 1)


def _refuse_if_wide(file_name: str, line: str, delimiter: str, max_columns: int, line_no: int | None = None) -> None:
    fields = re.sub(r'"[^"]*"', '""', line).count(delimiter) + 1
    if fields > max_columns:
        where = f"第{line_no}行" if line_no else "其中一行"
        raise UserError(f"{file_name} 的{where}有 {fields} 列，超过上限 {max_columns} 列，已拒绝（未读取）",
                        "这不像一张数据表：请检查分隔符，或在 Excel 中打开后另存为 .xlsx")
