-- epidemic_trend: 累计确诊 and 新增确诊 of each visible scope, day by day, for the $days days up to $day.
with final as (
    select scope, scope_rank, report_date, confirmed, confirmed_new
    from epidemic_daily
    where report_date <= $day
      and report_date > $day - cast($days as integer)
      and (scope_rank < 4 or $street is null or scope = $street)
)
select * from final
order by scope_rank, scope, report_date
