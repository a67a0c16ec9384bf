"""The 防疫专项 panels as HTML blocks: 疫情发展 by scope, 重要工作模块 as progress bars, the map legend.

One builder for the page (light) and the big screen (dark, sized for 1920×1080 and read from 5 m). No Streamlit
calls here. Every text from an upload (scope, work item, unit, note, point names) goes through html.escape.
"""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd

from pipelines.core.contract import POINT_TYPES
from pipelines.grading.grade import GRADE_STYLE

# Key point colours: none of them a grade colour (red/orange/green belong to the buildings' grades).
POINT_COLOURS = {
    "发热门诊": "#c026d3",
    "口罩发放点": "#2563eb",
    "道口卡口": "#0891b2",
    "集中隔离点": "#7c3aed",
    "社区卫生服务中心": "#0f766e",
    "其他": "#64748b",
}
POINT_GLYPHS = {"发热门诊": "✚", "口罩发放点": "口", "道口卡口": "卡", "集中隔离点": "隔", "社区卫生服务中心": "卫", "其他": "•"}
FIGURES = (  # column, label, change column, is the change a 新增 of a cumulative figure
    ("suspected", "现有疑似", "suspected_change", False),
    ("close_contacts", "现有密接", "close_contacts_change", False),
    ("home_observation", "居家观察", "home_observation_change", False),
    ("released", "累计解除观察", "released_new", True),
)


def esc(value: object) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def _int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _num(value: object) -> str:
    number = _int(value)
    return "—" if number is None else f"{number:,}"


def _signed(value: object, new: bool) -> str:
    number = _int(value)
    if number is None:
        return "—"
    if new:
        return f"+{number:,}" if number >= 0 else f"{number:,}"
    return "持平" if number == 0 else f"{number:+,}"


def css(dark: bool) -> str:
    panel, text, muted, line = (("#121b2e", "#e6edf3", "#8b9bb4", "#22304a") if dark
                                else ("#ffffff", "#1f2933", "#5f6b7a", "#e3e8ef"))
    k = 1.45 if dark else 1.0  # the wall: larger type
    return f"""
<style>
.ep-scopes {{ display: grid; grid-template-columns: {"repeat(var(--n, 4), minmax(0, 1fr))" if dark
  else "repeat(auto-fit, minmax(250px, 1fr))"}; gap: {10 * k:.0f}px; }}
.ep-card {{ background: {panel}; border: 1px solid {line}; border-radius: 10px; padding: {8 * k:.0f}px {12 * k:.0f}px;
  color: {text}; overflow: hidden; }}
.ep-scope {{ font-size: {17 * k:.0f}px; font-weight: 700; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
.ep-date {{ font-size: {13 * k:.0f}px; color: {muted}; margin-left: 6px; font-weight: 400; }}
.ep-big {{ font-size: {30 * k:.0f}px; font-weight: 700; line-height: 1.15; font-variant-numeric: tabular-nums;
  white-space: nowrap; }}
.ep-label {{ font-size: {13 * k:.0f}px; color: {muted}; }}
.ep-new {{ display: block; font-size: {16 * k:.0f}px; color: #d7263d; font-weight: 700; line-height: 1.2; }}
.ep-zero {{ color: {muted}; font-weight: 400; }}
.ep-grid {{ display: grid; grid-template-columns: 1fr; gap: 1px; margin-top: 4px; font-size: {13 * k:.0f}px;
  color: {muted}; }}
.ep-grid > span {{ display: flex; justify-content: space-between; gap: 6px; white-space: nowrap; }}
.ep-grid b {{ color: {text}; font-variant-numeric: tabular-nums; }}
.ep-spark {{ display: flex; align-items: flex-end; gap: 1px; width: 42%; height: {34 * k:.0f}px; }}
.ep-spark i {{ flex: 1; display: block; border-radius: 1px 1px 0 0; opacity: 0.9; }}
.ep-head {{ display: flex; justify-content: space-between; align-items: flex-end; gap: 6px; }}
.ep-mods {{ display: grid; grid-template-columns: repeat(var(--cols, 1), minmax(0, 1fr)); gap: {6 * k:.0f}px {18 * k:.0f}px;
  color: {text}; }}
.ep-mod {{ font-size: {15 * k:.0f}px; }}
.ep-line {{ display: flex; justify-content: space-between; align-items: baseline; gap: 8px; white-space: nowrap; }}
.ep-top {{ display: grid; grid-template-columns: 7.2em minmax(0, 1fr) auto; gap: 8px; align-items: center;
  white-space: nowrap; }}
.ep-item {{ font-weight: 700; overflow: hidden; text-overflow: ellipsis; }}
.ep-bar {{ height: {12 * k:.0f}px; background: {line}; border-radius: 6px; overflow: hidden; margin: 2px 0; }}
.ep-fill {{ height: 100%; background: #2f80ed; border-radius: 6px; }}
.ep-fill.done {{ background: #2e9e5b; }}
.ep-fill.stale {{ background: repeating-linear-gradient(45deg, #8b9bb4, #8b9bb4 6px, #b7c2d4 6px, #b7c2d4 12px); }}
.ep-nums {{ font-variant-numeric: tabular-nums; white-space: nowrap; font-size: {13 * k:.0f}px; color: {muted};
  overflow: hidden; text-overflow: ellipsis; }}
.ep-nums b {{ color: {text}; font-size: {15 * k:.0f}px; }}
.ep-stale {{ color: #d97706; font-weight: 700; }}
.ep-legend {{ display: flex; flex-wrap: wrap; gap: 4px {14 * k:.0f}px; font-size: {13 * k:.0f}px; color: {text}; }}
.ep-legend i {{ font-style: normal; display: inline-block; width: 1.3em; height: 1.3em; line-height: 1.3em;
  text-align: center; font-size: 0.8em; color: #fff; border-radius: 50%; margin-right: 3px; border: 2px solid #fff; }}
.ep-legend .ep-shape {{ font-weight: 700; margin-right: 3px; }}
.ep-wall-scopes {{ height: 284px; overflow: hidden; }}
.ep-wall-scopes .ep-card {{ height: 284px; box-sizing: border-box; }}
.ep-wall-legend {{ height: 54px; overflow: hidden; }}
.ep-wall-legend .ep-legend {{ font-size: 16px; gap: 2px 12px; }}
.ep-none {{ color: {muted}; font-size: {15 * k:.0f}px; }}
</style>
"""


