"""实时播报: the latest events, newest first, as one list the feed page and the big screen's ticker share.

Events: uploads committed (上传) and rolled back (撤销), grade changes (评级变化: grade_events, each announced
once by the write that made it), configuration saves (评分配置, one event with how many grades moved) and overrides (人工调整),
new and closed requests (新诉求 / 诉求办结), fever reports (体温异常). `recorded_at` is when an event entered the
store; `day` is the date in the data it is about (null for uploads and rollbacks). Events are ordered by
`at`, then by `day`, both newest first.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from pipelines.core.contract import SHEET_BY_KIND
from pipelines.core.store import read_sql

KINDS = {
    "upload": ("上传", ":material/upload_file:", "info"),
    "rollback": ("撤销", ":material/undo:", "warn"),
    "grade": ("评级变化", ":material/swap_vert:", "warn"),
    "override": ("人工调整", ":material/edit_note:", "warn"),
    "request": ("新诉求", ":material/assignment:", "info"),
    "closed": ("诉求办结", ":material/task_alt:", "info"),
    "fever": ("体温异常", ":material/thermostat:", "alert"),
    "geo": ("街道边界", ":material/map:", "info"),
    "epidemic": ("疫情发展", ":material/coronavirus:", "alert"),
    "progress": ("工作进度", ":material/checklist:", "info"),
    "point": ("重要点位", ":material/location_on:", "info"),
    "config": ("评分配置", ":material/tune:", "warn"),
    "other": ("其他", ":material/info:", "info"),
}
COLUMNS = ["recorded_at", "day", "kind", "kind_label", "icon", "level", "building_id", "building_name", "street", "actor",
           "title", "detail"]


def events(cur: duckdb.DuckDBPyConnection, limit: int = 50, street: str | None = None,
           kinds: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """The newest `limit` events (optionally of one street, of some kinds), newest first."""
    params = {"limit": int(limit), "street": street, "kinds": list(kinds) if kinds is not None else None}
    frames = [cur.execute(read_sql("queries/feed.sql"), params).df(),
              cur.execute(read_sql("queries/feed_grades.sql"), params).df(),
              cur.execute(read_sql("queries/feed_epidemic.sql"), params).df()]
    frame = pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(
        not f.empty for f in frames) else frames[0]
    if frame.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame = frame.sort_values(["recorded_at", "day", "seq", "target"], ascending=[False, False, False, True],
                              na_position="first", kind="stable")
    frame = frame.head(limit).reset_index(drop=True)
    texts = [_describe(row) for row in frame.itertuples(index=False)]
    frame["title"] = [t for t, _ in texts]
    frame["detail"] = [d for _, d in texts]
    frame["kind_label"] = frame["kind"].map(lambda k: KINDS.get(k, KINDS["other"])[0])
    frame["icon"] = frame["kind"].map(lambda k: KINDS.get(k, KINDS["other"])[1])
    frame["level"] = frame["kind"].map(lambda k: KINDS.get(k, KINDS["other"])[2])
    return frame[COLUMNS]


def factor_label(key: object) -> str:
    """A factor's Chinese label (the feed stores the key, e.g. business_mix)."""
    from pipelines.grading.grade import default_config

    return default_config().label(key) or (str(key) if key else "")


def _json(value: object) -> dict:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value:
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _rows_text(rows: object) -> str:
    if not isinstance(rows, dict):
        return ""
    parts = []
    for kind, count in rows.items():
        spec = SHEET_BY_KIND.get(kind)
        parts.append(f"{spec.label if spec else kind} {count:,} 行" if isinstance(count, int) else str(kind))
    return "、".join(parts)


