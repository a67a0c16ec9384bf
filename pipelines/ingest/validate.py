"""Validation: every finding of an upload in one table, never stopping at the first.

Column rules (required, type, enum, range, date period, duplicate key) follow from the contract;
rules across columns and sheets are .sql files in sql/checks, one per rule.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pyarrow as pa

from pipelines.core import settings
from pipelines.core.contract import CHECK_AREAS, SHEET_BY_KIND, SHEETS, SheetSpec
from pipelines.ingest import notations
from pipelines.ingest.findings import COLUMNS, Finding, sort_findings, to_frame
from pipelines.ingest.notations import PARSED, parsed_expr
from pipelines.ingest.notations import quote as _literal
from pipelines.ingest.read import Upload

CHECK_FILES = sorted((settings.SQL_DIR / "checks").glob("*.sql"))


def parsed_sql(spec: SheetSpec) -> str:
    """parsed_<kind>: the text cells and, beside each, its typed value: every cell is parsed once,
    however many rules and views read it (a 200,000-row upload has 1.8 million cells)."""
    parsed = ",\n        ".join(f'{parsed_expr(f)} as "{f.name}{PARSED}"' for f in spec.fields)
    return f"""
with source as (select * from upload_{spec.kind}),
final as (
    select
        *,
        {parsed}
    from source
)
select * from final
"""


def staging_sql(spec: SheetSpec) -> str:
    """stg_<kind>: rename and cast only (the casts are done once, in parsed_<kind>)."""
    casts = ",\n        ".join([f'"{f.name}{PARSED}" as "{f.name}"' for f in spec.fields]
                                + [f'"{f.name}" as "{f.text_column}"' for f in spec.fields if f.text_column])
    return f"""
with source as (select * from parsed_{spec.kind}),
final as (
    select
        _sheet as sheet,
        _row as row_no,
        {casts}
    from source
)
select * from final
"""


def empty_upload_table(spec: SheetSpec) -> pa.Table:
    return pa.table({"_sheet": pa.array([], pa.string()), "_row": pa.array([], pa.int32()),
                     "_year": pa.array([], pa.int16()), **{f.name: pa.array([], pa.string()) for f in spec.fields}})


def stage(cur: duckdb.DuckDBPyConnection, upload: Upload) -> None:
    """Register the upload's text tables and typed staging views on this cursor (all kinds, empty if absent)."""
    for spec in SHEETS:
        staged = upload.sheets.get(spec.kind)
        cur.register(f"upload_{spec.kind}", staged.table if staged else empty_upload_table(spec))
        cur.execute(f"create or replace temp table parsed_{spec.kind} as {parsed_sql(spec)}")
        if staged is not None:
            for update in notations.year_fill_sql(spec):
                cur.execute(update)
        cur.execute(f"create or replace temp view stg_{spec.kind} as {staging_sql(spec)}")


