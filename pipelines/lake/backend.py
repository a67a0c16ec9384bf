"""The DuckLake backend: an in-memory DuckDB per process, attached to a lake whose catalog is in PostgreSQL
and whose data are Parquet files in a directory every app server mounts.

What DuckLake lacks, and what stands in for it here (see docs/NOTES.md "DuckLake"):
- no sequences, primary keys, unique or check constraints, no RETURNING: every write of the console runs
  under one PostgreSQL advisory lock (`PgWriteLock`), so an id is max + 1 and a uniqueness check followed by
  an insert cannot interleave with another server's;
- views and macros are per process (in the in-memory database, `memory.main`), never written to the lake's
  catalog: every server creates them on start, none conflicts with another over them;
- the schema comes from the same numbered migrations as the file store: they are applied to an empty
  in-memory shadow database, and the lake gets the tables and columns the shadow has and it lacks
  (`sync_schema`). Migrations that move data are for file stores; a lake is filled by `migrate --to`.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.core import settings
from pipelines.core.errors import UserError

LAKE_PREFIX = "ducklake:postgres:"
LAKE_ALIAS = "lake"
LOCK_KEY = 0x6675676F6E67  # "fugong": the one advisory lock every write of every server takes
EXTENSIONS = ("ducklake", "postgres_scanner")
MARKER = ".fugong-lake"  # in the data directory: a missing mount shows as a missing marker, never as an empty lake


def is_lake_address(address: object) -> bool:
    return isinstance(address, str) and address.startswith(LAKE_PREFIX)


@dataclass(frozen=True)
class LakeAddress:
    dsn: str  # libpq connection string of the catalog database
    data_path: Path

    @classmethod
    def parse(cls, address: str, data_path: Path | str | None = None) -> LakeAddress:
        if not is_lake_address(address):
            raise ValueError(f"not a DuckLake address: {address}")
        dsn = address[len(LAKE_PREFIX):].strip()
        data = data_path or settings.get().lake_data
        if not dsn:
            raise UserError("DuckLake 地址缺少 PostgreSQL 连接串", "例如 ducklake:postgres:dbname=fugong host=127.0.0.1")
        if not data:
            raise UserError("使用 DuckLake 时必须指定共享数据目录",
                            "用 --lake-data /srv/fugong/lake 或环境变量 FUGONG_LAKE_DATA 指定各服务器共同挂载的目录")
        return cls(dsn=dsn, data_path=Path(data))

    @property
    def address(self) -> str:
        return LAKE_PREFIX + self.dsn

    @property
    def parquet_path(self) -> Path:
        """DuckLake's own files (it may delete any file there it does not know); the kept uploads are in raw/."""
        return self.data_path / "parquet"

    def describe(self) -> str:
        """The address without a password, for messages and logs."""
        return LAKE_PREFIX + re.sub(r"password=\S+", "password=***", self.dsn)


def extension_path(name: str) -> Path:
    """The extension shipped by the pip package duckdb-extension-<name> for this DuckDB version."""
    package = f"duckdb_extension_{name}"
    spec = importlib.util.find_spec(package)
    version = duckdb.__version__
    if spec is not None and spec.submodule_search_locations:
        for base in spec.submodule_search_locations:
            found = Path(base) / "extensions" / f"v{version}" / f"{name}.duckdb_extension"
            if found.exists():
                return found
    pip_name = "duckdb-extension-" + name.replace("_", "-")
    raise UserError(f"DuckDB 扩展 {name} 未安装（DuckDB {version}）",
                    f"请安装 pip 包 {pip_name}=={version}（requirements.txt 已列出）")


def connect(lake: LakeAddress) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached; extensions loaded from their pip packages, nothing downloaded."""
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False})
    for name in EXTENSIONS:
        con.execute(f"load '{extension_path(name)}'")
    try:
        lake.data_path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        con.close()
        raise lake_data_error(lake, exc) from None
    try:
        con.execute(f"attach {_quote(LAKE_PREFIX + lake.dsn)} as {LAKE_ALIAS} "
                    f"(data_path {_quote(str(lake.parquet_path) + '/')})")
    except duckdb.Error as exc:
        con.close()
        raise catalog_error(lake, exc) from None
    con.execute(f"set global TimeZone = '{settings.TIME_ZONE}'")  # a constant, not input
    setup_cursor(con)
    return con


def _quote(text: str) -> str:
    """A SQL string literal (ATTACH takes no parameters; the text comes from configuration, not from users)."""
    return "'" + text.replace("'", "''") + "'"


def setup_cursor(cur: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Every cursor (a DuckDB connection of its own) resolves names in the lake first, then in memory.main
    where this process keeps its views and macros."""
    cur.execute(f"use {LAKE_ALIAS}")
    cur.execute(f"set search_path = '{LAKE_ALIAS}.main,memory.main'")
    return cur


