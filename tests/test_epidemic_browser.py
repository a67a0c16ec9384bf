"""The 防疫专项 panels in headless Chromium: the wall at 1920×1080 and 3840×2160 with nothing overflowing and
no request leaving the app; the page as a leader. Screenshots of the small test sample go to the test's
folder (docs/screenshots/07_* are of the full sample)."""

from __future__ import annotations

from auth_support import DEMO_PASSWORD
from browser_support import CHROMIUM, FLAGS, needs_chromium, record_outside, serve
from upload_helpers import copy_db

from pipelines.auth import accounts
from pipelines.core.store import Store

OVERFLOWING = """() => [...document.querySelectorAll('.ep-card, .k-panel, .ep-wall-scopes, .ep-wall-legend, .ep-mod')]
    .filter(e => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)
    .map(e => e.className + ' ' + e.scrollWidth + 'x' + e.scrollHeight + ' > ' + e.clientWidth + 'x' + e.clientHeight)"""
NO_SCROLLBARS = """() => { const e = document.scrollingElement;
    return e.scrollHeight <= e.clientHeight + 1 && e.scrollWidth <= e.clientWidth + 1; }"""


@needs_chromium
def test_epidemic_wall_and_page_in_a_browser(sample_db, tmp_path):
    from playwright.sync_api import sync_playwright

    db = copy_db(sample_db, tmp_path)
    store = Store(db)
    try:
        cur = store.cursor()
        token = store.meta(accounts.DEMO_TOKEN_META, cur)
        national = cur.execute("select confirmed from epidemic where scope = '全国' order by report_date desc limit 1"
                               ).fetchall()[0][0]
    finally:
        store.close()
    outside: list[str] = []
    with serve(db, tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            for width, height in ((1920, 1080), (3840, 2160)):
                wall = browser.new_page(viewport={"width": width, "height": height})
                wall.set_default_timeout(120_000)
                record_outside(wall, outside)
                wall.goto(f"{url}/?kiosk=1&token={token}&panel=防疫专项")
                wall.locator(".ep-card", has_text=f"{national:,}").first.wait_for()
                wall.locator(".ep-mod").first.wait_for()
                wall.locator("canvas").first.wait_for()
                wall.wait_for_timeout(3000)
                assert wall.evaluate(OVERFLOWING) == []
                assert wall.evaluate(NO_SCROLLBARS)
                assert wall.locator(".k-dots .on", has_text="防疫专项").count() == 1
                wall.screenshot(path=tmp_path / f"epidemic_wall_{width}x{height}.png")
                wall.close()

            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(120_000)
            record_outside(page, outside)
            page.goto(url)
            page.get_by_label("用户名").fill("leader")
            page.get_by_label("密码").fill(DEMO_PASSWORD["leader"])
            page.get_by_role("button", name="登录").click()
            page.get_by_text("退出登录").wait_for()
            page.locator('[data-testid="stSidebarNav"]').get_by_text("防疫专项", exact=True).click()
            page.locator(".ep-card", has_text=f"{national:,}").first.wait_for()
            page.locator("canvas").first.wait_for()
            page.get_by_text("重要点位", exact=False).first.wait_for()
            page.wait_for_timeout(3000)
            page.screenshot(path=tmp_path / "epidemic_page.png", full_page=True)
        finally:
            browser.close()
    assert not outside, outside
