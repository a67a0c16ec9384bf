"""The one-page briefing: what the big screen shows, as PNG and PDF for leaders who are not in the room.

Built as one Vega-Lite spec (Altair) and rendered offline by vl-convert: headline figures, a static map
(district outline and buildings by grade, shape and colour), the main curve with its target, the high-risk
list with reasons, and the data's as-of time. No Streamlit calls here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import pandas as pd
import vl_convert as vlc

from pipelines.grading.grade import GRADE_STYLE, GRADES
from pipelines.situation.metrics import Headline
from ui.charts import rate_chart

FONT = "Noto Sans CJK SC"
FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto", "/usr/share/fonts")
_fonts_registered = False


@dataclass(frozen=True)
class Briefing:
    scope: str
    as_of: dt.date
    made_at: dt.datetime
    today: Headline
    before: Headline
    grades: pd.DataFrame  # grade.grades_on(...)
    curve: pd.DataFrame  # situation.main_curve(...)
    points: pd.DataFrame  # maps.building_points(...): lon/lat in WGS-84 as `position`
    district: dict  # GeoJSON, WGS-84
    sample: bool = False
    epidemic: pd.DataFrame | None = None  # epidemic.board(...): 疫情发展 by scope
    modules: pd.DataFrame | None = None  # epidemic.work_modules(...): 重要工作模块
    key_points: pd.DataFrame | None = None  # maps.key_point_points(...)

    @property
    def file_stem(self) -> str:
        return f"复工态势简报_{self.scope}_{self.as_of.isoformat()}"


def _register_fonts() -> None:
    global _fonts_registered
    if not _fonts_registered:
        for folder in FONT_DIRS:
            if Path(folder).is_dir():
                vlc.register_font_directory(folder)
                break
        _fonts_registered = True


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _figures(b: Briefing) -> alt.Chart:
    t, y = b.today, b.before
    counts = {g: int((b.grades["grade"] == g).sum()) for g in GRADES} if len(b.grades) else {}

    def pp(a: float | None, c: float | None) -> str:
        return "" if a is None or c is None else f"较前日 {(a - c) * 100:+.1f} 个百分点"

    rows = [
        ("企业复工率", _pct(t.company_rate), pp(t.company_rate, y.company_rate)),
        ("人员返岗率", _pct(t.staff_rate), pp(t.staff_rate, y.staff_rate)),
        ("在岗人数", f"{t.on_site:,}", f"较前日 {t.on_site - y.on_site:+,}"),
        ("复工企业", f"{t.companies_back:,}/{t.companies:,}", f"较前日 {t.companies_back - y.companies_back:+,}"),
        ("高 / 中 / 低风险楼宇", " ".join(f"{g}{counts.get(g, 0)}" for g in GRADES),
         f"共 {t.buildings} 栋"),
        ("居家观察 / 体温异常", f"{t.home_observation:,} / {t.fever:,}",
         f"较前日 {t.home_observation - y.home_observation:+,}"),
    ]
    frame = pd.DataFrame([{"i": i, "label": r[0], "value": r[1], "delta": r[2]} for i, r in enumerate(rows)])
    base = alt.Chart(frame).encode(x=alt.X("i:O", axis=None))
    label = base.mark_text(fontSize=15, color="#55606e", dy=-34, font=FONT).encode(text="label:N")
    value = base.mark_text(fontSize=25, fontWeight="bold", color="#111827", font=FONT).encode(text="value:N")
    delta = base.mark_text(fontSize=13, color="#55606e", dy=30, font=FONT).encode(text="delta:N")
    return alt.layer(label, value, delta).properties(width=1100, height=100)


def _map(b: Briefing) -> alt.LayerChart:
    outline = alt.Chart(alt.Data(values=b.district["features"])).mark_geoshape(
        fill="#f3f5f8", stroke="#3c4858", strokeWidth=1.5)
    points = b.points.assign(lon=[p[0] for p in b.points["position"]], lat=[p[1] for p in b.points["position"]])
    points = points[["building_name", "lon", "lat", "grade", "on_site"]].assign(
        grade=points["grade"].fillna("低"))
    dots = alt.Chart(points).mark_point(filled=True, opacity=0.9, stroke="white", strokeWidth=0.5).encode(
        longitude="lon:Q", latitude="lat:Q",
        color=alt.Color("grade:N", scale=alt.Scale(domain=list(GRADES), range=[GRADE_STYLE[g]["color"] for g in GRADES]),
                        legend=alt.Legend(title="风险等级", orient="bottom-left")),
        shape=alt.Shape("grade:N", scale=alt.Scale(domain=list(GRADES), range=["triangle-up", "diamond", "circle"]),
                        legend=None),
        size=alt.Size("on_site:Q", scale=alt.Scale(range=[30, 400]), legend=None),
    )
    layers = [outline, dots]
    if b.key_points is not None and len(b.key_points):
        kp = b.key_points.assign(lon=[p[0] for p in b.key_points["position"]],
                                 lat=[p[1] for p in b.key_points["position"]])[["point_name", "point_type", "lon", "lat"]]
        layers.append(alt.Chart(kp).mark_point(shape="cross", filled=True, size=120, color="#7c3aed",
                                               stroke="white", strokeWidth=0.8).encode(
            longitude="lon:Q", latitude="lat:Q", opacity=alt.Opacity("point_type:N", legend=alt.Legend(
                title="重要点位（十字）", orient="bottom-right"), scale=alt.Scale(range=[0.95, 0.95]))))
    return alt.layer(*layers).project("mercator").properties(
        width=520, height=420, title="楼宇风险分布（点大小 = 在岗人数）")


def _high_list(b: Briefing) -> alt.Chart:
    high = b.grades[b.grades["grade"] == "高"]  # all of them, with the total in the title
    if high.empty:
        frame = pd.DataFrame([{"i": 0, "text": "今日无高风险楼宇"}])
    else:
        frame = pd.DataFrame([{"i": i, "text": f"▲ {r.building_name}（{r.street}）{r.score:.0f}分 — {r.main_reason}"}
                              for i, r in enumerate(high.itertuples(index=False))])
    return alt.Chart(frame).mark_text(align="left", fontSize=14, font=FONT, color="#111827").encode(
        y=alt.Y("i:O", axis=None), text="text:N", x=alt.value(0),
    ).properties(width=1100, height=24 * len(frame), title=f"高风险楼宇及主要原因（共 {len(high)} 栋）")


def _epidemic(b: Briefing) -> alt.HConcatChart | None:
    """防疫专项: 疫情发展 by scope (累计确诊 and 新增) and the 重要工作模块' 完成率 as bars."""
    if (b.epidemic is None or b.epidemic.empty) and (b.modules is None or b.modules.empty):
        return None
    parts = []
    if b.epidemic is not None and len(b.epidemic):
        def new(v: object) -> str:
            return "" if v is None or pd.isna(v) else f"新增 {int(v):+,}"

        frame = pd.DataFrame([{"i": i, "text": f"{r.scope}　累计确诊 {int(r.confirmed):,}　{new(r.confirmed_new)}　"
                                              f"现有密接 {0 if pd.isna(r.close_contacts) else int(r.close_contacts):,}　"
                                              f"居家观察 {0 if pd.isna(r.home_observation) else int(r.home_observation):,}"}
                              for i, r in enumerate(b.epidemic.itertuples(index=False))])
        parts.append(alt.Chart(frame).mark_text(align="left", fontSize=14, font=FONT, color="#111827").encode(
            y=alt.Y("i:O", axis=None), text="text:N", x=alt.value(0)).properties(
            width=520, height=26 * len(frame), title="疫情发展"))
    if b.modules is not None and len(b.modules):
        frame = b.modules.assign(rate=[None if pd.isna(v) else min(float(v), 1.0) for v in b.modules["completion"]],
                                 text=[("—" if pd.isna(c) else f"{float(c) * 100:.0f}%") + ("（未更新）" if st else "")
                                       for c, st in zip(b.modules["completion"], b.modules["stale"], strict=True)]
                                 )[["work_item", "rate", "text"]]
        base = alt.Chart(frame).encode(y=alt.Y("work_item:N", sort=None, title=None))
        bars = base.mark_bar(color="#2f80ed").encode(x=alt.X("rate:Q", title="完成率", axis=alt.Axis(format="%"),
                                                              scale=alt.Scale(domain=[0, 1.3])))
        text = base.mark_text(align="left", dx=4, fontSize=12, font=FONT).encode(x="rate:Q", text="text:N")
        parts.append(alt.layer(bars, text).properties(width=460, height=22 * len(frame), title="重要工作模块"))
    return alt.hconcat(*parts, spacing=40)


