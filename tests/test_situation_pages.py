"""The situation pages through AppTest on the small sample database: interactions (street, date, building) and
the figures on the page checked against values computed here with plain SQL."""

from __future__ import annotations

import datetime as dt
import json
import math
import re

import numpy as np
import pytest
from auth_support import DEMO_BY_ROLE, STREET_OF, STREET_USER, logged_in
from streamlit.testing.v1 import AppTest

from pipelines.core.store import open_store
from ui.widgets import md

LAST = dt.date(2020, 2, 19)
TIMEOUT = 60


@pytest.fixture(scope="module")
def cur(sample_db_path):
    c = open_store(sample_db_path).cursor()
    yield c
    c.close()


@pytest.fixture(autouse=True)
def _pages_open_the_sample(sample_db):
    """Every page run here opens the sample database (FUGONG_DB, set for each test by the fixture)."""


def run(page: str, role: str = "leader", user: str | None = None, **query) -> AppTest:
    at = logged_in(AppTest.from_file(f"../app_pages/{page}", default_timeout=TIMEOUT), user or DEMO_BY_ROLE[role])
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def one(cur, sql: str, params=None):
    return cur.execute(sql, params or []).fetchall()[0]


def street_figures(cur, street: str | None, day: dt.date) -> dict[str, float]:
    where = "" if street is None else "where b.street = $street"
    companies, staff = one(cur, f"select count(*), sum(c.employees) from companies c join buildings b "
                                f"using (building_id) {where}", {"street": street} if street else None)
    back, on_site = one(cur, f"select count(*) filter (where r.on_site > 0), coalesce(sum(r.on_site), 0) "
                             f"from daily_returns r join companies c using (credit_code) join buildings b "
                             f"using (building_id) where r.report_date = $day "
                             f"{'and b.street = $street' if street else ''}",
                        {"day": day, **({"street": street} if street else {})})
    return {"company_rate": back / companies, "staff_rate": on_site / staff, "on_site": on_site, "back": back}


def grade_count(cur, street: str | None, day: dt.date, grade: str) -> int:
    # No overrides exist in the sample, so the grade is the computed grade.
    return one(cur, "select count(*) from building_grades g join buildings b using (building_id) "
                    "where g.day = ? and g.computed_grade = ? and (? is null or b.street = ?)",
               [day, grade, street, street])[0]


def open_requests(cur, street: str | None, day: dt.date) -> int:
    return one(cur, "select count(*) from requests q join companies c using (credit_code) join buildings b "
                    "using (building_id) where q.request_date <= $day and (q.status <> '已办结' or "
                    "coalesce(q.closed_date, q.request_date) > $day) and ($street is null or b.street = $street)",
               {"day": day, "street": street})[0]


def deck_spec(at: AppTest) -> dict:
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.json) | {"tooltip": json.loads(charts[0].proto.tooltip or "null")}


def layer(spec: dict, layer_id: str) -> dict:
    return next(item for item in spec["layers"] if item["id"] == layer_id)


# -- 态势总览 ---------------------------------------------------------------------------------------

def test_overview_compares_a_monday_with_friday_and_a_saturday_with_the_saturday_before(cur):
    at = run("overview.py")
    monday, friday = dt.date(2020, 2, 17), dt.date(2020, 2, 14)
    at.date_input[0].set_value(monday).run()
    shown = metrics(at)
    expected, before = street_figures(cur, None, monday), street_figures(cur, None, friday)
    assert shown["人员返岗率"][1] == f"{(expected['staff_rate'] - before['staff_rate']) * 100:+.1f} 个百分点"
    assert shown["在岗人数"][1] == f"{expected['on_site'] - before['on_site']:+,}"
    assert any("变化较前一工作日（2月14日）" in c.value for c in at.caption)
    at.date_input[0].set_value(dt.date(2020, 2, 15)).run()  # Saturday: the Saturday before has no report
    shown = metrics(at)
    assert not shown["人员返岗率"][1] and not shown["在岗人数"][1]
    assert any("变化较上周同日（2月8日）" in c.value for c in at.caption)


