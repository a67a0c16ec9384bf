"""Workbooks as street offices write them (issue 12): .xls registers, GBK CSV, xlsx with merged cells, title
rows, two-level headers, hidden sheets and formulas. Each test states the whole findings table and the
rows stored (or staged): what offices type is read, each reading is shown, and only what decides a count,
a rate or a grade can block.
"""

from __future__ import annotations

import datetime as dt

import pytest
from office_books import write_xls, write_xlsx_uncalculated
from workbooks import (
    BUILDING_HEADER,
    COMPANY_HEADER,
    TODAY,
    Formula,
    Sheet,
    Text,
    building_row,
    check_file,
    commit_file,
    company_row,
    credit_code,
    directory_sheets,
    read_file,
    write_csv,
    write_xlsx,
)

from pipelines.core.errors import UserError
from pipelines.core.store import Store
from pipelines.ingest.findings_workbook import findings_workbook

D = dt.date
CODES = [credit_code(n) for n in range(11, 20)]
IT, FOOD, EDU = "信息传输、软件和信息技术服务业", "住宿和餐饮业", "教育"


def spaced(code: str) -> str:
    return f"{code[:4]} {code[4:8]} {code[8:12]} {code[12:16]} {code[16:]}"


def by_position(rows: list[tuple]) -> list[tuple]:
    """Findings in a stable order for comparing whole tables (the listing sorts by header text)."""
    return sorted(rows, key=lambda r: tuple("" if v is None else str(v) for v in r))


def stored(store, table: str, columns: str, order: str) -> list[tuple]:
    return store.cursor().execute(f"select {columns} from {table} order by {order}").fetchall()


# -- an .xls register of buildings and companies ---------------------------------------------------

REGISTER_BUILDINGS = [
    BUILDING_HEADER,
    ["JSL-001", "兆丰世贸大厦", "江苏路街道", "长宁路999号", 121.4305, 31.2200, "GCJ02", "52,000㎡", "24层", "东湖物业", "王伟"],
    ["JSL-002", "兆丰世贸大厦", "江苏路街道", "长宁路1001号", 121.4310, 31.2210, None, "3.5万", 12, "东湖物业", "李娜"],
]
REGISTER_COMPANIES = [
    COMPANY_HEADER,
    [CODES[0].lower(), "上海华信科技有限公司", "JSL-001", "18F", "IT", "50人", "外商独资", "√", D(2020, 2, 10), "张三",
     "138 0000 0000"],
    [spaced(CODES[1]), "上海远泰餐饮管理有限公司", "JSL-001", "B1", "餐饮", "1,200", "民营", "×", "2020/2/12", "李四",
     "+86 139 0000 0000"],
    [CODES[2], "上海恒瑞教育科技有限公司", "JSL-002", "十八层", "教育培训", 30, "台资", "有", None, "王五",
     "021-6234 5678 转 123"],
    [CODES[3], "上海博联咨询有限公司", "JSL-002", "裙楼2F", "火箭发射", 35, "社会团体", "N", None, None, "见附件"],
    [CODES[4], "上海鼎盛贸易有限公司", "JSL-001", "1801室", "批发零售", 20, "国有", 1, None, None, None],
    [CODES[5], "上海合宏投资有限公司", "JSL-001", "3-4F", "金融", 10, "港资", 0, None, None, None],
    [CODES[6], "上海启明软件有限公司", "JSL-002", "夹层", "软件", 8, "中外合资", "是", None, None, None],
    [CODES[7], "上海云智信息有限公司", "JSL-002", "地下1层", IT, 12, "内资", "否", None, None, "13800000001"],
]


def _info(sheet: str, row: int, column: str, value: str, detail: str, letter: str) -> tuple:
    return (sheet, row, column, value, "normalised", f"{letter}{row}的“{value}”已按“{detail}”理解", "info")


