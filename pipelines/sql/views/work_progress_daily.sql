-- work_progress_daily: every current 工作进度 row with its 新增 (累计完成数 less the report before it for the same
-- street and work item) and its 完成率 (累计完成数 / 目标数; null without a target).
create or replace view work_progress_daily as
with reports as (
    select * from work_progress
),
final as (
    select
        *,
        lag(report_date) over w as previous_date,
        done - lag(done) over w as done_new,
        case when target > 0 then done / target end as completion
    from reports
    window w as (partition by street, work_item order by report_date)
)
select * from final
