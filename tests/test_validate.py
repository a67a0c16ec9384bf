"""Every validation rule on a real workbook, with the whole expected findings table.

Each tuple is (sheet, Excel row, column as written in the upload, value, rule, message, severity).
"""

from __future__ import annotations

import datetime as dt

import pytest
from workbooks import (
    BUILDING_HEADER,
    C1,
    C2,
    C3,
    CHECK_HEADER,
    COMPANY_HEADER,
    REQUEST_HEADER,
    RETURN_HEADER,
    TODAY,
    Sheet,
    bad_check_char,
    building_row,
    check_file,
    check_row,
    commit_file,
    company_row,
    credit_code,
    directory_sheets,
    read_file,
    request_row,
    return_row,
    write_xlsx,
)

from pipelines.core.contract import credit_code_valid
from pipelines.core.errors import UserError

E, W = "error", "warning"
UNKNOWN_BUILDING = "不在楼宇名录中（本次上传和已入库的都没有）：请先上传该楼宇，或核对编号"
UNKNOWN_COMPANY = "不在企业名录中（本次上传和已入库的都没有）：请先上传该企业，或核对代码"
BAD_CODE = "不是有效的统一社会信用代码（应为18位，末位校验码须符合GB 32100-2015）：请核对"


def test_missing_column(store, tmp_path):
    path = write_xlsx(tmp_path / "缺列.xlsx", [
        Sheet("楼宇名录", [BUILDING_HEADER, building_row()]),
        Sheet("企业名录", [
            ["江苏路街道楼宇入驻企业名录"],
            ["统一社会信用代码", "企业名称", "楼宇编号", "楼层", "重点企业"],
            [C1, "上海甲有限公司", "T-001", 3, "是"],
        ]),
    ])
    assert check_file(store, path) == [
        ("企业名录", 2, "员工总数", None, "missing_column", "企业名录缺少必填列“员工总数”：请在第2行表头中加上这一列", E),
        ("企业名录", 2, "行业", None, "missing_column", "企业名录缺少必填列“行业”：请在第2行表头中加上这一列", E),
    ]


def test_duplicate_column(store, tmp_path):
    path = write_xlsx(tmp_path / "重复列.xlsx", [Sheet("楼宇名录", [
        [*BUILDING_HEADER, "楼宇名"], [*building_row("T-001"), "别名"]])])
    assert check_file(store, path) == [
        ("楼宇名录", 1, "楼宇名", None, "duplicate_column",
         "列“楼宇名”（L列）与“楼宇名称”（B列）是同一字段，只读取了前一列：请删除重复的列", E),
    ]


def test_required(store, tmp_path):
    path = write_xlsx(tmp_path / "必填.xlsx", [Sheet("楼宇名录", [
        BUILDING_HEADER,
        building_row("T-001", name=None),
        building_row(None),
        building_row("T-003", 所属街道="　 ", 建筑面积=None, 地址=None),  # blank (full-width space) is empty
    ])])
    assert check_file(store, path) == [
        ("楼宇名录", 2, "楼宇名称", None, "required", "楼宇名称不能为空：请在B2填写", E),
        ("楼宇名录", 3, "楼宇编号", None, "required", "楼宇编号不能为空：请在A3填写", E),
        ("楼宇名录", 4, "建筑面积", None, "required", "建筑面积不能为空：请在H4填写", E),
        ("楼宇名录", 4, "所属街道", None, "required", "所属街道不能为空：请在C4填写", E),
    ]


INT_HINT = "请填写整数，如 12 或 1,200（逗号只能用作千位分隔）"


