"""Issue 13, trust boundaries: each test here failed on main before the change it names (finding N)."""

from __future__ import annotations

import json
import os
import shutil
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


@pytest.mark.slow
def test_trust_cli_unlock_reaches_a_served_console_nobody_has_opened(tmp_path):
    """`make run` restarted, the only admin is throttled and has tried the login form (so the console holds the
    database file), no page has run yet: the CLI's unlock is carried out all the same (the worker starts with the
    app, not with a first page)."""
    from web_support import Client, serve_web

    db = tmp_path / "street.duckdb"
    console = Store(db)
    try:
        accounts.add_user(console, "cli:root", "admin", "管理员", "admin", None, PASSWORD)
        for n in range(8):
            with pytest.raises(LoginFailed):
                accounts.check_login(console, "admin", f"guess number {n}", "local")
    finally:
        console.close()
    with serve_web(db, tmp_path) as url:
        # the admin tries the login form: the console now holds the file, and no page has run yet
        assert Client(url).login("admin", "one more guess").status == 401
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-m", "pipelines", "--db", str(db), "users", "unlock", "admin"],
                              capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "已解锁 admin" in done.stdout
        reply = Client(url).login("admin", PASSWORD)
        assert reply.status == 303 and reply.headers["location"] == "/", reply.text[:500]


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


# -- finding 1: a grading configuration change is a proposal a second district leader decides ----------------

@pytest.fixture
def graded_db(sample_db_path, tmp_path) -> Path:
    from pipelines.core.store import open_store

    open_store(sample_db_path).con.execute("checkpoint")
    target = tmp_path / "graded.duckdb"
    shutil.copyfile(sample_db_path, target)
    return target


def _who(username: str, role: str, street: str | None = None) -> accounts.Principal:
    return accounts.Principal(username, username, role, street)


def test_trust_config_change_is_a_proposal_decided_by_another_district_leader(graded_db):
    from pipelines.grading import grade, proposals
    from pipelines.situation import feed

    store = Store(graded_db)
    try:
        jsl = _who("jsl-leader", "leader", "江苏路街道")
        leader, other = _who("leader", "leader"), _who("leader2", "leader")
        cur = store.cursor()
        before = cur.execute("select day, building_id, computed_grade from building_grades order by all").fetchall()
        active = grade.active_config(cur)
        text = grade.config_to_toml(grade.config_with(active, high=30, medium=15))
        pid = proposals.propose(store, jsl, text, "江苏路检查发现问题，收紧阈值")  # a street user may propose
        impact = proposals.impact(cur, pid)
        assert impact["street"].nunique() > 1  # the list covers every street, not the proposer's own
        assert set(proposals.diff(cur, pid)["项目"]) == {"高风险阈值", "中风险阈值"}
        with pytest.raises(accounts.Forbidden, match="全区范围的领导审批"):
            proposals.decide(store, jsl, pid, True)  # a street leader never applies a district-wide change
        with pytest.raises(accounts.Forbidden, match="审批评分配置需要领导角色"):
            proposals.decide(store, _who("analyst", "analyst"), pid, True)
        assert cur.execute("select day, building_id, computed_grade from building_grades order by all"
                           ).fetchall() == before
        version = proposals.decide(store, leader, pid, True, "同意")
        assert grade.active_config(cur).version == version
        moved = cur.execute("select grades_moved from grading_proposals where proposal_id = ?", [pid]).fetchall()[0][0]
        assert moved == len(impact) > 0
        events = feed.events(cur, 200, None, ["config"])
        assert len(events) == 1 and events["title"][0] == f"评分配置版本 {version} 生效：{moved} 栋楼宇等级变化"
        assert "jsl-leader 提议、leader 批准" in events["detail"][0]
        # Nobody approves their own proposal; a revert is a proposal too.
        pid2 = proposals.propose_revert(store, leader, proposals.SHIPPED, "回到默认配置")
        with pytest.raises(accounts.Forbidden, match="不能审批自己提出的配置"):
            proposals.decide(store, leader, pid2, True)
        proposals.decide(store, other, pid2, True)
        assert grade.active_config(cur).text == grade.default_config().text
        assert cur.execute("select day, building_id, computed_grade from building_grades order by all"
                           ).fetchall() == before
        listed = proposals.versions(cur)
        assert listed[["proposed_by", "approved_by"]].values.tolist() == [["leader", "leader2"],
                                                                           ["jsl-leader", "leader"]]
        pid3 = proposals.propose(store, jsl, text, "再试")
        proposals.decide(store, other, pid3, False, "不同意")
        assert grade.active_config(cur).text == grade.default_config().text
        assert [a for (a,) in cur.execute("select action from audit where action like 'config.%' "
                                          "order by audit_id").fetchall()] == [
            "config.propose", "config.apply", "config.propose", "config.apply", "config.propose", "config.reject"]
    finally:
        store.close()


