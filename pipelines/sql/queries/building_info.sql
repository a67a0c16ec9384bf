-- building_info: one building's directory row with its tenant and staff totals.
with tenants as (
    select
        count(*) as companies,
        sum(employees) as staff,
        count(distinct industry) as industries
    from companies
    where building_id = $building_id
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
        b.building_manager,
        t.companies,
        cast(coalesce(t.staff, 0) as bigint) as staff,
        t.industries
    from buildings b
    cross join tenants t
    where b.building_id = $building_id
)
select * from final