def _column_checks(spec: SheetSpec) -> str:
    """One union of the per-column rules of a sheet kind. Returns sheet, row, field, value, rule, detail."""
    parts = []
    src = f"parsed_{spec.kind}"
    for f in spec.fields:
        col, parsed = f'"{f.name}"', f'"{f.name}{PARSED}"'
        name = _literal(f.name)
        present = f"list_contains(getvariable('present_{spec.kind}_{f.name}'), _sheet)"
        if f.required:
            parts.append(f"select _sheet, _row, {name}, null, 'required', null from {src} "
                         f"where {col} is null and {present}")
        if f.kind in ("int", "number", "enum") and not f.vocabulary:
            rule = "enum" if f.kind == "enum" else "type"
            parts.append(f"select _sheet, _row, {name}, {col}, '{rule}', null from {src} "
                         f"where {col} is not null and {parsed} is null")
        if f.kind == "date":  # a month and day that would be a date in some year: only the year is missing
            parts.append(f"select _sheet, _row, {name}, {col}, case when md_date({col}, 2000) is not null "
                         f"then 'no_year' else 'type' end, null from {src} where {col} is not null and {parsed} is null")
        if f.minimum is not None:
            rule = "negative" if f.minimum == 0 else "minimum"
            parts.append(f"select _sheet, _row, {name}, {col}, '{rule}', null from {src} "
                         f"where {parsed} < {f.minimum}")
        if f.maximum is not None:
            parts.append(f"select _sheet, _row, {name}, {col}, 'maximum', null from {src} "
                         f"where {parsed} > {f.maximum}")
        if f.kind == "code":
            parts.append(f"select _sheet, _row, {name}, {col}, 'credit_code', null from {src} "
                         f"where {col} is not null and not credit_code_ok({parsed})")
        if f.kind == "date":
            parts.append(f"select _sheet, _row, {name}, {col}, 'before_period', null from {src} "
                         f"where {parsed} < getvariable('period_start')")
            if not f.may_be_future:
                parts.append(f"select _sheet, _row, {name}, {col}, 'future_date', null from {src} "
                             f"where {parsed} > getvariable('today')")
    # A key seen before in this upload, in this sheet or an earlier one (rows of two sheets share numbers).
    keys = [f'"{k}{PARSED}"' for k in spec.key]
    key_text = " || ' ' || ".join(f"cast({k} as varchar)" for k in keys)
    sheet_order = f"list_position(getvariable('present_{spec.kind}_{spec.key[-1]}'), _sheet)"
    parts.append(f"""
        select _sheet, _row, {_literal(spec.key[-1])}, {key_text}, 'duplicate_key',
               case when first_sheet = _sheet then '' else '工作表“' || first_sheet || '”' end
               || '第' || cast(first_row as varchar) || '行'
        from (select *, first_value(_sheet) over w as first_sheet, first_value(_row) over w as first_row,
                        row_number() over w as copy_no
              from {src} where {' and '.join(f'{k} is not null' for k in keys)}
              window w as (partition by {", ".join(keys)} order by {sheet_order}, _row))
        where copy_no > 1""")
    return "\nunion all\n".join(parts)


# Rules on a column that never block: a floor outside -10..200 is still a floor as written.
LENIENT_RANGE = {"floor"}


def _set_variables(cur: duckdb.DuckDBPyConnection, upload: Upload, today: dt.date) -> None:
    cur.execute("set variable today = ?", [today])
    cur.execute("set variable period_start = ?", [settings.get().period_start])
    cur.execute("set variable period_year = ?", [period_year(cur, today)])
    for spec in SHEETS:
        staged = upload.sheets.get(spec.kind)
        for f in spec.fields:
            sheets = [s for s, fields in staged.present.items() if f.name in fields] if staged else []
            cur.execute(f"set variable present_{spec.kind}_{f.name} = ?::varchar[]", [sheets])


def period_year(cur: duckdb.DuckDBPyConnection, today: dt.date) -> int | None:
    """The year of a date written without one, when nothing in its sheet tells: the one year the data period
    (PERIOD_START to today) lies in, else the one year of all stored reports; None when neither is one year."""
    if settings.get().period_start.year == today.year:
        return today.year
    first, last = cur.execute("select min(report_date), max(report_date) from daily_returns").fetchall()[0]
    return first.year if first is not None and first.year == last.year else None


def validate(cur: duckdb.DuckDBPyConnection, upload: Upload, today: dt.date | None = None,
             street: str | None = None) -> pd.DataFrame:
    """All findings of an upload, errors first. Stages the upload on this cursor as a side effect.

    `street`: the uploader's street (None: the whole district); a row of another street is an error."""
    today = today or settings.today()
    _set_variables(cur, upload, today)  # before staging: dates without a year take period_year
    stage(cur, upload)
    cur.execute("set variable scope_street = ?::varchar", [street])
    raw: list[tuple] = []
    for kind, _staged in upload.sheets.items():
        spec = SHEET_BY_KIND[kind]
        for row in cur.execute(_column_checks(spec)).fetchall():
            lenient = row[2] in LENIENT_RANGE and row[4] in ("minimum", "maximum", "negative")
            raw.append((kind, *row, "warning" if lenient else "error"))
        for sql, severity in ((notations.lenient_checks(spec), "warning"), (notations.normalised_checks(spec), "info")):
            if sql:
                raw.extend((kind, *row, severity) for row in cur.execute(sql).fetchall())
    for path in CHECK_FILES:
        raw.extend(cur.execute(path.read_text(encoding="utf-8")).fetchall())
    findings = list(upload.findings)
    # A formula Excel never calculated is named once, as such, not again as an empty required cell.
    uncalculated = {(f.sheet, f.row, f.column) for f in findings if f.rule == "formula_without_value"}
    described = (_describe(upload, r, today) for r in raw)
    findings.extend(f for f in described if f.rule != "required" or (f.sheet, f.row, f.column) not in uncalculated)
    return sort_findings(to_frame(findings))


