"""数据上传: template, upload, findings, preview of the changes, commit, and the batches with rollback."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from pipelines.auth import accounts
from pipelines.core import privacy
from pipelines.batches.commit import audit_rejection, commit_uploads, rollback_batch
from pipelines.core.contract import SHEET_BY_KIND, SHEETS
from pipelines.core.errors import Refusal, StaleState, UserError
from pipelines.ingest.findings import SEVERITY_LABELS, has_errors, rule_label
from pipelines.ingest.findings_workbook import findings_workbook
from pipelines.ingest.read import DEFAULT_LIMITS, Upload, read_upload
from pipelines.batches.preview import (
    CHANGE_LABELS,
    GradeChanges,
    Preview,
    SheetChanges,
    batch_list,
    committed_batches,
    preview_rollback,
    preview_uploads,
)
from pipelines.ingest.template import FILE_NAME as TEMPLATE_NAME
from pipelines.ingest.template import template_bytes
from ui import session, data
from ui.widgets import cn_date, current_user, guarded, md, page_header
from ui.feedback import flash, show_error, show_flash
from ui.grades import grade_text, style_grades

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATE = "upload_page"
EMPTY = "（空）"


@dataclass
class Processed:
    """The current selection of files, read, checked and previewed against one data version."""

    key: tuple[str, ...]
    version: int
    preview: Preview
    unreadable: list[Refusal] = field(default_factory=list)  # words only: no exception, no parsed data


def masked(frame: pd.DataFrame, label: str, values: tuple[str, ...]) -> pd.DataFrame:
    """Values of personal columns (防控联系人, 联系电话, 楼长, 检查人) masked unless the user may see them."""
    personal = frame[label].isin(privacy.PERSONAL_COLUMNS) if len(frame) else None
    if personal is None or not personal.any() or session.can(accounts.PERSONAL):
        return frame
    out = frame.astype({v: object for v in values})
    for column in values:
        out.loc[personal, column] = [
            v if v in ("", EMPTY, None) else privacy.PERSONAL_COLUMNS[k](v)
            for k, v in zip(out.loc[personal, label], out.loc[personal, column], strict=True)]
    return out


def _state() -> dict:
    return st.session_state.setdefault(STATE, {"nonce": 0, "processed": None, "rollback": None})


@st.cache_data(show_spinner=False)
def _template() -> bytes:
    return template_bytes()


# -- 1. template --------------------------------------------------------------------------------

def template_section() -> None:
    st.subheader("① 下载模板")
    st.markdown(f"模板含{len(SHEETS)}张表（{'、'.join(spec.label for spec in SHEETS)}）和一张“说明”：每列的含义、单位、"
                "可选值和检查规则。可以只填其中一张；已有表格只要表头相同或相近也能直接上传。")
    st.download_button("下载数据模板（.xlsx）", _template(), file_name=TEMPLATE_NAME, mime=XLSX, icon=":material/download:")


# -- 2. upload, findings, preview, commit --------------------------------------------------------

def upload_section() -> None:
    state = _state()
    st.subheader("② 上传与检查")
    files = st.file_uploader(
        "选择一个或多个文件（.xlsx、.xls 或 .csv）：入库前会逐格检查并预览变化，确认之前不会写入任何数据",
        type=["xlsx", "xlsm", "xls", "et", "csv", "txt"], accept_multiple_files=True, key=f"uploader_{state['nonce']}",
        max_upload_size=max(1, DEFAULT_LIMITS.max_file_bytes // 2**20),
    )
    if not files:
        return
    processed = process(files)
    for refusal in processed.unreadable:
        show_error(refusal.error())
    preview = processed.preview
    if not preview.files:
        return
    files_summary(preview)
    findings_section(preview)
    preview_section(preview)
    commit_section(processed)


def process(files: list) -> Processed:
    """Read, check and preview the selection once per selection and data version (the status shows progress)."""
    state = _state()
    key = tuple(f"{f.file_id}:{f.name}:{f.size}" for f in files)
    version = data.data_version()
    cached: Processed | None = state.get("processed")
    if cached is not None and cached.key == key and cached.version == version:
        return cached
    with st.status("正在处理上传的文件…", expanded=True) as status:
        uploads: list[Upload] = []
        unreadable: list[Refusal] = []
        for f in files:
            status.update(label=f"读取 {md(f.name)}…")
            st.markdown(f"读取 {md(f.name)}")
            try:
                uploads.append(read_upload(f.name, f.getvalue()))
            except UserError as exc:
                unreadable.append(Refusal.of(f.name, exc))

        def step(text: str) -> None:
            status.update(label=f"{text}…")
            st.write(text)

        preview = preview_uploads(data.store(), uploads, progress=step, street=session.scope_street())
        errors, warnings = preview.errors, preview.warnings
        unread = f"，{len(unreadable)} 个文件无法读取" if unreadable else ""
        status.update(label=f"处理完成：{len(uploads)} 个文件，错误 {errors} 个，警告 {warnings} 个{unread}",
                      state="error" if errors or unreadable else "complete", expanded=False)
    processed = Processed(key, preview.data_version, preview, unreadable)
    state["processed"] = processed
    who = session.current_user()
    for item in preview.files:  # once per selection: a refused file leaves a trace in the audit
        if who is not None and has_errors(item.findings):
            audit_rejection(data.store(), who.actor, item.upload, item.findings)
    return processed


def _rows_text(counts: dict[str, int]) -> str:
    return "、".join(f"{SHEET_BY_KIND[k].label} {n:,} 行" for k, n in counts.items()) or "没有可识别的数据"


def files_summary(preview: Preview) -> None:
    for fp in preview.files:
        upload = fp.upload
        line = f"**{md(upload.file_name)}**：{_rows_text(upload.row_counts())}"
        if fp.duplicate_of is not None:
            st.info(f"{line}。这个文件已经上传过（批次 {fp.duplicate_of}），不会重复入库。", icon=":material/content_copy:")
        elif fp.same_as is not None:
            st.info(f"{line}。与 {md(fp.same_as)} 内容完全相同，只入库一次。", icon=":material/content_copy:")
        else:
            badges = [f":red-badge[错误 {fp.errors}]" if fp.errors else ":green-badge[没有错误]"]
            if fp.warnings:
                badges.append(f":orange-badge[警告 {fp.warnings}]")
            if fp.readings:
                badges.append(f":blue-badge[已按其他写法理解 {fp.readings}]")
            st.markdown(f"{line}　{' '.join(badges)}")


def findings_section(preview: Preview) -> None:
    frames = [fp.findings.assign(file=fp.upload.file_name) for fp in preview.files if len(fp.findings)]
    st.markdown("#### 问题清单")
    if not frames:
        st.success("没有发现问题。")
        return
    findings = pd.concat(frames, ignore_index=True)
    findings = findings.assign(severity_label=findings["severity"].map(SEVERITY_LABELS),
                               rule_label=findings["rule"].map(rule_label))
    errors = int((findings["severity"] == "error").sum())
    warnings = int((findings["severity"] == "warning").sum())
    readings = len(findings) - errors - warnings
    st.markdown(f"共 **{len(findings)}** 条：错误 **{errors}** 条（必须修改），警告 **{warnings}** 条（核对后可以入库），"
                f"已理解 **{readings}** 条（单元格按其他写法读取，如“1,200”“18F”“3月5日”：已按…理解，请核对）。")
    cols = st.columns(3)
    severity = _multiselect(cols[0], "级别", findings["severity_label"], "findings_severity")
    sheet = _multiselect(cols[1], "工作表", findings["sheet"], "findings_sheet")
    rule = _multiselect(cols[2], "规则", findings["rule_label"], "findings_rule")
    shown = findings[findings["severity_label"].isin(severity) & findings["sheet"].isin(sheet)
                     & findings["rule_label"].isin(rule)]
    by_rule = (shown.groupby(["severity_label", "rule_label"], sort=False).size()
               .rename("条数").reset_index().rename(columns={"severity_label": "级别", "rule_label": "规则"}))
    st.dataframe(by_rule, hide_index=True, width="content")
    table = shown[["file", "severity_label", "sheet", "row", "column", "value", "message", "rule_label"]]
    table = table.astype({"column": object, "value": object}).fillna({"column": "", "value": ""})
    table.columns = ["文件", "级别", "工作表", "行", "列", "值", "说明", "规则"]
    table = masked(table, "列", ("值",))
    st.dataframe(table, hide_index=True, column_config={"说明": st.column_config.TextColumn(width="large")})
    st.caption(f"显示 {len(shown)} / {len(findings)} 条。下载的标注文件是上传内容的副本：有问题的单元格标了颜色"
               "（红色为错误、黄色为警告）并附批注，第一张表是可筛选的问题清单。")
    for fp in preview.files:
        if len(fp.findings):
            upload, found = fp.upload, fp.findings
            st.download_button(
                f"下载问题标注文件：{upload.file_name}", lambda u=upload, f=found: findings_workbook(u, f),
                file_name=f"{Path(upload.file_name).stem}_问题标注.xlsx", mime=XLSX, icon=":material/rule:",
                key=f"findings_{upload.sha256}",
            )


def _multiselect(column, label: str, values: pd.Series, key: str) -> list[str]:
    counts = values.value_counts(sort=False)
    options = list(counts.index)
    return column.multiselect(label, options, default=options, key=key,
                              format_func=lambda v: f"{v}（{counts[v]}）")


def preview_section(preview: Preview) -> None:
    st.markdown("#### 入库预览")
    written = [fp for fp in preview.files if fp.sheets]
    if not written:
        st.caption("有错误的文件和重复的文件不做预览。")
        return
    st.caption("与当前数据逐条比较（按每张表的唯一键）：新增、变更（逐项列出原值与新值）、未变。"
               "这是模拟入库后立即撤回的结果，没有写入任何数据。")
    counts = pd.DataFrame(
        [(fp.upload.file_name, s.label, s.new, s.changed, s.unchanged) for fp in written for s in fp.sheets],
        columns=["文件", "表", CHANGE_LABELS["new"], CHANGE_LABELS["changed"], CHANGE_LABELS["unchanged"]],
    )
    st.dataframe(counts, hide_index=True)
    for fp in written:
        for sheet in fp.sheets:
            _blanked_warning(fp.upload.file_name, sheet)
            if sheet.changed:
                more = "（只列出前一部分）" if sheet.truncated else ""
                with st.expander(f"{md(fp.upload.file_name)} · {sheet.label}：{sheet.changed} 条记录有变化{more}",
                                 expanded=len(sheet.changes) <= 20):
                    st.dataframe(masked(sheet.changes, "列", ("原值", "新值")), hide_index=True)
    grade_summary(preview.grades, "本次上传")


def _blanked_warning(file_name: str, sheet: SheetChanges) -> None:
    lost = {label: n for label, n in sheet.blanked.items() if label in sheet.missing}
    if lost:
        detail = "、".join(f"{label}（{n} 条）" for label, n in lost.items())
        st.warning(f"{md(file_name)} 的{sheet.label}没有这些列：{detail}。入库后这些记录的这些列将变为空；"
                   "如果只是没有填写，请补上这些列后重新上传。")


def grade_summary(grades: GradeChanges, subject: str) -> None:
    """What the write does to the buildings' current grades, said in one sentence, then listed."""
    message = grades.message(subject)
    if grades.day_after and grades.day_before and grades.day_after != grades.day_before:
        message += f"（当前评级日将从{cn_date(grades.day_before)}变为{cn_date(grades.day_after)}）"
    elif grades.day_after or grades.day_before:
        message += f"（按{cn_date(grades.day_after or grades.day_before)}的评级）"
    if len(grades.frame):
        st.info(message, icon=":material/traffic:")
        frame = grades.frame.assign(原等级=grades.frame["原等级"].map(grade_text),
                                    新等级=grades.frame["新等级"].map(grade_text))
        st.dataframe(style_grades(frame, ["原等级", "新等级"]), hide_index=True)
    else:
        st.caption(message)