def test_trust_risk_page_offers_no_direct_save(graded_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("FUGONG_DB", str(graded_db))
    at = AppTest.from_file(str(ROOT / "app_pages" / "risk.py"), default_timeout=90)
    at.session_state["auth_user"] = "jsl-leader"
    at.run()
    assert not at.exception
    labels = [b.label for b in at.button]
    assert "保存为新配置版本" not in labels and "提交配置提议" in labels


# -- finding 2: street-scoped writes ----------------------------------------------------------------------

JSL, HQ = "江苏路街道", "虹桥街道"


def _checks_csv(*building_ids: str) -> bytes:
    header = "日期,楼宇编号,封闭管理,排摸登记,应对预案,卫生消毒,组织动员,企业服务,物业履责评分\n"
    rows = "".join(f"2020-02-09,{b},5,4,3,4,3,3,90\n" for b in building_ids)
    return (header + rows).encode("utf-8")


def _first_building(store: Store, street: str) -> str:
    return store.cursor().execute("select min(building_id) from buildings where street = ?", [street]).fetchall()[0][0]


def test_trust_rows_of_another_street_in_a_street_upload_are_errors(graded_db):
    from pipelines.batches.commit import commit_uploads
    from pipelines.batches.preview import preview_uploads
    from pipelines.core.errors import RejectedUpload
    from pipelines.ingest.read import read_upload

    store = Store(graded_db)
    try:
        mine, theirs = _first_building(store, JSL), _first_building(store, HQ)
        upload = read_upload("检查.csv", _checks_csv(mine, theirs))
        preview = preview_uploads(store, [upload], street=JSL)
        found = preview.files[0].findings
        outside = found[found["rule"] == "outside_street"]
        assert outside[["row", "value", "severity"]].values.tolist() == [[3, theirs, "error"]]
        assert HQ in outside["message"].iloc[0]
        version = store.data_version()
        with pytest.raises(RejectedUpload):
            commit_uploads(store, [upload], "jsl-analyst", confirm_warnings=True, street=JSL)
        assert store.data_version() == version  # nothing stored …
        rejected = store.cursor().execute("select actor, cast(after as varchar) from audit "
                                          "where action = 'upload.rejected'").fetchall()
        assert [a for a, _ in rejected] == ["jsl-analyst"]  # … but the refusal is audited
        after = json.loads(rejected[0][1])
        assert after["file"] == "检查.csv" and after["sha256"] == upload.sha256 and after["errors"] == 1
        # A building moved into the street from another is refused as well; a district user may do both.
        assert preview_uploads(store, [upload]).files[0].findings.query("rule == 'outside_street'").empty
        [batch] = commit_uploads(store, [read_upload("检查.csv", _checks_csv(mine))], "jsl-analyst",
                                 confirm_warnings=True, street=JSL)
        assert store.cursor().execute("select streets from batches where batch_id = ?", [batch]
                                      ).fetchall()[0][0] == [JSL]
    finally:
        store.close()


def test_trust_street_user_sees_and_rolls_back_only_batches_within_the_street(graded_db):
    from pipelines.batches.commit import commit_uploads, rollback_batch
    from pipelines.batches.preview import batch_list, committed_batches, preview_rollback
    from pipelines.ingest.read import read_upload

    store = Store(graded_db)
    try:
        cur = store.cursor()
        mixed = commit_uploads(store, [read_upload("两街道检查.csv", _checks_csv(
            _first_building(store, JSL), _first_building(store, HQ)))], "analyst", confirm_warnings=True)[0]
        streets = dict(cur.execute("select batch_id, streets from batches").fetchall())
        own = [b for b, s in streets.items() if s == [JSL]]
        other = [b for b, s in streets.items() if s == [HQ]]
        assert own and other and streets[mixed] == [JSL, HQ]
        listed = batch_list(cur, JSL)
        assert sorted(listed.iloc[:, 0].tolist()) == sorted(own)
        assert sorted(b for b, _ in committed_batches(cur, JSL)) == sorted(own)
        assert len(batch_list(cur, None)) == len(streets)
        for batch_id in (other[0], mixed):
            with pytest.raises(accounts.Forbidden, match="不全在江苏路街道内"):
                preview_rollback(store, batch_id, JSL)
            with pytest.raises(accounts.Forbidden, match="跨街道的批次须由全区范围的用户"):
                rollback_batch(store, batch_id, "jsl-analyst", street=JSL)
        assert cur.execute("select count(*) from batches where status = 'reverted'").fetchall()[0][0] == 0
        preview_rollback(store, own[-1], JSL)
        rollback_batch(store, own[-1], "jsl-analyst", street=JSL)
        rollback_batch(store, mixed, "analyst")  # district scope
    finally:
        store.close()


def test_trust_upload_page_of_a_street_analyst_lists_only_their_batches(graded_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    store = Store(graded_db)
    try:
        accounts.add_user(store, "cli:root", "jsl-analyst", "江苏路分析员", "analyst", JSL, PASSWORD)
        own = {b for b, s in store.cursor().execute("select batch_id, streets from batches").fetchall() if s == [JSL]}
    finally:
        store.close()
    monkeypatch.setenv("FUGONG_DB", str(graded_db))
    at = AppTest.from_file(str(ROOT / "app_pages" / "upload.py"), default_timeout=90)
    at.session_state["auth_user"] = "jsl-analyst"
    at.run()
    assert not at.exception
    [choose] = [s for s in at.selectbox if s.key == "rollback_batch"]
    assert {int(o.split("：")[0].removeprefix("批次 ")) for o in choose.options} == own
    shown = at.dataframe[0].value
    assert set(shown.iloc[:, 0]) == own


# -- finding 8: OIDC, idle timeout on the big screen, building links, make run ---------------------------------

def test_trust_oidc_needs_a_verified_and_unique_email(store):
    accounts.add_user(store, "admin", "li", "李", "leader", None, None, email="li@example.gov.cn")
    with pytest.raises(UserError, match="已被另一位用户使用"):
        accounts.add_user(store, "admin", "li2", "李二", "admin", None, None, email="LI@example.gov.cn")
    for claim in (None, False, "true"):
        with pytest.raises(LoginFailed, match="未确认这个邮箱"):
            accounts.login_oidc(store, "li@example.gov.cn", claim)
    assert accounts.login_oidc(store, "li@example.gov.cn", True).username == "li"
    # Two users with one address (made before the check existed) match neither.
    store.cursor().execute("insert into users (username, display_name, role, email, created_by) "
                           "values ('li3', '李三', 'admin', 'li@example.gov.cn', 'old')")
    with pytest.raises(LoginFailed, match="未开通或已停用"):
        accounts.login_oidc(store, "li@example.gov.cn", True)


def test_trust_big_screen_timer_does_not_keep_a_leader_logged_in(graded_db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from ui import session

    monkeypatch.setenv("FUGONG_DB", str(graded_db))
    monkeypatch.setenv("FUGONG_IDLE_MINUTES", "1")
    calls = []
    monkeypatch.setattr(session, "_fragment_run", lambda: calls.append(1) or True)  # every run is the timer
    at = AppTest.from_file(str(ROOT / "app_pages" / "kiosk.py"), default_timeout=90)
    at.session_state["auth_user"] = "leader"
    at.session_state["auth_seen"] = time.time() - 50
    at.run()
    assert not at.exception and calls
    assert at.session_state["auth_seen"] < time.time() - 45  # the refresh did not count as activity
    at.session_state["auth_seen"] = time.time() - 120
    at.run()
    assert "auth_user" not in at.session_state  # idle for longer than allowed: logged out


def test_trust_fragment_run_is_told_apart():
    from ui import session

    assert session._fragment_run() is False  # no script run at all


@pytest.mark.parametrize("wanted", ["NO-SUCH-1", "HQ-001"])
def test_trust_building_link_outside_the_street_says_so(graded_db, monkeypatch, wanted):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("FUGONG_DB", str(graded_db))
    at = AppTest.from_file(str(ROOT / "app_pages" / "building.py"), default_timeout=90)
    at.session_state["auth_user"] = "jsl-leader"
    at.query_params["building"] = wanted
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == [f"楼宇 {wanted.replace('-', chr(92) + '-')} 不存在或无权查看。请在下方选择楼宇。"]
    assert not at.subheader  # no other building shown instead


def test_trust_make_run_binds_loopback_for_the_sample():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "--address $(ADDRESS)" in recipe and "ADDRESS ?= 127.0.0.1" in makefile
    # the sample's public demo passwords are never served beyond this machine: make refuses before it starts
    refused = subprocess.run(["make", "--no-print-directory", "run", "ADDRESS=0.0.0.0"], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "refuses ADDRESS=0.0.0.0" in refused.stdout
