"""The one user-facing error type. Pages and the CLI render it in one place each."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can act on, said in Chinese. Never a traceback."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}{'；' + self.hint if self.hint else ''}"


class StoreLocked(UserError):
    """Another process holds the database file read-write."""


class StaleState(UserError):
    """A preview was made against data that has changed since."""


class RejectedUpload(UserError):
    """An upload with blocking findings; `findings` holds all of them."""

    def __init__(self, message: str, findings: object) -> None:
        super().__init__(message, "请按问题清单逐条修改后重新上传")
        self.findings = findings
