"""High-risk lists show every building with the total (issue 15): the overview lists all of them (the list
scrolls), the wall pages through them in the rotation with 第 1/2 页, the briefing lists all."""

from __future__ import annotations

import pandas as pd
import pytest
from auth_support import DEMO_BY_ROLE, logged_in
from streamlit.testing.v1 import AppTest
from upload_helpers import copy_db

from pipelines.core.store import open_store
from pipelines.grading import grade
from ui import kiosk


@pytest.fixture
def many_high(sample_db, tmp_path, monkeypatch):
    """The small sample with a low 高 threshold: more high-risk buildings than a page holds."""
    db = copy_db(sample_db, tmp_path)
    store = open_store(db)
    config = grade.config_with(grade.active_config(store.cursor()), high=12.0, medium=6.0)
    grade.save_config(store, grade.config_to_toml(config), "管理员", "测试：多个高风险")
    monkeypatch.setenv("FUGONG_DB", str(db))
    return db


def high_names(db) -> list[str]:
    cur = open_store(db).cursor()
    day = cur.execute("select max(day) from building_grades where day <= (select day from as_of_day)").fetchall()[0][0]
    return [n for (n,) in cur.execute(
        "select b.building_name from building_grades g join buildings b using (building_id) "
        "where g.day = ? and g.computed_grade = '高' order by g.score desc", [day]).fetchall()]


def test_the_overview_lists_every_high_risk_building_with_the_total(many_high):
    names = high_names(many_high)
    assert len(names) > 10
    at = logged_in(AppTest.from_file("../app_pages/overview.py", default_timeout=60), DEMO_BY_ROLE["leader"]).run()
    assert not at.exception
    listed = [m.value for m in at.markdown if m.value.startswith(tuple(f"{n}\\." for n in range(1, 200)))]
    assert len(listed) == len(names)
    assert any(c.value.startswith(f"共 {len(names)} 栋，全部列出") for c in at.caption)


def test_the_wall_pages_through_the_list_with_the_total():
    frame = pd.DataFrame([{"building_name": f"楼{i}", "street": "街", "score": 90.0 - i, "main_reason": "原因"}
                          for i in range(1, 13)])
    first, second = kiosk.high_list_html(frame, 0), kiosk.high_list_html(frame, 1)
    assert "共 12 栋 · 第 1/2 页" in first and "共 12 栋 · 第 2/2 页" in second
    assert all(f"楼{i} " in first for i in range(1, 9)) and "楼9 " not in first
    assert all(f"楼{i} " in second for i in range(9, 13)) and "楼8 " not in second
    # The page follows the rotation clock: every building is on screen once per round.
    pages = {kiosk.panel_index(20, t, kiosk.page_count(12)) for t in (0, 20, 40, 60)}
    assert pages == {0, 1}
    assert "共 3 栋" in kiosk.high_list_html(frame.head(3)) and "第" not in kiosk.high_list_html(frame.head(3))


def test_the_wall_shows_the_total_and_a_page_of_the_list(many_high):
    names = high_names(many_high)
    at = logged_in(AppTest.from_file("../app_pages/kiosk.py", default_timeout=60), "screen")
    at.query_params["panel"] = "楼宇风险地图"  # the list stands beside the map and the curve (防疫专项 takes the width)
    at.run()
    assert not at.exception
    shown = " ".join(h.proto.body for h in at.get("html"))
    assert f"共 {len(names)} 栋 · 第 " in shown


def test_the_briefing_lists_every_high_risk_building(many_high):
    from ui import briefing

    names = high_names(many_high)
    frame = pd.DataFrame([{"grade": "高", "building_name": n, "street": "街", "score": 50.0, "main_reason": "原因"}
                          for n in names])
    b = briefing.Briefing("全部街道", pd.Timestamp("2020-02-19").date(), pd.Timestamp("2020-02-20 09:00").to_pydatetime(),
                          None, None, frame, None, None, None, False)
    chart = briefing._high_list(b).to_dict()
    assert chart["title"] == f"高风险楼宇及主要原因（共 {len(names)} 栋）"
    assert len(chart["data"]["values"] if "values" in chart.get("data", {}) else
               next(iter(chart["datasets"].values()))) == len(names)
