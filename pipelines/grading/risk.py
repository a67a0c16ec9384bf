"""Grades as the situation pages read them: the risk model's results (pipelines.grade) for a day.

The pages show a grade by label, shape and colour (高 ▲ red, 中 ◆ amber, 低 ● green); a building without a
grade (no data yet that day) is drawn grey with ○ and the label 未评级.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from pipelines.grading import grade as _grade
from pipelines.grading.grade import GRADE_STYLE, GRADES
from pipelines.situation.metrics import comparison_day

UNGRADED = {"label": "未评级", "shape": "○", "color": "#9aa5b1"}

__all__ = ["GRADES", "GRADE_STYLE", "UNGRADED", "available", "factors", "grade_counts", "grades_on", "history",
           "shown", "style", "top_high"]


def style(grade: object) -> dict[str, str]:
    """Label, shape and colour of a grade ('高', '中', '低'); grey 未评级 for anything else."""
    return GRADE_STYLE.get(grade, UNGRADED) if isinstance(grade, str) else UNGRADED


def shown(grade: object) -> str:
    """A grade as text that needs no colour: '▲ 高风险'."""
    s = style(grade)
    return f"{s['shape']} {s['label']}"


def available(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store has any grades at all."""
    return cur.execute("select count(*) from building_grades").fetchall()[0][0] > 0


def grades_on(cur: duckdb.DuckDBPyConnection, day: dt.date, street: str | None = None) -> pd.DataFrame:
    """Every graded building on `day` (empty when that day is not graded)."""
    return _grade.grades_on(cur, day, street)


def grade_counts(cur: duckdb.DuckDBPyConnection, day: dt.date, street: str | None = None
                 ) -> tuple[dict[str, int], dict[str, int] | None] | None:
    """High/medium/low counts on `day` and on the day it is compared with (metrics.comparison_day; None when
    that day has no grades); None when nothing is graded on `day`."""
    today = grades_on(cur, day, street)
    if today.empty:
        return None
    before = grades_on(cur, comparison_day(day)[0], street)
    return ({g: int((today["grade"] == g).sum()) for g in GRADES},
            {g: int((before["grade"] == g).sum()) for g in GRADES} if not before.empty else None)


def top_high(cur: duckdb.DuckDBPyConnection, day: dt.date, street: str | None = None, limit: int | None = None
             ) -> pd.DataFrame:
    """The high-risk buildings on `day` (all of them, or the first `limit`), highest score first, with their
    main reason."""
    frame = grades_on(cur, day, street)
    high = frame[frame["grade"] == "高"].sort_values(["score", "building_id"], ascending=[False, True])
    return (high if limit is None else high.head(limit)).reset_index(drop=True)


def factors(cur: duckdb.DuckDBPyConnection, building_id: str, day: dt.date) -> pd.DataFrame:
    """The factor table behind one building's grade on `day` (empty when not graded)."""
    return _grade.building_factors(cur, building_id, day)


def history(cur: duckdb.DuckDBPyConnection, building_id: str) -> pd.DataFrame:
    """One building's grade by day, overrides applied."""
    return _grade.grade_history(cur, building_id)