def test_type_int_number_date(store, tmp_path):
    path = write_xlsx(tmp_path / "类型.xlsx", directory_sheets(
        [building_row("T-001", lon="东经121度", 楼层数="二十"), building_row("T-002", 楼层数=12.5)],
        [company_row(C1, employees="约50", 计划复工日期="下周一")],
    ) + [Sheet("返岗日报", [RETURN_HEADER, return_row("2020-02-31", C1)])])
    assert check_file(store, path) == [
        ("企业名录", 2, "员工总数", "约50", "type", f"F2的“约50”不是员工总数可用的值：{INT_HINT}", E),
        ("企业名录", 2, "计划复工日期", "下周一", "type",
         "I2的“下周一”不是计划复工日期可用的值：请填写日期，如 2020-02-17 或 2020/2/17", E),
        ("楼宇名录", 2, "楼层数", "二十", "type", f"I2的“二十”不是楼层数可用的值：{INT_HINT}", E),
        ("楼宇名录", 2, "经度", "东经121度", "type",
         "E2的“东经121度”不是经度可用的值：请填写数字，如 12.5 或 1,200（逗号只能用作千位分隔）", E),
        ("楼宇名录", 3, "楼层数", "12.5", "type", f"I3的“12.5”不是楼层数可用的值：{INT_HINT}", E),
        ("返岗日报", 2, "日期", "2020-02-31", "type",
         "A2的“2020-02-31”不是日期可用的值：请填写日期，如 2020-02-17 或 2020/2/17", E),
    ]


def test_enum_and_accepted_variants(store, tmp_path):
    bad = write_xlsx(tmp_path / "枚举.xlsx", directory_sheets(
        [building_row("T-001", 坐标系="BD09")],
        [company_row(C1, 企业类型="民营企业家", 重点企业="可能")],
    ) + [Sheet("企业诉求", [REQUEST_HEADER, request_row("SQ-1", 类别="其它", 状态="完成")])])
    assert check_file(store, bad) == [
        ("企业名录", 2, "重点企业", "可能", "enum", "H2的“可能”不是可选值：重点企业只能填 是、否", E),
        ("企业诉求", 2, "状态", "完成", "enum", "F2的“完成”不是可选值：状态只能填 待办、办理中、已办结", E),
        ("企业诉求", 2, "类别", "其它", "enum", "D2的“其它”不是可选值：类别只能填 融资、租金减免、法律、用工、物资、其他", E),
        ("楼宇名录", 2, "坐标系", "BD09", "enum", "G2的“BD09”不是可选值：坐标系只能填 GCJ02、WGS84", E),
        ("企业名录", 2, "企业类型", "民营企业家", "unknown_choice",
         "G2的“民营企业家”不是企业类型的可选值（内资、日资、韩资、其他外资、港澳台）：已按原文保存，请核对", "warning"),
    ]
    # Variants people type are folded to the canonical value; an empty cell takes the default.
    good = write_xlsx(tmp_path / "枚举变体.xlsx", directory_sheets(
        [building_row("T-001", 坐标系="wgs-84"), building_row("T-002", 坐标系=None), building_row("T-003", 坐标系="gcj 02")],
        [company_row(C1, 重点企业="Y"), company_row(C2, 重点企业=None, 企业类型="日资"), company_row(C3, 重点企业="√")],
    ))
    assert check_file(store, good) == [
        ("企业名录", 2, "重点企业", "Y", "normalised", "H2的“Y”已按“是”理解", "info"),
        ("企业名录", 4, "重点企业", "√", "normalised", "H4的“√”已按“是”理解", "info"),
        ("楼宇名录", 2, "坐标系", "wgs-84", "normalised", "G2的“wgs-84”已按“WGS84”理解", "info"),
        ("楼宇名录", 4, "坐标系", "gcj 02", "normalised", "G4的“gcj 02”已按“GCJ02”理解", "info"),
    ]
    commit_file(store, good)
    cur = store.cursor()
    assert cur.execute("select building_id, crs from buildings order by 1").fetchall() == [
        ("T-001", "WGS84"), ("T-002", "GCJ02"), ("T-003", "GCJ02")]
    assert cur.execute("select credit_code, key_company, company_type from companies order by 1").fetchall() == [
        (C1, "是", "内资"), (C2, "否", "日资"), (C3, "是", "内资")]


