"""The served console (python -m server, as `make run` starts it) in headless Chromium: a login that survives
reload, a new tab and Ctrl-click with the filters kept; logout in one tab ends the other; the cookie's flags;
a refused session; and every page under the Content-Security-Policy with no violation and nothing fetched
from outside the console."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

from auth_support import DEMO_PASSWORD
from browser_support import CHROMIUM, FLAGS, needs_chromium, record_outside
from upload_helpers import copy_db
from web_support import serve_web

from pipelines.auth import sessions as web_sessions
from ui.nav import PAGES

STREET = "江苏路街道"


def _watch(page, problems: list[str]) -> None:
    """Collect CSP violations and script errors of this page."""
    record_outside(page, problems)
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))


def _log_in(page, username: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD[username])
    page.get_by_role("button", name="登录").click()


def _logged_in(page) -> None:
    page.wait_for_selector('[data-testid="stApp"]')
    page.get_by_role("button", name="退出登录").wait_for()


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


@needs_chromium
def test_login_survives_reload_tabs_and_ctrl_click_and_logout_ends_every_tab(sample_db, tmp_path):
    from playwright.sync_api import sync_playwright

    db = copy_db(sample_db, tmp_path)
    problems: list[str] = []
    with serve_web(db, tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(60_000)
            first = context.new_page()
            _watch(first, problems)
            # A bookmarked page with a street chosen: the login form, then that page with that street.
            first.goto(f"{url}/risk?street={quote(STREET)}")
            assert urlsplit(first.url).path == "/login"
            _log_in(first, "leader")
            _logged_in(first)
            first.get_by_role("heading", name="风险分级").wait_for()
            assert urlsplit(first.url).path == "/risk" and _query(first)["street"] == [STREET]

            cookie = next(c for c in context.cookies() if c["name"] == web_sessions.SESSION_COOKIE)
            assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
            assert cookie["path"] == "/" and cookie["expires"] > 0
            assert first.evaluate("document.cookie").find(web_sessions.SESSION_COOKIE) < 0  # not readable by JS

            # F5: still logged in, the street still chosen.
            first.reload()
            _logged_in(first)
            first.get_by_role("heading", name="风险分级").wait_for()
            assert _query(first)["street"] == [STREET]
            street_box = first.locator('[data-testid="stSelectbox"]', has_text="街道").get_by_role("combobox")
            assert street_box.input_value() == STREET

            # A new tab on another page: logged in.
            second = context.new_page()
            _watch(second, problems)
            second.goto(f"{url}/curves")
            _logged_in(second)
            second.get_by_role("heading", name="复工曲线").wait_for()

            # Ctrl-click on a building link (楼宇地图, a building picked) opens a logged-in tab on that building.
            first.goto(f"{url}/map?street={quote(STREET)}")
            _logged_in(first)
            first.locator("canvas").first.wait_for()
            first.wait_for_timeout(2000)  # the map settles before the list is opened
            first.locator('[data-testid="stSelectbox"]', has_text="选择楼宇查看详情").get_by_role("combobox").click()
            first.keyboard.press("ArrowDown")
            first.keyboard.press("Enter")
            link = first.locator('a[href*="/building?building="]').first
            link.wait_for()
            with context.expect_page() as opened:
                link.click(modifiers=["Control"])
            third = opened.value
            _watch(third, problems)
            _logged_in(third)
            third.get_by_role("heading", name="楼宇详情").wait_for()
            assert "building" in _query(third)

            # Logout in the first tab ends the session in the others at their next click.
            first.get_by_role("button", name="退出登录").click()
            first.get_by_text("已退出登录").wait_for()
            second.locator('[data-testid="stSidebarNav"]').get_by_text("风险分级", exact=True).click()
            second.get_by_text("登录已失效").wait_for()
            second.get_by_role("button", name="退出登录").wait_for(state="detached")
            third.reload()
            assert urlsplit(third.url).path == "/login"
            third.get_by_text("登录已失效").wait_for()
            # And the old cookie, put back by hand, is refused too.
            context.add_cookies([{**cookie}])
            second.goto(f"{url}/overview")
            assert urlsplit(second.url).path == "/login"
        finally:
            browser.close()
    assert problems == []


@needs_chromium
def test_every_page_under_the_csp(sample_db, tmp_path):
    """Each page of the registry as a user who may open it, and the big screen by its token: no CSP
    violation, no script error, no request outside the console."""
    from playwright.sync_api import sync_playwright

    from pipelines.auth import accounts as auth
    from pipelines.core.store import Store

    db = copy_db(sample_db, tmp_path)
    store = Store(db)
    try:
        token = store.meta(auth.DEMO_TOKEN_META)
    finally:
        store.close()
    problems: list[str] = []
    with serve_web(db, tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            for username in ("analyst", "admin"):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.set_default_timeout(60_000)
                page = context.new_page()
                _watch(page, problems)
                page.goto(url)
                _log_in(page, username)
                _logged_in(page)
                role = _role(username)
                for spec in PAGES:
                    if spec.kiosk or not auth.Principal(username, "", role, None).can(spec.permission):
                        continue
                    page.goto(f"{url}/{spec.file.split('/')[-1].removesuffix('.py')}")
                    _logged_in(page)
                    page.get_by_role("heading", name=spec.title).first.wait_for()
                    page.wait_for_timeout(1500)  # charts and the map draw after the page's elements
                    assert page.locator('[data-testid="stException"]').count() == 0, (role, spec.title)
                context.close()
            screen = browser.new_page(viewport={"width": 1920, "height": 1080})
            _watch(screen, problems)
            screen.goto(f"{url}/?kiosk=1&token={token}&rotate=0")
            screen.wait_for_selector('[data-testid="stApp"]')
            screen.locator(".k-dots, .k-panel, canvas").first.wait_for(timeout=90_000)
            screen.wait_for_timeout(3000)
        finally:
            browser.close()
    assert problems == []


def _role(username: str) -> str:
    from pipelines.auth import accounts as auth

    return next(r for u, _, r, _, _ in auth.DEMO_USERS if u == username)
