-- building_facts: per building and day, the raw facts the risk factors are made of.
-- $since, $until: the days to compute (null = no bound).
-- $stale_after_days, $ageing_per_day: how an old inspection loses credit.
with days as (
    select distinct report_date as day
    from daily_returns
    where ($since is null or report_date >= $since) and ($until is null or report_date <= $until)
),
span as (  -- the days whose 14-day windows reach into $days
    select distinct report_date as day
    from daily_returns
    where report_date between (select min(day) from days) - 14 and (select max(day) from days)
),
industry_mix as (  -- effective number of industries (inverse Simpson index) and the share of risky trades
    select
        building_id,
        1.0 / sum(power(n / total, 2)) as kinds,
        sum(n) filter (where industry in ('餐饮', '批发零售', '教育培训')) / any_value(total) as risky_share
    from (
        select building_id, industry, count(*) as n, sum(count(*)) over (partition by building_id) as total
        from companies
        group by building_id, industry
    )
    group by building_id
),
tenants as (
    select
        building_id,
        count(*) as tenants,
        avg(((contact_person is not null)::int + (contact_phone is not null)::int
             + (planned_date is not null)::int + (company_type is not null)::int) / 4.0) as completeness
    from companies
    group by building_id
),
daily as (  -- per building and day: building_day, kept up to date by every commit
    select day, building_id, on_site, reports, movers, fever
    from building_day
    where day in (select day from span)
),
windowed as (
    select
        day,
        building_id,
        on_site,
        reports,
        sum(movers) over recent as movers_14d,
        sum(fever) over recent as fever_recent
    from daily
    window recent as (partition by building_id order by day
                      range between interval 13 days preceding and current row)
),
inspections as (
    select
        building_id,
        check_date,
        (area_closed + area_registration + area_plan + area_disinfection + area_mobilisation + area_service)
            / 22.0 as pass_rate,
        duty_score
    from checks
),
building_day as (
    select d.day, b.building_id, b.floor_area
    from days d
    cross join buildings b
),
final as (
    select
        bd.day,
        bd.building_id,
        coalesce(w.on_site, 0) as on_site,
        coalesce(t.tenants, 0) as tenants,
        coalesce(w.reports, 0) as reports,
        coalesce(w.movers_14d, 0) as movers_14d,
        coalesce(w.fever_recent, 0) as fever_recent,
        coalesce(x.kinds, 0) + 10 * coalesce(x.risky_share, 0) as business_mix,
        coalesce(t.completeness, 0) as completeness,
        i.check_date,
        i.pass_rate,
        i.duty_score,
        bd.day - i.check_date as days_since_check,
        1000.0 * coalesce(w.on_site, 0) / bd.floor_area as density,
        coalesce(w.movers_14d, 0) / greatest(coalesce(w.on_site, 0), 1) as mobility,
        greatest(0, i.pass_rate - $ageing_per_day * greatest(0, bd.day - i.check_date - $stale_after_days))
            as measures,
        0.5 * coalesce(t.completeness, 0) + 0.5 * least(1.0, coalesce(w.reports, 0) / greatest(t.tenants, 1))
            as ledger
    from building_day bd
    left join windowed w using (day, building_id)
    left join tenants t using (building_id)
    left join industry_mix x using (building_id)
    asof left join inspections i on bd.building_id = i.building_id and bd.day >= i.check_date
)
select * from final