def _describe(row) -> tuple[str, str]:
    """Title and detail of one event, in Chinese. Names come from uploads: plain text, never markup."""
    before, after = _json(row.before), _json(row.after)
    where = row.building_name if isinstance(row.building_name, str) else (row.building_id or "")
    if row.kind == "upload":
        return f"{row.actor} 上传 {after.get('file', '')}（批次 {row.target}）", _rows_text(after.get("rows"))
    if row.kind == "rollback":
        return f"{row.actor} 撤销批次 {row.target}（{before.get('file', '')}）", "数据保留，可追溯"
    if row.kind == "override":
        if row.action == "grade.override.revoke":
            return f"{row.actor} 撤销了 {where} 的人工调整", f"原调整为 {before.get('grade', '')}"
        grade, was = after.get("grade", ""), before.get("grade") or "未评级"
        return f"{row.actor} 将 {where} 调整为 {grade}风险（原 {was}）", f"理由：{after.get('reason', '')}"
    if row.kind == "config" and row.action == "config.apply":  # a proposal approved by a second leader
        moved = after.get("moved")
        return (f"评分配置版本 {after.get('version', '')} 生效：{moved if moved is not None else '若干'} 栋楼宇等级变化",
                f"{after.get('proposed_by', '')} 提议、{row.actor} 批准；理由：{after.get('reason', '')}")
    if row.kind == "config":
        moved = after.get("moved")
        note = after.get("note") or ""
        what = f"改变了 {moved:,} 个楼宇日评级" if isinstance(moved, int) else "已按新配置重新评级"
        return f"{row.actor} 保存评分配置 v{after.get('version', '')}，{what}", f"说明：{note}" if note else ""
    if row.kind == "grade":
        was, now = before.get("grade", ""), after.get("grade", "")
        why = after.get("rule") or factor_label(after.get("factor")) or ""
        score = after.get("score")
        detail = f"评分 {score:.1f}" if isinstance(score, (int, float)) else ""
        if why:
            detail = f"{detail}；主因：{why}" if detail else f"主因：{why}"
        day = pd.Timestamp(row.day) if row.day is not None and not pd.isna(row.day) else None
        on = f"{day.month}月{day.day}日 " if day is not None else ""
        return f"{on}{where} 风险等级 {was} → {now}", detail
    if row.kind == "request":
        return (f"{where} {after.get('company', '')} 提出{after.get('category', '')}诉求",
                str(after.get("content", "")))
    if row.kind == "closed":
        days = after.get("days")
        return (f"{where} {after.get('company', '')} 的{after.get('category', '')}诉求已办结",
                f"{after.get('content', '')}（用时 {days} 天）" if days is not None else str(after.get("content", "")))
    if row.kind == "fever":
        return f"{where} 报告体温异常 {after.get('fever', 0)} 人", "请楼宇落实复测和上报"
    if row.kind in ("epidemic", "progress", "point"):
        return _describe_epidemic(row.kind, after, row.street if isinstance(row.street, str) else "")
    if row.kind == "geo":
        return f"{row.actor} 上传街道边界 {after.get('file', '')}", "、".join(after.get("streets") or [])
    return f"{row.actor} {row.action} {row.target or ''}".strip(), ""


def _describe_epidemic(kind: str, after: dict, street: str) -> tuple[str, str]:
    """The 防疫专项 items (feed_epidemic.sql): new cases of a scope, a street's day of work, a new key point."""
    if kind == "epidemic":
        return f"{after.get('scope', '')} 新增确诊 {after.get('new', 0)} 例", f"累计确诊 {after.get('confirmed', 0):,} 例"
    if kind == "progress":
        items = [i for i in after.get("items") or [] if isinstance(i, dict)]
        parts = [f"{i.get('item', '')} +{i.get('new', 0):,}{i.get('unit') or ''}"
                 + (f"（完成 {i['completion'] * 100:.0f}%）" if isinstance(i.get("completion"), (int, float)) else "")
                 for i in items]
        return f"{street} 重要工作模块进展 {len(items)} 项", "；".join(parts)
    points = [p for p in after.get("points") or [] if isinstance(p, dict)]
    return (f"{street} 新增重要点位 {len(points)} 个",
            "、".join(f"{p.get('name', '')}（{p.get('type', '')}）" for p in points))
