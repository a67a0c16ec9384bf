-- A company or an inspection names a building that is neither in this upload nor stored.
-- Returns: kind, sheet, row, field, value, rule, detail, severity.
with known as (
    select building_id from stg_buildings where building_id is not null
    union
    select building_id from buildings
),
referencing as (
    select 'companies' as kind, sheet, row_no, building_id from stg_companies
    union all
    select 'checks', sheet, row_no, building_id from stg_checks
),
final as (
    select kind, sheet, row_no, 'building_id', building_id, 'unknown_building', null, 'error'
    from referencing
    where building_id is not null and building_id not in (select building_id from known)
)
select * from final
