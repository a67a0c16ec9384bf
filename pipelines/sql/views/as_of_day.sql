-- as_of_day: the latest day that at least half of the companies have reported.
-- A day with a handful of early reports is not "today" yet: shown as the as-of day it would read as a
-- collapse of every rate. With no such day (a new street), the latest reported day. Directories under 20
-- companies (hand-made examples) are too small for a share to mean anything: every reported day counts.
-- The threshold is the day_complete macro (macros.sql), shared with checks/partial_day.sql.
create or replace view as_of_day as
with per_day as (
    select report_date as day, count(*) as reported
    from daily_returns
    group by report_date
),
final as (
    select coalesce(
        (select max(day) from per_day
         where day_complete(reported, (select count(*) from companies))),
        (select max(day) from per_day)
    ) as day
)
select * from final
