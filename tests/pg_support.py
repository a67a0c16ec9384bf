"""PostgreSQL for the tests: one private server per test session (installed with apt when missing and root),
a fresh database per test that asks for a lake. Registered in conftest.py through `pytest_plugins`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.lake.localpg import LocalPostgres, PostgresUnavailable


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL server on a private port and socket directory, stopped with its own pg_ctl at the end."""
    try:
        server = LocalPostgres.create().start()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL cannot be installed here: {exc}")
    try:
        yield server
    finally:
        server.cleanup()


def new_lake(postgres: LocalPostgres, data_root: Path) -> tuple[str, Path]:
    """A fresh lake: an empty catalog database and an empty data directory; returns (address, data path)."""
    name = "lake_" + uuid.uuid4().hex[:12]
    dsn = postgres.create_database(name)
    data = data_root / name
    data.mkdir(parents=True)
    return "ducklake:postgres:" + dsn, data


@pytest.fixture
def lake(postgres: LocalPostgres, tmp_path: Path) -> tuple[str, Path]:
    return new_lake(postgres, tmp_path)