def test_overview_figures_for_all_streets_then_one_street_and_an_earlier_day(cur):
    at = run("overview.py")
    shown = metrics(at)
    expected, before = street_figures(cur, None, LAST), street_figures(cur, None, LAST - dt.timedelta(days=1))
    assert shown["企业复工率"][0] == pct(expected["company_rate"])
    assert shown["人员返岗率"] == (pct(expected["staff_rate"]),
                                f"{(expected['staff_rate'] - before['staff_rate']) * 100:+.1f} 个百分点")
    assert shown["在岗人数"] == (f"{expected['on_site']:,}", f"{expected['on_site'] - before['on_site']:+,}")
    for grade, label in (("高", "▲ 高风险楼宇"), ("中", "◆ 中风险楼宇"), ("低", "● 低风险楼宇")):
        now, was = grade_count(cur, None, LAST, grade), grade_count(cur, None, LAST - dt.timedelta(days=1), grade)
        assert shown[label] == (str(now), f"{now - was:+,}" if now != was else "持平")  # no arrow on a zero change
    assert shown["未办结诉求"][0] == str(open_requests(cur, None, LAST))

    day = dt.date(2020, 2, 14)
    at.selectbox[0].select("江苏路街道").run()
    at.date_input[0].set_value(day).run()
    assert not at.exception
    shown = metrics(at)
    expected = street_figures(cur, "江苏路街道", day)
    assert shown["企业复工率"][0] == pct(expected["company_rate"])
    assert shown["复工企业"][0] == f"{expected['back']:,}"
    assert shown["▲ 高风险楼宇"][0] == str(grade_count(cur, "江苏路街道", day, "高"))
    assert shown["未办结诉求"][0] == str(open_requests(cur, "江苏路街道", day))
    # the high-risk list names exactly the street's high-risk buildings that day, highest score first
    high = cur.execute("select b.building_name from building_grades g join buildings b using (building_id) "
                       "where g.day = ? and b.street = ? and g.computed_grade = '高' order by g.score desc",
                       [day, "江苏路街道"]).fetchall()
    listed = [m.value for m in at.markdown if m.value.startswith(tuple(f"{n}\\." for n in range(1, 20)))]
    assert len(listed) == len(high)
    for line, (name,) in zip(listed, high, strict=True):
        assert f"**{md(name)}**" in line and "主要原因" not in line and "\n" in line
    # the map on the page shows the street's buildings only
    spec = deck_spec(at)
    street_ids = {b for (b,) in cur.execute("select building_id from buildings where street = '江苏路街道'").fetchall()}
    assert {row["building_id"] for row in layer(spec, "buildings")["data"]} == street_ids


# -- 楼宇地图 ---------------------------------------------------------------------------------------

def test_map_spec_is_offline_and_shows_each_building_with_its_grade_and_staff(cur):
    at = run("map.py")
    spec = deck_spec(at)
    text = json.dumps(spec, ensure_ascii=False)
    assert not re.search(r"(?i)\b(https?|wss?)://", text), "the deck asks something from outside the app"
    assert spec["mapStyle"] == "/app/static/blank_style.json"
    assert "mapProvider" not in spec or spec["mapProvider"] is None
    columns = {row["building_id"]: row for row in layer(spec, "buildings")["data"]}
    expected = dict(cur.execute(
        "select b.building_id, coalesce(sum(r.on_site), 0) from buildings b left join companies c using "
        "(building_id) left join daily_returns r on r.credit_code = c.credit_code and r.report_date = ? "
        "group by 1", [LAST]).fetchall())
    assert {b: int(row["on_site"]) for b, row in columns.items()} == expected
    assert all(row["height"] == row["on_site"] for row in columns.values())
    grades = dict(cur.execute("select building_id, computed_grade from building_grades where day = ?",
                              [LAST]).fetchall())
    colours = {"高": [215, 38, 61, 230], "中": [244, 162, 89, 230], "低": [46, 158, 91, 230]}
    shapes = {"高": "▲高", "中": "◆中", "低": "●低"}
    for building_id, row in columns.items():
        assert row["color"] == colours[grades[building_id]]
        assert row["label"] == shapes[grades[building_id]]  # readable without colour
    labels = layer(spec, "grade-labels")
    assert sorted(r["label"] for r in labels["data"]) == sorted(shapes[g] for g in grades.values())

    at.selectbox(key="street").select("虹桥街道").run()
    at.date_input(key="day").set_value(dt.date(2020, 2, 12)).run()
    spec = deck_spec(at)
    rows = layer(spec, "buildings")["data"]
    expected = dict(cur.execute(
        "select b.building_id, coalesce(sum(r.on_site), 0) from buildings b left join companies c using "
        "(building_id) left join daily_returns r on r.credit_code = c.credit_code and r.report_date = ? "
        "where b.street = '虹桥街道' group by 1", [dt.date(2020, 2, 12)]).fetchall())
    assert {r["building_id"]: r["on_site"] for r in rows} == expected

    at.selectbox(key="map-pick").select("HQ-001").run()
    name = one(cur, "select building_name from buildings where building_id = 'HQ-001'")[0]
    chosen = [m.value for m in at.markdown if m.value.startswith(f"**{md(name)}**")]
    assert len(chosen) == 1
    assert any("/building?building=HQ-001" in m.value for m in at.markdown)  # the link to its detail page