def chart(b: Briefing) -> alt.VConcatChart:
    sample = "（示例数据）" if b.sample else ""
    title = alt.TitleParams(
        f"复工态势简报 · {b.scope}{sample}",
        subtitle=[f"数据截至 {b.as_of.year}年{b.as_of.month}月{b.as_of.day}日；"
                  f"生成于 {b.made_at:%Y-%m-%d %H:%M}（上海时间）；复工态势台"],
        fontSize=24, subtitleFontSize=14, anchor="start", font=FONT, subtitleFont=FONT)
    curve = rate_chart(b.curve, metric="value", target=0.8, title="企业复工率与人员返岗率（7日均值）",
                       height=380, daily=False).properties(width=540)
    return alt.vconcat(
        _figures(b),
        alt.hconcat(_map(b), curve, spacing=30).resolve_scale(color="independent", shape="independent",
                                                              size="independent"),
        _high_list(b),
        *([epidemic] if (epidemic := _epidemic(b)) is not None else []),
        title=title, spacing=24,
    ).resolve_scale(color="independent").configure(font=FONT, background="white", padding=24).configure_view(stroke=None).configure_axis(
        labelFont=FONT, titleFont=FONT).configure_legend(labelFont=FONT, titleFont=FONT).configure_title(font=FONT)


def to_png(b: Briefing) -> bytes:
    _register_fonts()
    return vlc.vegalite_to_png(chart(b).to_dict(), scale=2)


def to_pdf(b: Briefing) -> bytes:
    _register_fonts()
    return vlc.vegalite_to_pdf(chart(b).to_dict())
