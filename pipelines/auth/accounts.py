"""Who may do what: roles, permissions, street scope, users with argon2id passwords, screen tokens.

The one table of rights is ROLE_PERMISSIONS. Pages declare the permission they need (ui/nav.py);
actions call require(user, permission) before they write. Every write here is an audit row, and no
password or token ever reaches the audit, a log or the screen (tokens are shown once, when made).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

import argon2
import duckdb
import pandas as pd

from pipelines.core import settings
from pipelines.core.errors import UserError
from pipelines.core.store import Store, read_sql

# -- roles and permissions ---------------------------------------------------------------------

ROLES: dict[str, str] = {"leader": "领导", "analyst": "分析员", "screen": "大屏", "admin": "管理员"}

VIEW = "view"  # the data pages: figures, maps, curves, grades, requests
KIOSK = "kiosk"  # the read-only big screen
UPLOAD = "upload"  # check and commit workbooks
ROLLBACK = "rollback"  # revert a batch
OVERRIDE = "grade.override"  # override a building's grade, with a reason
CONFIG_EDIT = "config.edit"  # propose a grading configuration (weights, thresholds)
CONFIG_APPROVE = "config.approve"  # approve a grading configuration
USERS = "users.manage"  # add, disable, reset users
TOKENS = "tokens.manage"  # make and revoke screen tokens
AUDIT = "audit.view"  # read and export the audit list
PERSONAL = "personal.view"  # contact names and phone numbers unmasked

PERMISSIONS: dict[str, str] = {
    VIEW: "查看态势",
    KIOSK: "大屏展示",
    UPLOAD: "上传数据",
    ROLLBACK: "撤销批次",
    OVERRIDE: "调整风险等级",
    CONFIG_EDIT: "编辑评分配置",
    CONFIG_APPROVE: "审批评分配置",
    USERS: "管理用户",
    TOKENS: "管理大屏令牌",
    AUDIT: "查看审计日志",
    PERSONAL: "查看个人信息",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "leader": frozenset({VIEW, KIOSK, OVERRIDE, CONFIG_APPROVE}),
    "analyst": frozenset({VIEW, KIOSK, UPLOAD, ROLLBACK, CONFIG_EDIT}),
    "screen": frozenset({KIOSK}),
    "admin": frozenset({VIEW, KIOSK, USERS, TOKENS, AUDIT, PERSONAL}),
}
assert all(p in PERMISSIONS for ps in ROLE_PERMISSIONS.values() for p in ps)
DISTRICT = "全区"  # how a null street (the whole district) is shown


class Forbidden(UserError):
    """The user may not do this."""


class LoginFailed(UserError):
    """A login that did not succeed: said in Chinese, with no hint whether the user exists."""


@dataclass(frozen=True)
class Principal:
    """The user of one session (or a screen token, or the CLI)."""

    username: str
    display_name: str
    role: str
    street: str | None  # None: the whole district
    via: str = "password"  # password | oidc | token | cli

    def can(self, permission: str) -> bool:
        return permission in ROLE_PERMISSIONS.get(self.role, frozenset())

    @property
    def actor(self) -> str:
        """The name written into audit rows and batches."""
        return self.username

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def scope_label(self) -> str:
        return self.street or DISTRICT


def roles_with(permission: str) -> list[str]:
    return [role for role, perms in ROLE_PERMISSIONS.items() if permission in perms]


def require(user: Principal | None, permission: str) -> Principal:
    """Raise Forbidden unless the user holds the permission; the one check every action goes through."""
    if user is None:
        raise Forbidden("请先登录", "登录后再进行此操作")
    if not user.can(permission):
        label = PERMISSIONS.get(permission, permission)
        who = "、".join(ROLES[r] for r in roles_with(permission)) or "任何角色"
        raise Forbidden(f"无权限：“{label}”需要{who}角色，您当前的角色是{user.role_label}",
                        "如确需此权限，请联系管理员")
    return user


def scoped_street(user: Principal | None, requested: str | None) -> str | None:
    """The street a query may look at: a street user always gets their own street, whatever was asked."""
    if user is None:
        raise Forbidden("请先登录")
    if user.street is None:
        return requested
    if requested not in (None, user.street):
        raise Forbidden(f"无权限：您只能查看{user.street}的数据")
    return user.street


# -- passwords ---------------------------------------------------------------------------------

@functools.cache
def _hasher_for(time_cost: int, memory_kib: int) -> argon2.PasswordHasher:
    return argon2.PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, type=argon2.Type.ID)


def _hasher() -> argon2.PasswordHasher:
    """argon2id; by default the RFC 9106 low-memory profile (t=3, m=64 MiB, p=4). The cost can be lowered
    through FUGONG_ARGON2_TIME_COST / FUGONG_ARGON2_MEMORY_KIB (the tests do, to stay fast); a login
    with a hash made at another cost is rehashed at the current one."""
    conf = settings.get()
    return _hasher_for(conf.argon2_time_cost, conf.argon2_memory_kib)


_DUMMY_HASHES: dict[int, str] = {}


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _verify(password_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    if password_hash is None:  # unknown user: spend the same time, so timing does not tell
        if id(hasher) not in _DUMMY_HASHES:
            _DUMMY_HASHES[id(hasher)] = hasher.hash(secrets.token_hex(16))
        password_hash = _DUMMY_HASHES[id(hasher)]
    try:
        return hasher.verify(password_hash, password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


def check_password_policy(password: str, username: str = "") -> None:
    minimum = settings.get().min_password_length
    if len(password) < minimum:
        raise UserError(f"密码太短：至少 {minimum} 个字符", "可用一句话或几个词组合成较长的密码")
    if username and password.lower() == username.lower():
        raise UserError("密码不能与用户名相同")
    if len(set(password)) < 4:
        raise UserError("密码太简单：请使用更多不同的字符")


# -- users -------------------------------------------------------------------------------------

_USERNAME = re.compile(r"[a-z0-9][a-z0-9_.@-]{1,63}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def _check_username(username: str) -> str:
    name = normalise_username(username)
    if not _USERNAME.fullmatch(name):
        raise UserError(f"用户名不合规：{username[:40]!r}",
                        "用户名为 2–64 个字符：字母、数字和 _ . @ -，以字母或数字开头")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"未知角色：{role}", "角色为 " + "、".join(f"{k}（{v}）" for k, v in ROLES.items()))
    return role


def _check_street(cur: duckdb.DuckDBPyConnection, street: str | None) -> str | None:
    street = (street or "").strip() or None
    if street is None or street == DISTRICT:
        return None
    known = [s for (s,) in cur.execute("select distinct street from buildings where street is not null "
                                       "order by street").fetchall()]
    if known and street not in known:
        raise UserError(f"未知街道：{street}", "已有街道：" + "、".join(known))
    return street


def _user_row(cur: duckdb.DuckDBPyConnection, username: str,
              now: dt.datetime | None = None) -> dict[str, Any] | None:
    result = cur.execute(
        "select username, display_name, role, street, email, password_hash, failed_attempts, "
        "locked_until is not null and locked_until > $now as locked, "
        "strftime(cast(locked_until as timestamp), '%H:%M') as locked_until_text, disabled "
        "from users where username = $username",
        {"username": username, "now": now or _now()},
    )
    names = [d[0] for d in result.description]
    rows = result.fetchall()
    return dict(zip(names, rows[0], strict=True)) if rows else None


def _public(row: dict[str, Any]) -> dict[str, Any]:
    """What an audit row may say about a user: never the hash, never a password."""
    return {k: row.get(k) for k in ("username", "display_name", "role", "street", "email", "disabled")}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def principal_of(row: dict[str, Any], via: str = "password") -> Principal:
    return Principal(row["username"], row["display_name"], row["role"], row["street"], via)


def load_user(cur: duckdb.DuckDBPyConnection, username: str, via: str = "password") -> Principal | None:
    """The user as they are now (role and street may have changed); None if unknown or disabled."""
    row = _user_row(cur, normalise_username(username))
    if row is None or row["disabled"]:
        return None
    return principal_of(row, via)


def user_count(cur: duckdb.DuckDBPyConnection) -> int:
    return int(cur.execute("select count(*) from users").fetchall()[0][0])


def list_users(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return cur.execute(read_sql("queries/users.sql"), {"now": _now()}).df()


def add_user(store: Store, actor: str, username: str, display_name: str, role: str,
             street: str | None = None, password: str | None = None, email: str | None = None) -> str:
    """Create a user. A password is required unless the user logs in through OIDC only (email given)."""
    name = _check_username(username)
    role = _check_role(role)
    display_name = (display_name or "").strip() or name
    email = (email or "").strip().lower() or None
    if email is not None and not _EMAIL.fullmatch(email):
        raise UserError(f"邮箱格式不对：{email[:60]}")
    if password is None and email is None:
        raise UserError("请设置密码", "只用统一身份认证（OIDC）登录的用户可不设密码，但须填写邮箱")
    if password is not None:
        check_password_policy(password, name)
    password_hash = hash_password(password) if password is not None else None
    with store.transaction() as cur:
        if _user_row(cur, name) is not None:
            raise UserError(f"用户 {name} 已存在", "如需恢复请“启用”，如需改密码请“重置密码”")
        street = _check_street(cur, street)
        cur.execute(
            "insert into users (username, display_name, role, street, email, password_hash, created_by) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            [name, display_name, role, street, email, password_hash, actor],
        )
        store.audit(cur, actor, "user.add", name, None,
                    {"username": name, "display_name": display_name, "role": role, "street": street,
                     "email": email, "password": "已设置" if password_hash else "无（仅统一身份认证）"})
    return name


def _change_user(store: Store, actor: str, username: str, action: str, sql: str,
                 params: dict[str, Any], after: dict[str, Any]) -> None:
    name = normalise_username(username)
    with store.transaction() as cur:
        row = _user_row(cur, name)
        if row is None:
            raise UserError(f"用户 {name} 不存在", "用 python -m pipelines users list 查看用户")
        if action == "user.disable" and actor == name:
            raise UserError("不能停用自己的账号", "请由另一位管理员操作")
        cur.execute(f"update users set {sql}, updated_at = current_timestamp where username = $username",
                    {**params, "username": name})
        if action == "user.disable":
            # Their login sessions (pipelines/auth/sessions.py) end in the same transaction, at once.
            cur.execute("update web_sessions set revoked_at = current_timestamp, revoked_by = $actor, "
                        "revoke_reason = 'disabled' where username = $username and revoked_at is null",
                        {"actor": actor, "username": name})
        before = {k: row.get(k) for k in after if k != "password"}
        store.audit(cur, actor, action, name, before, after)


def set_disabled(store: Store, actor: str, username: str, disabled: bool) -> None:
    """Disable (or enable again) a user; a disabled user's sessions end at once (enabling brings none back)."""
    _change_user(store, actor, username, "user.disable" if disabled else "user.enable",
                 "disabled = $disabled", {"disabled": disabled}, {"disabled": disabled})