def test_negative_minimum_maximum(store, tmp_path):
    path = write_xlsx(tmp_path / "范围.xlsx", directory_sheets(
        [building_row("T-001", 楼层数=0, 建筑面积=0.5)],
        [company_row(C1, employees=-1, 楼层=201), company_row(C2, 楼层=-11)],
    ) + [
        Sheet("返岗日报", [RETURN_HEADER, return_row(code=C2, on_site=-2, 居家观察人数=-1)]),
        Sheet("楼宇检查", [CHECK_HEADER, check_row(封闭管理=6, 排摸登记=-1, 物业履责评分=100.5),
                          check_row("2020-02-18", 封闭管理=5, 企业服务=4)]),
    ])
    assert check_file(store, path) == [
        ("企业名录", 2, "员工总数", "-1", "negative", "F2的员工总数为-1，不能为负数", E),
        ("楼宇名录", 2, "建筑面积", "0.5", "minimum", "H2的建筑面积为0.5，不能小于1", E),
        ("楼宇名录", 2, "楼层数", "0", "minimum", "I2的楼层数为0，不能小于1", E),
        ("楼宇检查", 2, "封闭管理", "6", "maximum", "C2的封闭管理为6，不能大于5", E),
        ("楼宇检查", 2, "排摸登记", "-1", "negative", "D2的排摸登记为-1，不能为负数", E),
        ("楼宇检查", 2, "物业履责评分", "100.5", "maximum", "I2的物业履责评分为100.5，不能大于100", E),
        ("楼宇检查", 3, "企业服务", "4", "maximum", "H3的企业服务为4，不能大于3", E),
        ("返岗日报", 2, "在岗人数", "-2", "negative", "D2的在岗人数为-2，不能为负数", E),
        ("返岗日报", 2, "居家观察人数", "-1", "negative", "H2的居家观察人数为-1，不能为负数", E),
        # a floor is descriptive: out of range it is kept as written, with a warning
        ("企业名录", 2, "楼层", "201", "maximum", "D2的楼层为201，不能大于200", "warning"),
        ("企业名录", 3, "楼层", "-11", "minimum", "D3的楼层为-11，不能小于-10", "warning"),
    ]


def test_credit_code_check_character(store, tmp_path):
    # Published codes, independent of our generator: the GB 32100-2015 example and two real companies.
    published = ["91350100M000100Y43", "9144030071526726XG", "91110000802100433B"]
    assert all(credit_code_valid(c) for c in published)
    assert not credit_code_valid("91350100M000100Y44")
    wrong, short, letter_i = bad_check_char(C1), C2[:17], "91310105I00000001C"
    path = write_xlsx(tmp_path / "信用代码.xlsx", directory_sheets(
        [building_row()],
        [company_row(c) for c in (*published, wrong, short, letter_i, C3.lower())],
    ))
    assert check_file(store, path) == [
        ("企业名录", 5, "统一社会信用代码", wrong, "credit_code", f"A5的“{wrong}”{BAD_CODE}", E),
        ("企业名录", 6, "统一社会信用代码", short, "credit_code", f"A6的“{short}”{BAD_CODE}", E),
        ("企业名录", 7, "统一社会信用代码", letter_i, "credit_code", f"A7的“{letter_i}”{BAD_CODE}", E),
        ("企业名录", 8, "统一社会信用代码", C3.lower(), "normalised", f"A8的“{C3.lower()}”已按“{C3}”理解", "info"),
    ]


def test_duplicate_key(store, tmp_path):
    path = write_xlsx(tmp_path / "重复.xlsx", [
        Sheet("楼宇名录", [BUILDING_HEADER, building_row("T-001"), building_row("T-002"), building_row("T-001", "重名")]),
        Sheet("楼宇名录（续）", [BUILDING_HEADER, building_row("T-002", "续表里的同一栋楼"), building_row("T-004")]),
        Sheet("企业名录", [COMPANY_HEADER, company_row(C1)]),
        # The same day and company typed three ways: a text date, a real Excel date, a lower-case code.
        Sheet("返岗日报", [RETURN_HEADER, return_row("2020/2/17", C1), return_row(dt.date(2020, 2, 17), C1),
                         return_row("2020-02-17", C1.lower()), return_row("2020-02-18", C1)]),
    ])
    assert check_file(store, path) == [
        ("楼宇名录", 4, "楼宇编号", "T-001", "duplicate_key",
         "A4：“T-001”在本次上传中重复（与第2行相同），每个楼宇名录记录只能出现一次：请删除重复行", E),
        ("楼宇名录（续）", 2, "楼宇编号", "T-002", "duplicate_key",
         "A2：“T-002”在本次上传中重复（与工作表“楼宇名录”第3行相同），每个楼宇名录记录只能出现一次：请删除重复行", E),
        ("返岗日报", 3, "统一社会信用代码", f"2020-02-17 {C1}", "duplicate_key",
         f"B3：“2020-02-17 {C1}”在本次上传中重复（与第2行相同），每个返岗日报记录只能出现一次：请删除重复行", E),
        ("返岗日报", 4, "统一社会信用代码", f"2020-02-17 {C1}", "duplicate_key",
         f"B4：“2020-02-17 {C1}”在本次上传中重复（与第2行相同），每个返岗日报记录只能出现一次：请删除重复行", E),
        ("返岗日报", 4, "统一社会信用代码", C1.lower(), "normalised", f"B4的“{C1.lower()}”已按“{C1}”理解", "info"),
    ]


