"""The risk model: explainable high/medium/low grades per building and day.

Factor values come from SQL (sql/grading/building_facts.sql), are scored by piecewise-linear curves and
weights from grading.toml (or a saved version of it), graded by thresholds, and raised by hard rules.
Every grade keeps its factors and the rule that fired, so the page can say why.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from pipelines.core.contract import CHECK_ITEMS_TOTAL
from pipelines.core.errors import UserError
from pipelines.core.hooks import after_write
from pipelines.core.settings import ROOT
from pipelines.core.store import Store, read_sql
from pipelines.core.vocabulary import industry_of

CONFIG_FILE = ROOT / "grading.toml"
GRADES = ("高", "中", "低")
GRADE_STYLE = {  # label, shape and colour: a grade is readable without colour
    "高": {"label": "高风险", "shape": "▲", "color": "#d7263d"},
    "中": {"label": "中风险", "shape": "◆", "color": "#f4a259"},
    "低": {"label": "低风险", "shape": "●", "color": "#2e9e5b"},
}
FACTOR_KEYS = ("density", "tenants", "staff_on_site", "mobility", "business_mix", "measures", "duty", "ledger")
RULE_KEYS = {"fever": ("days", "grade"), "checklist": ("below", "grade"), "stale_inspection": ("days", "grade")}
# Factors where a higher value means a lower risk (pass rate, duty score, ledger quality): their curves fall.
FALLING = ("measures", "duty", "ledger")
FACTOR_KEYS_ALLOWED = {"label", "unit", "weight", "points", "missing_points", "stale_after_days", "ageing_per_day",
                       "risky_trades", "risky_weight"}


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    unit: str
    weight: float
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    missing_points: float = 0.0


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    grade: str
    days: int | None = None
    below: float | None = None
    enabled: bool = True


@dataclass(frozen=True)
class GradingConfig:
    high: float
    medium: float
    factors: dict[str, Factor]
    rules: dict[str, Rule]
    stale_after_days: int = 7
    ageing_per_day: float = 0.02
    risky_trades: tuple[str, ...] = ()  # grading.toml factors.business_mix
    risky_weight: float = 0.0
    text: str = field(default="", compare=False)
    version: int = 0  # 0: the file shipped with the code; n: grading_configs.version

    def label(self, factor_key: str | None) -> str:
        return self.factors[factor_key].label if factor_key in self.factors else ""


# -- configuration ---------------------------------------------------------------------------

def parse_config(text: str, version: int = 0) -> GradingConfig:
    """Parse and check a grading configuration; every problem is named with its key, in Chinese."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"评分配置不是有效的 TOML：{exc}") from None
    problems: list[str] = []
    for key in raw:
        if key not in ("thresholds", "factors", "rules"):
            problems.append(f"未知的配置项“{key}”")
    thresholds = raw.get("thresholds", {})
    for key in thresholds:
        if key not in ("high", "medium"):
            problems.append(f"thresholds 下未知的配置项“{key}”")
    high, medium = thresholds.get("high"), thresholds.get("medium")
    if not isinstance(high, (int, float)) or not isinstance(medium, (int, float)):
        problems.append("thresholds 须有数值 high 和 medium")
    elif not 0 < medium < high <= 100:
        problems.append(f"阈值须满足 0 < medium < high ≤ 100，现为 medium={medium}、high={high}")
    factors: dict[str, Factor] = {}
    stale_after, ageing = 7, 0.02
    risky_trades: tuple[str, ...] = ()
    risky_weight: float = 0.0
    raw_factors = raw.get("factors", {})
    for key in raw_factors:
        if key not in FACTOR_KEYS:
            problems.append(f"未知的因子“{key}”（可用：{'、'.join(FACTOR_KEYS)}）")
    for key in FACTOR_KEYS:
        spec = raw_factors.get(key)
        if spec is None:
            problems.append(f"缺少因子“{key}”")
            continue
        for k in spec:
            if k not in FACTOR_KEYS_ALLOWED:
                problems.append(f"factors.{key} 下未知的配置项“{k}”")
        points = spec.get("points", [])
        ok = isinstance(points, list) and len(points) >= 2 and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(v, (int, float)) for v in p) for p in points)
        if not ok:
            problems.append(f"factors.{key}.points 须为至少两个 [值, 分] 对")
            continue
        xs = tuple(float(p[0]) for p in points)
        ys = tuple(float(p[1]) for p in points)
        if any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
            problems.append(f"factors.{key}.points 的值须严格递增：{list(xs)}")
        rising = all(b >= a for a, b in zip(ys, ys[1:], strict=False))
        falling = all(b <= a for a, b in zip(ys, ys[1:], strict=False))
        if not (rising or falling):
            problems.append(f"factors.{key}.points 的分数须单调（只升或只降）：{list(ys)}")
        elif key in FALLING and not falling:
            problems.append(f"factors.{key}.points 的分数须随数值下降（数值越高风险越低）")
        elif key not in FALLING and not rising:
            problems.append(f"factors.{key}.points 的分数须随数值上升（数值越高风险越高）")
        if any(not 0 <= y <= 100 for y in ys):
            problems.append(f"factors.{key}.points 的分数须在 0–100 之间")
        weight = spec.get("weight")
        if not isinstance(weight, (int, float)) or weight < 0:
            problems.append(f"factors.{key}.weight 须为非负数")
            weight = 0.0
        if key == "measures":
            stale_after = int(spec.get("stale_after_days", stale_after))
            ageing = float(spec.get("ageing_per_day", ageing))
        if key == "business_mix":
            shipped = _shipped_business_mix()  # configs saved before these keys existed mean the shipped ones
            trades = spec.get("risky_trades", shipped["risky_trades"])
            if not isinstance(trades, list) or not all(isinstance(t, str) and t for t in trades):
                problems.append("factors.business_mix.risky_trades 须为行业名称列表")
                trades = []
            # matched on the names the store keeps: a config saved with 餐饮 means 住宿和餐饮业
            risky_trades = tuple(dict.fromkeys(industry_of(t) or t for t in trades))
            risky_weight = spec.get("risky_weight", shipped["risky_weight"])
            if not isinstance(risky_weight, (int, float)) or risky_weight < 0:
                problems.append("factors.business_mix.risky_weight 须为非负数")
                risky_weight = 0.0
        factors[key] = Factor(key, str(spec.get("label", key)), str(spec.get("unit", "")), float(weight), xs, ys,
                              float(spec.get("missing_points", 0)))
    total = sum(f.weight for f in factors.values())
    if len(factors) == len(FACTOR_KEYS) and abs(total - 1.0) > 0.001:  # a missing factor is named above
        problems.append(f"各因子权重之和须为 1，现为 {total:.3f}")
    rules: dict[str, Rule] = {}
    raw_rules = raw.get("rules", {})
    for key in raw_rules:
        if key not in RULE_KEYS:
            problems.append(f"未知的规则“{key}”（可用：{'、'.join(RULE_KEYS)}）")
    for key, params in RULE_KEYS.items():
        spec = raw_rules.get(key)
        if spec is None:
            rules[key] = Rule(key, key, "中", enabled=False)
            continue
        for k in spec:
            if k not in (*params, "label", "enabled"):
                problems.append(f"rules.{key} 下未知的配置项“{k}”")
        grade = spec.get("grade")
        if grade not in GRADES:
            problems.append(f"rules.{key}.grade 须为 高/中/低 之一")
        value = spec.get(params[0])
        if not isinstance(value, (int, float)):
            problems.append(f"rules.{key}.{params[0]} 须为数值")
            value = 0
        rules[key] = Rule(key, str(spec.get("label", key)), grade if grade in GRADES else "中",
                          days=int(value) if params[0] == "days" else None,
                          below=float(value) if params[0] == "below" else None,
                          enabled=bool(spec.get("enabled", True)))
    if problems:
        raise UserError("评分配置有误：" + "；".join(problems), "请修改后再保存")
    return GradingConfig(float(high), float(medium), factors, rules, stale_after_days=stale_after,
                         ageing_per_day=ageing, risky_trades=risky_trades, risky_weight=float(risky_weight),
                         text=text, version=version)


