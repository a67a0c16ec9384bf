-- feed_grades: grade changes as announced (grade_events): one event per building and data day, stamped with
-- the write that made it, newest write first, then newest day.
with final as (
    select
        a.done_at as recorded_at,
        e.day,
        'grade' as kind,
        'grade.change' as action,
        0 as seq,
        a.actor,
        e.building_id as target,
        e.building_id,
        b.building_name,
        b.street,
        json_object('grade', e.before_grade) as before,
        json_object('grade', e.after_grade, 'score', e.score, 'rule', e.rule, 'factor', e.main_factor) as after
    from grade_events e
    join audit a using (audit_id)
    join buildings b using (building_id)
)
select * from final
where ($street is null or street = $street)
  and ($kinds is null or list_contains($kinds, kind))
order by recorded_at desc, day desc, target
limit $limit
