"""The process's store, a cursor per script run, and results cached by the data version.

Every write is audited, so the audit's max id is a version that changes exactly when data does: one commit
invalidates each cached result once. Nothing here knows who is logged in (ui.session sits on top).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import duckdb
import streamlit as st

from pipelines.core.errors import UserError
from pipelines.core.store import Store, default_db_path, open_store

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return open_store(path)


def store() -> Store:
    return _store(str(default_db_path()))


def explained(exc: BaseException) -> UserError | None:
    """A store's error as a message for people (a lake's catalog or shared directory gone), else None."""
    try:
        described = store().describe_error(exc)
    except UserError as error:  # the store cannot even be opened: that is the message
        return error
    return described if isinstance(described, UserError) else None


@contextmanager
def cursor() -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor for this script run: the shared connection refuses concurrent calls."""
    cur = store().cursor()
    try:
        yield cur
    finally:
        cur.close()


def data_version() -> int:
    with cursor() as cur:
        return store().data_version(cur)


def _run(fn: Callable[..., T], *args: object) -> T:
    with cursor() as cur:
        return fn(cur, *args)


@st.cache_data(show_spinner=False, max_entries=256)
def cached(_fn: Callable[..., T], fn_name: str, db: str, version: int, *args: object) -> T:
    """Result of pipelines function fn(cur, *args) for this database and data version."""
    return _run(_fn, *args)


def cached_result(fn: Callable[..., T], *args: object) -> T:
    """fn(cur, *args), cached, as is (no masking: ui.data.query is what pages use)."""
    # The database path is part of the key: two databases (tests, a switch of FUGONG_DB) can be at the
    # same data version with different data.
    return cached(fn, f"{fn.__module__}.{fn.__qualname__}", str(default_db_path()), data_version(), *args)
