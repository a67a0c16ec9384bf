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


@pytest.fixture
def sample_db(sample_db_path, monkeypatch) -> Path:
    """The small sample database, and FUGONG_DB pointing at it for this test (pages open it)."""
    monkeypatch.setenv("FUGONG_DB", str(sample_db_path))
    return sample_db_path


@pytest.fixture
def store(tmp_path) -> Store:
    """An empty real store in a fresh file."""
    s = Store(tmp_path / "test.duckdb")
    yield s
    s.close()
