-- A daily-returns day that fewer than half of the companies will have reported after this upload:
-- the console keeps showing the previous complete day until more reports arrive. Said once per day.
-- The threshold is the day_complete macro (macros.sql), shared with views/as_of_day.sql.
with directory as (
    select credit_code from companies
    union
    select credit_code from stg_companies where credit_code is not null
),
reported as (
    select report_date, credit_code from daily_returns
    where report_date in (select report_date from stg_daily_returns)
    union
    select report_date, credit_code from stg_daily_returns where report_date is not null
),
per_day as (
    select report_date, count(*) as companies_reported from reported group by report_date
),
first_rows as (
    select report_date, arg_min(sheet, row_no) as sheet, min(row_no) as row_no
    from stg_daily_returns where report_date is not null group by report_date
),
final as (
    select 'daily_returns', f.sheet, f.row_no, 'report_date', cast(f.report_date as varchar), 'partial_day',
           cast(p.companies_reported as varchar) || '/' || cast((select count(*) from directory) as varchar),
           'warning'
    from first_rows f
    join per_day p using (report_date)
    where not day_complete(p.companies_reported, (select count(*) from directory))
)
select * from final
