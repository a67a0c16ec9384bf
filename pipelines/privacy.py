"""Personal data (names, phone numbers) masked for display: 王* / 139****1234."""

from __future__ import annotations

import re


def mask_name(name: object) -> str:
    """Keep the first character (the surname) and hide the rest, length too: 王小明 -> 王*; empty stays empty."""
    if not isinstance(name, str) or not name.strip():
        return ""
    return name.strip()[0] + "*"


def mask_phone(phone: object) -> str:
    """Keep the first three and last four digits of a number: 13912341234 -> 139****1234."""
    if not isinstance(phone, str) or not phone.strip():
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
