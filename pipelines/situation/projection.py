"""When does a resumption curve reach its target? A straight line through the recent working days.

Method (said in plain words on the page): take the working days (Monday to Friday) of the last 14 calendar
days up to the as-of date, fit a least-squares line through their daily rates, and read off the day the
line meets the target. The range is where lines with the slope's 80% confidence bounds, pivoting on the
mean point, meet it, widened to where a line through the last 7 days alone meets it: a curve that
is slowing down shows up as a later date. Weekends are left out because offices close then: a 7-day mean that includes them
stays well below a working day's figure and would never reach an 80% target.

A projection is refused, with the reason, when there are fewer than 5 working days, when the curve is not
rising, or when the line meets the target only after the horizon (default 120 days).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

WINDOW_DAYS = 14
MIN_POINTS = 5
HORIZON_DAYS = 120
MIN_SLOPE = 0.0005  # a rate rising less than 0.05 percentage points a day is not rising
# Two-sided 80% Student t quantiles (0.90) by degrees of freedom; 1.282 beyond the table.
_T90 = {1: 3.078, 2: 1.886, 3: 1.638, 4: 1.533, 5: 1.476, 6: 1.440, 7: 1.415, 8: 1.397, 9: 1.383, 10: 1.372,
        11: 1.363, 12: 1.356, 13: 1.350, 14: 1.345, 15: 1.341, 20: 1.325, 30: 1.310}

CAVEAT = (f"预计日期按截至日前 {WINDOW_DAYS} 天内工作日（周一至周五）的数值作直线外推，区间按趋势斜率的 80% 置信区间"
          "推算。复工曲线越接近上限增长越慢，直线外推往往偏乐观；节假日安排、疫情变化和政策调整都会改变走势。"
          "这是按当前趋势的估计，不是承诺。")


@dataclass(frozen=True)
class Projection:
    status: str  # reached | projected | beyond | not_rising | too_few
    target: float
    latest: float | None  # the latest working day's value
    latest_day: dt.date | None
    first_reached: dt.date | None  # first working day at or above the target
    estimate: dt.date | None
    earliest: dt.date | None
    latest_possible: dt.date | None  # None with status projected: no upper bound within the horizon
    slope_per_week: float | None  # percentage points per week, as a fraction (0.01 = 1 pp)
    points: int

    @property
    def text(self) -> str:
        """The projection in one plain Chinese sentence."""
        if self.status == "reached":
            since = f"，{_cn(self.first_reached)}首次达到" if self.first_reached else ""
            return f"已达到目标（最近工作日 {_pct(self.latest)}{since}）"
        if self.status == "too_few":
            return f"无法预计：近{WINDOW_DAYS}天只有 {self.points} 个工作日有数据（至少需要 {MIN_POINTS} 个）"
        if self.status == "not_rising":
            return f"无法预计：近{WINDOW_DAYS}天没有上升趋势（每周 {_pp(self.slope_per_week)}）"
        if self.status == "beyond":
            return f"按当前趋势 {HORIZON_DAYS} 天内达不到目标（每周 {_pp(self.slope_per_week)}）"
        upper = _cn(self.latest_possible) if self.latest_possible else f"{HORIZON_DAYS}天以后"
        return (f"预计 {_cn(self.estimate)} 前后达到（区间 {_cn(self.earliest)} 至 {upper}；"
                f"每周 {_pp(self.slope_per_week)}）")


def project(days: pd.Series, values: pd.Series, target: float, as_of: dt.date | None = None) -> Projection:
    """Project one daily series (days: dates, values: rates 0-1) to the day it reaches `target`."""
    series = pd.DataFrame({"day": pd.to_datetime(days).dt.date, "value": values.astype(float)}).dropna()
    if as_of is not None:
        series = series[series["day"] <= as_of]
    series = series.sort_values("day")
    work = series[[d.weekday() < 5 for d in series["day"]]]
    if work.empty:
        return Projection("too_few", target, None, None, None, None, None, None, None, 0)
    end = as_of or work["day"].iloc[-1]
    latest_day, latest = work["day"].iloc[-1], float(work["value"].iloc[-1])
    reached = work[work["value"] >= target]
    first_reached = reached["day"].iloc[0] if len(reached) else None
    recent = work[work["day"] > end - dt.timedelta(days=WINDOW_DAYS)]
    n = len(recent)
    if latest >= target:
        return Projection("reached", target, latest, latest_day, first_reached, None, None, None,
                          _slope(recent) * 7 if n >= 2 else None, n)
    if n < MIN_POINTS:
        return Projection("too_few", target, latest, latest_day, first_reached, None, None, None, None, n)
    xs = [(d - end).days for d in recent["day"]]
    ys = list(recent["value"])
    x_mean, y_mean = sum(xs) / n, sum(ys) / n
    sxx = sum((x - x_mean) ** 2 for x in xs)
    slope = sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True)) / sxx
    if slope < MIN_SLOPE:
        return Projection("not_rising", target, latest, latest_day, first_reached, None, None, None, slope * 7, n)
    residual = sum((y - (y_mean + slope * (x - x_mean))) ** 2 for x, y in zip(xs, ys, strict=True))
    se = math.sqrt(residual / (n - 2) / sxx) if n > 2 else 0.0
    t = _T90.get(n - 2) or next((v for k, v in sorted(_T90.items()) if k >= n - 2), 1.282)

    def crossing(s: float) -> float:
        return x_mean + (target - y_mean) / s

    estimate = crossing(slope)
    if estimate > HORIZON_DAYS:
        return Projection("beyond", target, latest, latest_day, first_reached, None, None, None, slope * 7, n)
    candidates = [crossing(slope + t * se), estimate]
    low_slope = slope - t * se
    latest_cross = crossing(low_slope) if low_slope > 0 else None
    week = recent[recent["day"] > end - dt.timedelta(days=7)]
    if len(week) >= 3:  # the last week alone: a slowing curve reaches the target later
        week_slope = _slope(week)
        week_mean_x = sum((d - end).days for d in week["day"]) / len(week)
        week_cross = week_mean_x + (target - float(week["value"].mean())) / week_slope if week_slope > 0 else None
        if week_cross is None:
            latest_cross = None
        else:
            candidates.append(week_cross)
            if latest_cross is not None:
                latest_cross = max(latest_cross, week_cross)
    earliest = min(candidates)
    if latest_cross is not None and latest_cross > HORIZON_DAYS:
        latest_cross = None

    def day(x: float) -> dt.date:
        return end + dt.timedelta(days=max(1, math.ceil(x)))

    return Projection("projected", target, latest, latest_day, first_reached, day(estimate), day(earliest),
                      day(latest_cross) if latest_cross is not None else None, slope * 7, n)


def _slope(frame: pd.DataFrame) -> float:
    xs = [d.toordinal() for d in frame["day"]]
    ys = list(frame["value"])
    n = len(xs)
    x_mean, y_mean = sum(xs) / n, sum(ys) / n
    sxx = sum((x - x_mean) ** 2 for x in xs)
    return sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0


def _cn(day: dt.date | None) -> str:
    return "—" if day is None else f"{day.month}月{day.day}日"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _pp(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f} 个百分点"


def project_groups(curve: pd.DataFrame, metric: str, target: float, as_of: dt.date | None = None
                   ) -> dict[str, Projection]:
    """A projection per group of a metrics.curve(...) frame, keyed by the group's label."""
    return {str(label): project(group["day"], group[metric], target, as_of)
            for label, group in curve.groupby("group_label", sort=False)}


def table(curve: pd.DataFrame, target: float, as_of: dt.date | None = None) -> pd.DataFrame:
    """Both metrics' projections per group as one table with Chinese headers, for the page and downloads."""
    rows = []
    for metric, label in (("company_rate", "企业复工率"), ("staff_rate", "人员返岗率")):
        for group, p in project_groups(curve, metric, target, as_of).items():
            last = curve[curve["group_label"] == group].sort_values("day").iloc[-1]
            rows.append({
                "分组": group, "指标": label,
                "最近工作日": p.latest_day, "最近工作日数值": p.latest,
                "7日均值": last[f"{metric}_7d"],
                "近14天每周变化(百分点)": None if p.slope_per_week is None else round(p.slope_per_week * 100, 1),
                "预计达到目标": p.estimate if p.status == "projected" else (p.first_reached if p.status == "reached"
                                                                       else None),
                "最早": p.earliest, "最晚": p.latest_possible,
                "说明": p.text,
            })
    return pd.DataFrame(rows)
