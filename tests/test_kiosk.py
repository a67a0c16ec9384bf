"""The big screen (大屏): kiosk route, figures against plain SQL, rotation, refresh, stale warning, briefing."""

from __future__ import annotations

import datetime as dt
import html
import re

import pandas as pd
import pytest
from auth_support import logged_in
from streamlit.testing.v1 import AppTest
from upload_helpers import copy_db, xlsx_bytes

from pipelines.auth import accounts
from pipelines.batches.commit import commit_upload
from pipelines.core.settings import TZ as SHANGHAI
from pipelines.core.store import open_store
from pipelines.ingest.read import read_upload
from pipelines.situation import metrics
from ui import kiosk

KIOSK = "../app_pages/kiosk.py"


@pytest.fixture
def kiosk_db(sample_db, tmp_path, monkeypatch):
    db = copy_db(sample_db, tmp_path)
    monkeypatch.setenv("FUGONG_DB", str(db))
    return db


def run_kiosk(**params) -> AppTest:
    at = logged_in(AppTest.from_file(KIOSK, default_timeout=60), "screen")
    params.setdefault("panel", "楼宇风险地图")  # the high-risk list beside it; not the 防疫专项 panel by the clock
    for key, value in params.items():
        at.query_params[key] = str(value)
    return at.run()


