"""Chart builders (Altair) shared by the pages and the big screen. No Streamlit calls here.

Dates on axes read 2月17日; rates are shown as percentages; milestones and the target are drawn on every
resumption chart so that a reader sees where the curve stands against them.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from pipelines.core.contract import REQUEST_STATUSES
from pipelines.grading import risk
from pipelines.situation.metrics import MILESTONES
from pipelines.situation.projection import Projection

DATE_FORMAT = "%-m月%-d日"
DATE_AXIS = alt.Axis(format=DATE_FORMAT, labelAngle=0, title=None, labelOverlap=True)
PCT_AXIS = alt.Axis(format=".0%", title=None)
METRIC_LABELS = {"company_rate": "企业复工率", "staff_rate": "人员返岗率"}
# Curves get their own palette: red / amber / green are the grades' colours and mean risk elsewhere.
PALETTE = ["#1f5fa8", "#e07a1f", "#6a3d9a", "#17a2b8", "#8c564b", "#b8a600", "#c2417f", "#5f6b7a", "#393b79",
           "#3c8d5a"]
STATUS_COLOURS = {"待办": "#d7263d", "办理中": "#f4a259", "已办结": "#2e9e5b"}


def _days(frame: pd.DataFrame, column: str = "day") -> pd.Series:
    return pd.to_datetime(frame[column])


def rate_chart(curve: pd.DataFrame, metric: str = "staff_rate", *, target: float | None = 0.8,
               title: str | None = None, height: int = 320, daily: bool = True,
               projections: dict[str, Projection] | None = None, dark: bool = False) -> alt.LayerChart:
    """One resumption metric by day per group: faint daily values, a solid 7-day mean, the target line,
    the milestones, and (optionally) each group's projection to the target as a dashed line with its range.

    `curve` is metrics.curve(...): day, group_label, <metric>, <metric>_7d.
    """
    label = METRIC_LABELS.get(metric, metric)
    data = pd.DataFrame({
        "day": _days(curve),
        "分组": curve["group_label"].astype(str),
        "当日": curve[metric].astype(float),
        "7日均值": curve[f"{metric}_7d"].astype(float),
    })
    groups = list(dict.fromkeys(data["分组"]))
    colour = alt.Color("分组:N", sort=groups, scale=alt.Scale(domain=groups, range=PALETTE[:max(1, len(groups))]
                                                             if len(groups) <= len(PALETTE) else None),
                       legend=alt.Legend(title=None, orient="top", labelLimit=220, symbolOpacity=1,
                                         symbolStrokeWidth=3))
    base = alt.Chart(data).encode(x=alt.X("day:T", axis=DATE_AXIS, title=None))
    tooltip = [alt.Tooltip("day:T", title="日期", format=DATE_FORMAT), alt.Tooltip("分组:N"),
               alt.Tooltip("当日:Q", format=".1%"), alt.Tooltip("7日均值:Q", format=".1%")]
    layers: list[alt.Chart] = []
    if daily:
        layers.append(base.mark_line(strokeWidth=1, opacity=0.4, point=alt.OverlayMarkDef(size=12, opacity=0.4))
                      .encode(y=alt.Y("当日:Q", axis=PCT_AXIS, scale=alt.Scale(domain=[0, 1])), color=colour,
                              tooltip=tooltip))
    layers.append(base.mark_line(strokeWidth=3)
                  .encode(y=alt.Y("7日均值:Q", axis=PCT_AXIS, scale=alt.Scale(domain=[0, 1])), color=colour,
                          tooltip=tooltip))
    layers.extend(_milestones(data["day"].min(), data["day"].max(), dark))
    if target is not None:
        layers.append(_target(target, dark))
    if projections:
        layers.extend(_projection_layers(projections, target, groups))
    chart = alt.layer(*layers).properties(height=height, title=title or label)
    return chart


def _milestones(first: pd.Timestamp, last: pd.Timestamp, dark: bool = False) -> list[alt.Chart]:
    rows = [{"day": pd.Timestamp(d), "里程碑": f"{name}（{d.month}月{d.day}日）", "short": name}
            for d, name in MILESTONES if pd.notna(first) and first <= pd.Timestamp(d) <= last]
    if not rows:
        return []
    frame = pd.DataFrame(rows)
    colour = "#cbd2d9" if dark else "#52606d"
    rule = alt.Chart(frame).mark_rule(strokeDash=[2, 3], color=colour).encode(
        x="day:T", tooltip=[alt.Tooltip("里程碑:N")])
    text = alt.Chart(frame).mark_text(align="left", dx=3, dy=-4, baseline="top", color=colour,
                                      fontSize=20 if dark else 11).encode(
        x="day:T", y=alt.value(2), text="short:N")
    return [rule, text]


def _target(target: float, dark: bool = False) -> alt.Chart:
    frame = pd.DataFrame({"目标": [target], "text": [f"目标 {target * 100:.0f}%"]})
    rule = alt.Chart(frame).mark_rule(color="#d7263d", strokeDash=[6, 4], strokeWidth=1.5).encode(
        y="目标:Q", tooltip=[alt.Tooltip("目标:Q", format=".0%")])
    text = alt.Chart(frame).mark_text(align="left", dx=4, dy=-12 if dark else -7, color="#ff6b7d" if dark else "#d7263d",
                                      fontSize=20 if dark else 11).encode(
        y="目标:Q", x=alt.value(0), text="text:N")
    return rule + text


def _projection_layers(projections: dict[str, Projection], target: float | None, groups: list[str]
                       ) -> list[alt.Chart]:
    lines, ranges = [], []
    for group, p in projections.items():
        if p.status != "projected" or p.latest_day is None or p.estimate is None:
            continue
        lines += [{"分组": group, "day": pd.Timestamp(p.latest_day), "value": p.latest},
                  {"分组": group, "day": pd.Timestamp(p.estimate), "value": p.target}]
        ranges.append({"分组": group, "from": pd.Timestamp(p.earliest), "value": p.target,
                       "to": pd.Timestamp(p.latest_possible or p.estimate + dt.timedelta(days=30)),
                       "预计": p.text})
    if not lines:
        return []
    colour = alt.Color("分组:N", sort=groups, legend=None,
                       scale=alt.Scale(domain=groups, range=PALETTE[:len(groups)]) if len(groups) <= len(PALETTE)
                       else alt.Undefined)
    line = alt.Chart(pd.DataFrame(lines)).mark_line(strokeDash=[4, 3], strokeWidth=2).encode(
        x="day:T", y="value:Q", color=colour, detail="分组:N")
    band = alt.Chart(pd.DataFrame(ranges)).mark_rule(strokeWidth=6, opacity=0.35).encode(
        x="from:T", x2="to:T", y="value:Q", color=colour, tooltip=[alt.Tooltip("分组:N"), alt.Tooltip("预计:N")])
    return [line, band]


def small_multiples(curve: pd.DataFrame, metric: str = "staff_rate", *, target: float | None = 0.8,
                    columns: int = 5, width: int = 150, height: int = 110) -> alt.FacetChart:
    """The same metric per group (e.g. industry) as a grid of small charts sharing both axes."""
    data = pd.DataFrame({
        "day": _days(curve),
        "分组": curve["group_label"].astype(str),
        "当日": curve[metric].astype(float),
        "7日均值": curve[f"{metric}_7d"].astype(float),
    })
    base = alt.Chart().encode(x=alt.X("day:T", axis=alt.Axis(format=DATE_FORMAT, title=None, tickCount=3,
                                                               labelAngle=0)))
    y_axis = alt.Y("7日均值:Q", axis=alt.Axis(format=".0%", title=None, tickCount=3), scale=alt.Scale(domain=[0, 1]))
    data["工作日"] = [v if d.weekday() < 5 else None for d, v in zip(data["day"], data["当日"], strict=True)]
    layers = [
        base.mark_area(opacity=0.12, color="#1f5fa8").encode(y=y_axis),
        base.mark_line(strokeWidth=1, color="#e07a1f").transform_filter("isValid(datum['工作日'])").encode(
            y=alt.Y("工作日:Q", scale=alt.Scale(domain=[0, 1]))),
        base.mark_line(strokeWidth=2.5, color="#1f5fa8").encode(
            y=y_axis, tooltip=[alt.Tooltip("day:T", title="日期", format=DATE_FORMAT), "分组:N",
                               alt.Tooltip("当日:Q", format=".1%"), alt.Tooltip("7日均值:Q", format=".1%")]),
    ]
    if target is not None:
        layers.append(alt.Chart().mark_rule(color="#d7263d", strokeDash=[4, 3]).encode(y=alt.datum(target)))
    order = (data.groupby("分组")["7日均值"].last().sort_values(ascending=False).index.tolist())
    return alt.layer(*layers, data=data).properties(width=width, height=height).facet(
        facet=alt.Facet("分组:N", sort=order, title=None, header=alt.Header(labelFontSize=12)), columns=columns,
    ).properties(title=f"{METRIC_LABELS.get(metric, metric)}（分行业，按最新 7 日均值排序）：蓝色粗线为 7 日均值，"
                        "橙色细线为工作日数值，红虚线为目标")


def request_bars(table: pd.DataFrame, height: int | None = None) -> alt.Chart:
    """Requests per category, stacked by status. `table` is company_requests.counts(...)."""
    long = table.melt(id_vars="类别", value_vars=[s for s in REQUEST_STATUSES if s in table.columns],
                      var_name="状态", value_name="件数")
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("类别:N", sort=list(table["类别"]), title=None, axis=alt.Axis(labelOverlap=False)),
        x=alt.X("件数:Q", title="件数", stack=True),
        color=alt.Color("状态:N", sort=list(REQUEST_STATUSES),
                        scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
                        legend=alt.Legend(orient="top", title=None)),
        order=alt.Order("status_order:Q"),
        tooltip=["类别:N", "状态:N", "件数:Q"],
    ).transform_calculate(status_order="indexof(['待办', '办理中', '已办结'], datum['状态'])").properties(
        height=height or 44 * len(table) + 20)


def checklist_heatmap(long: pd.DataFrame, height: int = 200) -> alt.Chart:
    """Inspection results by area (rows) and check date (columns): share of items passed, and passed/items."""
    data = long.copy()
    data["日期"] = pd.to_datetime(data["check_date"]).map(lambda d: f"{d.month}月{d.day}日")
    data["通过"] = [f"{int(p)}/{i}" if pd.notna(p) else "—" for p, i in zip(data["passed"], data["items"],
                                                                            strict=True)]
    dates = list(dict.fromkeys(data.sort_values("check_date")["日期"]))
    areas = list(dict.fromkeys(data["area"]))
    base = alt.Chart(data).encode(x=alt.X("日期:O", sort=dates, title=None, axis=alt.Axis(labelAngle=-45)),
                                  y=alt.Y("area:N", sort=areas, title=None))
    rect = base.mark_rect().encode(
        color=alt.Color("share:Q", title="通过率", scale=alt.Scale(domain=[0.4, 1], scheme="redyellowgreen"),
                        legend=alt.Legend(format=".0%")),
        tooltip=[alt.Tooltip("日期:O"), alt.Tooltip("area:N", title="方面"), alt.Tooltip("通过:N"),
                 alt.Tooltip("share:Q", title="通过率", format=".0%")])
    text = base.mark_text(fontSize=10).encode(text="通过:N")
    return (rect + text).properties(height=height)


RETURNEE_LABELS = {"from_key_areas": "重点地区返沪", "from_abroad": "境外返沪", "home_observation": "居家观察",
                   "fever": "体温异常"}


def returnees_chart(frame: pd.DataFrame, height: int = 220) -> alt.Chart:
    """People returned from key areas / abroad, under home observation and with fever, by day."""
    long = frame.rename(columns=RETURNEE_LABELS).melt(id_vars="day", value_vars=list(RETURNEE_LABELS.values()),
                                                      var_name="类别", value_name="人数")
    long["day"] = pd.to_datetime(long["day"])
    colours = ["#1f5fa8", "#7b4fb0", "#f4a259", "#d7263d"]
    return alt.Chart(long).mark_line(point=alt.OverlayMarkDef(size=14)).encode(
        x=alt.X("day:T", axis=DATE_AXIS),
        y=alt.Y("人数:Q", title="人数"),
        color=alt.Color("类别:N", sort=list(RETURNEE_LABELS.values()),
                        scale=alt.Scale(domain=list(RETURNEE_LABELS.values()), range=colours),
                        legend=alt.Legend(orient="top", title=None)),
        tooltip=[alt.Tooltip("day:T", title="日期", format=DATE_FORMAT), "类别:N", "人数:Q"],
    ).properties(height=height)


def grade_history_chart(history: pd.DataFrame, height: int = 180) -> alt.Chart:
    """A building's score by day, each point in its grade's colour and shape."""
    data = history.copy()
    data["day"] = pd.to_datetime(data["day"])
    data["等级"] = [risk.style(g)["label"] for g in data["grade"]]  # the shape is drawn by the point itself
    domain = [risk.style(g)["label"] for g in risk.GRADES]
    colours = [risk.style(g)["color"] for g in risk.GRADES]
    shapes = ["triangle-up", "diamond", "circle"]
    line = alt.Chart(data).mark_line(color="#9aa5b1").encode(x=alt.X("day:T", axis=DATE_AXIS),
                                                             y=alt.Y("score:Q", title="评分"))
    points = alt.Chart(data).mark_point(filled=True, size=50).encode(
        x="day:T", y="score:Q",
        color=alt.Color("等级:N", scale=alt.Scale(domain=domain, range=colours), legend=alt.Legend(orient="top",
                                                                                                title=None)),
        shape=alt.Shape("等级:N", scale=alt.Scale(domain=domain, range=shapes)),
        tooltip=[alt.Tooltip("day:T", title="日期", format=DATE_FORMAT), "等级:N",
                 alt.Tooltip("score:Q", title="评分", format=".1f")])
    return (line + points).properties(height=height)
