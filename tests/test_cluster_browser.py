"""Two app servers behind nginx on one DuckLake (python -m pipelines cluster), driven by headless Chromium: an
analyst commits on server A, a leader on server B sees the new day at her next refresh without logging in again,
and her login cookie holds on server A as well."""

from __future__ import annotations

import datetime as dt
import tempfile
import urllib.request
from pathlib import Path

import pytest
from auth_support import DEMO_PASSWORD
from browser_support import CHROMIUM, FLAGS, needs_chromium

from pipelines.core.store import Store
from pipelines.lake import writers
from pipelines.lake.cluster import start_cluster
from pipelines.lake.localpg import PostgresUnavailable

pytestmark = [pytest.mark.slow, pytest.mark.lake,
              pytest.mark.skipif(not Path("/usr/sbin/nginx").exists(), reason="needs nginx (make test installs it)")]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    pg_root = Path(tempfile.mkdtemp(prefix="fugong-pg-"))  # pytest's own directories are closed to postgres
    try:
        running = start_cluster(tmp_path_factory.mktemp("cluster"), sample_scale=0.05, pg_root=pg_root)
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL cannot be installed here: {exc}")
    try:
        yield running
    finally:
        running.stop()
        running.postgres.cleanup()


def upstream_of(url: str, node: str) -> str:
    request = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": f"fugong_node={node}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["X-Fugong-Upstream"]


def nodes_on_each_server(cluster) -> tuple[str, str]:
    """Two values of the sticky cookie that nginx sends to the first and to the second server."""
    found: dict[str, str] = {}
    for i in range(200):
        found.setdefault(upstream_of(cluster.url, f"n{i}"), f"n{i}")
        if len(found) == 2:
            break
    first, second = (f"127.0.0.1:{app.port}" for app in cluster.apps)
    return found[first], found[second]


def cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def login(page, url: str, username: str) -> None:
    """The served console's login is a plain form (the cookie route); the console opens behind it."""
    page.goto(url)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD[username])
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector('[data-testid="stApp"]')
    page.get_by_role("button", name="退出登录").wait_for()


@needs_chromium
def test_a_commit_on_server_a_shows_on_server_b(cluster, tmp_path):
    from playwright.sync_api import sync_playwright

    node_a, node_b = nodes_on_each_server(cluster)
    assert upstream_of(cluster.url, node_a) != upstream_of(cluster.url, node_b)
    store = Store(cluster.address, lake_data=cluster.lake_data)
    try:
        cur = store.cursor()
        as_of = cur.execute("select day from as_of_day").fetchall()[0][0]
        companies = [(c, n, int(e or 0)) for c, n, e in cur.execute(
            "select credit_code, company_name, employees from companies order by 1").fetchall()]
        last = cur.execute("select max(report_date) from daily_returns").fetchall()[0][0]
        cur.close()
    finally:
        store.close()
    new_day = last + dt.timedelta(days=1)
    content = writers.returns_csv(companies, new_day, 0, 0)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            pages = {}
            for who, node in (("leader", node_b), ("analyst", node_a)):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.add_cookies([{"name": "fugong_node", "value": node, "url": cluster.url}])
                page = context.new_page()
                page.set_default_timeout(90_000)
                answered: list[str] = []
                page.on("response", lambda r, seen=answered: seen.append(r.headers.get("x-fugong-upstream", "")))
                login(page, cluster.url, who)
                pages[who] = (page, answered)
            leader, leader_servers = pages["leader"]
            analyst, analyst_servers = pages["analyst"]
            assert set(leader_servers) - {""} == {upstream_of(cluster.url, node_b)}
            assert set(analyst_servers) - {""} == {upstream_of(cluster.url, node_a)}
            leader.get_by_text(f"数据截至 {cn(as_of)}").wait_for()

            analyst.locator('[data-testid="stSidebarNav"]').get_by_text("数据上传", exact=True).click()
            analyst.get_by_text("② 上传与检查").wait_for()
            analyst.locator('input[type="file"]').set_input_files(
                files=[{"name": "返岗日报_次日.csv", "mimeType": "text/csv", "buffer": content}])
            analyst.get_by_text("处理完成：1 个文件").wait_for()
            confirm = analyst.get_by_text("确认按现状入库")
            if confirm.count():
                confirm.click()
            analyst.get_by_role("button", name="确认入库（1 个文件").click()
            analyst.get_by_text("已入库：批次").wait_for()

            # The leader's next refresh on the other server shows the new day, without a new login.
            leader.reload()
            leader.get_by_text(f"数据截至 {cn(new_day)}").wait_for()
            leader.get_by_role("button", name="退出登录").wait_for()
            # Her login (a session row in the store) holds on server A too: nothing lives in one process.
            leader.context.add_cookies([{"name": "fugong_node", "value": node_a, "url": cluster.url}])
            reloaded = leader.reload()  # (answers to the old page's last requests may still come from B)
            assert reloaded is not None and reloaded.headers["x-fugong-upstream"] == upstream_of(cluster.url, node_a)
            leader.get_by_text(f"数据截至 {cn(new_day)}").wait_for()
            leader.get_by_role("button", name="退出登录").wait_for()
        finally:
            browser.close()
