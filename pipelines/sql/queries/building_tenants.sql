-- building_tenants: the companies in $building_id with their report on $day (null when they did not report).
with tenants as (
    select * from companies where building_id = $building_id
),
reports as (
    select * from daily_returns where report_date = cast($day as date)
),
final as (
    select
        t.credit_code,
        t.company_name,
        t.floor,
        t.industry,
        coalesce(t.company_type, '未填') as company_type,
        t.key_company,
        t.employees,
        t.planned_date,
        r.on_site,
        r.remote,
        r.home_observation,
        r.fever,
        t.contact_person,
        t.contact_phone
    from tenants t
    left join reports r using (credit_code)
)
select * from final order by employees desc, credit_code
