-- epidemic_daily: every current 疫情发展 row with its 新增 derived from the report before it for the same scope
-- (day on day; a gap of several days gives the change over the gap). The first report of a scope has no 新增.
create or replace view epidemic_daily as
with reports as (
    select * from epidemic
),
compared as (
    select
        *,
        lag(report_date) over w as previous_date,
        confirmed - lag(confirmed) over w as confirmed_new,
        suspected - lag(suspected) over w as suspected_change,
        close_contacts - lag(close_contacts) over w as close_contacts_change,
        home_observation - lag(home_observation) over w as home_observation_change,
        released - lag(released) over w as released_new
    from reports
    window w as (partition by scope order by report_date)
),
final as (
    select
        *,
        case scope when '全国' then 1 when '全市' then 2 when '全区' then 3 else 4 end as scope_rank
    from compared
)
select * from final
