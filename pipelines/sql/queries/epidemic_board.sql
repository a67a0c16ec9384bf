-- epidemic_board: for each scope the user may see (全国, 全市, 全区 and the street, or every street), the latest
-- report on or before $day, with 新增 since the report before it.
with visible as (
    select * from epidemic_daily
    where report_date <= $day
      and (scope_rank < 4 or $street is null or scope = $street)
),
final as (
    select
        scope, scope_rank, report_date, previous_date,
        confirmed, confirmed_new, suspected, suspected_change, close_contacts, close_contacts_change,
        home_observation, home_observation_change, released, released_new
    from visible
    qualify row_number() over (partition by scope order by report_date desc) = 1
)
select * from final
order by scope_rank, scope
