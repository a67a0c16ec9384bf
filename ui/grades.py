"""Grade display shared by the pages and the big screen: label, shape and colour together."""

from __future__ import annotations

import altair as alt
import pandas as pd

from pipelines.grading.grade import GRADE_STYLE, GRADES


def grade_text(grade: str | None) -> str:
    if not isinstance(grade, str) or grade not in GRADE_STYLE:
        return "—"
    style = GRADE_STYLE[grade]
    return f"{style['shape']} {style['label']}"


def grade_badge(grade: str | None) -> str:
    """Markdown badge: colour plus shape plus words, readable without colour."""
    if not isinstance(grade, str) or grade not in GRADE_STYLE:
        return "—"
    colour = {"高": "red", "中": "orange", "低": "green"}[grade]
    return f":{colour}-badge[{GRADE_STYLE[grade]['shape']} {GRADE_STYLE[grade]['label']}]"


def style_grades(frame: pd.DataFrame, columns: list[str]):
    """A pandas Styler that colours grade cells (their text already carries the shape and label)."""
    colours = {grade_text(g): GRADE_STYLE[g]["color"] for g in GRADES}

    def colour(value: object) -> str:
        c = colours.get(value)
        return f"color: {c}; font-weight: 600" if c else ""

    return frame.style.map(colour, subset=columns)


def grade_scale() -> alt.Scale:
    return alt.Scale(domain=list(GRADES), range=[GRADE_STYLE[g]["color"] for g in GRADES])


def grade_shapes() -> alt.Scale:
    return alt.Scale(domain=list(GRADES), range=["triangle-up", "diamond", "circle"])