def test_map_uses_a_tile_basemap_only_when_configured_and_chosen(sample_db, monkeypatch):
    monkeypatch.setenv("FUGONG_MAP_STYLE", "https://tiles.example.gov.cn/style.json")
    at = run("map.py")
    assert deck_spec(at)["mapStyle"] == "/app/static/blank_style.json"  # still off by default
    at.toggle(key="map-tiles").set_value(True).run()
    assert deck_spec(at)["mapStyle"] == "https://tiles.example.gov.cn/style.json"


def test_blank_style_asks_nothing_from_outside():
    from pathlib import Path

    style = json.loads((Path(__file__).parent.parent / "static" / "blank_style.json").read_text(encoding="utf-8"))
    assert style["version"] == 8 and style["sources"] == {}
    assert "glyphs" not in style and "sprite" not in style
    assert [layer["type"] for layer in style["layers"]] == ["background"]


# -- 复工曲线 ---------------------------------------------------------------------------------------

def workday_rates(cur, street: str, end: dt.date) -> list[tuple[dt.date, float]]:
    rows = cur.execute(
        "select r.report_date, sum(r.on_site) / (select sum(employees) from companies c2 join buildings b2 "
        "using (building_id) where b2.street = $street) from daily_returns r join companies c using (credit_code) "
        "join buildings b using (building_id) where b.street = $street and r.report_date <= $end "
        "group by 1 order by 1", {"street": street, "end": end}).fetchall()
    return [(d, float(v)) for d, v in rows if d.weekday() < 5]


def test_curves_projection_table_matches_an_independent_fit(cur):
    at = run("curves.py")
    table = at.dataframe[0].value
    streets = [s for (s,) in cur.execute("select distinct street from buildings order by 1").fetchall()]
    assert sorted(table["分组"].unique()) == streets and len(table) == 2 * len(streets)
    for street in streets:
        points = workday_rates(cur, street, LAST)
        row = table[(table["分组"] == street) & (table["指标"] == "人员返岗率")].iloc[0]
        assert row["最近工作日数值"] == pytest.approx(points[-1][1])
        recent = [(d, v) for d, v in points if d > LAST - dt.timedelta(days=14)]
        slope, intercept = np.polyfit([(d - LAST).days for d, _ in recent], [v for _, v in recent], 1)
        assert row["近14天每周变化(百分点)"] == pytest.approx(round(slope * 7 * 100, 1))
        if points[-1][1] < 0.8 and slope > 0.0005:
            expected = LAST + dt.timedelta(days=max(1, math.ceil((0.8 - intercept) / slope)))
            assert f"预计 {expected.month}月{expected.day}日 前后达到" in row["说明"]
    assert len(at.get("vega_lite_chart")) == 3  # two curves and the small multiples
    assert len(at.get("download_button")) == 6


def test_curves_interactions_street_grouping_target_and_date(cur):
    at = run("curves.py")
    at.selectbox(key="street").select("江苏路街道").run()
    at.selectbox(key="group").select("行业").run()
    at.number_input(key="curves-target").set_value(60).run()
    at.date_input(key="day").set_value(dt.date(2020, 2, 14)).run()
    assert not at.exception
    table = at.dataframe[0].value
    industries = {i for (i,) in cur.execute("select distinct industry from companies c join buildings b using "
                                            "(building_id) where b.street = '江苏路街道'").fetchall()}
    assert set(table["分组"]) == industries
    assert set(table["最近工作日"]) == {dt.date(2020, 2, 14)}
    assert any(h.value == "何时达到 60%" for h in at.subheader)
    at.selectbox(key="group").select("楼宇").run()
    chosen = at.multiselect(key="curves-buildings").value
    biggest = [b for (b,) in cur.execute("select building_id from companies c join buildings b using (building_id) "
                                         "where b.street = '江苏路街道' group by 1 order by sum(employees) desc, 1 "
                                         "limit 5").fetchall()]
    assert sorted(chosen) == sorted(biggest)
    names = dict(cur.execute("select building_id, building_name from buildings").fetchall())
    assert set(at.dataframe[0].value["分组"]) == {names[b] for b in biggest}


