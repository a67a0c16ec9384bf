-- grade_history: one building's grade by day, overrides applied.
with overrides as (
    select * from grade_overrides where building_id = $building_id and revoked_at is null
),
graded as (
    select
        g.day,
        g.score,
        g.computed_grade,
        (select o.grade from overrides o
         where o.starts <= g.day and (o.expires is null or o.expires >= g.day)
         order by o.override_id desc limit 1) as override_grade,
        g.rule
    from building_grades g
    where g.building_id = $building_id
),
final as (
    -- an override that confirms the computed grade is still an override (as in grades_on)
    select day, score, computed_grade, coalesce(override_grade, computed_grade) as grade, rule,
           override_grade is not null as override
    from graded
)
select * from final order by day
