-- headline: the overview's figures for $as_of and the day it is compared with ($before: metrics.comparison_day), for one street or all ($street null).
with scope_buildings as (
    select * from buildings where $street is null or street = $street
),
scope_companies as (
    select c.* from companies c semi join scope_buildings b on b.building_id = c.building_id
),
days as (
    select unnest([cast($as_of as date), cast($before as date)]) as day
),
returns as (  -- summed per building and day on every commit (returns_by_building)
    select
        d.day,
        sum(d.companies_back) as companies_back,
        sum(d.on_site) as on_site,
        sum(d.home_observation) as home_observation,
        sum(d.fever) as fever
    from returns_by_building d
    semi join scope_buildings b on b.building_id = d.building_id
    where d.day in (select day from days)
    group by 1
),
final as (
    select
        d.day,
        (select count(*) from scope_buildings) as buildings,
        (select count(*) from scope_companies) as companies,
        (select sum(employees) from scope_companies) as staff,
        coalesce(r.companies_back, 0) as companies_back,
        coalesce(r.on_site, 0) as on_site,
        coalesce(r.home_observation, 0) as home_observation,
        coalesce(r.fever, 0) as fever,
        r.day is not null as reported
    from days d
    left join returns r using (day)
)
select
    *,
    companies_back / nullif(companies, 0) as company_rate,
    on_site / nullif(staff, 0) as staff_rate
from final
order by day desc
