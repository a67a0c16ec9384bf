-- A street user's upload has rows of another street: each is an error naming the street it belongs to. The scope is
-- the variable scope_street (null for a district user or the CLI: nothing to check). A building row counts for the
-- street it names and, when already stored, for the street it is stored under (it must not move a building away).
with scope as (
    select getvariable('scope_street') as street
),
staged_buildings as (
    select building_id, street from stg_buildings where building_id is not null
),
building_street as (
    select building_id, street from staged_buildings
    union all
    select building_id, street from buildings where building_id not in (select building_id from staged_buildings)
),
staged_companies as (
    select credit_code, building_id from stg_companies where credit_code is not null
),
company_building as (
    select credit_code, building_id from staged_companies
    union all
    select credit_code, building_id from companies where credit_code not in (select credit_code from staged_companies)
),
company_street as (
    select c.credit_code, b.street from company_building c join building_street b using (building_id)
),
scoped_rows as (
    select 'buildings' as kind, sheet, row_no, 'street' as field, s.street as value, s.street
    from stg_buildings s
    union all
    select 'buildings', s.sheet, s.row_no, 'building_id', s.building_id, b.street
    from stg_buildings s join buildings b using (building_id)
    union all
    select 'companies', s.sheet, s.row_no, 'building_id', s.building_id, b.street
    from stg_companies s join building_street b using (building_id)
    union all
    select 'checks', s.sheet, s.row_no, 'building_id', s.building_id, b.street
    from stg_checks s join building_street b using (building_id)
    union all
    select 'daily_returns', s.sheet, s.row_no, 'credit_code', s.credit_code, c.street
    from stg_daily_returns s join company_street c using (credit_code)
    union all
    select 'requests', s.sheet, s.row_no, 'credit_code', s.credit_code, c.street
    from stg_requests s join company_street c using (credit_code)
),
final as (
    select kind, sheet, row_no, field, value, 'outside_street', r.street, 'error'
    from scoped_rows r, scope
    where scope.street is not null and r.street is not null and r.street <> scope.street
)
select * from final