REGISTER_FINDINGS = [
    ("企业", 5, "行业", "火箭发射", "unknown_industry",
     "E5的行业“火箭发射”不在国民经济行业分类（GB/T 4754-2017）的门类中：已按原文保存，行业图表中计入“其他”；"
     "如有对应门类请改写（模板中有下拉列表）", "warning"),
    ("企业", 5, "企业类型", "社会团体", "unknown_choice",
     "G5的“社会团体”不是企业类型的可选值（内资、日资、韩资、其他外资、港澳台）：已按原文保存，请核对", "warning"),
    ("企业", 5, "联系电话", "见附件", "phone_unread",
     "K5的“见附件”不像一个电话号码：已按原文保存，请核对（如 13800000000 或 021-62345678）", "warning"),
    ("企业", 8, "楼层", "夹层", "floor_unread", "D8的楼层“夹层”读不出层号：已按原文保存（如“18F”“B1”“十八层”都能识别）",
     "warning"),
    ("楼宇", 2, "楼宇名称", "兆丰世贸大厦", "duplicate_building_name",
     "B2：同一街道中楼宇名称“兆丰世贸大厦”有两个楼宇编号（“JSL-001” 和 “JSL-002”）：如是同一栋楼请统一编号，"
     "如是两栋楼请在名称中区分", "warning"),
    ("楼宇", 3, "楼宇名称", "兆丰世贸大厦", "duplicate_building_name",
     "B3：同一街道中楼宇名称“兆丰世贸大厦”有两个楼宇编号（“JSL-002” 和 “JSL-001”）：如是同一栋楼请统一编号，"
     "如是两栋楼请在名称中区分", "warning"),
    _info("楼宇", 2, "建筑面积", "52,000m2", "52000", "H"),
    _info("楼宇", 2, "楼层数", "24层", "24", "I"),
    _info("楼宇", 3, "建筑面积", "3.5万", "35000", "H"),
    _info("企业", 2, "统一社会信用代码", CODES[0].lower(), CODES[0], "A"),
    _info("企业", 2, "楼层", "18F", "第18层", "D"),
    _info("企业", 2, "行业", "IT", IT, "E"),
    _info("企业", 2, "员工总数", "50人", "50", "F"),
    _info("企业", 2, "企业类型", "外商独资", "其他外资", "G"),
    _info("企业", 2, "重点企业", "√", "是", "H"),
    _info("企业", 2, "联系电话", "138 0000 0000", "13800000000", "K"),
    _info("企业", 3, "统一社会信用代码", spaced(CODES[1]), CODES[1], "A"),
    _info("企业", 3, "楼层", "B1", "地下1层", "D"),
    _info("企业", 3, "行业", "餐饮", FOOD, "E"),
    _info("企业", 3, "员工总数", "1,200", "1200", "F"),
    _info("企业", 3, "企业类型", "民营", "内资", "G"),
    _info("企业", 3, "重点企业", "×", "否", "H"),
    _info("企业", 3, "联系电话", "+86 139 0000 0000", "13900000000", "K"),
    _info("企业", 4, "楼层", "十八层", "第18层", "D"),
    _info("企业", 4, "行业", "教育培训", EDU, "E"),
    _info("企业", 4, "企业类型", "台资", "港澳台", "G"),
    _info("企业", 4, "重点企业", "有", "是", "H"),
    _info("企业", 4, "联系电话", "021-6234 5678 转 123", "021-62345678转123", "K"),
    _info("企业", 5, "楼层", "裙楼2F", "第2层", "D"),
    _info("企业", 5, "重点企业", "N", "否", "H"),
    _info("企业", 6, "楼层", "1801室", "第18层", "D"),
    _info("企业", 6, "行业", "批发零售", "批发和零售业", "E"),
    _info("企业", 6, "企业类型", "国有", "内资", "G"),
    _info("企业", 6, "重点企业", "1", "是", "H"),
    _info("企业", 7, "楼层", "3-4F", "第3层", "D"),
    _info("企业", 7, "行业", "金融", "金融业", "E"),
    _info("企业", 7, "企业类型", "港资", "港澳台", "G"),
    _info("企业", 7, "重点企业", "0", "否", "H"),
    _info("企业", 8, "行业", "软件", IT, "E"),
    _info("企业", 8, "企业类型", "中外合资", "其他外资", "G"),
]

REGISTER_STORED = [
    # credit_code, floor, floor_text, industry, employees, company_type, key_company, contact_phone
    (CODES[0], 18, "18F", IT, 50, "其他外资", "是", "13800000000"),
    (CODES[1], -1, "B1", FOOD, 1200, "内资", "否", "13900000000"),
    (CODES[2], 18, "十八层", EDU, 30, "港澳台", "是", "021-62345678转123"),
    (CODES[3], 2, "裙楼2F", "火箭发射", 35, "社会团体", "否", "见附件"),
    (CODES[4], 18, "1801室", "批发和零售业", 20, "内资", "是", None),
    (CODES[5], 3, "3-4F", "金融业", 10, "港澳台", "否", None),
    (CODES[6], None, "夹层", IT, 8, "其他外资", "是", None),
    (CODES[7], -1, "地下1层", IT, 12, "内资", "否", "13800000001"),
]