@functools.cache
def _shipped_business_mix() -> dict[str, object]:
    return tomllib.loads(CONFIG_FILE.read_text(encoding="utf-8"))["factors"]["business_mix"]


@functools.lru_cache(maxsize=1)
def default_config() -> GradingConfig:
    return parse_config(CONFIG_FILE.read_text(encoding="utf-8"))


def active_config(cur: duckdb.DuckDBPyConnection) -> GradingConfig:
    """The latest saved configuration, else the file shipped with the code."""
    rows = cur.execute("select version, config from grading_configs order by version desc limit 1").fetchall()
    if rows:
        return parse_config(rows[0][1], rows[0][0])
    return default_config()


def save_config(store: Store, text: str, actor: str, note: str = "") -> int:
    """Save a new configuration version (audited) and regrade every day with it."""
    config = parse_config(text)
    with store.transaction() as cur:
        before = active_config(cur)
        version = store.next_id(cur, "grading_config_seq", "grading_configs", "version")
        cur.execute("insert into grading_configs (version, config, created_by, note) values (?, ?, ?, ?)",
                    [version, text, actor, note])
        store.audit(cur, actor, "config.save", f"grading v{version}", {"version": before.version},
                    {"version": version, "note": note})
        _write(cur, parse_config(config.text, version), None)
    return version


