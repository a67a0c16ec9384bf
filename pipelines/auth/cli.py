"""CLI for users and screen tokens: python -m pipelines users ... / tokens ...

Whoever can write the database file can run these (that is how the first admin is made). Passwords are
read with getpass or from stdin (--password-stdin) and never printed; a new screen token is printed once.
The CLI acts as `cli:<os user>` with the whole district's rights: its scope is the file system's (who may
write the database file), not a role. While the console runs, unlock / reset-password / enable are handed
to it through pipelines/auth/queue.py; other writes wait until it stops.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from pipelines.auth import accounts, queue
from pipelines.core.errors import StoreLocked, UserError
from pipelines.core.store import Store


def _cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p_users = sub.add_parser("users", help="用户：新增、列出、停用、重置密码")
    users = p_users.add_subparsers(dest="users_command", required=True)
    p_add = users.add_parser("add", help="新增用户（第一个管理员也用它创建）")
    p_add.add_argument("username")
    p_add.add_argument("--role", required=True, choices=list(accounts.ROLES),
                       help="leader 领导 / analyst 分析员 / screen 大屏 / admin 管理员")
    p_add.add_argument("--name", default="", help="姓名（显示用）")
    p_add.add_argument("--street", default=None, help="所属街道；不填为全区")
    p_add.add_argument("--email", default=None, help="统一身份认证（OIDC）登录时用的邮箱")
    p_add.add_argument("--no-password", action="store_true", help="只用统一身份认证登录（须有 --email）")
    p_add.add_argument("--password-stdin", action="store_true", help="从标准输入读一行作为密码")
    users.add_parser("list", help="列出用户")
    for name, text in (("disable", "停用用户"), ("enable", "启用用户"), ("unlock", "解锁账号")):
        users.add_parser(name, help=text).add_argument("username")
    p_reset = users.add_parser("reset-password", help="重置密码（同时解锁）")
    p_reset.add_argument("username")
    p_reset.add_argument("--password-stdin", action="store_true", help="从标准输入读一行作为密码")

    p_tokens = sub.add_parser("tokens", help="大屏令牌：生成/轮换、列出、吊销")
    tokens = p_tokens.add_subparsers(dest="tokens_command", required=True)
    p_rotate = tokens.add_parser("rotate", help="为一块大屏生成新链接（旧链接同时失效）")
    p_rotate.add_argument("name", help="大屏名称，如 城运中心大屏")
    p_rotate.add_argument("--street", default=None, help="只显示这个街道；不填为全区")
    p_rotate.add_argument("--base-url", default="http://localhost:8501", help="控制台地址")
    tokens.add_parser("list", help="列出大屏令牌")
    tokens.add_parser("revoke", help="吊销一块大屏的链接").add_argument("name")


def _read_password(from_stdin: bool, username: str) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"{username} 的密码：")
    accounts.check_password_policy(first, username)
    if getpass.getpass("再输入一次：") != first:
        raise UserError("两次输入的密码不一致")
    return first


def _users(args, db: Path) -> int:
    command = args.users_command
    if command == "list":
        frame = accounts.list_users(Store(db, read_only=True).cursor())
        if frame.empty:
            print("还没有用户。创建第一个管理员：python -m pipelines users add admin --role admin")
            return 0
        shown = frame.assign(street=frame["street"].fillna(accounts.DISTRICT), role=frame["role"].map(accounts.ROLES),
                             status=["已停用" if d else "已锁定" if lk else "正常"
                                     for d, lk in zip(frame["disabled"], frame["locked"], strict=True)])
        print(shown[["username", "display_name", "role", "street", "email", "status", "last_login_at"]]
              .to_string(index=False))
        return 0
    actor = _cli_actor()
    try:
        store = Store(db)
    except StoreLocked:
        if command not in QUEUED:
            raise
        return _queued(args, db, actor)
    if command == "add":
        password = None if args.no_password else _read_password(args.password_stdin, args.username)
        name = accounts.add_user(store, actor, args.username, args.name, args.role, args.street, password, args.email)
        print(f"已新增用户 {name}（{accounts.ROLES[args.role]}，{args.street or accounts.DISTRICT}）")
    elif command == "reset-password":
        accounts.reset_password(store, actor, args.username, _read_password(args.password_stdin, args.username))
        print(f"已重置 {accounts.normalise_username(args.username)} 的密码（账号已解锁）")
    elif command in ("disable", "enable"):
        accounts.set_disabled(store, actor, args.username, command == "disable")
        print(f"已{'停用' if command == 'disable' else '启用'} {accounts.normalise_username(args.username)}")
    elif command == "unlock":
        accounts.unlock(store, actor, args.username)
        print(f"已解锁 {accounts.normalise_username(args.username)}")
    return 0


# What an administrator must be able to do while the console runs (it holds the file): the console carries
# these out for the CLI (pipelines/auth/queue.py). Everything else waits until the console stops.
QUEUED = ("unlock", "reset-password", "enable")


def _queued(args, db: Path, actor: str) -> int:
    request = {"command": args.users_command, "username": args.username, "actor": actor}
    if args.users_command == "reset-password":
        password = _read_password(args.password_stdin, args.username)
        accounts.check_password_policy(password, args.username)
        request = {**request, "command": "set-password-hash", "password_hash": accounts.hash_password(password)}
    print("控制台正在运行（占用数据库），已把请求交给控制台处理……", file=sys.stderr)
    print(queue.submit(db, request))
    return 0


def _tokens(args, db: Path) -> int:
    command = args.tokens_command
    if command == "list":
        frame = accounts.list_tokens(Store(db, read_only=True).cursor())
        if frame.empty:
            print("还没有大屏令牌。生成：python -m pipelines tokens rotate 城运中心大屏")
            return 0
        print(frame.assign(street=frame["street"].fillna(accounts.DISTRICT),
                           live=frame["live"].map({True: "有效", False: "已吊销"})).to_string(index=False))
        return 0
    store = Store(db)
    if command == "rotate":
        token = accounts.rotate_token(store, _cli_actor(), args.name, args.street)
        print(f"“{args.name.strip()}”的新链接（只显示这一次，旧链接已失效）：")
        print(f"{args.base_url.rstrip('/')}/?kiosk=1&token={token}")
    elif command == "revoke":
        accounts.revoke_token(store, _cli_actor(), args.name)
        print(f"已吊销“{args.name}”的链接")
    return 0


COMMANDS = {"users": _users, "tokens": _tokens}
