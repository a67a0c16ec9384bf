-- computed_factors: each factor's value scored by its curve, weighted (long form).
-- Inputs: temp table building_facts (wide); registered table grading_factors (factor, weight, xs, ys,
-- missing_points).
create or replace temp table computed_factors as
with facts as (
    select * from building_facts
),
long as (
    select day, building_id, factor, value
    from (select day, building_id, density, tenants::double as tenants, on_site::double as staff_on_site,
                 mobility, business_mix::double as business_mix, measures, duty_score as duty, ledger
          from facts)
    unpivot include nulls (value for factor in
        (density, tenants, staff_on_site, mobility, business_mix, measures, duty, ledger))
),
curves as (  -- each factor's curve: flat before its first and after its last breakpoint
    select factor, weight, missing_points, xs[1] as x_first, ys[1] as y_first, xs[len(xs)] as x_last,
           ys[len(ys)] as y_last
    from grading_factors
),
segments as (  -- and linear on each [x0, x1) between two breakpoints
    select factor, xs[k] as x0, xs[k + 1] as x1, ys[k] as y0, ys[k + 1] as y1
    from (select factor, xs, ys, unnest(range(1, len(xs))) as k from grading_factors)
),
scored as (  -- the macro piecewise(value, xs, ys), as a join: a value falls in at most one segment
    select
        l.day,
        l.building_id,
        l.factor,
        l.value,
        coalesce(case
            when l.value is null then null
            when l.value <= c.x_first then c.y_first
            when l.value >= c.x_last then c.y_last
            else s.y0 + (s.y1 - s.y0) * (l.value - s.x0) / (s.x1 - s.x0)
        end, c.missing_points) as points,
        c.weight
    from long l
    join curves c using (factor)
    left join segments s on s.factor = l.factor and l.value >= s.x0 and l.value < s.x1
),
final as (
    select *, points * weight as contribution from scored
)
select * from final
