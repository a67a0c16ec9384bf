"""The big screen in headless Chromium at 1920×1080 and 3840×2160: nothing leaves the app's origin, the
as-of time and figures are on screen, panels rotate, and a batch committed by an analyst in another browser
appears on the screen without a reload. Screenshots are saved under docs/screenshots/."""

from __future__ import annotations

import datetime as dt

from auth_support import DEMO_PASSWORD
from browser_support import CHROMIUM, FLAGS, ROOT, needs_chromium, record_outside, serve
from upload_helpers import copy_db, xlsx_bytes

from pipelines.auth import accounts
from pipelines.core.store import Store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOTS = ROOT / "docs" / "screenshots"


def _facts(db) -> tuple[str, dt.date, int, bytes]:
    store = Store(db)
    try:
        cur = store.cursor()
        token = store.meta(accounts.DEMO_TOKEN_META, cur)
        day = cur.execute("select max(report_date) from daily_returns").fetchall()[0][0]
        on_site = int(cur.execute("select sum(on_site) from daily_returns where report_date = ?", [day]
                                  ).fetchall()[0][0])
        codes = [c for (c,) in cur.execute("select credit_code from companies order by 1").fetchall()]
    finally:
        store.close()
    new_day = day + dt.timedelta(days=1)
    rows = [["日期", "统一社会信用代码", "在岗人数"]] + [[new_day.isoformat(), c, 0] for c in codes]
    return token, day, on_site, xlsx_bytes({"返岗日报": rows})


def _cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _no_scrollbars(page) -> bool:
    return page.evaluate("""() => {
        const e = document.scrollingElement, m = document.querySelector('[data-testid="stMain"]');
        return e.scrollHeight <= e.clientHeight + 1 && e.scrollWidth <= e.clientWidth + 1
            && (!m || m.scrollHeight <= m.clientHeight + 1);
    }""")


@needs_chromium
def test_kiosk_in_a_browser(sample_db, tmp_path):
    from playwright.sync_api import sync_playwright

    db = copy_db(sample_db, tmp_path)
    token, day, on_site, new_day_file = _facts(db)
    outside: list[str] = []
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serve(db, tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            screen = browser.new_page(viewport={"width": 1920, "height": 1080})
            screen.set_default_timeout(90_000)
            record_outside(screen, outside)
            screen.goto(f"{url}/?kiosk=1&token={token}&rotate=4&refresh=4")
            screen.wait_for_selector('[data-testid="stApp"]')
            screen.get_by_text(_cn(day)).first.wait_for()
            screen.get_by_text(f"{on_site:,}").first.wait_for()
            assert screen.locator('[data-testid="stSidebar"]').count() == 0 or \
                not screen.locator('[data-testid="stSidebar"]').first.is_visible()
            # Both panels come round without a reload.
            screen.locator(".k-dots .on", has_text="楼宇风险地图").wait_for(timeout=90_000)
            screen.locator(".k-dots .on", has_text="复工曲线").wait_for(timeout=90_000)
            screen.wait_for_timeout(1500)
            assert _no_scrollbars(screen)
            screen.screenshot(path=SHOTS / "kiosk_1920x1080.png")

            # An analyst commits the next day's returns in another browser; the screen shows it by itself.
            analyst = browser.new_page()
            analyst.set_default_timeout(90_000)
            record_outside(analyst, outside)
            analyst.goto(url)
            analyst.get_by_label("用户名").fill("analyst")
            analyst.get_by_label("密码").fill(DEMO_PASSWORD["analyst"])
            analyst.get_by_role("button", name="登录").click()
            analyst.get_by_text("退出登录").wait_for()
            analyst.locator('[data-testid="stSidebarNav"]').get_by_text("数据上传", exact=True).click()
            analyst.locator('input[type="file"]').set_input_files(
                files=[{"name": "新一天返岗日报.xlsx", "mimeType": XLSX, "buffer": new_day_file}])
            commit = analyst.get_by_role("button", name="确认入库（1 个文件")
            commit.wait_for()
            commit.click()
            analyst.get_by_text("已入库").first.wait_for()
            next_day = day + dt.timedelta(days=1)
            screen.get_by_text(_cn(next_day)).first.wait_for(timeout=90_000)  # no reload: the timer did it

            wall = browser.new_page(viewport={"width": 3840, "height": 2160})
            wall.set_default_timeout(90_000)  # a 4K screenshot on a loaded 2-core machine takes its time
            record_outside(wall, outside)
            wall.goto(f"{url}/?kiosk=1&token={token}&rotate=0")
            wall.get_by_text(_cn(next_day)).first.wait_for(timeout=60_000)
            wall.wait_for_timeout(3000)
            assert _no_scrollbars(wall)
            wall.screenshot(path=SHOTS / "kiosk_3840x2160.png")
        finally:
            browser.close()
    assert not outside, outside
