"""The console's own HTTP routes next to Streamlit's: the login form, logout, /healthz; and the gate.

A login is a plain HTML form POSTed to /login: the password is checked by pipelines.auth (the same
function, audit and lockout/throttling as everywhere), a web session is started in the store and its
random id set as an HttpOnly, SameSite=Lax cookie (Secure over https). The Streamlit script reads that
cookie through st.context.cookies (ui/session.py) on every run, so reload, a new tab, a bookmark and
Ctrl-click all stay logged in, and a session ended anywhere (logout, an admin, a disabled user, idle)
ends in every tab at its next click.

The gate sends a browser asking for a page without a live session to /login?next=<that page>, before
Streamlit's frontend loads; a big-screen link (?token=) and the OIDC login (?oidc=1, or Streamlit's own
login cookie) pass to the script, which checks them as before. /_stcore/metrics needs a live session.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import os
import secrets
import threading
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from pipelines.auth import accounts as auth
from pipelines.auth import sessions as web_sessions
from pipelines.core import settings
from pipelines.core.errors import UserError
from pipelines.core.store import Store, default_db_path, open_store
from pipelines.situation import metrics

from .security import is_https

CSRF_COOKIE = "fugong_login_csrf"
OIDC_COOKIE = "_streamlit_user"  # Streamlit's own st.login cookie: the script checks st.user
# Paths the gate never redirects: Streamlit's machinery, our routes, the API (its own bearer check).
OPEN_PREFIXES = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/", "/api/", "/auth/",
                 "/oauth2callback", "/login", "/logout", "/healthz", "/favicon.png", "/manifest.json")


def store() -> Store:
    """The process's store: the same object the Streamlit script uses (pipelines.store.open_store)."""
    return open_store(default_db_path())


def cookie_session(request: Request, touch: bool = True) -> web_sessions.WebSession | None:
    return web_sessions.session_user(store(), request.cookies.get(web_sessions.SESSION_COOKIE), touch=touch)


def safe_next(value: str | None) -> str:
    """Only a path of this console: never another host (an open redirect), never our own routes."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith(("/login", "/logout")):
        return "/"
    return value


def _client(request: Request) -> tuple[str | None, str | None]:
    return (request.client.host if request.client else None), request.headers.get("user-agent")


# -- the login page ----------------------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 · 复工态势台</title><link rel="icon" href="/favicon.png">
<style>
body {{ font-family: "Source Sans", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; background: #f5f7fa;
  color: #1f2933; margin: 0; }}
main {{ max-width: 380px; margin: 8vh auto; background: #fff; padding: 32px 36px; border-radius: 10px;
  box-shadow: 0 2px 12px rgba(0,0,0,.08); }}
h1 {{ font-size: 26px; margin: 0 0 4px; }} p.sub {{ color: #52606d; margin: 0 0 20px; }}
label {{ display: block; margin: 14px 0 4px; font-size: 14px; }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box; padding: 9px 10px; font-size: 16px;
  border: 1px solid #cbd2d9; border-radius: 6px; }}
button {{ margin-top: 20px; width: 100%; padding: 10px; font-size: 16px; color: #fff; background: #1f5fa8;
  border: 0; border-radius: 6px; cursor: pointer; }}
.error {{ background: #fde8e8; color: #9b1c1c; padding: 10px 12px; border-radius: 6px; margin-bottom: 8px; }}
.note {{ background: #e8f1fb; color: #1f4f82; padding: 10px 12px; border-radius: 6px; margin-bottom: 8px; }}
.hint {{ color: #616e7c; font-size: 13px; margin-top: 16px; }} .badge {{ background: #fdf0d5; color: #8a5a00;
  padding: 1px 6px; border-radius: 4px; font-size: 13px; }}
table {{ border-collapse: collapse; font-size: 13px; margin-top: 6px; }} td, th {{ padding: 2px 8px 2px 0;
  text-align: left; }}
</style></head>
<body><main>
<h1>复工态势台</h1><p class="sub">{badge}请登录</p>
{message}
<form method="post" action="/login" autocomplete="on">
<input type="hidden" name="next" value="{next}"><input type="hidden" name="csrf" value="{csrf}">
<label for="username">用户名</label>
<input id="username" name="username" type="text" autocomplete="username" required autofocus value="{username}">
<label for="password">密码</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">登录</button>
</form>
{oidc}
<p class="hint">{policy}</p>
{demo}
</main></body></html>
"""


