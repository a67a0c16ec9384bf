"""Moving a street's file store onto a lake: every table (batches, raw rows, audit, users, tokens, grades, the
derived tables) in one lake transaction, the kept upload files copied, and the counts checked afterwards.

    python -m pipelines --db data/street.duckdb migrate --to "ducklake:postgres:dbname=fugong host=…" \
        --lake-data /srv/fugong/lake
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipelines.core.errors import UserError

SOURCE = "fugong_source"
SKIP = {"schema_migrations"}  # the lake keeps its own


@dataclass(frozen=True)
class Counted:
    table: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


def _tables(cur, database: str) -> list[str]:
    rows = cur.execute("select table_name from duckdb_tables() where database_name = ? and schema_name = 'main' "
                       "and not temporary order by table_name", [database]).fetchall()
    return [name for (name,) in rows if name not in SKIP]


def _count(cur, database: str, table: str) -> int:
    return int(cur.execute(f'select count(*) from {database}.main."{table}"').fetchall()[0][0])


def copy_to_lake(source: Path, target, log: Callable[[str], None] = print) -> list[Counted]:
    """Copy the file store `source` into the empty lake store `target`; returns the per-table counts."""
    from pipelines.core.store import Store  # late: the store imports this package

    if target.lake is None:
        raise UserError("--to 必须是 DuckLake 地址", "例如 ducklake:postgres:dbname=fugong host=127.0.0.1 user=fugong")
    if not Path(source).is_file():
        raise UserError(f"源数据库文件不存在：{source}")
    Store(source).close()  # bring the file's schema up to date first (and fail clearly while it is in use)
    con = target.con
    con.execute(f"attach '{str(Path(source).resolve()).replace(chr(39), chr(39) * 2)}' as {SOURCE} (read_only)")
    try:
        with target.transaction() as cur:
            not_empty = [t for t in ("batches", "audit", "users") if _count(cur, "lake", t)]
            if not_empty:
                raise UserError(f"目标湖中已有数据（{', '.join(not_empty)}），未迁移",
                                "迁移只写入新建的空湖：请换一个新的目录数据库和数据目录")
            lake_tables = set(_tables(cur, "lake"))
            for table in _tables(cur, SOURCE):
                log(f"  {table} …")
                if table in lake_tables:
                    cur.execute(f'insert into lake.main."{table}" by name select * from {SOURCE}.main."{table}"')
                else:
                    cur.execute(f'create table lake.main."{table}" as select * from {SOURCE}.main."{table}"')
        counts = _verify(target.cursor())
        files, missing = _copy_raw_files(Path(source).parent / "raw", target.raw_dir, target.cursor())
    finally:
        con.execute(f"detach {SOURCE}")
    bad = [c for c in counts if not c.ok]
    if bad:
        raise UserError("迁移后行数不一致：" + "；".join(f"{c.table} 源 {c.source} 行、湖 {c.target} 行" for c in bad),
                        "请保留源文件，检查日志后重新迁移到新的空湖")
    log(f"  上传原件 {files} 个已复制")
    if missing:  # the data are complete without them; the originals are for tracing an upload back
        log(f"  注意：源目录 {Path(source).parent / 'raw'} 缺少 {len(missing)} 个批次的上传原件（如 {missing[0]}），"
            "数据已完整迁移；找到原件后放入湖数据目录下的 raw/ 即可")
    return counts


def _verify(cur) -> list[Counted]:
    try:
        return [Counted(t, _count(cur, SOURCE, t), _count(cur, "lake", t)) for t in _tables(cur, SOURCE)]
    finally:
        cur.close()


def _copy_raw_files(source_dir: Path, target_dir: Path, cur) -> tuple[int, list[str]]:
    """The kept upload files every batch names: (how many are in the lake now, which the source lacks)."""
    try:
        names = [n for (n,) in cur.execute("select distinct stored_as from batches").fetchall()]
    finally:
        cur.close()
    target_dir.mkdir(parents=True, exist_ok=True)
    missing = []
    for name in names:
        src, dst = source_dir / name, target_dir / name
        if not src.exists():
            missing.append(name)
        elif not (dst.exists() and dst.stat().st_size == src.stat().st_size):
            tmp = dst.with_suffix(dst.suffix + ".part")
            shutil.copyfile(src, tmp)
            tmp.replace(dst)
    return len(names) - len(missing), missing
