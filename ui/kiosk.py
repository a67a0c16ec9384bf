"""The big screen's look: dark theme, no chrome, HTML blocks sized for 1920×1080 and zoomed for 4K.

Everything from uploads (building names, reasons, feed texts) goes through html.escape: the screen shows
it as text. No script runs here: st.html strips scripts anyway, and nothing needs one.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

import pandas as pd

from pipelines.grading.grade import GRADE_STYLE
from pipelines.situation.metrics import Headline

BACKGROUND = "#0b1220"
PANEL = "#121b2e"
TEXT = "#e6edf3"
MUTED = "#8b9bb4"

# Designed in CSS pixels for 1920×1080; larger screens zoom the whole page, so a 3840×2160 wall shows the same
# layout at twice the size (nothing cut off, no scroll bars). Grades carry shape and word besides colour.
CSS = f"""
<style>
html, body {{ overflow: hidden !important; background: {BACKGROUND}; }}
@media (min-width: 2400px) {{ html {{ zoom: 1.5; }} }}
@media (min-width: 3200px) {{ html {{ zoom: 2; }} }}
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
footer, #MainMenu {{ display: none !important; }}
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {{ background: {BACKGROUND}; color: {TEXT}; }}
[data-testid="stMain"] {{ overflow: hidden !important; }}
/* No dimming while the board refreshes itself: the old figures stay bright until the new ones replace them. */
[data-stale="true"], .stale-element {{ opacity: 1 !important; transition: none !important; }}
[data-testid="stMainBlockContainer"], .block-container {{
  padding: 14px 24px 0 24px !important; max-width: 100% !important; }}
[data-testid="stVerticalBlock"] {{ gap: 10px; }}
.k-head {{ display: flex; align-items: baseline; justify-content: space-between; height: 56px; }}
.k-title {{ font-size: 34px; font-weight: 700; letter-spacing: 2px; color: {TEXT}; }}
.k-scope {{ font-size: 24px; color: {MUTED}; margin-left: 18px; }}
.k-time {{ font-size: 22px; color: {MUTED}; text-align: right; }}
.k-sample {{ font-size: 20px; color: #ffb454; border: 1px solid #ffb454; border-radius: 6px; padding: 2px 8px;
  margin-left: 18px; }}