_CREATE_LOCAL = re.compile(r"\bcreate\s+or\s+replace\s+(view|macro)\s+(?!memory\.)", re.IGNORECASE)


def local_definitions(sql: str) -> str:
    """Views and macros go to this process's memory.main, not to the lake's catalog."""
    return _CREATE_LOCAL.sub(lambda m: f"create or replace {m.group(1)} memory.main.", sql)


def catalog_error(lake: LakeAddress, exc: BaseException) -> UserError:
    return UserError("数据库（DuckLake 的 PostgreSQL 目录库）暂时连不上，本次没有读写任何数据",
                     f"PostgreSQL 恢复后刷新页面即可，无需重启控制台；请管理员检查 {lake.describe()}"
                     f"（{_first_line(exc)}）")


def lake_data_error(lake: LakeAddress, exc: BaseException | str) -> UserError:
    return UserError(f"共享数据目录 {lake.data_path} 不可用，本次没有读写任何数据",
                     f"请管理员检查该目录是否已挂载、本服务器能否读写；恢复后刷新页面即可（{_first_line(exc)}）")


def _first_line(exc: BaseException | str) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__


def mark_data_dir(lake: LakeAddress) -> None:
    """Mark a new lake's data directory as this lake's (see check_data_dir)."""
    (lake.data_path / MARKER).write_text(lake.describe() + "\n", encoding="utf-8")


def check_data_dir(lake: LakeAddress) -> None:
    """Refuse to go on when the shared directory is not there: an unmounted mount point is an empty local
    directory, and files written into it would be on this server only."""
    if not (lake.data_path / MARKER).is_file():
        raise lake_data_error(lake, f"{MARKER} not found")


def describe_error(exc: BaseException, lake: LakeAddress) -> UserError | None:
    """A DuckDB error of the lake as a message for people, or None when it is not the lake's."""
    text = str(exc)
    lower = text.lower()
    if isinstance(exc, duckdb.TransactionException) or "transaction conflict" in lower:
        return UserError("与另一台服务器同时写入发生冲突，本次未保存任何内容", "请稍后重新提交")
    if isinstance(exc, duckdb.IOException) and (str(lake.data_path) in text or ".parquet" in lower):
        return lake_data_error(lake, exc)
    if any(s in lower for s in ("postgres", "connection to server", "libpq", "server closed the connection")):
        return catalog_error(lake, exc)
    return None


# -- the write lock ----------------------------------------------------------------------------------

class PgWriteLock:
    """A PostgreSQL session advisory lock on a connection of its own: one writer at a time across servers.

    The lock dies with the connection, so a server killed during a commit (kill -9) releases it; the DuckLake
    transaction it had open never committed. A lost connection (PostgreSQL restarted) is opened again.
    """

    def __init__(self, lake: LakeAddress, wait_seconds: float = 120.0) -> None:
        self.lake = lake
        self.wait_seconds = wait_seconds
        self._conn = None

    def _connection(self):  # noqa: ANN202 - psycopg is imported lazily (only lake stores need it)
        import psycopg

        if self._conn is None or self._conn.closed or self._conn.broken:
            try:
                self._conn = psycopg.connect(self.lake.dsn, autocommit=True, connect_timeout=10)
            except psycopg.Error as exc:
                raise catalog_error(self.lake, exc) from None
        return self._conn

    def acquire(self) -> None:
        """Wait for the lock (PostgreSQL grants it to waiters in turn), at most `wait_seconds`."""
        import psycopg

        for attempt in range(2):
            try:
                conn = self._connection()
                conn.execute(f"set lock_timeout = '{int(self.wait_seconds * 1000)}ms'")
                conn.execute("select pg_advisory_lock(%s)", [LOCK_KEY])
                return
            except psycopg.errors.LockNotAvailable:
                raise UserError("其他服务器正在写入数据，等待超时，本次未保存任何内容", "请稍后重试") from None
            except psycopg.OperationalError as exc:  # the connection was lost (PostgreSQL restarted): once more
                self.close()
                if attempt:
                    raise catalog_error(self.lake, exc) from None

    def release(self) -> None:
        import psycopg

        try:
            if self._conn is not None and not self._conn.closed:
                self._conn.execute("select pg_advisory_unlock(%s)", [LOCK_KEY])
        except psycopg.Error:
            self.close()  # the lock went with the connection

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
            self._conn = None


