"""Query results as pages use them: cached by the data version, masked and street-filtered for the session's user.

Pages call data.query(pipelines_function, *args); data.store() and data.cursor() are the process's store
(ui.connection) for the few direct reads and the writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from pipelines.situation import metrics
from ui import session
from ui.connection import cached_result, cursor, data_version, store

__all__ = ["cursor", "data_version", "first_day", "latest_day", "query", "store", "streets"]

T = TypeVar("T")


def query(fn: Callable[..., T], *args: object) -> T:
    """fn(cur, *args), cached; a DataFrame comes back masked and street-filtered for the session's user."""
    return session.protect(cached_result(fn, *args))


def latest_day() -> dt.date | None:
    return query(metrics.latest_day)


def streets() -> list[str]:
    """The streets in the data; a street user sees only their own."""
    forced = session.scope_street()
    return [s for s in query(metrics.streets) if forced is None or s == forced]


def first_day() -> dt.date | None:
    return query(metrics.first_day)