def sparkline(values: list[float], colour: str = "#d7263d") -> str:
    """A small trend as CSS bars, one per day (no script, no SVG for the sanitiser to strip)."""
    points = [max(0.0, float(v)) if v is not None and not pd.isna(v) else 0.0 for v in values]
    if len(points) < 2:
        return ""
    high = max(points) or 1.0
    bars = "".join(f'<i style="height: {max(4.0, v / high * 100):.0f}%; background: {colour if v else "#8b9bb4"}"></i>'
                   for v in points)
    return f'<div class="ep-spark" title="近{len(points)}天每日新增确诊">{bars}</div>'


def scopes_html(board: pd.DataFrame, trend: pd.DataFrame) -> str:
    """疫情发展: one card per scope, side by side — 累计确诊 and its 新增, the other figures, a 累计确诊 trend."""
    if board.empty:
        return '<div class="ep-none">还没有疫情发展数据：请在数据上传页上传“疫情发展”表。</div>'
    cards = []
    for row in board.itertuples(index=False):
        series = trend[trend["scope"] == row.scope]["confirmed_new"].tolist() if len(trend) else []
        new = _int(row.confirmed_new)
        new_html = (f'<span class="ep-new{" ep-zero" if not new else ""}">新增 {_signed(new, True)}</span>'
                    if new is not None else "")
        grid = "".join(f'<span>{label}<span><b>{_num(getattr(row, col))}</b> '
                       f'{_signed(getattr(row, change), is_new)}</span></span>'
                       for col, label, change, is_new in FIGURES)
        date = row.report_date
        date_text = f"{date.month}月{date.day}日" if isinstance(date, dt.date) else ""
        cards.append(
            f'<div class="ep-card"><div class="ep-scope">{esc(row.scope)}<span class="ep-date">{date_text} · 累计确诊</span>'
            f'</div><div class="ep-head"><div><div class="ep-big">{_num(row.confirmed)}</div>'
            f'{new_html}</div>{sparkline(series)}</div><div class="ep-grid">{grid}</div></div>')
    return f'<div class="ep-scopes" style="--n: {len(cards)}">{"".join(cards)}</div>'


def modules_html(modules: pd.DataFrame, columns: int = 1) -> str:
    """重要工作模块: a bar per work item — 累计/目标, 当日新增, 完成率, days since the last report (stale marked)."""
    if modules.empty:
        return '<div class="ep-none">还没有工作进度数据：请在数据上传页上传“工作进度”表。</div>'
    rows = []
    for row in modules.itertuples(index=False):
        completion = None if row.completion is None or pd.isna(row.completion) else float(row.completion)
        width = 100.0 if completion is None else max(0.0, min(100.0, completion * 100))
        state = "stale" if row.stale else ("done" if completion is not None and completion >= 1 else "")
        unit = esc(row.unit) if isinstance(row.unit, str) else ""
        target = f" / {_num(row.target)}" if _int(row.target) is not None else ""
        rate = "—" if completion is None else f"{completion * 100:.0f}%"
        days = _int(row.days_since) or 0
        age = (f'<span class="ep-stale">⚠ {days}天未更新</span>' if row.stale
               else ("今日已更新" if days == 0 else f"{days}天前更新"))
        rows.append(
            f'<div class="ep-mod"><div class="ep-top"><span class="ep-item" title="{esc(row.work_item)}">'
            f'{esc(row.work_item)}</span>'
            f'<div class="ep-bar"><div class="ep-fill {state}" style="width: {width:.1f}%"></div></div>'
            f'<span class="ep-nums">完成率 <b>{rate}</b></span></div>'
            f'<div class="ep-line"><span class="ep-nums"><b>{_num(row.done)}</b>{target} {unit}　'
            f'当日新增 <b>{_signed(row.done_today, True)}</b></span><span class="ep-nums">{age}</span></div></div>')
    return f'<div class="ep-mods" style="--cols: {columns}">{"".join(rows)}</div>'


def legend_html() -> str:
    """The map's legend: buildings as columns coloured by grade, key points as dots coloured by type."""
    grades = "".join(f'<span><span class="ep-shape" style="color: {s["color"]}">{s["shape"]}</span>{s["label"]}楼宇</span>'
                     for s in GRADE_STYLE.values())
    points = "".join(f'<span><i style="background: {POINT_COLOURS[t]}">{POINT_GLYPHS[t]}</i>{t}</span>'
                     for t in POINT_TYPES)
    return f'<div class="ep-legend"><span>柱体 = 楼宇（高度为在岗人数）：</span>{grades}<span>圆点 = 重要点位：</span>{points}</div>'
