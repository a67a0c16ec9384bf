-- feed_grades: computed grade changes from one day to the next, newest day first; `at` is when grades were
-- last recomputed (the latest write in the audit), as building_grades keeps no time of its own.
with recomputed as (
    select max(done_at) as recorded_at from audit where action in ('batch.commit', 'batch.rollback', 'config.save', 'config.apply')
),
history as (
    select
        day,
        building_id,
        computed_grade,
        score,
        rule,
        main_factor,
        lag(computed_grade) over (partition by building_id order by day) as previous_grade,
        lag(day) over (partition by building_id order by day) as previous_day
    from building_grades
),
final as (
    select
        (select recorded_at from recomputed) as recorded_at,
        h.day,
        'grade' as kind,
        'grade.change' as action,
        0 as seq,
        cast(null as varchar) as actor,
        h.building_id as target,
        h.building_id,
        b.building_name,
        b.street,
        json_object('grade', h.previous_grade) as before,
        json_object('grade', h.computed_grade, 'score', h.score, 'rule', h.rule, 'factor', h.main_factor) as after
    from history h
    join buildings b using (building_id)
    where h.previous_grade is not null and h.previous_grade <> h.computed_grade
)
select * from final
where ($street is null or street = $street)
  and ($kinds is null or list_contains($kinds, kind))
order by day desc, target
limit $limit