def _demo_table(st: Store) -> str:
    if not st.is_sample():
        return ""
    rows = "".join(f"<tr><td>{html.escape(u)}</td><td>{html.escape(p)}</td><td>{html.escape(auth.ROLES[r])}</td>"
                   f"<td>{html.escape(s or auth.DISTRICT)}</td></tr>" for u, _, r, s, p in auth.DEMO_USERS)
    return (f'<p class="hint">示例账号（仅示例数据库提供）：</p><table><tr><th>用户名</th><th>密码</th><th>角色</th>'
            f"<th>范围</th></tr>{rows}</table>")


def oidc_configured() -> bool:
    try:
        import streamlit as st

        return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)
    except Exception:  # no secrets file, or one that does not parse: built-in login only
        return False


def login_page(next_path: str, csrf: str, error: UserError | None = None, notice: str = "",
               username: str = "") -> str:
    st = store()
    conf = settings.get()
    message = ""
    if error is not None:
        message = f'<div class="error">{html.escape(error.message)}' + (
            f"<br><small>{html.escape(error.hint)}</small>" if getattr(error, "hint", "") else "") + "</div>"
    elif notice:
        message = f'<div class="note">{html.escape(notice)}</div>'
    with_users = auth.user_count(st.cursor()) > 0
    if not with_users and st.is_sample():
        auth.add_demo_users(st)
        with_users = True
    if not with_users:
        message += ('<div class="note">这个数据库还没有任何用户：请先停止控制台，用命令行创建第一个管理员：'
                    "<br><code>.venv/bin/python -m pipelines --db 数据库 users add admin --role admin</code></div>")
    oidc = ('<p class="hint"><a href="/?oidc=1">使用统一身份认证登录</a></p>' if oidc_configured() else "")
    return _PAGE.format(
        badge='<span class="badge">示例数据</span>　' if st.is_sample() else "",
        message=message, next=html.escape(next_path, quote=True), csrf=html.escape(csrf, quote=True),
        username=html.escape(username, quote=True), oidc=oidc,
        policy=html.escape(f"{conf.idle_minutes} 分钟未操作自动退出；连续输错密码将暂时无法登录。"),
        demo=_demo_table(st))


def _cookie_flags(request: Request) -> dict[str, Any]:
    return {"httponly": True, "samesite": "lax", "secure": is_https(request.scope), "path": "/"}


def _page_response(request: Request, status: int = 200, **kwargs: Any) -> Response:
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = HTMLResponse(login_page(csrf=csrf, **kwargs), status_code=status,
                            headers={"cache-control": "no-store"})
    response.set_cookie(CSRF_COOKIE, csrf, max_age=3600, **_cookie_flags(request))
    return response


async def login_get(request: Request) -> Response:
    next_path = safe_next(request.query_params.get("next"))
    session_key = request.cookies.get(web_sessions.SESSION_COOKIE)
    if session_key:
        live = await run_in_threadpool(cookie_session, request, False)
        if live is not None:  # already logged in: straight on
            return RedirectResponse(next_path, status_code=303)
    notice = {"expired": "登录已失效（超时、已在别处退出或被管理员结束），请重新登录。",
              "logout": "已退出登录。"}.get(request.query_params.get("why", ""), "")
    response = await run_in_threadpool(lambda: _page_response(request, next_path=next_path, notice=notice))
    if session_key:
        response.delete_cookie(web_sessions.SESSION_COOKIE, path="/")
    return response


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host")