def config_with(config: GradingConfig, weights: dict[str, float] | None = None,
                high: float | None = None, medium: float | None = None) -> GradingConfig:
    """A what-if variant: other weights or thresholds, nothing saved."""
    factors = {k: Factor(f.key, f.label, f.unit, (weights or {}).get(k, f.weight), f.xs, f.ys, f.missing_points)
               for k, f in config.factors.items()}
    return dataclasses.replace(config, high=config.high if high is None else high,
                               medium=config.medium if medium is None else medium, factors=factors, text="",
                               version=-1)


def config_to_toml(config: GradingConfig) -> str:
    """Write a configuration back as TOML (for saving a what-if)."""
    out = io.StringIO()
    out.write(f"[thresholds]\nhigh = {config.high:g}\nmedium = {config.medium:g}\n")
    for f in config.factors.values():
        out.write(f"\n[factors.{f.key}]\nlabel = \"{f.label}\"\nunit = \"{f.unit}\"\nweight = {f.weight:g}\n")
        out.write("points = [" + ", ".join(f"[{x:g}, {y:g}]" for x, y in zip(f.xs, f.ys, strict=True)) + "]\n")
        if f.missing_points:
            out.write(f"missing_points = {f.missing_points:g}\n")
        if f.key == "measures":
            out.write(f"stale_after_days = {config.stale_after_days}\nageing_per_day = {config.ageing_per_day:g}\n")
        if f.key == "business_mix":
            trades = ", ".join(json.dumps(t, ensure_ascii=False) for t in config.risky_trades)
            out.write(f"risky_trades = [{trades}]\nrisky_weight = {config.risky_weight:g}\n")
    for r in config.rules.values():
        if not r.enabled and r.label == r.key:
            continue
        param = f"days = {r.days}" if r.days is not None else f"below = {r.below:g}"
        out.write(f"\n[rules.{r.key}]\nlabel = \"{r.label}\"\n{param}\ngrade = \"{r.grade}\"\n")
        if not r.enabled:
            out.write("enabled = false\n")
    return out.getvalue()


# -- computing -------------------------------------------------------------------------------

def _factor_table(config: GradingConfig) -> pa.Table:
    fs = list(config.factors.values())
    return pa.table({
        "factor": [f.key for f in fs],
        "weight": [f.weight for f in fs],
        "xs": [list(f.xs) for f in fs],
        "ys": [list(f.ys) for f in fs],
        "missing_points": [f.missing_points for f in fs],
    })


