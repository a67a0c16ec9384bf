"""After-write hooks: derived tables kept up to date inside the transaction that changed the data.

A module that owns a derived table registers its refresh with @after_write(order); batches (commit,
rollback, preview) call run_after_write once per write. The write path imports none of the derived
modules by name: DERIVED_MODULES is where they are found, so that a hook is registered before the first
write whatever the caller imported.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable

import duckdb

Hook = Callable[[duckdb.DuckDBPyConnection, list[dt.date] | None], None]

# Modules that register hooks (imported once, before the first write).
DERIVED_MODULES = ("pipelines.situation.metrics", "pipelines.grading.grade")

# (order, hook): lower orders run first (per-building returns before the regrade that reads them).
AFTER_WRITE: list[tuple[int, Hook]] = []


def after_write(order: int) -> Callable[[Hook], Hook]:
    """Register fn(cur, touched_days) to run after every write; touched_days None means every day."""

    def register(fn: Hook) -> Hook:
        AFTER_WRITE.append((order, fn))
        AFTER_WRITE.sort(key=lambda entry: entry[0])
        return fn

    return register


def run_after_write(cur: duckdb.DuckDBPyConnection, days: list[dt.date] | None) -> None:
    """Update what derives from the data inside the caller's transaction; None: every day."""
    for module in DERIVED_MODULES:
        importlib.import_module(module)
    for _, hook in list(AFTER_WRITE):
        hook(cur, days)
