-- building_facts: per building and day, the raw facts the risk factors are made of.
-- $since, $until: the days to compute (null = no bound).
-- $stale_after_days, $ageing_per_day: how an old inspection loses credit.
-- $risky_trades, $risky_weight: the crowded trades (grading.toml) and what their share adds to business_mix.
-- $check_items_total: the checklist's items (contract.CHECK_ITEMS_TOTAL).
-- $fever_days: how far back a fever case counts (the fever rule's window; mobility always looks back 14 days).
with reported as (  -- the days with daily returns (from $since on: only the windows' reach before it)
    select distinct report_date as day
    from daily_returns
    where $since is null or report_date >= cast($since as date) - greatest(14, $fever_days)::integer
),
days as (
    select day
    from reported
    where ($since is null or day >= $since) and ($until is null or day <= $until)
),
span as (  -- the days whose windows (14 days, or the fever rule's if longer) reach into $days
    select day
    from reported
    where day between (select min(day) from days) - greatest(14, $fever_days)::integer
                  and (select max(day) from days)
),
industry_mix as (  -- effective number of industries (inverse Simpson index) and the share of risky trades
    select
        building_id,
        1.0 / sum(power(n / total, 2)) as kinds,
        sum(n) filter (where list_contains(cast($risky_trades as varchar[]), industry)) / any_value(total) as risky_share
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
daily as (  -- per building and day: returns_by_building, kept up to date by every commit
    select day, building_id, on_site, reports, movers, fever
    from returns_by_building
    where day in (select day from span)
),
span_grid as (  -- every building on every day of the span, whether its companies reported or not,
                -- so that a day without returns does not forget the days before it
    select s.day, b.building_id, d.on_site, d.reports, coalesce(d.movers, 0) as movers,
           coalesce(d.fever, 0) as fever
    from span s
    cross join buildings b
    left join daily d using (day, building_id)
),
windowed as (
    select
        day,
        building_id,
        on_site,
        reports,
        sum(movers) over (partition by building_id order by day
                          range between interval 13 days preceding and current row) as movers_14d,
        sum(fever) over (partition by building_id order by day
                         range between to_days($fever_days::integer - 1) preceding and current row) as fever_recent
    from span_grid
),
inspections as (  -- each inspection, with the latest duty score given by then (an inspection may leave it blank)
    select
        building_id,
        check_date,
        (area_closed + area_registration + area_plan + area_disinfection + area_mobilisation + area_service)
            / cast($check_items_total as double) as pass_rate,
        last_value(duty_score ignore nulls) over (partition by building_id order by check_date
                                                  rows between unbounded preceding and current row) as duty_score
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
        coalesce(x.kinds, 0) + $risky_weight * coalesce(x.risky_share, 0) as business_mix,
        coalesce(t.completeness, 0) as completeness,
        i.check_date,
        i.pass_rate,
        i.duty_score,  -- one inspection per building and day: the latest by then, with the latest score
        bd.day - i.check_date as days_since_check,
        1000.0 * coalesce(w.on_site, 0) / bd.floor_area as density,
        -- no staff on site: nobody to be mobile
        case when w.on_site > 0 then w.movers_14d / w.on_site else 0 end as mobility,
        -- null without an inspection (greatest() would turn a null into 0: a 0% pass rate)
        case when i.pass_rate is not null then
            greatest(0, i.pass_rate - $ageing_per_day * greatest(0, bd.day - i.check_date - $stale_after_days))
        end as measures,
        0.5 * coalesce(t.completeness, 0) + 0.5 * least(1.0, coalesce(w.reports, 0) / greatest(t.tenants, 1))
            as ledger
    from building_day bd
    left join windowed w using (day, building_id)
    left join tenants t using (building_id)
    left join industry_mix x using (building_id)
    asof left join inspections i on bd.building_id = i.building_id and bd.day >= i.check_date
)
select * from final
