"""Ingest: real xlsx and CSV files as street offices make them, read into typed staging rows."""

from __future__ import annotations

import datetime as dt

import pytest
from workbooks import (
    BUILDING_HEADER,
    C1,
    C2,
    C3,
    REQUEST_HEADER,
    Formula,
    Serial,
    Sheet,
    Text,
    building_row,
    check_file,
    commit_file,
    company_row,
    directory_sheets,
    findings_rows,
    read_file,
    request_row,
    write_csv,
    write_xlsx,
)

from pipelines.core.errors import RejectedUpload, UserError
from pipelines.ingest.read import Limits, read_upload
from pipelines.ingest.validate import stage

D = dt.date
FEB17 = D(2020, 2, 17)


def staged(store, upload, kind: str, columns: str) -> list[tuple]:
    """Typed staging rows of one sheet kind, as the commit would store them."""
    cur = store.cursor()
    stage(cur, upload)
    return cur.execute(f"select sheet, row_no, {columns} from stg_{kind} order by sheet, row_no").fetchall()


# -- CSV ------------------------------------------------------------------------------------------

REQUEST_ROWS = [
    REQUEST_HEADER,
    request_row("SQ-1", "2020/2/12", C1, "待办", None, 内容="申请疫情期间贷款贴息"),
    request_row("SQ-2", "2020年2月13日", C2, "已办结", "20200220", 类别="租金减免", 内容="减免长宁区国资物业租金"),
]
REQUEST_TYPED = [
    ("SQ-1", D(2020, 2, 12), C1, "融资", "申请疫情期间贷款贴息", "待办", None),
    ("SQ-2", D(2020, 2, 13), C2, "租金减免", "减免长宁区国资物业租金", "已办结", D(2020, 2, 20)),
]
REQUEST_COLUMNS = "request_id, request_date, credit_code, category, content, status, closed_date"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8", "utf-16"])
def test_csv_encodings_are_detected(store, tmp_path, encoding):
    path = write_csv(tmp_path / f"企业诉求_{encoding}.csv", REQUEST_ROWS, encoding)
    content = path.read_bytes()
    if encoding not in ("utf-8", "utf-8-sig"):  # the file really is not UTF-8: detection, not luck
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")
    upload = read_file(path)
    assert upload.findings == []
    assert list(upload.sheets) == ["requests"]
    sheet = f"企业诉求_{encoding}"
    assert staged(store, upload, "requests", REQUEST_COLUMNS) == [
        (sheet, 2, *REQUEST_TYPED[0]), (sheet, 3, *REQUEST_TYPED[1])]


def test_ragged_csv_with_a_title_row(store, tmp_path):
    """A one-cell title row above the header (pyarrow refuses ragged rows); line numbers stay right."""
    path = write_csv(tmp_path / "诉求清单.csv",
                     [["华阳路街道企业诉求清单"], *REQUEST_ROWS, [], ["合计", "2"]], "gbk")
    upload = read_file(path)
    assert findings_rows(upload_frame(upload)) == [
        ("诉求清单", 6, None, None, "total_row", "第6行是合计行，已跳过（合计由系统计算）", "warning")]
    assert upload.sheets["requests"].header_rows == {"诉求清单": 2}
    assert staged(store, upload, "requests", REQUEST_COLUMNS) == [
        ("诉求清单", 3, *REQUEST_TYPED[0]), ("诉求清单", 4, *REQUEST_TYPED[1])]


def test_excel_unicode_text_export(store, tmp_path):
    """Excel's “Unicode 文本 (*.txt)”: UTF-16 with a BOM, tab-separated, here with a title row."""
    path = write_csv(tmp_path / "诉求.txt", [["华阳路街道企业诉求清单"], *REQUEST_ROWS], "utf-16", delimiter="\t")
    assert path.read_bytes()[:2] == b"\xff\xfe"
    upload = read_file(path)
    assert upload.findings == []
    assert staged(store, upload, "requests", REQUEST_COLUMNS) == [
        ("诉求", 3, *REQUEST_TYPED[0]), ("诉求", 4, *REQUEST_TYPED[1])]


def test_csv_bad_cell_is_reported_at_its_line(store, tmp_path):
    rows = [["华阳路街道企业诉求清单"], *REQUEST_ROWS, request_row("SQ-3", "2020-02-30", C1)]
    path = write_csv(tmp_path / "诉求.csv", rows, "utf-8-sig")
    commit_directory(store, tmp_path)
    assert check_file(store, path) == [
        ("诉求", 5, "日期", "2020-02-30", "type", "B5的“2020-02-30”不是日期可用的值：请填写日期，如 2020-02-17 或 2020/2/17",
         "error")]