def update_user(store: Store, actor: str, username: str, *, role: str | None = None,
                street: str | None = None, display_name: str | None = None, district: bool = False) -> None:
    """Change role, scope (street, or the district with district=True) or display name."""
    name = normalise_username(username)
    sets, params, after = [], {}, {}
    if role is not None:
        sets.append("role = $role")
        params["role"] = after["role"] = _check_role(role)
    if display_name is not None and display_name.strip():
        sets.append("display_name = $display_name")
        params["display_name"] = after["display_name"] = display_name.strip()
    if street is not None or district:
        cur = store.cursor()
        try:
            checked = None if district else _check_street(cur, street)
        finally:
            cur.close()
        sets.append("street = $street")
        params["street"] = after["street"] = checked
    if not sets:
        return
    _change_user(store, actor, name, "user.update", ", ".join(sets), params, after)


def reset_password(store: Store, actor: str, username: str, password: str) -> None:
    """Set a new password; it also unlocks the account."""
    name = normalise_username(username)
    check_password_policy(password, name)
    _change_user(store, actor, name, "user.reset_password",
                 "password_hash = $hash, failed_attempts = 0, locked_until = null",
                 {"hash": hash_password(password)}, {"password": "已重置", "locked": False})


def unlock(store: Store, actor: str, username: str) -> None:
    _change_user(store, actor, username, "user.unlock", "failed_attempts = 0, locked_until = null", {},
                 {"locked": False})