def test_xls_register_is_read_and_every_reading_shown(store, tmp_path):
    path = write_xls(tmp_path / "江苏路街道楼宇企业台账.xls",
                     [Sheet("楼宇", REGISTER_BUILDINGS), Sheet("企业", REGISTER_COMPANIES)])
    assert path.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a real OLE2 .xls
    assert by_position(check_file(store, path)) == by_position(REGISTER_FINDINGS)
    commit_file(store, path, confirm_warnings=True)
    assert stored(store, "companies", "credit_code, floor, floor_text, industry, employees, company_type, "
                  "key_company, contact_phone", "credit_code") == REGISTER_STORED
    assert stored(store, "buildings", "building_id, floor_area, floors, crs", "building_id") == [
        ("JSL-001", 52000.0, 24, "GCJ02"), ("JSL-002", 35000.0, 12, "GCJ02")]


def test_findings_workbook_marks_each_reading(store, tmp_path):
    import io

    import openpyxl

    path = write_xls(tmp_path / "台账.xls", [Sheet("楼宇", REGISTER_BUILDINGS), Sheet("企业", REGISTER_COMPANIES)])
    from pipelines.batches.commit import check_upload

    upload = read_file(path)
    findings = check_upload(store, upload, today=TODAY).findings
    book = openpyxl.load_workbook(io.BytesIO(findings_workbook(upload, findings)))
    listing = [[c.value for c in row] for row in book["问题清单"].iter_rows(min_row=2)]
    assert sum(1 for row in listing if row[0] == "已理解") == sum(1 for f in REGISTER_FINDINGS if f[6] == "info")
    ws = book["企业"]
    assert ws["D2"].fill.fgColor.rgb.endswith("DDEBF7")  # read as 第18层: marked in the info colour
    assert "已按“第18层”理解" in ws["D2"].comment.text
    assert ws["D8"].fill.fgColor.rgb.endswith("FFE699")  # 夹层: a warning


# -- a month of daily reports with a title row and two-level header -------------------------------

def _directory(store, tmp_path) -> None:
    path = write_xlsx(tmp_path / "名录.xlsx", directory_sheets(
        [building_row("JSL-001")],
        [company_row(code, "JSL-001", 2000) for code in CODES[:3]]))
    commit_file(store, path)


TITLE = "江苏路街道企业返岗日报（2020年2月）"
REPORT_HEADER = ["日期", "统一社会信用代码", "企业名称", "在岗人数", "居家办公人数", "返沪人员", None, "居家观察人数",
                 "体温异常人数"]
REPORT_SUB = [None, None, None, None, None, "重点地区", "境外", None, None]


def _report_sheet(rows: list[list[object]], title: str | None = TITLE) -> Sheet:
    top = [[title, *[None] * 8]] if title else []
    merges = [(0, 0, 0, 8, title)] if title else []
    header_at = len(top)
    merges += [(header_at, 5, header_at, 6, "返沪人员"),
               *[(header_at, c, header_at + 1, c, REPORT_HEADER[c]) for c in (0, 1, 2, 3, 4, 7, 8)]]
    return Sheet("2月返岗日报", [*top, REPORT_HEADER, REPORT_SUB, *rows], merges=merges)


def test_daily_reports_with_dates_without_a_year(store, tmp_path):
    _directory(store, tmp_path)
    rows = [
        ["2月17日", CODES[0], "华信", "50人", "20 人", 1, 0, 0, 0],  # row 4
        ["2.18", CODES[0], "华信", "1,200", 0, 0, 0, 0, 0],
        ["2/19", CODES[1], "远泰", 30, 5, 0, 1, 0, 0],
        [D(2020, 2, 20), CODES[1], "远泰", 31, 5, 0, 0, 0, 0],
        ["2月30日", CODES[2], "恒瑞", 10, 0, 0, 0, 0, 0],  # row 8: no such day
        ["2月21号", CODES[2], "恒瑞", "1,2", 0, 0, 0, 0, 0],  # row 9: 1,2 is no number
    ]
    path = write_xlsx(tmp_path / "返岗日报.xlsx", [_report_sheet(rows)])
    sheet = "2月返岗日报"
    assert by_position(check_file(store, path)) == by_position([
        (sheet, 8, "日期", "2月30日", "type", "A8的“2月30日”不是日期可用的值：请填写日期，如 2020-02-17 或 2020/2/17",
         "error"),
        (sheet, 9, "在岗人数", "1,2", "type",
         "D9的“1,2”不是在岗人数可用的值：请填写整数，如 12 或 1,200（逗号只能用作千位分隔）", "error"),
        _info(sheet, 4, "日期", "2月17日", "2020-02-17", "A"),
        _info(sheet, 4, "在岗人数", "50人", "50", "D"),
        _info(sheet, 4, "居家办公人数", "20 人", "20", "E"),
        _info(sheet, 5, "日期", "2.18", "2020-02-18", "A"),
        _info(sheet, 5, "在岗人数", "1,200", "1200", "D"),
        _info(sheet, 6, "日期", "2/19", "2020-02-19", "A"),
        _info(sheet, 9, "日期", "2月21号", "2020-02-21", "A"),
    ])
    upload = read_file(path)
    assert upload.sheets["daily_returns"].headers[(sheet, "from_key_areas")] == ("重点地区", "F")
    assert upload.sheets["daily_returns"].headers[(sheet, "from_abroad")] == ("境外", "G")


