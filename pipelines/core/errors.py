"""The one user-facing error type. Pages and the CLI render it in one place each."""

from __future__ import annotations

from dataclasses import dataclass


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


@dataclass(frozen=True)
class Refusal:
    """What a refused file leaves behind in a session: its name and the words, never the exception.

    A UserError raised while reading holds its traceback, whose frames hold the file and everything parsed
    from it (a refused wide sheet kept ~0.85 GB alive in the console until restart).
    """

    file_name: str
    message: str
    hint: str = ""

    @classmethod
    def of(cls, file_name: str, error: UserError) -> Refusal:
        return cls(file_name, str(error.message), str(error.hint))

    def error(self) -> UserError:
        return UserError(self.message, self.hint)
