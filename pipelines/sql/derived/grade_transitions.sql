-- grade_transitions: the day-to-day grade changes of every building from $since on (null: every day); the
-- previous graded day before $since is read so that a change on $since itself is seen.
with window_start as (
    select max(day) as day from building_grades where day < $since
),
history as (
    select
        day,
        building_id,
        computed_grade,
        score,
        rule,
        main_factor,
        lag(computed_grade) over (partition by building_id order by day) as previous_grade
    from building_grades
    where $since is null or day >= coalesce((select day from window_start), $since)
),
final as (
    select day, building_id, previous_grade as before_grade, computed_grade as after_grade, score, rule, main_factor
    from history
    where previous_grade is not null
      and previous_grade <> computed_grade
      and ($since is null or day >= $since)
)
select * from final