def test_duplicate_key_on_the_same_row_of_two_sheets(store, tmp_path):
    """Two sheets of one kind: the same key on the same Excel row is still a duplicate."""
    path = write_xlsx(tmp_path / "两表重复.xlsx", [
        Sheet("一月", [BUILDING_HEADER, building_row("T-001")]),
        Sheet("二月", [BUILDING_HEADER, building_row("T-001", "另一个名字")]),
    ])
    assert check_file(store, path) == [
        ("二月", 2, "楼宇编号", "T-001", "duplicate_key",
         "A2：“T-001”在本次上传中重复（与工作表“一月”第2行相同），每个楼宇名录记录只能出现一次：请删除重复行", E),
    ]


def test_unknown_building(store, tmp_path):
    upload = write_xlsx(tmp_path / "楼宇未知.xlsx", directory_sheets(
        [building_row("T-001")],
        [company_row(C1, "T-001"), company_row(C2, "T-404")],
    ) + [Sheet("楼宇检查", [CHECK_HEADER, check_row(bid="T-001"), check_row(bid="T-405")])])
    assert check_file(store, upload) == [
        ("企业名录", 3, "楼宇编号", "T-404", "unknown_building", f"C3的楼宇编号“T-404”{UNKNOWN_BUILDING}", E),
        ("楼宇检查", 3, "楼宇编号", "T-405", "unknown_building", f"B3的楼宇编号“T-405”{UNKNOWN_BUILDING}", E),
    ]
    # Once the buildings are stored, the same upload is fine.
    commit_file(store, write_xlsx(tmp_path / "楼宇.xlsx", directory_sheets(
        [building_row("T-404"), building_row("T-405")])))
    assert check_file(store, upload) == []


def test_unknown_company(store, tmp_path):
    stranger = credit_code(9)
    upload = write_xlsx(tmp_path / "企业未知.xlsx", [
        Sheet("返岗日报", [RETURN_HEADER, return_row(code=stranger)]),
        Sheet("企业诉求", [REQUEST_HEADER, request_row("SQ-1", code=stranger)]),
    ])
    assert check_file(store, upload) == [
        ("企业诉求", 2, "统一社会信用代码", stranger, "unknown_company", f"C2的统一社会信用代码“{stranger}”{UNKNOWN_COMPANY}", E),
        ("返岗日报", 2, "统一社会信用代码", stranger, "unknown_company", f"B2的统一社会信用代码“{stranger}”{UNKNOWN_COMPANY}", E),
    ]
    commit_file(store, write_xlsx(tmp_path / "名录.xlsx", directory_sheets([building_row()], [company_row(stranger)])))
    assert check_file(store, upload) == []


