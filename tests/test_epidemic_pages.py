"""The 防疫专项 page, the wall panel and the briefing against plain SQL; street scope; every new text field
escaped (HTML blocks through html.escape, Markdown through ui.widgets.md)."""

from __future__ import annotations

import html
import re

import pytest
from auth_support import STREET_OF, STREET_USER, logged_in, page_as
from streamlit.testing.v1 import AppTest
from upload_helpers import copy_db, xlsx_bytes

from pipelines.batches.commit import commit_upload
from pipelines.core.store import open_store
from pipelines.ingest.read import read_upload

PAGE = "app_pages/epidemic.py"
EVIL = '<img src=x onerror=alert(1)>**粗**[链接](http://evil.example)'


@pytest.fixture
def epi_db(sample_db, tmp_path, monkeypatch):
    db = copy_db(sample_db, tmp_path)
    monkeypatch.setenv("FUGONG_DB", str(db))
    return db


def page_html(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html"))


def plain_board(db, street: str | None = None) -> dict[str, tuple[int, int | None]]:
    """Each visible scope's latest 累计确诊 and its change from the report before, with plain SQL."""
    cur = open_store(db).cursor()
    rows = cur.execute("""
        select scope, report_date, confirmed from epidemic
        where scope in ('全国', '全市', '全区') or ? is null or scope = ?
        order by scope, report_date""", [street, street]).fetchall()
    out: dict[str, tuple[int, int | None]] = {}
    previous: dict[str, int] = {}
    for scope, _, confirmed in rows:
        out[scope] = (confirmed, confirmed - previous[scope] if scope in previous else None)
        previous[scope] = confirmed
    return out


def cards(shown: str) -> dict[str, str]:
    """The HTML of each scope card, by its (escaped) scope name."""
    out = {}
    for part in shown.split('<div class="ep-card">')[1:]:
        name = part.split('<div class="ep-scope">', 1)[1].split("<span", 1)[0]
        out[name] = part
    return out


def test_page_figures_match_plain_sql(epi_db):
    at = page_as(PAGE, "leader").run()
    assert not at.exception, at.exception
    shown = page_html(at)
    board = plain_board(epi_db)
    assert set(cards(shown)) == set(board) and len(board) == 6  # 全国, 全市, 全区 and the three streets
    for scope, (confirmed, new) in board.items():
        card = cards(shown)[scope]
        assert f'<div class="ep-big">{confirmed:,}</div>' in card
        assert f"新增 +{new:,}" in card
    cur = open_store(epi_db).cursor()
    day = cur.execute("select max(report_date) from work_progress").fetchall()[0][0]
    modules = cur.execute("""
        with latest as (
            select * from work_progress where report_date <= ?
            qualify row_number() over (partition by street, work_item order by report_date desc) = 1)
        select work_item, sum(done), sum(target) from latest group by work_item""", [day]).fetchall()
    assert len(modules) == 8
    for item, done, target in modules:
        assert f'title="{item}">{item}</span>' in shown
        assert f"<b>{int(done):,}</b> / {int(target):,}" in shown
    points = cur.execute("select count(*) from key_points").fetchall()[0][0]
    assert any(f"重要点位 {points} 个" in c.value for c in at.caption)
    # The map has the buildings and the key points as separate layers.
    deck = at.get("deck_gl_json_chart")[0].proto.json
    assert '"id": "buildings"' in deck and '"id": "key_points"' in deck


def test_street_user_sees_country_city_district_and_own_street(epi_db):
    at = page_as(PAGE, STREET_USER).run()
    assert not at.exception, at.exception
    street = STREET_OF[STREET_USER]
    shown = cards(page_html(at))
    assert list(shown) == ["全国", "全市", "全区", street]
    for scope, (confirmed, _) in plain_board(epi_db, street).items():
        assert f'<div class="ep-big">{confirmed:,}</div>' in shown[scope]
    cur = open_store(epi_db).cursor()
    done = cur.execute("""
        select sum(done) from work_progress where street = ? and work_item = '地毯式消毒'
          and report_date = (select max(report_date) from work_progress where street = ? and work_item = '地毯式消毒')
        """, [street, street]).fetchall()[0][0]
    assert f"<b>{int(done):,}</b>" in page_html(at)


def test_wall_panel_and_briefing(epi_db):
    at = logged_in(AppTest.from_file("../app_pages/kiosk.py", default_timeout=60), "screen")
    at.query_params["panel"] = "防疫专项"
    at.run()
    assert not at.exception, at.exception
    shown = page_html(at)
    for scope, (confirmed, _) in plain_board(epi_db).items():
        assert f'<div class="ep-big">{confirmed:,}</div>' in cards(shown)[html.escape(scope)]
    assert "重要工作模块" in shown and '<div class="on"' not in shown and "● 防疫专项" in shown

    made = logged_in(AppTest.from_string(
        "import streamlit as st, pickle, datetime\n"
        "from ui import situation, briefing\n"
        "from pipelines.situation import metrics\n"
        "from ui import data\n"
        "made = situation.briefing(data.latest_day(), None)\n"
        "st.session_state['spec'] = str(briefing.chart(made).to_dict())\n", default_timeout=60), "leader").run()
    assert not made.exception, made.exception
    spec = made.session_state["spec"]
    national = plain_board(epi_db)["全国"][0]
    assert "疫情发展" in spec and "重要工作模块" in spec and f"累计确诊 {national:,}" in spec


def test_every_new_text_field_is_escaped(epi_db):
    store = open_store(epi_db)
    cur = store.cursor()
    day = cur.execute("select max(report_date) from work_progress").fetchall()[0][0].isoformat()
    book = xlsx_bytes({
        "疫情发展": [["日期", "范围", "累计确诊"], [day, EVIL, 3]],
        "工作进度": [["日期", "所属街道", "工作项", "目标数", "累计完成数", "单位", "备注"],
                     [day, "江苏路街道", EVIL, 10, 5, EVIL, EVIL]],
        "重要点位": [["点位编号", "点位名称", "类型", "所属街道", "地址", "经度", "纬度"],
                     ["X1", EVIL, "其他", "江苏路街道", EVIL, 121.43, 31.22]],
    })
    commit_upload(store, read_upload("恶意.xlsx", book), "测试员", confirm_warnings=True)
    at = page_as(PAGE, "leader").run()
    assert not at.exception, at.exception
    shown = page_html(at)
    assert html.escape(EVIL) in shown and "<img" not in shown
    texts = [m.value for m in at.markdown]
    assert any("\\[链接\\]\\(http" in t for t in texts)  # the note, through md()
    bad = [t for t in texts if re.search(r"(?<!\\)<img|(?<!\\)\[链接(?<!\\)\]", t)]
    assert not bad, bad  # every < and [ of the upload arrives escaped
