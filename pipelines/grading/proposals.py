"""Grading configuration changes with a second pair of eyes: propose, then a district leader decides.

Anyone who may edit or approve configurations proposes a change (who, why, the TOML); the proposal shows the
diff of weights, thresholds and rules and every building, in every street, whose grade would move. A leader
with the whole district in scope, other than the proposer, approves (the configuration is saved as a new
version and every day regraded, in one transaction, with one audit row saying how many grades moved) or
rejects it. A revert to an earlier version is a proposal like any other. A street-scope user can propose but
never apply: a configuration grades every street.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import duckdb
import pandas as pd

from pipelines.auth.accounts import CONFIG_APPROVE, CONFIG_EDIT, Forbidden, Principal
from pipelines.core.errors import StaleState, UserError
from pipelines.core.store import Store
from pipelines.grading import grade

SHIPPED = 0  # revert_to / version of the configuration shipped with the code (grading.toml)


def _may_propose(user: Principal) -> None:
    if not (user.can(CONFIG_EDIT) or user.can(CONFIG_APPROVE)):
        raise Forbidden("无权限：提议评分配置需要分析员或领导角色", "如确需此权限，请联系管理员")


def may_decide(user: Principal | None, proposed_by: str | None = None) -> str | None:
    """Why this user may not decide (a Chinese sentence), or None if they may."""
    if user is None or not user.can(CONFIG_APPROVE):
        return "审批评分配置需要领导角色"
    if user.street is not None:
        return f"评分配置对全区所有街道生效，须由全区范围的领导审批（您的范围是{user.street}）"
    if proposed_by is not None and proposed_by == user.actor:
        return "不能审批自己提出的配置，须由另一位领导审批"
    return None


def propose(store: Store, user: Principal, text: str, reason: str, revert_to: int | None = None) -> int:
    """Record a proposal; nothing is regraded until a district leader approves it."""
    _may_propose(user)
    reason = (reason or "").strip()
    if not reason:
        raise UserError("请填写提议理由", "如：提高防控措施权重，因为近期检查不合格率上升")
    if len(reason) > 500:
        raise UserError("提议理由太长：最多 500 个字")
    grade.parse_config(text)  # refuses a broken configuration now, not at approval
    with store.transaction() as cur:
        base = grade.active_config(cur).version
        proposal_id = cur.execute(
            "insert into grading_proposals (config, base_version, revert_to, reason, proposed_by) "
            "values (?, ?, ?, ?, ?) returning proposal_id", [text, base, revert_to, reason, user.actor],
        ).fetchall()[0][0]
        store.audit(cur, user.actor, "config.propose", f"proposal {proposal_id}", {"version": base},
                    {"reason": reason, "revert_to": revert_to})
    return int(proposal_id)


def config_of_version(cur: duckdb.DuckDBPyConnection, version: int) -> str:
    if version == SHIPPED:
        return grade.default_config().text
    rows = cur.execute("select config from grading_configs where version = ?", [version]).fetchall()
    if not rows:
        raise UserError(f"评分配置版本 {version} 不存在")
    return rows[0][0]


def propose_revert(store: Store, user: Principal, version: int, reason: str) -> int:
    """A proposal to bring back the configuration of an earlier version (0: the shipped one)."""
    cur = store.cursor()
    try:
        text = config_of_version(cur, version)
    finally:
        cur.close()
    return propose(store, user, text, reason or f"回退到版本 {version}", revert_to=version)


def _proposal(cur: duckdb.DuckDBPyConnection, proposal_id: int) -> dict:
    result = cur.execute("select * from grading_proposals where proposal_id = ?", [proposal_id])
    names = [d[0] for d in result.description]
    rows = result.fetchall()
    if not rows:
        raise UserError(f"配置提议 {proposal_id} 不存在")
    return dict(zip(names, rows[0], strict=True))


def decide(store: Store, user: Principal, proposal_id: int, approve: bool, note: str = "") -> int | None:
    """Approve (save, regrade every day, audit how many grades moved) or reject a pending proposal.
    Returns the new version when approved."""
    with store.transaction() as cur:
        row = _proposal(cur, proposal_id)
        refusal = may_decide(user, row["proposed_by"])
        if refusal:
            raise Forbidden(f"无权限：{refusal}")
        if row["status"] != "pending":
            raise UserError(f"配置提议 {proposal_id} 已经{'批准' if row['status'] == 'approved' else '驳回'}过")
        current = grade.active_config(cur)
        if approve and current.version != row["base_version"]:
            raise StaleState(f"提议之后配置已改为版本 {current.version}，此提议不能直接批准",
                             "请驳回后按当前配置重新提议")
        version = moved = None
        if approve:
            day = grade.latest_graded_day(cur)
            before = _grades(cur, day)
            version = store.next_id(cur, "grading_config_seq", "grading_configs", "version")
            cur.execute("insert into grading_configs (version, config, created_by, note) values (?, ?, ?, ?)",
                        [version, row["config"], row["proposed_by"], row["reason"]])
            # one feed event for the whole change (config.apply below), not one per moved grade
            grade._write(cur, grade.parse_config(row["config"], version), None, announce=False)
            after = _grades(cur, day)
            joined = before.merge(after, on="building_id", how="outer", suffixes=("_before", "_after"))
            moved = int((joined["grade_before"] != joined["grade_after"]).sum())
        cur.execute("update grading_proposals set status = ?, decided_by = ?, decided_at = current_timestamp, "
                    "decision_note = ?, applied_version = ?, grades_moved = ? where proposal_id = ?",
                    ["approved" if approve else "rejected", user.actor, (note or "").strip() or None, version,
                     moved, proposal_id])
        if approve:
            store.audit(cur, user.actor, "config.apply", f"grading v{version}",
                        {"version": current.version},
                        {"version": version, "proposal": proposal_id, "proposed_by": row["proposed_by"],
                         "reason": row["reason"], "moved": moved, "day": day, "revert_to": row["revert_to"]})
        else:
            store.audit(cur, user.actor, "config.reject", f"proposal {proposal_id}", None,
                        {"proposal": proposal_id, "note": (note or "").strip()})
    return version


def _grades(cur: duckdb.DuckDBPyConnection, day: dt.date | None) -> pd.DataFrame:
    if day is None:
        return pd.DataFrame({"building_id": [], "grade": []})
    return cur.execute("select building_id, computed_grade as grade from building_grades where day = ?",
                       [day]).df()


def proposals(cur: duckdb.DuckDBPyConnection, status: str | None = None) -> pd.DataFrame:
    return cur.execute(
        "select proposal_id, base_version, revert_to, reason, proposed_by, cast(proposed_at as timestamp) as "
        "proposed_at, status, decided_by, cast(decided_at as timestamp) as decided_at, decision_note, "
        "applied_version, grades_moved from grading_proposals where $status is null or status = $status "
        "order by proposal_id desc", {"status": status}).df()


def versions(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every saved version, newest first: who proposed, who approved, when, why, how many grades moved."""
    return cur.execute(
        "select c.version, c.created_by as proposed_by, p.decided_by as approved_by, "
        "cast(c.created_at as timestamp) as created_at, c.note as reason, p.grades_moved, p.revert_to "
        "from grading_configs c left join grading_proposals p on p.applied_version = c.version "
        "order by c.version desc").df()