def commit_section(processed: Processed) -> None:
    preview = processed.preview
    st.markdown("#### 确认入库")
    if processed.unreadable:
        names = "、".join(md(r.file_name) for r in processed.unreadable)
        st.error(f"{names} 无法读取，不能入库：请从上传框中移除它（或修好后重新选择），其余文件才能入库。")
        st.button("确认入库", type="primary", disabled=True, key="commit_disabled")
        return
    if preview.errors:
        st.error(f"有 {preview.errors} 个错误，不能入库：请按问题清单修改后重新上传（可下载问题标注文件对照修改），"
                 "或先从上传框中移除有错误的文件。")
        st.button("确认入库", type="primary", disabled=True, key="commit_disabled")
        return
    if not preview.to_commit:
        st.info("所选文件都已上传过，没有需要入库的内容。")
        return
    confirmed = True
    if preview.warnings:
        confirmed = st.checkbox(f"我已核对以上 {preview.warnings} 个警告，确认按现状入库", key="confirm_warnings")
    rows = sum(sum(u.row_counts().values()) for u in preview.to_commit)
    st.button(f"确认入库（{len(preview.to_commit)} 个文件，{rows:,} 行）", type="primary", disabled=not confirmed,
              key="commit", on_click=_commit, args=(preview,))


def _commit(preview: Preview) -> None:
    """The commit button's callback: it runs with the preview the analyst saw, before the page runs again,
    so a state changed since then is refused (StaleState) rather than committed blindly."""
    state = _state()
    confirmed = not preview.warnings or bool(st.session_state.get("confirm_warnings"))
    try:
        session.require(accounts.UPLOAD)
        batch_ids = commit_uploads(data.store(), preview.to_commit, current_user(), confirm_warnings=confirmed,
                                   expected_version=preview.data_version, street=session.scope_street())
    except StaleState as exc:
        state["processed"] = None  # the page previews again against the new data
        flash(exc, "warning", slot="upload")
        return
    except UserError as exc:
        flash(exc, "error", slot="upload")
        return
    state["processed"] = None
    state["nonce"] += 1  # a fresh, empty uploader
    st.session_state.pop("confirm_warnings", None)
    flash(slot="upload", message=f"已入库：批次 {'、'.join(str(b) for b in batch_ids)}。"
                                  "如需撤销，请在下方“批次与撤销”中操作。")


