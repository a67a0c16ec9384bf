"""Typing the cells of an upload in SQL, with every notation offices use (issue 12), and saying how each was read.

Strict on what decides a count, a rate or a grade: a cell that does not parse is an error (validate.py).
Lenient on what describes (floor, industry, company type, phone): what cannot be read is kept as written
with a warning. Every cell read from another notation than the plain one gives an info finding
("已按…理解"), capped per sheet and column (with one line counting the rest) so that a day's report
written as 50人 throughout gives a readable list.
"""

from __future__ import annotations

from pipelines.core.contract import Field, SheetSpec
from pipelines.core.vocabulary import company_type_sql, industry_sql

PARSED = "__parsed"
MAX_NOTES_PER_COLUMN = 50  # info findings listed per sheet and column; the rest are counted in one more


def quote(text: str) -> str:
    """Quote a constant from the contract (code, never upload content) as an SQL literal."""
    return "'" + text.replace("'", "''") + "'"


def parsed_expr(f: Field) -> str:
    """The SQL that turns the text cell of field f into its stored value (null when it does not parse).

    Lenient fields (floor's number, phone, industry, an enumeration with a vocabulary) are null only when
    empty: what cannot be read is stored as written, and lenient_checks says so.
    """
    col = f'"{f.name}"'
    if f.kind == "int":
        return f"to_int({col})"
    if f.kind == "number":
        return f"to_num({col})"
    if f.kind == "date":
        return f"to_date({col})"  # dates without a year: filled in by year_fill_sql
    if f.kind == "code":
        return f"to_credit({col})"
    if f.kind == "floor":
        return f"to_floor({col})"
    if f.kind == "phone":
        return f"coalesce(to_phone({col}), {col})"
    if f.vocabulary == "industry":
        return f"coalesce({industry_sql(col)}, {col})"
    if f.kind == "enum":
        if f.choices == ("是", "否"):
            parsed = f"to_yes_no({col})"
        else:
            folded = f"upper(replace(replace({col}, '-', ''), ' ', ''))"
            whens = " ".join(f"when {quote(c.upper())} then {quote(c)}" for c in f.choices)
            parsed = f"case {folded} {whens} end"
            if f.vocabulary == "company_type":
                parsed = f"coalesce({parsed}, {company_type_sql(col)}, {col})"
        if f.default:
            return f"case when {col} is null then {quote(f.default)} else {parsed} end"
        return parsed
    return col


def read_as(f: Field) -> str | None:
    """SQL (over parsed_<kind>): how a cell was read, shown when it differs from what was written; None for
    fields whose cells are stored as written."""
    col, parsed = f'"{f.name}"', f'"{f.name}{PARSED}"'
    if f.kind == "int":
        return f"case when not num_plain({col}) then cast({parsed} as varchar) end"
    if f.kind == "number":  # 52000, not 52000.0
        return (f"case when not num_plain({col}) then case when {parsed} = floor({parsed}) and abs({parsed}) < 1e15 "
                f"then cast(cast({parsed} as bigint) as varchar) else cast({parsed} as varchar) end end")
    if f.kind == "date":
        return f"case when not date_plain({col}) then strftime({parsed}, '%Y-%m-%d') end"
    if f.kind == "floor":
        return (f"case when not floor_plain({col}) then case when {parsed} < 0 then '地下' || cast(-{parsed} as varchar) "
                f"|| '层' else '第' || cast({parsed} as varchar) || '层' end end")
    if f.kind in ("code", "phone", "enum") or f.vocabulary:
        return f"case when {parsed} <> {col} then {parsed} end"
    return None


def normalised_checks(spec: SheetSpec) -> str | None:
    """Info findings: each cell read from another notation (sheet, row, field, value, rule, detail), at most
    MAX_NOTES_PER_COLUMN per sheet and column plus one line counting the rest. None when no field can be."""
    src = f"parsed_{spec.kind}"
    parts = []
    for f in spec.fields:
        shown = read_as(f)
        if shown is None:
            continue
        parts.append(f"select _sheet, _row, {quote(f.name)} as field, \"{f.name}\" as value, {shown} as detail "
                     f"from {src} where \"{f.name}{PARSED}\" is not null and \"{f.name}\" is not null")
    if not parts:
        return None
    union = "\nunion all\n".join(parts)
    return f"""
with read_as as (
    select * from ({union}) where detail is not null and detail <> value
),
numbered as (
    select *, row_number() over (partition by _sheet, field order by _row) as n,
           count(*) over (partition by _sheet, field) as total
    from read_as
),
final as (
    select _sheet, _row, field, value, 'normalised', detail from numbered where n <= {MAX_NOTES_PER_COLUMN}
    union all
    select _sheet, _row, field, null, 'normalised_more', cast(total - {MAX_NOTES_PER_COLUMN} as varchar)
    from numbered where n = {MAX_NOTES_PER_COLUMN} + 1
)
select * from final"""


