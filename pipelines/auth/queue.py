"""Account requests from the CLI while the console runs: the console holds DuckDB's single-writer file lock,
so `python -m pipelines users unlock|reset-password|enable` cannot open the database then. Instead the CLI
drops a request file in <database folder>/requests/ and waits; the console's worker thread (started with
its store, ui/connection.py) carries it out through the same functions, audited as the CLI user, and
writes the answer next to it. A request left while no console runs is carried out when one starts.

Whoever can write that folder can write the database file itself (both are 0700/0600, owned by the
console's user): the queue grants nothing the file system did not. A password never travels: the CLI
sends its argon2 hash.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from pipelines.auth import accounts
from pipelines.core.errors import UserError
from pipelines.core.store import Store, private_dir

COMMANDS = ("unlock", "enable", "set-password-hash")


def queue_dir(db: Path) -> Path:
    return Path(db).resolve().parent / "requests"


def submit(db: Path, request: dict[str, Any], timeout: float = 30.0) -> str:
    """Queue one request for the running console and wait for its answer (a Chinese sentence)."""
    if request.get("command") not in COMMANDS:
        raise ValueError(f"unknown queued command {request.get('command')!r}")  # a bug, never user input
    folder = private_dir(queue_dir(db))
    name = uuid.uuid4().hex
    tmp = folder / f"{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(request, out, ensure_ascii=False)
    os.replace(tmp, folder / f"{name}.json")
    answer = folder / f"{name}.done"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answer.exists():
            result = json.loads(answer.read_text(encoding="utf-8"))
            answer.unlink(missing_ok=True)
            if not result.get("ok"):
                raise UserError(result.get("message", "控制台未能处理请求"))
            return str(result.get("message", "已完成"))
        time.sleep(0.2)
    raise UserError(f"控制台在 {timeout:.0f} 秒内没有处理请求",
                    f"请求已留在 {folder}，控制台运行时会处理；也可停止控制台后再运行命令")


def _carry_out(store: Store, request: dict[str, Any]) -> str:
    command, username, actor = request.get("command"), str(request.get("username", "")), str(request.get("actor"))
    if not actor.startswith("cli:"):
        raise UserError("请求缺少操作人")
    if command == "unlock":
        accounts.unlock(store, actor, username)
        return f"已解锁 {accounts.normalise_username(username)}"
    if command == "enable":
        accounts.set_disabled(store, actor, username, False)
        return f"已启用 {accounts.normalise_username(username)}"
    if command == "set-password-hash":
        accounts.set_password_hash(store, actor, username, str(request.get("password_hash", "")))
        return f"已重置 {accounts.normalise_username(username)} 的密码（账号已解锁）"
    raise UserError(f"不支持的请求：{command}")


def process(store: Store) -> int:
    """Carry out every queued request once; returns how many were handled."""
    folder = queue_dir(store.path)
    if not folder.is_dir():
        return 0
    handled = 0
    for path in sorted(folder.glob("*.json")):
        try:
            request = json.loads(path.read_text(encoding="utf-8"))
            result = {"ok": True, "message": _carry_out(store, request)}
        except UserError as exc:
            result = {"ok": False, "message": str(exc)}
        except (OSError, ValueError):
            result = {"ok": False, "message": "请求文件无法读取"}
        answer = path.with_suffix(".done")
        fd = os.open(answer.with_suffix(".done.tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(result, out, ensure_ascii=False)
        os.replace(answer.with_suffix(".done.tmp"), answer)
        path.unlink(missing_ok=True)
        handled += 1
    return handled


_WORKERS: dict[str, threading.Thread] = {}
_WORKERS_LOCK = threading.Lock()


def start_worker(store: Store, interval: float = 1.0) -> threading.Thread:
    """One daemon thread per store that carries out queued requests every `interval` seconds."""
    key = str(store.path.resolve())
    with _WORKERS_LOCK:
        worker = _WORKERS.get(key)
        if worker is not None and worker.is_alive():
            return worker

        def loop() -> None:
            while True:
                try:
                    process(store)
                except Exception:  # a worker never dies of one bad request; the next round tries again
                    pass
                time.sleep(interval)

        worker = threading.Thread(target=loop, name=f"account-requests:{store.path.name}", daemon=True)
        worker.start()
        _WORKERS[key] = worker
        return worker
