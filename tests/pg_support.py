"""PostgreSQL and DuckLake for the tests: one private PostgreSQL server per test session (installed with apt
when missing and root), and lakes made fast by cloning: a lake's catalog is a PostgreSQL database (cloned with
CREATE DATABASE … TEMPLATE) and its data a directory of Parquet files (copied).

Tests run on both backends through the `backend` fixture: a test (or module) marked `both_backends` runs once
with a file store and once with a lake (conftest.pytest_generate_tests)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.lake.backend import LAKE_PREFIX
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


def _name() -> str:
    return "lake_" + uuid.uuid4().hex[:12]


def new_lake(postgres: LocalPostgres, data_root: Path) -> tuple[str, Path]:
    """A fresh lake: an empty catalog database and an empty data directory; returns (address, data path)."""
    name = _name()
    dsn = postgres.create_database(name)
    data = data_root / name
    data.mkdir(parents=True)
    return LAKE_PREFIX + dsn, data


def clone_lake(postgres: LocalPostgres, address: str, data: Path, data_root: Path) -> tuple[str, Path]:
    """A copy of a lake nobody has open: its catalog database cloned, its data directory copied, and the
    copy's catalog pointed at the copy's directory."""
    source = dict(part.split("=", 1) for part in address[len(LAKE_PREFIX):].split())["dbname"]
    name = _name()
    postgres.psql(f'create database "{name}" template "{source}"')
    target = data_root / name
    shutil.copytree(data, target)
    postgres.psql(f"update ducklake_metadata set value = '{target}/parquet/' where key = 'data_path'", dbname=name)
    return LAKE_PREFIX + postgres.dsn(name), target


@pytest.fixture(scope="session")
def empty_lake(postgres: LocalPostgres, tmp_path_factory) -> tuple[str, Path]:
    """A lake with the schema and nothing else, made once: tests get clones of it."""
    from pipelines.core.store import Store

    address, data = new_lake(postgres, tmp_path_factory.mktemp("lakes"))
    Store(address, lake_data=data).close()
    return address, data


def file_to_lake(postgres: LocalPostgres, empty_lake: tuple[str, Path], db: Path, data_root: Path
                 ) -> tuple[str, Path]:
    """A lake holding what the file store `db` holds (python -m pipelines migrate --to)."""
    from pipelines.core.store import Store
    from pipelines.lake.transfer import copy_to_lake

    source = data_root / "source"  # a copy: this process may hold `db` open (pages of other tests)
    source.mkdir()
    for suffix in ("", ".wal"):
        if Path(f"{db}{suffix}").exists():
            shutil.copyfile(f"{db}{suffix}", source / f"{db.name}{suffix}")
    if (db.parent / "raw").is_dir():
        shutil.copytree(db.parent / "raw", source / "raw")
    address, data = clone_lake(postgres, *empty_lake, data_root)
    store = Store(address, lake_data=data)
    try:
        copy_to_lake(source / db.name, store, log=lambda *_: None)
    finally:
        store.close()
    return address, data


_LAKE_COPIES: dict[Path, tuple[str, Path]] = {}  # a file store moved onto a lake once, never opened again


def lake_copy_of(request, db_file: Path, tmp_path: Path) -> tuple[str, Path]:
    """A private lake holding what the file store `db_file` holds: the file is moved onto a lake once per
    session, and each test gets a clone of that lake. Sets FUGONG_LAKE_DATA for the test."""
    postgres = request.getfixturevalue("postgres")
    if db_file not in _LAKE_COPIES:
        root = request.getfixturevalue("tmp_path_factory").mktemp("lake_copies")
        _LAKE_COPIES[db_file] = file_to_lake(postgres, request.getfixturevalue("empty_lake"), db_file, root)
    address, data = clone_lake(postgres, *_LAKE_COPIES[db_file], tmp_path)
    request.getfixturevalue("monkeypatch").setenv("FUGONG_LAKE_DATA", str(data))
    return address, data
