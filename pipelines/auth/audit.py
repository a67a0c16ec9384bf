"""The audit list: every write, who made it, when, and what changed (before/after as JSON)."""

from __future__ import annotations

import datetime as dt

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


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    shown = frame.assign(action=frame["action"].map(action_label))
    return shown.rename(columns=DISPLAY_NAMES)
