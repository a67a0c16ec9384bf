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
    severity: str  # "error" blocks the batch, "warning" does not


COLUMNS = list(Finding._fields)
SEVERITY_LABELS = {"error": "错误", "warning": "警告"}
DISPLAY_NAMES = {"sheet": "工作表", "row": "行", "column": "列", "value": "值", "rule": "规则",
                 "message": "说明", "severity": "级别"}


def to_frame(findings: list[Finding] | pd.DataFrame) -> pd.DataFrame:
    if isinstance(findings, pd.DataFrame):
        return findings
    frame = pd.DataFrame(findings, columns=COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame


def sort_findings(frame: pd.DataFrame) -> pd.DataFrame:
    order = frame.assign(_sev=frame["severity"].map({"error": 0, "warning": 1}))
    return order.sort_values(["_sev", "sheet", "row", "column", "rule"], na_position="first", kind="stable") \
        .drop(columns="_sev").reset_index(drop=True)


def has_errors(frame: pd.DataFrame) -> bool:
    return bool((frame["severity"] == "error").any())


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
