-- returns_by_building: the daily returns summed per building and day (each company counted in its building).
-- $days: the days to compute (null = every day). Kept in the table returns_by_building by
-- metrics.refresh_returns_by_building on every commit and rollback; read by grading, headline and curves.
with returns as (
    select * from daily_returns
    where $days is null or list_contains($days, report_date)
),
final as (
    select
        r.report_date as day,
        c.building_id,
        count(*) as reports,
        count(*) filter (where r.on_site > 0) as companies_back,
        sum(r.on_site) as on_site,
        sum(coalesce(r.from_key_areas, 0) + coalesce(r.from_abroad, 0)) as movers,
        sum(r.home_observation) as home_observation,
        sum(coalesce(r.fever, 0)) as fever
    from returns r
    join companies c using (credit_code)
    group by all
)
select * from final