def authenticate(store: Store, username: str, password: str, now: dt.datetime | None = None) -> Principal:
    """Check a password. Failures are counted and audited; the account locks after max_failures in a row."""
    conf = settings.get()
    now = now or _now()
    name = normalise_username(username)[:64]
    cur = store.cursor()
    try:
        row = _user_row(cur, name, now) if name else None
    finally:
        cur.close()
    generic_hint = f"连续输错 {conf.max_failures} 次，账号将锁定 {conf.lock_minutes} 分钟"
    if row is not None and row["locked"]:
        _record_failure(store, name, "locked", count=False, now=now)
        raise LoginFailed(f"账号 {name} 已锁定至 {row['locked_until_text']}（连续 {conf.max_failures} 次密码错误）",
                          "到时间后可再试，或请管理员重置密码解锁")
    ok = _verify(row["password_hash"] if row else None, password)
    if row is None or not ok:
        if row is not None and row["password_hash"] is None:
            _record_failure(store, name, "oidc_only", count=False, now=now)
            raise LoginFailed("这个账号只能用统一身份认证登录", "请点“使用统一身份认证登录”")
        locked_now = _record_failure(store, name, "unknown_user" if row is None else "wrong_password",
                                     count=row is not None, now=now)
        if locked_now:
            raise LoginFailed(f"连续 {conf.max_failures} 次密码错误，账号已锁定 {conf.lock_minutes} 分钟",
                              "到时间后可再试，或请管理员重置密码解锁")
        raise LoginFailed("用户名或密码错误", generic_hint)
    if row["disabled"]:
        _record_failure(store, name, "disabled", count=False, now=now)
        raise LoginFailed(f"账号 {name} 已停用", "请联系管理员")
    with store.transaction() as cur:
        cur.execute("update users set failed_attempts = 0, locked_until = null, last_login_at = ? "
                    "where username = ?", [now, name])
        if _hasher().check_needs_rehash(row["password_hash"]):
            cur.execute("update users set password_hash = ? where username = ?", [hash_password(password), name])
        store.audit(cur, name, "login.success", name, None, {"via": "password"})
    return principal_of(row, "password")


