"""Real-browser tests: `streamlit run` on a database file, headless Debian chromium driven by playwright,
and a record of every request that leaves the app's own origin."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
_chromium_present = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (make browser)")


def needs_chromium(test):
    """A real-browser test: marked `browser` (deselect with -m "not browser") and skipped without chromium."""
    return pytest.mark.browser(_chromium_present(test))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(db: Path, log_dir: Path, env: dict[str, str] | None = None, web: bool = False) -> Iterator[str]:
    """The console on `db` at a free local port, for as long as the block runs: `streamlit run` on the entry
    script, or with web=True the web application as `make run` starts it (python -m server: st.App, the login
    cookie, /healthz, the headers, the API)."""
    port = free_port()
    environment = {**os.environ, **(env or {}), "FUGONG_DB": str(db)}
    log_path = log_dir / f"{'server' if web else 'streamlit'}-{port}.log"
    command = ([sys.executable, "-m", "server", "--port", str(port)] if web else
               [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
                "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
                "--server.fileWatcherType", "none"])
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(log_path.read_text()) from None
                    time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def record_outside(page, outside: list[str]) -> None:
    """Append to `outside` every request of this page to a host other than the app's own."""
    def check(request) -> None:
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname not in ("127.0.0.1", "localhost"):
            outside.append(request.url)

    page.on("request", check)