async def login_post(request: Request) -> Response:
    body = (await request.body())[:8192].decode("utf-8", errors="replace")
    form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    next_path = safe_next(form.get("next"))
    username = form.get("username", "")[:64]
    csrf = request.cookies.get(CSRF_COOKIE)
    if not _same_origin(request) or not csrf or not secrets.compare_digest(csrf, form.get("csrf", "")):
        return await run_in_threadpool(lambda: _page_response(
            request, status=400, next_path=next_path, username=username,
            error=UserError("登录页面已过期，请重新输入用户名和密码")))
    address, agent = _client(request)

    def attempt() -> tuple[str, web_sessions.WebSession]:
        principal = auth.authenticate(store(), username, form.get("password", ""))
        return web_sessions.start_session(store(), principal, address, agent)

    try:
        session_key, session = await run_in_threadpool(attempt)
    except UserError as exc:
        return await run_in_threadpool(functools.partial(_page_response, request, status=401, next_path=next_path,
                                                         username=username, error=exc))
    response = RedirectResponse(next_path, status_code=303, headers={"cache-control": "no-store"})
    max_age = max(60, int((session.expires_at - dt.datetime.now(dt.UTC)).total_seconds()))
    response.set_cookie(web_sessions.SESSION_COOKIE, session_key, max_age=max_age, **_cookie_flags(request))
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


async def logout(request: Request) -> Response:
    """Ends this browser's session everywhere (every tab, at its next click) and clears the cookie."""
    session_key = request.cookies.get(web_sessions.SESSION_COOKIE)
    await run_in_threadpool(web_sessions.end_session, store(), session_key)
    response = RedirectResponse("/login?why=logout", status_code=303, headers={"cache-control": "no-store"})
    response.delete_cookie(web_sessions.SESSION_COOKIE, path="/")
    return response


# -- /healthz ------------------------------------------------------------------------------------------

class _Health:
    """What /healthz reports, recomputed only when the data version (the audit's max id) moves."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: tuple[str, int] | None = None
        self.body: dict[str, Any] = {}

    def check(self) -> tuple[int, dict[str, Any]]:
        try:
            st = store()
            cur = st.cursor()
            try:
                version = (str(st.path), st.data_version(cur))
                with self.lock:
                    if version != self.version:
                        day = metrics.latest_day(cur)
                        last = st.last_batch_change(cur)
                        self.body = {"as_of_day": day.isoformat() if day else None,
                                     "last_batch_at": last.isoformat(timespec="seconds") if last else None}
                        self.version = version
                    body = dict(self.body)
            finally:
                cur.close()
        except Exception as exc:  # the store does not answer: say so, without details a stranger could use
            return 503, {"status": "unavailable", "as_of_day": None, "last_batch_at": None,
                         "store": type(exc).__name__}
        return 200, {"status": "ok", **body, "store": "ok"}


HEALTH = _Health()


def healthz(request: Request) -> Response:  # sync: Starlette runs it in its thread pool
    status, body = HEALTH.check()
    return JSONResponse(body, status_code=status, headers={"cache-control": "no-store"})


# -- the gate ------------------------------------------------------------------------------------------

class GateMiddleware:
    """Page requests without a live session go to the login form; /_stcore/metrics needs a login."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        request = Request(scope)
        if path == "/_stcore/metrics":
            if await run_in_threadpool(cookie_session, request, False) is None:
                await JSONResponse({"error": "请先登录"}, status_code=401)(scope, receive, send)
                return
        elif self._is_page(scope, path, request) and await run_in_threadpool(self._no_session, request):
            target = path + (f"?{scope['query_string'].decode('latin-1')}" if scope.get("query_string") else "")
            why = "&why=expired" if request.cookies.get(web_sessions.SESSION_COOKIE) else ""
            response = RedirectResponse(f"/login?next={quote(target, safe='')}{why}", status_code=303)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _no_session(request: Request) -> bool:
        try:
            return cookie_session(request) is None
        except Exception:  # the store does not answer: the script shows why (ui/feedback.show_error)
            return False

    @staticmethod
    def _is_page(scope: Scope, path: str, request: Request) -> bool:
        if scope.get("method") not in ("GET", "HEAD") or path.startswith(OPEN_PREFIXES):
            return False
        if "text/html" not in request.headers.get("accept", ""):
            return False
        query = request.query_params
        return not (query.get("token") or query.get("oidc") or request.cookies.get(OIDC_COOKIE))


def routes() -> list[Route]:
    return [Route("/login", login_get, methods=["GET"]), Route("/login", login_post, methods=["POST"]),
            Route("/logout", logout, methods=["GET", "POST"]), Route("/healthz", healthz, methods=["GET", "HEAD"])]


def served() -> bool:
    """True in the process st.App serves (the script then sends logins to /login)."""
    return os.environ.get("FUGONG_WEB_LOGIN") == "1"
