"""The console served as `make run` serves it (python -m server: st.App under uvicorn) on a free local port,
and a small HTTP client that keeps cookies, for the HTTP and browser tests of issue 14."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from browser_support import serve


def serve_web(db: Path, log_dir: Path, env: dict[str, str] | None = None):
    """`python -m server` on `db` at a free port on 127.0.0.1, for as long as the block runs."""
    return serve(db, log_dir, env, web=True)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    set_cookies: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> object:
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # we look at redirects ourselves
        return None


class Client:
    """A cookie-keeping HTTP client that does not follow redirects (tests look at each step)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None,
                method: str | None = None) -> Reply:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {}, method=method)
        try:
            response = self.opener.open(req, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read(),
                         response.headers.get_all("set-cookie") or [])

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def login(self, username: str, password: str, next_path: str = "/", headers: dict[str, str] | None = None
              ) -> Reply:
        page = self.request(f"/login?next={urllib.parse.quote(next_path, safe='')}")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        return self.request("/login", {"username": username, "password": password, "next": next_path,
                                       "csrf": csrf}, headers=headers)