def page_html(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html"))


def independent_figures(db) -> dict:
    """The latest day's figures with plain SQL over the current-state views, not through pipelines.metrics."""
    cur = open_store(db).cursor()
    day = cur.execute("select max(report_date) from daily_returns").fetchall()[0][0]
    on_site, back = cur.execute(
        "select sum(on_site), count(*) filter (where on_site > 0) from daily_returns where report_date = ?",
        [day]).fetchall()[0]
    companies = cur.execute("select count(*) from companies").fetchall()[0][0]
    high = cur.execute(
        "select b.building_name from building_grades g join buildings b using (building_id) "
        "where g.day = ? and g.computed_grade = '高' order by g.score desc", [day]).fetchall()
    return {"day": day, "on_site": int(on_site), "back": int(back), "companies": int(companies),
            "high": [h for (h,) in high]}


def new_day_returns(db, day: dt.date, on_site_each: int = 1) -> bytes:
    cur = open_store(db).cursor()
    codes = [c for (c,) in cur.execute("select credit_code from companies where employees >= ? order by 1",
                                       [on_site_each]).fetchall()]
    rows = [["日期", "统一社会信用代码", "在岗人数"]] + [[day.isoformat(), c, on_site_each] for c in codes]
    return xlsx_bytes({"返岗日报": rows})


def test_kiosk_shows_the_figures_of_the_latest_day(kiosk_db):
    expected = independent_figures(kiosk_db)
    at = run_kiosk()
    assert not at.exception, at.exception
    shown = page_html(at)
    day = expected["day"]
    assert f"数据截至 <b>{day.year}年{day.month}月{day.day}日</b>" in shown
    assert f"{expected['on_site']:,}" in shown
    assert f"{expected['back']:,} / {expected['companies']:,}" in shown
    for name in expected["high"][:8]:
        assert html.escape(name) in shown
    assert "示例数据" in shown
    assert "k-ticker" in shown  # the 实时播报 ticker
    # no sidebar, no menu: the kiosk hides Streamlit's chrome
    assert '[data-testid="stSidebar"],\n[data-testid="stSidebarCollapsedControl"]' in shown


def test_a_new_batch_appears_on_the_next_refresh(kiosk_db):
    at = run_kiosk()
    before = independent_figures(kiosk_db)
    new_day = before["day"] + dt.timedelta(days=1)
    store = open_store(kiosk_db)  # the process's store: the same one the page reads through ui.data
    upload = read_upload("新一天.xlsx", new_day_returns(kiosk_db, new_day, 1))
    commit_upload(store, upload, "analyst", confirm_warnings=True, today=dt.date(2020, 12, 31))
    at.run()  # what the fragment's timer does
    shown = page_html(at)
    assert f"{new_day.year}年{new_day.month}月{new_day.day}日" in shown
    assert f"{before['companies']:,} / {before['companies']:,}" in shown  # every company has 1 on site


def test_street_scope_from_the_url_and_from_a_street_token(kiosk_db):
    cur = open_store(kiosk_db).cursor()
    streets = [s for (s,) in cur.execute("select distinct street from buildings order by 1").fetchall()]
    at = run_kiosk(street=streets[0])
    shown = page_html(at)
    assert f'<span class="k-scope">{streets[0]}</span>' in shown
    others = [n for (n,) in cur.execute("select building_name from buildings where street <> ?",
                                        [streets[0]]).fetchall()]
    high_block = shown[shown.index("高风险楼宇及主要原因"):shown.index("k-ticker")]
    assert not any(html.escape(n) in high_block for n in others)


def test_unknown_street_falls_back_to_the_whole_scope(kiosk_db):
    shown = page_html(run_kiosk(street="不存在街道"))
    assert '<span class="k-scope">全部街道</span>' in shown


def test_rotation_follows_the_clock():
    assert [kiosk.panel_index(20, t) for t in (0, 19.9, 20, 39, 40, 61)] == [0, 0, 1, 1, 2, 0]
    assert [kiosk.panel_index(0, t) for t in (0, 20, 40)] == [0, 0, 0]  # rotate=0: panels fixed


def test_stale_data_is_said_on_screen():
    now = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
    fresh = kiosk.header_html("全部街道", dt.date(2020, 3, 31), now - dt.timedelta(hours=2), now, 26)
    stale = kiosk.header_html("全部街道", dt.date(2020, 3, 31), now - dt.timedelta(hours=30), now, 26)
    never = kiosk.header_html("全部街道", None, None, now, 26)
    assert "未更新" not in fresh and "数据已 30 小时未更新" in stale and "从未上传" in never
    assert "09:00" in fresh  # the clock


def test_names_are_escaped_in_the_kiosk_blocks():
    evil = "<img src=x onerror=alert(1)>"
    frame = pd.DataFrame([{"building_name": evil, "street": evil, "score": 60.0, "main_reason": evil}])
    block = kiosk.high_list_html(frame)
    ticker = kiosk.ticker_html(pd.DataFrame([{"kind_label": evil, "title": evil}]))
    for text in (block, ticker):
        assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text


def test_briefing_png_and_pdf_match_the_screen(kiosk_db):
    from ui import briefing, situation

    at = run_kiosk()  # a script run context for ui.data's caches
    shown = page_html(at)
    store = open_store(kiosk_db)
    day = metrics.latest_day(store.cursor())
    # situation.briefing reads through ui.data like the kiosk; run it inside a page run to have a session
    made = _briefing_in_app(day)
    spec = str(briefing.chart(made).to_dict())
    today = made.today
    for figure in (f"{today.company_rate * 100:.1f}%", f"{today.staff_rate * 100:.1f}%", f"{today.on_site:,}"):
        assert figure in spec and figure in shown
    assert made.file_stem == f"复工态势简报_全部街道_{day.isoformat()}"
    png, pdf = briefing.to_png(made), briefing.to_pdf(made)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    assert pdf[:5] == b"%PDF-"
    del situation


def _briefing_in_app(day):
    """Build the briefing inside an AppTest run (ui.data needs a logged-in session)."""
    at = logged_in(AppTest.from_string(
        "import streamlit as st\n"
        "import pickle\n"
        "from ui import situation\n"
        f"made = situation.briefing(__import__('datetime').date({day.year}, {day.month}, {day.day}), None)\n"
        "st.session_state['made'] = pickle.dumps(made)\n", default_timeout=60), "leader").run()
    assert not at.exception, at.exception
    import pickle

    return pickle.loads(at.session_state["made"])


def test_screen_role_sees_only_the_kiosk(kiosk_db):
    cur = open_store(kiosk_db).cursor()
    token = open_store(kiosk_db).meta(accounts.DEMO_TOKEN_META, cur)
    at = AppTest.from_file("../streamlit_app.py", default_timeout=60)
    at.query_params["kiosk"] = "1"
    at.query_params["token"] = token
    at.run()
    assert not at.exception, at.exception
    assert re.search(r"复工态势台", page_html(at))
    assert not at.sidebar.children or all("stSidebarNav" not in str(c) for c in at.sidebar)
