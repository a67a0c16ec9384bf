-- epidemic_as_of: the latest day with a 疫情发展 or 工作进度 report in scope (the 防疫专项 page's "today").
with days as (
    select report_date from epidemic
    where scope in ('全国', '全市', '全区') or $street is null or scope = $street
    union all
    select report_date from work_progress
    where $street is null or street = $street
),
final as (
    select max(report_date) as day from days
)
select * from final
