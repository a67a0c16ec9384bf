"""The DuckLake backend (issue 16): many writers and one truth, shared state across servers, moving a street
onto a lake, compaction, and the faults: a server killed during a commit, PostgreSQL restarted, the shared
data directory gone. Real PostgreSQL (tests/pg_support.py), real Parquet files, separate processes."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from auth_support import DEMO_PASSWORD
from pg_support import clone_lake, lake_copy_of

from pipelines.auth import accounts as auth
from pipelines.batches.commit import commit_upload, rollback_batch
from pipelines.core.errors import UserError
from pipelines.core.store import Store
from pipelines.ingest.read import read_upload
from pipelines.lake import writers
from pipelines.lake.backend import LakeAddress

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.lake


def _lake_store(request, sample_db: Path, tmp_path: Path) -> tuple[Store, str, Path]:
    address, data = lake_copy_of(request, sample_db, tmp_path)
    return Store(address, lake_data=data), address, data


def _one_day(store: Store, writer: int = 0, batch: int = 0, day_offset: int = 1):
    cur = store.cursor()
    companies = [(c, n, int(e or 0)) for c, n, e in cur.execute(
        "select credit_code, company_name, employees from companies order by credit_code").fetchall()]
    last = cur.execute("select max(report_date) from daily_returns").fetchall()[0][0]
    cur.close()
    day = last + dt.timedelta(days=day_offset)
    return read_upload(f"返岗日报_{writer}_{batch}.csv", writers.returns_csv(companies, day, writer, batch))


def test_an_address_without_a_data_directory_is_refused(monkeypatch):
    monkeypatch.delenv("FUGONG_LAKE_DATA", raising=False)
    with pytest.raises(UserError, match="共享数据目录") as info:
        LakeAddress.parse("ducklake:postgres:dbname=fugong host=127.0.0.1")
    assert "FUGONG_LAKE_DATA" in str(info.value)
    assert LakeAddress.parse("ducklake:postgres:dbname=f password=secret", "/srv/l").describe() == \
        "ducklake:postgres:dbname=f password=***"


def test_concurrent_writers_each_land_once_with_consistent_derived_tables(request, sample_db, tmp_path):
    store, address, data = _lake_store(request, sample_db, tmp_path)
    cur = store.cursor()
    batches_before = cur.execute("select count(*), max(batch_id) from batches").fetchall()[0]
    store.close()

    results = writers.run_writers(address, str(data), writers=3, batches=3, days=2)

    assert [r.errors for r in results] == [[], [], []]
    ids = sorted(i for r in results for i in r.batch_ids)
    assert ids == list(range(batches_before[1] + 1, batches_before[1] + 10))  # ids unique and without gaps
    store = Store(address, lake_data=data)
    try:
        cur = store.cursor()
        assert cur.execute("select count(*) from batches").fetchall()[0][0] == batches_before[0] + 9
        assert cur.execute("select count(*) from audit where action = 'batch.commit' and actor like 'writer%'"
                           ).fetchall()[0][0] == 9
        assert writers.consistency_problems(store) == []
    finally:
        store.close()


ADD_SAME_USER = """
import sys
from pipelines.auth import accounts
from pipelines.core.errors import UserError
from pipelines.core.store import Store
store = Store(sys.argv[1], lake_data=sys.argv[2])
try:
    accounts.add_user(store, "admin", "twin", "双胞胎", "leader", password="Zhang-san-2020!")
    print("added")
except UserError as exc:
    print(str(exc))
finally:
    store.close()
