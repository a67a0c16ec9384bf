-- curve: 企业复工率 and 人员返岗率 by day for groups of companies, with a 7-day mean.
-- $dim: 'street' | 'building' | 'industry' | 'company_type' | 'all'; $street, $building_id: scope (null = all);
-- $end: last day shown (null = all days). Denominators are the companies in the current directory.
-- $industries: the GB/T 4754-2017 sections; an industry kept as written (no alias knew it) is shown as 其他.
with scope_companies as (
    select
        c.credit_code,
        c.employees,
        case when list_contains($industries::varchar[], c.industry) then c.industry else $other end as industry,
        coalesce(c.company_type, '未填') as company_type,
        b.street,
        b.building_id,
        b.building_name
    from companies c
    join buildings b using (building_id)
    where ($street is null or b.street = $street)
      and ($building_id is null or b.building_id = $building_id)
),
grouped as (
    select
        *,
        case $dim
            when 'street' then street
            when 'building' then building_id
            when 'industry' then industry
            when 'company_type' then company_type
            else '合计'
        end as group_key,
        case $dim
            when 'street' then street
            when 'building' then building_name
            when 'industry' then industry
            when 'company_type' then company_type
            else '合计'
        end as group_label
    from scope_companies
),
group_size as (
    select
        group_key,
        any_value(group_label) as group_label,
        count(*) as companies,
        sum(employees) as staff
    from grouped
    group by group_key
),
daily as (
    select
        r.report_date as day,
        g.group_key,
        count(*) as companies_reported,
        count(*) filter (where r.on_site > 0) as companies_back,
        sum(r.on_site) as on_site
    from daily_returns r
    join grouped g using (credit_code)
    where $end is null or r.report_date <= cast($end as date)
    group by r.report_date, g.group_key
),
rates as (
    select
        d.day,
        d.group_key,
        s.group_label,
        s.companies,
        cast(s.staff as bigint) as staff,
        d.companies_reported,
        d.companies_back,
        cast(d.on_site as bigint) as on_site,
        d.companies_back / s.companies as company_rate,
        d.on_site / nullif(s.staff, 0) as staff_rate
    from daily d
    join group_size s using (group_key)
),
final as (
    select
        *,
        -- calendar 7-day window; shown once it holds at least 4 reported days
        case when count(*) over w >= 4 then avg(company_rate) over w end as company_rate_7d,
        case when count(*) over w >= 4 then avg(staff_rate) over w end as staff_rate_7d
    from rates
    window w as (partition by group_key order by day range between interval 6 days preceding and current row)
)
select * from final order by group_key, day
