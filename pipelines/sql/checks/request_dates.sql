-- A request's 办结日期 goes with status 已办结, and not before the day the request was made.
with final as (
    select 'requests', sheet, row_no, 'closed_date', cast(closed_date as varchar), 'closed_before_opened',
           cast(request_date as varchar), 'error'
    from stg_requests where closed_date < request_date
    union all
    select 'requests', sheet, row_no, 'closed_date', null, 'closed_without_date', null, 'warning'
    from stg_requests where status = '已办结' and closed_date is null
    union all
    select 'requests', sheet, row_no, 'closed_date', cast(closed_date as varchar), 'date_without_closed',
           status, 'warning'
    from stg_requests where status <> '已办结' and closed_date is not null
)
select * from final