# -- 楼宇详情 ---------------------------------------------------------------------------------------

def test_building_detail_from_query_param_then_another_building_and_day(cur):
    at = run("building.py", building="JSL-001")
    assert any(h.value == f"{md('兆丰世贸大厦')}（{md('JSL-001')}）" for h in at.subheader)
    grade, score = one(cur, "select computed_grade, score from building_grades where building_id = 'JSL-001' "
                            "and day = ?", [LAST])
    assert any(m.value.startswith(":") and f"评分 **{score:.1f}**" in m.value and grade in m.value
               for m in at.markdown)
    tenants = next(d.value for d in at.dataframe if "企业名称" in d.value.columns)
    expected = cur.execute("select company_name, contact_phone from companies where building_id = 'JSL-001'").df()
    assert sorted(tenants["企业名称"]) == sorted(expected["company_name"])
    assert not set(expected["contact_phone"].dropna()) & set(tenants["联系电话"])  # a leader sees them masked
    assert all(re.fullmatch(r"\d{3}\*+\d{4}", p) for p in tenants["联系电话"].dropna())
    assert tenants["联系电话"].notna().sum() == expected["contact_phone"].notna().sum()
    rate = one(cur, "select sum(r.on_site) / (select sum(employees) from companies where building_id = 'JSL-001') "
                    "from daily_returns r join companies c using (credit_code) where c.building_id = 'JSL-001' "
                    "and r.report_date = ?", [LAST])[0]
    assert metrics(at)["人员返岗率"][0] == pct(rate)
    checks = next(d.value for d in at.dataframe if "物业履责评分" in d.value.columns)
    assert len(checks) == one(cur, "select count(*) from checks where building_id = 'JSL-001'")[0]

    at.selectbox(key="building-pick").select("JSL-002").run()
    assert at.query_params["building"] == ["JSL-002"] or at.query_params["building"] == "JSL-002"
    at.date_input(key="day").set_value(dt.date(2020, 2, 13)).run()
    assert not at.exception
    tenants = next(d.value for d in at.dataframe if "企业名称" in d.value.columns)
    expected = dict(cur.execute("select c.company_name, r.on_site from companies c join daily_returns r using "
                                "(credit_code) where c.building_id = 'JSL-002' and r.report_date = ?",
                                [dt.date(2020, 2, 13)]).fetchall())
    assert dict(zip(tenants["企业名称"], tenants["2月13日在岗"], strict=True)) == expected


def test_building_picker_follows_the_street(cur):
    at = run("building.py")
    at.selectbox(key="street").select("华阳路街道").run()
    options = at.selectbox(key="building-pick").options
    expected = cur.execute("select building_id, building_name from buildings where street = '华阳路街道' "
                           "order by building_id").fetchall()
    assert options == [f"{n}（{b}）" for b, n in expected]


# -- 企业诉求 ---------------------------------------------------------------------------------------

def test_requests_for_one_building_answer_what_its_companies_ask_for(cur):
    at = run("requests.py")
    total = one(cur, "select count(*) from requests")[0]
    assert metrics(at)["诉求总数"][0] == f"{total:,}"
    building, street, name = one(cur, "select c.building_id, b.street, b.building_name from requests q join "
                                      "companies c using (credit_code) join buildings b using (building_id) "
                                      "group by all order by count(*) desc, 1 limit 1")
    at.selectbox(key="street").select(street).run()
    at.selectbox(key="requests-building").select(building).run()
    listing = next(d.value for d in at.dataframe if "诉求内容" in d.value.columns and "已办天数" in d.value.columns)
    expected = cur.execute("select q.request_id, q.category, q.content from requests q join companies c using "
                           "(credit_code) where c.building_id = ? order by 1", [building]).fetchall()
    assert sorted(zip(listing["诉求编号"], listing["类别"], listing["诉求内容"], strict=True)) == expected
    assert set(listing["楼宇"]) == {name}
    assert metrics(at)["诉求总数"][0] == str(len(expected))


