"""The DuckDB store: one read-write connection per process, a cursor per script run or thread.

Schema changes are numbered .sql files in sql/migrations; current-state views are rebuilt on open.
Nothing here deletes data: a rollback marks a batch reverted and the views stop seeing it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipelines.core import settings
from pipelines.core.contract import SHEETS, SheetSpec
from pipelines.core.errors import StoreLocked, UserError
from pipelines.lake import backend as lake_backend
from pipelines.lake.backend import LakeAddress, is_lake_address


def store_address(value: str | Path) -> Path | str:
    """A database address as given on the command line or in FUGONG_DB: a DuckLake address stays text,
    anything else is a file path."""
    return settings.store_address(value)


def default_db_path() -> Path | str:
    """The store of this process: FUGONG_DB (a file path or a DuckLake address), else the sample file."""
    return settings.get().db


def read_sql(relative: str) -> str:
    return (settings.SQL_DIR / relative).read_text(encoding="utf-8")


def current_view_sql(spec: SheetSpec) -> str:
    """The current state of one sheet kind: for each key, the row of the latest committed batch.

    Generated from the contract so that a new sheet kind needs no hand-written copy of this view.
    Identifiers come from the contract (code), never from uploads. The rows live in latest_<kind>,
    kept up to date in the transaction of every commit and rollback (refresh_current): computed on
    every read, the window over all raw rows costs seconds at city scale (45 million daily returns).
    """
    return f"create or replace view {spec.kind} as select * from latest_{spec.kind}"


def latest_rows_sql(spec: SheetSpec, keys: str | None = None) -> str:
    """For each key (of the query `keys`, or every key), the row of the latest committed batch."""
    key = ", ".join(spec.key)
    among = f"semi join ({keys}) k using ({key})" if keys else ""
    return f"""