def _record_failure(store: Store, name: str, reason: str, count: bool, now: dt.datetime) -> bool:
    """Audit a failed login; count it against the account when it exists. True if it just locked."""
    conf = settings.get()
    with store.transaction() as cur:
        after: dict[str, Any] = {"reason": reason}
        locked_now = False
        if count:
            # A lock that has run out starts the count again.
            attempts = cur.execute(
                "update users set failed_attempts = case when locked_until is not null and locked_until <= $now "
                "then 1 else failed_attempts + 1 end, locked_until = case when locked_until <= $now then null "
                "else locked_until end where username = $name",
                {"now": now, "name": name},
            )
            attempts = cur.execute("select failed_attempts from users where username = ?", [name]).fetchall()[0][0]
            after["failed_attempts"] = attempts
            if attempts >= conf.max_failures:
                until = now + dt.timedelta(minutes=conf.lock_minutes)
                cur.execute("update users set locked_until = ?, failed_attempts = 0 where username = ?",
                            [until, name])
                locked_now = True
        store.audit(cur, name or "（空）", "login.failed", name or None, None, after)
        if locked_now:
            store.audit(cur, "系统", "user.lock", name, {"locked": False},
                        {"locked": True, "minutes": conf.lock_minutes})
    return locked_now


def login_oidc(store: Store, email: str) -> Principal:
    """The user an identity provider vouched for, matched by email; audited like a password login."""
    email = (email or "").strip().lower()
    cur = store.cursor()
    try:
        rows = cur.execute("select username from users where email = ? and email is not null", [email]).fetchall()
        row = _user_row(cur, rows[0][0]) if rows else None
    finally:
        cur.close()
    if row is None or row["disabled"]:
        with store.transaction() as cur:
            store.audit(cur, email or "（空）", "login.failed", email or None, None,
                        {"via": "oidc", "reason": "disabled" if row else "unknown_user"})
        raise LoginFailed(f"统一身份认证账号 {email} 未开通或已停用", "请联系管理员在“用户与审计”页为此邮箱开通账号")
    with store.transaction() as cur:
        cur.execute("update users set last_login_at = current_timestamp where username = ?", [row["username"]])
        store.audit(cur, row["username"], "login.success", row["username"], None, {"via": "oidc"})
    return principal_of(row, "oidc")


