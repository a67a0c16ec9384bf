"""实时播报's grade changes (issue 15): one event about one data day, announced once by the write that made
it; a write that changes no grade announces nothing; a configuration save is one event with how many grades
it moved. Counted on a copy of the small sample database."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest
from situation_books import upload, workbook

from pipelines.batches.commit import rollback_batch
from pipelines.core.contract import DAILY_RETURNS
from pipelines.core.store import open_store
from pipelines.grading import grade
from pipelines.situation import feed

RETURN_COLUMNS = ["report_date", "credit_code", "on_site", "from_key_areas", "from_abroad", "home_observation", "fever"]


@pytest.fixture
def store(sample_db_path, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copy(sample_db_path, path)
    s = open_store(path)
    yield s
    s.close()


def transitions(cur) -> set[tuple]:
    frame = cur.execute("select day, building_id, computed_grade from building_grades order by building_id, day").df()
    frame["before"] = frame.groupby("building_id")["computed_grade"].shift()
    frame = frame[frame["before"].notna() & (frame["before"] != frame["computed_grade"])]
    return {(pd.Timestamp(d).date(), b, was, now) for d, b, was, now in
            zip(frame["day"], frame["building_id"], frame["before"], frame["computed_grade"], strict=True)}


def grade_events(cur) -> pd.DataFrame:
    return feed.events(cur, 100_000, kinds=["grade"])


def returns_rows(cur, day: dt.date, fever: int | None = None, limit: int = 3) -> list[list]:
    rows = cur.execute("select report_date, credit_code, on_site, from_key_areas, from_abroad, home_observation, fever "
                       "from daily_returns where report_date = ? order by credit_code limit ?", [day, limit]).fetchall()
    return [[r[0].isoformat(), r[1], r[2], r[3], r[4], r[5], r[6] if fever is None else fever] for r in rows]


def test_a_write_that_changes_no_grade_announces_nothing(store):
    cur = store.cursor()
    first = cur.execute("select min(report_date) from daily_returns").fetchall()[0][0]
    before = grade_events(cur)
    assert len(before) > 0
    # The same figures again, in another file: a real commit that regrades every later day.
    batch = upload(store, "same.xlsx", workbook([(DAILY_RETURNS, RETURN_COLUMNS, returns_rows(cur, first))]))
    after = grade_events(cur)
    assert len(after) == len(before)
    latest = cur.execute("select max(done_at) from audit").fetchall()[0][0]
    assert not (pd.to_datetime(after["recorded_at"]) >= pd.Timestamp(latest)).any()  # nothing re-stamped
    rollback_batch(store, batch, "分析员")
    assert len(grade_events(cur)) == len(before)
    feed_now = feed.events(cur, 200)
    assert list(feed_now["kind"][:2]) == ["rollback", "upload"]  # not flooded by old grade changes


def test_a_grade_change_is_announced_once_about_its_day(store):
    cur = store.cursor()
    before_events = grade_events(cur)
    before = transitions(cur)
    last = cur.execute("select max(report_date) from daily_returns").fetchall()[0][0]
    batch = upload(store, "fever.xlsx", workbook([(DAILY_RETURNS, RETURN_COLUMNS, returns_rows(cur, last, fever=2))]))
    after = transitions(cur)
    events = grade_events(cur)
    new = events.iloc[: len(events) - len(before_events)]
    assert len(new) == len(after - before) > 0
    names = dict(cur.execute("select building_id, building_name from buildings").fetchall())
    expected = sorted(f"{d.month}月{d.day}日 {names[b]} 风险等级 {was} → {now}" for d, b, was, now in after - before)
    assert sorted(new["title"]) == expected
    # Announced by that commit: the upload and its grade changes carry the same time.
    upload_at = feed.events(cur, 1, kinds=["upload"])["recorded_at"].iloc[0]
    assert (new["recorded_at"] == upload_at).all()
    # The rollback undoes them (their events go) and announces what it restores, once; the others keep their time.
    rollback_batch(store, batch, "分析员")
    again = grade_events(cur)
    assert transitions(cur) == before
    assert len(again) == len(before_events)
    assert not again.duplicated(["day", "building_id"]).any()
    kept = again.merge(before_events, on=["day", "building_id", "title"], suffixes=("", "_was"))
    assert (kept["recorded_at"] == kept["recorded_at_was"]).sum() == len(before_events) - len(before - after)


def test_a_configuration_save_is_one_event_with_the_grades_it_moved(store):
    cur = store.cursor()
    old = cur.execute("select day, building_id, computed_grade from building_grades").df()
    before_events = grade_events(cur)
    config = grade.config_with(grade.active_config(cur), high=40.0, medium=30.0)
    grade.save_config(store, grade.config_to_toml(config), "管理员", "阈值下调")
    new = cur.execute("select day, building_id, computed_grade from building_grades").df()
    merged = old.merge(new, on=["day", "building_id"], suffixes=("_old", "_new"))
    moved = int((merged["computed_grade_old"] != merged["computed_grade_new"]).sum())
    assert moved > 0
    after_events = grade_events(cur)  # no change announced one by one: only those that no longer hold went
    assert set(after_events["title"]) <= set(before_events["title"])
    assert len(after_events.merge(before_events, on=["recorded_at", "title"])) == len(after_events)
    events = feed.events(cur, 5)
    assert events.iloc[0]["kind"] == "config"
    assert events.iloc[0]["title"] == f"管理员 保存评分配置 v1，改变了 {moved:,} 个楼宇日评级"
    assert events.iloc[0]["detail"] == "说明：阈值下调"
