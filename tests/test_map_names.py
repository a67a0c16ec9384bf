"""Names come from uploads: a building called <img src=x onerror=alert(1)> must stay text on every page, in the
map's tooltip too; and the map must ask nothing from outside the app, also in a real browser."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from situation_books import EVIL_NAME, one_building_store
from streamlit.testing.v1 import AppTest

from pipelines import risk

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def evil_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("evil") / "evil.duckdb"
    one_building_store(path).close()
    return path


@pytest.fixture
def evil_env(evil_db, monkeypatch) -> Path:
    monkeypatch.setenv("FUGONG_DB", str(evil_db))
    return evil_db


def run(page: str, **query) -> AppTest:
    at = AppTest.from_file(f"../app_pages/{page}", default_timeout=60)
    at.session_state["auth_user"] = "leader"
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def raw_html_in(at: AppTest) -> list[str]:
    """Markdown, captions and headers that would carry the name unescaped."""
    texts = [e.value for kind in ("markdown", "caption", "subheader", "title") for e in at.get(kind)]
    return [t for t in texts if EVIL_NAME in t]


def test_map_tooltip_is_plain_text_and_names_are_escaped(evil_env):
    at = run("map.py")
    chart = at.get("deck_gl_json_chart")[0].proto
    tooltip = json.loads(chart.tooltip)
    assert set(tooltip) == {"text", "style"}  # deck.gl shows `text` with innerText: never parsed as HTML
    assert tooltip["text"] == "{tooltip}"
    spec = json.loads(chart.json)
    row = next(layer for layer in spec["layers"] if layer["id"] == "buildings")["data"][0]
    assert row["tooltip"].splitlines() == [
        f"{EVIL_NAME}（T-001）", f"{risk.shown(row['grade'])}　评分 {row['score']:.1f}",
        f"企业复工率 100.0%　人员返岗率 {row['staff_rate'] * 100:.1f}%", f"在岗 {row['on_site']} 人",
        row["tooltip"].splitlines()[-1]]
    assert row["tooltip"].splitlines()[-1].startswith("主因：")
    at.selectbox(key="map-pick").select("T-001").run()
    assert not raw_html_in(at)
    assert any("\\<img src=x onerror=alert\\(1\\)\\>" in m.value for m in at.markdown)


@pytest.mark.parametrize("page", ["overview.py", "building.py", "requests.py", "feed.py", "curves.py"])
def test_other_pages_escape_the_name(evil_env, page):
    at = run(page, building="T-001")
    assert not raw_html_in(at), raw_html_in(at)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not Path(CHROMIUM).exists() or shutil.which("chromium") is None, reason="no Debian chromium")
def test_in_a_browser_the_map_asks_nothing_outside_and_the_tooltip_stays_text(tmp_path):
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "scripts"))
    from screenshots import login, open_page

    db = tmp_path / "browser.duckdb"
    one_building_store(db).close()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "FUGONG_MAP_STYLE"} | {"FUGONG_DB": str(db)}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port",
                               str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    outside, dialogs = [], []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "streamlit did not start"
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: outside.append(r.url) if urlparse(r.url).hostname not in (
                None, "127.0.0.1", "localhost") and r.url.startswith(("http", "ws")) else None)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            login(page, f"http://127.0.0.1:{port}", "leader", "test-leader-password")
            open_page(page, "楼宇地图")
            page.get_by_text("选择楼宇查看详情").first.wait_for(timeout=60_000)
            canvas = page.locator('[data-testid="stDeckGlJsonChart"] canvas').first
            canvas.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            box = canvas.bounding_box()
            tooltip = page.locator(".deck-tooltip")
            # The one building sits at the centre of the view; its column rises above its base.
            for dy in (0, -8, -16, -24, -32, 8):
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + dy)
                page.wait_for_timeout(300)
                if tooltip.count() and tooltip.first.is_visible() and tooltip.first.inner_text().strip():
                    break
            text = tooltip.first.inner_text()
            html = tooltip.first.inner_html()
            assert EVIL_NAME in text  # shown literally
            assert "<img" not in html  # and not as markup
            assert page.locator('img[src="x"]').count() == 0
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert not dialogs
    assert not outside, outside