.k-clock {{ font-size: 34px; color: {TEXT}; font-variant-numeric: tabular-nums; margin-left: 18px; }}
.k-stale {{ background: #5c1320; color: #ffd7dc; font-size: 22px; padding: 6px 14px; border-radius: 6px; }}
.k-tiles {{ display: grid; grid-template-columns: repeat(6, 1fr); gap: 12px; }}
.k-tile {{ background: {PANEL}; border-radius: 10px; padding: 10px 16px; height: 150px; box-sizing: border-box; }}
.k-label {{ font-size: 22px; color: {MUTED}; }}
.k-value {{ font-size: 60px; font-weight: 700; line-height: 1.15; color: {TEXT};
  font-variant-numeric: tabular-nums; white-space: nowrap; }}
.k-delta {{ font-size: 22px; color: {MUTED}; }}
.k-up {{ color: #ff8a8a; }} .k-down {{ color: #7fd99a; }}
.k-grades {{ display: flex; flex-direction: column; font-size: 27px; font-weight: 700; line-height: 1.18; white-space: nowrap; }}
.k-panel {{ background: {PANEL}; border-radius: 10px; padding: 12px 16px; height: 716px; box-sizing: border-box;
  overflow: hidden; }}
.k-panel h3 {{ font-size: 26px; margin: 0 0 8px 0; color: {TEXT}; font-weight: 600; }}
.k-count {{ font-size: 20px; color: {MUTED}; font-weight: 400; margin-left: 12px; }}
.k-row {{ display: grid; grid-template-columns: 46px 1fr 72px; gap: 8px; align-items: baseline;
  border-bottom: 1px solid #22304a; padding: 7px 0; }}
.k-rank {{ font-size: 24px; color: {MUTED}; }}
.k-name {{ font-size: 26px; color: {TEXT}; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }}
.k-reason {{ font-size: 19px; color: {MUTED}; grid-column: 2 / 4; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }}
.k-score {{ font-size: 24px; text-align: right; font-variant-numeric: tabular-nums; }}
.k-ticker {{ height: 52px; overflow: hidden; white-space: nowrap; background: {PANEL}; border-radius: 10px;
  font-size: 24px; line-height: 52px; color: {TEXT}; }}
.k-ticker span.k-move {{ display: inline-block; padding-left: 100%; animation: k-scroll 90s linear infinite; }}
.k-ticker b {{ color: #ffd479; margin: 0 10px 0 40px; }}
@keyframes k-scroll {{ from {{ transform: translateX(0); }} to {{ transform: translateX(-100%); }} }}
.k-dots {{ font-size: 20px; color: {MUTED}; text-align: center; }}
.k-dots .on {{ color: {TEXT}; }}
</style>
"""


PANELS = ("楼宇风险地图", "复工曲线", "防疫专项")  # the rotating panels, in order (app_pages/kiosk.py)
HIGH_PER_PAGE = 8  # high-risk buildings per page of the wall's list (a page per rotation step)


def panel_index(rotate_seconds: int, now: float, count: int = len(PANELS)) -> int:
    """Which of `count` rotating panels (or list pages) is on: follows the wall clock, so a rerun or refresh
    never loses the position and every screen showing the same URL shows the same panel."""
    return 0 if rotate_seconds <= 0 or count <= 0 else int(now // rotate_seconds) % count


def page_count(total: int, per_page: int = HIGH_PER_PAGE) -> int:
    return max(1, -(-total // per_page))


@dataclass(frozen=True)
class KioskSettings:
    street: str | None
    rotate_seconds: int  # 0: panels fixed side by side
    refresh_seconds: int
    stale_hours: float


def esc(value: object) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value))


def header_html(scope: str, as_of: dt.date | None, updated_at: dt.datetime | None, now: dt.datetime,
                stale_hours: float, sample: bool = False, compared: str = "") -> str:
    as_of_text = "—" if as_of is None else f"{as_of.year}年{as_of.month}月{as_of.day}日"
    updated = "—" if updated_at is None else f"{updated_at.month}月{updated_at.day}日 {updated_at:%H:%M}"
    stale = ""
    if updated_at is None or (now - updated_at).total_seconds() > stale_hours * 3600:
        age = "从未上传" if updated_at is None else f"已 {(now - updated_at).total_seconds() / 3600:.0f} 小时未更新"
        stale = f'<span class="k-stale">⚠ 数据{age}，请核实</span>'
    mark = '<span class="k-sample">示例数据</span>' if sample else ""
    return (f'<div class="k-head"><div><span class="k-title">复工态势台</span>'
            f'<span class="k-scope">{esc(scope)}</span>{mark}</div>{stale}'
            f'<div class="k-time">数据截至 <b>{as_of_text}</b>{" · 变化" + esc(compared) if compared else ""} · 更新于 {updated}'
            f'<span class="k-clock">{now:%H:%M}</span></div></div>')


def _delta(today: float, before: float, compared: str, pct: bool = False, inverse: bool = False) -> str:
    change = today - before
    if abs(change) < (0.0005 if pct else 0.5):
        return f'<div class="k-delta">{compared}持平</div>'
    arrow = "↑" if change > 0 else "↓"
    good = (change > 0) != inverse
    text = f"{change * 100:+.1f} 个百分点" if pct else f"{change:+,.0f}"
    return f'<div class="k-delta">{compared} <span class="{"k-down" if good else "k-up"}">{arrow} {text}</span></div>'


def tiles_html(today: Headline, before: Headline, grades: dict[str, int], grades_before: dict[str, int] | None,
               compared: str = "较前日") -> str:
    """The six figure tiles; `compared` says what each change is measured against (较前一工作日（3月27日）)."""
    def tile(label: str, value: str, delta: str) -> str:
        return f'<div class="k-tile"><div class="k-label">{label}</div><div class="k-value">{value}</div>{delta}</div>'

    def rate(v):
        return ("—" if v is None else f"{v * 100:.1f}%")
    def change(g: str) -> str:  # day-on-day change of each count, small, beside it
        if not grades_before:
            return ""
        diff = grades.get(g, 0) - grades_before.get(g, 0)
        return f' <span class="k-delta">{diff:+d}</span>' if diff else ""

    grade_spans = "".join(
        f'<span style="color:{GRADE_STYLE[g]["color"]}">{GRADE_STYLE[g]["shape"]} {GRADE_STYLE[g]["label"]}'
        f'&nbsp;&nbsp;{grades.get(g, 0)} 栋{change(g)}</span>'
        for g in ("高", "中", "低"))
    parts = [
        tile("企业复工率", rate(today.company_rate),
             _delta(today.company_rate or 0, before.company_rate or 0, pct=True, compared=compared)),
        tile("人员返岗率", rate(today.staff_rate), _delta(today.staff_rate or 0, before.staff_rate or 0, pct=True, compared=compared)),
        tile("在岗人数", f"{today.on_site:,}", _delta(today.on_site, before.on_site, compared=compared)),
        tile("复工企业", f"{today.companies_back:,} / {today.companies:,}",
             _delta(today.companies_back, before.companies_back, compared=compared)),
        f'<div class="k-tile"><div class="k-label">楼宇风险</div>'
        f'<div class="k-grades">{grade_spans}</div></div>',
        tile("居家观察 / 体温异常", f"{today.home_observation:,} / {today.fever:,}",
             _delta(today.home_observation, before.home_observation, inverse=True, compared=compared)),
    ]
    return f'<div class="k-tiles">{"".join(parts)}</div>'


def high_list_html(high: pd.DataFrame, page: int = 0, per_page: int = HIGH_PER_PAGE) -> str:
    """One page of the high-risk list, always with the total: 共 12 栋 · 第 1/2 页 (the rotation pages through)."""
    style = GRADE_STYLE["高"]
    pages = page_count(len(high), per_page)
    page = min(max(page, 0), pages - 1)
    first = page * per_page
    rows = []
    for i, row in enumerate(high.iloc[first:first + per_page].itertuples(index=False), start=first + 1):
        rows.append(
            f'<div class="k-row"><span class="k-rank">{i}</span>'
            f'<span class="k-name"><span style="color:{style["color"]}">{style["shape"]}</span> '
            f'{esc(row.building_name)} <span class="k-rank">{esc(row.street)}</span></span>'
            f'<span class="k-score" style="color:{style["color"]}">{row.score:.0f}分</span>'
            f'<span class="k-reason">{esc(row.main_reason)}</span></div>')
    if not rows:
        rows.append('<div class="k-name">今日无高风险楼宇</div>')
    where = f" · 第 {page + 1}/{pages} 页" if pages > 1 else ""
    count = f'<span class="k-count">共 {len(high)} 栋{where}</span>'
    return f'<div class="k-panel"><h3>{style["shape"]} 高风险楼宇及主要原因 {count}</h3>{"".join(rows)}</div>'


def ticker_html(events: pd.DataFrame) -> str:
    if events.empty:
        return '<div class="k-ticker">　暂无播报</div>'
    items = "".join(f"<b>{esc(e.kind_label)}</b>{esc(e.title)}" for e in events.itertuples(index=False))
    return f'<div class="k-ticker"><span class="k-move">{items}</span></div>'


def dots_html(names: list[str], current: int) -> str:
    return '<div class="k-dots">' + "　".join(
        f'<span class="{"on" if i == current else ""}">{"●" if i == current else "○"} {esc(n)}</span>'
        for i, n in enumerate(names)) + "</div>"
