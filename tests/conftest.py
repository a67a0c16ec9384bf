"""Fixtures that build real DuckDB files through the real pipeline."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.core.store import Store  # noqa: E402
from pipelines.demo import sample  # noqa: E402

pytest_plugins = ["pg_support"]  # PostgreSQL and DuckLake fixtures

# Passwords are hashed with argon2id at a lower cost in tests (the default cost is tested on its own).
os.environ.setdefault("FUGONG_ARGON2_TIME_COST", "1")
os.environ.setdefault("FUGONG_ARGON2_MEMORY_KIB", "8192")

SMALL_PERIOD = [dt.date(2020, 2, 10) + dt.timedelta(d) for d in range(10)]


@pytest.fixture(scope="session")
def sample_db_path(tmp_path_factory) -> Path:
    """The small sample database (scale 0.05, 10 days), built once by uploading the sample files."""
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    sample.build_database(path, scale=0.05, period=SMALL_PERIOD, log=lambda *_: None)
    return path


def pytest_generate_tests(metafunc) -> None:
    """A test or module marked both_backends runs with a file store and with a DuckLake store."""
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("backend", ["file", pytest.param("lake", marks=pytest.mark.lake)], indirect=True)


@pytest.fixture
def sample_db(sample_db_path, monkeypatch) -> Path:
    """The small sample database, and FUGONG_DB pointing at it for this test (pages open it)."""
    monkeypatch.setenv("FUGONG_DB", str(sample_db_path))
    return sample_db_path


@pytest.fixture
def backend(request) -> str:
    return getattr(request, "param", "file")


def store_address(backend: str, request, tmp_path: Path) -> str | Path:
    """Where a test's empty store lives: a fresh file, or a fresh lake (FUGONG_LAKE_DATA is set for it)."""
    if backend == "file":
        return tmp_path / "test.duckdb"
    from pg_support import clone_lake

    address, data = clone_lake(request.getfixturevalue("postgres"), *request.getfixturevalue("empty_lake"),
                               tmp_path)
    request.getfixturevalue("monkeypatch").setenv("FUGONG_LAKE_DATA", str(data))
    return address


@pytest.fixture
def store(backend, request, tmp_path) -> Store:
    """An empty real store: a fresh file, or (tests marked both_backends, second run) a fresh lake."""
    s = Store(store_address(backend, request, tmp_path))
    yield s
    s.close()


@pytest.fixture(scope="session")
def sample_lake(sample_db_path, postgres, empty_lake, tmp_path_factory) -> tuple[str, Path]:
    """The small sample database moved onto a lake (python -m pipelines migrate --to), once per session."""
    from pg_support import file_to_lake

    return file_to_lake(postgres, empty_lake, sample_db_path, tmp_path_factory.mktemp("sample_lake"))