# -- screen tokens -----------------------------------------------------------------------------

TOKEN_PREFIX = "fgs_"


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits: a fast hash is enough (no guessing to slow down), and it keeps
    # the kiosk's per-refresh check cheap.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def rotate_token(store: Store, actor: str, name: str, street: str | None = None) -> str:
    """Make a new token for this screen name, revoking the one it had. Returns the token: show it once."""
    name = (name or "").strip()
    if not name or len(name) > 40:
        raise UserError("请填写大屏名称（1–40 个字）", "如：城运中心大屏")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction() as cur:
        street = _check_street(cur, street)
        old = cur.execute("select token_id, street from screen_tokens where name = ? and revoked_at is null",
                          [name]).fetchall()
        cur.execute("update screen_tokens set revoked_at = current_timestamp, revoked_by = ? "
                    "where name = ? and revoked_at is null", [actor, name])
        token_id = store.next_id(cur, "screen_token_id_seq", "screen_tokens", "token_id")
        cur.execute("insert into screen_tokens (token_id, name, token_hash, street, created_by) values (?, ?, ?, ?, ?)",
                    [token_id, name, _token_hash(token), street, actor])
        store.audit(cur, actor, "token.rotate", name,
                    {"token_ids": [r[0] for r in old], "street": old[0][1]} if old else None,
                    {"token_id": token_id, "street": street})
    return token


def revoke_token(store: Store, actor: str, name: str) -> None:
    with store.transaction() as cur:
        old = cur.execute("select token_id from screen_tokens where name = ? and revoked_at is null",
                          [name]).fetchall()
        if not old:
            raise UserError(f"大屏 {name} 没有有效令牌")
        cur.execute("update screen_tokens set revoked_at = current_timestamp, revoked_by = ? "
                    "where name = ? and revoked_at is null", [actor, name])
        store.audit(cur, actor, "token.revoke", name, {"token_ids": [r[0] for r in old]}, {"revoked": True})


def token_principal(cur: duckdb.DuckDBPyConnection, token: str) -> Principal | None:
    """The screen a live token belongs to, or None. Checked on every run, so a revoked token stops at once."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    rows = cur.execute("select name, street from screen_tokens where token_hash = ? and revoked_at is null",
                       [_token_hash(token)]).fetchall()
    if not rows:
        return None
    name, street = rows[0]
    return Principal(f"token:{name}", f"大屏（{name}）", "screen", street, "token")


def audit_token_login(store: Store, principal: Principal | None) -> None:
    """One audit row per kiosk session: a success names the screen, a failure says only that it failed."""
    with store.transaction() as cur:
        if principal is None:
            store.audit(cur, "（大屏令牌）", "login.failed", "token", None, {"via": "token", "reason": "bad_token"})
        else:
            store.audit(cur, principal.actor, "login.success", principal.username, None,
                        {"via": "token", "street": principal.street})


def list_tokens(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return cur.execute(read_sql("queries/screen_tokens.sql")).df()


# -- sample ------------------------------------------------------------------------------------

# Demo accounts, only ever created in the sample database (pipelines.sample.build_database) and only
# shown on the login page when Store.is_sample(). A real database starts with no users at all.
DEMO_USERS: tuple[tuple[str, str, str, str | None, str], ...] = (
    ("leader", "王领导（示例）", "leader", None, "demo-leader"),
    ("jsl-leader", "李楼长（示例）", "leader", "江苏路街道", "demo-jsl-leader"),
    ("analyst", "张分析员（示例）", "analyst", None, "demo-analyst"),
    ("screen", "城运中心大屏（示例）", "screen", None, "demo-screen"),
    ("admin", "赵管理员（示例）", "admin", None, "demo-admin"),
)
DEMO_TOKEN_META = "demo_screen_token"


def add_demo_users(store: Store) -> None:
    """Demo users and a demo screen token for the sample database; refuses any other database."""
    if not store.is_sample():
        raise UserError("示例账号只能加到示例数据库中")
    for username, display, role, street, password in DEMO_USERS:
        add_user(store, "示例数据", username, display, role, street, password)
    token = rotate_token(store, "示例数据", "示例大屏")
    store.set_meta(DEMO_TOKEN_META, token)  # sample only: lets the login page offer the kiosk link
