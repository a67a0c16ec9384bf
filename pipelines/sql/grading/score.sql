-- score: weighted score, grade by thresholds, hard rules on top (they only ever raise a grade).
-- Inputs: temp tables building_facts and computed_factors; thresholds and rules as parameters.
with facts as (
    select * from building_facts
),
factors as (
    select * from computed_factors
),
totals as (
    select
        day,
        building_id,
        sum(contribution) as score,
        arg_max(factor, contribution) as main_factor
    from factors
    group by all
),
fired as (  -- the grade each hard rule asks for, null when it does not fire
    select
        t.*,
        case when t.score >= $high then '高' when t.score >= $medium then '中' else '低' end as score_grade,
        case when $fever_on and f.fever_recent > 0 then $fever_grade end as fever_grade,
        case when $checklist_on and f.pass_rate < $checklist_below then $checklist_grade end as checklist_grade,
        case when $stale_on and (f.check_date is null or f.days_since_check > $stale_days) then $stale_grade end
            as stale_grade,
        f.fever_recent,
        f.pass_rate,
        f.days_since_check
    from totals t
    join facts f using (day, building_id)
),
ruled as (  -- the most severe rule that fired (on a tie, the first in this order)
    select
        *,
        case greatest(grade_rank(fever_grade), grade_rank(checklist_grade), grade_rank(stale_grade))
            when 0 then null
            when grade_rank(fever_grade) then 'fever'
            when grade_rank(checklist_grade) then 'checklist'
            else 'stale_inspection'
        end as rule_id
    from fired
),
final as (
    select
        day,
        building_id,
        score,
        score_grade,
        case rule_id
            when 'fever' then fever_grade
            when 'checklist' then checklist_grade
            when 'stale_inspection' then stale_grade
        end as rule_grade,
        rule_id,
        case rule_id
            when 'fever' then '近' || $fever_days || '天体温异常 ' || fever_recent || ' 人'
            when 'checklist' then '最近一次检查通过率 ' || round(100 * pass_rate, 1) || '%'
            when 'stale_inspection' then coalesce(days_since_check || ' 天未检查', '无检查记录')
        end as rule_detail,
        main_factor
    from ruled
)
select
    day,
    building_id,
    score,
    score_grade,
    -- a hard rule only raises the grade, never lowers it
    case when grade_rank(rule_grade) > grade_rank(score_grade) then rule_grade else score_grade end
        as computed_grade,
    case when grade_rank(rule_grade) > grade_rank(score_grade) then
        case rule_id when 'fever' then $fever_label when 'checklist' then $checklist_label
                     else $stale_label end
    end as rule_label,
    case when grade_rank(rule_grade) > grade_rank(score_grade) then rule_detail end as rule_detail,
    main_factor
from final
