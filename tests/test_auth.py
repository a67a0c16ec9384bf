"""Users, passwords, lockout, screen tokens, permissions and the CLI, on real DuckDB files."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from auth_support import SPEC

from pipelines.__main__ import main
from pipelines.auth import accounts
from pipelines.auth.accounts import Forbidden, LoginFailed
from pipelines.core.errors import UserError
from pipelines.core.store import Store

PASSWORD = "correct horse battery"
NOW = dt.datetime(2020, 2, 17, 9, 0, tzinfo=dt.UTC)


def audit_rows(store: Store) -> list[tuple]:
    return store.cursor().execute(
        "select actor, action, target, cast(before as varchar), cast(after as varchar) from audit order by audit_id"
    ).fetchall()


@pytest.mark.parametrize("role", list(SPEC))
@pytest.mark.parametrize("permission", list(accounts.PERMISSIONS))
def test_every_role_and_action(role, permission):
    user = accounts.Principal("u", "U", role, None)
    if permission in SPEC[role]:
        assert accounts.require(user, permission) is user
    else:
        with pytest.raises(Forbidden, match="无权限"):
            accounts.require(user, permission)


def test_require_needs_a_user():
    with pytest.raises(Forbidden, match="请先登录"):
        accounts.require(None, accounts.VIEW)


def test_refusal_names_the_roles_that_may():
    with pytest.raises(Forbidden) as caught:
        accounts.require(accounts.Principal("l", "L", "leader", None), accounts.UPLOAD)
    assert caught.value.message == "无权限：“上传数据”需要分析员角色，您当前的角色是领导"


def test_scoped_street():
    street_user = accounts.Principal("s", "S", "leader", "江苏路街道")
    district_user = accounts.Principal("d", "D", "leader", None)
    assert accounts.scoped_street(street_user, None) == "江苏路街道"
    assert accounts.scoped_street(street_user, "江苏路街道") == "江苏路街道"
    with pytest.raises(Forbidden, match="只能查看江苏路街道"):
        accounts.scoped_street(street_user, "虹桥街道")
    assert accounts.scoped_street(district_user, None) is None
    assert accounts.scoped_street(district_user, "虹桥街道") == "虹桥街道"


def test_add_login_and_audit_never_holds_a_password(store):
    accounts.add_user(store, "cli:root", "Wang.Li", "王丽", "analyst", None, PASSWORD)
    user = accounts.authenticate(store, " wang.li ", PASSWORD, now=NOW)
    assert user == accounts.Principal("wang.li", "王丽", "analyst", None, "password")
    rows = audit_rows(store)
    assert [(a, b, c) for a, b, c, _, _ in rows] == [("cli:root", "user.add", "wang.li"),
                                                      ("wang.li", "login.success", "wang.li")]
    assert json.loads(rows[0][4]) == {"username": "wang.li", "display_name": "王丽", "role": "analyst",
                                      "street": None, "email": None, "password": "已设置"}
    stored = store.cursor().execute("select password_hash from users").fetchall()[0][0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    everything = json.dumps(audit_rows(store), ensure_ascii=False)
    assert PASSWORD not in everything and "$argon2" not in everything


def test_wrong_passwords_slow_this_source_down_but_never_lock_the_account(store):
    """Finding 3 of issue 13: five wrong passwords used to lock the account for everyone for 15 minutes."""
    accounts.add_user(store, "cli:root", "leader1", "领导", "leader", None, PASSWORD)
    for n in range(5):
        with pytest.raises(LoginFailed) as caught:
            accounts.check_login(store, "leader1", f"wrong-{n}-password", "10.1.1.1", now=NOW)
        assert caught.value.message == "用户名或密码错误"
    # The next try from that source must wait; another source (the real user) gets straight in.
    with pytest.raises(LoginFailed) as caught:
        accounts.check_login(store, "leader1", PASSWORD, "10.1.1.1", now=NOW + dt.timedelta(seconds=1))
    assert caught.value.message == "用户名或密码错误" and "秒后再试" in caught.value.hint
    assert accounts.check_login(store, "leader1", PASSWORD, "10.2.2.2", now=NOW).role == "leader"
    # The delay grows: 2 s after the sixth failure, 4 s after the seventh …
    later = NOW + dt.timedelta(seconds=3)
    with pytest.raises(LoginFailed):
        accounts.check_login(store, "leader1", "wrong-again-password", "10.1.1.1", now=later)
    assert accounts._blocked_for(store, accounts.account_key("leader1"), "10.1.1.1", later) == 4
    assert accounts.check_login(store, "leader1", PASSWORD, "10.1.1.1", now=later + dt.timedelta(seconds=5)).role
    reasons = [json.loads(after)["reason"] for _, action, _, _, after in audit_rows(store) if action == "login.failed"]
    assert reasons == ["wrong_password"] * 5 + ["throttled", "wrong_password"]


def test_the_delay_is_capped_and_configurable(store, monkeypatch):
    monkeypatch.setenv("FUGONG_LOGIN_MAX_FAILURES", "2")
    monkeypatch.setenv("FUGONG_LOCK_MINUTES", "1")
    for n in range(12):
        with pytest.raises(LoginFailed):
            accounts.check_login(store, "leader1", "wrong-password-x", "s", now=NOW + dt.timedelta(minutes=n))
    assert accounts._blocked_for(store, accounts.account_key("leader1"), "s", NOW + dt.timedelta(minutes=11)) == 60


def test_unknown_and_disabled_users(store):
    with pytest.raises(LoginFailed, match="用户名或密码错误"):
        accounts.authenticate(store, "nobody", PASSWORD, now=NOW)
    accounts.add_user(store, "cli:root", "gone", "离职", "leader", None, PASSWORD)
    accounts.set_disabled(store, "cli:root", "gone", True)
    with pytest.raises(LoginFailed, match="用户名或密码错误"):  # a wrong password tells nothing more
        accounts.authenticate(store, "gone", "wrong-password-x", now=NOW)
    with pytest.raises(LoginFailed, match="账号 gone 已停用"):
        accounts.authenticate(store, "gone", PASSWORD, now=NOW)
    assert accounts.load_user(store.cursor(), "gone") is None
    accounts.set_disabled(store, "cli:root", "gone", False)
    assert accounts.load_user(store.cursor(), "gone").username == "gone"
    reasons = [(r[0], r[2], json.loads(r[4])) for r in audit_rows(store) if r[1] == "login.failed"]
    assert reasons == [("（未知用户）", accounts.account_key("nobody"),
                        {"reason": "unknown_user", "source": "local", "failures": 1}),
                       ("gone", "gone", {"reason": "wrong_password", "source": "local", "failures": 1}),
                       ("gone", "gone", {"reason": "disabled", "source": "local"})]
    changes = [(r[1], json.loads(r[3]), json.loads(r[4])) for r in audit_rows(store)
               if r[1].startswith("user.") and r[1] != "user.add"]
    assert changes == [("user.disable", {"disabled": False}, {"disabled": True}),
                       ("user.enable", {"disabled": True}, {"disabled": False})]


def test_reset_password_unlocks_and_is_audited(store):
    accounts.add_user(store, "cli:root", "leader1", "领导", "leader", None, PASSWORD)
    for _ in range(7):
        with pytest.raises(LoginFailed):
            accounts.authenticate(store, "leader1", "wrong-password-x")
    accounts.reset_password(store, "admin", "leader1", "a new long password")
    assert accounts.authenticate(store, "leader1", "a new long password").username == "leader1"
    with pytest.raises(LoginFailed):
        accounts.authenticate(store, "leader1", PASSWORD)
    reset = [(r[0], r[2], json.loads(r[4])) for r in audit_rows(store) if r[1] == "user.reset_password"]
    assert reset == [("admin", "leader1", {"password": "已重置", "locked": False})]


@pytest.mark.parametrize("password, message", [
    ("short", "密码太短"), ("aaaaaaaaaaaa", "密码太简单"), ("someone-long", "密码不能包含用户名"),
])
def test_password_policy(store, password, message):
    with pytest.raises(UserError, match=message):
        accounts.add_user(store, "cli:root", "someone-long", "X", "leader", None, password)
    assert accounts.user_count(store.cursor()) == 0


@pytest.mark.parametrize("username", ["a", "x' or 1=1 --", "<script>", "名字", "a" * 70])
def test_bad_usernames_are_refused(store, username):
    with pytest.raises(UserError, match="用户名不合规"):
        accounts.add_user(store, "cli:root", username, "X", "leader", None, PASSWORD)


def test_duplicate_user_and_unknown_role_or_street(store):
    accounts.add_user(store, "cli:root", "leader1", "领导", "leader", None, PASSWORD)
    with pytest.raises(UserError, match="用户 leader1 已存在"):
        accounts.add_user(store, "cli:root", "LEADER1", "领导", "leader", None, PASSWORD)
    with pytest.raises(UserError, match="未知角色：boss"):
        accounts.add_user(store, "cli:root", "boss", "X", "boss", None, PASSWORD)


def test_street_must_exist_once_there_is_data(sample_db, tmp_path):
    import shutil

    copy = tmp_path / "copy.duckdb"
    shutil.copy(sample_db, copy)
    wal = sample_db.with_name(sample_db.name + ".wal")
    if wal.exists():
        shutil.copy(wal, copy.with_name(copy.name + ".wal"))
    store = Store(copy)
    try:
        with pytest.raises(UserError, match="未知街道：江苏路"):
            accounts.add_user(store, "admin", "x1", "X", "leader", "江苏路", PASSWORD)
        accounts.add_user(store, "admin", "x2", "X", "leader", "虹桥街道", PASSWORD)
        assert accounts.load_user(store.cursor(), "x2").street == "虹桥街道"
    finally:
        store.close()


def test_cannot_disable_yourself(store):
    accounts.add_user(store, "cli:root", "admin", "管理员", "admin", None, PASSWORD)
    with pytest.raises(UserError, match="不能停用自己的账号"):
        accounts.set_disabled(store, "admin", "admin", True)


def test_update_user_role_and_scope(store):
    accounts.add_user(store, "cli:root", "u1", "甲", "leader", None, PASSWORD)
    accounts.update_user(store, "admin", "u1", role="analyst", street="江苏路街道")  # no data yet: any street
    assert accounts.load_user(store.cursor(), "u1") == accounts.Principal("u1", "甲", "analyst", "江苏路街道")
    accounts.update_user(store, "admin", "u1", district=True)
    assert accounts.load_user(store.cursor(), "u1").street is None
    assert [r[1] for r in audit_rows(store)] == ["user.add", "user.update", "user.update"]


def test_screen_tokens_rotate_and_revoke(store):
    first = accounts.rotate_token(store, "admin", "城运中心大屏", "江苏路街道")
    assert first.startswith("fgs_") and len(first) > 40
    cur = store.cursor()
    assert accounts.token_principal(cur, first) == accounts.Principal("token:城运中心大屏", "大屏（城运中心大屏）", "screen",
                                                              "江苏路街道", "token")
    second = accounts.rotate_token(store, "admin", "城运中心大屏", None)
    assert accounts.token_principal(cur, first) is None
    assert accounts.token_principal(cur, second).street is None
    for bad in ("", "fgs_", "fgs_" + "x" * 43, second[:-1], "x" * 500):
        assert accounts.token_principal(cur, bad) is None
    accounts.revoke_token(store, "admin", "城运中心大屏")
    assert accounts.token_principal(cur, second) is None
    with pytest.raises(UserError, match="没有有效令牌"):
        accounts.revoke_token(store, "admin", "城运中心大屏")
    listed = accounts.list_tokens(cur)
    assert listed.fillna({"street": "全区"})[["token_id", "name", "street", "live", "created_by", "revoked_by"]] \
        .values.tolist() == [[2, "城运中心大屏", "全区", False, "admin", "admin"], [1, "城运中心大屏", "江苏路街道", False, "admin", "admin"]]
    # The tokens themselves are nowhere in the database file's tables or its audit.
    dump = json.dumps([cur.execute("select columns(*)::varchar from screen_tokens").fetchall(), audit_rows(store)],
                      ensure_ascii=False, default=str)
    assert first not in dump and second not in dump
    assert [r[1] for r in audit_rows(store)] == ["token.rotate", "token.rotate", "token.revoke"]


def test_list_users_never_shows_hashes(store):
    accounts.add_user(store, "cli:root", "u1", "甲", "leader", "江苏路街道", PASSWORD)
    frame = accounts.list_users(store.cursor())
    assert "password_hash" not in frame.columns
    assert frame[["username", "display_name", "role", "street", "has_password", "disabled", "locked"]] \
        .values.tolist() == [["u1", "甲", "leader", "江苏路街道", True, False, False]]


def test_oidc_users_match_by_email(store):
    accounts.add_user(store, "admin", "li", "李", "leader", None, None, email="Li@Example.gov.cn")
    assert accounts.login_oidc(store, "li@example.gov.cn", True) == accounts.Principal("li", "李", "leader", None, "oidc")
    with pytest.raises(LoginFailed, match="用户名或密码错误"):  # says no more than for anyone else
        accounts.authenticate(store, "li", PASSWORD)
    with pytest.raises(LoginFailed, match="未开通或已停用"):
        accounts.login_oidc(store, "stranger@example.com", True)
    with pytest.raises(UserError, match="请设置密码"):
        accounts.add_user(store, "admin", "nopass", "无", "leader", None, None)


def test_demo_users_only_in_the_sample(store):
    with pytest.raises(UserError, match="示例账号只能加到示例数据库中"):
        accounts.add_demo_users(store)
    assert accounts.user_count(store.cursor()) == 0  # a real database starts with no users


def test_sample_has_one_demo_user_per_role(sample_db):
    from pipelines.core.store import open_store

    cur = open_store(sample_db).cursor()
    users = accounts.list_users(cur)
    assert sorted(users["role"].unique()) == sorted(accounts.ROLES)
    assert users.fillna({"street": "全区"})[["username", "role", "street"]].values.tolist() == sorted(
        ([u, r, s or "全区"] for u, _, r, s, _ in accounts.DEMO_USERS), key=lambda x: (x[1], x[0]))
    token = open_store(sample_db).meta(accounts.DEMO_TOKEN_META)
    assert accounts.token_principal(cur, token).role == "screen"


# -- CLI -----------------------------------------------------------------------------------------

def run_cli(db, *args, stdin: str = "", monkeypatch=None) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["--db", str(db), *args])


def test_cli_users_and_tokens(tmp_path, monkeypatch, capsys):
    db = tmp_path / "street.duckdb"
    assert main(["--db", str(db), "init"]) == 0
    assert main(["--db", str(db), "users", "list"]) == 0
    assert "还没有用户。创建第一个管理员" in capsys.readouterr().out
    assert run_cli(db, "users", "add", "admin", "--role", "admin", "--name", "管理员", "--password-stdin",
                   stdin=PASSWORD + "\n", monkeypatch=monkeypatch) == 0
    assert run_cli(db, "users", "add", "jsl", "--role", "leader", "--street", "江苏路街道", "--password-stdin",
                   stdin="too short\n", monkeypatch=monkeypatch) == 2
    assert run_cli(db, "users", "add", "jsl", "--role", "leader", "--street", "江苏路街道", "--password-stdin",
                   stdin="another fine password\n", monkeypatch=monkeypatch) == 0
    # interactive: getpass twice
    answers = iter(["typed password one", "typed password one"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["--db", str(db), "users", "reset-password", "jsl"]) == 0
    assert main(["--db", str(db), "users", "disable", "jsl"]) == 0
    assert main(["--db", str(db), "users", "list"]) == 0
    assert main(["--db", str(db), "tokens", "rotate", "城运中心大屏", "--base-url", "http://10.0.0.5:8501/"]) == 0
    assert main(["--db", str(db), "tokens", "list"]) == 0
    out, err = capsys.readouterr()
    for secret in (PASSWORD, "too short", "another fine password", "typed password one", "$argon2"):
        assert secret not in out + err
    assert "错误：密码太短：至少 10 个字符" in err
    assert "已新增用户 admin（管理员，全区）" in out and "已新增用户 jsl（领导，江苏路街道）" in out
    assert "已重置 jsl 的密码（账号已解锁）" in out and "已停用 jsl" in out
    listing = out.split("已停用 jsl")[1]
    assert "jsl" in listing and "已停用" in listing and "江苏路街道" in listing
    url = next(line for line in out.splitlines() if line.startswith("http://10.0.0.5:8501/?kiosk=1&token=fgs_"))
    token = url.split("token=")[1]
    store = Store(db)
    try:
        assert accounts.token_principal(store.cursor(), token).username == "token:城运中心大屏"
        assert accounts.authenticate(store, "admin", PASSWORD).role == "admin"
        with pytest.raises(LoginFailed, match="账号 jsl 已停用"):
            accounts.authenticate(store, "jsl", "typed password one")
        actions = [(a.split(":")[0], b) for a, b, *_ in audit_rows(store)]
    finally:
        store.close()
    assert actions == [("cli", "user.add"), ("cli", "user.add"), ("cli", "user.reset_password"),
                       ("cli", "user.disable"), ("cli", "token.rotate"), ("admin", "login.success"),
                       ("jsl", "login.failed")]


def test_cli_interactive_passwords_must_match(tmp_path, monkeypatch, capsys):
    db = tmp_path / "street.duckdb"
    answers = iter(["first long password", "second long password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["--db", str(db), "users", "add", "admin", "--role", "admin"]) == 2
    assert "两次输入的密码不一致" in capsys.readouterr().err


def test_default_hash_is_argon2id_rfc9106(monkeypatch):
    monkeypatch.delenv("FUGONG_ARGON2_TIME_COST", raising=False)
    monkeypatch.delenv("FUGONG_ARGON2_MEMORY_KIB", raising=False)
    hashed = accounts.hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert accounts._verify(hashed, PASSWORD) and not accounts._verify(hashed, PASSWORD + "x")


def test_a_hash_of_another_cost_is_upgraded_at_login(store, monkeypatch):
    accounts.add_user(store, "cli:root", "u1", "甲", "leader", None, PASSWORD)  # test cost
    monkeypatch.setenv("FUGONG_ARGON2_TIME_COST", "2")
    accounts.authenticate(store, "u1", PASSWORD)
    stored = store.cursor().execute("select password_hash from users").fetchall()[0][0]
    assert stored.startswith("$argon2id$v=19$m=8192,t=2,p=4$")
    assert accounts.authenticate(store, "u1", PASSWORD).username == "u1"
