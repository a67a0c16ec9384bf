-- curves_by_street: 企业复工率 and 人员返岗率 per street and day, every day (the curves the 复工曲线 page and
-- the big screen draw; defined as in headline.sql), from returns_by_building, which every commit keeps current.
with scope as (
    select c.employees, b.street
    from companies c
    join buildings b using (building_id)
),
totals as (
    select street, count(*) as companies, sum(employees) as staff
    from scope
    group by street
),
daily as (
    select d.day, b.street, sum(d.companies_back) as companies_back, sum(d.on_site) as on_site
    from returns_by_building d
    join buildings b using (building_id)
    group by all
),
final as (
    select
        d.day,
        d.street,
        t.companies,
        t.staff,
        d.companies_back,
        d.on_site,
        d.companies_back / t.companies as company_rate,
        d.on_site / nullif(t.staff, 0) as staff_rate
    from daily d
    join totals t using (street)
)
select * from final order by street, day
