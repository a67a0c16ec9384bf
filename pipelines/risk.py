"""Grades as the situation pages read them: the risk model's results (pipelines.grade) for a day.

The pages show a grade by label, shape and colour (高 ▲ red, 中 ◆ amber, 低 ● green); a building without a
grade yet is drawn grey with ○ and the label 未评级, so the pages work before anything is graded.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

try:
    from . import grade as _grade
except ImportError:  # TODO(merge grading): pipelines.grade lands on main; then drop this fallback
    _grade = None

GRADES = ("高", "中", "低")
_FALLBACK_STYLE = {
    "高": {"label": "高风险", "shape": "▲", "color": "#d7263d"},
    "中": {"label": "中风险", "shape": "◆", "color": "#f4a259"},
    "低": {"label": "低风险", "shape": "●", "color": "#2e9e5b"},
}
GRADE_STYLE: dict[str, dict[str, str]] = getattr(_grade, "GRADE_STYLE", _FALLBACK_STYLE)
UNGRADED = {"label": "未评级", "shape": "○", "color": "#9aa5b1"}
COLUMNS = ["building_id", "building_name", "street", "day", "score", "computed_grade", "grade", "rule",
           "main_factor", "main_reason", "override", "previous_grade", "changed"]


def style(grade: object) -> dict[str, str]:
    """Label, shape and colour of a grade ('高', '中', '低'); grey 未评级 for anything else."""
    return GRADE_STYLE.get(grade, UNGRADED) if isinstance(grade, str) else UNGRADED


def shown(grade: object) -> str:
    """A grade as text that needs no colour: '▲ 高风险'."""
    s = style(grade)
    return f"{s['shape']} {s['label']}"


def _graded(cur: duckdb.DuckDBPyConnection) -> bool:
    if _grade is None:
        return False
    rows = cur.execute("select count(*) from information_schema.tables where table_name = 'building_grades'")
    return rows.fetchall()[0][0] > 0


def available(cur: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store has grades at all (the risk model is installed and has run)."""
    return _graded(cur) and cur.execute("select count(*) from building_grades").fetchall()[0][0] > 0


def grades_on(cur: duckdb.DuckDBPyConnection, day: dt.date, street: str | None = None) -> pd.DataFrame:
    """Every graded building on `day` (contract columns at least); empty when nothing is graded."""
    if not _graded(cur):
        return pd.DataFrame(columns=COLUMNS)
    return _grade.grades_on(cur, day, street)


def grade_counts(cur: duckdb.DuckDBPyConnection, day: dt.date, street: str | None = None
                 ) -> tuple[dict[str, int], dict[str, int] | None] | None:
    """High/medium/low counts on `day` and the day before (None when that day has no grades);
    None when nothing is graded on `day`."""
    today = grades_on(cur, day, street)
    if today.empty:
        return None
    before = grades_on(cur, day - dt.timedelta(days=1), street)
    return ({g: int((today["grade"] == g).sum()) for g in GRADES},
            {g: int((before["grade"] == g).sum()) for g in GRADES} if not before.empty else None)


def top_high(cur: duckdb.DuckDBPyConnection, day: dt.date, street: str | None = None, limit: int = 10
             ) -> pd.DataFrame:
    """The high-risk buildings on `day`, highest score first, with their main reason."""
    frame = grades_on(cur, day, street)
    if frame.empty:
        return frame
    high = frame[frame["grade"] == "高"].sort_values(["score", "building_id"], ascending=[False, True])
    return high.head(limit).reset_index(drop=True)


def factors(cur: duckdb.DuckDBPyConnection, building_id: str, day: dt.date) -> pd.DataFrame:
    """The factor table behind one building's grade on `day` (empty when not graded)."""
    if not _graded(cur):
        return pd.DataFrame(columns=["factor", "label", "shown_value", "points", "weight", "contribution"])
    return _grade.building_factors(cur, building_id, day)


def history(cur: duckdb.DuckDBPyConnection, building_id: str) -> pd.DataFrame:
    """One building's grade by day, overrides applied (empty when not graded)."""
    if not _graded(cur):
        return pd.DataFrame(columns=["day", "score", "computed_grade", "grade", "rule", "override"])
    return _grade.grade_history(cur, building_id)
