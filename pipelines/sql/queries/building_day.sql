-- building_day: every building in scope ($street null = all) with its figures on $day.
-- Positions are as uploaded (lon, lat, crs); the caller converts GCJ-02 to WGS-84 for drawing.
with scope_buildings as (
    select * from buildings where $street is null or street = $street
),
tenants as (
    select
        building_id,
        count(*) as companies,
        sum(employees) as staff
    from companies
    group by building_id
),
returns as (
    select
        c.building_id,
        count(*) as companies_reported,
        count(*) filter (where r.on_site > 0) as companies_back,
        sum(r.on_site) as on_site,
        sum(r.home_observation) as home_observation,
        sum(r.fever) as fever
    from daily_returns r
    join companies c using (credit_code)
    where r.report_date = cast($day as date)
    group by c.building_id
),
open_requests as (
    select
        building_id,
        count(*) as open_requests
    from request_state
    where request_date <= cast($day as date)
      and (closed_on is null or closed_on > cast($day as date))
    group by building_id
),
final as (
    select
        b.building_id,
        b.building_name,
        b.street,
        b.address,
        b.lon,
        b.lat,
        coalesce(b.crs, 'GCJ02') as crs,
        b.floor_area,
        b.floors,
        b.property_company,
        coalesce(t.companies, 0) as companies,
        cast(coalesce(t.staff, 0) as bigint) as staff,
        coalesce(r.companies_reported, 0) as companies_reported,
        coalesce(r.companies_back, 0) as companies_back,
        cast(coalesce(r.on_site, 0) as bigint) as on_site,
        cast(coalesce(r.home_observation, 0) as bigint) as home_observation,
        cast(coalesce(r.fever, 0) as bigint) as fever,
        coalesce(o.open_requests, 0) as open_requests,
        r.companies_back / nullif(t.companies, 0) as company_rate,
        r.on_site / nullif(t.staff, 0) as staff_rate
    from scope_buildings b
    left join tenants t using (building_id)
    left join returns r using (building_id)
    left join open_requests o using (building_id)
)
select * from final order by street, building_id
