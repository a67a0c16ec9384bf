"""The audit list: every write, who made it, when, and what changed — each row read as one Chinese sentence
(who did what to which building, batch or user, and why), with names instead of codes; times to the second."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd

from pipelines.core.store import read_sql

# Chinese labels of the actions written by Store.audit callers; an unknown action shows as itself.
ACTION_LABELS: dict[str, str] = {
    "batch.commit": "上传入库",
    "batch.rollback": "撤销批次",
    "upload.rejected": "上传被拒",
    "grade.override": "调整风险等级",
    "grade.override.clear": "取消等级调整",
    "config.save": "保存评分配置",
    "config.approve": "审批评分配置",
    "config.propose": "提议评分配置",
    "config.apply": "评分配置生效",
    "config.reject": "驳回评分配置",
    "user.add": "新增用户",
    "user.update": "修改用户",
    "user.disable": "停用用户",
    "user.enable": "启用用户",
    "user.reset_password": "重置密码",
    "user.unlock": "解锁账号",
    "user.lock": "账号锁定",
    "token.rotate": "生成大屏令牌",
    "token.revoke": "吊销大屏令牌",
    "login.success": "登录成功",
    "login.failed": "登录失败",
    "logout": "退出登录",
    "session.revoke": "结束登录会话",
    "api_token.create": "生成接口令牌",
    "api_token.revoke": "吊销接口令牌",
}

DISPLAY_NAMES = {"audit_id": "编号", "done_at": "时间", "actor": "操作人", "action": "操作", "target": "对象",
                 "before": "变更前", "after": "变更后"}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def list_audit(cur: duckdb.DuckDBPyConnection, actor: str | None = None, actions: tuple[str, ...] | None = None,
               since: dt.date | None = None, until: dt.date | None = None, limit: int = 100_000) -> pd.DataFrame:
    """Audit rows newest first; dates are Asia/Shanghai days, both ends included."""
    return cur.execute(read_sql("queries/audit.sql"), {
        "actor": actor, "actions": list(actions) if actions else None, "since": since, "until": until,
        "limit": limit,
    }).df()


def facets(cur: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    frame = cur.execute(read_sql("queries/audit_facets.sql")).df()
    return {facet: frame.loc[frame["facet"] == facet, "value"].tolist() for facet in ("actor", "action")}


FIELD_LABELS = {"display_name": "姓名", "role": "角色", "street": "街道", "email": "邮箱", "disabled": "停用",
                "password": "密码", "locked": "锁定"}
LOGIN_VIA = {"password": "用户名密码", "oidc": "统一身份认证", "token": "大屏链接"}
FAILURE_REASONS = {"wrong_password": "密码错误", "unknown_user": "账号不存在", "disabled": "账号已停用",
                   "locked": "账号已锁定", "oidc_only": "该账号只能用统一身份认证登录", "bad_token": "大屏链接的令牌无效或已吊销"}


def _obj(value: object) -> dict:
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value) if isinstance(value, str) and value else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _value(key: str, value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if key == "role":
        from pipelines.auth.accounts import ROLES

        return ROLES.get(str(value), str(value))
    return "（空）" if value is None or value == "" else str(value)


def _rows_text(rows: object) -> str:
    from pipelines.core.contract import SHEET_BY_KIND

    if not isinstance(rows, dict):
        return ""
    return "、".join(f"{SHEET_BY_KIND[k].label if k in SHEET_BY_KIND else k} {v:,} 行" if isinstance(v, int) else str(k)
                    for k, v in rows.items())


def sentence(action: str, actor: str, target: object, before: object, after: object,
             names: dict[str, dict[str, str]]) -> str:
    """One audit row as a Chinese sentence. `names`: {"users": username → name, "buildings": id → name,
    "batches": id → file name} so that people, buildings and batches are named, not coded."""
    b, a = _obj(before), _obj(after)
    users, buildings, batches = names.get("users", {}), names.get("buildings", {}), names.get("batches", {})
    who = users.get(actor, actor)
    target = "" if target is None or (isinstance(target, float) and pd.isna(target)) else str(target)
    person = f"{users[target]}（{target}）" if target in users else target
    building = buildings.get(target, target)
    if action == "batch.commit":
        rows = _rows_text(a.get("rows"))
        return f"{who} 上传 {a.get('file', '')}，入库为批次 {target}" + (f"（{rows}）" if rows else "")
    if action == "batch.rollback":
        return f"{who} 撤销批次 {target}（{b.get('file') or batches.get(target, '')}），数据保留可追溯"
    if action == "grade.override":
        until = f"至 {a['expires']}" if a.get("expires") else "长期有效"
        return (f"{who} 将 {building} 的风险等级调整为 {a.get('grade', '')}（原 {b.get('grade') or '未评级'}），"
                f"自 {a.get('starts', '')} 起{until}；理由：{a.get('reason', '')}")
    if action in ("grade.override.revoke", "grade.override.clear"):
        return f"{who} 撤销了 {building} 的人工调整（原调整为 {b.get('grade', '')}）"
    if action == "config.save":
        moved = f"，改变了 {a['moved']:,} 个楼宇日评级" if isinstance(a.get("moved"), int) else ""
        note = f"；说明：{a['note']}" if a.get("note") else ""
        was = f"版本 {b['version']}" if b.get("version") else "默认配置"
        return f"{who} 保存评分配置版本 {a.get('version', '')}（原为{was}），全部楼宇重新评级{moved}{note}"
    if action == "geo.street_outlines":
        streets = "、".join(a.get("streets") or [])
        return f"{who} 上传街道边界 {a.get('file', '')}" + (f"（{streets}）" if streets else "")
    if action == "user.add":
        street = f"，街道 {a['street']}" if a.get("street") else ""
        return f"{who} 新增用户 {a.get('display_name', '')}（{target}），角色 {_value('role', a.get('role'))}{street}"
    if action in ("user.update", "user.disable", "user.enable", "user.reset_password", "user.unlock"):
        verb = {"user.disable": "停用了用户", "user.enable": "启用了用户", "user.reset_password": "重置了密码：用户",
                "user.unlock": "解锁了账号：用户"}.get(action, "修改了用户")
        changes = [f"{FIELD_LABELS.get(k, k)}由“{_value(k, b.get(k))}”改为“{_value(k, v)}”"
                   for k, v in a.items() if k in b and b.get(k) != v and k not in ("password", "locked", "disabled")]
        return f"{who} {verb} {person}" + (f"：{'；'.join(changes)}" if changes else "")
    if action == "user.lock":
        return f"账号 {person} 因多次登录失败被系统锁定 {a.get('minutes', '')} 分钟"
    if action == "login.success":
        return f"{who} 通过{LOGIN_VIA.get(a.get('via', ''), '登录页')}登录" + (
            f"（{a['street']}）" if a.get("street") else "")
    if action == "login.failed":
        reason = FAILURE_REASONS.get(a.get("reason", ""), a.get("reason", ""))
        tries = f"（连续第 {a['failed_attempts']} 次）" if a.get("failed_attempts") else ""
        who_tried = "大屏链接" if a.get("via") == "token" else f"以 {person or who} 登录"
        return f"{who_tried}失败：{reason}{tries}"
    if action == "token.rotate":
        street = a.get("street") or "全部街道"
        return f"{who} 生成大屏链接 {target}（{street}）" + ("，旧链接作废" if b.get("token_ids") else "")
    if action == "token.revoke":
        return f"{who} 吊销大屏链接 {target}"
    return f"{who} {action_label(action)} {target}".strip()


def names(cur: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """Who and what the audit rows name: users, buildings and batches by their codes."""
    return {
        "users": dict(cur.execute("select username, display_name from users").fetchall()),
        "buildings": dict(cur.execute("select building_id, building_name from buildings").fetchall()),
        "batches": {str(k): v for k, v in cur.execute("select batch_id, file_name from batches").fetchall()},
    }


def readable(cur: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> pd.DataFrame:
    """The audit list as people read it: time (to the second), who (by name), what, and the sentence."""
    known = names(cur)
    users = known["users"]
    return pd.DataFrame({
        "时间": pd.to_datetime(frame["done_at"]).dt.floor("s"),
        "操作人": [users.get(a, a) for a in frame["actor"]],
        "操作": frame["action"].map(action_label),
        "说明": [sentence(r.action, r.actor, r.target, r.before, r.after, known)
               for r in frame.itertuples(index=False)],
    })


def list_readable(cur: duckdb.DuckDBPyConnection, actor: str | None = None, actions: tuple[str, ...] | None = None,
                  since: dt.date | None = None, until: dt.date | None = None) -> pd.DataFrame:
    """list_audit as sentences (readable), for the page and its exports."""
    return readable(cur, list_audit(cur, actor, actions, since, until))


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    shown = frame.assign(action=frame["action"].map(action_label))
    return shown.rename(columns=DISPLAY_NAMES)
