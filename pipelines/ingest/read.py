"""Spreadsheet -> Arrow: find each sheet's kind and header row, map headers, normalise cells.

Every cell is read as text (fastexcel for xlsx, pyarrow for CSV) so that typing happens in one place,
the staging SQL, where a cell that does not parse becomes a finding instead of a silent null.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from pipelines.core.contract import (
    EXAMPLE_IDS,
    INSTRUCTIONS_TITLE,
    SHEET_BY_KIND,
    SHEETS,
    match_header,
    normalise_header,
)
from pipelines.core.errors import UserError
from pipelines.core.vocabulary import INDUSTRIES
from pipelines.ingest.findings import Finding, column_letter
from pipelines.ingest.layout import csv_width, fill_merges, formula_errors, title_year
from pipelines.ingest.sheet_xml import Merge, SheetXml, letters_to_index

HEADER_SCAN_ROWS = 30
# Columns on almost every government table that carry nothing to store: ignored without a warning.
IGNORED_HEADERS = {"序号", "no", "no.", "#"}
MIN_HEADER_MATCHES = 3


@dataclass(frozen=True)
class Limits:
    """Refuse what would exhaust the machine before reading it."""

    max_file_bytes: int = 50 * 1024 * 1024  # the upload as sent
    max_unzipped_bytes: int = 500 * 1024 * 1024  # an xlsx is a zip: all its parts unpacked
    max_zip_ratio: float = 200.0  # unpacked / packed; office XML packs about 5-20 times
    max_zip_entries: int = 2_000  # parts in the zip
    max_sheets: int = 50
    max_rows: int = 1_000_000  # per sheet
    max_columns: int = 200  # per sheet
    max_cells: int = 20_000_000  # per sheet: rows x columns of its used range


DEFAULT_LIMITS = Limits()


@dataclass
class StagedSheet:
    """One sheet kind of an upload: text cells under store column names, with where each came from."""

    kind: str
    table: pa.Table  # columns: _sheet, _row, then every field of the spec (null where absent)
    present: dict[str, set[str]] = field(default_factory=dict)  # source sheet -> fields it had
    headers: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # (sheet, field) -> (header, letter)
    header_rows: dict[str, int] = field(default_factory=dict)  # source sheet -> Excel row of its header

    @property
    def rows(self) -> int:
        return self.table.num_rows

    @property
    def source_sheets(self) -> list[str]:
        return list(self.present)


@dataclass
class Upload:
    file_name: str
    sha256: str
    content: bytes
    sheets: dict[str, StagedSheet]
    findings: list[Finding]
    grids: list[Grid] = field(default_factory=list, repr=False)  # every sheet as read, for the findings copy

    @property
    def suffix(self) -> str:
        return Path(self.file_name).suffix.lower()

    def row_counts(self) -> dict[str, int]:
        return {kind: s.rows for kind, s in self.sheets.items()}


# -- reading ---------------------------------------------------------------------------------

def read_upload(file_name: str, content: bytes, limits: Limits = DEFAULT_LIMITS, *,
                skip_examples: bool = True) -> Upload:
    """Parse one uploaded file. Raises UserError for a file that cannot be read at all.

    With skip_examples (the default), a sheet holding only the template's example row is skipped and an
    example row left among real rows is an error; without it, example rows are data like any other.
    """
    if len(content) > limits.max_file_bytes:
        raise UserError(
            f"文件 {file_name} 有 {len(content) / 1e6:.1f} MB，超过上限 {limits.max_file_bytes / 1e6:.0f} MB",
            "请按日期拆分成几个文件上传",
        )
    suffix = Path(file_name).suffix.lower()
    if suffix == ".et":
        raise UserError(f"{file_name} 是 WPS 表格（.et）文件，无法直接读取", "请在 WPS 中“另存为”Excel 工作簿（.xlsx）后上传")
    if suffix == ".xls" and content[:8] != OLE2 and content[:2] != b"PK":
        if content.lstrip()[:1] == b"<":  # many systems export an HTML table named .xls
            raise UserError(f"{file_name} 是网页格式（HTML）导出的表格，不是真正的 Excel 文件",
                            "请在 Excel 或 WPS 中打开后“另存为”.xlsx 再上传")
        raise UserError(f"无法读取 {file_name}：文件损坏或不是 Excel 文件", "请在 Excel 或 WPS 中打开并另存为 .xlsx 后上传")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        grids = _read_xls(file_name, content) if content[:8] == OLE2 else _read_xlsx(file_name, content, limits)
    elif suffix in (".csv", ".txt"):
        grids = [_read_csv(file_name, content, limits)]
    else:
        raise UserError(f"不支持的文件类型：{file_name}", "请上传 .xlsx、.xls 或 .csv 文件")
    findings: list[Finding] = []
    parts: dict[str, list[_Part]] = {}
    examples_only = 0
    for grid in grids:
        _check_size(grid, limits)
        if grid.columns and _cell_text(grid.columns[0], 0) == INSTRUCTIONS_TITLE:
            continue  # the template's own 说明 sheet
        if grid.hidden and grid.columns and _cell_text(grid.columns[0], 0) == INDUSTRIES[0]:
            continue  # the template's own drop-down lists
        if grid.hidden:  # kept in the annotated copy (hidden there too), never read as data
            findings.append(Finding(grid.name, None, None, None, "hidden_sheet",
                                    f"工作表“{grid.name}”是隐藏的，已跳过（其中的数据未读取）", "info"))
            continue
        part = _recognise(grid, findings)
        if part is not None and skip_examples:
            part = _drop_examples(part, findings)
            examples_only += part is None
        if part is not None:
            parts.setdefault(part.kind, []).append(part)
    sheets = {kind: _combine(kind, kind_parts) for kind, kind_parts in parts.items()}
    if not sheets:  # an error even when unknown_sheet warnings were given: an empty batch is no upload
        message = ("文件中只有模板的示例行，没有数据：请在示例行下方填写数据并删除示例行" if examples_only
                   else "文件中没有找到可识别的数据表：请使用模板中的表头")
        findings.insert(0, Finding(grids[0].name if grids else file_name, None, None, None, "no_sheet", message,
                                   "error"))
    return Upload(file_name, hashlib.sha256(content).hexdigest(), content, sheets, findings, grids)


@dataclass
class Grid:
    """A sheet as read: text columns, plus where its first cell sits in Excel (the findings copy redraws it)."""

    name: str
    columns: list[pa.Array]
    first_row: int  # Excel row number of columns[*][0]
    first_col: int  # 0-based Excel column of columns[0]
    hidden: bool = False
    merges: set[Merge] = field(default_factory=set)  # merged ranges (xlsx)
    empty_formulas: list[tuple[int, int, str]] = field(default_factory=list)  # formulas never calculated (xlsx)

    @property
    def height(self) -> int:
        return len(self.columns[0]) if self.columns else 0


def _check_size(grid: Grid, limits: Limits) -> None:
    error = _size_error(grid.name, grid.height, len(grid.columns), limits)
    if error is not None:
        raise error


def _size_error(sheet: str, height: int, width: int, limits: Limits) -> UserError | None:
    if height > limits.max_rows or width > limits.max_columns:
        return UserError(
            f"工作表“{sheet}”有 {height} 行 × {width} 列，超过上限（{limits.max_rows} 行、{limits.max_columns} 列）",
            "请删去多余的行列或拆分文件",
        )
    if width * height > limits.max_cells:
        return UserError(f"工作表“{sheet}”有 {height} 行 × {width} 列，共 {width * height} 个单元格，"
                         f"超过上限（{limits.max_cells} 个）", "请拆分文件后上传")
    return None


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls), or an xlsx with an opening password


def _read_xlsx(file_name: str, content: bytes, limits: Limits) -> list[Grid]:
    origins, layouts = _xlsx_origins(file_name, content, limits)
    return _load_sheets(file_name, content, origins, layouts)


def _read_xls(file_name: str, content: bytes) -> list[Grid]:
    """Excel 97-2003. Its size is bounded by the format (65,536 rows × 256 columns) and by the upload limit;
    the sheets are checked against the limits after loading, like a CSV."""
    return _load_sheets(file_name, content, {}, {}, old=True)


def _load_sheets(file_name: str, content: bytes, origins: dict[int, tuple[int, int]], layouts: dict[int, SheetXml],
                 old: bool = False) -> list[Grid]:
    try:
        reader = fastexcel.read_excel(content)
    except Exception as exc:  # fastexcel raises several types for corrupt files
        if old:
            raise UserError(f"无法读取 {file_name}：它是损坏的旧版 Excel 文件或设置了打开密码",
                            "请取消密码，并在 Excel 或 WPS 中“另存为”.xlsx 后上传") from None
        raise UserError(f"无法读取 {file_name}：文件损坏或不是 Excel 文件（{type(exc).__name__}）",
                        "请在 Excel 中打开并重新保存为 .xlsx") from None
    grids = []
    for index, name in enumerate(reader.sheet_names):
        try:
            sheet = reader.load_sheet(index, header_row=None, dtypes="string")
            batch = sheet.to_arrow()
        except Exception as exc:
            raise UserError(f"无法读取工作表“{name}”（{type(exc).__name__}）", "请检查该表是否损坏") from None
        if batch.num_columns == 0 or batch.num_rows == 0:
            continue
        first_row, first_col = origins.get(index, (1, 0))
        layout = layouts.get(index, SheetXml())
        grids.append(Grid(name, list(batch.columns), first_row, first_col, sheet.visible != "visible",
                          layout.merges, layout.formula_cells()))
    return grids


_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([0-9]+)"[^>]*?(/>|>)')


def _xlsx_origins(file_name: str, content: bytes, limits: Limits
                  ) -> tuple[dict[int, tuple[int, int]], dict[int, SheetXml]]:
    """Check the zip container and find where each sheet's data starts.

    The container is checked before anything reads the workbook: what the zip directory declares
    (parts, unpacked size, ratio), then each part inflated as a stream into nothing, stopping as soon as
    it yields more than declared or than the limit, so a zip bomb costs at most the limit and never
    its memory. The same pass counts each sheet's rows, columns and cells, and notes its merged ranges
    and the formulas Excel never calculated (sheet_xml.py).

    fastexcel returns a sheet from its first non-empty cell, so a sheet whose data begins at C3
    would report row 3 as row 1. The first cell with a value in the sheet XML tells the offset.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except Exception:  # BadZipFile, NotImplementedError (version, compression), struct and OS errors: all corrupt
        raise UserError(f"无法读取 {file_name}：不是有效的 .xlsx 文件", "请在 Excel 中打开并重新保存为 .xlsx") from None
    total = sum(info.file_size for info in infos)
    packed = max(1, sum(info.compress_size for info in infos))
    if len(infos) > limits.max_zip_entries or total > limits.max_unzipped_bytes or total / packed > limits.max_zip_ratio:
        raise _bomb(file_name, total, packed)
    names = {info.filename for info in infos}
    try:
        workbook = archive.read("xl/workbook.xml") if "xl/workbook.xml" in names else b""
        rels = archive.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error, NotImplementedError):
        raise UserError(f"无法读取 {file_name}：文件损坏", "请在 Excel 中打开并重新保存为 .xlsx") from None
    targets = dict(re.findall(rb'Id="([^"]+)"[^>]*?Target="([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(rb'Target="([^"]+)"[^>]*?Id="([^"]+)"', rels)})
    sheets: dict[str, tuple[int, str]] = {}  # part path -> (index, sheet name)
    for index, tag in enumerate(re.findall(rb"<sheet [^>]*>", workbook)):
        rid = re.search(rb'r:id="([^"]+)"', tag)
        name = re.search(rb'name="([^"]*)"', tag)
        target = targets.get(rid.group(1), b"").decode("utf-8", "replace") if rid else ""
        path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        sheets[path] = (index, html.unescape(name.group(1).decode("utf-8", "replace")) if name else str(index + 1))
    if len(sheets) > limits.max_sheets:
        raise UserError(f"{file_name} 有 {len(sheets)} 个工作表，超过上限 {limits.max_sheets} 个", "请拆分文件后上传")
    unpacked = 0
    layouts: dict[int, SheetXml] = {}
    for info in infos:
        sheet = sheets.get(info.filename)
        extent = _Extent()
        layout = SheetXml()
        for chunk in _inflate(file_name, content, info, limits.max_unzipped_bytes - unpacked):
            unpacked += len(chunk)
            if sheet is not None:
                extent.scan(chunk)
                layout.scan(chunk)
        if sheet is not None:
            extent.check(sheet[1], limits)
            layouts[sheet[0]] = layout
    origins: dict[int, tuple[int, int]] = {}
    try:
        for path, (index, _name) in sheets.items():
            if path in names:
                origins[index] = _first_cell(archive, path)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error, NotImplementedError):
        raise UserError(f"无法读取 {file_name}：文件损坏", "请在 Excel 中打开并重新保存为 .xlsx") from None
    return origins, layouts


def _bomb(file_name: str, total: int, packed: int) -> UserError:
    return UserError(
        f"{file_name} 解压后有 {total / 1e6:.0f} MB（压缩比 {total / packed:.0f}），超过上限，已拒绝",
        "这不像正常的表格文件；请重新从 Excel 导出",
    )


def _inflate(file_name: str, content: bytes, info: zipfile.ZipInfo, budget: int) -> Iterator[bytes]:
    """The unpacked bytes of one zip part, in chunks, refusing as soon as there are more than the part
    declares or than the budget left.

    Reads the raw stream itself rather than trusting the sizes in the zip directory, which a crafted
    file can understate: it is the bytes actually produced that count.
    """
    lying = UserError(f"{file_name} 解压后的大小与文件中声明的不符，像是特意构造的压缩包，已拒绝",
                      "请重新从 Excel 导出后上传")
    cap = min(info.file_size, budget)
    corrupt = UserError(f"无法读取 {file_name}：文件损坏（{info.filename}）", "请在 Excel 中打开并重新保存为 .xlsx")
    offset = info.header_offset
    header = content[offset:offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04" or info.flag_bits & 0x1:
        raise corrupt
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    start = offset + 30 + name_len + extra_len
    data = memoryview(content)[start:start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        if len(data) > cap:
            raise lying if len(data) > info.file_size else _bomb(file_name, len(data), len(data))
        if zlib.crc32(data) != info.CRC:
            raise corrupt
        yield bytes(data)
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise corrupt
    inflater = zlib.decompressobj(-15)
    produced = crc = 0
    step = 1 << 16
    try:
        for pos in range(0, len(data), step):
            pending = bytes(data[pos:pos + step])
            while pending and not inflater.eof:
                out = inflater.decompress(pending, 1 << 20)
                produced += len(out)
                if produced > cap:
                    raise lying if produced > info.file_size else _bomb(file_name, produced, pos + step)
                crc = zlib.crc32(out, crc)
                yield out
                pending = inflater.unconsumed_tail
            if inflater.eof:
                break
    except zlib.error:
        raise corrupt from None
    if produced != info.file_size or crc != info.CRC:
        raise corrupt


class _Extent:
    """Rows, columns and cells of a sheet, counted from its XML as it streams past."""

    _ROW = re.compile(rb'<row [^>]*?r="([0-9]{1,9})"')
    _WIDE = re.compile(rb'<c r="([A-Z]{2,4})[0-9]')  # columns past Z: rare, so a regex pass is cheap
    _NARROW = [(26 - i, f'<c r="{chr(90 - i)}'.encode()) for i in range(26)]  # Z..A: the widest one present

    def __init__(self) -> None:
        self.rows = self.cols = self.cells = self.row_tags = 0
        self.tail = b""

    def scan(self, chunk: bytes) -> None:
        text = self.tail + chunk
        self.cells += chunk.count(b"<c ") + chunk.count(b"<c>")
        self.row_tags += chunk.count(b"<row ") + chunk.count(b"<row>")
        last = text.rfind(b"<row ")
        if last >= 0:
            found = self._ROW.match(text, last)
            if found:
                self.rows = max(self.rows, int(found.group(1)))
        wide = set(self._WIDE.findall(text))
        if wide:
            self.cols = max(self.cols, *(letters_to_index(w.decode()) + 1 for w in wide))
        elif self.cols < 26:
            self.cols = max(self.cols, next((n for n, tag in self._NARROW if tag in text), 0))
        self.tail = text[-64:]

    def check(self, sheet: str, limits: Limits) -> None:
        """Refuse before the sheet is loaded: the reader would allocate its whole used range."""
        rows, cols = max(self.rows, self.row_tags), max(self.cols, 1)
        error = _size_error(sheet, rows, cols, limits)
        if error is None and self.cells > limits.max_cells:
            error = _size_error(sheet, self.cells, 1, limits)
        if error is not None:
            raise error


def _first_cell(archive: zipfile.ZipFile, path: str) -> tuple[int, int]:
    first_row, first_col, seen = None, None, 0
    with archive.open(path) as stream:
        chunk = stream.read(1 << 20)
    for match in _CELL_REF.finditer(chunk):
        if match.group(3) == b"/>":
            continue  # an empty, styled cell: calamine skips it too
        start = match.end()
        if b"<v" not in chunk[start:start + 200] and b"<is" not in chunk[start:start + 200]:
            continue
        col = letters_to_index(match.group(1).decode())
        row = int(match.group(2))
        first_row = row if first_row is None else min(first_row, row)
        first_col = col if first_col is None else min(first_col, col)
        seen += 1
        if seen > 400:
            break
    return (first_row or 1, first_col or 0)


def _read_csv(file_name: str, content: bytes, limits: Limits = DEFAULT_LIMITS) -> Grid:
    encoding, body = _detect_encoding(file_name, content)
    delimiter = _delimiter(body[:65536].decode(encoding, errors="ignore"))
    csv_width(file_name, body, encoding, delimiter, limits.max_columns)  # before any parsing
    try:
        table = pa_csv.read_csv(
            io.BytesIO(body),
            read_options=pa_csv.ReadOptions(encoding=encoding, autogenerate_column_names=True),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(DEFAULT_LIMITS.max_columns + 1)},
                strings_can_be_null=True,
                null_values=[""],  # NaN, NA, NULL, N/A are what was written, not empty cells
            ),
        )
        columns = [c.combine_chunks() for c in table.columns]
    except (pa.ArrowInvalid, UnicodeDecodeError):
        # Ragged rows (a title row with one cell): fall back to the csv module and pad.
        try:
            text = body.decode(encoding)
            records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise UserError(f"无法读取 {file_name}：不是有效的 CSV 文件（{type(exc).__name__}）",
                            "请在 Excel 中打开并另存为“CSV UTF-8”或 .xlsx") from None
        width = max((len(r) for r in records), default=0)
        columns = [pa.array([r[i] if i < len(r) and r[i] != "" else None for r in records], pa.string())
                   for i in range(width)]
    return Grid(Path(file_name).stem, columns, 1, 0)


def _delimiter(head: str) -> str:
    """Comma, or tab as Excel's “Unicode 文本 (*.txt)” export writes (UTF-16, tab-separated)."""
    return "\t" if head.count("\t") > head.count(",") else ","


def _detect_encoding(file_name: str, content: bytes) -> tuple[str, bytes]:
    """UTF-8 (with or without BOM, as WPS writes) or GB18030 (a superset of GBK, as Chinese Excel writes)."""
    if content.startswith(b"\xef\xbb\xbf"):
        return "utf-8", content[3:]
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", content
    try:
        content.decode("utf-8")
        return "utf-8", content
    except UnicodeDecodeError:
        pass
    try:
        content.decode("gb18030")
        return "gb18030", content
    except UnicodeDecodeError:
        raise UserError(f"无法识别 {file_name} 的文字编码", "请在 Excel 中另存为“CSV UTF-8”或 .xlsx") from None


# -- recognising ------------------------------------------------------------------------------

@dataclass
class _Part:
    kind: str
    sheet: str
    header_row: int
    mapping: dict[int, str]  # grid column -> field
    headers: dict[str, tuple[str, str]]  # field -> (header text, column letter)
    table: pa.Table


_UNIT_CELL = re.compile(r"^([(（\[【].*[)）\]】]|单位.*|unit.*)$", re.IGNORECASE)
_TOTAL_CELL = {"合计", "总计", "小计", "total"}


def _recognise(grid: Grid, findings: list[Finding]) -> _Part | None:
    head = [[_cell_text(col, r) for col in grid.columns] for r in range(min(HEADER_SCAN_ROWS, grid.height))]
    best: tuple[int, float, int, str] | None = None  # (matches, share, -row, kind)
    for r, _cells in enumerate(head):
        filled = _header_cells(head, r)
        for spec in SHEETS:
            matched = {match_header(spec.kind, c) or _grouped(spec.kind, head, r, j, c)
                       for j, c in enumerate(filled)} - {None}
            if len(matched) < MIN_HEADER_MATCHES:
                continue
            candidate = (len(matched), len(matched) / len(spec.fields), -r, spec.kind)
            if best is None or candidate[:3] > best[:3]:
                best = candidate
    if best is None:
        if any(any(c for c in row) for row in head):
            findings.append(Finding(grid.name, None, None, None, "unknown_sheet",
                                    f"工作表“{grid.name}”的表头不属于任何一种数据表，已忽略：请使用模板中的表头",
                                    "warning"))
        return None
    header_index, kind = -best[2], best[3]
    spec = SHEET_BY_KIND[kind]
    header_row = grid.first_row + header_index
    mapping: dict[int, str] = {}
    headers: dict[str, tuple[str, str]] = {}
    for col_index, text in enumerate(_header_cells(head, header_index)):
        letter = column_letter(grid.first_col + col_index)
        name = match_header(kind, text) or _grouped(kind, head, header_index, col_index, text)
        if name is None:
            if text and normalise_header(text) not in IGNORED_HEADERS:
                findings.append(Finding(grid.name, header_row, text, None, "unknown_column",
                                        f"列“{text}”（{letter}列）不在{spec.label}的字段中，已忽略", "warning"))
            continue
        if name in headers:
            findings.append(Finding(grid.name, header_row, text, None, "duplicate_column",
                                    f"列“{text}”（{letter}列）与“{headers[name][0]}”（{headers[name][1]}列）"
                                    f"是同一字段，只读取了前一列：请删除重复的列", "error"))
            continue
        mapping[col_index] = name
        headers[name] = (text, letter)
    for f in spec.required:
        if f.name not in headers:
            findings.append(Finding(grid.name, header_row, f.label, None, "missing_column",
                                    f"{spec.label}缺少必填列“{f.label}”：请在第{header_row}行表头中加上这一列",
                                    "error"))
    labels = {i: headers[name][0] for i, name in mapping.items()}
    data_row = header_row + 1
    if grid.merges:
        grid.columns = fill_merges(grid.name, grid.columns, grid.first_row, grid.first_col, data_row, grid.merges,
                                   labels, findings)
    if grid.empty_formulas:
        findings.extend(formula_errors(grid.name, grid.empty_formulas, grid.first_row, data_row, labels,
                                       grid.first_col, grid.first_row + grid.height - 1))
    year = title_year(head[:header_index])
    table = _data_table(grid, header_index + 1, mapping, spec, findings, year)
    return _Part(kind, grid.name, header_row, mapping, headers, table)


def _grouped(kind: str, head: list[list[str | None]], r: int, c: int, text: str) -> str | None:
    """A sub-header under a group header (返沪人员 over 重点地区 / 境外): the field the two name together.

    The group is the nearest filled cell of the row above, at this column or to its left (a merged group
    keeps its text in its first cell only).
    """
    if r == 0 or not text or head[r][c] is None:
        return None
    group = next((head[r - 1][j] for j in range(c, -1, -1) if head[r - 1][j]), None)
    if not group or group == text:
        return None
    return match_header(kind, text + group) or match_header(kind, group + text)


def _drop_examples(part: _Part, findings: list[Finding]) -> _Part | None:
    """None for an untouched template sheet (only its example row); else the part, each example row an error."""
    table = part.table
    mask = None
    for name, value in EXAMPLE_IDS.items():
        if name in part.headers:
            hit = pc.fill_null(pc.equal(pc.utf8_upper(table.column(name)), value.upper()), False)
            mask = hit if mask is None else pc.or_(mask, hit)
    if mask is None or table.num_rows == 0 or not pc.any(mask).as_py():
        return part
    if pc.all(mask).as_py():
        return None
    for row in pc.filter(table.column("_row"), mask).to_pylist():
        findings.append(Finding(part.sheet, row, None, None, "example_row",
                                f"第{row}行是模板中的示例行，不是真实数据：请删除这一行后重新上传", "error"))
    return part


def _header_cells(head: list[list[str | None]], r: int) -> list[str]:
    """Header texts of row r; an empty cell takes the cell above (a header merged over two rows)."""
    row = head[r]
    out = []
    for c, text in enumerate(row):
        if not text and r > 0:
            text = head[r - 1][c]
        out.append(text or "")
    return out


def _cell_text(column: pa.Array, r: int) -> str | None:
    value = column[r].as_py()
    return value.strip() if isinstance(value, str) and value.strip() else None


def _normalise(column: pa.Array) -> pa.Array:
    """NFKC folds full-width digits, letters and spaces; trim; empty becomes null.

    A date cell comes from fastexcel as "2020-02-17 00:00:00"; the midnight is dropped so that findings
    quote the date as the analyst sees it.
    """
    text = column.cast(pa.string())
    if pc.all(pc.string_is_ascii(text)).as_py() is not True:  # NFKC leaves ASCII as it is: skip the work
        text = pc.utf8_normalize(text, "NFKC")
    text = pc.utf8_trim_whitespace(text)
    if pc.any(pc.ends_with(text, " 00:00:00")).as_py():  # only then can a cell be a date with its midnight
        text = pc.replace_substring_regex(text, r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", r"\1")
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _data_table(grid: Grid, start: int, mapping: dict[int, str], spec, findings: list[Finding],
                year: int | None = None) -> pa.Table:
    n = grid.height - start
    rows = pa.array(np.arange(grid.first_row + start, grid.first_row + grid.height, dtype=np.int32))
    # each column normalised once: the mapped ones, and the first three, where a 合计 row says so
    normalised = {i: _normalise(grid.columns[i].slice(start)) for i in {*mapping, *range(min(3, len(grid.columns)))}}
    by_field = {name: normalised[i] for i, name in mapping.items()}
    empty = pa.nulls(n, pa.string())
    table = pa.table({
        "_sheet": pa.repeat(pa.scalar(grid.name, pa.string()), n),
        "_row": rows,
        "_year": pa.nulls(n, pa.int16()) if year is None else pa.repeat(pa.scalar(year, pa.int16()), n),
        **{f.name: by_field.get(f.name, empty) for f in spec.fields},
    })
    if n == 0:
        return table
    # Drop blank rows (trailing or in between), unit rows right under the header, and total rows.
    mapped = [table.column(name) for name in by_field]
    keep = pc.invert(_all_null(mapped)) if mapped else pa.array([False] * n)
    keep_list: list[bool] | None = None
    for i in range(min(3, n)):  # unit rows sit right below the header
        cells = [v for v in (table.column(name)[i].as_py() for name in by_field) if v]
        if cells and all(_UNIT_CELL.match(v) for v in cells):
            keep_list = keep_list or keep.to_pylist()
            keep_list[i] = False
    if keep_list is not None:
        keep = pa.array(keep_list)
    # A 合计 row at the bottom: its leading cells say so.
    is_total = pa.array([False] * n)
    for i in range(min(3, len(grid.columns))):
        folded = pc.utf8_lower(pc.replace_substring_regex(normalised[i], r"\s+", ""))
        is_total = pc.or_(is_total, pc.fill_null(pc.is_in(folded, pa.array(sorted(_TOTAL_CELL))), False))
    is_total = pc.and_(is_total, keep)
    for i in pc.indices_nonzero(is_total).to_pylist():
        row = grid.first_row + start + i
        findings.append(Finding(grid.name, row, None, None, "total_row",
                                f"第{row}行是合计行，已跳过（合计由系统计算）", "warning"))
    return table.filter(pc.and_(keep, pc.invert(is_total)))


def _all_null(columns: list[pa.ChunkedArray]) -> pa.Array:
    result = pc.is_null(columns[0])
    for col in columns[1:]:
        result = pc.and_(result, pc.is_null(col))
    return result


def _combine(kind: str, parts: list[_Part]) -> StagedSheet:
    table = pa.concat_tables([p.table for p in parts]) if len(parts) > 1 else parts[0].table
    staged = StagedSheet(kind, table)
    for p in parts:
        staged.present[p.sheet] = set(p.headers)
        staged.header_rows[p.sheet] = p.header_row
        for name, header in p.headers.items():
            staged.headers[(p.sheet, name)] = header
    return staged
