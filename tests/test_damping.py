"""Grades that do not flap (issue 15): a grade goes up at once and comes down only after N consecutive graded
days below it ([damping] down_after_days in grading.toml), said in the factor view and counted in the what-if.
Checked on the small sample's histories against the undamped grades computed here."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from pipelines.core.errors import UserError
from pipelines.core.store import open_store
from pipelines.grading import grade

RANK = {"高": 3, "中": 2, "低": 1}


@pytest.fixture
def store(sample_db_path, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copy(sample_db_path, path)
    return open_store(path)


def history(cur) -> pd.DataFrame:
    return cur.execute("select day, building_id, raw_grade, computed_grade, damping_note from building_grades "
                       "order by building_id, day").df()


def changes(frame: pd.DataFrame, column: str) -> int:
    before = frame.groupby("building_id")[column].shift()
    return int((before.notna() & (before != frame[column])).sum())


def test_the_shipped_model_damps_three_days():
    assert grade.default_config().damping_days == 3
    with pytest.raises(UserError, match="damping.down_after_days"):
        grade.parse_config(grade.CONFIG_FILE.read_text(encoding="utf-8").replace("down_after_days = 3",
                                                                                 "down_after_days = 0"))


def test_a_grade_is_the_highest_undamped_grade_of_its_last_three_days(store):
    cur = store.cursor()
    frame = history(cur)
    raw_rank = frame["raw_grade"].map(RANK)
    expected = raw_rank.groupby(frame["building_id"]).transform(lambda s: s.rolling(3, min_periods=1).max())
    assert list(frame["computed_grade"].map(RANK)) == list(expected.astype(int))
    assert (frame["computed_grade"].map(RANK) >= raw_rank).all()  # never below the model: up at once
    assert changes(frame, "computed_grade") < changes(frame, "raw_grade")  # the sample flaps without damping


def test_the_factor_view_says_why_a_grade_was_held_and_when_it_came_down(store):
    cur = store.cursor()
    frame = history(cur)
    held = frame[frame["computed_grade"].map(RANK) > frame["raw_grade"].map(RANK)]
    assert len(held) > 0
    assert held["damping_note"].str.startswith("保持").all()
    before = frame.groupby("building_id")["computed_grade"].shift().map(RANK)
    down = frame[before > frame["computed_grade"].map(RANK)]
    assert len(down) > 0
    assert list(down["damping_note"]) == [f"连续 3 天低于阈值，降为{g}" for g in down["computed_grade"]]
    row = held.iloc[-1]
    shown = grade.grades_on(cur, pd.Timestamp(row["day"]).date())
    reason = shown.set_index("building_id").loc[row["building_id"], "main_reason"]
    assert reason.startswith(f"降级缓冲：保持{row['computed_grade']}")


def test_the_what_if_counts_the_flaps_avoided(store):
    cur = store.cursor()
    frame = history(cur)
    last = pd.Timestamp(frame["day"].max()).date()
    config = grade.active_config(cur)
    undamped, damped = grade.flaps_avoided(cur, config, last)
    assert (undamped, damped) == (changes(frame, "raw_grade"), changes(frame, "computed_grade"))
    assert undamped > damped
    assert grade.flaps_avoided(cur, grade.config_with(config, damping_days=1), last) == (undamped, undamped)
