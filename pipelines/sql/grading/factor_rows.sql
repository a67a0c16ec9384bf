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
scored as (
    select
        l.day,
        l.building_id,
        l.factor,
        l.value,
        coalesce(piecewise(l.value, f.xs, f.ys), f.missing_points) as points,
        f.weight
    from long l
    join grading_factors f using (factor)
),
final as (
    select *, points * weight as contribution from scored
)
select * from final