# -- 3. batches and rollback --------------------------------------------------------------------

def batches_section() -> None:
    state = _state()
    st.subheader("③ 批次与撤销")
    street = session.scope_street()  # a street user sees and rolls back only batches wholly within their street
    frame = data.query(batch_list, street)
    if frame.empty:
        st.caption("还没有批次。")
        return
    st.dataframe(frame, hide_index=True)
    choices = dict(data.query(committed_batches, street))
    if not choices or not session.can(accounts.ROLLBACK):
        return
    batch_id = st.selectbox("撤销一个批次（撤销不删除任何数据，批次记录保留、可追溯）", list(choices), index=None,
                            format_func=lambda b: f"批次 {b}：{choices[b]}", placeholder="选择要撤销的批次",
                            key="rollback_batch")
    if batch_id is None:
        return
    version = data.data_version()
    cached = state.get("rollback")
    if cached is None or cached.batch_id != batch_id or cached.data_version != version:
        with st.spinner("正在预览撤销的效果…"):
            cached = preview_rollback(data.store(), batch_id, street)
        state["rollback"] = cached
    rollback = cached
    st.markdown(f"**撤销批次 {batch_id}（{md(rollback.file_name)}）的效果**：这些记录将恢复为此前批次的值，"
                "此前没有的将不再出现在当前数据中。")
    counts = pd.DataFrame([(s.label, s.removed, s.changed, s.unchanged) for s in rollback.sheets],
                          columns=["表", "移除", "恢复为此前的值", "不受影响（已被后来的批次更新）"])
    st.dataframe(counts, hide_index=True)
    for sheet in rollback.sheets:
        if len(sheet.changes):
            with st.expander(f"{sheet.label}：逐条对照"):
                st.dataframe(masked(sheet.changes, "列", ("原值", "新值")), hide_index=True)
    grade_summary(rollback.grades, f"撤销批次 {batch_id}")
    confirm = st.checkbox(f"我确认撤销批次 {batch_id}（{md(rollback.file_name)}）", key=f"confirm_rollback_{batch_id}")
    st.button("撤销批次", disabled=not confirm, key="rollback", on_click=_rollback, args=(rollback,))


def _rollback(rollback) -> None:
    """The rollback button's callback, with the rollback preview the analyst saw."""
    state = _state()
    try:
        session.require(accounts.ROLLBACK)
        rollback_batch(data.store(), rollback.batch_id, current_user(), expected_version=rollback.data_version,
                       street=session.scope_street())
    except StaleState as exc:
        state["rollback"] = None
        flash(exc, "warning", slot="upload")
        return
    except UserError as exc:
        flash(exc, "error", slot="upload")
        return
    state["rollback"] = None
    state["processed"] = None
    st.session_state.pop("rollback_batch", None)
    flash(slot="upload", message=f"批次 {rollback.batch_id}（{md(rollback.file_name)}）已撤销：数据保留，可追溯。")


@guarded
def page() -> None:
    page_header("数据上传", data.latest_day())
    show_flash("upload")
    template_section()
    st.divider()
    upload_section()
    st.divider()
    batches_section()


page()