# -- schema ------------------------------------------------------------------------------------------

def shadow_schema(migrations: list[Path]) -> duckdb.DuckDBPyConnection:
    """An empty in-memory database with every migration applied: the schema the lake must have."""
    shadow = duckdb.connect(":memory:")
    for path in migrations:
        shadow.execute(path.read_text(encoding="utf-8"))
    return shadow


def _columns(cur: duckdb.DuckDBPyConnection, database: str) -> dict[str, list[tuple[str, str, bool, str | None]]]:
    rows = cur.execute(
        "select c.table_name, c.column_name, c.data_type, c.is_nullable, c.column_default "
        "from duckdb_columns() c join duckdb_tables() t using (database_name, schema_name, table_name) "
        "where c.database_name = ? and c.schema_name = 'main' and not t.temporary "
        "order by c.table_name, c.column_index", [database]).fetchall()
    tables: dict[str, list[tuple[str, str, bool, str | None]]] = {}
    for table, column, kind, nullable, default in rows:
        tables.setdefault(table, []).append((column, kind, nullable, default))
    return tables


def _column_ddl(column: str, kind: str, nullable: bool, default: str | None) -> str:
    ddl = f'"{column}" {kind}'
    if not nullable:
        ddl += " not null"
    if default and default.upper() != "NULL" and "nextval" not in default.lower():
        ddl += f" default {default}"  # current_timestamp and literals; ids come from max + 1 under the lock
    return ddl


def sync_schema(cur: duckdb.DuckDBPyConnection, shadow: duckdb.DuckDBPyConnection) -> list[str]:
    """Create in the lake the tables and columns the shadow has and the lake lacks; returns what was done."""
    want = _columns(shadow, "memory")
    have = _columns(cur, LAKE_ALIAS)
    done: list[str] = []
    for table, columns in want.items():
        if table not in have:
            body = ", ".join(_column_ddl(*c) for c in columns)
            cur.execute(f'create table {LAKE_ALIAS}.main."{table}" ({body})')
            done.append(f"create {table}")
            continue
        present = {c[0] for c in have[table]}
        for column, kind, _nullable, default in columns:
            if column not in present:
                cur.execute(f'alter table {LAKE_ALIAS}.main."{table}" add column '
                            f'{_column_ddl(column, kind, True, default)}')
                done.append(f"add {table}.{column}")
    return done


def compact(cur: duckdb.DuckDBPyConnection, older_than_days: float = 7.0) -> dict[str, int]:
    """Move small inlined inserts out of PostgreSQL into Parquet, merge small files, rewrite files with many
    deleted rows (the derived tables), expire snapshots older than `older_than_days` and delete the files
    nothing refers to any more (also those of transactions that never committed, e.g. a killed server's).

    Runs while the write lock is held: it rewrites files, so it must not interleave with a commit, and a
    file of a commit in progress would look orphaned.
    """
    before = _file_count(cur)
    cur.execute(f"call ducklake_flush_inlined_data('{LAKE_ALIAS}')")
    cur.execute(f"call ducklake_merge_adjacent_files('{LAKE_ALIAS}')")
    cur.execute(f"call ducklake_rewrite_data_files('{LAKE_ALIAS}')")
    cur.execute(f"call ducklake_expire_snapshots('{LAKE_ALIAS}', older_than => now() - to_days(?))",
                [int(older_than_days)])
    cur.execute(f"call ducklake_cleanup_old_files('{LAKE_ALIAS}', cleanup_all => true)")
    cur.execute(f"call ducklake_delete_orphaned_files('{LAKE_ALIAS}', cleanup_all => true)")
    return {"files_before": before, "files_after": _file_count(cur)}


def _file_count(cur: duckdb.DuckDBPyConnection) -> int:
    rows = cur.execute(f"select count(*) from __ducklake_metadata_{LAKE_ALIAS}.ducklake_data_file "
                       "where end_snapshot is null").fetchall()
    return int(rows[0][0])
