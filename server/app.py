"""Build the st.App: Streamlit's own routes and the console's, behind the console's middleware."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from . import api, web
from .security import SecurityHeadersMiddleware

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "streamlit_app.py"


def build_app() -> st.App:
    """The console as one ASGI application. Middleware order: headers outermost (every response gets
    them, the gate's redirects and 401s too), then the gate, then Streamlit's own stack."""
    os.environ["FUGONG_WEB_LOGIN"] = "1"  # the script (same process) sends logins to /login
    return st.App(
        SCRIPT,
        routes=[*web.routes(), *api.routes()],
        middleware=[Middleware(SecurityHeadersMiddleware), Middleware(web.GateMiddleware)],
    )
