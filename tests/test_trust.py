"""Issue 13, trust boundaries: each test here failed on main before the change it names (finding N)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipelines.auth import accounts, queue
from pipelines.auth.accounts import LoginFailed
from pipelines.core.errors import UserError
from pipelines.core.store import Store

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


def _audit_text(store: Store) -> str:
    return json.dumps(store.cursor().execute("select actor, action, target, cast(before as varchar), "
                                             "cast(after as varchar) from audit").fetchall(), ensure_ascii=False)


# -- finding 3: no lockout by strangers ---------------------------------------------------------------

def test_trust_stranger_cannot_lock_out_the_admin(store):
    accounts.add_user(store, "cli:root", "admin", "管理员", "admin", None, PASSWORD)
    for n in range(30):
        with pytest.raises(LoginFailed):
            accounts.check_login(store, "admin", f"guess number {n}", "203.0.113.9")
    assert accounts.check_login(store, "admin", PASSWORD, "198.51.100.7").role == "admin"


def test_trust_unknown_user_and_wrong_password_read_the_same(store):
    accounts.add_user(store, "cli:root", "leader1", "领导", "leader", None, PASSWORD)
    accounts.add_user(store, "cli:root", "oidc1", "统一", "leader", None, None, email="o@example.gov.cn")
    seen = set()
    for name in ("leader1", "nobody", "oidc1"):
        for n in range(8):
            with pytest.raises(LoginFailed) as caught:
                accounts.check_login(store, name, f"wrong password {n}", "s1")
            seen.add((caught.value.message, caught.value.hint.split("请")[0]))
    assert {m for m, _ in seen} == {"用户名或密码错误"}
    # the throttle's hint comes for every name alike, known or not
    assert len({h for _, h in seen}) == 2


def test_trust_cli_unlock_while_the_console_holds_the_database(tmp_path):
    db = tmp_path / "street.duckdb"
    console = Store(db)  # the console: DuckDB's single-writer lock is now held by this process
    try:
        accounts.add_user(console, "cli:root", "admin", "管理员", "admin", None, PASSWORD)
        for n in range(8):
            with pytest.raises(LoginFailed):
                accounts.check_login(console, "admin", f"guess number {n}", "local")
        assert accounts.list_users(console.cursor())["locked"].tolist() == [True]
        queue.start_worker(console, interval=0.2)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-m", "pipelines", "--db", str(db), "users", "unlock", "admin"],
                              capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
        assert done.returncode == 0, done.stderr
        assert "已解锁 admin" in done.stdout
        assert accounts.list_users(console.cursor())["locked"].tolist() == [False]
        assert accounts.check_login(console, "admin", PASSWORD, "local").role == "admin"
        done = subprocess.run([sys.executable, "-m", "pipelines", "--db", str(db), "users", "reset-password",
                               "admin", "--password-stdin"], input="a brand new passphrase\n",
                              capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
        assert done.returncode == 0, done.stderr
        assert accounts.check_login(console, "admin", "a brand new passphrase", "local").role == "admin"
        actors = [a for (a,) in console.cursor().execute(
            "select actor from audit where action in ('user.unlock', 'user.reset_password')").fetchall()]
        assert all(a.startswith("cli:") for a in actors) and len(actors) == 2
    finally:
        console.close()


def test_trust_queued_request_without_actor_is_refused(tmp_path):
    db = tmp_path / "street.duckdb"
    console = Store(db)
    try:
        accounts.add_user(console, "cli:root", "admin", "管理员", "admin", None, PASSWORD)
        folder = queue.queue_dir(db)
        folder.mkdir()
        (folder / "x.json").write_text(json.dumps({"command": "unlock", "username": "admin", "actor": "web"}))
        assert queue.process(console) == 1
        assert json.loads((folder / "x.done").read_text())["ok"] is False
    finally:
        console.close()


# -- finding 6: login as a denial of service --------------------------------------------------------

def test_trust_failed_login_leaves_the_data_version_unchanged(store):
    accounts.add_user(store, "cli:root", "leader1", "领导", "leader", None, PASSWORD)
    version = store.data_version()
    for name in ("leader1", "nobody"):
        with pytest.raises(LoginFailed):
            accounts.check_login(store, name, "wrong password here", "s")
    accounts.check_login(store, "leader1", PASSWORD, "s")
    assert store.data_version() == version
    assert store.cursor().execute("select count(*) from audit where action like 'login.%'").fetchall()[0][0] == 3
    accounts.set_disabled(store, "cli:root", "leader1", True)  # a data write still moves it
    assert store.data_version() > version


def test_trust_login_hashing_is_bounded(store, monkeypatch):
    monkeypatch.setenv("FUGONG_LOGIN_PARALLEL", "2")
    accounts.add_user(store, "cli:root", "leader1", "领导", "leader", None, PASSWORD)
    hasher = accounts._hasher()
    real_verify = type(hasher).verify
    running, peak, lock = [0], [0], threading.Lock()

    def counting_verify(self, hashed, password):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(0.05)
            return real_verify(self, hashed, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(type(hasher), "verify", counting_verify)

    def attempt(n: int) -> None:
        try:
            accounts.check_login(store, "leader1", f"wrong password {n}", f"src{n}")
        except LoginFailed:
            pass

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2


# -- finding 7: weak passwords; a password typed as a username -----------------------------------------

@pytest.mark.parametrize("username, password", [
    ("leader", "1234567890"), ("leader", "password12"), ("leader", "leaderleader"), ("wang", "xyzxyzxyzxyz"),
    ("wang", "my-wang-password-x"), ("wang", "abcdefghijkl"), ("wang", "qwertyuiop"),
])
def test_trust_weak_passwords_are_refused(store, username, password):
    with pytest.raises(UserError, match="密码"):
        accounts.add_user(store, "cli:root", username, "X", "leader", None, password)
    accounts.add_user(store, "cli:root", username, "X", "leader", None, PASSWORD)
    with pytest.raises(UserError, match="密码"):
        accounts.reset_password(store, "cli:root", username, password)


@pytest.mark.parametrize("typed", ["my secret passphrase", "=cmd|' /C calc'!A0", "@SUM(1)", "+SUM(1,2)",
                                   "correct horse battery"])
def test_trust_typed_username_never_reaches_the_audit(store, typed):
    accounts.add_user(store, "cli:root", "leader1", "领导", "leader", None, PASSWORD)
    with pytest.raises(LoginFailed):
        accounts.check_login(store, typed, "anything at all", "s")
    text = _audit_text(store)
    assert typed not in text and typed.lower() not in text and "calc" not in text and "SUM" not in text


# -- finding 8: private files; no orphaned raw file ------------------------------------------------------

def test_trust_database_and_raw_folder_are_private(tmp_path):
    store = Store(tmp_path / "new.duckdb")
    try:
        path, _ = store.keep_raw_file("a" * 64, ".xlsx", b"content")
        assert stat.S_IMODE(os.stat(tmp_path / "new.duckdb").st_mode) == 0o600
        assert stat.S_IMODE(os.stat(store.raw_dir).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        store.release_raw_file(path)
    finally:
        store.close()


def test_trust_a_raw_file_without_a_batch_is_swept_on_start(tmp_path):
    store = Store(tmp_path / "db.duckdb")
    orphan, _ = store.keep_raw_file("b" * 64, ".csv", b"x")  # as a process killed before its commit leaves it
    store.release_raw_file(orphan)  # (that process is gone: nothing of it is in flight any more)
    part = store.raw_dir / ("c" * 64 + ".csv.part")
    part.write_bytes(b"half")
    store.close()
    store = Store(tmp_path / "db.duckdb")
    try:
        assert not orphan.exists() and not part.exists()
    finally:
        store.close()