def test_over_staffed(store, tmp_path):
    commit_file(store, write_xlsx(tmp_path / "名录.xlsx", directory_sheets(
        [building_row()], [company_row(C1, employees=100), company_row(C2, employees=10)])))
    path = write_xlsx(tmp_path / "日报.xlsx", [
        # C3 is new in this upload; C2's 员工总数 is raised from 10 (stored) to 30 by this upload.
        Sheet("企业名录", [COMPANY_HEADER, company_row(C3, employees=5), company_row(C2, employees=30)]),
        Sheet("返岗日报", [RETURN_HEADER,
                         return_row("2020-02-17", C1, on_site=90, remote=11),  # stored 100: over
                         return_row("2020-02-18", C1, on_site=90, remote=10),  # exactly 100: fine
                         return_row("2020-02-19", C1, on_site=101, remote=None),  # no 居家办公: counts 0
                         return_row("2020-02-17", C2, on_site=20, remote=5),  # 25 of 30 (not of the stored 10)
                         return_row("2020-02-17", C3, on_site=5, remote=1)]),  # 6 of 5 from this upload
    ])
    assert check_file(store, path) == [
        ("返岗日报", 2, "在岗人数", "90", "over_staffed",
         "D2：在岗人数与居家办公人数之和为101，员工总数为100：不能超过该企业的员工总数，请核对", E),
        ("返岗日报", 4, "在岗人数", "101", "over_staffed",
         "D4：在岗人数与居家办公人数之和为101，员工总数为100：不能超过该企业的员工总数，请核对", E),
        ("返岗日报", 6, "在岗人数", "5", "over_staffed",
         "D6：在岗人数与居家办公人数之和为6，员工总数为5：不能超过该企业的员工总数，请核对", E),
    ]


def test_future_date_and_before_period(store, tmp_path):
    path = write_xlsx(tmp_path / "日期.xlsx", directory_sheets(
        [building_row()],
        [company_row(C1, 计划复工日期="2020-03-16"),  # a plan may lie ahead
         company_row(C2, 计划复工日期="2019-02-10")],
    ) + [
        Sheet("返岗日报", [RETURN_HEADER,
                         return_row("2020-03-02", C1),
                         return_row(dt.date(2020, 3, 3), C1),  # a real Excel date
                         return_row("2002-02-17", C1),  # 2002 typed for 2020
                         return_row(TODAY, C1)]),  # today itself is fine
        Sheet("企业诉求", [REQUEST_HEADER, request_row("SQ-1", "2020-02-12", C1, "已办结", "2020-03-05")]),
    ])
    assert check_file(store, path) == [
        ("企业名录", 3, "计划复工日期", "2019-02-10", "before_period", "I3的日期2019-02-10早于数据期起始日2020-01-01：请核对年份", E),
        ("企业诉求", 2, "办结日期", "2020-03-05", "future_date", "G2的日期2020-03-05晚于今天（2020-03-01）：请核对", E),
        ("返岗日报", 2, "日期", "2020-03-02", "future_date", "A2的日期2020-03-02晚于今天（2020-03-01）：请核对", E),
        ("返岗日报", 3, "日期", "2020-03-03", "future_date", "A3的日期2020-03-03晚于今天（2020-03-01）：请核对", E),
        ("返岗日报", 4, "日期", "2002-02-17", "before_period", "A4的日期2002-02-17早于数据期起始日2020-01-01：请核对年份", E),
    ]
    # The same file a few days later has nothing in the future.
    assert [r[4] for r in check_file(store, path, today=dt.date(2020, 3, 31))] == ["before_period", "before_period"]


def test_outside_shanghai_and_swapped_coordinates(store, tmp_path):
    path = write_xlsx(tmp_path / "坐标.xlsx", [Sheet("楼宇名录", [
        BUILDING_HEADER,
        building_row("T-001", lon=121.43, lat=35.0),  # Shandong
        building_row("T-002", lon=31.22, lat=121.43),  # typed the wrong way round
        building_row("T-003", lon=0, lat=0),
        building_row("T-004", lon=121.4259, lat=31.2221, 坐标系="WGS84"),  # fine
    ])])
    assert check_file(store, path) == [
        ("楼宇名录", 2, "经度", "121.43", "outside_shanghai", "E2：经纬度(121.43, 35.0)不在上海范围内：请核对", E),
        ("楼宇名录", 3, "经度", "31.22", "swapped_coordinates",
         "E3：经纬度(31.22, 121.43)像是填反了（经度约121，纬度约31）：请交换两列", E),
        ("楼宇名录", 4, "经度", "0.0", "outside_shanghai", "E4：经纬度(0.0, 0.0)不在上海范围内：请核对", E),
    ]