def _score_params(config: GradingConfig) -> dict[str, object]:
    r = config.rules
    return {
        "high": config.high, "medium": config.medium,
        "fever_on": r["fever"].enabled, "fever_days": r["fever"].days or 14, "fever_grade": r["fever"].grade,
        "checklist_on": r["checklist"].enabled, "checklist_below": r["checklist"].below or 0.0,
        "checklist_grade": r["checklist"].grade,
        "stale_on": r["stale_inspection"].enabled, "stale_days": r["stale_inspection"].days or 0,
        "stale_grade": r["stale_inspection"].grade,
        "fever_label": r["fever"].label, "checklist_label": r["checklist"].label,
        "stale_label": r["stale_inspection"].label,
    }


def compute(cur: duckdb.DuckDBPyConnection, config: GradingConfig, since: dt.date | None = None,
            until: dt.date | None = None) -> None:
    """Compute grades into temp tables computed_grades and computed_factors on this cursor. Writes nothing."""
    cur.execute(f"create or replace temp table building_facts as {read_sql('grading/building_facts.sql')}",
                {"since": since, "until": until, "stale_after_days": config.stale_after_days,
                 "ageing_per_day": config.ageing_per_day,
                 "risky_trades": list(config.risky_trades), "risky_weight": config.risky_weight,
                 "check_items_total": CHECK_ITEMS_TOTAL, "fever_days": config.rules["fever"].days or 14})
    cur.register("grading_factors", _factor_table(config))
    cur.execute(read_sql("grading/factor_rows.sql"))
    cur.unregister("grading_factors")
    cur.execute(f"create or replace temp table computed_grades as {read_sql('grading/score.sql')}",
                _score_params(config))


def _write(cur: duckdb.DuckDBPyConnection, config: GradingConfig, since: dt.date | None) -> None:
    # Every reader sorts or looks rows up by key, so the rows may be written in any order: that lets
    # DuckDB use both cores for the temp tables and inserts (a full city regrade: 7 s -> 5 s).
    cur.execute("set session preserve_insertion_order = false")
    try:
        compute(cur, config, since)
        # Derived rows only: the grades of these days are replaced by their recomputation.
        cur.execute("delete from building_grades where $since is null or day >= $since", {"since": since})
        cur.execute("delete from building_factors where $since is null or day >= $since", {"since": since})
        cur.execute("insert into building_grades select day, building_id, score, score_grade, computed_grade, "
                    "rule_label, rule_detail, main_factor, ? from computed_grades", [config.version])
        cur.execute("insert into building_factors select * from computed_factors")
    finally:
        try:
            cur.execute("reset session preserve_insertion_order")
        except duckdb.TransactionException:
            pass  # a failed statement aborted the transaction; its cursor is closed with it


@after_write(order=20)
def regrade(cur: duckdb.DuckDBPyConnection, touched_days: list[dt.date] | None = None) -> None:
    """Recompute grades inside the caller's transaction: from the earliest touched day on
    (later days' 14-day windows and latest inspections may depend on it), or every day."""
    since = min(touched_days) if touched_days else None
    if touched_days is not None and not touched_days:
        return
    _write(cur, active_config(cur), since)


def regrade_all(store: Store) -> float:
    """Full regrade in its own transaction; returns seconds taken."""
    import time

    started = time.perf_counter()
    with store.transaction() as cur:
        _write(cur, active_config(cur), None)
    return time.perf_counter() - started


# -- reading ---------------------------------------------------------------------------------