def commit_directory(store, tmp_path) -> None:
    commit_file(store, write_xlsx(tmp_path / "名录.xlsx", directory_sheets(
        [building_row()], [company_row(C1), company_row(C2), company_row(C3)])))


def upload_frame(upload):
    from pipelines.ingest.findings import sort_findings, to_frame

    return sort_findings(to_frame(upload.findings))


# -- a government-style workbook ------------------------------------------------------------------

def test_title_unit_rows_merged_header_at_c3(store, tmp_path):
    """Title and unit rows, a header merged over two rows with grouped sub-headers, data from C3,
    formulas, every date form, a full-width digit, a 合计 row and trailing blank-looking cells."""
    rows = [
        ["长宁区江苏路街道商务楼宇防疫检查记录", *[None] * 10],
        ["单位：项　　填报日期：2020年2月21日"],
        ["日期", "楼宇编号", "检查项目（通过项数）", None, None, None, None, None, "物业履责评分", "发现问题", "检查人"],
        [None, None, "封闭管理", "排摸登记", "应对预案", "卫生消毒", "组织动员", "企业服务", None, None, None],
        [FEB17, "T-001", 5, 4, 3, 4, 3, 3, 90, None, "张强"],  # row 7: a real Excel date
        [Serial(43879), "T-001", 5, 4, 3, 4, 3, 3, Formula("=80+5", 85), "无", "张强"],  # row 8: a serial, a formula
        [Text("2020年2月19日"), "T-001", 9, 4, 3, 4, 3, 3, 90, None, "张强"],  # row 9: 封闭管理 9 > 5
        [None] * 11,  # a blank row in between
        [Text("20200220"), "T-001", "５", 4, 3, 4, 3, Formula("=1+1", 2), 90, None, "张强"],  # row 11
        ["合计", None, Formula("=SUM(E7:E11)", 24), None, None, None, None, None, None, None, None],  # row 12
        [" ", " ", None, None, None, None, None, None, None, None, None, " "],  # looks empty
    ]
    top, left = 2, 2  # C3
    merges = [(top, left, top, left + 10, rows[0][0]),
              *[(top + 2, left + c, top + 3, left + c, rows[2][c]) for c in (0, 1, 8, 9, 10)],
              (top + 2, left + 2, top + 2, left + 7, rows[2][2])]
    path = write_xlsx(tmp_path / "检查记录.xlsx", [
        Sheet("楼宇名录", [BUILDING_HEADER, building_row()]),
        Sheet("检查记录", rows, origin=(top, left), merges=merges, trailing_formatted=(30, 4),
              formatted_blanks=[(0, 0), (1, 1), (0, 5)]),  # bordered empty cells above and left of the data
    ])
    upload = read_file(path)
    checks = upload.sheets["checks"]
    assert checks.header_rows == {"检查记录": 6}
    assert {name: checks.headers[("检查记录", name)] for name in ("check_date", "area_closed", "duty_score")} == {
        "check_date": ("日期", "C"), "area_closed": ("封闭管理", "E"), "duty_score": ("物业履责评分", "K")}
    assert check_file(store, path) == [
        ("检查记录", 9, "封闭管理", "9", "maximum", "E9的封闭管理为9，不能大于5", "error"),
        ("检查记录", 12, None, None, "total_row", "第12行是合计行，已跳过（合计由系统计算）", "warning"),
        ("检查记录", 8, "日期", "43879", "normalised", "C8的“43879”已按“2020-02-18”理解", "info"),  # a bare serial
    ]
    assert staged(store, upload, "checks", "check_date, building_id, area_closed, area_service, duty_score, "
                                            "issues_found, inspector") == [
        ("检查记录", 7, D(2020, 2, 17), "T-001", 5, 3, 90.0, None, "张强"),
        ("检查记录", 8, D(2020, 2, 18), "T-001", 5, 3, 85.0, "无", "张强"),
        ("检查记录", 9, D(2020, 2, 19), "T-001", 9, 3, 90.0, None, "张强"),
        ("检查记录", 11, D(2020, 2, 20), "T-001", 5, 2, 90.0, None, "张强"),
    ]


def test_unit_row_under_the_header_is_skipped(store, tmp_path):
    path = write_xlsx(tmp_path / "单位行.xlsx", [Sheet("楼宇名录", [
        BUILDING_HEADER,
        [None, None, None, None, "（度）", "（度）", None, "（㎡）", "（层）", None, None],
        building_row("T-001"),
    ])])
    upload = read_file(path)
    assert upload.findings == []
    assert staged(store, upload, "buildings", "building_id, lon, lat, floor_area, floors") == [
        ("楼宇名录", 3, "T-001", 121.4305, 31.22, 20000.0, 20)]


