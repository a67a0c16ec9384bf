"""Helpers for tests that run the app or a page as a given user (the sample database's demo users)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from pipelines.auth.accounts import DEMO_USERS, ROLE_PERMISSIONS

ROOT = Path(__file__).resolve().parent.parent

# The specification of issue 7, written out independently of pipelines.auth.ROLE_PERMISSIONS.
SPEC = {
    "leader": {"view", "kiosk", "grade.override", "config.approve"},
    "analyst": {"view", "kiosk", "upload", "rollback", "config.edit"},
    "screen": {"kiosk"},
    "admin": {"view", "kiosk", "users.manage", "tokens.manage", "audit.view", "personal.view"},
}
APP = ROOT / "streamlit_app.py"

# One district demo user per role, and the street-scoped one.
DEMO_BY_ROLE = {role: username for username, _, role, street, _ in DEMO_USERS if street is None}
DEMO_PASSWORD = {username: password for username, _, _, _, password in DEMO_USERS}
STREET_USER = next(username for username, _, _, street, _ in DEMO_USERS if street is not None)
STREET_OF = {username: street for username, _, _, street, _ in DEMO_USERS}


def user_for(permission: str) -> str:
    """A demo user who holds this permission (for running a page that needs it)."""
    role = next(r for r, perms in ROLE_PERMISSIONS.items() if permission in perms and r in DEMO_BY_ROLE)
    return DEMO_BY_ROLE[role]


def logged_in(at: AppTest, username: str | None) -> AppTest:
    """Put a logged-in session in place, as ui.session does after a successful login."""
    if username is not None:
        at.session_state["auth_user"] = username
    return at


def app_as(username: str | None, timeout: float = 60) -> AppTest:
    return logged_in(AppTest.from_file(str(APP), default_timeout=timeout), username)


def page_as(file: str, username: str | None, timeout: float = 60) -> AppTest:
    """A page run on its own (as a direct URL would reach it without the entry script's navigation)."""
    return logged_in(AppTest.from_file(str(ROOT / file), default_timeout=timeout), username)


def rendered_bytes(at: AppTest) -> bytes:
    """Everything the run sent to the browser: every element's protobuf (text, tables as Arrow, chart
    specs and their data), main area and sidebar."""
    out = bytearray()
    for block in (at.main, at.sidebar):
        for node in block:
            proto = getattr(node, "proto", None)
            if proto is not None:
                out += proto.SerializeToString()
    return bytes(out)


def refused(at: AppTest) -> bool:
    return any("无权限" in e.value or "请先登录" in e.value or "未登记" in e.value
               for e in [*at.error, *at.warning])
