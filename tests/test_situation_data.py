"""The situation pages' data functions, checked against figures computed here from the raw current-state views."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from situation_books import EVIL_NAME, credit_code, one_building_store, upload, workbook

from pipelines.batches.commit import rollback_batch
from pipelines.core.contract import REQUESTS
from pipelines.core.errors import UserError
from pipelines.core.store import open_store
from pipelines.grading import risk
from pipelines.situation import buildings, company_requests, feed, geo, metrics, projection

LAST = dt.date(2020, 2, 19)  # the small sample runs 2020-02-10 .. 2020-02-19


@pytest.fixture(scope="module")
def cur(sample_db_path):
    c = open_store(sample_db_path).cursor()
    yield c
    c.close()


@pytest.fixture(scope="module")
def raw(cur):
    """The current state as plain frames: what the expected figures are computed from."""
    b = cur.execute("select building_id, building_name, street, lon, lat, crs from buildings").df()
    c = cur.execute("select credit_code, building_id, industry, company_type, employees, contact_person, "
                    "contact_phone from companies").df()
    r = cur.execute("select report_date, credit_code, on_site, from_key_areas, from_abroad, home_observation, fever "
                    "from daily_returns").df()
    q = cur.execute("select request_id, request_date, credit_code, category, status, closed_date from requests").df()
    r["report_date"] = pd.to_datetime(r["report_date"]).dt.date
    for col in ("request_date", "closed_date"):
        q[col] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in q[col]]
    return {"buildings": b, "companies": c.merge(b, on="building_id"), "returns": r, "requests": q}


def expected_street_rates(raw, street: str, day: dt.date) -> tuple[float, float]:
    companies = raw["companies"][raw["companies"]["street"] == street]
    returns = raw["returns"][(raw["returns"]["report_date"] == day)
                             & raw["returns"]["credit_code"].isin(companies["credit_code"])]
    return (int((returns["on_site"] > 0).sum()) / len(companies),
            int(returns["on_site"].sum()) / int(companies["employees"].sum()))


def test_curve_by_street_matches_the_raw_figures_every_day(cur, raw):
    curve = metrics.curve(cur, "street")
    streets = sorted(raw["buildings"]["street"].unique())
    assert sorted(curve["group_key"].unique()) == streets
    assert len(curve) == len(streets) * 10
    for row in curve.itertuples(index=False):
        company_rate, staff_rate = expected_street_rates(raw, row.group_key, row.day)
        assert row.company_rate == pytest.approx(company_rate)
        assert row.staff_rate == pytest.approx(staff_rate)


def test_seven_day_mean_is_the_mean_of_the_last_seven_calendar_days(cur, raw):
    curve = metrics.curve(cur, "street")
    street = curve["group_key"].iloc[0]
    mine = curve[curve["group_key"] == street].set_index("day")
    for day in mine.index:
        window = [d for d in mine.index if day - dt.timedelta(days=6) <= d <= day]
        expected = sum(expected_street_rates(raw, street, d)[1] for d in window) / len(window)
        if len(window) >= 4:
            assert mine.loc[day, "staff_rate_7d"] == pytest.approx(expected)
        else:
            assert pd.isna(mine.loc[day, "staff_rate_7d"])


def test_curve_scopes_end_date_and_groups(cur, raw):
    street = "江苏路街道"
    by_industry = metrics.curve(cur, "industry", street, None, dt.date(2020, 2, 14))
    companies = raw["companies"][raw["companies"]["street"] == street]
    assert set(by_industry["group_key"]) == set(companies["industry"])
    assert by_industry["day"].max() == dt.date(2020, 2, 14)
    assert by_industry.groupby("day")["companies"].sum().eq(len(companies)).all()
    one = metrics.curve(cur, "all", None, "JSL-001")
    tenants = raw["companies"][raw["companies"]["building_id"] == "JSL-001"]
    last = one[one["day"] == LAST].iloc[0]
    returns = raw["returns"][(raw["returns"]["report_date"] == LAST)
                             & raw["returns"]["credit_code"].isin(tenants["credit_code"])]
    assert (last["companies"], last["staff"], last["on_site"]) == (
        len(tenants), tenants["employees"].sum(), returns["on_site"].sum())
    with pytest.raises(ValueError):
        metrics.curve(cur, "floor")


def test_building_day_figures_and_wgs84_positions(cur, raw):
    frame = metrics.building_day(cur, LAST, "虹桥街道").set_index("building_id")
    expected_ids = raw["buildings"][raw["buildings"]["street"] == "虹桥街道"]["building_id"]
    assert sorted(frame.index) == sorted(expected_ids)
    returns = raw["returns"][raw["returns"]["report_date"] == LAST].merge(raw["companies"], on="credit_code")
    on_site = returns.groupby("building_id")["on_site"].sum()
    for building_id, row in frame.iterrows():
        assert row["on_site"] == on_site.get(building_id, 0)
        source = raw["buildings"].set_index("building_id").loc[building_id]
        if source["crs"] == "WGS84":
            assert (row["lon_wgs"], row["lat_wgs"]) == (source["lon"], source["lat"])
        else:
            assert (row["lon_wgs"], row["lat_wgs"]) == pytest.approx(geo.gcj02_to_wgs84(source["lon"], source["lat"]))
            assert abs(row["lon_wgs"] - source["lon"]) > 0.003  # GCJ-02 sits ~500 m off in Shanghai
    assert set(frame["crs"]) == {"GCJ02", "WGS84"}


def _open_on(raw, day: dt.date, street: str | None) -> int:
    q = raw["requests"].merge(raw["companies"][["credit_code", "street"]], on="credit_code", how="left")
    if street:
        q = q[q["street"] == street]
    closed_on = [c or r if s == "已办结" else None for c, r, s in zip(q["closed_date"], q["request_date"], q["status"],
                                                                    strict=True)]
    return sum(1 for r, c in zip(q["request_date"], closed_on, strict=True) if r <= day and (c is None or c > day))


def test_open_requests_today_and_yesterday(cur, raw):
    for street in (None, "江苏路街道"):
        today, before = metrics.requests_open(cur, street, dt.date(2020, 2, 15))
        assert today.open_requests == _open_on(raw, dt.date(2020, 2, 15), street)
        assert before.open_requests == _open_on(raw, dt.date(2020, 2, 14), street)
        assert before.day == dt.date(2020, 2, 14)


def test_request_list_counts_and_closed_list(cur, raw):
    as_of = company_requests.as_of(cur)
    frame = company_requests.request_list(cur, as_of)
    assert len(frame) == len(raw["requests"])
    for row in frame.itertuples(index=False):
        if row.status == "已办结":
            assert pd.isna(row.days_open) and row.days_to_close == (row.closed_on.date() - row.request_date.date()).days
        else:
            assert row.days_open == (as_of - row.request_date.date()).days
    assert list(frame["status"]) == sorted(frame["status"], key=["待办", "办理中", "已办结"].index)
    counts = company_requests.counts(frame)
    expected = raw["requests"].groupby("category").size()
    assert dict(zip(counts["类别"], counts["合计"], strict=True)) == expected.to_dict()
    closed = company_requests.closed(frame)
    assert len(closed) == int((raw["requests"]["status"] == "已办结").sum())
    building = company_requests.request_list(cur, as_of, None, "JSL-001")
    tenants = raw["companies"][raw["companies"]["building_id"] == "JSL-001"]["credit_code"]
    assert sorted(building["request_id"]) == sorted(
        raw["requests"][raw["requests"]["credit_code"].isin(tenants)]["request_id"])


def test_building_detail_tenants_and_checks(cur, raw):
    tenants = buildings.tenants(cur, "JSL-001", LAST)
    expected = raw["companies"][raw["companies"]["building_id"] == "JSL-001"]
    assert sorted(tenants["credit_code"]) == sorted(expected["credit_code"])
    reported = raw["returns"][raw["returns"]["report_date"] == LAST].set_index("credit_code")["on_site"]
    assert dict(zip(tenants["credit_code"], tenants["on_site"], strict=True)) == {
        c: reported.get(c) for c in expected["credit_code"]}
    info = buildings.info(cur, "JSL-001").iloc[0]
    assert info["building_name"] == "兆丰世贸大厦" and info["companies"] == len(expected)
    checks = buildings.checks(cur, "JSL-001")
    assert (checks["items_passed"] == checks[["area_closed", "area_registration", "area_plan", "area_disinfection",
                                              "area_mobilisation", "area_service"]].sum(axis=1)).all()
    assert checks["pass_rate"].tolist() == pytest.approx((checks["items_passed"] / 22).tolist())
    long = buildings.checks_by_area(checks)
    assert len(long) == 6 * len(checks) and set(long["items"]) == {5, 4, 3}
    with pytest.raises(UserError):
        buildings.info(cur, "NO-SUCH")


def test_returnees_by_day(cur, raw):
    frame = buildings.returnees(cur, "JSL-001")
    tenants = raw["companies"][raw["companies"]["building_id"] == "JSL-001"]["credit_code"]
    r = raw["returns"][raw["returns"]["credit_code"].isin(tenants)].groupby("report_date")[
        ["from_key_areas", "from_abroad", "home_observation", "fever"]].sum()
    assert frame.set_index("day")[["from_key_areas", "from_abroad", "home_observation", "fever"]].equals(
        r.rename_axis("day").astype("int64"))


def test_grade_counts_and_high_list(cur):
    rows = cur.execute("select coalesce(o.grade, g.computed_grade) as grade, g.building_id, g.score "
                       "from building_grades g left join grade_overrides o on o.building_id = g.building_id "
                       "and o.revoked_at is null and o.starts <= g.day and (o.expires is null or o.expires >= g.day) "
                       "where g.day = ?", [LAST]).df()
    counts = risk.grade_counts(cur, LAST)
    assert counts[0] == {g: int((rows["grade"] == g).sum()) for g in ("高", "中", "低")}
    high = risk.top_high(cur, LAST, None, 100)
    assert sorted(high["building_id"]) == sorted(rows[rows["grade"] == "高"]["building_id"])
    assert high["score"].is_monotonic_decreasing
    assert risk.grade_counts(cur, dt.date(2019, 1, 1)) is None
    assert risk.shown("高") == "▲ 高风险" and risk.shown(None) == "○ 未评级"


# -- projection ----------------------------------------------------------------------------------

def _series(start: dt.date, values: list[float]) -> tuple[pd.Series, pd.Series]:
    days = [start + dt.timedelta(days=i) for i in range(len(values))]
    return pd.Series(days), pd.Series(values)


def test_projection_of_a_straight_line_meets_the_target_on_the_right_day():
    start = dt.date(2020, 3, 2)  # a Monday
    days, values = _series(start, [0.40 + 0.01 * i if (start + dt.timedelta(i)).weekday() < 5 else 0.1
                                   for i in range(21)])
    p = projection.project(days, values, 0.8)
    # the weekday line reaches 0.80 at day 40 after start: 2020-04-11
    assert p.status == "projected"
    assert p.estimate == dt.date(2020, 4, 11)
    assert p.earliest == p.estimate == p.latest_possible  # a perfect line has no uncertainty
    assert p.slope_per_week == pytest.approx(0.07)
    assert "4月11日" in p.text


def test_projection_refuses_what_it_cannot_say():
    start = dt.date(2020, 3, 2)
    flat = projection.project(*_series(start, [0.5] * 14), 0.8)
    assert flat.status == "not_rising" and "没有上升趋势" in flat.text
    few = projection.project(*_series(start, [0.5, 0.6, 0.65]), 0.8)
    assert few.status == "too_few" and few.points == 3
    slow = projection.project(*_series(start, [0.10 + 0.001 * i for i in range(14)]), 0.8)
    assert slow.status == "beyond"
    reached = projection.project(*_series(start, [0.7, 0.75, 0.82, 0.85, 0.86]), 0.8)
    assert reached.status == "reached" and reached.first_reached == dt.date(2020, 3, 4)


def test_noisy_projection_gives_a_range_around_the_estimate():
    start = dt.date(2020, 3, 2)
    noise = [0.02, -0.015, 0.01, -0.02, 0.015, 0, 0, 0.01, -0.01, 0.02, -0.02, 0.005, 0, 0]
    days, values = _series(start, [0.5 + 0.008 * i + noise[i] for i in range(14)])
    p = projection.project(days, values, 0.8)
    assert p.status == "projected"
    assert p.earliest < p.estimate < p.latest_possible


def test_projection_table_covers_both_metrics_per_group(cur):
    curve = metrics.curve(cur, "street")
    table = projection.table(curve, 0.8, LAST)
    assert len(table) == 2 * curve["group_key"].nunique()
    assert set(table["指标"]) == {"企业复工率", "人员返岗率"}


# -- street outlines ---------------------------------------------------------------------------------

def _square(lon: float, lat: float, d: float = 0.004) -> list[list[float]]:
    return [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]


def test_street_outlines_are_kept_converted_and_audited(tmp_path):
    store = one_building_store(tmp_path / "s.duckdb", name="测试大厦")
    content = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "测试"}, "geometry": {"type": "Polygon",
                                                                         "coordinates": [_square(121.43, 31.22)]}}]},
        ensure_ascii=False).encode()
    assert geo.save_street_outlines(store, "streets.geojson", content, "分析员", "GCJ02") == ["测试街道"]
    cur = store.cursor()
    outlines = geo.street_outlines(cur)
    first = outlines["features"][0]["geometry"]["coordinates"][0][0]
    assert first == pytest.approx(list(geo.gcj02_to_wgs84(121.43, 31.22)))
    audit = cur.execute("select actor, action, target, after from audit where action = 'geo.street_outlines'").fetchall()
    assert audit[0][:3] == ("分析员", "geo.street_outlines", "streets.geojson")
    assert json.loads(audit[0][3])["streets"] == ["测试街道"]
    # a second upload replaces the current outline and keeps the first one
    geo.save_street_outlines(store, "streets2.geojson", content, "分析员", "WGS84")
    assert cur.execute("select count(*) from street_outlines").fetchall()[0][0] == 2
    assert geo.street_outlines(cur)["features"][0]["geometry"]["coordinates"][0][0] == [121.43, 31.22]
    events = feed.events(cur, 50, kinds=["geo"])
    assert list(events["title"]) == ["分析员 上传街道边界 streets2.geojson", "分析员 上传街道边界 streets.geojson"]
    store.close()


@pytest.mark.parametrize(("payload", "message"), [
    (b"not json", "GeoJSON 格式错误"),
    (json.dumps({"type": "FeatureCollection", "features": []}).encode(), "没有任何街道边界"),
    (json.dumps({"type": "Feature", "properties": {"name": "火星街道"},
                 "geometry": {"type": "Polygon", "coordinates": [_square(121.43, 31.22)]}},
                ensure_ascii=False).encode(), "不在楼宇名录中"),
    (json.dumps({"type": "Feature", "properties": {"street": "测试街道"},
                 "geometry": {"type": "Point", "coordinates": [121.43, 31.22]}}, ensure_ascii=False).encode(),
     "须为 Polygon 或 MultiPolygon"),
    (json.dumps({"type": "Feature", "properties": {"street": "测试街道"},
                 "geometry": {"type": "Polygon", "coordinates": [_square(31.22, 121.43)]}},
                ensure_ascii=False).encode(), "不在上海范围内"),
])
def test_bad_street_outlines_are_refused_in_chinese(payload, message):
    with pytest.raises(UserError, match=message):
        geo.parse_street_outlines(payload, ["测试街道"])


# -- the feed ----------------------------------------------------------------------------------------

def test_feed_lists_uploads_rollbacks_requests_fever_grades_and_overrides(tmp_path):
    from pipelines.grading import grade

    store = one_building_store(tmp_path / "f.duckdb", name="测试大厦")
    extra = upload(store, "late.xlsx", workbook([(REQUESTS, ["request_id", "request_date", "credit_code", "category",
                                                             "content", "status", "closed_date"],
                                                  [["T-SQ2", "2020-02-12", credit_code(2), "物资", "口罩短缺", "已办结",
                                                    "2020-02-12"]])]))
    rollback_batch(store, extra, "分析员")
    grade.set_override(store, "T-001", "低", "物业整改到位", dt.date(2020, 2, 12), None, "街道领导")
    cur = store.cursor()
    events = feed.events(cur, 100)
    kinds = list(events["kind"])
    assert kinds[0] == "override"  # the newest write comes first
    assert events.iloc[0]["title"] == "街道领导 将 测试大厦 调整为 低风险（原 高）"
    assert events.iloc[0]["detail"] == "理由：物业整改到位"
    assert "rollback" in kinds and events[events["kind"] == "rollback"].iloc[0]["title"] == \
        f"分析员 撤销批次 {extra}（late.xlsx）"
    uploads = events[events["kind"] == "upload"]
    assert list(uploads["title"]) == [f"测试员 上传 {n}（批次 {b}）" for n, b in
                                      (("late.xlsx", 4), ("requests.xlsx", 3), ("returns.xlsx", 2),
                                       ("directory.xlsx", 1))]
    requests = events[events["kind"] == "request"]
    assert list(requests["title"]) == ["测试大厦 上海甲科技有限公司 提出租金减免诉求"]  # T-SQ2 was rolled back
    fever = events[events["kind"] == "fever"]
    assert list(fever["day"].map(lambda d: pd.Timestamp(d).date())) == [dt.date(2020, 2, 12)]
    assert list(fever["title"]) == ["测试大厦 报告体温异常 1 人"]
    assert list(events["recorded_at"]) == sorted(events["recorded_at"], reverse=True)
    assert len(feed.events(cur, 2)) == 2
    assert set(feed.events(cur, 100, kinds=["upload"])["kind"]) == {"upload"}
    assert feed.events(cur, 100, street="别的街道")["street"].isna().all()  # writes have no street: always shown
    store.close()


def test_feed_names_stay_plain_text(tmp_path):
    store = one_building_store(tmp_path / "e.duckdb")
    events = feed.events(store.cursor(), 50, kinds=["request"])
    assert events.iloc[0]["title"].startswith(EVIL_NAME)
    store.close()


def test_feed_grade_changes_are_the_day_to_day_changes_of_computed_grades(cur):
    # The sample is built by uploads that only add days: every change it announced still holds, once each.
    grades = cur.execute("select day, building_id, computed_grade from building_grades order by building_id, day").df()
    grades["before"] = grades.groupby("building_id")["computed_grade"].shift()
    changes = grades[grades["before"].notna() & (grades["before"] != grades["computed_grade"])]
    names = dict(cur.execute("select building_id, building_name from buildings").fetchall())
    events = feed.events(cur, 10_000, kinds=["grade"])
    assert len(events) == len(changes) > 0
    expected = sorted(f"{pd.Timestamp(d).month}月{pd.Timestamp(d).day}日 {names[b]} 风险等级 {was} → {now}"
                      for d, b, was, now in zip(changes["day"], changes["building_id"], changes["before"],
                                                changes["computed_grade"], strict=True))
    assert sorted(events["title"]) == expected
    keys = [(pd.Timestamp(a), pd.Timestamp(d).date()) for a, d in zip(events["recorded_at"], events["day"], strict=True)]
    assert keys == sorted(keys, reverse=True)  # the newest write first, then the newest day
