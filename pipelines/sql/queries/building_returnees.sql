-- building_returnees: by day, the people in $building_id's companies who returned from key areas or abroad,
-- are under home observation or had a fever.
with tenants as (
    select credit_code from companies where building_id = $building_id
),
final as (
    select
        r.report_date as day,
        cast(sum(r.from_key_areas) as bigint) as from_key_areas,
        cast(sum(r.from_abroad) as bigint) as from_abroad,
        cast(sum(r.home_observation) as bigint) as home_observation,
        cast(sum(r.fever) as bigint) as fever
    from daily_returns r
    semi join tenants t on t.credit_code = r.credit_code
    group by r.report_date
)
select * from final order by day
