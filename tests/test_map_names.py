"""Names come from uploads: a building called <img src=x onerror=alert(1)> must stay text on every page, in the
map's tooltip too; and the map must ask nothing from outside the app, also in a real browser."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from browser_support import CHROMIUM, FLAGS, ROOT, needs_chromium, record_outside, serve
from situation_books import EVIL_NAME, one_building_store
from streamlit.testing.v1 import AppTest

from pipelines.grading import risk


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


@needs_chromium
def test_in_a_browser_the_map_asks_nothing_outside_and_the_tooltip_stays_text(tmp_path):
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "scripts"))
    from screenshots import login, open_page

    db = tmp_path / "browser.duckdb"
    one_building_store(db).close()
    env = {k: v for k, v in os.environ.items() if k != "FUGONG_MAP_STYLE"}
    outside, dialogs = [], []
    with serve(db, tmp_path, env) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        record_outside(page, outside)
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        login(page, base, "leader", "test-redael-passphrase")
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
    assert not dialogs
    assert not outside, outside