def test_requests_counts_filters_and_closed_list(cur):
    at = run("requests.py")
    at.selectbox(key="street").select("虹桥街道").run()
    counts = next(d.value for d in at.dataframe if "合计" in d.value.columns)
    expected = cur.execute("select q.category, q.status, count(*) from requests q join companies c using "
                           "(credit_code) join buildings b using (building_id) where b.street = '虹桥街道' "
                           "group by 1, 2").fetchall()
    for category, status, n in expected:
        assert counts.set_index("类别").loc[category, status] == n
    assert counts["合计"].sum() == sum(n for *_, n in expected)
    closed = [d.value for d in at.dataframe if "办结用时(天)" in d.value.columns]
    n_closed = sum(n for _, status, n in expected if status == "已办结")
    assert (len(closed[0]) if closed else 0) == n_closed
    if closed:
        assert (closed[0]["办结用时(天)"] >= 0).all()
    at.multiselect(key="status").select("已办结").run()
    listing = next(d.value for d in at.dataframe if "已办天数" in d.value.columns)
    assert set(listing["状态"]) <= {"已办结"} and len(listing) == n_closed


# -- 实时播报 ---------------------------------------------------------------------------------------

def test_feed_shows_newest_first_and_filters_by_kind(cur):
    at = run("feed.py")
    lines = [line for m in at.markdown if ":material/" in m.value for line in m.value.split("\n\n")]
    assert len(lines) == 30
    newest = one(cur, "select target, json_extract_string(after, '$.file') from audit "
                      "where action = 'batch.commit' order by audit_id desc limit 1")
    assert f"上传 {md(newest[1])}（批次 {newest[0]}）" in lines[0]
    at.multiselect(key="kinds").select("upload").run()
    lines = [line for m in at.markdown if ":material/" in m.value for line in m.value.split("\n\n")]
    batches = cur.execute("select batch_id from batches order by batch_id desc").fetchall()
    assert len(lines) == len(batches)
    assert [re.search(r"批次 (\d+)", line).group(1) for line in lines] == [str(b) for (b,) in batches]


def test_requests_page_opens_on_the_building_of_a_link(cur):
    building = one(cur, "select c.building_id from requests q join companies c using (credit_code) "
                        "group by 1 order by count(*) desc, 1 limit 1")[0]
    at = run("requests.py", building=building)
    assert at.selectbox(key="requests-building").value == building
    expected = one(cur, "select count(*) from requests q join companies c using (credit_code) "
                        "where c.building_id = ?", [building])[0]
    assert metrics(at)["诉求总数"][0] == str(expected)
    at.selectbox(key="requests-building").select("全部楼宇").run()  # the user's choice then wins over the link
    street_total = one(cur, "select count(*) from requests q join companies c using (credit_code) join buildings b "
                            "using (building_id) where b.street = (select street from buildings where building_id = ?)",
                       [building])[0]
    assert metrics(at)["诉求总数"][0] == str(street_total)


def test_building_detail_shows_contacts_to_an_admin_only(cur):
    expected = cur.execute("select company_name, contact_person, contact_phone from companies "
                           "where building_id = 'JSL-001'").df()
    at = run("building.py", role="admin", building="JSL-001")
    tenants = next(d.value for d in at.dataframe if "企业名称" in d.value.columns)
    shown = {n: (p, t) for n, p, t in zip(tenants["企业名称"], tenants["防控联系人"], tenants["联系电话"], strict=True)}
    for name, person, phone in expected.itertuples(index=False):
        assert shown[name] == (person, phone) or (shown[name][1] is None and phone is None)


def test_a_street_user_sees_only_their_street(cur):
    street = STREET_OF[STREET_USER]
    at = run("map.py", user=STREET_USER)
    ids = {row["building_id"] for row in layer(deck_spec(at), "buildings")["data"]}
    expected = {b for (b,) in cur.execute("select building_id from buildings where street = ?", [street]).fetchall()}
    assert ids == expected
    other = one(cur, "select building_id from buildings where street <> ? order by 1 limit 1", [street])[0]
    at = run("building.py", user=STREET_USER, building=other)
    assert not any(f"（{md(other)}）" in h.value for h in at.subheader)