def _describe(upload: Upload, r: tuple, today: dt.date) -> Finding:
    kind, sheet, row, field_name, value, rule, detail, severity = r
    spec = SHEET_BY_KIND[kind]
    f = spec.field_by_name[field_name]
    staged = upload.sheets.get(kind)
    header, letter = staged.headers.get((sheet, field_name), (f.label, "")) if staged else (f.label, "")
    cell = f"{letter}{row}" if letter else f"第{row}行"
    template = MESSAGES.get(rule) or notations.MESSAGES[rule]
    message = template.format(
        label=f.label, value=value, cell=cell, detail=detail, today=today.isoformat(),
        start=settings.get().period_start.isoformat(), min=_number(f.minimum), max=_number(f.maximum),
        choices="、".join(f.choices), kind_hint=KIND_HINTS.get(f.kind, ""), sheet_label=spec.label,
        items=_area_items(field_name),
    )
    return Finding(sheet, row, header, value, rule, message, severity)


def _number(x: float | None) -> str:
    return "" if x is None else (str(int(x)) if float(x).is_integer() else str(x))


def _area_items(field_name: str) -> str:
    return str(CHECK_AREAS[field_name][1]) if field_name in CHECK_AREAS else ""


KIND_HINTS = {
    "int": "请填写整数，如 12 或 1,200（逗号只能用作千位分隔）",
    "number": "请填写数字，如 12.5 或 1,200（逗号只能用作千位分隔）",
    "date": "请填写日期，如 2020-02-17 或 2020/2/17",
}

MESSAGES = {
    "required": "{label}不能为空：请在{cell}填写",
    "type": "{cell}的“{value}”不是{label}可用的值：{kind_hint}",
    "enum": "{cell}的“{value}”不是可选值：{label}只能填 {choices}",
    "negative": "{cell}的{label}为{value}，不能为负数",
    "minimum": "{cell}的{label}为{value}，不能小于{min}",
    "maximum": "{cell}的{label}为{value}，不能大于{max}",
    "credit_code": "{cell}的“{value}”不是有效的统一社会信用代码（应为18位，末位校验码须符合GB 32100-2015）：请核对",
    "before_period": "{cell}的日期{value}早于数据期起始日{start}：请核对年份",
    "future_date": "{cell}的日期{value}晚于今天（{today}）：请核对",
    "duplicate_key": "{cell}：“{value}”在本次上传中重复（与{detail}相同），每个{sheet_label}记录只能出现一次：请删除重复行",
    "unknown_building": "{cell}的楼宇编号“{value}”不在楼宇名录中（本次上传和已入库的都没有）：请先上传该楼宇，或核对编号",
    "outside_street": "{cell}的{label}“{value}”属于{detail}：您只能上传本街道的数据，请删去这一行，或请全区范围的用户上传",
    "unknown_company": "{cell}的统一社会信用代码“{value}”不在企业名录中（本次上传和已入库的都没有）：请先上传该企业，或核对代码",
    "over_staffed": "{cell}：在岗人数与居家办公人数之和为{detail}：不能超过该企业的员工总数，请核对",
    "outside_shanghai": "{cell}：经纬度{detail}不在上海范围内：请核对",
    "swapped_coordinates": "{cell}：经纬度{detail}像是填反了（经度约121，纬度约31）：请交换两列",
    "partial_day": "{cell}：本次上传后，{value} 只有 {detail} 家企业报送返岗日报（不到一半）：各页面仍显示上一个完整日，"
                   "等更多企业报送后才会切换到这一天；如是补报个别企业，可忽略",
    "closed_before_opened": "{cell}：办结日期{value}早于提出日期{detail}：请核对",
    "closed_without_date": "{cell}：状态为已办结，但没有办结日期：请补填",
    "date_without_closed": "{cell}：填了办结日期{value}，但状态是“{detail}”：请核对状态",
    "cumulative_down": "{cell}：{label}为{value}，比前一次报告（{detail}）少：累计数不应减少，请核对；如是订正，可确认后入库",
    "over_target": "{cell}：累计完成数{value}超过目标数{detail}：请核对目标数或完成数；如目标已调整，请一并更新目标数",
}
__all__ = ["validate", "stage", "COLUMNS"]
