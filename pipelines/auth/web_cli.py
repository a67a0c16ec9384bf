"""CLI for the web application's credentials: python -m pipelines api-tokens ... / sessions ...

A new API token is printed once (only its hash is stored). Like the other admin commands, these write the
database file, so they run while the console is stopped.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines.auth import accounts, sessions
from pipelines.auth.cli import _cli_actor
from pipelines.core.store import Store


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p_api = sub.add_parser("api-tokens", help="数据接口令牌：生成、列出、吊销")
    api = p_api.add_subparsers(dest="api_command", required=True)
    p_make = api.add_parser("create", help="生成一个 API 令牌（只显示这一次）")
    p_make.add_argument("name", help="令牌名称，如 一网统管平台")
    p_make.add_argument("--street", default=None, help="只能读取这个街道；不填为全区")
    p_make.add_argument("--days", type=int, default=None, help="有效天数（默认 90）")
    api.add_parser("list", help="列出 API 令牌")
    api.add_parser("revoke", help="吊销一个 API 令牌").add_argument("token_id", type=int)

    p_sessions = sub.add_parser("sessions", help="登录会话：列出、结束")
    sessions = p_sessions.add_subparsers(dest="sessions_command", required=True)
    sessions.add_parser("list", help="列出当前有效的登录会话")
    sessions.add_parser("end", help="结束一个用户的全部会话").add_argument("username")


def _api_tokens(args, db: Path) -> int:
    if args.api_command == "list":
        frame = sessions.list_api_tokens(Store(db, read_only=True).cursor())
        if frame.empty:
            print("还没有 API 令牌。生成：python -m pipelines api-tokens create 一网统管平台")
            return 0
        print(frame.assign(street=frame["street"].fillna(accounts.DISTRICT),
                           live=frame["live"].map({True: "有效", False: "已失效"})).to_string(index=False))
        return 0
    store = Store(db)
    if args.api_command == "create":
        token = sessions.make_api_token(store, _cli_actor(), args.name, args.street, args.days)
        print(f"“{args.name.strip()}”的 API 令牌（只显示这一次）：")
        print(token)
        print("用法：curl -H 'Authorization: Bearer <令牌>' http://127.0.0.1:8501/api/v1/headline")
    elif args.api_command == "revoke":
        sessions.revoke_api_token(store, _cli_actor(), args.token_id)
        print(f"已吊销 API 令牌 {args.token_id}")
    return 0


def _sessions(args, db: Path) -> int:
    if args.sessions_command == "list":
        frame = sessions.list_sessions(Store(db, read_only=True).cursor())
        print(frame.to_string(index=False) if not frame.empty else "没有有效的登录会话。")
        return 0
    ended = sessions.end_user_sessions(Store(db), _cli_actor(), args.username, "admin")
    print(f"已结束 {accounts.normalise_username(args.username)} 的 {ended} 个会话")
    return 0


COMMANDS = {"api-tokens": _api_tokens, "sessions": _sessions}
