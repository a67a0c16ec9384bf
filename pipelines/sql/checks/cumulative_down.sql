-- A cumulative figure (累计确诊, 累计解除观察, 累计完成数) below the report before it for the same scope or the
-- same street and work item (stored, or earlier in this upload) is a warning: a typo, or a correction the
-- analyst confirms. Rows of this upload replace stored rows of the same key.
with epidemic_reports as (
    select report_date, scope as series, confirmed, released, sheet, row_no from stg_epidemic
    where report_date is not null and scope is not null
    qualify row_number() over (partition by report_date, scope order by row_no) = 1  -- a repeated key is an error
    union all
    select e.report_date, e.scope, e.confirmed, e.released, null, null from epidemic e
    anti join stg_epidemic s on s.report_date = e.report_date and s.scope = e.scope
),
epidemic_values as (
    unpivot epidemic_reports on confirmed, released into name field value figure
),
work_reports as (
    select report_date, street || ' ' || work_item as series, done as figure, sheet, row_no from stg_work_progress
    where report_date is not null and street is not null and work_item is not null
    qualify row_number() over (partition by report_date, street, work_item order by row_no) = 1
    union all
    select w.report_date, w.street || ' ' || w.work_item, w.done, null, null from work_progress w
    anti join stg_work_progress s on s.report_date = w.report_date and s.street = w.street
                                 and s.work_item = w.work_item
),
reports as (
    select 'epidemic' as kind, report_date, series, field, figure, sheet, row_no from epidemic_values
    union all
    select 'work_progress', report_date, series, 'done', figure, sheet, row_no from work_reports
),
compared as (
    select *,
           lag(figure) over w as previous,
           lag(report_date) over w as previous_date
    from reports
    where figure is not null
    window w as (partition by kind, series, field order by report_date)
),
final as (
    select kind, sheet, row_no, field, cast(figure as varchar), 'cumulative_down',
           strftime(previous_date, '%Y-%m-%d') || ' 为 ' || cast(previous as varchar), 'warning'
    from compared
    where sheet is not null and figure < previous
)
select * from final
