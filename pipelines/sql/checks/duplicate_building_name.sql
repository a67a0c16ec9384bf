-- Two 楼宇编号 for one building name in one street: the same building entered twice under two codes, or two
-- buildings that need telling apart. A warning naming both codes, on each uploaded row concerned.
-- Returns: kind, sheet, row, field, value, rule, detail, severity.
with uploaded as (
    select sheet, row_no, building_id, building_name, street, name_key(building_name) as name
    from stg_buildings
    where building_id is not null and building_name is not null
),
stored as (
    select building_id, street, name_key(building_name) as name
    from buildings
    where building_name is not null
      and building_id not in (select building_id from uploaded)
),
everyone as (
    select building_id, street, name from uploaded
    union
    select building_id, street, name from stored
),
others as (
    select u.sheet, u.row_no, u.building_name, u.building_id,
           string_agg(distinct e.building_id, '、' order by e.building_id) as other_ids
    from uploaded u
    join everyone e
      on e.name = u.name and e.street is not distinct from u.street and e.building_id <> u.building_id
    group by all
),
final as (
    select 'buildings', sheet, row_no, 'building_name', building_name, 'duplicate_building_name',
           building_id || '” 和 “' || other_ids, 'warning'
    from others
)
select * from final
