"""Issue 13 in a real browser: hostile text from uploads (building names, override reasons, file names,
request texts, proposal reasons, screen names) never makes the browser fetch anything (finding 4), and no
table offers Streamlit's own CSV download, which writes formula cells raw (finding 5)."""

from __future__ import annotations

import datetime as dt
import http.server
import sys
import threading
from pathlib import Path

from browser_support import CHROMIUM, FLAGS, ROOT, free_port, needs_chromium, record_outside, serve
from situation_books import REQUESTS, credit_code, one_building_store, upload, workbook

from pipelines.auth import accounts
from pipelines.grading import grade, proposals

PASSWORDS = {"leader": "test-redael-passphrase", "analyst": "test-tsylana-passphrase",
             "admin": "test-nimda-passphrase"}


class Beacon:
    """A web server on 127.0.0.1 that counts every request: any request means hostile text became markup."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def payload(self, tag: str) -> str:
        url = f"http://127.0.0.1:{self.port}/{tag}"
        return f"![{tag}]({url}.png) <img src=\"{url}-html.png\"> [{tag}]({url})"

    def close(self) -> None:
        self.server.shutdown()


def hostile_db(path: Path, beacon: Beacon) -> None:
    store = one_building_store(path, name=beacon.payload("name"))
    try:
        upload(store, f"![file](http://127.0.0.1:{beacon.port}/file.png).xlsx", workbook([(
            REQUESTS, ["request_id", "request_date", "credit_code", "category", "content", "status"],
            [["T-SQ2", "2020-02-12", credit_code(1), "租金减免", beacon.payload("request"), "待办"]])]))
        day = grade.latest_graded_day(store.cursor())
        grade.set_override(store, "T-001", "高", beacon.payload("reason"), day, day + dt.timedelta(days=7), "leader")
        analyst = accounts.Principal("analyst", "analyst", "analyst", None)
        config = grade.active_config(store.cursor())
        proposals.propose(store, analyst, grade.config_to_toml(grade.config_with(config, high=config.high - 1)),
                          beacon.payload("proposal"))
        accounts.rotate_token(store, "admin", f"![t](http://127.0.0.1:{beacon.port}/t)")
    finally:
        store.close()


def visit_every_page(page, base: str, username: str) -> list[str]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from screenshots import login, settle

    login(page, base, username, PASSWORDS[username])
    nav = page.locator('[data-testid="stSidebarNav"]')
    # a link's text is its material icon's name, then the title ("dashboard\n\n态势总览")
    titles = [t.strip().splitlines()[-1] for t in nav.locator("a").all_inner_texts() if t.strip()]
    visited = []
    for title in titles:
        if title == "大屏":
            continue  # the wall view leaves the navigation: opened last, by address
        nav.get_by_text(title, exact=True).click()
        page.locator("h1").filter(has_text=title).first.wait_for(timeout=60_000)
        settle(page)
        for summary in page.locator('[data-testid="stExpander"] summary').all():
            summary.click()
        page.wait_for_timeout(500)
        visited.append(title)
    page.goto(f"{base}/kiosk")
    page.wait_for_timeout(3000)
    return visited


@needs_chromium
def test_trust_hostile_text_makes_no_request_on_any_page(tmp_path):
    from playwright.sync_api import sync_playwright

    beacon = Beacon()
    db = tmp_path / "hostile.duckdb"
    hostile_db(db, beacon)
    outside: list[str] = []
    seen: dict[str, list[str]] = {}
    try:
        with serve(db, tmp_path) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            for username in ("leader", "analyst", "admin"):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                record_outside(page, outside)
                seen[username] = visit_every_page(page, base, username)
                context.close()
            browser.close()
    finally:
        beacon.close()
    assert "风险分级" in seen["leader"] and "数据上传" in seen["analyst"] and "用户与审计" in seen["admin"]
    assert beacon.hits == [], beacon.hits
    assert not outside, outside


@needs_chromium
def test_trust_no_table_offers_a_raw_csv_download(tmp_path):
    """Streamlit's table toolbar writes =HYPERLINK(…) raw into its CSV; the console turns that download off
    (client.disableDataExport) and offers its own neutralised exports."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "scripts"))
    from screenshots import login, open_page, settle

    db = tmp_path / "formula.duckdb"
    one_building_store(db).close()  # a company named =HYPERLINK("http://evil")
    with serve(db, tmp_path) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        login(page, base, "admin", PASSWORDS["admin"])
        open_page(page, "楼宇详情")
        settle(page)
        tables = page.locator('[data-testid="stDataFrame"]')
        tables.first.wait_for(timeout=60_000)
        shown = [tables.nth(i) for i in range(tables.count()) if tables.nth(i).is_visible()]
        assert shown  # the tables in a closed expander or another tab have no toolbar to hover
        for table in shown:
            table.hover()
            page.wait_for_timeout(400)
            # a chart's toolbar may offer "Download as PNG" (a picture, no cells); no toolbar offers a CSV
            assert page.locator('[data-testid="stElementToolbarButton"]').filter(
                has=page.locator('[aria-label*="CSV"], [title*="CSV"]')).count() == 0
            assert page.get_by_role("button", name="Download as CSV").count() == 0
        # the console's own export is there, and neutralised (tests/test_privacy_export.py reads its bytes)
        assert page.get_by_text("下载 CSV").count() + page.get_by_text("下载 Excel").count() >= 1
        browser.close()