# -- headers and cells as people type them ----------------------------------------------------------

def test_header_aliases_full_width_and_line_breaks(store, tmp_path):
    path = write_xlsx(tmp_path / "企业.xlsx", [
        Sheet("楼宇名录", [BUILDING_HEADER, building_row()]),
        Sheet("表一", [
            ["信用代码", "*单位名称", "所在楼宇编号", "所属行业", "员工\n总数", "企业 性质", "是否重点企业", "计划复工时间",
             "联系人", "手机"],
            [C1, "上海甲有限公司", "T-001", "金融", "１２", "内资", "是", "２０２０－０２－１０", "王伟", "13800000000"],
            [C2.lower(), "上海乙有限公司", "Ｔ－００１", "金融", Text("1,234"), "日资", "否", None, None, None],
        ]),
        Sheet("Sheet3", [
            ["credit code", "company name", "building id", "industry", "职工人数（人）"],
            [C3, "Shanghai C Ltd", "t-001 ", "软件和信息服务", Text("２，０００")],
        ]),
    ])
    upload = read_file(path)
    assert upload.findings == []
    companies = upload.sheets["companies"]
    assert companies.source_sheets == ["表一", "Sheet3"]
    assert companies.headers[("表一", "employees")] == ("员工\n总数", "E")
    assert companies.headers[("Sheet3", "employees")] == ("职工人数（人）", "E")
    assert staged(store, upload, "companies", "credit_code, company_name, building_id, industry, employees, "
                                              "company_type, key_company, planned_date, contact_person") == [
        ("Sheet3", 2, C3, "Shanghai C Ltd", "t-001", "信息传输、软件和信息技术服务业", 2000, None, "否", None, None),
        ("表一", 2, C1, "上海甲有限公司", "T-001", "金融业", 12, "内资", "是", D(2020, 2, 10), "王伟"),
        ("表一", 3, C2, "上海乙有限公司", "T-001", "金融业", 1234, "日资", "否", None, None),
    ]


DATE_FORMS = [
    FEB17,  # a real Excel date
    Serial(43878),  # the serial without a date format
    Serial(43878.0),
    Text("2020/2/17"),
    Text("2020-02-17"),
    Text("2020年2月17日"),
    Text("20200217"),
    20200217,  # typed as a number
    Text("2020.2.17"),
    Text("２０２０年２月１７日"),  # full-width
    Text(" 2020-2-17 "),
    Formula("=DATE(2020,2,17)", 43878),  # a formula: its cached value
]


def test_dates_in_every_form(store, tmp_path):
    rows = [REQUEST_HEADER] + [request_row(f"SQ-{i}", day, C1) for i, day in enumerate(DATE_FORMS)]
    path = write_xlsx(tmp_path / "日期.xlsx", [Sheet("企业诉求", rows)])
    upload = read_file(path)
    typed = staged(store, upload, "requests", "request_id, request_date")
    assert typed == [("企业诉求", i + 2, f"SQ-{i}", FEB17) for i in range(len(DATE_FORMS))]


def test_numbers_stored_as_text_and_formulas(store, tmp_path):
    path = write_xlsx(tmp_path / "数字.xlsx", directory_sheets(
        [building_row("T-001", 建筑面积=Text("12,500.5"), 楼层数=Text("12"), lon=Text("121.4305"))],
        [company_row(C1, employees=Formula("=SUM(1,2)", 3)), company_row(C2, employees=Text("1,234")),
         company_row(C3, employees=Text("12.0"))],
    ))
    upload = read_file(path)
    assert upload.findings == []
    assert staged(store, upload, "buildings", "floor_area, floors, lon") == [("楼宇名录", 2, 12500.5, 12, 121.4305)]
    assert staged(store, upload, "companies", "employees") == [("企业名录", 2, 3), ("企业名录", 3, 1234), ("企业名录", 4, 12)]


