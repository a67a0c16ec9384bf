"""Findings: every problem in an upload, one row each (sheet, row, column, value, rule, message, severity)."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd


class Finding(NamedTuple):
    sheet: str
    row: int | None  # Excel row number as the analyst sees it
    column: str | None  # the header as written in the upload (or the canonical label)
    value: str | None
    rule: str
    message: str  # Chinese, says what to do
    severity: str  # "error" blocks the batch, "warning" does not, "info" says how a cell was read


COLUMNS = list(Finding._fields)
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "已理解"}
RULE_LABELS = {
    "required": "必填为空", "type": "格式不对", "enum": "不是可选值", "negative": "出现负数", "minimum": "小于下限",
    "maximum": "超过上限", "credit_code": "信用代码无效", "before_period": "日期早于数据期", "future_date": "日期晚于今天",
    "duplicate_key": "记录重复", "unknown_building": "楼宇不在名录中", "unknown_company": "企业不在名录中",
    "over_staffed": "人数超过员工总数", "outside_shanghai": "坐标不在上海", "swapped_coordinates": "经纬度填反",
    "closed_before_opened": "办结早于提出", "closed_without_date": "缺少办结日期", "date_without_closed": "状态与办结日期不符",
    "unknown_sheet": "无法识别的表", "hidden_sheet": "隐藏的工作表", "unknown_column": "多余的列",
    "duplicate_column": "重复的列", "missing_column": "缺少必填列", "total_row": "合计行", "no_sheet": "没有数据表",
    "example_row": "模板示例行", "outside_street": "不属于本街道",
    "normalised": "按其他写法理解", "normalised_more": "按其他写法理解", "merged_filled": "合并单元格",
    "floor_unread": "楼层读不出", "phone_unread": "电话读不出", "unknown_industry": "行业不在分类中",
    "unknown_choice": "不是可选值", "no_year": "日期缺少年份", "duplicate_building_name": "楼宇重名",
    "formula_without_value": "公式没有结果",
    "cumulative_down": "累计数减少", "over_target": "完成数超过目标",
}
DISPLAY_NAMES = {"sheet": "工作表", "row": "行", "column": "列", "value": "值", "rule": "规则",
                 "message": "说明", "severity": "级别"}


def to_frame(findings: list[Finding] | pd.DataFrame) -> pd.DataFrame:
    if isinstance(findings, pd.DataFrame):
        return findings
    frame = pd.DataFrame(findings, columns=COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame


def sort_findings(frame: pd.DataFrame) -> pd.DataFrame:
    order = frame.assign(_sev=frame["severity"].map({"error": 0, "warning": 1, "info": 2}))
    return order.sort_values(["_sev", "sheet", "row", "column", "rule"], na_position="first", kind="stable") \
        .drop(columns="_sev").reset_index(drop=True)


def has_errors(frame: pd.DataFrame) -> bool:
    return bool((frame["severity"] == "error").any())


def rule_label(rule: str) -> str:
    return RULE_LABELS.get(rule, rule)


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    shown = frame.assign(severity=frame["severity"].map(SEVERITY_LABELS))
    return shown.rename(columns=DISPLAY_NAMES)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