def diff(cur: duckdb.DuckDBPyConnection, proposal_id: int) -> pd.DataFrame:
    """What the proposal changes against the configuration it was made on: thresholds, weights, rules."""
    row = _proposal(cur, proposal_id)
    old = grade.parse_config(config_of_version(cur, row["base_version"]))
    new = grade.parse_config(row["config"])
    return config_diff(old, new)


def config_diff(old: grade.GradingConfig, new: grade.GradingConfig) -> pd.DataFrame:
    rows: list[tuple[str, str, str]] = []

    def add(what: str, a: object, b: object) -> None:
        if a != b:
            rows.append((what, _shown(a), _shown(b)))

    add("高风险阈值", old.high, new.high)
    add("中风险阈值", old.medium, new.medium)
    for key, factor in new.factors.items():
        before = old.factors.get(key)
        label = factor.label
        add(f"权重：{label}", before.weight if before else None, factor.weight)
        if before is not None:
            add(f"评分曲线：{label}", list(zip(before.xs, before.ys, strict=True)),
                list(zip(factor.xs, factor.ys, strict=True)))
    add("防控措施过期天数", old.stale_after_days, new.stale_after_days)
    add("高风险行业", list(old.risky_trades), list(new.risky_trades))
    for key, rule in new.rules.items():
        before = old.rules.get(key)
        add(f"规则：{rule.label}", _rule(before), _rule(rule))
    return pd.DataFrame(rows, columns=["项目", "现行", "提议"])


def _rule(rule: grade.Rule | None) -> str | None:
    if rule is None or not rule.enabled:
        return "停用"
    limit = f"{rule.days} 天" if rule.days is not None else f"低于 {rule.below:g}"
    return f"{limit} → 至少{rule.grade}"


def _shown(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def impact(cur: duckdb.DuckDBPyConnection, proposal_id: int) -> pd.DataFrame:
    """Every building, in every street, whose computed grade on the latest graded day would move."""
    row = _proposal(cur, proposal_id)
    day = grade.latest_graded_day(cur)
    if day is None:
        return pd.DataFrame(columns=["building_id", "building_name", "street", "computed_grade", "trial_grade"])
    config = dataclasses.replace(grade.parse_config(row["config"]), version=-1)
    trial = grade.what_if(cur, config, day, None)
    return trial[trial["trial_changed"]][["building_id", "building_name", "street", "computed_grade", "score",
                                          "trial_grade", "trial_score"]].reset_index(drop=True)
