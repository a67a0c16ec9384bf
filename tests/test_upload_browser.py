"""End to end in headless Chromium: `streamlit run` on a copy of the sample database, a file uploaded through
the real 数据上传 page, and its findings on screen."""

from __future__ import annotations

import pytest
from auth_support import DEMO_PASSWORD
from browser_support import CHROMIUM, FLAGS, needs_chromium, serve
from upload_helpers import copy_db, xlsx_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def server(sample_db, tmp_path):
    with serve(copy_db(sample_db, tmp_path), tmp_path) as url:
        yield url


@needs_chromium
def test_upload_through_the_real_page_shows_the_findings(server):
    from playwright.sync_api import sync_playwright

    bad = xlsx_bytes({"楼宇": [["楼宇编号", "楼宇名称", "所属街道", "经度", "纬度", "建筑面积", "备注"],
                              ["JSL-900", "新建大厦", "江苏路街道", 31.22, 121.43, 20000, "新楼"]]})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)
            # In as an analyst comes: the login, then 数据上传 in the menu.
            page.goto(server)
            page.wait_for_selector('[data-testid="stApp"]')
            page.get_by_label("用户名").fill("analyst")
            page.get_by_label("密码").fill(DEMO_PASSWORD["analyst"])
            page.get_by_role("button", name="登录").click()
            page.get_by_text("退出登录").wait_for()
            page.locator('[data-testid="stSidebarNav"]').get_by_text("数据上传", exact=True).click()
            page.get_by_text("② 上传与检查").wait_for()
            assert page.url.endswith("/upload")
            page.locator('input[type="file"]').set_input_files(
                files=[{"name": "楼宇.xlsx", "mimeType": XLSX, "buffer": bad}])
            page.get_by_text("处理完成：1 个文件，错误 1 个，警告 1 个").wait_for()
            page.get_by_text("共 2 条：错误 1 条（必须修改），警告 1 条").wait_for()
            page.get_by_text("有 1 个错误，不能入库").wait_for()
            page.get_by_text("下载问题标注文件：楼宇.xlsx").wait_for()
            assert page.get_by_role("button", name="确认入库").is_disabled()
        finally:
            browser.close()
