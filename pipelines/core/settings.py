"""Every setting that is not data, in one list, read from the FUGONG_* environment.

`get()` returns one frozen Settings object. It is read once per state of the FUGONG_* variables (a test
that monkeypatches one gets a fresh object; a server reads the environment once). The README's settings
table is SETTINGS, the same list.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = ROOT / "pipelines" / "sql"
# The one time-zone name: the whole data contract is Shanghai time (DESIGN.md "Time"). The store sets it as
# the database session's TimeZone, so SQL converts with a plain cast(x as timestamp).
TIME_ZONE = "Asia/Shanghai"
TZ = ZoneInfo(TIME_ZONE)


@dataclass(frozen=True)
class Setting:
    name: str  # the environment variable
    field: str  # the attribute on Settings
    default: object
    meaning: str
    parse: Callable[[str], object]


def store_address(value: str | Path) -> Path | str:
    """A database address: a DuckLake address (ducklake:postgres:…) stays text, anything else is a file path."""
    return value if isinstance(value, str) and value.startswith("ducklake:") else Path(value)


def _positive_int(text: str) -> int:
    return max(1, int(text))


SETTINGS: tuple[Setting, ...] = (
    Setting("FUGONG_DB", "db", ROOT / "data" / "sample.duckdb",
            "The store the console and the CLI open: a DuckDB file, or a DuckLake address "
            "`ducklake:postgres:dbname=… host=… user=…` (catalog in PostgreSQL).", store_address),
    Setting("FUGONG_LAKE_DATA", "lake_data", None,
            "DuckLake only: the data directory every app server mounts (Parquet files and kept uploads).", Path),
    Setting("FUGONG_PERIOD_START", "period_start", dt.date(2020, 1, 1),
            "Dates before this are typos (2002 for 2020), not data.", dt.date.fromisoformat),
    Setting("FUGONG_MAP_STYLE", "map_style", None,
            "A MapLibre style URL reachable on this network; unset: a blank local style, nothing asked outside.",
            lambda s: s.strip() or None),
    Setting("FUGONG_KIOSK_ROTATE", "kiosk_rotate_seconds", 20,
            "Big screen: seconds per panel (0 keeps every panel on screen; ?rotate= overrides).", int),
    Setting("FUGONG_KIOSK_REFRESH", "kiosk_refresh_seconds", 30,
            "Big screen: seconds between data refreshes (?refresh= overrides).", int),
    Setting("FUGONG_KIOSK_STALE_HOURS", "kiosk_stale_hours", 26.0,
            "Big screen: hours after the last upload when the data is marked stale (?stale_hours= overrides).", float),
    Setting("FUGONG_LOGIN_MAX_FAILURES", "max_failures", 5,
            "Consecutive wrong passwords before the account locks.", _positive_int),
    Setting("FUGONG_LOCK_MINUTES", "lock_minutes", 15, "How long a locked account stays locked.", _positive_int),
    Setting("FUGONG_IDLE_MINUTES", "idle_minutes", 30,
            "A session with no interaction for this long logs out.", _positive_int),
    Setting("FUGONG_SESSION_HOURS", "session_hours", 12,
            "A login session (the console's cookie) ends this long after login, however active.", _positive_int),
    Setting("FUGONG_API_TOKEN_DAYS", "api_token_days", 90, "Default lifetime of a data-API token.", _positive_int),
    Setting("FUGONG_MIN_PASSWORD_LENGTH", "min_password_length", 10, "Shortest password accepted.",
            _positive_int),
    Setting("FUGONG_ARGON2_TIME_COST", "argon2_time_cost", 3,
            "argon2id passes (RFC 9106 low-memory profile; the tests lower it).", _positive_int),
    Setting("FUGONG_ARGON2_MEMORY_KIB", "argon2_memory_kib", 65536,
            "argon2id memory in KiB (at least 8192).", lambda s: max(8192, int(s))),
)


@dataclass(frozen=True)
class Settings:
    db: Path | str
    lake_data: Path | None
    period_start: dt.date
    map_style: str | None
    kiosk_rotate_seconds: int
    kiosk_refresh_seconds: int
    kiosk_stale_hours: float
    max_failures: int
    lock_minutes: int
    idle_minutes: int
    session_hours: int
    api_token_days: int
    min_password_length: int
    argon2_time_cost: int
    argon2_memory_kib: int


assert {s.field for s in SETTINGS} == {f.name for f in dataclasses.fields(Settings)}


@functools.lru_cache(maxsize=8)
def _load(environment: tuple[tuple[str, str], ...]) -> Settings:
    env = dict(environment)
    values = {}
    for setting in SETTINGS:
        raw = env.get(setting.name)
        try:
            values[setting.field] = setting.default if raw is None else setting.parse(raw)
        except ValueError:  # a malformed value falls back to the default rather than stopping the console
            values[setting.field] = setting.default
    return Settings(**values)


def get() -> Settings:
    """The settings for the current FUGONG_* environment."""
    return _load(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("FUGONG_"))))


def today() -> dt.date:
    """The machine's today in Shanghai: what "in the future" means for validation."""
    return dt.datetime.now(TZ).date()


def table_markdown() -> str:
    """The README's settings table (tests check that the README carries it)."""
    rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    for s in SETTINGS:
        default = s.default.relative_to(ROOT).as_posix() if isinstance(s.default, Path) else s.default
        rows.append(f"| `{s.name}` | {'(unset)' if default is None else f'`{default}`'} | {s.meaning} |")
    return "\n".join(rows)
