-- grades_on: every building's grade on $day (optionally one $street): computed grade, active override,
-- the grade the day before, and the factor that weighs most.
with buildings_in_scope as (
    select building_id, building_name, street from buildings where $street is null or street = $street
),
previous_day as (
    select max(day) as day from building_grades where day < $day
),
active_overrides as (
    select o.*, d.day as on_day
    from grade_overrides o
    join (select $day as day union all select day from previous_day) d
      on o.starts <= d.day and (o.expires is null or o.expires >= d.day) and o.revoked_at is null
    qualify row_number() over (partition by o.building_id, d.day order by o.override_id desc) = 1
),
today as (
    select g.*, o.grade as override_grade, o.reason as override_reason, o.expires as override_expires,
           o.created_by as override_by, o.override_id
    from building_grades g
    left join active_overrides o on o.building_id = g.building_id and o.on_day = g.day
    where g.day = $day
),
before as (
    select g.building_id, coalesce(o.grade, g.computed_grade) as previous_grade, g.score as previous_score
    from building_grades g
    left join active_overrides o on o.building_id = g.building_id and o.on_day = g.day
    where g.day = (select day from previous_day)
),
main as (
    select f.building_id, f.value as main_value, f.contribution as main_contribution
    from building_factors f
    join today t on t.building_id = f.building_id and t.main_factor = f.factor and f.day = $day
),
final as (
    select
        b.building_id,
        b.building_name,
        b.street,
        t.day,
        t.score,
        t.score_grade,
        t.computed_grade,
        coalesce(t.override_grade, t.computed_grade) as grade,
        t.rule,
        t.rule_detail,
        t.damping_note,
        t.main_factor as main_factor_key,
        m.main_value,
        m.main_contribution,
        t.override_grade is not null as override,
        t.override_reason,
        t.override_expires,
        t.override_by,
        t.override_id,
        p.previous_grade,
        p.previous_score,
        p.previous_grade is not null and p.previous_grade <> coalesce(t.override_grade, t.computed_grade) as changed,
        case
            when grade_rank(coalesce(t.override_grade, t.computed_grade)) > grade_rank(p.previous_grade)
                 and p.previous_grade is not null then '↑'
            when grade_rank(coalesce(t.override_grade, t.computed_grade)) < grade_rank(p.previous_grade) then '↓'
            else ''
        end as change
    from buildings_in_scope b
    join today t using (building_id)
    left join before p using (building_id)
    left join main m using (building_id)
)
select * from final
order by grade_rank(grade) desc, score desc
