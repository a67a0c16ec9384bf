"""What the console says back: the one renderer of a UserError, and flash messages that survive a rerun.

Every page shows a UserError through show_error (never a traceback), and every "已保存 / 已入库" message
after a write goes through flash(): a message shown with st.success right before st.rerun() is never seen,
so it is kept in the session and shown once by show_flash() on the next run.
"""

from __future__ import annotations

from typing import Literal

import streamlit as st

from pipelines.core.errors import UserError
from ui.text import inert

Kind = Literal["success", "info", "warning", "error"]
FLASH_KEY = "ui_flash"
_ICONS = {"success": "✅", "info": "ℹ️", "warning": "⚠️", "error": "⚠️"}


def error_text(error: UserError) -> str:
    """Messages quote what users typed or uploaded (file names, usernames): made inert for Markdown."""
    return inert(error.message) + (f"\n\n{inert(error.hint)}" if error.hint else "")


def show_error(error: UserError) -> None:
    """The one place a UserError becomes something on screen."""
    st.error(error_text(error), icon="⚠️")


def flash(message: str | UserError, kind: Kind = "success", slot: str = "page") -> None:
    """Keep a message for the next run of this session; slot says where on the page show_flash shows it."""
    if isinstance(message, UserError):
        message, kind = error_text(message), "error" if kind == "success" else kind
    st.session_state.setdefault(FLASH_KEY, {})[slot] = (kind, message)


def show_flash(slot: str = "page") -> None:
    """Show the slot's message once, if there is one."""
    kind, message = st.session_state.get(FLASH_KEY, {}).pop(slot, (None, None))
    if message:
        getattr(st, kind)(message, icon=_ICONS[kind])


def discard(slot: str) -> None:
    st.session_state.get(FLASH_KEY, {}).pop(slot, None)


def has_flash(slot: str) -> bool:
    return slot in st.session_state.get(FLASH_KEY, {})