with live as (
    select r.* from raw_{spec.kind} r {among}
    where r.batch_id in (select batch_id from batches where status = 'committed')
),
final as (
    select * exclude (row_no, sheet) from live
    qualify row_number() over (partition by {key} order by batch_id desc, row_no desc) = 1
)
select * from final
"""


def refresh_current(cur: duckdb.DuckDBPyConnection, spec: SheetSpec, batch_id: int, committed: bool) -> None:
    """Bring latest_<kind> up to date for the keys of one batch, in the caller's transaction.

    Just committed: the batch is the newest, so its rows (the last of each key within it) replace
    whatever the table held for their keys. Just reverted: its keys are taken again from the committed
    raw rows. Either way equal, row for row, to rebuilding the table (tests/test_bench.py checks it).
    """
    key = ", ".join(spec.key)
    keys = f"select distinct {key} from raw_{spec.kind} where batch_id = $batch_id"
    match = " and ".join(f"t.{k} = k.{k}" for k in spec.key)
    params = {"batch_id": batch_id}
    cur.execute(f"delete from latest_{spec.kind} t using ({keys}) k where {match}", params)
    if committed:
        cur.execute(f"insert into latest_{spec.kind} select * exclude (row_no, sheet) from raw_{spec.kind} "
                    f"where batch_id = $batch_id qualify row_number() over (partition by {key} order by row_no desc) = 1",
                    params)
    else:
        cur.execute(f"insert into latest_{spec.kind} {latest_rows_sql(spec, keys)}", params)


def _normalise_vocabulary(cur: duckdb.DuckDBPyConnection) -> None:
    """Migration 0010: stored industries and company types under the alias table's names (issue 12).
    A value no alias knows stays as it was; the rows keep their batches (nothing is deleted)."""
    from pipelines.core.vocabulary import company_type_sql, industry_sql

    cur.execute(f"update raw_companies set industry = coalesce({industry_sql('industry')}, industry), "
                f"company_type = coalesce({company_type_sql('company_type')}, company_type)")


@dataclass(frozen=True)
class Batch:
    batch_id: int
    file_name: str
    sha256: str
    status: str


class Store:
    """The console's data: a DuckDB file opened once per process, or (address `ducklake:postgres:…`) a DuckLake
    shared by several app servers. One interface; the differences are kept in this class and lake/backend.py."""

    def __init__(self, path: Path | str, read_only: bool = False, lake_data: Path | str | None = None) -> None:
        self.read_only = read_only
        self.write_lock = threading.Lock()  # commits and rollbacks of one process run one at a time
        self.lake: LakeAddress | None = None
        self._migrated = False  # a lake's directory is checked for its marker once the lake exists
        self.pg_lock: lake_backend.PgWriteLock | None = None
        if is_lake_address(path):
            self._open_lake(str(path), lake_data)
            return
        self.path = Path(path)
        self.raw_dir = self.path.parent / "raw"
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise UserError(f"数据库文件不存在：{self.path}", "请先运行 python -m pipelines init 或 make run")
        # A new database file is the console user's alone (0600): DuckDB creates it under this umask.
        old_umask = os.umask(0o077) if not read_only and not self.path.exists() else None
        try:
            self.con = duckdb.connect(
                str(self.path),
                read_only=read_only,
                config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
            )
        except duckdb.IOException as exc:
            raise _locked_error(self.path, exc) from None
        finally:
            if old_umask is not None:
                os.umask(old_umask)
        # Times are shown in Shanghai: the whole data contract is Asia/Shanghai (DESIGN.md "Time").
        self.con.execute(f"set global TimeZone = '{settings.TIME_ZONE}'")  # a constant, not input
        if not read_only:
            self.migrate()
            for path in (self.path, self.path.with_name(self.path.name + ".wal")):
                if path.exists():
                    os.chmod(path, 0o600)
            self.sweep_raw_files()

    def _open_lake(self, address: str, lake_data: Path | str | None) -> None:
        self.lake = LakeAddress.parse(address, lake_data)
        self.path = Path(self.lake.data_path)  # for messages; the data are under it
        self.raw_dir = self.lake.data_path / "raw"  # kept uploads on the storage every server mounts
        self.pg_lock = lake_backend.PgWriteLock(self.lake)
        self.con = lake_backend.connect(self.lake)
        if self.read_only:
            self._define_local(self.cursor())
        else:
            self.migrate()
        self._migrated = True
        lake_backend.check_data_dir(self.lake)

    @property
    def address(self) -> str:
        """What identifies this store: the file path or the lake address (without a password)."""
        return self.lake.describe() if self.lake else str(self.path)

    @property
    def backend(self) -> str:
        return "lake" if self.lake else "file"

    # -- connections -------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one script run or thread: the shared connection refuses concurrent calls."""
        cur = self.con.cursor()
        if self.lake is None:
            return cur
        try:
            return lake_backend.setup_cursor(cur)
        except duckdb.Error as exc:
            cur.close()
            raise self.describe_error(exc) from exc

    def close(self) -> None:
        self.con.close()
        if self.pg_lock is not None:
            self.pg_lock.close()

    # -- schema ------------------------------------------------------------------------------
    def migrate(self) -> None:
        if self.lake:
            self._migrate_lake()
            return
        cur = self.cursor()
        cur.execute("create table if not exists schema_migrations (version integer primary key, name varchar, "
                    "applied_at timestamptz default current_timestamp)")
        applied = {v for (v,) in cur.execute("select version from schema_migrations").fetchall()}
        fresh = set()
        for path in sorted((settings.SQL_DIR / "migrations").glob("*.sql")):
            version = int(path.name.split("_", 1)[0])
            if version in applied:
                continue
            fresh.add(version)
            cur.execute("begin")
            cur.execute(path.read_text(encoding="utf-8"))
            if version == 10:
                _normalise_vocabulary(cur)
            cur.execute("insert into schema_migrations (version, name) values (?, ?)", [version, path.stem])
            cur.execute("commit")
        self._define_local(cur, views=False)
        for spec in SHEETS:
            self._ensure_latest(cur, spec)
        self._define_local(cur)
        if 22 in fresh:  # batches.streets is new: fill it from the batches already stored
            for (batch_id,) in cur.execute("select batch_id from batches where streets is null").fetchall():
                keep_batch_streets(cur, int(batch_id))
        if 8 in fresh:  # returns_by_building is new: fill it from the data already stored
            cur.execute(f"insert into returns_by_building {read_sql('derived/returns_by_building.sql')}", {"days": None})
        cur.close()

    def _define_local(self, cur: duckdb.DuckDBPyConnection, views: bool = True) -> None:
        """Macros and views: in the file, or (lake) in this process's memory, never in the lake's catalog."""
        local = lake_backend.local_definitions if self.lake else (lambda sql: sql)
        cur.execute(local(read_sql("macros.sql")))
        if not views:
            return
        for spec in SHEETS:
            cur.execute(local(current_view_sql(spec)))
        for path in sorted((settings.SQL_DIR / "views").glob("*.sql")):
            cur.execute(local(path.read_text(encoding="utf-8")))

    def _migrate_lake(self) -> None:
        """The lake gets the schema of the numbered migrations (see lake/backend.py), under the write lock so
        that servers starting together do it once."""
        migrations = sorted((settings.SQL_DIR / "migrations").glob("*.sql"))
        self._define_local(self.cursor(), views=False)  # _ensure_latest reads through the macros
        with self.transaction() as cur:
            cur.execute("create table if not exists schema_migrations (version integer not null, name varchar, "
                        "applied_at timestamptz default current_timestamp)")
            applied = {v for (v,) in cur.execute("select version from schema_migrations").fetchall()}
            pending = [p for p in migrations if int(p.name.split("_", 1)[0]) not in applied]
            if not applied:
                lake_backend.mark_data_dir(self.lake)  # a new lake: its directory is this lake's
            if pending:
                shadow = lake_backend.shadow_schema(migrations)
                try:
                    lake_backend.sync_schema(cur, shadow)
                finally:
                    shadow.close()
                for path in pending:
                    cur.execute("insert into schema_migrations (version, name) values (?, ?)",
                                [int(path.name.split("_", 1)[0]), path.stem])
            for spec in SHEETS:
                self._ensure_latest(cur, spec)
        self._define_local(self.cursor())

    @staticmethod
    def _ensure_latest(cur: duckdb.DuckDBPyConnection, spec: SheetSpec) -> None:
        """latest_<kind> exists with the raw table's columns: built from the raw rows the first time
        (or after a migration changed the raw table), maintained by refresh_current afterwards."""
        def columns(table: str) -> list[tuple[str, str]]:
            return [(name, kind) for name, kind in cur.execute(
                "select column_name, data_type from duckdb_columns() where table_name = ? and schema_name = 'main' "
                "and database_name = current_database() order by column_index", [table]).fetchall()]

        wanted = [c for c in columns(f"raw_{spec.kind}") if c[0] not in ("row_no", "sheet")]
        if columns(f"latest_{spec.kind}") != wanted:
            cur.execute(f"create or replace table latest_{spec.kind} as {latest_rows_sql(spec)}")

    # -- reads -------------------------------------------------------------------------------
    def data_version(self, cur: duckdb.DuckDBPyConnection | None = None) -> int:
        """Grows with every data write (every write is audited): the cache key for query results.

        Logins are audited too but do not count (Store.audit keeps the version): a stranger's failed
        logins must not empty every cached query."""
        cur = cur or self.cursor()
        rows = cur.execute("select value from meta where key = 'data_version'").fetchall()
        return int(rows[0][0]) if rows else 0

    def last_batch_change(self, cur: duckdb.DuckDBPyConnection | None = None) -> dt.datetime | None:
        """When a batch was last committed or rolled back, in Shanghai time: how fresh the data is."""
        cur = cur or self.cursor()
        rows = cur.execute("select max(done_at) from audit where action in ('batch.commit', 'batch.rollback')"
                           ).fetchall()
        value = rows[0][0]
        return None if value is None else value.astimezone(settings.TZ)

    def meta(self, key: str, cur: duckdb.DuckDBPyConnection | None = None) -> str | None:
        cur = cur or self.cursor()
        rows = cur.execute("select value from meta where key = ?", [key]).fetchall()
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as cur:
            cur.execute("delete from meta where key = ?", [key])
            cur.execute("insert into meta values (?, ?)", [key, value])

    def is_sample(self) -> bool:
        return self.meta("sample") == "1"

    def find_batch_by_hash(self, sha256: str, cur: duckdb.DuckDBPyConnection | None = None) -> Batch | None:
        cur = cur or self.cursor()
        rows = cur.execute(
            "select batch_id, file_name, sha256, status from batches where sha256 = ? and status = 'committed'",
            [sha256],
        ).fetchall()
        return Batch(*rows[0]) if rows else None

    def batches(self, cur: duckdb.DuckDBPyConnection | None = None) -> Any:
        cur = cur or self.cursor()
        return cur.execute(read_sql("queries/batches.sql")).df()

    # -- writes ------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write at a time per process, all or nothing."""
        if self.read_only:
            raise UserError("数据库以只读方式打开，不能写入")
        with self.write_lock, self._lake_lock():
            cur = self.cursor()
            if self.lake is not None and self._migrated:
                lake_backend.check_data_dir(self.lake)
            cur.execute("begin transaction")
            try:
                yield cur
            except BaseException as exc:
                _rollback(cur)
                cur.close()
                described = self.describe_error(exc)
                if described is exc:
                    raise
                raise described from exc
            try:
                cur.execute("commit")
            except duckdb.Error as exc:
                _rollback(cur)
                raise self.describe_error(exc) from exc
            finally:
                cur.close()

    @contextmanager
    def _lake_lock(self) -> Iterator[None]:
        """Across servers, one write at a time (a PostgreSQL advisory lock); a file store needs none."""
        if self.pg_lock is None:
            yield
            return
        self.pg_lock.acquire()
        try:
            yield
        finally:
            self.pg_lock.release()

    def describe_error(self, exc: BaseException) -> BaseException:
        """A lake's error as a message for people (conflict, catalog down, data directory gone), else exc."""
        if self.lake is not None and isinstance(exc, duckdb.Error):
            return lake_backend.describe_error(exc, self.lake) or exc
        return exc

    @contextmanager
    def dry_run(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction that is always rolled back: do the real write, look at the result, leave no trace.

        Holds the write lock like a commit, so it never conflicts with one, and takes ids without
        advancing the sequences (a sequence is not rolled back): batch and audit ids keep no gaps.
        """
        if self.read_only:
            raise UserError("数据库以只读方式打开，不能预览写入的效果")
        with self.write_lock:
            cur = self.cursor()
            cur.execute("begin transaction")
            _DRY_RUNS.add(id(cur))
            try:
                yield cur
            finally:
                _DRY_RUNS.discard(id(cur))
                try:
                    cur.execute("rollback")
                finally:
                    cur.close()

    def compact(self, keep_days: float = 7.0) -> dict[str, int]:
        """Nightly upkeep: a lake merges small files and drops old snapshots (under the write lock); a file
        store writes its WAL into the file."""
        if self.lake is None:
            self.con.execute("checkpoint")
            return {}
        with self.write_lock, self._lake_lock():
            return lake_backend.compact(self.cursor(), keep_days)

    @staticmethod
    def is_dry_run(cur: duckdb.DuckDBPyConnection) -> bool:
        return id(cur) in _DRY_RUNS

    @staticmethod
    def next_id(cur: duckdb.DuckDBPyConnection, sequence: str, table: str, column: str) -> int:
        """The next id of a table: from its sequence, or (in a dry run, and in a lake, where every write holds
        the write lock across servers) one past the largest id."""
        if Store.is_dry_run(cur) or _in_lake(cur):
            query = f"select coalesce(max({column}), 0) + 1 from {table}"  # identifiers from code only
        else:
            query = f"select nextval('{sequence}')"
        return int(cur.execute(query).fetchall()[0][0])

    @staticmethod
    def audit(cur: duckdb.DuckDBPyConnection, actor: str, action: str, target: str | None,
              before: object = None, after: object = None) -> None:
        audit_id = Store.next_id(cur, "audit_id_seq", "audit", "audit_id")
        cur.execute(
            "insert into audit (audit_id, actor, action, target, before, after) values (?, ?, ?, ?, ?, ?)",
            [audit_id, actor, action, target, _json(before), _json(after)],
        )
        if not changes_no_data(action):
            # a new lake has no meta row yet (migrations give it tables, not rows): the first write adds it
            updated = cur.execute("update meta set value = ? where key = 'data_version'", [str(audit_id)]).fetchall()
            if not updated or not updated[0][0]:
                cur.execute("insert into meta values ('data_version', ?)", [str(audit_id)])

    def revert(self, cur: duckdb.DuckDBPyConnection, batch_id: int, actor: str) -> None:
        """Mark a batch reverted inside the caller's transaction. Its rows stay in raw_*;
        the current views stop seeing them. See commit.rollback_batch."""
        rows = cur.execute("select status, file_name from batches where batch_id = ?", [batch_id]).fetchall()
        if not rows:
            raise UserError(f"批次 {batch_id} 不存在", "用 python -m pipelines status 查看批次列表")
        status, file_name = rows[0]
        if status == "reverted":
            raise UserError(f"批次 {batch_id}（{file_name}）已经撤销过")
        cur.execute(
            "update batches set status = 'reverted', reverted_by = ?, reverted_at = current_timestamp "
            "where batch_id = ?",
            [actor, batch_id],
        )
        for spec in SHEETS:
            refresh_current(cur, spec, batch_id, committed=False)
        self.audit(cur, actor, "batch.rollback", str(batch_id), {"status": status, "file": file_name},
                   {"status": "reverted"})

    def sweep_raw_files(self) -> list[Path]:
        """Remove raw files that no batch names: left by a process killed between keeping the file and
        committing its batch (commit_uploads removes them itself on any error it lives to see). Run when
        the store opens read-write, before any commit of this process can be under way."""
        if not self.raw_dir.is_dir():
            return []
        cur = self.cursor()
        try:
            known = {name for (name,) in cur.execute("select stored_as from batches").fetchall()}
        finally:
            cur.close()
        orphans = [p for p in self.raw_dir.iterdir()
                   if p.is_file() and str(p) not in _IN_FLIGHT and (p.name.endswith(".part") or (
                       re.fullmatch(r"[0-9a-f]{64}(\.[a-z0-9]{1,5})?", p.name) and p.name not in known))]
        for path in orphans:
            path.unlink(missing_ok=True)
        return orphans

    def keep_raw_file(self, sha256: str, suffix: str, content: bytes) -> tuple[Path, bool]:
        """Keep the uploaded file byte for byte, named by its hash (never by the user's file name)."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError("keep_raw_file needs a SHA-256 hex digest")  # a bug, never user input
        private_dir(self.raw_dir)
        safe_suffix = suffix.lower() if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix.lower()) else ".bin"
        path = self.raw_dir / f"{sha256}{safe_suffix}"
        if path.exists():
            return path, False
        _IN_FLIGHT.add(str(path))  # until release_raw_file: a sweep of another Store object leaves it alone
        tmp = path.with_suffix(path.suffix + ".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        os.replace(tmp, path)
        return path, True

    @staticmethod
    def release_raw_file(path: Path) -> None:
        """The commit that kept this file is over (committed, or the file removed)."""
        _IN_FLIGHT.discard(str(path))


def keep_batch_streets(cur: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    """Record the streets of a batch's rows (queries/batch_streets.sql) in batches.streets."""
    streets = [s for (s,) in cur.execute(read_sql("queries/batch_streets.sql"), {"batch_id": batch_id}).fetchall()]
    cur.execute("update batches set streets = ? where batch_id = ?", [streets, batch_id])


def private_dir(path: Path) -> Path:
    """A folder only the console's user may enter (0700), made if missing."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def changes_no_data(action: str) -> bool:
    """Logins and refused uploads change no data: audited, but they leave the data version (the cache key)
    alone, so a stranger's failed logins never empty the caches."""
    return action.startswith("login.") or action == "upload.rejected"


def _in_lake(cur: duckdb.DuckDBPyConnection) -> bool:
    return cur.execute("select current_database()").fetchall()[0][0] == lake_backend.LAKE_ALIAS


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open (a failed DuckLake commit has already ended it)."""
    try:
        cur.execute("rollback")
    except duckdb.Error:
        pass


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _locked_error(path: Path, exc: Exception) -> UserError:
    text = str(exc)
    if "lock" not in text.lower():
        return UserError(f"无法打开数据库 {path}：{text}")
    pid = re.search(r"PID (\d+)", text)
    holder = f"（进程 {pid.group(1)}）" if pid else ""
    return StoreLocked(
        f"数据库 {path.name} 正被另一个程序占用{holder}，通常是正在运行的控制台",
        "请在控制台的“数据上传”页操作，或先停止控制台（Ctrl+C）后再运行命令",
    )


_IN_FLIGHT: set[str] = set()  # raw files kept by a commit still under way in this process
_DRY_RUNS: set[int] = set()  # ids of cursors inside Store.dry_run
_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def open_store(path: Path | str | None = None, read_only: bool = False) -> Store:
    """The process's store for this file or lake, opened once."""
    address = path or default_db_path()
    resolved = str(address) if is_lake_address(address) else str(Path(address).resolve())
    with _STORES_LOCK:
        store = _STORES.get(resolved)
        if store is None:
            store = Store(resolved, read_only=read_only)
            _STORES[resolved] = store
        return store
