"""Personal data (contact names, phone numbers, ID numbers) masked for every role but admin.

Which columns are personal comes from the contract (Field.personal), by store name and by Chinese label,
so a page that renames columns for display is still covered. Nothing here logs a value.
"""

from __future__ import annotations

import re

import pandas as pd

from pipelines.core.contract import SHEETS

MASK = "*"


def mask_name(value: object) -> object:
    """王小明 -> 王**, 欧阳娜娜 -> 欧***; empty stays empty."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return value
    text = str(value).strip()
    if not text:
        return text
    if len(text) == 1:
        return MASK
    return text[0] + MASK * (len(text) - 1)


def mask_phone(value: object) -> object:
    """13912341234 -> 139****1234, 021-62345678 -> 021-****5678; short numbers fully masked."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return value
    text = str(value).strip()
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    if len(digits) < 7:
        return re.sub(r"\d", MASK, text)
    keep = set(digits[:3]) | set(digits[-4:])
    return "".join(c if (not c.isdigit() or i in keep) else MASK for i, c in enumerate(text))


def mask_id(value: object) -> object:
    """ID numbers: first and last character kept (310105199001011234 -> 3****************4)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return value
    text = str(value).strip()
    if len(text) <= 2:
        return MASK * len(text)
    return text[0] + MASK * (len(text) - 2) + text[-1]


def _masker(name: str):
    lowered = name.lower()
    if "phone" in lowered or "电话" in name or "手机" in name or "联系方式" in name:
        return mask_phone
    if "id_number" in lowered or "身份证" in name or "证件" in name:
        return mask_id
    return mask_name


def _personal_columns() -> dict[str, object]:
    columns: dict[str, object] = {}
    for spec in SHEETS:
        for f in spec.fields:
            if f.personal:
                for alias in (f.name, f.label, *f.aliases):
                    columns[alias] = _masker(f.name + f.label)
    return columns


PERSONAL_COLUMNS = _personal_columns()


def personal_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if isinstance(c, str) and c in PERSONAL_COLUMNS]


def mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every personal column masked (the input is never changed; cached frames stay whole)."""
    columns = personal_columns(frame)
    if not columns:
        return frame
    masked = frame.copy()
    for column in columns:
        masker = PERSONAL_COLUMNS[column]
        masked[column] = masked[column].map(masker).astype(object)
    return masked