@pytest.mark.parametrize(("title", "stored_days", "expected"), [
    (None, ["2020-02-16"], D(2020, 2, 18)),  # no title: the year of the sheet's other dates
    (None, [], D(2020, 2, 18)),  # none either: the store's period (2020-01-01 .. today 2020-03-01)
])
def test_year_from_the_sheet_or_the_period(store, tmp_path, title, stored_days, expected):
    _directory(store, tmp_path)
    rows = [["2.18", CODES[0], "华信", 5, 0, 0, 0, 0, 0]]
    rows += [[day, CODES[1], "远泰", 5, 0, 0, 0, 0, 0] for day in stored_days]
    path = write_xlsx(tmp_path / "日报.xlsx", [_report_sheet(rows, title)])
    commit_file(store, path, confirm_warnings=True)
    assert stored(store, "daily_returns", "report_date", "credit_code")[0] == (expected,)


def test_a_date_without_a_year_and_no_way_to_tell_is_an_error(store, tmp_path, monkeypatch):
    monkeypatch.setenv("FUGONG_PERIOD_START", "2019-01-01")  # the period spans 2019 and 2020
    _directory(store, tmp_path)
    path = write_xlsx(tmp_path / "日报.xlsx", [_report_sheet([["3月5日", CODES[0], "华信", 5, 0, 0, 0, 0, 0]], None)])
    assert check_file(store, path) == [
        ("2月返岗日报", 3, "日期", "3月5日", "no_year",
         "A3的日期“3月5日”没有年份，也无法从标题行、本表其他日期或数据期推断：请写成 2020-03-05 这样带年份的日期", "error")]


# -- GBK CSV with what cannot be a count or an area ------------------------------------------------

def test_gbk_csv_numbers_that_are_no_numbers(store, tmp_path):
    rows = [BUILDING_HEADER] + [building_row(f"JSL-00{i}", f"大厦{i}", 建筑面积=area)
                                for i, area in enumerate(["NaN", "inf", "-inf", "1e308", "1,2", "12,34",
                                                          "2,500,000", "1 200"], start=1)]
    path = write_csv(tmp_path / "楼宇名录.csv", rows, "gbk")
    sheet = "楼宇名录"

    def bad(row: int, value: str) -> tuple:
        return (sheet, row, "建筑面积", value, "type",
                f"H{row}的“{value}”不是建筑面积可用的值：请填写数字，如 12.5 或 1,200（逗号只能用作千位分隔）", "error")

    assert by_position(check_file(store, path)) == by_position([
        bad(2, "NaN"), bad(3, "inf"), bad(4, "-inf"),
        (sheet, 5, "建筑面积", "1e308", "maximum", "H5的建筑面积为1e308，不能大于2000000", "error"),
        bad(6, "1,2"), bad(7, "12,34"),
        (sheet, 8, "建筑面积", "2,500,000", "maximum", "H8的建筑面积为2,500,000，不能大于2000000", "error"),
        _info(sheet, 8, "建筑面积", "2,500,000", "2500000", "H"),
        _info(sheet, 9, "建筑面积", "1 200", "1200", "H"),
    ])


# -- an xlsx with merged cells over the data, a hidden sheet and an uncalculated formula -------------