def lenient_checks(spec: SheetSpec) -> str | None:
    """Warnings on descriptive cells that could not be read and are kept as written
    (sheet, row, field, value, rule, detail)."""
    src = f"parsed_{spec.kind}"
    parts = []
    for f in spec.fields:
        col, parsed = f'"{f.name}"', f'"{f.name}{PARSED}"'
        if f.kind == "floor":
            parts.append(f"select _sheet, _row, {quote(f.name)}, {col}, 'floor_unread', null from {src} "
                         f"where {col} is not null and {parsed} is null")
        elif f.kind == "phone":
            parts.append(f"select _sheet, _row, {quote(f.name)}, {col}, 'phone_unread', null from {src} "
                         f"where {col} is not null and to_phone({col}) is null")
        elif f.vocabulary == "industry":
            parts.append(f"select _sheet, _row, {quote(f.name)}, {col}, 'unknown_industry', null from {src} "
                         f"where {col} is not null and {industry_sql(col)} is null")
        elif f.vocabulary == "company_type":
            choices = ", ".join(quote(c) for c in f.choices)
            parts.append(f"select _sheet, _row, {quote(f.name)}, {col}, 'unknown_choice', null from {src} "
                         f"where {col} is not null and {parsed} not in ({choices})")
    return "\nunion all\n".join(parts) if parts else None


def year_fill_sql(spec: SheetSpec) -> list[str]:
    """UPDATEs of parsed_<kind> giving dates written without a year (3月5日, 3.5, 3/5) the year of the
    sheet's title row (_year), else the year of the sheet's other dates when they agree on one, else the
    store's period (variable period_year, null when it spans several years). Rows touched: only those."""
    updates = []
    src = f"parsed_{spec.kind}"
    dates = [f for f in spec.fields if f.kind == "date"]
    if not dates:
        return updates
    full = " union all ".join(f'select _sheet, year("{f.name}{PARSED}") as y from {src} '
                              f'where "{f.name}{PARSED}" is not null' for f in dates)
    for f in dates:
        col, parsed = f'"{f.name}"', f'"{f.name}{PARSED}"'
        updates.append(f"""
update {src} as p set {parsed} = md_date(p.{col}, coalesce(p._year, s.y, getvariable('period_year')))
from (
    select _sheet, case when min(y) = max(y) then min(y) end as y
    from (select distinct _sheet from {src} where {parsed} is null and md_like({col}))
    left join ({full}) using (_sheet)
    group by _sheet
) s
where p._sheet = s._sheet and p.{parsed} is null and md_like(p.{col})""")
    return updates


MESSAGES = {
    "normalised": "{cell}的“{value}”已按“{detail}”理解",
    "normalised_more": "{label}列另有 {detail} 个单元格同样按其他写法理解（未逐一列出）",
    "floor_unread": "{cell}的楼层“{value}”读不出层号：已按原文保存（如“18F”“B1”“十八层”都能识别）",
    "phone_unread": "{cell}的“{value}”不像一个电话号码：已按原文保存，请核对（如 13800000000 或 021-62345678）",
    "unknown_industry": "{cell}的行业“{value}”不在国民经济行业分类（GB/T 4754-2017）的门类中：已按原文保存，"
                        "行业图表中计入“其他”；如有对应门类请改写（模板中有下拉列表）",
    "unknown_choice": "{cell}的“{value}”不是{label}的可选值（{choices}）：已按原文保存，请核对",
    "no_year": "{cell}的日期“{value}”没有年份，也无法从标题行、本表其他日期或数据期推断：请写成 2020-03-05 这样带年份的日期",
    "duplicate_building_name": "{cell}：同一街道中楼宇名称“{value}”有两个楼宇编号（“{detail}”）：如是同一栋楼请统一编号，"
                               "如是两栋楼请在名称中区分",
}
