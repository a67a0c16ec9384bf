"""The sample data: deterministic files, built into the database through the real pipeline, calibrated on the seeds."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from pathlib import Path

import pytest
from conftest import SMALL_PERIOD
from workbooks import findings_rows

from pipelines.batches.commit import check_upload, commit_upload
from pipelines.core import hooks
from pipelines.core.store import Store, open_store
from pipelines.demo import sample
from pipelines.ingest.read import read_upload
from pipelines.situation import metrics

SCALE = 0.05  # as the sample_db fixture
FEB17 = dt.date(2020, 2, 17)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> list[Path]:
    return sample.generate(tmp_path_factory.mktemp("again"), scale=SCALE, period=SMALL_PERIOD)


@pytest.fixture
def cur(sample_db):
    """A cursor on the process's store for the sample file (the pages' tests share it)."""
    cursor = open_store(sample_db).cursor()
    yield cursor
    cursor.close()


def test_the_generator_is_deterministic(sample_db, regenerated, tmp_path):
    """Generated again, every file has the same bytes as the files the sample database was built from."""
    built_from = sample_db.parent / "sample"
    assert sorted(p.name for p in built_from.iterdir()) == sorted(p.name for p in regenerated)
    for path in regenerated:
        assert path.read_bytes() == (built_from / path.name).read_bytes(), path.name
    other_seed = sample.generate(tmp_path, seed=sample.SEED + 1, scale=SCALE, period=SMALL_PERIOD)
    assert other_seed[0].read_bytes() != regenerated[0].read_bytes()  # the comparison can fail


def test_the_sample_database_is_built_from_exactly_these_files(cur, regenerated, sample_db):
    """No side door: one committed batch per file, by the sample user, with the file's hash and bytes kept."""
    files = [(p.name, hashlib.sha256(p.read_bytes()).hexdigest()) for p in regenerated]
    batches = cur.execute("select file_name, sha256, status, uploaded_by, stored_as from batches order by batch_id") \
        .fetchall()
    assert [(name, sha) for name, sha, *_ in batches] == files
    assert {(status, user) for _, _, status, user, _ in batches} == {("committed", "示例数据")}
    raw_dir = sample_db.parent / "raw"
    for _name, sha, _status, _user, stored_as in batches:
        assert hashlib.sha256((raw_dir / stored_as).read_bytes()).hexdigest() == sha
    assert cur.execute("select value from meta where key = 'sample'").fetchall() == [("1",)]
    kinds = {p.suffix for p in regenerated}
    assert kinds == {".xlsx", ".csv"}


def test_every_sample_file_passes_validation_without_a_finding(regenerated, tmp_path, monkeypatch):
    monkeypatch.setattr(hooks, "DERIVED_MODULES", ())
    monkeypatch.setattr(hooks, "AFTER_WRITE", [])  # validation only: grading is not needed here
    store = Store(tmp_path / "fresh.duckdb")
    try:
        for path in regenerated:
            upload = read_upload(path.name, path.read_bytes())
            result = check_upload(store, upload, today=sample.END)
            assert findings_rows(result.findings) == [], path.name
            commit_upload(store, upload, "测试", today=sample.END)
    finally:
        store.close()


def test_streets_buildings_and_companies(cur):
    assert metrics.streets(cur) == ["华阳路街道", "江苏路街道", "虹桥街道"]
    assert cur.execute("""
        select b.street, count(distinct b.building_id), count(c.credit_code)
        from buildings b left join companies c using (building_id) group by 1 order by 1""").fetchall() == [
        ("华阳路街道", 28, round(1220 * SCALE)), ("江苏路街道", 24, round(1040 * SCALE)),
        ("虹桥街道", 38, round(1746 * SCALE))]
    # Every company reports every day of the period.
    per_day = cur.execute("select report_date, count(*) from daily_returns group by 1 order by 1").fetchall()
    companies = cur.execute("select count(*) from companies").fetchall()[0][0]
    assert per_day == [(day, companies) for day in SMALL_PERIOD]
    # Real buildings sit where the seeds put them.
    assert cur.execute("""
        select building_name, street from buildings
        where building_name in ('兆丰世贸大厦', '舜元企业发展大厦', '长宁八八中心', '多媒体生活广场') order by 1""").fetchall() == [
        ("兆丰世贸大厦", "江苏路街道"), ("多媒体生活广场", "华阳路街道"), ("舜元企业发展大厦", "江苏路街道"),
        ("长宁八八中心", "华阳路街道")]
    # Every building lies inside Shanghai (the validation would have refused it otherwise, but check the data).
    assert cur.execute("select count(*) from buildings where lon not between 120.85 and 122.20 "
                       "or lat not between 30.66 and 31.88").fetchall() == [(0,)]


def test_seed_calibration_on_the_small_database(cur):
    def share_back(where: str) -> float:
        return cur.execute(f"""
            select sum(r.on_site) / sum(c.employees), avg((r.on_site > 0)::int)
            from daily_returns r join companies c using (credit_code) join buildings b using (building_id)
            where r.report_date = ? and {where}""", [FEB17]).fetchall()[0]

    staff_rate, _ = share_back("b.building_name = '兆丰世贸大厦'")
    assert 0.1 <= staff_rate <= 0.3  # the seeds: about 20% back on 2月17日
    _, software_back = share_back("c.industry = '信息传输、软件和信息技术服务业'")
    assert software_back >= 0.8  # software and IT: 80%+ back by mid-February
    all_staff, _ = share_back("true")
    assert staff_rate < all_staff  # 兆丰 lags the rest


def test_seed_calibration_at_full_scale():
    """The full-scale world (no files written): the seeds' counts, and overseas returnees rising in March."""
    world = sample.build_world()
    by_street = {plan.name: [b for b in world if b.street == plan.name] for plan in sample.STREETS}
    counts = {name: (len(bs), sum(len(b.companies) for b in bs)) for name, bs in by_street.items()}
    assert counts == {"江苏路街道": (24, 1040), "华阳路街道": (28, 1220), "虹桥街道": (38, 1746)}
    hq_staff = sum(c.employees for b in by_street["虹桥街道"] for c in b.companies)
    assert 15_300 <= hq_staff <= 18_700  # ~17,000 staff expected back in 虹桥

    small = sample.build_world(scale=SCALE)
    rows = sample.returns_rows(random.Random(1), small, sample.days())
    abroad = {month: sum(r[6] for r in rows if r[0].startswith(month)) for month in ("2020-02", "2020-03")}
    assert abroad["2020-03"] > 2 * abroad["2020-02"]


def test_headline_of_the_latest_day(cur):
    day = metrics.latest_day(cur)
    assert day == SMALL_PERIOD[-1]
    today, yesterday = metrics.headline(cur, None, day)
    expected = cur.execute("""
        select count(*) filter (where on_site > 0), sum(on_site), sum(home_observation)
        from daily_returns where report_date = ?""", [day]).fetchall()[0]
    assert (today.day, today.buildings, today.companies) == (day, 90, round(1040 * SCALE) + round(1220 * SCALE)
                                                            + round(1746 * SCALE))
    assert (today.companies_back, today.on_site, today.home_observation) == expected
    assert today.reported and yesterday.reported and yesterday.day == day - dt.timedelta(1)
    assert today.company_rate == pytest.approx(today.companies_back / today.companies)
    street, _ = metrics.headline(cur, "虹桥街道", day)
    assert (street.buildings, street.companies) == (38, round(1746 * SCALE))
