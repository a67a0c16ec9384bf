-- work_modules: the 重要工作模块 on $day — for each work item, the latest report of each street in scope on or
-- before $day, summed over the streets: 累计完成 / 目标, 当日新增 (reports dated $day only), 完成率, and the days
-- since the oldest of those reports (a street that stopped reporting makes the item stale).
with latest as (
    select * from work_progress_daily
    where report_date <= $day
      and ($street is null or street = $street)
    qualify row_number() over (partition by street, work_item order by report_date desc) = 1
),
final as (
    select
        work_item,
        coalesce(list_position($items, work_item), 1000) as item_rank,
        count(*) as streets,
        sum(target) as target,
        sum(done) as done,
        sum(case when report_date = $day then coalesce(done_new, 0) else 0 end) as done_today,
        case when sum(target) > 0 then sum(done) / sum(target) end as completion,
        string_agg(distinct unit, '/' order by unit) as unit,
        max(report_date) as last_report,
        cast($day - min(report_date) as integer) as days_since,
        string_agg(note, '；' order by street) filter (where note is not null and report_date = $day) as note
    from latest
    group by work_item
)
select * from final
order by item_rank, work_item