def test_several_sheets_recognised_by_headers_not_names(tmp_path):
    path = write_xlsx(tmp_path / "综合.xlsx", [
        Sheet("楼宇名录", [["统一社会信用代码", "企业名称", "楼宇编号", "行业", "员工总数"], company_row(C1)[:3] + ["金融", 10]]),
        Sheet("Sheet2", [BUILDING_HEADER, building_row("T-001"), building_row("T-002")]),
        Sheet("2月17日", [["日期", "统一社会信用代码", "在岗人数"], ["2020-02-17", C1, 3]]),
        Sheet("2月18日", [["填报日期", "信用代码", "到岗人数", "居家办公"], ["2020-02-18", C1, 4, 1],
                         ["2020-02-18", C2, 5, 0]]),
    ])
    upload = read_file(path)
    assert upload.findings == []
    assert upload.row_counts() == {"companies": 1, "buildings": 2, "daily_returns": 3}
    assert upload.sheets["daily_returns"].source_sheets == ["2月17日", "2月18日"]
    assert upload.sheets["companies"].source_sheets == ["楼宇名录"]


def test_trailing_empty_rows_and_columns(store, tmp_path):
    rows = [BUILDING_HEADER + [" ", None], building_row("T-001") + [" "], [None] * 11, [" "] * 13, [None, " "]]
    path = write_xlsx(tmp_path / "尾部.xlsx", [Sheet("楼宇名录", rows, trailing_formatted=(50, 10))])
    upload = read_file(path)
    assert upload.findings == []
    assert staged(store, upload, "buildings", "building_id") == [("楼宇名录", 2, "T-001")]


# -- files that cannot be read --------------------------------------------------------------------

def test_no_recognisable_sheet_is_an_error(store, tmp_path):
    path = write_xlsx(tmp_path / "说明.xlsx", [Sheet("说明", [["填表说明"], ["请使用模板"]])])
    assert check_file(store, path) == [
        ("说明", None, None, None, "no_sheet", "文件中没有找到可识别的数据表：请使用模板中的表头", "error"),
        ("说明", None, None, None, "unknown_sheet", "工作表“说明”的表头不属于任何一种数据表，已忽略：请使用模板中的表头",
         "warning"),
    ]
    with pytest.raises(RejectedUpload):  # before: only a warning, so a confirmed upload made an empty batch
        commit_file(store, path, confirm_warnings=True)
    assert store.cursor().execute("select count(*) from batches").fetchall() == [(0,)]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("旧表.xls", b"\xd0\xcf\x11\xe0", "无法读取 旧表.xls：文件损坏或不是 Excel 文件；请在 Excel 或 WPS 中打开并另存为 .xlsx 后上传"),
    ("导出.xls", b"<html><table><tr><td>1</td></tr></table></html>",
     "导出.xls 是网页格式（HTML）导出的表格，不是真正的 Excel 文件；请在 Excel 或 WPS 中打开后“另存为”.xlsx 再上传"),
    ("台账.et", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "台账.et 是 WPS 表格（.et）文件，无法直接读取；请在 WPS 中“另存为”Excel 工作簿（.xlsx）后上传"),
    ("坏.xlsx", b"not a zip at all", "无法读取 坏.xlsx：不是有效的 .xlsx 文件；请在 Excel 中打开并重新保存为 .xlsx"),
    ("报告.pdf", b"%PDF-1.4", "不支持的文件类型：报告.pdf；请上传 .xlsx、.xls 或 .csv 文件"),
    ("乱码.csv", b"\xff\x00\xfe\x81\x30\x81", "无法识别 乱码.csv 的文字编码；请在 Excel 中另存为“CSV UTF-8”或 .xlsx"),
])
def test_unreadable_files_say_what_to_do(name, content, message):
    with pytest.raises(UserError) as refused:
        read_upload(name, content)
    assert str(refused.value) == message


def test_limits_refuse_oversized_sheets(tmp_path):
    path = write_xlsx(tmp_path / "大表.xlsx", [Sheet("楼宇名录", [BUILDING_HEADER] + [building_row(f"T-{i}") for i in range(5)])])
    with pytest.raises(UserError) as refused:
        read_upload(path.name, path.read_bytes(), Limits(max_rows=4))
    assert str(refused.value) == "工作表“楼宇名录”有 6 行 × 11 列，超过上限（4 行、200 列）；请删去多余的行列或拆分文件"
    with pytest.raises(UserError, match="超过上限 0 MB"):
        read_upload(path.name, path.read_bytes(), Limits(max_file_bytes=100))



def test_serial_number_column_is_ignored_silently(store, tmp_path):
    path = write_xlsx(tmp_path / "序号.xlsx", [
        Sheet("楼宇名录", [["序号", *BUILDING_HEADER], [1, *building_row("T-001")], [2, *building_row("T-002")]]),
    ])
    assert check_file(store, path) == []
    upload = read_file(path)
    assert upload.sheets["buildings"].table.column("building_id").to_pylist() == ["T-001", "T-002"]