def test_merged_building_filled_down_and_hidden_sheet_skipped(store, tmp_path):
    rows = [COMPANY_HEADER,
            company_row(CODES[0], "JSL-001"), company_row(CODES[1], None), company_row(CODES[2], None),
            company_row(CODES[3], "JSL-002")]
    path = write_xlsx(tmp_path / "企业.xlsx", [
        Sheet("楼宇名录", [BUILDING_HEADER, building_row("JSL-001"), building_row("JSL-002", "第二大厦")]),
        Sheet("企业名录", rows, merges=[(1, 2, 3, 2, "JSL-001")]),
        Sheet("旧名录", [COMPANY_HEADER, company_row(CODES[4], "JSL-404")], hidden=True),
    ])
    assert check_file(store, path) == [
        ("企业名录", 2, "楼宇编号", "JSL-001", "merged_filled", "C2:C4 是合并单元格：已按这 3 行的楼宇编号都是“JSL-001”理解",
         "info"),
        ("旧名录", None, None, None, "hidden_sheet", "工作表“旧名录”是隐藏的，已跳过（其中的数据未读取）", "info"),
    ]
    commit_file(store, path)
    assert stored(store, "companies", "credit_code, building_id", "credit_code") == [
        (CODES[0], "JSL-001"), (CODES[1], "JSL-001"), (CODES[2], "JSL-001"), (CODES[3], "JSL-002")]


def test_hidden_sheet_stays_hidden_in_the_annotated_copy(store, tmp_path):
    import io

    import openpyxl

    from pipelines.batches.commit import check_upload

    path = write_xlsx(tmp_path / "企业.xlsx", [
        Sheet("楼宇名录", [BUILDING_HEADER, building_row("JSL-001", 建筑面积="1,000")]),
        Sheet("草稿", [["随手记"]], hidden=True)])
    upload = read_file(path)
    book = openpyxl.load_workbook(io.BytesIO(findings_workbook(upload, check_upload(store, upload, today=TODAY).findings)))
    assert book["草稿"].sheet_state == "hidden"
    assert book["楼宇名录"].sheet_state == "visible"


def test_formula_without_a_computed_value_names_the_cell(store, tmp_path):
    rows = [BUILDING_HEADER, building_row("JSL-001", Formula('="兆丰"&"大厦"', None))]
    path = write_xlsx_uncalculated(tmp_path / "脚本导出.xlsx", rows, "楼宇名录")
    assert check_file(store, path) == [
        ("楼宇名录", 2, "楼宇名称", None, "formula_without_value",
         "B2：该单元格是公式，且没有计算结果：请在 Excel 中打开并保存，或粘贴为数值", "error")]


def test_formula_with_a_cached_value_is_read(store, tmp_path):
    path = write_xlsx(tmp_path / "公式.xlsx", directory_sheets(
        [building_row("JSL-001", Formula('="兆丰"&"大厦"', "兆丰大厦"), 建筑面积=Formula("=100*200", 20000))]))
    assert check_file(store, path) == []
    commit_file(store, path)
    assert stored(store, "buildings", "building_name, floor_area", "building_id") == [("兆丰大厦", 20000.0)]


# -- refused outright ----------------------------------------------------------------------------

def test_wps_et_is_refused_with_what_to_do(tmp_path):
    from pipelines.ingest.read import read_upload

    with pytest.raises(UserError, match=r"WPS 表格（.et）文件.*另存为.*\.xlsx"):
        read_upload("台账.et", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))


def test_text_cells_keep_leading_zeros(store, tmp_path):
    path = write_xls(tmp_path / "楼宇.xls", [Sheet("楼宇", [BUILDING_HEADER, building_row(Text("001"), "零零一大厦")])])
    assert read_file(path).findings == []
    commit_file(store, path)
    assert stored(store, "buildings", "building_id", "building_id") == [("001",)]


# -- the same through the CLI --------------------------------------------------------------------

@pytest.mark.slow
def test_cli_ingests_the_xls_register_and_refuses_et(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    db = tmp_path / "cli.duckdb"
    register = write_xls(tmp_path / "台账.xls", [Sheet("楼宇", REGISTER_BUILDINGS), Sheet("企业", REGISTER_COMPANIES)])
    et = tmp_path / "台账.et"
    et.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))

    def cli(*args: object) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pipelines", "--db", str(db), *map(str, args)], cwd=root,
                              capture_output=True, text=True, timeout=120,
                              env={**__import__("os").environ, "FUGONG_PERIOD_START": "2020-01-01"})

    done = cli("ingest", register, "--accept-warnings")
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first == "台账.xls: {'buildings': 2, 'companies': 8}，错误 0 个，警告 6 个，已按其他写法理解 34 处"
    assert "D2的“18F”已按“第18层”理解" in done.stdout
    store = Store(db, read_only=True)
    assert store.cursor().execute("select count(*), count(floor), count(floor_text) from companies").fetchall() == [
        (8, 7, 8)]
    store.close()
    refused = cli("ingest", et)
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("错误：台账.et 是 WPS 表格（.et）文件，无法直接读取；"
                                      "请在 WPS 中“另存为”Excel 工作簿（.xlsx）后上传")