def test_request_date_rules(store, tmp_path):
    commit_file(store, write_xlsx(tmp_path / "名录.xlsx", directory_sheets([building_row()], [company_row(C1)])))
    path = write_xlsx(tmp_path / "诉求.xlsx", [Sheet("企业诉求", [
        REQUEST_HEADER,
        request_row("SQ-1", "2020-02-12", status="已办结", closed="2020-02-11"),
        request_row("SQ-2", "2020-02-12", status="已办结", closed=None),
        request_row("SQ-3", "2020-02-12", status="办理中", closed="2020-02-13"),
        request_row("SQ-4", "2020-02-12", status="已办结", closed="2020-02-12"),  # closed the same day: fine
        request_row("SQ-5", "2020-02-12", status="待办"),
    ])])
    assert check_file(store, path) == [
        ("企业诉求", 2, "办结日期", "2020-02-11", "closed_before_opened", "G2：办结日期2020-02-11早于提出日期2020-02-12：请核对", E),
        ("企业诉求", 3, "办结日期", None, "closed_without_date", "G3：状态为已办结，但没有办结日期：请补填", W),
        ("企业诉求", 4, "办结日期", "2020-02-13", "date_without_closed", "G4：填了办结日期2020-02-13，但状态是“办理中”：请核对状态", W),
    ]


def test_warnings_do_not_block_but_must_be_confirmed(store, tmp_path):
    path = write_xlsx(tmp_path / "警告.xlsx", [
        Sheet("填表说明", [["填表说明"], ["每天16:00前报送"]]),
        Sheet("楼宇名录", [[*BUILDING_HEADER, "备注"], [*building_row("T-001"), "新楼"], [*building_row("T-002"), None]]),
        Sheet("企业名录", [COMPANY_HEADER, company_row(C1, "T-001", employees=10),
                         company_row(C2, "T-002", employees=20), ["合计", None, None, None, None, 30]]),
        Sheet("旧企业名录", [COMPANY_HEADER, company_row(C3, "T-001")], hidden=True),
    ])
    assert check_file(store, path) == [
        ("企业名录", 4, None, None, "total_row", "第4行是合计行，已跳过（合计由系统计算）", W),
        ("填表说明", None, None, None, "unknown_sheet", "工作表“填表说明”的表头不属于任何一种数据表，已忽略：请使用模板中的表头", W),
        ("楼宇名录", 1, "备注", None, "unknown_column", "列“备注”（L列）不在楼宇名录的字段中，已忽略", W),
        ("旧企业名录", None, None, None, "hidden_sheet", "工作表“旧企业名录”是隐藏的，已跳过（其中的数据未读取）", "info"),
    ]
    with pytest.raises(UserError) as refused:
        commit_file(store, path)
    assert str(refused.value) == "警告.xlsx 有 3 个警告；请确认警告后再提交"  # an info line needs no confirming
    assert store.cursor().execute("select count(*) from batches").fetchall() == [(0,)]
    commit_file(store, path, confirm_warnings=True)
    cur = store.cursor()
    assert cur.execute("select credit_code, employees from companies order by 1").fetchall() == [
        (C1, 10), (C2, 20)]  # the 合计 row is not a company; the hidden sheet is not read


def test_findings_collected_across_sheets_errors_first(store, tmp_path):
    """Validation never stops at the first finding: errors of every sheet, then warnings."""
    path = write_xlsx(tmp_path / "多处.xlsx", directory_sheets(
        [[*building_row("T-001", 楼层数="x")], building_row("T-002", lon=31.22, lat=121.43)],
        [company_row(bad_check_char(C1), "T-009"), ["合计"]],
    ))
    rows = check_file(store, path)
    assert [(r[0], r[1], r[4], r[6]) for r in rows] == [
        ("企业名录", 2, "unknown_building", E),
        ("企业名录", 2, "credit_code", E),
        ("楼宇名录", 2, "type", E),
        ("楼宇名录", 3, "swapped_coordinates", E),
        ("企业名录", 3, "total_row", W),
    ]
    upload = read_file(path)
    assert upload.row_counts() == {"buildings": 2, "companies": 1}
