"""The one settings object: read from FUGONG_*, one list, and the README's table is that list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines.core import settings

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_and_overrides(monkeypatch):
    for s in settings.SETTINGS:
        monkeypatch.delenv(s.name, raising=False)
    conf = settings.get()
    assert conf.db == ROOT / "data" / "sample.duckdb"
    assert (conf.period_start, conf.kiosk_rotate_seconds, conf.idle_minutes, conf.map_style) == \
        (dt.date(2020, 1, 1), 20, 30, None)
    monkeypatch.setenv("FUGONG_IDLE_MINUTES", "5")
    monkeypatch.setenv("FUGONG_DB", "/srv/street.duckdb")
    monkeypatch.setenv("FUGONG_MAP_STYLE", "  ")
    conf = settings.get()
    assert (conf.idle_minutes, conf.db, conf.map_style) == (5, Path("/srv/street.duckdb"), None)


def test_a_malformed_value_falls_back_to_the_default(monkeypatch):
    monkeypatch.setenv("FUGONG_KIOSK_REFRESH", "often")
    monkeypatch.setenv("FUGONG_PERIOD_START", "2020-13-01")
    conf = settings.get()
    assert (conf.kiosk_refresh_seconds, conf.period_start) == (30, dt.date(2020, 1, 1))


def test_the_readme_lists_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings.table_markdown() in readme
