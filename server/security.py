"""Security headers on every response, and the doors that need a login before Streamlit sees the request.

The Content-Security-Policy allows the console's own origin only, plus what Streamlit 1.67's frontend
needs (found by reading its index.html and bundles, and checked in Chromium on every page —
tests/test_web_browser.py fails on any CSP violation):

- script-src: the bundles come from /static (self); index.html has one inline script
  (`window.prerenderReady = false`), allowed by its SHA-256, computed from the installed index.html at
  start-up, so no 'unsafe-inline' for scripts. Vega-Lite charts run with Streamlit's expression
  interpreter (no eval), so no 'unsafe-eval'. The pydeck map compiles WebAssembly (a picked building on
  楼宇地图 raises "WebAssembly.instantiate() violates … script-src" without it): 'wasm-unsafe-eval', which
  allows compiling WebAssembly and nothing else.
- style-src 'unsafe-inline': emotion (Streamlit's CSS-in-JS) writes <style> elements and style attributes
  at run time, without a nonce.
- img-src data: blob: — icons and Vega/deck.gl images are data: URLs, downloads and chart exports blob:.
- font-src self data: — Source Sans, Material Symbols and KaTeX fonts are served from /static/media.
- connect-src self — the WebSocket /_stcore/stream, /_stcore/host-config and health, uploads (CSP3 'self'
  covers ws:/wss: of the same host; an explicit ws(s)://host is added anyway for older engines).
- worker-src/child-src self blob: — MapLibre (pydeck's basemap) and loaders.gl start workers from blob: URLs
  (their bundles contain `new Worker(URL.createObjectURL(...))`).
- frame-src self — custom components and st.html iframes come from the same origin (srcdoc).
- frame-ancestors 'self' (and X-Frame-Options SAMEORIGIN): nobody may frame the console; the big screen
  runs as a top-level page in a kiosk browser, which frame-ancestors does not affect.
- A tile basemap configured with FUGONG_MAP_STYLE adds its origin to connect-src and img-src.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipelines.core import settings


def _inline_script_hashes() -> list[str]:
    """'sha256-…' of every inline <script> in Streamlit's index.html, as the browser hashes them."""
    import streamlit

    index = Path(streamlit.__file__).parent / "static" / "index.html"
    try:
        html = index.read_text(encoding="utf-8")
    except OSError:
        return []
    hashes = []
    for body in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, flags=re.S):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        hashes.append(f"'sha256-{digest}'")
    return hashes


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def content_security_policy(host: str | None = None, https: bool = False) -> str:
    scripts = " ".join(["'self'", *_inline_script_hashes(), "'wasm-unsafe-eval'"])
    extra = _origin(settings.get().map_style)
    connect = ["'self'"]
    if host:
        connect.append(f"{'wss' if https else 'ws'}://{host}")
    if extra:
        connect.append(extra)
    directives = {
        "default-src": "'self'",
        "script-src": scripts,
        "style-src": "'self' 'unsafe-inline'",
        "img-src": " ".join(["'self'", "data:", "blob:", *([extra] if extra else [])]),
        "font-src": "'self' data:",
        "connect-src": " ".join(connect),
        "worker-src": "'self' blob:",
        "child-src": "'self' blob:",
        "frame-src": "'self'",
        "frame-ancestors": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "manifest-src": "'self'",
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


_HOST = re.compile(r"[A-Za-z0-9.\-]{1,253}(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]{2,45}\](:[0-9]{1,5})?")
STATIC_HEADERS: tuple[tuple[str, str], ...] = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "SAMEORIGIN"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return value.decode("latin-1")
    return None


def is_https(scope: Scope) -> bool:
    return scope.get("scheme") in ("https", "wss")


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response (Streamlit's own, ours, errors, 404s alike)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._csp: dict[tuple[str | None, bool], bytes] = {}

    def _headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        host = header(scope, b"host")
        key = (host if host and _HOST.fullmatch(host) else None, is_https(scope))
        csp = self._csp.get(key)
        if csp is None:
            csp = content_security_policy(*key).encode("latin-1")
            if len(self._csp) < 64:  # a client can send any Host: keep the cache bounded
                self._csp[key] = csp
        headers = [(k.encode(), v.encode()) for k, v in STATIC_HEADERS]
        headers.append((b"content-security-policy", csp))
        if key[1]:
            headers.append((b"strict-transport-security", b"max-age=31536000"))
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._headers(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", ())}
                message = {**message, "headers": [*message.get("headers", ()),
                                                  *(h for h in extra if h[0] not in names)]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
