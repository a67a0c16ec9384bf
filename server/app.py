"""Build the st.App: Streamlit's own routes and the console's, behind the console's middleware."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from pipelines.auth import queue
from pipelines.core.errors import UserError

from . import api, web
from .security import SecurityHeadersMiddleware

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "streamlit_app.py"


@asynccontextmanager
async def _lifespan(_app: st.App) -> AsyncIterator[None]:
    """At start, before anyone has opened a page: the store opens and its worker carries out the CLI's
    account requests (`users unlock` while the console holds the file), so an admin locked out of a console
    nobody has used since its restart still gets in."""
    try:
        queue.start_worker(web.store())
    except UserError as exc:  # the store cannot be opened yet: /healthz and the pages say why
        print(f"数据库暂时打不开：{exc.message}", flush=True)
    yield


def build_app() -> st.App:
    """The console as one ASGI application. Middleware order: headers outermost (every response gets
    them, the gate's redirects and 401s too), then the gate, then Streamlit's own stack."""
    os.environ["FUGONG_WEB_LOGIN"] = "1"  # the script (same process) sends logins to /login
    return st.App(
        SCRIPT,
        routes=[*web.routes(), *api.routes()],
        middleware=[Middleware(SecurityHeadersMiddleware), Middleware(web.GateMiddleware)],
        lifespan=_lifespan,
    )
