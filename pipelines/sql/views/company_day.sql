-- company_day: one row per company and reported day, with the company's building, street and kind.
create or replace view company_day as
with returns as (
    select * from daily_returns
),
final as (
    select
        r.report_date as day,
        r.credit_code,
        c.company_name,
        c.building_id,
        b.street,
        c.industry,
        c.company_type,
        c.employees,
        r.on_site,
        r.remote,
        r.from_key_areas,
        r.from_abroad,
        r.home_observation,
        r.fever
    from returns r
    join companies c using (credit_code)
    join buildings b using (building_id)
)
select * from final
