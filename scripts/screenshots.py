"""Screenshots of the situation pages for the docs: starts the console on the full sample database and saves a
headless-Chromium PNG of each page under docs/screenshots/. It also lists every request the pages made to a
host other than the app's: with default settings there must be none (the script fails otherwise).

    .venv/bin/python scripts/screenshots.py [--db data/sample.duckdb] [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# (file name, navigation title, choices to make [(selectbox label, option)], text that must be on the page,
# extra wait for maps/charts in ms). A reload starts a new session, so pages are opened by clicking the menu.
PAGES = [
    ("01_overview.png", "态势总览", [], "高风险楼宇", 2500),
    ("02_map.png", "楼宇地图", [], "选择楼宇查看详情", 2500),
    ("03_curves.png", "复工曲线", [], "何时达到", 1500),
    ("04_building.png", "楼宇详情", [("街道", "江苏路街道"), ("楼宇", "兆丰世贸大厦（JSL-001）")], "入驻企业", 1500),
    ("05_requests.png", "企业诉求", [("街道", "江苏路街道"), ("楼宇", "兆丰世贸大厦（JSL-001）")], "问题解决清单", 1000),
    ("06_feed.png", "实时播报", [], "按入库时间排列", 500),
]
USER, PASSWORD = "leader", "sample-wang-2020"  # the sample database's demo leader
MAX_BYTES = 400_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("streamlit did not become healthy")


def login(page, base: str, username: str = USER, password: str = PASSWORD) -> None:
    page.goto(f"{base}/")
    page.wait_for_selector('[data-testid="stApp"]', timeout=60_000)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_text("退出登录").wait_for(timeout=60_000)


def open_page(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
    page.locator("h1").filter(has_text=title).first.wait_for(timeout=60_000)


def settle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def choose(page, label: str, option: str) -> None:
    page.locator(f'[data-testid="stSelectbox"] input[aria-label="{label}"]').first.click()
    page.get_by_role("option", name=option, exact=True).first.click()
    settle(page)


def shrink(png: bytes) -> bytes:
    """A palette PNG: screenshots of flat UI compress to a fraction of the RGB size."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    for colours in (256, 128, 64):
        out = io.BytesIO()
        image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
        if out.tell() <= MAX_BYTES:
            break
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "sample.duckdb")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args(argv)
    if not args.db.exists():
        subprocess.run([sys.executable, "-m", "pipelines", "--db", str(args.db), "sample", "--if-absent"],
                       cwd=ROOT, check=True)
    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "FUGONG_DB": str(args.db.resolve())}
    env.pop("FUGONG_MAP_STYLE", None)  # default settings: no tile basemap
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    outside: list[str] = []
    try:
        wait_healthy(port, server)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            context = browser.new_context(viewport={"width": args.width, "height": args.height},
                                          locale="zh-CN", timezone_id="Asia/Shanghai")
            page = context.new_page()

            def note(request) -> None:
                host = urlparse(request.url).hostname
                if request.url.startswith(("http://", "https://", "ws://", "wss://")) and host not in (
                        "127.0.0.1", "localhost"):
                    outside.append(request.url)

            page.on("request", note)
            login(page, f"http://127.0.0.1:{port}")
            for name, title, choices, text, wait in PAGES:
                open_page(page, title)
                for label, option in choices:
                    choose(page, label, option)
                page.get_by_text(text).first.wait_for(timeout=60_000)
                settle(page)
                page.wait_for_timeout(wait)
                # Streamlit scrolls inside its main block, not the document: grow the window to the content.
                height = page.evaluate("() => Math.max(...[...document.querySelectorAll("
                                       "'[data-testid=\"stMain\"], [data-testid=\"stMainBlockContainer\"]')]"
                                       ".map(e => e.scrollHeight))")
                page.set_viewport_size({"width": args.width, "height": min(max(args.height, height + 40), 7000)})
                page.wait_for_timeout(wait)
                png = shrink(page.screenshot(full_page=True))
                page.set_viewport_size({"width": args.width, "height": args.height})
                (args.out / name).write_bytes(png)
                print(f"{name}: {len(png) / 1000:.0f} KB")
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    if outside:
        print("requests outside the app:", *sorted(set(outside)), sep="\n  ")
        return 1
    print("no request outside the app")
    return 0


if __name__ == "__main__":
    sys.exit(main())
