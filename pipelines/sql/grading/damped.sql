-- damped: grades that do not flap (grading.toml [damping]). A building's grade goes up at once (a higher
-- risk is never held back) but comes down only after $days consecutive graded days below it: its grade on a
-- day is the highest undamped grade of its last $days graded days. raw_grade keeps the undamped grade;
-- damping_note says why a grade was held or when it came down. Input: temp table computed_grades_raw
-- (from $start, which is $days - 1 graded days before $since so the first days have their history).
with ranked as (
    select
        *,
        grade_rank(computed_grade) as raw_rank,
        max(grade_rank(computed_grade)) over (
            partition by building_id order by day rows between ($days - 1) preceding and current row
        ) as held_rank
    from computed_grades_raw
),
damped as (
    select
        *,
        case held_rank when 3 then '高' when 2 then '中' else '低' end as damped_grade,
        lag(held_rank) over (partition by building_id order by day) as previous_rank
    from ranked
),
final as (
    select
        day,
        building_id,
        score,
        score_grade,
        damped_grade as computed_grade,
        computed_grade as raw_grade,
        rule_label,
        rule_detail,
        main_factor,
        case
            when held_rank > raw_rank
                then '保持' || damped_grade || '：低于' || damped_grade || '风险标准未满连续 ' || $days || ' 天（计算为'
                     || computed_grade || '）'
            when previous_rank > held_rank and $days > 1
                then '连续 ' || $days || ' 天低于阈值，降为' || damped_grade
        end as damping_note
    from damped
)
select * from final where $since is null or day >= $since
