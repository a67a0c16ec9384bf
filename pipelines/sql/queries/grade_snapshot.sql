-- grade_snapshot: every building's current grade, to compare before and after a write (upload/rollback preview).
with grades as (
    select building_id, building_name, grade from current_grades
),
final as (
    select * from grades
)
select * from final order by building_id