def latest_graded_day(cur: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The latest graded day up to the as-of day (a day few companies have reported yet is not shown)."""
    return cur.execute("select max(day) from building_grades where day <= (select day from as_of_day)"
                       ).fetchall()[0][0]


def grades_on(cur: duckdb.DuckDBPyConnection, day: dt.date, street: str | None = None) -> pd.DataFrame:
    """Every building's grade on a day, with override, change since the previous day and main reason."""
    config = active_config(cur)
    frame = cur.execute(read_sql("queries/grades_on.sql"), {"day": day, "street": street}).df()
    frame["main_factor"] = frame["main_factor_key"].map(config.label)
    frame["main_reason"] = [
        _reason(config, row) for row in frame.itertuples(index=False)
    ]
    return frame


def _reason(config: GradingConfig, row) -> str:
    if isinstance(row.override_reason, str) and row.override:
        return f"人工调整：{row.override_reason}"
    if isinstance(row.rule, str) and row.rule:
        return f"{row.rule}（{row.rule_detail}）"
    factor = config.factors.get(row.main_factor_key)
    if factor is None:
        return ""
    what = VALUE_NAMES.get(factor.key, "")
    return f"{factor.label}：{what}{format_value(factor.key, row.main_value)}，贡献 {row.main_contribution:.1f} 分"


# What a factor's number is, so that "63.6%" reads as a pass rate and not as a risk.
VALUE_NAMES = {"measures": "检查通过率 ", "mobility": "14天返沪人员占在岗 ", "ledger": "底账完整度 ",
               "duty": "物业履责评分 ", "business_mix": "业态指数 ", "tenants": "入驻企业 ",
               "staff_on_site": "在岗 "}


def format_value(factor_key: str, value: float | None) -> str:
    if value is None or pd.isna(value):
        return "无记录"
    if factor_key in ("mobility", "measures", "ledger"):
        return f"{value * 100:.1f}%"
    if factor_key == "density":
        return f"{value:.1f} 人/千㎡"
    if factor_key == "duty":
        return f"{value:.0f} 分"
    if factor_key == "business_mix":
        return f"{value:.1f}"  # effective kinds + 10 x risky share: 11.5 is not 12
    return f"{value:,.0f}"


def building_factors(cur: duckdb.DuckDBPyConnection, building_id: str, day: dt.date) -> pd.DataFrame:
    """The factor table of one building on one day: value, points, weight, contribution."""
    config = active_config(cur)
    frame = cur.execute(read_sql("queries/building_factors.sql"), {"building_id": building_id, "day": day}).df()
    frame["label"] = frame["factor"].map(config.label)
    frame["unit"] = frame["factor"].map(lambda k: config.factors[k].unit if k in config.factors else "")
    frame["shown_value"] = [format_value(k, v) for k, v in zip(frame["factor"], frame["value"], strict=True)]
    return frame


def grade_history(cur: duckdb.DuckDBPyConnection, building_id: str) -> pd.DataFrame:
    return cur.execute(read_sql("queries/grade_history.sql"), {"building_id": building_id}).df()


def grade_counts(cur: duckdb.DuckDBPyConnection, day: dt.date, street: str | None = None) -> dict[str, int]:
    frame = grades_on(cur, day, street)
    return {g: int((frame["grade"] == g).sum()) for g in GRADES}


def what_if(cur: duckdb.DuckDBPyConnection, config: GradingConfig, day: dt.date,
            street: str | None = None) -> pd.DataFrame:
    """Grades on `day` under another configuration, next to the current ones. Nothing is written."""
    compute(cur, config, day, day)
    trial = cur.execute("select building_id, score as trial_score, computed_grade as trial_grade "
                        "from computed_grades").df()
    current = grades_on(cur, day, street)
    merged = current.merge(trial, on="building_id", how="left")
    merged["trial_changed"] = merged["trial_grade"] != merged["computed_grade"]
    return merged


# -- overrides -------------------------------------------------------------------------------

def set_override(store: Store, building_id: str, grade: str, reason: str, starts: dt.date,
                 expires: dt.date | None, actor: str) -> int:
    if grade not in GRADES:
        raise UserError("等级须为 高、中、低 之一")
    if not reason or not reason.strip():
        raise UserError("人工调整等级必须填写理由")
    if expires is not None and expires < starts:
        raise UserError(f"到期日 {expires} 早于生效日 {starts}", "请重新选择到期日")
    with store.transaction() as cur:
        if not cur.execute("select 1 from buildings where building_id = ?", [building_id]).fetchall():
            raise UserError(f"楼宇 {building_id} 不存在")
        before = cur.execute(read_sql("queries/grades_on.sql"), {"day": starts, "street": None}).df()
        before = before[before["building_id"] == building_id]
        override_id = store.next_id(cur, "override_id_seq", "grade_overrides", "override_id")
        cur.execute("insert into grade_overrides (override_id, building_id, grade, reason, starts, expires, "
                    "created_by) values (?, ?, ?, ?, ?, ?, ?)",
                    [override_id, building_id, grade, reason.strip(), starts, expires, actor])
        store.audit(cur, actor, "grade.override", building_id,
                    {"grade": before["grade"].iloc[0] if len(before) else None},
                    {"grade": grade, "reason": reason.strip(), "starts": starts, "expires": expires,
                     "override_id": override_id})
    return override_id


def revoke_override(store: Store, override_id: int, actor: str) -> None:
    with store.transaction() as cur:
        # revoked_at as a flag: a timestamptz fetched into Python needs pytz, which is not installed
        rows = cur.execute("select building_id, grade, revoked_at is not null from grade_overrides "
                           "where override_id = ?", [override_id]).fetchall()
        if not rows:
            raise UserError(f"人工调整 {override_id} 不存在")
        if rows[0][2]:
            raise UserError("该人工调整已撤销")
        cur.execute("update grade_overrides set revoked_by = ?, revoked_at = current_timestamp "
                    "where override_id = ?", [actor, override_id])
        store.audit(cur, actor, "grade.override.revoke", rows[0][0], {"grade": rows[0][1]}, None)


def overrides(cur: duckdb.DuckDBPyConnection, building_id: str | None = None) -> pd.DataFrame:
    return cur.execute("select * from grade_overrides where $b is null or building_id = $b "
                       "order by override_id desc", {"b": building_id}).df()


# -- export ----------------------------------------------------------------------------------

def export_xlsx(frame: pd.DataFrame, day: dt.date, street: str | None) -> bytes:
    """The graded list for printed briefings: Chinese headers, widths set, opens cleanly in Excel."""
    import xlsxwriter

    columns = [("楼宇编号", "building_id"), ("楼宇名称", "building_name"), ("所属街道", "street"),
               ("风险等级", "grade"), ("计算等级", "computed_grade"), ("评分", "score"), ("前一日等级", "previous_grade"),
               ("主要原因", "main_reason"), ("人工调整", "override")]
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                      "strings_to_urls": False})
    ws = wb.add_worksheet("风险分级")
    title = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    fills = {g: wb.add_format({"font_color": s["color"], "bold": True}) for g, s in GRADE_STYLE.items()}
    ws.write(0, 0, f"{street or '全部街道'}楼宇风险分级（{day.year}年{day.month}月{day.day}日）", title)
    ws.write_row(1, 0, [c for c, _ in columns], head)
    for r, row in enumerate(frame.itertuples(index=False), start=2):
        for c, (_, key) in enumerate(columns):
            value = getattr(row, key)
            if key in ("grade", "computed_grade", "previous_grade") and isinstance(value, str):
                ws.write_string(r, c, f"{GRADE_STYLE[value]['shape']} {value}", fills.get(value))
            elif key == "score":
                ws.write_number(r, c, round(float(value), 1))
            elif key == "override":
                ws.write_string(r, c, "是" if value else "")
            else:
                ws.write_string(r, c, safe_cell("" if value is None or (isinstance(value, float) and pd.isna(value))
                                                else str(value)))
    ws.set_column(0, 0, 11)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 6, 11)
    ws.set_column(7, 7, 48)
    ws.freeze_panes(2, 0)
    ws.autofilter(1, 0, 1 + len(frame), len(columns) - 1)
    wb.close()
    return buffer.getvalue()


def safe_cell(text: str) -> str:
    """Neutralise spreadsheet formula injection: a cell that starts like a formula is kept as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def config_path() -> Path:
    return CONFIG_FILE
