-- grade_history: one building's grade by day, overrides applied.
with overrides as (
    select * from grade_overrides where building_id = $building_id and revoked_at is null
),
final as (
    select
        g.day,
        g.score,
        g.computed_grade,
        coalesce(
            (select o.grade from overrides o
             where o.starts <= g.day and (o.expires is null or o.expires >= g.day)
             order by o.override_id desc limit 1),
            g.computed_grade) as grade,
        g.rule
    from building_grades g
    where g.building_id = $building_id
)
select *, grade <> computed_grade as override from final order by day
