"""CLI: python -m pipelines {init,sample,template,ingest,status,rollback,users,tokens,migrate,compact,cluster}.

--db is a file path or a DuckLake address (ducklake:postgres:…, with --lake-data); every command works on both.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
from pathlib import Path

from pipelines.auth import cli, web_cli
from pipelines.core.errors import RejectedUpload, UserError
from pipelines.core.store import Store, default_db_path, store_address
from pipelines.ingest.findings import for_display


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description="复工态势台 数据管道")
    parser.add_argument("--db", type=store_address, default=None,
                        help="数据库文件或 DuckLake 地址 ducklake:postgres:…（默认 $FUGONG_DB 或 data/sample.duckdb）")
    parser.add_argument("--lake-data", type=Path, default=None,
                        help="DuckLake 的共享数据目录（默认 $FUGONG_LAKE_DATA）")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("init", help="创建空数据库（真实数据用）")
    p_sample = sub.add_parser("sample", help="生成示例数据并建库")
    p_sample.add_argument("--if-absent", action="store_true", help="数据库已存在时什么也不做")
    p_sample.add_argument("--scale", type=float, default=1.0)
    p_template = sub.add_parser("template", help="写出数据模板（.xlsx）")
    p_template.add_argument("out", type=Path, nargs="?", default=None, help="输出文件（默认 复工态势台_数据模板.xlsx）")
    p_ingest = sub.add_parser("ingest", help="检查并导入表格文件")
    p_ingest.add_argument("files", nargs="+", type=Path)
    p_ingest.add_argument("--user", default=getpass.getuser())
    p_ingest.add_argument("--accept-warnings", action="store_true", help="有警告时也入库")
    p_ingest.add_argument("--check-only", action="store_true", help="只检查，不入库")
    sub.add_parser("status", help="列出批次")
    p_rollback = sub.add_parser("rollback", help="撤销一个批次（不删除任何数据）")
    p_rollback.add_argument("batch", type=int)
    p_rollback.add_argument("--user", default=getpass.getuser())
    cli.add_parsers(sub)  # users, tokens
    web_cli.add_parsers(sub)  # api-tokens, sessions
    p_migrate = sub.add_parser("migrate", help="把文件数据库整体迁移到一个新的空 DuckLake（核对行数）")
    p_migrate.add_argument("--to", required=True, type=store_address, help="目标 DuckLake 地址 ducklake:postgres:…")
    p_compact = sub.add_parser("compact", help="整理存储：合并小文件、清理过期快照（每晚运行）")
    p_compact.add_argument("--keep-days", type=float, default=7, help="保留最近几天的快照（可回溯）")
    p_cluster = sub.add_parser("cluster", help="在本机启动 PostgreSQL + 两台应用服务器 + nginx（演示/测试）")
    p_cluster.add_argument("--dir", type=Path, default=Path("data/cluster"))
    p_cluster.add_argument("--port", type=int, default=8080)
    p_cluster.add_argument("--servers", type=int, default=2)
    args = parser.parse_args(argv)
    if args.lake_data is not None:
        os.environ["FUGONG_LAKE_DATA"] = str(args.lake_data)
    db = args.db or default_db_path()
    try:
        return COMMANDS[args.command](args, db)
    except UserError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2


def _template(args, db: Path) -> int:
    from pipelines.ingest.template import FILE_NAME, template_bytes

    out = args.out or Path(FILE_NAME)
    out.write_bytes(template_bytes())
    print(f"数据模板已写出：{out}")
    return 0


def _init(args, db: Path | str) -> int:
    store = Store(db)
    print(f"数据库已就绪：{store.address}")
    store.close()
    return 0


def _sample(args, db: Path | str) -> int:
    from pipelines.demo.sample import build_database

    if not isinstance(db, Path):
        return _sample_lake(args, db)
    if db.exists():
        if args.if_absent:
            return 0
        raise UserError(f"{db} 已存在", "示例库只在新文件中生成：请删除它或用 --db 指定别的文件")
    started = time.perf_counter()
    print(f"生成示例数据并导入 {db} …")
    tmp = db.with_name(db.name + ".building")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    build_database(tmp, workdir=db.parent / "sample", scale=args.scale)
    tmp.rename(db)  # a half-built sample never passes for a finished one
    print(f"完成，用时 {time.perf_counter() - started:.1f} 秒")
    return 0


def _sample_lake(args, address: str) -> int:
    """The sample built in a temporary file, then moved onto the lake (migrate --to)."""
    import tempfile

    from pipelines.demo.sample import build_database
    from pipelines.lake.transfer import copy_to_lake

    store = Store(address)
    try:
        if store.batches().shape[0]:
            if args.if_absent:
                return 0
            raise UserError("这个 DuckLake 中已有数据", "示例数据只导入空湖")
        print(f"生成示例数据并导入 {store.address} …")
        with tempfile.TemporaryDirectory() as tmp:
            built = build_database(Path(tmp) / "sample.duckdb", scale=args.scale)
            copy_to_lake(built, store)
    finally:
        store.close()
    return 0


def _migrate(args, db: Path | str) -> int:
    from pipelines.lake.transfer import copy_to_lake

    if not isinstance(db, Path):
        raise UserError("--db 须为要迁移的数据库文件", "例如 --db data/street.duckdb migrate --to ducklake:postgres:…")
    target = Store(args.to)
    try:
        print(f"迁移 {db} → {target.address}")
        counts = copy_to_lake(db, target)
    finally:
        target.close()
    for c in counts:
        print(f"  {c.table}: {c.source} 行 → {c.target} 行")
    print("迁移完成，各表行数一致")
    return 0


def _compact(args, db: Path | str) -> int:
    store = Store(db)
    try:
        result = store.compact(args.keep_days)
    finally:
        store.close()
    print(f"整理完成：{result}")
    return 0


def _cluster(args, db: Path | str) -> int:
    from pipelines.lake.cluster import main as cluster_main

    return cluster_main(args.dir.resolve(), args.port, args.servers)


def _ingest(args, db: Path) -> int:
    from pipelines.batches.commit import check_upload, commit_upload
    from pipelines.ingest.read import read_upload

    for path in args.files:
        if not path.is_file():
            raise UserError(f"找不到文件：{path}", "请检查路径和文件名")
    store = Store(db)
    worst = 0
    for path in args.files:
        upload = read_upload(path.name, path.read_bytes())
        result = check_upload(store, upload)
        readings = len(result.findings) - result.errors - result.warnings
        print(f"{path.name}: {upload.row_counts()}，错误 {result.errors} 个，警告 {result.warnings} 个，"
              f"已按其他写法理解 {readings} 处")
        if len(result.findings):
            print(for_display(result.findings).astype(object).fillna("").to_string(index=False, max_rows=200))
        if result.duplicate_of:
            print(f"  这个文件已经上传过（批次 {result.duplicate_of}），未重复入库")
            continue
        if result.errors:
            print("  有错误，未入库：请按上表修改后重新导入")
            worst = 1
            continue
        if args.check_only:
            continue
        if result.warnings and not args.accept_warnings:
            print("  有警告，未入库：核对后加 --accept-warnings 再次导入")
            worst = 1
            continue
        try:
            batch_id = commit_upload(store, upload, args.user, confirm_warnings=True)
        except RejectedUpload as exc:
            print(f"  {exc}")
            worst = 1
            continue
        print(f"  已入库：批次 {batch_id}")
    return worst


def _status(args, db: Path) -> int:
    store = Store(db, read_only=True)
    frame = store.batches()
    if frame.empty:
        print("还没有批次")
    else:
        print(frame[["batch_id", "file_name", "uploaded_by", "uploaded_at", "status", "sheets"]]
              .to_string(index=False))
    return 0


def _rollback(args, db: Path) -> int:
    from pipelines.batches.commit import rollback_batch

    store = Store(db)
    rollback_batch(store, args.batch, args.user)
    print(f"批次 {args.batch} 已撤销（数据保留，可追溯）")
    return 0


COMMANDS = {"init": _init, "sample": _sample, "template": _template, "ingest": _ingest, "status": _status,
            "rollback": _rollback, "migrate": _migrate, "compact": _compact, "cluster": _cluster, **cli.COMMANDS,
            **web_cli.COMMANDS}

if __name__ == "__main__":
    sys.exit(main())