"""


def test_a_unique_name_stays_unique_across_servers(request, postgres, empty_lake, tmp_path):
    """DuckLake has no unique constraint: the check and the insert run under the servers' common lock."""
    address, data = clone_lake(postgres, *empty_lake, tmp_path)
    # three processes, as three servers (plain subprocesses: a spawn pool inside a pytest-xdist worker could
    # wait for ever on children that never start)
    procs = [subprocess.Popen([sys.executable, "-c", ADD_SAME_USER, address, str(data)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        outcomes.append(out.strip().splitlines()[-1])
    assert sorted(outcomes) == ["added", "用户 twin 已存在；如需恢复请“启用”，如需改密码请“重置密码”",
                                "用户 twin 已存在；如需恢复请“启用”，如需改密码请“重置密码”"]
    store = Store(address, lake_data=data)
    assert store.cursor().execute("select count(*) from users where username = 'twin'").fetchall() == [(1,)]
    store.close()


def test_a_commit_on_one_server_shows_on_the_other_at_the_next_read(request, sample_db, tmp_path):
    """Two stores are two DuckDB instances, as on two servers: the data version that keys every cache, the
    batches and the users a server sees are the lake's, not the process's."""
    a, address, data = _lake_store(request, sample_db, tmp_path)
    b = Store(address, lake_data=data)
    try:
        version = b.data_version()
        batch_id = commit_upload(a, _one_day(a), "分析员", confirm_warnings=True)
        assert b.data_version() > version
        assert b.batches()["batch_id"].max() == batch_id
        auth.add_user(a, "admin", "newleader", "新领导", "leader", password="Zhang-san-2020!")
        assert auth.list_users(b.cursor()).query("username == 'newleader'").shape[0] == 1
        rollback_batch(b, batch_id, "分析员")  # the rollback from the other server
        assert a.batches().set_index("batch_id").loc[batch_id, "status"] == "reverted"
        assert writers.consistency_problems(a) == []
    finally:
        a.close()
        b.close()


def test_login_throttling_counts_across_servers(request, sample_db, tmp_path, monkeypatch):
    monkeypatch.setenv("FUGONG_LOGIN_MAX_FAILURES", "3")
    a, address, data = _lake_store(request, sample_db, tmp_path)
    b = Store(address, lake_data=data)
    try:
        for store in (a, b, a):  # three wrong passwords, on two servers
            with pytest.raises(UserError):
                auth.authenticate(store, "leader", "wrong password")
        # the fourth try, right password and all, waits: the throttle is shared, not per server
        with pytest.raises(UserError, match="尝试过于频繁"):
            auth.authenticate(b, "leader", DEMO_PASSWORD["leader"])
    finally:
        a.close()
        b.close()


def test_a_login_session_and_an_api_token_hold_on_every_server(request, sample_db, tmp_path):
    """The login cookie's session and the API tokens (issue 14) are rows in the lake: started on one server,
    valid on the other; ended on that one, gone on the first."""
    from pipelines.auth import sessions

    a, address, data = _lake_store(request, sample_db, tmp_path)
    b = Store(address, lake_data=data)
    try:
        principal = auth.authenticate(a, "leader", DEMO_PASSWORD["leader"])
        key, started = sessions.start_session(a, principal, "127.0.0.1", "pytest")
        seen = sessions.session_user(b, key)
        assert seen is not None and (seen.session_id, seen.principal.username) == (started.session_id, "leader")
        assert sessions.end_session(b, key)
        assert sessions.session_user(a, key) is None
        token = sessions.make_api_token(a, "admin", "一网统管平台")
        assert sessions.api_principal(b, token) is not None
        token_id = int(sessions.list_api_tokens(b.cursor())["token_id"].max())
        sessions.revoke_api_token(b, "admin", token_id)
        assert sessions.api_principal(a, token) is None
    finally:
        a.close()
        b.close()


def test_migrate_moves_a_street_onto_a_lake_and_verifies_counts(sample_db, postgres, empty_lake, tmp_path):
    source = tmp_path / "street.duckdb"
    shutil.copyfile(sample_db, source)
    shutil.copytree(sample_db.parent / "raw", tmp_path / "raw")
    address, data = clone_lake(postgres, *empty_lake, tmp_path)
    done = subprocess.run([sys.executable, "-m", "pipelines", "--db", str(source), "--lake-data", str(data),
                           "migrate", "--to", address], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "迁移完成，各表行数一致" in done.stdout
    file_store, lake_store = Store(source, read_only=True), Store(address, lake_data=data)
    try:
        for query in ("select count(*), max(batch_id) from batches", "select count(*) from audit",
                      "select count(*) from users", "select count(*), sum(on_site) from daily_returns",
                      "select day, building_id, score, computed_grade from building_grades order by all"):
            assert lake_store.cursor().execute(query).fetchall() == file_store.cursor().execute(query).fetchall()
        stored = {n for (n,) in lake_store.cursor().execute("select stored_as from batches").fetchall()}
        assert stored and all((data / "raw" / name).is_file() for name in stored)
    finally:
        file_store.close()
        lake_store.close()
    again = subprocess.run([sys.executable, "-m", "pipelines", "--db", str(source), "--lake-data", str(data),
                            "migrate", "--to", address], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2
    assert again.stderr.startswith("错误：目标湖中已有数据")


def test_cli_commands_work_on_a_lake_while_a_server_has_it_open(request, sample_db, tmp_path):
    """No single-process lock on a lake: the CLI works next to a running console (here: `store`)."""
    store, address, data = _lake_store(request, sample_db, tmp_path)
    upload_file = tmp_path / "返岗日报.csv"
    upload_file.write_bytes(_one_day(store).content)
    env = {**os.environ, "FUGONG_DB": address, "FUGONG_LAKE_DATA": str(data)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pipelines", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)

    ingest = cli("ingest", str(upload_file), "--accept-warnings", "--user", "分析员")
    assert ingest.returncode == 0, ingest.stderr
    batch_id = int(ingest.stdout.split("已入库：批次 ")[1].split()[0])
    assert f"{batch_id}" in cli("status").stdout
    assert cli("rollback", str(batch_id)).returncode == 0
    assert "leader" in cli("users", "list").stdout
    compact = cli("compact")
    assert compact.returncode == 0, compact.stderr
    assert "整理完成" in compact.stdout
    try:
        assert store.batches().set_index("batch_id").loc[batch_id, "status"] == "reverted"
        assert writers.consistency_problems(store) == []
    finally:
        store.close()


def test_compaction_merges_files_and_keeps_the_data(request, sample_db, tmp_path):
    store, _address, _data = _lake_store(request, sample_db, tmp_path)
    try:
        for b in range(3):
            commit_upload(store, _one_day(store, batch=b, day_offset=1 + b), "分析员", confirm_warnings=True)
        query = "select count(*), sum(on_site) from daily_returns"
        before = store.cursor().execute(query).fetchall()
        result = store.compact(keep_days=0)
        assert result["files_after"] < result["files_before"]
        assert store.cursor().execute(query).fetchall() == before
        assert writers.consistency_problems(store) == []
    finally:
        store.close()


CHILD = """
import os, signal, sys
sys.path.insert(0, {root!r})
from pipelines.batches import commit
from pipelines.core import hooks
from pipelines.core.store import Store
from pipelines.ingest.read import read_upload


def die(cur, days):
    print("inserted", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


store = Store({address!r}, lake_data={data!r})
hooks.after_write(order=99)(die)
commit.commit_upload(store, read_upload("返岗日报.csv", open({file!r}, "rb").read()), "分析员", confirm_warnings=True)
"""


def test_a_server_killed_during_a_commit_leaves_nothing_and_the_lock_goes_with_it(request, sample_db, tmp_path):
    store, address, data = _lake_store(request, sample_db, tmp_path)  # the other server, serving throughout
    try:
        upload = _one_day(store)
        (tmp_path / "returns.csv").write_bytes(upload.content)
        state = "select count(*), max(batch_id), (select count(*) from raw_daily_returns), " \
                "(select count(*) from audit) from batches"
        before = store.cursor().execute(state).fetchall()
        child = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), address=address, data=str(data),
                                                                   file=str(tmp_path / "returns.csv"))],
                               capture_output=True, text=True, timeout=300)
        assert child.returncode == -9, child.stderr
        assert child.stdout.split() == ["inserted"]
        assert store.cursor().execute(state).fetchall() == before
        started = time.monotonic()
        batch_id = commit_upload(store, upload, "分析员", confirm_warnings=True)  # the lock died with the process
        assert time.monotonic() - started < 60
        assert batch_id == before[0][1] + 1
        assert writers.consistency_problems(store) == []
        # The dead transaction's Parquet files are orphans; the nightly compaction deletes them.
        store.compact(keep_days=0)
        meta = "__ducklake_metadata_lake"
        known = store.cursor().execute(
            f"select (select count(*) from {meta}.ducklake_data_file where end_snapshot is null) + "
            f"(select count(*) from {meta}.ducklake_delete_file where end_snapshot is null)").fetchall()[0][0]
        assert len(list((data / "parquet").rglob("*.parquet"))) == known
    finally:
        store.close()


def test_postgresql_restarted_is_reported_and_recovered_without_a_restart(request, sample_db, tmp_path, postgres):
    store, _address, _data = _lake_store(request, sample_db, tmp_path)
    try:
        version = store.data_version()
        cur = store.cursor()
        upload = _one_day(store)
        postgres.stop()
        try:
            with pytest.raises(duckdb.Error) as info:
                store.data_version(cur)
            message = store.describe_error(info.value)
            assert isinstance(message, UserError)
            assert str(message).startswith("数据库（DuckLake 的 PostgreSQL 目录库）暂时连不上，本次没有读写任何数据")
            with pytest.raises(UserError, match="暂时连不上"):
                store.cursor()  # what a page asks for first
            with pytest.raises(UserError, match="暂时连不上"):
                commit_upload(store, upload, "分析员", confirm_warnings=True)
        finally:
            postgres.start()
            postgres.wait_ready()
        assert store.data_version() == version  # the same store object: no restart of the console
        batch_id = commit_upload(store, upload, "分析员", confirm_warnings=True)
        assert store.batches()["batch_id"].max() == batch_id
    finally:
        store.close()


def test_the_data_directory_gone_is_reported_and_nothing_is_written(request, sample_db, tmp_path):
    store, _address, data = _lake_store(request, sample_db, tmp_path)
    away = data.with_name(data.name + ".away")
    try:
        cur = store.cursor()
        query = "select count(*), sum(on_site) from raw_daily_returns"
        before = cur.execute(query).fetchall()
        version = store.data_version()
        data.rename(away)
        data.mkdir()  # what an unmounted mount point looks like: an empty local directory
        try:
            with pytest.raises(duckdb.IOException) as info:
                cur.execute(query).fetchall()
            assert str(store.describe_error(info.value)).startswith(f"共享数据目录 {data} 不可用，本次没有读写任何数据")
            with pytest.raises(UserError, match="共享数据目录"):
                auth.add_user(store, "admin", "during", "期间", "leader", password="Zhang-san-2020!")
            assert list(data.iterdir()) == []  # nothing written onto the local disk
        finally:
            data.rmdir()
            away.rename(data)
        assert cur.execute(query).fetchall() == before
        assert store.data_version() == version
    finally:
        store.close()
